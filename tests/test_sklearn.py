"""The scikit-learn estimators: scikit-learn's own estimator checks, meta-estimators, and
what the layer adds over ``Network`` (rows in, labels of any type, warm start, partial fit)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="layerwise.sklearn needs scikit-learn: pip install layerwise[sklearn]")

from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from layerwise import Network
from layerwise.optimizers import Adam
from layerwise.sklearn import NeuralNetClassifier, NeuralNetRegressor

SMALL = dict(hidden_layer_sizes=(16,), epochs=30, learning_rate=0.02)  # fast, and enough to learn the checks' data
MINI_BATCH = dict(batch_size=16, keep_prob=0.9, lambd=0.1)

# Repeating an example and giving it weight 2 are the same only for full-batch training without
# L2: with mini-batches a repeated example can fall in two batches (so a different number of
# batches and updates per epoch), and L2 is divided by the number of examples m. The first two
# instances train on the full batch and pass this check.
_WHY = (
    "mini-batches and L2 make a repeated example differ from a weight of 2 (different batches, L2 / m); "
    "the full-batch instances pass this check"
)
NOT_WEIGHT_EQUIVALENT = {f"check_sample_weight_equivalence_on_{kind}_data": _WHY for kind in ("dense", "sparse")}


@parametrize_with_checks(
    [
        NeuralNetClassifier(**SMALL, random_state=0),
        NeuralNetRegressor(**SMALL, random_state=0),
        NeuralNetClassifier(**SMALL, **MINI_BATCH, random_state=0),
        NeuralNetRegressor(**SMALL, **MINI_BATCH, random_state=0),
    ],
    expected_failed_checks=lambda est: NOT_WEIGHT_EQUIVALENT if est.batch_size == 16 else {},
)
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # scikit-learn skips its array-API check (run here on NumPy inputs) unless this is set.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


# ---- the layer itself ------------------------------------------------------------------------


def test_string_labels_multiclass_softmax_and_binary_sigmoid(iris):
    X, y = iris
    clf = NeuralNetClassifier((8,), epochs=50, learning_rate=0.01, random_state=0).fit(X, y)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert clf.network_.layer_dims == [4, 8, 3] and clf.network_.activations[-1].name == "softmax"
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(X) == clf.classes_[proba.argmax(axis=1)]).all()
    assert clf.score(X, y) > 0.9

    binary = y != "setosa"
    clf2 = NeuralNetClassifier((8,), epochs=50, learning_rate=0.01, random_state=0).fit(X[binary], y[binary])
    assert clf2.network_.layer_dims == [4, 8, 1] and clf2.network_.activations[-1].name == "sigmoid"
    p = clf2.predict_proba(X[binary])
    np.testing.assert_array_equal(p[:, 1], clf2.network_.predict_proba(X[binary].T)[0])
    np.testing.assert_allclose(p[:, 0], 1 - p[:, 1])


def test_rows_reach_the_trainer_as_columns_copied_once(monkeypatch):
    from layerwise.training import Trainer

    seen = []
    init = Trainer.__init__

    def spy(trainer, network, X, Y, **kwargs):
        seen.append(X)
        init(trainer, network, X, Y, **kwargs)

    monkeypatch.setattr(Trainer, "__init__", spy)
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        X = rng.normal(size=(40, 3)).astype(dtype)
        clf = NeuralNetClassifier((4,), epochs=2, random_state=0).fit(X, X[:, 0] > 0)
        assert seen[-1].shape == (3, 40) and seen[-1].flags.c_contiguous and seen[-1].dtype == dtype
        np.testing.assert_array_equal(seen[-1], X.T)
        assert clf.network_.dtype == dtype  # dtype=None keeps float32 as float32
        assert clf.predict_proba(X).dtype == dtype
    X = rng.integers(0, 5, size=(40, 3))
    assert NeuralNetClassifier((4,), epochs=2).fit(X, X[:, 0] > 2).network_.dtype == np.float64
    assert NeuralNetClassifier((4,), epochs=2, dtype="float32").fit(X, X[:, 0] > 2).network_.dtype == np.float32


def test_hyperparameters_reach_the_network_and_the_seed_is_kept():
    X, y = make_blobs(60, centers=3, random_state=0)
    clf = NeuralNetClassifier(
        (6, 5), activation=["tanh", "leaky_relu:0.2"], init="xavier", optimizer="momentum", learning_rate=0.05,
        epochs=3, random_state=7,
    ).fit(X, y)  # fmt: skip
    config = clf.network_.config()
    assert config["layer_dims"] == [2, 6, 5, 3]
    assert config["activations"] == ["tanh", "leaky_relu:0.2", "softmax"]
    assert config["init"] == "xavier" and config["seed"] == 7
    assert clf._optimizer.name == "momentum" and clf.history_.learning_rates == [0.05] * 3
    assert clf.n_iter_ == len(clf.loss_curve_) == 3 and clf.validation_loss_curve_ is None
    # hidden_layer_sizes=() is logistic regression
    assert NeuralNetClassifier((), epochs=2).fit(X, y).network_.layer_dims == [2, 3]


def test_same_random_state_same_model_and_an_optimizer_object_is_not_changed():
    X, y = make_blobs(60, centers=2, random_state=1)
    opt = Adam(0.01)
    kwargs = dict(optimizer=opt, epochs=5, batch_size=16, keep_prob=0.8)
    a = NeuralNetClassifier((5,), random_state=3, **kwargs).fit(X, y)
    b = NeuralNetClassifier((5,), random_state=3, **kwargs).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert opt.t == 0 and opt.state == {}  # the estimator trained a copy
    c = NeuralNetClassifier((5,), random_state=np.random.RandomState(3), **kwargs).fit(X, y)
    assert isinstance(c.network_.seed, int)


def test_warm_start_and_partial_fit_continue_exactly_where_they_were():
    X, y = make_blobs(80, centers=3, random_state=2)
    kwargs = dict(hidden_layer_sizes=(6,), batch_size=16, learning_rate=0.01, random_state=0)
    once = NeuralNetClassifier(epochs=6, **kwargs).fit(X, y)

    warm = NeuralNetClassifier(epochs=3, warm_start=True, **kwargs)
    warm.fit(X, y).fit(X, y)
    np.testing.assert_array_equal(warm.predict_proba(X), once.predict_proba(X))
    assert warm.loss_curve_ == once.loss_curve_ and warm.n_iter_ == 6

    incremental = NeuralNetClassifier(**kwargs)
    for _ in range(6):
        incremental.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(incremental.predict_proba(X), once.predict_proba(X))
    assert incremental._optimizer.t == once._optimizer.t == 6 * 5  # ceil(80 / 16) updates an epoch

    cold = NeuralNetClassifier(epochs=3, **kwargs)
    first = cold.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(cold.fit(X, y).predict_proba(X), first)  # without warm_start: from scratch
    assert cold.n_iter_ == 3


def test_partial_fit_needs_the_classes_first_and_refuses_new_labels():
    X, y = make_blobs(40, centers=3, random_state=0)
    clf = NeuralNetClassifier((4,))
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])  # a batch may lack a class
    assert clf.network_.layer_dims[-1] == 3
    with pytest.raises(ValueError, match=r"labels \[7\] not in classes_"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="balanced"):
        NeuralNetClassifier((4,), class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_class_weight_keyed_by_label_is_the_sample_weight_it_stands_for(iris):
    X, y = iris
    weights = {"setosa": 1.0, "versicolor": 3.0, "virginica": 0.5}
    kwargs = dict(hidden_layer_sizes=(5,), epochs=5, batch_size=32, random_state=0)
    a = NeuralNetClassifier(class_weight=weights, **kwargs).fit(X, y)
    b = NeuralNetClassifier(**kwargs).fit(X, y, sample_weight=np.array([weights[label] for label in y]))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = NeuralNetClassifier(class_weight="balanced", **kwargs).fit(X, y)  # iris is balanced: weights 1
    np.testing.assert_array_equal(c.predict_proba(X), NeuralNetClassifier(**kwargs).fit(X, y).predict_proba(X))
    with pytest.raises(ValueError, match=r"class_weight has labels \['rose'\]"):
        NeuralNetClassifier(class_weight={"rose": 2.0}, **kwargs).fit(X, y)


def test_early_stopping_curves_and_best_parameters():
    X, y = make_blobs(200, centers=2, cluster_std=4.0, random_state=0)
    clf = NeuralNetClassifier((32,), epochs=500, learning_rate=0.01, early_stopping=True, validation_fraction=0.25,
                              patience=5, random_state=0).fit(X, y)  # fmt: skip
    h = clf.history_
    assert h.status == "early_stopping" and clf.n_iter_ < 500
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert h.best_epoch == int(np.argmin(clf.validation_loss_curve_))


def test_regressor_single_and_multiple_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y2 = np.column_stack([X[:, 0] - X[:, 1], 2 * X[:, 2]])
    kwargs = dict(hidden_layer_sizes=(), epochs=100, learning_rate=0.05, random_state=0)
    reg = NeuralNetRegressor(**kwargs).fit(X, y2)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (200, 2) and reg.score(X, y2) > 0.99
    assert reg.network_.activations[-1].name == "linear" and reg.network_.loss.name == "mse"
    one = NeuralNetRegressor(**kwargs).fit(X, y2[:, 0])
    assert one.predict(X).shape == (200,) and one.score(X, y2[:, 0]) > 0.99
    with pytest.raises(ValueError, match="1 outputs; the network was fitted with 2"):
        NeuralNetRegressor(**kwargs).fit(X, y2).partial_fit(X, y2[:, 0])


def test_feature_names_are_kept_from_a_dataframe():
    pd = pytest.importorskip("pandas", reason="feature names come from pandas DataFrames")
    X, y = make_blobs(30, centers=2, n_features=2, random_state=0)
    df = pd.DataFrame(X, columns=["height", "width"])
    clf = NeuralNetClassifier((3,), epochs=2).fit(df, y)
    assert list(clf.feature_names_in_) == ["height", "width"] and clf.n_features_in_ == 2
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(hidden_layer_sizes=(4, 0)), "every size must be a positive integer"),
        (dict(hidden_layer_sizes="big"), "hidden_layer_sizes is 'big'"),
        (dict(activation=["relu"], hidden_layer_sizes=(4, 4)), "one name per hidden layer"),
        (dict(early_stopping=True, validation_fraction=1.5), "validation_fraction is 1.5"),
        (dict(early_stopping=True, patience=0), "patience is 0"),
        (dict(epochs=0), "epochs is 0"),  # the engine's own check, with the same name
        (dict(optimizer="newton"), "unknown optimizer 'newton'"),
        (dict(activation="swish"), "unknown activation 'swish'"),
        (dict(keep_prob=1.5), "keep_prob is 1.5"),
        (dict(dtype="float16"), "dtype is 'float16'"),
    ],
)
def test_bad_hyperparameters_are_named_at_fit(params, message):
    X, y = make_blobs(20, centers=2, random_state=0)
    clf = NeuralNetClassifier(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_one_class_is_refused():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="at least 2 classes; got one class, 'a'"):
        NeuralNetClassifier().fit(X, ["a"] * 6)
    with pytest.raises(ValueError, match="non-zero weight"):
        NeuralNetClassifier().fit(X, ["a", "b"] * 3, sample_weight=[1, 0] * 3)


# ---- inside scikit-learn's tools -------------------------------------------------------------------


def test_pipeline_cross_val_score_and_grid_search(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), NeuralNetClassifier((8,), epochs=40, learning_rate=0.01, random_state=0))
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    assert scores.shape == (3,) and scores.mean() > 0.85

    grid = GridSearchCV(
        pipe, {"neuralnetclassifier__hidden_layer_sizes": [(2,), (8,)], "neuralnetclassifier__lambd": [0.0, 0.5]}, cv=cv
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {"neuralnetclassifier__hidden_layer_sizes", "neuralnetclassifier__lambd"}
    assert grid.best_estimator_.score(X, y) > 0.85
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    fitted = grid.best_estimator_[-1]
    assert fitted.network_.layer_dims[1] == grid.best_params_["neuralnetclassifier__hidden_layer_sizes"][0]
    assert clone(fitted).get_params() == fitted.get_params()


def test_regressor_in_a_grid_search():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    y = X[:, 0] * 3 - X[:, 1]
    grid = GridSearchCV(NeuralNetRegressor((), epochs=60, random_state=0), {"learning_rate": [1e-4, 0.05]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_ == {"learning_rate": 0.05} and grid.best_score_ > 0.95


def test_an_interrupted_fit_keeps_its_state_and_stops_the_caller(monkeypatch):
    import signal

    from layerwise.training import Trainer

    end_epoch = Trainer._end_epoch

    def end_epoch_then_sigterm(trainer, cost):
        end_epoch(trainer, cost)
        if trainer.epoch == 2:
            signal.raise_signal(signal.SIGTERM)  # caught by the trainer: stop after this step

    monkeypatch.setattr(Trainer, "_end_epoch", end_epoch_then_sigterm)
    X, y = make_blobs(40, centers=2, random_state=0)
    clf = NeuralNetClassifier((4,), epochs=50)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        cross_val_score(clf, X, y, cv=2)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert clf.n_iter_ == 2 and clf.history_.status == "interrupted"
    assert clf.predict(X).shape == (40,)
