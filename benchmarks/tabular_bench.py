"""Loading and training on a large CSV: time and peak memory beside ``pandas.read_csv`` alone.

    python -m benchmarks.tabular_bench                       # 1 000 000 rows x 50 columns
    python -m benchmarks.tabular_bench --rows 200000 --iterations 5 --json out.json

Writes a CSV of ``--rows`` rows: 49 numeric features (spreads from 1 to 1000) and a 0/1
label, then measures, each in a fresh Python process (so each peak is its own):

- ``pandas.read_csv(path)`` alone (the reference);
- ``layerwise.data.tables.read_table(path)``: the reader ``layerwise train`` uses;
- ``layerwise train --data path --iterations N``: reading, column roles, the fitted
  preprocessing (imputation, standardisation) and N full-batch gradient-descent iterations.

Peak memory is the process's peak resident set size (``VmHWM``), also given above that of an
interpreter that imported NumPy and pandas, and as a multiple of the file's numeric size
(rows x columns x 8 bytes). BLAS runs on one thread; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .__main__ import environment

CHILD = r"""
import json, sys, time
import numpy, pandas
def peak_mib():  # this process's own peak resident set (ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
what, path, iterations, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = peak_mib()
start = time.perf_counter()
if what == "pandas.read_csv":
    frame = pandas.read_csv(path)
elif what == "read_table":
    from layerwise.data.tables import read_table
    table = read_table(path)
elif what == "train":
    from layerwise.cli import main
    status = main(["train", "--data", path, "--iterations", str(iterations), "--quiet", "--no-plots", "--out", out])
    assert status == 0, status
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": peak_mib(), "base_mb": base}))
"""

MEASURES = ("baseline", "pandas.read_csv", "read_table", "train")
#: BLAS on one thread: on a shared machine a busy second core stalls a two-thread BLAS for seconds.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def write_csv(path: Path, rows: int, columns: int, seed: int = 0) -> None:
    """``rows`` rows of ``columns - 1`` features (std 1 .. 1000) and a 0/1 label ``y``, 6 digits each."""
    rng = np.random.default_rng(seed)
    n = columns - 1
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(n)] + ["y"]) + "\n")
        for start in range(0, rows, 100_000):
            k = min(100_000, rows - start)
            X = rng.normal(size=(k, n)) * np.logspace(0, 3, n)
            y = (X[:, 0] + X[:, 1] / 10 > 0).astype(int)
            np.savetxt(f, np.column_stack([X, y]), fmt=["%.6g"] * n + ["%d"], delimiter=",")


def measure(what: str, path: Path, iterations: int, out: Path) -> dict:
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]), **ONE_THREAD}
    result = subprocess.run([sys.executable, "-c", CHILD, what, str(path), str(iterations), str(out)],
                            capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=10, help="training iterations (full batch) [default: 10]")
    parser.add_argument("--dir", default=None, help="where the CSV goes [default: a temporary folder]")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    import pandas

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "big.csv"
        start = time.perf_counter()
        write_csv(path, args.rows, args.columns)
        numeric_mb = args.rows * args.columns * 8 / 2**20
        print(f"{args.rows} rows x {args.columns} columns: {path.stat().st_size / 2**20:.0f} MiB of CSV, "
              f"{numeric_mb:.0f} MiB as float64 (written in {time.perf_counter() - start:.1f} s)")  # fmt: skip
        env = environment()
        print(f"{env['cpu']}, {env['cores']} cores, Python {env['python']}, NumPy {env['numpy']} ({', '.join(env['blas'])}), "
              f"pandas {pandas.__version__}")  # fmt: skip
        results = {}
        load_before = os.getloadavg()[0]
        for what in MEASURES:
            r = measure(what if what != "baseline" else "none", path, args.iterations, Path(tmp) / "run")
            results[what] = r
        base = results["baseline"]["peak_mb"]
        print(f"{'':>16}  {'seconds':>8}  {'peak RSS MiB':>12}  {'above base':>10}  {'x numeric':>9}")
        for what in MEASURES[1:]:
            r = results[what]
            above = r["peak_mb"] - base
            label = f"train ({args.iterations} it.)" if what == "train" else what
            print(f"{label:>16}  {r['seconds']:8.1f}  {r['peak_mb']:12.0f}  {above:10.0f}  {above / numeric_mb:9.2f}")
        print(f"(baseline: an interpreter with NumPy and pandas imported, {base:.0f} MiB; "
              f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "rows": args.rows, "columns": args.columns, "iterations": args.iterations, "numeric_mb": numeric_mb, **results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
