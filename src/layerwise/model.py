"""``Model``: the trained artefact, everything prediction needs around one ``Network``.

    raw features --schema--> (n_features, m) --pipeline--> X (n_x, m) --network--> AL (n_y, m)
        --> labels in the user's classes (classification) / target.inverse_transform (regression)

A model holds the input schema (the feature names, in training order), the fitted input
``Pipeline``, the fitted target ``Pipeline`` (regression), the network, the class labels and
the label column's name. Raw features come in as an ``(n_features, m)`` array in training
order (the course's columns), a pandas DataFrame (rows are examples, columns matched by name,
extra columns ignored) or a mapping of column name -> ``(m,)`` values; answers to a DataFrame
or a mapping have rows as examples, answers to an array have columns.

Model files: ``layerwise.save(model, path)`` and ``layerwise.load(path)`` (``layerwise.io``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import metrics, tasks
from .callbacks import History
from .network import Network
from .data.tables import Table, as_table, feature_rows
from .preprocessing import OneHotEncoder, Pipeline


class Model:
    """A network with its schema, fitted preprocessing, task and class labels.

    Arguments:
        network: the ``Network`` (trained or to be trained by :meth:`fit`).
        features: the raw input feature names in training order (default ``x1..xn``, or the
            DataFrame's columns at :meth:`fit`).
        pipeline: input steps, fitted or to be fitted by :meth:`fit` (default: none).
        target: target steps (regression), undone on predictions (default: none).
        classes: the user's labels ``(n_classes,)``, index k = the network's class k; numbers
            stay numbers (default ``0..n_classes-1``); None for regression.
        label: the name of the label column the model was trained with.
        info: JSON data kept with the model (data set name, run settings), not used to predict.
    """

    def __init__(self, network: Network, *, features: Sequence[str] | None = None, pipeline: Pipeline | None = None,
                 target: Pipeline | None = None, classes=None, label: str | None = None, info: dict | None = None):  # fmt: skip
        if not isinstance(network, Network):
            raise TypeError(f"network is {type(network).__name__}; expected a layerwise Network")
        self.network = network
        self.pipeline = _pipeline("pipeline", pipeline)
        self.target = _pipeline("target", target)
        if self.target.steps and self.task != "regression":
            raise ValueError("target steps apply to regression only")
        if features is None and self.pipeline.fitted:
            features = self.pipeline.names_in_
        if features is None and not self.pipeline.steps:
            features = [f"x{i + 1}" for i in range(network.n_x)]
        self.features: list[str] | None = None if features is None else _names("features", features)
        if self.features is not None and not self.pipeline.steps and len(self.features) != network.n_x:
            raise ValueError(f"features has {len(self.features)} names; the network takes n_x = {network.n_x}")
        if not self.pipeline.steps and self.features is not None:
            self.pipeline.names_in_ = list(self.features)  # nothing to learn: fitted as it is
        if self.pipeline.fitted:
            self._check_fitted_pipeline()
        self.classes = self._check_classes(classes)
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label is {label!r}; expected the label column's name (a string) or None")
        self.label = label
        if info is not None and not isinstance(info, dict):
            raise TypeError(f"info is {type(info).__name__}; expected a dict of JSON data")
        self.info: dict = {} if info is None else info

    def _check_fitted_pipeline(self) -> None:
        if self.pipeline.names_in_ != self.features:
            raise ValueError(f"the pipeline was fitted on features {self.pipeline.names_in_}; the model's are {self.features}")
        n_out = len(self.pipeline.names_out_)
        if n_out != self.network.n_x:
            raise ValueError(f"the pipeline makes {n_out} inputs; the network takes n_x = {self.network.n_x}")

    def _check_classes(self, classes) -> np.ndarray | None:
        n = tasks.n_classes_of(self.task, self.network.n_y)
        if n is None:
            if classes is not None:
                raise ValueError("a regression model has no classes; pass classes=None")
            return None
        if classes is None:
            return np.arange(n)
        c = np.asarray(list(classes) if not isinstance(classes, np.ndarray) else classes)
        if c.dtype.kind == "O":
            c = c.astype(str)
        if c.ndim != 1 or c.size != n or c.dtype.kind not in "iufU":
            raise ValueError(f"classes is {_short(classes)}; expected {n} labels (numbers or strings), one per class of the network")
        if np.unique(c).size != n:
            raise ValueError(f"classes {c.tolist()} repeats a label")
        return c

    def __repr__(self) -> str:
        classes = "" if self.classes is None else f", classes={self.classes.tolist()}"
        return f"Model({self.network!r}, features={self.n_features}, pipeline={self.pipeline!r}{classes}, label={self.label!r})"

    # ---- description; the network's own attributes, delegated --------------------------------

    @property
    def task(self) -> str:
        """"binary", "multiclass" or "regression" (from the network's loss)."""
        return self.network.task

    @property
    def categorical(self) -> list[str]:
        """The features the pipeline one-hot encodes (text columns)."""
        return [c for step in self.pipeline.steps if isinstance(step, OneHotEncoder) for c in step.columns or ()]

    @property
    def n_features(self) -> int | None:
        """The number of raw input features (None before a model without names is fitted)."""
        return None if self.features is None else len(self.features)

    n_x = property(lambda self: self.network.n_x, doc="The network's input size (after the pipeline).")
    n_y = property(lambda self: self.network.n_y, doc="The network's output units.")
    layer_dims = property(lambda self: self.network.layer_dims)
    parameters = property(lambda self: self.network.parameters)
    activations = property(lambda self: self.network.activations)
    loss = property(lambda self: self.network.loss)
    dtype = property(lambda self: self.network.dtype)
    metric_name = property(lambda self: self.network.metric_name)

    @property
    def history_(self) -> History | None:
        return self.network.history_

    @history_.setter
    def history_(self, history: History | None) -> None:
        self.network.history_ = history

    def config(self) -> dict:
        """The network's architecture (``Network(**config)`` rebuilds it)."""
        return self.network.config()

    def forward(self, X, _checked: bool = False):
        """The course's forward pass on the network's input ``X: (n_x, m)`` (see :meth:`transform`)."""
        return self.network.forward(X, _checked)

    def cost(self, AL, Y, lambd: float = 0.0) -> float:
        return self.network.cost(AL, Y, lambd)

    def backward(self, AL, Y, caches, lambd: float = 0.0, return_dA: bool = False):
        return self.network.backward(AL, Y, caches, lambd, return_dA)

    # ---- from raw features to the network's input -----------------------------------------------

    def raw(self, X) -> tuple[np.ndarray, bool]:
        """``(R, rows)``: ``R (n_features, m)``, the model's features in training order, from an
        array, a DataFrame or a mapping; ``rows`` tells whether answers go as rows (not an array)."""
        if _is_table(X):
            if self.features is None:
                raise ValueError("this model has no feature names yet: fit it first, or pass an (n_features, m) array")
            table = as_table(X, "X")
            missing = [f for f in self.features if f not in table]
            if missing:
                raise ValueError(f"X lacks the column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                                 f"the model was trained on (it takes {self.features})")  # fmt: skip
            return feature_rows(table, self.features, self.categorical), True
        if isinstance(X, (str, bytes)) or X is None:
            raise TypeError(f"X is {type(X).__name__}; expected an (n_features, m) array, a DataFrame or a mapping of columns")
        try:
            R = np.asarray(X)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"X could not be read as a 2-D array: {exc}") from None
        if R.ndim != 2:
            raise ValueError(f"X has shape {R.shape}; expected (n_features, m): one column per example")
        n = self.n_features if self.n_features is not None else self.network.n_x
        if R.shape[0] != n:
            if R.shape[1] == n:
                raise ValueError(f"X has shape {R.shape}; expected ({n}, m) with examples as columns: it looks transposed, "
                                 "use X.T (or pass a DataFrame, rows as examples)")  # fmt: skip
            names = "" if self.features is None else f": {', '.join(self.features[:10])}{', ...' if n > 10 else ''}"
            raise ValueError(f"X has {R.shape[0]} rows (features); the model takes {n}{names} (one column per example)")
        if self.features is not None and R.dtype.kind not in "iuf":
            R = feature_rows(as_table(dict(zip(self.features, R, strict=True)), "X"), self.features, self.categorical)
        return R, False

    def transform(self, X) -> np.ndarray:
        """The network's input ``(n_x, m)`` for raw features ``X``: the schema, then the pipeline."""
        R, _ = self.raw(X)
        return self._input(R)

    def _input(self, R: np.ndarray) -> np.ndarray:
        if not self.pipeline.fitted:
            raise RuntimeError("the model's preprocessing is not fitted: call model.fit(X, y) or model.fit_preprocessing(X) first")
        Z = self.pipeline.transform(R)
        if Z.dtype.kind in "iuf" and Z.ndim == 2 and Z.size and not np.isfinite(Z).all():
            row, col = (int(i) for i in np.argwhere(~np.isfinite(Z))[0])
            name = self.pipeline.names_out_[row] if len(self.pipeline.names_out_ or ()) > row else f"x{row + 1}"
            raise ValueError(f"X has {Z[row, col].item()} at feature {name!r}, example {col}; expected finite numbers")
        return self.network.check_X(Z)

    # ---- predicting ---------------------------------------------------------------------------

    def output(self, X) -> np.ndarray:
        """The network's output ``AL: (n_y, m)`` for raw features ``X`` (binary: P(classes[1]))."""
        return self.network.predict_proba(self.transform(X))

    def predict(self, X) -> np.ndarray:
        """Labels in ``classes`` (classification) or targets in their own units (regression).

        Array ``X`` -> ``(1, m)`` (regression ``(n_y, m)``); DataFrame / mapping -> ``(m,)``
        (regression with several targets ``(m, n_y)``).
        """
        R, rows = self.raw(X)
        AL = self.network.predict_proba(self._input(R))
        if self.task == "regression":
            out = self.target.inverse_transform(AL) if self.target.steps else AL
            return (out[0] if out.shape[0] == 1 else out.T) if rows else out
        labels = self.classes[self.network.output_to_prediction(AL)[0]]
        return labels if rows else labels.reshape(1, -1)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities: array ``X`` -> ``(n_classes, m)``, row k = P(classes[k]) (binary:
        two rows, ``1 - p`` and ``p``); DataFrame / mapping -> ``(m, n_classes)``."""
        if self.task == "regression":
            raise ValueError("predict_proba needs a classifier; a regression model predicts values (use predict)")
        R, rows = self.raw(X)
        AL = self.network.predict_proba(self._input(R))
        P = np.vstack([1 - AL, AL]) if self.task == "binary" else AL
        return P.T if rows else P

    # ---- labels -------------------------------------------------------------------------------

    def encode(self, y) -> np.ndarray:
        """The network's targets for the user's ``y``: class indices ``(1, m)`` of labels in
        ``classes``; regression targets ``(n_y, m)`` with the target steps applied."""
        y = np.asarray(y)
        if self.task == "regression":
            Y = y.reshape(1, -1) if y.ndim == 1 else y
            if Y.ndim != 2 or Y.dtype.kind not in "iuf":
                raise ValueError(f"y is {y.dtype} {y.shape}; expected numeric targets (m,) or (n_y, m)")
            Y = Y.astype(np.float64)
            return self.target.transform(Y) if self.target.fitted and self.target.steps else Y
        y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
        if y.ndim != 1:
            raise ValueError(f"y has shape {y.shape}; expected one label per example, (m,) or (1, m)")
        values = y.astype(str) if self.classes.dtype.kind == "U" and y.dtype.kind in "OSU" else y
        order = np.argsort(self.classes, kind="stable")
        try:
            pos = np.clip(np.searchsorted(self.classes[order], values), 0, len(order) - 1)
            found = self.classes[order][pos] == values
        except (TypeError, np.exceptions.DTypePromotionError):
            found = np.zeros(y.shape, dtype=bool)
            pos = np.zeros(y.shape, dtype=np.int64)
        if not np.all(found):
            unknown = list(dict.fromkeys(np.asarray(y)[~found].tolist()))[:5]
            raise ValueError(f"y has labels {unknown} that are not among the model's classes {self.classes.tolist()}")
        return order[pos].reshape(1, -1).astype(np.int64)

    # ---- training and scoring -------------------------------------------------------------------

    def fit_preprocessing(self, X, y=None) -> Model:
        """Fit the steps not fitted yet: the input steps on raw ``X``, the target steps on ``y``
        (regression). The training examples only: validation and test data are transformed
        with what was learnt here."""
        if self.features is None:
            self.features = [str(c) for c in X.keys()] if _is_table(X) else [f"x{i + 1}" for i in range(np.shape(X)[0])]
        if not self.pipeline.fitted:
            self.pipeline.fit(self.raw(X)[0], self.features)
            self._check_fitted_pipeline()
        if self.task == "regression" and self.target.steps and not self.target.fitted and y is not None:
            self.target.fit(self.encode(y), [f"y{i + 1}" for i in range(self.network.n_y)])
        return self

    def fit(self, X, y, *, validation_data: tuple | None = None, **fit_kwargs) -> History:
        """Fit the steps not fitted yet on ``X`` (and ``y``: target steps), then train the network
        on ``transform(X)``; ``validation_data=(X_val, y_val)`` is raw too. The other keyword
        arguments are ``Network.fit``'s. Returns the ``History``."""
        self.fit_preprocessing(X, y)
        R, _ = self.raw(X)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            validation_data = (self.transform(validation_data[0]), self.encode(validation_data[1]))
        return self.network.fit(self._input(R), self.encode(y), validation_data=validation_data, **fit_kwargs)

    def evaluate(self, X, y) -> dict:
        """The report ``layerwise evaluate`` prints (see :mod:`layerwise.metrics`): accuracy,
        precision / recall / F1 and the confusion matrix, or MSE, RMSE, MAE and R^2."""
        R, _ = self.raw(X)
        AL = self.network.forward(self._input(R), _checked=True)[0]  # a diverged model scores inf or NaN, not an error
        if self.task == "regression":
            Y = np.asarray(y, dtype=np.float64)
            Y = Y.reshape(1, -1) if Y.ndim == 1 else Y
            out = self.target.inverse_transform(AL) if self.target.steps else AL
            if Y.shape != out.shape:
                raise ValueError(f"y has shape {Y.shape}; expected {out.shape}")
            return metrics.regression_report(Y, out)
        truth = self.encode(y)[0]
        if truth.size != AL.shape[1]:
            raise ValueError(f"y has {truth.size} labels for {AL.shape[1]} examples")
        return metrics.classification_report(truth, self.network.output_to_prediction(AL)[0], self.classes.astype(str))

    def accuracy(self, X, y) -> float:
        """Fraction of examples classified correctly (in [0, 1])."""
        if self.task == "regression":
            raise ValueError("accuracy needs a classification output; use score for regression (R^2)")
        return self.score(X, y)

    def score(self, X, y) -> float:
        """Accuracy (classification) or R^2 (regression) on raw ``X`` and the user's ``y``."""
        report = self.evaluate(X, y)
        return report["r2"] if self.task == "regression" else report["accuracy"]


def _pipeline(name: str, p) -> Pipeline:
    if p is None:
        return Pipeline()
    if not isinstance(p, Pipeline):
        raise TypeError(f"{name} is {type(p).__name__}; expected a layerwise.preprocessing.Pipeline")
    return p


def _names(what: str, names) -> list[str]:
    if isinstance(names, (str, bytes)) or not isinstance(names, (Sequence, np.ndarray)):
        raise TypeError(f"{what} is {_short(names)}; expected a list of names")
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise ValueError(f"{what} repeats a name: {sorted({n for n in names if names.count(n) > 1})}")
    return names


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_table(X) -> bool:
    """A pandas DataFrame (or anything with named columns), a layerwise Table or a mapping of columns."""
    return isinstance(X, (Mapping, Table)) or (hasattr(X, "columns") and hasattr(X, "keys") and hasattr(X, "iloc"))
