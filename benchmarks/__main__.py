"""``python -m benchmarks`` (``make bench``): layerwise against the course's NumPy, PyTorch eager,
JAX (the whole step under ``jax.jit``), a fused numba step (small networks), scikit-learn's
MLPClassifier and the GEMM floor, side by side, interleaved.

    python -m benchmarks                        # every workload, 1 and 2 threads, the width sweep
    python -m benchmarks --quick                # fewer repeats, shorter runs, a 3-point sweep
    python -m benchmarks --workloads cat planar --threads 1 --repeats 9 --no-sweep
    python -m benchmarks --ablation             # layerwise with each fast path off in turn

Prints the machine (CPU, BLAS and kernels, PyTorch's BLAS, JAX, numba), then, per workload and
thread count, the median time per iteration and its ratios to the floor and to each peer, then
the targets; writes ``benchmarks/results/latest.json`` (``--ablation``: ``ablation.json``) and
the width-sweep plot. ``python -m benchmarks.report`` makes BENCHMARKS.md's tables from them.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

from . import harness
from .implementations import ABLATION, FAST_PATHS, IMPLEMENTATIONS
from .workloads import WORKLOADS, width_sweep

ROOT = Path(__file__).resolve().parent.parent

#: (reference, bound) per workload: layerwise's median over the reference's, at every thread count
#: (issue 17: ahead of PyTorch eager and JAX jit, near the floor; small nets within 2x a fused loop).
TARGETS = {
    "cat": [("floor", 1.05), ("torch", 0.9), ("jax", 1.0)],
    "cat32": [("floor", 1.05), ("torch", 0.9), ("jax", 1.0)],
    "mnist": [("floor", 1.10), ("torch", 0.9), ("jax", 1.0)],
    "wide": [("floor", 1.05), ("torch", 0.9), ("jax", 1.0)],
    "planar": [("jax", 1.0), ("numba", 2.0), ("torch", 0.2)],
}
MEMORY_TARGET = 1.25


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS), metavar="NAME",
                   help=f"workloads to run (default: all of {', '.join(WORKLOADS)})")
    p.add_argument("--impls", nargs="+", default=list(IMPLEMENTATIONS), choices=list(IMPLEMENTATIONS), metavar="NAME",
                   help=f"implementations (default: all of {', '.join(IMPLEMENTATIONS)}; layerwise is always included)")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="BLAS/OpenMP/PyTorch thread counts (default: 1 2)")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per implementation (default 7, --quick 3)")
    p.add_argument("--target-seconds", type=float, default=None,
                   help="length of one timed run; iterations per run are calibrated to it (default 0.25, --quick 0.05)")
    p.add_argument("--quick", action="store_true", help="a fast pass: few repeats, short runs of at least 2 iterations, 3 widths")
    p.add_argument("--widths", nargs="+", type=int, default=None,
                   help="hidden widths w of the [784, w, w, 10] sweep (default 32 .. 1024, --quick 64 256 1024)")
    p.add_argument("--no-sweep", action="store_true", help="skip the width sweep and its plot")
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc measurement")
    p.add_argument("--ablation", action="store_true",
                   help=f"time layerwise with each fast path off in turn ({', '.join(FAST_PATHS)}; LAYERWISE_KERNELS) "
                        "against all on, all off and the floor, interleaved; no peers, memory or sweep")
    p.add_argument("--output", type=Path, default=None,
                   help="JSON results file (default benchmarks/results/latest.json, --ablation: ablation.json)")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "bench_width.png", help="width-sweep plot (PNG)")
    args = p.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.target_seconds = args.target_seconds or (0.05 if args.quick else 0.25)
    args.widths = args.widths or ([64, 256, 1024] if args.quick else [32, 64, 128, 256, 512, 1024])
    args.min_iterations = 2 if args.quick else harness.MIN_ITERATIONS
    args.output = args.output or ROOT / "benchmarks" / "results" / ("ablation.json" if args.ablation else "latest.json")
    if args.ablation:
        args.impls, args.no_memory, args.no_sweep = ["layerwise", *ABLATION, "floor"], True, True
    if "layerwise" not in args.impls:
        args.impls.insert(0, "layerwise")
    return args


def available(names: list[str]) -> list[str]:
    """The implementations whose libraries import here (a missing peer is reported, not fatal)."""
    out = []
    for name in names:
        module = {"torch": "torch", "sklearn": "sklearn", "jax": "jax", "numba": "numba"}.get(name)
        if module and importlib.util.find_spec(module) is None:  # found, not imported: jax starts XLA only in its workers
            print(f"# {name}: not installed, skipped (pip install -e '.[bench]')", file=sys.stderr)
            continue
        out.append(name)
    return out


def environment() -> dict:
    from threadpoolctl import threadpool_info

    env = {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": sorted({f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info() if i["user_api"] == "blas"}),
    }
    for mod in ("torch", "sklearn", "layerwise"):
        try:
            env[mod] = __import__(mod).__version__
        except ImportError:
            pass
    if "torch" in env:
        env["torch_blas"] = _torch_blas()
    for dist in ("jax", "jaxlib", "numba"):
        try:
            env[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    env["LAYERWISE_KERNELS"] = os.environ.get("LAYERWISE_KERNELS", "(unset: auto)")
    return env


def _torch_blas() -> str:
    """PyTorch's BLAS and CPU kernels, from the first lines of ``torch.__config__.show()``."""
    import torch

    lines = [line.strip(" -") for line in torch.__config__.show().splitlines()]
    parts = [line.replace("Intel(R) oneAPI Math Kernel Library Version", "MKL").split("-Product")[0].split(" for ")[0] for line in lines
             if "Math Kernel Library" in line or line.startswith("OpenBLAS")]  # fmt: skip
    parts += [line.replace("Intel(R) MKL-DNN", "oneDNN").split(" (")[0] for line in lines if "MKL-DNN" in line]
    parts += [line.replace("CPU capability usage:", "CPU capability").strip() for line in lines if line.startswith("CPU capability")]
    blas = next((f.split("=")[1] for line in lines for f in line.split(", ") if f.startswith("BLAS_INFO=")), None)
    return ", ".join(parts + ([f"BLAS_INFO={blas}"] if blas else [])) or "unknown"


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(w) -> str:
    return f"{list(w.layer_dims)} {w.hidden}/{w.output}, m = {w.m}, {w.dtype}"


def print_table(timing: dict, rat: dict, order: list[str], refs=("floor", "torch", "jax", "numba")) -> None:
    refs = [ref for ref in refs if ref in timing]
    width = max(10, *map(len, order))
    print(f"  {'':{width}s} {'time/iter':>10s}  " + "  ".join(f"{'x ' + ref:>8s}" for ref in refs) + f"  {'k':>6s}")
    for name in order:
        t, r = timing[name], rat[name]
        cells = [f"{r[f'x_{ref}']:8.2f}" for ref in refs]
        print(f"  {name:{width}s} {harness.fmt_time(t['median_s'])}  " + "  ".join(cells) + f"  {t['k']:6d}")


def run_workload(w, names, args) -> dict:
    print(f"\n== {w.name}: {describe(w)}", flush=True)
    impls, params0, X, Y = harness.build(w, names)
    result: dict = {"workload": w.__dict__ | {"layer_dims": list(w.layer_dims)}, "threads": {}}
    for n in args.threads:
        load = harness.load_average()
        with harness.threads(n, impls):
            agree = harness.agreement(w, impls)
            timing = harness.time_interleaved(impls, args.repeats, args.target_seconds, args.min_iterations)
        rat = harness.ratios(timing)
        load = (load, harness.load_average())
        print(f"-- {n} thread{'s' if n > 1 else ''} (load average {load[0]:.1f} -> {load[1]:.1f}); costs agree with layerwise's to "
              + ", ".join(f"{k} {v:.1e}" for k, v in agree.items()))
        res = {"agreement_max_rel": agree, "timing": timing, "ratios": rat, "load_average": load}
        jax = next((i for i in impls if i.name == "jax"), None)
        if jax:
            res["jax_worker"] = jax.worker.info | {"compile_and_warm_up_s": jax.compile_s}
            busy = jax.worker.info["busy_threads"]
            print(f"   jax worker: {' '.join(f'{k}={v}' for k, v in jax.worker.info['env'].items())}; threads computing at once "
                  + (f"{busy['mean']:.2f} on average (most {busy['max']}, {busy['samples']} samples)" if busy else "not measured here"))
        print_table(timing, rat, [i.name for i in impls], ("layerwise", "floor") if args.ablation else ("floor", "torch", "jax", "numba"))
        result["threads"][str(n)] = res
    if not args.no_memory:
        mem = harness.memory(w, params0, X, Y)
        result["memory"] = mem
        print(f"-- memory: fit's footprint {mem['footprint_bytes'] / 2**20:.2f} MiB = {mem['ratio']:.3f} x "
              f"(parameters + gradients + activations incl. X) [{mem['ratio_without_input']:.3f} x without X]")
    return result


def check_targets(results: dict) -> list[dict]:
    checks = []
    for name, res in results.items():
        for n, tres in res["threads"].items():
            r = tres["ratios"].get("layerwise", {})
            for ref, bound in TARGETS.get(name, []):
                v = r.get(f"x_{ref}")  # None: that peer was not measured (not installed, or not asked for)
                checks.append({"workload": name, "threads": int(n), "what": f"layerwise / {ref}", "value": v,
                               "bound": bound, "met": None if v is None else v <= bound})
        if "memory" in res:
            v = res["memory"]["ratio"]
            checks.append({"workload": name, "threads": None, "what": "peak memory / needed", "value": v,
                           "bound": MEMORY_TARGET, "met": v <= MEMORY_TARGET})
    return checks


#: LAYERWISE_KERNELS of each ablation row (None: unset, every fast path automatic).
IMPL_KERNELS = {name: cls.kernels for name, cls in ABLATION.items()}


def ablation_text(results: dict) -> str:
    """The ablation as text: per workload and thread count, each variant's time and ratio to all on."""
    from .report import ablation_rows

    rows = ablation_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(c.ljust(wd) if i == 0 else c.rjust(wd) for i, (c, wd) in enumerate(zip(row, widths))) for row in rows)


def sweep(args, names) -> dict:
    n = args.threads[0]
    print(f"\n== width sweep: [784, w, w, 10] relu/softmax, float32, {n} thread{'s' if n > 1 else ''}", flush=True)
    out: dict = {"threads": n, "widths": args.widths, "m": None, "median_s": {name: [] for name in names}}
    for w in width_sweep(args.widths):
        out["m"] = w.m
        impls, *_ = harness.build(w, names)
        with harness.threads(n, impls):
            harness.agreement(w, impls)
            timing = harness.time_interleaved(impls, max(3, args.repeats // 2), args.target_seconds, args.min_iterations)
        for name in names:
            out["median_s"][name].append(timing[name]["median_s"])
        print(f"  w = {w.layer_dims[1]:5d}: " + "  ".join(f"{k} {harness.fmt_time(v['median_s']).strip()}" for k, v in timing.items()), flush=True)
    return out


def plot(sw: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widths = sw["widths"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, times in sw["median_s"].items():
        ax1.plot(widths, np.array(times) * 1e3, marker="o", label=name, lw=2.5 if name == "layerwise" else 1.2)
        if "floor" in sw["median_s"]:
            ax2.plot(widths, np.array(times) / np.array(sw["median_s"]["floor"]), marker="o", label=name,
                     lw=2.5 if name == "layerwise" else 1.2)
    threads = f"{sw['threads']} thread{'s' if sw['threads'] > 1 else ''}"
    floor = np.array(sw["median_s"].get("floor", [np.nan]))
    lowest = min(0.9, 0.97 * min(np.nanmin(np.array(t) / floor) for t in sw["median_s"].values()))  # XLA's GEMM can beat the floor
    ax1.set(xscale="log", yscale="log", xlabel="hidden width w", ylabel="ms per iteration",
            title=f"[784, w, w, 10] softmax, m = {sw['m']}, float32, {threads}")
    ax2.set(xscale="log", ylim=(lowest, None), xlabel="hidden width w", ylabel="time / GEMM floor", title="ratio to the GEMM floor")
    for ax in (ax1, ax2):
        ax.set_xticks(widths, [str(w) for w in widths])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    names = available(args.impls)
    if args.ablation and os.environ.pop("LAYERWISE_KERNELS", None) is not None:
        print("# --ablation: LAYERWISE_KERNELS unset, so that 'layerwise' is every fast path on", file=sys.stderr)
    env = environment()
    for k, v in env.items():
        print(f"# {k}: {v}")
    results = {name: run_workload(WORKLOADS[name], names, args) for name in args.workloads}
    checks = [] if args.ablation else check_targets(results)
    if args.ablation:
        print("\n== what each fast path bought: time per iteration, and x all on (layerwise)")
        print(ablation_text(results))
    else:
        print("\n== targets")
    for c in checks:
        where = f"{c['workload']}" + (f", {c['threads']} thr" if c["threads"] else "")
        verdict, value = {True: "met   ", False: "MISSED", None: "n/a   "}[c["met"]], "not measured" if c["value"] is None else f"{c['value']:.3f}"
        print(f"  {verdict} {where:16s} {c['what']:22s} {value} (<= {c['bound']})")
    out = {
        "command": " ".join(["python -m benchmarks", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "environment": env,
        "settings": {"repeats": args.repeats, "target_seconds": args.target_seconds, "min_iterations": args.min_iterations, "threads": args.threads,
                     "agreement_rtol": harness.AGREEMENT_RTOL, "agreement_iterations": harness.AGREEMENT_ITERATIONS,
                     "ablation": {n: IMPL_KERNELS.get(n) for n in names} if args.ablation else None},
        "results": results,
        "targets": checks,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1))
    if not args.no_sweep:
        out["width_sweep"] = sweep(args, [n for n in names if n != "numba"])  # softmax nets: no fused step
        args.output.write_text(json.dumps(out, indent=1))
        plot(out["width_sweep"], args.plot)
        print(f"\nplot: {args.plot}")
    print(f"results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
