"""``layerwise predict MODEL DATA``: the model's predictions for new rows, labelled or not.

One output row per example: its identifiers (``--id COLUMNS``, by default the model's own
``--id`` columns, else its index), the predicted
label (the user's class name) or value, the true label where the data has one, and one
probability column ``p_<class>`` per class. ``-`` is standard input (DATA) / output (``--out``).
"""

from __future__ import annotations

import csv
import sys
import warnings

import numpy as np

from .. import io
from ..preprocessing import UnseenCategoryWarning
from .evaluate import add_model_data
from .options import argparse_type, columns, report_unseen, run_rows


def cmd_predict(args) -> int:
    model = io.load_model(args.model)
    notes: list[str] = []
    rows, split = run_rows(model, args, notes)
    with warnings.catch_warnings(record=True) as unseen:
        warnings.simplefilter("always", UnseenCategoryWarning)
        predicted = model.predict(rows.inputs)
        P = None if model.task == "regression" else model.predict_proba(rows.inputs)
    header = list(rows.ids) or ["index"]
    ids = list(rows.ids.values()) or [np.arange(rows.m)]
    if model.task == "regression":
        values = predicted.reshape(rows.m, -1)
        header += ["prediction"] if values.shape[1] == 1 else [f"prediction_{k}" for k in range(values.shape[1])]
        columns = [values[:, k].tolist() for k in range(values.shape[1])]
    else:
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
        writer.writerows(zip(*(c.tolist() for c in ids), *columns, strict=True))
    for note in notes:  # after the output is written: an error stays the one line on stderr
        print(note, file=sys.stderr)
    report_unseen(unseen[:1])  # predict and predict_proba saw the same rows
    where = "standard output" if args.out == "-" else args.out
    print(f"wrote {rows.m} predictions ({args.data}, {split}) to {where}", file=sys.stderr if args.out == "-" else sys.stdout)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="write a saved model's predictions for new data to a CSV file",
                       description="One row per example: its id, the predicted class (or value), the true label if the data "
                       "has one, and the class probabilities. A CSV file's columns are matched to the model's features by name.")  # fmt: skip
    add_model_data(p)
    p.add_argument("--id", type=argparse_type(columns), metavar="COLUMNS",
                   help="columns of the table to carry into the output as each row's identifiers (default: the model's --id columns the table has)")  # fmt: skip
    p.add_argument("--out", default="predictions.csv", metavar="FILE.csv", help="- for standard output [default: predictions.csv]")
    p.set_defaults(func=cmd_predict)
