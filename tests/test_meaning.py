"""Inputs are checked for meaning, not only shape: one-hot targets, bounded weights, masked
arrays, numbers too large for a float, outputs handed back to ``cost``/``backward``.

Each test here reproduces a silent wrong answer or a traceback of the attack on the previous
version: the target trained to a negative cost, the weights gave cost 0.0 and "completed",
the mask was dropped, ``10**400`` came out as ``OverflowError``, NaN went into ``cost``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import _checks
from layerwise.optimizers import get_optimizer

HUGE = 10**400  # an int no float can hold


def refused(call, *words: str, kind=(ValueError, TypeError)) -> str:
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert all(w in message for w in words), message
    assert "\n" not in message and len(message) < 400, message
    return message


def softmax_data(m: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    labels = rng.integers(0, 3, m)
    return X, np.eye(3)[:, labels]


# ---- softmax targets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda Y: Y * 2, ["column 0 sums to 2"]),  # every column sums to 2
        (lambda Y: Y * 0, ["column 0 sums to 0"]),
        (lambda Y: Y - 0.5 * (Y == 0), ["-0.5", "non-negative"]),  # negative entries, columns still sum to 0
        (lambda Y: np.where(np.arange(30) == 7, Y + Y[[1, 2, 0]], Y), ["column 7 sums to 2"]),
    ],
)
def test_softmax_targets_must_be_distributions(edit, words):
    X, Y = softmax_data()
    net = lw.Network([2, 4, 3], output="softmax", seed=0)
    refused(lambda: net.fit(X, edit(Y), num_iterations=20, learning_rate=0.1), "Y", *words)
    refused(lambda: net.cost(net.forward(X)[0], edit(Y)), "Y", *words)
    refused(lambda: net.score(X, edit(Y)), "Y", *words)


def test_soft_labels_that_sum_to_1_train_to_a_positive_cost():
    X, Y = softmax_data()
    smooth = 0.9 * Y + 0.1 / 3
    net = lw.Network([2, 4, 3], output="softmax", seed=0)
    history = net.fit(X, smooth, num_iterations=50, learning_rate=0.1)
    assert min(history.costs) > 0 and history.status == "completed"


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.floats(-1, 3, allow_nan=False), min_size=6, max_size=6))
def test_a_target_is_accepted_exactly_when_each_column_is_a_distribution(values):
    Y = np.array(values).reshape(3, 2)
    ok = (Y >= 0).all() and np.allclose(Y.sum(axis=0), 1, rtol=0, atol=1e-8)
    net = lw.Network([2, 3], output="softmax", seed=0)
    if ok:
        assert net.cost(net.forward(np.ones((2, 2)))[0], Y) >= 0
    else:
        refused(lambda: net.check_Y(Y, 2), "Y")


# ---- weights --------------------------------------------------------------------------------------


def binary_data(m: int = 40):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, m))
    return X, (X[:1] + X[1:] > 0).astype(float)


@pytest.mark.parametrize("scale", [1e307, 1e300, 1e-300])
def test_huge_or_tiny_sample_weights_train_like_equal_weights(scale):
    """Weights are scaled before they are summed: 1e307 * m overflowed to a mean of inf, the
    weights became 0 and the cost 0.0 with status "completed"."""
    X, Y = binary_data()
    results = []
    for w in (np.ones((1, 40)), np.full((1, 40), scale)):
        net = lw.Network([2, 3, 1], seed=0)
        history = net.fit(X, Y, num_iterations=30, learning_rate=0.5, sample_weight=w)
        results.append((history.costs, net.parameters))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-12)
    assert results[1][0][-1] > 0


def test_huge_class_weights_keep_their_ratio():
    X, Y = binary_data()
    runs = []
    for cw in ({0: 1.0, 1: 3.0}, {0: 1e307, 1: 3e307}):
        net = lw.Network([2, 3, 1], seed=0)
        runs.append(net.fit(X, Y, num_iterations=30, learning_rate=0.5, class_weight=cw).costs)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-12)
    assert runs[1][-1] > 0


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"class_weight": {0: HUGE}}, ["class_weight[0]", "too large"]),
        ({"class_weight": {0: float("inf")}}, ["class_weight[0]"]),
        ({"class_weight": {0: -1.0}}, ["class_weight[0]"]),
        ({"class_weight": {0: "x"}}, ["class_weight[0]"]),
        ({"class_weight": {0: 0.0, 1: 0.0}}, ["class_weight", "all zero"]),
        ({"class_weight": "heavy"}, ["class_weight", "balanced"]),
        ({"sample_weight": np.full((1, 40), np.inf)}, ["sample_weight", "example 0"]),
        ({"sample_weight": -np.ones((1, 40))}, ["sample_weight", "example 0"]),
        ({"sample_weight": np.zeros((1, 40))}, ["sample_weight", "all zero"]),
        ({"sample_weight": (binary_data()[1] == 0) * 1.0, "class_weight": {0: 0.0}}, ["weigh every example 0"]),
    ],
)  # fmt: skip
def test_weights_that_mean_nothing_are_refused_by_name(kwargs, words):
    X, Y = binary_data()
    net = lw.Network([2, 3, 1], seed=0)
    refused(lambda: net.fit(X, Y, num_iterations=5, **kwargs), *words)


# ---- masked arrays ----------------------------------------------------------------------------------


def test_masked_entries_are_refused_not_dropped():
    X, Y = binary_data()
    mask = np.zeros_like(X, dtype=bool)
    mask[1, 5] = True
    net = lw.Network([2, 3, 1], seed=0)
    Xm = np.ma.MaskedArray(X, mask=mask)
    for call in (lambda: net.fit(Xm, Y, num_iterations=5), lambda: net.predict(Xm), lambda: net.forward(Xm)):
        refused(call, "X", "masked", "feature 1, example 5")
    Ym = np.ma.MaskedArray(Y, mask=np.arange(40)[None] == 3)
    refused(lambda: net.fit(X, Ym, num_iterations=5), "Y", "masked", "example 3")
    w = np.ma.MaskedArray(np.ones((1, 40)), mask=np.arange(40)[None] == 2)
    refused(lambda: net.fit(X, Y, num_iterations=5, sample_weight=w), "sample_weight", "masked")


def test_a_masked_array_without_masked_entries_is_its_data():
    X, Y = binary_data()
    net = lw.Network([2, 3, 1], seed=0)
    np.testing.assert_array_equal(net.predict_proba(np.ma.MaskedArray(X)), net.predict_proba(X))
    np.testing.assert_array_equal(net.predict_proba(np.ma.MaskedArray(X, mask=np.zeros_like(X, bool))), net.predict_proba(X))


# ---- numbers too large for a float, counts too large to run ----------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda net, X, Y: net.fit(X, Y, learning_rate=HUGE), "learning_rate"),
        (lambda net, X, Y: net.fit(X, Y, lambd=HUGE), "lambd"),
        (lambda net, X, Y: net.fit(X, Y, num_iterations=HUGE), "num_iterations"),
        (lambda net, X, Y: net.fit(X, Y, epochs=2**60), "epochs"),
        (lambda net, X, Y: net.fit(X, Y, batch_size=HUGE), "batch_size"),
        (lambda net, X, Y: net.fit(X, Y, keep_prob=HUGE), "keep_prob"),
        (lambda net, X, Y: net.fit(X, Y, seed=HUGE), "seed"),
        (lambda net, X, Y: net.fit(X, Y, early_stopping=HUGE), "early_stopping"),
        (lambda net, X, Y: get_optimizer("adam", HUGE), "learning_rate"),
        (lambda net, X, Y: get_optimizer("adam", 0.1, epsilon=HUGE), "epsilon"),
        (lambda net, X, Y: lw.Network([2, 3, 1], seed=HUGE), "seed"),
        (lambda net, X, Y: lw.Network([2, HUGE, 1]), "layer_dims"),
    ],
)
def test_numbers_too_large_are_refused_by_name(call, name):
    X, Y = binary_data()
    net = lw.Network([2, 3, 1], seed=0)
    refused(lambda: call(net, X, Y), name)


def test_an_optimizer_state_with_a_step_count_past_any_float_is_refused():
    """``optimizer.t = 10**400`` from a checkpoint made Adam's bias correction raise OverflowError."""
    opt = get_optimizer("adam", 0.01)
    refused(lambda: opt.load_state_dict({"t": HUGE, "epoch": 0}), "t", "integer")
    refused(lambda: opt.load_state_dict({"t": 1, "epoch": -1}), "epoch")
    refused(lambda: opt.load_state_dict({"t": 1.5, "epoch": 0}), "t")


def test_to_float_names_the_argument():
    assert _checks.to_float("x", 3) == 3.0
    refused(lambda: _checks.to_float("x", HUGE), "x is 1000", "too large")
    refused(lambda: _checks.to_float("x", True), "x")


# ---- the output handed back to cost and backward -------------------------------------------------------


@pytest.mark.parametrize(
    ("dims", "output", "AL", "words"),
    [
        ([2, 1], "sigmoid", [[0.5, np.nan]], ["AL", "nan", "example 1"]),
        ([2, 1], "sigmoid", [[0.5, 1.5]], ["AL", "1.5", "[0, 1]"]),
        ([2, 1], "sigmoid", [[-0.1, 0.5]], ["AL", "-0.1", "[0, 1]"]),
        ([2, 3], "softmax", [[0.5, 0.2], [0.5, 0.2], [0.5, 0.2]], ["AL", "column 0 sums to 1.5"]),
        ([2, 1], "linear", [[np.inf, 0.0]], ["AL", "inf"]),
    ],
)
def test_cost_and_backward_check_AL_as_documented(dims, output, AL, words):
    net = lw.Network(dims, output=output, seed=0)
    X = np.ones((2, 2))
    _, caches = net.forward(X)
    Y = net.predict(X) if output != "linear" else np.zeros((1, 2))
    if output == "softmax":
        Y = np.eye(3)[:, Y[0]]
    AL = np.array(AL)
    refused(lambda: net.cost(AL, Y), *words)
    refused(lambda: net.backward(AL, Y, caches), *words)
    good, _ = net.forward(X)
    assert np.isfinite(net.cost(good, Y))
    assert set(net.backward(good, Y, caches)) >= {"dW1", "db1"}
