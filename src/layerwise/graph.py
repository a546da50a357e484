"""The computation graph, as the course draws it: reverse-mode autodiff on scalars.

Every number is a ``Value`` node that remembers the nodes it was made from and the
local derivative of the operation that made it, written right beside the forward
formula. ``backward()`` then applies the chain rule from the output back to the
inputs, in reverse topological order::

    a, b, c = Value(5, "a"), Value(3, "b"), Value(2, "c")
    u = b * c        # u = bc      du/db = c, du/dc = b
    v = a + u        # v = a + u   dv/da = 1, dv/du = 1
    J = 3 * v        # J = 3v      dJ/dv = 3
    J.backward()     # a.grad = 3, b.grad = 3c = 6, c.grad = 3b = 9

The vectorized engine computes the same derivatives for a whole batch at once;
``tests/test_graph_vs_network.py`` checks that the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

Number = int | float


class Value:
    """A scalar node: its value ``data``, its gradient ``grad`` and how it was made.

    Arguments:
        data: the node's value.
        label: a name for display, e.g. ``"u = bc"``.

    After ``root.backward()``, ``node.grad`` holds d root / d node.
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = ""  # name of the operation that made this node; "" for an input
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()  # d self / d parent, one per parent

    @classmethod
    def _from_op(
        cls, data: float, op: str, parents: tuple[Value, ...], local_grads: tuple[float, ...]
    ) -> Value:
        out = cls(data)
        out.op, out.parents, out.local_grads = op, parents, local_grads
        return out

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ---- binary operations: forward value, then (d out/d self, d out/d other) ----

    def __add__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        # out = x + y          d/dx = 1, d/dy = 1
        return Value._from_op(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __sub__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        # out = x - y          d/dx = 1, d/dy = -1
        return Value._from_op(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __mul__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        # out = x * y          d/dx = y, d/dy = x
        return Value._from_op(
            self.data * other.data, "*", (self, other), (other.data, self.data)
        )

    def __truediv__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        x, y = self.data, other.data
        # out = x / y          d/dx = 1/y, d/dy = -x/y^2
        return Value._from_op(x / y, "/", (self, other), (1.0 / y, -x / y**2))

    def __pow__(self, n: Number) -> Value:
        if not isinstance(n, int | float):
            raise TypeError(f"the exponent must be a number, not {type(n).__name__}")
        x = self.data
        # out = x^n            d/dx = n x^(n-1)
        return Value._from_op(x**n, f"**{n:g}", (self,), (n * x ** (n - 1),))

    def __neg__(self) -> Value:
        # out = -x             d/dx = -1
        return Value._from_op(-self.data, "neg", (self,), (-1.0,))

    # a plain number on the left: 2 + x, 2 * x, 2 - x, 2 / x
    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    # ---- functions of one node: forward value, then d out/d self ----

    def exp(self) -> Value:
        e = math.exp(self.data)
        # out = e^x            d/dx = e^x
        return Value._from_op(e, "exp", (self,), (e,))

    def log(self) -> Value:
        x = self.data
        # out = ln x           d/dx = 1/x
        return Value._from_op(math.log(x), "log", (self,), (1.0 / x,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # out = tanh x         d/dx = 1 - tanh(x)^2
        return Value._from_op(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        x = self.data
        # out = 1 / (1 + e^-x), computed so that exp never overflows:
        # for x < 0 use the equal form e^x / (1 + e^x)
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        # d/dx = s (1 - s)
        return Value._from_op(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        x = self.data
        # out = max(0, x)      d/dx = 1 if x > 0 else 0
        return Value._from_op(max(0.0, x), "relu", (self,), (1.0 if x > 0 else 0.0,))

    # ---- the backward pass ----

    def backward(self) -> None:
        """Set ``node.grad`` to d self / d node for every node this one depends on.

        Chain rule, from this node back to the inputs: each node passes
        ``local_grad * node.grad`` to each parent. A node used several times
        receives one such term per use, and ``+=`` adds them up.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # d self / d self
        for node in reversed(order):
            for parent, local_grad in zip(node.parents, node.local_grads):
                parent.grad += local_grad * node.grad


def _as_value(x: Value | Number) -> Value:
    """Wrap a plain number as a constant node, labelled with its value."""
    return x if isinstance(x, Value) else Value(x, label=f"{x:g}")


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each listed after all of its parents (``root`` last).

    Iterative depth-first search, so deep graphs do not hit the recursion limit.
    """
    order: list[Value] = []
    visited: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents))
    return order


def numerical_derivative(f: Callable[[float], float], a: float, eps: float = 1e-6) -> float:
    """Slope of ``f`` at ``a`` by central differences: (f(a + eps) - f(a - eps)) / (2 eps)."""
    return (f(a + eps) - f(a - eps)) / (2 * eps)


# ---- the course's graphs ----


def course_graph(a: Number = 5, b: Number = 3, c: Number = 2) -> Value:
    """Build J(a, b, c) = 3(a + bc) as the course does: u = bc, v = a + u, J = 3v.

    Returns the node ``J``; call ``J.backward()`` to get dJ/da = 3, dJ/db = 3c, dJ/dc = 3b.
    """
    a_, b_, c_ = Value(a, "a"), Value(b, "b"), Value(c, "c")
    u = b_ * c_
    u.label = "u = bc"
    v = a_ + u
    v.label = "v = a + u"
    J = 3 * v
    J.label = "J = 3v"
    return J


def logistic_regression_graph(
    x1: Number, x2: Number, w1: Number, w2: Number, b: Number, y: Number
) -> tuple[Value, dict[str, Value]]:
    """Build logistic regression's loss for one example with two features.

    z = w1 x1 + w2 x2 + b,  a = sigmoid(z),  L(a, y) = -(y log a + (1 - y) log(1 - a)).

    Returns ``(L, nodes)`` where ``nodes`` maps "x1", "x2", "w1", "w2", "b", "z", "a" to
    their nodes. After ``L.backward()``: ``nodes["a"].grad`` is da = -y/a + (1-y)/(1-a),
    ``nodes["z"].grad`` is dz = a - y, ``nodes["w1"].grad`` is dw1 = x1 dz, and so on.
    """
    nodes = {
        name: Value(value, name)
        for name, value in {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}.items()
    }
    w1x1 = nodes["w1"] * nodes["x1"]
    w1x1.label = "w1 x1"
    w2x2 = nodes["w2"] * nodes["x2"]
    w2x2.label = "w2 x2"
    z = w1x1 + w2x2 + nodes["b"]
    z.label = "z"
    a = z.sigmoid()
    a.label = "a = sigmoid(z)"
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.label = "L(a, y)"
    nodes["z"], nodes["a"] = z, a
    return L, nodes


# ---- display ----


def _record_text(text: str) -> str:
    """Escape text for a Graphviz record label inside a double-quoted DOT string."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def to_dot(root: Value) -> str:
    """The graph of ``root`` as Graphviz DOT text; each node shows label, value and gradient.

    Operations appear as small ellipses between their inputs and their result.
    """
    lines = [
        "digraph computation_graph {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
    ]
    nodes = topological_order(root)
    ids = {id(node): f"n{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        nid = ids[id(node)]
        fields = (node.label, f"value {node.data:.4g}", f"grad {node.grad:.4g}")
        text = " | ".join(_record_text(f) for f in fields)
        lines.append(f'  {nid} [shape=record, label="{{ {text} }}"];')
        if node.op:
            lines.append(f'  {nid}_op [shape=ellipse, label="{node.op}"];')
            lines.append(f"  {nid}_op -> {nid};")
            lines.extend(f"  {ids[id(p)]} -> {nid}_op;" for p in node.parents)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(root: Value, path: str | Path, format: str = "png") -> Path:
    """Draw the graph of ``root`` to ``path`` as PNG or SVG.

    Needs the ``graphviz`` Python package and the Graphviz ``dot`` program;
    ``to_dot(root)`` gives the DOT text without either.
    """
    if format not in ("png", "svg"):
        raise ValueError(f"format must be 'png' or 'svg', not {format!r}")
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(
            "render() needs the graphviz Python package (pip install graphviz) and the "
            "Graphviz 'dot' program; to_dot() gives the DOT text without them"
        ) from err
    try:
        image = graphviz.Source(to_dot(root)).pipe(format=format)
    except graphviz.ExecutableNotFound as err:
        raise RuntimeError(
            "render() needs the Graphviz 'dot' program on PATH "
            "(e.g. apt install graphviz, brew install graphviz)"
        ) from err
    path = Path(path)
    path.write_bytes(image)
    return path


def main_graph(
    a: Number = 5, b: Number = 3, c: Number = 2, out_dot_path: str | Path | None = None
) -> str:
    """Print and return a table of J = 3(a + bc): every node's value and dJ/dnode.

    Writes the graph as DOT text to ``out_dot_path`` when given.
    """
    J = course_graph(a, b, c)
    J.backward()
    nodes = topological_order(J)
    width = max(len("node"), *(len(n.label) for n in nodes))
    rows = [f"{'node':<{width}}  {'value':>10}  {'dJ/dnode':>10}"]
    rows += [f"{n.label:<{width}}  {n.data:>10.4g}  {n.grad:>10.4g}" for n in nodes]
    table = "\n".join(rows)
    if out_dot_path is not None:
        Path(out_dot_path).write_text(to_dot(J))
    print(table)
    return table


def add_subcommand(subparsers) -> None:
    """``layerwise graph [--a A] [--b B] [--c C] [--out graph.dot] [--render graph.png]``."""
    p = subparsers.add_parser(
        "graph",
        help="the course's computation graph J = 3(a + bc): values and dJ/dnode",
        description="Build J = 3(a + bc) as the course's computation graph (u = bc, v = a + u, "
        "J = 3v), run backpropagation on it and print every node's value and dJ/dnode.",
    )
    p.add_argument("--a", type=float, default=5.0, help="[default: 5]")
    p.add_argument("--b", type=float, default=3.0, help="[default: 3]")
    p.add_argument("--c", type=float, default=2.0, help="[default: 2]")
    p.add_argument("--out", metavar="PATH", help="write the graph as Graphviz DOT text")
    p.add_argument(
        "--render", metavar="PATH", help="draw the graph to a .png or .svg (needs graphviz)"
    )
    p.set_defaults(func=_graph_command)


def _graph_command(args) -> int:
    if args.render:  # first, so that a bad path or format fails before anything is printed
        J = course_graph(args.a, args.b, args.c)
        J.backward()
        render(J, args.render, format=Path(args.render).suffix.lstrip(".").lower())
    main_graph(args.a, args.b, args.c, args.out)
    return 0
