"""The drop-ins ``layerwise.sklearn.MLPClassifier`` / ``MLPRegressor``: scikit-learn's own MLP
tests run on them, scikit-learn's estimator checks, step-by-step agreement with scikit-learn's
MLP from the same initial weights, and what layerwise adds on top."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="layerwise.sklearn needs scikit-learn: pip install layerwise[sklearn]")

from scipy import sparse
from sklearn import neural_network as sk
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from layerwise.callbacks import DivergenceError
from layerwise.sklearn import MLPClassifier, MLPRegressor

# These networks are tiny: BLAS threads gain nothing on them, and on a busy machine their
# spinning makes each product many times slower (for scikit-learn's MLP as for this one).
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield

# ---- scikit-learn's own test file, with its import line rewritten ---------------------------

SKLEARN_TESTS = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"

# Tests of that file expected to fail here, by name, with the reason. None is: the tests that
# reach into scikit-learn's private state (test_fit sets coefs_ and private counters by hand,
# test_gradient calls _loss_grad_lbfgs, test_n_iter_no_change* read _no_improvement_count,
# test_learning_rate_warmstart and test_adaptive_learning_rate read _optimizer.learning_rate)
# find the same names here, and the messages they match are scikit-learn's.
EXPECTED_FAILURES: dict[str, str] = {}

# scikit-learn's conftest.py gives its tests a `global_random_seed` fixture (42 unless
# SKLEARN_TESTS_GLOBAL_RANDOM_SEED says otherwise); the copied file needs the same fixture.
CONFTEST = '''import os
import pytest


@pytest.fixture
def global_random_seed():
    return int(os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42").split("-")[0])
'''


def test_scikit_learns_mlp_tests_pass_on_the_drop_in(tmp_path):
    source = SKLEARN_TESTS.read_text()
    assert source.count(IMPORT) == 1, f"{SKLEARN_TESTS} no longer has the line {IMPORT!r}"
    (tmp_path / "test_mlp_on_layerwise.py").write_text(source.replace(IMPORT, "from layerwise.sklearn import MLPClassifier, MLPRegressor"))
    (tmp_path / "conftest.py").write_text(CONFTEST)
    report = tmp_path / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "test_mlp_on_layerwise.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, env={**os.environ, **ONE_THREAD},
    )  # fmt: skip
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[case.get("name")] = kinds.pop() if kinds else "passed"
    assert len(outcomes) >= 59, run.stdout[-3000:]  # scikit-learn 1.9's file has 59 tests
    assert not [name for name, kind in outcomes.items() if kind == "skipped"], "no test may be skipped"
    failed = {name for name, kind in outcomes.items() if kind != "passed"}
    assert failed == set(EXPECTED_FAILURES), run.stdout[-6000:]


# ---- scikit-learn's estimator checks -------------------------------------------------------------

SMALL = dict(hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.01, random_state=0)


@parametrize_with_checks([MLPClassifier(**SMALL), MLPRegressor(**SMALL), MLPClassifier(**SMALL, solver="lbfgs")])
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ---- step by step against scikit-learn's MLP, from the same initial weights ----------------------


@pytest.fixture(scope="module")
def digits3():
    X, y = load_digits(n_class=3, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:120]), y[:120]


STEP_SOLVERS = {
    "sgd": dict(solver="sgd", momentum=0.0),
    "momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
    "nesterov": dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
    "adam": dict(solver="adam"),
}


def assert_same_parameters(ours, theirs, rtol=1e-10):
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("solver", STEP_SOLVERS)
@pytest.mark.parametrize("task", ["multiclass", "binary"])
def test_each_step_matches_scikit_learn(solver, task, digits3):
    """Full batch, no shuffle: after every update the loss curve (whose first entry is the cost at
    the initial weights, drawn from the same random_state) and every coefficient agree."""
    X, y = digits3
    if task == "binary":
        y = y == 1
    kwargs = dict(hidden_layer_sizes=(6, 4), activation="tanh", alpha=1e-3, batch_size=len(X), shuffle=False,
                  learning_rate_init=0.1, random_state=4, **STEP_SOLVERS[solver])  # fmt: skip
    ours, theirs = MLPClassifier(**kwargs), sk.MLPClassifier(**kwargs)
    for _ in range(6):
        ours.partial_fit(X, y, classes=np.unique(y))
        theirs.partial_fit(X, y, classes=np.unique(y))
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
        assert_same_parameters(ours, theirs)
    assert ours.t_ == theirs.t_ == 6 * len(X) and ours.n_iter_ == theirs.n_iter_ == 1


@pytest.mark.parametrize("max_iter", [1, 4, 15])
def test_lbfgs_iterations_match_scikit_learn(max_iter, digits3):
    X, y = digits3
    kwargs = dict(solver="lbfgs", hidden_layer_sizes=(6,), activation="logistic", alpha=1e-3, max_iter=max_iter,
                  random_state=2)  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        ours = MLPClassifier(**kwargs).fit(X, y)
        theirs = sk.MLPClassifier(**kwargs).fit(X, y)
    assert sum(issubclass(w.category, ConvergenceWarning) for w in caught) == 2  # one each: max_iter reached
    assert ours.n_iter_ == theirs.n_iter_ == max_iter
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    assert_same_parameters(ours, theirs, rtol=1e-7)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5, power_t=0.3),
        dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, tol=0.05, n_iter_no_change=2),
        dict(solver="adam", early_stopping=True, validation_fraction=0.2, tol=0.01, n_iter_no_change=3),
        dict(solver="sgd", early_stopping=True, learning_rate_init=0.2, tol=1e-3),
        dict(solver="adam", tol=1e-2, n_iter_no_change=3, batch_size=32),
    ],
    ids=["invscaling", "adaptive", "adam-early-stopping", "sgd-early-stopping", "adam-tol"],
)
def test_whole_fits_with_shuffling_schedules_and_stopping_rules_match(params, digits3):
    X, y = digits3
    kwargs = dict(hidden_layer_sizes=(10,), max_iter=80, random_state=1, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPClassifier(**kwargs).fit(X, y), sk.MLPClassifier(**kwargs).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 80 or params.get("learning_rate") == "invscaling"
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    if params["solver"] == "sgd":  # the rate the schedule reached (scikit-learn's Adam keeps its corrected rate there)
        assert ours._optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate, rel=1e-12)
    for name in ("best_loss_", "validation_scores_", "best_validation_score_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a == b if b is None else a == pytest.approx(b, rel=1e-12)
    assert_same_parameters(ours, theirs, rtol=1e-8)


def test_regressor_multilabel_poisson_and_sparse_match_scikit_learn():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for loss, target in (("squared_error", X[:, :2] @ [1.0, -0.5]), ("poisson", np.round(np.exp(X[:, 0])))):
        kwargs = dict(loss=loss, hidden_layer_sizes=(5,), max_iter=40, random_state=0, learning_rate_init=0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ours, theirs = MLPRegressor(**kwargs).fit(X, target), sk.MLPRegressor(**kwargs).fit(X, target)
        assert ours.out_activation_ == theirs.out_activation_
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)
    Xm, Ym = make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0, solver="sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours, theirs = MLPClassifier(**kwargs).fit(Xm, Ym), sk.MLPClassifier(**kwargs).fit(Xm, Ym)
        np.testing.assert_allclose(ours.predict_proba(Xm), theirs.predict_proba(Xm), rtol=1e-9)
        np.testing.assert_array_equal(ours.predict(Xm), theirs.predict(Xm))
        Xs = sparse.csr_matrix(np.where(Xm > 2, Xm, 0.0))
        ours, theirs = MLPClassifier(**kwargs).fit(Xs, Ym), sk.MLPClassifier(**kwargs).fit(Xs, Ym)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(Xs), theirs.predict_proba(Xs), rtol=1e-9)


# ---- on top of scikit-learn's ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_dropout_is_seeded_and_off_by_default(cancer):
    X, y = cancer
    kwargs = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier(keep_prob=0.7, **kwargs).fit(X, y)
        b = MLPClassifier(keep_prob=0.7, **kwargs).fit(X, y)
        plain = MLPClassifier(**kwargs).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_ and a.loss_curve_ != plain.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="keep_prob"):
        MLPClassifier(keep_prob=1.5).fit(X, y)


def test_class_weight_is_the_sample_weight_it_stands_for(cancer):
    X, y = cancer
    kwargs = dict(hidden_layer_sizes=(6,), max_iter=8, batch_size=600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPClassifier(class_weight={0: 3.0, 1: 1.0}, **kwargs).fit(X, y)
        b = MLPClassifier(**kwargs).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
        c = sk.MLPClassifier(**kwargs).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(b.loss_curve_, c.loss_curve_, rtol=1e-10)  # full batch: scikit-learn's weighting
    with pytest.raises(ValueError, match="balanced"):
        MLPClassifier(class_weight="balanced", solver="sgd").partial_fit(X, y, classes=[0, 1])


def test_per_layer_and_layerwise_activations_and_float32_end_to_end(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((8, 4), activation=["tanh", "leaky_relu:0.1"], max_iter=20, learning_rate_init=0.01,
                            random_state=0).fit(X, y)  # fmt: skip
        f32 = MLPClassifier((8,), dtype="float32", max_iter=20, random_state=0).fit(X, y)  # X is float64
        f64 = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    assert [a.spec for a in clf.network_.activations] == ["tanh", "leaky_relu:0.1", "sigmoid"]
    assert clf.score(X, y) > 0.9
    assert all(c.dtype == np.float32 for c in f32.coefs_ + f32.intercepts_)
    assert f32.predict_proba(X).dtype == np.float32
    np.testing.assert_allclose(f32.predict_proba(X), f64.predict_proba(X), atol=1e-3)


def test_divergence_finishes_like_scikit_learn_or_is_diagnosed_on_request():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)) * 1e3, rng.normal(size=40) * 1e3
    kwargs = dict(solver="sgd", learning_rate_init=10.0, max_iter=30, random_state=0, activation="identity")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
            MLPRegressor(**kwargs).fit(X, y)
        reg = MLPRegressor(**kwargs, diagnose_divergence=True)
        with pytest.raises(DivergenceError, match=r"training diverged at iteration \d+ \(epoch \d+\): .* non-finite"):
            reg.fit(X, y)
    assert all(np.isfinite(c).all() for c in reg.network_.parameters.values())  # the last finite parameters


def test_course_and_drop_in_share_the_engine(cancer):
    """The course-named estimator with scikit-learn's optimizer and init is the same fit."""
    from layerwise.sklearn import NeuralNetClassifier

    X, y = cancer
    clf = NeuralNetClassifier((5,), optimizer="lbfgs", epochs=20, lambd=0.0, random_state=0).fit(X, y)
    assert clf.n_iter_ == 20 and clf.coefs_[0].shape == (30, 5) and clf.score(X, y) > 0.95
    np.testing.assert_array_equal(clf.coefs_[0], clf.network_.parameters["W1"].T)
    np.testing.assert_array_equal(clf.model_.predict(X.T)[0], clf.predict(X))  # the same Model for both families


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_ctrl_c_warns_as_scikit_learn_and_sigterm_stops_the_caller(signum, monkeypatch, cancer):
    import signal

    from layerwise.training import Trainer

    end_epoch = Trainer._end_epoch

    def end_epoch_then_signal(trainer, cost):
        end_epoch(trainer, cost)
        if trainer.epoch == 2:
            signal.raise_signal(getattr(signal, signum))  # caught by the trainer: stop after this step

    monkeypatch.setattr(Trainer, "_end_epoch", end_epoch_then_signal)
    X, y = cancer
    clf = MLPClassifier((4,), max_iter=50, random_state=0)
    if signum == "SIGINT":
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            clf.fit(X, y)
    else:
        with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
            clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2 and clf.predict(X).shape == (569,)


# ---- the fitted estimator as a layerwise model file ----------------------------------------------


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_model_is_saved_without_pickle_and_predicts_raw_rows_as_the_estimator(Estimator, tmp_path, cancer):
    import layerwise as lw

    pd = pytest.importorskip("pandas", reason="rows with column names come in as a DataFrame")
    X, y = cancer
    names = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    labels = np.array(["benign", "malignant"])[y] if Estimator is MLPClassifier else X[:, 0] * 2 - X[:, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(df, labels)
    path = tmp_path / "model.npz"
    lw.save(est.model_, path)
    loaded = lw.load(path)
    assert loaded.features == names
    expected = est.predict(df)
    if Estimator is MLPClassifier:
        np.testing.assert_array_equal(loaded.predict(df), expected)  # rows in, rows out
        np.testing.assert_array_equal(loaded.predict(X.T)[0], expected)  # or the course's columns
        np.testing.assert_allclose(loaded.predict_proba(df), est.predict_proba(df), rtol=1e-12)
    else:
        np.testing.assert_allclose(loaded.predict(df), expected, rtol=1e-12)
        np.testing.assert_allclose(loaded.predict(X.T)[0], expected, rtol=1e-12)
    with np.load(path, allow_pickle=False) as archive:  # layerwise's format: plain arrays and JSON
        assert "W1" in archive.files


def test_non_finite_or_non_numeric_regression_targets_are_refused_by_name():
    X = np.arange(12.0).reshape(6, 2)
    from layerwise.sklearn import NeuralNetRegressor

    for Estimator in (MLPRegressor, NeuralNetRegressor):
        with pytest.raises(ValueError, match="NaN or infinity"):
            Estimator().fit(X, np.array(["nan", "0.0", "1", "2", "3", "4"]))
        with pytest.raises(ValueError, match="not numbers"):
            Estimator().fit(X, np.array(["a", "0.0", "1", "2", "3", "4"]))
