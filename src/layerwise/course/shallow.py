"""Week 3, "Planar data classification with one hidden layer": the assignment's functions.

A ``[n_x, n_h, n_y]`` network, tanh hidden layer and sigmoid output; the course keeps its
forward values in a dict cache ``{"Z1", "A1", "Z2", "A2"}``, which ``backward_propagation``
hands to the engine's ``model_backward`` as its per-layer caches.
"""

from __future__ import annotations

import numpy as np

from .. import blocks
from ._adapt import BCE, floats, layer_forward, seeded_parameters, updated

ACTIVATIONS = ["tanh", "sigmoid"]


def layer_sizes(X, Y) -> tuple[int, int, int]:
    """``(n_x, n_h, n_y)``: the rows of ``X``, 4 hidden units (the course's), the rows of ``Y``."""
    return X.shape[0], 4, Y.shape[0]


def initialize_parameters(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    """``np.random.seed(2)``, then ``W1: (n_h, n_x)``, ``W2: (n_y, n_h)`` as randn * 0.01; zero biases."""
    return seeded_parameters(2, [n_x, n_h, n_y], "small_random")


def forward_propagation(X, parameters) -> tuple[np.ndarray, dict]:
    """``A1 = tanh(W1 X + b1)``, ``A2 = sigmoid(W2 A1 + b2)``.

    Returns: ``A2: (n_y, m)`` and ``cache = {"Z1", "A1", "Z2", "A2"}``.
    """
    A1, (_, Z1) = layer_forward(X, parameters["W1"], parameters["b1"], "tanh")
    A2, (_, Z2) = layer_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y, parameters=None) -> float:
    """The cross-entropy cost, a Python float (``parameters`` is unused, as in the course's first version)."""
    return float(np.squeeze(BCE.cost(floats(A2), floats(Y))))


def backward_propagation(parameters, cache, X, Y) -> dict[str, np.ndarray]:
    """``dZ2 = A2 - Y``, ``dZ1 = W2.T dZ2 * (1 - A1^2)``. Returns ``{"dW1", "db1", "dW2", "db2"}``."""
    X, A1, A2 = floats(X), cache["A1"], cache["A2"]
    caches = [((X, parameters["W1"], parameters["b1"]), A1, None), ((A1, parameters["W2"], parameters["b2"]), A2, None)]
    grads = blocks.model_backward(A2, floats(Y), caches, ACTIVATIONS, BCE)
    return {key: grads[key] for key in ("dW1", "db1", "dW2", "db2")}


def update_parameters(parameters, grads, learning_rate=1.2) -> dict[str, np.ndarray]:
    """``W = W - learning_rate * dW``, ``b = b - learning_rate * db``, into a new dict."""
    return updated(parameters, grads, learning_rate)


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False) -> dict[str, np.ndarray]:
    """The whole model: ``np.random.seed(3)``, initialise, then gradient descent with learning rate 1.2.

    Prints ``Cost after iteration i: ...`` every 1000 iterations with ``print_cost``.
    """
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters


def predict(parameters, X) -> np.ndarray:
    """``(1, m)`` booleans: ``A2 > 0.5``."""
    A2, _ = forward_propagation(X, parameters)
    return A2 > 0.5
