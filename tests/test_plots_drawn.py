"""What the figures draw, read back from their matplotlib objects: the plotted data, labels,
titles, scales, the decision boundary's line and the hidden units' images, computed here
independently of plots.py. (test_plots.py checks that each writes a PNG and refuses what it
cannot draw.)
"""

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plots need the optional matplotlib (pip install layerwise[plot])")

from layerwise import Network, datasets, plots  # noqa: E402
from layerwise.callbacks import History  # noqa: E402


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions save, in order (they are still written to their files)."""
    figures = []
    save = plots._save

    def keep(fig, path):
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def lines(ax):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}


def test_cost_curve_draws_the_costs_the_validation_and_the_best_epoch(drawn, tmp_path):
    h = History(costs=[0.9, 0.6, 0.4, 0.35], val_costs=[0.95, 0.7, 0.5, 0.55], best_epoch=2)
    plots.plot_cost(h, tmp_path / "cost.png")
    (ax,) = drawn[-1].axes
    got = lines(ax)
    assert got["training cost"] == ([0, 1, 2, 3], [0.9, 0.6, 0.4, 0.35])
    assert got["validation cost"] == ([0, 1, 2, 3], [0.95, 0.7, 0.5, 0.55])
    assert got["best epoch (2)"][0] == [2, 2]
    assert ax.get_title() == "Learning curve" and ax.get_xlabel() == "iteration" and ax.get_ylabel() == "cost J"
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training cost", "validation cost", "best epoch (2)"]

    plots.plot_cost([0.7, 0.5, 0.3], tmp_path / "log.png", log=True, title="plain list")
    (ax,) = drawn[-1].axes
    assert lines(ax) == {"training cost": ([0, 1, 2], [0.7, 0.5, 0.3])}
    assert ax.get_title() == "plain list" and ax.get_yscale() == "log" and ax.get_ylabel() == "cost J (log scale)"


def test_learning_rate_comparison_draws_one_labelled_curve_per_run(drawn, tmp_path):
    runs = {0.01: [0.7, 0.4, 0.2], 0.001: History(costs=[0.7, 0.6, 0.5]), "slow": [0.7, 0.69]}
    plots.plot_learning_rates(runs, tmp_path / "lr.png", log=True)
    (ax,) = drawn[-1].axes
    assert lines(ax) == {"0.01": ([0, 1, 2], [0.7, 0.4, 0.2]), "0.001": ([0, 1, 2], [0.7, 0.6, 0.5]), "slow": ([0, 1], [0.7, 0.69])}
    assert ax.get_legend().get_title().get_text() == "learning rate"
    assert ax.get_title() == "Cost for several learning rates" and ax.get_yscale() == "log"


@pytest.fixture(scope="module")
def planar_net():
    data = datasets.planar(m=60)
    net = Network([2, 3, 1], hidden="tanh", init="xavier", seed=1)
    net.fit(data.X, data.Y, learning_rate=1.2, num_iterations=300)
    return net, data


def test_decision_boundary_draws_the_points_the_boundary_and_each_hidden_unit(drawn, planar_net, tmp_path):
    net, data = planar_net
    plots.plot_decision_boundary(net, data.X, data.Y, tmp_path / "b.png", resolution=40)
    left, right = drawn[-1].subfigs
    (ax,) = left.axes
    assert ax.get_title() == "Decision boundary (2 -> 3 -> 1)"
    assert len(ax.get_legend().get_texts()) == 2
    regions, boundary, *points = ax.collections
    labels = data.Y.reshape(-1)
    for c, scatter in enumerate(points):
        np.testing.assert_array_equal(scatter.get_offsets(), data.X[:, labels == c].T)
    np.testing.assert_array_equal(regions.levels, [-0.5, 0.5, 1.5])
    assert list(boundary.levels) == [0.5]
    # every vertex of the drawn boundary is where the network's probability crosses 0.5
    vertices = np.concatenate([p.vertices for p in boundary.get_paths()])
    assert len(vertices) > 20
    W1, b1, W2, b2 = (net.parameters[k] for k in ("W1", "b1", "W2", "b2"))
    p = 1 / (1 + np.exp(-(W2 @ np.tanh(W1 @ vertices.T + b1) + b2)))
    assert np.abs(p - 0.5).max() < 0.05
    # the hidden units: what tanh(W1 x + b1) is over the plotted grid, one image per unit
    unit_axes = [a for a in right.axes if a.get_images()]
    assert [a.get_title() for a in unit_axes] == ["unit 1", "unit 2", "unit 3"]
    (x_min, y_min), (x_max, y_max) = data.X.min(axis=1) - 1, data.X.max(axis=1) + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, 40), np.linspace(y_min, y_max, 40))
    A1 = np.tanh(W1 @ np.vstack([xx.ravel(), yy.ravel()]) + b1)
    for j, unit_ax in enumerate(unit_axes):
        (image,) = unit_ax.get_images()
        np.testing.assert_allclose(image.get_array(), A1[j].reshape(40, 40), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(image.get_extent(), [x_min, x_max, y_min, y_max])
    assert right.get_suptitle() == "Hidden layer 1: 3 units, tanh(W1 x + b1)"


def test_decision_boundary_without_units_and_for_several_classes(drawn, tmp_path):
    data = datasets.spiral(m=60)
    net = Network([2, 20, 3], hidden="relu", output="softmax", seed=0)
    net.fit(data.X, data.Y, optimizer="adam", learning_rate=0.05, num_iterations=50)
    plots.plot_decision_boundary(net, data.X, data.Y, tmp_path / "s.png", hidden_units=False, resolution=30, title="spiral")
    fig = drawn[-1]
    assert not fig.subfigs
    (ax,) = fig.axes
    assert ax.get_title() == "spiral"
    regions, *points = ax.collections  # no 0.5 line for several classes
    np.testing.assert_array_equal(regions.levels, [-0.5, 0.5, 1.5, 2.5])
    assert len(ax.get_legend().get_texts()) == 3
    labels = data.Y.reshape(-1)
    for c, scatter in enumerate(points):
        np.testing.assert_array_equal(scatter.get_offsets(), data.X[:, labels == c].T)


def test_only_the_first_max_units_hidden_units_are_drawn(drawn, tmp_path):
    data = datasets.blobs(m=40)
    net = Network([2, 7, 1], hidden="relu", seed=0)
    plots.plot_decision_boundary(net, data.X, data.Y, tmp_path / "u.png", max_units=4, resolution=10)
    _, right = drawn[-1].subfigs
    assert [a.get_title() for a in right.axes if a.get_images()] == ["unit 1", "unit 2", "unit 3", "unit 4"]
    assert right.get_suptitle() == "Hidden layer 1: 4 of 7 units, relu(W1 x + b1)"


def test_mislabelled_grid_shows_the_wrong_images_with_both_labels(drawn, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(8 * 8 * 3, 12))
    Y = np.array([[0, 1] * 6])
    predicted = Y.copy()
    predicted[0, :7] = 1 - predicted[0, :7]
    plots.plot_mislabelled(X, Y, predicted, tmp_path / "m.png", image_shape=(8, 8, 3), class_names=["non-cat", "cat"], max_images=5)
    fig = drawn[-1]
    assert fig.get_suptitle() == "Mislabelled: 7 of 12 (first 5 shown)"
    assert len(fig.axes) == 5
    for k, ax in enumerate(fig.axes):
        (image,) = ax.get_images()
        np.testing.assert_array_equal(image.get_array(), X[:, k].reshape(8, 8, 3))
        truth = ["non-cat", "cat"][k % 2]
        wrong = ["cat", "non-cat"][k % 2]
        assert ax.get_title() == f"Prediction: {wrong}\nClass: {truth}"

    plots.plot_mislabelled(X[:64] * 16, Y, Y, tmp_path / "none.png", image_shape=(8, 8))
    (ax,) = drawn[-1].axes
    assert [t.get_text() for t in ax.texts] == ["no mislabelled examples"]
    assert drawn[-1].get_suptitle() == "Mislabelled: 0 of 12"


def test_images_outside_zero_one_are_rescaled_for_display(drawn, tmp_path):
    X = np.arange(2 * 8 * 8 * 3, dtype=float).reshape(-1, 2)  # values up to 383
    plots.plot_mislabelled(X, np.array([[0, 1]]), np.array([[1, 1]]), tmp_path / "r.png", image_shape=(8, 8, 3))
    (ax,) = drawn[-1].axes
    (image,) = ax.get_images()
    column = X[:, 0].reshape(8, 8, 3)
    np.testing.assert_allclose(image.get_array(), (column - column.min()) / (column.max() - column.min()))
    assert ax.get_title() == "Prediction: 1\nClass: 0"
