"""Activation functions g and their derivatives, registered by name.

Each activation maps ``Z: (n[l], m)`` to ``A = g(Z)`` of the same shape, and turns the
upstream gradient ``dA`` into ``dZ = dA * g'(Z)``. Every derivative here is written in terms
of the output ``A`` (not ``Z``), so a layer only needs to cache ``A`` for its backward step,
``forward`` may overwrite ``Z`` in place (``out=Z``) and ``backward`` may overwrite ``A``
(``out=A``: backpropagation is the last use of a layer's output, so training reuses its array
for ``dZ``). Neither ever writes into ``dA``.

Adding an activation is one small class with ``_forward`` and ``_backward`` and one
``register`` line; the base class's public ``forward`` and ``backward`` are the one entry, which
also takes Python numbers, 0-d arrays and integer or boolean arrays (computed in float64).
Names with a parameter use ``name:value``, e.g. ``"leaky_relu:0.2"``.
"""

from __future__ import annotations

import numpy as np


class Activation:
    """Base class: ``forward(Z) -> A`` and ``backward(dA, A) -> dZ``."""

    name: str = ""

    #: Whether g'(Z) depends on ``A > 0`` alone (ReLU, leaky ReLU). Backpropagation may then
    #: keep that boolean (one byte an element) instead of ``A`` and write ``dA`` over ``A``:
    #: ``backward_gated(dA, A > 0)`` is ``backward(dA, A)`` (a training ``Workspace`` does that).
    gated: bool = False

    def forward(self, Z, out: np.ndarray | None = None):
        """A = g(Z), same shape; a number in gives a NumPy float out."""
        if type(Z) is np.ndarray and Z.ndim and Z.dtype.kind == "f":  # training's path: no conversion
            return self._forward(Z, out)
        return _elementwise(self._forward, Z, (Z,), out)

    def backward(self, dA, A, out: np.ndarray | None = None):
        """dZ = dA * g'(Z), computed from ``A = g(Z)``; same shape as ``A``."""
        if type(A) is np.ndarray and type(dA) is np.ndarray and A.ndim and A.dtype.kind == "f" and dA.dtype.kind == "f":
            return self._backward(dA, A, out)
        return _elementwise(self._backward, A, (dA, A), out)

    def backward_gated(self, dA: np.ndarray, positive: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """dZ = dA * g'(Z) from the boolean ``positive = A > 0``; only where ``gated``."""
        raise NotImplementedError(f"{self.spec}: g' is not a function of A > 0")

    def _forward(self, Z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, dA: np.ndarray, A: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    @property
    def spec(self) -> str:
        """The name that ``get_activation`` turns back into this object."""
        return self.name

    def __repr__(self) -> str:
        return f"<activation {self.spec}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Activation) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)


def _floating(x) -> np.ndarray:
    """``x`` as a floating-point array: float arrays pass as they are, numbers and integer or
    boolean arrays become float64, anything else is refused."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x
    a = np.asarray(x)
    if a.dtype.kind in "biu":
        return a.astype(np.float64)
    if a.dtype.kind != "f":
        raise TypeError(f"activation input has dtype {a.dtype}; expected real numbers (float, int or bool)")
    return a


def _elementwise(method, like, arrays, out):
    """``method(*arrays, out)`` on floating-point arrays; a 0-d input is computed as one element
    (NumPy's in-place operations need an array) and a number in gives a NumPy float out."""
    arrays = [_floating(a) for a in arrays]
    if np.ndim(like):
        return method(*arrays, out)
    result = method(*(a.reshape(1) for a in arrays), None if out is None else out.reshape(1)).reshape(())
    return result if isinstance(like, np.ndarray) else result[()]


class Sigmoid(Activation):
    """sigmoid(z) = 1 / (1 + e^-z), 0 where e^-z overflows; g'(z) = A (1 - A)."""

    name = "sigmoid"

    def _forward(self, Z, out):
        # the course's 1 / (1 + e^-z), in place; for z < -709 (float32: -88) e^-z overflows to
        # inf and 1 / (1 + inf) = 0, which is sigmoid(z) to within the smallest positive float
        A = np.negative(Z, out=out)
        with np.errstate(over="ignore"):
            np.exp(A, out=A)
        A += 1.0
        return np.reciprocal(A, out=A)

    def _backward(self, dA, A, out):
        one_minus_A = 1.0 - A
        dZ = np.multiply(dA, A, out=out)
        dZ *= one_minus_A
        return dZ


class Tanh(Activation):
    """tanh(z); g'(z) = 1 - A^2."""

    name = "tanh"

    def _forward(self, Z, out):
        return np.tanh(Z, out=out)

    def _backward(self, dA, A, out):
        dZ = np.square(A, out=out)
        np.subtract(1.0, dZ, out=dZ)
        dZ *= dA
        return dZ


class ReLU(Activation):
    """relu(z) = max(0, z); g'(z) = 1 where A > 0, else 0."""

    name = "relu"

    def _forward(self, Z, out):
        return np.maximum(Z, 0.0, out=out)

    gated = True

    def _backward(self, dA, A, out):
        return self.backward_gated(dA, np.greater(A, 0.0), out)

    def backward_gated(self, dA, positive, out=None):
        return np.multiply(dA, positive, out=out)  # g' as 1 or 0


class LeakyReLU(Activation):
    """leaky_relu(z) = z where z > 0, else slope * z; g'(z) = 1 or slope (slope > 0)."""

    name = "leaky_relu"

    def __init__(self, slope: float = 0.01):
        if not (0 < slope < 1):
            raise ValueError(f"leaky_relu slope is {slope!r}; expected a number in (0, 1)")
        self.slope = float(slope)

    @property
    def spec(self) -> str:
        return self.name if self.slope == 0.01 else f"{self.name}:{self.slope!r}"

    def _forward(self, Z, out):
        # slope in (0, 1): max(z, slope * z) is z for z > 0 and slope * z otherwise
        return np.maximum(Z, self.slope * Z, out=out)

    gated = True

    def _backward(self, dA, A, out):
        return self.backward_gated(dA, np.greater(A, 0.0), out)  # A has the sign of Z since slope > 0

    def backward_gated(self, dA, positive, out=None):
        dZ = dA.copy() if out is None else out
        if dZ is not dA:
            np.copyto(dZ, dA)
        return np.multiply(dZ, self.slope, out=dZ, where=~positive)  # g' = 1 where A > 0, slope elsewhere


class Linear(Activation):
    """The identity, for regression outputs; g'(z) = 1."""

    name = "linear"

    def _forward(self, Z, out):
        if out is None or out is Z:
            return Z
        np.copyto(out, Z)
        return out

    def _backward(self, dA, A, out):
        if out is None or out is dA:
            return dA
        np.copyto(out, dA)
        return out


class Softmax(Activation):
    """softmax over the units of each example (axis 0), shifted by its max to avoid overflow.

    Backward applies the Jacobian: ``dZ = A * (dA - sum(A * dA, axis=0))``.
    """

    name = "softmax"

    def _forward(self, Z, out):
        A = np.subtract(Z, Z.max(axis=0, keepdims=True), out=out)
        np.exp(A, out=A)
        A /= A.sum(axis=0, keepdims=True)
        return A

    def _backward(self, dA, A, out):
        s = (A * dA).sum(axis=0, keepdims=True)
        return np.multiply(A, dA - s, out=out)


class Exp(Activation):
    """exp(z), the output of counts and rates (Poisson regression); g'(z) = A. ``z`` is capped
    at log(dtype max), so A stays finite.

    The output of Poisson regression (losses.PoissonDeviance is its loss).
    """

    name = "exp"

    def _forward(self, Z, out):
        A = np.minimum(Z, Z.dtype.type(np.log(np.finfo(Z.dtype).max) * (1 - 1e-6)), out=out)
        return np.exp(A, out=A)

    def _backward(self, dA, A, out):
        return np.multiply(dA, A, out=out)


ACTIVATIONS: dict[str, type[Activation]] = {}


def register(cls: type[Activation]) -> type[Activation]:
    """Make ``cls`` available by its ``name``."""
    ACTIVATIONS[cls.name] = cls
    return cls


for _cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax, Exp):
    register(_cls)


def get_activation(spec: str | Activation) -> Activation:
    """Resolve ``"relu"``, ``"leaky_relu:0.2"`` or an ``Activation`` instance."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"activation is {spec!r}; expected a name, one of {sorted(ACTIVATIONS)}")
    name, _, arg = spec.partition(":")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {spec!r}; expected one of {sorted(ACTIVATIONS)}")
    if not arg:
        return ACTIVATIONS[name]()
    try:
        value = float(arg)
    except ValueError:
        raise ValueError(f"activation {spec!r}: parameter {arg!r} is not a number") from None
    try:
        return ACTIVATIONS[name](value)
    except TypeError:
        raise ValueError(f"activation {name!r} takes no parameter, got {spec!r}") from None


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """sigmoid(Z) elementwise, any shape."""
    return Sigmoid().forward(Z)


def tanh(Z: np.ndarray) -> np.ndarray:
    """tanh(Z) elementwise, any shape."""
    return Tanh().forward(Z)


def relu(Z: np.ndarray) -> np.ndarray:
    """max(0, Z) elementwise, any shape."""
    return ReLU().forward(Z)


def leaky_relu(Z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Z where Z > 0, else slope * Z."""
    return LeakyReLU(slope).forward(Z)


def softmax(Z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 of ``Z: (n_classes, m)``."""
    return Softmax().forward(Z)
