"""Checking a learner's gradients: the course's gradient_check_n, and layerwise.check_gradients."""

import numpy as np
import pytest

import layerwise as lw
from layerwise.course import deep, gradient_checking as gc, shallow


def course_case():
    """The course's gradient_check_n_test_case."""
    np.random.seed(1)
    x = np.random.randn(4, 3)
    y = np.array([1, 1, 0])
    parameters = {}
    for key, shape in [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]:
        parameters[key] = np.random.randn(*shape)
    return x, y, parameters


def test_one_dimensional_gradient_check(capsys):
    difference = gc.gradient_check(2, 4, print_msg=True)
    assert difference == pytest.approx(2.919335883291695e-10, rel=1e-3)  # the course's printed value
    assert capsys.readouterr().out == (
        "\033[92mYour backward propagation works perfectly fine! difference = " + str(difference) + "\033[0m\n")


def test_gradient_check_n_passes_a_correct_backward(capsys):
    x, y, parameters = course_case()
    cost, cache = gc.forward_propagation_n(x, y, parameters)
    assert len(cache) == 12
    gradients = gc.backward_propagation_n(x, y, cache)
    difference = gc.gradient_check_n(parameters, gradients, x, y, 1e-7, True)
    assert isinstance(difference, np.float64)
    assert difference < 2e-7
    assert "Your backward propagation works perfectly fine!" in capsys.readouterr().out


def course_buggy_backward(X, Y, cache):
    """The exercise's backward_propagation_n with its two mistakes (dW2 * 2, db1 * 4), plain NumPy."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = dZ3.sum(axis=1, keepdims=True) / m
    dZ2 = (W3.T @ dZ3) * (A2 > 0)
    dW2 = dZ2 @ A1.T / m * 2
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = 4.0 / m * dZ1.sum(axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def test_gradient_check_n_flags_the_exercise_mistakes(capsys):
    x, y, parameters = course_case()
    _, cache = gc.forward_propagation_n(x, y, parameters)
    difference = gc.gradient_check_n(parameters, course_buggy_backward(x, y, cache), x, y, print_msg=True)
    assert difference == pytest.approx(0.2850931567761623, abs=1e-7)  # the course's printed value
    assert capsys.readouterr().out.startswith("\033[93mThere is a mistake in the backward propagation! difference = 0.28509")
    check = lw.check_gradients(lambda p: gc.forward_propagation_n(x, y, p)[0], parameters, course_buggy_backward(x, y, cache))
    assert not check.ok and check.worst in {"dW2", "db1"}
    assert check.differences["dW2"] > 0.1 and check.differences["db1"] > 0.1 and check.differences["dW3"] < 2e-7


def test_vectors_and_dictionaries():
    _, _, parameters = course_case()
    theta, keys = gc.dictionary_to_vector(parameters)
    assert theta.shape == (47, 1) and len(keys) == 47 and keys[:20] == ["W1"] * 20 and keys[-1] == "b3"
    back = gc.vector_to_dictionary(theta)
    for key in parameters:
        np.testing.assert_array_equal(back[key], parameters[key])
    grads = {"d" + k: v * 2 for k, v in reversed(parameters.items())}
    np.testing.assert_array_equal(gc.gradients_to_vector(grads), theta * 2)
    other = {"W1": np.ones((2, 3)), "b1": np.zeros((2, 1))}
    np.testing.assert_array_equal(gc.vector_to_dictionary(gc.dictionary_to_vector(other)[0], [3, 2])["W1"], other["W1"])


# ---- layerwise.check_gradients: a learner's own backward ---------------------------------------------


def my_backward(parameters, cache, X, Y, dW2_factor=1.0):
    """A learner's backward_propagation for the one-hidden-layer network, in plain NumPy."""
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m * dW2_factor
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (parameters["W2"].T @ dZ2) * (1 - A1**2)
    return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m, "dW2": dW2, "db2": db2}


@pytest.fixture
def planar():
    rng = np.random.RandomState(0)
    X = rng.randn(2, 12)
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    np.random.seed(5)
    parameters = {"W1": np.random.randn(4, 2), "b1": np.random.randn(4, 1), "W2": np.random.randn(1, 4), "b2": np.random.randn(1, 1)}
    return X, Y, parameters


def cost_of(X, Y):
    return lambda p: shallow.compute_cost(shallow.forward_propagation(X, p)[0], Y)


def backward_of(X, Y, factor=1.0):
    return lambda p: my_backward(p, shallow.forward_propagation(X, p)[1], X, Y, factor)


def test_a_correct_user_backward_passes(planar):
    X, Y, parameters = planar
    check = lw.check_gradients(cost_of(X, Y), parameters, backward_of(X, Y))
    assert check.ok and bool(check)
    assert max(check.differences.values()) < 2e-7 and check.difference < 2e-7
    assert set(check.differences) == {"dW1", "db1", "dW2", "db2"}
    assert str(check).startswith("the gradients agree with finite differences")


def test_a_wrong_user_backward_is_flagged_with_layer_and_quantity(planar):
    X, Y, parameters = planar
    before = {k: v.copy() for k, v in parameters.items()}
    check = lw.check_gradients(cost_of(X, Y), parameters, backward_of(X, Y, factor=2.0))
    assert not check.ok and not bool(check)
    assert check.worst == "dW2"
    assert check.differences["dW2"] == pytest.approx(1 / 3, rel=1e-4)  # |2g - g| / (|2g| + |g|)
    assert check.differences["dW1"] < 2e-7 and check.differences["db2"] < 2e-7
    message = str(check)
    assert message.startswith("dW2, the gradient of layer 2's weights W2, is wrong: relative difference 0.333 (over all parameters ")
    assert "largest gap at dW2[0, " in message
    for key in parameters:  # the check perturbs copies
        np.testing.assert_array_equal(parameters[key], before[key])


def test_check_gradients_takes_the_arrays_a_backward_returned(planar):
    X, Y, parameters = planar
    A2, cache = shallow.forward_propagation(X, parameters)
    grads = shallow.backward_propagation(parameters, cache, X, Y)
    assert lw.check_gradients(cost_of(X, Y), parameters, grads).ok
    grads["db1"] = grads["db1"] + 1e-3
    check = lw.check_gradients(cost_of(X, Y), parameters, grads)
    assert check.worst == "db1" and "layer 1's bias b1" in str(check)


def test_check_gradients_on_the_logistic_layout():
    """The course's w: (n_x, 1) and a float b; keys dw and db."""
    from layerwise.course import logistic

    X, Y = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]]), np.array([[1, 1, 0]])
    params = {"w": np.array([[1.0], [2.0]]), "b": 1.5}
    check = lw.check_gradients(lambda p: logistic.propagate(p["w"], p["b"], X, Y)[1], params,
                               lambda p: logistic.propagate(p["w"], p["b"], X, Y)[0])
    assert check.ok and set(check.differences) == {"dw", "db"}


def test_check_gradients_on_the_deep_functions():
    np.random.seed(2)
    X, Y = np.random.randn(3, 6), (np.random.rand(1, 6) > 0.5).astype(int)
    params = deep.initialize_parameters_deep_app([3, 4, 2, 1])

    def cost(p):
        return deep.compute_cost(deep.L_model_forward(X, p)[0], Y)

    def backward(p):
        AL, caches = deep.L_model_forward(X, p)
        return deep.L_model_backward(AL, Y, caches)

    assert lw.check_gradients(cost, params, backward).ok


def test_check_gradients_refuses_missing_and_misshapen_gradients(planar):
    X, Y, parameters = planar
    grads = backward_of(X, Y)(parameters)
    del grads["db2"]
    with pytest.raises(ValueError, match=r"expected 'db2' for parameter 'b2'"):
        lw.check_gradients(cost_of(X, Y), parameters, grads)
    grads = backward_of(X, Y)(parameters)
    grads["dW1"] = grads["dW1"].T
    with pytest.raises(ValueError, match=r"gradients\['dW1'\] has shape \(2, 4\); expected \(4, 2\)"):
        lw.check_gradients(cost_of(X, Y), parameters, grads)
    with pytest.raises(TypeError, match="expected a dict"):
        lw.check_gradients(cost_of(X, Y), parameters, [1, 2])


def test_a_non_finite_cost_is_named(planar):
    X, Y, parameters = planar
    with pytest.raises(ValueError, match="cost returned nan"):
        lw.check_gradients(lambda p: float("nan"), parameters, backward_of(X, Y))
