"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's MLP, parameter for parameter, on layerwise's engine.

Every constructor parameter of ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` has
its name, default and meaning here, and the fitted attributes, warnings and errors follow
scikit-learn's; the initial weights (Glorot uniform), the shuffling and the validation split
draw from ``random_state`` in scikit-learn's order, so a fit repeats scikit-learn's to rounding.
The translation:

- ``solver="sgd"``: ``optimizers.SGD`` (classical or Nesterov momentum), ``learning_rate``
  "constant", "invscaling" (``InverseScaling``, in examples seen) or "adaptive" (``Adaptive``);
  ``solver="adam"``: ``optimizers.Adam(corrected_rate=True)``; ``solver="lbfgs"``:
  ``Trainer.run_lbfgs`` (SciPy's L-BFGS-B on the flat parameter vector).
- ``alpha``: the L2 strength ``lambd`` (both add ``alpha / (2 m) ||W||^2`` per batch).
- ``tol`` / ``n_iter_no_change`` / ``early_stopping``: ``callbacks.EarlyStopping`` watching the
  training cost, or the validation score, with scikit-learn's non-strict rule.

On top, with defaults that change nothing: ``keep_prob`` (inverted dropout on the hidden
layers), ``class_weight`` (classifier), ``activation`` as one name per hidden layer (any
layerwise activation too, e.g. "leaky_relu:0.1"), ``dtype="float32"`` (float32 end to end
even for float64 input), and ``diagnose_divergence=True`` (stop at the first NaN or infinity,
keep the last finite parameters and name the iteration, layer and quantity).

Known differences: sample weights are normalised over the training set, where scikit-learn
normalises each mini-batch by its total weight (the same for the full batch); the squared error of
several outputs is summed over the outputs (scikit-learn averages its reported loss but not its
gradient); a warm-started ``invscaling`` fit goes on with the decayed rate from its first epoch.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if

from ..callbacks import EarlyStopping, PrintCost
from ..optimizers import SGD, Adam, Adaptive, Constant, InverseScaling
from ..training import Trainer
from ._base import (
    ACTIVATION_NAMES, _ClassifierTargets, _columns, _Net, _Recipe, _RegressorTargets, hidden_activations, hidden_sizes,
    store_params,
)


def _stochastic(est) -> bool:
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. {est.solver} is not stochastic.")
    return True


class _MLP(_Net):
    """scikit-learn's hyperparameters, turned into a ``_Recipe``."""

    _interrupt_raises = False  # a Ctrl-C, as scikit-learn: warn and keep the state (SIGTERM still raises)

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [str, list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "keep_prob": [Interval(Real, 0, 1, closed="right"), list, tuple],
        "dtype": [None, StrOptions({"float32", "float64"}), type],
        "diagnose_divergence": ["boolean"],
    }

    def _recipe(self, first, incremental, n_outputs):
        self._validate_params()
        sizes = hidden_sizes(self.hidden_layer_sizes)
        acts = hidden_activations(self.activation, len(sizes), ACTIVATION_NAMES)
        rs = self._random_state = check_random_state(self.random_state)
        if self.early_stopping and incremental and self.solver != "lbfgs":
            raise ValueError("partial_fit does not support early_stopping=True")
        validate = self.early_stopping and self.solver != "lbfgs"
        dropout = np.min(self.keep_prob) < 1
        patience = math.inf if self.n_iter_no_change == np.inf else self.n_iter_no_change + 1
        template = "Iteration {n}, loss = {cost:.8f}" + ("\nValidation score: {val_metric:f}" if validate else "")
        batch = None if self.batch_size == "auto" else self.batch_size
        return _Recipe(
            hidden=sizes,
            activations=acts,
            solver="lbfgs" if self.solver == "lbfgs" else "stochastic",
            epochs=self.max_iter,
            batch_size=200 if batch is None else batch,
            batch_size_given=batch,
            lambd=self.alpha,
            keep_prob=self.keep_prob,
            new_optimizer=None if self.solver == "lbfgs" or (incremental and hasattr(self, "_optimizer"))
            else self._new_optimizer,
            init=lambda dims, dtype: _glorot_uniform(dims, acts, self.activation, rs, dtype),
            seed=int(rs.randint(np.iinfo(np.int32).max)) if dropout else 0,  # the dropout masks' generator
            shuffle=(lambda order: shuffle(order, random_state=rs)) if self.shuffle else False,
            validation_fraction=self.validation_fraction if validate else None,
            stratify=isinstance(self, ClassifierMixin) and n_outputs == 1,
            split_random_state=rs,
            stopping=lambda: EarlyStopping(
                patience, monitor="val_metric" if validate else "cost", min_delta=self.tol, restore_best=validate,
                strict=False, keep_state=True,
            ),  # fmt: skip
            verbose=PrintCost(1, template=template) if self.verbose else None,
            tol=self.tol,
            max_fun=self.max_fun,
            guard=self.diagnose_divergence,
            n_iter_per_call=True,
            convergence_warning=True,
            l2_per_weight=True,
        )

    def _new_optimizer(self):
        if self.solver == "adam":
            return Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon, corrected_rate=True)
        schedule = {"constant": Constant, "invscaling": lambda lr: InverseScaling(lr, self.power_t),
                    "adaptive": Adaptive}[self.learning_rate](self.learning_rate_init)  # fmt: skip
        return SGD(schedule, momentum=self.momentum, nesterov=self.nesterovs_momentum)

    def fit(self, X, y, sample_weight=None):
        """Fit to ``X: (n_samples, n_features)`` (dense or sparse) and ``y``; returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    def _loss_grad_lbfgs(self, packed, X, Y, sample_weight=None, *buffers):
        """scikit-learn's private ``(loss, gradient)`` at the vector ``(coefs_..., intercepts_...)``
        for rows ``X`` and encoded targets ``Y: (n_samples, n_outputs)``, which its gradient test
        calls; here it is ``Trainer.cost_and_gradient`` with the vector's order translated."""
        net = self.network_
        dims = net.layer_dims
        sizes = [dims[l - 1] * dims[l] for l in range(1, len(dims))] + list(dims[1:])
        pieces = np.split(np.asarray(packed, dtype=np.float64), np.cumsum(sizes)[:-1])
        L = len(dims) - 1
        coefs, intercepts = pieces[:L], pieces[L:]
        theta = np.concatenate([part for l in range(L) for part in
                                (coefs[l].reshape(dims[l], dims[l + 1]).T.ravel(), intercepts[l])])  # fmt: skip
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=net.dtype).reshape(1, -1)
        trainer = Trainer(net, _columns(X, net.dtype), np.ascontiguousarray(np.asarray(Y).T, dtype=net.dtype),
                          optimizer=None, lambd=self.alpha, sample_weight=w, rng=net.rng)  # fmt: skip
        cost, grad = trainer.cost_and_gradient(theta)
        grads = np.split(grad, np.cumsum([dims[l + 1] * (dims[l] + 1) for l in range(L)])[:-1])
        dW = [g[: dims[l + 1] * dims[l]].reshape(dims[l + 1], dims[l]).T.ravel() for l, g in enumerate(grads)]
        db = [g[dims[l + 1] * dims[l] :] for l, g in enumerate(grads)]
        self._pull_attributes()
        return cost, np.concatenate(dW + db)


def _glorot_uniform(dims: list[int], acts: list[str], activation, rs, dtype) -> dict[str, np.ndarray]:
    """scikit-learn's initial weights: coef ``(n_in, n_out)`` then intercept ``(n_out,)`` per layer,
    uniform in +-sqrt(f / (n_in + n_out)), f = 2 for logistic layers, else 6; as ``W, b``."""
    params = {}
    for l in range(1, len(dims)):
        act = activation if isinstance(activation, str) else (acts[min(l, len(acts)) - 1] if acts else "relu")
        factor = 2.0 if ACTIVATION_NAMES.get(act, act) == "sigmoid" else 6.0
        bound = np.sqrt(factor / (dims[l - 1] + dims[l]))
        coef = rs.uniform(-bound, bound, (dims[l - 1], dims[l]))
        intercept = rs.uniform(-bound, bound, dims[l])
        params[f"W{l}"] = coef.astype(dtype).T
        params[f"b{l}"] = intercept.astype(dtype).reshape(-1, 1)
    return params


class MLPClassifier(_ClassifierTargets, ClassifierMixin, _MLP):
    """scikit-learn's ``MLPClassifier`` on layerwise's engine (same parameters, attributes and methods).

    Binary: one logistic output unit; multiclass: softmax; multilabel indicators: one logistic
    unit per label; log-loss throughout. Extra parameters: ``keep_prob``, ``class_weight``,
    per-layer ``activation``, ``dtype``, ``diagnose_divergence`` (see the module's docstring).

    Fitted attributes: ``classes_``, ``coefs_[i]: (n_in, n_out)``, ``intercepts_[i]: (n_out,)``
    (views of the network's ``W[i+1].T`` and ``b[i+1]``), ``loss_``, ``best_loss_``,
    ``loss_curve_``, ``validation_scores_``, ``best_validation_score_``, ``t_``, ``n_iter_``,
    ``n_layers_``, ``n_outputs_``, ``out_activation_``, ``n_features_in_``,
    ``feature_names_in_``; and layerwise's ``network_`` and ``history_``.
    """

    def __init__(
        self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001, batch_size="auto",
        learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
        random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
        max_fun=15000, keep_prob=1.0, class_weight=None, dtype=None, diagnose_divergence=False,
    ):  # fmt: skip
        store_params(self, locals())

    _parameter_constraints: dict = {**_MLP._parameter_constraints, "class_weight": [dict, StrOptions({"balanced"}), None]}

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of the stochastic solver on ``X, y``; the first call needs ``classes``."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class MLPRegressor(_RegressorTargets, RegressorMixin, _MLP):
    """scikit-learn's ``MLPRegressor`` on layerwise's engine (same parameters, attributes and methods).

    ``loss="squared_error"``: identity output units; ``loss="poisson"``: exp output units and
    half the Poisson deviance (counts ``y >= 0``). Extra parameters: ``keep_prob``, per-layer
    ``activation``, ``dtype``, ``diagnose_divergence``. Fitted attributes as ``MLPClassifier``'s,
    without ``classes_``.
    """

    def __init__(
        self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
        shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
        nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10, max_fun=15000, keep_prob=1.0, dtype=None, diagnose_divergence=False,
    ):  # fmt: skip
        store_params(self, locals())

    _parameter_constraints: dict = {**_MLP._parameter_constraints, "loss": [StrOptions({"squared_error", "poisson"})]}

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of the stochastic solver on ``X, y`` from the current parameters."""
        return self._fit(X, y, sample_weight, incremental=True)
