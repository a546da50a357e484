"""The model is the artefact: schema, preprocessing and labels travel with the network and are
applied by ``Model.predict`` itself, from arrays, DataFrames and column mappings alike."""

import json
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import Model, Network, datasets
from layerwise.preprocessing import Pipeline, Standardizer, build_pipeline

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def pets():
    """A classifier of 3 features on very different scales, standardised, with string classes."""
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, 200), rng.normal(1000, 300, 200), rng.normal(0, 0.01, 200)])
    y = np.where(X[0] + (X[1] - 1000) / 300 - X[2] * 100 > 0, "dog", "cat")
    model = Model(Network([3, 4, 1], hidden="tanh", seed=0), features=["a", "b", "c"], pipeline=build_pipeline(standardize=True),
                  classes=["cat", "dog"], label="kind")  # fmt: skip
    model.fit(X, y, learning_rate=1.0, num_iterations=300)
    return model, X, y


def test_predict_takes_raw_features_and_answers_in_the_users_classes(pets):
    model, X, y = pets
    predicted = model.predict(X)
    assert predicted.shape == (1, 200) and set(predicted[0]) == {"cat", "dog"}
    assert np.mean(predicted[0] == y) > 0.95
    (step,) = model.pipeline.steps
    by_hand = model.network.predict(step.transform(X))[0]  # what the network gives the standardised rows
    assert predicted[0].tolist() == model.classes[by_hand].tolist()


def test_a_reordered_dataframe_predicts_the_same_to_the_last_row(pets):
    pd = pytest.importorskip("pandas")
    model, X, _ = pets
    frame = pd.DataFrame({"c": X[2], "extra": "ignored", "a": X[0], "b": X[1]})
    assert model.predict(frame).tolist() == model.predict(X)[0].tolist()
    P = model.predict_proba(frame)
    assert P.shape == (200, 2)
    np.testing.assert_array_equal(P, model.predict_proba(X).T)
    np.testing.assert_allclose(P.sum(axis=1), 1)


def test_a_missing_column_is_named(pets):
    pd = pytest.importorskip("pandas")
    model, X, _ = pets
    with pytest.raises(ValueError, match="X lacks the column 'b' the model was trained on"):
        model.predict(pd.DataFrame({"a": X[0], "c": X[2]}))
    with pytest.raises(ValueError, match="X has 2 rows \\(features\\); the model takes 3: a, b, c"):
        model.predict(X[:2])
    with pytest.raises(ValueError, match="looks transposed"):
        model.predict(X[:, :5].T)


def test_column_mappings_and_text_cells(pets):
    model, X, _ = pets
    columns = {"b": X[1].astype(str), "a": X[0], "c": X[2].tolist()}
    assert model.predict(columns).tolist() == model.predict(X)[0].tolist()
    with pytest.raises(ValueError, match="column 'a', example 3: 'x' is not a number"):
        model.predict({**columns, "a": np.array(["1", "2", "3", "x"] + ["0"] * 196)})
    bad = X.copy()
    bad[1, 7] = np.nan
    with pytest.raises(ValueError, match="nan at feature 'b', example 7"):
        model.predict(bad)


def test_numeric_labels_stay_numeric_and_the_course_calls_are_unchanged():
    data = datasets.planar(m=80)
    net = Network([2, 4, 1], hidden="tanh", init="xavier", seed=1)
    net.fit(data.X, data.Y, learning_rate=1.2, num_iterations=50)
    model = Model(net)
    assert model.classes.dtype.kind == "i" and model.predict(data.X).dtype.kind == "i"
    np.testing.assert_array_equal(model.predict(data.X), net.predict(data.X))
    np.testing.assert_array_equal(model.predict_proba(data.X)[1:], net.predict_proba(data.X))
    AL, caches = model.forward(data.X)  # the course's steps are the network's own
    assert model.cost(AL, data.Y) == net.cost(AL, data.Y) and model.layer_dims == net.layer_dims


def test_encode_maps_labels_to_class_indices_and_refuses_strangers(pets):
    model, _, _ = pets
    np.testing.assert_array_equal(model.encode(["dog", "cat", "dog"]), [[1, 0, 1]])
    with pytest.raises(ValueError, match="labels \\['bird'\\] that are not among the model's classes \\['cat', 'dog'\\]"):
        model.encode(["cat", "bird"])
    numeric = Model(Network([2, 3], output="softmax"), classes=[10, 20, 30])
    np.testing.assert_array_equal(numeric.encode([30, 10]), [[2, 0]])


def test_multiclass_with_numbers_as_classes_and_evaluate():
    data = datasets.iris() if _has_sklearn() else datasets.spiral(m=150)
    classes = np.array([3, 5, 7])
    model = Model(Network([data.n_x, 8, 3], output="softmax", seed=0), pipeline=build_pipeline(standardize=True), classes=classes)
    model.fit(data.X, classes[data.Y[0]], optimizer="adam", learning_rate=0.05, num_iterations=100)
    report = model.evaluate(data.X, classes[data.Y[0]])
    assert report["classes"] == ["3", "5", "7"] and report["m"] == data.m
    assert report["accuracy"] == model.score(data.X, classes[data.Y[0]]) == np.mean(model.predict(data.X)[0] == classes[data.Y[0]])
    assert set(model.predict(data.X)[0].tolist()) <= {3, 5, 7}


def test_regression_applies_the_inverse_of_its_target_steps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 100))
    y = 1000 + 300 * (X[0] - 2 * X[1])
    model = Model(Network([2, 1], output="linear", seed=0), target=Pipeline([Standardizer()]))
    model.fit(X, y, learning_rate=0.1, num_iterations=500)
    (step,) = model.target.steps
    assert float(step.mean_[0, 0]) == pytest.approx(y.mean()) and model.classes is None
    predicted = model.predict(X)
    np.testing.assert_allclose(predicted, y.reshape(1, -1), rtol=1e-3)
    np.testing.assert_array_equal(predicted, step.inverse_transform(model.network.predict(X)))
    assert model.score(X, y) > 0.999
    with pytest.raises(ValueError, match="predict_proba needs a classifier"):
        model.predict_proba(X)


def test_saved_and_loaded_models_keep_everything(pets, tmp_path):
    pd = pytest.importorskip("pandas")
    model, X, _ = pets
    lw.save(model, tmp_path / "m.npz")
    loaded = lw.load(tmp_path / "m.npz")
    frame = pd.DataFrame({"b": X[1], "c": X[2], "a": X[0]})
    assert loaded.predict(frame).tolist() == model.predict(X)[0].tolist()
    assert loaded.features == ["a", "b", "c"] and loaded.label == "kind" and loaded.classes.tolist() == ["cat", "dog"]


def test_the_standardizer_is_finite_and_exact_at_the_edges_of_float64():
    X = np.array([[1e300, -1e300, 5e299, 1e300], [1.0, 1.0, 1.0, 1.0], [1e-300, 3e-300, 2e-300, 0.0]])
    s = Standardizer().fit(X)
    assert np.isfinite(s.mean_).all() and np.isfinite(s.std_).all()
    assert s.mean_[0, 0] == pytest.approx(np.mean(X[0] / 1e300) * 1e300) and s.std_[1, 0] == 1.0  # constant: std 1
    Z = s.transform(X)
    np.testing.assert_allclose(Z.mean(axis=1)[[0, 2]], 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1)[[0, 2]], 1)
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-12)


def test_the_version_1_fixture_predicts_what_it_predicted_before():
    """Files written by layerwise 0.1.0 (model file format 1; see tests/fixtures/gen.py) load as
    models with their standardisation and class names, and predict exactly as they did."""
    expected = np.load(FIXTURES / "v1_expected.npz", allow_pickle=False)
    pets = lw.load(FIXTURES / "v1_pets_standardized.npz")
    assert pets.features == ["a", "b", "c"] and pets.label == "kind" and pets.classes.tolist() == ["cat", "dog"]
    assert [type(s).__name__ for s in pets.pipeline.steps] == ["Standardizer"]
    assert pets.predict(expected["pets_X"])[0].tolist() == expected["pets_pred"].tolist()
    np.testing.assert_array_equal(pets.predict_proba(expected["pets_X"])[1:], expected["pets_proba"])
    spiral = lw.load(FIXTURES / "v1_spiral.npz")
    np.testing.assert_array_equal(spiral.predict(expected["spiral_X"]), expected["spiral_pred"])
    np.testing.assert_array_equal(spiral.predict_proba(expected["spiral_X"]), expected["spiral_proba"])
    with np.load(FIXTURES / "v1_spiral.npz", allow_pickle=False) as f:
        assert json.loads(f["metadata"].tobytes())["format_version"] == 1


def test_a_model_checks_what_it_is_given():
    net = Network([2, 1])
    with pytest.raises(ValueError, match="features has 3 names; the network takes n_x = 2"):
        Model(net, features=["a", "b", "c"])
    with pytest.raises(ValueError, match="expected 2 labels"):
        Model(net, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="repeats a label"):
        Model(net, classes=["a", "a"])
    with pytest.raises(ValueError, match="no classes"):
        Model(Network([2, 1], output="linear"), classes=[0, 1])
    with pytest.raises(TypeError, match="expected a layerwise Network"):
        Model("net")
    with pytest.raises(RuntimeError, match="not fitted"):
        Model(net, pipeline=build_pipeline(standardize=True)).predict(np.zeros((2, 3)))


def _has_sklearn() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True
