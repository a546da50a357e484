"""Optimizers and learning-rate schedules, by increasing complexity.

An optimizer turns ``grads`` (``dW1, db1, ...``) into an in-place update of ``parameters``
(``W1, b1, ...``). Each keeps its state (velocities, squared averages, the step count ``t``)
per parameter name, exposes it with ``state_dict`` so a checkpoint can resume it, and is one
small class with an ``_update(key, param, grad, lr)`` method. Plain gradient descent is the
course's ``update_parameters`` itself.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._checks import check_bool, check_positive_float, check_positive_int
from .blocks import update_parameters

# ---- learning-rate schedules: lr as a function of the epoch (0-based) --------------------


class Schedule:
    """Base class: ``schedule(time) -> learning rate``, where time counts ``unit``: epochs
    (0-based), or, for ``unit = "example"``, the examples trained on at the end of each epoch."""

    name = ""
    unit = "epoch"

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def config(self) -> dict:
        return {"name": self.name, **self.__dict__}


class Constant(Schedule):
    """lr = lr0."""

    name = "constant"

    def __init__(self, lr0: float):
        self.lr0 = check_positive_float("learning_rate", lr0)

    def __call__(self, epoch):
        return self.lr0


class StepDecay(Schedule):
    """lr = lr0 * drop ** floor(epoch / every)."""

    name = "step"

    def __init__(self, lr0: float, drop: float = 0.5, every: int = 100):
        self.lr0 = check_positive_float("learning_rate", lr0)
        self.drop = check_positive_float("drop", drop)
        self.every = check_positive_int("every", every)

    def __call__(self, epoch):
        return self.lr0 * self.drop ** (epoch // self.every)


class ExponentialDecay(Schedule):
    """lr = lr0 * rate ** epoch."""

    name = "exponential"

    def __init__(self, lr0: float, rate: float = 0.99):
        self.lr0 = check_positive_float("learning_rate", lr0)
        self.rate = check_positive_float("rate", rate)

    def __call__(self, epoch):
        return self.lr0 * self.rate**epoch


class InverseTimeDecay(Schedule):
    """lr = lr0 / (1 + decay_rate * floor(epoch / every)) (the course's decay, optionally stepped)."""

    name = "inverse_time"

    def __init__(self, lr0: float, decay_rate: float = 1.0, every: int = 1):
        self.lr0 = check_positive_float("learning_rate", lr0)
        self.decay_rate = check_positive_float("decay_rate", decay_rate, allow_zero=True)
        self.every = check_positive_int("every", every)

    def __call__(self, epoch):
        return self.lr0 / (1 + self.decay_rate * (epoch // self.every))


class InverseScaling(Schedule):
    """lr = lr0 / (1 + t) ** power_t, t = examples trained on so far (scikit-learn's 'invscaling').

    Its time is counted in examples, updated at the end of each epoch, so epochs of different
    sizes (``partial_fit`` calls) advance it by what they saw.
    """

    name = "invscaling"
    unit = "example"

    def __init__(self, lr0: float, power_t: float = 0.5):
        self.lr0 = check_positive_float("learning_rate", lr0)
        self.power_t = check_positive_float("power_t", power_t, allow_zero=True)

    def __call__(self, examples):
        return self.lr0 / (examples + 1) ** self.power_t


class Adaptive(Schedule):
    """lr = lr0 until ``reduce`` is called (by ``EarlyStopping`` when training stops improving):
    each call divides it by ``factor``, until it is at most ``min_lr`` (scikit-learn's 'adaptive')."""

    name = "adaptive"

    def __init__(self, lr0: float, factor: float = 5.0, min_lr: float = 1e-6, lr: float | None = None):
        self.lr0 = check_positive_float("learning_rate", lr0)
        self.factor = check_positive_float("factor", factor)
        self.min_lr = check_positive_float("min_lr", min_lr, allow_zero=True)
        self.lr = self.lr0 if lr is None else check_positive_float("lr", lr)  # the current rate

    def __call__(self, epoch):
        return self.lr

    def reduce(self) -> bool:
        """Divide the rate by ``factor``; False (and no change) once it is at most ``min_lr``."""
        if self.lr <= self.min_lr:
            return False
        self.lr /= self.factor
        return True


SCHEDULES: dict[str, type[Schedule]] = {
    c.name: c for c in (Constant, StepDecay, ExponentialDecay, InverseTimeDecay, InverseScaling, Adaptive)
}


def get_schedule(learning_rate) -> Schedule:
    """A number becomes ``Constant``; a ``Schedule`` passes; a dict ``{"name": .., ...}`` is built."""
    if isinstance(learning_rate, Schedule):
        return learning_rate
    if isinstance(learning_rate, dict):
        kw = dict(learning_rate)
        name = kw.pop("name", None)
        if not isinstance(name, str) or name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r} in learning_rate; expected one of {sorted(SCHEDULES)}")
        params = inspect.signature(SCHEDULES[name]).parameters
        required = {k for k, p in params.items() if p.default is inspect.Parameter.empty}
        if not required <= set(kw) <= set(params):
            raise TypeError(f"learning_rate schedule {name!r} has keys {sorted(kw)}; expected {sorted(required)} and optionally {sorted(set(params) - required)}")
        return SCHEDULES[name](**kw)
    return Constant(learning_rate)


# ---- optimizers ---------------------------------------------------------------------------


class Optimizer:
    """Base class. ``step(parameters, grads)`` updates in place; ``epoch`` drives the schedule."""

    name = ""

    def __init__(self, learning_rate=0.01):
        self.schedule = get_schedule(learning_rate)
        self.t = 0  # number of updates taken
        self.epoch = 0  # set by the training loop
        self.examples = 0  # examples trained on in completed epochs, set by the training loop
        self.state: dict[str, dict[str, np.ndarray]] = {}

    @property
    def learning_rate(self) -> float:
        """The learning rate of the current epoch."""
        return self.schedule(self.examples if self.schedule.unit == "example" else self.epoch)

    def step(self, parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """One update of every parameter from its gradient ``grads["d" + key]``."""
        self.t += 1
        lr = self.learning_rate
        for key, param in parameters.items():
            self._update(key, param, grads["d" + key], lr)

    def _update(self, key: str, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def _slot(self, slot: str, key: str, like: np.ndarray) -> np.ndarray:
        """A zero-initialised state array (e.g. a velocity) for parameter ``key``."""
        per_key = self.state.setdefault(slot, {})
        if key not in per_key:
            per_key[key] = np.zeros_like(like)
        return per_key[key]

    def config(self) -> dict:
        """Hyperparameters, JSON-serialisable."""
        extra = {k: v for k, v in self.__dict__.items() if k not in ("schedule", "t", "epoch", "examples", "state")}
        return {"name": self.name, "learning_rate": self.schedule.config(), **extra}

    def state_dict(self) -> dict:
        """``{"t": .., "epoch": .., "examples": .., "slot/key": array, ...}`` for checkpoints."""
        out: dict = {"t": self.t, "epoch": self.epoch, "examples": self.examples}
        for slot, per_key in self.state.items():
            for key, arr in per_key.items():
                out[f"{slot}/{key}"] = arr.copy()  # a snapshot: the live arrays change in place
        return out

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` gave."""
        self.t = int(state["t"])
        self.epoch = int(state["epoch"])
        self.examples = int(state.get("examples", 0))
        self.state = {}
        for name, arr in state.items():
            if "/" in name:
                slot, key = name.split("/", 1)
                self.state.setdefault(slot, {})[key] = np.array(arr)


class GradientDescent(Optimizer):
    """W -= lr * dW: the course's ``update_parameters``."""

    name = "gd"

    def __init__(self, learning_rate=0.0075):
        super().__init__(learning_rate)

    def step(self, parameters, grads):
        self.t += 1
        update_parameters(parameters, grads, self.learning_rate)


class Momentum(Optimizer):
    """v = beta v + (1 - beta) dW;  W -= lr * v."""

    name = "momentum"

    def __init__(self, learning_rate=0.01, beta: float = 0.9):
        super().__init__(learning_rate)
        self.beta = _check_beta("beta", beta)

    def _update(self, key, param, grad, lr):
        v = self._slot("v", key, param)
        v *= self.beta
        v += (1 - self.beta) * grad
        param -= lr * v


class SGD(Optimizer):
    """Stochastic gradient descent with classical or Nesterov momentum (scikit-learn's 'sgd'):
    v = momentum v - lr dW;  W += v  (Nesterov: W += momentum v - lr dW).

    Unlike ``Momentum`` (an average of the gradients, then scaled by lr), the velocity here
    accumulates ``lr dW``, so a changing learning rate affects only the steps after it changes.
    With ``momentum=0`` it is plain gradient descent.
    """

    name = "sgd"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"momentum is {momentum!r}; expected a number in [0, 1]")
        self.momentum = float(momentum)
        self.nesterov = check_bool("nesterov", nesterov)

    def _update(self, key, param, grad, lr):
        v = self._slot("v", key, param)
        v *= self.momentum
        v -= lr * grad
        if self.nesterov:
            param += self.momentum * v - lr * grad
        else:
            param += v


class RMSprop(Optimizer):
    """s = beta2 s + (1 - beta2) dW^2;  W -= lr * dW / (sqrt(s) + epsilon)."""

    name = "rmsprop"

    def __init__(self, learning_rate=0.001, beta2: float = 0.999, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.beta2 = _check_beta("beta2", beta2)
        self.epsilon = check_positive_float("epsilon", epsilon)

    def _update(self, key, param, grad, lr):
        s = self._slot("s", key, param)
        s *= self.beta2
        s += (1 - self.beta2) * grad * grad
        param -= lr * grad / (np.sqrt(s) + self.epsilon)


class Adam(Optimizer):
    """Momentum and RMSprop with bias correction:
    v = b1 v + (1 - b1) dW; s = b2 s + (1 - b2) dW^2; v^ = v / (1 - b1^t); s^ = s / (1 - b2^t);
    W -= lr * v^ / (sqrt(s^) + epsilon).

    With ``corrected_rate=True``, Kingma and Ba's "efficient" form (scikit-learn's, TensorFlow's):
    the bias correction goes into the rate, lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), and
    W -= lr_t * v / (sqrt(s) + epsilon); epsilon then weighs sqrt(1 - b2^t) times more.
    """

    name = "adam"

    def __init__(
        self, learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
        corrected_rate: bool = False,
    ):  # fmt: skip
        super().__init__(learning_rate)
        self.beta1 = _check_beta("beta1", beta1)
        self.beta2 = _check_beta("beta2", beta2)
        self.epsilon = check_positive_float("epsilon", epsilon)
        self.corrected_rate = check_bool("corrected_rate", corrected_rate)

    def _update(self, key, param, grad, lr):
        v = self._slot("v", key, param)
        s = self._slot("s", key, param)
        v *= self.beta1
        v += (1 - self.beta1) * grad
        s *= self.beta2
        s += (1 - self.beta2) * grad * grad
        if self.corrected_rate:
            lr_t = lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
            param -= lr_t * v / (np.sqrt(s) + self.epsilon)
            return
        v_hat = v / (1 - self.beta1**self.t)
        s_hat = s / (1 - self.beta2**self.t)
        param -= lr * v_hat / (np.sqrt(s_hat) + self.epsilon)


def _check_beta(name: str, beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
        raise ValueError(f"{name} is {beta!r}; expected a number in [0, 1)")
    return float(beta)


OPTIMIZERS: dict[str, type[Optimizer]] = {c.name: c for c in (GradientDescent, Momentum, SGD, RMSprop, Adam)}


def get_optimizer(spec, learning_rate=None, **kwargs) -> Optimizer:
    """Resolve ``"adam"`` (with ``learning_rate`` and options) or pass an ``Optimizer`` through."""
    if isinstance(spec, Optimizer):
        if learning_rate is not None:
            raise ValueError("learning_rate goes to the Optimizer object itself, not beside it")
        return spec
    if not isinstance(spec, str) or spec not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {spec!r}; expected one of {sorted(OPTIMIZERS)}")
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return OPTIMIZERS[spec](**kwargs)
