"""The course's computation graph, derivatives as slopes, and logistic regression's graph.

Run from the repository root:  python examples/computation_graph.py
Writes docs/img/computation_graph.dot, and docs/img/computation_graph.png when the
graphviz package and the Graphviz 'dot' program are installed.
"""

from pathlib import Path

from layerwise.graph import (
    Value,
    course_graph,
    logistic_regression_graph,
    main_graph,
    numerical_derivative,
    render,
)

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"

# 1. J(a, b, c) = 3(a + bc) as a graph: u = bc, v = a + u, J = 3v.
#    Backward from J: dJ/dv = 3, dJ/da = 3, dJ/du = 3, dJ/db = 3c = 6, dJ/dc = 3b = 9.
print("J = 3(a + bc) at a=5, b=3, c=2")
IMG.mkdir(parents=True, exist_ok=True)
main_graph(5, 3, 2, IMG / "computation_graph.dot")

# 2. A derivative is a slope: nudge a by 0.001 and f moves by about f'(a) * 0.001.
#    The slope three ways: the formula, central differences, and the graph's backward pass.
print("\nDerivatives as slopes at a = 2")
print(f"{'f(a)':<7}{'formula':<9}{'exact':>6}{'nudge/0.001':>13}{'numerical':>11}{'graph':>7}")
slopes = [
    ("3a", lambda a: 3 * a, "3", 3.0),
    ("a^2", lambda a: a**2, "2a", 2 * 2.0),
    ("a^3", lambda a: a**3, "3a^2", 3 * 2.0**2),
    ("log a", lambda a: a.log(), "1/a", 1 / 2.0),
]
for name, f, formula, exact in slopes:
    def f_num(t: float) -> float:
        return f(Value(t)).data

    nudge = (f_num(2.001) - f_num(2.0)) / 0.001
    a = Value(2.0, "a")
    f(a).backward()
    print(f"{name:<7}{formula:<9}{exact:>6.4g}{nudge:>13.4f}"
          f"{numerical_derivative(f_num, 2.0):>11.6f}{a.grad:>7.4g}")

# 3. Logistic regression for one example: z = w1 x1 + w2 x2 + b, a = sigmoid(z), L(a, y).
#    The course's results: da = -y/a + (1-y)/(1-a), dz = a - y, dw1 = x1 dz, dw2 = x2 dz, db = dz.
L, n = logistic_regression_graph(x1=1.0, x2=2.0, w1=0.3, w2=-0.5, b=0.1, y=1)
L.backward()
a, dz = n["a"].data, n["z"].grad
print(f"\nLogistic regression, one example: a = {a:.4f}, L = {L.data:.4f}")
print(f"dz = {dz:.4f}  (a - y = {a - 1:.4f})")
print(f"dw1 = {n['w1'].grad:.4f}  dw2 = {n['w2'].grad:.4f}  db = {n['b'].grad:.4f}")

# 4. The picture of the graph in part 1.
J = course_graph(5, 3, 2)
J.backward()
try:
    print("\nwrote", render(J, IMG / "computation_graph.png"))
except (ImportError, RuntimeError) as err:
    print(f"\nno picture: {err}")
