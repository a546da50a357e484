"""Divergence: a NaN or infinite cost, gradient or parameter stops training at once.

The error names the iteration and the first quantity (Z, A, dW, db, or the update of W/b)
that went non-finite and suggests a smaller learning rate; the network keeps the parameters
from before the failing update; the history says "diverged"; NumPy warns about nothing.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import layerwise as lw
from layerwise.callbacks import Callback

WHERE = r"(Z|A|dW|db)(\d+) \(layer \2\) became non-finite first|the cost became non-finite first|the update made (W|b)(\d+) \(layer \4\) non-finite"


class Snapshots(Callback):
    """Copies of the parameters after every completed update (the guard runs before it)."""

    def on_train_begin(self, trainer):
        self.params = [{k: v.copy() for k, v in trainer.network.parameters.items()}]

    def on_batch_end(self, trainer, iteration, cost):
        self.params.append({k: v.copy() for k, v in trainer.network.parameters.items()})


def diverge(net, X, Y, **kwargs):
    """Train until divergence, with NumPy warnings recorded; returns (error, snapshots, warnings)."""
    snaps = Snapshots()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(lw.DivergenceError) as info:
            net.fit(X, Y, callbacks=[snaps], **kwargs)
    return info.value, snaps, caught


def check_divergence(net, error, snaps, caught):
    message = str(error)
    assert not caught, [str(w.message) for w in caught]
    match = re.search(r"diverged at iteration (\d+) \(epoch (\d+)\): ", message)
    assert match, message
    assert re.search(WHERE, message), message
    assert "smaller learning rate" in message and "standardise" in message
    iteration = int(match.group(1))
    assert iteration == len(snaps.params) - 1  # the failing update is the one after the last good one
    h = net.history_
    assert h.status == "diverged" and h.message == message and error.history is h
    assert all(np.isfinite(c) for c in h.costs)
    for key, before in snaps.params[-1].items():  # the parameters from before the failing update
        assert np.isfinite(net.parameters[key]).all()
        np.testing.assert_array_equal(net.parameters[key], before)
    return iteration, message


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 64))
    return X, (X[:1] + X[1:2] > 0).astype(float)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deep_relu_net_with_a_huge_learning_rate(data, dtype):
    X, Y = data
    net = lw.Network([5, 16, 16, 16, 1], seed=0, dtype=dtype)
    error, snaps, caught = diverge(net, X, Y, learning_rate=1e6, epochs=100)
    iteration, message = check_divergence(net, error, snaps, caught)
    # Full batch is deterministic: training the same network for exactly `iteration` updates
    # gives the parameters that were kept, bit for bit.
    again = lw.Network([5, 16, 16, 16, 1], seed=0, dtype=dtype)
    if iteration:
        again.fit(X, Y, learning_rate=1e6, epochs=iteration)
    for key in net.parameters:
        np.testing.assert_array_equal(net.parameters[key], again.parameters[key])
    assert f"now {1e6:g}" in message


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_linear_regression_with_a_huge_learning_rate(data, dtype):
    X, _ = data
    Y = 100 * X.sum(axis=0, keepdims=True)
    net = lw.Network([5, 1], output="linear", init="zeros", dtype=dtype)
    error, snaps, caught = diverge(net, X, Y, learning_rate=10.0, epochs=500)
    iteration, message = check_divergence(net, error, snaps, caught)
    assert iteration > 1  # the cost grew for a while before it overflowed
    assert net.history_.costs[-1] > 10 * net.history_.costs[0]


def test_an_update_that_overflows_is_undone(data):
    """Finite gradients times a huge learning rate give infinite weights: the update is rolled back."""
    X, _ = data
    net = lw.Network([5, 1], output="linear", seed=0, dtype="float32")
    start = {k: v.copy() for k, v in net.parameters.items()}
    error, snaps, caught = diverge(net, X * 1e15, X[:1], learning_rate=1e10, epochs=5)
    iteration, message = check_divergence(net, error, snaps, caught)
    assert iteration == 0 and "the update made W1 (layer 1) non-finite" in message
    for key in start:
        np.testing.assert_array_equal(net.parameters[key], start[key])


@pytest.mark.parametrize("optimizer, learning_rate", [("momentum", 1e3), ("rmsprop", 1e150), ("adam", 1e150)])
def test_other_optimizers_mini_batches_dropout_and_l2(data, optimizer, learning_rate):
    """Adam and RMSprop take bounded steps (about lr each): only an absurd rate makes them diverge."""
    X, Y = data
    net = lw.Network([5, 32, 32, 1], output="linear", seed=1)
    kwargs = dict(optimizer=optimizer, learning_rate=learning_rate, epochs=30, batch_size=16, keep_prob=0.9, lambd=0.1, seed=3)
    error, snaps, caught = diverge(net, X, 1e3 * Y, **kwargs)
    iteration, message = check_divergence(net, error, snaps, caught)
    assert net.trainer_.iteration == iteration  # the failing update was not counted as taken


def test_softmax_output_diverges_cleanly(data):
    X, Y = data
    labels = (Y + (X[2:3] > 0)).astype(int)  # three classes
    net = lw.Network([5, 8, 3], output="softmax", seed=0)
    check_divergence(net, *diverge(net, X, labels, learning_rate=1e200, epochs=20))


def test_predicting_with_overflowing_parameters_is_an_error_not_a_warning(data):
    X, Y = data
    net = lw.Network([5, 16, 16, 1], seed=0, dtype="float32")
    net.set_parameters({k: v * 1e20 for k, v in net.parameters.items()})  # finite, but Z2 overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match="output is NaN or infinite"):
            net.predict(X)
        with pytest.raises(FloatingPointError, match="output is NaN or infinite"):
            net.score(X, Y)


def test_a_sum_that_overflows_is_not_divergence():
    """The guard's quick check sums each array; a sum can overflow while every value is finite."""
    X = np.full((2, 4), np.finfo(np.float32).max / 2, dtype=np.float32)
    with np.errstate(over="ignore"):  # as inside Trainer.run
        assert lw.callbacks._all_finite([X])
        assert not lw.callbacks._all_finite([X, np.array([np.nan])])


def test_after_divergence_training_can_go_on_with_a_smaller_learning_rate(data):
    X, Y = data
    net = lw.Network([5, 16, 16, 16, 1], seed=0)
    diverge(net, X, Y, learning_rate=1e6, epochs=100)
    net.set_parameters(lw.Network([5, 16, 16, 16, 1], seed=0).parameters)
    history = net.fit(X, Y, learning_rate=0.05, epochs=50)
    assert history.status == "completed" and history.costs[-1] < history.costs[0]


class WatchGradients(Callback):
    """A hook that sees (and could change) the gradients after the guard's check."""

    def on_gradients(self, trainer, cost, grads):
        self.seen = True


@pytest.mark.parametrize(
    "optimizer, learning_rate, callbacks, copies",
    [("gd", 0.1, [], False), ("gd", 1e38, [], True), ("gd", 0.1, [WatchGradients()], True), ("momentum", 0.1, [], True)],
    ids=["gd", "gd-huge-steps", "gd-gradient-hook", "momentum"],
)
def test_the_guard_copies_the_parameters_only_when_an_update_could_overflow(data, optimizer, learning_rate, callbacks, copies):
    """Plain gradient descent with ||W|| + lr ||dW|| far below float32's largest value cannot
    overflow: nothing is saved. Huge steps, another gradient hook or another optimizer: the
    parameters are copied before the update, as ever."""
    X, Y = data
    net = lw.Network([5, 8, 1], seed=0, dtype="float32")
    with np.errstate(all="ignore"):
        try:
            net.fit(X.astype("float32"), Y.astype("float32"), optimizer=optimizer, learning_rate=learning_rate,
                    epochs=2, callbacks=callbacks)  # fmt: skip
        except lw.DivergenceError:
            assert copies  # only huge steps diverge, and then they were undone
    guard = net.trainer_.callbacks[0]
    assert guard._copied == copies and (guard._saved is not None) == copies
