"""Markdown tables from a results file: ``python -m benchmarks.report benchmarks/results/latest.json``.

Ratios first (to the GEMM floor, then layerwise against PyTorch and the course's NumPy), then
the times they come from, the memory and the targets: the tables of BENCHMARKS.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .harness import fmt_time

ORDER = ["layerwise", "course", "torch", "sklearn", "floor"]


def _describe(w: dict) -> str:
    return f"{w['name']}: {w['layer_dims']} {w['hidden']}/{w['output']}, m = {w['m']:,}, {w['dtype']}"


def ratio_table(results: dict) -> str:
    names = [n for n in ORDER if any(n in r["threads"][t]["timing"] for r in results.values() for t in r["threads"])]
    head = ["workload", "threads", *[f"{n} / floor" for n in names if n != "floor"], "layerwise / torch", "layerwise / course", "load avg."]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res in results.values():
        for n, t in res["threads"].items():
            r = t["ratios"]
            cells = [res["workload"]["name"], n]
            cells += [f"{r[name]['x_floor']:.2f}x" if name in r and "x_floor" in r[name] else "-" for name in names if name != "floor"]
            lw = r.get("layerwise", {})
            cells += [f"**{lw['x_torch']:.2f}**" if "x_torch" in lw else "-", f"**{lw['x_course']:.2f}**" if "x_course" in lw else "-"]
            cells.append(" -> ".join(f"{x:.1f}" for x in t["load_average"]) if t.get("load_average", [None])[0] is not None else "-")
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def time_table(results: dict) -> str:
    names = [n for n in ORDER if any(n in r["threads"][t]["timing"] for r in results.values() for t in r["threads"])]
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
        rows.append(f"| {c['workload']} | {c['threads'] or '-'} | {c['what']} | {c['value']:.3f} | <= {c['bound']} | {'met' if c['met'] else '**missed**'} |")
    return "\n".join(rows)


def markdown(out: dict) -> str:
    env = out["environment"]
    parts = [
        f"Command: `{out['command']}` ({out['date']}); {out['settings']['repeats']} interleaved repeats, "
        f"runs of about {out['settings']['target_seconds']} s.",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in env.items()),
        "",
        "Workloads: " + "; ".join(_describe(r["workload"]) for r in out["results"].values()),
        "",
        "### Ratios (medians of the same run)",
        ratio_table(out["results"]),
        "",
        "### Time per iteration (median)",
        time_table(out["results"]),
        "",
        "### Peak memory of training",
        memory_table(out["results"]),
        "",
        "### Targets",
        targets_table(out["targets"]),
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "latest.json")
    print(markdown(json.loads(path.read_text())))
