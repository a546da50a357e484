"""Datasets in the course layout: examples are columns.

Every loader returns a :class:`Dataset` whose ``X`` has shape (n_x, m) and whose ``Y`` has
shape (1, m): integer labels 0..k-1 for "binary" and "multiclass" tasks, float targets for
"regression" ((n_y, m) for several regression targets). Built-in names resolve through the
single registry :data:`DATASETS`; :func:`load` also accepts .csv, .npz and .h5/.hdf5 paths.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import _files

TASKS = ("binary", "multiclass", "regression")

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


# ----------------------------------------------------------------------------- generators


def _check(m: int, noise: float, min_m: int = 1) -> None:
    if m < min_m:
        raise ValueError(f"m must be at least {min_m}, got {m}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def _class_sizes(m: int, n_classes: int) -> np.ndarray:
    """Split m examples over classes as evenly as possible: (n_classes,) counts."""
    return np.full(n_classes, m // n_classes) + (np.arange(n_classes) < m % n_classes)


def _labels_for(sizes: np.ndarray) -> np.ndarray:
    """(1, m) int64 labels: class k repeated sizes[k] times."""
    return np.repeat(np.arange(len(sizes)), sizes).reshape(1, -1)


def _task_for(n_classes: int) -> str:
    return "binary" if n_classes == 2 else "multiclass"


def planar(m: int = 400, *, noise: float = 0.2, seed: int = 1) -> Dataset:
    """The course's "flower" (load_planar_dataset): two classes in 2-D, X (2, m), Y (1, m).

    With the defaults the numbers equal the course's, which seeds the global generator with
    np.random.seed(1); a local RandomState(seed) draws the same stream.
    """
    _check(m, noise, min_m=2)
    if m % 2:
        raise ValueError(f"planar needs an even m (half the examples per class), got {m}")
    rng = np.random.RandomState(seed)  # legacy stream, to match the course exactly
    N, a = m // 2, 4  # examples per class, maximum ray of the flower
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype=np.int64)
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * noise  # theta
        r = a * np.sin(4 * t) + rng.randn(N) * noise  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return Dataset(X.T, Y.T, "binary", ["x1", "x2"], None, "planar")


def moons(m: int = 200, *, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles: X (2, m), Y (1, m); class 0 is the upper moon."""
    _check(m, noise, min_m=2)
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, 2)
    t0, t1 = np.linspace(0, np.pi, sizes[0]), np.linspace(0, np.pi, sizes[1])
    X = np.c_[
        np.vstack([np.cos(t0), np.sin(t0)]),
        np.vstack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
    ]
    X += rng.normal(scale=noise, size=X.shape)
    return Dataset(X, _labels_for(sizes), "binary", ["x1", "x2"], None, "moons")


def circles(m: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A circle of radius ``factor`` (class 1) inside a unit circle (class 0): X (2, m)."""
    _check(m, noise, min_m=2)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, 2)
    t0 = np.linspace(0, 2 * np.pi, sizes[0], endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, sizes[1], endpoint=False)
    X = np.c_[np.vstack([np.cos(t0), np.sin(t0)]), factor * np.vstack([np.cos(t1), np.sin(t1)])]
    X += rng.normal(scale=noise, size=X.shape)
    return Dataset(X, _labels_for(sizes), "binary", ["x1", "x2"], None, "circles")


def blobs(
    m: int = 200,
    *,
    n_classes: int = 2,
    n_features: int = 2,
    noise: float = 1.0,
    seed: int = 0,
) -> Dataset:
    """Gaussian clusters (std ``noise``) around random centres in [-5, 5]^n_features."""
    _check(m, noise, min_m=n_classes)
    if n_classes < 2 or n_features < 1:
        raise ValueError(f"need n_classes >= 2 and n_features >= 1, got {n_classes}, {n_features}")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, n_classes)
    centres = rng.uniform(-5, 5, size=(n_features, n_classes))
    Y = _labels_for(sizes)
    X = centres[:, Y[0]] + rng.normal(scale=noise, size=(n_features, m))
    names = [f"x{i + 1}" for i in range(n_features)]
    return Dataset(X, Y, _task_for(n_classes), names, None, "blobs")


def spiral(m: int = 300, *, n_classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """``n_classes`` spiral arms in 2-D (the CS231n toy set): X (2, m), Y (1, m).

    Arm k starts at angle 2*pi*k/n_classes and turns 4 radians as the radius grows 0 -> 1;
    ``noise`` is the std of the Gaussian added to each angle.
    """
    _check(m, noise, min_m=n_classes)
    if n_classes < 2:
        raise ValueError(f"n_classes must be >= 2, got {n_classes}")
    rng = np.random.default_rng(seed)
    sizes = _class_sizes(m, n_classes)
    Y = _labels_for(sizes)
    # position of each example along its arm, 0 -> 1 (vectorised over all arms at once)
    s = np.concatenate([np.linspace(0, 1, n) for n in sizes])
    t = 2 * np.pi * Y[0] / n_classes + 4 * s + rng.normal(scale=noise, size=m)
    X = np.vstack([s * np.sin(t), s * np.cos(t)])
    return Dataset(X, Y, _task_for(n_classes), ["x1", "x2"], None, "spiral")


def xor(m: int = 200, *, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Uniform points in [-1, 1]^2, label 1 where x1 and x2 have opposite signs: X (2, m).

    The labels come from the clean points; ``noise`` is the std of Gaussian jitter added after.
    """
    _check(m, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(2, m))
    Y = ((X[0] > 0) != (X[1] > 0)).astype(np.int64).reshape(1, m)
    X += rng.normal(scale=noise, size=X.shape)
    return Dataset(X, Y, "binary", ["x1", "x2"], None, "xor")


def parity(n_bits: int = 4) -> Dataset:
    """All 2**n_bits bit strings, labelled 1 when the number of ones is odd.

    X (n_bits, 2**n_bits) float64 with column j the bits of j, most significant first;
    Y (1, 2**n_bits). A shallow net needs exponentially many units for parity; a deep one does not.
    """
    if not 1 <= n_bits <= 20:
        raise ValueError(f"n_bits must be in 1..20, got {n_bits}")
    j = np.arange(2**n_bits)
    shifts = np.arange(n_bits - 1, -1, -1).reshape(-1, 1)
    bits = (j >> shifts) & 1  # (n_bits, 2**n_bits)
    Y = (bits.sum(axis=0, keepdims=True) % 2).astype(np.int64)
    names = [f"bit{i}" for i in range(n_bits)]
    return Dataset(bits.astype(np.float64), Y, "binary", names, None, f"parity{n_bits}")


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
        task = task or _task_for(max(len(names), 2))
        if task == "binary" and len(names) > 2:
            raise ValueError(f"binary task but {len(names)} distinct labels")
        return codes.reshape(1, -1).astype(np.int64), task, [str(n) for n in names]

    yf = y.astype(np.float64)
    values = np.unique(yf)
    integral = bool(np.isfinite(yf).all() and (yf == np.round(yf)).all())
    if task is None:
        if integral and len(values) <= _MAX_INFERRED_CLASSES:
            task = _task_for(max(len(values), 2))
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
    if x.size == 0 or y.size == 0:
        raise ValueError(f"{x_key!r} has shape {x.shape} and {y_key!r} {y.shape}: no examples or no features")
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


# ----------------------------------------------------------------------------- files


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the course data files.

    Looks at ``path``, else the environment variable LAYERWISE_DATA, else ``../shared/data``
    relative to the current directory, then to the repository root.
    """
    if path is not None:
        candidates = [("the argument", Path(path))]
    elif os.environ.get("LAYERWISE_DATA"):
        candidates = [("LAYERWISE_DATA", Path(os.environ["LAYERWISE_DATA"]))]
    else:
        repo_root = Path(__file__).resolve().parents[2]
        candidates = [
            ("the current directory", Path.cwd() / ".." / "shared" / "data"),
            ("the repository root", repo_root / ".." / "shared" / "data"),
        ]
    for _, folder in candidates:
        if folder.is_dir():
            return folder.resolve()
    looked = "; ".join(f"{folder} (from {source})" for source, folder in candidates)
    raise FileNotFoundError(
        f"no data folder found; looked in: {looked}. "
        "Pass a path or set LAYERWISE_DATA to the folder holding the data files."
    )


def load_hdf5(
    path: str | os.PathLike[str],
    x_key: str = "X",
    y_key: str = "Y",
    *,
    classes_key: str | None = None,
    task: str | None = None,
    max_bytes: int = _files.MAX_ARRAY_BYTES,
) -> Dataset:
    """An HDF5 file whose datasets ``x_key``, ``y_key`` hold one example per row.

    Returns X (n_x, m) float64 (images flattened as ``x.reshape(m, -1).T``, values unscaled)
    and Y (1, m). ``classes_key`` names a dataset of class names (bytes or str). Each dataset
    is checked (a dataset, not a group; its dtype; at most ``max_bytes``, backed by the file)
    before it is read; every failure is a ``ValueError`` naming the file.
    """
    with _files.open_hdf5(path) as f:
        xd, yd = _files.hdf5_dataset(path, f, x_key, "x_key"), _files.hdf5_dataset(path, f, y_key, "y_key")
        cd = None if classes_key is None else _files.hdf5_dataset(path, f, classes_key, "classes_key")
        if xd.dtype.kind not in "biuf":  # checked before reading: nothing but numbers is loaded as X
            raise ValueError(f"{path}: {x_key!r} must be numeric, got dtype {xd.dtype}")
        if not xd.shape or not yd.shape or xd.shape[0] != yd.shape[0]:
            raise ValueError(f"{path}: {x_key!r} has shape {xd.shape} and {y_key!r} has shape {yd.shape}: "
                             "with one example per row their first dimensions must match")  # fmt: skip
        x = _files.read_hdf5(path, xd, max_bytes=max_bytes)
        y = _files.read_hdf5(path, yd, kinds="biufU", max_bytes=max_bytes)
        names = None if cd is None else [c.decode() if isinstance(c, bytes) else str(c) for c in _files.read_hdf5(path, cd, kinds="SU")]
    ds = _named(path, _from_rows, np.asarray(x), np.asarray(y), x_key, y_key, True, task, Path(path).stem)
    if names is None:
        return ds
    if ds.class_names is not None:
        raise ValueError(f"{path}: {y_key!r} holds names already; drop classes_key")
    return replace(ds, class_names=names)


def cat(path: str | os.PathLike[str] | None = None) -> tuple[Dataset, Dataset]:
    """The course's cat / non-cat images: (train, test), X (12288, m) in [0, 1], Y (1, m).

    ``path`` is the folder holding train_catvnoncat.h5 and test_catvnoncat.h5 (see
    :func:`data_dir`). Each 64x64x3 image is flattened to a column and divided by 255,
    exactly as the course does: ``x.reshape(x.shape[0], -1).T / 255.``; 209 train, 50 test.
    """
    folder = data_dir(path)
    parts = []
    for split in ("train", "test"):
        file = folder / f"{split}_catvnoncat.h5"
        if not file.is_file():
            raise FileNotFoundError(f"{file} not found (the course's {split} file)")
        ds = load_hdf5(
            file, f"{split}_set_x", f"{split}_set_y", classes_key="list_classes", task="binary"
        )
        parts.append(replace(ds, X=ds.X / 255.0, name=f"cat-{split}"))
    return parts[0], parts[1]


def load_npz(
    path: str | os.PathLike[str],
    x_key: str = "X",
    y_key: str = "Y",
    rows_are_examples: bool = True,
    *,
    task: str | None = None,
    max_bytes: int = _files.MAX_ARRAY_BYTES,
) -> Dataset:
    """A NumPy .npz file (no pickles): X (n_x, m), Y (1, m) or (n_y, m).

    With ``rows_are_examples`` the arrays are (m, ...) and (m,) or (m, n_y), turned into
    columns; otherwise they are already (n_x, m) and (m,), (1, m) or (n_y, m). Each array's
    header is checked (numbers, at most ``max_bytes``, backed by the file) before it is read;
    every failure is a ``ValueError`` naming the file.
    """
    with _files.Archive(path, "data file", layerwise=False) as f:
        missing = [k for k in (x_key, y_key) if k not in f.keys]
        if missing:
            raise ValueError(f"{path}: no array {missing[0]!r}; the file has {f.keys}")
        x = f.read(x_key, max_bytes=max_bytes)
        y = f.read(y_key, kinds="biufU", max_bytes=max_bytes)
    return _named(path, _from_rows, x, y, x_key, y_key, rows_are_examples, task, Path(path).stem)


def _named(path, fn, *args):
    """``fn(*args)`` with a ``ValueError`` prefixed by the file it is about."""
    try:
        return fn(*args)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_csv(
    path: str | os.PathLike[str],
    label: str | int = -1,
    delimiter: str = ",",
    *,
    task: str | None = None,
) -> Dataset:
    """A CSV file with a header row, one example per row: X (n_x, m), Y (1, m).

    ``label`` picks the label column by name or index (default: the last column). Every
    other column must be numeric. String labels become 0..k-1 with ``class_names`` kept.
    """
    with open(path, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty; a header row of column names is needed")
        if _all_numbers(header):
            raise ValueError(
                f"{path}: the first row must be a header of column names, got {header}"
            )
        rows, lines = [], []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{path}: row {reader.line_num} has {len(row)} cells, the header {len(header)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    if not rows:
        raise ValueError(f"{path} has a header but no rows")

    if isinstance(label, str):
        if label not in header:
            raise ValueError(f"{path}: no column {label!r}; the columns are {header}")
        col = header.index(label)
    elif -len(header) <= label < len(header):
        col = label % len(header)
    else:
        raise ValueError(f"{path}: label index {label} out of range for {len(header)} columns")

    cells = np.array(rows, dtype=str)  # (m, n_columns)
    features = np.delete(cells, col, axis=1)
    feature_names = header[:col] + header[col + 1 :]
    try:
        X = features.astype(np.float64).T
    except ValueError:
        bad_row, bad_col = next(
            (i, j) for i, row in enumerate(features) for j, c in enumerate(row) if not _is_number(c)
        )
        raise ValueError(
            f"{path}: row {lines[bad_row]}, column {feature_names[bad_col]!r}: "
            f"{str(features[bad_row, bad_col])!r} is not a number"
        ) from None
    if not np.isfinite(X).all():  # "nan" and "inf" parse as numbers
        bad_row, bad_col = (int(i) for i in np.argwhere(~np.isfinite(X.T))[0])
        raise ValueError(
            f"{path}: row {lines[bad_row]}, column {feature_names[bad_col]!r}: "
            f"{str(features[bad_row, bad_col])!r} is NaN or infinite; expected a finite number"
        )
    y = cells[:, col]
    if _all_numbers(y):
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            bad_row = int(np.argwhere(~np.isfinite(y))[0, 0])
            raise ValueError(f"{path}: row {lines[bad_row]}, column {header[col]!r}: the label {y[bad_row]} is NaN or infinite")
    Y, task, class_names = _encode_labels(y, task)
    return Dataset(np.ascontiguousarray(X), Y, task, feature_names, class_names, Path(path).stem)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _all_numbers(cells: Sequence[str]) -> bool:
    return all(_is_number(c) for c in cells)


# ----------------------------------------------------------------------------- scikit-learn


def _sklearn(name: str, task: str) -> Dataset:
    """sklearn.datasets.load_<name>() (bundled, no download) transposed to columns."""
    try:
        from sklearn import datasets as skd
    except ImportError as e:
        raise ImportError(
            f"the {name!r} dataset comes with scikit-learn: pip install layerwise[sklearn]"
        ) from e
    bunch = getattr(skd, f"load_{name}")()
    X = np.ascontiguousarray(bunch.data.T, dtype=np.float64)
    features = [str(n) for n in bunch.feature_names]
    if task == "regression":
        Y = bunch.target.astype(np.float64).reshape(1, -1)
        return Dataset(X, Y, task, features, None, name)
    Y = bunch.target.astype(np.int64).reshape(1, -1)
    return Dataset(X, Y, task, features, [str(n) for n in bunch.target_names], name)


def digits() -> Dataset:
    """8x8 handwritten digits: X (64, 1797) in 0..16, Y (1, 1797) labels 0..9."""
    return _sklearn("digits", "multiclass")


def breast_cancer() -> Dataset:
    """Wisconsin breast cancer: X (30, 569), Y (1, 569) with 0 malignant, 1 benign."""
    return _sklearn("breast_cancer", "binary")


def iris() -> Dataset:
    """Fisher's iris: X (4, 150), Y (1, 150) labels 0..2."""
    return _sklearn("iris", "multiclass")


def diabetes() -> Dataset:
    """Diabetes progression (regression): X (10, 442) scaled features, Y (1, 442) float."""
    return _sklearn("diabetes", "regression")


def wine() -> Dataset:
    """Wine cultivars: X (13, 178), Y (1, 178) labels 0..2."""
    return _sklearn("wine", "multiclass")


# ----------------------------------------------------------------------------- registry

DATASETS: dict[str, Callable[..., Dataset | tuple[Dataset, Dataset]]] = {
    "planar": planar,
    "moons": moons,
    "circles": circles,
    "blobs": blobs,
    "spiral": spiral,
    "xor": xor,
    "parity": parity,
    "cat": cat,
    "digits": digits,
    "breast_cancer": breast_cancer,
    "iris": iris,
    "diabetes": diabetes,
    "wine": wine,
}

_FILE_LOADERS: dict[str, Callable[..., Dataset]] = {
    ".csv": load_csv,
    ".npz": load_npz,
    ".h5": load_hdf5,
    ".hdf5": load_hdf5,
}


def load(name_or_path: str | os.PathLike[str], **kw: object) -> Dataset | tuple[Dataset, Dataset]:
    """A built-in dataset by name (see DATASETS) or a .csv/.npz/.h5/.hdf5 file by path.

    Keyword arguments go to the loader. Returns a Dataset, or (train, test) for "cat",
    which the course ships already split.
    """
    key = os.fspath(name_or_path)
    if key in DATASETS:
        return DATASETS[key](**kw)
    suffix = Path(key).suffix.lower()
    if suffix in _FILE_LOADERS:
        return _FILE_LOADERS[suffix](key, **kw)
    raise ValueError(
        f"unknown dataset {key!r}: known names are {', '.join(DATASETS)}; "
        f"or give a file path ending in {', '.join(_FILE_LOADERS)}"
    )


# ----------------------------------------------------------------------------- preprocessing


class Standardizer:
    """Per-feature standardisation of X (n_x, m): (X - mean_) / std_, both (n_x, 1).

    Fit on the training set only and reuse the statistics; a feature with std 0 keeps std 1.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Learn mean_ and std_ (n_x, 1) from X (n_x, m)."""
        if X.ndim != 2 or X.shape[1] == 0:
            raise ValueError(f"X must be (n_x, m) with m >= 1, got shape {X.shape}")
        self.mean_ = X.mean(axis=1, keepdims=True)
        std = X.std(axis=1, keepdims=True)
        self.std_ = np.where(std == 0, 1.0, std)
        return self

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer is not fitted: call fit(X) first")
        if X.ndim != 2 or X.shape[0] != self.mean_.shape[0]:
            raise ValueError(f"X must be ({self.mean_.shape[0]}, m), got shape {X.shape}")
        return self.mean_, self.std_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(X - mean_) / std_, X (n_x, m)."""
        mean, std = self._stats(X)
        return (X - mean) / std

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """fit(X) then transform(X)."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """X * std_ + mean_, undoing transform."""
        mean, std = self._stats(X)
        return X * std + mean

    def to_dict(self) -> dict[str, list[float]]:
        """{"mean": [...], "std": [...]} as plain floats, ready for JSON."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer is not fitted: call fit(X) first")
        return {"mean": self.mean_.ravel().tolist(), "std": self.std_.ravel().tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Sequence[float]]) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict` output."""
        if len(d["mean"]) != len(d["std"]):
            raise ValueError(f"{len(d['mean'])} means but {len(d['std'])} stds")
        s = cls()
        s.mean_ = np.asarray(d["mean"], dtype=np.float64).reshape(-1, 1)
        s.std_ = np.asarray(d["std"], dtype=np.float64).reshape(-1, 1)
        return s


def one_hot(labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Integer labels (1, m) in 0..n_classes-1 -> one-hot (n_classes, m) float64.

    ``n_classes`` defaults to labels.max() + 1.
    """
    if labels.ndim != 2 or labels.shape[0] != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers of shape (1, m), got {labels.dtype} {labels.shape}"
        )
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    m = labels.shape[1]
    out = np.zeros((n_classes, m))
    out[labels[0], np.arange(m)] = 1.0
    return out


# ----------------------------------------------------------------------------- splits


def _n_examples(size: float | int, m: int, what: str) -> int:
    """A fraction in (0, 1) or a count in 1..m-1 -> a count."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        n = int(size)
    elif isinstance(size, float) and 0 < size < 1:
        n = max(1, round(size * m))
    else:
        raise ValueError(f"{what} must be a fraction in (0, 1) or a count, got {size!r}")
    if not 1 <= n < m:
        raise ValueError(f"{what}={size!r} gives {n} of {m} examples; need 1..{m - 1}")
    return n


def _allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Share n draws over classes in proportion to counts, summing exactly to n.

    Largest remainder: every class gets floor(n * c / m), the leftover draws go to the
    classes with the largest fractional parts.
    """
    quota = counts * n / counts.sum()
    share = np.floor(quota).astype(np.int64)
    leftover = n - share.sum()
    share[np.argsort(-(quota - share), kind="stable")[:leftover]] += 1
    return share


def _take(order: np.ndarray, n: int, labels: np.ndarray | None) -> np.ndarray:
    """Boolean mask over ``order`` choosing its first n entries (first n_k of each class k)."""
    if labels is None:
        return np.arange(len(order)) < n
    classes, inverse, counts = np.unique(labels[order], return_inverse=True, return_counts=True)
    mask = np.zeros(len(order), dtype=bool)
    for k, n_k in enumerate(_allocate(counts, n)):
        mask[np.flatnonzero(inverse == k)[:n_k]] = True
    return mask


def _split_indices(
    m: int, sizes: Sequence[int], labels: np.ndarray | None, seed: int
) -> list[np.ndarray]:
    """Peel parts of the given sizes off a seeded permutation of range(m); the rest is last."""
    rest = np.random.default_rng(seed).permutation(m)
    parts = []
    for n in sizes:
        mask = _take(rest, n, labels)
        parts.append(rest[mask])
        rest = rest[~mask]
    return [*parts, rest]


def _split(
    data: Dataset | np.ndarray,
    Y: np.ndarray | None,
    sizes: Sequence[float | int],
    names: Sequence[str],
    seed: int,
    stratify: bool,
) -> list[np.ndarray | Dataset]:
    """Shared body of the splits: returns [parts of sizes..., rest] as Datasets or X's then Y's."""
    if isinstance(data, Dataset):
        if Y is not None:
            raise TypeError("pass either a Dataset or X and Y, not a Dataset and Y")
        X, Y = data.X, data.Y
        classify = data.task != "regression"
    else:
        if Y is None or data.ndim != 2 or Y.ndim != 2 or data.shape[1] != Y.shape[1]:
            raise ValueError("X must be (n_x, m) and Y (1, m) or (n_y, m) with the same m")
        X = data
        classify = Y.shape[0] == 1 and Y.dtype.kind in "biu"
    m = X.shape[1]
    counts = [_n_examples(s, m, what) for s, what in zip(sizes, names, strict=True)]
    if sum(counts) >= m:
        raise ValueError(f"{' + '.join(names)} leave no training examples out of {m}")
    labels = Y[0] if stratify and classify else None
    parts = _split_indices(m, counts, labels, seed)
    if isinstance(data, Dataset):
        return [data.subset(idx) for idx in parts]
    return [X[:, idx] for idx in parts] + [Y[:, idx] for idx in parts]


def train_test_split(
    ds_or_X: Dataset | np.ndarray,
    Y: np.ndarray | None = None,
    test_size: float | int = 0.2,
    seed: int = 0,
    stratify: bool = True,
) -> tuple:
    """Split columns at random into train and test.

    Give a Dataset -> (train, test), or X (n_x, m) and Y -> (X_train, X_test, Y_train, Y_test).
    ``test_size`` is a fraction or a count. Classification sets (a Dataset's task, or integer
    Y (1, m)) keep their class proportions when ``stratify``.
    """
    parts = _split(ds_or_X, Y, [test_size], ["test_size"], seed, stratify)
    if isinstance(ds_or_X, Dataset):
        test, train = parts
        return train, test
    X_test, X_train, Y_test, Y_train = parts
    return X_train, X_test, Y_train, Y_test


def train_val_test_split(
    ds_or_X: Dataset | np.ndarray,
    Y: np.ndarray | None = None,
    val_size: float | int = 0.1,
    test_size: float | int = 0.1,
    seed: int = 0,
    stratify: bool = True,
) -> tuple:
    """Split columns at random into train, validation and test.

    Give a Dataset -> (train, val, test), or X and Y ->
    (X_train, X_val, X_test, Y_train, Y_val, Y_test). Sizes are fractions of all examples
    or counts; classification sets are stratified as in :func:`train_test_split`.
    """
    parts = _split(ds_or_X, Y, [test_size, val_size], ["test_size", "val_size"], seed, stratify)
    if isinstance(ds_or_X, Dataset):
        test, val, train = parts
        return train, val, test
    X_test, X_val, X_train, Y_test, Y_val, Y_train = parts
    return X_train, X_val, X_test, Y_train, Y_val, Y_test
