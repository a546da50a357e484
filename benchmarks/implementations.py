"""The implementations the benchmark times, each training the same network from the same start.

Each one is built from a ``Workload``, the initial ``params0`` (layerwise's, ``W[l]: (n[l],
n[l-1])``) and the data ``X: (n_x, m)``, ``Y: (n_y, m)``, and offers ``reset()`` (back to
``params0``) and ``run(k) -> costs`` (``k`` full-batch iterations; the cost of each, computed
before its update, or ``None`` for the GEMM floor, which computes none). A peer that times its
runs itself (JAX, in its worker process) leaves the seconds of the last ``run`` in ``run_seconds``;
one that needs its thread count set in its own way has ``set_threads(n)``; one that applies to
some workloads only has ``skip_reason(w)`` (a sentence, or ``None`` where it applies).
"""

from __future__ import annotations

import contextlib
import itertools
import os

import numpy as np

from . import course
from .workloads import Workload


#: layerwise's fast paths, by the names ``LAYERWISE_KERNELS`` knows (read at the start of every
#: ``fit``: unset or "auto" = all automatic, "numpy" = the plain NumPy path, "a,b" = only those);
#: the ablation (``--ablation``) turns each off in turn. A name layerwise does not know has no effect.
FAST_PATHS = ["gram", "compiled", "layouts"]


class Layerwise:
    """What users run: ``net.fit(X, Y, epochs=k)`` (validation, Trainer, guard, history included),
    with ``LAYERWISE_KERNELS`` as the environment has it (``kernels = None``) or set to ``kernels``
    during ``reset`` and ``run``."""

    name = "layerwise"
    kernels: str | None = None

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        self.net = w.network()
        self.params0, self.X, self.Y, self.lr = params0, X, Y, w.learning_rate

    def reset(self) -> None:
        with self._kernels():
            self.net.set_parameters(self.params0)

    def run(self, k: int) -> list[float]:
        with self._kernels():
            return self.net.fit(self.X, self.Y, epochs=k, learning_rate=self.lr).costs

    @contextlib.contextmanager
    def _kernels(self):
        if self.kernels is None:
            yield
            return
        before = os.environ.get("LAYERWISE_KERNELS")
        os.environ["LAYERWISE_KERNELS"] = self.kernels
        try:
            yield
        finally:
            if before is None:
                del os.environ["LAYERWISE_KERNELS"]
            else:
                os.environ["LAYERWISE_KERNELS"] = before


def ablation_variants(fast_paths: list[str] = FAST_PATHS) -> dict[str, type]:
    """layerwise with every fast path off ("numpy") and with all but each one in turn (all on is
    ``Layerwise`` itself, which ``--ablation`` runs with ``LAYERWISE_KERNELS`` unset)."""
    variants = {"layerwise[numpy]": "numpy"}
    for off in fast_paths:
        variants[f"layerwise[-{off}]"] = ",".join(p for p in fast_paths if p != off) or "numpy"
    return {name: type(name, (Layerwise,), {"name": name, "kernels": kernels, "__doc__": f"layerwise, LAYERWISE_KERNELS={kernels}"})
            for name, kernels in variants.items()}  # fmt: skip


class Course:
    """The course's functions (``benchmarks/course.py``): Z caches, dA0, new arrays every step."""

    name = "course"

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        self.w, self.params0, self.X, self.Y = w, params0, X, Y

    def reset(self) -> None:
        self.parameters = {k: v.copy() for k, v in self.params0.items()}

    def run(self, k: int) -> list[float]:
        w = self.w
        self.parameters, costs = course.L_layer_model(self.X, self.Y, self.parameters, w.hidden, w.output, w.learning_rate, k)
        return costs


class Torch:
    """PyTorch eager on the CPU: ``nn.Linear`` layers, ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``
    (the same costs as sigmoid + binary cross-entropy and softmax + categorical cross-entropy),
    ``optim.SGD``; examples are rows, as PyTorch expects. ``loss.item()`` every step, as the
    other implementations return the cost of every step."""

    name = "torch"

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        import torch

        self.torch = torch
        dtype = getattr(torch, w.dtype)
        acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
        dims = w.layer_dims
        layers: list = []
        for l in range(1, len(dims)):
            layers.append(torch.nn.Linear(dims[l - 1], dims[l], dtype=dtype))
            if l < len(dims) - 1:
                layers.append(acts[w.hidden]())
        self.model = torch.nn.Sequential(*layers)
        self.linears = [layer for layer in layers if isinstance(layer, torch.nn.Linear)]
        self.X = torch.from_numpy(np.ascontiguousarray(X.T))
        if w.output == "softmax":
            self.Y = torch.from_numpy(Y.argmax(axis=0))
            self.loss = torch.nn.CrossEntropyLoss()
        else:
            self.Y = torch.from_numpy(np.ascontiguousarray(Y.T))
            self.loss = torch.nn.BCEWithLogitsLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=w.learning_rate)
        self.params0 = params0

    def reset(self) -> None:
        with self.torch.no_grad():
            for l, lin in enumerate(self.linears, start=1):
                lin.weight.copy_(self.torch.from_numpy(self.params0[f"W{l}"]))
                lin.bias.copy_(self.torch.from_numpy(self.params0[f"b{l}"].ravel()))

    def run(self, k: int) -> list[float]:
        costs = []
        for _ in range(k):
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.model(self.X), self.Y)
            loss.backward()
            self.optimizer.step()
            costs.append(loss.item())
        return costs


class Sklearn:
    """scikit-learn's ``MLPClassifier``: one full-batch ``partial_fit`` per iteration (solver="sgd",
    batch_size=m, momentum=0, alpha=0, shuffle=False: shuffling one full batch changes nothing
    but the summation order). Its ``loss_curve_`` holds the same cost as layerwise's history
    (log-loss with the probabilities clipped to [eps, 1 - eps], mean over examples, no L2 term)."""

    name = "sklearn"

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(
            hidden_layer_sizes=w.layer_dims[1:-1], activation={"sigmoid": "logistic"}.get(w.hidden, w.hidden),
            solver="sgd", batch_size=w.m, learning_rate_init=w.learning_rate, momentum=0.0,
            nesterovs_momentum=False, alpha=0.0, shuffle=False, n_iter_no_change=10**9, random_state=0,
        )  # fmt: skip
        self.X = np.ascontiguousarray(X.T)
        self.y = Y.argmax(axis=0) if w.n_y > 1 else Y[0].astype(np.int64)
        self.clf.partial_fit(self.X, self.y, classes=np.arange(max(2, w.n_y)))  # builds the layers
        self.params0, self.L = params0, len(w.layer_dims) - 1

    def reset(self) -> None:
        self.clf.coefs_ = [self.params0[f"W{l}"].T.copy() for l in range(1, self.L + 1)]
        self.clf.intercepts_ = [self.params0[f"b{l}"].ravel().copy() for l in range(1, self.L + 1)]

    def run(self, k: int) -> list[float]:
        for _ in range(k):
            self.clf.partial_fit(self.X, self.y)
        return list(self.clf.loss_curve_[-k:])


class Jax:
    """JAX with the whole step (forward, cost, ``jax.value_and_grad``, SGD update) under ``jax.jit``,
    float64 with ``jax_enable_x64`` for float64 workloads; ``float(cost)`` every step. It runs in a
    worker process per thread count (``benchmarks/jax_worker.py``), which also times the runs;
    this object is its proxy, set to the worker of the current thread count by ``set_threads``."""

    name = "jax"
    _keys = itertools.count()

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        from . import jax_worker

        self.jax_worker = jax_worker
        L = len(w.layer_dims) - 1
        spec = {k: getattr(w, k) for k in ("hidden", "output", "dtype", "learning_rate")} | {"layer_dims": list(w.layer_dims)}
        self.setup = (spec, [(params0[f"W{l}"], params0[f"b{l}"]) for l in range(1, L + 1)], X, Y)
        self.key, self.worker = next(self._keys), None
        self.run_seconds: float | None = None

    def set_threads(self, n: int) -> None:
        self.worker = self.jax_worker.worker(n)
        if self.worker.model != self.key:  # the worker holds one network at a time
            self.worker.model = None
            self.compile_s = self.worker.request("setup", *self.setup)
            self.worker.model = self.key

    def reset(self) -> None:
        if self.worker is None:
            self.set_threads(1)
        self.worker.request("reset")

    def run(self, k: int) -> list[float]:
        costs, self.run_seconds = self.worker.request("run", k)
        return costs


class Numba:
    """A fused compiled step (``benchmarks/fused.py``): one numba function does forward, cost,
    backward and update with loops over arrays made once; one call per step. Single-threaded
    (no ``parallel=True``): the thread count does not change it."""

    name = "numba"

    #: Where a fused loop is the right tool: small networks (the issue's "under ~10k parameters").
    MAX_PARAMETERS = 10_000

    @classmethod
    def skip_reason(cls, w: Workload) -> str | None:
        P = sum(w.layer_dims[l] * (w.layer_dims[l - 1] + 1) for l in range(1, len(w.layer_dims)))
        if w.hidden not in ("tanh", "relu") or w.output != "sigmoid":
            return f"the fused step has tanh/relu hidden layers and a sigmoid output, not {w.hidden}/{w.output}"
        if P > cls.MAX_PARAMETERS:
            return f"{P:,} parameters: the fused loop is for networks of at most {cls.MAX_PARAMETERS:,}"
        return None

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        from .fused import FusedNet

        self.net = FusedNet(w.layer_dims, w.hidden, params0, X, Y, w.learning_rate)
        self.net.step()  # compile before anything is timed

    def reset(self) -> None:
        self.net.reset()

    def run(self, k: int) -> list[float]:
        step = self.net.step
        return [step() for _ in range(k)]


class GemmFloor:
    """Only the matrix products of one iteration, into preallocated buffers: forward ``Z = W A_prev``
    per layer, backward ``dW = dZ A_prev.T`` per layer and ``dA_prev = W.T dZ`` for layers 2..L.
    The operands are fixed arrays of the right shapes; nothing else is computed."""

    name = "floor"

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        rng = np.random.default_rng(0)
        dims, m, L = w.layer_dims, w.m, len(w.layer_dims) - 1
        self.W = [params0[f"W{l}"] for l in range(1, L + 1)]
        self.A = [X] + [rng.random((n, m)).astype(w.dtype) for n in dims[1:-1]]  # A_prev of each layer
        self.dZ = [rng.standard_normal((n, m)).astype(w.dtype) for n in dims[1:]]
        self.Z = [np.empty((n, m), w.dtype) for n in dims[1:]]
        self.dW = [np.empty_like(W) for W in self.W]
        self.dA = [np.empty((n, m), w.dtype) for n in dims[:-1]]

    def reset(self) -> None:
        pass

    def run(self, k: int) -> None:
        W, A, Z, dZ, dW, dA = self.W, self.A, self.Z, self.dZ, self.dW, self.dA
        L = len(W)
        for _ in range(k):
            for l in range(L):
                np.dot(W[l], A[l], out=Z[l])
            for l in range(L - 1, -1, -1):
                np.dot(dZ[l], A[l].T, out=dW[l])
                if l > 0:
                    np.dot(W[l].T, dZ[l], out=dA[l])
        return None


IMPLEMENTATIONS = {cls.name: cls for cls in (Layerwise, Course, Torch, Sklearn, Jax, Numba, GemmFloor)}

#: The pseudo-implementations of ``--ablation``: layerwise with fast paths switched off.
ABLATION = ablation_variants()
