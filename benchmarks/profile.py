"""Where one training iteration's time goes: ``python -m benchmarks.profile [WORKLOAD ...]``.

Times each part of layerwise's step (forward, cost, backward, the divergence guard, the update)
and of the course's, with the GEMM floor beside them: CPU time of this process, 1 BLAS thread,
the best of several runs (so that other processes on a shared machine barely show). The
remainder of ``net.fit``'s time per iteration is the training loop itself (epochs, history,
callbacks) and, amortised, ``fit``'s validation and buffer allocation. On tiny networks every
part is a handful of NumPy calls, each costing a fixed fraction of a microsecond; the
``reference`` lines measure that cost on this machine.
"""

from __future__ import annotations

import sys
import time
import timeit

import numpy as np

from layerwise.blocks import model_backward, model_forward
from layerwise.losses import l2_cost

from . import course, harness
from .implementations import GemmFloor
from .workloads import WORKLOADS


def best(f, target_s: float = 0.05, repeats: int = 7) -> float:
    """CPU seconds per call of ``f``: the best of ``repeats`` runs of about ``target_s``."""
    f()
    n = 1
    while timeit.timeit(f, number=n, timer=time.process_time) < target_s / 5 and n < 1 << 20:
        n *= 2
    n = max(1, round(n * target_s / max(timeit.timeit(f, number=n, timer=time.process_time), 1e-9)))
    return min(timeit.repeat(f, number=n, repeat=repeats, timer=time.process_time)) / n


def profile(name: str) -> dict[str, float]:
    w = WORKLOADS[name]
    _, params0, X, Y = harness.build(w, [])
    net = w.network()
    net.fit(X, Y, epochs=2, learning_rate=w.learning_rate)
    trainer, P, acts, loss = net.trainer_, net.parameters, net.activations, net.loss
    ws = trainer._workspace(X.shape[1])
    AL, caches = model_forward(X, P, acts, workspace=ws)
    grads = model_backward(AL, Y, caches, acts, loss, workspace=ws)
    guard = trainer.callbacks[0]
    guard.on_train_begin(trainer)
    zeros = {k: np.zeros_like(v) for k, v in grads.items()}  # an update that changes nothing

    def forward_backward():
        AL, caches = model_forward(X, P, acts, workspace=ws)
        model_backward(AL, Y, caches, acts, loss, workspace=ws)

    k = max(harness.MIN_ITERATIONS, round(0.2 / max(best(forward_backward, 0.02, 2), 1e-6)))
    parts = {
        "forward": best(lambda: model_forward(X, P, acts, workspace=ws)),
        "cost": best(lambda: loss.cost(AL, Y) + l2_cost(P, 0.0, X.shape[1])),
        "forward + backward": best(forward_backward),
        "divergence guard": best(lambda: (guard.on_gradients(trainer, 0.5, grads), guard.on_batch_end(trainer, 1, 0.5))),
        "update": best(lambda: trainer.optimizer.step(P, zeros)),
        "net.fit per iteration": best(lambda: net.fit(X, Y, epochs=k, learning_rate=w.learning_rate), 0.3, 5) / k,
    }
    parts["backward"] = parts.pop("forward + backward") - parts["forward"]
    parts["training loop (the rest)"] = parts["net.fit per iteration"] - sum(
        parts[p] for p in ("forward", "cost", "backward", "divergence guard", "update")
    )
    cparams = {k: v.copy() for k, v in params0.items()}
    AL_c, caches_c = course.L_model_forward(X, cparams, w.hidden, w.output)
    cgrads = course.L_model_backward(AL_c, Y, caches_c, w.hidden, w.output)
    theirs = {
        "forward": best(lambda: course.L_model_forward(X, cparams, w.hidden, w.output)),
        "cost": best(lambda: course.compute_cost(AL_c, Y, w.output)),
        "backward": best(lambda: course.L_model_backward(AL_c, Y, caches_c, w.hidden, w.output)),
        "update": best(lambda: course.update_parameters(dict(cparams), {k: 0 * v for k, v in cgrads.items()}, 0.0)),
        "iteration": best(lambda: course.L_layer_model(X, Y, dict(cparams), w.hidden, w.output, 0.0, k), 0.3, 5) / k,
    }
    floor = GemmFloor(w, params0, X, Y)
    parts_floor = best(lambda: floor.run(1))
    rng = np.random.default_rng(0)
    a, out = rng.random((4, 400)), np.empty((4, 400))
    print(f"\n== {name}: {list(w.layer_dims)} {w.hidden}/{w.output}, m = {w.m}, {w.dtype}; CPU time per iteration, 1 thread")
    print(f"  {'':28s} {'layerwise':>12s} {'course':>12s}")
    for part in ("forward", "cost", "backward", "divergence guard", "update", "training loop (the rest)"):
        print(f"  {part:28s} {harness.fmt_time(parts[part]):>12s} {harness.fmt_time(theirs[part]) if part in theirs else '':>12s}")
    print(f"  {'whole iteration':28s} {harness.fmt_time(parts['net.fit per iteration']):>12s} {harness.fmt_time(theirs['iteration']):>12s}")
    print(f"  {'GEMM floor':28s} {harness.fmt_time(parts_floor):>12s}")
    if w.m * max(w.layer_dims) < 10_000:
        print(f"  reference: one ufunc call on a (4, 400) array {harness.fmt_time(best(lambda: np.add(a, a, out=out))).strip()}, "
              f"one np.dot (4, 2) x (2, 400) {harness.fmt_time(best(lambda: np.dot(a[:, :2], a[:2], out=out))).strip()}")  # fmt: skip
    return {"layerwise": parts, "course": theirs, "floor": parts_floor}


def main(argv: list[str] | None = None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or ["planar", "cat"]
    with harness.threads(1):
        for name in names:
            profile(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
