"""Parameter initialisation: ``W[l]: (n[l], n[l-1])`` drawn by a named rule, ``b[l]: (n[l], 1)`` zeros.

The draws use ``np.random.RandomState(seed)`` in layer order, which is the stream of the
course's ``np.random.seed(seed)`` followed by ``np.random.randn``: ``small_random`` with
``seed=1`` gives the course's 2-layer initial parameters and ``xavier`` with ``seed=1`` its
L-layer ones (``randn / sqrt(n[l-1])``), so its published figures can be reproduced.
Random weights break the symmetry between units; zeros are only fine for logistic regression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Initializer = Callable[[int, int, np.random.RandomState], np.ndarray]


def zeros(n: int, n_prev: int, rng: np.random.RandomState) -> np.ndarray:
    """W = 0: every unit of a layer computes the same thing (fine for one unit)."""
    return np.zeros((n, n_prev))


def small_random(n: int, n_prev: int, rng: np.random.RandomState) -> np.ndarray:
    """W = randn * 0.01, the course's first initialisation."""
    return rng.randn(n, n_prev) * 0.01


def he(n: int, n_prev: int, rng: np.random.RandomState) -> np.ndarray:
    """W = randn * sqrt(2 / n[l-1]), for ReLU layers."""
    return rng.randn(n, n_prev) * np.sqrt(2.0 / n_prev)


def xavier(n: int, n_prev: int, rng: np.random.RandomState) -> np.ndarray:
    """W = randn * sqrt(1 / n[l-1]), for tanh and sigmoid layers."""
    return rng.randn(n, n_prev) * np.sqrt(1.0 / n_prev)


INITIALIZERS: dict[str, Initializer] = {f.__name__: f for f in (zeros, small_random, he, xavier)}


def get_initializer(name: str) -> Initializer:
    """The initialiser registered as ``name``."""
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise ValueError(f"unknown init {name!r}; expected one of {sorted(INITIALIZERS)}")
    return INITIALIZERS[name]


def initialize_parameters(
    layer_dims: Sequence[int], init: str = "he", seed: int | None = None, dtype=np.float64
) -> dict[str, np.ndarray]:
    """``{"W1": (n1, n0), "b1": (n1, 1), ..., "WL", "bL"}`` for ``layer_dims = [n0, ..., nL]``."""
    draw = get_initializer(init)
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = draw(layer_dims[l], layer_dims[l - 1], rng).astype(dtype)
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    return parameters
