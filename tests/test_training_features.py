"""Training beyond the course's full-batch loop: mini-batches, one seed for everything, L2,
dropout, sample and class weights, validation and early stopping, softmax and regression.

Where possible the expected result is the course's loop written out by hand with the blocks
(``model_forward``, ``model_backward``, ``update_parameters``), compared bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerwise as lw
from layerwise.callbacks import Callback, EarlyStopping
from layerwise.initializers import initialize_parameters
from layerwise.losses import BinaryCrossEntropy


@pytest.fixture
def binary():
    """X (4, 50), Y (1, 50): a noisy linear rule."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 50))
    Y = ((X[0] - X[1] + 0.5 * rng.normal(size=50)) > 0).astype(float).reshape(1, -1)
    return X, Y


def same_parameters(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class CountBatches(Callback):
    """Counts updates per epoch."""

    def __init__(self):
        self.per_epoch, self.n = [], 0

    def on_batch_end(self, trainer, iteration, cost):
        self.n += 1

    def on_epoch_end(self, trainer, epoch, logs):
        self.per_epoch.append(self.n)
        self.n = 0


class RecordingBCE(BinaryCrossEntropy):
    """Binary cross-entropy that records the size and cost of every batch it is asked about."""

    def __init__(self):
        self.calls: list[tuple[int, float]] = []

    def cost(self, AL, Y, w=None):
        value = super().cost(AL, Y, w)
        self.calls.append((AL.shape[1], value))
        return value


# ---- mini-batches ---------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "batch_size"), [(50, 16), (50, 10), (50, 49), (7, 2)])
def test_updates_per_epoch_and_the_last_partial_batch(binary, m, batch_size):
    X, Y = binary[0][:, :m], binary[1][:, :m]
    loss = RecordingBCE()
    counter = CountBatches()
    net = lw.Network([4, 3, 1], loss=loss, seed=0)
    history = net.fit(X, Y, optimizer="adam", epochs=3, batch_size=batch_size, callbacks=[counter])
    n_batches = math.ceil(m / batch_size)
    assert counter.per_epoch == [n_batches] * 3
    sizes = [size for size, _ in loss.calls]
    expected_sizes = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    assert sizes == expected_sizes * 3  # the last, partial batch is trained on, every epoch
    # the epoch's cost is the mean over its examples of the batch costs (before their updates)
    first = loss.calls[:n_batches]
    assert history.costs[0] == pytest.approx(sum(s * c for s, c in first) / m, rel=1e-12)


def course_loop(X, Y, layer_dims, seed, lr, epochs, batch_size=None, shuffle_seed=None):
    """The course's L_layer_model, with the mini-batches of its next course when batch_size is set."""
    acts = ["relu"] * (len(layer_dims) - 2) + ["sigmoid"]
    params = initialize_parameters(layer_dims, "he", seed)
    rng = np.random.default_rng(shuffle_seed)
    m = X.shape[1]
    for _ in range(epochs):
        if batch_size is None:
            batches = [np.arange(m)]
        else:
            perm = rng.permutation(m)
            batches = [perm[k * batch_size : (k + 1) * batch_size] for k in range(math.ceil(m / batch_size))]
        for idx in batches:
            Xb, Yb = (X, Y) if batch_size is None else (X[:, idx], Y[:, idx])
            AL, caches = lw.model_forward(Xb, params, acts)
            grads = lw.model_backward(AL, Yb, caches, acts, "binary_crossentropy")
            lw.update_parameters(params, grads, lr)
    return params


def test_full_batch_is_the_course_loop(binary):
    X, Y = binary
    expected = course_loop(X, Y, [4, 5, 3, 1], seed=1, lr=0.05, epochs=30)
    for batch_size in (None, 50, 1000):  # a batch of m or more is the full batch
        net = lw.Network([4, 5, 3, 1], seed=1)
        net.fit(X, Y, learning_rate=0.05, epochs=30, batch_size=batch_size)
        assert same_parameters(net.parameters, expected)


def test_mini_batches_follow_a_seeded_permutation_per_epoch(binary):
    X, Y = binary
    expected = course_loop(X, Y, [4, 5, 1], seed=1, lr=0.05, epochs=4, batch_size=16, shuffle_seed=7)
    net = lw.Network([4, 5, 1], seed=1)
    net.fit(X, Y, learning_rate=0.05, epochs=4, batch_size=16, seed=7)
    assert same_parameters(net.parameters, expected)


# ---- one seed ---------------------------------------------------------------------------------


def run(X, Y, seed, fit_seed=None):
    net = lw.Network([4, 6, 5, 1], seed=seed)
    net.fit(
        X, Y, optimizer="adam", learning_rate=0.01, epochs=15, batch_size=8, keep_prob=0.8,
        validation_split=0.2, lambd=0.1, seed=fit_seed,
    )  # fmt: skip
    return net


def test_same_seed_bit_identical_different_seed_differs(binary):
    X, Y = binary
    a, b = run(X, Y, seed=3), run(X, Y, seed=3)
    assert same_parameters(a.parameters, b.parameters)
    assert a.history_.costs == b.history_.costs and a.history_.val_costs == b.history_.val_costs
    assert not same_parameters(a.parameters, run(X, Y, seed=4).parameters)
    # the network's seed drives shuffling, dropout and the split unless fit is given its own
    assert same_parameters(a.parameters, run(X, Y, seed=3, fit_seed=3).parameters)
    assert not same_parameters(a.parameters, run(X, Y, seed=3, fit_seed=5).parameters)


def test_seed_is_in_the_config_and_rebuilds_the_same_network():
    net = lw.Network([4, 6, 1], seed=42)
    config = net.config()
    assert config["seed"] == 42
    assert same_parameters(lw.Network(**config).parameters, net.parameters)


def test_validation_split_is_stratified_and_taken_from_the_training_data(binary):
    X, Y = binary
    net = lw.Network([4, 3, 1], seed=0)
    net.fit(X, Y, epochs=2, validation_split=0.2)
    trainer = net.trainer_
    Xv, Yv = trainer.validation_data
    n1 = int(Y.sum())
    assert Yv.sum() == round(0.2 * n1) and Yv.shape[1] - Yv.sum() == round(0.2 * (50 - n1))
    assert trainer.m + Xv.shape[1] == 50
    # every validation column is one of X's columns and none is also trained on
    train_cols = {tuple(c) for c in trainer.X.T}
    assert all(tuple(c) in {tuple(x) for x in X.T} and tuple(c) not in train_cols for c in Xv.T)


# ---- gradient checks: L2, weights, dropout, softmax, regression ---------------------------------


@pytest.mark.parametrize(
    ("output", "n_y", "make_Y"),
    [
        ("sigmoid", 1, lambda rng, m: (rng.random((1, m)) > 0.5).astype(float)),
        ("softmax", 3, lambda rng, m: rng.integers(0, 3, size=(1, m))),  # integer labels
        ("linear", 2, lambda rng, m: rng.normal(size=(2, m))),
    ],
)
@pytest.mark.parametrize("keep_prob", [1.0, 0.7])
def test_gradient_check_with_l2_sample_weights_and_dropout(output, n_y, make_Y, keep_prob):
    rng = np.random.default_rng(5)
    m = 12
    X, Y = rng.normal(size=(4, m)), make_Y(rng, m)
    w = rng.uniform(0.2, 3.0, size=(1, m))
    net = lw.Network([4, 5, 3, n_y], hidden="tanh", output=output, init="xavier", seed=2)
    diff = lw.gradient_check(net, X, Y, lambd=0.7, sample_weight=w, keep_prob=keep_prob, dropout_seed=11)
    assert diff < 1e-7


def test_inverted_dropout_scales_the_kept_units():
    rng = np.random.default_rng(0)
    params = initialize_parameters([3, 200, 1], "he", seed=0)
    X = rng.normal(size=(3, 500))
    _, caches = lw.model_forward(X, params, ["relu", "sigmoid"], keep_probs=[0.8], rng=np.random.default_rng(1))
    (_, A1, D1), ((A1_dropped, _, _), _, _) = caches
    assert D1.dtype == bool and abs(D1.mean() - 0.8) < 0.01
    np.testing.assert_array_equal(A1_dropped, A1 * D1 / 0.8)


def test_dropout_is_off_at_prediction(binary):
    X, Y = binary
    net = lw.Network([4, 8, 8, 1], seed=0)
    net.fit(X, Y, optimizer="adam", learning_rate=0.01, epochs=5, keep_prob=0.5)
    state = net.rng.bit_generator.state
    p1, p2 = net.predict_proba(X), net.predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(p1, lw.model_forward(X, net.parameters, net.activations)[0])
    assert net.rng.bit_generator.state == state  # no mask was drawn


# ---- sample weights and class weights ------------------------------------------------------------


def test_integer_sample_weights_equal_repeated_examples(binary):
    X, Y = binary
    counts = np.random.default_rng(2).integers(1, 4, size=50)
    repeated = np.repeat(np.arange(50), counts)
    a = lw.Network([4, 5, 1], seed=1)
    a.fit(X, Y, learning_rate=0.1, epochs=20, sample_weight=counts.reshape(1, -1))
    b = lw.Network([4, 5, 1], seed=1)
    b.fit(X[:, repeated], Y[:, repeated], learning_rate=0.1, epochs=20)
    for k in a.parameters:
        np.testing.assert_allclose(a.parameters[k], b.parameters[k], rtol=1e-10, atol=1e-13)


def test_balanced_class_weight_equals_the_sample_weight_it_stands_for():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 60))
    Y = rng.choice(3, size=(1, 60), p=[0.6, 0.3, 0.1])
    counts = np.bincount(Y[0], minlength=3)
    # sklearn's "balanced": n_samples / (n_classes * count of the class)
    w = (60 / (3 * counts))[Y[0]].reshape(1, -1)
    kwargs = dict(optimizer="adam", learning_rate=0.01, epochs=10, batch_size=16)
    a = lw.Network([4, 5, 3], output="softmax", seed=0)
    a.fit(X, Y, class_weight="balanced", **kwargs)
    b = lw.Network([4, 5, 3], output="softmax", seed=0)
    b.fit(X, Y, sample_weight=w, **kwargs)
    assert same_parameters(a.parameters, b.parameters)
    # a dict keyed by class index is the same thing written out
    c = lw.Network([4, 5, 3], output="softmax", seed=0)
    c.fit(X, Y, class_weight={k: 60 / (3 * counts[k]) for k in range(3)}, **kwargs)
    assert same_parameters(a.parameters, c.parameters)


# ---- early stopping --------------------------------------------------------------------------------


class RecordParameters(Callback):
    def __init__(self):
        self.by_epoch = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.by_epoch.append({k: v.copy() for k, v in trainer.network.parameters.items()})


def test_early_stopping_stops_and_restores_the_best_parameters():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 40))
    Y = (rng.random((1, 40)) > 0.5).astype(float)  # pure noise: validation cost soon rises
    recorder = RecordParameters()
    net = lw.Network([10, 32, 1], seed=0)
    h = net.fit(X, Y, optimizer="adam", learning_rate=0.01, epochs=500, validation_split=0.25,
                early_stopping=5, callbacks=[recorder])  # fmt: skip
    assert h.status == "early_stopping"
    assert h.best_epoch == int(np.argmin(h.val_costs))
    assert len(h.costs) == h.best_epoch + 5 + 1 < 500
    assert same_parameters(net.parameters, recorder.by_epoch[h.best_epoch])
    assert not same_parameters(net.parameters, recorder.by_epoch[-1])


def test_early_stopping_on_the_metric_and_its_errors(binary):
    X, Y = binary
    net = lw.Network([4, 6, 1], seed=0)
    stop = EarlyStopping(patience=3, monitor="val_metric")
    h = net.fit(X, Y, optimizer="adam", learning_rate=0.05, epochs=300, validation_split=0.3, early_stopping=stop)
    assert h.best_epoch == int(np.argmax(h.val_metrics))  # the first epoch reaching the best accuracy
    with pytest.raises(ValueError, match="needs validation data"):
        net.fit(X, Y, epochs=2, early_stopping=3)
    with pytest.raises(ValueError, match="monitor"):
        EarlyStopping(monitor="loss")


# ---- softmax and regression --------------------------------------------------------------------------


def test_softmax_learns_three_blobs_with_momentum():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [4, 0], [0, 4]], dtype=float).T
    labels = rng.integers(0, 3, size=300)
    X = centres[:, labels] + rng.normal(size=(2, 300))
    net = lw.Network([2, 8, 3], output="softmax", seed=0)
    h = net.fit(X, labels.reshape(1, -1), optimizer="momentum", learning_rate=0.1, epochs=40, batch_size=32)
    assert net.task == "multiclass" and h.costs[-1] < h.costs[0]
    assert net.predict(X).shape == (1, 300)
    assert net.accuracy(X, labels.reshape(1, -1)) > 0.9
    np.testing.assert_allclose(net.predict_proba(X).sum(axis=0), 1.0)


def test_linear_output_with_mse_does_regression():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3, 200))
    Y = np.vstack([X[0] - 2 * X[1], 0.5 * X[2] + 1.0])  # two targets
    net = lw.Network([3, 2], activations=["linear"], seed=0)
    h = net.fit(X, Y, optimizer="rmsprop", learning_rate=0.01, epochs=300, batch_size=50)
    assert net.task == "regression" and net.loss.name == "mse"
    assert net.predict(X).shape == (2, 200)
    assert net.score(X, Y) > 0.999
    assert h.costs[-1] < 1e-3
