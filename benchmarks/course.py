"""The course's own L-layer functions, written the way the assignment writes them.

This is the baseline "course-style NumPy": ``linear_forward`` caches ``(A_prev, W, b)``, each
activation caches ``Z`` and its backward recomputes ``g(Z)``, ``L_model_backward`` starts from
``dAL = -(Y/AL - (1-Y)/(1-AL))`` and computes every ``dA[l]`` including ``dA0 = W1.T dZ1``,
and ``update_parameters`` builds new arrays. Two additions keep it usable on every workload:
tanh (for the planar net) and a softmax output, whose backward starts from the fused
``dZ = AL - Y`` (the course writes no L-layer softmax backward). The cost is the course's,
without clipping. Nothing here is imported by layerwise.
"""

from __future__ import annotations

import numpy as np


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def tanh(Z):
    return np.tanh(Z), Z


def softmax(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True), Z


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def tanh_backward(dA, cache):
    Z = cache
    return dA * (1 - np.tanh(Z) ** 2)


FORWARD = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh, "softmax": softmax}
BACKWARD = {"sigmoid": sigmoid_backward, "relu": relu_backward, "tanh": tanh_backward}


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = FORWARD[activation](Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters, hidden, output):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], hidden)
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], output)
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y, output):
    m = Y.shape[1]
    if output == "softmax":
        cost = -(1 / m) * np.sum(Y * np.log(AL))
    else:
        cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return float(np.squeeze(cost))


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = BACKWARD[activation](dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches, hidden, output):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    current_cache = caches[L - 1]
    if output == "softmax":
        dA_prev, dW, db = linear_backward(AL - Y, current_cache[0])
    else:
        dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        dA_prev, dW, db = linear_activation_backward(dAL, current_cache, output)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, hidden)
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


def L_layer_model(X, Y, parameters, hidden, output, learning_rate, num_iterations):
    """The course's training loop from given initial ``parameters``; returns them and the costs."""
    costs = []
    for _ in range(num_iterations):
        AL, caches = L_model_forward(X, parameters, hidden, output)
        costs.append(compute_cost(AL, Y, output))
        grads = L_model_backward(AL, Y, caches, hidden, output)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
