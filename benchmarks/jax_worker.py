"""JAX as a peer: the whole training step under ``jax.jit``, in a worker process per thread count.

XLA sizes its CPU thread pool once, when the client starts, from the environment, so each
thread count gets its own process (``python -m benchmarks.jax_worker FD``), started with that
environment, which ``jax`` finds when the worker imports it. Measured on this project's 2-core machine (threads running at once during a jitted matmul,
``thread_check`` below, which every worker repeats when it starts and the results record):
``PJRT_NPROC=n`` is what sizes the pool; ``--xla_cpu_multi_thread_eigen=false`` alone still
computes on 2 threads, and ``intra_op_parallelism_threads=1`` is no XLA flag (ignored).

The parent holds a ``Worker`` and talks to it over a socket pair: ``setup`` (the network, the initial
parameters, the data; compiles and warms up the step), ``reset``, ``run k`` (k steps; returns
every step's cost and the seconds the k steps took, measured in the worker around the loop, so
the pipe is not timed). ``serve`` is the worker's side.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np


def environment_for(threads: int) -> dict[str, str]:
    """What the worker's environment must hold, before ``jax`` is imported, for ``threads`` threads."""
    n = str(threads)
    eigen = "true" if threads > 1 else "false"
    return {"PJRT_NPROC": n, "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen={eigen}", "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n, "JAX_PLATFORMS": "cpu"}  # fmt: skip


class Worker:
    """The parent's end: one worker process at ``threads`` threads."""

    def __init__(self, threads: int):
        ours, theirs = socket.socketpair()
        self.threads, self.env = threads, environment_for(threads)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.jax_worker", str(theirs.fileno())], pass_fds=[theirs.fileno()],
            env=os.environ | self.env, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        theirs.close()
        self.conn = Connection(ours.detach())
        self.info = self.request("info")
        self.model = None  # the key of the model set up in the worker

    def request(self, *msg):
        try:
            self.conn.send(msg)
            status, reply = self.conn.recv()
        except (EOFError, OSError) as e:
            raise RuntimeError(f"JAX worker ({self.threads} threads) exited (code {self.process.poll()}) on {msg[0]!r}") from e
        if status == "error":
            raise RuntimeError(f"JAX worker ({self.threads} threads) failed on {msg[0]!r}:\n{reply}")
        return reply

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.conn.send(("close",))
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.conn.close()


_WORKERS: dict[int, Worker] = {}


def worker(threads: int) -> Worker:
    """The worker at ``threads`` threads, started on first use and kept for the whole run."""
    if threads not in _WORKERS:
        _WORKERS[threads] = Worker(threads)
    return _WORKERS[threads]


@atexit.register
def close_all() -> None:
    for w in _WORKERS.values():
        w.close()
    _WORKERS.clear()


# ---- the worker's side: everything below runs in the worker process ----


def serve(conn) -> None:
    """Answer the parent's requests until ``close``; every reply is ``("ok", value)`` or ``("error", traceback)``."""
    model = None
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        op = msg[0]
        try:
            if op == "close":
                return
            if op == "info":
                reply = info()
            elif op == "setup":
                model = Step(*msg[1:])
                reply = model.compile_s
            elif op == "reset":
                reply = model.reset()
            elif op == "run":
                reply = model.run(msg[1])
            else:
                raise ValueError(f"unknown request {op!r}")
            conn.send(("ok", reply))
        except Exception:  # the parent raises it, with the worker's traceback
            conn.send(("error", traceback.format_exc()))


def info() -> dict:
    import jax
    import jaxlib

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "devices": [str(d) for d in jax.devices()],
            "env": {k: os.environ.get(k) for k in ("PJRT_NPROC", "XLA_FLAGS")}, "busy_threads": thread_check()}  # fmt: skip


def _running(skip: int) -> int:
    """How many of this process's threads (but ``skip``) are running or runnable now (Linux)."""
    n = 0
    for tid in os.listdir("/proc/self/task"):
        if int(tid) != skip:
            try:
                n += open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()[0] == "R"
            except OSError:
                pass
    return n


def thread_check(seconds: float = 0.5) -> dict | None:
    """How many threads compute at once while a jitted (1024, 1024) matmul runs over and over: a
    sampling thread counts this process's running threads every millisecond (Linux only; None
    elsewhere). ``mean`` is the thread count XLA computes on (runnable threads count, so a busy
    machine does not lower it); ``max`` also catches the dispatching thread's brief turns."""
    import threading

    import jax
    import jax.numpy as jnp

    if not os.path.isdir("/proc/self/task"):
        return None
    f = jax.jit(lambda a: jnp.tanh(a @ a))
    a = jnp.ones((1024, 1024), jnp.float32) / 1024
    f(a).block_until_ready()
    samples: list[int] = []
    done = threading.Event()

    def sample():
        me = threading.get_native_id()
        while not done.is_set():
            samples.append(_running(me))
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        f(a).block_until_ready()
    done.set()
    sampler.join()
    return {"max": max(samples), "mean": round(float(np.mean(samples)), 2), "samples": len(samples)}


class Step:
    """One network's training step, jitted: forward, cost, ``jax.value_and_grad``, SGD update.

    ``spec`` has ``layer_dims``, ``hidden``, ``output`` ("sigmoid" or "softmax"), ``dtype`` and
    ``learning_rate``; ``params0`` is ``[(W1, b1), ...]`` with ``W[l]: (n[l], n[l-1])``, ``b[l]:
    (n[l], 1)``; ``X: (n_x, m)``, ``Y: (n_y, m)``, examples as columns, as in layerwise. The cost
    is layerwise's: cross-entropy on the output clipped to [eps, 1 - eps], mean over examples.
    """

    def __init__(self, spec: dict, params0: list, X: np.ndarray, Y: np.ndarray):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", spec["dtype"] == "float64")
        self.jax, self.jnp = jax, jnp
        self.params0 = params0
        self.X, self.Y = jnp.asarray(X), jnp.asarray(Y)
        self.step = jax.jit(_step_function(spec), donate_argnums=0)
        t0 = time.perf_counter()
        self.reset()
        self.run(2)  # compile and warm up before anything is timed
        self.compile_s = time.perf_counter() - t0
        self.reset()

    def reset(self) -> None:
        self.params = tuple((self.jnp.array(W), self.jnp.array(b)) for W, b in self.params0)  # copies: the step donates them

    def run(self, k: int) -> tuple[list[float], float]:
        step, params, X, Y = self.step, self.params, self.X, self.Y
        costs = []
        t0 = time.perf_counter()
        for _ in range(k):
            params, J = step(params, X, Y)
            costs.append(float(J))  # the cost of every step, like torch's loss.item()
        elapsed = time.perf_counter() - t0
        self.params = params
        return costs, elapsed


def _step_function(spec: dict):
    import jax
    import jax.numpy as jnp

    hidden = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}[spec["hidden"]]
    output, lr = spec["output"], spec["learning_rate"]
    eps = float(np.finfo(spec["dtype"]).eps)

    def cost(params, X, Y):
        A = X
        for l, (W, b) in enumerate(params, start=1):
            Z = W @ A + b
            A = hidden(Z) if l < len(params) else Z
        if output == "sigmoid":
            AL = jnp.clip(jax.nn.sigmoid(A), eps, 1 - eps)
            loss = Y * jnp.log(AL) + (1 - Y) * jnp.log1p(-AL)
        elif output == "softmax":
            loss = Y * jnp.log(jnp.clip(jax.nn.softmax(A, axis=0), eps, 1 - eps))
        else:
            raise ValueError(f"output {output!r}: the JAX peer has sigmoid and softmax")
        return -jnp.sum(loss) / X.shape[1]

    def step(params, X, Y):
        J, grads = jax.value_and_grad(cost)(params, X, Y)
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), J

    return step


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
