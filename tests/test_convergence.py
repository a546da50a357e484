"""The engine's pieces behind the scikit-learn drop-in, usable from every front-end: SGD with
classical and Nesterov momentum, Adam's corrected-rate form, the invscaling and adaptive
schedules, the convergence rule (``EarlyStopping`` on the training cost), sparse inputs to the
first layer, and L-BFGS on the flat parameter vector. Update formulas are restated by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerwise as lw
from layerwise.blocks import linear_backward, linear_forward
from layerwise.callbacks import EarlyStopping, PrintCost
from layerwise.optimizers import SGD, Adam, Adaptive, InverseScaling, get_optimizer, get_schedule
from layerwise.training import Trainer

W0 = np.array([[1.0, -2.0]])
G1 = np.array([[0.1, -0.4]])
G2 = np.array([[-0.2, -0.3]])


def two_steps(opt):
    params = {"W": W0.copy()}
    opt.step(params, {"dW": G1})
    after1 = params["W"].copy()
    opt.step(params, {"dW": G2})
    return after1, params["W"]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps(nesterov):
    lr, mu = 0.1, 0.9
    after1, after2 = two_steps(SGD(lr, momentum=mu, nesterov=nesterov))
    v1 = mu * 0 - lr * G1  # the velocity accumulates lr * dW
    p1 = W0 + (mu * v1 - lr * G1 if nesterov else v1)  # Nesterov looks one velocity step ahead
    v2 = mu * v1 - lr * G2
    p2 = p1 + (mu * v2 - lr * G2 if nesterov else v2)
    np.testing.assert_allclose(after1, p1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(after2, p2, rtol=0, atol=1e-15)


def test_sgd_without_momentum_is_gradient_descent_and_sgd_is_registered():
    after1, after2 = two_steps(get_optimizer("sgd", 0.1))
    np.testing.assert_allclose(after2, W0 - 0.1 * G1 - 0.1 * G2, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="momentum is 1.5"):
        SGD(0.1, momentum=1.5)


def test_adam_corrected_rate_puts_the_bias_correction_in_the_rate():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3  # a large epsilon shows where it is added
    _, after2 = two_steps(Adam(lr, b1, b2, eps, corrected_rate=True))
    p = W0.copy()
    v = s = 0
    for t, g in ((1, G1), (2, G2)):
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        p = p - lr_t * v / (np.sqrt(s) + eps)
    np.testing.assert_allclose(after2, p, rtol=1e-13)
    _, plain = two_steps(Adam(lr, b1, b2, eps))
    assert not np.allclose(plain, p, rtol=1e-6)  # epsilon weighs differently in the default form


def test_invscaling_counts_examples_and_adaptive_divides_by_five():
    sched = InverseScaling(0.1, power_t=0.25)
    assert sched.unit == "example" and sched(8) == 0.1 / 9**0.25
    opt = SGD(sched)
    opt.examples = 8
    assert opt.learning_rate == 0.1 / 9**0.25
    assert get_schedule({"name": "invscaling", "lr0": 0.1}).power_t == 0.5
    ada = Adaptive(1e-5)
    assert ada(3) == 1e-5 and ada.reduce() and ada(3) == pytest.approx(2e-6) and ada.reduce()
    assert not ada.reduce() and ada(0) == pytest.approx(4e-7)  # at most min_lr: no further reduction
    opt2 = SGD(InverseScaling(0.5))
    assert opt2.state_dict()["examples"] == 0


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 120))
    Y = (X[0] + 0.5 * X[1] > 0).astype(float).reshape(1, -1)
    return X, Y


def test_trainer_counts_examples_for_the_schedule(blobs):
    X, Y = blobs
    net = lw.Network([3, 4, 1], seed=0)
    opt = SGD(InverseScaling(0.5, 0.5))
    h = net.fit(X, Y, optimizer=opt, epochs=3, batch_size=50)
    assert opt.examples == 360 and h.learning_rates == [0.5, 0.5 / 121**0.5, 0.5 / 241**0.5]


def test_convergence_rule_on_the_training_cost_with_tolerance(blobs):
    X, Y = blobs
    net = lw.Network([3, 4, 1], seed=0)
    stop = EarlyStopping(3, monitor="cost", min_delta=1e-2, restore_best=False, strict=False)
    h = net.fit(X, Y, optimizer="adam", learning_rate=0.01, epochs=2000, early_stopping=stop)
    assert h.status == "converged" and stop.wait == 3 and len(h.costs) < 2000
    costs = np.array(h.costs)
    # the last 3 epochs each failed to beat the best cost before them by more than min_delta
    for i in range(len(costs) - 3, len(costs)):
        assert costs[i] > costs[:i].min() - 1e-2
    assert stop.best == costs.min()


def test_adaptive_schedule_is_reduced_before_training_stops(blobs):
    X, Y = blobs
    net = lw.Network([3, 4, 1], seed=0)
    sched = Adaptive(0.01)
    stop = EarlyStopping(2, monitor="cost", min_delta=0.5, restore_best=False, strict=False)
    h = net.fit(X, Y, optimizer=SGD(sched), epochs=500, early_stopping=stop)
    # every 2 epochs without a 0.5 improvement divide lr by 5 (epochs 3, 5, ..., 13), until it is at most
    # 1e-6 (0.01 / 5^6 = 6.4e-7): epoch 15 stops
    assert h.status == "converged" and sched.lr == pytest.approx(0.01 / 5**6) and len(h.costs) == 15
    assert h.learning_rates[:6] == pytest.approx([0.01, 0.01, 0.01, 0.002, 0.002, 0.0004])  # the first epoch always improves


def test_non_strict_rule_counts_nan_as_no_worse_and_keep_state_carries_over():
    class FakeTrainer:
        has_validation = False
        stop_training = False
        history = lw.History()

        class optimizer:
            schedule = None

    stop = EarlyStopping(math.inf, monitor="cost", min_delta=0.1, restore_best=False, strict=False, keep_state=True)
    t = FakeTrainer()
    stop.on_train_begin(t)
    for epoch, cost in enumerate([1.0, 0.95, float("nan"), 0.8, 0.79]):
        stop.on_epoch_end(t, epoch, {"cost": cost})
    assert stop.wait == 1 and stop.best == 0.79  # 0.95: count 1; NaN: reset; 0.8: improved; 0.79: count 1
    stop.on_train_begin(t)  # keep_state: a warm start goes on counting
    assert stop.wait == 1 and stop.best == 0.79 and not t.stop_training


def test_print_cost_template(capsys, blobs):
    X, Y = blobs
    lw.Network([3, 1], seed=0).fit(X, Y, epochs=2, callbacks=[PrintCost(1, template="Iteration {n}, loss = {cost:.3f}")])
    assert capsys.readouterr().out.splitlines()[0].startswith("Iteration 1, loss = 0.")


def test_sparse_first_layer_products_equal_the_dense_ones():
    sparse = pytest.importorskip("scipy.sparse", reason="sparse inputs are SciPy matrices")
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 9)) * (rng.random((6, 9)) < 0.3)
    W, b = rng.normal(size=(4, 6)), rng.normal(size=(4, 1))
    Z_dense, _ = linear_forward(A, W, b)
    out = np.empty((4, 9))
    for S in (sparse.csc_matrix(A), sparse.csr_array(A)):
        Z, cache = linear_forward(S, W, b, out=out)
        np.testing.assert_allclose(Z, Z_dense, rtol=1e-13)
        dZ = rng.normal(size=(4, 9))
        _, dW, db = linear_backward(dZ, cache, need_dA_prev=False)
        np.testing.assert_allclose(dW, dZ @ A.T / 9, rtol=1e-13)
    X, Y = sparse.csc_matrix(A), (A[0] > 0).astype(float).reshape(1, -1)
    net_s, net_d = lw.Network([6, 3, 1], seed=0), lw.Network([6, 3, 1], seed=0)
    for net, data in ((net_s, X), (net_d, A)):
        Trainer(net, data, Y, optimizer=get_optimizer("adam", 0.01), batch_size=4, rng=np.random.default_rng(0)).run(5)
    for k in net_d.parameters:
        np.testing.assert_allclose(net_s.parameters[k], net_d.parameters[k], rtol=1e-12)


def test_lbfgs_on_the_flat_vector_matches_finite_differences_and_minimises(blobs):
    pytest.importorskip("scipy", reason="L-BFGS is SciPy's")
    X, Y = blobs
    net = lw.Network([3, 5, 1], hidden="tanh", seed=0)
    trainer = Trainer(net, X, Y, optimizer=None, lambd=0.3, rng=np.random.default_rng(0))
    theta = np.concatenate([p.ravel() for p in net.parameters.values()])
    cost, grad = trainer.cost_and_gradient(theta)
    eps = 1e-6
    numeric = [(trainer.cost_and_gradient(theta + eps * e)[0] - trainer.cost_and_gradient(theta - eps * e)[0]) / (2 * eps)
               for e in np.eye(theta.size)]  # fmt: skip
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    result = trainer.run_lbfgs(max_iter=200, gtol=1e-8)
    assert result.fun < cost / 3 and len(trainer.history.costs) == result.nit
    assert trainer.history.costs == sorted(trainer.history.costs, reverse=True)  # L-BFGS-B's line search descends
