"""``layerwise evaluate MODEL DATA``: the model's scores on labelled data (the report of
:mod:`layerwise.metrics`), its labels taken from the label column the model remembers."""

from __future__ import annotations

import json
import sys
import warnings

from .. import io, metrics
from ..preprocessing import UnseenCategoryWarning
from .options import OPTIONS, argparse_type, delimiter, label_column, report_unseen, run_rows


def cmd_evaluate(args) -> int:
    model = io.load_model(args.model)
    notes: list[str] = []
    rows, split = run_rows(model, args, notes)
    if rows.labels is None:
        raise ValueError(f"{args.data}: no label column {model.label!r}; evaluate needs the labels (name their column with --label)")
    rows = rows.labelled(notes)
    with warnings.catch_warnings(record=True) as unseen:
        warnings.simplefilter("always", UnseenCategoryWarning)
        report = model.evaluate(rows.inputs, rows.labels)
    for note in notes:
        print(note, file=sys.stderr)
    report_unseen(unseen)
    if args.json:
        print(json.dumps({"model": str(args.model), "data": args.data, "split": split, **report}, indent=2))
    else:
        print(f"{args.model} {model.layer_dims} on {args.data} ({split})")
        print(metrics.format_report(report))
    return 0


def add_model_data(p) -> None:
    """The arguments evaluate and predict share: MODEL, DATA, --label, --data-dir, --split."""
    p.add_argument("model", help="a model file written by layerwise train (model.npz)")
    p.add_argument("data", help="a built-in data set name, a .csv/.npz/.h5 file, or - (a CSV file on standard input)")
    p.add_argument("--label", type=argparse_type(label_column), metavar="COLUMN",
                   help="the label column of a CSV file, by name or index (default: the one the model was trained with)")  # fmt: skip
    p.add_argument("--data-dir", metavar="DIR", help=OPTIONS["data_dir"].help)
    p.add_argument("--delimiter", type=argparse_type(delimiter), metavar="CHAR", help=OPTIONS["delimiter"].help)
    p.add_argument("--encoding", metavar="NAME", help=OPTIONS["encoding"].help)
    p.add_argument("--split", choices=["all", "train", "validation", "test"],
                   help="which part, split as in the model's training run (default: the data's own test set if it has one, else all)")  # fmt: skip


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="score a saved model on data", description="Accuracy, precision/recall/F1 per class and "
                       "macro, and the confusion matrix (classification); MSE, RMSE, MAE and R2 (regression).")  # fmt: skip
    add_model_data(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_evaluate)
