"""ONNX export: one graph that computes, from raw rows, what the model's ``predict_proba`` and
``predict`` compute.

Rows are examples at this door, as every ONNX runtime expects a batch: the graph's input ``X``
is ``(m, n_features)``, one tensor in the model's feature order (the names are in the
metadata), so a caller passes the array it already has; one input per feature would make every
caller build ``n_features`` tensors. A model with categorical (string) columns takes those in a
second tensor ``X_str: (m, n_str)`` (a tensor holds one type), in feature order too.

The graph, in order:

1. the model's input preprocessing, each fitted step contributing its own nodes (``STEP_EXPORTERS``:
   standardisation is ``(X - mean) / std``; imputation is ``Where(IsNaN(X), fill, X)``;
   one-hot encoding of strings uses ai.onnx.ml's ``OneHotEncoder``), in float64 as the model
   computes it, then a ``Cast`` to the network's dtype;
2. each layer ``Z = A_prev W.T + b`` (``Gemm``, ``transB=1``: the rows-as-examples form of
   ``W A_prev + b``) and its activation (``ACTIVATION_EXPORTERS``), in float32 or float64 as trained;
3. the outputs: classification: ``probabilities: (m, n_classes)`` (binary: ``[1 - p, p]``) and
   ``label: (m,)``, the class names (strings or numbers, from the model) gathered by the predicted
   index (binary: ``p > 0.5``; multiclass: the first arg-max); regression: ``value: (m, n_y)``, the
   target's scaling undone (in float64 when the model scales the target).

Opsets: ``ai.onnx`` 17 (onnxruntime >= 1.12) and ``ai.onnx.ml`` 3; IR version 8. The model's
``metadata_props`` hold ``task``, ``features``, ``inputs`` (input name -> its feature names),
``classes`` and ``label`` as JSON, and ``library_version``. Anything the graph cannot express
(an activation or preprocessing step without an exporter) is refused with a ``ValueError``
naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
ML_OPSET = 3
IR_VERSION = 8
_ELEMENT = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class Graph:
    """The nodes and constants being written; ``op`` returns the name of the node's output."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()

    def name(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._names:
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def const(self, hint: str, array) -> str:
        array = np.asarray(array)
        if array.dtype.kind == "U":
            tensor = helper.make_tensor(self.name(hint), TensorProto.STRING, array.shape, [s.encode() for s in array.ravel()])
        else:
            tensor = numpy_helper.from_array(np.ascontiguousarray(array), self.name(hint))
        self.initializers.append(tensor)
        return tensor.name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, domain: str = "", **attrs) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=self.name(f"{out}/{op_type}"), domain=domain, **attrs))
        return out


# ---- activations: A = g(Z), Z: (m, n[l]) ------------------------------------------------------


def _leaky_relu(g: Graph, Z: str, act, dtype: np.dtype) -> str:
    if dtype == np.float32:  # LeakyRelu's alpha is a float32 attribute: exactly the slope NumPy uses here
        return g.op("LeakyRelu", [Z], alpha=act.slope)
    # float64: max(z, slope * z), the formula of activations.LeakyRelu, with the slope in float64
    return g.op("Max", [Z, g.op("Mul", [Z, g.const("slope", np.array(act.slope, dtype))])])


ACTIVATION_EXPORTERS: dict[str, Callable[[Graph, str, object, np.dtype], str]] = {
    "sigmoid": lambda g, Z, act, dtype: g.op("Sigmoid", [Z]),
    "tanh": lambda g, Z, act, dtype: g.op("Tanh", [Z]),
    "relu": lambda g, Z, act, dtype: g.op("Relu", [Z]),
    "leaky_relu": _leaky_relu,
    "linear": lambda g, Z, act, dtype: Z,
    "softmax": lambda g, Z, act, dtype: g.op("Softmax", [Z], axis=1),  # over the units of each row
}


def network_nodes(g: Graph, network, A: str) -> str:
    """Every layer of ``network`` on ``A: (m, n_x)`` of its dtype; returns ``AL: (m, n_y)``."""
    for l, act in enumerate(network.activations, start=1):
        export = ACTIVATION_EXPORTERS.get(act.name)
        if export is None:
            raise ValueError(f"layer {l}'s activation {act.spec!r} has no ONNX export; supported: {sorted(ACTIVATION_EXPORTERS)}")
        W, b = network.parameters[f"W{l}"], network.parameters[f"b{l}"]
        Z = g.op("Gemm", [A, g.const(f"W{l}", W), g.const(f"b{l}", b.ravel())], hint=f"Z{l}", transB=1)
        A = export(g, Z, act, network.dtype)
    return A


# ---- preprocessing: columns of raw features -> the network's input --------------------------


@dataclass
class Columns:
    """The features flowing through the preprocessing steps: tensors ``(m, k)`` side by side,
    each with the names of its ``k`` columns and its kind ("number": float64, "string")."""

    blocks: list[tuple[str, list[str], str]]

    @property
    def names(self) -> list[str]:
        return [name for _, names, _ in self.blocks for name in names]

    def numeric(self, g: Graph, step: str) -> str:
        """All columns as one float64 tensor; a string column is refused by name."""
        for _, names, kind in self.blocks:
            if kind != "number":
                raise ValueError(f"preprocessing step {step!r} needs numbers, but column {names[0]!r} holds strings at that point")
        tensors = [tensor for tensor, _, _ in self.blocks]
        return tensors[0] if len(tensors) == 1 else g.op("Concat", tensors, hint="features", axis=1)

    def column(self, g: Graph, index: int) -> tuple[str, str]:
        """Column ``index`` as an ``(m, 1)`` tensor, and its kind."""
        start = 0
        for tensor, names, kind in self.blocks:
            if index < start + len(names):
                if len(names) == 1:
                    return tensor, kind
                at = g.const("at", np.array([index - start], np.int64))
                return g.op("Gather", [tensor, at], hint=_safe(names[index - start]), axis=1), kind
            start += len(names)
        raise IndexError(index)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(name))[:40] or "column"


def _row(array) -> np.ndarray:
    """A fitted ``(n, 1)`` statistic as a ``(1, n)`` float64 row, broadcast over the examples."""
    return np.asarray(array, dtype=np.float64).reshape(1, -1)


def _standardize(g: Graph, step, cols: Columns) -> Columns:
    X = cols.numeric(g, step.name)
    Z = g.op("Div", [g.op("Sub", [X, g.const("mean", _row(step.mean_))]), g.const("std", _row(step.std_))], hint="standardized")
    return Columns([(Z, list(step.names_out_), "number")])


def _impute(g: Graph, step, cols: Columns) -> Columns:
    """Missing cells (NaN) get their training value; indicator columns say where they were."""
    X = cols.numeric(g, step.name)
    missing = g.op("IsNaN", [X], hint="missing")
    filled = g.op("Where", [missing, g.const("fill", _row(step.values_)), X], hint="imputed")
    rows = np.asarray(step.indicator_rows_, dtype=np.int64)
    if rows.size:
        flags = g.op("Gather", [missing, g.const("indicator_rows", rows)], hint="missing_rows", axis=1)
        filled = g.op("Concat", [filled, g.op("Cast", [flags], hint="indicators", to=TensorProto.DOUBLE)], hint="imputed", axis=1)
    return Columns([(filled, list(step.names_out_), "number")])


def _one_hot(g: Graph, step, cols: Columns) -> Columns:
    """Each categorical column (strings at the graph's door, "" for a missing cell) becomes its
    category columns with ai.onnx.ml's ``OneHotEncoder`` (an unseen category: all zeros), then
    ``<other>`` (any pooled rare category) and ``<missing>`` where training had them, as the
    step does; the other columns pass through."""
    parts = []  # (tensor (m, k), k, kind)
    for name in step.names_in_:
        x, kind = cols.column(g, cols.names.index(name))
        if name not in step.categories_:
            parts.append((x, 1, kind))
            continue
        if kind != "string":
            raise ValueError(f"one-hot column {name!r} must come to the graph as strings (in X_str), not as numbers")
        own, pooled = list(step.categories_[name]), list(step.pooled_[name])
        if "" in own + pooled:
            raise ValueError(f"column {name!r} has the empty string as a category; the ONNX graph reads \"\" as a missing cell")
        hint = _safe(name)
        if own:  # (m, 1, k) -> (m, k)
            hot = g.op("OneHotEncoder", [x], hint=f"{hint}_hot", domain="ai.onnx.ml", cats_strings=own, zeros=1)
            parts.append((g.op("Reshape", [hot, g.const("shape", np.array([0, -1], np.int64))], hint=f"{hint}_onehot"), len(own), "float"))
        for cats, flag in ((pooled, "other"), ([""] * step.missing_[name], "missing")):
            if cats:  # 1 where the cell is any of cats: (m, 1, k) -> (m, 1)
                hot = g.op("OneHotEncoder", [x], hint=f"{hint}_{flag}_hot", domain="ai.onnx.ml", cats_strings=cats, zeros=1)
                parts.append((g.op("ReduceMax", [hot], hint=f"{hint}_{flag}", axes=[2], keepdims=0), 1, "float"))
    names, blocks, start = list(step.names_out_), [], 0
    if sum(k for _, k, _ in parts) != len(names):
        raise ValueError(f"one-hot export made {sum(k for _, k, _ in parts)} columns; the step makes {len(names)}")
    for tensor, k, kind in parts:
        if kind == "float":  # OneHotEncoder answers float32; 0 and 1 are exact in float64
            tensor, kind = g.op("Cast", [tensor], hint=f"{tensor}_f64", to=TensorProto.DOUBLE), "number"
        blocks.append((tensor, names[start : start + k], kind))
        start += k
    return Columns(blocks)


#: Input steps (raw columns -> columns), by step name.
STEP_EXPORTERS: dict[str, Callable[[Graph, object, Columns], Columns]] = {
    "one_hot": _one_hot,
    "impute": _impute,
    "standardize": _standardize,
}


def _unstandardize(g: Graph, step, Y: str) -> str:
    return g.op("Add", [g.op("Mul", [Y, g.const("target_std", _row(step.std_))]), g.const("target_mean", _row(step.mean_))])


#: Target steps, inverted (network output -> the user's units), by step name.
TARGET_EXPORTERS: dict[str, Callable[[Graph, object, str], str]] = {
    "standardize": _unstandardize,
}


def _exporter(registry: dict, step, where: str):
    name = getattr(step, "name", type(step).__name__)
    if name not in registry:
        raise ValueError(f"the {where} preprocessing step {name!r} has no ONNX export; steps that export: {sorted(registry)}")
    return registry[name]


# ---- the whole graph ------------------------------------------------------------------------


def build(network, *, features: list[str], input_steps=(), target_steps=(), string_features=(),
          task: str, classes=None, label: str | None = None, library_version: str = "") -> onnx.ModelProto:  # fmt: skip
    """The checked ONNX model of ``network`` behind ``input_steps`` (fitted, in order), with
    ``target_steps`` undone on a regression output. ``string_features``: the features read as
    strings (the ``X_str`` input); the others come as float64 in ``X``. ``classes``: the label
    of each class index (classification)."""
    g = Graph()
    dtype = network.dtype
    numeric = [f for f in features if f not in set(string_features)]
    in_dtype = np.dtype(np.float64) if input_steps else dtype
    inputs, blocks = [], []
    if numeric:
        inputs.append(helper.make_tensor_value_info(g.name("X"), _ELEMENT[in_dtype], ["m", len(numeric)]))
        blocks.append(("X", numeric, "number"))
    if string_features:
        inputs.append(helper.make_tensor_value_info(g.name("X_str"), TensorProto.STRING, ["m", len(string_features)]))
        blocks.append(("X_str", list(string_features), "string"))
    cols = Columns(blocks)
    if cols.names != list(features):  # the steps see the features in training order
        cols = Columns([(tensor, [name], kind) for name in features for tensor, kind in [cols.column(g, cols.names.index(name))]])
    for step in input_steps:
        cols = _exporter(STEP_EXPORTERS, step, "input")(g, step, cols)
    A0 = cols.numeric(g, "network input")
    if in_dtype != dtype:
        A0 = g.op("Cast", [A0], hint="A0", to=_ELEMENT[dtype])
    AL = network_nodes(g, network, A0)
    outputs = _output_nodes(g, AL, task, classes, target_steps, dtype)
    graph = helper.make_graph(g.nodes, "layerwise", inputs, outputs, initializer=g.initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        ir_version=IR_VERSION,
        producer_name="layerwise",
        producer_version=library_version,
        doc_string=f"layerwise {task} model {network.layer_dims}, {dtype.name}; inputs are rows (m, n_features)",
    )
    props = {
        "task": task,
        "features": list(features),
        "inputs": {vi.name: names for vi, (_, names, _) in zip(inputs, blocks, strict=True)},
        "classes": None if classes is None else np.asarray(classes).tolist(),
        "label": label,
        "dtype": dtype.name,
    }
    helper.set_model_props(model, {**{k: json.dumps(v) for k, v in props.items()}, "library_version": library_version})
    onnx.checker.check_model(model, full_check=True)
    return model


def _output_nodes(g: Graph, AL: str, task: str, classes, target_steps, dtype) -> list:
    if task == "regression":
        value = AL
        if target_steps:
            value = g.op("Cast", [value], to=TensorProto.DOUBLE)
            for step in reversed(list(target_steps)):
                value = _exporter(TARGET_EXPORTERS, step, "target")(g, step, value)
        out_dtype = np.dtype(np.float64) if target_steps else dtype
        g.nodes.append(helper.make_node("Identity", [value], ["value"], name=g.name("value/Identity")))
        return [helper.make_tensor_value_info("value", _ELEMENT[out_dtype], ["m", None])]
    if task == "binary":  # AL = p = P(class 1): (m, 1)
        probabilities = [g.op("Sub", [g.const("one", np.ones((1, 1), dtype)), AL], hint="p0"), AL]
        g.nodes.append(helper.make_node("Concat", probabilities, ["probabilities"], name=g.name("probabilities/Concat"), axis=1))
        flat = g.op("Reshape", [AL, g.const("flat", np.array([-1], np.int64))], hint="p")
        index = g.op("Cast", [g.op("Greater", [flat, g.const("half", np.array(0.5, dtype))])], hint="index", to=TensorProto.INT64)
    else:
        g.nodes.append(helper.make_node("Identity", [AL], ["probabilities"], name=g.name("probabilities/Identity")))
        index = g.op("ArgMax", ["probabilities"], hint="index", axis=1, keepdims=0)  # the first maximum, as NumPy's
    names = np.asarray(classes)
    names = names.astype(np.int64) if names.dtype.kind in "iub" else names
    g.nodes.append(helper.make_node("Gather", [g.const("classes", names), index], ["label"], name=g.name("label/Gather"), axis=0))
    label_type = TensorProto.STRING if names.dtype.kind == "U" else helper.np_dtype_to_tensor_dtype(names.dtype)
    return [
        helper.make_tensor_value_info("probabilities", _ELEMENT[dtype], ["m", None]),
        helper.make_tensor_value_info("label", label_type, ["m"]),
    ]
