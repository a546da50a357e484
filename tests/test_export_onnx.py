"""ONNX export: onnxruntime on raw rows answers what the model's own predict_proba / predict do,
for every output kind, activation and dtype; the graph passes onnx.checker; what cannot be
exported is refused by name."""

from __future__ import annotations

import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx extra: pip install 'layerwise[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the export is checked with onnxruntime: pip install 'layerwise[onnxruntime]'")

from layerwise import Network  # noqa: E402
from layerwise.activations import Activation  # noqa: E402
from layerwise.export import export_onnx  # noqa: E402
from layerwise.export import onnx as exporter  # noqa: E402

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu:0.2", "linear"]
OUTPUTS = {"binary": ("sigmoid", 1), "multiclass": ("softmax", 4), "regression": ("linear", 1), "regression2": ("linear", 2)}
TOLERANCE = {"float64": 1e-6, "float32": 1e-4}


def session(proto) -> ort.InferenceSession:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def run(proto, X_rows: np.ndarray) -> dict[str, np.ndarray]:
    s = session(proto)
    feed = {s.get_inputs()[0].name: X_rows}
    return dict(zip([o.name for o in s.get_outputs()], s.run(None, feed), strict=True))


def network(kind: str, hidden: str, dtype: str, seed: int = 0) -> Network:
    """A network briefly trained on a random rule of 5 features, so that its outputs vary."""
    output, n_y = OUTPUTS[kind]
    net = Network([5, 8, 6, n_y], hidden=hidden, output=output, loss="mse" if output == "linear" else None, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, 100))
    scores = rng.standard_normal((max(n_y, 2), 5)) @ X
    Y = {"binary": scores[:1] > 0, "multiclass": scores.argmax(axis=0)[None]}.get(kind, scores[:n_y])
    net.fit(X, Y, epochs=30, optimizer="adam", learning_rate=0.05)
    return net


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_onnxruntime_matches_predict_proba(kind, hidden, dtype, rng):
    net = network(kind, hidden, dtype)
    X = 3 * rng.standard_normal((5, 200))  # (n_x, m); large enough that sigmoid and tanh saturate somewhere
    out = run(export_onnx(net), np.ascontiguousarray(X.T, dtype=dtype))  # rows are examples at the ONNX door
    AL = net.predict_proba(X)
    if kind.startswith("regression"):
        assert set(out) == {"value"} and out["value"].dtype == np.dtype(dtype)
        assert np.abs(out["value"] - AL.T).max() <= TOLERANCE[dtype]
        return
    P = out["probabilities"]
    assert P.dtype == np.dtype(dtype) and P.shape == (200, 2 if kind == "binary" else 4)
    expected = np.vstack([1 - AL, AL]) if kind == "binary" else AL
    assert np.abs(P - expected.T).max() <= TOLERANCE[dtype]
    np.testing.assert_array_equal(out["label"], net.predict(X)[0])
    assert len(np.unique(out["label"])) > 1  # both decisions are exercised


def test_leaky_relu_slope_is_kept(rng):
    """Two slopes give two different graphs, each equal to its own network."""
    X = rng.standard_normal((5, 50))
    outputs = []
    for slope in (0.05, 0.5):
        net = network("regression", f"leaky_relu:{slope}", "float64", seed=3)
        outputs.append(run(export_onnx(net), X.T.copy())["value"])
        assert np.abs(outputs[-1] - net.predict_proba(X).T).max() <= 1e-12
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-3


def test_file_is_written_checked_and_described(tmp_path):
    net = network("multiclass", "relu", "float32")
    path = tmp_path / "model.onnx"
    export_onnx(net, path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets[""] == exporter.OPSET == 17 and model.ir_version == exporter.IR_VERSION
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["task"]) == "multiclass"
    assert json.loads(props["features"]) == ["x1", "x2", "x3", "x4", "x5"]
    assert json.loads(props["classes"]) == [0, 1, 2, 3]
    assert json.loads(props["inputs"]) == {"X": ["x1", "x2", "x3", "x4", "x5"]}
    (x,) = model.graph.input
    assert x.name == "X" and [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim] == ["m", 5]


def test_unsupported_activation_is_refused_by_name():
    class Swish(Activation):
        name = "swish"

    net = network("binary", "relu", "float64")
    net.activations[0] = Swish()
    with pytest.raises(ValueError, match=r"layer 1's activation 'swish' has no ONNX export; supported: \[.*'leaky_relu'"):
        export_onnx(net)


def test_unknown_preprocessing_step_is_refused_by_name():
    class PCA:
        name = "pca"

    net = network("binary", "relu", "float64")
    with pytest.raises(ValueError, match=r"the input preprocessing step 'pca' has no ONNX export; steps that export: \[.*'standardize'"):
        exporter.build(net, features=["a", "b", "c", "d", "e"], input_steps=[PCA()], task="binary")


def test_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match="export_onnx takes a layerwise Model or Network, got dict"):
        export_onnx({})
