"""The role of each column of a :class:`~layerwise.data.tables.Table`: label, identifier, dropped, feature.

Features are numeric (float64 columns) or categorical (text columns, and the numeric columns
named in ``categorical``). A text column with a different value in every row looks like an
identifier and a column with a single value carries nothing: both are left out with a note
saying so (name them in ``categorical`` to use them anyway), never silently used.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .tables import TABLE_SUFFIXES, Table, is_number

#: A text column with at least this many rows, all different, is taken for an identifier.
MIN_ROWS_IDENTIFIER = 20


@dataclass
class Roles:
    """Column names by role, each list in the table's order; ``notes`` say what was left out and why."""

    label: str
    features: list[str]
    categorical: list[str]
    ids: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _missing(column: np.ndarray) -> np.ndarray:
    """(m,) bool: where the cell is missing (NaN or None)."""
    if column.dtype.kind == "f":
        return np.isnan(column)
    return np.array([v is None for v in column], dtype=bool)


def label_name(table: Table, label: str | int | None) -> str:
    """The name of the label column ``label`` (a name, or an index; default: the last column)."""
    if label is None:
        label = -1
    if isinstance(label, str):
        if label not in table:
            raise ValueError(f"{table.source}: no column {label!r}; the columns are {table.names}")
        return label
    if not -len(table.names) <= label < len(table.names):
        raise ValueError(f"{table.source}: label index {label} out of range for {len(table.names)} columns")
    return table.names[label]


def column_roles(
    table: Table,
    *,
    label: str | int | None = None,
    ids: Sequence[str] = (),
    drop: Sequence[str] = (),
    categorical: Sequence[str] = (),
) -> Roles:
    """Decide the roles of ``table``'s columns; ``label`` is a name or an index (default: the last).

    ``ids`` are carried to predictions, never features; ``drop`` are ignored; ``categorical``
    forces those columns (e.g. integer codes) to be one-hot encoded.
    """
    label = label_name(table, label)
    given = {"--id": list(ids), "--drop": list(drop), "--categorical": list(categorical)}
    for option, names in given.items():
        for n in names:
            table[n]  # noqa: B018
            if n == label:
                raise ValueError(f"{option} {n}: {n!r} is the label column")
    both = set(ids) & set(drop)
    if both:
        raise ValueError(f"column {sorted(both)[0]!r} is given to both --id and --drop")
    clash = set(categorical) & (set(ids) | set(drop))
    if clash:
        raise ValueError(f"column {sorted(clash)[0]!r} is categorical and also an --id or --drop column")
    roles = Roles(label, [], [], [n for n in table.names if n in ids], [n for n in table.names if n in drop])
    for n in table.names:
        if n == label or n in ids or n in drop:
            continue
        column = table[n]
        present = column[~_missing(column)]
        forced = n in categorical
        odd = None if forced or column.dtype.kind != "O" else _text_among_numbers(column)
        if odd is not None:
            raise ValueError(f"{table.source}: {where(table, odd)}, column {n!r}: {column[odd]!r} is not a number, but nearly all the "
                             f"column's cells are: fix the cell, mark such cells missing (--na-values {shlex.quote(column[odd])}), "
                             f"or take the column as categories (--categorical {shlex.quote(n)})")  # fmt: skip
        if _is_row_index(n, column):
            roles.notes.append(f"column {n!r} numbers the rows 0, 1, 2, ... (an index written with the data): not used as a feature")
            roles.dropped.append(n)
            continue
        if not forced and len(np.unique(present.astype(str) if column.dtype.kind == "O" else present)) <= 1:
            value = repr(present[0].item() if isinstance(present[0], np.generic) else present[0]) if len(present) else "no value"
            roles.notes.append(f"column {n!r} holds {value} in every row: not used as a feature")
            roles.dropped.append(n)
            continue
        if column.dtype.kind == "O" and not forced and len(present) >= MIN_ROWS_IDENTIFIER and len(set(present)) == len(present):
            roles.notes.append(f"column {n!r} has a different value in each of its {len(present)} rows, like an identifier: "
                               f"not used as a feature (--id {n} carries it to the predictions; --categorical {n} uses it)")  # fmt: skip
            roles.dropped.append(n)
            continue
        roles.features.append(n)
        if column.dtype.kind == "O" or forced:
            roles.categorical.append(n)
    if not roles.features:
        raise ValueError(f"{table.source}: no feature columns are left beside the label {label!r}"
                         + (f" ({'; '.join(roles.notes)})" if roles.notes else ""))  # fmt: skip
    roles.dropped = [n for n in table.names if n in roles.dropped]
    return roles


def where(table: Table, i: int) -> str:
    """Where row ``i`` (0-based) of ``table`` is, for a message: "row i + 2" of a file (the header
    is row 1), else "example i"."""
    return f"row {i + 2}" if table.source.endswith(TABLE_SUFFIXES) or table.source == "<stdin>" else f"example {i}"


def _text_among_numbers(column: np.ndarray, look: int = 10_000) -> int | None:
    """The index of the first cell that is not a number in a text column whose first ``look``
    present cells are mostly (at least 90 %) numbers, else None."""
    present = [(i, v) for i, v in enumerate(column[: 4 * look]) if v is not None][:look]
    odd = [i for i, v in present if not is_number(v)]
    return odd[0] if present and odd and len(odd) <= 0.1 * len(present) else None


def _is_row_index(name: str, column: np.ndarray) -> bool:
    """An unnamed column (pandas writes its index as "Unnamed: 0") holding 0..m-1 or 1..m."""
    if not (name == "" or name.startswith("Unnamed: ")) or column.dtype.kind != "f" or len(column) < 2:
        return False
    return bool(np.array_equal(column, np.arange(len(column))) or np.array_equal(column, np.arange(1, len(column) + 1)))


def labelled_rows(table: Table, label: str) -> tuple[np.ndarray, int]:
    """(indices of the rows whose label is present, number of rows dropped for a missing label)."""
    missing = _missing(table[label])
    if missing.all():
        raise ValueError(f"{table.source}: the label column {label!r} has no value in any row")
    return np.flatnonzero(~missing), int(missing.sum())
