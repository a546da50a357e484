"""Every registered loss: dAL against finite differences of the cost; fused dZ = A - Y."""

import numpy as np
import pytest

from layerwise.activations import get_activation
from layerwise.losses import LOSSES, get_loss, l2_cost


def sample(name, rng, n_y=3, m=6):
    if name == "binary_crossentropy":
        return rng.uniform(0.05, 0.95, (1, m)), (rng.random((1, m)) > 0.5).astype(float)
    if name == "categorical_crossentropy":
        A = get_activation("softmax").forward(rng.standard_normal((n_y, m)))
        return A, np.eye(n_y)[:, rng.integers(0, n_y, m)]
    if name == "poisson":  # rates a > 0, counts y >= 0 (zeros included)
        return rng.uniform(0.2, 3.0, (2, m)), rng.poisson(1.5, (2, m)).astype(float)
    return rng.standard_normal((2, m)), rng.standard_normal((2, m))


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_dAL_matches_finite_differences(name, weighted, rng):
    loss = get_loss(name)
    AL, Y = sample(name, rng)
    m = AL.shape[1]
    w = rng.uniform(0.2, 2.0, (1, m)) if weighted else None
    eps = 1e-7
    approx = np.zeros_like(AL)
    for idx in np.ndindex(AL.shape):
        Ap, Am = AL.copy(), AL.copy()
        Ap[idx] += eps
        Am[idx] -= eps
        approx[idx] = (loss.cost(Ap, Y, w) - loss.cost(Am, Y, w)) / (2 * eps) * m  # dAL is m * dJ/dAL
    d = loss.dAL(AL, Y, w)
    assert np.linalg.norm(d - approx) / (np.linalg.norm(d) + np.linalg.norm(approx)) < 1e-7


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_fused_dZ_equals_chain_rule(name, rng):
    """sigmoid+BCE, softmax+CCE, linear+MSE: dAL * g'(Z) simplifies to A - Y."""
    loss = get_loss(name)
    AL, Y = sample(name, rng)
    act = get_activation(loss.fused)
    np.testing.assert_allclose(loss.dZ_fused(AL, Y), act.backward(loss.dAL(AL, Y), AL), atol=1e-12)


def test_course_cost_values():
    """The course's compute_cost example: Y = [1, 1, 0], AL = [.8, .9, .4] -> 0.2797765635793422."""
    J = get_loss("binary_crossentropy").cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]]))
    assert J == pytest.approx(0.2797765635793422, rel=1e-12)


def test_log_loss_finite_when_output_is_exactly_0_or_1():
    bce = get_loss("bce")
    AL, Y = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, d = bce.cost(AL, Y), bce.dAL(AL, Y)
    assert np.isfinite(J) and J == pytest.approx(-np.log(np.finfo(float).eps), rel=1e-6)
    assert np.isfinite(d).all()


def test_l2_cost_formula():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([[5.0]]), "W2": np.array([[3.0]])}
    assert l2_cost(params, lambd=0.7, m=5) == pytest.approx(0.7 / (2 * 5) * (1 + 4 + 9))


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*binary_crossentropy"):
        get_loss("hinge")
