"""``python -m benchmarks.mlp_vs_sklearn``: the drop-in ``layerwise.sklearn.MLPClassifier``
against scikit-learn's ``MLPClassifier``, per epoch, side by side in one process.

    python -m benchmarks.mlp_vs_sklearn                  # digits, breast cancer, 100 000 x 50; adam, sgd, lbfgs
    python -m benchmarks.mlp_vs_sklearn --quick          # fewer repeats and epochs
    python -m benchmarks.mlp_vs_sklearn --threads 1 2    # BLAS thread counts to run at

Both estimators get the same data, parameters and random_state (so the same initial weights,
shuffles and steps: the drop-in repeats scikit-learn's fit to rounding, which the script checks
on the loss curves before trusting a time). Per repeat each fits in turn, the one going first
alternating; the time per epoch (per iteration for lbfgs) is the fit's time over ``n_iter_``,
and the result the median over repeats. Also printed: each one's score on a held-out quarter.
Writes ``benchmarks/results/mlp_vs_sklearn.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from .harness import threads

ROOT = Path(__file__).resolve().parent.parent


def datasets(quick: bool) -> dict:
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    out = {"digits": (X / 16.0, y)}
    X, y = load_breast_cancer(return_X_y=True)
    out["breast_cancer"] = (StandardScaler().fit_transform(X), y)
    X, y = make_classification(n_samples=100_000, n_features=50, n_informative=20, random_state=0)
    out["synthetic_100000x50"] = (X, y)
    return out


def settings(name: str, solver: str, quick: bool) -> dict:
    """One workload's estimator arguments (scikit-learn's defaults otherwise: (100,) relu, batch 200)."""
    big = name.startswith("synthetic")
    epochs = {"lbfgs": 10 if big else 40}.get(solver, (1 if quick else 3) if big else (10 if quick else 30))
    kw = dict(solver=solver, max_iter=epochs, random_state=0, tol=0.0, n_iter_no_change=10**9)
    if solver == "sgd":
        kw["learning_rate_init"] = 0.01
    return kw


def fit_time(cls, X, y, kw) -> tuple[float, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        est = cls(**kw).fit(X, y)
        return time.perf_counter() - t0, est


def run(args) -> dict:
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as Theirs

    from layerwise.sklearn import MLPClassifier as Ours

    results = []
    for name, (X, y) in datasets(args.quick).items():
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        for solver in args.solvers:
            kw = settings(name, solver, args.quick)
            for n_threads in args.threads:
                with threads(n_threads):
                    per_epoch = {"layerwise": [], "sklearn": []}
                    load = os.getloadavg()[0]
                    for r in range(args.repeats):
                        order = [("layerwise", Ours), ("sklearn", Theirs)][:: 1 if r % 2 == 0 else -1]
                        fitted = {}
                        for impl, cls in order:
                            seconds, est = fit_time(cls, X_train, y_train, kw)
                            per_epoch[impl].append(seconds / est.n_iter_)
                            fitted[impl] = est
                    ours, theirs = fitted["layerwise"], fitted["sklearn"]
                    same = _agree(ours, theirs, solver)
                    row = {
                        "data": name, "solver": solver, "threads": n_threads, "epochs": kw["max_iter"],
                        "n_iter": [ours.n_iter_, theirs.n_iter_],
                        "seconds_per_epoch": {k: float(np.median(v)) for k, v in per_epoch.items()},
                        "all_seconds_per_epoch": per_epoch,
                        "test_score": {"layerwise": ours.score(X_test, y_test), "sklearn": theirs.score(X_test, y_test)},
                        "same_fit": same, "load_avg": [load, os.getloadavg()[0]],
                    }  # fmt: skip
                    row["ratio"] = row["seconds_per_epoch"]["layerwise"] / row["seconds_per_epoch"]["sklearn"]
                    results.append(row)
                    _print_row(row)
    return {"results": results}


def _agree(ours, theirs, solver) -> bool:
    """The two fits are the same fit: loss curves (stochastic) or final loss (lbfgs) to rounding."""
    if solver == "lbfgs":
        return bool(np.isclose(ours.loss_, theirs.loss_, rtol=1e-6))
    return bool(np.allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6))


def _print_row(row) -> None:
    s = row["seconds_per_epoch"]
    print(
        f"{row['data']:21s} {row['solver']:6s} {row['threads']} thr  layerwise {s['layerwise'] * 1e3:9.2f} ms"
        f"  sklearn {s['sklearn'] * 1e3:9.2f} ms  ratio {row['ratio']:5.2f}  test score "
        f"{row['test_score']['layerwise']:.4f} / {row['test_score']['sklearn']:.4f}"
        f"  same fit: {row['same_fit']}  load {row['load_avg'][0]:.1f}->{row['load_avg'][1]:.1f}",
        flush=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and epochs")
    parser.add_argument("--repeats", type=int, default=None, help="fits per estimator (default 5, quick 3)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--solvers", nargs="+", default=["adam", "sgd", "lbfgs"], choices=["adam", "sgd", "lbfgs"])
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "mlp_vs_sklearn.json")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.threads = sorted(set(args.threads))
    from .__main__ import environment

    env = environment()
    print(f"# {env['cpu']}, {env['cores']} cores; BLAS: {', '.join(env['blas'])}; NumPy {env['numpy']}, "
          f"scikit-learn {env.get('sklearn')}, layerwise {env.get('layerwise')}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    out = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "environment": env,
           "settings": {"repeats": args.repeats, "quick": args.quick, "threads": args.threads}, **run(args)}  # fmt: skip
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1))
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
