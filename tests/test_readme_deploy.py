"""The README's deploy section, run as written: its Python block (train, save, export, onnxruntime)
is run by test_readme.py; here its shell block runs against the files that block wrote."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx", reason="the deploy section exports to ONNX: pip install 'layerwise[onnx]'")
pytest.importorskip("onnxruntime", reason="the deploy section runs onnxruntime: pip install 'layerwise[onnxruntime]'")
pytest.importorskip("uvicorn", reason="the deploy section serves the model: pip install 'layerwise[serve]'")

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = README.read_text().split("## Deploy: ONNX export and a prediction server", 1)[1].split("\n## ", 1)[0]
(PYTHON,) = re.findall(r"```python\n(.*?)```", SECTION, flags=re.S)
(SHELL,) = re.findall(r"```bash\n(.*?)```", SECTION, flags=re.S)


def test_shell_block(tmp_path, monkeypatch):
    """Export and serve from the shell, then the curl calls (port 8000 replaced by a free one)."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    monkeypatch.chdir(tmp_path)
    exec(compile(PYTHON, str(README), "exec"), {"__name__": "__readme__"})  # writes iris.npz
    lines = SHELL.splitlines()
    (serve,) = [line for line in lines if line.startswith("layerwise serve")]
    assert serve.split("#")[0].split() == ["layerwise", "serve", "iris.npz", "--port", "8000", "&"]
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "serve", "iris.npz", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().split("127.0.0.1:")[1].split("/")[0]
        script = "\n".join(line for line in lines if line is not serve and not line.startswith("kill"))
        script = script.replace("layerwise ", f"{sys.executable} -m layerwise ").replace("localhost:8000", f"localhost:{port}")
        done = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, timeout=120)
    finally:
        proc.terminate()
        proc.wait(30)
    assert done.returncode == 0, done.stderr
    assert Path("iris.onnx").stat().st_size > 0
    schema, predictions = (json.loads(line) for line in done.stdout.replace("}{", "}\n{").splitlines())
    assert schema["name"] == "iris" and schema["outputs"]["label"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert [p["label"] for p in predictions["predictions"]] == ["setosa", "virginica"]
