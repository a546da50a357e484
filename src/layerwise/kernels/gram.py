"""Full-batch gradient descent when ``n_x >> m``, through the Gram matrix ``G = X^T X``.

Every update of ``W1: (n1, n_x)`` is ``-lr dW1`` with ``dW1 = (dZ1 / m) X^T + (lambd / m) W1``:
its rows stay in the span of the starting ``W1_0`` and the rows of ``X^T``. So the kernel keeps

    W1 = s W1_0 + C X^T,     s: a scalar, C: (n1, m),

and never forms ``W1``. With ``P0 = W1_0 X: (n1, m)`` and ``G = X^T X: (m, m)``, both computed
once (``X.T @ X`` is BLAS's syrk):

    Z1 = s P0 + C G + b1
    dW1 = (lambd s / m) W1_0 + ((dZ1 + lambd C) / m) X^T,  so  ds = lambd s / m,  dC = (dZ1 + lambd C) / m
    ||W1||^2 = s^2 ||W1_0||^2 + 2 s <P0, C> + <C G, C>     (the L2 cost)

An optimizer whose update is linear in the gradient (``gd`` with any schedule, ``Momentum``,
``SGD`` classical or Nesterov) takes the same step on ``(s, C)`` as on ``W1``: its state is of
the same form, ``v_W1 = v_s W1_0 + v_C X^T``. A velocity it already holds for ``W1`` (a
continued run) is one more basis matrix with its own coefficient: ``s`` is then a vector
``a`` over the basis ``B = (W1_0, V0)``, and ``P0`` the stack ``B X``. Adam and RMSprop divide
elementwise by the gradient's size: not linear, not run here.

Everything else is the blocks' own code. Layer 1 goes into ``model_backward`` with the cache
``(I_m, C, b1)``: the identity as its input, so its ``dW1 = dZ1 I / m + (lambd / m) C`` is exactly
``dC`` (and ``db1`` is ``db1``), at the price of one ``(n1, m) x (m, m)`` product; layers 2..L
go forward through ``linear_activation_forward``; the cost is ``network.loss.cost`` plus
``l2_cost``; the update is the optimizer's per-parameter formula on the kernel's own flat
vectors. ``sync`` forms ``W1 = s W1_0 + C X^T`` (one ``(n1, m) x (m, n_x)`` product, and one per
velocity).

When it pays (``plan``), counting the flops of the products, a GEMM of ``(a, b) x (b, c)`` as ``2abc``:
    the blocks, per step:   ``4 n1 n_x m``  (``W1 X`` and ``dZ1 X^T``)
    the kernel, per step:   ``4 n1 m^2``    (``C G`` and ``dZ1 I``)
    set-up:                 ``m^2 n_x`` for ``G`` (syrk) + ``2 k n1 n_x m`` for ``P`` (``k`` basis matrices)
    each ``sync``:          ``2 (1 + slots) n1 m n_x`` (``W1`` and each velocity), after every step
                            when the parameters are read after every epoch, else once at the end.
It runs when ``n_x >= 2m`` and the flops saved are at least a quarter of what the blocks would
spend on the first layer's products; its estimate is the flops saved over the rate of the first
product, ``W1 X``, timed once per shape.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from .. import blocks
from ..losses import l2_cost
from ..optimizers import SGD, GradientDescent, Momentum

#: The optimizers whose update is linear in the gradient, and the state each keeps per parameter.
_SLOTS: dict[type, tuple[str, ...]] = {GradientDescent: (), Momentum: ("v",), SGD: ("v",)}

#: Measured flop rates of the first layer's product, by (dtype, n1, n_x, m).
_RATES: dict[tuple, float] = {}


def _starts(optimizer, slots) -> list[str]:
    """The slots in which ``optimizer`` already holds a state for ``W1`` (a continued run)."""
    return [s for s in slots if "W1" in optimizer.state.get(s, {})]


def flops(n_x: int, n1: int, m: int, epochs: int, sync: bool, slots: int, k: int) -> tuple[float, float]:
    """(the flops of the blocks' first-layer products over ``epochs`` steps, the flops the kernel saves)."""
    blocks_flops = 4.0 * n1 * n_x * m * epochs
    kernel_flops = 4.0 * n1 * m * m * epochs
    setup = float(m) * m * n_x + 2.0 * k * n1 * n_x * m
    materialise = 2.0 * (1 + slots) * n1 * m * n_x * (epochs if sync else 1)
    return blocks_flops, blocks_flops - kernel_flops - setup - materialise


def _rate(W1: np.ndarray, X: np.ndarray) -> float:
    """Flop/s of ``W1 X`` on this machine, timed once per shape and dtype."""
    key = (X.dtype.str, W1.shape[0], *X.shape)
    if key not in _RATES:
        start = time.perf_counter()
        np.dot(W1, X)
        _RATES[key] = 2.0 * W1.shape[0] * X.shape[0] * X.shape[1] / max(time.perf_counter() - start, 1e-9)
    return _RATES[key]


class Kernel:
    """Full-batch steps of a linear-update optimizer on ``W1 = a . B + C X^T``; see the module."""

    name = "gram"

    @classmethod
    def plan(cls, trainer, epochs: int, sync: bool) -> float | None:
        """The seconds saved over ``epochs`` steps, or None where this kernel cannot run or does not pay."""
        net, X, opt = trainer.network, trainer.X, trainer.optimizer
        slots = _SLOTS.get(type(opt))
        if slots is None or not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype != net.dtype:
            return None
        for slot in slots:  # a state of other shapes or dtypes: the blocks say what is wrong, or cast as they do
            state = opt.state.get(slot, {})
            held = [(state[key], p) for key, p in net.parameters.items() if key in state]
            if any(not isinstance(v, np.ndarray) or v.shape != p.shape or v.dtype != p.dtype for v, p in held):
                return None
        n_x, m = X.shape
        if n_x < 2 * m:
            return None
        W1 = net.parameters["W1"]
        blocks_flops, saved = flops(n_x, W1.shape[0], m, epochs, sync, len(slots), 1 + len(_starts(opt, slots)))
        if saved < blocks_flops / 4:
            return None
        return saved / _rate(W1, X)

    def __init__(self, trainer):
        self.trainer = trainer
        net, X, opt = trainer.network, trainer.X, trainer.optimizer
        params, dtype, m = net.parameters, X.dtype, trainer.m
        self.slots = _SLOTS[type(opt)]
        starts = _starts(opt, self.slots)
        self.B = np.stack([params["W1"]] + [opt.state[s]["W1"] for s in starts])  # (k, n1, n_x), copies
        k = self.B.shape[0]
        self.P = np.matmul(self.B, X)  # (k, n1, m): B_j X
        self.M = np.tensordot(self.B, self.B, axes=([1, 2], [1, 2]))  # (k, k): <B_i, B_j>
        self.G = X.T @ X  # (m, m)
        self.I = np.eye(m, dtype=dtype)  # layer 1's input as model_backward sees it
        self.ws = blocks.Workspace([m, *net.layer_dims[1:]], m, dtype, net.activations)
        N = self.ws.flat_grads.size
        # one row per vector: the parameters [C, b1, W2, b2, ..., WL, bL, a], then each slot's state
        self.state = np.zeros((1 + len(self.slots), N + k), dtype)
        self._saved = np.empty_like(self.state)
        self.views = []  # per row: {"W1": C, "b1": .., "W2": .., ..., "a": a}
        for row in self.state:
            views, offset = {}, 0
            for gkey, g in self.ws.grads.items():
                views[gkey[1:]] = row[offset : offset + g.size].reshape(g.shape)
                offset += g.size
            views["a"] = row[N:]
            self.views.append(views)
        theta = self.views[0]
        for key, p in params.items():
            if key != "W1":
                np.copyto(theta[key], p)
        theta["a"][0] = 1
        for i, slot in enumerate(self.slots, start=1):
            held = opt.state.get(slot, {})
            for key in params:
                if key != "W1" and key in held:
                    np.copyto(self.views[i][key], held[key])
            if slot in starts:
                self.views[i]["a"][1 + starts.index(slot)] = 1
        self.da = np.zeros(k, dtype)
        self.opt = copy.copy(opt)  # the optimizer's formulas on the kernel's vectors; its own state untouched
        self.opt.state = {slot: {"theta": self.state[i][:N], "a": self.state[i][N:]} for i, slot in enumerate(self.slots, 1)}
        self._params = {"theta": self.state[0][:N], "a": self.state[0][N:]}
        self._grads = {"dtheta": self.ws.flat_grads, "da": self.da}
        self._upper = {key: theta[key] for key in params if key.startswith("W") and key != "W1"}
        self._Z_scratch = np.empty(self.P.shape[1:], dtype)
        self._B_max = np.abs(self.B).max(axis=(1, 2))  # (k,)
        self._X_max = float(np.abs(X).max())
        self._big = float(np.finfo(dtype).max) / 4
        self._W_scratch = None  # (n1, n_x), made at the first sync
        self._synced = True  # the network's arrays hold the parameters: no step taken since the last sync

    def _cost_and_gradients(self) -> float:
        """forward -> cost -> backward at the current (a, C, b1, W2, ...); the gradients land in
        ``ws.flat_grads`` (dC, db1, dW2, ...) and ``da``."""
        t, net, ws = self.trainer, self.trainer.network, self.ws
        theta, m, lambd = self.views[0], t.m, t.lambd
        C, b1, a = theta["W1"], theta["b1"], theta["a"]
        Z1 = np.dot(C, self.G, out=ws.A[1])
        l2 = 0.0
        if lambd:
            w1_sq = float(a @ self.M @ a) + 2 * float(a @ np.tensordot(self.P, C)) + float(np.vdot(Z1, C))  # P_j : C
            l2 = l2_cost(self._upper, lambd, m) + lambd / (2 * m) * w1_sq  # the course's L2 term, ||W1||^2 from (a, C)
        for j in range(a.size):
            Z1 += np.multiply(self.P[j], a[j], out=self._Z_scratch)
        Z1 += b1
        A = net.activations[0].forward(Z1, out=Z1)
        caches = [((self.I, C, b1), A, None)]
        for l in range(2, len(net.activations) + 1):
            W, b = theta[f"W{l}"], theta[f"b{l}"]
            A, (linear_cache, A_l) = blocks.linear_activation_forward(A, W, b, net.activations[l - 1], ws.A[l])
            caches.append((linear_cache, A_l, None))
        cost = net.loss.cost(A, t.Y, t.sample_weight) + l2
        blocks.model_backward(A, t.Y, caches, net.activations, net.loss, sample_weight=t.sample_weight, lambd=lambd, workspace=ws)
        np.multiply(a, lambd / m, out=self.da)
        return cost

    def _near_overflow(self, a: np.ndarray, C: np.ndarray, scale: float) -> bool:
        """Whether ``scale`` times an upper bound of max |a . B + C X^T| (``W1``, ``dW1``), found
        without forming it, exceeds a quarter of the largest float."""
        reach = float(np.abs(a) @ self._B_max) + float(np.abs(C, out=self._Z_scratch).sum()) * self._X_max
        return scale * reach > self._big

    def run(self, lrs: np.ndarray) -> np.ndarray:
        """Steps at the rates ``lrs``, up to the first whose cost, gradients or update is not finite.

        ``W1`` and ``dW1`` are not formed: where their bound (``_near_overflow``) comes near the
        largest float, the step is left to the blocks, which form them and judge."""
        costs = []
        theta, m = self.views[0], self.trainer.m
        for lr in lrs:
            cost = self._cost_and_gradients()
            if not (math.isfinite(cost) and np.isfinite(self.ws.flat_grads).all() and np.isfinite(self.da).all()):
                break
            if self._near_overflow(self.da, self.ws.grads["dW1"], m):  # the blocks' dZ1 X^T, before its / m
                break
            np.copyto(self._saved, self.state)
            lr = float(lr)  # as the optimizer's schedule gives it: a Python float keeps float32 in float32
            if self.slots:
                for key, p in self._params.items():
                    self.opt._update(key, p, self._grads["d" + key], lr)
            else:
                blocks.update_parameters(self._params, self._grads, lr)
            if not np.isfinite(self.state).all() or self._near_overflow(theta["a"], theta["W1"], 1):
                np.copyto(self.state, self._saved)
                break
            costs.append(cost)
            self._synced = False
        return np.array(costs)

    def _materialise(self, views: dict, out: np.ndarray) -> None:
        """out = a . B + C X^T, for the coefficients of one row (parameters or a slot's state)."""
        np.dot(views["W1"], self.trainer.X.T, out=out)
        if self._W_scratch is None:
            self._W_scratch = np.empty_like(out)
        for j, coefficient in enumerate(views["a"]):
            out += np.multiply(self.B[j], coefficient, out=self._W_scratch)

    def sync(self) -> None:
        """Writes the parameters into the network's arrays and the state into the optimizer's, as the blocks hold them,
        in place where they have the parameters' shapes; nothing where no step was taken since the last sync."""
        if self._synced:
            return
        t = self.trainer
        params, opt = t.network.parameters, t.optimizer
        targets = [params] + [opt.state.setdefault(slot, {}) for slot in self.slots]
        for views, target in zip(self.views, targets):
            for key, p in params.items():
                if key not in target or target[key].shape != p.shape:
                    target[key] = np.empty_like(p)
                if key == "W1":
                    self._materialise(views, target[key])
                else:
                    np.copyto(target[key], views[key])
        self._synced = True
