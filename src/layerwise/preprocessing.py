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
        X = X.astype(np.float64, copy=False)
        if not np.isfinite(X).all():
            raise ValueError("standardize needs finite values; X contains NaN or infinity")
        scale = np.abs(X).max(axis=1, keepdims=True)
        scale[scale == 0] = 1.0
        Xs = X / scale  # in [-1, 1]: neither the sum nor the squares overflow
        mean = Xs.mean(axis=1, keepdims=True)
        std = np.sqrt(((Xs - mean) ** 2).mean(axis=1, keepdims=True)) * scale
        self.mean_ = mean * scale
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
        for s in self.steps:
            if not s.fitted:
                s.fit(current, current_names)
            current, current_names = s.transform(current), s.names_out_
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


def build_pipeline(*, standardize: bool = False) -> Pipeline:
    """The (unfitted) input steps for the front-ends' options: the one place options become steps."""
    return Pipeline([Standardizer()] if standardize else [])


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
