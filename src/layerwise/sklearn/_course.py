"""``NeuralNetClassifier`` and ``NeuralNetRegressor``: the course's vocabulary on scikit-learn's API.

The hyperparameters keep the engine's names (``lambd``, ``keep_prob``, ``epochs``, ``optimizer``,
``init``); ``warm_start`` and ``partial_fit`` continue exactly where the last call stopped (the
optimizer's state, the generator, the epoch count ``n_iter_``).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state

from .._checks import check_positive_float, check_positive_int
from ..callbacks import EarlyStopping, PrintCost
from ..optimizers import get_optimizer
from ._base import _ClassifierTargets, _Net, _Recipe, _RegressorTargets, hidden_activations, hidden_sizes, store_params


class _CourseNet(_Net):
    """The course-named hyperparameters, turned into a ``_Recipe``."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (100,),
        *,
        activation: str | Sequence[str] = "relu",
        init: str = "he",
        optimizer="adam",
        learning_rate=None,
        batch_size: int | None = 200,
        epochs: int = 200,
        lambd: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state=None,
        warm_start: bool = False,
        dtype=None,
        verbose: bool | int = False,
    ):
        store_params(self, locals())

    def _seed(self) -> int:
        """An int seed for the network: ``random_state`` itself when it is one, else drawn from it."""
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

    def _recipe(self, first, incremental, n_outputs):
        validate = self.early_stopping and not incremental  # partial_fit never holds out a validation set
        if self.early_stopping:
            check_positive_int("patience", self.patience)
            f = self.validation_fraction
            if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f < 1:
                raise ValueError(f"validation_fraction is {f!r}; expected a fraction in (0, 1)")
        sizes = hidden_sizes(self.hidden_layer_sizes)
        lbfgs = isinstance(self.optimizer, str) and self.optimizer == "lbfgs"
        seed = self._seed() if first else None
        every = self.verbose
        return _Recipe(
            hidden=sizes,
            activations=hidden_activations(self.activation, len(sizes), {}),
            solver="lbfgs" if lbfgs else "stochastic",
            epochs=check_positive_int("epochs", self.epochs),
            batch_size=check_positive_int("batch_size", self.batch_size, allow_none=True),
            lambd=check_positive_float("lambd", self.lambd, allow_zero=True),
            keep_prob=self.keep_prob,
            new_optimizer=None if lbfgs or not (first or not hasattr(self, "_optimizer"))
            else lambda: get_optimizer(copy.deepcopy(self.optimizer), self.learning_rate),
            init=self.init,
            seed=seed,
            shuffle=True,
            validation_fraction=self.validation_fraction if validate else None,
            stratify=isinstance(self, ClassifierMixin) and self._label_binarizer.y_type_ != "multilabel-indicator",
            split_random_state=None,  # layerwise's split, from the network's generator
            stopping=(lambda: EarlyStopping(self.patience, monitor="val_cost")) if validate else None,
            verbose=PrintCost(100 if every is True else check_positive_int("verbose", every)) if every else None,
        )


class NeuralNetClassifier(_ClassifierTargets, ClassifierMixin, _CourseNet):
    """A fully connected network classifier for rows ``X: (n_samples, n_features)``.

    Two classes: one sigmoid output unit with binary cross-entropy; more: one softmax unit
    per class with categorical cross-entropy; multilabel indicators: one sigmoid unit per label.
    Labels may be of any type (strings too): ``classes_`` holds them sorted.

    Arguments (all stored as given; checked at ``fit``):
        hidden_layer_sizes: units of each hidden layer, ``()`` for logistic regression.
        activation: of the hidden layers: a name ("relu", "tanh", "leaky_relu:0.2", ...) or
            one per hidden layer. init: "he", "xavier", "small_random" or "zeros".
        optimizer: "gd", "momentum", "sgd", "rmsprop", "adam", an ``Optimizer`` (copied at fit),
            or "lbfgs" (SciPy's L-BFGS-B on the full batch, ``epochs`` its iterations).
        learning_rate: a number, a schedule, or None for the optimizer's default.
        batch_size: examples per mini-batch (the last one partial), None for the full batch.
        epochs: passes over the data per ``fit``. lambd: L2 strength (the course's lambda).
        keep_prob: inverted dropout on the hidden layers, one value or one per layer.
        early_stopping: hold out ``validation_fraction`` (stratified) and stop after
            ``patience`` epochs without a lower validation cost, restoring the best parameters.
        class_weight: {label: weight} or "balanced". random_state: seeds the initial weights,
            the shuffling, the dropout masks and the split. warm_start: ``fit`` goes on from the
            current parameters and optimizer state. dtype: None (float32 if X is float32, else
            float64), "float32" or "float64". verbose: True (every 100 epochs) or every N epochs.

    Fitted attributes: ``classes_``, ``network_`` (the ``Network``), ``history_`` (of the last
    call), ``loss_curve_``, ``validation_loss_curve_`` and ``validation_scores_`` (None without
    early stopping), ``n_iter_`` (every epoch so far), ``coefs_`` / ``intercepts_`` (views of
    ``W.T`` and ``b``), ``n_features_in_``, ``feature_names_in_`` (named columns).
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (100,),
        *,
        activation: str | Sequence[str] = "relu",
        init: str = "he",
        optimizer="adam",
        learning_rate=None,
        batch_size: int | None = 200,
        epochs: int = 200,
        lambd: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        class_weight: dict | str | None = None,
        random_state=None,
        warm_start: bool = False,
        dtype=None,
        verbose: bool | int = False,
    ):
        store_params(self, locals())

    def _check_targets(self, y, w, incremental):
        if incremental or y.ndim == 2:
            return
        weighted = y if w is None else y[w > 0]
        if np.unique(weighted).size == 1:
            raise ValueError(
                f"{type(self).__name__} needs examples of at least 2 classes; got one class, "
                f"{weighted[:1].tolist()[0]!r}" + ("" if w is None else " (among the examples of non-zero weight)")
            )

    def fit(self, X, y, sample_weight=None):
        """Train on ``X: (n_samples, n_features)``, ``y: (n_samples,)`` for ``epochs`` epochs;
        with ``warm_start`` from the current parameters."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``X, y``; the first call needs ``classes`` (every label that will appear)."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class NeuralNetRegressor(_RegressorTargets, RegressorMixin, _CourseNet):
    """A fully connected network regressor: linear output units, mean squared error.

    ``y: (n_samples,)`` or ``(n_samples, n_outputs)``; ``predict`` returns ``(n_samples,)``
    when there is one output. The arguments and fitted attributes are those of
    ``NeuralNetClassifier`` without the class ones (``n_outputs_`` instead of ``classes_``).
    Scale the targets (and the features) for the default learning rates to suit them.
    """

    def fit(self, X, y, sample_weight=None):
        """Train on ``X: (n_samples, n_features)``, ``y: (n_samples,)`` or ``(n_samples, n_outputs)``."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``X, y`` from the current parameters (the first call builds the network)."""
        return self._fit(X, y, sample_weight, incremental=True)
