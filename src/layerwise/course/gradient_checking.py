"""The course's gradient checking exercise: its functions, formula and messages.

``gradient_check_n`` checks *your* gradients (the ``gradients`` argument) against two-sided
finite differences of ``forward_propagation_n``, the course's ``LINEAR -> RELU -> LINEAR ->
RELU -> LINEAR -> SIGMOID`` network (any depth here). The finite differences and the relative
difference are ``layerwise.gradcheck``'s; ``layerwise.check_gradients`` also names the layer
and the quantity that is wrong.
"""

from __future__ import annotations

import numpy as np

from .. import blocks, gradcheck
from ._adapt import BCE, floats
from .deep import L_model_forward

#: The course's network: 4 inputs, hidden layers of 5 and 3 units, one output.
COURSE_LAYER_DIMS = (4, 5, 3, 1)


def _message(difference) -> None:
    if difference > gradcheck.THRESHOLD:
        print("\033[93m" + "There is a mistake in the backward propagation! difference = " + str(difference) + "\033[0m")
    else:
        print("\033[92m" + "Your backward propagation works perfectly fine! difference = " + str(difference) + "\033[0m")


def forward_propagation(x, theta):
    """The one-dimensional example: ``J = theta * x``."""
    return theta * x


def backward_propagation(x, theta):
    """dJ/dtheta = x."""
    return x


def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    """Relative difference between ``backward_propagation(x, theta)`` and finite differences of ``J``."""
    approx = gradcheck.finite_differences(lambda p: forward_propagation(x, p["theta"]), {"theta": theta}, epsilon)
    difference = np.float64(gradcheck.relative_difference(np.asarray(backward_propagation(x, theta)), approx["dtheta"]))
    if print_msg:
        _message(difference)
    return difference


def forward_propagation_n(X, Y, parameters):
    """The cost of the ReLU/sigmoid network on ``X, Y``, and ``cache = (Z1, A1, W1, b1, ..., ZL, AL, WL, bL)``."""
    AL, caches = L_model_forward(X, parameters)
    cost = BCE.cost(AL, floats(Y).reshape(AL.shape))
    cache = ()
    for l, ((_, W, b), Z) in enumerate(caches, start=1):
        A = AL if l == len(caches) else caches[l][0][0]
        cache += (Z, A, W, b)
    return cost, cache


def backward_propagation_n(X, Y, cache):
    """A correct backward pass for ``forward_propagation_n``: ``{"dW1", "db1", "dA1", ..., "dWL", "dbL"}``."""
    L = len(cache) // 4
    A_prev, caches = floats(X), []
    for l in range(L):
        _, A, W, b = cache[4 * l : 4 * l + 4]
        caches.append(((A_prev, W, b), A, None))
        A_prev = A
    AL = A_prev
    activations = ["relu"] * (L - 1) + ["sigmoid"]
    grads = blocks.model_backward(AL, floats(Y).reshape(AL.shape), caches, activations, BCE, return_dA=True)
    return {key: value for key, value in grads.items() if key not in ("dA0", f"dA{L}")}


def dictionary_to_vector(parameters):
    """``theta: (n, 1)`` of W1, b1, W2, ... one after the other, and the parameter name of each entry."""
    keys, pieces = [], []
    for l in range(1, len(parameters) // 2 + 1):
        for key in (f"W{l}", f"b{l}"):
            pieces.append(np.reshape(parameters[key], (-1, 1)))
            keys += [key] * pieces[-1].shape[0]
    return np.concatenate(pieces, axis=0), keys


def vector_to_dictionary(theta, layer_dims=COURSE_LAYER_DIMS):
    """The inverse of ``dictionary_to_vector`` for a network of ``layer_dims`` (the course's by default)."""
    parameters, offset = {}, 0
    for l in range(1, len(layer_dims)):
        for key, shape in ((f"W{l}", (layer_dims[l], layer_dims[l - 1])), (f"b{l}", (layer_dims[l], 1))):
            size = shape[0] * shape[1]
            parameters[key] = theta[offset : offset + size].reshape(shape)
            offset += size
    return parameters


def gradients_to_vector(gradients):
    """``(n, 1)`` of dW1, db1, dW2, ... in the order of ``dictionary_to_vector``."""
    L = sum(1 for key in gradients if key.startswith("dW"))
    return dictionary_to_vector({key[1:]: gradients[key] for l in range(1, L + 1) for key in (f"dW{l}", f"db{l}")})[0]


def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    """``||grad - gradapprox|| / (||grad|| + ||gradapprox||)`` for your ``gradients`` of ``forward_propagation_n``.

    With ``print_msg``, prints the course's verdict (a mistake above 2e-7).
    """
    approx = gradcheck.finite_differences(lambda p: forward_propagation_n(X, Y, p)[0], parameters, epsilon)
    difference = np.float64(gradcheck.relative_difference(gradients_to_vector(gradients), gradients_to_vector(approx)))
    if print_msg:
        _message(difference)
    return difference
