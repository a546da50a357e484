"""The implementations the benchmark times, each training the same network from the same start.

Each one is built from a ``Workload``, the initial ``params0`` (layerwise's, ``W[l]: (n[l],
n[l-1])``) and the data ``X: (n_x, m)``, ``Y: (n_y, m)``, and offers ``reset()`` (back to
``params0``) and ``run(k) -> costs`` (``k`` full-batch iterations; the cost of each, computed
before its update, or ``None`` for the GEMM floor, which computes none).
"""

from __future__ import annotations

import numpy as np

from . import course
from .workloads import Workload


class Layerwise:
    """What users run: ``net.fit(X, Y, epochs=k)`` (validation, Trainer, guard, history included)."""

    name = "layerwise"

    def __init__(self, w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray):
        self.net = w.network()
        self.params0, self.X, self.Y, self.lr = params0, X, Y, w.learning_rate

    def reset(self) -> None:
        self.net.set_parameters(self.params0)

    def run(self, k: int) -> list[float]:
        return self.net.fit(self.X, self.Y, epochs=k, learning_rate=self.lr).costs


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


IMPLEMENTATIONS = {cls.name: cls for cls in (Layerwise, Course, Torch, Sklearn, GemmFloor)}
