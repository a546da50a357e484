"""``layerwise bench vectorization``: the course's demonstration that vectorized code beats loops.

Week 2 of the course times a dot product of two 1,000,000-element vectors written as a Python
``for`` loop and as ``np.dot``, then removes the loops from logistic regression's gradient: first
the loop over the features (``dw += x(i) dz(i)``), then the loop over the examples
(``Z = w.T X + b``, ``dw = X dZ.T / m``). This runs both on this machine, checks that every
version computes the same numbers, and prints the measured speed-ups.

    layerwise bench vectorization
    python -m layerwise.bench vectorization --size 100000 --n-x 100 --m 200

The vectorized gradient is layerwise's own: ``model_forward`` and ``model_backward`` of the
one-layer network ``[n_x, 1]``. (Whole training iterations against PyTorch and scikit-learn are
timed by the repository's ``benchmarks/``: ``python -m benchmarks``.)
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from collections.abc import Callable

import numpy as np

from . import _checks
from .blocks import model_backward, model_forward
from .losses import get_loss


def dot_loop(a: np.ndarray, b: np.ndarray) -> float:
    """sum_i a_i b_i, one element at a time."""
    c = 0.0
    for i in range(len(a)):
        c += a[i] * b[i]
    return float(c)


def logistic_gradient_two_loops(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """J, dw: (n_x, 1), db of logistic regression with a loop over the examples and one over the features."""
    n_x, m = X.shape
    J, dw, db = 0.0, np.zeros((n_x, 1)), 0.0
    for i in range(m):
        z = b
        for j in range(n_x):
            z += w[j, 0] * X[j, i]
        a = 1 / (1 + math.exp(-z))
        J += -(Y[0, i] * math.log(a) + (1 - Y[0, i]) * math.log(1 - a))
        dz = a - Y[0, i]
        for j in range(n_x):
            dw[j, 0] += X[j, i] * dz
        db += dz
    return float(J / m), dw / m, float(db / m)


def logistic_gradient_one_loop(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """The same with the loop over the features vectorized: z = w.T x(i) + b, dw += x(i) dz."""
    n_x, m = X.shape
    J, dw, db = 0.0, np.zeros((n_x, 1)), 0.0
    for i in range(m):
        x = X[:, i : i + 1]
        a = 1 / (1 + math.exp(-((w.T @ x)[0, 0] + b)))
        J += -(Y[0, i] * math.log(a) + (1 - Y[0, i]) * math.log(1 - a))
        dz = a - Y[0, i]
        dw += x * dz
        db += dz
    return float(J / m), dw / m, float(db / m)


def logistic_gradient_vectorized(w: np.ndarray, b: float, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """No loop: Z = w.T X + b, A = sigmoid(Z), dZ = A - Y, dw = X dZ.T / m, db = sum(dZ) / m (layerwise's blocks)."""
    parameters = {"W1": w.T, "b1": np.array([[b]])}
    A, caches = model_forward(X, parameters, ["sigmoid"])
    J = get_loss("binary_crossentropy").cost(A, Y)
    grads = model_backward(A, Y, caches, ["sigmoid"], "binary_crossentropy")
    return J, grads["dW1"].T, float(grads["db1"][0, 0])


def best_time(f: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` calls of ``f`` (seconds) and its last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms"


def _times(ratio: float) -> str:
    return f"{ratio:10.0f}x" if ratio >= 10 else f"{ratio:10.1f}x"


def blas_threads(n: int | None):
    """A context limiting NumPy's BLAS to ``n`` threads (needs threadpoolctl; ``None``: the library's default)."""
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("(threadpoolctl is not installed: BLAS uses its default number of threads)")
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def vectorization(
    size: int = 1_000_000, n_x: int = 500, m: int = 1000, repeats: int = 5, seed: int = 0, threads: int | None = 1
) -> dict[str, float]:
    """Run both demonstrations, print them, and return the speed-ups."""
    with blas_threads(threads):
        return _vectorization(size, n_x, m, repeats, seed, threads)


def _vectorization(size: int, n_x: int, m: int, repeats: int, seed: int, threads: int | None) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    blas = "default" if threads is None else str(threads)
    print(f"The course's vectorization demo (NumPy {np.__version__}, BLAS threads: {blas}); "
          f"loops timed once, vectorized code best of {repeats}\n")  # fmt: skip

    a, b = rng.random(size), rng.random(size)
    t_loop, c_loop = best_time(lambda: dot_loop(a, b), 1)
    t_vec, c_vec = best_time(lambda: float(np.dot(a, b)), repeats)
    if not math.isclose(c_loop, c_vec, rel_tol=1e-9):
        raise AssertionError(f"the loop gives {c_loop!r} and np.dot {c_vec!r}")
    dot_speedup = t_loop / t_vec
    print(f"dot product of two {size:,}-element vectors (c = {c_vec:.6f} both ways)")
    print(f"  for loop                            {_ms(t_loop)}")
    print(f"  np.dot                              {_ms(t_vec)}")
    print(f"  speed-up                            {_times(dot_speedup)}\n")

    X = rng.random((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    w, bias = rng.standard_normal((n_x, 1)) * 0.01, 0.1
    results = {}
    for name, f, reps in (
        ("two for loops (examples, features)", logistic_gradient_two_loops, 1),
        ("one for loop (examples)", logistic_gradient_one_loop, 1),
        ("vectorized (layerwise's blocks)", logistic_gradient_vectorized, repeats),
    ):
        results[name] = best_time(lambda f=f: f(w, bias, X, Y), reps)
    (t2, r2), (t1, r1), (t0, r0) = results.values()
    for J, dw, db in (r2, r1):
        if not (math.isclose(J, r0[0], rel_tol=1e-12) and np.allclose(dw, r0[1], rtol=1e-10, atol=1e-14) and math.isclose(db, r0[2], rel_tol=1e-10, abs_tol=1e-14)):
            raise AssertionError("the loop and vectorized gradients differ")
    print(f"logistic regression's gradient (J, dw, db): n_x = {n_x:,} features, m = {m:,} examples (same numbers all three ways)")
    for name, (t, _) in results.items():
        print(f"  {name:35s} {_ms(t)}")
    print(f"  speed-up over two loops             {_times(t2 / t0)}")
    print(f"  speed-up over one loop              {_times(t1 / t0)}")
    return {"dot": dot_speedup, "gradient_two_loops": t2 / t0, "gradient_one_loop": t1 / t0}


def _integer(minimum: int):
    """An argparse ``type``: an integer >= ``minimum`` (checked by ``layerwise._checks``)."""

    def parse(text: str) -> int:
        try:
            return _checks.parse_int(text, minimum)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _vectorization_command(args: argparse.Namespace) -> int:
    vectorization(args.size, args.n_x, args.m, args.repeats, args.seed, args.threads or None)
    return 0


def add_subcommand(subparsers) -> None:
    """``layerwise bench vectorization [--size N] [--n-x N] [--m N] [--repeats N] [--seed S]``."""
    bench = subparsers.add_parser("bench", help="timing demonstrations (the course's vectorization demo)",
                                  description="Timing demonstrations; the full benchmark suite is python -m benchmarks.")  # fmt: skip
    which = bench.add_subparsers(dest="bench", metavar="BENCHMARK", required=True)
    p = which.add_parser("vectorization", help="for loops against vectorized NumPy: a dot product and logistic regression's gradient",
                         description=__doc__.split("\n\n")[1].replace("\n", " "))  # fmt: skip
    p.add_argument("--size", type=_integer(1), default=1_000_000, metavar="N", help="length of the dot product's vectors [default: 1,000,000]")
    p.add_argument("--n-x", type=_integer(1), default=500, metavar="N", help="features of the logistic regression [default: 500]")
    p.add_argument("--m", type=_integer(1), default=1000, metavar="N", help="examples of the logistic regression [default: 1,000]")
    p.add_argument("--repeats", type=_integer(1), default=5, metavar="N", help="runs of the vectorized code, the best kept [default: 5]")
    p.add_argument("--seed", type=int, default=0, help="random data seed [default: 0]")
    p.add_argument("--threads", type=_integer(0), default=1, metavar="N",
                   help="BLAS threads, as the course's single-core timings (0: the library's default) [default: 1]")  # fmt: skip
    p.set_defaults(func=_vectorization_command)


def main(argv: list[str] | None = None) -> int:
    """``python -m layerwise.bench vectorization ...`` (the same as ``layerwise bench vectorization ...``)."""
    parser = argparse.ArgumentParser(prog="python -m layerwise")
    add_subcommand(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
