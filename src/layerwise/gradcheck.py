"""Gradient checking: backpropagation against two-sided finite differences, in float64.

``relative difference = ||g - g_approx|| / (||g|| + ||g_approx||)``; below 1e-7 the gradient
is right, above 1e-5 something is wrong.
"""

from __future__ import annotations

import numpy as np

from .blocks import model_backward, model_forward
from .losses import l2_cost


def _relative_difference(g: np.ndarray, g_approx: np.ndarray) -> float:
    denom = np.linalg.norm(g) + np.linalg.norm(g_approx)
    return float(np.linalg.norm(g - g_approx) / denom) if denom > 0 else 0.0


def gradient_check_report(
    net, X, Y, epsilon: float = 1e-7, *, lambd: float = 0.0, keep_prob=1.0, sample_weight=None, dropout_seed: int = 0
) -> dict[str, float]:
    """The relative difference for every ``dW[l]`` and ``db[l]``, and ``"all"`` over them together.

    Runs on a float64 copy of the parameters whatever the network's dtype. With dropout, every
    evaluation draws the same masks (a generator seeded with ``dropout_seed``).
    """
    X = np.asarray(net.check_X(X), dtype=np.float64)
    Y = np.asarray(net.check_Y(Y, X.shape[1]), dtype=np.float64)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = None if w is None else w / w.mean()
    keep_probs = net._keep_probs(keep_prob)
    params = {k: v.astype(np.float64) for k, v in net.parameters.items()}
    m = X.shape[1]

    def forward():
        return model_forward(X, params, net.activations, keep_probs, np.random.default_rng(dropout_seed))

    def J() -> float:
        return net.loss.cost(forward()[0], Y, w) + l2_cost(params, lambd, m)

    AL, caches = forward()
    grads = model_backward(AL, Y, caches, net.activations, net.loss, sample_weight=w, lambd=lambd, keep_probs=keep_probs)
    report, all_g, all_approx = {}, [], []
    for key, theta in params.items():
        approx = np.zeros_like(theta)
        flat, flat_approx = theta.reshape(-1), approx.reshape(-1)
        for i in range(flat.size):  # one perturbation per parameter: this is a check, not training
            old = flat[i]
            flat[i] = old + epsilon
            j_plus = J()
            flat[i] = old - epsilon
            j_minus = J()
            flat[i] = old
            flat_approx[i] = (j_plus - j_minus) / (2 * epsilon)
        report["d" + key] = _relative_difference(grads["d" + key], approx)
        all_g.append(grads["d" + key].ravel())
        all_approx.append(approx.ravel())
    report["all"] = _relative_difference(np.concatenate(all_g), np.concatenate(all_approx))
    return report


def gradient_check(net, X, Y, epsilon: float = 1e-7, **kwargs) -> float:
    """``||g - g_approx|| / (||g|| + ||g_approx||)`` over all parameters of ``net`` on ``X, Y``."""
    return gradient_check_report(net, X, Y, epsilon, **kwargs)["all"]
