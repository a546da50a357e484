"""Cost functions J and the gradient that starts backpropagation, registered by name.

Every loss takes the output ``AL: (n_y, m)`` and labels ``Y: (n_y, m)``, plus optional
per-example weights ``w: (1, m)`` normalised to mean 1, so that
``J = (1/m) sum_i w_i L(a_i, y_i)`` and, with ``w = 1``, the course's unweighted cost.

``dAL`` returns dJ/dAL *times m* (the course's ``dAL``); the ``1/m`` is applied once, in
``linear_backward`` (``dW = dZ A_prev.T / m``).

``fused`` names the output activation for which ``dZ = dAL * g'(Z)`` simplifies to
``dZ = A - Y``: sigmoid + binary cross-entropy, softmax + categorical cross-entropy,
linear + (half) squared error and exp + (half) Poisson deviance. ``model_backward`` uses
that shortcut for those pairs.
"""

from __future__ import annotations

import numpy as np



def _clip(AL: np.ndarray) -> np.ndarray:
    """AL kept away from exactly 0 and 1 by the dtype's machine epsilon, so log stays finite."""
    eps = np.finfo(AL.dtype).eps
    A = np.maximum(AL, eps)
    return np.minimum(A, 1 - eps, out=A)


class Loss:
    """Base class: ``cost(AL, Y, w) -> float`` and ``dAL(AL, Y, w) -> (n_y, m)``."""

    name: str = ""
    fused: str = ""

    def cost(self, AL: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None) -> float:
        raise NotImplementedError

    def dAL(self, AL: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def dZ_fused(self, AL: np.ndarray, Y: np.ndarray, w: np.ndarray | None = None, out=None) -> np.ndarray:
        """``dZ = (A - Y) * w`` for the output activation named in ``fused``."""
        dZ = np.subtract(AL, Y, out=out)
        if w is not None:
            dZ *= w
        return dZ

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


def _mean(loss: np.ndarray, w: np.ndarray | None) -> float:
    """(1/m) sum_i w_i sum_k loss_ki for the per-unit losses ``loss: (n_y, m)``, a temporary.

    NumPy's pairwise summation keeps the rounding error of J near machine precision, which
    the finite differences of a gradient check divide by a tiny epsilon.
    """
    if w is not None:
        loss *= w
    return float(loss.sum()) / loss.shape[1]


class BinaryCrossEntropy(Loss):
    """J = -(1/m) sum(y log a + (1 - y) log(1 - a)); dAL = -(y/a - (1 - y)/(1 - a))."""

    name = "binary_crossentropy"
    fused = "sigmoid"

    def cost(self, AL, Y, w=None):
        A = _clip(AL)
        loss = Y * np.log(A)
        loss += (1 - Y) * np.log1p(-A)
        return -_mean(loss, w)

    def dAL(self, AL, Y, w=None, *, clip: bool = True):
        # clip=False: the formula on AL as given, as the course computes it (its tests feed AL > 1)
        A = _clip(AL) if clip else AL
        d = -(Y / A - (1 - Y) / (1 - A))
        return d if w is None else d * w


class CategoricalCrossEntropy(Loss):
    """J = -(1/m) sum over examples and classes of y log a, for one-hot ``Y``; dAL = -y/a."""

    name = "categorical_crossentropy"
    fused = "softmax"

    def cost(self, AL, Y, w=None):
        return -_mean(Y * np.log(_clip(AL)), w)

    def dAL(self, AL, Y, w=None):
        d = -Y / _clip(AL)
        return d if w is None else d * w


class MeanSquaredError(Loss):
    """J = (1/2m) sum ||a - y||^2 (the 1/2 makes dAL = a - y); for regression."""

    name = "mse"
    fused = "linear"

    def cost(self, AL, Y, w=None):
        diff = AL - Y
        return 0.5 * _mean(np.square(diff, out=diff), w)

    def dAL(self, AL, Y, w=None):
        d = AL - Y
        return d if w is None else d * w


class PoissonDeviance(Loss):
    """J = (1/m) sum (y log(y / a) - y + a), half the Poisson deviance (0 log 0 = 0);
    dAL = 1 - y / a; with an exp output, dZ = A - Y. For counts ``y >= 0``."""

    name = "poisson"
    fused = "exp"

    def cost(self, AL, Y, w=None):
        A = np.maximum(AL, np.finfo(AL.dtype).tiny)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1) / A), 0.0)
        return _mean(ylogy - Y + AL, w)

    def dAL(self, AL, Y, w=None):
        d = 1 - Y / np.maximum(AL, np.finfo(AL.dtype).tiny)
        return d if w is None else d * w


LOSSES: dict[str, type[Loss]] = {}
ALIASES = {"bce": "binary_crossentropy", "cce": "categorical_crossentropy", "mean_squared_error": "mse"}


def register(cls: type[Loss]) -> type[Loss]:
    """Make ``cls`` available by its ``name``."""
    LOSSES[cls.name] = cls
    return cls


for _cls in (BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError, PoissonDeviance):
    register(_cls)

#: The loss each output activation gets when none is named.
DEFAULT_LOSS = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy", "linear": "mse", "exp": "poisson"}


def get_loss(spec: str | Loss) -> Loss:
    """Resolve a loss name (or alias: bce, cce) or pass a ``Loss`` instance through."""
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"loss is {spec!r}; expected a name, one of {sorted(LOSSES)}")
    name = ALIASES.get(spec, spec)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {spec!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[name]()


def l2_cost(parameters: dict[str, np.ndarray], lambd: float, m: int) -> float:
    """The course's L2 term: (lambd / 2m) * sum_l ||W[l]||_F^2 (biases are not penalised)."""
    if lambd == 0:
        return 0.0
    total = sum(float(np.vdot(W, W)) for key, W in parameters.items() if key.startswith("W"))
    return lambd / (2 * m) * total
