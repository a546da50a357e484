"""``layerwise gradcheck``: backpropagation against finite differences, on a new network or
a saved model, on random data or the first examples of a data set."""

from __future__ import annotations

import json
import sys

import numpy as np

from .. import io
from ..gradcheck import gradient_check_report
from ..initializers import INITIALIZERS
from ..losses import DEFAULT_LOSS
from ..network import Network
from .options import OPTIONS, activation, argparse_type, label_column, layer_sizes, load_data, non_negative_float, non_negative_int, positive_float, positive_int, probability, user_labels

GRADCHECK_THRESHOLD = 1e-7


def cmd_gradcheck(args) -> int:
    rng = np.random.default_rng(args.seed)
    data = None if args.data is None else load_data(args.data, label=args.label)[0]
    model = None
    if args.model is not None:
        model = io.load_model(args.model)
        net = model.network
    else:
        output = args.output or "sigmoid"
        n_y = args.n_y or (3 if output == "softmax" else 1)
        n_x = args.n_x if data is None else data.n_x
        net = Network([n_x, *args.layers, n_y], hidden=args.hidden, output=output, init=args.init, seed=args.seed)
    if data is not None:
        ds = data.subset(np.arange(min(args.m, data.m)))
        X, Y = (ds.X, ds.Y) if model is None else (model.transform(ds.X), model.encode(user_labels(ds)))
    else:
        X = rng.standard_normal((net.n_x, args.m))
        if net.task == "regression":
            Y = rng.standard_normal((net.n_y, args.m))
        else:
            Y = rng.integers(0, 2 if net.task == "binary" else net.n_y, size=(1, args.m))
    n_parameters = sum(p.size for p in net.parameters.values())
    if n_parameters > 100_000:
        print(f"checking {n_parameters} parameters takes {2 * n_parameters} forward passes", file=sys.stderr)
    report = gradient_check_report(net, X, Y, args.epsilon, lambd=args.lambd, keep_prob=args.keep_prob)
    flagged = sorted(k for k, v in report.items() if v > args.threshold)
    if args.json:
        print(json.dumps({"relative_differences": report, "threshold": args.threshold, "flagged": flagged}, indent=2))
    else:
        print(f"gradient check of {net.layer_dims} ({', '.join(a.spec for a in net.activations)}), m = {X.shape[1]}, float64")
        for key, value in report.items():
            print(f"{key:>6}  {value:.3e}  {'FLAGGED' if key in flagged else 'ok'}")
        print(f"{len(flagged)} above {args.threshold:g}" if flagged else f"all below {args.threshold:g}")
    return 1 if flagged else 0


def add_parser(sub) -> None:
    p = sub.add_parser("gradcheck", help="compare backpropagation with finite differences",
                       description="Gradient checking in float64: the relative difference "
                       "||g - g_approx|| / (||g|| + ||g_approx||) for every dW and db, on a network of the given "
                       f"architecture or a saved model, on given or random data. Exit status 1 if any is above --threshold.")  # fmt: skip
    p.add_argument("--model", metavar="FILE", help="check a saved model instead of a new network (on --data: its preprocessing applied)")
    p.add_argument("--layers", type=argparse_type(layer_sizes), default=[5, 3], metavar="SIZES", help="hidden layer sizes [default: 5,3]")
    p.add_argument("--hidden", type=argparse_type(activation), default="tanh", metavar="NAME",
                   help="[default: tanh] (relu is not differentiable at 0, which zero biases can hit exactly: a flag there need not be a bug)")  # fmt: skip
    p.add_argument("--output", choices=sorted(DEFAULT_LOSS), help="[default: sigmoid]")
    p.add_argument("--init", choices=sorted(INITIALIZERS), default="he", help="[default: he]")
    p.add_argument("--n-x", type=argparse_type(positive_int), default=4, metavar="N", help="input size for random data [default: 4]")
    p.add_argument("--n-y", type=argparse_type(positive_int), metavar="N", help="output units [default: 3 for softmax, else 1]")
    p.add_argument("--data", metavar="NAME|FILE", help="check on the first --m examples of this data instead of random data")
    p.add_argument("--label", type=argparse_type(label_column), metavar="COLUMN", help=OPTIONS["label"].help)
    p.add_argument("--m", type=argparse_type(positive_int), default=8, metavar="N", help="number of examples [default: 8]")
    p.add_argument("--lambd", type=argparse_type(non_negative_float), default=0.0, metavar="LAMBDA", help="L2 strength [default: 0]")
    p.add_argument("--keep-prob", type=argparse_type(probability), default=1.0, metavar="P", help="dropout (fixed masks) [default: 1]")
    p.add_argument("--seed", type=argparse_type(non_negative_int), default=1, metavar="N", help="[default: 1]")
    p.add_argument("--epsilon", type=argparse_type(positive_float), default=1e-6, metavar="EPS",
                   help="finite-difference step [default: 1e-6; 1e-7, the course's, lets rounding show on tiny gradients]")  # fmt: skip
    p.add_argument("--threshold", type=argparse_type(positive_float), default=GRADCHECK_THRESHOLD, metavar="T",
                   help=f"flag relative differences above this [default: {GRADCHECK_THRESHOLD:g}]")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_gradcheck)


