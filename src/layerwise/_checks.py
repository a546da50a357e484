"""Validation at the door: every public entry point checks its arguments here, once.

Each check raises a ``ValueError`` (a wrong value or shape) or a ``TypeError`` (a wrong kind
of object) whose message names the argument, what was given and what is expected, so that no
NumPy broadcasting traceback reaches the user. Inputs that can be used as they are (integer
arrays, non-contiguous or read-only arrays) are converted, never refused, and never written to.
"""

from __future__ import annotations

import numbers
from typing import NoReturn

import numpy as np

FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}
MAX_SEED = 2**32 - 1  # what np.random.RandomState accepts


def _show(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages about arbitrary objects."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- scalars ---------------------------------------------------------------------------------


def is_int(x) -> bool:
    """An integer (NumPy integers too), not a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_real(x) -> bool:
    """A real number (NumPy numbers too), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def parse_int(value, minimum: int) -> int:
    """An integer >= ``minimum``, from a number or its text (command-line flags, config files)."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an integer") from None
    if not is_int(value) or value < minimum:
        raise ValueError(f"{_show(value)} is not an integer >= {minimum}")
    return int(value)


def parse_real(value, low: float, high: float, low_open: bool, high_open: bool) -> float:
    """A finite number in the interval ``low .. high`` (open or closed at each end), from a number or its text."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if not is_real(value) or not np.isfinite(value):
        raise ValueError(f"{_show(value)} is not a finite number")
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{_show(value)} is not in {interval}")
    return float(value)


def check_dtype(dtype) -> np.dtype:
    """Resolve ``"float64"``/``"float32"`` (or the NumPy types) to a dtype; refuse others."""
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        resolved = None
    if resolved is None or resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype is {_show(dtype)}; expected one of {sorted(FLOAT_DTYPES)}")
    return resolved


def check_positive_int(name: str, value, *, allow_none: bool = False) -> int | None:
    """An integer >= 1 (bools and floats refused, NumPy integers accepted)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} is {_show(value)}; expected a positive integer")
    return int(value)


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} is {_show(value)}; expected a number")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} is {value!r}; expected a finite number {bound}")
    return value


def check_seed(name: str, seed) -> int | None:
    """None or an integer in ``[0, 2**32 - 1]`` (the range every NumPy generator accepts)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{name} is {_show(seed)}; expected None or an integer in [0, {MAX_SEED}]")
    return int(seed)


def check_bool(name: str, value) -> bool:
    """``True`` or ``False`` (NumPy bools too); a string like ``"no"`` is refused, not read as true."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} is {_show(value)}; expected True or False")
    return bool(value)


def check_name(name: str, value, known) -> str:
    """A string among ``known`` (a registry), so a typo fails with the list of known names."""
    if not isinstance(value, str):
        raise TypeError(f"{name} is {_show(value)}; expected a name, one of {sorted(known)}")
    if value not in known:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(known)}")
    return value


def check_instances(name: str, values, cls: type) -> list:
    """A list of ``cls`` instances, from any iterable (``cls`` is passed in: this module imports nothing)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} is {_show(values)}; expected a list of {cls.__name__} objects")
    values = list(values)
    for v in values:
        if not isinstance(v, cls):
            raise TypeError(f"{name} contains {_show(v)}; expected {cls.__name__} objects")
    return values


# ---- arrays ----------------------------------------------------------------------------------


def _as_numeric_array(name: str, arr, *, allow_bool: bool = False) -> np.ndarray:
    """``arr`` as an integer or float ndarray (no copy when it already is one); anything else refused."""
    if isinstance(arr, (str, bytes, dict, set)) or arr is None:
        raise TypeError(f"{name} is {type(arr).__name__}; expected a 2-D numeric array")
    try:
        a = np.asarray(arr)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be read as a 2-D array: {exc}") from None
    kind = a.dtype.kind
    if kind in "iuf" or (kind == "b" and allow_bool):
        return a
    if kind == "b":
        raise TypeError(f"{name} has dtype bool; expected numbers (use {name}.astype(float))")
    if kind == "c":
        raise TypeError(f"{name} has dtype {a.dtype}; expected real numbers, not complex")
    raise TypeError(f"{name} has dtype {a.dtype}; expected a numeric (float or int) array")


def _first_non_finite(a: np.ndarray, rows: str) -> str:
    """``"nan at feature 2, example 7"``: the first NaN or infinity of a 2-D array, in memory order."""
    row, col = (int(i) for i in np.argwhere(~np.isfinite(a))[0])
    return f"{a[row, col].item()} at {rows} {row}, example {col}"


def check_X(X, n_x: int | None, dtype, *, name: str = "X") -> np.ndarray:
    """X as a C-contiguous ``(n_x, m)`` array of ``dtype``; examples are columns.

    Returns the input itself when it already fits (a read-only X stays read-only: nothing in
    layerwise writes to its inputs), else a converted copy.
    """
    a = _as_numeric_array(name, X)
    if a.ndim != 2:
        hint = ""
        if a.ndim == 1:
            hint = f": use {name}.reshape({n_x if n_x else 'n_x'}, -1) or {name}.reshape(-1, 1)"
        raise ValueError(f"{name} has shape {a.shape}; expected a 2-D array (n_x, m){hint}")
    if a.shape[1] == 0 or a.shape[0] == 0:
        raise ValueError(f"{name} has shape {a.shape}; expected at least one feature and one example")
    if n_x is not None and a.shape[0] != n_x:
        if a.shape[1] == n_x:
            raise ValueError(
                f"{name} has shape {a.shape}; expected ({n_x}, m) with examples as columns: "
                f"it looks transposed, use {name}.T"
            )
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_x}, m): the network's input layer has {n_x} units")
    with np.errstate(over="ignore"):  # float64 -> float32 overflow is reported below as infinity
        out = np.ascontiguousarray(a, dtype=dtype)
    if not np.isfinite(out).all():
        raise ValueError(
            f"{name} contains NaN or infinity ({_first_non_finite(out, 'feature')}); "
            f"expected finite values in {np.dtype(dtype).name}"
        )
    return out


def check_Y(Y, m: int, n_y: int, dtype, *, binary: bool = False, name: str = "Y") -> np.ndarray:
    """Y as a C-contiguous ``(n_y, m)`` array of ``dtype``, with ``m`` matching X.

    ``binary``: labels must be 0 or 1 (a sigmoid output with binary cross-entropy); bools pass.
    """
    a = _as_numeric_array(name, Y, allow_bool=True)
    if a.ndim != 2:
        hint = f": use {name}.reshape({n_y}, -1)" if a.ndim == 1 else ""
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}){hint}")
    if a.shape != (n_y, m):
        if a.shape == (m, n_y):
            raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}): it looks transposed, use {name}.T")
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, {m}) to match X's {m} examples")
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(a, dtype=dtype)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} contains NaN or infinity ({_first_non_finite(out, 'row')}); expected finite values")
    if binary:
        bad = np.argwhere((out != 0) & (out != 1))
        if bad.size:
            row, col = (int(i) for i in bad[0])
            raise ValueError(
                f"{name} contains {out[row, col].item()!r}; expected labels in {{0, 1}} "
                f"for a sigmoid output with binary cross-entropy (first other value at example {col})"
            )
    return out


def check_output(name: str, AL, n_y: int) -> np.ndarray:
    """A network output ``AL: (n_y, m)`` handed back by the user (to ``cost``/``backward``)."""
    a = _as_numeric_array(name, AL)
    if a.ndim != 2 or a.shape[0] != n_y or a.shape[1] == 0:
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, m), the output of forward")
    return a


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


# ---- the building blocks: called only after NumPy refused an operation -------------------------


def explain_linear(A_prev, W, b) -> NoReturn:
    """Raise the error naming which of ``A_prev: (n[l-1], m)``, ``W: (n[l], n[l-1])``, ``b: (n[l], 1)`` is wrong.

    ``blocks.linear_forward`` calls this only when its computation failed or gave a result
    that is not 2-D, so the checks cost nothing on the normal path.
    """
    given = {"A_prev": A_prev, "W": W, "b": b}
    arrays = {key: _as_numeric_array(key, value) for key, value in given.items()}
    for key, expected in (("A_prev", "(n[l-1], m)"), ("W", "(n[l], n[l-1])"), ("b", "(n[l], 1)")):
        if arrays[key].ndim != 2:
            raise ValueError(f"{key} has shape {arrays[key].shape}; expected a 2-D array {expected}")
    A_prev, W, b = arrays.values()
    if W.shape[1] != A_prev.shape[0]:
        raise ValueError(
            f"W has shape {W.shape} and A_prev {A_prev.shape}; expected W: (n[l], {A_prev.shape[0]}) "
            f"with as many columns as A_prev has rows"
        )
    if b.shape != (W.shape[0], 1):
        raise ValueError(f"b has shape {b.shape}; expected ({W.shape[0]}, 1)")
    kinds = ", ".join(type(v).__name__ for v in given.values())
    raise TypeError(f"A_prev, W and b are {kinds}; expected NumPy arrays")


def explain_gradient(name: str, grad, expected_shape: tuple) -> NoReturn:
    """Raise the error for a gradient (``dZ``, ``dA``) that NumPy could not use: wrong kind or shape."""
    g = _as_numeric_array(name, grad)
    raise ValueError(f"{name} has shape {g.shape}; expected {tuple(expected_shape)}")
