"""The course's building blocks: forward, backward and update for an L-layer network.

Shapes, for layer ``l`` with ``n[l]`` units and a batch of ``m`` examples (columns):
``A_prev: (n[l-1], m)``, ``W: (n[l], n[l-1])``, ``b: (n[l], 1)``, ``Z, A, dZ, dA: (n[l], m)``;
``dW`` and ``db`` have the shapes of ``W`` and ``b``.

Every model in layerwise (logistic regression, shallow and deep networks, the estimators and
the CLI) trains through these functions; there is no second implementation of a formula.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import Activation, get_activation
from .losses import Loss, get_loss

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]  # (A_prev, W, b)
LayerCache = tuple[LinearCache, np.ndarray]  # (linear_cache, A): g'(Z) is computed from A


def linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Z = W A_prev + b.

    Arguments: ``A_prev: (n[l-1], m)``, ``W: (n[l], n[l-1])``, ``b: (n[l], 1)``.
    Returns: ``Z: (n[l], m)`` and the cache ``(A_prev, W, b)``.
    """
    Z = W @ A_prev
    Z += b
    return Z, (A_prev, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str | Activation
) -> tuple[np.ndarray, LayerCache]:
    """A = g(W A_prev + b).

    Returns: ``A: (n[l], m)`` and the cache ``((A_prev, W, b), A)``. ``Z`` is overwritten by
    ``A`` in place: every derivative is computed from ``A``.
    """
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = get_activation(activation).forward(Z, out=Z)
    return A, (linear_cache, A)


def linear_backward(
    dZ: np.ndarray, cache: LinearCache, need_dA_prev: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dW = dZ A_prev.T / m, db = sum(dZ, axis=1) / m, dA_prev = W.T dZ.

    Arguments: ``dZ: (n[l], m)``, the cache of ``linear_forward``.
    Returns: ``dA_prev: (n[l-1], m)`` (``None`` when not ``need_dA_prev``), ``dW``, ``db``.
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T
    dW /= m
    db = dZ.sum(axis=1, keepdims=True)
    db /= m
    dA_prev = W.T @ dZ if need_dA_prev else None
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: LayerCache, activation: str | Activation, need_dA_prev: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dZ = dA * g'(Z), then ``linear_backward``.

    Arguments: ``dA: (n[l], m)``, the cache of ``linear_activation_forward``.
    Returns: ``dA_prev: (n[l-1], m)`` (or ``None``), ``dW: (n[l], n[l-1])``, ``db: (n[l], 1)``.
    """
    linear_cache, A = cache
    dZ = get_activation(activation).backward(dA, A)
    return linear_backward(dZ, linear_cache, need_dA_prev)


def _dropout(A: np.ndarray, keep_prob: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: keep each unit with probability keep_prob and scale by 1/keep_prob."""
    D = rng.random(A.shape, dtype=A.dtype) < keep_prob
    return A * D / np.asarray(keep_prob, dtype=A.dtype), D


def model_forward(
    X: np.ndarray,
    parameters: dict[str, np.ndarray],
    activations: Sequence[str | Activation],
    keep_probs: Sequence[float] | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, list]:
    """Forward pass through L layers: one loop over layers, vectorized over examples.

    Arguments: ``X: (n[0], m)``; ``parameters`` with ``W1, b1, ..., WL, bL``; one activation
    per layer; optionally a keep probability per hidden layer (inverted dropout; ``rng``
    draws the masks).
    Returns: ``AL: (n[L], m)`` and one cache per layer, ``(linear_cache, A, D)`` where ``D``
    is the dropout mask or ``None``.
    """
    L = len(activations)
    caches = []
    A = X
    for l in range(1, L + 1):
        A, (linear_cache, A_act) = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activations[l - 1])
        D = None
        if keep_probs is not None and l < L and keep_probs[l - 1] < 1:
            A, D = _dropout(A_act, keep_probs[l - 1], rng)
        caches.append((linear_cache, A_act, D))
    return A, caches


def model_backward(
    AL: np.ndarray,
    Y: np.ndarray,
    caches: list,
    activations: Sequence[str | Activation],
    loss: str | Loss,
    *,
    sample_weight: np.ndarray | None = None,
    lambd: float = 0.0,
    keep_probs: Sequence[float] | None = None,
    return_dA: bool = False,
) -> dict[str, np.ndarray]:
    """Backward pass: ``grads = {"dW1": .., "db1": .., ..., "dWL", "dbL"}``.

    Arguments: ``AL, Y: (n[L], m)``; the caches of ``model_forward``; per-example weights
    ``(1, m)`` normalised to mean 1 (or ``None``); the L2 strength ``lambd`` (adds
    ``lambd/m * W`` to ``dW``). ``dA0 ... dA{L-1}`` are computed and returned only with
    ``return_dA``: nothing else needs the input's gradient.
    """
    loss = get_loss(loss)
    L = len(caches)
    m = AL.shape[1]
    grads: dict[str, np.ndarray] = {}
    out_act = get_activation(activations[-1])
    if return_dA:
        grads[f"dA{L}"] = loss.dAL(AL, Y, sample_weight)
    if loss.fused == out_act.name:
        dZ = loss.dZ_fused(AL, Y, sample_weight)
    else:
        dZ = out_act.backward(loss.dAL(AL, Y, sample_weight), caches[-1][1])
    dA_prev, dW, db = linear_backward(dZ, caches[-1][0], need_dA_prev=L > 1 or return_dA)
    for l in range(L, 0, -1):
        if lambd:
            dW += (lambd / m) * caches[l - 1][0][1]
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        if return_dA:
            grads[f"dA{l - 1}"] = dA_prev
        if l == 1:
            break
        linear_cache, A, D = caches[l - 2]
        if D is not None:
            dA_prev = dA_prev * D / np.asarray(keep_probs[l - 2], dtype=dA_prev.dtype)
        dA_prev, dW, db = linear_activation_backward(
            dA_prev, (linear_cache, A), activations[l - 2], need_dA_prev=l > 2 or return_dA
        )
    return grads


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """Gradient descent, in place: W[l] -= learning_rate * dW[l], b[l] -= learning_rate * db[l]."""
    for key, param in parameters.items():
        param -= learning_rate * grads["d" + key]
    return parameters
