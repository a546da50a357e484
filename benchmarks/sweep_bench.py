"""The speed-up of the sweep backends over running the trials one after another.

    python benchmarks/sweep_bench.py                     # 16 trials, 2 workers, every backend
    python benchmarks/sweep_bench.py --trials 32 --workers 4 --epochs 3000 --json out.json

Runs the same random search (planar data, two hidden layers, Adam, no pruning) with each
backend in this one process, checks that every backend produced the identical results table,
and prints each wall time (worker start-up included: a fresh process pool, a fresh Dask
LocalCluster) and its ratio to the sequential one. Each trial limits BLAS to one thread, so
the sequential run uses one core and the ideal speed-up is the number of workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def sweep_config(trials: int, epochs: int, m: int) -> dict:
    return {
        "sweep": {"name": "bench", "strategy": "random", "trials": trials, "seed": 0},
        "data": {"dataset": "planar", "options": {"m": m}, "validation": 0.2},
        "fixed": {"epochs": epochs, "optimizer": "adam", "hidden_layers": 2, "activation": "tanh"},
        "space": {"learning_rate": {"log_uniform": [1e-3, 3e-2]}, "hidden_units": [16, 24, 32]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--m", type=int, default=1000, help="planar examples (80 %% train)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", nargs="+", default=["sequential", "processes", "dask"])
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    from layerwise.sweep import run_sweep
    from layerwise.sweep.report import rows

    config = sweep_config(args.trials, args.epochs, args.m)
    print(f"{args.trials} trials x {args.epochs} epochs on planar (m = {args.m}), {args.workers} workers, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")  # fmt: skip
    times, tables = {}, {}
    for backend in args.backends:
        start = time.perf_counter()
        result = run_sweep(config, backend=backend, workers=args.workers)
        times[backend] = time.perf_counter() - start
        tables[backend] = [{k: v for k, v in row.items() if k != "seconds"} for row in rows(result)]
        work = sum(t.seconds for t in result.trials)
        print(f"{backend:>10}: {times[backend]:7.2f} s wall, {work:7.2f} s of training, {result.workers} worker(s)", flush=True)
    reference = args.backends[0]
    speedups = {b: times[reference] / t for b, t in times.items()}
    for backend in args.backends[1:]:
        print(f"speed-up of {backend} over {reference}: {speedups[backend]:.2f}x")
    identical = all(tables[b] == tables[reference] for b in args.backends)
    print("results identical on every backend:", identical)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": config, "workers": args.workers, "cpu_count": os.cpu_count(), "seconds": times,
                       "speedup": speedups, "identical": identical}, f, indent=2)  # fmt: skip
    return 0 if identical else 1


if __name__ == "__main__":  # the guard matters: worker processes re-import this file
    sys.exit(main())
