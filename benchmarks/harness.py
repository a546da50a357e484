"""Timing, agreement and memory: the measurements behind ``python -m benchmarks``.

Timing: every implementation first trains a few iterations from the same start and its costs
must agree with layerwise's; then, per repeat, each implementation runs ``k`` iterations in turn
(round-robin, the starting implementation rotating every repeat, so that a slow spell of a
shared machine hits them all alike), ``k`` calibrated so that one run takes about
``target_s``; the result is the median over repeats of (run time / k). A peer in another process
(JAX) times its runs there, around the k steps, and reports it (``run_seconds``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
import tracemalloc

import numpy as np

from .implementations import ABLATION, IMPLEMENTATIONS
from .workloads import Workload

#: Relative agreement of the cost trajectories demanded before anything is timed.
AGREEMENT_RTOL = {"float64": 1e-9, "float32": 2e-5}
AGREEMENT_ITERATIONS = 5


@contextlib.contextmanager
def threads(n: int, impls=()):
    """BLAS and OpenMP pools (NumPy's OpenBLAS, scikit-learn's), PyTorch's intra-op pool and the
    ``impls`` that set their own (``set_threads``: JAX's worker of that thread count) at ``n`` threads."""
    from threadpoolctl import threadpool_limits

    torch = _torch()
    before = torch.get_num_threads() if torch else None
    with threadpool_limits(limits=n):
        if torch:
            torch.set_num_threads(n)
        for impl in impls:
            if hasattr(impl, "set_threads"):
                impl.set_threads(n)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(before)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def build(w: Workload, names) -> tuple[list, dict, np.ndarray, np.ndarray]:
    """The implementations named that apply to the workload (a note for each that does not), each
    at the workload's initial parameters."""
    params0 = {k: v.copy() for k, v in w.network().parameters.items()}
    X, Y = w.make_data()
    impls = []
    for name in names:
        cls = IMPLEMENTATIONS.get(name) or ABLATION[name]
        reason = cls.skip_reason(w) if hasattr(cls, "skip_reason") else None
        if reason:
            print(f"  ({name} skipped: {reason})")
            continue
        impls.append(cls(w, params0, X, Y))
    return impls, params0, X, Y


def agreement(w: Workload, impls) -> dict[str, float]:
    """Max relative difference of each implementation's first costs from layerwise's; raises if too large."""
    ref_impl = next(i for i in impls if i.name == "layerwise")
    ref_impl.reset()
    ref = np.array(ref_impl.run(AGREEMENT_ITERATIONS))
    out = {}
    for impl in impls:
        if impl is ref_impl:
            continue
        impl.reset()
        costs = impl.run(AGREEMENT_ITERATIONS)
        if costs is None:
            continue
        rel = float(np.max(np.abs(np.array(costs) - ref) / np.abs(ref)))
        out[impl.name] = rel
        if not rel <= AGREEMENT_RTOL[w.dtype]:
            raise AssertionError(
                f"{w.name}: {impl.name}'s costs {np.round(costs, 8).tolist()} differ from layerwise's "
                f"{np.round(ref, 8).tolist()} by {rel:.2e} (relative) > {AGREEMENT_RTOL[w.dtype]:g}"
            )
    return out


def _time_run(impl, k: int) -> float:
    impl.reset()
    t0 = time.perf_counter()
    impl.run(k)
    elapsed = time.perf_counter() - t0
    return getattr(impl, "run_seconds", None) or elapsed


#: Fewest iterations in a timed run: layerwise's ``fit`` validates X and allocates its buffers
#: once per call, which a run of a few iterations amortises as training of many does.
MIN_ITERATIONS = 10


def calibrate(impl, target_s: float, min_iterations: int = MIN_ITERATIONS) -> int:
    """Iterations per run so that one run takes about ``target_s`` (doubling from 1), at least ``min_iterations``."""
    k = 1
    while True:
        elapsed = _time_run(impl, k)
        if elapsed >= target_s / 4 or k >= 1 << 16:
            return max(min_iterations, min(1 << 17, round(k * target_s / elapsed)))
        k *= 2


def time_interleaved(impls, repeats: int, target_s: float, min_iterations: int = MIN_ITERATIONS) -> dict[str, dict]:
    """Median seconds per iteration of each implementation, measured round-robin."""
    ks = {impl.name: calibrate(impl, target_s, min_iterations) for impl in impls}
    times: dict[str, list[float]] = {impl.name: [] for impl in impls}
    for r in range(repeats):
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        for impl in order:
            times[impl.name].append(_time_run(impl, ks[impl.name]) / ks[impl.name])
    return {
        name: {"median_s": float(np.median(t)), "min_s": float(np.min(t)), "times_s": t, "k": ks[name]}
        for name, t in times.items()
    }


def memory(w: Workload, params0: dict, X: np.ndarray, Y: np.ndarray, epochs: int = 3) -> dict:
    """Peak memory of layerwise training (``net.fit``), against what backpropagation must hold.

    ``needed`` = parameters + gradients + the activations backward reads (``A[0] = X`` and
    ``A[1..L]``). ``footprint`` = the peak of everything tracemalloc sees while ``fit`` runs
    (NumPy's buffers included): X, the parameters and all that training allocates, less the
    labels Y. Both are also given without X.
    """
    net = w.network()
    net.fit(X, Y, epochs=1, learning_rate=w.learning_rate)  # first-call costs (imports, caches) out of the way
    tracemalloc.start()
    try:
        X, Y = X.copy(), Y.copy()  # traced from here on, like everything below
        net.set_parameters(params0)
        gc.collect()
        tracemalloc.reset_peak()
        net.fit(X, Y, epochs=epochs, learning_rate=w.learning_rate)
        peak = tracemalloc.get_traced_memory()[1] - Y.nbytes
    finally:
        tracemalloc.stop()
    P = sum(v.nbytes for v in params0.values())
    acts = sum(n * w.m for n in w.layer_dims[1:]) * np.dtype(w.dtype).itemsize
    needed = 2 * P + X.nbytes + acts
    return {
        "params_bytes": P,
        "activations_bytes": acts,
        "input_bytes": X.nbytes,
        "needed_bytes": needed,
        "footprint_bytes": peak,
        "ratio": peak / needed,
        "ratio_without_input": (peak - X.nbytes) / (needed - X.nbytes),
    }


#: The medians every other is divided by, where measured (``x_floor``, ``x_torch``, ...).
REFERENCES = ("floor", "torch", "jax", "numba", "course", "layerwise")


def ratios(timing: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Each implementation's median over the floor's and over each peer's (where measured)."""
    out = {}
    for name, t in timing.items():
        r = {}
        for ref in REFERENCES:
            if ref in timing:
                r[f"x_{ref}"] = t["median_s"] / timing[ref]["median_s"]
        out[name] = r
    return out


def load_average() -> float | None:
    """The machine's 1-minute load average (runnable processes, ours included), where the OS tells it."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:7.1f} us"
    if s < 1:
        return f"{s * 1e3:7.2f} ms"
    return f"{s:7.3f} s "


