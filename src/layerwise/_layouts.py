"""The weight gradient ``dW = dZ A_prev.T`` in the faster of two layouts, chosen by measurement.

NumPy computes ``np.dot(dZ, A_prev.T)``. The same sums computed as the transposed product
``(A_prev dZ.T).T`` (into a scratch array, then copied into ``dW``) give the same floats for
most shapes, and on some BLAS kernels run faster: OpenBLAS's SkylakeX float32 kernels take
25-35% less time for a layer of few units (``n[l]`` of 10 or 20 against ``n[l-1]`` in the
hundreds or thousands), and up to 40% more in float64 for the same shapes. So the rule is a
measurement, not a shape or a CPU name: the first product of each (shapes, dtype, memory order
of ``A_prev``, BLAS thread count) times both layouts, ``RUNS`` times each in turn, and the
transposed one is kept only if its best run beats NumPy's best by ``MARGIN`` (3%) and its
result there is NumPy's bit for bit. (Where the two BLAS calls add in different orders, most
elements differ in their last bits, and that layout is never taken; where they agree on the
timed product they may still differ, rarely, in the last bit of an element of another
product: the layouts are equal to rounding, like every fast path, and ``LAYERWISE_KERNELS=numpy``
gives NumPy's floats.) Products
under ``MIN_MULTIPLY_ADDS`` (too short to time) or over ``MAX_TIMED_S`` (near the BLAS's peak
in either layout, and costly to time) keep NumPy's layout. Decisions are cached for the
process; so are the scratch arrays of the shapes where the transposed layout won.

``LAYERWISE_KERNELS`` (read at every product, see ``layerwise.kernels.enabled``) switches the
choice off: ``numpy``, or a list of names without ``layouts``, keeps NumPy's product.
"""

from __future__ import annotations

import time

import numpy as np

from .kernels import enabled

RUNS = 5
MARGIN = 0.97
MIN_MULTIPLY_ADDS = 1 << 20
MAX_TIMED_S = 0.02

_transposed: dict[tuple, bool] = {}  # the decisions, by (shapes, dtype, order, threads)
_scratch: dict[tuple, np.ndarray] = {}  # (n[l-1], n[l]) arrays of the shapes decided transposed
_blas = None  # threadpoolctl's controllers of the loaded BLAS libraries (an empty list without it)


def _blas_threads() -> tuple[int, ...]:
    """The thread count of each BLAS library NumPy may call (as threadpoolctl sees it; () without it)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas = []
        else:
            _blas = ThreadpoolController().select(user_api="blas").lib_controllers
    return tuple(lib.get_num_threads() for lib in _blas)


def _numpy(dZ: np.ndarray, A_prev: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.dot(dZ, A_prev.T, out=out)


def _transposed_product(dZ: np.ndarray, A_prev: np.ndarray, out: np.ndarray) -> np.ndarray:
    key = (A_prev.shape[0], dZ.shape[0], out.dtype.str)
    t = _scratch.get(key)
    if t is None:
        t = _scratch[key] = np.empty(key[:2], out.dtype)
    np.dot(A_prev, dZ.T, out=t)
    np.copyto(out, t.T)
    return out


def _faster_transposed(dZ: np.ndarray, A_prev: np.ndarray, out: np.ndarray) -> bool:
    """Times both layouts on these very arrays (every run leaves ``out`` = dW), after one run of
    each to warm them; True if the transposed one wins. A product longer than ``MAX_TIMED_S``
    keeps NumPy's layout untimed (long products run near the BLAS's peak in either layout), and
    so does one whose transposed result is not NumPy's bit for bit."""
    start = time.perf_counter()
    _numpy(dZ, A_prev, out)
    if time.perf_counter() - start > MAX_TIMED_S:
        return False
    expected = out.copy()
    if not np.array_equal(_transposed_product(dZ, A_prev, out), expected):
        del _scratch[(A_prev.shape[0], dZ.shape[0], out.dtype.str)]
        return False
    best = {_numpy: np.inf, _transposed_product: np.inf}
    for i in range(RUNS):
        for product in list(best)[:: 1 - 2 * (i % 2)]:  # in turn, the order alternating
            start = time.perf_counter()
            product(dZ, A_prev, out)
            best[product] = min(best[product], time.perf_counter() - start)
    won = best[_transposed_product] < MARGIN * best[_numpy]
    if not won:
        del _scratch[(A_prev.shape[0], dZ.shape[0], out.dtype.str)]
    return won


def weight_gradient(dZ: np.ndarray, A_prev: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = dZ A_prev.T`` for ``dZ: (n[l], m)``, a dense ``A_prev: (n[l-1], m)`` and a C-ordered
    ``out: (n[l], n[l-1])``, in the layout measured faster for these shapes. Returns ``out``."""
    n, m = dZ.shape
    if (
        n * A_prev.shape[0] * m < MIN_MULTIPLY_ADDS
        or not (dZ.dtype == A_prev.dtype == out.dtype and out.flags.c_contiguous)
        or not enabled("layouts")
    ):
        return _numpy(dZ, A_prev, out)
    key = (dZ.shape, A_prev.shape, out.dtype.str, A_prev.flags.f_contiguous, dZ.flags.c_contiguous, _blas_threads())
    choice = _transposed.get(key)
    if choice is None:
        _transposed[key] = _faster_transposed(dZ, A_prev, out)
        return out
    return _transposed_product(dZ, A_prev, out) if choice else _numpy(dZ, A_prev, out)
