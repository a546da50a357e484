"""Gradient checking: backpropagation against two-sided finite differences, in float64.

``relative difference = ||g - g_approx|| / (||g|| + ||g_approx||)``; below 1e-7 the gradient
is right, above 1e-5 something is wrong.

``check_gradients`` checks any gradients (a learner's own backward function, or the arrays
it returned) against the finite differences of any cost; ``gradient_check_report`` checks a
``Network``'s own backward pass through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .blocks import model_backward, model_forward
from .losses import l2_cost

Parameters = dict[str, np.ndarray]

#: The course's bound: above it, "There is a mistake in the backward propagation!"
THRESHOLD = 2e-7


def relative_difference(g: np.ndarray, g_approx: np.ndarray) -> float:
    """``||g - g_approx|| / (||g|| + ||g_approx||)`` (0 when both are 0)."""
    denom = np.linalg.norm(g) + np.linalg.norm(g_approx)
    return float(np.linalg.norm(g - g_approx) / denom) if denom > 0 else 0.0


def finite_differences(cost: Callable[[Parameters], float], parameters: Parameters, epsilon: float = 1e-7) -> dict[str, np.ndarray]:
    """``{"dW1": (J(W1 + eps) - J(W1 - eps)) / 2 eps, ...}``, one entry of one parameter at a time.

    ``cost(parameters) -> J`` is called with float64 copies of ``parameters`` (never the
    caller's arrays), each perturbed in turn; the result has the parameters' shapes.
    """
    params = {key: np.array(value, dtype=np.float64) for key, value in parameters.items()}

    def J() -> float:
        value = float(np.squeeze(cost(params)))
        if not np.isfinite(value):
            raise ValueError(f"cost returned {value} during the gradient check; expected a finite number")
        return value

    approx = {}
    for key, theta in params.items():
        flat, flat_approx = theta.reshape(-1), np.zeros(theta.size)
        for i in range(flat.size):  # one perturbation per parameter: this is a check, not training
            old = flat[i]
            flat[i] = old + epsilon
            j_plus = J()
            flat[i] = old - epsilon
            j_minus = J()
            flat[i] = old
            flat_approx[i] = (j_plus - j_minus) / (2 * epsilon)
        approx["d" + key] = flat_approx.reshape(theta.shape)
    return approx


def _quantity(key: str) -> str:
    """``"dW2"`` -> ``"dW2, the gradient of layer 2's weights W2"``."""
    match = re.fullmatch(r"d([A-Za-z_]+?)(\d*)", key)
    if not match:
        return key
    name, layer = match.groups()
    what = {"W": "weights", "w": "weights", "b": "bias"}.get(name, "parameter")
    where = f"layer {layer}'s " if layer else ""
    return f"{key}, the gradient of {where}{what} {name}{layer}"


@dataclass(frozen=True)
class GradientCheck:
    """The result of ``check_gradients``: one relative difference per gradient and over all.

    ``differences["dW2"]`` compares the given ``dW2`` with its finite differences; ``ok`` is
    the course's verdict, the difference over all parameters together within ``threshold``
    (one gradient alone is noisier: its finite differences are divided by a smaller norm);
    ``worst`` names the gradient that differs most, and ``str(check)`` says which layer and
    quantity it is, and at which entry.
    """

    differences: dict[str, float]
    difference: float
    threshold: float
    gradients: dict[str, np.ndarray]
    approximations: dict[str, np.ndarray]

    @property
    def worst(self) -> str:
        return max(self.differences, key=self.differences.get)

    @property
    def ok(self) -> bool:
        return self.difference <= self.threshold

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        key = self.worst
        diff = self.differences[key]
        if self.ok:
            return (f"the gradients agree with finite differences: relative difference {self.difference:.3g} "
                    f"<= {self.threshold:g} over all parameters (largest for one gradient: {key}, {diff:.3g})")
        g, approx = self.gradients[key], self.approximations[key]
        index = np.unravel_index(int(np.argmax(np.abs(g - approx))), g.shape)
        return (f"{_quantity(key)}, is wrong: relative difference {diff:.3g} "
                f"(over all parameters {self.difference:.3g} > {self.threshold:g}); "
                f"largest gap at {key}[{', '.join(map(str, index))}]: given {g[index]:.6g}, "
                f"finite differences {approx[index]:.6g}")


def _given_gradients(gradients, parameters: Parameters, approx: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The user's gradient for each parameter, as float64 arrays of its shape."""
    if callable(gradients):
        gradients = gradients({key: np.array(value, dtype=np.float64) for key, value in parameters.items()})
    if not isinstance(gradients, dict):
        raise TypeError(f"gradients is {type(gradients).__name__}; expected a dict {{'dW1': ..., 'db1': ...}} or a function returning one")
    given = {}
    for key in approx:
        if key not in gradients:
            raise ValueError(f"gradients has keys {sorted(gradients)}; expected {key!r} for parameter {key[1:]!r}")
        g = np.asarray(gradients[key], dtype=np.float64)
        if g.size != approx[key].size or g.squeeze().shape != approx[key].squeeze().shape:
            raise ValueError(f"gradients[{key!r}] has shape {g.shape}; expected {approx[key].shape}, the shape of {key[1:]}")
        given[key] = g.reshape(approx[key].shape)
    return given


def check_gradients(
    cost: Callable[[Parameters], float],
    parameters: Parameters,
    gradients: dict[str, np.ndarray] | Callable[[Parameters], dict[str, np.ndarray]],
    epsilon: float = 1e-7,
    threshold: float = THRESHOLD,
) -> GradientCheck:
    """Check user-supplied gradients against two-sided finite differences of ``cost``.

    Arguments:
        cost: ``parameters -> J``, e.g. ``lambda p: compute_cost(forward(X, p)[0], Y)``.
        parameters: ``{"W1": (n1, n0), "b1": (n1, 1), ...}`` (any names; never modified).
        gradients: ``{"dW1": ..., "db1": ...}`` with the parameters' shapes (extra keys such
            as ``dA1`` are ignored), or a function ``parameters -> gradients``: your backward.
    Returns: a ``GradientCheck``: ``check.ok`` (the relative difference over all parameters is
    at most ``threshold``), ``check.worst`` (e.g. ``"dW2"``), ``check.differences``, ``str(check)``.
    """
    approx = finite_differences(cost, parameters, epsilon)
    given = _given_gradients(gradients, parameters, approx)
    differences = {key: relative_difference(given[key], approx[key]) for key in approx}
    overall = relative_difference(
        np.concatenate([g.ravel() for g in given.values()]), np.concatenate([a.ravel() for a in approx.values()])
    )
    return GradientCheck(differences, overall, threshold, given, approx)


def gradient_check_report(
    net, X, Y, epsilon: float = 1e-7, *, lambd: float = 0.0, keep_prob=1.0, sample_weight=None, dropout_seed: int = 0
) -> dict[str, float]:
    """The relative difference for every ``dW[l]`` and ``db[l]`` of ``net``'s own backward pass,
    and ``"all"`` over them together.

    Runs on a float64 copy of the parameters whatever the network's dtype. With dropout, every
    evaluation draws the same masks (a generator seeded with ``dropout_seed``).
    """
    X = np.asarray(net.check_X(X), dtype=np.float64)
    Y = np.asarray(net.check_Y(Y, X.shape[1]), dtype=np.float64)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = None if w is None else w / w.mean()
    keep_probs = net._keep_probs(keep_prob)
    m = X.shape[1]

    def forward(params):
        return model_forward(X, params, net.activations, keep_probs, np.random.default_rng(dropout_seed))

    def J(params) -> float:
        return net.loss.cost(forward(params)[0], Y, w) + l2_cost(params, lambd, m)

    def backward(params):
        AL, caches = forward(params)
        return model_backward(AL, Y, caches, net.activations, net.loss, sample_weight=w, lambd=lambd, keep_probs=keep_probs)

    check = check_gradients(J, net.parameters, backward, epsilon)
    return {**check.differences, "all": check.difference}


def gradient_check(net, X, Y, epsilon: float = 1e-7, **kwargs) -> float:
    """``||g - g_approx|| / (||g|| + ||g_approx||)`` over all parameters of ``net`` on ``X, Y``."""
    return gradient_check_report(net, X, Y, epsilon, **kwargs)["all"]
