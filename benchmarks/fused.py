"""A fused compiled training step for small networks (numba): the yardstick of per-call overhead.

One ``@njit`` function does a whole full-batch iteration, forward, cost, backward and the
update, with explicit loops over flat arrays made once: no temporaries (only views), one call
from Python per step. Hidden layers tanh or ReLU, a sigmoid output with binary cross-entropy (any
``layer_dims``); the parameters are one vector ``theta`` holding, per layer, ``W[l]: (n[l],
n[l-1])`` row by row, then ``b[l]: (n[l],)``. ``numba`` is imported only by this module.
"""

from __future__ import annotations

import numpy as np
from numba import njit

HIDDEN = {"tanh": 0, "relu": 1}


@njit(cache=False, fastmath={"reassoc", "contract"})
def fused_step(X, Y, theta, dims, offsets, hidden, lr, eps, A, D1, D2):
    """One iteration on ``X: (n_x * m,)`` and ``Y: (n_y * m,)`` (flat, C order); returns the cost
    computed before the update. ``A`` holds A[1..L] one after the other; ``D1``, ``D2`` take
    dZ and dA_prev in turn (each ``max(n[l]) * m``); ``offsets[l - 1]`` is where layer l's W
    starts in ``theta`` (its b follows it). The loops run over one row (one unit's m values) at
    a time, through 1-d views, which is what lets LLVM vectorize them (indexing the flat arrays
    at ``offset + j`` it does not); reassociation and FMA contraction are allowed, so that sums
    vectorize too; no approximate math functions."""
    L = dims.shape[0] - 1
    m = Y.shape[0] // dims[L]
    # forward: Z = W A_prev + b written into A[l], then g in place
    a_prev, ap, ao = X, 0, 0
    for l in range(1, L + 1):
        n, p, wo = dims[l], dims[l - 1], offsets[l - 1]
        bo = wo + n * p
        for i in range(n):
            z = A[ao + i * m : ao + (i + 1) * m]
            bi = theta[bo + i]
            for j in range(m):
                z[j] = bi
            for k in range(p):
                w = theta[wo + i * p + k]
                x = a_prev[ap + k * m : ap + (k + 1) * m]
                for j in range(m):
                    z[j] += w * x[j]
            if l < L:
                if hidden == 0:
                    for j in range(m):
                        z[j] = np.tanh(z[j])
                else:
                    for j in range(m):
                        z[j] = max(z[j], 0.0)
            else:
                for j in range(m):
                    if z[j] >= 0:
                        z[j] = 1.0 / (1.0 + np.exp(-z[j]))
                    else:
                        e = np.exp(z[j])
                        z[j] = e / (1.0 + e)
        a_prev, ap = A, ao
        ao += n * m
    # cost: binary cross-entropy on AL clipped to [eps, 1 - eps]; then dZ[L] = AL - Y into D1
    aL = ao - dims[L] * m
    nL = dims[L] * m
    AL, dZL = A[aL : aL + nL], D1[:nL]
    J = 0.0
    for t in range(nL):
        a = min(max(AL[t], eps), 1.0 - eps)
        J += Y[t] * np.log(a) + (1.0 - Y[t]) * np.log1p(-a)
        dZL[t] = AL[t] - Y[t]
    cost = -J / m
    # backward, layer by layer: dA_prev = W.T dZ (old W), then W -= lr dZ A_prev.T / m, b -= lr sum(dZ) / m,
    # then dZ_prev = dA_prev * g'(A_prev) in place
    dZ, dA = D1, D2
    ao = aL
    for l in range(L, 0, -1):
        n, p, wo = dims[l], dims[l - 1], offsets[l - 1]
        bo = wo + n * p
        if l > 1:
            ap, a_prev = ao - p * m, A
        else:
            ap, a_prev = 0, X
        if l > 1:
            for k in range(p):
                da = dA[k * m : (k + 1) * m]
                for j in range(m):
                    da[j] = 0.0
                for i in range(n):
                    w = theta[wo + i * p + k]
                    dz = dZ[i * m : (i + 1) * m]
                    for j in range(m):
                        da[j] += w * dz[j]
        for i in range(n):
            dz = dZ[i * m : (i + 1) * m]
            s = 0.0
            for j in range(m):
                s += dz[j]
            theta[bo + i] -= lr * (s / m)
            for k in range(p):
                x = a_prev[ap + k * m : ap + (k + 1) * m]
                s = 0.0
                for j in range(m):
                    s += dz[j] * x[j]
                theta[wo + i * p + k] -= lr * (s / m)
        if l > 1:
            for k in range(p):
                da, a = dA[k * m : (k + 1) * m], a_prev[ap + k * m : ap + (k + 1) * m]
                if hidden == 0:
                    for j in range(m):
                        da[j] *= 1.0 - a[j] * a[j]
                else:
                    for j in range(m):
                        if a[j] <= 0:
                            da[j] = 0.0
            dZ, dA = dA, dZ
        ao = ap
    return cost


class FusedNet:
    """The buffers of ``fused_step`` for one network and data set, made once."""

    def __init__(self, layer_dims, hidden: str, params0: dict, X: np.ndarray, Y: np.ndarray, learning_rate: float):
        dt = X.dtype
        self.dims = np.asarray(layer_dims, dtype=np.int64)
        L, m = len(layer_dims) - 1, X.shape[1]
        sizes = [layer_dims[l] * (layer_dims[l - 1] + 1) for l in range(1, L + 1)]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.params0 = params0
        self.theta = np.empty(sum(sizes), dt)
        self.X, self.Y = np.ascontiguousarray(X).ravel(), np.ascontiguousarray(Y).ravel()
        self.A = np.empty(sum(layer_dims[1:]) * m, dt)
        self.D1, self.D2 = np.empty(max(layer_dims[1:]) * m, dt), np.empty(max(layer_dims[1:]) * m, dt)
        self.hidden, self.lr, self.eps = HIDDEN[hidden], dt.type(learning_rate), dt.type(np.finfo(dt).eps)
        self.reset()

    def reset(self) -> None:
        for l in range(1, len(self.dims)):
            W, b = self.params0[f"W{l}"], self.params0[f"b{l}"]
            o = self.offsets[l - 1]
            self.theta[o : o + W.size] = W.ravel()
            self.theta[o + W.size : o + W.size + b.size] = b.ravel()

    def step(self) -> float:
        return float(fused_step(self.X, self.Y, self.theta, self.dims, self.offsets, self.hidden, self.lr, self.eps, self.A, self.D1, self.D2))
