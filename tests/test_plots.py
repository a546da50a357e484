"""Figures: each function writes a PNG and refuses what it cannot draw."""

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plots need the optional matplotlib (pip install layerwise[plot])")

from layerwise import Model, Network, datasets, plots  # noqa: E402
from layerwise.preprocessing import build_pipeline  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    return path.read_bytes()[:8] == PNG


@pytest.fixture(scope="module")
def planar_net():
    data = datasets.planar(m=60)
    net = Network([2, 3, 1], hidden="tanh", init="xavier", seed=1)
    net.fit(data.X, data.Y, learning_rate=1.2, num_iterations=30, validation_data=(data.X, data.Y))
    return net, data


def test_cost_curve_with_validation_and_log_scale(planar_net, tmp_path):
    net, _ = planar_net
    assert plots.plot_cost(net.history_, tmp_path / "cost.png") == tmp_path / "cost.png"
    plots.plot_cost([0.7, 0.5, 0.3], tmp_path / "log.png", log=True, title="plain list")
    assert is_png(tmp_path / "cost.png") and is_png(tmp_path / "log.png")


def test_learning_rate_comparison(tmp_path):
    runs = {0.01: [0.7, 0.4, 0.2], 0.001: [0.7, 0.6, 0.5], "slow": [0.7, 0.69, 0.68]}
    assert is_png(plots.plot_learning_rates(runs, tmp_path / "lr.png"))


@pytest.mark.parametrize("hidden_units", [True, False])
def test_decision_boundary_binary(planar_net, tmp_path, hidden_units):
    net, data = planar_net
    model = Model(net, classes=["red", "blue"])
    path = plots.plot_decision_boundary(model, data.X, model.classes[data.Y], tmp_path / "b.png", hidden_units=hidden_units,
                                        resolution=40)  # fmt: skip
    assert is_png(path)


def test_decision_boundary_multiclass_many_units_and_preprocessing(tmp_path):
    data = datasets.spiral(m=60)
    model = Model(Network([2, 20, 3], hidden="relu", output="softmax", seed=0), pipeline=build_pipeline(standardize=True))
    model.fit(data.X * 1000, data.Y, optimizer="adam", learning_rate=0.05, num_iterations=20)  # raw: far from standardised
    path = plots.plot_decision_boundary(model, data.X * 1000, data.Y, tmp_path / "s.png", max_units=4, resolution=30)
    assert is_png(path)


def test_decision_boundary_of_logistic_regression_has_no_hidden_units(tmp_path):
    data = datasets.blobs(m=40)
    net = Network([2, 1], activations=["sigmoid"], init="zeros")
    assert is_png(plots.plot_decision_boundary(net, data.X, data.Y, tmp_path / "lr.png", resolution=20))


def test_decision_boundary_refuses_what_it_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match="a model of 2 features"):
        plots.plot_decision_boundary(Network([3, 1]), np.zeros((3, 4)), np.zeros((1, 4)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="classifier"):
        plots.plot_decision_boundary(Network([2, 1], output="linear"), np.zeros((2, 4)), np.zeros((1, 4)), tmp_path / "x.png")


def test_mislabelled_grid(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(8 * 8 * 3, 12))
    Y = np.array([[0, 1] * 6])
    predicted = Y.copy()
    predicted[0, :7] = 1 - predicted[0, :7]  # 7 wrong
    path = plots.plot_mislabelled(X, Y, predicted, tmp_path / "m.png", image_shape=(8, 8, 3), class_names=["non-cat", "cat"])
    assert is_png(path)
    assert is_png(plots.plot_mislabelled(X[:64] * 16, Y, Y, tmp_path / "none.png", image_shape=(8, 8)))
    with pytest.raises(ValueError, match="image_shape"):
        plots.plot_mislabelled(X, Y, Y, tmp_path / "x.png", image_shape=(64, 64, 3))


@pytest.mark.parametrize("n_x, shape", [(12288, (64, 64, 3)), (64, (8, 8)), (30, None), (4, None), (2, None)])
def test_guess_image_shape(n_x, shape):
    assert plots.guess_image_shape(n_x) == shape
