"""The course's building blocks: forward, backward and update for an L-layer network.

Shapes, for layer ``l`` with ``n[l]`` units and a batch of ``m`` examples (columns):
``A_prev: (n[l-1], m)``, ``W: (n[l], n[l-1])``, ``b: (n[l], 1)``, ``Z, A, dZ, dA: (n[l], m)``;
``dW`` and ``db`` have the shapes of ``W`` and ``b``.

Every model in layerwise (logistic regression, shallow and deep networks, the estimators and
the CLI) trains through these functions; there is no second implementation of a formula.

The first layer's input ``A0 = X`` may be a SciPy sparse matrix (CSR/CSC): only its two
products, ``W1 X`` and ``dZ1 X.T``, touch it, through SciPy's sparse-times-dense product.

Each function returns new arrays by default. Given ``out`` arrays (a ``Workspace``, which the
training loop makes once per batch shape), it writes into them instead, so a training step
allocates nothing: the same formulas, with NumPy's ``out=``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _checks
from .activations import Activation, get_activation
from .losses import Loss, get_loss

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]  # (A_prev, W, b)
LayerCache = tuple[LinearCache, np.ndarray]  # (linear_cache, A): g'(Z) is computed from A
BackwardOut = tuple[np.ndarray | None, np.ndarray, np.ndarray]  # arrays for (dA_prev, dW, db)


def is_sparse(A) -> bool:
    """True for a SciPy sparse matrix or array (the first layer's input may be one)."""
    return hasattr(A, "tocsr") and not isinstance(A, np.ndarray)


def linear_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, out: np.ndarray | None = None
) -> tuple[np.ndarray, LinearCache]:
    """Z = W A_prev + b.

    Arguments: ``A_prev: (n[l-1], m)``, ``W: (n[l], n[l-1])``, ``b: (n[l], 1)``; optionally
    ``out: (n[l], m)`` to receive ``Z``.
    Returns: ``Z: (n[l], m)`` and the cache ``(A_prev, W, b)``.
    """
    try:
        if is_sparse(A_prev):  # (A_prev.T W.T).T: SciPy's sparse-times-dense product
            Z = (A_prev.T @ W.T).T
            Z = Z if out is None else np.copyto(out, Z) or out
        else:
            Z = np.dot(W, A_prev, out=out)
        fits = W.ndim == 2 and Z.ndim == 2  # so A_prev is 2-D too
        Z += b
    except (ValueError, TypeError, AttributeError):
        fits = False
    if not fits:  # name the argument at fault instead of NumPy's broadcasting error
        _checks.explain_linear(A_prev, W, b)
    return Z, (A_prev, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str | Activation, out: np.ndarray | None = None
) -> tuple[np.ndarray, LayerCache]:
    """A = g(W A_prev + b).

    Returns: ``A: (n[l], m)`` (in ``out`` if given) and the cache ``((A_prev, W, b), A)``.
    ``Z`` is overwritten by ``A`` in place: every derivative is computed from ``A``.
    """
    Z, linear_cache = linear_forward(A_prev, W, b, out)
    A = get_activation(activation).forward(Z, out=Z)
    return A, (linear_cache, A)


def linear_backward(
    dZ: np.ndarray, cache: LinearCache, need_dA_prev: bool = True, out: BackwardOut | None = None
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dW = dZ A_prev.T / m, db = sum(dZ, axis=1) / m, dA_prev = W.T dZ.

    Arguments: ``dZ: (n[l], m)``, the cache of ``linear_forward``; optionally ``out``, the
    arrays ``(dA_prev, dW, db)`` to write the results into.
    Returns: ``dA_prev: (n[l-1], m)`` (``None`` when not ``need_dA_prev``), ``dW``, ``db``.
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dA_prev_out, dW_out, db_out = out or (None, None, None)
    try:
        if is_sparse(A_prev):  # (A_prev dZ.T).T
            dW = (A_prev @ dZ.T).T
            dW = dW if dW_out is None else np.copyto(dW_out, dW) or dW_out
        else:
            dW = np.dot(dZ, A_prev.T, out=dW_out)
    except (ValueError, TypeError):
        dW = None
    if dW is None or dW.shape != W.shape:
        _checks.explain_gradient("dZ", dZ, (W.shape[0], m))
    dW *= 1 / m
    db = dZ.sum(axis=1, keepdims=True, out=db_out)
    db *= 1 / m
    dA_prev = np.dot(W.T, dZ, out=dA_prev_out) if need_dA_prev else None
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray,
    cache: LayerCache,
    activation: str | Activation,
    need_dA_prev: bool = True,
    out: BackwardOut | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dZ = dA * g'(Z), then ``linear_backward``.

    Arguments: ``dA: (n[l], m)``, the cache of ``linear_activation_forward``; optionally
    ``out = (dA_prev, dW, db)`` arrays to write into, and then ``dZ`` is written over the
    cached ``A`` (this is its last use), so nothing is allocated.
    Returns: ``dA_prev: (n[l-1], m)`` (or ``None``), ``dW: (n[l], n[l-1])``, ``db: (n[l], 1)``.
    """
    linear_cache, A = cache
    try:
        dZ = get_activation(activation).backward(dA, A, out=None if out is None else A)
    except (ValueError, TypeError):
        dZ = None
    if dZ is None or dZ.shape != A.shape:
        _checks.explain_gradient("dA", dA, A.shape)
    return linear_backward(dZ, linear_cache, need_dA_prev, out)


def _dropout(A: np.ndarray, keep_prob: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: keep each unit with probability keep_prob and scale by 1/keep_prob."""
    D = rng.random(A.shape, dtype=A.dtype) < keep_prob
    return A * D / np.asarray(keep_prob, dtype=A.dtype), D


class Workspace:
    """The arrays of a training step on batches of ``m`` examples, made once and reused every step.

    ``A[l]: (n[l], m)`` receives ``Z[l]``, then ``A[l] = g(Z[l])`` (forward), then ``dZ[l]``
    (backward, the last use of ``A[l]``); ``grads`` holds ``dW[l]`` and ``db[l]``, all views of
    the one vector ``flat_grads`` (in the order W1, b1, W2, ...); ``out[l]`` is
    ``(dA_prev, dW, db)`` for layer ``l``'s backward step.

    ``dA_prev[l] = W[l].T dZ[l]: (n[l-1], m)`` goes straight over ``A[l-1]`` when the
    ``activations`` say that layer ``l-1`` is ``gated`` (ReLU: g' needs only ``A > 0``, kept
    first in ``positive[l-1]``, a boolean view of one byte buffer); otherwise (or without
    ``activations``) into one scratch array, viewed as ``(n[l-1], m)`` by each such layer.
    """

    def __init__(self, layer_dims: Sequence[int], m: int, dtype, activations: Sequence[str | Activation] | None = None):
        L = len(layer_dims) - 1
        self.A = [None] + [np.empty((n, m), dtype) for n in layer_dims[1:]]
        gated = [False] + [activations is not None and get_activation(a).gated for a in (activations or [])[: L - 1]]
        gated += [False] * (L + 1 - len(gated))  # gated[l]: layer l (hidden) keeps A > 0 instead of A
        hidden = range(1, L)
        scratch = np.empty(max((layer_dims[l] for l in hidden if not gated[l]), default=0) * m, dtype)
        positive = np.empty(max((layer_dims[l] for l in hidden if gated[l]), default=0) * m, bool)
        self.positive = [positive[: layer_dims[l] * m].reshape(layer_dims[l], m) if gated[l] else None for l in range(L)]
        self.dA_prev = [None, None] + [
            self.A[l - 1] if gated[l - 1] else scratch[: layer_dims[l - 1] * m].reshape(layer_dims[l - 1], m)
            for l in range(2, L + 1)
        ]
        shapes = {}
        for l in range(1, L + 1):
            shapes[f"dW{l}"], shapes[f"db{l}"] = (layer_dims[l], layer_dims[l - 1]), (layer_dims[l], 1)
        self.flat_grads = np.empty(sum(r * c for r, c in shapes.values()), dtype)
        self.grads: dict[str, np.ndarray] = {}
        offset = 0
        for key, (r, c) in shapes.items():
            self.grads[key] = self.flat_grads[offset : offset + r * c].reshape(r, c)
            offset += r * c
        self.out: list[BackwardOut | None] = [None] + [
            (self.dA_prev[l], self.grads[f"dW{l}"], self.grads[f"db{l}"]) for l in range(1, L + 1)
        ]


def model_forward(
    X: np.ndarray,
    parameters: dict[str, np.ndarray],
    activations: Sequence[str | Activation],
    keep_probs: Sequence[float] | None = None,
    rng: np.random.Generator | None = None,
    *,
    workspace: Workspace | None = None,
) -> tuple[np.ndarray, list]:
    """Forward pass through L layers: one loop over layers, vectorized over examples.

    Arguments: ``X: (n[0], m)``; ``parameters`` with ``W1, b1, ..., WL, bL``; one activation
    per layer; optionally a keep probability per hidden layer (inverted dropout; ``rng``
    draws the masks) and a ``workspace`` whose arrays receive each layer's ``A``.
    Returns: ``AL: (n[L], m)`` and one cache per layer, ``(linear_cache, A, D)`` where ``D``
    is the dropout mask or ``None``.
    """
    L = len(activations)
    X = X if is_sparse(X) else np.asarray(X)
    W1 = parameters.get("W1")
    if W1 is not None and (X.ndim != 2 or X.shape[0] != np.shape(W1)[1]):
        raise ValueError(f"X has shape {X.shape}; expected ({np.shape(W1)[1]}, m), as many rows as W1 has columns")
    caches = []
    A = X
    for l in range(1, L + 1):
        try:
            W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        except KeyError:
            raise ValueError(f"parameters has keys {sorted(parameters)}; expected W1..W{L} and b1..b{L} for {L} activations") from None
        out = None if workspace is None else workspace.A[l]
        A, (linear_cache, A_act) = linear_activation_forward(A, W, b, activations[l - 1], out)
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
    workspace: Workspace | None = None,
) -> dict[str, np.ndarray]:
    """Backward pass: ``grads = {"dW1": .., "db1": .., ..., "dWL", "dbL"}``.

    Arguments: ``AL, Y: (n[L], m)``; the caches of ``model_forward``; per-example weights
    ``(1, m)`` normalised to mean 1 (or ``None``); the L2 strength ``lambd`` (adds
    ``lambd/m * W`` to ``dW``). ``dA0 ... dA{L-1}`` are computed and returned only with
    ``return_dA``: nothing else needs the input's gradient. With the ``workspace`` of the
    forward pass, the gradients are its arrays (``workspace.grads``) and each ``dZ[l]`` is
    written over the cached ``A[l]``: the caches are used up.
    """
    loss = get_loss(loss)
    L = len(caches)
    if L != len(activations) or L == 0:
        raise ValueError(f"caches has {L} entries; expected one per layer ({len(activations)}), as model_forward returns them")
    if return_dA and workspace is not None:
        raise ValueError("return_dA needs arrays of its own for every dA; call model_backward without a workspace")
    m = AL.shape[1]
    ws = workspace
    grads: dict[str, np.ndarray] = {} if ws is None else ws.grads
    out_act = get_activation(activations[-1])
    if return_dA:
        grads[f"dA{L}"] = loss.dAL(AL, Y, sample_weight)
    if loss.fused == out_act.name:
        dZ = loss.dZ_fused(AL, Y, sample_weight, out=None if ws is None else AL)
    else:
        dZ = out_act.backward(loss.dAL(AL, Y, sample_weight), AL, out=None if ws is None else AL)
    for l in range(L, 0, -1):
        positive = None if ws is None or l == 1 else ws.positive[l - 1]
        if positive is not None:  # g'(Z[l-1]) needs only A[l-1] > 0: keep it, and dA[l-1] goes over A[l-1]
            np.greater(caches[l - 2][1], 0.0, out=positive)
        dA_prev, dW, db = linear_backward(dZ, caches[l - 1][0], l > 1 or return_dA, None if ws is None else ws.out[l])
        if lambd:
            _add_scaled(np.add, dW, lambd / m, caches[l - 1][0][1])  # dW += lambd/m W
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db
        if return_dA:
            grads[f"dA{l - 1}"] = dA_prev
        if l == 1:
            break
        _, A, D = caches[l - 2]
        act = get_activation(activations[l - 2])
        if D is not None:
            keep = np.asarray(keep_probs[l - 2], dtype=dA_prev.dtype)
            if ws is None:  # (dA_prev may be returned as it is, before the mask)
                dA_prev = dA_prev * D / keep
            else:
                np.divide(np.multiply(dA_prev, D, out=dA_prev), keep, out=dA_prev)
        if positive is not None:
            dZ = act.backward_gated(dA_prev, positive, out=dA_prev)
        else:  # dZ[l-1] = dA[l-1] * g'(Z[l-1]), written over A[l-1] (its last use) in the workspace
            dZ = act.backward(dA_prev, A, out=None if ws is None else A)
    return grads


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """Gradient descent, in place: W[l] -= learning_rate * dW[l], b[l] -= learning_rate * db[l]."""
    for key, param in parameters.items():
        if "d" + key not in grads:
            raise ValueError(f"grads has keys {sorted(grads)}; expected 'd{key}' for parameter {key!r}")
        _add_scaled(np.subtract, param, learning_rate, grads["d" + key])
    return parameters


#: Elements of the temporary ``alpha * x`` that ``_add_scaled`` computes at a time.
_CHUNK = 1 << 16


def _add_scaled(op, y: np.ndarray, alpha: float, x) -> None:
    """``y = op(y, alpha * x)`` in place (``op``: ``np.add`` or ``np.subtract``), the same floats,
    but ``alpha * x`` is made ``_CHUNK`` elements at a time (rows of ``y``), never the size of ``y``."""
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape and x.ndim) or x.size <= _CHUNK:
        op(y, alpha * x, out=y)
        return
    rows = max(1, _CHUNK // (x.size // len(x)))
    buf = np.empty((rows, *x.shape[1:]), np.result_type(x.dtype, alpha))
    for i in range(0, len(x), rows):
        t = np.multiply(x[i : i + rows], alpha, out=buf[: len(x) - i])
        op(y[i : i + rows], t, out=y[i : i + rows])
