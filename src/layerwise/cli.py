"""The ``layerwise`` command: train, evaluate, predict and gradient-check networks from the shell.

    layerwise train                     # the course's shallow net [2, 4, 1] on the planar flower
    layerwise train --data cat --layers 20,7,5 --hidden relu --learning-rate 0.0075 --iterations 2500
    layerwise train --config run.toml --seed 3    # a TOML file with the same keys; flags win
    layerwise evaluate runs/planar/model.npz planar --json
    layerwise predict runs/planar/model.npz planar --out predictions.csv
    layerwise gradcheck --layers 5,3 --n-x 4

Exit status: 0 success; 2 bad usage or bad input (one line on stderr, no traceback); 1 anything
else (a diverged run, a flagged gradient check); 130 after Ctrl-C, with what was trained saved.

Other modules add subcommands: each module named in ``COMMAND_MODULES`` that exists and
defines ``add_subcommand(subparsers)`` is asked, in order, to add its parser with
``set_defaults(func=handler)``, where ``handler(args) -> int`` is the exit status.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import json
import math
import os
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from . import __version__, datasets, io
from .activations import get_activation
from .callbacks import DivergenceError, ProgressBar
from .gradcheck import gradient_check_report
from .initializers import INITIALIZERS
from .losses import DEFAULT_LOSS
from .network import Network
from .optimizers import OPTIMIZERS

COMMAND_MODULES = ["layerwise.graph", "layerwise.sweep", "layerwise.playground", "layerwise.bench"]

#: Errors that mean "bad usage or bad input": one line on stderr, exit status 2.
BAD_INPUT = (ValueError, TypeError, KeyError, OSError, csv.Error, zipfile.BadZipFile)

GRADCHECK_THRESHOLD = 1e-7
OUTPUT_FOR_TASK = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}


class UsageError(Exception):
    """A command line argparse refused; its message is the one line to print."""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors raised as one line instead of usage + exit."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# ---- values of options: one converter per kind, shared by flags and TOML keys ------------------


def _integer(value, minimum: int) -> int:
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an integer") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{value!r} is not an integer >= {minimum}")
    return value


def _real(value, low: float, high: float, low_open: bool, high_open: bool) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{value!r} is not in {interval}")
    return float(value)


def positive_int(value) -> int:
    return _integer(value, 1)


def non_negative_int(value) -> int:
    return _integer(value, 0)


def positive_float(value) -> float:
    return _real(value, 0, math.inf, True, True)


def non_negative_float(value) -> float:
    return _real(value, 0, math.inf, False, True)


def fraction(value) -> float:
    """A fraction in [0, 1): 0 means none."""
    return _real(value, 0, 1, False, True)


def probability(value) -> float:
    """A keep probability in (0, 1]."""
    return _real(value, 0, 1, True, False)


def boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return value


def layer_sizes(value) -> list[int]:
    """Hidden layer sizes: "20,7,5" or [20, 7, 5]; "" or "none" for no hidden layer."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")] if value.strip().lower() not in ("", "none") else []
        return [positive_int(p) for p in parts]
    if isinstance(value, list):
        return [positive_int(p) for p in value]
    raise ValueError(f"{value!r} is not a list of layer sizes like 20,7,5")


def activation(value) -> str:
    return get_activation(text(value)).spec


def label_column(value) -> str | int:
    """A CSV label column: a name, or an integer index (negative counts from the end)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    value = text(value)
    try:
        return int(value)
    except ValueError:
        return value


def choice(*names: str) -> Callable[[object], str]:
    def convert(value) -> str:
        if value not in names:
            raise ValueError(f"{value!r} is not one of {', '.join(names)}")
        return value

    return convert


@dataclass(frozen=True)
class Option:
    """A ``train`` setting: the flag ``--name-with-dashes`` and the TOML key ``name``."""

    name: str
    convert: Callable
    default: object
    help: str
    metavar: str | None = None


TRAIN_OPTIONS = [
    Option("data", text, "planar", "a built-in data set (" + ", ".join(datasets.DATASETS) + ") or a .csv/.npz/.h5 file", "NAME|FILE"),
    Option("label", label_column, None, "the label column of a CSV file, by name or index (default: the last)", "COLUMN"),
    Option("data_dir", text, None, "the folder of the course's cat files (default: $LAYERWISE_DATA or ../shared/data)", "DIR"),
    Option("standardize", boolean, False, "standardise the features with the training mean and std (saved with the model)"),
    Option("layers", layer_sizes, [4], "hidden layer sizes, e.g. 20,7,5 ('none': logistic regression)", "SIZES"),
    Option("hidden", activation, "tanh", "activation of the hidden layers, e.g. relu, tanh, leaky_relu:0.2", "NAME"),
    Option("output", choice(*DEFAULT_LOSS), None, "output activation (default from the data: sigmoid for 2 classes, softmax for more, linear for regression)", "NAME"),
    Option("init", choice(*INITIALIZERS), None, "weight initialisation (default: xavier for tanh/sigmoid hidden layers, he otherwise)", "NAME"),
    Option("learning_rate", positive_float, None, "learning rate alpha (default: 1.2 for gd, the optimizer's own otherwise)", "ALPHA"),
    Option("iterations", positive_int, 5000, "passes over the training data (full batch: gradient steps)", "N"),
    Option("optimizer", choice(*OPTIMIZERS), "gd", "gd, momentum, rmsprop or adam", "NAME"),
    Option("batch_size", positive_int, None, "mini-batch size (default: the full batch)", "N"),
    Option("lambd", non_negative_float, 0.0, "L2 regularisation strength lambda", "LAMBDA"),
    Option("keep_prob", probability, 1.0, "dropout keep probability of the hidden layers", "P"),
    Option("validation_split", fraction, 0.2, "fraction of the training data held out for validation (0: none)", "F"),
    Option("test_split", fraction, 0.0, "fraction held out for testing (0: none; the cat data has its own test set)", "F"),
    Option("early_stopping", positive_int, None, "stop after this many iterations without a better validation cost", "PATIENCE"),
    Option("seed", non_negative_int, 1, "seed of the initial weights, the splits, shuffling and dropout", "N"),
    Option("dtype", choice("float64", "float32"), "float64", "float64 or float32", "NAME"),
    Option("out", text, None, "output folder (default: runs/<data>-<time>)", "DIR"),
    Option("quiet", boolean, False, "no progress bar or cost lines"),
    Option("print_every", positive_int, None, "without a terminal, print the cost every N iterations (default: iterations / 10)", "N"),
    Option("plots", boolean, True, "write PNG plots (needs matplotlib)"),
    Option("checkpoint_every", positive_int, None, "save OUT/checkpoint.npz every N iterations (Ctrl-C and SIGTERM always save one)", "N"),
]  # fmt: skip
_OPTIONS = {o.name: o for o in TRAIN_OPTIONS}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _argparse_type(convert: Callable):
    """``convert`` as an argparse ``type``: its ValueError becomes argparse's one-line error."""

    def parse(value: str):
        try:
            return convert(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def read_config(path) -> dict:
    """The settings of a TOML file: the keys of ``TRAIN_OPTIONS`` (dashes or underscores)."""
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
    settings = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in _OPTIONS:
            raise ValueError(f"{path}: unknown key {key!r}; known keys: {', '.join(_OPTIONS)}")
        try:
            settings[name] = _OPTIONS[name].convert(value)
        except ValueError as exc:
            raise ValueError(f"{path}: {key}: {exc}") from None
    return settings


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(settings: dict, path) -> None:
    """Write the settings as a TOML file that ``train --config`` reads back (unset ones left out)."""
    lines = [f"# layerwise {__version__}: layerwise train --config {Path(path).name}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in settings.items() if v is not None and k not in ("out", "quiet", "print_every")]
    with io.atomic_write(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ---- data ----------------------------------------------------------------------------------------


def load_data(data: str, *, label=None, data_dir=None) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """``(examples, test)``: a data set that comes split (the cat files) gives its own test part."""
    is_csv = Path(data).suffix.lower() == ".csv" and data not in datasets.DATASETS
    if label is not None and not is_csv:
        raise ValueError(f"--label applies to CSV files; {data!r} is not one")
    if data_dir is not None and data != "cat":
        raise ValueError("--data-dir applies to the cat data set only")
    if data not in datasets.DATASETS and not Path(data).is_file():
        suffix = Path(data).suffix.lower()
        if suffix in (".csv", ".npz", ".h5", ".hdf5"):
            raise FileNotFoundError(f"{data}: no such file")
    kw = {"label": label} if label is not None else {"path": data_dir} if data == "cat" else {}
    loaded = datasets.load(data, **kw)
    return loaded if isinstance(loaded, tuple) else (loaded, None)


def split_data(data: str, *, label=None, data_dir=None, validation_split=0.0, test_split=0.0, seed=1) -> dict:
    """``{"train": ds, "validation": ds, "test": ds}`` (absent parts left out), stratified and seeded."""
    examples, test = load_data(data, label=label, data_dir=data_dir)
    if test is None and test_split:
        examples, test = datasets.train_test_split(examples, test_size=test_split, seed=seed)
    parts = {"train": examples}
    if validation_split:
        parts["train"], parts["validation"] = datasets.train_test_split(examples, test_size=validation_split, seed=seed)
    if test is not None:
        parts["test"] = test
    return parts


def _n_classes(parts: dict) -> int:
    return max(ds.n_classes for ds in parts.values())


def _concat(parts) -> tuple[np.ndarray, np.ndarray]:
    return np.hstack([ds.X for ds in parts]), np.hstack([ds.Y for ds in parts])


# ---- measuring a model ---------------------------------------------------------------------------


def evaluation_report(net: Network, X, Y, class_names=None) -> dict:
    """Scores of ``net`` on ``X: (n_x, m)`` (already preprocessed) and ``Y``.

    Classification: accuracy, per-class and macro precision / recall / F1, and the confusion
    matrix (rows: true class, columns: predicted). Regression: MSE, MAE and R^2.
    """
    X = net.check_X(X)
    AL = net.forward(X, _checked=True)[0]
    Yc = net.check_Y(Y, X.shape[1])
    report: dict = {"m": int(X.shape[1])}
    if net.task == "regression":
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged model scores inf, not a warning
            err = AL.astype(np.float64) - Yc
            report.update(mse=float(np.mean(err**2)), mae=float(np.mean(np.abs(err))), r2=net.score_output(AL, Yc))
        return report
    n = 2 if net.task == "binary" else net.n_y
    names = list(class_names) if class_names is not None else [str(c) for c in range(n)]
    truth, predicted = net._labels(Yc), net.output_to_prediction(AL)[0]
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    tp = np.diag(confusion).astype(np.float64)
    support, predicted_count = confusion.sum(axis=1), confusion.sum(axis=0)
    precision = np.divide(tp, predicted_count, out=np.zeros(n), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=precision + recall > 0)
    report["accuracy"] = net.score_output(AL, Yc)
    report["per_class"] = {
        names[c]: {"precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]), "support": int(support[c])}
        for c in range(n)
    }
    report["macro"] = {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())}
    report["classes"] = names
    report["confusion_matrix"] = confusion.tolist()
    return report


def format_report(report: dict) -> str:
    """The report of :func:`evaluation_report` as a few lines of text."""
    if "r2" in report:
        return f"m = {report['m']}: MSE {report['mse']:.6g}, MAE {report['mae']:.6g}, R2 {report['r2']:.4f}"
    names = report["classes"]
    width = max(9, *(len(n) for n in names))
    lines = [f"m = {report['m']}: accuracy {100 * report['accuracy']:.2f} %", "",
             f"{'class':<{width}}  precision  recall     f1  support"]  # fmt: skip
    for name, s in report["per_class"].items():
        lines.append(f"{name:<{width}}  {s['precision']:9.4f}  {s['recall']:6.4f}  {s['f1']:.4f}  {s['support']:7d}")
    macro = report["macro"]
    lines.append(f"{'macro avg':<{width}}  {macro['precision']:9.4f}  {macro['recall']:6.4f}  {macro['f1']:.4f}  {report['m']:7d}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted class)"]
    lines.append(" " * (width + 2) + " ".join(f"{n:>{max(6, len(n))}}" for n in names))
    for name, row in zip(names, report["confusion_matrix"]):
        lines.append(f"{name:<{width}}  " + " ".join(f"{v:>{max(6, len(n))}d}" for v, n in zip(row, names)))
    return "\n".join(lines)


def _score_line(net: Network, reports: dict) -> str:
    key, scale, unit = ("accuracy", 100, " %") if net.task != "regression" else ("r2", 1, "")
    return ", ".join(f"{split} {'accuracy' if unit else 'R2'} {scale * r[key]:.2f}{unit}" for split, r in reports.items())


# ---- train ---------------------------------------------------------------------------------------


def _settings(args) -> dict:
    """Defaults, then the TOML file, then the flags given on the command line."""
    settings = {o.name: o.default for o in TRAIN_OPTIONS}
    if args.config is not None:
        settings.update(read_config(args.config))
    settings.update({o.name: getattr(args, o.name) for o in TRAIN_OPTIONS if getattr(args, o.name) is not None})
    return settings


def _out_dir(settings: dict) -> Path:
    if settings["out"] is not None:
        return Path(settings["out"])
    base = Path("runs") / f"{Path(settings['data']).stem}-{datetime.now():%Y%m%d-%H%M%S}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _build_network(s: dict, parts: dict) -> Network:
    train = parts["train"]
    output = s["output"] or OUTPUT_FOR_TASK[train.task]
    if output == "linear":
        n_y = train.Y.shape[0]
    elif train.task == "regression":
        raise ValueError(f"the data {s['data']!r} has regression targets; a {output} output needs class labels (use --output linear)")
    elif output == "softmax":
        n_y = _n_classes(parts)
    elif _n_classes(parts) > 2:
        raise ValueError(f"the data {s['data']!r} has {_n_classes(parts)} classes; a sigmoid output separates 2 (use --output softmax)")
    else:
        n_y = 1
    if output != "linear" and np.unique(train.Y).size < 2:
        only = train.class_names[int(train.Y[0, 0])] if train.class_names else int(train.Y[0, 0])
        raise ValueError(f"the training examples of {s['data']!r} are all of one class ({only!r}); a classifier needs at least 2")
    init = s["init"] or ("xavier" if s["hidden"] in ("tanh", "sigmoid") else "he")
    net = Network([train.n_x, *s["layers"], n_y], hidden=s["hidden"], output=output, init=init, seed=s["seed"], dtype=s["dtype"])
    net.metadata = {
        "data": s["data"],
        "class_names": train.class_names if net.task != "regression" else None,
        "feature_names": train.feature_names,
        "run": {**{k: v for k, v in s.items() if k not in ("out", "quiet", "print_every", "plots")}, "init": init, "output": output},
    }
    if s["standardize"]:
        net.metadata["preprocessing"] = {"standardize": datasets.Standardizer().fit(train.X).to_dict()}
    return net


def _progress(s: dict) -> tuple[list, int | bool]:
    """(callbacks, print_cost): a tqdm bar on a terminal, else a cost line every N iterations."""
    if s["quiet"]:
        return [], False
    if sys.stdout.isatty() and importlib.util.find_spec("tqdm") is not None:
        return [ProgressBar(file=sys.stdout, desc="training", dynamic_ncols=True)], False
    return [], s["print_every"] or max(1, s["iterations"] // 10)


#: What ``train --resume`` lets a command line change; every other setting is the saved run's.
RESUME_MAY_CHANGE = ("iterations", "quiet", "print_every", "checkpoint_every", "plots")


def _resumed_settings(args, checkpoint: io.TrainingCheckpoint) -> dict:
    """The settings saved with the checkpoint (checked like a TOML file's), and the flags of RESUME_MAY_CHANGE."""
    fixed = [_flag(o.name) for o in TRAIN_OPTIONS if getattr(args, o.name) is not None and o.name not in RESUME_MAY_CHANGE]
    if args.config is not None or fixed:
        given = ", ".join(fixed + (["--config"] if args.config is not None else []))
        raise ValueError(f"--resume goes on with the run's saved settings; {given} cannot change "
                         f"(only {', '.join(_flag(n) for n in RESUME_MAY_CHANGE)})")  # fmt: skip
    if "data" not in checkpoint.run_config or "run" not in checkpoint.network.metadata:
        raise ValueError(f"{args.resume}: this checkpoint was not written by layerwise train; resume it from Python (io.Resume)")
    settings = {o.name: o.default for o in TRAIN_OPTIONS}
    for key, value in checkpoint.run_config.items():
        if key not in _OPTIONS:
            raise ValueError(f"{args.resume}: the checkpoint's settings have an unknown key {key!r}")
        try:
            settings[key] = None if value is None else _OPTIONS[key].convert(value)
        except ValueError as exc:
            raise ValueError(f"{args.resume}: the checkpoint's setting {key}: {exc}") from None
    settings.update({n: getattr(args, n) for n in RESUME_MAY_CHANGE if getattr(args, n) is not None})
    return settings


def cmd_train(args) -> int:
    s = _settings(args)
    checkpoint = None
    if args.resume is not None:
        checkpoint = io.load_checkpoint(args.resume)
        s = _resumed_settings(args, checkpoint)
    parts = split_data(s["data"], label=s["label"], data_dir=s["data_dir"], validation_split=s["validation_split"],
                       test_split=s["test_split"], seed=s["seed"])  # fmt: skip
    net = checkpoint.network if checkpoint else _build_network(s, parts)
    if checkpoint:
        net.metadata["run"].update(iterations=s["iterations"], checkpoint_every=s["checkpoint_every"])
    X = {name: io.preprocess(net, ds.X) for name, ds in parts.items()}
    learning_rate = s["learning_rate"] if s["learning_rate"] is not None else 1.2 if s["optimizer"] == "gd" else None
    out = Path(args.resume) if checkpoint else _out_dir(s)
    out.mkdir(parents=True, exist_ok=True)
    callbacks, print_cost = _progress(s)
    done = len(checkpoint.trainer_state["history"]["costs"]) if checkpoint else 0
    if done >= s["iterations"]:
        raise ValueError(f"the run in {out} has done its {done} iterations; pass --iterations N (the new total) to go on")
    callbacks += [io.Resume(checkpoint)] if checkpoint else []
    callbacks.append(io.Checkpoint(out, s, s["checkpoint_every"]))
    sizes = ", ".join(f"{len(ds.Y[0])} {name}" for name, ds in parts.items())
    acts = " -> ".join(a.spec for a in net.activations)
    print(f"training {net.layer_dims} ({acts}) on {s['data']} ({sizes} examples), {s['optimizer']}, {s['iterations']} iterations"
          + (f", resuming after {done}" if checkpoint else ""))  # fmt: skip

    validation = (X["validation"], parts["validation"].Y) if "validation" in parts else None
    start = time.perf_counter()
    try:
        history = net.fit(
            X["train"], parts["train"].Y, learning_rate=learning_rate, num_iterations=s["iterations"] - done, optimizer=s["optimizer"],
            batch_size=s["batch_size"], lambd=s["lambd"], keep_prob=s["keep_prob"], validation_data=validation,
            early_stopping=s["early_stopping"], callbacks=callbacks, print_cost=print_cost,
        )  # fmt: skip
    except DivergenceError as exc:
        history = exc.history
    seconds = time.perf_counter() - start
    net.metadata["run"]["learning_rate"] = net.trainer_.optimizer.learning_rate

    reports = {name: evaluation_report(net, X[name], ds.Y, net.metadata["class_names"]) for name, ds in parts.items()}
    written = _write_outputs(out, s, net, parts, reports, seconds)
    costs = history.costs
    if costs:
        print(f"{history.status} after {len(costs)} iterations in {seconds:.1f} s: cost {costs[0]:.6g} -> {costs[-1]:.6g}")
    print(_score_line(net, reports))
    print(f"wrote {out}: {', '.join(written)}")
    if history.status == "diverged":
        print(f"layerwise train: {history.message}", file=sys.stderr)
        return 1
    if history.status == "interrupted":
        print(f"layerwise train: {history.message}; saved {out / io.CHECKPOINT_FILE}, go on with: layerwise train --resume {out}",
              file=sys.stderr)  # fmt: skip
        return 130
    return 0


def _write_outputs(out: Path, s: dict, net: Network, parts: dict, reports: dict, seconds: float) -> list[str]:
    history = net.history_
    net.save(out / "model.npz")
    history.write_csv(out / "history.csv")
    metrics = {
        "status": history.status,
        "message": history.message,
        "iterations": len(history.costs),
        "final_cost": history.costs[-1] if history.costs else None,
        "seconds": seconds,
        "best_epoch": history.best_epoch,
        **reports,
    }
    with io.atomic_write(out / "metrics.json", "w") as f:
        json.dump(metrics, f, indent=2)
    write_config(net.metadata["run"], out / "config.toml")
    written = ["model.npz", "history.csv", "metrics.json", "config.toml"]
    if s["plots"] and importlib.util.find_spec("matplotlib") is not None:
        written += _write_plots(out, net, parts, reports)
    return written


def _write_plots(out: Path, net: Network, parts: dict, reports: dict) -> list[str]:
    from . import plots

    history = net.history_
    if history.costs:
        plots.plot_cost(history, out / "cost.png", title=f"Learning curve, {net.layer_dims} on {net.metadata['data']}")
    written = ["cost.png"] if history.costs else []
    if net.task == "regression":
        return written
    class_names = net.metadata["class_names"]
    if net.n_x == 2:
        X, Y = _concat(parts.values())
        hidden = ", ".join(map(str, net.layer_dims[1:-1])) or "none"
        title = f"Decision boundary, hidden layer sizes {hidden}\n{_score_line(net, reports)}"
        plots.plot_decision_boundary(net, X, Y, out / "decision_boundary.png", preprocess=lambda P: io.preprocess(net, P),
                                     class_names=class_names, feature_names=net.metadata["feature_names"] or ("x1", "x2"), title=title)  # fmt: skip
        written.append("decision_boundary.png")
    shape = plots.guess_image_shape(net.n_x)
    if shape is not None:
        name = "test" if "test" in parts else "validation" if "validation" in parts else "train"
        ds = parts[name]
        plots.plot_mislabelled(ds.X, ds.Y, net.predict(io.preprocess(net, ds.X)), out / "mislabelled.png",
                               image_shape=shape, class_names=class_names)  # fmt: skip
        written.append("mislabelled.png")
    return written


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a network and write the model, its history, metrics and plots",
                       description="Train a network; every option can also come from --config FILE.toml (flags win).")  # fmt: skip
    p.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file with the keys below (underscores)")
    p.add_argument("--resume", metavar="DIR", help="go on with the interrupted run whose output folder is DIR (from DIR/checkpoint.npz)")
    for o in TRAIN_OPTIONS:
        default = "" if o.default is None else f" [default: {','.join(map(str, o.default)) if isinstance(o.default, list) else o.default}]"
        if o.convert is boolean:
            p.add_argument(_flag(o.name), action=argparse.BooleanOptionalAction, default=None, help=o.help + default)
        else:
            p.add_argument(_flag(o.name), type=_argparse_type(o.convert), default=None, metavar=o.metavar, help=o.help + default)
    p.set_defaults(func=cmd_train)


# ---- evaluate / predict ----------------------------------------------------------------------


def _model_data(args) -> tuple[Network, datasets.Dataset, str]:
    """The model, and the part of the data it is to be run on (``--split``), with its name."""
    net = io.load_model(args.model)
    run = net.metadata.get("run", {})
    label = args.label if args.label is not None else run.get("label") if args.data == net.metadata.get("data") else None
    examples, test = load_data(args.data, label=label, data_dir=args.data_dir)
    split = args.split or ("test" if test is not None else "all")
    if split == "all":
        ds = examples if test is None else datasets.Dataset(*_concat([examples, test]), examples.task, examples.feature_names, examples.class_names, args.data)
    else:
        if "seed" not in run:
            raise ValueError(f"{args.model} does not record how its data was split; use --split all")
        parts = split_data(args.data, label=label, data_dir=args.data_dir, validation_split=run.get("validation_split", 0.0),
                           test_split=run.get("test_split", 0.0), seed=run["seed"])  # fmt: skip
        if split not in parts:
            raise ValueError(f"the run of {args.model} had no {split} split; choose among {', '.join(['all', *parts])}")
        ds = parts[split]
    model_names = net.metadata.get("class_names")
    if model_names is not None and ds.class_names is not None and list(ds.class_names) != list(model_names):
        raise ValueError(f"the data's classes {ds.class_names} differ from the model's {model_names}")
    if ds.n_x != net.n_x:
        raise ValueError(f"the data {args.data!r} has {ds.n_x} features; the model takes {net.n_x}")
    return net, ds, split


def cmd_evaluate(args) -> int:
    net, ds, split = _model_data(args)
    report = evaluation_report(net, io.preprocess(net, ds.X), ds.Y, net.metadata.get("class_names"))
    if args.json:
        print(json.dumps({"model": str(args.model), "data": args.data, "split": split, **report}, indent=2))
    else:
        print(f"{args.model} {net.layer_dims} on {args.data} ({split})")
        print(format_report(report))
    return 0


def cmd_predict(args) -> int:
    net, ds, split = _model_data(args)
    AL = net.predict_proba(io.preprocess(net, ds.X)).astype(np.float64)
    names = net.metadata.get("class_names")
    if net.task == "regression":
        header = ["index"] + (["prediction"] if net.n_y == 1 else [f"prediction_{k}" for k in range(net.n_y)])
        rows = [[i, *AL[:, i].tolist()] for i in range(AL.shape[1])]
    else:
        n = 2 if net.task == "binary" else net.n_y
        names = names or [str(c) for c in range(n)]
        P = np.vstack([1 - AL, AL]) if net.task == "binary" else AL
        predicted = net.output_to_prediction(AL)[0]
        header = ["index", "prediction", "label", *(f"p_{name}" for name in names)]
        rows = [[i, names[predicted[i]], names[ds.Y[0, i]], *P[:, i].tolist()] for i in range(AL.shape[1])]
    with io.atomic_write(args.out, "w") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {len(rows)} predictions ({args.data}, {split}) to {args.out}")
    return 0


def _add_model_data(p) -> None:
    p.add_argument("model", help="a model file written by layerwise train (model.npz)")
    p.add_argument("data", help="a built-in data set name or a .csv/.npz/.h5 file")
    p.add_argument("--label", type=_argparse_type(label_column), metavar="COLUMN", help=_OPTIONS["label"].help)
    p.add_argument("--data-dir", metavar="DIR", help=_OPTIONS["data_dir"].help)
    p.add_argument("--split", choices=["all", "train", "validation", "test"],
                   help="which part, split as in the model's training run (default: the data's own test set if it has one, else all)")  # fmt: skip


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="score a saved model on data", description="Accuracy, precision/recall/F1 per class and "
                       "macro, and the confusion matrix (classification); MSE, MAE and R2 (regression).")  # fmt: skip
    _add_model_data(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_evaluate)


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="write a saved model's predictions to a CSV file",
                       description="One row per example: the predicted class, the true label and the class probabilities.")  # fmt: skip
    _add_model_data(p)
    p.add_argument("--out", default="predictions.csv", metavar="FILE.csv", help="[default: predictions.csv]")
    p.set_defaults(func=cmd_predict)


# ---- gradcheck -------------------------------------------------------------------------------


def cmd_gradcheck(args) -> int:
    rng = np.random.default_rng(args.seed)
    data = None if args.data is None else load_data(args.data, label=args.label)[0]
    if args.model is not None:
        net = io.load_model(args.model)
    else:
        output = args.output or "sigmoid"
        n_y = args.n_y or (3 if output == "softmax" else 1)
        n_x = args.n_x if data is None else data.n_x
        net = Network([n_x, *args.layers, n_y], hidden=args.hidden, output=output, init=args.init, seed=args.seed)
    if data is not None:
        ds = data.subset(np.arange(min(args.m, data.m)))
        X, Y = io.preprocess(net, ds.X), ds.Y
    else:
        X = rng.standard_normal((net.n_x, args.m))
        if net.task == "regression":
            Y = rng.standard_normal((net.n_y, args.m))
        else:
            Y = rng.integers(0, 2 if net.task == "binary" else net.n_y, size=(1, args.m))
    n_parameters = sum(p.size for p in net.parameters.values())
    if n_parameters > 100_000:
        print(f"checking {n_parameters} parameters takes {2 * n_parameters} forward passes", file=sys.stderr)
    report = gradient_check_report(net, X, Y, args.epsilon, lambd=args.lambd, keep_prob=args.keep_prob)
    flagged = sorted(k for k, v in report.items() if v > args.threshold)
    if args.json:
        print(json.dumps({"relative_differences": report, "threshold": args.threshold, "flagged": flagged}, indent=2))
    else:
        print(f"gradient check of {net.layer_dims} ({', '.join(a.spec for a in net.activations)}), m = {X.shape[1]}, float64")
        for key, value in report.items():
            print(f"{key:>6}  {value:.3e}  {'FLAGGED' if key in flagged else 'ok'}")
        print(f"{len(flagged)} above {args.threshold:g}" if flagged else f"all below {args.threshold:g}")
    return 1 if flagged else 0


def _add_gradcheck(sub) -> None:
    p = sub.add_parser("gradcheck", help="compare backpropagation with finite differences",
                       description="Gradient checking in float64: the relative difference "
                       "||g - g_approx|| / (||g|| + ||g_approx||) for every dW and db, on a network of the given "
                       f"architecture or a saved model, on given or random data. Exit status 1 if any is above --threshold.")  # fmt: skip
    p.add_argument("--model", metavar="FILE", help="check a saved model instead of a new network")
    p.add_argument("--layers", type=_argparse_type(layer_sizes), default=[5, 3], metavar="SIZES", help="hidden layer sizes [default: 5,3]")
    p.add_argument("--hidden", type=_argparse_type(activation), default="tanh", metavar="NAME",
                   help="[default: tanh] (relu is not differentiable at 0, which zero biases can hit exactly: a flag there need not be a bug)")  # fmt: skip
    p.add_argument("--output", choices=sorted(DEFAULT_LOSS), help="[default: sigmoid]")
    p.add_argument("--init", choices=sorted(INITIALIZERS), default="he", help="[default: he]")
    p.add_argument("--n-x", type=_argparse_type(positive_int), default=4, metavar="N", help="input size for random data [default: 4]")
    p.add_argument("--n-y", type=_argparse_type(positive_int), metavar="N", help="output units [default: 3 for softmax, else 1]")
    p.add_argument("--data", metavar="NAME|FILE", help="check on the first --m examples of this data instead of random data")
    p.add_argument("--label", type=_argparse_type(label_column), metavar="COLUMN", help=_OPTIONS["label"].help)
    p.add_argument("--m", type=_argparse_type(positive_int), default=8, metavar="N", help="number of examples [default: 8]")
    p.add_argument("--lambd", type=_argparse_type(non_negative_float), default=0.0, metavar="LAMBDA", help="L2 strength [default: 0]")
    p.add_argument("--keep-prob", type=_argparse_type(probability), default=1.0, metavar="P", help="dropout (fixed masks) [default: 1]")
    p.add_argument("--seed", type=_argparse_type(non_negative_int), default=1, metavar="N", help="[default: 1]")
    p.add_argument("--epsilon", type=_argparse_type(positive_float), default=1e-6, metavar="EPS",
                   help="finite-difference step [default: 1e-6; 1e-7, the course's, lets rounding show on tiny gradients]")  # fmt: skip
    p.add_argument("--threshold", type=_argparse_type(positive_float), default=GRADCHECK_THRESHOLD, metavar="T",
                   help=f"flag relative differences above this [default: {GRADCHECK_THRESHOLD:g}]")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_gradcheck)


# ---- entry point -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``layerwise`` parser: train, evaluate, predict, gradcheck, then the COMMAND_MODULES'."""
    parser = _Parser(prog="layerwise", description="Fully connected neural networks in NumPy, "
                     "in the notation of the deeplearning.ai course.")  # fmt: skip
    parser.add_argument("--version", action="version", version=f"layerwise {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_train, _add_evaluate, _add_predict, _add_gradcheck):
        add(sub)
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
