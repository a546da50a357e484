"""The scalar computation graph and the vectorized engine compute the same derivatives.

The graph does it one number at a time with the chain rule; the engine does the whole
batch with matrices (dZ = A - Y, dW = dZ A_prev.T / m, ...). Same numbers, to rounding.
"""

import numpy as np
import pytest

import layerwise as lw
from layerwise.graph import Value, logistic_regression_graph


@pytest.mark.parametrize(
    "x1, x2, w1, w2, b, y",
    [(1.0, 2.0, 0.3, -0.5, 0.1, 1), (-0.7, 1.4, -1.2, 0.8, 0.5, 0), (3.0, -2.0, 0.0, 0.0, 0.0, 1)],
)
def test_logistic_regression_graph_equals_engine_on_one_example(x1, x2, w1, w2, b, y):
    L, n = logistic_regression_graph(x1, x2, w1, w2, b, y)
    L.backward()

    net = lw.LogisticRegression(2)
    net.set_parameters({"W1": np.array([[w1, w2]]), "b1": np.array([[b]])})
    X, Y = np.array([[x1], [x2]]), np.array([[y]])
    AL, caches = net.forward(X)
    grads = net.backward(AL, Y, caches)

    assert n["a"].data == pytest.approx(AL[0, 0], abs=1e-12)
    assert L.data == pytest.approx(net.cost(AL, Y), abs=1e-12)
    np.testing.assert_allclose(grads["dW1"], [[n["w1"].grad, n["w2"].grad]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(grads["db1"], [[n["b"].grad]], rtol=0, atol=1e-12)


def _values(A):
    """A NumPy matrix as a list of rows of Value nodes."""
    return [[Value(x) for x in row] for row in A]


def _scalar_two_layer_cost(X, Y, params):
    """J = (1/m) sum_k L(a2_k, y_k) for a [2, 3, 1] tanh/sigmoid net, one Value per number.

    Returns J and the parameter nodes, as rows like the matrices they came from.
    """
    p = {key: _values(A) for key, A in params.items()}
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    n_x, m = X.shape
    losses = []
    for k in range(m):
        x = [float(v) for v in X[:, k]]
        # z1_i = sum_j W1_ij x_j + b1_i,  a1_i = tanh(z1_i)
        a1 = [(sum(W1[i][j] * x[j] for j in range(n_x)) + b1[i][0]).tanh() for i in range(len(W1))]
        # z2 = sum_i W2_i a1_i + b2,  a2 = sigmoid(z2)
        a2 = (sum(W2[0][i] * a1[i] for i in range(len(a1))) + b2[0][0]).sigmoid()
        y = float(Y[0, k])
        losses.append(-(y * a2.log() + (1 - y) * (1 - a2).log()))
    return sum(losses) / m, p


def test_two_layer_scalar_graph_equals_engine_on_a_batch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 3))
    Y = np.array([[1.0, 0.0, 1.0]])
    params = {
        "W1": rng.standard_normal((3, 2)),
        "b1": rng.standard_normal((3, 1)),
        "W2": rng.standard_normal((1, 3)),
        "b2": rng.standard_normal((1, 1)),
    }

    J, nodes = _scalar_two_layer_cost(X, Y, params)
    J.backward()

    net = lw.Network([2, 3, 1], activations=["tanh", "sigmoid"])
    net.set_parameters(params)
    AL, caches = net.forward(X)
    grads = net.backward(AL, Y, caches)

    assert J.data == pytest.approx(net.cost(AL, Y), abs=1e-10)
    for key in ["W1", "b1", "W2", "b2"]:
        scalar_grad = np.array([[v.grad for v in row] for row in nodes[key]])
        np.testing.assert_allclose(grads["d" + key], scalar_grad, rtol=0, atol=1e-10, err_msg=key)
