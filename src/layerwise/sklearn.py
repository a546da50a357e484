"""scikit-learn estimators over ``Network``: ``NeuralNetClassifier`` and ``NeuralNetRegressor``.

scikit-learn puts examples in ROWS, ``X: (n_samples, n_features)``; layerwise puts them in
columns. The estimators validate ``X`` once with scikit-learn's ``validate_data`` (which
keeps float32 and float64 arrays as they are) and hand the view ``X.T: (n_features,
n_samples)`` to the network, whose ``check_X`` makes it C-contiguous in the network's dtype:
that is the one copy of the data. The labels become ``Y: (1, m)`` (class indices) or
``(n_outputs, m)`` (regression targets).

Training is ``Network.fit`` itself: mini-batches, the optimizer and its schedule, L2,
dropout, sample and class weights, the validation split and early stopping all come from
the engine, with the same names (``lambd``, ``keep_prob``, ``batch_size``, ``epochs``).
Needs scikit-learn (``pip install layerwise[sklearn]``).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Sequence

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("layerwise.sklearn needs scikit-learn: pip install layerwise[sklearn]") from exc

from ._checks import check_positive_int
from .network import Network
from .optimizers import get_optimizer

#: dtypes that ``validate_data`` leaves alone; anything else numeric becomes float64.
_FLOATS = [np.float64, np.float32]


class _NeuralNet(BaseEstimator):
    """What the classifier and the regressor share: hyperparameters, building, training."""

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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.lambd = lambd
        self.keep_prob = keep_prob
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.warm_start = warm_start
        self.dtype = dtype
        self.verbose = verbose

    # ---- hooks for the subclasses --------------------------------------------------------

    _y_checks: dict = {}  # what validate_data is told about y

    def _targets(self, y, first: bool, incremental: bool, classes=None) -> np.ndarray:
        """Validated ``y`` as the network's ``Y: (n_y, m)``; sets the target attributes when ``first``."""
        raise NotImplementedError

    def _output_layer(self) -> tuple[int, str]:
        """(units, activation) of the output layer, from the fitted target attributes."""
        raise NotImplementedError

    def _class_weight(self, incremental: bool):
        return None

    def _check_two_classes(self, Y: np.ndarray, w: np.ndarray | None) -> None:
        """Classification only: at least two classes among the examples of non-zero weight."""

    # ---- checking and building -----------------------------------------------------------

    def _check_hyperparameters(self) -> tuple[list[int], list[str]]:
        """The estimator's own hyperparameters, checked here; the rest (init, optimizer,
        learning_rate, batch_size, epochs, lambd, keep_prob, class_weight, dtype) are checked
        by ``Network`` and ``Network.fit`` under the same names.

        Returns: the hidden layer sizes and their activations.
        """
        if self.early_stopping:
            check_positive_int("patience", self.patience)
            f = self.validation_fraction
            if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f < 1:
                raise ValueError(f"validation_fraction is {f!r}; expected a fraction in (0, 1)")
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
            raise ValueError(f"hidden_layer_sizes is {sizes!r}; expected a tuple of layer sizes like (100,) or ()")
        sizes = list(sizes)
        if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes):
            raise ValueError(f"hidden_layer_sizes is {self.hidden_layer_sizes!r}; every size must be a positive integer")
        hidden = self.activation
        if isinstance(hidden, str):
            hidden = [hidden] * len(sizes)
        elif not isinstance(hidden, Sequence) or len(hidden) != len(sizes):
            raise ValueError(
                f"activation is {self.activation!r}; expected a name or one name per hidden layer ({len(sizes)})"
            )
        return [int(n) for n in sizes], list(hidden)

    def _seed(self) -> int:
        """An int seed for the network: ``random_state`` itself when it is one, else drawn from it."""
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

    # ---- training ------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, *, incremental: bool, classes=None):
        """Validate, build the network unless continuing, and train: ``epochs`` epochs, or one
        for ``partial_fit`` (which never holds out a validation set)."""
        sizes, hidden = self._check_hyperparameters()
        first = not hasattr(self, "network_") or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=first, dtype=_FLOATS, **self._y_checks)
        Y = self._targets(y, first, incremental, classes)
        dtype = self.dtype if self.dtype is not None else X.dtype
        w = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True).reshape(1, -1)
        if not incremental:
            self._check_two_classes(Y, w)
        if first:
            n_y, output = self._output_layer()
            self.network_ = Network(
                [X.shape[1], *sizes, n_y], activations=[*hidden, output], init=self.init, seed=self._seed(), dtype=dtype
            )
            self._optimizer = get_optimizer(copy.deepcopy(self.optimizer), self.learning_rate)
            self.loss_curve_ = []
            self.validation_loss_curve_ = [] if self.early_stopping and not incremental else None
            self.validation_scores_ = [] if self.early_stopping and not incremental else None
        validate = self.early_stopping and not incremental
        net = self.network_
        history = net.fit(
            X.T, Y, epochs=1 if incremental else self.epochs, optimizer=self._optimizer, batch_size=self.batch_size,
            lambd=self.lambd, keep_prob=self.keep_prob, sample_weight=w, class_weight=self._class_weight(incremental),
            validation_split=self.validation_fraction if validate else None,
            early_stopping=self.patience if validate else None, print_cost=self.verbose,
        )  # fmt: skip
        net.trainer_ = None  # the trainer holds the training data; the estimator keeps what it needs
        self.history_ = history
        self.loss_curve_ += history.costs
        if validate:
            self.validation_loss_curve_ = (self.validation_loss_curve_ or []) + history.val_costs
            self.validation_scores_ = (self.validation_scores_ or []) + history.val_metrics
        self.n_iter_ = len(self.loss_curve_)
        if history.status == "interrupted":
            # Ctrl-C or SIGTERM: the engine stopped cleanly after a step and this estimator holds
            # that state; stop the caller too (a grid search would otherwise go on to its next fit).
            raise KeyboardInterrupt(history.message)
        return self

    def fit(self, X, y, sample_weight=None):
        """Train on ``X: (n_samples, n_features)``, ``y: (n_samples,)`` (or ``(n_samples, n_outputs)``
        for regression) for ``epochs`` epochs; with ``warm_start`` from the current parameters."""
        return self._fit(X, y, sample_weight, incremental=False)

    def _output(self, X) -> np.ndarray:
        """The network's output for rows ``X``: ``AL: (n_y, n_samples)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        return self.network_.predict_proba(X.T)


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """A fully connected network classifier for rows ``X: (n_samples, n_features)``.

    Two classes: one sigmoid output unit with binary cross-entropy; more: one softmax unit
    per class with categorical cross-entropy. Labels may be of any type (strings too):
    ``classes_`` holds them sorted and the network learns their indices.

    Arguments (all stored as given; checked at ``fit``):
        hidden_layer_sizes: units of each hidden layer, ``()`` for logistic regression.
        activation: of the hidden layers: a name ("relu", "tanh", "leaky_relu:0.2", ...) or
            one per hidden layer. init: "he", "xavier", "small_random" or "zeros".
        optimizer: "gd", "momentum", "rmsprop", "adam" or an ``Optimizer`` (copied at fit).
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
    early stopping), ``n_iter_``, ``n_features_in_``, ``feature_names_in_`` (named columns).
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
        super().__init__(
            hidden_layer_sizes, activation=activation, init=init, optimizer=optimizer, learning_rate=learning_rate,
            batch_size=batch_size, epochs=epochs, lambd=lambd, keep_prob=keep_prob, early_stopping=early_stopping,
            validation_fraction=validation_fraction, patience=patience, random_state=random_state,
            warm_start=warm_start, dtype=dtype, verbose=verbose,
        )  # fmt: skip
        self.class_weight = class_weight

    def _targets(self, y, first, incremental, classes=None):
        check_classification_targets(y)
        if incremental:
            _check_partial_fit_first_call(self, classes)  # sets classes_ on the first call
        elif first:
            self.classes_ = np.unique(y)
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels {unknown.tolist()} not in classes_ {self.classes_.tolist()}")
        return np.searchsorted(self.classes_, y).reshape(1, -1)

    def _check_two_classes(self, Y, w):
        weighted = Y[0] if w is None else Y[0][w[0] > 0]
        if np.unique(weighted).size == 1:
            raise ValueError(
                f"{type(self).__name__} needs examples of at least 2 classes; got one class, "
                f"{self.classes_[weighted[:1]].tolist()[0]!r}" + ("" if w is None else " (among the examples of non-zero weight)")
            )

    def _output_layer(self):
        n_classes = len(self.classes_)
        return (1, "sigmoid") if n_classes == 2 else (n_classes, "softmax")

    def _class_weight(self, incremental):
        cw = self.class_weight
        if cw is None:
            return None
        if isinstance(cw, str) and cw == "balanced":
            if incremental:
                raise ValueError("class_weight='balanced' needs all the labels at once: use fit, or give a dict")
            return cw
        if isinstance(cw, dict):
            index = {label: i for i, label in enumerate(self.classes_.tolist())}
            unknown = [k for k in cw if k not in index]
            if unknown:
                raise ValueError(f"class_weight has labels {unknown}; expected keys among classes_ {list(index)}")
            return {index[k]: v for k, v in cw.items()}
        raise ValueError(f"class_weight is {cw!r}; expected None, a dict {{label: weight}} or 'balanced'")

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``X, y``; the first call needs ``classes`` (every label that will appear)."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X) -> np.ndarray:
        """``(n_samples, n_classes)`` class probabilities, columns in the order of ``classes_``."""
        AL = self._output(X)
        if AL.shape[0] == 1:
            return np.hstack([1 - AL.T, AL.T])
        return AL.T

    def predict(self, X) -> np.ndarray:
        """``(n_samples,)`` labels from ``classes_``: probability above 0.5 (two classes) or the most probable."""
        AL = self._output(X)
        return self.classes_[self.network_.output_to_prediction(AL)[0]]


class NeuralNetRegressor(RegressorMixin, _NeuralNet):
    """A fully connected network regressor: linear output units, mean squared error.

    ``y: (n_samples,)`` or ``(n_samples, n_outputs)``; ``predict`` returns ``(n_samples,)``
    when there is one output. The arguments and fitted attributes are those of
    ``NeuralNetClassifier`` without the class ones (``n_outputs_`` instead of ``classes_``).
    Scale the targets (and the features) for the default learning rates to suit them.
    """

    _y_checks: dict = {"y_numeric": True, "multi_output": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one linear output unit per target column
        return tags

    def _targets(self, y, first, incremental, classes=None):
        Y = y.reshape(1, -1) if y.ndim == 1 else y.T
        if first:
            self.n_outputs_ = Y.shape[0]
        elif Y.shape[0] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[0]} outputs; the network was fitted with {self.n_outputs_}")
        return Y

    def _output_layer(self):
        return self.n_outputs_, "linear"

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``X, y`` from the current parameters (the first call builds the network)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X) -> np.ndarray:
        """``(n_samples,)`` for one output, else ``(n_samples, n_outputs)``."""
        AL = self._output(X)
        return AL[0] if AL.shape[0] == 1 else AL.T
