"""The course's logistic regression on the cat pictures, and its learning-rate comparison.

Run from the repository root:  python examples/cat_logistic_regression.py [--data-dir DIR] [--plots DIR]

Logistic regression is the one-layer network [12288, 1] with a sigmoid output and zero initial
weights; the course trains it with learning rate 0.005 for 2000 iterations and reports
cost 0.693147 at iteration 0, 0.584508 at 100, train accuracy 99.04 % and test accuracy 70 %.
Then it compares the learning rates 0.01, 0.001 and 0.0001 (1500 iterations each).
"""

import argparse
from pathlib import Path

from layerwise import LogisticRegression, datasets

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="folder of train_catvnoncat.h5 and test_catvnoncat.h5 (default: $LAYERWISE_DATA or ../shared/data)")
parser.add_argument("--plots", type=Path, help="write cost and learning-rate figures into this folder")
args = parser.parse_args()

train, test = datasets.cat(args.data_dir)  # X (12288, 209) and (12288, 50), pixels / 255
print(f"train X {train.X.shape}, test X {test.X.shape}")

# 1. One run, printing the cost every 100 iterations as the course does.
net = LogisticRegression(train.n_x)
history = net.fit(train.X, train.Y, learning_rate=0.005, num_iterations=2000, print_cost=100)
print(f"train accuracy: {100 * net.accuracy(train.X, train.Y):.2f} %")
print(f"test accuracy: {100 * net.accuracy(test.X, test.Y):.2f} %")

# 2. The choice of learning rate: too large oscillates, too small crawls.
runs = {}
for rate in (0.01, 0.001, 0.0001):
    model = LogisticRegression(train.n_x)
    runs[rate] = model.fit(train.X, train.Y, learning_rate=rate, num_iterations=1500)
    print(f"learning rate {rate:<7g} cost {runs[rate].costs[-1]:.6f}, "
          f"train {100 * model.accuracy(train.X, train.Y):.2f} %, test {100 * model.accuracy(test.X, test.Y):.2f} %")

if args.plots:
    from layerwise import plots

    args.plots.mkdir(parents=True, exist_ok=True)
    plots.plot_cost(history, args.plots / "cat_logistic_regression_cost.png", title="Logistic regression on cats, learning rate 0.005")
    plots.plot_learning_rates(runs, args.plots / "cat_learning_rates.png", title="Logistic regression on cats")
    print(f"wrote {args.plots}/cat_logistic_regression_cost.png and cat_learning_rates.png")
