"""What the subcommands share: the ``train`` options (flags and TOML keys, one converter per
kind of value, all from ``layerwise._checks``), config files, loading data sets, the errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__, _checks, datasets, io
from ..data import splits
from ..activations import get_activation
from ..initializers import INITIALIZERS
from ..losses import DEFAULT_LOSS
from ..optimizers import OPTIMIZERS

#: Errors that mean "bad usage or bad input": one line on stderr, exit status 2.
BAD_INPUT = (ValueError, TypeError, KeyError, OSError, csv.Error, zipfile.BadZipFile)


class UsageError(Exception):
    """A command line argparse refused; its message is the one line to print."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors raised as one line instead of usage + exit."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# ---- values of options: one converter per kind, shared by flags and TOML keys ------------------


def positive_int(value) -> int:
    return _checks.parse_int(value, 1)


def non_negative_int(value) -> int:
    return _checks.parse_int(value, 0)


def positive_float(value) -> float:
    return _checks.parse_real(value, 0, math.inf, True, True)


def non_negative_float(value) -> float:
    return _checks.parse_real(value, 0, math.inf, False, True)


def fraction(value) -> float:
    """A fraction in [0, 1): 0 means none."""
    return _checks.parse_real(value, 0, 1, False, True)


def probability(value) -> float:
    """A keep probability in (0, 1]."""
    return _checks.parse_real(value, 0, 1, True, False)


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
OPTIONS = {o.name: o for o in TRAIN_OPTIONS}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def argparse_type(convert: Callable):
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
        if name not in OPTIONS:
            raise ValueError(f"{path}: unknown key {key!r}; known keys: {', '.join(OPTIONS)}")
        try:
            settings[name] = OPTIONS[name].convert(value)
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


def is_csv(data: str) -> bool:
    return data == "-" or Path(data).suffix.lower() == ".csv" and data not in datasets.DATASETS


def load_data(data: str, *, label=None, data_dir=None) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """``(examples, test)``: a data set that comes split (the cat files) gives its own test part."""
    if label is not None and not is_csv(data):
        raise ValueError(f"--label applies to CSV files; {data!r} is not one")
    if data_dir is not None and data != "cat":
        raise ValueError("--data-dir applies to the cat data set only")
    if data != "-" and data not in datasets.DATASETS and not Path(data).is_file():
        suffix = Path(data).suffix.lower()
        if suffix in (".csv", ".npz", ".h5", ".hdf5"):
            raise FileNotFoundError(f"{data}: no such file")
    if is_csv(data):
        return datasets.load_csv(data, **({"label": label} if label is not None else {})), None
    loaded = datasets.load(data, **({"path": data_dir} if data == "cat" else {}))
    return loaded if isinstance(loaded, tuple) else (loaded, None)


def part_indices(m: int, labels, *, validation_split: float = 0.0, test_split: float = 0.0, seed: int = 1) -> dict[str, np.ndarray]:
    """``{"train": idx, "validation": idx, "test": idx}`` (absent parts left out) of ``m`` examples:
    the test part first (``test_split``), then the validation part of the rest, stratified by
    ``labels (m,)`` (None: not stratified) and seeded; ``train``, ``evaluate`` and ``predict`` all split here."""
    idx, parts = np.arange(m), {}
    for name, size in (("test", test_split), ("validation", validation_split)):
        if size:
            sub = None if labels is None else np.asarray(labels)[idx]
            picked, rest = splits.split_indices(idx.size, [splits.n_examples(size, idx.size, f"{name}_split")], sub, seed)
            parts[name], idx = idx[picked], idx[rest]
    return {"train": idx, **parts}


def split_data(data: str, *, label=None, data_dir=None, validation_split=0.0, test_split=0.0, seed=1) -> dict:
    """``{"train": ds, "validation": ds, "test": ds}`` (absent parts left out), stratified and seeded."""
    examples, test = load_data(data, label=label, data_dir=data_dir)
    labels = None if examples.task == "regression" else examples.Y[0]
    idx = part_indices(examples.m, labels, validation_split=validation_split, test_split=0.0 if test is not None else test_split, seed=seed)
    parts = {name: examples.subset(i) for name, i in idx.items()}
    if test is not None:
        parts["test"] = test
    return parts


def user_labels(ds: datasets.Dataset) -> np.ndarray:
    """The labels of ``ds`` as the model's user sees them: ``(m,)`` class names or numbers,
    or the ``(n_y, m)`` regression targets."""
    if ds.task == "regression":
        return ds.Y
    return np.asarray(ds.class_names)[ds.Y[0]] if ds.class_names is not None else ds.Y[0]


def classes_of(parts: dict) -> np.ndarray:
    """The class labels of the training data: its class names, or ``0..k-1``."""
    named = [ds.class_names for ds in parts.values() if ds.class_names is not None]
    if named:
        return np.array(max(named, key=len))
    return np.arange(max(ds.n_classes for ds in parts.values()))


# ---- rows to run a model on (evaluate, predict) ------------------------------------------------


@dataclass
class Rows:
    """Examples for a model: ``inputs`` (columns ``(m,)`` by feature name), ``labels`` (the user's ``(m,)`` labels, ``(n_y, m)`` targets,
    or None when the data has none) and ``ids`` ``(m,)`` (from ``--id``)."""

    inputs: dict[str, np.ndarray]
    labels: np.ndarray | None
    ids: np.ndarray | None
    m: int

    def subset(self, idx: np.ndarray) -> Rows:
        inputs = {k: v[idx] for k, v in self.inputs.items()}
        labels = None if self.labels is None else self.labels[..., idx]
        return Rows(inputs, labels, None if self.ids is None else self.ids[idx], len(idx))

    def concat(self, other: Rows) -> Rows:
        def join(a, b):
            return np.concatenate([a, b], axis=-1)

        inputs = {k: join(v, other.inputs[k]) for k, v in self.inputs.items()}
        labels = None if self.labels is None or other.labels is None else join(self.labels, other.labels)
        return Rows(inputs, labels, None, self.m + other.m)

    def strata(self, model) -> np.ndarray | None:
        """What a split of these rows is stratified by (the labels; none for regression)."""
        return None if model.task == "regression" or self.labels is None else self.labels


def model_rows(model, data: str, *, label=None, id_column=None, data_dir=None, notes=None) -> tuple[Rows, Rows | None]:
    """``(examples, test)`` of ``data`` for ``model``: a CSV file (``"-"``: standard input) has its
    columns matched to the model's features by name (extra ones ignored, with a line in ``notes``;
    a missing one named in the error) and its labels in ``label`` or the model's label column, if
    present; a built-in set or an .npz/.h5 file gives its own examples and labels."""
    if is_csv(data):
        return _csv_rows(model, data, label, id_column, notes), None
    if id_column is not None:
        raise ValueError(f"--id applies to CSV files; {data!r} is not one")
    examples, test = load_data(data, label=label, data_dir=data_dir)
    return _dataset_rows(model, examples, data), None if test is None else _dataset_rows(model, test, data)


def _csv_rows(model, data: str, label, id_column, notes) -> Rows:
    from ..data.readers import numeric_features, read_csv

    table = read_csv(data)
    name = table.names[table.index(label)] if label is not None else model.label
    missing = [f for f in model.features if f not in table.names]
    if missing:
        raise ValueError(f"{table.source}: no column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, which the model "
                         f"takes (its features: {', '.join(model.features)}); the file has {', '.join(table.names)}")  # fmt: skip
    ids = None
    if id_column is not None:
        ids = table.cells[:, table.index(id_column, "--id column")]
    used = {*model.features, name, None if id_column is None else table.names[table.index(id_column)]}
    extra = [c for c in table.names if c not in used]
    if extra and notes is not None:
        notes.append(f"note: {table.source}: ignoring column{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} (not a feature of the model)")
    X = numeric_features(table, [table.index(f) for f in model.features])
    labels = None
    if name is not None and name in table.names:
        j = table.index(name)
        if model.task == "regression":
            labels = numeric_features(table, [j])
        else:
            labels = table.column(j) if model.classes.dtype.kind != "U" else table.cells[:, j]
    return Rows(dict(zip(model.features, X, strict=True)), labels, ids, len(table))


def _dataset_rows(model, ds: datasets.Dataset, data: str) -> Rows:
    if ds.feature_names is not None and set(model.features) <= set(ds.feature_names):
        inputs = {name: ds.X[i] for i, name in enumerate(ds.feature_names)}
    elif ds.n_x == model.n_features:
        inputs = dict(zip(model.features, ds.X, strict=True))
    else:
        raise ValueError(f"the data {data!r} has {ds.n_x} features; the model takes {model.n_features}")
    if model.task == "regression" and ds.task != "regression" or model.task != "regression" and ds.task == "regression":
        raise ValueError(f"the data {data!r} is for {ds.task}; the model does {model.task}")
    return Rows(inputs, user_labels(ds), None, ds.m)


def run_rows(model, args, notes=None) -> tuple[Rows, str]:
    """The part of ``args.data`` that ``--split`` asks for, split as in the model's training run."""
    examples, test = model_rows(model, args.data, label=args.label, id_column=getattr(args, "id", None), data_dir=args.data_dir, notes=notes)
    split = args.split or ("test" if test is not None else "all")
    if split == "all":
        return (examples if test is None else examples.concat(test)), split
    run = model.info.get("run", {})
    if "seed" not in run:
        raise ValueError(f"{args.model} does not record how its data was split; use --split all")
    if split == "test" and test is not None:
        return test, split
    if examples.labels is None and model.task != "regression":
        raise ValueError(f"{args.data}: no label column {model.label!r} to split by as in training; use --split all")
    idx = part_indices(examples.m, examples.strata(model), validation_split=run.get("validation_split", 0.0),
                       test_split=0.0 if test is not None else run.get("test_split", 0.0), seed=run["seed"])  # fmt: skip
    if split not in idx:
        raise ValueError(f"the run of {args.model} had no {split} split; choose among {', '.join(['all', *idx, *(['test'] if test else [])])}")
    return examples.subset(idx[split]), split
