"""The README's "Your own CSV" section: its shell session runs as written, and the lines it
shows of the output are what the commands print."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas", reason="tables need pandas: install layerwise[cli]")
pytest.importorskip("sklearn", reason="the messy file is made from scikit-learn's breast-cancer data")

ROOT = Path(__file__).resolve().parents[1]
SECTION = ROOT.joinpath("README.md").read_text().split("## Your own CSV", 1)[1].split("\n## ", 1)[0]


def shell_lines() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", SECTION, flags=re.S).group(1)
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


def test_the_shell_session_runs_and_prints_what_the_readme_shows(tmp_path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    printed = []
    for argv in shell_lines():
        program = {"python": [sys.executable], "layerwise": [sys.executable, "-m", "layerwise"]}[argv[0]]
        result = subprocess.run([*program, *argv[1:]], capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert result.returncode == 0, f"{argv}: {result.stderr}"
        printed += (result.stdout + result.stderr).splitlines()
    console = re.search(r"```console\n(.*?)```", SECTION, flags=re.S).group(1)
    shown = [line for line in console.splitlines() if not line.startswith(("$ ", "..."))]
    files = (tmp_path / "predictions.csv").read_text().splitlines()
    for line in shown:
        assert line in printed or line in files[:3], line
