"""Fast paths ("kernels"): other ways of computing the same full-batch training steps.

The blocks (``blocks.py``, plain NumPy) are the reference. A kernel takes over a ``Trainer``'s
steps when training is full-batch on a dense ``X``, without dropout, and no callback watches
single steps (``on_gradients`` / ``on_batch_end``); it computes what the blocks compute, to
rounding, and is tested equal to them. Which kernel runs is decided here, once per ``fit``,
from each kernel's own estimate of the time it saves (``plan``); none is chosen by CPU name.

``LAYERWISE_KERNELS``, read at every choice: unset or ``auto``, every fast path may be used;
``numpy``, none (the reference path); a comma-separated list of names (``gram,compiled``),
only those.

A kernel class offers:
    ``name``;
    ``plan(trainer, epochs, sync) -> float | None``: None where it cannot run this training,
        else the seconds it expects to save over ``epochs`` steps (``sync``: the parameters
        are read after every step, so ``sync`` runs after each);
    ``K(trainer)``: takes the network's parameters and the optimizer's state;
    ``run(lrs) -> costs``: ``len(lrs)`` steps at these learning rates; the cost of each step
        taken (before its update). Fewer costs than rates: the next step's cost, gradients or
        update would not be finite; that step is not taken, and the trainer replays it with
        the blocks, whose divergence guard names what went wrong;
    ``sync()``: writes the parameters (in place, into the network's arrays) and the optimizer's
        state as the blocks would hold them after the steps taken.
The trainer advances the counters (iteration, ``optimizer.t``, epochs) and the history.
"""

from __future__ import annotations

import os

import numpy as np

#: The kernels, in order of preference when several would save the same.
_REGISTRY: list[str] = ["gram", "compiled"]


def enabled(name: str) -> bool:
    """Whether ``LAYERWISE_KERNELS`` allows the fast path ``name``."""
    setting = os.environ.get("LAYERWISE_KERNELS", "").strip().lower()
    if setting in ("", "auto"):
        return True
    return name in {part.strip() for part in setting.split(",")}


def candidates() -> list[type]:
    """The kernel classes that import here (a kernel whose extra is missing is left out)."""
    out = []
    for name in _REGISTRY:
        if not enabled(name):
            continue
        try:
            module = __import__(f"{__name__}.{name}", fromlist=["Kernel"])
        except ImportError:
            continue
        out.append(module.Kernel)
    return out


def select(trainer, epochs: int, sync: bool):
    """The kernel class expected to save the most time on this training, or None (the blocks)."""
    if trainer.batch_size is not None or trainer.keep_probs is not None or callable(trainer.shuffle):
        return None  # (a shuffle function draws from the caller's stream even for the full batch)
    if not isinstance(trainer.X, np.ndarray):
        return None
    best, saved = None, 0.0
    for kernel in candidates():
        gain = kernel.plan(trainer, epochs, sync)
        if gain is not None and gain > saved:
            best, saved = kernel, gain
    return best
