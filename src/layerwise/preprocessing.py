"""Fitted preprocessing: small typed steps in an ordered ``Pipeline``, saved as arrays.

A step maps raw features ``X: (n_in, m)`` (rows are features, as everywhere in layerwise) to
``(n_out, m)``. It is fitted once, on the training examples, and its fitted state is a few
typed arrays plus a small JSON config, so a model file holds it without pickles:

    step.fit(X, names) -> step          learn from X (n_in, m); names: the n_in input names
    step.transform(X) -> (n_out, m)     step.names_out_: the n_out output names
    step.inverse_transform(Y)           where it exists (target steps undo theirs on predictions)
    step.to_arrays() -> (arrays, config)
    Step.from_arrays(arrays, config, names_in) -> fitted step, every shape and value checked

Steps are registered by name in :data:`STEPS` (``@register_step``), which the model file
reader uses to rebuild them. :func:`build_pipeline` is the one place that turns options
(``standardize=True``) into steps; every front-end calls it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

STEPS: dict[str, type[Step]] = {}


def register_step(cls: type[Step]) -> type[Step]:
    """Class decorator: make ``cls`` findable by ``cls.name`` (model files name their steps)."""
    STEPS[cls.name] = cls
    return cls


def get_step(name: str) -> type[Step]:
    if name not in STEPS:
        raise ValueError(f"unknown preprocessing step {name!r}; expected one of {sorted(STEPS)}")
    return STEPS[name]


class Step:
    """The protocol of a preprocessing step (see the module docstring); subclasses set ``name``."""

    name: ClassVar[str] = ""
    names_out_: list[str] | None = None

    @property
    def fitted(self) -> bool:
        return self.names_out_ is not None

    def fit(self, X: np.ndarray, names: Sequence[str] | None = None) -> Step:
        raise NotImplementedError

    def transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit_transform(self, X: np.ndarray, names: Sequence[str] | None = None) -> np.ndarray:
        return self.fit(X, names).transform(X)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        raise NotImplementedError

    @classmethod
    def array_names(cls, config: dict) -> list[str]:
        """The names of the arrays a fitted step with ``config`` saves (model files check them)."""
        raise NotImplementedError

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], config: dict, names_in: Sequence[str]) -> Step:
        raise NotImplementedError

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X) first")


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    if names is None:
        return [f"x{i + 1}" for i in range(n)]
    names = [str(v) for v in names]
    if len(names) != n:
        raise ValueError(f"{len(names)} feature names for {n} features")
    return names


def _numeric(X, what: str) -> np.ndarray:
    a = np.asarray(X)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{what} needs numbers; got an array of dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{what} takes X (n_features, m); got shape {a.shape}")
    return a


@register_step
class Standardizer(Step):
    """Per-feature standardisation of X (n_x, m): (X - mean_) / std_, both (n_x, 1).

    Fit on the training set only and reuse the statistics; a feature with std 0 keeps std 1.
    The statistics are computed on X scaled by its largest magnitude per feature, so they are
    exact and finite even for values near the float64 limit (1e300).
    """

    name = "standardize"

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, X: np.ndarray, names: Sequence[str] | None = None) -> Standardizer:
        """Learn mean_ and std_ (n_x, 1) from X (n_x, m)."""
        X = _numeric(X, "standardize")
        if X.shape[1] == 0:
            raise ValueError(f"X must be (n_x, m) with m >= 1, got shape {X.shape}")
        mean, std = np.empty((X.shape[0], 1)), np.empty((X.shape[0], 1))
        for i, row in enumerate(X):  # a row at a time: the temporaries are (m,), not a copy of X
            row = row.astype(np.float64, copy=False)
            if not np.isfinite(row).all():
                raise ValueError("standardize needs finite values; X contains NaN or infinity")
            scale = float(np.abs(row).max()) or 1.0
            r = row / scale  # in [-1, 1]: neither the sum nor the squares overflow
            mu = r.mean()
            mean[i], std[i] = mu * scale, np.sqrt(((r - mu) ** 2).mean()) * scale
        self.mean_ = mean
        self.std_ = np.where(std > 0, std, 1.0)
        self.names_out_ = _names(names, X.shape[0])
        return self

    def _stats(self, X) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer is not fitted: call fit(X) first")
        X = _numeric(X, "standardize")
        if X.shape[0] != self.mean_.shape[0]:
            raise ValueError(f"X must be ({self.mean_.shape[0]}, m), got shape {X.shape}")
        return self.mean_, self.std_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean_) / std_, X (n_x, m)."""
        mean, std = self._stats(X)
        return (X - mean) / std

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """X * std_ + mean_, undoing transform."""
        mean, std = self._stats(X)
        return X * std + mean

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """``{"mean": (n, 1), "std": (n, 1)}`` float64, and no config."""
        self._require_fitted()
        return {"mean": self.mean_.astype(np.float64), "std": self.std_.astype(np.float64)}, {}

    @classmethod
    def array_names(cls, config: dict) -> list[str]:
        return ["mean", "std"]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], config: dict, names_in: Sequence[str]) -> Standardizer:
        n = len(names_in)
        if set(arrays) != {"mean", "std"} or config:
            raise ValueError(f"standardize: arrays {sorted(arrays)} and config {config}; expected arrays ['mean', 'std'] and {{}}")
        for key in ("mean", "std"):
            a = arrays[key]
            if a.shape != (n, 1) or a.dtype.kind != "f" or not np.isfinite(a).all():
                raise ValueError(f"standardize: {key} is {a.dtype} {a.shape}; expected finite float64 ({n}, 1)")
        if not (arrays["std"] > 0).all():
            raise ValueError("standardize: std must hold finite numbers > 0")
        s = cls()
        s.mean_, s.std_ = np.array(arrays["mean"], dtype=np.float64), np.array(arrays["std"], dtype=np.float64)
        s.names_out_ = list(names_in)
        return s

    def to_dict(self) -> dict[str, list[float]]:
        """{"mean": [...], "std": [...]} as plain floats, ready for JSON."""
        self._require_fitted()
        return {"mean": self.mean_.ravel().tolist(), "std": self.std_.ravel().tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence[float]], names: Sequence[str] | None = None) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict` output."""
        if len(d["mean"]) != len(d["std"]):
            raise ValueError(f"{len(d['mean'])} means but {len(d['std'])} stds")
        arrays = {key: np.asarray(d[key], dtype=np.float64).reshape(-1, 1) for key in ("mean", "std")}
        return cls.from_arrays(arrays, {}, _names(names, len(d["mean"])))


class Pipeline:
    """Fitted steps applied in order: ``X (n_in, m) -> ... -> (n_out, m)``; empty is the identity."""

    def __init__(self, steps: Sequence[Step] = ()):
        self.steps = list(steps)
        for s in self.steps:
            if not isinstance(s, Step):
                raise TypeError(f"a Pipeline holds preprocessing steps; got {s!r}")
        self.names_in_: list[str] | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"Pipeline([{', '.join(type(s).__name__ for s in self.steps)}])"

    @property
    def fitted(self) -> bool:
        return self.names_in_ is not None and all(s.fitted for s in self.steps)

    @property
    def names_out_(self) -> list[str] | None:
        return self.steps[-1].names_out_ if self.steps else self.names_in_

    def fit(self, X, names: Sequence[str] | None = None) -> Pipeline:
        """Fit, in order, each step not fitted yet, on what the steps before it make of ``X (n_in, m)``."""
        self.names_in_ = _names(names, np.shape(X)[0])
        current, current_names = X, self.names_in_
        for k, s in enumerate(self.steps):
            if not s.fitted:
                s.fit(current, current_names)
            if k < len(self.steps) - 1:  # what the last step makes is not needed here
                current = s.transform(current)
            current_names = s.names_out_
        return self

    def transform(self, X) -> np.ndarray:
        for s in self.steps:
            X = s.transform(X)
        return X

    def inverse_transform(self, X) -> np.ndarray:
        """Undo the steps in reverse order (each must have ``inverse_transform``)."""
        for s in reversed(self.steps):
            X = s.inverse_transform(X)
        return X

    def to_arrays(self, prefix: str) -> tuple[dict[str, np.ndarray], list[dict]]:
        """(``{"<prefix>.<i>.<array>": array}``, ``[{"step": name, "config": {...}}, ...]``)."""
        arrays, configs = {}, []
        for i, s in enumerate(self.steps):
            a, config = s.to_arrays()
            arrays.update({f"{prefix}.{i}.{key}": value for key, value in a.items()})
            configs.append({"step": s.name, "config": config})
        return arrays, configs

    @classmethod
    def from_arrays(cls, prefix: str, arrays: Mapping[str, np.ndarray], configs: Sequence[dict], names_in: Sequence[str]) -> Pipeline:
        """The pipeline :meth:`to_arrays` described; ``ValueError`` for an unknown step or bad arrays."""
        steps, names = [], list(names_in)
        for i, entry in enumerate(configs):
            step_cls = get_step(entry["step"])
            own = {key.split(".", 2)[2]: a for key, a in arrays.items() if key.startswith(f"{prefix}.{i}.")}
            step = step_cls.from_arrays(own, entry["config"], names)
            steps.append(step)
            names = step.names_out_
        p = cls(steps)
        p.names_in_ = list(names_in)
        return p


def one_hot(labels: np.ndarray, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """Integer labels (1, m) in 0..n_classes-1 -> one-hot (n_classes, m) of ``dtype``.

    ``n_classes`` defaults to labels.max() + 1.
    """
    labels = np.asarray(labels)
    integral = labels.dtype.kind in "iu" or labels.dtype.kind == "f" and bool(np.all(labels == np.round(labels)))
    if labels.ndim != 2 or labels.shape[0] != 1 or not integral:
        raise ValueError(f"labels must be integers of shape (1, m), got {labels.dtype} {labels.shape}")
    labels = labels.astype(np.int64)
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return np.ascontiguousarray(np.arange(n_classes)[:, None] == labels, dtype=dtype)


# ----------------------------------------------------------------------------- tabular steps

#: Output-name suffix of a missing-cell column: a categorical column's "missing" category, a
#: numeric column's missing indicator (``"age=<missing>"``).
MISSING = "<missing>"
#: Output-name suffix of the pooled rare categories of a capped categorical column.
OTHER = "<other>"


class UnseenCategoryWarning(UserWarning):
    """Categories not seen in training were met (each mapped to all zeros); ``counts``: column -> cells."""

    def __init__(self, message: str, counts: dict[str, int]):
        super().__init__(message)
        self.counts = counts


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float | np.floating) and v != v)


def category_text(v) -> str | None:
    """A cell as the category it names: None when missing; 3.0 and 3 are both "3"."""
    if _is_missing(v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _rows(X, what: str) -> np.ndarray:
    a = np.asarray(X)
    if a.ndim != 2:
        raise ValueError(f"{what} takes X (n_features, m); got shape {a.shape}")
    return a


def _float_row(row: np.ndarray, name: str) -> np.ndarray:
    """A numeric input row (m,) as float64, NaN where missing; a text cell is a ValueError naming it."""
    if row.dtype.kind in "biuf":
        return row.astype(np.float64, copy=False)
    out = np.empty(row.shape, dtype=np.float64)
    for i, v in enumerate(row):
        if _is_missing(v):
            out[i] = np.nan
        else:
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"column {name!r}, example {i}: {v!r} is not a number "
                                 "(the column was numeric in training)") from None  # fmt: skip
    return out


@register_step
class OneHotEncoder(Step):
    """Categorical rows of X (n_in, m) -> one row per category learnt at fit, others as float64.

    ``columns`` names the categorical input rows (default: every row holding a string). Each
    becomes, in place, the rows ``"name=cat"`` for its categories in sorted order, then
    ``"name=<other>"`` when more than ``max_categories`` were seen (the most frequent
    ``max_categories - 1`` keep their own row, the rest are pooled), then ``"name=<missing>"``
    when training had missing cells there. A category not seen in training (or a missing cell
    where training had none) gives all zeros, counted in ``unseen_`` and an
    :class:`UnseenCategoryWarning`. ``notes_`` says what fit pooled.
    """

    name = "one_hot"

    def __init__(self, columns: Sequence[str] | None = None, max_categories: int | None = None) -> None:
        if max_categories is not None and (isinstance(max_categories, bool) or not isinstance(max_categories, int) or max_categories < 2):
            raise ValueError(f"max_categories is {max_categories!r}; expected an integer >= 2 or None")
        self.columns = None if columns is None else [str(c) for c in columns]
        self.max_categories = max_categories
        self.categories_: dict[str, list[str]] = {}  # column -> categories with their own row
        self.pooled_: dict[str, list[str]] = {}  # column -> categories sharing the <other> row
        self.missing_: dict[str, bool] = {}  # column -> has a <missing> row
        self.names_in_: list[str] | None = None
        self.unseen_: dict[str, int] = {}
        self.notes_: list[str] = []

    def fit(self, X, names: Sequence[str] | None = None) -> OneHotEncoder:
        """Learn each categorical row's categories from X (n_in, m)."""
        X = _rows(X, "one_hot")
        names = _names(names, X.shape[0])
        columns = self.columns
        if columns is None:
            columns = [n for n, row in zip(names, X, strict=True) if row.dtype.kind in "OUS" and any(isinstance(v, str) for v in row)]
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise ValueError(f"one_hot: no input column {unknown[0]!r}; the columns are {names}")
        self.columns, self.names_in_, self.notes_ = list(columns), names, []
        for c in self.columns:
            cells = [category_text(v) for v in X[names.index(c)]]
            present = [v for v in cells if v is not None]
            values, counts = np.unique(np.array(present, dtype=str), return_counts=True) if present else (np.array([], str), np.array([], int))
            own, pooled = [str(v) for v in values], []
            if self.max_categories is not None and len(own) > self.max_categories:
                order = np.lexsort((values, -counts))  # most frequent first, ties alphabetical
                keep = set(order[: self.max_categories - 1].tolist())
                own = [str(v) for i, v in enumerate(values) if i in keep]
                pooled = [str(v) for i, v in enumerate(values) if i not in keep]
                rare = int(counts[order[self.max_categories - 1 :]].max())
                self.notes_.append(f"column {c!r} has {len(values)} categories, more than max_categories={self.max_categories}: "
                                   f"the {len(pooled)} rarest (at most {rare} rows each) share the column {c}={OTHER}")  # fmt: skip
            self.categories_[c], self.pooled_[c] = own, pooled
            self.missing_[c] = len(present) < len(cells)
        self.names_out_ = self._names_out()
        return self

    def _names_out(self) -> list[str]:
        out = []
        for n in self.names_in_:
            if n not in self.categories_:
                out.append(n)
                continue
            out += [f"{n}={v}" for v in self.categories_[n]]
            out += [f"{n}={OTHER}"] if self.pooled_[n] else []
            out += [f"{n}={MISSING}"] if self.missing_[n] else []
        return out

    def transform(self, X) -> np.ndarray:
        """X (n_in, m) -> float64 (n_out, m); other rows converted to numbers (NaN where missing)."""
        self._require_fitted()
        X = _rows(X, "one_hot")
        if X.shape[0] != len(self.names_in_):
            raise ValueError(f"one_hot takes X ({len(self.names_in_)}, m); got shape {X.shape}")
        m = X.shape[1]
        out = np.zeros((len(self.names_out_), m))
        self.unseen_, examples = {}, {}
        r = 0
        for n, row in zip(self.names_in_, X, strict=True):
            if n not in self.categories_:
                out[r] = _float_row(row, n)
                r += 1
                continue
            own, pooled = self.categories_[n], self.pooled_[n]
            code = {v: i for i, v in enumerate(own)}
            code.update(dict.fromkeys(pooled, len(own)))  # the <other> row
            missing = len(own) + bool(pooled) if self.missing_[n] else -1
            codes = np.fromiter((missing if t is None else code.get(t, -1) for t in map(category_text, row)), dtype=np.int64, count=m)
            hit = codes >= 0
            out[r + codes[hit], np.flatnonzero(hit)] = 1.0
            if not hit.all():
                self.unseen_[n] = int((~hit).sum())
                first = category_text(row[np.flatnonzero(~hit)[0]])
                examples[n] = "a missing cell" if first is None else repr(first)
            r += len(own) + bool(pooled) + bool(self.missing_[n])
        if self.unseen_:
            said = "; ".join(f"column {n!r}: {k} (e.g. {examples[n]})" for n, k in self.unseen_.items())
            warnings.warn(UnseenCategoryWarning(f"categories not seen in training, encoded as all zeros: {said}", dict(self.unseen_)), stacklevel=2)
        return out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """``categories`` (unicode, each column's own then pooled categories), ``sizes``, ``pooled``,
        ``missing`` (int64, one per column); config: the columns and max_categories."""
        self._require_fitted()
        flat = [v for c in self.columns for v in self.categories_[c] + self.pooled_[c]]
        arrays = {
            "categories": np.array(flat, dtype=str) if flat else np.zeros(0, dtype="<U1"),
            "sizes": np.array([len(self.categories_[c]) for c in self.columns], dtype=np.int64),
            "pooled": np.array([len(self.pooled_[c]) for c in self.columns], dtype=np.int64),
            "missing": np.array([int(self.missing_[c]) for c in self.columns], dtype=np.int64),
        }
        return arrays, {"columns": list(self.columns), "max_categories": self.max_categories}

    @classmethod
    def array_names(cls, config: dict) -> list[str]:
        return ["categories", "sizes", "pooled", "missing"]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], config: dict, names_in: Sequence[str]) -> OneHotEncoder:
        if set(arrays) != {"categories", "sizes", "pooled", "missing"} or set(config) != {"columns", "max_categories"}:
            raise ValueError(f"one_hot: arrays {sorted(arrays)} and config keys {sorted(config)}; expected arrays "
                             "['categories', 'missing', 'pooled', 'sizes'] and config ['columns', 'max_categories']")  # fmt: skip
        columns = config["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) and c in names_in for c in columns) or len(set(columns)) < len(columns):
            raise ValueError(f"one_hot: config columns {columns!r} must be distinct input names among {list(names_in)}")
        k = len(columns)
        for key in ("sizes", "pooled", "missing"):
            a = arrays[key]
            if a.shape != (k,) or a.dtype.kind not in "iu" or (a < 0).any():
                raise ValueError(f"one_hot: {key} is {a.dtype} {a.shape}; expected non-negative int64 ({k},)")
        if (arrays["missing"] > 1).any():
            raise ValueError("one_hot: missing must hold 0 or 1")
        categories = arrays["categories"]
        total = int(arrays["sizes"].sum() + arrays["pooled"].sum())
        if categories.ndim != 1 or categories.dtype.kind != "U" or len(categories) != total:
            raise ValueError(f"one_hot: categories is {categories.dtype} {categories.shape}; expected unicode ({total},)")
        step = cls(columns, config["max_categories"])
        step.names_in_ = list(names_in)
        start = 0
        for c, size, pooled, missing in zip(columns, arrays["sizes"], arrays["pooled"], arrays["missing"], strict=True):
            values = [str(v) for v in categories[start : start + size + pooled]]
            if len(set(values)) < len(values):
                raise ValueError(f"one_hot: column {c!r} lists a category twice")
            step.categories_[c], step.pooled_[c] = values[:size], values[size:]
            step.missing_[c] = bool(missing)
            start += size + pooled
        step.names_out_ = step._names_out()
        return step


IMPUTE_STRATEGIES = ("median", "mean", "zero")


@register_step
class Imputer(Step):
    """Missing cells (NaN) of X (n, m) filled with each row's training median, mean or zero.

    With ``indicator``, a row ``"name=<missing>"`` (1.0 where the cell was missing) is appended
    for each input row that had missing cells in training. ``values_``: (n, 1) fill values.
    Infinite cells are a ValueError, not a missing value.
    """

    name = "impute"

    def __init__(self, strategy: str = "median", indicator: bool = False) -> None:
        if strategy not in IMPUTE_STRATEGIES:
            raise ValueError(f"impute strategy is {strategy!r}; expected one of {', '.join(IMPUTE_STRATEGIES)}")
        self.strategy, self.indicator = strategy, bool(indicator)
        self.values_: np.ndarray | None = None
        self.indicator_rows_: np.ndarray | None = None  # int64 (k,): input rows with an indicator
        self.names_in_: list[str] | None = None
        self.notes_: list[str] = []

    def _float(self, X, names: Sequence[str]) -> np.ndarray:
        X = _rows(X, "impute")
        if X.dtype.kind in "biuf":
            X = X.astype(np.float64, copy=False)
        else:
            X = np.vstack([_float_row(row, n) for row, n in zip(X, names, strict=True)]) if len(X) else np.zeros(X.shape)
        infinite = np.isinf(X)
        if infinite.any():
            row, example = (int(i) for i in np.argwhere(infinite)[0])
            raise ValueError(f"column {names[row]!r}, example {example}: {X[row, example]} is infinite; expected a finite number or a missing cell")
        return X

    def fit(self, X, names: Sequence[str] | None = None) -> Imputer:
        """Learn the fill values (n, 1) of X (n, m) and which rows get an indicator."""
        names = _names(names, np.shape(X)[0])
        X = self._float(X, names)
        missing = np.isnan(X)
        some = missing.any(axis=1)
        values = np.zeros((X.shape[0], 1))
        present = ~missing.all(axis=1)
        if self.strategy != "zero" and present.any():
            rows = X[present]
            with np.errstate(invalid="ignore"):
                stat = np.nanmedian(rows, axis=1) if self.strategy == "median" else np.nanmean(rows, axis=1)
            values[present, 0] = stat
        self.notes_ = [f"column {n!r} has no value in training; its cells are filled with 0" for n, p in zip(names, present, strict=True) if not p]
        self.values_ = values
        self.indicator_rows_ = np.flatnonzero(some).astype(np.int64) if self.indicator else np.zeros(0, dtype=np.int64)
        self.names_in_ = names
        self.names_out_ = names + [f"{names[i]}={MISSING}" for i in self.indicator_rows_]
        return self

    def transform(self, X) -> np.ndarray:
        """X (n, m) -> float64 (n + k, m): missing cells filled, then the k indicator rows."""
        self._require_fitted()
        X = self._float(X, self.names_in_)
        if X.shape[0] != len(self.names_in_):
            raise ValueError(f"impute takes X ({len(self.names_in_)}, m); got shape {X.shape}")
        missing = np.isnan(X)
        k = len(self.indicator_rows_)
        if not k and not missing.any():
            return X  # nothing to fill: no copy
        out = np.empty((X.shape[0] + k, X.shape[1]))
        np.copyto(out[: X.shape[0]], X)
        np.copyto(out[: X.shape[0]], self.values_, where=missing)
        out[X.shape[0] :] = missing[self.indicator_rows_]
        return out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """``values`` float64 (n, 1), ``indicator`` int64 (k,) input rows; config: strategy, indicator."""
        self._require_fitted()
        return {"values": self.values_.astype(np.float64), "indicator": self.indicator_rows_.astype(np.int64)}, {
            "strategy": self.strategy, "indicator": self.indicator}  # fmt: skip

    @classmethod
    def array_names(cls, config: dict) -> list[str]:
        return ["values", "indicator"]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], config: dict, names_in: Sequence[str]) -> Imputer:
        if set(arrays) != {"values", "indicator"} or set(config) != {"strategy", "indicator"}:
            raise ValueError(f"impute: arrays {sorted(arrays)} and config keys {sorted(config)}; "
                             "expected arrays ['indicator', 'values'] and config ['indicator', 'strategy']")  # fmt: skip
        n = len(names_in)
        values, rows = arrays["values"], arrays["indicator"]
        if values.shape != (n, 1) or values.dtype.kind != "f" or not np.isfinite(values).all():
            raise ValueError(f"impute: values is {values.dtype} {values.shape}; expected finite float64 ({n}, 1)")
        if rows.ndim != 1 or rows.dtype.kind not in "iu" or (rows.size and (rows.min() < 0 or rows.max() >= n or (np.diff(rows) <= 0).any())):
            raise ValueError(f"impute: indicator must be increasing row indices in 0..{n - 1}")
        if not isinstance(config["indicator"], bool) or (rows.size and not config["indicator"]):
            raise ValueError(f"impute: config indicator is {config['indicator']!r} with {rows.size} indicator rows")
        step = cls(config["strategy"], config["indicator"])
        step.values_, step.indicator_rows_ = np.array(values, dtype=np.float64), np.array(rows, dtype=np.int64)
        step.names_in_ = list(names_in)
        step.names_out_ = step.names_in_ + [f"{step.names_in_[i]}={MISSING}" for i in step.indicator_rows_]
        return step


def build_pipeline(
    *,
    standardize: bool = False,
    categorical: Sequence[str] = (),
    impute: str | None = None,
    missing_indicator: bool = False,
    max_categories: int | None = None,
) -> Pipeline:
    """The (unfitted) input steps for the front-ends' options: the one place options become steps.

    In order: one-hot encoding of the ``categorical`` columns (capped at ``max_categories``),
    imputation of missing numbers (``impute``: "median", "mean", "zero"; None: no imputer),
    with ``missing_indicator`` rows, then standardisation.
    """
    if missing_indicator and impute is None:
        raise ValueError("a missing indicator comes with imputation: give impute='median', 'mean' or 'zero'")
    if max_categories is not None and not categorical:
        max_categories = None  # nothing to cap
    steps: list[Step] = [OneHotEncoder(categorical, max_categories)] if categorical else []
    steps += [Imputer(impute, missing_indicator)] if impute is not None else []
    steps += [Standardizer()] if standardize else []
    return Pipeline(steps)


def build_target_pipeline(task: str) -> Pipeline:
    """The (unfitted) target steps for ``task``: a regression target is standardised (and
    predictions brought back to its units), so one learning rate suits targets of any scale."""
    return Pipeline([Standardizer()] if task == "regression" else [])
