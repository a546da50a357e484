"""From a table of raw columns to a trained model: the columns' roles, the label's task and
classes, the preprocessing the features need, the network, the training run. ``layerwise
train`` on a CSV or Parquet file and :func:`fit_table` on a DataFrame both go through here, with
the same :data:`DEFAULTS`, so the shell and Python give the same model.

    table (DataFrame | Table | mapping of columns)
      -> tabular_data: roles (label, ids, dropped, features: numeric / categorical), rows whose
         label is missing dropped, task and classes of the label
      -> tabular_pipeline: [one_hot] -> impute -> [standardize]; the target standardised for
         regression (undone on predictions)
      -> build_model (the pipeline fitted on the training rows, the network the task calls for)
      -> Model.fit with fit_arguments(settings)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import preprocessing, tasks
from .data.dataset import _encode_labels
from .data.roles import Roles, column_roles, labelled_rows, where
from .data.splits import part_indices
from .data.tables import Table, as_table, feature_rows
from .model import Model
from .network import Network
from .preprocessing import Pipeline

#: Numeric features whose spreads differ by this factor or more are standardised by default.
SCALE_RATIO = 100.0

#: The settings of a training run, as ``layerwise train`` names them (its flags, its TOML keys)
#: and as :func:`fit_table` takes them. ``learning_rate`` None: :func:`tasks.default_learning_rate`;
#: ``standardize`` None: when :func:`scales_differ`; ``init`` None: xavier for tanh / sigmoid
#: hidden layers, he otherwise; ``output`` None: the task's.
DEFAULTS: dict[str, object] = {
    "label": None, "id": [], "drop": [], "categorical": [], "impute": "median", "missing_indicator": False,
    "max_categories": None, "standardize": None, "layers": [4], "hidden": "tanh", "output": None, "init": None,
    "learning_rate": None, "iterations": 5000, "optimizer": "gd", "batch_size": None, "lambd": 0.0, "keep_prob": 1.0,
    "validation_split": 0.2, "test_split": 0.0, "early_stopping": None, "seed": 1, "dtype": "float64",
}  # fmt: skip


@dataclass(eq=False)
class TabularData:
    """The rows of a table that have a label, split by role.

    ``features``: the feature columns (a :class:`Table`, in the file's order); ``y``: raw labels
    ``(m,)`` (str, or float); ``ids``: the identifier columns (a Table); ``task`` and
    ``classes`` of the label (``classes`` None for regression); ``notes``: what was left out
    and why, for the user.
    """

    features: Table
    y: np.ndarray
    task: str
    classes: np.ndarray | None
    roles: Roles
    ids: Table
    notes: list[str] = field(default_factory=list)

    @property
    def m(self) -> int:
        return len(self.y)

    def subset(self, idx: np.ndarray) -> TabularData:
        """The rows at ``idx``."""
        return TabularData(self.features.rows(idx), self.y[idx], self.task, self.classes, self.roles, self.ids.rows(idx), self.notes)

    def inputs(self) -> np.ndarray:
        """The raw features as rows, ``(n_features, m)``: what :meth:`Model.fit` and ``predict`` take."""
        return feature_rows(self.features, self.roles.features, self.roles.categorical)

    def strata(self) -> np.ndarray | None:
        """What a split of the rows is stratified by: the labels (classification), else None."""
        return None if self.task == "regression" else self.y


def tabular_data(
    data,
    *,
    label: str | int | None = None,
    ids: Sequence[str] = (),
    drop: Sequence[str] = (),
    categorical: Sequence[str] = (),
    task: str | None = None,
) -> TabularData:
    """Split ``data`` (a DataFrame, a :class:`Table` or a mapping of columns) into features,
    label and identifiers (see :func:`~layerwise.data.roles.column_roles`); rows with a missing
    label are dropped and counted in the notes. ``task`` overrides the label's inferred task."""
    table = as_table(data)
    roles = column_roles(table, label=label, ids=ids, drop=drop, categorical=categorical)
    rows, dropped = labelled_rows(table, roles.label)
    notes = list(roles.notes)
    if dropped:
        notes.append(f"{dropped} of {table.m} rows have no {roles.label!r} (the label): left out")
        table = table.rows(rows)
    y = table[roles.label]
    if y.dtype.kind == "O":
        y = y.astype(str)
    elif np.isinf(y).any():
        raise ValueError(f"{table.source}: the label column {roles.label!r} holds an infinite value")
    for n in roles.features:
        column = table[n]
        if column.dtype.kind == "f" and np.isinf(column).any():
            i = int(np.flatnonzero(np.isinf(column))[0])
            raise ValueError(f"{table.source}: {where(table, int(rows[i]))}, column {n!r}: {column[i]} is infinite; expected a number or an empty cell")
    _, task, names = _encode_labels(y, task)
    classes = None
    if task != "regression":
        classes = np.array(names) if y.dtype.kind == "U" else np.unique(y).astype(np.int64)
    return TabularData(table.select(roles.features), y, task, classes, roles, table.select(roles.ids), notes)


def scales_differ(X: np.ndarray, names: Sequence[str]) -> tuple[bool, str]:
    """(whether the spreads of the features ``X (n, m)`` (NaN: missing) differ by SCALE_RATIO or
    more, a note saying so); constant features do not count."""
    spreads = {}
    for name, row in zip(names, np.asarray(X, dtype=np.float64), strict=True):
        present = row[~np.isnan(row)]
        spread = float(np.std(present)) if present.size > 1 else 0.0
        if spread > 0:
            spreads[name] = spread
    if len(spreads) < 2:
        return False, ""
    small, large = min(spreads, key=spreads.get), max(spreads, key=spreads.get)
    ratio = spreads[large] / spreads[small]
    if ratio < SCALE_RATIO:
        return False, ""
    return True, (f"the features' scales differ by a factor of {ratio:.2g} (std of {large!r} {spreads[large]:.3g}, "
                  f"of {small!r} {spreads[small]:.3g}): standardising them (--no-standardize keeps them as they are)")  # fmt: skip


def tabular_pipeline(data: TabularData, settings: dict) -> tuple[Pipeline, Pipeline, list[str]]:
    """(input pipeline, target pipeline, notes), unfitted, for ``data`` and the ``settings``
    ``impute``, ``missing_indicator``, ``max_categories``, ``standardize`` (see :data:`DEFAULTS`)."""
    standardize, notes = settings["standardize"], []
    if standardize is None:
        numeric = [n for n in data.roles.features if n not in data.roles.categorical]
        standardize, note = scales_differ(feature_rows(data.features, numeric), numeric)
        notes += [note] if note else []
    pipeline = preprocessing.build_pipeline(
        standardize=standardize, categorical=data.roles.categorical, impute=settings["impute"],
        missing_indicator=settings["missing_indicator"], max_categories=settings["max_categories"],
    )  # fmt: skip
    return pipeline, preprocessing.build_target_pipeline(data.task), notes


def build_model(train: TabularData, settings: dict, info: dict | None = None) -> tuple[Model, list[str]]:
    """(the untrained model for ``train``, notes): its input pipeline fitted on ``train``'s
    features, the network ``settings`` describe for the task, the classes and the schema."""
    pipeline, target, notes = tabular_pipeline(train, settings)
    pipeline.fit(train.inputs(), train.roles.features)
    notes += [note for step in pipeline.steps for note in getattr(step, "notes_", [])]
    output = settings["output"] or tasks.output_activation(train.task)
    if (output == "linear") != (train.task == "regression"):
        raise ValueError(f"the label {train.roles.label!r} is for {train.task}; a {output} output does not fit it")
    if train.classes is not None and np.unique(train.y).size < 2:
        raise ValueError(f"the training rows are all of one class ({np.asarray(train.y)[0].item()!r}); a classifier needs at least 2")
    if output == "sigmoid" and len(train.classes) > 2:
        raise ValueError(f"the label {train.roles.label!r} has {len(train.classes)} classes; a sigmoid output separates 2 (use --output softmax)")
    n_y = len(train.classes) if output == "softmax" else 1 if output == "sigmoid" else tasks.n_outputs(train.task)
    init = settings["init"] or ("xavier" if settings["hidden"] in ("tanh", "sigmoid") else "he")
    net = Network([len(pipeline.names_out_), *settings["layers"], n_y], hidden=settings["hidden"], output=output, init=init,
                  seed=settings["seed"], dtype=settings["dtype"])  # fmt: skip
    info = {} if info is None else info
    if "run" in info:
        info["run"].update(init=init, output=output)
    model = Model(net, features=train.roles.features, pipeline=pipeline, target=target, classes=train.classes,
                  label=train.roles.label, info=info)  # fmt: skip
    return model, notes


def fit_arguments(settings: dict, task: str) -> dict:
    """The keyword arguments of :meth:`Model.fit` for a run with ``settings``."""
    learning_rate = settings["learning_rate"]
    if learning_rate is None:
        learning_rate = tasks.default_learning_rate(task, settings["optimizer"])
    return {"learning_rate": learning_rate, "num_iterations": settings["iterations"], "optimizer": settings["optimizer"],
            "batch_size": settings["batch_size"], "lambd": settings["lambd"], "keep_prob": settings["keep_prob"],
            "early_stopping": settings["early_stopping"]}  # fmt: skip


def split(data: TabularData, settings: dict, spell=str) -> dict[str, TabularData]:
    """``{"train": ..., "validation": ..., "test": ...}`` (absent parts left out), as the CLI splits
    (``spell``: how messages name the settings, see :func:`~layerwise.data.splits.part_indices`)."""
    idx = part_indices(data.m, data.strata(), validation_split=settings["validation_split"],
                       test_split=settings["test_split"], seed=settings["seed"], spell=spell)  # fmt: skip
    return {name: data.subset(i) for name, i in idx.items()}


def fit_table(data, label: str | int | None = None, **settings) -> Model:
    """Train a model on a table as ``layerwise train --data FILE`` does, with the same defaults.

    ``data``: a pandas DataFrame (rows are examples), a :class:`Table` or a mapping of columns;
    ``label``: the label column (default: the last). The other settings are :data:`DEFAULTS`'
    keys, e.g. ``id=["patient"]``, ``layers=[8]``, ``impute="mean"``. The model is trained on the
    training part (``validation_split`` of the labelled rows held out, stratified, seeded);
    ``model.info["notes"]`` says what was left out or decided, ``model.history_`` how it went.
    """
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"fit_table got unknown settings {unknown}; known: {', '.join(DEFAULTS)}")
    s = {**DEFAULTS, **settings, "label": label}
    table = tabular_data(data, label=label, ids=s["id"], drop=s["drop"], categorical=s["categorical"])
    parts = split(table, s)
    model, notes = build_model(parts["train"], s, info={"run": {k: v for k, v in s.items()}})
    model.info["notes"] = table.notes + notes
    validation = (parts["validation"].inputs(), parts["validation"].y) if "validation" in parts else None
    model.fit(parts["train"].inputs(), parts["train"].y, validation_data=validation, **fit_arguments(s, table.task))
    return model


__all__ = ["DEFAULTS", "SCALE_RATIO", "TabularData", "build_model", "fit_arguments", "fit_table", "scales_differ", "split",
           "tabular_data", "tabular_pipeline"]  # fmt: skip
