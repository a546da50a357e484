"""Real data sets, each beside a scikit-learn model trained on the same split (seeds fixed).

The figures are recorded in the README (section "On real data"). Thresholds leave a margin of at least
one test example below what was measured, so that a different BLAS does not flip them.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the data sets and the reference models come with scikit-learn")

from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from layerwise.sklearn import NeuralNetClassifier, NeuralNetRegressor


def split(X, y, stratify=True):
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y if stratify else None)


def test_digits_softmax_network_with_adam():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = split(X / 16.0, y)  # pixels 0..16 -> [0, 1]
    clf = NeuralNetClassifier((64,), optimizer="adam", batch_size=32, epochs=60, random_state=0).fit(X_train, y_train)
    assert clf.network_.layer_dims == [64, 64, 10] and clf.network_.activations[-1].name == "softmax"
    accuracy = clf.score(X_test, y_test)  # measured 0.9778 (seeds 0..4: 0.9778 to 0.9844)
    reference = LogisticRegression(max_iter=2000).fit(X_train, y_train).score(X_test, y_test)  # 0.9689
    assert accuracy >= 0.97
    assert accuracy >= reference


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # MLPClassifier's 200 iterations
def test_breast_cancer_at_least_mlp_classifier_defaults():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = split(X, y)
    scaler = StandardScaler().fit(X_train)  # statistics of the training set only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    clf = NeuralNetClassifier((16, 8), batch_size=32, epochs=100, lambd=3.0, random_state=0).fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)  # measured 0.9580 (137 / 143; the same for seeds 0..7)
    reference = MLPClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test)  # measured 0.9510
    assert accuracy >= reference


def test_diabetes_regression_close_to_least_squares():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = split(X, y, stratify=False)
    net = NeuralNetRegressor((8,), activation="tanh", init="xavier", learning_rate=0.003, epochs=300, lambd=20.0,
                             random_state=0)  # fmt: skip
    model = TransformedTargetRegressor(make_pipeline(StandardScaler(), net), transformer=StandardScaler())
    r2 = model.fit(X_train, y_train).score(X_test, y_test)  # measured 0.3788 (seeds 0..4: 0.378 to 0.381)
    reference = make_pipeline(StandardScaler(), LinearRegression()).fit(X_train, y_train).score(X_test, y_test)
    assert reference == pytest.approx(0.3594, abs=1e-3)
    assert r2 >= reference - 0.02
    assert np.isfinite(model.predict(X_test)).all()
