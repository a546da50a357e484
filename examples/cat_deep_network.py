"""The course's deep networks on the cat pictures: [12288, 7, 1] and [12288, 20, 7, 5, 1].

Run from the repository root:  python examples/cat_deep_network.py [--data-dir DIR] [--plots DIR]

ReLU hidden layers, sigmoid output, learning rate 0.0075, 2500 iterations of full-batch
gradient descent. The course's figures: the 2-layer net (weights randn * 0.01, seed 1) goes from
cost 0.693050 to 0.048555 at iteration 2400, train 100 %, test 72 %; the 4-layer net (weights
randn / sqrt(n[l-1]), seed 1) from 0.771749 to 0.092878, train 98.56 %, test 80 %.
"""

import argparse
from pathlib import Path

from layerwise import Network, datasets

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="folder of train_catvnoncat.h5 and test_catvnoncat.h5 (default: $LAYERWISE_DATA or ../shared/data)")
parser.add_argument("--plots", type=Path, help="write cost curves and the mislabelled test pictures into this folder")
parser.add_argument("--only", choices=["2-layer", "4-layer"], help="train one of the two networks")
args = parser.parse_args()

train, test = datasets.cat(args.data_dir)
models = {"2-layer": ([train.n_x, 7, 1], "small_random"), "4-layer": ([train.n_x, 20, 7, 5, 1], "xavier")}
for name, (layer_dims, init) in models.items():
    if args.only and name != args.only:
        continue
    print(f"\n{name} network {layer_dims}, init {init}, seed 1")
    net = Network(layer_dims, hidden="relu", output="sigmoid", init=init, seed=1)
    history = net.fit(train.X, train.Y, learning_rate=0.0075, num_iterations=2500, print_cost=100)
    print(f"train accuracy: {100 * net.accuracy(train.X, train.Y):.2f} %")
    print(f"test accuracy: {100 * net.accuracy(test.X, test.Y):.2f} %")
    if args.plots:
        from layerwise import plots

        args.plots.mkdir(parents=True, exist_ok=True)
        plots.plot_cost(history, args.plots / f"cat_{name}_cost.png", title=f"{name} network on cats, learning rate 0.0075")
        plots.plot_mislabelled(test.X, test.Y, net.predict(test.X), args.plots / f"cat_{name}_mislabelled.png",
                               class_names=test.class_names)
