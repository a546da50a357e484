"""Week 4, "Building your Deep Neural Network: Step by Step" and "Deep Neural Network - Application".

The course caches ``(linear_cache, Z)`` per layer, where the engine caches ``(linear_cache, A)``
and computes ``g'(Z)`` from ``A``: the backward functions here recompute ``A = g(Z)`` from the
cached ``Z`` through the activation registry and call the engine's ``linear_activation_backward``.
ReLU hidden layers and a sigmoid output, as in the course.
"""

from __future__ import annotations

import numpy as np

from .. import blocks
from ..activations import get_activation
from ._adapt import BCE, activation_backward, dAL, engine_cache, floats, layer_forward, seeded_parameters, updated


# ---- the helpers of dnn_utils: (A, cache = Z) forward, dZ backward ----------------------------


def sigmoid(Z):
    """``A = sigmoid(Z)`` and ``cache = Z``."""
    return get_activation("sigmoid").forward(Z), Z


def relu(Z):
    """``A = max(0, Z)`` and ``cache = Z``."""
    return get_activation("relu").forward(Z), Z


def sigmoid_backward(dA, cache):
    """``dZ = dA * s (1 - s)`` with ``s = sigmoid(Z)``, ``cache = Z``."""
    return activation_backward(dA, cache, "sigmoid")


def relu_backward(dA, cache):
    """``dZ = dA`` where ``Z > 0``, else 0; ``cache = Z``."""
    return activation_backward(dA, cache, "relu")


# ---- initialisation ----------------------------------------------------------------------------


def initialize_parameters(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    """``np.random.seed(1)``, then ``W1: (n_h, n_x)``, ``W2: (n_y, n_h)`` as randn * 0.01; zero biases."""
    return seeded_parameters(1, [n_x, n_h, n_y], "small_random")


def initialize_parameters_deep(layer_dims) -> dict[str, np.ndarray]:
    """The step-by-step assignment's: ``np.random.seed(3)``, then ``W[l]`` as randn * 0.01; zero biases."""
    return seeded_parameters(3, layer_dims, "small_random")


def initialize_parameters_deep_app(layer_dims) -> dict[str, np.ndarray]:
    """The application's (its ``dnn_app_utils``): ``np.random.seed(1)``, ``W[l]`` as randn / sqrt(n[l-1])."""
    return seeded_parameters(1, layer_dims, "xavier")


# ---- forward -----------------------------------------------------------------------------------


def linear_forward(A, W, b):
    """``Z = W A + b``. Returns ``Z: (n[l], m)`` and ``cache = (A, W, b)``."""
    return blocks.linear_forward(floats(A), floats(W), floats(b))


def linear_activation_forward(A_prev, W, b, activation):
    """``A = g(W A_prev + b)`` for ``activation`` "sigmoid" or "relu" (any registered name).

    Returns: ``A`` and ``cache = (linear_cache, Z)``.
    """
    return layer_forward(A_prev, W, b, activation)


def L_model_forward(X, parameters):
    """``[LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID``. Returns ``AL`` and the list of L caches."""
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], "relu" if l < L else "sigmoid")
        caches.append(cache)
    return A, caches


def compute_cost(AL, Y):
    """The cross-entropy cost, a NumPy float."""
    return np.squeeze(np.float64(BCE.cost(floats(AL), floats(Y))))


# ---- backward ----------------------------------------------------------------------------------


def linear_backward(dZ, cache):
    """``dW = dZ A_prev.T / m``, ``db = sum(dZ) / m``, ``dA_prev = W.T dZ``. Returns ``(dA_prev, dW, db)``."""
    return blocks.linear_backward(floats(dZ), cache)


def linear_activation_backward(dA, cache, activation):
    """``dZ = dA * g'(Z)`` from the cached ``Z``, then ``linear_backward``. Returns ``(dA_prev, dW, db)``."""
    return blocks.linear_activation_backward(floats(dA), engine_cache(cache, activation), activation)


def L_model_backward(AL, Y, caches) -> dict[str, np.ndarray]:
    """Backward through the L layers: ``grads`` with ``dA{l-1}``, ``dW{l}``, ``db{l}``."""
    grads = {}
    L = len(caches)
    Y = np.reshape(Y, np.shape(AL))
    dA_prev, dW, db = linear_activation_backward(dAL(AL, Y), caches[L - 1], "sigmoid")
    grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads[f"dA{l + 1}"], caches[l], "relu")
        grads[f"dA{l}"], grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = dA_prev, dW, db
    return grads


def update_parameters(params, grads, learning_rate) -> dict[str, np.ndarray]:
    """``W[l] = W[l] - learning_rate * dW[l]``, ``b[l]`` likewise, into a new dict."""
    return updated(params, grads, learning_rate)


# ---- the application's models --------------------------------------------------------------------


def _report(i: int, num_iterations: int, cost, costs: list, print_cost: bool) -> None:
    # the course's lines, operator precedence included: the last iteration prints even without print_cost
    if print_cost and i % 100 == 0 or i == num_iterations - 1:
        print("Cost after iteration {}: {}".format(i, np.squeeze(cost)))
    if i % 100 == 0 or i == num_iterations:
        costs.append(cost)


def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    """``LINEAR -> RELU -> LINEAR -> SIGMOID``, from ``np.random.seed(1)``. Returns ``(parameters, costs)``."""
    np.random.seed(1)
    costs = []
    n_x, n_h, n_y = layers_dims
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A1, cache1 = linear_activation_forward(X, parameters["W1"], parameters["b1"], "relu")
        A2, cache2 = linear_activation_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
        cost = compute_cost(A2, Y)
        dA1, dW2, db2 = linear_activation_backward(dAL(A2, Y), cache2, "sigmoid")
        _, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        parameters = update_parameters(parameters, {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}, learning_rate)
        _report(i, num_iterations, cost, costs, print_cost)
    return parameters, costs


def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    """``[LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID``, from the application's initialisation.

    Returns ``(parameters, costs)``, the cost every 100 iterations.
    """
    np.random.seed(1)
    costs = []
    parameters = initialize_parameters_deep_app(layers_dims)
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        _report(i, num_iterations, cost, costs, print_cost)
    return parameters, costs


def predict(X, y, parameters) -> np.ndarray:
    """``(1, m)`` of 1.0 where ``AL > 0.5``, else 0.0; prints ``Accuracy: ...`` against ``y``."""
    m = np.shape(X)[1]
    probas, _ = L_model_forward(X, parameters)
    p = (probas > 0.5).astype(np.float64)
    print("Accuracy: " + str(np.sum((p == y) / m)))
    return p
