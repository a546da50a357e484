"""File readers: tables of numbers (CSV, Parquet), NumPy .npz and HDF5 files -> ``Dataset``
(examples as columns). Tables are parsed by :func:`layerwise.data.tables.read_table`."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from .. import _files
from .dataset import Dataset, _encode_labels, _from_rows
from .roles import label_name
from .tables import feature_rows, is_number, read_table

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
        repo_root = Path(__file__).resolve().parents[3]
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
    delimiter: str | None = None,
    *,
    task: str | None = None,
    encoding: str | None = None,
) -> Dataset:
    """A table of numbers, one example per row: X (n_x, m), Y (1, m).

    A CSV file (``"-"``: standard input; delimiter and encoding detected unless given, see
    :func:`~layerwise.data.tables.read_table`) or a Parquet file. ``label`` picks the label
    column by name or index (default: the last). Every other column must hold numbers, every
    cell filled (tables with text columns or missing cells: :func:`layerwise.tabular.fit_table`,
    ``layerwise train``). String labels become 0..k-1 with ``class_names`` kept.
    """
    table = read_table(path, delimiter=delimiter, encoding=encoding)
    name = label_name(table, label)
    feature_names = [n for n in table.names if n != name]
    if not feature_names:
        raise ValueError(f"{table.source} has no feature columns: its one column {name!r} is the label")
    for n in feature_names:
        column = table[n]
        if column.dtype.kind != "f":
            i = next(i for i, v in enumerate(column) if v is not None and not is_number(v))
            raise ValueError(f"{table.source}: row {i + 2}, column {n!r}: {column[i]!r} is not a number "
                             "(categorical columns: layerwise train, or layerwise.tabular.fit_table)")  # fmt: skip
        if not np.isfinite(column).all():
            i = int(np.flatnonzero(~np.isfinite(column))[0])
            what = "missing (empty or NaN)" if np.isnan(column[i]) else f"{column[i]}"
            raise ValueError(f"{table.source}: row {i + 2}, column {n!r}: the cell is {what}; expected a finite number "
                             "(missing cells: layerwise train imputes them, or layerwise.tabular.fit_table)")  # fmt: skip
    X = feature_rows(table, feature_names)
    y = table[name]
    missing = np.isnan(y) if y.dtype.kind == "f" else np.array([v is None for v in y])
    if missing.any() or (y.dtype.kind == "f" and np.isinf(y).any()):
        i = int(np.flatnonzero(missing | (np.isinf(y) if y.dtype.kind == "f" else missing))[0])
        raise ValueError(f"{table.source}: row {i + 2}, column {name!r}: the label is {'missing' if missing[i] else y[i]}")
    Y, task, class_names = _encode_labels(y.astype(str) if y.dtype.kind == "O" else y, task)
    stem = "stdin" if table.source == "<stdin>" else Path(path).stem
    return Dataset(np.ascontiguousarray(X), Y, task, feature_names, class_names, stem, name)
