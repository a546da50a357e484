"""What every layerwise estimator shares: rows in, the network's columns inside, one training path.

scikit-learn puts examples in ROWS, ``X: (n_samples, n_features)``; layerwise puts them in
columns. ``_fit`` validates ``X`` once with scikit-learn's ``validate_data`` (float32 and
float64 kept as they are, CSR/CSC sparse accepted) and gives the trainer ``X.T: (n_features,
n_samples)``, C-contiguous in the network's dtype (the one copy; a sparse ``X`` becomes CSC,
whose example slices are cheap). Labels become ``Y: (n_y, m)`` through a ``LabelBinarizer``
(binary: one row of 0/1; multiclass: one-hot; multilabel: one row per label), targets
``(n_outputs, m)``.

Training is the engine's: a ``Network`` (its blocks and losses), a ``training.Trainer`` with an
optimizer from ``layerwise.optimizers`` and callbacks from ``layerwise.callbacks``, or the
trainer's L-BFGS. The two families of estimators (``NeuralNet*``, the course's names, and
``MLP*``, scikit-learn's) differ only in how their hyperparameters become a ``_Recipe``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from .. import tasks
from ..blocks import is_sparse
from ..callbacks import EarlyStopping, History, PrintCost
from ..data.splits import split_indices
from ..network import Network
from ..optimizers import Optimizer
from ..training import Trainer

#: dtypes that ``validate_data`` leaves alone; anything else numeric becomes float64.
_FLOATS = [np.float64, np.float32]

#: scikit-learn's activation names -> layerwise's
ACTIVATION_NAMES = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_SKLEARN_NAMES = {v: k for k, v in ACTIVATION_NAMES.items()} | {"softmax": "softmax", "exp": "exp"}


@dataclass
class _Recipe:
    """One ``fit`` call, in the engine's terms (made by each family's ``_recipe``)."""

    hidden: list[int]  # units of the hidden layers
    activations: list[str]  # one per hidden layer, layerwise names
    solver: str  # "stochastic" (mini-batch steps of an optimizer) or "lbfgs"
    epochs: int  # max_iter / epochs
    batch_size: int | None  # None: the full batch
    lambd: float  # L2 strength (alpha)
    keep_prob: float | Sequence[float]
    new_optimizer: Callable[[], Optimizer] | None  # None: go on with the estimator's optimizer
    init: Callable[[list[int], np.dtype], dict] | str  # a layerwise init name, or a function of the layer sizes
    seed: int | None  # the network's seed (named init, shuffling and dropout generator)
    shuffle: bool | Callable  # Trainer's shuffle
    validation_fraction: float | None  # held out for early stopping (None: no validation set)
    stratify: bool  # split stratified by label
    split_random_state: object  # random_state of scikit-learn's split; None: layerwise's split from the network's rng
    stopping: Callable[[], EarlyStopping] | None  # a fresh stopping rule (kept across warm starts)
    verbose: PrintCost | None
    tol: float = 0.0  # lbfgs: gtol
    max_fun: int = 15000  # lbfgs
    guard: bool = True  # the divergence guard (stop and name the first non-finite quantity)
    n_iter_per_call: bool = False  # n_iter_ counts the last call's epochs (scikit-learn), else all
    convergence_warning: bool = False  # warn when max_iter epochs ran without the stopping rule firing
    batch_size_given: int | None = None  # the user's batch size, to warn when it exceeds the examples
    l2_per_weight: bool = False  # L2 divided by the total sample weight (scikit-learn), not the example count


class _Net(BaseEstimator):
    """The shared implementation; subclasses define ``_recipe`` and the target hooks."""

    # ---- hooks ------------------------------------------------------------------------------

    _y_checks: dict = {}  # what validate_data is told about y
    _interrupt_raises = True  # Ctrl-C: raise KeyboardInterrupt after keeping the state (else warn)

    def _recipe(self, first: bool, incremental: bool, n_outputs: int) -> _Recipe:
        raise NotImplementedError

    def _targets(self, y, first: bool, incremental: bool, classes=None) -> np.ndarray:
        """Validated ``y`` as rows ``(n_samples, n_y)``; sets the target attributes when ``first``."""
        raise NotImplementedError

    def _output_layer(self) -> tuple[str, str]:
        """(activation, loss) of the output layer, layerwise names, from the fitted target attributes."""
        raise NotImplementedError

    def _validation_score(self, AL: np.ndarray, Y: np.ndarray, w: np.ndarray | None) -> float:
        raise NotImplementedError

    def _sample_weight(self, y, w, incremental: bool):
        return w

    def _check_targets(self, y: np.ndarray, w: np.ndarray | None, incremental: bool) -> None:
        """Refuse targets the family cannot learn from (the course's estimators: one class)."""

    # ---- fitting ----------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, *, incremental: bool, classes=None):
        """Validate, build the network unless continuing, train (one epoch for ``partial_fit``), report."""
        first = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=first, dtype=_FLOATS, accept_sparse=["csr", "csc"], **self._y_checks)
        Y = self._targets(y, first, incremental, classes)
        w = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        w = self._sample_weight(y, w, incremental)
        self._check_targets(y, w, incremental)
        recipe = self._recipe(first, incremental, Y.shape[1])
        dtype = self.dtype if getattr(self, "dtype", None) is not None else X.dtype
        if first:
            self._initialize(X.shape[1], Y.shape[1], recipe, dtype)
        elif not hasattr(self, "network_"):  # coefs_ set by hand
            self._network_from_attributes(recipe, dtype)
        self._push_attributes()
        trainer = self._trainer(X, Y, w, recipe, first)
        history = trainer.history
        try:
            if recipe.solver == "lbfgs":
                self._run_lbfgs(trainer, recipe)
            else:
                self._run_stochastic(trainer, recipe, incremental)
        finally:
            self.history_ = history
            self._pull_attributes()
        if history.status == "interrupted":
            if self._interrupt_raises or "SIGTERM" in history.message:
                # Ctrl-C or SIGTERM: the engine stopped cleanly after a step and this estimator holds
                # that state; stop the caller too (a grid search would otherwise go on to its next fit).
                raise KeyboardInterrupt(history.message)
            warnings.warn("Training interrupted by user.", stacklevel=3)  # scikit-learn's answer to a Ctrl-C
        if not all(np.isfinite(p).all() for p in self.network_.parameters.values()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large values and need "
                "to be preprocessed (pass diagnose_divergence=True to stop at the first non-finite quantity, named)."
            )
        return self

    def _trainer(self, X, Y, w, recipe: _Recipe, first: bool) -> Trainer:
        """The engine's trainer for this call: data as columns (less the validation rows), the
        optimizer (new or going on), the stopping rule (kept across warm starts) and printing."""
        net = self.network_
        validation, w_val = None, None
        if recipe.validation_fraction is not None:
            X, X_val, Y, Y_val, w, w_val = _split(X, Y, w, recipe, net.rng)
            validation = (_columns(X_val, net.dtype), np.ascontiguousarray(Y_val.T, dtype=net.dtype))
        if recipe.batch_size_given is not None and recipe.batch_size_given > X.shape[0]:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                          stacklevel=4)  # fmt: skip
        lambd = recipe.lambd
        if recipe.l2_per_weight and w is not None and w.sum() > 0:
            lambd *= X.shape[0] / float(w.sum())  # the trainer's weights have mean 1: alpha / sum(w), as scikit-learn
        if recipe.new_optimizer is not None:
            self._optimizer = recipe.new_optimizer()
            self._optimizer.examples = self.t_  # a schedule in examples goes on (invscaling)
        callbacks = []
        if recipe.stopping is not None:
            if first or getattr(self, "_stopping", None) is None:
                self._stopping = recipe.stopping()
                if self._stopping.restore_best:  # as scikit-learn: the initial parameters until a best epoch
                    self._stopping.best_params = {k: v.copy() for k, v in net.parameters.items()}
            callbacks.append(self._stopping)
        if recipe.verbose is not None:
            callbacks.append(recipe.verbose)
        return Trainer(
            net, _columns(X, net.dtype), np.ascontiguousarray(Y.T, dtype=net.dtype),
            optimizer=getattr(self, "_optimizer", None), batch_size=recipe.batch_size, shuffle=recipe.shuffle,
            lambd=lambd, keep_probs=net._keep_probs(recipe.keep_prob),
            sample_weight=None if w is None else np.asarray(w, dtype=net.dtype).reshape(1, -1),
            validation_data=validation, callbacks=callbacks, rng=net.rng, history=History(metric=net.metric_name),
            score=lambda AL, Yv: self._validation_score(AL, Yv, w_val), guard=recipe.guard,
        )  # fmt: skip

    def _run_stochastic(self, trainer: Trainer, recipe: _Recipe, incremental: bool) -> None:
        history = trainer.history
        try:
            trainer.run(1 if incremental else recipe.epochs)
        finally:
            self._collect(history, trainer.m)
            self.n_iter_ = len(history.costs) if recipe.n_iter_per_call else len(self.loss_curve_)
        if recipe.convergence_warning and not incremental and history.status == "completed":
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({recipe.epochs}) reached and the optimization "
                "hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _run_lbfgs(self, trainer: Trainer, recipe: _Recipe) -> None:
        result = trainer.run_lbfgs(recipe.epochs, recipe.max_fun, recipe.tol)
        self.n_iter_ = min(int(result.nit), recipe.epochs)
        self.loss_ = float(result.fun)
        self.loss_curve_ = list(trainer.history.costs)  # one cost per L-BFGS iteration
        if result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status={result.status}): "
                f"{result.message}. Increase the number of iterations (max_iter) or scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _collect(self, history: History, n_train: int) -> None:
        """The stochastic solvers' fitted attributes, from the run's history and stopping rule."""
        self.loss_curve_ += history.costs
        self.t_ += n_train * len(history.costs)
        if history.costs:
            self.loss_ = history.costs[-1]
        if self.validation_scores_ is not None:
            self.validation_scores_ += [float(v) for v in history.val_metrics]
            self.validation_loss_curve_ += history.val_costs
        stopping = getattr(self, "_stopping", None)
        if stopping is not None:
            self._no_improvement_count = stopping.wait
            if stopping.monitor == "cost":
                self.best_loss_ = float(stopping.best)
            elif stopping.monitor == "val_metric":
                self.best_validation_score_ = float(-stopping.best)

    # ---- the network and the scikit-learn attributes ----------------------------------------

    def _initialize(self, n_features: int, n_outputs: int, recipe: _Recipe, dtype) -> None:
        """A new network (and fresh fitted attributes) for ``n_features`` inputs and ``n_outputs``."""
        out, loss = self._output_layer()
        dims = [n_features, *recipe.hidden, n_outputs]
        named = isinstance(recipe.init, str)
        net = Network(dims, activations=[*recipe.activations, out], loss=loss, init=recipe.init if named else "zeros",
                      seed=recipe.seed, dtype=dtype)  # fmt: skip
        if not named:
            net.set_parameters(recipe.init(dims, net.dtype))
        self.network_ = net
        self.out_activation_ = _SKLEARN_NAMES.get(out, out)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(dims)
        self.t_ = 0
        self.loss_curve_ = []
        self._stopping = None
        for name in ("_optimizer", "coefs_", "intercepts_", "_views"):
            self.__dict__.pop(name, None)
        validating = recipe.validation_fraction is not None
        self.validation_scores_ = [] if validating else None
        self.validation_loss_curve_ = [] if validating else None
        self.best_validation_score_ = -np.inf if validating else None
        self.best_loss_ = None if validating or recipe.solver == "lbfgs" else np.inf
        self._no_improvement_count = 0

    def _network_from_attributes(self, recipe: _Recipe, dtype) -> None:
        """A network holding the ``coefs_`` and ``intercepts_`` set by hand (scikit-learn allows it)."""
        dims = [self.coefs_[0].shape[0], *(np.shape(c)[1] for c in self.coefs_)]
        out, loss = self._output_layer()
        self.network_ = Network(dims, activations=[*recipe.activations, out], loss=loss, init="zeros", dtype=dtype)
        self._views = None
        for name, default in (("loss_curve_", []), ("t_", 0), ("validation_scores_", None),
                              ("validation_loss_curve_", None), ("best_validation_score_", None)):  # fmt: skip
            if not hasattr(self, name):
                setattr(self, name, default)

    def _push_attributes(self) -> None:
        """Copy ``coefs_`` / ``intercepts_`` into the network if they were replaced since the last fit."""
        views = getattr(self, "_views", None)
        coefs, intercepts = getattr(self, "coefs_", None), getattr(self, "intercepts_", None)
        if coefs is None or (views is not None and all(a is b for a, b in zip(views, [*coefs, *intercepts]))):
            return
        params = {}
        for l, (c, b) in enumerate(zip(coefs, intercepts), start=1):
            params[f"W{l}"] = np.asarray(c).T
            params[f"b{l}"] = np.asarray(b).reshape(-1, 1)
        self.network_.set_parameters(params)

    def _pull_attributes(self) -> None:
        """``coefs_[i]: (n_in, n_out)`` and ``intercepts_[i]: (n_out,)``: views of the network's ``W``, ``b``."""
        p, L = self.network_.parameters, len(self.network_.layer_dims) - 1
        self.coefs_ = [p[f"W{l}"].T for l in range(1, L + 1)]
        self.intercepts_ = [p[f"b{l}"][:, 0] for l in range(1, L + 1)]
        self._views = [*self.coefs_, *self.intercepts_]

    def _output(self, X) -> np.ndarray:
        """The network's output for rows ``X``: ``AL: (n_y, n_samples)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS, accept_sparse=["csr", "csc"])
        if not hasattr(self, "network_"):
            self._network_from_attributes(self._recipe(False, True, len(self.coefs_[-1][0])), X.dtype)
        self._push_attributes()  # coefs_ / intercepts_ replaced by hand since the last fit
        net = self.network_
        with np.errstate(all="ignore"):
            return net.forward(_columns(X, net.dtype), _checked=True)[0]

    @property
    def model_(self):
        """The fitted estimator as a layerwise ``Model``: the network with its feature names and
        class labels. ``layerwise.save(est.model_, path)`` writes it in layerwise's format (no
        pickle); ``layerwise.load(path)`` reads it back and predicts without scikit-learn, on
        columns ``(n_features, m)`` or on rows (a DataFrame, columns matched by name)."""
        check_is_fitted(self)
        from ..model import Model

        if getattr(self, "_label_binarizer", None) is not None and self._label_binarizer.y_type_.startswith("multilabel"):
            raise AttributeError("model_: a layerwise Model has no multilabel task; use network_ (one sigmoid unit per label)")
        self._push_attributes()
        names = getattr(self, "feature_names_in_", None)
        features = None if names is None else [str(n) for n in names]
        info = {"estimator": f"{type(self).__module__.split('._')[0]}.{type(self).__name__}"}
        return Model(self.network_, features=features, classes=getattr(self, "classes_", None), info=info)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC through the first layer's products
        return tags


# ---- helpers ---------------------------------------------------------------------------------


def _columns(X, dtype) -> np.ndarray:
    """Rows ``X: (m, n)`` as the network's columns ``(n, m)`` of ``dtype``: C-contiguous, or CSC if sparse."""
    if is_sparse(X):
        return X.T.tocsc().astype(dtype, copy=False)
    return np.ascontiguousarray(X.T, dtype=dtype)


def _split(X, Y, w, recipe: _Recipe, rng):
    """Hold out ``validation_fraction`` of the rows, stratified by label if asked: with
    scikit-learn's ``train_test_split`` from ``recipe.split_random_state`` (the drop-in, so that
    its fits repeat scikit-learn's), else with layerwise's one split, ``data.splits``, from ``rng``."""
    if recipe.split_random_state is None:
        m = X.shape[0]
        n_val = round(recipe.validation_fraction * m)
        if not 1 <= n_val < m:
            raise ValueError(f"validation_fraction={recipe.validation_fraction} leaves no examples on one side of {m}")
        labels = (Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]) if recipe.stratify else None
        val, train = split_indices(m, [n_val], labels, rng)
        pick = (lambda a, i: None if a is None else a[i])
        return X[train], X[val], Y[train], Y[val], pick(w, train), pick(w, val)
    stratify = Y if recipe.stratify else None
    arrays = (X, Y) if w is None else (X, Y, w)
    parts = train_test_split(*arrays, random_state=recipe.split_random_state, test_size=recipe.validation_fraction,
                             stratify=stratify)  # fmt: skip
    if w is None:
        parts += [None, None]
    X_train, X_val, Y_train, Y_val, w_train, w_val = parts
    if X_val.shape[0] < 2:
        raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your dataset.")
    return X_train, X_val, Y_train, Y_val, w_train, w_val


def store_params(estimator, params: dict) -> None:
    """``__init__``'s whole job: store every argument, as given (``params`` is its ``locals()``)."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def hidden_sizes(value) -> list[int]:
    """``hidden_layer_sizes`` as a list of positive ints: an int is one layer, ``()`` none."""
    sizes = value
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise ValueError(f"hidden_layer_sizes is {value!r}; expected a tuple of layer sizes like (100,) or ()")
    sizes = list(sizes)
    if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes):
        raise ValueError(f"hidden_layer_sizes is {value!r}; every size must be a positive integer")
    return [int(n) for n in sizes]


def hidden_activations(value, n_hidden: int, names: dict[str, str]) -> list[str]:
    """One layerwise activation name per hidden layer from a name or a list (``names`` translates)."""
    if isinstance(value, str):
        value = [value] * n_hidden
    elif not isinstance(value, (Sequence, np.ndarray)) or len(value) != n_hidden:
        raise ValueError(f"activation is {value!r}; expected a name or one name per hidden layer ({n_hidden})")
    return [names.get(a, a) if isinstance(a, str) else a for a in value]


class _ClassifierTargets:
    """Labels of any type, binary, multiclass or multilabel, through a ``LabelBinarizer``."""

    _y_checks: dict = {"multi_output": True}

    def _targets(self, y, first, incremental, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if incremental and _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer().fit(y if type_of_target(y).startswith("multilabel") else classes)
            self._check_labels(y, incremental)
        elif first:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            self._check_labels(y, incremental)
        return self._label_binarizer.transform(y).astype(bool)

    def _check_labels(self, y, incremental):
        """Labels of a warm start or a later ``partial_fit`` call, against ``classes_``."""
        labels = np.unique(y) if y.ndim == 1 else np.arange(y.shape[1])
        if self.warm_start and not incremental:
            if set(labels) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the previous call to fit. "
                    f"Previously got {self.classes_}, `y` has {labels}"
                )
        else:
            unknown = np.setdiff1d(labels, self.classes_)
            if unknown.size:
                raise ValueError(f"y has labels {unknown.tolist()} not in classes_ {self.classes_.tolist()}")

    def _output_layer(self):
        # binary: one sigmoid unit; multilabel: one per label, the binary output's activation and loss
        task = "multiclass" if self._label_binarizer.y_type_ == "multiclass" else "binary"
        return tasks.output_activation(task), tasks.default_loss(task)

    def _sample_weight(self, y, w, incremental):
        cw = getattr(self, "class_weight", None)
        if cw is None:
            return w
        if isinstance(cw, str) and cw == "balanced" and incremental:
            raise ValueError("class_weight='balanced' needs all the labels at once: use fit, or give a dict")
        if isinstance(cw, dict):
            unknown = [k for k in cw if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"class_weight has labels {unknown}; expected keys among classes_ {self.classes_.tolist()}")
        elif not (isinstance(cw, str) and cw == "balanced"):
            raise ValueError(f"class_weight is {cw!r}; expected None, a dict {{label: weight}} or 'balanced'")
        per_example = compute_sample_weight(cw, y)
        return per_example if w is None else w * per_example

    def _validation_score(self, AL, Y, w):
        lb = self._label_binarizer
        return accuracy_score(lb.inverse_transform(Y.T), lb.inverse_transform(AL.T), sample_weight=w)

    def predict_proba(self, X) -> np.ndarray:
        """``(n_samples, n_classes)`` class probabilities, columns in the order of ``classes_``
        (binary: ``[1 - p, p]``; multilabel: one independent probability per label)."""
        AL = self._output(X)
        if AL.shape[0] == 1:
            return np.hstack([1 - AL.T, AL.T])
        return np.ascontiguousarray(AL.T)

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))``."""
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(P, out=P)

    def predict(self, X) -> np.ndarray:
        """``(n_samples,)`` labels from ``classes_`` (probability above 0.5, or the most probable);
        multilabel: ``(n_samples, n_labels)`` indicators."""
        AL = self._output(X)
        return self._label_binarizer.inverse_transform(AL.T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class _RegressorTargets:
    """Real targets, one or several outputs."""

    _y_checks: dict = {"y_numeric": True, "multi_output": True}

    def _targets(self, y, first, incremental, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.dtype.kind not in "f":  # y_numeric lets strings through ("1.5", "nan")
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"y has dtype {y.dtype} with values that are not numbers; expected real targets") from None
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity; expected finite targets")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if first or not hasattr(self, "n_outputs_"):
            self.n_outputs_ = Y.shape[1]
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs; the network was fitted with {self.n_outputs_}")
        return Y

    def _output_layer(self):
        if getattr(self, "loss", None) == "poisson":
            return "exp", "poisson"  # counts: exp output, half the Poisson deviance
        return tasks.output_activation("regression"), tasks.default_loss("regression")

    def _validation_score(self, AL, Y, w):
        if not np.isfinite(AL).all():
            return float("nan")
        return r2_score(Y.T, AL.T, sample_weight=w)

    def predict(self, X) -> np.ndarray:
        """``(n_samples,)`` for one output, else ``(n_samples, n_outputs)``."""
        AL = self._output(X)
        return AL[0].copy() if AL.shape[0] == 1 else np.ascontiguousarray(AL.T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one output unit per target column
        return tags

