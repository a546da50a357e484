"""Validation at the door: every public entry point checks its arrays here, once.

Each check raises a ``ValueError`` or ``TypeError`` that names the argument, what was given
and what is expected, so that no NumPy broadcasting traceback reaches the user.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}


def check_dtype(dtype) -> np.dtype:
    """Resolve ``"float64"``/``"float32"`` (or the NumPy types) to a dtype; refuse others."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype is {dtype!r}; expected one of {sorted(FLOAT_DTYPES)}")
    return resolved


def check_positive_int(name: str, value, *, allow_none: bool = False) -> int | None:
    """An integer >= 1 (bools refused)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")
    return int(value)


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} is {value!r}; expected a number")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} is {value!r}; expected a finite number {bound}")
    return value


def _as_numeric_array(name: str, arr) -> np.ndarray:
    if isinstance(arr, (str, bytes)) or arr is None:
        raise TypeError(f"{name} is {type(arr).__name__}; expected a 2-D numeric array")
    try:
        a = np.asarray(arr)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a 2-D array: {exc}") from None
    kind = a.dtype.kind
    if kind in "iu":
        return a
    if kind == "f":
        return a
    if kind == "b":
        raise TypeError(f"{name} has dtype bool; expected numbers (use {name}.astype(float))")
    if kind == "c":
        raise TypeError(f"{name} has dtype {a.dtype}; expected real numbers, not complex")
    raise TypeError(f"{name} has dtype {a.dtype}; expected a numeric (float or int) array")


def check_X(X, n_x: int | None, dtype) -> np.ndarray:
    """X as a C-contiguous ``(n_x, m)`` array of ``dtype``; examples are columns."""
    a = _as_numeric_array("X", X)
    if a.ndim != 2:
        hint = ""
        if a.ndim == 1:
            hint = f": use X.reshape({n_x if n_x else 'n_x'}, -1) or X.reshape(-1, 1)"
        raise ValueError(f"X has shape {a.shape}; expected a 2-D array (n_x, m){hint}")
    if a.shape[1] == 0 or a.shape[0] == 0:
        raise ValueError(f"X has shape {a.shape}; expected at least one feature and one example")
    if n_x is not None and a.shape[0] != n_x:
        if a.shape[1] == n_x:
            raise ValueError(
                f"X has shape {a.shape}; expected ({n_x}, m) with examples as columns: "
                f"it looks transposed, use X.T"
            )
        raise ValueError(f"X has shape {a.shape}; expected ({n_x}, m): the network's input layer has {n_x} units")
    out = np.ascontiguousarray(a, dtype=dtype)
    if not np.isfinite(out).all():
        col = int(np.argwhere(~np.isfinite(out))[0, 1])
        raise ValueError(f"X contains NaN or infinity (first in example {col}); expected finite values")
    return out


def check_Y(Y, m: int, n_y: int, dtype, *, binary: bool = False, name: str = "Y") -> np.ndarray:
    """Y as a C-contiguous ``(n_y, m)`` array of ``dtype``, with ``m`` matching X."""
    a = _as_numeric_array(name, Y) if not (np.asarray(Y).dtype.kind == "b") else np.asarray(Y)
    if a.ndim != 2:
        hint = f": use {name}.reshape({n_y}, -1)" if a.ndim == 1 else ""
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}){hint}")
    if a.shape != (n_y, m):
        if a.shape == (m, n_y):
            raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}): it looks transposed, use {name}.T")
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}) to match X's {m} examples")
    out = np.ascontiguousarray(a, dtype=dtype)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} contains NaN or infinity; expected finite values")
    if binary and not np.all((out == 0) | (out == 1)):
        bad = out[(out != 0) & (out != 1)][0]
        raise ValueError(
            f"{name} contains {bad!r}; expected labels in {{0, 1}} for a sigmoid output with binary cross-entropy"
        )
    return out


def check_sample_weight(sample_weight, m: int, dtype) -> np.ndarray | None:
    """Non-negative weights of shape ``(1, m)`` (a 1-D ``(m,)`` is refused like any rank-1 array)."""
    if sample_weight is None:
        return None
    w = _as_numeric_array("sample_weight", sample_weight)
    if w.shape != (1, m):
        hint = ": use sample_weight.reshape(1, -1)" if w.ndim == 1 else ""
        raise ValueError(f"sample_weight has shape {w.shape}; expected (1, {m}){hint}")
    w = np.ascontiguousarray(w, dtype=dtype)
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero")
    return w
