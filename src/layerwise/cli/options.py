"""What the subcommands share: the ``train`` options (flags and TOML keys, one converter per
kind of value, all from ``layerwise._checks``), config files, loading data sets, the errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tomllib
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__, _checks, datasets, io, tabular, tasks
from ..data.roles import label_name
from ..data.tables import TABLE_SUFFIXES, read_table
from ..data.splits import part_indices
from ..activations import get_activation
from ..initializers import INITIALIZERS
from ..losses import DEFAULT_LOSS
from ..optimizers import OPTIMIZERS
from ..preprocessing import IMPUTE_STRATEGIES, UnseenCategoryWarning

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


def delimiter(value) -> str:
    """One character; "tab" or "\\t" for a tab."""
    value = {"tab": "\t", "\\t": "\t"}.get(text(value), value)
    if len(value) != 1 or value in "\r\n\"":
        raise ValueError(f"{value!r} is not a delimiter: give one character, e.g. ';' or tab")
    return value


def columns(value) -> list[str]:
    """Column names: "a,b" or ["a", "b"]."""
    if isinstance(value, str):
        names = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)  # a config file's list, maybe empty
    else:
        raise ValueError(f"{value!r} is not a list of column names like a,b")
    if not names:
        raise ValueError(f"{value!r} names no column")
    return names


def at_least_two(value) -> int:
    return _checks.parse_int(value, 2)


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


D = tabular.DEFAULTS
TRAIN_OPTIONS = [
    Option("data", text, "planar", "a built-in data set (" + ", ".join(datasets.DATASETS) + ") or a file: .csv (or .tsv, .txt, - for standard input), .parquet, .npz, .h5", "NAME|FILE"),
    Option("label", label_column, D["label"], "the label column of a table, by name or index (default: the last)", "COLUMN"),
    Option("data_dir", text, None, "the folder of the course's cat files (default: $LAYERWISE_DATA or ../shared/data)", "DIR"),
    Option("delimiter", delimiter, None, "the CSV file's delimiter (default: detected among , ; tab |)", "CHAR"),
    Option("encoding", text, None, "the CSV file's encoding (default: from its byte-order mark, else UTF-8, else cp1252)", "NAME"),
    Option("na_values", columns, [], "cell texts that mean missing, beside empty cells and NA, NaN, null, ... (e.g. '?'); predict reuses them", "TEXTS"),
    Option("id", columns, D["id"], "identifier columns of a table: never features, carried into the predictions", "COLUMNS"),
    Option("drop", columns, D["drop"], "columns of a table to ignore", "COLUMNS"),
    Option("categorical", columns, D["categorical"], "numeric columns to one-hot encode as categories (text columns always are)", "COLUMNS"),
    Option("impute", choice(*IMPUTE_STRATEGIES), D["impute"], "how missing numbers are filled: the training rows' median, mean, or zero", "HOW"),
    Option("missing_indicator", boolean, D["missing_indicator"], "add a 0/1 feature for each numeric column that had missing cells"),
    Option("max_categories", at_least_two, D["max_categories"], "one-hot columns per categorical column at most; the rarest categories share one", "N"),
    Option("standardize", boolean, D["standardize"], "standardise the features with the training mean and std (default: when their "
           f"scales differ by a factor of {tabular.SCALE_RATIO:g} or more; a regression target always is)"),
    Option("layers", layer_sizes, D["layers"], "hidden layer sizes, e.g. 20,7,5 ('none': logistic regression)", "SIZES"),
    Option("hidden", activation, D["hidden"], "activation of the hidden layers, e.g. relu, tanh, leaky_relu:0.2", "NAME"),
    Option("output", choice(*DEFAULT_LOSS), D["output"], "output activation (default from the data: sigmoid for 2 classes, softmax for more, linear for regression)", "NAME"),
    Option("init", choice(*INITIALIZERS), D["init"], "weight initialisation (default: xavier for tanh/sigmoid hidden layers, he otherwise)", "NAME"),
    Option("learning_rate", positive_float, D["learning_rate"], "learning rate alpha (default for gd: "
           + ", ".join(f"{v:g} for {k}" for k, v in tasks.GD_LEARNING_RATE.items()) + "; the optimizer's own otherwise)", "ALPHA"),
    Option("iterations", positive_int, D["iterations"], "passes over the training data (full batch: gradient steps)", "N"),
    Option("optimizer", choice(*OPTIMIZERS), D["optimizer"], "gd, momentum, rmsprop or adam", "NAME"),
    Option("batch_size", positive_int, D["batch_size"], "mini-batch size (default: the full batch)", "N"),
    Option("lambd", non_negative_float, D["lambd"], "L2 regularisation strength lambda", "LAMBDA"),
    Option("keep_prob", probability, D["keep_prob"], "dropout keep probability of the hidden layers", "P"),
    Option("validation_split", fraction, D["validation_split"], "fraction of the training data held out for validation (0: none)", "F"),
    Option("test_split", fraction, D["test_split"], "fraction held out for testing (0: none; the cat data has its own test set)", "F"),
    Option("early_stopping", positive_int, D["early_stopping"], "stop after this many iterations without a better validation cost", "PATIENCE"),
    Option("seed", non_negative_int, D["seed"], "seed of the initial weights, the splits, shuffling and dropout", "N"),
    Option("dtype", choice("float64", "float32"), D["dtype"], "float64 or float32", "NAME"),
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


def is_table(data: str) -> bool:
    """A CSV or Parquet file (or "-", a CSV file on standard input), not a built-in data set."""
    return data == "-" or Path(data).suffix.lower() in TABLE_SUFFIXES and data not in datasets.DATASETS


#: The settings that apply to tables only, and what they are when not given.
TABLE_ONLY = ("delimiter", "encoding", "na_values", "id", "drop", "categorical", "impute", "missing_indicator", "max_categories")


def table_parts(s: dict) -> tuple[dict[str, tabular.TabularData], list[str]]:
    """(``{"train": ..., "validation": ..., "test": ...}``, notes) of the table ``s["data"]``:
    its columns' roles and its labelled rows, split as :func:`tabular.split` does."""
    table = read_table(s["data"], delimiter=s["delimiter"], encoding=s["encoding"], na_values=s["na_values"])
    data = tabular.tabular_data(table, label=s["label"], ids=s["id"], drop=s["drop"], categorical=s["categorical"])
    return tabular.split(data, s, spell=flag), data.notes


def check_table_only(s: dict) -> None:
    """A setting of TABLE_ONLY given for data that is not a table is a mistake, not a no-op."""
    given = [flag(k) for k in TABLE_ONLY if s.get(k) not in (None, [], tabular.DEFAULTS.get(k))]
    if given and not is_table(s["data"]):
        raise ValueError(f"{', '.join(given)} apply to tables (CSV or Parquet files); {s['data']!r} is not one")


def load_data(data: str, *, label=None, data_dir=None) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """``(examples, test)``: a data set that comes split (the cat files) gives its own test part."""
    if label is not None and not is_table(data):
        raise ValueError(f"--label applies to CSV files; {data!r} is not one")
    if data_dir is not None and data != "cat":
        raise ValueError("--data-dir applies to the cat data set only")
    if data != "-" and data not in datasets.DATASETS and not Path(data).is_file():
        suffix = Path(data).suffix.lower()
        if suffix in (".csv", ".npz", ".h5", ".hdf5"):
            raise FileNotFoundError(f"{data}: no such file")
    if is_table(data):
        return datasets.load_csv(data, **({"label": label} if label is not None else {})), None
    loaded = datasets.load(data, **({"path": data_dir} if data == "cat" else {}))
    return loaded if isinstance(loaded, tuple) else (loaded, None)


def split_data(data: str, *, label=None, data_dir=None, validation_split=0.0, test_split=0.0, seed=1) -> dict:
    """``{"train": ds, "validation": ds, "test": ds}`` (absent parts left out), stratified and seeded."""
    examples, test = load_data(data, label=label, data_dir=data_dir)
    labels = None if examples.task == "regression" else examples.Y[0]
    idx = part_indices(examples.m, labels, validation_split=validation_split, test_split=0.0 if test is not None else test_split, seed=seed,
                       spell=flag)  # fmt: skip
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
    or None when the data has none) and ``ids`` (identifier columns ``(m,)`` by name, carried into predictions)."""

    inputs: dict[str, np.ndarray]
    labels: np.ndarray | None
    ids: dict[str, np.ndarray]
    m: int

    def subset(self, idx: np.ndarray) -> Rows:
        inputs = {k: v[idx] for k, v in self.inputs.items()}
        labels = None if self.labels is None else self.labels[..., idx]
        return Rows(inputs, labels, {k: v[idx] for k, v in self.ids.items()}, len(idx))

    def concat(self, other: Rows) -> Rows:
        def join(a, b):
            return np.concatenate([a, b], axis=-1)

        inputs = {k: join(v, other.inputs[k]) for k, v in self.inputs.items()}
        labels = None if self.labels is None or other.labels is None else join(self.labels, other.labels)
        return Rows(inputs, labels, {}, self.m + other.m)

    def strata(self, model) -> np.ndarray | None:
        """What a split of these rows is stratified by (the labels; none for regression)."""
        return None if model.task == "regression" or self.labels is None else self.labels

    def labelled(self, notes: list[str] | None = None) -> Rows:
        """The rows that have a label (a note counts the others)."""
        labels = np.asarray(self.labels)
        missing = np.isnan(labels).any(axis=0) if labels.dtype.kind == "f" else np.array([v is None for v in labels.reshape(-1)])
        if not missing.any():
            return self
        if notes is not None:
            notes.append(f"note: {int(missing.sum())} of {self.m} rows have no label: left out")
        return self.subset(np.flatnonzero(~missing))


def model_rows(model, data: str, *, label=None, id_columns=None, data_dir=None, delimiter=None, encoding=None,
               notes=None) -> tuple[Rows, Rows | None]:  # fmt: skip
    """``(examples, test)`` of ``data`` for ``model``: a table (CSV, Parquet; ``"-"``: a CSV file on
    standard input) has its columns matched to the model's features by name (extra ones ignored,
    with a line in ``notes``; a missing one named in the error), its labels in ``label`` or the
    model's label column, if present, and its identifiers in ``id_columns`` (default: the
    model's ``--id`` columns that the file has); a built-in set or an .npz/.h5 file gives its own
    examples and labels."""
    if is_table(data):
        return _table_rows(model, data, label, id_columns, delimiter, encoding, notes), None
    if id_columns:
        raise ValueError(f"--id applies to tables (CSV or Parquet files); {data!r} is not one")
    if delimiter is not None or encoding is not None:
        raise ValueError(f"--delimiter and --encoding apply to CSV files; {data!r} is not one")
    examples, test = load_data(data, label=label, data_dir=data_dir)
    return _dataset_rows(model, examples, data), None if test is None else _dataset_rows(model, test, data)


def _table_rows(model, data: str, label, id_columns, delimiter, encoding, notes) -> Rows:
    categorical = set(model.categorical)
    table = read_table(data, delimiter=delimiter, encoding=encoding, text=categorical, na_values=model.info.get("run", {}).get("na_values", []),
                       numeric=[f for f in model.features if f not in categorical])  # fmt: skip
    name = label_name(table, label) if label is not None else model.label
    missing = [f for f in model.features if f not in table]
    if missing:
        raise ValueError(f"{table.source}: no column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, which the model "
                         f"takes (its features: {', '.join(model.features)}); the file has {', '.join(table.names)}")  # fmt: skip
    if id_columns is None:
        id_columns = [c for c in model.info.get("run", {}).get("id", []) if c in table]
    absent = [c for c in id_columns if c not in table]
    if absent:
        raise ValueError(f"{table.source}: no --id column {absent[0]!r}; the columns are {', '.join(table.names)}")
    ids = {c: table[c] for c in id_columns}
    used = {*model.features, name, *id_columns}
    extra = [c for c in table.names if c not in used]
    if extra and notes is not None:
        notes.append(f"note: {table.source}: ignoring column{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} (not a feature of the model)")
    labels = None
    if name is not None and name in table:
        labels = table[name]
        if model.task == "regression":
            labels = _numbers_of(table, name).reshape(1, -1)
        elif model.classes.dtype.kind == "U":
            labels = np.array([None if v is None else str(v) for v in labels.tolist()], dtype=object) if labels.dtype.kind == "f" else labels
    return Rows({f: table[f] for f in model.features}, labels, ids, table.m)


def _numbers_of(table, name: str) -> np.ndarray:
    column = table[name]
    if column.dtype.kind != "f":
        i = next(i for i, v in enumerate(column) if v is not None)
        raise ValueError(f"{table.source}: row {i + 2}, column {name!r}: {column[i]!r} is not a number (the model predicts numbers)")
    return column


def _dataset_rows(model, ds: datasets.Dataset, data: str) -> Rows:
    if ds.feature_names is not None and set(model.features) <= set(ds.feature_names):
        inputs = {name: ds.X[i] for i, name in enumerate(ds.feature_names)}
    elif ds.n_x == model.n_features:
        inputs = dict(zip(model.features, ds.X, strict=True))
    else:
        raise ValueError(f"the data {data!r} has {ds.n_x} features; the model takes {model.n_features}")
    if model.task == "regression" and ds.task != "regression" or model.task != "regression" and ds.task == "regression":
        raise ValueError(f"the data {data!r} is for {ds.task}; the model does {model.task}")
    return Rows(inputs, user_labels(ds), {}, ds.m)


def run_rows(model, args, notes=None) -> tuple[Rows, str]:
    """The part of ``args.data`` that ``--split`` asks for, split as in the model's training run."""
    examples, test = model_rows(model, args.data, label=args.label, id_columns=getattr(args, "id", None), data_dir=args.data_dir,
                                delimiter=args.delimiter, encoding=args.encoding, notes=notes)  # fmt: skip
    split = args.split or ("test" if test is not None else "all")
    if split == "all":
        return (examples if test is None else examples.concat(test)), split
    run = model.info.get("run", {})
    if "seed" not in run:
        raise ValueError(f"{args.model} does not record how its data was split; use --split all")
    if split == "test" and test is not None:
        return test, split
    if examples.labels is None:
        raise ValueError(f"{args.data}: no label column {model.label!r} to split by as in training; use --split all")
    examples = examples.labelled()  # training split the labelled rows
    idx = part_indices(examples.m, examples.strata(model), validation_split=run.get("validation_split", 0.0),
                       test_split=0.0 if test is not None else run.get("test_split", 0.0), seed=run["seed"], spell=flag)  # fmt: skip
    if split not in idx:
        raise ValueError(f"the run of {args.model} had no {split} split; choose among {', '.join(['all', *idx, *(['test'] if test else [])])}")
    return examples.subset(idx[split]), split


def report_unseen(caught) -> None:
    """One line on standard error per warning about categories not seen in training."""
    for w in caught:
        if issubclass(w.category, UnseenCategoryWarning):
            print(f"note: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
