"""The networks and data the benchmark trains, full batch: one iteration = forward, cost, backward, update.

Every workload fixes the architecture, the dtype, the batch and the learning rate; the data
are the course's where they exist (the cat images, the planar flower) and seeded random arrays
of the same shape otherwise (the timing does not depend on the values, the agreement check
only needs every implementation to see the same ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import layerwise as lw
from layerwise import datasets


@dataclass(frozen=True)
class Workload:
    """One benchmark case: ``layer_dims`` with ``hidden``/``output`` activations, ``m`` examples."""

    name: str
    layer_dims: tuple[int, ...]
    hidden: str
    output: str
    m: int
    dtype: str
    learning_rate: float
    init: str
    seed: int
    data: str  # "cat", "planar" or "random"

    @property
    def activations(self) -> list[str]:
        return [self.hidden] * (len(self.layer_dims) - 2) + [self.output]

    @property
    def n_y(self) -> int:
        return self.layer_dims[-1]

    def network(self) -> lw.Network:
        """The layerwise network, with the initial parameters every implementation starts from."""
        return lw.Network(list(self.layer_dims), activations=self.activations, init=self.init, seed=self.seed, dtype=self.dtype)

    def make_data(self) -> tuple[np.ndarray, np.ndarray]:
        """``X: (n_x, m)`` and ``Y: (n_y, m)`` (one-hot for a softmax output), C-contiguous, of ``dtype``."""
        n_x = self.layer_dims[0]
        if self.data == "cat":
            X, Y = _cat(n_x, self.m)
        elif self.data == "planar":
            ds = datasets.planar(self.m)
            X, Y = ds.X, ds.Y
        else:
            rng = np.random.default_rng(self.seed)
            X = rng.random((n_x, self.m))
            labels = rng.integers(0, max(2, self.n_y), self.m)
            Y = labels[None, :] if self.n_y == 1 else np.eye(self.n_y)[:, labels]
        return np.ascontiguousarray(X, dtype=self.dtype), np.ascontiguousarray(Y, dtype=self.dtype)


def _cat(n_x: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The course's training images (in [0, 1]), or random pixels of the same shape without the files."""
    try:
        train, _ = datasets.cat()
        return train.X, train.Y
    except (FileNotFoundError, ImportError):
        rng = np.random.default_rng(1)
        return rng.random((n_x, m)), (rng.random((1, m)) < 0.35).astype(float)


def _w(name, dims, hidden, output, m, dtype, lr, init, seed, data) -> Workload:
    return Workload(name, tuple(dims), hidden, output, m, dtype, lr, init, seed, data)


#: The workloads of the issue, in the order the report lists them.
WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        _w("cat", [12288, 20, 7, 5, 1], "relu", "sigmoid", 209, "float64", 0.0075, "xavier", 1, "cat"),
        _w("cat32", [12288, 20, 7, 5, 1], "relu", "sigmoid", 209, "float32", 0.0075, "xavier", 1, "cat"),
        _w("mnist", [784, 256, 128, 10], "relu", "softmax", 10_000, "float32", 0.1, "he", 0, "random"),
        _w("wide", [1024, 1024, 1024, 1], "relu", "sigmoid", 4096, "float32", 0.01, "he", 0, "random"),
        _w("planar", [2, 4, 1], "tanh", "sigmoid", 400, "float64", 1.2, "small_random", 2, "planar"),
    )
}


def width_sweep(widths, m: int = 2048) -> list[Workload]:
    """``[784, w, w, 10]`` softmax nets in float32, for the time-against-width plot (a learning
    rate small enough that no output saturates, where each library clips log(0) its own way)."""
    return [_w(f"width{w}", [784, w, w, 10], "relu", "softmax", m, "float32", 0.01, "he", 0, "random") for w in widths]
