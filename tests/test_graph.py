"""The scalar computation graph: every op's derivative, the course's figures, node reuse, DOT."""

import math
import sys

import pytest

from layerwise.graph import (
    Value,
    course_graph,
    logistic_regression_graph,
    main_graph,
    numerical_derivative,
    render,
    to_dot,
    topological_order,
)

# op name -> (function of one Value, inputs where the op is differentiable)
UNARY_OPS = {
    "x + 2": (lambda x: x + 2, [-3.0, 0.5, 4.0]),
    "2 + x": (lambda x: 2 + x, [-3.0, 0.5, 4.0]),
    "x - 2": (lambda x: x - 2, [-3.0, 0.5, 4.0]),
    "2 - x": (lambda x: 2 - x, [-3.0, 0.5, 4.0]),
    "x * 3": (lambda x: x * 3, [-3.0, 0.5, 4.0]),
    "3 * x": (lambda x: 3 * x, [-3.0, 0.5, 4.0]),
    "x / 4": (lambda x: x / 4, [-3.0, 0.5, 4.0]),
    "4 / x": (lambda x: 4 / x, [-3.0, 0.5, 4.0]),
    "-x": (lambda x: -x, [-3.0, 0.5, 4.0]),
    "x ** 2": (lambda x: x**2, [-3.0, 0.5, 4.0]),
    "x ** 3": (lambda x: x**3, [-3.0, 0.5, 4.0]),
    "x ** -1": (lambda x: x**-1, [-3.0, 0.5, 4.0]),
    "x ** 0.5": (lambda x: x**0.5, [0.3, 1.0, 4.0]),
    "exp": (Value.exp, [-3.0, 0.5, 4.0]),
    "log": (Value.log, [0.1, 1.0, 4.0]),
    "tanh": (Value.tanh, [-3.0, 0.5, 2.0]),
    "sigmoid": (Value.sigmoid, [-3.0, 0.0, 0.5, 4.0]),
    "relu": (Value.relu, [-3.0, -0.5, 0.5, 4.0]),
}


@pytest.mark.parametrize("name", UNARY_OPS)
def test_unary_op_derivative_matches_slope(name):
    f, xs = UNARY_OPS[name]
    for x0 in xs:
        x = Value(x0)
        f(x).backward()
        slope = numerical_derivative(lambda t: f(Value(t)).data, x0)
        assert x.grad == pytest.approx(slope, rel=1e-6, abs=1e-8), (name, x0)


BINARY_OPS = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
}


@pytest.mark.parametrize("name", BINARY_OPS)
@pytest.mark.parametrize("x0, y0", [(2.0, 3.0), (-1.5, 0.5), (4.0, -2.5), (-3.0, -0.7)])
def test_binary_op_partial_derivatives_match_slopes(name, x0, y0):
    f = BINARY_OPS[name]
    x, y = Value(x0), Value(y0)
    f(x, y).backward()
    assert x.grad == pytest.approx(numerical_derivative(lambda t: f(Value(t), Value(y0)).data, x0), rel=1e-6)
    assert y.grad == pytest.approx(numerical_derivative(lambda t: f(Value(x0), Value(t)).data, y0), rel=1e-6)


def test_pow_needs_a_number_exponent():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)


def test_course_graph_figures():
    # J = 3(a + bc) at a=5, b=3, c=2: u = 3*2 = 6, v = 5 + 6 = 11, J = 3*11 = 33.
    J = course_graph(a=5, b=3, c=2)
    J.backward()
    nodes = {n.label: n for n in topological_order(J)}
    assert (nodes["u = bc"].data, nodes["v = a + u"].data, J.data) == (6, 11, 33)
    # dJ/dv = 3; dJ/du = dJ/dv * dv/du = 3 * 1; dJ/da = 3 * 1
    assert nodes["v = a + u"].grad == 3
    assert nodes["u = bc"].grad == 3
    assert nodes["a"].grad == 3
    # dJ/db = dJ/du * du/db = 3 * c = 6;  dJ/dc = 3 * b = 9
    assert nodes["b"].grad == 6
    assert nodes["c"].grad == 9


def test_course_graph_matches_the_slope_of_J():
    J = course_graph(5, 3, 2)
    J.backward()
    nodes = {n.label: n for n in topological_order(J)}
    for name, slope in [
        ("a", numerical_derivative(lambda t: course_graph(t, 3, 2).data, 5)),
        ("b", numerical_derivative(lambda t: course_graph(5, t, 2).data, 3)),
        ("c", numerical_derivative(lambda t: course_graph(5, 3, t).data, 2)),
    ]:
        assert nodes[name].grad == pytest.approx(slope, rel=1e-6)


def test_main_graph_table_and_dot_file(tmp_path, capsys):
    table = main_graph(5, 3, 2, tmp_path / "graph.dot")
    assert capsys.readouterr().out.strip() == table
    rows = {line.split("  ")[0].strip(): line.split()[-2:] for line in table.splitlines()[1:]}
    assert rows["J = 3v"] == ["33", "1"]
    assert rows["a"] == ["5", "3"]
    assert rows["b"] == ["3", "6"]
    assert rows["c"] == ["2", "9"]
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


def test_cli_graph_command(tmp_path, capsys):
    from layerwise.cli import main

    assert main(["graph", "--a", "5", "--b", "3", "--c", "2", "--out", str(tmp_path / "g.dot")]) == 0
    assert "J = 3v" in capsys.readouterr().out
    assert "grad 9" in (tmp_path / "g.dot").read_text()
    assert main(["graph", "--render", str(tmp_path / "g.pdf")]) == 2
    assert "png" in capsys.readouterr().err


def test_slopes_of_the_course_functions():
    # f(a) = 3a, a^2, a^3, log a at a = 2: slopes 3, 2a = 4, 3a^2 = 12, 1/a = 0.5
    for f, slope in [
        (lambda a: 3 * a, 3),
        (lambda a: a**2, 4),
        (lambda a: a**3, 12),
        (lambda a: a.log(), 0.5),
    ]:
        a = Value(2.0)
        f(a).backward()
        assert a.grad == pytest.approx(slope)
        assert numerical_derivative(lambda t: f(Value(t)).data, 2.0) == pytest.approx(slope)
    assert numerical_derivative(math.log, 2.0) == pytest.approx(0.5)


def test_logistic_regression_graph_gives_the_course_formulas():
    x1, x2, w1, w2, b, y = 1.5, -2.0, 0.3, -0.4, 0.1, 1
    L, n = logistic_regression_graph(x1, x2, w1, w2, b, y)
    L.backward()
    z = w1 * x1 + w2 * x2 + b
    a = 1 / (1 + math.exp(-z))
    assert n["z"].data == pytest.approx(z)
    assert L.data == pytest.approx(-(y * math.log(a) + (1 - y) * math.log(1 - a)))
    assert n["a"].grad == pytest.approx(-y / a + (1 - y) / (1 - a))  # da
    dz = a - y
    assert n["z"].grad == pytest.approx(dz)
    assert n["w1"].grad == pytest.approx(x1 * dz)
    assert n["w2"].grad == pytest.approx(x2 * dz)
    assert n["b"].grad == pytest.approx(dz)


# ---- a node used several times gets one term per use ----


def test_reuse_in_product():
    a = Value(3.0)
    (a * a).backward()  # d(a^2)/da = 2a
    assert a.grad == 6.0


def test_reuse_in_sum():
    a = Value(3.0)
    (a + a).backward()  # d(2a)/da = 2
    assert a.grad == 2.0


def test_deeper_reuse():
    # b = a^2 used in two branches: f = b*a + tanh(b) + b, so df/da = 3a^2 + 2a(1 - tanh(b)^2) + 2a
    a = Value(0.7)
    b = a * a
    f = b * a + b.tanh() + b
    f.backward()
    expected = 3 * 0.7**2 + 2 * 0.7 * (1 - math.tanh(0.49) ** 2) + 2 * 0.7
    assert a.grad == pytest.approx(expected)
    assert b.grad == pytest.approx(0.7 + (1 - math.tanh(0.49) ** 2) + 1)


def test_backward_twice_gives_the_same_gradients():
    a = Value(3.0)
    f = a * a + a
    f.backward()
    f.backward()
    assert a.grad == 7.0


def test_deep_graph_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y + 0.001 * x
    y.backward()
    assert x.grad == pytest.approx(1 + 0.001 * sys.getrecursionlimit() * 3)


# ---- numerical edge cases ----


@pytest.mark.parametrize("z, s", [(1000.0, 1.0), (-1000.0, 0.0), (1e4, 1.0), (-1e4, 0.0)])
def test_sigmoid_is_stable_at_extremes(z, s):
    x = Value(z)
    out = x.sigmoid()
    out.backward()
    assert out.data == s
    assert x.grad == 0.0


def test_relu_derivative_is_zero_at_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


# ---- display ----


def test_dot_shows_labels_values_and_gradients():
    J = course_graph(5, 3, 2)
    J.backward()
    dot = to_dot(J)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for text in ["u = bc", "v = a + u", "J = 3v", "value 33", "grad 9", "grad 6", "grad 1"]:
        assert text in dot
    assert dot.count("->") == 9  # 3 ops: one edge out of each, one in from each of 2 inputs


def test_dot_escapes_record_characters():
    x = Value(1.0, label='{x|<y>}"')
    dot = to_dot(x * 2)
    assert '\\{x\\|\\<y\\>\\}\\"' in dot


def test_render_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="png"):
        render(course_graph(), tmp_path / "g.pdf", format="pdf")


def test_render_png(tmp_path):
    pytest.importorskip("graphviz", reason="the graphviz package is not installed")
    J = course_graph()
    J.backward()
    try:
        path = render(J, tmp_path / "g.png")
    except RuntimeError:
        pytest.skip("the Graphviz 'dot' program is not installed")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- against PyTorch ----


def test_composite_expression_matches_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")

    def expression(a, b, relu, sigmoid, tanh, exp, log):
        c = a * b + b**3
        c = c + c * 2 - (-a)
        d = relu(b - a) + relu(a + b) * c
        e = sigmoid(d / 10) * tanh(c / 7 + a) + exp(b / 4)
        f = log(e + 1) * e - 3 / (1 + e**2) + 2 - a
        return f * f / 2

    a, b = Value(-1.3), Value(0.8)
    g = expression(a, b, Value.relu, Value.sigmoid, Value.tanh, Value.exp, Value.log)
    g.backward()

    at = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    gt = expression(at, bt, torch.relu, torch.sigmoid, torch.tanh, torch.exp, torch.log)
    gt.backward()

    assert g.data == pytest.approx(gt.item(), rel=1e-12)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-12)
