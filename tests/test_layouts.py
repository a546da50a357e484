"""The weight gradient's layout chosen by measurement (``layerwise._layouts``): either layout gives
NumPy's ``dZ A_prev.T`` (float64 to 1e-12 relative, float32 to 1e-5), the choice is made once
per shape and cached, ``LAYERWISE_KERNELS`` switches it off, and training with either layout
forced equals training on NumPy's product. No test here measures time: the decision is forced."""

from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise import _layouts

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.fixture
def decided(monkeypatch):
    """Empties the caches, and forces every measurement to answer ``decided.transposed``."""

    class Decision:
        transposed = True
        measured = 0

    def measure(dZ, A_prev, out):
        Decision.measured += 1
        _layouts._numpy(dZ, A_prev, out)
        return Decision.transposed

    monkeypatch.setattr(_layouts, "_transposed", {})
    monkeypatch.setattr(_layouts, "_scratch", {})
    monkeypatch.setattr(_layouts, "_faster_transposed", measure)
    monkeypatch.delenv("LAYERWISE_KERNELS", raising=False)
    return Decision


def operands(dtype, n=20, p=700, m=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, m)).astype(dtype), rng.standard_normal((p, m)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_both_layouts_compute_numpys_product(dtype, order):
    dZ, A_prev = operands(dtype)
    A_prev = np.asarray(A_prev, order=order)  # a mini-batch X[:, idx] is in Fortran order
    expected = dZ @ A_prev.T
    for product in (_layouts._numpy, _layouts._transposed_product):
        out = np.full(expected.shape, np.nan, dtype)
        assert product(dZ, A_prev, out) is out
        np.testing.assert_allclose(out, expected, rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize("transposed", [True, False])
def test_the_choice_is_measured_once_per_shape_and_followed(decided, transposed):
    decided.transposed = transposed
    dZ, A_prev = operands(np.float32)
    out = np.empty((20, 700), np.float32)
    for _ in range(3):
        out[...] = np.nan
        assert _layouts.weight_gradient(dZ, A_prev, out) is out
        np.testing.assert_allclose(out, dZ @ A_prev.T, rtol=1e-5)
    assert decided.measured == 1  # cached: (shapes, dtype, order, threads)
    assert list(_layouts._transposed.values()) == [transposed]
    assert bool(_layouts._scratch) == transposed  # a scratch array only where the transposed layout runs
    _layouts.weight_gradient(*operands(np.float32, m=301), np.empty((20, 700), np.float32))
    assert decided.measured == 2  # another shape, another measurement


@pytest.mark.parametrize("setting", ["numpy", "gram,compiled"])
def test_layerwise_kernels_without_layouts_keeps_numpys_product(decided, monkeypatch, setting):
    monkeypatch.setenv("LAYERWISE_KERNELS", setting)
    dZ, A_prev = operands(np.float64)
    out = np.empty((20, 700))
    _layouts.weight_gradient(dZ, A_prev, out)
    np.testing.assert_array_equal(out, np.dot(dZ, A_prev.T))
    assert decided.measured == 0 and not _layouts._transposed


def test_small_and_mixed_products_are_not_timed(decided):
    small = operands(np.float64, n=3, p=5, m=7)
    _layouts.weight_gradient(*small, np.empty((3, 5)))
    dZ, A_prev = operands(np.float32)
    _layouts.weight_gradient(dZ, A_prev.astype(np.float64), np.empty((20, 700)))  # mixed dtypes: NumPy's rules
    assert decided.measured == 0


def test_the_real_measurement_returns_a_decision_and_leaves_dW(monkeypatch):
    monkeypatch.setattr(_layouts, "_scratch", {})
    dZ, A_prev = operands(np.float32)
    out = np.empty((20, 700), np.float32)
    assert _layouts._faster_transposed(dZ, A_prev, out) in (True, False)
    np.testing.assert_allclose(out, dZ @ A_prev.T, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, 1])
def test_training_with_the_transposed_layout_is_training_on_numpys(decided, monkeypatch, dtype, seed):
    """Random networks with few-unit layers (where the transposed layout can win), full batch and
    mini-batches: LAYERWISE_KERNELS=numpy against every product forced into the transposed layout."""
    rng = np.random.default_rng(seed)
    dims = [int(rng.integers(500, 800)), int(rng.integers(16, 30)), int(rng.integers(4, 12)), 1]
    m = int(rng.integers(300, 450))
    X = rng.random((dims[0], m)).astype(dtype)
    Y = (rng.random((1, m)) < 0.4).astype(dtype)
    results = {}
    for setting in ("numpy", "auto"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        for batch_size in (None, 200):
            net = lw.Network(dims, seed=seed, dtype=dtype)
            history = net.fit(X, Y, epochs=4, learning_rate=0.05, batch_size=batch_size, optimizer="adam", seed=1)
            results[setting, batch_size] = (history.costs, net.parameters)
    assert decided.measured >= 2  # the transposed layout was really taken (dW1 of the full batch, of a mini-batch)
    tol = RTOL[np.dtype(dtype).type]
    for batch_size in (None, 200):
        (c0, p0), (c1, p1) = results["numpy", batch_size], results["auto", batch_size]
        np.testing.assert_allclose(c1, c0, rtol=tol)
        for key in p0:
            np.testing.assert_allclose(p1[key], p0[key], rtol=tol, atol=tol * np.abs(p0[key]).max(), err_msg=key)
