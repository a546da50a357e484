"""Every ```python block of the README runs as written, and what it shows is checked.

Two kinds of check, so that a block's output cannot go wrong unnoticed:
- the README's own comments: an expression or assignment whose trailing comment is a Python
  literal (``net.predict(X).shape  # (1, 400)``, ``done = len(...)  # 300``) must have that
  value, and a ``print(...)`` whose trailing comment begins with the same word as what it
  prints states its output: the comment must begin with the printed text (``print(e)  # Y has
  shape ...``); other comments describe ("the table above") and are not compared. The block's
  own ``assert`` statements run as written;
- ``AFTER``: for blocks whose results are not spelled out in comments, a check of the
  namespace and the printed output, keyed by a line that identifies the block.
``test_every_block_is_checked`` fails for a block that has neither: add a literal comment or
an ``AFTER`` entry with it.
"""

import ast
import io
import re
import tokenize
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def comments(code: str) -> dict[int, str]:
    """Line number -> the text of the comment ending that line."""
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string[1:].strip()
    return found


def literal(text: str):
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


class Instrument(ast.NodeTransformer):
    """Adds a check after every statement whose comment states a value or a printed line."""

    def __init__(self, notes: dict[int, str]):
        self.notes = notes
        self.checks = 0

    def _check(self, stmt):
        note = self.notes.get(stmt.end_lineno)
        if note is None:
            return stmt
        is_literal, value = literal(note)
        line = ast.Constant(stmt.end_lineno)
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and getattr(stmt.value.func, "id", "") == "print":
            if note.startswith("the ") or stmt.value.keywords:
                return stmt
            self.checks += 1
            call = ast.Call(ast.Name("__readme_print__", ast.Load()), [ast.Constant(note), line, *stmt.value.args], [])
            return ast.copy_location(ast.Expr(call), stmt)
        if not is_literal:
            return stmt
        if isinstance(stmt, ast.Expr):
            self.checks += 1
            call = ast.Call(ast.Name("__readme_check__", ast.Load()), [stmt.value, ast.Constant(value), line], [])
            return ast.copy_location(ast.Expr(call), stmt)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            self.checks += 1
            target = ast.Name(stmt.targets[0].id, ast.Load())
            check = ast.Expr(ast.Call(ast.Name("__readme_check__", ast.Load()), [target, ast.Constant(value), line], []))
            return [stmt, ast.copy_location(check, stmt)]
        return stmt

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody", "handlers"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                new = []
                for s in stmts:
                    out = self._check(s)
                    new.extend(out if isinstance(out, list) else [out])
                setattr(node, field, new)
        return node


def __readme_check__(value, expected, line):
    got = tuple(value) if isinstance(expected, tuple) and not isinstance(value, str) else value
    assert got == expected, f"README line {line}: got {got!r}, the README says {expected!r}"


def __readme_print__(note, line, *args):
    text = " ".join(map(str, args))
    print(text)
    if text.split(maxsplit=1)[:1] == note.split(maxsplit=1)[:1]:  # the comment shows the output
        assert note.startswith(text), f"README line {line} prints {text!r}; the README says {note!r}"


def _planar(ns, out):
    cost0, cost_end, accuracy = re.fullmatch(r"cost (\S+) -> (\S+), accuracy (\S+)%\n", out).groups()
    assert cost0 == "0.693048"  # the course's cost at iteration 0 (planar, randn * 0.01, seed 2)
    assert float(cost_end) < 0.26 and float(accuracy) > 88
    h = ns["history"]
    assert len(h.costs) == 2000 and all(a >= b for a, b in zip(h.costs, h.costs[1:]))
    assert set(ns["grads"]) == {"dW1", "db1", "dW2", "db2"} and ns["J"] == pytest.approx(0.693048, abs=5e-7)


def _blocks(ns, out):
    before = __import__("layerwise").initializers.initialize_parameters([2, 3, 5, 4, 2, 1], init="he", seed=1)
    assert ns["AL"].shape == (1, 5) and ((ns["AL"] > 0) & (ns["AL"] < 1)).all()
    for key, W in before.items():
        np.testing.assert_allclose(ns["parameters"][key], W - 0.0075 * ns["grads"]["d" + key], rtol=1e-12)
        assert ns["grads"]["d" + key].shape == W.shape


def _digits(ns, out):
    h = ns["history"]
    assert h.status in ("completed", "early_stopping") and len(h.costs) <= 20
    assert h.best_epoch is not None and h.val_metrics[h.best_epoch] == max(h.val_metrics) > 0.9
    assert h.learning_rates == [0.001] * len(h.costs) and h.costs[-1] < h.costs[0]


def _breast_cancer(ns, out):
    assert ns["grid"].best_params_["neuralnetclassifier__lambd"] in (0.3, 1.0, 3.0)
    assert ns["grid"].best_score_ > 0.93
    assert list(ns["grid"].best_estimator_.predict(ns["X_new"])) == list(ns["y"][:5])


def _sweep(ns, out):
    result = ns["result"]
    ranked = result.ranked()
    assert len(ranked) == 16 and ns["best"] is ranked[0]
    assert ns["best"].metric == max(t.metric for t in ranked if t.metric is not None) > 0.8
    assert ns["model"].layer_dims[0] == 2 and ns["model"].features == ["x1", "x2"] and out.startswith(result.summary())


def _dask(ns, out):
    search = ns["search"]
    assert set(search.best_params_) == {"hidden_layer_sizes", "learning_rate"} and search.best_score_ > 0.75
    assert out == f"{search.best_params_} {search.best_score_}\n"


AFTER = {
    "datasets.planar()                      # the course's flower": _planar,
    "from layerwise.blocks import model_forward": _blocks,
    "digits = datasets.digits()": _digits,
    "X_new = X[:5]": _breast_cancer,
    "from layerwise.sweep import load_config, run_sweep": _sweep,
    "from dask.distributed import Client": _dask,
}


def after_checks(code: str):
    return [check for key, check in AFTER.items() if key in code]


def prepare(code: str):
    tree = ast.parse(code)
    instrument = Instrument(comments(code))
    asserts = sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    tree = ast.fix_missing_locations(instrument.visit(tree))
    return compile(tree, str(README), "exec"), instrument.checks + asserts


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs_and_shows_what_it_says(code, tmp_path, monkeypatch):
    """Run from a scratch folder that sees the repository's examples/, as from the repository root."""
    (tmp_path / "examples").symlink_to(README.parent / "examples")
    monkeypatch.chdir(tmp_path)
    compiled, _ = prepare(code)
    ns = {"__name__": "__readme__", "__readme_check__": __readme_check__, "__readme_print__": __readme_print__}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compiled, ns)
    for check in after_checks(code):
        check(ns, out.getvalue())


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_block_is_checked(code):
    _, checks = prepare(code)
    assert checks or after_checks(code), "this README block checks nothing: add an assert, a literal comment or an AFTER entry"


def test_the_instrumentation_catches_a_wrong_comment():
    compiled, checks = prepare("x = 1 + 1   # 3\n")
    assert checks == 1
    with pytest.raises(AssertionError, match="got 2, the README says 3"):
        exec(compiled, {"__readme_check__": __readme_check__})
    compiled, checks = prepare("try:\n    raise ValueError('no 1')\nexcept ValueError as e:\n    print(e)  # no 2\n")
    assert checks == 1
    with redirect_stdout(io.StringIO()), pytest.raises(AssertionError, match="prints 'no 1'; the README says 'no 2'"):
        exec(compiled, {"__readme_print__": __readme_print__})
    compiled, _ = prepare("print('Z = 3')  # Z = 3, as the course prints\nprint('W = 1')  # a description\n")
    with redirect_stdout(io.StringIO()):
        exec(compiled, {"__readme_print__": __readme_print__})
