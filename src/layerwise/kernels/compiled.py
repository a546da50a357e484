"""The compiled kernel (numba, the ``fast`` extra): full-batch steps of small networks, fused.

NumPy's cost per call (a few microseconds, ~30 calls a step) is most of a small network's
step: planar ``[2, 4, 1]`` with 400 examples spends about 50 us a step in the blocks. This
kernel runs many whole steps in one compiled call (``_numba_steps.steps``), with no
temporaries, and agrees with the blocks to rounding (tested: float64 to 1e-12, float32 to 1e-5).

It runs: hidden relu, tanh, sigmoid, leaky_relu (any slope), linear; outputs sigmoid +
binary cross-entropy, softmax + categorical cross-entropy, linear + MSE (the blocks' classes
themselves, not subclasses); sample weights; L2; ``gd`` and ``momentum`` at any schedule;
float64 and float32; up to ``MAX_PARAMETERS`` parameters, and only where the cost model of
``plan`` says it is faster than the blocks.

Compiling costs seconds, once per dtype and machine: numba keeps the result in its on-disk
cache (``__pycache__`` next to ``_numba_steps.py``; where that is not writable, numba's
user-wide cache, ``~/.cache/numba``; or ``$NUMBA_CACHE_DIR``), from which a new process loads
it in a fraction of a second. numba itself is imported only when the kernel is about to be
used. The rule (ski rental): the kernel runs at once where its code is loaded in this process;
otherwise the NumPy time it would have saved in this process is summed over the fits it could
have run (chosen or not), and once that sum reaches the cost of getting the code ready
(``IMPORT_S + LOAD_S`` where the cache holds it, ``IMPORT_S + COMPILE_S`` where it does not),
it is made ready and runs. So a process never pays more than about twice what the better
choice in hindsight would have cost, and short fits never pay numba's import. Naming the
kernel in ``LAYERWISE_KERNELS`` (``compiled``) skips the wait: it is compiled at its first use.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

from . import enabled
from ..activations import LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from ..losses import BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError
from ..optimizers import GradientDescent, Momentum


def _numba_installed() -> bool:
    if "numba" in sys.modules:
        return sys.modules["numba"] is not None  # None: the import is blocked (as tests do)
    return importlib.util.find_spec("numba") is not None


if not _numba_installed():
    raise ImportError("the compiled kernel needs numba: pip install 'layerwise[fast]'")

#: The activations the compiled steps know, by their code there.
HIDDEN = {Sigmoid: 0, Tanh: 1, ReLU: 2, LeakyReLU: 3, Linear: 4}
#: The output activation + loss pairs whose dZ is fused to (A - Y) w, by their code there.
OUTPUTS = {(Sigmoid, BinaryCrossEntropy): 0, (Softmax, CategoricalCrossEntropy): 1, (Linear, MeanSquaredError): 2}


def _layers(net) -> tuple[list[int], int] | None:
    """(each layer's activation code, the output's code), or None where the kernel cannot run ``net``."""
    *hidden, last = net.activations
    out = OUTPUTS.get((type(last), type(net.loss)))
    if out is None or any(type(a) not in HIDDEN for a in hidden):
        return None
    return [HIDDEN[type(a)] for a in hidden] + [HIDDEN[Sigmoid] if out == 0 else HIDDEN[Linear]], out


def _steps_module():
    """``_numba_steps``, imported (with numba) at the first need."""
    from . import _numba_steps

    return _numba_steps


class Kernel:
    """Full-batch steps of a small network in compiled code (see the module's docstring)."""

    name = "compiled"
    #: Networks above this many parameters stay on the blocks.
    MAX_PARAMETERS = 10_000
    #: Seconds, measured in fresh processes on the (shared, 2-core) development machine:
    #: importing numba (0.46-0.51 s); loading the compiled steps from numba's cache (0.39-0.52 s);
    #: compiling them, per dtype (8.5-11 s).
    IMPORT_S, LOAD_S, COMPILE_S = 0.5, 0.5, 8.0
    #: The NumPy time (seconds) the kernel would have saved in this process, per dtype, while not ready.
    forgone: dict[str, float] = {}
    #: The dtypes whose compiled steps are loaded in this process (the kernel has run for them).
    loaded: set[str] = set()

    # ---- the choice ------------------------------------------------------------------------

    @classmethod
    def supports(cls, trainer) -> bool:
        """Whether the kernel can run this training (network, loss, optimizer, dtype, size)."""
        net = trainer.network
        dtype = np.dtype(net.dtype)
        return (
            _layers(net) is not None
            and type(trainer.optimizer) in (GradientDescent, Momentum)
            and dtype in (np.float32, np.float64)
            and isinstance(trainer.Y, np.ndarray)
            and trainer.X.dtype == dtype == trainer.Y.dtype
            and sum(p.size for p in net.parameters.values()) <= cls.MAX_PARAMETERS
        )

    #: The cost model's coefficients, in seconds, fitted to single-threaded runs on the
    #: development machine (docs/performance.md): the blocks pay NP_CALLS + NP_LAYER per layer
    #: (NumPy's per-call overhead), NP_PM per parameter-example and NP_UM per unit-example
    #: (element-wise passes); the kernel pays K_PM per parameter-example (its products are
    #: plain loops, slower than BLAS), K_UM per hidden unit-example and K_OUT per output
    #: unit-example (the log-loss).
    NP_CALLS, NP_LAYER, NP_PM, NP_UM = 20e-6, 40e-6, 0.2e-9, 4e-9
    K_CALL, K_PM, K_UM, K_OUT = 2e-6, 0.25e-9, 3e-9, 8e-9
    #: Seconds a step costs more where the parameters are read after each (one call and one copy a step).
    SYNC_S = 30e-6

    @classmethod
    def step_saving(cls, layer_dims, m: int) -> float:
        """Seconds a step on this kernel saves over the blocks (negative where it loses): the
        blocks' ~10 NumPy calls a layer against this kernel's slower products at larger sizes.
        On the development machine the two cross near parameters x examples = 5e6."""
        L = len(layer_dims) - 1
        pm = m * sum(n * (n_prev + 1) for n_prev, n in zip(layer_dims, layer_dims[1:]))
        hidden, out = m * sum(layer_dims[1:-1]), m * layer_dims[-1]
        blocks = cls.NP_CALLS + cls.NP_LAYER * L + cls.NP_PM * pm + cls.NP_UM * (hidden + out)
        kernel = cls.K_CALL + cls.K_PM * pm + cls.K_UM * hidden + cls.K_OUT * out
        return blocks - kernel

    @classmethod
    def plan(cls, trainer, epochs: int, sync: bool) -> float | None:
        """None where the kernel cannot run this training or would not save time (or, by the
        ski rental of the module's docstring, not yet); else the seconds it saves over ``epochs``."""
        if not cls.supports(trainer):
            return None
        per_step = cls.step_saving(trainer.network.layer_dims, trainer.m) - (cls.SYNC_S if sync else 0.0)
        saved = epochs * per_step
        if saved <= 0:
            return None
        dtype = np.dtype(trainer.network.dtype)
        if dtype.name in cls.loaded:
            return saved
        key = dtype.name
        cls.forgone[key] = cls.forgone.get(key, 0.0) + saved
        if _named():
            return saved
        if "numba" not in sys.modules and cls.forgone[key] < cls.IMPORT_S + cls.LOAD_S:
            return None
        steps = _steps_module()
        cost = cls.IMPORT_S + (cls.LOAD_S if steps.cached(dtype) else cls.COMPILE_S)
        return saved if cls.forgone[key] >= cost else None

    # ---- the steps -------------------------------------------------------------------------

    def __init__(self, trainer):
        net, opt = trainer.network, trainer.optimizer
        self.trainer = trainer
        self.steps_module = _steps_module()
        dtype = np.dtype(net.dtype)
        dims = net.layer_dims
        L, m = len(dims) - 1, trainer.m
        self.keys = [key for l in range(1, L + 1) for key in (f"W{l}", f"b{l}")]
        self.P = np.concatenate([net.parameters[key].ravel() for key in self.keys]).astype(dtype, copy=False)
        self.momentum = isinstance(opt, Momentum)
        velocities = opt.state.get("v", {}) if self.momentum else {}
        self.had_state = bool(velocities)
        self.V = np.concatenate([np.asarray(velocities.get(key, np.zeros(net.parameters[key].shape)), dtype).ravel() for key in self.keys])
        codes, self.out = _layers(net)
        self.codes = np.array(codes, np.int64)
        self.slopes = np.array([getattr(a, "slope", 0.0) for a in net.activations], dtype)
        self.dims = np.array(dims, np.int64)
        self.X = np.require(trainer.X, dtype, ["C", "W"])  # one compiled signature: C order, writeable
        self.Y = np.require(trainer.Y, dtype, ["C", "W"])
        w = trainer.sample_weight
        self.w = np.ones(m, dtype) if w is None else np.require(w, dtype, ["C", "W"]).ravel()
        self.k = self.steps_module.constants(dtype, m, trainer.lambd, opt.beta if self.momentum else 0.0)
        self.ieee = self.steps_module.ieee_layout(dtype)
        self.l2 = trainer.lambd / (2 * m)
        self.work = np.empty((sum(dims[1:]) + max(dims[1:-1], default=0)) * m, dtype)
        self.G, self.P2, self.V2 = (np.zeros_like(self.P) for _ in range(3))
        self.col = np.empty(m, dtype)
        self.taken = 0
        self.run(np.empty(0))  # compiles (or loads) the steps now, outside the trainer's timing of a call
        Kernel.loaded.add(dtype.name)

    def run(self, lrs: np.ndarray) -> np.ndarray:
        """``len(lrs)`` steps (fewer where the next would not be finite); their costs, as floats."""
        costs = np.empty(len(lrs))
        n = self.steps_module.steps(
            self.X, self.Y, self.w, self.P, self.V, self.dims, self.codes, self.out, self.slopes, self.k, self.ieee,
            self.l2, self.momentum, lrs.astype(self.P.dtype), costs, self.work, self.G, self.P2, self.V2, self.col,
        )  # fmt: skip
        self.taken += n
        return costs[:n]

    def sync(self) -> None:
        """The parameters (and velocities) into the network's (and the optimizer's) arrays, in place."""
        params, opt, offset = self.trainer.network.parameters, self.trainer.optimizer, 0
        write_v = self.momentum and (self.had_state or self.taken > 0)  # the blocks make v at the first update
        velocities = opt.state.setdefault("v", {}) if write_v else {}
        for key in self.keys:
            p = params[key]
            np.copyto(p, self.P[offset : offset + p.size].reshape(p.shape))
            if write_v:
                v = self.V[offset : offset + p.size].reshape(p.shape)
                if key in velocities and velocities[key].shape == p.shape:
                    np.copyto(velocities[key], v)
                else:
                    velocities[key] = v.copy()
            offset += p.size


def _named() -> bool:
    """Whether ``LAYERWISE_KERNELS`` names this kernel (then it is compiled at its first use)."""
    setting = os.environ.get("LAYERWISE_KERNELS", "auto").strip().lower()
    return setting not in ("", "auto") and enabled(Kernel.name)
