"""Optimizers and schedules: each update formula restated by hand for two steps.

The parameters are one tiny ``W: (1, 2)`` and ``b: (1, 1)``; the gradients of the two steps are
fixed numbers, so the expected values can be written out (and are, in the comments).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerwise as lw
from layerwise.optimizers import (
    Adam,
    Constant,
    ExponentialDecay,
    GradientDescent,
    InverseTimeDecay,
    Momentum,
    RMSprop,
    StepDecay,
    get_optimizer,
    get_schedule,
)

W0 = np.array([[1.0, -2.0]])
B0 = np.array([[0.5]])
G1 = {"dW": np.array([[0.1, -0.4]]), "db": np.array([[0.2]])}
G2 = {"dW": np.array([[-0.2, -0.3]]), "db": np.array([[0.2]])}


def two_steps(opt):
    """Parameters after step 1 and after step 2 of ``opt`` (updated in place)."""
    params = {"W": W0.copy(), "b": B0.copy()}
    opt.step(params, G1)
    after1 = {k: v.copy() for k, v in params.items()}
    opt.step(params, G2)
    return after1, params


def test_gradient_descent_is_update_parameters():
    after1, after2 = two_steps(GradientDescent(0.1))
    # W1 = W0 - 0.1 dW = [1 - 0.01, -2 + 0.04]; W2 = W1 - 0.1 * [-0.2, -0.3] = [0.99 + 0.02, -1.96 + 0.03]
    np.testing.assert_allclose(after1["W"], [[0.99, -1.96]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(after2["W"], [[1.01, -1.93]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(after2["b"], [[0.5 - 0.02 - 0.02]], rtol=0, atol=1e-15)


def test_momentum_two_steps():
    lr, beta = 0.1, 0.9
    after1, after2 = two_steps(Momentum(lr, beta=beta))
    for key in ("W", "b"):
        p0 = W0 if key == "W" else B0
        g1, g2 = G1["d" + key], G2["d" + key]
        v1 = beta * 0 + (1 - beta) * g1  # v starts at zero
        p1 = p0 - lr * v1
        v2 = beta * v1 + (1 - beta) * g2
        p2 = p1 - lr * v2
        np.testing.assert_allclose(after1[key], p1, rtol=1e-15)
        np.testing.assert_allclose(after2[key], p2, rtol=1e-15)
    # W[0,0]: v1 = 0.1 * 0.1 = 0.01, W = 1 - 0.001 = 0.999;
    #         v2 = 0.9 * 0.01 + 0.1 * -0.2 = -0.011, W = 0.999 + 0.0011 = 1.0001
    assert after2["W"][0, 0] == pytest.approx(1.0001, abs=1e-15)


def test_rmsprop_two_steps():
    lr, beta2, eps = 0.01, 0.999, 1e-8
    after1, after2 = two_steps(RMSprop(lr, beta2=beta2, epsilon=eps))
    for key in ("W", "b"):
        p0 = W0 if key == "W" else B0
        g1, g2 = G1["d" + key], G2["d" + key]
        s1 = (1 - beta2) * g1**2
        p1 = p0 - lr * g1 / (np.sqrt(s1) + eps)
        s2 = beta2 * s1 + (1 - beta2) * g2**2
        p2 = p1 - lr * g2 / (np.sqrt(s2) + eps)
        np.testing.assert_allclose(after1[key], p1, rtol=1e-14)
        np.testing.assert_allclose(after2[key], p2, rtol=1e-14)
    # without bias correction the first step is large: dW / sqrt(0.001 dW^2) = sign(dW) * sqrt(1000)
    assert after1["W"][0, 0] == pytest.approx(1.0 - 0.01 * np.sqrt(1000), rel=1e-5)  # epsilon aside


def test_adam_two_steps_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = Adam(lr, beta1=b1, beta2=b2, epsilon=eps)
    after1, after2 = two_steps(opt)
    assert opt.t == 2
    for key in ("W", "b"):
        p0 = W0 if key == "W" else B0
        g1, g2 = G1["d" + key], G2["d" + key]
        v, s, p = 0.0, 0.0, p0
        for t, g, expected in ((1, g1, after1[key]), (2, g2, after2[key])):
            v = b1 * v + (1 - b1) * g
            s = b2 * s + (1 - b2) * g**2
            v_hat = v / (1 - b1**t)
            s_hat = s / (1 - b2**t)
            p = p - lr * v_hat / (np.sqrt(s_hat) + eps)
            np.testing.assert_allclose(expected, p, rtol=1e-14)
    # step 1: v_hat = g and s_hat = g^2, so each parameter moves by lr * sign(g), almost exactly
    np.testing.assert_allclose(after1["W"], W0 - lr * np.sign(G1["dW"]), rtol=1e-6)


def test_step_updates_in_place():
    params = {"W": W0.copy(), "b": B0.copy()}
    W = params["W"]
    Adam(0.01).step(params, G1)
    assert params["W"] is W and not np.array_equal(W, W0)


# ---- schedules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (Constant(0.1), {0: 0.1, 7: 0.1, 1000: 0.1}),
        # lr0 * drop ** floor(epoch / every)
        (StepDecay(0.1, drop=0.5, every=10), {0: 0.1, 9: 0.1, 10: 0.05, 25: 0.025}),
        # lr0 * rate ** epoch
        (ExponentialDecay(0.1, rate=0.9), {0: 0.1, 1: 0.09, 2: 0.081}),
        # lr0 / (1 + decay_rate * epoch), the course's decay
        (InverseTimeDecay(0.1, decay_rate=1.0), {0: 0.1, 1: 0.05, 3: 0.025}),
        # stepped: lr0 / (1 + decay_rate * floor(epoch / every))
        (InverseTimeDecay(0.1, decay_rate=1.0, every=2), {0: 0.1, 1: 0.1, 2: 0.05, 3: 0.05, 4: 0.1 / 3}),
    ],
)
def test_schedule_values(schedule, expected):
    for epoch, lr in expected.items():
        assert schedule(epoch) == pytest.approx(lr, rel=1e-12)
    rebuilt = get_schedule(json.loads(json.dumps(schedule.config())))
    assert type(rebuilt) is type(schedule)
    assert all(rebuilt(e) == schedule(e) for e in expected)


def test_get_schedule_and_optimizer_errors():
    assert get_schedule(0.3)(5) == 0.3
    with pytest.raises(ValueError, match="unknown schedule"):
        get_schedule({"name": "cosine", "lr0": 0.1})
    with pytest.raises(ValueError, match="learning_rate"):
        Constant(-1.0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        get_optimizer("newton")
    with pytest.raises(ValueError, match="beta"):
        Momentum(0.1, beta=1.0)
    with pytest.raises(ValueError, match="learning_rate goes to the Optimizer"):
        get_optimizer(Adam(), 0.1)
    opt = get_optimizer("adam", 0.02, beta1=0.8)
    assert isinstance(opt, Adam) and opt.learning_rate == 0.02 and opt.beta1 == 0.8
    assert json.loads(json.dumps(opt.config()))["name"] == "adam"


def test_schedule_drives_training_and_continues_with_the_same_optimizer():
    X = np.random.default_rng(0).normal(size=(3, 20))
    Y = (X[:1] > 0).astype(float)
    opt = GradientDescent(StepDecay(0.1, drop=0.5, every=2))
    net = lw.Network([3, 1], activations=["sigmoid"], seed=0)
    assert net.fit(X, Y, optimizer=opt, epochs=3).learning_rates == [0.1, 0.1, 0.05]
    # the same optimizer object passed again goes on with its schedule (epochs 3, 4, 5)
    assert net.fit(X, Y, optimizer=opt, epochs=3).learning_rates == [0.05, 0.025, 0.025]
    assert opt.epoch == 6


# ---- state_dict ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(1)
    grads = [{"dW": rng.normal(size=(1, 2)), "db": rng.normal(size=(1, 1))} for _ in range(5)]
    params = {"W": W0.copy(), "b": B0.copy()}
    opt = get_optimizer(name, 0.01)
    for g in grads[:3]:
        opt.step(params, g)
    saved_params = {k: v.copy() for k, v in params.items()}
    saved = opt.state_dict()
    for g in grads[3:]:  # the original goes on; the snapshot must not move with it
        opt.step(params, g)

    resumed = get_optimizer(name, 0.01)
    resumed.load_state_dict(saved)
    assert resumed.t == 3
    for g in grads[3:]:
        resumed.step(saved_params, g)
    for k in params:
        assert np.array_equal(saved_params[k], params[k])
