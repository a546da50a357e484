"""The worked notebooks of examples/ (py:percent scripts) run end to end, with few iterations.

Each one walks an assignment with layerwise.course and asserts that lw.Network reaches the
same parameters; the cat ones need the course's data (skipped with the reason where absent).
"""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name, needs_cats, last_line", [
    ("course_logistic_regression.py", True, "lw.LogisticRegression: the same parameters"),
    ("course_planar_shallow.py", False, "lw.Network: the same parameters"),
    ("course_deep_network.py", True, "lw.Network [12288, 20, 7, 5, 1]: the same parameters"),
    ("course_gradient_checking.py", False, "lw.gradient_check: 1.19"),
])
def test_notebook_runs(name, needs_cats, last_line, request, monkeypatch, capsys):
    if needs_cats:
        request.getfixturevalue("cat_data")  # skips, saying why, where the pictures are absent
    monkeypatch.setenv("LAYERWISE_EXAMPLE_ITERATIONS", "3")
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert capsys.readouterr().out.splitlines()[-1].startswith(last_line)


def test_every_course_notebook_is_tested():
    tested = {"course_logistic_regression.py", "course_planar_shallow.py", "course_deep_network.py", "course_gradient_checking.py"}
    assert {p.name for p in EXAMPLES.glob("course_*.py")} == tested
    for name in tested:
        assert (EXAMPLES / name).read_text().startswith("# %% [markdown]")  # a py:percent notebook
