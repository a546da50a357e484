"""``layerwise predict MODEL DATA``: the model's predictions for new rows, labelled or not.

One output row per example: its identifier (``--id COLUMN``, else its index), the predicted
label (the user's class name) or value, the true label where the data has one, and one
probability column ``p_<class>`` per class. ``-`` is standard input (DATA) / output (``--out``).
"""

from __future__ import annotations

import csv
import sys

import numpy as np

from .. import io
from .evaluate import add_model_data
from .options import run_rows


def cmd_predict(args) -> int:
    model = io.load_model(args.model)
    notes: list[str] = []
    rows, split = run_rows(model, args, notes)
    predicted = model.predict(rows.inputs)
    ids = rows.ids if rows.ids is not None else np.arange(rows.m)
    header = [args.id if args.id is not None else "index"]
    if model.task == "regression":
        values = predicted.reshape(rows.m, -1)
        header += ["prediction"] if values.shape[1] == 1 else [f"prediction_{k}" for k in range(values.shape[1])]
        columns = [values[:, k].tolist() for k in range(values.shape[1])]
    else:
        P = model.predict_proba(rows.inputs)
        header += ["prediction"]
        columns = [predicted.tolist()]
        if rows.labels is not None:
            header.append("label")
            columns.append(np.asarray(rows.labels).tolist())
        header += [f"p_{c}" for c in model.classes.tolist()]
        columns += [P[:, k].tolist() for k in range(P.shape[1])]
    with io.atomic_write(args.out, "w") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(zip(ids.tolist(), *columns, strict=True))
    for note in notes:  # after the output is written: an error stays the one line on stderr
        print(note, file=sys.stderr)
    where = "standard output" if args.out == "-" else args.out
    print(f"wrote {rows.m} predictions ({args.data}, {split}) to {where}", file=sys.stderr if args.out == "-" else sys.stdout)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="write a saved model's predictions for new data to a CSV file",
                       description="One row per example: its id, the predicted class (or value), the true label if the data "
                       "has one, and the class probabilities. A CSV file's columns are matched to the model's features by name.")  # fmt: skip
    add_model_data(p)
    p.add_argument("--id", metavar="COLUMN", help="a column of the CSV file to carry into the output as each row's identifier")
    p.add_argument("--out", default="predictions.csv", metavar="FILE.csv", help="- for standard output [default: predictions.csv]")
    p.set_defaults(func=cmd_predict)
