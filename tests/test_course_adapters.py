"""Each layerwise.course function agrees with the engine function that computes it (one formula),
on random inputs of random shapes; and the activations take what the course passes them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import activations, blocks, initializers, losses
from layerwise.activations import ACTIVATIONS, get_activation
from layerwise.course import deep, logistic, shallow

BCE = losses.get_loss("binary_crossentropy")
dims = st.lists(st.integers(1, 5), min_size=2, max_size=5)
seeds = st.integers(0, 2**31 - 1)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def random_network(layer_dims, seed, m=4):
    rng = np.random.RandomState(seed)
    params = initializers.initialize_parameters(layer_dims, "xavier", seed=seed)
    for l in range(1, len(layer_dims)):
        params[f"b{l}"] = rng.randn(layer_dims[l], 1) * 0.1
    X = rng.randn(layer_dims[0], m)
    Y = (rng.rand(layer_dims[-1], m) > 0.5).astype(float)
    return params, X, Y


@settings(max_examples=25, deadline=None)
@given(n_x=st.integers(1, 6), m=st.integers(1, 6), seed=seeds)
def test_logistic_is_the_one_layer_network(n_x, m, seed):
    rng = np.random.RandomState(seed)
    w, b, X = rng.randn(n_x, 1), float(rng.randn()), rng.randn(n_x, m)
    Y = (rng.rand(1, m) > 0.5).astype(int)
    net = lw.LogisticRegression(n_x)
    net.set_parameters({"W1": w.T.copy(), "b1": np.array([[b]])})
    AL, caches = net.forward(X)
    engine = net.backward(AL, Y, caches)
    grads, cost = logistic.propagate(w, b, X, Y)
    close(cost, net.cost(AL, Y))
    close(grads["dw"], engine["dW1"].T)
    close(grads["db"], engine["db1"][0, 0])
    np.testing.assert_array_equal(logistic.predict(w, b, X), net.predict(X))


@settings(max_examples=25, deadline=None)
@given(n_h=st.integers(1, 5), n_y=st.integers(1, 3), seed=seeds)
def test_shallow_is_model_forward_and_model_backward(n_h, n_y, seed):
    params, X, Y = random_network([3, n_h, n_y], seed)
    A2, cache = shallow.forward_propagation(X, params)
    AL, caches = blocks.model_forward(X, params, ["tanh", "sigmoid"])
    close(A2, AL)
    close(cache["A1"], caches[0][1])
    close(shallow.compute_cost(A2, Y), BCE.cost(AL, Y))
    engine = blocks.model_backward(AL, Y, caches, ["tanh", "sigmoid"], BCE)
    for key, value in shallow.backward_propagation(params, cache, X, Y).items():
        close(value, engine[key])
    expected = blocks.update_parameters({k: v.copy() for k, v in params.items()}, engine, 1.2)
    for key, value in shallow.update_parameters(params, engine).items():
        close(value, expected[key])


@settings(max_examples=25, deadline=None)
@given(layer_dims=dims, seed=seeds)
def test_deep_is_model_forward_and_model_backward(layer_dims, seed):
    params, X, Y = random_network(layer_dims, seed)
    L = len(layer_dims) - 1
    acts = ["relu"] * (L - 1) + ["sigmoid"]
    AL, caches = deep.L_model_forward(X, params)
    engine_AL, engine_caches = blocks.model_forward(X, params, acts)
    close(AL, engine_AL)
    close(deep.compute_cost(AL, Y), BCE.cost(engine_AL, Y))
    grads = deep.L_model_backward(AL, Y, caches)  # the course's dAL * g'(Z) ...
    engine = blocks.model_backward(engine_AL, Y, engine_caches, acts, BCE, return_dA=True)  # ... and the fused A - Y
    for l in range(1, L + 1):
        np.testing.assert_allclose(grads[f"dW{l}"], engine[f"dW{l}"], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(grads[f"db{l}"], engine[f"db{l}"], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(grads[f"dA{l - 1}"], engine[f"dA{l - 1}"], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS) + ["leaky_relu:0.2"])
def test_layer_functions_with_the_course_cache_match_the_engine_cache(activation, rng):
    A_prev, W, b, dA = rng.standard_normal((3, 5)), rng.standard_normal((4, 3)), rng.standard_normal((4, 1)), rng.standard_normal((4, 5))
    A, cache = deep.linear_activation_forward(A_prev, W, b, activation)
    engine_A, engine_cache = blocks.linear_activation_forward(A_prev, W, b, activation)
    close(A, engine_A)
    close(cache[1], W @ A_prev + b)  # Z, where the engine keeps A
    for ours, theirs in zip(deep.linear_activation_backward(dA, cache, activation),
                            blocks.linear_activation_backward(dA, engine_cache, activation)):
        close(ours, theirs)
    Z, (A_cached, W_cached, b_cached) = deep.linear_forward(A_prev, W, b)
    close(Z, blocks.linear_forward(A_prev, W, b)[0])
    dZ = rng.standard_normal((4, 5))
    for ours, theirs in zip(deep.linear_backward(dZ, (A_prev, W, b)), blocks.linear_backward(dZ, (A_prev, W, b))):
        close(ours, theirs)


def test_helpers_are_the_registry(rng):
    Z, dA = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for name, forward, backward in (("sigmoid", deep.sigmoid, deep.sigmoid_backward), ("relu", deep.relu, deep.relu_backward)):
        act = get_activation(name)
        A, cache = forward(Z)
        close(A, act.forward(Z.copy()))
        close(backward(dA, cache), act.backward(dA, act.forward(Z.copy())))


def test_initialisations_are_the_registered_initializers():
    for module, seed in ((shallow, 2), (deep, 1)):
        expected = initializers.initialize_parameters([5, 3, 2], "small_random", seed=seed)
        got = module.initialize_parameters(5, 3, 2)
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key])
    expected = initializers.initialize_parameters([6, 4, 2, 1], "small_random", seed=3)
    for key, value in deep.initialize_parameters_deep([6, 4, 2, 1]).items():
        np.testing.assert_array_equal(value, expected[key])
    expected = initializers.initialize_parameters([6, 4, 2, 1], "xavier", seed=1)
    for key, value in deep.initialize_parameters_deep_app([6, 4, 2, 1]).items():
        np.testing.assert_array_equal(value, expected[key])


def test_course_models_agree_with_Network_fit():
    """The course's L_layer_model and Network.fit from the same initial parameters: the same numbers."""
    rng = np.random.RandomState(7)
    X = rng.randn(5, 40)
    Y = (X[0:1] - X[2:3] > 0).astype(float)
    params, costs = deep.L_layer_model(X, Y, [5, 4, 3, 1], learning_rate=0.1, num_iterations=301)
    net = lw.Network([5, 4, 3, 1], hidden="relu", output="sigmoid", init="xavier", seed=1)
    history = net.fit(X, Y, learning_rate=0.1, num_iterations=301)
    for key in params:
        np.testing.assert_allclose(params[key], net.parameters[key], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(costs, [history.costs[i] for i in (0, 100, 200, 300)], rtol=1e-10)


def test_no_course_function_writes_to_its_inputs(rng):
    params, X, Y = random_network([4, 3, 1], 0)
    frozen = {k: v.copy() for k, v in params.items()}
    for v in [*params.values(), X, Y]:
        v.flags.writeable = False
    A2, cache = shallow.forward_propagation(X, params)
    grads = shallow.backward_propagation(params, cache, X, Y)
    shallow.update_parameters(params, grads)
    AL, caches = deep.L_model_forward(X, params)
    deep.update_parameters(params, deep.L_model_backward(AL, Y, caches), 0.1)
    for key in params:
        np.testing.assert_array_equal(params[key], frozen[key])


# ---- activations on what the course passes -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("value", [0, 2, -1.5, True, np.float32(0.5), np.int64(3)])
def test_activations_take_numbers(name, value):
    act = get_activation(name)
    A = act.forward(value)
    assert np.ndim(A) == 0 and not isinstance(A, np.ndarray) and np.issubdtype(type(A), np.floating)
    assert float(A) == pytest.approx(float(act.forward(np.array([[float(value)]]))[0, 0]), rel=1e-6)
    dZ = act.backward(1, A)
    assert np.ndim(dZ) == 0 and np.isfinite(dZ)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_take_0d_integer_and_boolean_arrays(name):
    act = get_activation(name)
    zero_d = act.forward(np.array(2))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d.dtype == np.float64
    for Z in (np.array([0, 2, -3]), np.array([[1, 0], [-2, 5]], dtype=np.int32), np.array([True, False]), [0, 2]):
        A = act.forward(Z)
        assert A.dtype == np.float64 and A.shape == np.shape(Z)
        close(A, act.forward(np.asarray(Z, dtype=np.float64)))
        close(act.backward(np.ones(np.shape(Z), dtype=int), A), act.backward(np.ones(np.shape(Z)), A))
    Z = np.array([1, 2])
    act.forward(Z)
    assert Z.dtype.kind == "i" and Z.tolist() == [1, 2]


def test_module_functions_on_the_course_calls():
    assert activations.sigmoid(0) == 0.5 and type(activations.sigmoid(0)) is np.float64
    close(activations.sigmoid(np.array([0, 2])), [0.5, 0.8807970779778823])
    assert activations.relu(-3) == 0.0 and activations.tanh(0) == 0.0 and activations.leaky_relu(-1, 0.1) == -0.1
    close(activations.softmax(np.array([1, 1])), [0.5, 0.5])


@pytest.mark.parametrize("bad", ["1", None, np.array([1 + 2j]), {"a": 1}])
def test_activations_refuse_what_is_not_a_number(bad):
    with pytest.raises(TypeError, match="expected real numbers"):
        activations.sigmoid(bad)


def test_bad_shapes_get_the_engine_s_message():
    """The adapters add no checks of their own: the engine's door names the argument at fault."""
    with pytest.raises(ValueError, match=r"W has shape \(1, 4\) and A_prev \(3, 2\)"):
        deep.linear_forward(np.ones((3, 2)), np.ones((1, 4)), np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"b has shape \(2,\); expected a 2-D array"):
        deep.linear_activation_forward(np.ones((3, 5)), np.ones((2, 3)), np.ones(2), "relu")
    with pytest.raises(ValueError, match=r"X has shape \(3, 4\); expected \(2, m\)"):
        logistic.propagate(np.zeros((2, 1)), 0.0, np.ones((3, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="unknown activation 'sigmoidd'"):
        deep.linear_activation_forward(np.ones((3, 5)), np.ones((2, 3)), np.ones((2, 1)), "sigmoidd")
