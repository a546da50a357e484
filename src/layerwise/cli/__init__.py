"""The ``layerwise`` command: train, evaluate, predict and gradient-check networks from the shell.

    layerwise train                     # the course's shallow net [2, 4, 1] on the planar flower
    layerwise train --data cat --layers 20,7,5 --hidden relu --learning-rate 0.0075 --iterations 2500
    layerwise train --config run.toml --seed 3    # a TOML file with the same keys; flags win
    layerwise evaluate runs/planar/model.npz planar --json
    layerwise predict runs/planar/model.npz new.csv --id name --out -   # unlabelled rows, columns by name
    layerwise gradcheck --layers 5,3 --n-x 4
    layerwise export runs/planar/model.npz model.onnx                    # an ONNX graph, raw rows in
    layerwise serve runs/planar/model.npz --port 8000                     # predictions over HTTP

Exit status: 0 success; 2 bad usage or bad input (one line on stderr, no traceback); 1 anything
else (a diverged run, a flagged gradient check); 130 after Ctrl-C, with what was trained saved.

One module per subcommand (``train``, ``evaluate``, ``predict``, ``gradcheck``, ``export``, ``serve``), sharing
``options``. Other modules add subcommands: each module named in ``COMMAND_MODULES`` that
exists and defines ``add_subcommand(subparsers)`` is asked, in order, to add its parser with
``set_defaults(func=handler)``, where ``handler(args) -> int`` is the exit status.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from .. import __version__
from . import evaluate, export, gradcheck, predict, serve, train
from .options import BAD_INPUT, Parser, UsageError, read_config, write_config

COMMAND_MODULES = ["layerwise.graph", "layerwise.sweep", "layerwise.playground", "layerwise.bench"]

__all__ = ["BAD_INPUT", "COMMAND_MODULES", "UsageError", "build_parser", "main", "read_config", "write_config"]


def build_parser() -> Parser:
    """The ``layerwise`` parser: train, evaluate, predict, gradcheck, export, serve, then the COMMAND_MODULES'."""
    parser = Parser(prog="layerwise", description="Fully connected neural networks in NumPy, "
                    "in the notation of the deeplearning.ai course.")  # fmt: skip
    parser.add_argument("--version", action="version", version=f"layerwise {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (train, evaluate, predict, gradcheck, export, serve):
        module.add_parser(sub)
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        add_subcommand = getattr(importlib.import_module(name), "add_subcommand", None)
        if add_subcommand is not None:
            add_subcommand(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(str(message).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    command = "layerwise"
    try:
        args, unknown = build_parser().parse_known_args(argv)
        command = f"layerwise {args.command}"
        if unknown:
            raise UsageError(f"{command}: error: unrecognized arguments: {' '.join(unknown)} (see {command} --help)")
        return args.func(args)
    except UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except BAD_INPUT as exc:
        if os.environ.get("LAYERWISE_DEBUG"):
            raise
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"{command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
