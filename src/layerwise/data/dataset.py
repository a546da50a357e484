"""The container every loader returns: ``Dataset``, examples as columns, and the encoding of labels.

``X`` has shape (n_x, m); ``Y`` has shape (1, m): integer labels 0..k-1 for "binary" and
"multiclass" tasks, float targets for "regression" ((n_y, m) for several regression targets).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..tasks import TASKS, task_for_classes
from .splits import train_test_split

# A numeric label column with integer values and at most this many distinct values is read as
# class labels; anything else is a regression target. Pass ``task=`` to decide explicitly.
_MAX_INFERRED_CLASSES = 20


@dataclass(eq=False)
class Dataset:
    """Examples as columns: X (n_x, m); Y (1, m) labels, or (n_y, m) regression targets.

    ``task`` is one of "binary", "multiclass", "regression". Class labels are integers
    0..k-1; ``class_names[i]`` names label i when the source had names.
    """

    X: np.ndarray
    Y: np.ndarray
    task: str
    feature_names: list[str] | None = None
    class_names: list[str] | None = None
    name: str = ""
    label: str | None = None  # the name of the label column it was read from, if it had one

    def __post_init__(self) -> None:
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_x, m), got shape {self.X.shape}")
        if self.Y.ndim != 2:
            raise ValueError(f"Y must be 2-D (1, m) or (n_y, m), got shape {self.Y.shape}")
        if self.X.shape[1] != self.Y.shape[1]:
            raise ValueError(
                f"X {self.X.shape} and Y {self.Y.shape} disagree on m (the number of columns)"
            )
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.task != "regression":
            if self.Y.shape[0] != 1 or self.Y.dtype.kind not in "iu":
                raise ValueError(
                    f"{self.task} labels must be integers of shape (1, m), "
                    f"got {self.Y.dtype} {self.Y.shape}"
                )
            if self.task == "binary" and self.Y.size and not np.isin(self.Y, (0, 1)).all():
                raise ValueError("binary labels must be 0 or 1")
        if self.feature_names is not None and len(self.feature_names) != self.n_x:
            raise ValueError(f"{len(self.feature_names)} feature names for {self.n_x} features")

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, X={self.X.shape}, Y={self.Y.shape})"
        )

    @property
    def n_x(self) -> int:
        """Number of features (rows of X)."""
        return self.X.shape[0]

    @property
    def m(self) -> int:
        """Number of examples (columns of X)."""
        return self.X.shape[1]

    @property
    def n_classes(self) -> int | None:
        """Number of classes (None for regression)."""
        if self.task == "regression":
            return None
        if self.class_names is not None:
            return len(self.class_names)
        return max(2, int(self.Y.max()) + 1) if self.Y.size else 2

    def subset(self, idx: np.ndarray) -> Dataset:
        """The examples (columns) at ``idx``, with the same metadata."""
        return replace(self, X=self.X[:, idx], Y=self.Y[:, idx])

    def split(
        self, test_size: float | int = 0.2, seed: int = 0, stratify: bool = True
    ) -> tuple[Dataset, Dataset]:
        """(train, test); see :func:`train_test_split`."""
        return train_test_split(self, test_size=test_size, seed=seed, stratify=stratify)



# ----------------------------------------------------------------------------- label encoding


def _encode_labels(y: np.ndarray, task: str | None) -> tuple[np.ndarray, str, list[str] | None]:
    """Raw labels (m,) -> (Y (1, m), task, class_names).

    Strings become 0..k-1 in sorted order (their names kept). Integer labels that are not
    already 0..k-1 are mapped the same way. Without ``task``, integer values with at most
    ``_MAX_INFERRED_CLASSES`` distinct values are classes, anything else regression.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if y.dtype.kind == "S":
        y = np.char.decode(y, "utf-8")
    if y.dtype.kind in "UO":
        if task == "regression":
            raise ValueError("string labels cannot be a regression target")
        names, codes = np.unique(y.astype(str), return_inverse=True)
        task = task or task_for_classes(max(len(names), 2))
        if task == "binary" and len(names) > 2:
            raise ValueError(f"binary task but {len(names)} distinct labels")
        return codes.reshape(1, -1).astype(np.int64), task, [str(n) for n in names]

    yf = y.astype(np.float64)
    values = np.unique(yf)
    integral = bool(np.isfinite(yf).all() and (yf == np.round(yf)).all())
    if task is None:
        if integral and len(values) <= _MAX_INFERRED_CLASSES:
            task = task_for_classes(max(len(values), 2))
        else:
            task = "regression"
    if task == "regression":
        return yf.reshape(1, -1), task, None
    if not integral:
        raise ValueError(f"{task} labels must be integers or strings, found non-integer values")
    if task == "binary" and len(values) > 2:
        raise ValueError(f"binary task but {len(values)} distinct labels")
    if np.isin(values, np.arange(max(len(values), 2))).all():
        return yf.astype(np.int64).reshape(1, -1), task, None
    codes = np.searchsorted(values, yf)
    return codes.reshape(1, -1).astype(np.int64), task, [str(int(v)) for v in values]


def _from_rows(
    x: np.ndarray,
    y: np.ndarray,
    x_key: str,
    y_key: str,
    rows_are_examples: bool,
    task: str | None,
    name: str,
) -> Dataset:
    """Arrays as stored in a file -> Dataset; rows-per-example arrays are flattened to columns."""
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{x_key!r} must be numeric, got dtype {x.dtype}")
    if rows_are_examples:
        if x.ndim < 1 or y.ndim not in (1, 2) or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{x_key!r} has shape {x.shape} and {y_key!r} has shape {y.shape}: "
                "with one example per row their first dimensions must match"
            )
        x = x.reshape(x.shape[0], -1).T
        y = y.T
    elif x.ndim != 2 or y.ndim not in (1, 2) or x.shape[1] != y.shape[-1]:
        raise ValueError(
            f"{x_key!r} has shape {x.shape} and {y_key!r} has shape {y.shape}: "
            "with one example per column they must be (n_x, m) and (m,) or (n_y, m)"
        )
    X = np.ascontiguousarray(x, dtype=np.float64)
    if not np.isfinite(X).all():
        feature, example = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{x_key!r} contains NaN or infinity (example {example}, feature {feature}); expected finite values")
    if y.ndim == 2 and y.shape[0] > 1:  # several regression targets, (n_y, m)
        if task not in (None, "regression") or y.dtype.kind not in "biuf":
            raise ValueError(
                f"{y_key!r} has {y.shape[0]} targets per example: only numeric regression "
                "targets may have several; class labels must be one per example"
            )
        return Dataset(X, y.astype(np.float64), "regression", None, None, name)
    Y, task, class_names = _encode_labels(y.reshape(-1), task)
    return Dataset(X, Y, task, None, class_names, name)

