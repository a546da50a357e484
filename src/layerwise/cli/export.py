"""``layerwise export MODEL.npz MODEL.onnx``: the model as one ONNX graph, from raw rows to
probabilities and labels (see :mod:`layerwise.export.onnx`; the ``onnx`` extra)."""

from __future__ import annotations

import json
import sys

from .. import io


def cmd_export(args) -> int:
    from ..export import export_onnx

    model = io.load_model(args.model)
    proto = export_onnx(model, args.out)
    inputs = json.loads(next(p.value for p in proto.metadata_props if p.key == "inputs"))
    shapes = ", ".join(f"{name} (m, {len(names)})" for name, names in inputs.items())
    outputs = ", ".join(o.name for o in proto.graph.output)
    print(f"{args.out}: ONNX opset {proto.opset_import[0].version}, inputs {shapes}, outputs {outputs}", file=sys.stderr)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write a saved model as an ONNX graph",
                       description="Write the model as an ONNX graph that computes its predictions from raw rows: "
                       "the preprocessing, every layer, the probabilities and the predicted label.")  # fmt: skip
    p.add_argument("model", help="a model file written by layerwise (model.npz)")
    p.add_argument("out", help="the ONNX file to write (model.onnx), or - for standard output")
    p.set_defaults(func=cmd_export)
