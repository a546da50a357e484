"""The course's shallow network on the planar "flower" data, for several hidden layer sizes.

Run from the repository root:  python examples/planar_hidden_sizes.py [--data-dir DIR] [--plots DIR]

Network [2, n_h, 1], tanh hidden layer, sigmoid output, weights randn * 0.01 drawn with seed 2
(the course's initialisation), learning rate 1.2, 5000 iterations of full-batch gradient descent,
accuracy on the 400 training points. The course reports 1 -> 67.5 %, 2 -> 67.25 %, 3 -> 90.75 %,
4 -> 90.5 %, 5 -> 91.25 %, 20 -> 90.0 %, 50 -> 90.75 %.
"""

import argparse
from pathlib import Path

from layerwise import Network, datasets

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="unused: the planar data is generated (kept so every example takes it)")
parser.add_argument("--plots", type=Path, help="write one decision-boundary figure per size into this folder")
args = parser.parse_args()

data = datasets.planar()  # X (2, 400), Y (1, 400), the course's numbers
print(f"{'hidden units':>12}  {'accuracy':>8}  {'final cost':>10}")
for n_h in (1, 2, 3, 4, 5, 20, 50):
    net = Network([2, n_h, 1], hidden="tanh", output="sigmoid", init="small_random", seed=2)
    history = net.fit(data.X, data.Y, learning_rate=1.2, num_iterations=5000)
    print(f"{n_h:>12}  {100 * net.accuracy(data.X, data.Y):>7.2f} %  {history.costs[-1]:>10.6f}")
    if args.plots:
        from layerwise import plots

        args.plots.mkdir(parents=True, exist_ok=True)
        plots.plot_decision_boundary(net, data.X, data.Y, args.plots / f"planar_hidden_{n_h}.png",
                                     title=f"Decision boundary for hidden layer size {n_h}")
