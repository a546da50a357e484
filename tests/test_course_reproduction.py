"""The course's published figures, reproduced on its real data (skipped where the files are absent),
on the blocks (the NumPy reference) and with the fast paths on (``layerwise.kernels``: the Gram
kernel takes the cats, the compiled one, where numba is installed, the planar flower)."""

import importlib.util

import numpy as np
import pytest

import layerwise as lw
from layerwise import datasets


@pytest.fixture(autouse=True, params=["numpy", "gram,compiled"], ids=["blocks", "fast-paths"])
def paths(request, monkeypatch):
    monkeypatch.setenv("LAYERWISE_KERNELS", request.param)
    return request.param


def used_kernel(net, paths):
    """The fast path ran where it was allowed (each of these trainings is one it takes)."""
    return (net.trainer_.kernel_name is not None) == (paths != "numpy")


def test_logistic_regression_on_cats(cat_data, paths):
    """Week 2: zero init, pixels / 255, learning rate 0.005, 2000 iterations."""
    train, test = cat_data
    net = lw.LogisticRegression(12288)
    h = net.fit(train.X, train.Y, learning_rate=0.005, num_iterations=2000)
    assert used_kernel(net, paths)
    assert h.costs[0] == pytest.approx(0.693147, abs=5e-7)
    assert h.costs[100] == pytest.approx(0.584508, abs=5e-7)
    assert net.accuracy(train.X, train.Y) == pytest.approx(0.9904, abs=1e-4)
    assert net.accuracy(test.X, test.Y) == pytest.approx(0.70)


def test_two_layer_network_on_cats(cat_data, paths):
    """Week 4 application: [12288, 7, 1], np.random.seed(1) then randn * 0.01, lr 0.0075, 2500 iterations."""
    train, test = cat_data
    np.random.seed(1)  # the course's initial parameters, drawn exactly as it draws them
    params = {"W1": np.random.randn(7, 12288) * 0.01, "b1": np.zeros((7, 1)),
              "W2": np.random.randn(1, 7) * 0.01, "b2": np.zeros((1, 1))}
    net = lw.Network([12288, 7, 1], activations=["relu", "sigmoid"])
    net.set_parameters(params)
    h = net.fit(train.X, train.Y, learning_rate=0.0075, num_iterations=2500)
    assert used_kernel(net, paths)
    assert h.costs[0] == pytest.approx(0.693050, abs=5e-7)
    assert h.costs[2400] == pytest.approx(0.048555, abs=5e-7)
    assert net.accuracy(train.X, train.Y) == 1.0
    assert net.accuracy(test.X, test.Y) == pytest.approx(0.72)


def test_four_layer_network_on_cats(cat_data, paths):
    """Week 4 application: [12288, 20, 7, 5, 1], randn / sqrt(n[l-1]) after np.random.seed(1), lr 0.0075."""
    train, test = cat_data
    net = lw.Network([12288, 20, 7, 5, 1], hidden="relu", output="sigmoid", init="xavier", seed=1)
    h = net.fit(train.X, train.Y, learning_rate=0.0075, num_iterations=2500)
    assert used_kernel(net, paths)
    assert h.costs[0] == pytest.approx(0.771749, abs=5e-7)
    assert h.costs[2400] == pytest.approx(0.092878, abs=5e-7)
    assert net.accuracy(train.X, train.Y) == pytest.approx(0.9856, abs=1e-4)
    assert net.accuracy(test.X, test.Y) == pytest.approx(0.80)


def test_planar_flower_shallow_net_beats_logistic_regression(paths):
    """Week 3: [2, 4, 1] tanh/sigmoid, lr 1.2, 10 000 iterations -> about 90 %; logistic regression about 47 %."""
    ds = datasets.planar()
    net = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=2)
    net.fit(ds.X, ds.Y, learning_rate=1.2, num_iterations=10000)
    assert used_kernel(net, paths) or (paths != "numpy" and importlib.util.find_spec("numba") is None)
    shallow = net.accuracy(ds.X, ds.Y)
    logreg = lw.LogisticRegression(2)
    logreg.fit(ds.X, ds.Y, learning_rate=0.1, num_iterations=2000)
    linear = logreg.accuracy(ds.X, ds.Y)
    assert shallow == pytest.approx(0.905, abs=0.01)
    assert linear == pytest.approx(0.47, abs=0.02)
