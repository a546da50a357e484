"""Every registered activation: derivative against finite differences, stability at the extremes."""

import numpy as np
import pytest

from layerwise.activations import ACTIVATIONS, get_activation

NAMES = sorted(ACTIVATIONS) + ["leaky_relu:0.2"]


def numeric_dZ(act, Z, dA, eps=1e-6):
    """dZ_ij = d/dZ_ij sum(dA * g(Z)), by central differences."""
    dZ = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += eps
        Zm[idx] -= eps
        dZ[idx] = (np.sum(dA * act.forward(Zp)) - np.sum(dA * act.forward(Zm))) / (2 * eps)
    return dZ


@pytest.mark.parametrize("name", NAMES)
def test_backward_matches_finite_differences(name, rng):
    act = get_activation(name)
    Z = rng.standard_normal((4, 5))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep away from relu's kink
    dA = rng.standard_normal((4, 5))
    A = act.forward(Z.copy())
    dZ = act.backward(dA, A)
    approx = numeric_dZ(act, Z, dA)
    rel = np.linalg.norm(dZ - approx) / (np.linalg.norm(dZ) + np.linalg.norm(approx))
    assert rel < 1e-7, (name, rel)


# each g written independently of activations.py, straight from its definition
REFERENCE = {
    "sigmoid": lambda Z: 1 / (1 + np.exp(-Z)),
    "tanh": lambda Z: (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z)),
    "relu": lambda Z: np.where(Z > 0, Z, 0.0),
    "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
    "leaky_relu:0.2": lambda Z: np.where(Z > 0, Z, 0.2 * Z),
    "linear": lambda Z: Z.copy(),
    "softmax": lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True),
    "exp": lambda Z: np.exp(Z),
}


@pytest.mark.parametrize("name", NAMES)
def test_forward_in_place_and_shapes(name, rng):
    act = get_activation(name)
    Z = rng.standard_normal((3, 7))
    expected = REFERENCE[name](Z)
    out = act.forward(Z, out=Z)
    assert out.shape == (3, 7) and out is Z
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extremes_are_finite_without_warnings(name, dtype):
    """|z| up to 1e4 (and the dtype's max for sigmoid): finite outputs, no overflow warning."""
    act = get_activation(name)
    Z = np.array([[-1e4, -745.0, -40.0, 0.0, 40.0, 745.0, 1e4]] * 2, dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right answer
        A = act.forward(Z.copy())
        dZ = act.backward(np.ones_like(A), A)
    assert A.dtype == dtype and dZ.dtype == dtype
    assert np.isfinite(A).all() and np.isfinite(dZ).all()


def test_sigmoid_values_at_extremes():
    s = get_activation("sigmoid").forward(np.array([[-1e4, -40.0, 0.0, 40.0, 1e4]]))
    np.testing.assert_allclose(s, [[0.0, 4.248354255291589e-18, 0.5, 1.0, 1.0]], rtol=1e-12, atol=0)


def test_softmax_columns_sum_to_one_and_shift_invariant(rng):
    sm = get_activation("softmax")
    Z = rng.standard_normal((5, 6)) * 100
    A = sm.forward(Z.copy())
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_allclose(sm.forward(Z + 1000.0), A, atol=1e-12)


def test_leaky_relu_slope():
    act = get_activation("leaky_relu:0.2")
    np.testing.assert_allclose(act.forward(np.array([[-1.0, 2.0]])), [[-0.2, 2.0]])
    assert get_activation("leaky_relu").slope == 0.01
    assert act.spec == "leaky_relu:0.2" and get_activation(act.spec) == act


@pytest.mark.parametrize(
    "spec, message",
    [("swish", "unknown activation 'swish'"), ("relu:2", "takes no parameter"), ("leaky_relu:x", "not a number"),
     ("leaky_relu:1.5", "slope"), (3, "expected a name")],
)
def test_bad_names_list_the_known_ones(spec, message):
    with pytest.raises((ValueError, TypeError), match=message):
        get_activation(spec)
