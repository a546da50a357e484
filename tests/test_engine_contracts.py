"""The engine's small promises, each pinned to a value computed here: the public activation
functions, defaults of schedules and optimizers, validation boundaries and the names in their
messages, optimizer state and config, initialisers, registration, the blocks' shape errors,
and what the gradient check reports.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise import activations, blocks, gradcheck, losses, optimizers
from layerwise.activations import ACTIVATIONS, get_activation
from layerwise.initializers import initialize_parameters

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
