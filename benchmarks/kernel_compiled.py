"""``python -m benchmarks.kernel_compiled``: the compiled kernel on the course's planar flower.

Planar ``[2, 4, 1]`` tanh/sigmoid, m = 400, float64, lr 1.2, side by side in one process, one
thread: ``net.fit(X, Y, epochs=k)`` on the blocks (``LAYERWISE_KERNELS=numpy``) and on the
compiled kernel (``compiled``), a hand-fused numba loop of the same steps (k steps in one call,
written as one would by hand: NumPy's scalar tanh/exp/log), JAX (the step under ``jax.jit``,
called k times) and PyTorch eager (autograd), where installed; k = 100, 2500, 10000. Every
implementation's first costs must agree with the blocks' before anything is timed. Then, each in
a fresh process: numba's import, the kernel's compilation (an empty ``NUMBA_CACHE_DIR``) and its
load from numba's cache.

    python -m benchmarks.kernel_compiled [--repeats 5] [--iterations 100 2500 10000]

Prints the median seconds per iteration over interleaved repeats and the ratios to the kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import layerwise as lw  # noqa: E402
from layerwise import datasets  # noqa: E402

LR = 1.2


def _network():
    return lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=2)


def layerwise_fit(setting: str):
    """k iterations of ``net.fit`` with ``LAYERWISE_KERNELS=setting``; returns the costs."""

    def run(X, Y, k):
        os.environ["LAYERWISE_KERNELS"] = setting
        return _network().fit(X, Y, epochs=k, learning_rate=LR).costs

    return run


def fused_numba():
    """The planar step fused by hand in numba: one loop over the examples per step, k steps a call."""
    from numba import njit

    @njit(cache=True, error_model="numpy")
    def steps(X, Y, W1, b1, W2, b2, lr, k, costs):
        m = X.shape[1]
        A1 = np.empty((4, m))
        for t in range(k):
            dW1, db1, dW2, db2 = np.zeros((4, 2)), np.zeros(4), np.zeros(4), 0.0
            cost = 0.0
            for j in range(m):
                for i in range(4):
                    A1[i, j] = np.tanh(W1[i, 0] * X[0, j] + W1[i, 1] * X[1, j] + b1[i])
                z = b2
                for i in range(4):
                    z += W2[i] * A1[i, j]
                a = 1.0 / (1.0 + np.exp(-z))
                y = Y[0, j]
                c = min(max(a, 2.220446049250313e-16), 1 - 2.220446049250313e-16)
                cost -= y * np.log(c) + (1 - y) * np.log1p(-c)
                dz = a - y
                db2 += dz
                for i in range(4):
                    dW2[i] += dz * A1[i, j]
                    dz1 = W2[i] * dz * (1 - A1[i, j] * A1[i, j])
                    dW1[i, 0] += dz1 * X[0, j]
                    dW1[i, 1] += dz1 * X[1, j]
                    db1[i] += dz1
            costs[t] = cost / m
            for i in range(4):
                W1[i, 0] -= lr * dW1[i, 0] / m
                W1[i, 1] -= lr * dW1[i, 1] / m
                b1[i] -= lr * db1[i] / m
                W2[i] -= lr * dW2[i] / m
            b2 -= lr * db2 / m
        return b2

    def run(X, Y, k):
        p = _network().parameters
        W1, b1, W2 = p["W1"].copy(), p["b1"].ravel().copy(), p["W2"].ravel().copy()
        costs = np.empty(k)
        steps(X, Y, W1, b1, W2, float(p["b2"][0, 0]), LR, k, costs)
        return list(costs)

    run(*_planar(), 1)  # compiled (or loaded) before timing
    return run


def jax_jit():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def cost(params, X, Y):
        W1, b1, W2, b2 = params
        A1 = jnp.tanh(W1 @ X + b1)
        A2 = jnp.clip(jax.nn.sigmoid(W2 @ A1 + b2), 2.220446049250313e-16, 1 - 2.220446049250313e-16)
        return -jnp.mean(Y * jnp.log(A2) + (1 - Y) * jnp.log1p(-A2))

    @jax.jit
    def step(params, X, Y):
        J, grads = jax.value_and_grad(cost)(params, X, Y)
        return tuple(p - LR * g for p, g in zip(params, grads)), J

    def run(X, Y, k):
        p = _network().parameters
        params = tuple(jnp.asarray(p[key]) for key in ("W1", "b1", "W2", "b2"))
        Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
        costs = []
        for _ in range(k):
            params, J = step(params, Xj, Yj)
            costs.append(J)
        return [float(c) for c in jax.block_until_ready(costs)]

    run(*_planar(), 2)
    return run


def torch_eager():
    import torch

    torch.set_num_threads(1)

    def run(X, Y, k):
        p = _network().parameters
        W1, b1, W2, b2 = (torch.tensor(p[key], requires_grad=True) for key in ("W1", "b1", "W2", "b2"))
        Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
        costs = []
        for _ in range(k):
            A2 = torch.sigmoid(W2 @ torch.tanh(W1 @ Xt + b1) + b2).clamp(2.220446049250313e-16, 1 - 2.220446049250313e-16)
            J = -(Yt * torch.log(A2) + (1 - Yt) * torch.log1p(-A2)).mean()
            J.backward()
            with torch.no_grad():
                for q in (W1, b1, W2, b2):
                    q -= LR * q.grad
                    q.grad = None
            costs.append(J.detach())
        return [float(c) for c in costs]

    return run


def _planar():
    ds = datasets.planar()
    return ds.X, ds.Y.astype(np.float64)


IMPLEMENTATIONS = {"blocks": lambda: layerwise_fit("numpy"), "kernel": lambda: layerwise_fit("compiled"),
                   "fused numba": fused_numba, "jax jit": jax_jit, "torch eager": torch_eager}  # fmt: skip


def interleaved(impls: dict, X, Y, k: int, repeats: int) -> dict[str, float]:
    """Median seconds per iteration of each implementation, run in turn (the first rotating)."""
    times: dict[str, list] = {name: [] for name in impls}
    names = list(impls)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            impls[name](X, Y, k)
            times[name].append((time.perf_counter() - start) / k)
    return {name: float(np.median(t)) for name, t in times.items()}


FRESH = """
import json, os, sys, time
t = time.perf_counter(); import numba; imported = time.perf_counter() - t
import layerwise as lw
from layerwise import datasets
from layerwise.kernels import compiled
ds = datasets.planar()
net = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=2)
net.fit(ds.X, ds.Y, epochs=1)  # the trainer, on the blocks
t = time.perf_counter(); compiled.Kernel(net.trainer_); ready = time.perf_counter() - t
print(json.dumps({"import_numba_s": imported, "ready_s": ready}))
"""


def fresh_process(cache_dir: str) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "LAYERWISE_KERNELS": "numpy"}
    out = subprocess.run([sys.executable, "-c", FRESH], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, nargs="+", default=[100, 2500, 10000])
    args = parser.parse_args(argv)
    X, Y = _planar()
    print(f"CPU: {platform.processor() or platform.machine()}; {_cpu_model()}; load average {os.getloadavg()[0]:.2f}; one thread")
    impls = {}
    for name, make in IMPLEMENTATIONS.items():
        try:
            impls[name] = make()
        except ImportError as exc:
            print(f"{name}: left out ({exc})")
    ref = np.array(impls["blocks"](X, Y, 5))
    for name, impl in impls.items():
        rel = float(np.max(np.abs(np.array(impl(X, Y, 5)) - ref) / ref))
        print(f"{name:12} first 5 costs agree with the blocks' to {rel:.1e} (relative)")
        assert rel < 1e-9, name
    for k in args.iterations:
        med = interleaved(impls, X, Y, k, args.repeats)
        print(f"\nk = {k}: median per iteration over {args.repeats} interleaved repeats")
        for name, t in med.items():
            print(f"  {name:12} {t * 1e6:9.2f} us   kernel / {name}: {med['kernel'] / t:5.2f}")
    with tempfile.TemporaryDirectory() as cache:
        first, second = fresh_process(cache), fresh_process(cache)
    print(f"\nfresh process: import numba {first['import_numba_s']:.2f} s; compile the kernel (empty cache) "
          f"{first['ready_s']:.2f} s; load it from the cache (next process) {second['ready_s']:.2f} s")  # fmt: skip


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "CPU model unknown"


if __name__ == "__main__":
    main()
