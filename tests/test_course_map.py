"""docs/course.md: every snippet runs, every topic has a row and a snippet, every function named exists."""

import importlib
import re
from pathlib import Path

import pytest

COURSE_MD = Path(__file__).resolve().parents[1] / "docs" / "course.md"
TEXT = COURSE_MD.read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
ROWS = [line for line in TEXT.splitlines() if line.startswith("| [")]
TOPICS = ["notation", "logistic regression", "vectorization", "broadcasting", "computation graph", "shallow network",
          "activations, and why non-linear", "random initialisation", "deep network blocks", "matrix dimensions",
          "hyperparameters", "gradient checking"]


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs(code, capsys):
    exec(compile(code, str(COURSE_MD), "exec"), {"__name__": "__course_map__"})


def test_one_row_and_one_snippet_per_topic():
    assert [re.match(r"\| \[(.*?)\]", row).group(1) for row in ROWS] == TOPICS
    sections = re.split(r"\n## ", TEXT)[1:]
    assert [s.splitlines()[0].lower() for s in sections] == TOPICS
    assert all("```python" in s for s in sections)


def resolve(name: str):
    """``deep.L_model_backward`` (in layerwise.course) or ``layerwise.graph.Value``, to the object."""
    parts = name.split(".")
    if parts[0] != "layerwise":
        parts = ["layerwise", "course", *parts]
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)


@pytest.mark.parametrize("row", ROWS, ids=TOPICS)
def test_functions_named_in_the_map_exist(row):
    _, _, course, engine = [cell.strip() for cell in row.strip("|").split("|")]
    names = re.findall(r"`([A-Za-z_][\w.]*)`", course + " " + engine)
    assert names, row
    for name in names:
        assert callable(resolve(name)), name
