"""Tabular files -> :class:`Table`: CSV (any delimiter, encoding, quoting, line ending) and Parquet.

Read with pandas (CSV) and pyarrow (Parquet), optional extras of the CLI (``pip install
layerwise[cli]``). A Table is column names and one 1-D NumPy array per column: float64 with
NaN for a missing cell, or an object array of ``str`` with ``None`` for a missing cell.
Numeric columns are rows of one C-contiguous float block, so the features of an all-numeric
file become X (n_x, m) without a copy.

Errors name the file, the row (counting the header as row 1) and the column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Rows read to decide which columns are numeric before the whole file is read with those types.
INFER_ROWS = 10_000
#: Rows per chunk of the full read: bounds the memory pandas holds beside the float block.
CHUNK_ROWS = 100_000
#: Bytes looked at to detect the encoding, the delimiter and the decimal mark.
SAMPLE_BYTES = 1 << 16
#: Bytes read at a time by the pass that counts the lines (and finds short rows) before parsing.
SCAN_BYTES = 1 << 24
DELIMITERS = (",", ";", "\t", "|")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+")
_TOKENIZE_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(eq=False)
class Table:
    """Named 1-D columns of equal length m: float64 (NaN = missing) or object (str, None = missing).

    ``source`` is what the rows came from (a path), for messages.
    """

    names: list[str]
    columns: list[np.ndarray]
    source: str = ""
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.names) != len(self.columns):
            raise ValueError(f"{len(self.names)} names for {len(self.columns)} columns")
        self._index = {}
        for i, (name, col) in enumerate(zip(self.names, self.columns, strict=True)):
            if name in self._index:
                raise ValueError(f"{self.source or 'the table'}: the column name {name!r} appears twice")
            if col.ndim != 1 or col.dtype.kind not in "fO":
                raise ValueError(f"column {name!r} must be 1-D float64 or object, got {col.dtype} {col.shape}")
            if len(col) != len(self.columns[0]):
                raise ValueError(f"column {name!r} has {len(col)} rows, column {self.names[0]!r} {len(self.columns[0])}")
            self._index[name] = i

    def __repr__(self) -> str:
        return f"Table({self.source!r}, {self.m} rows, columns {self.names})"

    @property
    def m(self) -> int:
        """Number of rows (examples)."""
        return len(self.columns[0]) if self.columns else 0

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._index:
            raise KeyError(f"{self.source or 'the table'} has no column {name!r}; the columns are {self.names}")
        return self.columns[self._index[name]]

    def is_numeric(self, name: str) -> bool:
        """Whether the column ``name`` holds numbers (float64)."""
        return self[name].dtype.kind == "f"

    def select(self, names: Sequence[str]) -> Table:
        """The columns ``names``, in that order (the arrays are shared, not copied)."""
        return Table(list(names), [self[n] for n in names], self.source)

    def rows(self, idx: np.ndarray) -> Table:
        """The rows at ``idx`` (a copy; numeric columns stay rows of one block)."""
        block = _block_rows([c for c in self.columns if c.dtype.kind == "f"])
        if block is None:
            return Table(list(self.names), [c[idx] for c in self.columns], self.source)
        base, rows = block
        picked = iter(base[np.ix_(rows, np.asarray(idx))])  # one new block for the numeric columns
        return Table(list(self.names), [next(picked) if c.dtype.kind == "f" else c[idx] for c in self.columns], self.source)


def as_table(data, source: str = "") -> Table:
    """A Table of ``data``: a Table, a pandas DataFrame (rows are examples) or a mapping of columns.

    Numeric columns (numbers, nullable integers) become float64 with NaN where missing; any
    other column becomes text (str, None where missing).
    """
    if isinstance(data, Table):
        return data
    if isinstance(data, Mapping):
        items = [(str(k), v) for k, v in data.items()]
    elif hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame, without importing pandas
        items = [(str(k), data[k]) for k in data.columns]
        source = source or "the DataFrame"
    else:
        raise TypeError(f"data is {type(data).__name__}; expected a pandas DataFrame, a Table or a mapping of columns")
    names, columns = [], []
    for name, values in items:
        names.append(name)
        columns.append(_column(name, values))
    return Table(names, columns, source or "the columns")


def _column(name: str, values) -> np.ndarray:
    if hasattr(values, "to_numpy"):  # a pandas Series: nullable numbers to NaN, text NA to None
        kind = getattr(values.dtype, "kind", "O")
        if kind in "iuf":
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        values = values.to_numpy(dtype=object)
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"column {name!r} has shape {a.shape}; expected one value per row")
    if a.dtype.kind in "iuf":
        return a.astype(np.float64)
    cells = a.tolist()
    numbers = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in cells)
    if numbers and any(v is not None for v in cells):
        return np.array([np.nan if v is None else v for v in cells], dtype=np.float64)
    return _text_cells(cells)


def feature_rows(table: Table, names: Sequence[str], categorical: Sequence[str] = ()) -> np.ndarray:
    """R (n, m): the columns ``names`` of ``table`` as rows, what a model's pipeline takes.

    float64 (NaN where missing) when none is ``categorical`` (a view of the reader's block when
    the columns are consecutive rows of it, so a large file is not copied); otherwise an object
    array whose categorical rows hold text (str, None) and whose other rows hold floats. A text
    cell in a numeric column is a ValueError naming the column and the example.
    """
    cat = set(categorical)
    columns = [table[n] if n in cat else _numbers(n, table[n]) for n in names]
    if not cat & set(names):
        block = _block_rows(columns)
        if block is None:
            return np.vstack(columns) if columns else np.zeros((0, table.m))
        base, rows = block
        consecutive = rows.size and np.array_equal(rows, np.arange(rows[0], rows[0] + rows.size))
        return base[rows[0] : rows[0] + rows.size] if consecutive else base[rows]
    out = np.empty((len(columns), table.m), dtype=object)
    for i, c in enumerate(columns):
        out[i] = c
    return out


def as_numbers(column: np.ndarray) -> np.ndarray:
    """A text column as float64: each cell that reads as a number, NaN for the others."""
    out = np.full(column.shape, np.nan)
    for i, v in enumerate(column):
        if v is not None and is_number(v):
            out[i] = float(v)
    return out


def _numbers(name: str, column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "f":
        return column
    out = np.empty(column.shape)
    for i, v in enumerate(column):
        try:
            out[i] = np.nan if v is None else float(v)
        except (TypeError, ValueError):
            raise ValueError(f"column {name!r}, example {i}: {v!r} is not a number") from None
    return out


def _block_rows(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(block, row indices) when every column is a whole row of one C-contiguous float64 block
    (as the readers make them), else None."""
    base = columns[0].base if columns else None
    if not isinstance(base, np.ndarray) or base.ndim != 2 or base.dtype != np.float64 or not base.flags.c_contiguous or not base.strides[0]:
        return None
    rows = []
    for c in columns:
        row, offset = divmod(c.ctypes.data - base.ctypes.data, base.strides[0])
        if c.base is not base or offset or c.strides != (8,) or c.shape != (base.shape[1],) or not 0 <= row < base.shape[0]:
            return None
        rows.append(row)
    return base, np.array(rows, dtype=np.int64)


# ----------------------------------------------------------------------------- readers


def _pandas():
    try:
        import pandas
    except ImportError as e:
        raise ImportError("reading CSV files needs pandas: pip install layerwise[cli]") from e
    return pandas


def read_table(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    usecols: Sequence[str] | None = None,
    numeric: Iterable[str] = (),
    text: Iterable[str] = (),
    na_values: Sequence[str] = (),
) -> Table:
    """A CSV or Parquet file (by suffix; "-" is a CSV on standard input) -> Table.

    CSV: ``delimiter`` (default: detected among , ; tab |), ``encoding`` (default: from the
    byte-order mark, which is stripped, else UTF-8, else cp1252), ``decimal`` ("." or ",";
    default "," only for a non-comma-separated file whose numbers all use a comma). A header row
    is required. Columns are numeric when every cell of their first ``INFER_ROWS`` rows is a
    number or missing; ``numeric`` / ``text`` force the type of the columns they name.
    ``usecols`` reads only those columns (in the file's order), naming any that are absent.
    Empty cells, and pandas' usual markers ("NA", "NaN", "null", ...), are missing; so are the
    cells equal to one of ``na_values`` (e.g. ``["?"]``).
    """
    key = "<stdin>" if os.fspath(path) == "-" else os.fspath(path)
    suffix = Path(key).suffix.lower()
    if key != "<stdin>" and not Path(key).is_file():
        raise FileNotFoundError(f"{key}: no such file")
    if suffix in (".parquet", ".pq"):
        if delimiter is not None or encoding is not None or decimal is not None:
            raise ValueError(f"{key}: delimiter, encoding and decimal apply to CSV files, not Parquet")
        return _read_parquet(key, usecols, set(numeric), set(text), set(na_values))
    return _read_csv(key, delimiter, encoding, decimal, usecols, set(numeric), set(text), list(na_values))


def _read_parquet(path: str, usecols, numeric: set[str], text: set[str], na_values: set[str]) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:
        raise ImportError("reading Parquet files needs pyarrow: pip install layerwise[cli]") from e
    try:
        f = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise ValueError(f"{path}: not a readable Parquet file ({e})") from None
    names = [str(n) for n in f.schema_arrow.names]
    _check_header(path, names)
    names = _used(path, names, usecols)
    types = {n: f.schema_arrow.field(n).type for n in names}
    kinds = {}
    for n, t in types.items():
        numeric_type = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        if n in text or not (numeric_type or n in numeric):
            kinds[n] = "text"
        else:
            kinds[n] = "numeric"
    m = f.metadata.num_rows
    numeric_names = [n for n in names if kinds[n] == "numeric"]
    block = np.empty((len(numeric_names), m))  # filled batch by batch: no second copy of the file
    texts: dict[str, list] = {n: [] for n in names if kinds[n] == "text"}
    start = 0
    for batch in f.iter_batches(batch_size=CHUNK_ROWS, columns=names):
        stop = start + batch.num_rows
        for i, n in enumerate(numeric_names):
            column = batch.column(n)
            try:
                block[i, start:stop] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            except pa.ArrowException as e:
                raise ValueError(f"{path}: column {n!r} ({types[n]}) cannot be read as numbers: {e}") from None
        for n, parts in texts.items():
            parts.append(_text_cells(batch.column(n).to_pylist(), na_values))
        start = stop
    by_name = {n: block[i] for i, n in enumerate(numeric_names)}
    by_name.update({n: np.concatenate(p) if p else np.empty(0, dtype=object) for n, p in texts.items()})
    return Table(names, [by_name[n] for n in names], path)


def _text_cells(values: Sequence, na_values: set[str] = frozenset()) -> np.ndarray:
    """Cells -> object array of str, None where missing (None, NaN, or one of ``na_values``)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None or (isinstance(v, float) and v != v) or str(v) in na_values else str(v) for v in values]
    return out


def _raw(path: str) -> tuple[io.BufferedIOBase, bytes]:
    """(binary stream positioned at 0, first SAMPLE_BYTES bytes); standard input is read whole."""
    if path == "<stdin>":
        stream = io.BytesIO(sys.stdin.buffer.read())
    else:
        stream = open(path, "rb")  # noqa: SIM115  (closed by the caller)
    sample = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    return stream, sample


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file starting with ``sample``: from its BOM, else UTF-8, else cp1252."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(sample) - 3:  # not just a character cut at the end of the sample
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    return "utf-8"


def _sample_rows(text: str, delimiter: str) -> list[list[str]]:
    lines = text.splitlines()[:-1] or text.splitlines()  # the last line may be cut off
    return [row for row in csv.reader(lines[:200], delimiter=delimiter) if row]


def detect_delimiter(text: str) -> str:
    """The delimiter among DELIMITERS that splits the sample into the most consistent >1 columns."""
    best, best_score = ",", (0.0, 1)
    for d in DELIMITERS:
        rows = _sample_rows(text, d)
        if not rows or len(rows[0]) < 2:
            continue
        consistent = sum(len(r) == len(rows[0]) for r in rows) / len(rows)
        score = (consistent, len(rows[0]))
        if score > best_score:
            best, best_score = d, score
    return best


def detect_decimal(text: str, delimiter: str) -> str:
    """"," when the delimiter is not a comma and the sample's numbers use a decimal comma only."""
    if delimiter == ",":
        return "."
    cells = [c.strip() for row in _sample_rows(text, delimiter)[1:] for c in row]
    comma = any(_DECIMAL_COMMA.fullmatch(c) for c in cells)
    point = any(_DECIMAL_POINT.fullmatch(c) for c in cells)
    return "," if comma and not point else "."


def _check_header(path: str, names: Sequence[str]) -> None:
    if not names:
        raise ValueError(f"{path} is empty; a header row of column names is needed")
    if all(is_number(n) for n in names):
        raise ValueError(f"{path}: the first row must be a header of column names, got {list(names)}")
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"{path}: the column name {n!r} appears twice in the header")
        seen.add(n)


def _used(path: str, names: list[str], usecols) -> list[str]:
    if usecols is None:
        return names
    missing = [c for c in usecols if c not in names]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r}; the columns are {names}")
    wanted = set(usecols)
    return [n for n in names if n in wanted]


def is_number(s: str) -> bool:
    """Whether the text ``s`` reads as a number (as ``float`` reads it)."""
    try:
        float(s)
    except ValueError:
        return False
    return True


def _read_csv(path, delimiter, encoding, decimal, usecols, numeric: set[str], text: set[str], na_values: list[str]) -> Table:
    pd = _pandas()
    stream, sample = _raw(path)
    with stream:
        encoding = encoding or detect_encoding(sample)
        try:
            head = sample.decode(encoding, errors="ignore")  # the sample may end inside a character
        except LookupError:
            raise ValueError(f"{path}: unknown encoding {encoding!r}") from None
        head = head.lstrip("\ufeff")
        if not head.strip():
            raise ValueError(f"{path} is empty; a header row of column names is needed")
        delimiter = delimiter or detect_delimiter(head)
        decimal = decimal or detect_decimal(head, delimiter)
        if decimal == delimiter:
            raise ValueError(f"{path}: the decimal mark {decimal!r} cannot also be the delimiter")
        names = next(csv.reader(io.StringIO(head), delimiter=delimiter, skipinitialspace=True))
        n_header = len(names)
        _check_header(path, names)
        names = _used(path, names, usecols)
        options = dict(sep=delimiter, encoding=encoding, decimal=decimal, skipinitialspace=True, engine="c", na_values=na_values,
                       usecols=None if usecols is None else names)  # fmt: skip  (usecols would hide a row too long)
        names, kinds = _infer_kinds(pd, stream, path, options, numeric, text)
        stream.seek(0)
        return _read_typed(pd, stream, path, options, names, kinds, n_header)


def _infer_kinds(pd, stream, path, options, numeric: set[str], text: set[str]) -> tuple[list[str], dict[str, str]]:
    """(the column names as pandas gives them, an empty one as "Unnamed: <i>"; name ->
    "numeric" | "text" | "empty" (no value in the first INFER_ROWS rows))."""
    first = _pandas_call(path, lambda: pd.read_csv(stream, dtype=str, nrows=INFER_ROWS, **options))
    names = [str(c) for c in first.columns]
    kinds = {}
    for n in names:
        cells = _numeric_text(first[n], options["decimal"])
        present = cells.notna()
        if n in text:
            kinds[n] = "text"
        elif n in numeric or (present.any() and pd.to_numeric(cells[present], errors="coerce").notna().all()):
            kinds[n] = "numeric"
        else:
            kinds[n] = "text" if present.any() else "empty"
    return names, kinds


def _numeric_text(cells, decimal: str):
    """String cells as float() reads them: a decimal comma becomes a point."""
    return cells.str.replace(",", ".", regex=False) if decimal == "," else cells


def _read_typed(pd, stream, path, options, names, kinds, n_header: int) -> Table:
    """The whole file, numeric columns as float64 straight from the parser, in chunks."""
    numeric_names = [n for n in names if kinds[n] == "numeric"]
    dtypes = {n: (np.float64 if kinds[n] == "numeric" else str) for n in names}
    # the float block is allocated once, for as many rows as the file has lines after the header,
    # and filled chunk by chunk: the file's numbers are never held twice
    capacity, short = _scan(stream, options["sep"], options["encoding"], n_header)
    if short is not None:
        raise ValueError(f"{path}: row {short[0]} has {short[1]} cells, the header {n_header}")
    block = np.empty((len(numeric_names), capacity))
    stream.seek(0)
    texts: dict[str, list[np.ndarray]] = {n: [] for n in names if kinds[n] != "numeric"}
    reader = _pandas_call(path, lambda: pd.read_csv(stream, dtype=dtypes, chunksize=CHUNK_ROWS, **options))
    start = 0
    with reader:
        while True:
            try:
                chunk = next(reader)
            except StopIteration:
                break
            except ValueError as e:
                if isinstance(e, pd.errors.ParserError) or "convert" not in str(e):
                    _raise_parser_error(path, e)
                stream.seek(0)
                _raise_not_a_number(pd, stream, path, options, start, numeric_names)
            stop = start + len(chunk)
            if numeric_names:
                block[:, start:stop] = chunk[numeric_names].to_numpy(dtype=np.float64).T
            for n, parts in texts.items():
                parts.append(chunk[n].to_numpy(dtype=object, na_value=None))
            start = stop
    if start == 0:
        raise ValueError(f"{path} has a header but no rows")
    if start < block.shape[1]:  # blank lines or line ends inside quotes: fewer rows than lines
        block = block[:, :start].copy()
    by_name = {n: block[i] for i, n in enumerate(numeric_names)}
    for n, parts in texts.items():
        cells = np.concatenate(parts)
        by_name[n] = _as_numbers(cells) if kinds[n] == "empty" else cells
    return Table(names, [by_name[n] for n in names], path)


def _scan(stream, delimiter: str, encoding: str, n_header: int) -> tuple[int, tuple[int, int] | None]:
    """(lines after the header, at least the rows; (row, cells) of the first row with fewer
    cells than the header, which pandas would silently fill with missing cells).

    One pass over the bytes: a b"\\n" ends each line in every encoding we read. Cells are
    counted by their delimiters where that is exact: an ASCII-compatible encoding and no quote
    character up to there (after one, a delimiter or line end may be inside a quoted field).
    """
    exact = codecs.lookup(encoding).name in _ASCII_COMPATIBLE and delimiter.isascii()
    n, last, short, tail, lines = 0, b"\n", None, b"", 0
    while chunk := stream.read(SCAN_BYTES):
        n, last = n + chunk.count(b"\n"), chunk[-1:]
        if exact and short is None:
            exact = b'"' not in chunk
            if exact:
                data = tail + chunk
                cut = data.rfind(b"\n") + 1
                short, tail = _short_row(data[:cut], delimiter, n_header, lines), data[cut:]
                lines += data.count(b"\n", 0, cut)
    if exact and short is None and tail:
        short = _short_row(tail + b"\n", delimiter, n_header, lines)
    return n - (last == b"\n"), short  # the header's line, or a last line without a line end


_ASCII_COMPATIBLE = {"utf-8", "utf-8-sig", "ascii", "cp1252", "iso8859-1", "latin-1"}


def _short_row(data: bytes, delimiter: str, n_header: int, before: int) -> tuple[int, int] | None:
    """(row, cells) of the first non-blank line of ``data`` (whole lines, ``before`` lines
    already seen) with fewer than ``n_header`` cells, or None."""
    a = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(a == 10)
    cells = np.diff(np.searchsorted(np.flatnonzero(a == ord(delimiter)), ends), prepend=0) + 1
    starts = np.concatenate([[0], ends[:-1] + 1])
    blank = (ends - starts) <= (a[np.maximum(ends - 1, 0)] == 13)  # empty, or only "\r"
    bad = np.flatnonzero((cells < n_header) & ~blank)
    return None if not bad.size else (before + int(bad[0]) + 1, int(cells[bad[0]]))


def _as_numbers(cells: np.ndarray) -> np.ndarray:
    """A column with no value in its first rows: float64 if every present cell is a number, else as is."""
    return as_numbers(cells) if all(is_number(c) for c in cells if c is not None) else cells


def _pandas_call(path, read):
    try:
        return read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not valid {e.encoding} text (byte {e.start}); pass the file's encoding") from None
    except ValueError as e:
        _raise_parser_error(path, e)


def _raise_parser_error(path, e: Exception):
    found = _TOKENIZE_ERROR.search(str(e))
    if found:
        expected, line, saw = found.groups()
        raise ValueError(f"{path}: row {line} has {saw} cells, the header {expected}") from None
    if isinstance(e, UnicodeDecodeError):
        raise ValueError(f"{path}: not valid {e.encoding} text (byte {e.start}); pass the file's encoding") from None
    raise ValueError(f"{path}: {' '.join(str(e).split())}") from None


def _raise_not_a_number(pd, stream, path, options, start: int, numeric_names: list[str]):
    """Find the cell of a numeric column, at or after data row ``start``, that is not a number."""
    rows = pd.read_csv(stream, dtype=str, skiprows=range(1, start + 1), nrows=CHUNK_ROWS, **options)
    for n in numeric_names:
        cells = _numeric_text(rows[n], options["decimal"])
        bad = cells.notna() & pd.to_numeric(cells, errors="coerce").isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"{path}: row {start + i + 2}, column {n!r}: {cells.iloc[i]!r} is not a number "
                             f"(the column holds numbers in its first rows)")  # fmt: skip
    raise ValueError(f"{path}: a numeric column holds a cell that is not a number after row {start + 1}")
