"""The Network API: construction, parameters, fit, predict, float32, validation at the door."""

import numpy as np
import pytest

import layerwise as lw
from layerwise.blocks import model_backward, model_forward


@pytest.fixture
def xy(rng):
    X = rng.standard_normal((2, 40))
    return X, (X[0:1] * X[1:2] > 0).astype(float)


def test_construction_and_parameters():
    net = lw.Network([12288, 20, 7, 5, 1], hidden="relu", output="sigmoid", init="he", seed=1)
    shapes = {k: v.shape for k, v in net.parameters.items()}
    assert shapes == {"W1": (20, 12288), "b1": (20, 1), "W2": (7, 20), "b2": (7, 1), "W3": (5, 7), "b3": (5, 1),
                      "W4": (1, 5), "b4": (1, 1)}
    assert [a.name for a in net.activations] == ["relu"] * 3 + ["sigmoid"]
    assert net.loss.name == "binary_crossentropy"
    assert np.std(net.parameters["W1"]) == pytest.approx(np.sqrt(2 / 12288), rel=0.02)


def test_default_losses_follow_the_output():
    assert lw.Network([2, 3], output="softmax").loss.name == "categorical_crossentropy"
    assert lw.Network([2, 1], output="linear").loss.name == "mse"


def test_same_seed_same_parameters_and_course_init():
    a = lw.Network([4, 3, 1], init="small_random", seed=1)
    b = lw.Network([4, 3, 1], init="small_random", seed=1)
    for k in a.parameters:
        np.testing.assert_array_equal(a.parameters[k], b.parameters[k])
    np.random.seed(1)  # the course's initialize_parameters(n_x, n_h, n_y)
    np.testing.assert_array_equal(a.parameters["W1"], np.random.randn(3, 4) * 0.01)
    np.testing.assert_array_equal(a.parameters["W2"], np.random.randn(1, 3) * 0.01)


def test_logistic_regression_is_the_one_layer_network_with_zero_init():
    lr = lw.LogisticRegression(5)
    assert lr.layer_dims == [5, 1] and [a.name for a in lr.activations] == ["sigmoid"]
    assert not np.any(lr.parameters["W1"])


def test_set_parameters_validates_and_copies():
    net = lw.Network([2, 3, 1], seed=0)
    params = {k: np.ones_like(v) for k, v in net.parameters.items()}
    net.set_parameters(params)
    params["W1"][0, 0] = 5.0
    assert net.parameters["W1"][0, 0] == 1.0
    with pytest.raises(ValueError, match=r"W2 has shape \(3, 1\); expected \(1, 3\)"):
        net.set_parameters({**params, "W2": np.ones((3, 1))})
    with pytest.raises(ValueError, match="expected \\['W1', 'W2', 'b1', 'b2'\\]"):
        net.set_parameters({"W1": params["W1"]})


def test_forward_cost_backward_are_the_blocks(xy):
    X, Y = xy
    net = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=1)
    AL, caches = net.forward(X)
    AL2, caches2 = model_forward(X, net.parameters, ["tanh", "sigmoid"])
    np.testing.assert_array_equal(AL, AL2)
    grads = net.backward(AL, Y, caches)
    grads2 = model_backward(AL2, Y, caches2, ["tanh", "sigmoid"], "binary_crossentropy")
    for k in grads2:
        np.testing.assert_array_equal(grads[k], grads2[k])
    assert "dA0" not in grads
    assert net.cost(AL, Y) == pytest.approx(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))


def test_fit_records_the_cost_before_each_update_and_continues(xy):
    X, Y = xy
    net = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=1)
    start = {k: v.copy() for k, v in net.parameters.items()}
    h = net.fit(X, Y, learning_rate=1.2, num_iterations=50)
    assert len(h.costs) == 50 and h.status == "completed" and net.history_ is h
    assert h.costs[0] == pytest.approx(net.cost(lw.Network([2, 4, 1], activations=["tanh", "sigmoid"],
                                                           init="small_random", seed=1).forward(X)[0], Y))
    # fit continues from the current parameters: 50 + 50 equals 100 from the start
    net.fit(X, Y, learning_rate=1.2, num_iterations=50)
    again = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], seed=1)
    again.set_parameters(start)
    again.fit(X, Y, learning_rate=1.2, num_iterations=100)
    for k in start:
        np.testing.assert_allclose(net.parameters[k], again.parameters[k], rtol=1e-13)


def test_predict_shapes_and_accuracy(xy):
    X, Y = xy
    net = lw.Network([2, 8, 1], hidden="tanh", init="xavier", seed=0)
    net.fit(X, Y, learning_rate=0.5, num_iterations=300)
    P = net.predict(X)
    assert P.shape == (1, 40) and set(np.unique(P)) <= {0, 1}
    assert net.predict_proba(X).shape == (1, 40)
    assert net.accuracy(X, Y) == pytest.approx(np.mean(P == Y)) and net.accuracy(X, Y) > 0.8


def test_softmax_accepts_integer_or_one_hot_labels(rng):
    X = rng.standard_normal((2, 30))
    labels = rng.integers(0, 3, (1, 30))
    a = lw.Network([2, 5, 3], output="softmax", seed=0)
    b = lw.Network([2, 5, 3], output="softmax", seed=0)
    a.fit(X, labels, learning_rate=0.1, num_iterations=5)
    b.fit(X, np.eye(3)[:, labels[0]], learning_rate=0.1, num_iterations=5)
    np.testing.assert_array_equal(a.parameters["W1"], b.parameters["W1"])
    assert a.predict(X).shape == (1, 30)


def test_float32_end_to_end(rng):
    X = rng.standard_normal((3, 20)).astype(np.float32)
    Y = (rng.random((1, 20)) > 0.5).astype(np.float32)
    for optimizer in ("gd", "adam"):
        net = lw.Network([3, 4, 1], dtype="float32", seed=0)
        h = net.fit(X, Y, optimizer=optimizer, learning_rate=0.1, num_iterations=3, batch_size=8, lambd=0.1, keep_prob=0.8)
        AL, caches = net.forward(X)
        grads = net.backward(AL, Y, caches)
        arrays = [*net.parameters.values(), AL, *grads.values(), *(c[1] for c in caches)]
        arrays += [a for per_key in net.trainer_.optimizer.state.values() for a in per_key.values()]
        assert all(a.dtype == np.float32 for a in arrays)
        assert all(isinstance(c, float) for c in h.costs)


@pytest.mark.parametrize(
    "make_X, make_Y, message",
    [
        (lambda X: X, lambda Y: Y.ravel(), r"Y has shape \(40,\); expected \(1, 40\): use Y.reshape\(1, -1\)"),
        (lambda X: X.T, lambda Y: Y, r"X has shape \(40, 2\); expected \(2, m\).*use X.T"),
        (lambda X: X.ravel(), lambda Y: Y, r"X has shape \(80,\); expected a 2-D array"),
        (lambda X: X[:, :30], lambda Y: Y, r"Y has shape \(1, 40\); expected \(1, 30\)"),
        (lambda X: np.vstack([X, X]), lambda Y: Y, r"X has shape \(4, 40\); expected \(2, m\)"),
        (lambda X: X, lambda Y: Y * 2, r"Y contains 2.0; expected labels in \{0, 1\}"),
        (lambda X: np.where(X > 1, np.nan, X), lambda Y: Y, "X contains NaN or infinity"),
        (lambda X: X.astype(complex), lambda Y: Y, "X has dtype complex128"),
        (lambda X: X.astype(object), lambda Y: Y, "X has dtype object"),
        (lambda X: X[:, :0], lambda Y: Y[:, :0], "expected at least one"),
    ],
)
def test_bad_input_is_refused_at_the_door(xy, make_X, make_Y, message):
    X, Y = xy
    net = lw.Network([2, 3, 1], seed=0)
    with pytest.raises((ValueError, TypeError), match=message):
        net.fit(make_X(X), make_Y(Y), num_iterations=1)


def test_int_and_read_only_and_non_contiguous_inputs_are_handled(xy):
    X, Y = xy
    Xf = np.asfortranarray(X)[:, ::1]
    Xf.flags.writeable = False
    net = lw.Network([2, 3, 1], seed=0)
    net.fit(Xf, Y.astype(np.int64), num_iterations=2)
    assert net.predict((X * 10).astype(np.int32)).shape == (1, 40)


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(layer_dims=[2, 0, 1]), "positive integer"), (dict(layer_dims=[2]), "at least"),
     (dict(layer_dims=[2, 3, 1], hidden="nope"), "unknown activation"), (dict(layer_dims=[2, 3, 1], init="ones"), "unknown init"),
     (dict(layer_dims=[2, 3, 1], loss="hinge"), "unknown loss"), (dict(layer_dims=[2, 1], dtype="float16"), "dtype"),
     (dict(layer_dims=[2, 3, 1], activations=["relu"]), "one per layer"), (dict(layer_dims=[2, 1], output="softmax"), "softmax")],
)
def test_bad_construction(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        lw.Network(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(learning_rate=-1), "learning_rate"), (dict(learning_rate=0), "learning_rate"), (dict(num_iterations=0), "num_iterations"), (dict(epochs=-2), "epochs"),
     (dict(batch_size=0), "batch_size"), (dict(optimizer="lbfgs"), "unknown optimizer"), (dict(keep_prob=0), "keep_prob"),
     (dict(num_iterations=3, epochs=3), "not both")],
)
def test_bad_fit_arguments(xy, kwargs, message):
    X, Y = xy
    with pytest.raises((ValueError, TypeError), match=message):
        lw.Network([2, 3, 1], seed=0).fit(X, Y, **kwargs)
