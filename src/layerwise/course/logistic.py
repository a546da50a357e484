"""Week 2, "Logistic Regression with a Neural Network mindset": the assignment's functions.

The course keeps ``w: (n_x, 1)`` and a number ``b``; the engine's one-layer network has
``W1 = w.T: (1, n_x)`` and ``b1: (1, 1)``. Each function converts, runs ``model_forward`` /
``model_backward`` / ``update_parameters`` of that network, and converts back.
"""

from __future__ import annotations

import numpy as np

from .. import activations, blocks, initializers
from ._adapt import BCE, floats

ACTIVATIONS = ["sigmoid"]


def _network(w, b) -> dict[str, np.ndarray]:
    """The course's ``(w, b)`` as the engine's ``{"W1": (1, n_x), "b1": (1, 1)}``."""
    return {"W1": floats(w).reshape(1, -1), "b1": floats(b).reshape(1, 1)}


def sigmoid(z):
    """1 / (1 + e^-z) of a number or an array of any shape."""
    return activations.sigmoid(z)


def initialize_with_zeros(dim: int) -> tuple[np.ndarray, float]:
    """``w = zeros((dim, 1))`` and ``b = 0.0`` (a Python float)."""
    parameters = initializers.initialize_parameters([dim, 1], init="zeros")
    return parameters["W1"].reshape(dim, 1), float(parameters["b1"][0, 0])


def propagate(w, b, X, Y) -> tuple[dict, np.ndarray]:
    """One forward and backward pass: ``A = sigmoid(w.T X + b)``, the cost and its gradient.

    Arguments: ``w: (n_x, 1)``, a number ``b``, ``X: (n_x, m)``, ``Y: (1, m)``.
    Returns: ``grads = {"dw": (n_x, 1), "db": np.float64}`` and the cost, a 0-d array.
    """
    A, caches = blocks.model_forward(floats(X), _network(w, b), ACTIVATIONS)
    Y = floats(Y)
    cost = BCE.cost(A, Y)
    grads = blocks.model_backward(A, Y, caches, ACTIVATIONS, BCE)  # dZ = A - Y, dW = dZ X.T / m
    return {"dw": grads["dW1"].reshape(-1, 1), "db": grads["db1"][0, 0]}, np.squeeze(np.array(cost))


def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    """Gradient descent on ``(w, b)``; the caller's ``w`` and ``b`` are not changed.

    Returns: ``params = {"w", "b"}``, the last ``grads = {"dw", "db"}`` and ``costs``, the cost
    every 100 iterations (printed as ``Cost after iteration i: ...`` with ``print_cost``).
    """
    params = {"w": floats(w).copy(), "b": floats(b).copy()}
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(params["w"], params["b"], X, Y)
        blocks.update_parameters(params, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print("Cost after iteration %i: %f" % (i, cost))
    return {"w": params["w"], "b": params["b"][()]}, grads, costs


def predict(w, b, X) -> np.ndarray:
    """``(1, m)`` of 1.0 where ``sigmoid(w.T X + b) > 0.5``, else 0.0."""
    X = floats(X)
    A, _ = blocks.model_forward(X, _network(np.reshape(w, (X.shape[0], 1)), b), ACTIVATIONS)
    return (A > 0.5).astype(np.float64)


def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False) -> dict:
    """Zero initialisation, ``optimize``, then predictions on both sets.

    Returns: ``{"costs", "Y_prediction_test", "Y_prediction_train", "w", "b", "learning_rate",
    "num_iterations"}``; with ``print_cost`` also prints the train and test accuracy.
    """
    w, b = initialize_with_zeros(np.shape(X_train)[0])
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    w, b = params["w"], params["b"]
    Y_prediction_test = predict(w, b, X_test)
    Y_prediction_train = predict(w, b, X_train)
    if print_cost:
        print("train accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100))
        print("test accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100))
    return {"costs": costs, "Y_prediction_test": Y_prediction_test, "Y_prediction_train": Y_prediction_train,
            "w": w, "b": b, "learning_rate": learning_rate, "num_iterations": num_iterations}
