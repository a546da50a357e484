"""Finite-difference gradient checks of whole networks: every activation, every loss, L2, weights."""

import numpy as np
import pytest

import layerwise as lw
from layerwise.activations import ACTIVATIONS

HIDDEN = sorted(set(ACTIVATIONS) - {"softmax"}) + ["leaky_relu:0.3"]


def data(rng, n_x, m, task, n_y=1):
    X = rng.standard_normal((n_x, m))
    if task == "binary":
        return X, (rng.random((1, m)) > 0.5).astype(float)
    if task == "multiclass":
        return X, rng.integers(0, n_y, (1, m))
    return X, rng.standard_normal((n_y, m))


@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_hidden_activation(hidden, rng):
    net = lw.Network([4, 5, 3, 1], hidden=hidden, output="sigmoid", init="xavier", seed=1)
    X, Y = data(rng, 4, 8, "binary")
    assert lw.gradient_check(net, X, Y) < 1e-7


@pytest.mark.parametrize(
    "output, loss, task, n_y",
    [("sigmoid", None, "binary", 1), ("softmax", None, "multiclass", 3), ("linear", None, "regression", 2),
     ("sigmoid", "mse", "regression", 1), ("tanh", "mse", "regression", 2)],
)
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_every_output_and_loss_with_and_without_l2(output, loss, task, n_y, lambd, rng):
    net = lw.Network([3, 4, n_y], hidden="tanh", output=output, loss=loss, init="xavier", seed=2)
    X, Y = data(rng, 3, 7, task, n_y)
    if task == "regression" and output in ("sigmoid", "tanh"):
        Y = np.tanh(Y) * 0.5 + (0.5 if output == "sigmoid" else 0)
    report = lw.gradient_check_report(net, X, Y, lambd=lambd)
    assert max(report.values()) < 1e-7, report


def test_report_names_every_parameter(rng):
    net = lw.Network([2, 3, 1], seed=0)
    X, Y = data(rng, 2, 5, "binary")
    assert set(lw.gradient_check_report(net, X, Y)) == {"dW1", "db1", "dW2", "db2", "all"}


def test_a_wrong_gradient_is_caught(rng, monkeypatch):
    """The check is not vacuous: a backward pass that forgets 1/m on db is flagged."""
    import layerwise.gradcheck as gc

    real = gc.model_backward

    def broken(*args, **kwargs):
        grads = real(*args, **kwargs)
        grads["db1"] = grads["db1"] * 2
        return grads

    monkeypatch.setattr(gc, "model_backward", broken)
    net = lw.Network([2, 3, 1], hidden="tanh", seed=0)
    X, Y = data(rng, 2, 5, "binary")
    assert lw.gradient_check_report(net, X, Y)["db1"] > 1e-2


def test_float32_network_is_checked_in_float64(rng):
    net = lw.Network([3, 4, 1], hidden="tanh", dtype="float32", init="xavier", seed=0)
    X, Y = data(rng, 3, 6, "binary")
    assert lw.gradient_check(net, X.astype(np.float32), Y) < 1e-7
    assert net.parameters["W1"].dtype == np.float32
