"""``Network``: an L-layer fully connected network, the object most users touch.

Logistic regression is the one-layer network, a shallow net has one hidden layer, a deep net
has L layers: all are this class, trained by the same blocks.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from . import _checks, metrics, tasks
from .activations import Activation, get_activation
from .blocks import model_backward, model_forward
from .callbacks import Callback, EarlyStopping, History, PrintCost
from .data.splits import split_indices
from .initializers import get_initializer, initialize_parameters
from .losses import DEFAULT_LOSS, Loss, get_loss, l2_cost
from .optimizers import get_optimizer
from .preprocessing import one_hot
from .training import Trainer


class Network:
    """A fully connected network ``layer_dims = [n0, n1, ..., nL]`` (n0 = n_x inputs, nL outputs).

    Arguments:
        layer_dims: units per layer, input first.
        hidden, output: the activation of the hidden layers and of the output layer, or
        activations: one per layer (``L`` names), overriding both.
        loss: defaults from the output (sigmoid -> binary cross-entropy, softmax ->
            categorical cross-entropy, linear -> mean squared error).
        init: "zeros", "small_random", "he" or "xavier"; seed makes it reproducible and
            drives shuffling, dropout and validation splits too.
        dtype: "float64" (default) or "float32", kept end to end.
    Parameters are created here: ``W[l]: (n[l], n[l-1])``, ``b[l]: (n[l], 1)``.
    """

    def __init__(
        self,
        layer_dims: Sequence[int],
        *,
        hidden: str = "relu",
        output: str = "sigmoid",
        activations: Sequence[str | Activation] | None = None,
        loss: str | Loss | None = None,
        init: str = "he",
        seed: int | None = None,
        dtype="float64",
    ):
        self.layer_dims = _check_layer_dims(layer_dims)
        L = len(self.layer_dims) - 1
        if activations is None:
            activations = [hidden] * (L - 1) + [output]
        if isinstance(activations, (str, Activation)) or len(activations) != L:
            raise ValueError(f"activations is {activations!r}; expected a list of {L} names, one per layer")
        self.activations = [get_activation(a) for a in activations]
        out_name = self.activations[-1].name
        if loss is None:
            if out_name not in DEFAULT_LOSS:
                raise ValueError(f"output activation {out_name!r} has no default loss; pass loss= one of {sorted(DEFAULT_LOSS.values())}")
            loss = DEFAULT_LOSS[out_name]
        self.loss = get_loss(loss)
        if self.activations[-1].name == "softmax" and self.layer_dims[-1] < 2:
            raise ValueError("a softmax output needs at least 2 units (one per class); use sigmoid for 2 classes with 1 unit")
        get_initializer(init)
        self.init = init
        self.seed = _checks.check_seed("seed", seed)
        self.dtype = _checks.check_dtype(dtype)
        self.parameters = initialize_parameters(self.layer_dims, init, self.seed, self.dtype)
        self.history_: History | None = None
        self.rng = np.random.default_rng(self.seed)

    # ---- description ---------------------------------------------------------------------

    @property
    def n_x(self) -> int:
        return self.layer_dims[0]

    @property
    def n_y(self) -> int:
        return self.layer_dims[-1]

    @property
    def task(self) -> str:
        """"binary", "multiclass" or "regression", from the loss."""
        return tasks.task_of_loss(self.loss.name)

    @property
    def metric_name(self) -> str:
        return "r2" if self.task == "regression" else "accuracy"

    def __repr__(self) -> str:
        acts = ", ".join(a.spec for a in self.activations)
        return f"Network({self.layer_dims}, activations=[{acts}], loss={self.loss.name}, dtype={self.dtype.name})"

    def config(self) -> dict:
        """The architecture as JSON-serialisable data (``Network(**config)`` rebuilds it)."""
        return {
            "layer_dims": list(self.layer_dims),
            "activations": [a.spec for a in self.activations],
            "loss": self.loss.name,
            "init": self.init,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }

    # ---- parameters ----------------------------------------------------------------------

    def set_parameters(self, parameters: dict[str, np.ndarray]) -> None:
        """Replace every parameter with a copy of ``parameters``, after checking every shape."""
        expected = tasks.parameter_shapes(self.layer_dims)
        if not isinstance(parameters, dict) or set(parameters) != set(expected):
            got = sorted(parameters) if isinstance(parameters, dict) else type(parameters).__name__
            raise ValueError(f"parameters has keys {got}; expected {sorted(expected)}")
        new = {}
        for key, shape in expected.items():
            a = _checks._as_numeric_array(key, parameters[key])
            if a.shape != shape:
                raise ValueError(f"{key} has shape {a.shape}; expected {shape}")
            a = np.array(a, dtype=self.dtype, order="C")
            if not np.isfinite(a).all():
                raise ValueError(f"{key} contains NaN or infinity; expected finite values")
            new[key] = a
        self.parameters = new

    # ---- the course's steps --------------------------------------------------------------

    def check_X(self, X) -> np.ndarray:
        """X validated as ``(n_x, m)`` of the network's dtype."""
        return _checks.check_X(X, self.n_x, self.dtype)

    def check_Y(self, Y, m: int, name: str = "Y") -> np.ndarray:
        """Y validated as ``(n_y, m)``; for softmax, integer labels ``(1, m)`` become one-hot."""
        if self.task == "multiclass":
            a = _checks._as_numeric_array(name, Y, allow_bool=True)
            if a.ndim == 2 and a.shape[0] == 1 and self.n_y > 1:
                labels = _checks.check_Y(a, m, 1, np.float64, name=name)
                if not np.all((labels >= 0) & (labels < self.n_y) & (labels == np.round(labels))):
                    raise ValueError(f"{name} has labels outside 0..{self.n_y - 1}; expected class indices for {self.n_y} output units")
                return one_hot(labels, self.n_y, self.dtype)
        return _checks.check_Y(Y, m, self.n_y, self.dtype, binary=self.task == "binary", name=name)

    def forward(self, X, _checked: bool = False) -> tuple[np.ndarray, list]:
        """``AL: (n_y, m)`` and the per-layer caches, for ``X: (n_x, m)``."""
        if not _checked:
            X = self.check_X(X)
        with np.errstate(all="ignore"):  # predict and score check the output; training has its guard
            return model_forward(X, self.parameters, self.activations)

    def cost(self, AL: np.ndarray, Y, lambd: float = 0.0) -> float:
        """J for the output ``AL: (n_y, m)``, plus the L2 term when ``lambd > 0``."""
        AL = _checks.check_output("AL", AL, self.n_y)
        Y = self.check_Y(Y, AL.shape[1])
        return self.loss.cost(AL, Y) + l2_cost(self.parameters, lambd, AL.shape[1])

    def backward(self, AL: np.ndarray, Y, caches: list, lambd: float = 0.0, return_dA: bool = False) -> dict[str, np.ndarray]:
        """``grads`` with ``dW1, db1, ..., dWL, dbL`` (and ``dA0..`` with ``return_dA``)."""
        AL = _checks.check_output("AL", AL, self.n_y)
        Y = self.check_Y(Y, AL.shape[1])
        return model_backward(AL, Y, caches, self.activations, self.loss, lambd=lambd, return_dA=return_dA)

    # ---- training ------------------------------------------------------------------------

    def fit(
        self,
        X,
        Y,
        *,
        learning_rate=None,
        num_iterations: int | None = None,
        epochs: int | None = None,
        optimizer="gd",
        batch_size: int | None = None,
        shuffle: bool = True,
        lambd: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        sample_weight=None,
        class_weight: dict | str | None = None,
        validation_data: tuple | None = None,
        validation_split: float | None = None,
        early_stopping: int | EarlyStopping | None = None,
        callbacks: Sequence[Callback] = (),
        seed: int | None = None,
        print_cost: bool | int = False,
    ) -> History:
        """Train from the current parameters; returns the ``History`` (also ``self.history_``).

        Arguments:
            X: ``(n_x, m)``; Y: ``(n_y, m)`` (softmax: one-hot or integer labels ``(1, m)``).
            num_iterations / epochs: passes over the data (the course's name and the usual one;
                full batch: one update each). Default 2500.
            optimizer: "gd" (default), "momentum", "rmsprop", "adam" or an ``Optimizer``
                (pass the same object again to continue its state); learning_rate: a number
                or a schedule (default: the optimizer's, 0.0075 for "gd", 0.001 for "adam").
            batch_size: None for the full batch; else mini-batches (the last one partial).
            lambd: L2 strength; keep_prob: inverted dropout, one value or one per hidden layer.
            sample_weight: ``(1, m)``; class_weight: {label: weight} or "balanced".
            validation_data ``(Xv, Yv)`` or validation_split (stratified, seeded); early_stopping:
                a patience or an ``EarlyStopping`` (restores the best parameters).
            seed: restarts the generator for shuffling, dropout and the split (default: go on
                with the network's).
            print_cost: True (every 100 epochs) or every N epochs.
        Raises ``DivergenceError`` on a NaN or infinite cost or gradient, keeping the last
        finite parameters.
        """
        X = self.check_X(X)
        m = X.shape[1]
        Y = self.check_Y(Y, m)
        if num_iterations is not None and epochs is not None:
            raise ValueError("pass num_iterations or epochs, not both (they are the same thing)")
        if num_iterations is not None:
            epochs = _checks.check_positive_int("num_iterations", num_iterations)
        epochs = _checks.check_positive_int("epochs", 2500 if epochs is None else epochs)
        batch_size = _checks.check_positive_int("batch_size", batch_size, allow_none=True)
        lambd = _checks.check_positive_float("lambd", lambd, allow_zero=True)
        shuffle = _checks.check_bool("shuffle", shuffle)
        keep_probs = self._keep_probs(keep_prob)
        w = _checks.check_sample_weight(sample_weight, m, self.dtype)
        if class_weight is not None:
            cw = self._class_weights(Y, class_weight)
            w = cw if w is None else w * cw
        if seed is not None:
            self.rng = np.random.default_rng(_checks.check_seed("seed", seed))
        if validation_data is not None and validation_split is not None:
            raise ValueError("pass validation_data or validation_split, not both")
        if validation_split is not None:
            (X, Y, w), validation_data = self._split(X, Y, w, validation_split)
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, Y_val)")
            Xv = _checks.check_X(validation_data[0], self.n_x, self.dtype, name="validation_data[0]")
            validation_data = (Xv, self.check_Y(validation_data[1], Xv.shape[1], name="validation_data[1]"))
        opt = get_optimizer(optimizer, learning_rate)
        callbacks = _checks.check_instances("callbacks", callbacks, Callback)
        if early_stopping is not None:
            if not isinstance(early_stopping, EarlyStopping):
                early_stopping = EarlyStopping(patience=_checks.check_positive_int("early_stopping", early_stopping))
            callbacks.append(early_stopping)
        if print_cost:
            callbacks.append(PrintCost(100 if print_cost is True else _checks.check_positive_int("print_cost", print_cost)))
        trainer = Trainer(
            self, X, Y, optimizer=opt, batch_size=batch_size, shuffle=shuffle, lambd=lambd, keep_probs=keep_probs,
            sample_weight=w, validation_data=validation_data, callbacks=callbacks, rng=self.rng,
        )  # fmt: skip
        self.trainer_ = trainer
        try:
            trainer.run(epochs)
        finally:
            self.history_ = trainer.history
        return trainer.history

    def _keep_probs(self, keep_prob) -> list[float] | None:
        n_hidden = len(self.layer_dims) - 2
        if isinstance(keep_prob, (str, bytes)) or not isinstance(keep_prob, (numbers.Real, Sequence, np.ndarray)):
            raise TypeError(f"keep_prob is {keep_prob!r}; expected a probability or one per hidden layer")
        probs = [keep_prob] * n_hidden if isinstance(keep_prob, numbers.Real) else list(keep_prob)
        if len(probs) != n_hidden:
            raise ValueError(f"keep_prob has {len(probs)} values; expected one per hidden layer ({n_hidden})")
        for p in probs:
            if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p <= 1:
                raise ValueError(f"keep_prob is {p!r}; expected a probability in (0, 1]")
        return [float(p) for p in probs] if probs and min(probs) < 1 else None

    def _labels(self, Y: np.ndarray) -> np.ndarray:
        """Class labels ``(m,)`` of validated Y (internal use only)."""
        return Y.argmax(axis=0) if self.task == "multiclass" else Y[0].astype(np.int64)

    def _class_weights(self, Y: np.ndarray, class_weight) -> np.ndarray:
        if self.task == "regression":
            raise ValueError("class_weight needs a classification output (sigmoid or softmax)")
        labels = self._labels(Y)
        n_classes = self.n_y if self.task == "multiclass" else 2
        counts = np.bincount(labels, minlength=n_classes)
        if class_weight == "balanced":
            per_class = np.where(counts > 0, labels.size / (n_classes * np.maximum(counts, 1)), 0.0)
        elif isinstance(class_weight, dict):
            unknown = set(class_weight) - set(range(n_classes))
            if unknown:
                raise ValueError(f"class_weight has classes {sorted(unknown)}; expected keys among 0..{n_classes - 1}")
            per_class = np.array([float(class_weight.get(c, 1.0)) for c in range(n_classes)])
            if (per_class < 0).any() or not np.isfinite(per_class).all():
                raise ValueError("class_weight values must be finite and non-negative")
        else:
            raise ValueError(f"class_weight is {class_weight!r}; expected a dict or 'balanced'")
        return per_class[labels].astype(self.dtype).reshape(1, -1)

    def _split(self, X, Y, w, fraction):
        """Stratified (classification) split of the columns, seeded by the network's generator."""
        if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
            raise ValueError(f"validation_split is {fraction!r}; expected a fraction in (0, 1)")
        m = X.shape[1]
        n_val = round(fraction * m)
        if not 1 <= n_val < m:
            raise ValueError(f"validation_split={fraction} leaves no examples on one side of {m}")
        labels = None if self.task == "regression" else self._labels(Y)
        val, _ = split_indices(m, [n_val], labels, self.rng)
        mask = np.zeros(m, dtype=bool)
        mask[val] = True
        train = (X[:, ~mask], Y[:, ~mask], None if w is None else w[:, ~mask])
        return train, (X[:, mask], Y[:, mask])

    # ---- using the network ---------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """The output ``AL: (n_y, m)``: probabilities for classification, values for regression."""
        return _finite_output(self.forward(X)[0])

    def predict(self, X) -> np.ndarray:
        """``(1, m)``: 0/1 for a sigmoid output (threshold 0.5), the class index for softmax,
        ``(n_y, m)`` values for regression."""
        return self.output_to_prediction(self.predict_proba(X))

    def output_to_prediction(self, AL: np.ndarray) -> np.ndarray:
        if self.task == "binary":
            return (AL > 0.5).astype(np.int64)
        if self.task == "multiclass":
            return AL.argmax(axis=0).reshape(1, -1)
        return AL

    def score_output(self, AL: np.ndarray, Y: np.ndarray) -> float:
        """Accuracy (classification) or R^2 (regression) of the output ``AL`` against validated ``Y``."""
        if self.task == "regression":
            return metrics.r2_score(Y, AL)
        return metrics.accuracy(self._labels(Y), self.output_to_prediction(AL)[0])

    def accuracy(self, X, Y) -> float:
        """Fraction of examples classified correctly (in [0, 1])."""
        if self.task == "regression":
            raise ValueError("accuracy needs a classification output; use score for regression (R^2)")
        return self.score(X, Y)

    def score(self, X, Y) -> float:
        """Accuracy for classification, R^2 for regression."""
        X = self.check_X(X)
        return self.score_output(_finite_output(self.forward(X, _checked=True)[0]), self.check_Y(Y, X.shape[1]))


def LogisticRegression(n_x: int, *, dtype="float64") -> Network:
    """Logistic regression: the one-layer network ``[n_x, 1]``, sigmoid output, zero init."""
    return Network([n_x, 1], activations=["sigmoid"], init="zeros", dtype=dtype)


def _finite_output(AL: np.ndarray) -> np.ndarray:
    """``AL`` if finite; else the parameters overflow on this input, which no prediction should hide."""
    if not np.isfinite(AL).all():
        example = int(np.argwhere(~np.isfinite(AL))[0, 1])
        raise FloatingPointError(
            f"the network's output is NaN or infinite (first at example {example} of X): its parameters are too "
            f"large for this input; retrain with a smaller learning rate or standardised features"
        )
    return AL


def _check_layer_dims(layer_dims) -> list[int]:
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Sequence) and not isinstance(layer_dims, np.ndarray):
        raise TypeError(f"layer_dims is {layer_dims!r}; expected a list of layer sizes like [n_x, n_h, n_y]")
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims is {dims!r}; expected at least an input and an output size")
    for n in dims:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"layer_dims is {dims!r}; every size must be a positive integer, got {n!r}")
    return [int(n) for n in dims]
