"""layerwise.course: the assignments' calls on the course's published test cases.

Each test case is generated as the course's ``testCases`` do (``np.random.seed(n)`` then
``np.random.randn``, or the arrays it writes out); the expected values are the ones the
assignments print (to 8 digits, so compared to 1e-7). Where the course prints no value, the
expected one is computed by plain NumPy written here, and the test says so.
"""

import numpy as np
import pytest

from layerwise import activations, blocks, initializers
from layerwise.course import deep, logistic, shallow

ATOL = 1e-7


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ATOL)


def plain_sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---- Week 2: logistic regression ------------------------------------------------------------------


def test_logistic_sigmoid_on_numbers_and_integer_arrays():
    assert logistic.sigmoid(0) == 0.5
    close(logistic.sigmoid(np.array([0, 2])), [0.5, 0.88079708])


def test_initialize_with_zeros():
    w, b = logistic.initialize_with_zeros(2)
    assert type(w) is np.ndarray and w.shape == (2, 1) and not w.any()
    assert type(b) is float and b == 0.0


PROPAGATE_CASES = {
    # (w, b, X, Y) -> dw, db, cost, as printed by the two versions of the assignment
    "current": ((np.array([[1.0], [2]]), 1.5, np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]]), np.array([[1, 1, 0]])),
                ([[0.25071532], [-0.06604096]], -0.1250040450043965, 0.15900537707692405)),
    "first": ((np.array([[1.0], [2.0]]), 2.0, np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1, 0, 1]])),
              ([[0.99845601], [2.39507239]], 0.00145557813678, 5.801545319394553)),
}


@pytest.mark.parametrize("case", PROPAGATE_CASES)
def test_propagate(case):
    (w, b, X, Y), (dw, db, cost) = PROPAGATE_CASES[case]
    w_before = w.copy()
    grads, J = logistic.propagate(w, b, X, Y)
    assert type(grads["dw"]) is np.ndarray and grads["dw"].shape == (2, 1)
    assert type(grads["db"]) is np.float64
    assert isinstance(J, np.ndarray) and J.shape == ()
    close(grads["dw"], dw)
    close(grads["db"], db)
    close(J, cost)
    np.testing.assert_array_equal(w, w_before)


OPTIMIZE_EXPECTED = {
    "current": ([[0.80956046], [2.0508202]], 1.5948713189708588, [[0.17860505], [-0.04840656]], -0.08888460336847771),
    "first": ([[0.19033591], [0.12259159]], 1.92535983008, [[0.67752042], [1.41625495]], 0.219194504541),
}


@pytest.mark.parametrize("case", OPTIMIZE_EXPECTED)
def test_optimize(case, capsys):
    (w, b, X, Y), (_, _, cost0) = PROPAGATE_CASES[case]
    w_before = w.copy()
    params, grads, costs = logistic.optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=True)
    w_exp, b_exp, dw_exp, db_exp = OPTIMIZE_EXPECTED[case]
    close(params["w"], w_exp)
    close(params["b"], b_exp)
    assert type(params["b"]) is np.float64
    close(grads["dw"], dw_exp)
    close(grads["db"], db_exp)
    assert len(costs) == 1 and costs[0].shape == ()
    close(costs[0], cost0)
    assert capsys.readouterr().out == f"Cost after iteration 0: {cost0:f}\n"
    np.testing.assert_array_equal(w, w_before)  # optimize copies w and b


def test_optimize_defaults_and_a_cost_every_100_iterations():
    (w, b, X, Y), _ = PROPAGATE_CASES["current"]
    p1, _, c1 = logistic.optimize(w, b, X, Y)
    p2, _, _ = logistic.optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009)
    np.testing.assert_array_equal(p1["w"], p2["w"])
    assert len(logistic.optimize(w, b, X, Y, num_iterations=301)[2]) == 4
    assert len(c1) == 1


def test_logistic_predict():
    w = np.array([[0.1124579], [0.23106775]])
    X = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    p = logistic.predict(w, -0.3, X)
    assert p.shape == (1, 3) and p.dtype == np.float64
    np.testing.assert_array_equal(p, [[1.0, 1.0, 0.0]])


def test_logistic_model_returns_the_course_dict(capsys):
    """Small made-up data; the expected values are plain NumPy written here (the course prints none)."""
    rng = np.random.RandomState(0)
    X_train, X_test = rng.randn(3, 20), rng.randn(3, 7)
    Y_train, Y_test = (X_train[:1] > 0).astype(int), (X_test[:1] > 0).astype(int)
    d = logistic.model(X_train, Y_train, X_test, Y_test, num_iterations=201, learning_rate=0.1, print_cost=True)
    assert set(d) == {"costs", "Y_prediction_test", "Y_prediction_train", "w", "b", "learning_rate", "num_iterations"}
    w, b = np.zeros((3, 1)), 0.0
    for _ in range(201):
        A = plain_sigmoid(w.T @ X_train + b)
        w, b = w - 0.1 * X_train @ (A - Y_train).T / 20, b - 0.1 * np.sum(A - Y_train) / 20
    close(d["w"], w)
    close(d["b"], b)
    np.testing.assert_array_equal(d["Y_prediction_test"], (plain_sigmoid(w.T @ X_test + b) > 0.5).astype(float))
    assert len(d["costs"]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [f"Cost after iteration {i}: {float(c):f}" for i, c in zip((0, 100, 200), d["costs"])]
    assert out[3].startswith("train accuracy: ") and out[4].startswith("test accuracy: ")


# ---- Week 3: one hidden layer -----------------------------------------------------------------------

W1_SHALLOW = np.array([[-0.00416758, -0.00056267], [-0.02136196, 0.01640271], [-0.01793436, -0.00841747], [0.00502881, -0.01245288]])
W2_SHALLOW = np.array([[-0.01057952, -0.00909008, 0.00551454, 0.02292208]])


def test_layer_sizes():
    np.random.seed(1)
    X, Y = np.random.randn(5, 3), np.random.randn(2, 3)
    assert shallow.layer_sizes(X, Y) == (5, 4, 2)


def test_shallow_initialize_parameters_seeds_the_global_generator():
    np.random.seed(123)
    p = shallow.initialize_parameters(2, 4, 1)
    close(p["W1"], W1_SHALLOW)
    close(p["W2"], W2_SHALLOW)
    assert p["b1"].shape == (4, 1) and p["b2"].shape == (1, 1) and not p["b1"].any()
    np.random.seed(2)  # the global generator continues where the course's draws left it
    np.random.randn(12)
    assert np.random.randn() == np.random.RandomState(2).randn(13)[-1]
    after = np.random.get_state()[1]
    shallow.initialize_parameters(2, 4, 1)
    np.random.randn()
    np.testing.assert_array_equal(np.random.get_state()[1], after)


def test_shallow_forward_propagation():
    np.random.seed(1)
    X = np.random.randn(2, 3)
    b1 = np.random.randn(4, 1)
    params = {"W1": W1_SHALLOW, "W2": W2_SHALLOW, "b1": b1, "b2": np.array([[-1.3]])}
    A2, cache = shallow.forward_propagation(X, params)
    assert set(cache) == {"Z1", "A1", "Z2", "A2"} and cache["A2"] is A2
    close(A2, [[0.21292656, 0.21274673, 0.21295976]])
    # the first version printed the means of the cache
    close([np.mean(cache[k]) for k in ("Z1", "A1", "Z2", "A2")], [0.262818640198, 0.091999045227, -1.30766601287, 0.212877681719])


def test_shallow_compute_cost_on_boolean_labels():
    np.random.seed(1)
    Y = np.random.randn(1, 3) > 0
    cost = shallow.compute_cost(np.array([[0.5002307, 0.49985831, 0.50023963]]), Y)
    assert type(cost) is float
    close(cost, 0.6930587610394646)
    assert shallow.compute_cost(np.array([[0.5002307, 0.49985831, 0.50023963]]), Y, {"W1": W1_SHALLOW}) == cost


def test_shallow_backward_propagation():
    np.random.seed(1)
    X = np.random.randn(2, 3)
    Y = np.random.randn(1, 3) > 0
    params = {"W1": W1_SHALLOW, "W2": W2_SHALLOW, "b1": np.zeros((4, 1)), "b2": np.zeros((1, 1))}
    cache = {
        "A1": np.array([[-0.00616578, 0.0020626, 0.00349619], [-0.05225116, 0.02725659, -0.02646251],
                        [-0.02009721, 0.0036869, 0.02883756], [0.02152675, -0.01385234, 0.02599885]]),
        "A2": np.array([[0.5002307, 0.49985831, 0.50023963]]),
        "Z1": np.array([[-0.00616586, 0.0020626, 0.0034962], [-0.05229879, 0.02726335, -0.02646869],
                        [-0.02009991, 0.00368692, 0.02884556], [0.02153007, -0.01385322, 0.02600471]]),
        "Z2": np.array([[0.00092281, -0.00056678, 0.00095853]]),
    }
    grads = shallow.backward_propagation(params, cache, X, Y)
    assert list(grads) == ["dW1", "db1", "dW2", "db2"]
    close(grads["dW1"], [[0.00301023, -0.00747267], [0.00257968, -0.00641288], [-0.00156892, 0.003893], [-0.00652037, 0.01618243]])
    close(grads["db1"], [[0.00176201], [0.00150995], [-0.00091736], [-0.00381422]])
    close(grads["dW2"], [[0.00078841, 0.01765429, -0.00084166, -0.01022527]])
    close(grads["db2"], [[-0.16655712]])


SHALLOW_PARAMS = {
    "W1": np.array([[-0.00615039, 0.0169021], [-0.02311792, 0.03137121], [-0.0169217, -0.01752545], [0.00935436, -0.05018221]]),
    "W2": np.array([[-0.0104319, -0.04019007, 0.01607211, 0.04440255]]),
    "b1": np.array([[-8.97523455e-07], [8.15562092e-06], [6.04810633e-07], [-2.54560700e-06]]),
    "b2": np.array([[9.14954378e-05]]),
}
SHALLOW_GRADS = {
    "dW1": np.array([[0.00023322, -0.00205423], [0.00082222, -0.00700776], [-0.00031831, 0.0028636], [-0.00092857, 0.00809933]]),
    "dW2": np.array([[-1.75740039e-05, 3.70231337e-03, -1.25683095e-03, -2.55715317e-03]]),
    "db1": np.array([[1.05570087e-07], [-3.81814487e-06], [-1.90155145e-07], [5.46467802e-07]]),
    "db2": np.array([[-1.08923140e-05]]),
}
SHALLOW_UPDATED = {
    "W1": [[-0.00643025, 0.01936718], [-0.02410458, 0.03978052], [-0.01653973, -0.02096177], [0.01046864, -0.05990141]],
    "b1": [[-1.02420756e-06], [1.27373948e-05], [8.32996807e-07], [-3.20136836e-06]],
    "W2": [[-0.01041081, -0.04463285, 0.01758031, 0.04747113]],
    "b2": [[0.00010457]],
}


def test_shallow_update_parameters_called_three_times_on_one_dict():
    """A checker calls the function several times on the same dict: each call gets the course's answer."""
    params = {k: v.copy() for k, v in SHALLOW_PARAMS.items()}
    for _ in range(3):
        updated = shallow.update_parameters(params, SHALLOW_GRADS)  # the default learning rate, 1.2
        for key, expected in SHALLOW_UPDATED.items():
            close(updated[key], expected)
    for key in params:
        np.testing.assert_array_equal(params[key], SHALLOW_PARAMS[key])


def test_shallow_predict():
    np.random.seed(1)
    X = np.random.randn(2, 3)
    predictions = shallow.predict(SHALLOW_PARAMS, X)
    assert predictions.dtype == bool and predictions.shape == (1, 3)
    np.testing.assert_array_equal(predictions, [[True, False, True]])


def test_nn_model_matches_plain_numpy(capsys):
    """The course's nn_model test inputs; expected values from plain NumPy written here, 1000 iterations."""
    np.random.seed(1)
    X = np.random.randn(2, 3)
    Y = np.random.randn(1, 3) > 0
    params = shallow.nn_model(X, Y, 4, num_iterations=1000, print_cost=True)
    rng = np.random.RandomState(2)
    W1, b1, W2, b2 = rng.randn(4, 2) * 0.01, np.zeros((4, 1)), rng.randn(1, 4) * 0.01, np.zeros((1, 1))
    costs = []
    for _ in range(1000):
        A1 = np.tanh(W1 @ X + b1)
        A2 = plain_sigmoid(W2 @ A1 + b2)
        costs.append(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))
        dZ2 = A2 - Y
        dZ1 = W2.T @ dZ2 * (1 - A1**2)
        W2, b2 = W2 - 1.2 * dZ2 @ A1.T / 3, b2 - 1.2 * dZ2.sum(1, keepdims=True) / 3
        W1, b1 = W1 - 1.2 * dZ1 @ X.T / 3, b1 - 1.2 * dZ1.sum(1, keepdims=True) / 3
    for key, value in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items():
        close(params[key], value)
    assert capsys.readouterr().out == f"Cost after iteration 0: {costs[0]:f}\n"


# ---- Week 4: step by step ---------------------------------------------------------------------------


def test_deep_initialize_parameters():
    p = deep.initialize_parameters(3, 2, 1)
    close(p["W1"], [[0.01624345, -0.00611756, -0.00528172], [-0.01072969, 0.00865408, -0.02301539]])
    close(p["W2"], [[0.01744812, -0.00761207]])
    assert p["b1"].shape == (2, 1) and p["b2"].shape == (1, 1)


def test_initialize_parameters_deep():
    p = deep.initialize_parameters_deep([5, 4, 3])
    close(p["W1"], [[0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
                    [-0.00354759, -0.00082741, -0.00627001, -0.00043818, -0.00477218],
                    [-0.01313865, 0.00884622, 0.00881318, 0.01709573, 0.00050034],
                    [-0.00404677, -0.0054536, -0.01546477, 0.00982367, -0.01101068]])
    close(p["W2"], [[-0.01185047, -0.0020565, 0.01486148, 0.00236716],
                    [-0.01023785, -0.00712993, 0.00625245, -0.00160513],
                    [-0.00768836, -0.00230031, 0.00745056, 0.01976111]])
    assert [v.shape for v in p.values()] == [(4, 5), (4, 1), (3, 4), (3, 1)]


def test_linear_forward():
    np.random.seed(1)
    A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    Z, cache = deep.linear_forward(A, W, b)
    close(Z, [[3.26295337, -1.23429987]])
    assert cache[0] is A and cache[1] is W and cache[2] is b


@pytest.mark.parametrize("activation, expected", [("sigmoid", [[0.96890023, 0.11013289]]), ("relu", [[3.43896131, 0.0]])])
def test_linear_activation_forward_caches_Z(activation, expected):
    np.random.seed(2)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    A, (linear_cache, Z) = deep.linear_activation_forward(A_prev, W, b, activation)
    close(A, expected)
    close(Z, W @ A_prev + b)  # the course's cache holds Z, not A


def test_L_model_forward():
    np.random.seed(6)
    X = np.random.randn(5, 4)
    params = {}
    for l, (n, n_prev) in enumerate([(4, 5), (3, 4), (1, 3)], start=1):
        params[f"W{l}"], params[f"b{l}"] = np.random.randn(n, n_prev), np.random.randn(n, 1)
    AL, caches = deep.L_model_forward(X, params)
    close(AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]])
    assert len(caches) == 3 and all(len(c) == 2 and len(c[0]) == 3 for c in caches)


@pytest.mark.parametrize("Y, expected", [([[1, 1, 0]], 0.2797765635793422), ([[1, 1, 1]], 0.41493159961539694)])
def test_deep_compute_cost(Y, expected):
    cost = deep.compute_cost(np.array([[0.8, 0.9, 0.4]]), np.asarray(Y))
    assert isinstance(cost, np.float64)
    close(cost, expected)


@pytest.mark.parametrize(
    "shapes, dA_prev, dW, db",
    [
        ([(3, 4), (5, 4), (3, 5), (3, 1)],
         [[-1.15171336, 0.06718465, -0.3204696, 2.09812712], [0.60345879, -3.72508701, 5.81700741, -3.84326836],
          [-0.4319552, -1.30987417, 1.72354705, 0.05070578], [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
          [-2.52214926, 2.67882552, -0.67947465, 1.48119548]],
         [[0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
          [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
          [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907]],
         [[-0.14713786], [-0.11313155], [-0.13209101]]),
        ([(1, 2), (3, 2), (1, 3), (1, 1)],
         [[0.51822968, -0.19517421], [-0.40506361, 0.15255393], [2.37496825, -0.89445391]],
         [[-0.10076895, 1.40685096, 1.64992505]], [[0.50629448]]),
    ],
    ids=["current", "first"],
)
def test_linear_backward(shapes, dA_prev, dW, db):
    np.random.seed(1)
    dZ, A, W, b = (np.random.randn(*s) for s in shapes)
    out = deep.linear_backward(dZ, (A, W, b))
    for got, expected in zip(out, (dA_prev, dW, db)):
        close(got, expected)


LAB_EXPECTED = {
    "sigmoid": ([[0.11017994, 0.01105339], [0.09466817, 0.00949723], [-0.05743092, -0.00576154]],
                [[0.10266786, 0.09778551, -0.01968084]], [[-0.05729622]]),
    "relu": ([[0.44090989, 0.0], [0.37883606, 0.0], [-0.2298228, 0.0]], [[0.44513824, 0.37371418, -0.10478989]], [[-0.20837892]]),
}


def lab_case():
    np.random.seed(2)
    dA, A, W, b, Z = (np.random.randn(*s) for s in [(1, 2), (3, 2), (1, 3), (1, 1), (1, 2)])
    return dA, ((A, W, b), Z)


@pytest.mark.parametrize("activation", LAB_EXPECTED)
def test_linear_activation_backward_from_the_course_cache(activation):
    dA, cache = lab_case()
    Z_before = cache[1].copy()
    for got, expected in zip(deep.linear_activation_backward(dA, cache, activation), LAB_EXPECTED[activation]):
        close(got, expected)
    np.testing.assert_array_equal(cache[1], Z_before)


def L_model_backward_case():
    np.random.seed(3)
    AL = np.random.randn(1, 2)
    Y = np.array([[1, 0]])
    A1, W1, b1, Z1 = np.random.randn(4, 2), np.random.randn(3, 4), np.random.randn(3, 1), np.random.randn(3, 2)
    A2, W2, b2, Z2 = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1), np.random.randn(1, 2)
    return AL, Y, (((A1, W1, b1), Z1), ((A2, W2, b2), Z2))


def test_L_model_backward():
    """The course's test feeds AL = randn (1.79 > 1): the course's dAL formula is applied as given."""
    AL, Y, caches = L_model_backward_case()
    grads = deep.L_model_backward(AL, Y, caches)
    assert set(grads) == {"dA0", "dA1", "dW1", "db1", "dW2", "db2"}
    close(grads["dW1"], [[0.41010002, 0.07807203, 0.13798444, 0.10502167], [0, 0, 0, 0], [0.05283652, 0.01005865, 0.01777766, 0.0135308]])
    close(grads["db1"], [[-0.22007063], [0], [-0.02835349]])
    close(grads["dA1"], [[0.12913162, -0.44014127], [-0.14175655, 0.48317296], [0.01663708, -0.05670698]])


def update_case():
    np.random.seed(2)
    params = {"W1": np.random.randn(3, 4), "b1": np.random.randn(3, 1), "W2": np.random.randn(1, 3), "b2": np.random.randn(1, 1)}
    np.random.seed(3)
    grads = {"dW1": np.random.randn(3, 4), "db1": np.random.randn(3, 1), "dW2": np.random.randn(1, 3), "db2": np.random.randn(1, 1)}
    return params, grads


DEEP_UPDATED = {
    "W1": [[-0.59562069, -0.09991781, -2.14584584, 1.82662008], [-1.76569676, -0.80627147, 0.51115557, -1.18258802],
           [-1.0535704, -0.86128581, 0.68284052, 2.20374577]],
    "b1": [[-0.04659241], [-1.28888275], [0.53405496]],
    "W2": [[-0.55569196, 0.0354055, 1.32964895]],
    "b2": [[-0.84610769]],
}


def test_deep_update_parameters_called_three_times_on_one_dict():
    params, grads = update_case()
    before = {k: v.copy() for k, v in params.items()}
    for _ in range(3):
        updated = deep.update_parameters(params, grads, 0.1)
        for key, expected in DEEP_UPDATED.items():
            close(updated[key], expected)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


def test_helpers_return_the_course_caches():
    Z = np.array([[-1.0, 0.0, 2.0]])
    A, cache = deep.sigmoid(Z)
    assert cache is Z
    close(A, plain_sigmoid(Z))
    A, cache = deep.relu(Z)
    assert cache is Z and A.tolist() == [[0.0, 0.0, 2.0]]
    dA = np.array([[0.5, -1.0, 3.0]])
    close(deep.sigmoid_backward(dA, Z), dA * plain_sigmoid(Z) * (1 - plain_sigmoid(Z)))
    np.testing.assert_array_equal(deep.relu_backward(dA, Z), [[0.0, 0.0, 3.0]])  # the course's dZ[Z <= 0] = 0


# ---- Week 4: the application's models -------------------------------------------------------------


def plain_L_layer(X, Y, dims, lr, n, init):
    """The application's model in plain NumPy (ReLU hidden layers, sigmoid output): (parameters, costs)."""
    rng = np.random.RandomState(1)
    P = {}
    for l in range(1, len(dims)):
        W = rng.randn(dims[l], dims[l - 1])
        P[f"W{l}"] = W * 0.01 if init == "small" else W / np.sqrt(dims[l - 1])
        P[f"b{l}"] = np.zeros((dims[l], 1))
    L, m, costs = len(dims) - 1, X.shape[1], []
    for i in range(n):
        As = [X]
        for l in range(1, L + 1):
            Z = P[f"W{l}"] @ As[-1] + P[f"b{l}"]
            As.append(plain_sigmoid(Z) if l == L else np.maximum(0, Z))
        if i % 100 == 0:
            costs.append(-np.mean(Y * np.log(As[-1]) + (1 - Y) * np.log(1 - As[-1])))
        dZ = As[-1] - Y
        for l in range(L, 0, -1):
            dW, db = dZ @ As[l - 1].T / m, dZ.sum(1, keepdims=True) / m
            dZ = (P[f"W{l}"].T @ dZ) * (As[l - 1] > 0)
            P[f"W{l}"], P[f"b{l}"] = P[f"W{l}"] - lr * dW, P[f"b{l}"] - lr * db
    return P, costs


@pytest.fixture
def small_data():
    rng = np.random.RandomState(4)
    X = rng.randn(6, 30)
    return X, (X[0:1] + X[1:2] > 0).astype(int)


def test_two_layer_model_matches_plain_numpy_and_prints_as_the_course(small_data, capsys):
    """Expected values from plain NumPy written here; the printed lines are the course's, including
    its last-iteration line that prints even with print_cost=False (its operator precedence)."""
    X, Y = small_data
    params, costs = deep.two_layer_model(X, Y, (6, 4, 1), learning_rate=0.05, num_iterations=201, print_cost=False)
    P, plain_costs = plain_L_layer(X, Y, (6, 4, 1), 0.05, 201, "small")
    for key in P:
        close(params[key], P[key])
    close(costs, plain_costs)
    assert len(costs) == 3 and isinstance(costs[0], np.float64)
    assert capsys.readouterr().out.startswith("Cost after iteration 200: ")
    deep.two_layer_model(X, Y, (6, 4, 1), num_iterations=201, print_cost=True)
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        f"Cost after iteration {i}" for i in (0, 100, 200)]


def test_L_layer_model_matches_plain_numpy(small_data, capsys):
    X, Y = small_data
    params, costs = deep.L_layer_model(X, Y, [6, 5, 3, 1], learning_rate=0.05, num_iterations=150)
    P, plain_costs = plain_L_layer(X, Y, [6, 5, 3, 1], 0.05, 150, "xavier")
    for key in P:
        close(params[key], P[key])
    close(costs, plain_costs)
    # the course's line for the last iteration, printed even with print_cost=False
    P149, _ = plain_L_layer(X, Y, [6, 5, 3, 1], 0.05, 149, "xavier")
    AL = P149["W3"] @ np.maximum(0, P149["W2"] @ np.maximum(0, P149["W1"] @ X + P149["b1"]) + P149["b2"]) + P149["b3"]
    A3 = plain_sigmoid(AL)
    prefix, value = capsys.readouterr().out.rstrip("\n").split(": ")
    assert prefix == "Cost after iteration 149"
    close(float(value), -np.mean(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)))


def test_deep_predict_prints_the_accuracy(small_data, capsys):
    X, Y = small_data
    params, _ = deep.L_layer_model(X, Y, [6, 5, 1], learning_rate=0.1, num_iterations=300)
    capsys.readouterr()
    p = deep.predict(X, Y, params)
    assert p.shape == (1, 30) and p.dtype == np.float64 and set(np.unique(p)) <= {0.0, 1.0}
    AL = deep.L_model_forward(X, params)[0]
    np.testing.assert_array_equal(p, (AL > 0.5).astype(float))
    assert capsys.readouterr().out == f"Accuracy: {np.sum((p == Y) / 30)}\n"


def test_two_layer_model_accepts_the_continuous_Y_the_course_feeds():
    """Network.fit refuses a continuous Y for cross-entropy; the course's functions run on it."""
    rng = np.random.RandomState(1)
    X, Y = rng.randn(4, 5), rng.rand(1, 5)
    params, costs = deep.two_layer_model(X, Y, (4, 3, 1), num_iterations=2)
    assert np.isfinite(costs[0]) and params["W1"].shape == (3, 4)


# ---- on the course's cat pictures: the figures its notebooks print ---------------------------------


def test_logistic_model_on_cats_prints_the_course_costs(cat_data, capsys):
    train, test = cat_data
    d = logistic.model(train.X, train.Y, test.X, test.Y, num_iterations=101, learning_rate=0.005, print_cost=True)
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["Cost after iteration 0: 0.693147", "Cost after iteration 100: 0.584508"]
    assert d["w"].shape == (12288, 1) and d["Y_prediction_test"].shape == (1, 50)


def test_application_models_on_cats_print_the_course_costs(cat_data, capsys):
    """The application's first-iteration checks: two_layer_model(num_iterations=2), L_layer_model(num_iterations=1)."""
    train, _ = cat_data
    _, costs = deep.two_layer_model(train.X, train.Y, layers_dims=(12288, 7, 1), num_iterations=2, print_cost=False)
    printed = capsys.readouterr().out
    assert printed.startswith("Cost after iteration 1: 0.69261143461")
    close(costs[0], 0.693049735659989)
    _, costs = deep.L_layer_model(train.X, train.Y, [12288, 20, 7, 5, 1], num_iterations=1, print_cost=False)
    assert capsys.readouterr().out.startswith("Cost after iteration 0: 0.77174932842")
    close(costs[0], 0.7717493284237686)
