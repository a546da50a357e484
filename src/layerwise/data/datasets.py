"""Datasets in the course layout: examples are columns.

Generators (planar, moons, ...), the course's cat pictures and scikit-learn's bundled sets.
Built-in names resolve through the single registry :data:`DATASETS`; :func:`load` also
accepts .csv, .npz and .h5/.hdf5 paths (read by :mod:`layerwise.data.readers`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..tasks import task_for_classes
from .dataset import Dataset
from .readers import data_dir, load_csv, load_hdf5, load_npz

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
    return Dataset(X, Y, task_for_classes(n_classes), names, None, "blobs")


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
    return Dataset(X, Y, task_for_classes(n_classes), ["x1", "x2"], None, "spiral")


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
    ".tsv": load_csv,
    ".parquet": load_csv,
    ".pq": load_csv,
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


