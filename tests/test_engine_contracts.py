"""The engine's small promises, each pinned to a value computed here: the public activation
functions, defaults of schedules and optimizers, validation boundaries and the names in their
messages, optimizer state and config, initialisers, registration, the blocks' shape errors,
and what the gradient check reports. Then the parts the scikit-learn drop-ins added (issue 18):
the exp output and the Poisson deviance, SGD with (Nesterov) momentum, Adam's corrected rate,
the invscaling and adaptive schedules and the examples they count, a sparse first layer, the
trainer's shuffle function, score and guard switch, and the L-BFGS path.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise import activations, blocks, gradcheck, losses, optimizers
from layerwise.activations import ACTIVATIONS, get_activation
from layerwise.callbacks import DivergenceGuard
from layerwise.initializers import initialize_parameters
from layerwise.losses import DEFAULT_LOSS, get_loss
from layerwise.training import Trainer

Z = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0], [1.0, -1.0, 2.0, 0.0, -3.0]])

# ---- the public activation functions ---------------------------------------------------------


def test_public_activation_functions():
    np.testing.assert_array_equal(activations.relu(Z), np.where(Z > 0, Z, 0.0))
    np.testing.assert_array_equal(activations.leaky_relu(Z), np.where(Z > 0, Z, 0.01 * Z))
    np.testing.assert_array_equal(activations.leaky_relu(Z, 0.2), np.where(Z > 0, Z, 0.2 * Z))
    np.testing.assert_allclose(activations.sigmoid(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)
    np.testing.assert_allclose(activations.tanh(Z), (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z)), rtol=1e-14)
    e = np.exp(Z)
    np.testing.assert_allclose(activations.softmax(Z), e / e.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(activations.softmax(np.array([[1000.0], [1001.0]])), [[1 / (1 + np.e)], [np.e / (1 + np.e)]], rtol=1e-14)


@pytest.mark.parametrize("slope", [1e-9, 0.5, 0.999])
def test_leaky_relu_accepts_slopes_inside_zero_one(slope):
    assert get_activation(f"leaky_relu:{slope}").slope == slope


@pytest.mark.parametrize("slope", [0, 1, -0.1, 1.5])
def test_leaky_relu_refuses_slopes_outside_zero_one(slope):
    with pytest.raises(ValueError, match=r"leaky_relu slope is .*expected a number in \(0, 1\)"):
        activations.LeakyReLU(slope)


def test_derivatives_at_zero_follow_the_else_branch():
    A = np.array([[0.0, 1.0, -1.0]])
    dA = np.ones_like(A)
    np.testing.assert_array_equal(get_activation("relu").backward(dA, A), [[0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(get_activation("leaky_relu:0.2").backward(dA, A), [[0.2, 1.0, 0.2]])


def test_activation_identity_hash_and_spec():
    relu, tanh = get_activation("relu"), get_activation("tanh")
    assert relu == get_activation("relu") and relu != tanh and relu != "relu"
    assert get_activation("leaky_relu:0.2") != get_activation("leaky_relu")
    assert len({hash(get_activation(n)) for n in [*ACTIVATIONS, "leaky_relu:0.2"]}) == len(ACTIVATIONS) + 1
    assert get_activation("leaky_relu:0.01").spec == "leaky_relu" and repr(get_activation("leaky_relu:0.2")) == "<activation leaky_relu:0.2>"


def test_registered_activation_and_loss_are_found_by_name():
    class Square(activations.Activation):
        name = "square_test"

        def forward(self, Z, out=None):
            return np.square(Z, out=out)

        def backward(self, dA, A, out=None):
            raise NotImplementedError

    class Absolute(losses.Loss):
        name = "absolute_test"

    try:
        assert activations.register(Square) is Square
        assert losses.register(Absolute) is Absolute
        assert isinstance(get_activation("square_test"), Square)
        assert isinstance(losses.get_loss("absolute_test"), Absolute)
    finally:
        ACTIVATIONS.pop("square_test", None)
        losses.LOSSES.pop("absolute_test", None)


# ---- schedules and optimizers: defaults, boundaries, names in the messages ------------------


def test_schedule_defaults():
    step = optimizers.StepDecay(1.0)
    assert (step.drop, step.every) == (0.5, 100)
    assert [step(e) for e in (0, 99, 100, 199, 200)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert optimizers.ExponentialDecay(2.0).rate == 0.99
    inv = optimizers.InverseTimeDecay(1.0)
    assert (inv.decay_rate, inv.every) == (1.0, 1)
    assert [inv(e) for e in (0, 1, 3)] == [1.0, 0.5, 0.25]
    assert optimizers.InverseTimeDecay(1.0, decay_rate=0).decay_rate == 0.0  # zero decay is allowed


@pytest.mark.parametrize(
    "make, name",
    [(lambda: optimizers.Constant(0), "learning_rate"), (lambda: optimizers.StepDecay(-1), "learning_rate"),
     (lambda: optimizers.StepDecay(1, drop=0), "drop"), (lambda: optimizers.StepDecay(1, every=0), "every"),
     (lambda: optimizers.ExponentialDecay(0), "learning_rate"), (lambda: optimizers.ExponentialDecay(1, rate=0), "rate"),
     (lambda: optimizers.InverseTimeDecay(0), "learning_rate"), (lambda: optimizers.InverseTimeDecay(1, decay_rate=-1), "decay_rate"),
     (lambda: optimizers.InverseTimeDecay(1, every=0), "every"), (lambda: optimizers.Momentum(beta=1), "beta"),
     (lambda: optimizers.RMSprop(beta2=1.0), "beta2"), (lambda: optimizers.RMSprop(epsilon=0), "epsilon"),
     (lambda: optimizers.Adam(beta1=-0.1), "beta1"), (lambda: optimizers.Adam(beta2=1), "beta2"),
     (lambda: optimizers.Adam(epsilon=-1), "epsilon"), (lambda: optimizers.Momentum(beta=False), "beta"),
     (lambda: optimizers.Momentum(beta="0.9"), "beta")],
)  # fmt: skip
def test_bad_hyperparameters_are_named(make, name):
    with pytest.raises(ValueError, match=rf"^{name} is "):
        make()


def test_beta_zero_is_allowed():
    assert optimizers.Momentum(beta=0).beta == 0.0 and optimizers.Adam(beta1=0.0).beta1 == 0.0


@pytest.mark.parametrize(
    "cls, expected",
    [(optimizers.Optimizer, {"learning_rate": 0.01}), (optimizers.GradientDescent, {"learning_rate": 0.0075}),
     (optimizers.Momentum, {"learning_rate": 0.01, "beta": 0.9}),
     (optimizers.RMSprop, {"learning_rate": 0.001, "beta2": 0.999, "epsilon": 1e-8}),
     (optimizers.Adam, {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "corrected_rate": False})],
)  # fmt: skip
def test_optimizer_defaults_and_config(cls, expected):
    opt = cls()
    assert opt.learning_rate == expected["learning_rate"]
    extra = {k: v for k, v in expected.items() if k != "learning_rate"}
    assert opt.config() == {"name": cls.name, "learning_rate": {"name": "constant", "lr0": expected["learning_rate"]}, **extra}


def test_rmsprop_first_step_with_its_default_epsilon():
    opt = optimizers.RMSprop(learning_rate=0.1)
    W, g = np.array([[1.0, -2.0]]), np.array([[1e-6, 4.0]])
    opt.step({"W1": W}, {"dW1": g})
    s = 0.001 * g * g
    np.testing.assert_allclose(W, np.array([[1.0, -2.0]]) - 0.1 * g / (np.sqrt(s) + 1e-8), rtol=1e-14)


def test_optimizer_state_names_and_round_trip():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    grads = {"dW1": np.full((2, 2), 0.5), "db1": np.full((2, 1), -0.25)}
    for cls, slots in ((optimizers.Momentum, ["v"]), (optimizers.RMSprop, ["s"]), (optimizers.Adam, ["v", "s"])):
        opt = cls()
        opt.step(params, grads)
        opt.epoch = 3
        state = opt.state_dict()
        assert {"t", "epoch"} <= set(state)
        assert {k for k in state if "/" in k} == {f"{s}/{k}" for s in slots for k in params}
        again = cls()
        again.load_state_dict(state)
        assert (again.t, again.epoch) == (1, 3)
        for s in slots:
            for k in params:
                np.testing.assert_array_equal(again.state[s][k], opt.state[s][k])
        opt.step(params, grads)
        assert not np.array_equal(opt.state[slots[0]]["W1"], state[f"{slots[0]}/W1"])  # a snapshot, not the live array


def test_schedules_from_dicts():
    assert optimizers.get_schedule({"name": "step", "lr0": 1.0, "every": 5})(5) == 0.5
    with pytest.raises(TypeError, match="schedule 'step' has keys"):
        optimizers.get_schedule({"name": "step"})
    with pytest.raises(TypeError, match="schedule 'step' has keys"):
        optimizers.get_schedule({"name": "step", "lr0": 1.0, "rate": 2})
    with pytest.raises(ValueError, match="unknown schedule None"):
        optimizers.get_schedule({"lr0": 1.0})


# ---- initialisers --------------------------------------------------------------------------


def test_initializers_draw_the_course_streams():
    rng = np.random.RandomState(1)
    W1, W2 = rng.randn(4, 3), rng.randn(2, 4)
    xavier = initialize_parameters([3, 4, 2], "xavier", seed=1)
    np.testing.assert_array_equal(xavier["W1"], W1 * np.sqrt(1.0 / 3))
    np.testing.assert_array_equal(xavier["W2"], W2 * np.sqrt(1.0 / 4))
    he = initialize_parameters([3, 4, 2], seed=1)  # the default is He
    np.testing.assert_array_equal(he["W1"], W1 * np.sqrt(2.0 / 3))
    assert inspect.signature(initialize_parameters).parameters["init"].default == "he"
    np.testing.assert_array_equal(initialize_parameters([3, 4, 2], "small_random", seed=1)["W1"], W1 * 0.01)
    assert not initialize_parameters([3, 4, 2], "zeros")["W2"].any()
    assert initialize_parameters([3, 2], dtype=np.float32)["b1"].dtype == np.float32


# ---- the blocks' shape errors name the argument ------------------------------------------------


def test_linear_forward_names_the_wrong_argument():
    A, W, b = np.ones((3, 4)), np.ones((2, 3)), np.zeros((2, 1))
    with pytest.raises(ValueError, match=r"^A_prev has shape \(3,\); expected a 2-D array"):
        blocks.linear_forward(np.ones(3), W, np.zeros(2))
    with pytest.raises(ValueError, match=r"^W has shape \(2, 5\) and A_prev \(3, 4\); expected W: \(n\[l\], 3\)"):
        blocks.linear_forward(A, np.ones((2, 5)), b)
    with pytest.raises(ValueError, match=r"^b has shape \(3, 1\); expected \(2, 1\)"):
        blocks.linear_forward(A, W, np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"^W has shape \(3,\); expected a 2-D array"):
        blocks.linear_forward(A, np.ones(3), b)


def test_backward_blocks_name_the_wrong_gradient():
    A, W, b = np.ones((3, 4)), np.ones((2, 3)), np.zeros((2, 1))
    Z, cache = blocks.linear_forward(A, W, b)
    with pytest.raises(ValueError, match=r"^dZ has shape \(2, 5\); expected \(2, 4\)$"):
        blocks.linear_backward(np.ones((2, 5)), cache)
    with pytest.raises(ValueError, match=r"^dZ has shape \(3, 4\); expected \(2, 4\)$"):
        blocks.linear_backward(np.ones((3, 4)), cache)
    _, layer_cache = blocks.linear_activation_forward(A, W, b, "tanh")
    with pytest.raises(ValueError, match=r"^dA has shape \(2, 3\); expected \(2, 4\)$"):
        blocks.linear_activation_backward(np.ones((2, 3)), layer_cache, "tanh")


def test_model_forward_and_backward_name_what_does_not_fit():
    net = lw.Network([3, 2, 1], seed=0)
    with pytest.raises(ValueError, match=r"^X has shape \(4, 5\); expected \(3, m\), as many rows as W1 has columns"):
        blocks.model_forward(np.ones((4, 5)), net.parameters, net.activations)
    with pytest.raises(ValueError, match=r"^X has shape \(3,\); expected \(3, m\)"):
        blocks.model_forward(np.ones(3), net.parameters, net.activations)
    AL, caches = net.forward(np.ones((3, 5)))
    with pytest.raises(ValueError, match="^caches has 1 entries; expected one per layer"):
        blocks.model_backward(AL, np.ones((1, 5)), caches[:1], net.activations, net.loss)
    with pytest.raises(ValueError, match="^caches has 0 entries"):
        blocks.model_backward(AL, np.ones((1, 5)), [], [], net.loss)


def test_return_dA_gives_the_weighted_dAL_and_every_dA():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((3, 5)), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    w = np.array([[0.5, 1.5, 1.0, 1.0, 1.0]])
    net = lw.Network([3, 2, 1], seed=0)
    AL, caches = net.forward(X)
    AL_before = AL.copy()
    grads = blocks.model_backward(AL, Y, caches, net.activations, net.loss, sample_weight=w, return_dA=True)
    np.testing.assert_array_equal(AL, AL_before)  # the allocating path leaves its inputs alone
    np.testing.assert_allclose(grads["dA2"], -(Y / AL - (1 - Y) / (1 - AL)) * w, rtol=1e-12)
    dZ2 = (AL - Y) * w
    np.testing.assert_allclose(grads["dA1"], net.parameters["W2"].T @ dZ2, rtol=1e-12)
    dZ1 = grads["dA1"] * (caches[0][1] > 0)
    np.testing.assert_allclose(grads["dA0"], net.parameters["W1"].T @ dZ1, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_float32_dropout_keeps_float32_and_draws_float32_masks(hidden):
    net = lw.Network([3, 4, 1], hidden=hidden, seed=0, dtype="float32")
    X = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    AL, caches = blocks.model_forward(X, net.parameters, net.activations, [0.7], np.random.default_rng(5))
    np.testing.assert_array_equal(caches[0][2], np.random.default_rng(5).random((4, 6), dtype=np.float32) < 0.7)
    grads = blocks.model_backward(AL, np.ones((1, 6), np.float32), caches, net.activations, net.loss, keep_probs=[0.7])
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}


def test_training_silences_numpy_and_reports_the_divergence():
    """A user's activation that takes log(0): no NumPy warning, a DivergenceError naming A1."""

    class LogAbs(activations.Activation):
        name = "log_abs_test"

        def forward(self, Z, out=None):
            return np.log(np.abs(Z), out=out)

        def backward(self, dA, A, out=None):
            return np.multiply(dA, 1.0, out=out)

    net = lw.Network([2, 2, 1], activations=[LogAbs(), "sigmoid"], init="zeros")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(lw.DivergenceError, match=r"A1 \(layer 1\) became non-finite first"):
            net.fit(np.zeros((2, 4)), np.ones((1, 4)), epochs=2, learning_rate=0.1)
    assert not caught, [str(w.message) for w in caught]


# ---- the gradient check itself ----------------------------------------------------------------


class WrongGradient(losses.BinaryCrossEntropy):
    """The cost is binary cross-entropy; the gradient is 1.5 times too large and ignores the weights."""

    name = "wrong_gradient_test"
    fused = ""

    def dAL(self, AL, Y, w=None):
        return 1.5 * super().dAL(AL, Y)


class IgnoresWeights(losses.BinaryCrossEntropy):
    """Right gradient, except that it ignores the sample weights."""

    name = "ignores_weights_test"
    fused = ""

    def dAL(self, AL, Y, w=None):
        return super().dAL(AL, Y)


@pytest.fixture
def small():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 8))
    return X, (rng.random((1, 8)) > 0.5).astype(float), rng.uniform(0.2, 3.0, (1, 8))


def test_relative_difference():
    rd = getattr(gradcheck, "relative_difference", None) or gradcheck._relative_difference  # public after issue 15
    assert rd(np.zeros(3), np.zeros(3)) == 0.0
    assert rd(np.array([3.0, 4.0]), np.zeros(2)) == 1.0
    assert rd(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2, rel=1e-15)
    assert rd(np.array([2.0]), np.array([1.0])) == pytest.approx(1 / 3, rel=1e-15)


def test_gradient_check_catches_wrong_gradients(small):
    X, Y, w = small
    wrong = lw.Network([3, 4, 1], loss=WrongGradient(), seed=1, init="xavier")
    report = gradcheck.gradient_check_report(wrong, X, Y)
    assert report["all"] == pytest.approx(0.2, rel=1e-5)  # |1.5 g - g| / (1.5 |g| + |g|)
    assert set(report) == {"dW1", "db1", "dW2", "db2", "all"}
    assert report == gradcheck.gradient_check_report(wrong, X, Y, 1e-7, lambd=0.0, keep_prob=1.0, dropout_seed=0)
    assert report != gradcheck.gradient_check_report(wrong, X, Y, lambd=1.0)
    assert gradcheck.gradient_check(wrong, X, Y) == report["all"]
    assert gradcheck.gradient_check(wrong, X, Y, 1e-4, lambd=0.5) == gradcheck.gradient_check_report(wrong, X, Y, 1e-4, lambd=0.5)["all"]
    assert gradcheck.gradient_check(wrong, X, Y, 1e-4) != report["all"]
    ignores = lw.Network([3, 4, 1], loss=IgnoresWeights(), seed=1, init="xavier")
    assert gradcheck.gradient_check(ignores, X, Y) < 1e-7
    assert gradcheck.gradient_check(ignores, X, Y, sample_weight=w) > 1e-3


def test_gradient_check_normalises_weights_and_holds_the_dropout_masks(small):
    X, Y, w = small
    wrong = lw.Network([3, 4, 1], loss=WrongGradient(), seed=1, init="xavier")
    weighted = gradcheck.gradient_check_report(wrong, X, Y, lambd=0.5, sample_weight=w)
    assert weighted == pytest.approx(gradcheck.gradient_check_report(wrong, X, Y, lambd=0.5, sample_weight=3 * w), rel=1e-6)
    dropped = gradcheck.gradient_check_report(wrong, X, Y, keep_prob=0.5)
    assert dropped != gradcheck.gradient_check_report(wrong, X, Y)
    assert dropped == gradcheck.gradient_check_report(wrong, X, Y, keep_prob=0.5, dropout_seed=0)
    assert dropped != gradcheck.gradient_check_report(wrong, X, Y, keep_prob=0.5, dropout_seed=1)
    right = lw.Network([3, 4, 1], seed=1, init="xavier")
    assert gradcheck.gradient_check(right, X, Y, keep_prob=0.5, sample_weight=w, lambd=0.5) < 1e-7
    # weights are taken in float64 whatever their dtype
    w32 = w.astype(np.float32)
    assert gradcheck.gradient_check_report(wrong, X, Y, sample_weight=w32) == gradcheck.gradient_check_report(
        wrong, X, Y, sample_weight=w32.astype(np.float64))


# ==== the parts the scikit-learn drop-ins added (issue 18) ====================================

# ---- exp output, Poisson deviance ------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_is_capped_just_below_the_dtype_maximum(dtype):
    Z = np.array([[-3.0, 0.0, 2.5, 1e4]], dtype=dtype)
    cap = np.log(np.finfo(dtype).max) * (1 - 1e-6)
    A = get_activation("exp").forward(Z)
    assert A.dtype == dtype and np.all(np.isfinite(A))
    np.testing.assert_allclose(A, np.exp(np.minimum(Z.astype(np.float64), cap)), rtol=1e-6 if dtype == np.float32 else 1e-15)
    assert A[0, 3] < np.finfo(dtype).max and A[0, 3] > 0.999 * np.finfo(dtype).max ** (1 - 1e-6)
    dA = np.array([[1.0, -2.0, 0.5, 0.0]], dtype=dtype)
    np.testing.assert_array_equal(get_activation("exp").backward(dA, A), dA * A)


def reference_poisson(A, Y, w=None):
    """(1/m) sum w (y log(y/a) - y + a), with 0 log 0 = 0, in plain NumPy."""
    terms = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        y, a = Y[idx], A[idx]
        terms[idx] = (y * np.log(y / a) if y > 0 else 0.0) - y + a
    weights = np.ones((1, A.shape[1])) if w is None else w
    return float(np.sum(terms * weights) / A.shape[1])


def test_poisson_deviance_cost_and_dAL():
    loss = get_loss("poisson")
    A = np.array([[0.5, 2.0, 1.0, 3.0], [1.5, 0.25, 4.0, 1.0]])
    Y = np.array([[0.0, 3.0, 1.0, 0.0], [2.0, 0.0, 5.0, 1.0]])
    w = np.array([[0.5, 1.5, 1.0, 1.0]])
    assert loss.cost(A, Y) == pytest.approx(reference_poisson(A, Y), rel=1e-14)
    assert loss.cost(A, Y, w) == pytest.approx(reference_poisson(A, Y, w), rel=1e-14)
    np.testing.assert_allclose(loss.dAL(A, Y), 1 - Y / A, rtol=1e-15)
    np.testing.assert_allclose(loss.dAL(A, Y, w), (1 - Y / A) * w, rtol=1e-15)
    # a rate of exactly 0 is kept at the dtype's smallest normal number: finite, with no warning
    with np.errstate(all="raise"):
        cost = loss.cost(np.array([[0.0, 1.0]]), np.array([[2.0, 1.0]]))
        d = loss.dAL(np.array([[0.0]]), np.array([[2.0]]))
    tiny = np.finfo(np.float64).tiny
    assert cost == pytest.approx((2 * np.log(2 / tiny) - 2 + 0.0 + 0.0) / 2, rel=1e-14)
    assert d[0, 0] == pytest.approx(1 - 2 / tiny, rel=1e-14)
    assert loss.name == "poisson" and loss.fused == "exp" and DEFAULT_LOSS["exp"] == "poisson"
    # float32: the floor is float32's smallest normal number (float64's would round to 0 there)
    tiny32 = float(np.finfo(np.float32).tiny)
    A32, Y32 = np.array([[0.0, 2.0]], dtype=np.float32), np.array([[2.0, 1.0]], dtype=np.float32)
    with np.errstate(all="raise"):
        c32 = loss.cost(A32, Y32)
        d32 = loss.dAL(A32[:, :1], Y32[:, :1])
    assert c32 == pytest.approx((2 * np.log(2 / tiny32) - 2 + (np.log(1 / 2) - 1 + 2)) / 2, rel=1e-6)
    assert np.isfinite(d32[0, 0]) and d32[0, 0] == pytest.approx(1 - 2 / tiny32, rel=1e-6)
    # a diverged output (an infinite rate) costs inf, for the divergence guard, with no NumPy warning
    assert loss.cost(np.array([[np.inf, 1.0]]), np.array([[0.0, 1.0]])) == np.inf
    # counts need not be integers: y in (0, 1) has its own y log(y / a)
    A, Y = np.array([[0.8, 2.0, 1.5]]), np.array([[0.5, 0.25, 1.0]])
    assert loss.cost(A, Y) == pytest.approx(reference_poisson(A, Y), rel=1e-14)


# ---- SGD, Adam's corrected rate ---------------------------------------------------------------


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_velocity_accumulates_lr_times_the_gradient(nesterov):
    opt = optimizers.SGD(learning_rate=optimizers.StepDecay(0.1, drop=0.5, every=1), momentum=0.8, nesterov=nesterov)
    W = np.array([[1.0, -2.0, 0.5]])
    grads = [np.array([[0.3, -0.1, 2.0]]), np.array([[-0.5, 0.4, 1.0]]), np.array([[0.2, 0.2, -0.7]])]
    ref, v = W.copy(), np.zeros_like(W)
    for epoch, g in enumerate(grads):
        lr = 0.1 * 0.5**epoch
        v = 0.8 * v - lr * g
        ref = ref + (0.8 * v - lr * g if nesterov else v)
        opt.epoch = epoch
        opt.step({"W1": W}, {"dW1": g.copy()})
    np.testing.assert_allclose(W, ref, rtol=1e-14)
    np.testing.assert_allclose(opt.state["v"]["W1"], v, rtol=1e-14)


def test_sgd_defaults_and_bounds():
    opt = optimizers.SGD()
    assert opt.learning_rate == 0.01 and opt.momentum == 0.0 and opt.nesterov is False
    assert opt.config() == {"name": "sgd", "learning_rate": {"name": "constant", "lr0": 0.01}, "momentum": 0.0, "nesterov": False}
    assert optimizers.SGD(momentum=0).momentum == 0.0 and optimizers.SGD(momentum=1).momentum == 1.0
    assert optimizers.get_optimizer("sgd", 0.5, momentum=0.9).momentum == 0.9
    W = np.array([[1.0, 2.0]])
    opt.step({"W1": W}, {"dW1": np.array([[1.0, -3.0]])})  # momentum 0: plain gradient descent
    np.testing.assert_allclose(W, [[0.99, 2.03]], rtol=1e-15)
    for bad in (-0.1, 1.01, True, "0.9"):
        with pytest.raises(ValueError, match=r"momentum is .*expected a number in \[0, 1\]"):
            optimizers.SGD(momentum=bad)
    with pytest.raises(TypeError, match="^nesterov is 1; expected True or False"):
        optimizers.SGD(nesterov=1)


def test_adam_with_corrected_rate_moves_the_correction_into_the_rate():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    opt = optimizers.Adam(learning_rate=lr, beta1=b1, beta2=b2, epsilon=eps, corrected_rate=True)
    W = np.array([[1.0, -2.0, 0.5]])
    ref, v, s = W.copy(), np.zeros_like(W), np.zeros_like(W)
    for t, g in enumerate([np.array([[0.3, -1e-9, 2.0]]), np.array([[-0.5, 0.4, 1.0]])], start=1):
        v = b1 * v + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        ref = ref - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * v / (np.sqrt(s) + eps)
        opt.step({"W1": W}, {"dW1": g})
    np.testing.assert_allclose(W, ref, rtol=1e-14)
    assert opt.config()["corrected_rate"] is True
    with pytest.raises(TypeError, match="^corrected_rate is 'yes'; expected True or False"):
        optimizers.Adam(corrected_rate="yes")


# ---- invscaling, adaptive, the examples counted -----------------------------------------------


def test_invscaling_counts_examples():
    s = optimizers.InverseScaling(0.5)
    assert s.unit == "example" and s.power_t == 0.5 and optimizers.Constant(1).unit == "epoch"
    assert s(0) == 0.5 and s(3) == pytest.approx(0.25, rel=1e-15) and s(99) == pytest.approx(0.05, rel=1e-15)
    assert optimizers.InverseScaling(0.5, power_t=0)(1000) == 0.5
    assert optimizers.InverseScaling(2.0, power_t=1.5)(3) == pytest.approx(2.0 / 8, rel=1e-15)
    assert optimizers.get_schedule({"name": "invscaling", "lr0": 1.0, "power_t": 0.25}).power_t == 0.25
    for make, name in ((lambda: optimizers.InverseScaling(0.5, power_t=-1), "power_t"),
                       (lambda: optimizers.InverseScaling(0), "learning_rate"), (lambda: optimizers.Adaptive(-1.0), "learning_rate")):  # fmt: skip
        with pytest.raises(ValueError, match=rf"^{name} is "):
            make()
    opt = optimizers.GradientDescent(s)
    opt.epoch, opt.examples = 5, 15
    assert opt.learning_rate == pytest.approx(0.5 / 4, rel=1e-15)  # examples, not epochs


def test_adaptive_divides_until_min_lr():
    s = optimizers.Adaptive(1.0, factor=4.0, min_lr=0.02)
    assert s(0) == 1.0 and s(7) == 1.0 and s.unit == "epoch"
    assert s.reduce() is True and s.lr == 0.25 and s(3) == 0.25
    assert s.reduce() is True and s.lr == 0.0625
    assert s.reduce() is True and s.lr == 0.015625
    assert s.reduce() is False and s.lr == 0.015625
    edge = optimizers.Adaptive(0.1, factor=2.0, min_lr=0.1)
    assert edge.reduce() is False and edge.lr == 0.1  # at min_lr: no change
    d = optimizers.Adaptive(0.3)
    assert (d.factor, d.min_lr, d.lr) == (5.0, 1e-6, 0.3)
    assert optimizers.Adaptive(0.3, min_lr=0).min_lr == 0
    assert optimizers.Adaptive(0.3, lr=0.01)(0) == 0.01
    assert d.config() == {"name": "adaptive", "lr0": 0.3, "factor": 5.0, "min_lr": 1e-6, "lr": 0.3}
    assert optimizers.get_schedule(d.config()).lr == 0.3
    for kw, name in (({"factor": 0}, "factor"), ({"min_lr": -1}, "min_lr"), ({"lr": 0}, "lr")):
        with pytest.raises(ValueError, match=rf"^{name} is "):
            optimizers.Adaptive(0.3, **kw)


def test_trainer_counts_examples_per_epoch_and_the_state_keeps_them():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 10))
    Y = (X[:1] > 0).astype(float)
    net = lw.Network([3, 2, 1], seed=1)
    opt = optimizers.GradientDescent(optimizers.InverseScaling(0.5))
    seen = []
    trainer = Trainer(net, X, Y, optimizer=opt, batch_size=4, rng=np.random.default_rng(1))
    trainer.callbacks.append(type("Seen", (lw.callbacks.Callback,), {"on_batch_end": lambda self, t, i, c: seen.append(t.optimizer.learning_rate)})())
    trainer.run(3, handle_signals=False)
    assert opt.examples == 30 and opt.epoch == 3
    np.testing.assert_allclose(seen, [0.5] * 3 + [0.5 / 11**0.5] * 3 + [0.5 / 21**0.5] * 3, rtol=1e-15)
    state = opt.state_dict()
    assert state["examples"] == 30
    again = optimizers.GradientDescent(optimizers.InverseScaling(0.5))
    again.load_state_dict(state)
    assert again.examples == 30
    again.load_state_dict({"t": 1, "epoch": 1})  # a checkpoint from before examples were counted
    assert again.examples == 0
    assert "examples" not in opt.config()


# ---- a sparse first layer ---------------------------------------------------------------------


def test_sparse_first_layer_gives_the_dense_results():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 8)) * (rng.random((5, 8)) < 0.4)
    W, b, dZ = rng.standard_normal((3, 5)), rng.standard_normal((3, 1)), rng.standard_normal((3, 8))
    for Xs in (sparse.csr_matrix(X), sparse.csc_matrix(X)):
        assert blocks.is_sparse(Xs) and not blocks.is_sparse(X)
        Z, cache = blocks.linear_forward(Xs, W, b)
        assert isinstance(Z, np.ndarray)
        np.testing.assert_allclose(Z, W @ X + b, rtol=1e-13, atol=1e-14)
        out = np.empty((3, 8))
        Z2, _ = blocks.linear_forward(Xs, W, b, out=out)
        assert Z2 is out
        np.testing.assert_allclose(out, W @ X + b, rtol=1e-13, atol=1e-14)
        dA_prev, dW, db = blocks.linear_backward(dZ, cache)
        assert isinstance(dW, np.ndarray) and dW.shape == (3, 5)
        np.testing.assert_allclose(dW, dZ @ X.T / 8, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(db, dZ.sum(axis=1, keepdims=True) / 8, rtol=1e-13)
        bufs = (np.empty((5, 8)), np.empty((3, 5)), np.empty((3, 1)))
        _, dW2, _ = blocks.linear_backward(dZ, cache, out=bufs)
        assert dW2 is bufs[1]
        np.testing.assert_allclose(dW2, dZ @ X.T / 8, rtol=1e-13, atol=1e-14)


def test_training_on_sparse_input_equals_training_on_dense():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(4)
    X = rng.standard_normal((4, 12)) * (rng.random((4, 12)) < 0.5)
    Y = (X[:1] + X[1:2] > 0).astype(float)
    results = []
    for data in (X, sparse.csc_matrix(X)):
        net = lw.Network([4, 3, 1], seed=2)
        Trainer(net, data, Y, optimizer=optimizers.GradientDescent(0.3), batch_size=5, rng=np.random.default_rng(5)).run(3, handle_signals=False)
        results.append(net.parameters)
    for k in results[0]:
        np.testing.assert_allclose(results[1][k], results[0][k], rtol=1e-12, atol=1e-14)


# ---- the trainer's shuffle function, score and guard -----------------------------------------


@pytest.fixture
def small_binary():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 9))
    return X, (X[:1] - X[2:3] > 0).astype(float)


def test_a_shuffle_function_orders_every_epoch_from_the_last(small_binary):
    X, Y = small_binary
    calls = []

    def reverse(order):
        calls.append(order.copy())
        return order[::-1].copy()

    def batches_of(batch_size):
        seen = []
        net = lw.Network([3, 2, 1], seed=1)
        t = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), batch_size=batch_size, shuffle=reverse, rng=np.random.default_rng(0))
        original = t._step
        t._step = lambda Xb, Yb, wb: (seen.append(Xb.copy()), original(Xb, Yb, wb))[1]
        t.run(2, handle_signals=False)
        return seen

    seen = batches_of(4)
    np.testing.assert_array_equal(calls[0], np.arange(9))
    np.testing.assert_array_equal(calls[1], np.arange(9)[::-1])
    np.testing.assert_array_equal(np.hstack(seen[:3]), X[:, ::-1])  # epoch 1: reversed
    np.testing.assert_array_equal(np.hstack(seen[3:]), X)  # epoch 2: reversed again
    calls.clear()
    seen = batches_of(None)  # called for the full batch too, which still trains on X as given
    assert len(calls) == 2 and len(seen) == 2
    np.testing.assert_array_equal(seen[0], X)


def test_score_and_guard(small_binary):
    X, Y = small_binary
    net = lw.Network([3, 2, 1], seed=1)
    t = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0),
                validation_data=(X, Y), score=lambda AL, Yv: float(np.sum(AL)) + Yv.shape[1])  # fmt: skip
    t.run(1, handle_signals=False)
    AL = net.forward(X)[0]
    assert t.history.val_metrics == [pytest.approx(float(np.sum(AL)) + 9, rel=1e-14)]
    assert isinstance(t.callbacks[0], DivergenceGuard)
    unguarded = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0), guard=False)
    assert not any(isinstance(cb, DivergenceGuard) for cb in unguarded.callbacks) and unguarded.callbacks == []
    default = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0), validation_data=(X, Y))
    default.run(1, handle_signals=False)
    AL = net.forward(X)[0]
    assert default.history.val_metrics == [pytest.approx(float(np.mean((AL > 0.5) == Y)), rel=1e-14)]


# ---- L-BFGS: cost_and_gradient, run_lbfgs -----------------------------------------------------


def reference_cost_and_gradient(theta, X, Y, dims, lambd, w=None):
    """tanh hidden layer, sigmoid output, cross-entropy (weighted by w / mean(w)) + L2, and its
    gradient, by hand."""
    (n0, n1, n2), m = dims, X.shape[1]
    w = np.ones((1, m)) if w is None else w / w.mean()
    W1 = theta[: n1 * n0].reshape(n1, n0)
    b1 = theta[n1 * n0 : n1 * n0 + n1].reshape(n1, 1)
    o = n1 * n0 + n1
    W2 = theta[o : o + n2 * n1].reshape(n2, n1)
    b2 = theta[o + n2 * n1 :].reshape(n2, 1)
    A1 = np.tanh(W1 @ X + b1)
    A2 = 1 / (1 + np.exp(-(W2 @ A1 + b2)))
    J = -np.sum(w * (Y * np.log(A2) + (1 - Y) * np.log(1 - A2))) / m + lambd / (2 * m) * (np.sum(W1**2) + np.sum(W2**2))
    dZ2 = (A2 - Y) * w
    dW2 = dZ2 @ A1.T / m + lambd / m * W2
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (1 - A1**2)
    dW1 = dZ1 @ X.T / m + lambd / m * W1
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return J, np.concatenate([g.ravel() for g in (dW1, db1, dW2, db2)])


def test_cost_and_gradient_on_the_flat_vector(small_binary):
    X, Y = small_binary
    net = lw.Network([3, 4, 1], hidden="tanh", seed=2)
    t = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0), lambd=0.3)
    theta = np.random.default_rng(9).standard_normal(4 * 3 + 4 + 4 + 1)
    J, g = t.cost_and_gradient(theta)
    J_ref, g_ref = reference_cost_and_gradient(theta, X, Y, (3, 4, 1), 0.3)
    assert J == pytest.approx(J_ref, rel=1e-13)
    assert g.dtype == np.float64 and g is not t.flat_gradients
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(net.parameters["W1"], theta[:12].reshape(4, 3))
    w = np.linspace(0.5, 2.0, 9).reshape(1, 9)
    weighted = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0), lambd=0.3, sample_weight=w)
    Jw, gw = weighted.cost_and_gradient(theta)
    Jw_ref, gw_ref = reference_cost_and_gradient(theta, X, Y, (3, 4, 1), 0.3, w)
    assert Jw == pytest.approx(Jw_ref, rel=1e-13) and abs(Jw - J) > 1e-3
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-12, atol=1e-15)


def test_run_lbfgs_records_each_iteration_and_leaves_the_solution(small_binary):
    pytest.importorskip("scipy")
    from scipy.optimize import minimize

    X, Y = small_binary
    net = lw.Network([3, 4, 1], hidden="tanh", seed=2)
    t = Trainer(net, X, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0),
                lambd=0.5, keep_probs=[0.5])  # fmt: skip
    theta0 = np.concatenate([net.parameters[k].ravel() for k in ("W1", "b1", "W2", "b2")])
    costs = []

    def record(intermediate_result):  # SciPy passes the OptimizeResult to a parameter of this name
        costs.append(float(intermediate_result.fun))

    ref = minimize(lambda th: reference_cost_and_gradient(th, X, Y, (3, 4, 1), 0.5), theta0, method="L-BFGS-B", jac=True,
                   callback=record, options={"maxfun": 15000, "maxiter": 6, "gtol": 1e-5})  # fmt: skip
    result = t.run_lbfgs(6)
    assert t.keep_probs is None  # L-BFGS runs without dropout
    assert result.nit == ref.nit == 6 and result.status == 1
    np.testing.assert_allclose(t.history.costs, costs, rtol=1e-9)
    assert t.epoch == 6 and t.iteration == result.nfev
    assert t.history.status == "max_iter" and t.history.message == str(result.message)
    np.testing.assert_allclose(net.parameters["W2"].ravel(), result.x[16:20], rtol=1e-15)
    np.testing.assert_allclose(result.x, ref.x, rtol=1e-7, atol=1e-9)
    done = t.run_lbfgs(500, gtol=1e-3)
    assert done.status == 0 and t.history.status == "completed" and t.iteration == result.nfev + done.nfev
    assert np.max(np.abs(t.cost_and_gradient(done.x)[1])) <= 1e-3
    few = Trainer(lw.Network([3, 4, 1], hidden="tanh", seed=2), X, Y, optimizer=optimizers.GradientDescent(0.1),
                  rng=np.random.default_rng(0), lambd=0.5).run_lbfgs(100, max_fun=3)  # fmt: skip
    assert few.nfev <= 4 and few.status == 1


def test_run_lbfgs_asks_scipy_for_l_bfgs_b_with_its_options_and_reports_running(small_binary, monkeypatch):
    import scipy.optimize

    X, Y = small_binary
    calls, statuses = [], []
    real = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):
        calls.append((x0.dtype, kwargs["method"], kwargs["options"]))
        return real(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    net = lw.Network([3, 4, 1], hidden="tanh", seed=2, dtype="float32")
    t = Trainer(net, X.astype(np.float32), Y.astype(np.float32), optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0))
    evaluate = t.cost_and_gradient
    t.cost_and_gradient = lambda theta: (statuses.append(t.history.status), evaluate(theta))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an option SciPy does not know is an OptimizeWarning
        t.run_lbfgs(3)
        t.run_lbfgs(2, max_fun=50, gtol=1e-4)
    assert calls == [(np.float64, "L-BFGS-B", {"maxfun": 15000, "maxiter": 3, "gtol": 1e-5}),
                     (np.float64, "L-BFGS-B", {"maxfun": 50, "maxiter": 2, "gtol": 1e-4})]  # fmt: skip
    assert set(statuses) == {"running"} and t.history.status == "max_iter"
    assert evaluate(np.zeros(21))[1].dtype == np.float64  # float64 for SciPy, whatever the network's dtype


def test_run_lbfgs_ignores_numpy_error_settings(small_binary):
    """Under- and overflow in a line search's trial points are the right answers, even under np.errstate(all="raise")."""
    X, Y = small_binary
    t = Trainer(lw.Network([3, 4, 1], seed=3), X * 800, Y, optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0))
    with np.errstate(all="raise"):
        t.run_lbfgs(20)
    assert all(np.isfinite(t.history.costs))
    huge = Trainer(lw.Network([3, 4, 1], hidden="tanh", output="linear", seed=3), X * 1e160, Y * 1e160,
                   optimizer=optimizers.GradientDescent(0.1), rng=np.random.default_rng(0))  # fmt: skip
    with np.errstate(all="raise"):  # (W X - Y)^2 overflows: the cost is inf, not a FloatingPointError
        result = huge.run_lbfgs(5)
    assert huge.history.message == str(result.message)


# ---- activations on numbers, lists, integer and 0-d arrays (the path training never takes) ----


class Tagged(np.ndarray):
    """An ndarray subclass: float arrays pass to the formulas as they are, subclass included."""


def test_activations_take_numbers_lists_integer_and_zero_d_arrays():
    sig, relu = get_activation("sigmoid"), get_activation("relu")
    r = sig.forward(0.5)
    assert type(r) is np.float64 and r == pytest.approx(1 / (1 + np.exp(-0.5)), rel=1e-15)
    r0 = sig.forward(np.array(0.5))
    assert type(r0) is np.ndarray and r0.shape == () and r0[()] == pytest.approx(1 / (1 + np.exp(-0.5)), rel=1e-15)
    out0 = np.zeros(())
    sig.forward(np.array(-1.0), out=out0)
    assert out0[()] == pytest.approx(1 / (1 + np.e), rel=1e-15)
    r32 = relu.forward(np.float32(2.0))
    assert type(r32) is np.float32 and r32 == 2.0
    ints = np.array([[0, 2], [-1, 3]])
    expected = 1 / (1 + np.exp(-ints.astype(np.float64)))
    r = sig.forward(ints)
    assert r.dtype == np.float64 and np.allclose(r, expected, rtol=1e-15, atol=0)
    out = np.zeros((2, 2))
    assert sig.forward(ints, out=out) is out and np.allclose(out, expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(relu.forward(np.array([[True, False]])), [[1.0, 0.0]])
    assert relu.forward(np.array([[True, False]])).dtype == np.float64
    np.testing.assert_array_equal(relu.forward([[1.0, -2.0]]), [[1.0, 0.0]])
    np.testing.assert_array_equal(relu.forward([[1, -2]]), [[1.0, 0.0]])
    d = sig.backward(2.0, 0.25)
    assert type(d) is np.float64 and d == 0.375
    tagged = np.array([[0.0, -1.0]]).view(Tagged)
    assert type(sig.forward(tagged)) is Tagged and type(relu.backward(tagged, tagged)) is Tagged
    with pytest.raises(TypeError, match="activation input has dtype <U1"):
        sig.forward(np.array(["a"]))
    with pytest.raises(TypeError, match="activation input has dtype complex128"):
        relu.forward([[1j]])


# ---- what the gradient check says, and its defaults --------------------------------------------

W1 = np.array([[1.0, 2.0], [3.0, 4.0]])


def quadratic(params):
    """sum W1^2 + 3 sum b1 + sum theta^2: gradients 2 W1, 3, 2 theta."""
    return float(np.sum(params["W1"] ** 2) + 3 * np.sum(params["b1"]) + np.sum(params.get("theta", 0.0) ** 2))


def rel(g, a):
    return np.linalg.norm(g - a) / (np.linalg.norm(g) + np.linalg.norm(a))


def test_a_failed_check_names_the_layer_the_quantity_and_the_entry():
    params = {"W1": W1, "b1": np.array([[0.5], [-0.5]])}
    wrong = 2 * W1
    wrong[1, 0] = 7.0  # the true gradient there is 6
    check = gradcheck.check_gradients(quadratic, params, {"dW1": wrong, "db1": np.full((2, 1), 3.0)})
    assert not check.ok and check.worst == "dW1" and check.threshold == 2e-7
    d, overall = rel(wrong, 2 * W1), rel(np.concatenate([wrong.ravel(), [3.0, 3.0]]), np.concatenate([(2 * W1).ravel(), [3.0, 3.0]]))
    assert check.differences["dW1"] == pytest.approx(d, rel=1e-6) and check.difference == pytest.approx(overall, rel=1e-6)
    np.testing.assert_array_equal(check.gradients["dW1"], wrong)
    np.testing.assert_allclose(check.approximations["dW1"], 2 * W1, rtol=1e-7)
    assert str(check) == (f"dW1, the gradient of layer 1's weights W1, is wrong: relative difference {d:.3g} "
                          f"(over all parameters {overall:.3g} > 2e-07); largest gap at dW1[1, 0]: given 7, finite differences 6")  # fmt: skip

    bias = gradcheck.check_gradients(quadratic, params, {"dW1": 2 * W1, "db1": np.array([[3.0], [2.0]])})
    assert str(bias).startswith("db1, the gradient of layer 1's bias b1, is wrong") and "largest gap at db1[1, 0]: given 2, finite differences 3" in str(bias)
    named = {"W1": W1, "b1": np.zeros((2, 1)), "theta": np.array([1.0, 2.0, 3.0])}
    unnumbered = gradcheck.check_gradients(quadratic, named, {"dW1": 2 * W1, "db1": np.full((2, 1), 3.0), "dtheta": [2.0, 4.0, 9.0]})
    assert str(unnumbered).startswith("dtheta, the gradient of parameter theta, is wrong") and "largest gap at dtheta[2]: given 9, finite differences 6" in str(unnumbered)
    plain = gradcheck.check_gradients(lambda p: float(np.sum(p["w"] ** 2)), {"w": np.array([1.0])}, {"dw": [5.0]})
    assert str(plain).startswith("dw, the gradient of weights w, is wrong")
    odd = gradcheck.check_gradients(lambda p: float(np.sum(p["1x"] ** 2)), {"1x": np.array([1.0])}, {"d1x": [5.0]})
    assert str(odd).startswith("d1x, is wrong")
    fine = gradcheck.check_gradients(quadratic, params, {"dW1": 2 * W1, "db1": np.full((2, 1), 3.0)})
    assert fine.ok and str(fine) == (f"the gradients agree with finite differences: relative difference {fine.difference:.3g} "
                                     f"<= 2e-07 over all parameters (largest for one gradient: {fine.worst}, {fine.differences[fine.worst]:.3g})")  # fmt: skip


def test_the_default_epsilon_is_one_in_ten_million():
    cubic = {"W1": np.array([[1.0, -2.0, 0.5]])}
    J = lambda p: float(np.sum(p["W1"] ** 3))  # noqa: E731  central difference: 3 W^2 + eps^2
    approx = gradcheck.finite_differences(J, cubic)["dW1"]
    np.testing.assert_allclose(approx, 3 * cubic["W1"] ** 2, rtol=0, atol=1e-7)
    check = gradcheck.check_gradients(J, cubic, {"dW1": 3 * cubic["W1"] ** 2})
    assert check.ok and check.difference < 1e-8


def test_given_gradients_are_float64_arrays_of_the_parameters_shapes():
    seen = []

    def backward(p):
        seen.append({k: v.dtype for k, v in p.items()})
        return {"dW1": [[2, 4], [6, 8]], "db1": np.array([3, 3], dtype=np.int64)}  # ints, db1 flat

    params = {"W1": W1.astype(np.float32), "b1": np.zeros((2, 1), dtype=np.float32)}
    check = gradcheck.check_gradients(quadratic, params, backward)
    assert seen == [{"W1": np.float64, "b1": np.float64}]
    assert check.gradients["dW1"].dtype == np.float64 and check.gradients["db1"].dtype == np.float64
    assert check.gradients["db1"].shape == (2, 1) and check.ok
    with pytest.raises(ValueError, match=r"gradients\['dW1'\] has shape \(1, 4\); expected \(2, 2\)"):
        gradcheck.check_gradients(quadratic, params, {"dW1": np.zeros((1, 4)), "db1": np.zeros((2, 1))})


def test_binary_cross_entropy_dAL_unclipped_is_the_formula_on_AL_as_given():
    AL, Y = np.array([[1.5, 0.5, 0.25]]), np.array([[1.0, 0.0, 1.0]])
    d = losses.get_loss("binary_crossentropy").dAL(AL, Y, clip=False)
    np.testing.assert_allclose(d, [[-1 / 1.5, 2.0, -4.0]], rtol=1e-15)


def test_activation_backward_converts_what_is_not_a_float_array():
    leaky, sig = get_activation("leaky_relu:0.25"), get_activation("sigmoid")
    A = np.array([[0.5, -0.25], [1.0, -1.0]])
    dA_int = np.array([[2, 4], [-1, 8]])
    expected = dA_int * np.where(A > 0, 1.0, 0.25)
    np.testing.assert_array_equal(leaky.backward(dA_int, A), expected)  # the slope is not cast to int
    out = np.zeros((2, 2))
    assert leaky.backward(dA_int, A, out=out) is out
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(leaky.backward(dA_int.tolist(), A), expected)  # dA a list
    np.testing.assert_array_equal(leaky.backward(np.ones((2, 2)), A.tolist()), np.where(A > 0, 1.0, 0.25))  # A a list
    A_int = np.array([[1, 0], [0, 1]])
    np.testing.assert_array_equal(sig.backward(np.ones((2, 2)), A_int), [[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(leaky.backward(np.ones((2, 2)), A_int), [[1.0, 0.25], [0.25, 1.0]])
    assert leaky.backward(np.ones((2, 2)), A_int).dtype == np.float64
    dA = np.array([[0.5, 2.0], [3.0, -1.0]])
    np.testing.assert_array_equal(get_activation("tanh").backward(dA, A_int), dA * (1 - A_int.astype(float) ** 2))
    np.testing.assert_array_equal(get_activation("relu").backward(dA, A_int), dA * (A_int > 0))


def test_blocks_take_nested_lists():
    W, b = np.array([[1.0, -1.0]]), np.array([[0.5]])
    Z, cache = blocks.linear_forward([[1.0, 2.0], [3.0, 5.0]], W, b)
    np.testing.assert_array_equal(Z, [[-1.5, -2.5]])
    assert not blocks.is_sparse([[1.0]]) and not blocks.is_sparse(np.eye(2))
    AL, _ = blocks.model_forward([[1.0, 2.0], [3.0, 5.0]], {"W1": W, "b1": b}, ["linear"])
    np.testing.assert_array_equal(AL, [[-1.5, -2.5]])


@pytest.mark.parametrize("key", ["t", "epoch", "examples"])
@pytest.mark.parametrize("value", [-1, 2**53 + 1, 1.5, True])
def test_optimizer_state_counts_are_checked_and_named(key, value):
    """A checkpoint's step, epoch and example counts are integers in [0, 2**53], refused by name."""
    opt = optimizers.Adam()
    state = {"t": 3, "epoch": 2, "examples": 60, key: value}
    with pytest.raises(ValueError, match=rf"^{key} is .*; expected an integer in \[0, {2**53}\]$"):
        opt.load_state_dict(state)
    opt.load_state_dict({"t": 2**53, "epoch": 0, "examples": 0})
    assert (opt.t, opt.epoch, opt.examples) == (2**53, 0, 0)
