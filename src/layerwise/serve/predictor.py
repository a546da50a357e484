"""The served model: its schema, JSON instances -> raw rows, and rows -> JSON predictions.

Instances follow the TensorFlow Serving / KServe v1 convention: ``{"instances": [...]}``, each
instance an object keyed by feature name (extra keys ignored) or a list of values in training
order. Numbers are JSON numbers (``null`` only where the model imputes missing values);
categorical features are strings (or numbers, read as their text; ``null`` is a missing cell).
A bad instance is an ``InstanceError`` naming the instance (0-based) and the field.
"""

from __future__ import annotations

import math

import numpy as np

from ..export import string_features


class InstanceError(ValueError):
    """A request that cannot be predicted; the message names the instance and the field."""


class Predictor:
    """A loaded model behind the HTTP door.

    ``model`` is a ``layerwise.Model`` (its ``features``, ``task``, ``classes`` and
    ``predict_proba`` / ``predict`` on raw ``(n_features, m)`` arrays).
    """

    def __init__(self, model, name: str):
        self.model = model
        self.name = name
        self.features = list(model.features)
        self.index = {f: i for i, f in enumerate(self.features)}
        self.task = model.task
        self.classes = None if model.classes is None else np.asarray(model.classes).tolist()
        strings = set(string_features(model))
        self.is_string = [f in strings for f in self.features]
        self.allow_missing = any(step.name == "impute" for step in model.pipeline.steps)

    def schema(self) -> dict:
        """The ``GET /v1/models/{name}`` answer: status, inputs and outputs."""
        network = self.model.network
        outputs = {"value": {"shape": [network.n_y]}} if self.task == "regression" else {"label": {"classes": self.classes}, "probabilities": {"classes": self.classes}}
        return {
            "name": self.name,
            "ready": True,
            "model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}],
            "task": self.task,
            "inputs": [{"name": f, "type": "string" if s else "number"} for f, s in zip(self.features, self.is_string, strict=True)],
            "missing_values": "null" if self.allow_missing else "refused",
            "outputs": outputs,
            "network": {"layer_dims": list(network.layer_dims), "activations": [a.spec for a in network.activations], "dtype": network.dtype.name},
        }

    # ---- JSON -> rows ------------------------------------------------------------------------

    def parse(self, body) -> np.ndarray:
        """``{"instances": [...]}`` -> raw ``X: (n_features, m)``: float64, or object where the
        model has categorical features (their cells str or None)."""
        if not isinstance(body, dict) or "instances" not in body:
            raise InstanceError('expected a JSON object {"instances": [...]}')
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise InstanceError(f'"instances" must be a non-empty list of instances, got {_kind(instances)}')
        n = len(self.features)
        X = np.empty((n, len(instances)), dtype=object if any(self.is_string) else np.float64)
        for i, instance in enumerate(instances):
            if isinstance(instance, dict):
                row = []
                for f in self.features:
                    if f not in instance:
                        raise InstanceError(f"instance {i}: feature {f!r} is missing; the model takes {_listing(self.features)}")
                    row.append(instance[f])
            elif isinstance(instance, list):
                if len(instance) != n:
                    raise InstanceError(f"instance {i} has {len(instance)} values; the model takes {n}: {_listing(self.features)}, in that order")
                row = instance
            else:
                raise InstanceError(f"instance {i} is {_kind(instance)}; expected an object keyed by feature name or a list of {n} values")
            for j, value in enumerate(row):
                X[j, i] = self._category(value, i, j) if self.is_string[j] else self._number(value, i, j)
        return X

    def _category(self, value, i: int, j: int) -> str | float | None:
        if value is None or isinstance(value, str) or type(value) in (int, float) and math.isfinite(value):
            return value
        raise InstanceError(f"instance {i}, feature {self.features[j]!r}: got {_kind(value)}; expected a category (a string, or null if missing)")

    def _number(self, value, i: int, j: int) -> float:
        if type(value) is int and abs(value) < 2**1023:
            return value
        if type(value) is float:
            if math.isfinite(value):
                return value
            if math.isnan(value) and self.allow_missing:
                return math.nan
        elif value is None and self.allow_missing:
            return math.nan
        expected = "a number (null for a missing value)" if self.allow_missing else "a finite number (this model imputes no missing values)"
        raise InstanceError(f"instance {i}, feature {self.features[j]!r}: got {_kind(value)}; expected {expected}")

    # ---- rows -> JSON -------------------------------------------------------------------------

    def predict(self, X: np.ndarray) -> list:
        """One prediction per column of ``X``: ``{"label", "probabilities": {class: p}}`` or
        ``{"value"}``. One forward pass; the label is the class of the largest probability,
        which is what ``Model.predict`` answers (binary: ``p > 0.5``)."""
        m, rows = X.shape[1], X.dtype == object
        # categorical features go in as columns by name, the form the model reads them from (answers: rows)
        data = {f: X[j] for j, f in enumerate(self.features)} if rows else X
        if self.task == "regression":
            values = np.asarray(self.model.predict(data), dtype=np.float64)  # rows: (m,) or (m, n_y); else (n_y, m)
            return [{"value": v[0] if len(v) == 1 else v} for v in (values.reshape(m, -1) if rows else values.T).tolist()]
        P = np.asarray(self.model.predict_proba(data), dtype=np.float64)
        P = P if rows else P.T  # (m, n_classes)
        keys = [str(c) for c in self.classes]
        return [{"label": self.classes[k], "probabilities": dict(zip(keys, p, strict=True))}
                for k, p in zip(P.argmax(axis=1).tolist(), P.tolist(), strict=True)]  # fmt: skip


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _listing(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return f"{shown}, ... ({len(names)} features)" if len(names) > limit else shown
