"""File readers: CSV, NumPy .npz and HDF5 files -> ``Dataset`` (examples as columns).

``read_csv`` is the one function that parses CSV text (a path, or ``"-"`` for standard input)
into a ``Table`` of named, typed columns; ``load_csv`` makes a ``Dataset`` of it.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import numpy as np

from .dataset import Dataset, _encode_labels, _from_rows

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


def _h5py() -> ModuleType:
    try:
        import h5py
    except ImportError as e:
        raise ImportError("reading HDF5 files needs h5py: pip install layerwise[hdf5]") from e
    return h5py


def load_hdf5(
    path: str | os.PathLike[str],
    x_key: str = "X",
    y_key: str = "Y",
    *,
    classes_key: str | None = None,
    task: str | None = None,
) -> Dataset:
    """An HDF5 file whose datasets ``x_key``, ``y_key`` hold one example per row.

    Returns X (n_x, m) float64 (images flattened as ``x.reshape(m, -1).T``, values unscaled)
    and Y (1, m). ``classes_key`` names a dataset of class names (bytes or str).
    """
    h5py = _h5py()
    with h5py.File(path, "r") as f:
        missing = [k for k in (x_key, y_key, classes_key) if k is not None and k not in f]
        if missing:
            raise KeyError(f"{path}: no dataset {missing[0]!r}; the file has {sorted(f.keys())}")
        if f[x_key].dtype.kind not in "biuf":  # checked before reading: nothing but numbers is loaded as X
            raise ValueError(f"{path}: {x_key!r} must be numeric, got dtype {f[x_key].dtype}")
        if not f[x_key].shape or not f[y_key].shape or f[x_key].shape[0] != f[y_key].shape[0]:
            raise ValueError(f"{path}: {x_key!r} has shape {f[x_key].shape} and {y_key!r} has shape {f[y_key].shape}: "
                             "with one example per row their first dimensions must match")  # fmt: skip
        x = f[x_key][()]
        y = f[y_key].asstr()[()] if h5py.check_string_dtype(f[y_key].dtype) else f[y_key][()]
        names = (
            None
            if classes_key is None
            else [c.decode() if isinstance(c, bytes) else str(c) for c in f[classes_key][()]]
        )
    ds = _from_rows(np.asarray(x), np.asarray(y), x_key, y_key, True, task, Path(path).stem)
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
) -> Dataset:
    """A NumPy .npz file (no pickles): X (n_x, m), Y (1, m) or (n_y, m).

    With ``rows_are_examples`` the arrays are (m, ...) and (m,) or (m, n_y), turned into
    columns; otherwise they are already (n_x, m) and (m,), (1, m) or (n_y, m).
    """
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in (x_key, y_key) if k not in f.files]
        if missing:
            raise KeyError(f"{path}: no array {missing[0]!r}; the file has {f.files}")
        x, y = f[x_key], f[y_key]
    return _from_rows(x, y, x_key, y_key, rows_are_examples, task, Path(path).stem)


@dataclass(frozen=True)
class Table:
    """A CSV file's text: ``names`` (the header), ``cells (m, n_columns)`` as strings, the file's
    line number of each row and the ``source`` (its path, or ``"<stdin>"``) for messages."""

    names: list[str]
    cells: np.ndarray
    lines: list[int]
    source: str

    def __len__(self) -> int:
        return self.cells.shape[0]

    def index(self, column: str | int, what: str = "column") -> int:
        """The position of ``column`` (a name, or an index; negative counts from the end)."""
        if isinstance(column, str):
            if column not in self.names:
                raise ValueError(f"{self.source}: no {what} {column!r}; the columns are {self.names}")
            return self.names.index(column)
        if -len(self.names) <= column < len(self.names):
            return column % len(self.names)
        raise ValueError(f"{self.source}: {what} index {column} out of range for {len(self.names)} columns")

    def column(self, j: int) -> np.ndarray:
        """Column ``j`` as ``(m,)`` float64 when every cell is a number, else as strings."""
        cells = self.cells[:, j]
        return cells.astype(np.float64) if _all_numbers(cells) else cells

    def columns(self) -> dict[str, np.ndarray]:
        """Every column by name, typed as :meth:`column` does."""
        return {name: self.column(j) for j, name in enumerate(self.names)}

    def location(self, row: int, j: int) -> str:
        """``"FILE: row N, column 'c'"`` for example ``row`` (0-based) and column ``j``."""
        return f"{self.source}: row {self.lines[row]}, column {self.names[j]!r}"


def read_csv(source: str | os.PathLike[str], delimiter: str = ",") -> Table:
    """The CSV file ``source`` (``"-"``: standard input) with a header row, one example per row."""
    if os.fspath(source) == "-":
        return _read_csv(io.StringIO(sys.stdin.read()), "<stdin>", delimiter)
    with open(source, newline="") as f:
        return _read_csv(f, os.fspath(source), delimiter)


def _read_csv(f, path: str, delimiter: str) -> Table:
    reader = csv.reader(f, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{path} is empty; a header row of column names is needed")
    if _all_numbers(header):
        raise ValueError(f"{path}: the first row must be a header of column names, got {header}")
    if len(set(header)) != len(header):
        raise ValueError(f"{path}: the header names a column twice: {sorted({h for h in header if header.count(h) > 1})}")
    rows, lines = [], []
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}: row {reader.line_num} has {len(row)} cells, the header {len(header)}")
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise ValueError(f"{path} has a header but no rows")
    return Table(list(header), np.array(rows, dtype=str), lines, path)


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
    ``path`` ``"-"`` reads standard input.
    """
    table = read_csv(path, delimiter)
    col = table.index(label, "column" if isinstance(label, str) else "label")
    feature_names = table.names[:col] + table.names[col + 1 :]
    X = numeric_features(table, [j for j in range(len(table.names)) if j != col])
    y = table.column(col)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad_row = int(np.argwhere(~np.isfinite(y))[0, 0])
        raise ValueError(f"{table.location(bad_row, col)}: the label {y[bad_row]} is NaN or infinite")
    Y, task, class_names = _encode_labels(y, task)
    name = "stdin" if table.source == "<stdin>" else Path(path).stem
    return Dataset(X, Y, task, feature_names, class_names, name, table.names[col])


def numeric_features(table: Table, columns: Sequence[int]) -> np.ndarray:
    """``X: (len(columns), m)`` float64 of the given columns, each cell a finite number, else a
    ``ValueError`` naming the file, row and column."""
    cells = table.cells[:, list(columns)]
    try:
        X = cells.astype(np.float64).T
    except ValueError:
        i, j = next((i, j) for i, row in enumerate(cells) for j, c in enumerate(row) if not _is_number(c))
        raise ValueError(f"{table.location(i, columns[j])}: {str(cells[i, j])!r} is not a number") from None
    if not np.isfinite(X).all():  # "nan" and "inf" parse as numbers
        i, j = (int(k) for k in np.argwhere(~np.isfinite(X.T))[0])
        raise ValueError(f"{table.location(i, columns[j])}: {str(cells[i, j])!r} is NaN or infinite; expected a finite number")
    return np.ascontiguousarray(X)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _all_numbers(cells: Sequence[str]) -> bool:
    return all(_is_number(c) for c in cells)

