"""Summarise a mutmut run of the engine against the committed list of equivalent mutants.

Reads ``mutants/`` (what ``mutmut run`` left), writes ``mutants/summary.md`` and prints it.
A mutant is named in ``mutation/survivors.md`` by its function and a hash of the lines it
changes (``### layerwise.blocks.linear_forward 1a2b3c4d``), so the entry outlives mutmut's
renumbering when other code in the function changes. Exit status 1 when a mutant that is not
killed is not listed there as equivalent, so ``make mutation`` fails until it is explained
or killed by a test.

Usage: python mutation/report.py [--mutants DIR] [--survivors FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into what the score needs
STATUS = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          0: "survived", 5: "no tests", 33: "no tests", 34: "skipped"}  # fmt: skip
CAUGHT = ("killed", "timeout")  # a mutant that makes the tests hang is caught too
ENTRY = re.compile(r"^### (\S+) ([0-9a-f]{8})\s*$")
DEF = re.compile(r"def \S+?__mutmut_(?:orig|\d+)\(")


def function_name(key: str) -> str:
    """``layerwise.blocks.xǁWorkspaceǁ__init____mutmut_3`` -> ``layerwise.blocks.Workspace.__init__``."""
    module, _, mangled = key.rpartition(".")
    name = mangled[2:].rsplit("__mutmut_", 1)[0]
    return f"{module}.{name.strip('ǁ').replace('ǁ', '.')}"


def changed_lines(lines: list[str], spans: dict, mangled: str) -> list[str]:
    """The ``-``/``+`` lines between the original function and the mutant ``mangled``."""
    stem = mangled.rsplit("__mutmut_", 1)[0]
    (a0, a1), (b0, b1) = spans[f"{stem}__mutmut_orig"], spans[mangled]
    orig = [DEF.sub("def f(", s) for s in lines[a0 - 1 : a1]]
    mut = [DEF.sub("def f(", s) for s in lines[b0 - 1 : b1]]
    diff = difflib.unified_diff(orig, mut, lineterm="", n=0)
    return [d[0] + " " + d[1:].strip() for d in diff if d[:1] in "-+" and d[:3] not in ("---", "+++")]


def mutant_id(function: str, diff: list[str]) -> str:
    return hashlib.sha1("\n".join([function, *diff]).encode()).hexdigest()[:8]


def load_equivalents(path: Path) -> dict[tuple[str, str], str]:
    """``{(function, hash): reason}`` from the entries of ``survivors.md``."""
    found, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        if m := ENTRY.match(line):
            current = (m.group(1), m.group(2))
            found[current] = ""
        elif current and line.startswith("Reason:"):
            found[current] = line.removeprefix("Reason:").strip()
    return found


def collect(mutants: Path) -> list[dict]:
    """One record per mutant: file, key, function, status, diff, id."""
    records = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        source = meta.with_suffix("")
        lines = source.read_text(encoding="utf-8").splitlines()
        spans = json.loads(meta.with_suffix(".spans").read_text())["spans"]
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            mangled = key.rpartition(".")[2]
            diff = changed_lines(lines, spans, mangled)
            function = function_name(key)
            status = STATUS.get(code, "not checked" if code is None else f"exit {code}")
            records.append({"file": source.relative_to(mutants).as_posix(), "key": key, "function": function,
                            "status": status, "diff": diff, "id": mutant_id(function, diff)})  # fmt: skip
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", type=Path, default=Path(__file__).with_name("survivors.md"))
    parser.add_argument("--out", type=Path, default=None, help="default: MUTANTS/summary.md")
    args = parser.parse_args(argv)
    records = collect(args.mutants)
    if not records:
        print(f"no mutants under {args.mutants}: run `mutmut run` first", file=sys.stderr)
        return 2
    equivalents = load_equivalents(args.survivors)
    for r in records:
        if r["status"] in ("survived", "no tests") and (r["function"], r["id"]) in equivalents:
            r["status"] = "equivalent"
    by_file: dict[str, Counter] = {}
    for r in records:
        by_file.setdefault(r["file"], Counter())[r["status"]] += 1
    total = Counter()
    out = ["# Mutation testing summary", "",
           "| file | mutants | killed | timeout | equivalent | survived | no tests | not run | score |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip

    def row(name: str, c: Counter) -> str:
        n = sum(c.values())
        caught = c["killed"] + c["timeout"]
        other = n - caught - sum(c[k] for k in ("equivalent", "survived", "no tests"))
        live = n - c["equivalent"] - other
        score = f"{100 * caught / live:.1f} %" if live else "-"
        return (f"| {name} | {n} | {c['killed']} | {c['timeout']} | {c['equivalent']} | {c['survived']} | {c['no tests']} "
                f"| {other} | {score} |")

    for name, c in by_file.items():
        out.append(row(name, c))
        total += c
    out.append(row("**all**", total))
    unexplained = [r for r in records if r["status"] not in (*CAUGHT, "equivalent", "not checked")]
    unchecked = sum(r["status"] == "not checked" for r in records)
    out += ["", "score = (killed + timeout) / (mutants - equivalent - not run); not run: skipped, not checked,",
            "or a test run that ended abnormally (listed below)", ""]
    stale = set(equivalents) - {(r["function"], r["id"]) for r in records if r["status"] == "equivalent"}
    if unchecked:
        out += [f"{unchecked} mutants were not run (a partial run, or one that was stopped).", ""]
    if unexplained:
        out += [f"## {len(unexplained)} mutants neither killed nor listed as equivalent in {args.survivors}", ""]
        for r in unexplained:
            out += [f"### {r['function']} {r['id']}", f"{r['status']}: `mutmut show {r['key']}`", "```diff", *r["diff"], "```", ""]
    if stale:
        out += [f"## {len(stale)} entries of {args.survivors} match no surviving mutant (killed now, or the code changed)", ""]
        out += [f"- {f} {h}" for f, h in sorted(stale)]
    text = "\n".join(out) + "\n"
    dest = args.out or args.mutants / "summary.md"
    dest.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {dest}")
    return 1 if unexplained or unchecked else 0


if __name__ == "__main__":
    sys.exit(main())
