"""The building blocks: shapes for the course's 5-layer example, a worked step, dA0 on request."""

import numpy as np
import pytest

import layerwise as lw
from layerwise.blocks import (
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
    model_backward,
    model_forward,
    update_parameters,
)

DIMS = [2, 3, 5, 4, 2, 1]  # the course's 5-layer example
ACTS = ["relu"] * 4 + ["sigmoid"]


def test_shapes_of_the_course_5_layer_example(rng):
    params = lw.initialize_parameters(DIMS, "he", seed=3)
    for l in range(1, 6):
        assert params[f"W{l}"].shape == (DIMS[l], DIMS[l - 1])
        assert params[f"b{l}"].shape == (DIMS[l], 1)
    m = 7
    X = rng.standard_normal((2, m))
    Y = (rng.random((1, m)) > 0.5).astype(float)
    AL, caches = model_forward(X, params, ACTS)
    assert AL.shape == (1, m) and len(caches) == 5
    for l, ((A_prev, W, b), A, D) in enumerate(caches, start=1):
        assert A_prev.shape == (DIMS[l - 1], m) and A.shape == (DIMS[l], m) and D is None
    grads = model_backward(AL, Y, caches, ACTS, "bce")
    assert set(grads) == {f"{p}{l}" for l in range(1, 6) for p in ("dW", "db")}
    for l in range(1, 6):
        assert grads[f"dW{l}"].shape == params[f"W{l}"].shape
        assert grads[f"db{l}"].shape == params[f"b{l}"].shape
    with_dA = model_backward(AL, Y, caches, ACTS, "bce", return_dA=True)
    for l in range(0, 6):
        assert with_dA[f"dA{l}"].shape == (DIMS[l], m)
    for key in grads:
        np.testing.assert_allclose(with_dA[key], grads[key], rtol=0, atol=0)


def test_worked_example_of_one_step():
    """One sigmoid unit, two examples, by hand:
    W = [[0.5, -1]], b = [[0]], X = [[1, 2], [1, 0]], Y = [[1, 0]]
    Z = W X + b = [[0.5 - 1, 1 - 0]] = [[-0.5, 1]]
    A = sigmoid(Z) = [[0.37754067, 0.73105858]]
    dZ = A - Y = [[-0.62245933, 0.73105858]]
    dW = dZ X.T / 2 = [[(-0.62245933 + 2 * 0.73105858) / 2, (-0.62245933 + 0) / 2]] = [[0.41982892, -0.31122967]]
    db = (-0.62245933 + 0.73105858) / 2 = 0.05429963
    with learning rate 0.1: W = [[0.5 - 0.041982892, -1 + 0.031122967]], b = [[-0.005429963]]
    """
    params = {"W1": np.array([[0.5, -1.0]]), "b1": np.array([[0.0]])}
    X, Y = np.array([[1.0, 2.0], [1.0, 0.0]]), np.array([[1.0, 0.0]])
    AL, caches = model_forward(X, params, ["sigmoid"])
    np.testing.assert_allclose(AL, [[0.37754067, 0.73105858]], atol=1e-8)
    grads = model_backward(AL, Y, caches, ["sigmoid"], "bce")
    np.testing.assert_allclose(grads["dW1"], [[0.41982892, -0.31122967]], atol=1e-8)
    np.testing.assert_allclose(grads["db1"], [[0.05429963]], atol=1e-8)
    update_parameters(params, grads, 0.1)
    np.testing.assert_allclose(params["W1"], [[0.458017108, -0.968877033]], atol=1e-8)
    np.testing.assert_allclose(params["b1"], [[-0.005429963]], atol=1e-8)


def test_linear_blocks_match_the_formulas(rng):
    A_prev, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 3)), rng.standard_normal((2, 1))
    Z, cache = linear_forward(A_prev, W, b)
    np.testing.assert_allclose(Z, W @ A_prev + b)
    assert cache[0] is A_prev and cache[1] is W
    dZ = rng.standard_normal((2, 4))
    dA_prev, dW, db = linear_backward(dZ, cache)
    np.testing.assert_allclose(dW, dZ @ A_prev.T / 4)
    np.testing.assert_allclose(db, dZ.sum(axis=1, keepdims=True) / 4)
    np.testing.assert_allclose(dA_prev, W.T @ dZ)
    assert linear_backward(dZ, cache, need_dA_prev=False)[0] is None


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_linear_activation_blocks_compose(activation, rng):
    A_prev, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 3)), rng.standard_normal((2, 1))
    A, cache = linear_activation_forward(A_prev, W, b, activation)
    act = lw.activations.get_activation(activation)
    np.testing.assert_allclose(A, act.forward(W @ A_prev + b))
    dA = rng.standard_normal((2, 4))
    dA_prev, dW, db = linear_activation_backward(dA, cache, activation)
    dZ = act.backward(dA, A)
    np.testing.assert_allclose(dW, dZ @ A_prev.T / 4)
    np.testing.assert_allclose(dA_prev, W.T @ dZ)


def test_model_backward_uses_the_chain_rule_when_not_fused(rng):
    """sigmoid output with MSE is not a fused pair: dZ = dAL * A(1 - A)."""
    net = lw.Network([3, 4, 1], activations=["tanh", "sigmoid"], loss="mse", seed=0)
    X, Y = rng.standard_normal((3, 6)), rng.random((1, 6))
    assert lw.gradient_check(net, X, Y) < 1e-7
