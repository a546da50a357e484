"""Splitting examples (columns): ONE stratified split and ONE k-fold, used by ``Network.fit``
(``validation_split``), the command line and the sweeps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

def n_examples(size: float | int, m: int, what: str) -> int:
    """A fraction in (0, 1) or a count in 1..m-1 -> a count."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        n = int(size)
    elif isinstance(size, float) and 0 < size < 1:
        n = max(1, round(size * m))
    else:
        raise ValueError(f"{what} must be a fraction in (0, 1) or a count, got {size!r}")
    if m < 2:
        raise ValueError(f"{what} {size!r} cannot split {m} example; the data needs at least 2")
    if not 1 <= n < m:
        raise ValueError(f"{what} {size!r} gives {n} of {m} examples; expected a part of 1..{m - 1}")
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


def split_indices(m: int, sizes: Sequence[int], labels: np.ndarray | None, rng) -> list[np.ndarray]:
    """Peel parts of the given counts off a random permutation of ``range(m)``; the rest is last.

    ``labels (m,)`` (class labels, or None for no stratification) keeps each part's class
    proportions (largest remainder); ``rng`` is a seed or a ``numpy.random.Generator``.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    rest = rng.permutation(m)
    parts = []
    for n in sizes:
        mask = _take(rest, n, labels)
        parts.append(rest[mask])
        rest = rest[~mask]
    return [*parts, rest]


def part_indices(m: int, labels, *, validation_split: float = 0.0, test_split: float = 0.0, seed: int = 1,
                 spell=str) -> dict[str, np.ndarray]:
    """``{"train": idx, "validation": idx, "test": idx}`` (absent parts left out) of ``m`` examples:
    the test part first (``test_split``), then the validation part of the rest, stratified by
    ``labels (m,)`` (None: not stratified) and seeded; ``train``, ``evaluate`` and ``predict`` all split here.
    ``spell`` names a setting in messages as the caller's user wrote it (the CLI: ``--test-split``)."""
    idx, parts = np.arange(m), {}
    for name, size in (("test", test_split), ("validation", validation_split)):
        if size:
            sub = None if labels is None else np.asarray(labels)[idx]
            picked, rest = split_indices(idx.size, [n_examples(size, idx.size, spell(f"{name}_split"))], sub, seed)
            parts[name], idx = idx[picked], idx[rest]
    return {"train": idx, **parts}


def kfold_indices(m: int, k: int, labels: np.ndarray | None, seed: int) -> list[np.ndarray]:
    """Validation indices of ``k`` folds of ``range(m)``: each class (all examples when ``labels``
    is None) is shuffled and dealt round-robin, so the folds are stratified and differ by <= 1."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 2 <= k <= m:
        raise ValueError(f"folds = {k!r}; expected an integer in [2, {m}] (the number of examples)")
    rng = np.random.default_rng(seed)
    groups = [np.arange(m)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    fold_of = np.empty(m, dtype=np.int64)
    offset = 0
    for g in groups:
        fold_of[g[rng.permutation(g.size)]] = (offset + np.arange(g.size)) % k
        offset += g.size
    return [np.flatnonzero(fold_of == f) for f in range(k)]


def _split(data, Y: np.ndarray | None, sizes: Sequence[float | int], names: Sequence[str], seed: int, stratify: bool) -> list:
    """Shared body of the splits: returns [parts of sizes..., rest] as Datasets or X's then Y's."""
    is_dataset = not isinstance(data, np.ndarray)
    if is_dataset:
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
    counts = [n_examples(s, m, what) for s, what in zip(sizes, names, strict=True)]
    if sum(counts) >= m:
        raise ValueError(f"{' + '.join(names)} leave no training examples out of {m}")
    labels = Y[0] if stratify and classify else None
    parts = split_indices(m, counts, labels, seed)
    if is_dataset:
        return [data.subset(idx) for idx in parts]
    return [X[:, idx] for idx in parts] + [Y[:, idx] for idx in parts]


def train_test_split(
    ds_or_X,
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
    if not isinstance(ds_or_X, np.ndarray):
        test, train = parts
        return train, test
    X_test, X_train, Y_test, Y_train = parts
    return X_train, X_test, Y_train, Y_test


def train_val_test_split(
    ds_or_X,
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
    if not isinstance(ds_or_X, np.ndarray):
        test, val, train = parts
        return train, val, test
    X_test, X_val, X_train, Y_test, Y_val, Y_train = parts
    return X_train, X_val, X_test, Y_train, Y_val, Y_test
