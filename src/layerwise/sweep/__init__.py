"""Hyperparameter sweeps: many trainings at once, on this machine or a Dask cluster.

    layerwise sweep examples/planar_sweep.toml                       # joblib, all cores
    layerwise sweep sweep.toml --backend dask --workers 4            # a LocalCluster
    layerwise sweep sweep.toml --scheduler tcp://10.0.0.5:8786       # an existing cluster

or from Python::

    from layerwise.sweep import load_config, run_sweep
    result = run_sweep(load_config("sweep.toml"), backend="processes", workers=2, out="runs/sweep")
    print(result.summary()); result.best_model.predict(X)

The modules follow the data flow: ``config`` (the search space and the budget) -> ``trial``
(one ordinary ``Network.fit`` run, the unit a worker executes) -> ``backends`` (where trials
run) -> ``runner`` (stages, pruning, the best model) -> ``report`` (tables and figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .backends import BACKENDS
from .config import HYPERPARAMETERS, METRICS, SweepConfig, load_config, parse_config, trial_seed
from .runner import SweepResult, TrialResult, run_sweep

__all__ = [
    "BACKENDS",
    "HYPERPARAMETERS",
    "METRICS",
    "SweepConfig",
    "SweepResult",
    "TrialResult",
    "add_subcommand",
    "load_config",
    "parse_config",
    "run_sweep",
    "trial_seed",
]


def _positive(kind):
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not > 0")
        return value

    return convert


def add_subcommand(subparsers) -> None:
    """``layerwise sweep CONFIG.toml [--backend B] [--workers N] [--scheduler ADDR] [--out DIR] ...``."""
    p = subparsers.add_parser(
        "sweep", help="run a hyperparameter sweep described by a TOML file",
        description="Train every trial of a hyperparameter sweep (grid or random search) and keep the best.",
    )  # fmt: skip
    p.add_argument("config", type=Path, help="the sweep's TOML file (see examples/planar_sweep.toml)")
    p.add_argument("--backend", choices=sorted(BACKENDS), default=None,
                   help="where trials run [default: processes; dask with --scheduler]")  # fmt: skip
    p.add_argument("--workers", type=_positive(int), default=None, metavar="N", help="processes or Dask workers [default: all cores]")
    p.add_argument("--scheduler", default=None, metavar="ADDR", help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="results folder [default: runs/sweep-<config name>]")
    p.add_argument("--trials", type=_positive(int), default=None, metavar="N", help="override [sweep] trials")
    p.add_argument("--time-limit", type=_positive(float), default=None, metavar="S", help="override [sweep] time_limit (seconds)")
    p.add_argument("--top", type=_positive(int), default=10, metavar="N", help="trials shown in the summary [default: 10]")
    p.add_argument("--no-plots", action="store_true", help="do not draw the figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_command)


def _command(args) -> int:
    cfg = load_config(args.config)
    overrides = {k: v for k, v in (("trials", args.trials), ("time_limit", args.time_limit)) if v is not None}
    cfg = dataclasses.replace(cfg, **overrides)
    backend = args.backend or ("dask" if args.scheduler else "processes")
    out = args.out if args.out is not None else Path("runs") / f"sweep-{args.config.stem}"
    try:
        result = run_sweep(cfg, backend=backend, workers=args.workers, scheduler=args.scheduler, out=out,
                           progress=not args.quiet, plots=not args.no_plots)  # fmt: skip
    except KeyboardInterrupt:
        print(f"layerwise sweep: interrupted; the results so far are in {out}", file=sys.stderr)
        return 130
    print(result.summary(args.top))
    print(f"results: {out / 'results.csv'}" + (f"; best model: {out / 'best_model.npz'}" if result.best_model is not None else ""))
    return 0 if result.best is not None else 1
