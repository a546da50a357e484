"""Markdown tables from results files, and BENCHMARKS.md's tables regenerated from them.

    python -m benchmarks.report                                   # tables of results/latest.json
    python -m benchmarks.report results/latest.json --ablation results/ablation.json
    python -m benchmarks.report --update BENCHMARKS.md            # rewrite its generated tables

Ratios first (to the GEMM floor, then layerwise against each peer: PyTorch, JAX, numba, the
course's NumPy), then the times they come from, the memory, the targets and the ablation
("what each fast path bought"). ``--update`` replaces, in the file given, the text between each
``<!-- report:NAME -->`` and ``<!-- /report:NAME -->`` marker pair by the table NAME (``machine``,
``ratios``, ``times``, ``memory``, ``targets``, ``ablation``); the prose around them is left alone.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .harness import fmt_time

ORDER = ["layerwise", "course", "torch", "jax", "numba", "sklearn", "floor"]
PEERS = ["torch", "jax", "numba", "course"]  # layerwise / each, where measured
RESULTS = Path(__file__).parent / "results"


def _describe(w: dict) -> str:
    return f"{w['name']}: {w['layer_dims']} {w['hidden']}/{w['output']}, m = {w['m']:,}, {w['dtype']}"


def _measured(results: dict, order: list[str]) -> list[str]:
    return [n for n in order if any(n in r["threads"][t]["timing"] for r in results.values() for t in r["threads"])]


def _load(t: dict) -> str:
    load = t.get("load_average") or [None]
    return " -> ".join(f"{x:.1f}" for x in load) if load[0] is not None else "-"


def ratio_table(results: dict) -> str:
    names = _measured(results, ORDER)
    peers = [p for p in PEERS if p in names]
    head = ["workload", "threads", *[f"{n} / floor" for n in names if n != "floor"], *[f"layerwise / {p}" for p in peers], "load avg."]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res in results.values():
        for n, t in res["threads"].items():
            r = t["ratios"]
            cells = [res["workload"]["name"], n]
            cells += [f"{r[name]['x_floor']:.2f}x" if "x_floor" in r.get(name, {}) else "-" for name in names if name != "floor"]
            lw = r.get("layerwise", {})
            cells += [f"**{lw[f'x_{p}']:.2f}**" if f"x_{p}" in lw else "-" for p in peers]
            cells.append(_load(t))
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def time_table(results: dict) -> str:
    names = _measured(results, ORDER)
    rows = ["| workload | threads | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 2)]
    for res in results.values():
        for n, t in res["threads"].items():
            cells = [fmt_time(t["timing"][name]["median_s"]).strip() if name in t["timing"] else "-" for name in names]
            rows.append(f"| {res['workload']['name']} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def memory_table(results: dict) -> str:
    rows = ["| workload | parameters | A1..AL (X = A0) | needed | fit's peak | ratio | ratio without X |", "|---|---|---|---|---|---|---|"]
    for res in results.values():
        m = res.get("memory")
        if m:
            mib = lambda b: f"{b / 2**20:.2f} MiB"  # noqa: E731
            rows.append(
                f"| {res['workload']['name']} | {mib(m['params_bytes'])} | {mib(m['activations_bytes'])} ({mib(m['input_bytes'])}) "
                f"| {mib(m['needed_bytes'])} | {mib(m['footprint_bytes'])} | **{m['ratio']:.2f}** | {m['ratio_without_input']:.2f} |"
            )
    return "\n".join(rows)


def targets_table(checks: list[dict]) -> str:
    rows = ["| workload | threads | ratio | measured | target | |", "|---|---|---|---|---|---|"]
    for c in checks:
        value = "not measured" if c["value"] is None else f"{c['value']:.3f}"
        verdict = {True: "met", False: "**missed**", None: "-"}[c["met"]]
        rows.append(f"| {c['workload']} | {c['threads'] or '-'} | {c['what']} | {value} | <= {c['bound']} | {verdict} |")
    return "\n".join(rows)


def _variants(results: dict) -> list[str]:
    seen = dict.fromkeys(n for r in results.values() for t in r["threads"].values() for n in t["timing"])
    return [n for n in seen if n.startswith("layerwise")]


def _label(name: str) -> str:
    if name == "layerwise":
        return "all on"
    if name == "layerwise[numpy]":
        return "all off (numpy)"
    return "all but " + name[len("layerwise[-") : -1]


def ablation_rows(results: dict) -> list[list[str]]:
    """Header, then per workload and thread count: each variant's median time and its ratio to all on."""
    variants = _variants(results)
    rows = [["workload", "threads", *(_label(v) for v in variants), "floor"]]
    for res in results.values():
        for n, t in res["threads"].items():
            cells = [res["workload"]["name"], n]
            for v in variants:
                if v not in t["timing"]:
                    cells.append("-")
                    continue
                ratio = t["ratios"][v].get("x_layerwise")
                cells.append(fmt_time(t["timing"][v]["median_s"]).strip() + (f" ({ratio:.2f}x)" if v != "layerwise" else ""))
            cells.append(fmt_time(t["timing"]["floor"]["median_s"]).strip() if "floor" in t["timing"] else "-")
            rows.append(cells)
    return rows


def ablation_table(results: dict) -> str:
    rows = ablation_rows(results)
    return "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])] + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def machine(out: dict) -> str:
    """The run and the machine in one paragraph: CPU, BLAS and its kernels, each peer's version and BLAS."""
    env, s = dict(out["environment"]), out["settings"]
    v = lambda key, fmt="{}": fmt.format(env.pop(key)) if key in env else None  # noqa: E731
    blas = env.pop("blas", None)
    parts = [
        f"{v('cpu')}, {v('cores')} cores",
        v("python", "Python {}"),
        f"NumPy {v('numpy')}" + (f" with {', '.join(blas)}" if blas else ""),
        (v("torch", "PyTorch {}") or "") + (v("torch_blas", " ({})") or "") or None,
        (v("jax", "JAX {}") or "") + (v("jaxlib", " (jaxlib {})") or "") or None,
        v("numba", "numba {}"),
        v("sklearn", "scikit-learn {}"),
        v("layerwise", "layerwise {}"),
        v("LAYERWISE_KERNELS", "LAYERWISE_KERNELS {}"),
        *(f"{k} {x}" for k, x in env.items()),
    ]
    return (f"Run of {out['date']}: `{out['command'].strip()}` ({s['repeats']} interleaved repeats, runs of about "
            f"{s['target_seconds']} s). Machine: " + "; ".join(p for p in parts if p) + ".")  # fmt: skip


def tables(out: dict, ablation: dict | None = None) -> dict[str, str]:
    """Every generated table, by its marker name."""
    t = {
        "machine": machine(out),
        "ratios": ratio_table(out["results"]),
        "times": time_table(out["results"]),
        "memory": memory_table(out["results"]),
        "targets": targets_table(out["targets"]),
    }
    if ablation:
        t["ablation"] = machine(ablation) + "\n\n" + ablation_table(ablation["results"])
    return t


def markdown(out: dict, ablation: dict | None = None) -> str:
    t = tables(out, ablation)
    titles = {"ratios": "Ratios (medians of the same run)", "times": "Time per iteration (median)", "memory": "Peak memory of training",
              "targets": "Targets", "ablation": "What each fast path bought (ablation)"}  # fmt: skip
    workloads = "Workloads: " + "; ".join(_describe(r["workload"]) for r in out["results"].values())
    return "\n\n".join([t["machine"], workloads] + [f"### {titles[k]}\n{v}" for k, v in t.items() if k != "machine"]) + "\n"


def update(path: Path, generated: dict[str, str]) -> list[str]:
    """Replace each marked section of ``path`` by its table; returns the names replaced."""
    text = path.read_text()
    done = []
    for name, body in generated.items():
        pattern = re.compile(rf"(<!-- report:{name} -->\n).*?(\n<!-- /report:{name} -->)", re.S)
        text, n = pattern.subn(lambda m: m.group(1) + body + m.group(2), text)
        if n:
            done.append(name)
    path.write_text(text)
    return done


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="?", type=Path, default=RESULTS / "latest.json", help="results of python -m benchmarks")
    p.add_argument("--ablation", type=Path, default=None, help="results of python -m benchmarks --ablation (default: results/ablation.json if present)")
    p.add_argument("--update", type=Path, default=None, metavar="FILE.md", help="rewrite the marked tables of FILE.md instead of printing")
    args = p.parse_args(argv)
    out = json.loads(args.results.read_text())
    ablation_path = args.ablation or (RESULTS / "ablation.json" if (RESULTS / "ablation.json").exists() else None)
    ablation = json.loads(ablation_path.read_text()) if ablation_path else None
    if args.update:
        done = update(args.update, tables(out, ablation))
        print(f"{args.update}: rewrote {', '.join(done) or 'nothing (no <!-- report:NAME --> markers)'}")
    else:
        print(markdown(out, ablation))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
