"""Validation at the door: every public entry point checks its arguments here, once.

Each check raises a ``ValueError`` (a wrong value or shape) or a ``TypeError`` (a wrong kind
of object) whose message names the argument, what was given and what is expected, so that no
NumPy broadcasting traceback reaches the user. Inputs that can be used as they are (integer
arrays, non-contiguous or read-only arrays) are converted, never refused, and never written to.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from typing import NoReturn

import numpy as np

FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}
MAX_SEED = 2**32 - 1  # what np.random.RandomState accepts
MAX_COUNT = 2**53  # the largest count (iterations, a step number) a float64 still counts exactly
MAX_PARAMETERS = 2**28  # weights and biases of one network: 2 GiB of float64


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
    if not is_int(value) or not minimum <= value <= MAX_COUNT:
        too_big = is_int(value) and value > MAX_COUNT
        raise ValueError(f"{_show(value)} is not an integer >= {minimum}" + (f" (at most 2**53 = {MAX_COUNT})" if too_big else ""))
    return int(value)


def parse_real(value, low: float, high: float, low_open: bool, high_open: bool) -> float:
    """A finite number in the interval ``low .. high`` (open or closed at each end), from a number or its text."""
    given = value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    if is_real(value):
        try:
            value = float(value)
        except OverflowError:  # an integer past any float, 10**400
            value = math.inf
    if not is_real(value) or not np.isfinite(value):
        too_large = not (isinstance(given, float) or isinstance(given, str) and any(w in given.lower() for w in ("inf", "nan")))
        raise ValueError(f"{_show(given)} is {'too large for a float' if too_large else 'not a finite number'}")
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


def check_positive_int(name: str, value, *, allow_none: bool = False, maximum: int = MAX_COUNT) -> int | None:
    """An integer in ``[1, maximum]`` (bools and floats refused, NumPy integers accepted)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= maximum:
        too_big = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > maximum
        raise ValueError(f"{name} is {_show(value)}; expected a positive integer" + (f" (at most {maximum})" if too_big else ""))
    return int(value)


def check_count(name: str, value) -> int:
    """An integer in ``[0, MAX_COUNT]``: a number of steps or epochs done, e.g. from a checkpoint."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{name} is {_show(value)}; expected an integer in [0, {MAX_COUNT}]")
    return int(value)


def to_float(name: str, value) -> float:
    """``float(value)`` for a real number (bools refused); an integer too large for a float
    (``10**400``) is a ``ValueError`` naming ``name``, not an ``OverflowError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} is {_show(value)}; expected a number")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is {_show(value)}; expected a finite number (this one is too large for a float)") from None


def check_positive_float(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    value = to_float(name, value)
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


def check_layer_dims(layer_dims, max_parameters: int = MAX_PARAMETERS) -> list[int]:
    """``[n0, n1, ..., nL]``: at least two positive sizes, with at most ``max_parameters`` weights
    and biases in all (checked before anything is allocated)."""
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, (Sequence, np.ndarray)):
        raise TypeError(f"layer_dims is {_show(layer_dims)}; expected a list of layer sizes like [n_x, n_h, n_y]")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims is {_show(dims)}; expected at least an input and an output size")
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"layer_dims is {_show(dims)}; every size must be a positive integer, got {_show(n)}")
    dims = [int(n) for n in dims]
    n_parameters = sum(n * (n_prev + 1) for n_prev, n in zip(dims, dims[1:]))
    if n_parameters > max_parameters:
        raise ValueError(f"layer_dims {_show(dims)} has {_show(n_parameters)} weights and biases; the limit is {max_parameters} "
                         f"({max_parameters * 8 // 2**30} GiB of float64): use fewer or smaller layers")  # fmt: skip
    return dims


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
    if isinstance(arr, np.ma.MaskedArray):  # np.asarray would drop the mask, and with it what it means
        mask = np.ma.getmaskarray(arr)
        if mask.any():
            first = tuple(int(i) for i in np.argwhere(mask)[0])
            at = f"{'feature' if name == 'X' else 'row'} {first[0]}, example {first[1]}" if mask.ndim == 2 else f"index {first}"
            raise ValueError(f"{name} is a masked array with {int(mask.sum())} masked entries (first at {at}); "
                             f"fill them ({name}.filled(value)) or drop those examples: layerwise does not guess them")  # fmt: skip
        arr = arr.data
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


def check_Y(Y, m: int, n_y: int, dtype, *, task: str = "regression", name: str = "Y") -> np.ndarray:
    """Y as a C-contiguous ``(n_y, m)`` array of ``dtype``, with ``m`` matching X.

    ``task`` "binary": labels must be 0 or 1 (a sigmoid output with binary cross-entropy), bools
    pass; "multiclass": every column a distribution over the classes (one-hot, or soft labels:
    non-negative, summing to 1), what categorical cross-entropy is defined for.
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
    if task == "binary":
        bad = np.argwhere((out != 0) & (out != 1))
        if bad.size:
            row, col = (int(i) for i in bad[0])
            raise ValueError(
                f"{name} contains {out[row, col].item()!r}; expected labels in {{0, 1}} "
                f"for a sigmoid output with binary cross-entropy (first other value at example {col})"
            )
    elif task == "multiclass":
        _check_distributions(name, out, "expected one-hot columns (or soft labels summing to 1) for a softmax output")
    return out


def _check_distributions(name: str, a: np.ndarray, expected: str) -> None:
    """Every column of ``a: (n, m)`` non-negative and summing to 1 (within sqrt(eps) of its dtype)."""
    negative = np.argwhere(a < 0)
    if negative.size:
        row, col = (int(i) for i in negative[0])
        raise ValueError(f"{name} contains {a[row, col].item()!r} at row {row}, example {col}; entries must be non-negative: {expected}")
    sums = a.sum(axis=0, dtype=np.float64)
    off = np.flatnonzero(np.abs(sums - 1) > np.sqrt(np.finfo(a.dtype).eps))
    if off.size:
        raise ValueError(f"{name} column {int(off[0])} sums to {sums[off[0]]:g}; {expected}")


def check_output(name: str, AL, n_y: int, task: str = "regression") -> np.ndarray:
    """A network output ``AL: (n_y, m)`` handed back by the user (to ``cost``/``backward``):
    finite; for "binary" probabilities in [0, 1]; for "multiclass" columns that are distributions."""
    a = _as_numeric_array(name, AL)
    if a.ndim != 2 or a.shape[0] != n_y or a.shape[1] == 0:
        raise ValueError(f"{name} has shape {a.shape}; expected ({n_y}, m), the output of forward")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinity ({_first_non_finite(a, 'unit')}); expected the finite output of forward")
    if task == "binary" and ((a < 0) | (a > 1)).any():
        row, col = (int(i) for i in np.argwhere((a < 0) | (a > 1))[0])
        raise ValueError(f"{name} contains {a[row, col].item()!r} at example {col}; expected sigmoid probabilities in [0, 1]")
    if task == "multiclass":
        _check_distributions(name, a if a.dtype.kind == "f" else a.astype(np.float64), "expected softmax probabilities, the output of forward")
    return a


def check_sample_weight(sample_weight, m: int, dtype) -> np.ndarray | None:
    """Finite non-negative weights of shape ``(1, m)``, scaled to a largest weight of 1 (so that
    no sum or product of weights overflows); a 1-D ``(m,)`` is refused like any rank-1 array."""
    if sample_weight is None:
        return None
    w = _as_numeric_array("sample_weight", sample_weight)
    if w.shape != (1, m):
        hint = ": use sample_weight.reshape(1, -1)" if w.ndim == 1 else ""
        raise ValueError(f"sample_weight has shape {w.shape}; expected (1, {m}){hint}")
    return np.ascontiguousarray(_scaled_weights("sample_weight", w.astype(np.float64)), dtype=dtype)


def check_class_weight(class_weight, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-example weights ``(m,)`` for the class ``labels: (m,)`` from ``"balanced"`` (scikit-learn's
    ``m / (n_classes * count)``) or ``{label: weight}`` (missing labels weigh 1, each weight
    finite and >= 0), scaled like ``check_sample_weight`` to a largest weight of 1."""
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(labels, minlength=n_classes)
        per_class = np.where(counts > 0, labels.size / (n_classes * np.maximum(counts, 1)), 0.0)
    elif isinstance(class_weight, dict):
        unknown = [k for k in class_weight if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < n_classes]
        if unknown:
            raise ValueError(f"class_weight has classes {sorted(map(repr, unknown))}; expected keys among 0..{n_classes - 1}")
        per_class = np.ones(n_classes)
        for label, weight in class_weight.items():
            per_class[int(label)] = check_positive_float(f"class_weight[{label}]", weight, allow_zero=True)
    else:
        raise ValueError(f"class_weight is {_show(class_weight)}; expected a dict {{label: weight}} or 'balanced'")
    return _scaled_weights("class_weight", per_class[labels])


def _scaled_weights(name: str, w: np.ndarray) -> np.ndarray:
    """Float64 weights divided by their largest; refuses NaN, infinite, negative or all-zero weights."""
    bad = np.flatnonzero(~np.isfinite(w.ravel()) | (w.ravel() < 0))
    if bad.size:
        raise ValueError(f"{name} contains {w.ravel()[bad[0]].item()!r} at example {int(bad[0])}; expected finite weights >= 0")
    top = w.max()
    if top == 0:
        raise ValueError(f"{name} is all zero; expected finite weights >= 0, not all zero")
    return w / top


def mean_one(w: np.ndarray) -> np.ndarray:
    """Checked weights ``w: (1, m)`` (largest 1) divided by their mean, the normalisation of the losses."""
    mean = w.mean(dtype=np.float64)
    if not mean > 0:
        raise ValueError("sample_weight and class_weight together weigh every example 0 (their products underflow); expected some weight > 0")
    return (w / mean).astype(w.dtype, copy=False)


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


# ---- JSON from outside: bounded before it is used ----------------------------------------------

MAX_JSON_CONTAINERS = 100_000  # objects and arrays in one document


def parse_json(text: str | bytes, what: str, *, max_bytes: int, max_depth: int, max_containers: int = MAX_JSON_CONTAINERS):
    """JSON data from ``text``, refusing a document larger than ``max_bytes``, with more than
    ``max_containers`` objects and arrays or nested deeper than ``max_depth``.

    Memory stays a small multiple of ``max_bytes``: the containers are counted (from the
    brackets, strings included, so the count can only be too high) before anything is parsed,
    and a ``ValueError`` naming ``what`` says which limit was passed.
    """
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise ValueError(f"{what} is {size} bytes; the limit is {max_bytes}")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{what} is not UTF-8 JSON: {exc}") from None
    if text.count("{") + text.count("[") > max_containers:
        raise ValueError(f"{what} holds more than {max_containers} JSON objects and arrays")
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError(f"{what} is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 JSON: {exc}") from None
    level, depth = [data], 0
    while level := [c for c in level if isinstance(c, (dict, list))]:
        depth += 1
        if depth > max_depth:
            raise ValueError(f"{what} is nested more than {max_depth} levels deep")
        level = [v for c in level for v in (c.values() if isinstance(c, dict) else c)]
    return data
