"""What the course modules share: the course's layer cache ``(linear_cache, Z)`` and its seeding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import blocks, initializers
from ..activations import get_activation
from ..losses import get_loss

#: The course's cost: binary cross-entropy, J = -(1/m) sum(y log a + (1 - y) log(1 - a)).
BCE = get_loss("binary_crossentropy")


def floats(x) -> np.ndarray:
    """``x`` as a float array (no copy for float64 arrays): the course passes ints and bools too."""
    return np.asarray(x, dtype=np.float64)


def layer_forward(A_prev, W, b, activation: str):
    """``A = g(Z)``, ``Z = W A_prev + b``. Returns ``A`` and the course's cache ``((A_prev, W, b), Z)``."""
    Z, linear_cache = blocks.linear_forward(floats(A_prev), floats(W), floats(b))
    return get_activation(activation).forward(Z), (linear_cache, Z)


def engine_cache(cache, activation: str):
    """The course's ``(linear_cache, Z)`` as the engine's ``(linear_cache, A)``: ``A = g(Z)`` recomputed."""
    linear_cache, Z = cache
    return linear_cache, get_activation(activation).forward(floats(Z))


def activation_backward(dA, Z, activation: str) -> np.ndarray:
    """``dZ = dA * g'(Z)`` from the course's cached ``Z``: the engine's backward on ``A = g(Z)``."""
    act = get_activation(activation)
    return act.backward(floats(dA), act.forward(floats(Z)))


def dAL(AL, Y) -> np.ndarray:
    """dJ/dAL times m, the course's ``-(Y / AL - (1 - Y) / (1 - AL))``.

    For outputs in [0, 1] the engine keeps AL an epsilon away from 0 and 1; the course's own
    tests feed made-up outputs outside [0, 1], where the formula is applied as given.
    """
    AL = floats(AL)
    return BCE.dAL(AL, floats(Y), clip=bool(((AL >= 0) & (AL <= 1)).all()))


def seeded_parameters(seed: int | None, layer_dims: Sequence[int], init: str) -> dict[str, np.ndarray]:
    """The course's initialisation: ``np.random.seed(seed)``, then each ``W[l]`` drawn from the global
    generator by the named initializer (``small_random``, ``xavier``), ``b[l]`` zeros."""
    if seed is not None:
        np.random.seed(seed)
    draw = initializers.get_initializer(init)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = draw(layer_dims[l], layer_dims[l - 1], np.random)
        parameters[f"b{l}"] = initializers.zeros(layer_dims[l], 1, np.random)
    return parameters


def updated(parameters: dict, grads: dict, learning_rate: float) -> dict:
    """Gradient descent on copies: the caller's dict and arrays are left as they were."""
    copy = {key: floats(value).copy() for key, value in parameters.items()}
    return blocks.update_parameters(copy, grads, learning_rate)
