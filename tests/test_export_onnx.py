"""ONNX export: onnxruntime on raw rows answers what the model's own predict_proba / predict do,
for every output kind, activation and dtype, with the preprocessing inside the graph; the graph
passes onnx.checker; what cannot be exported is refused by name."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export needs the onnx extra: pip install 'layerwise[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="the export is checked with onnxruntime: pip install 'layerwise[onnxruntime]'")

import layerwise as lw  # noqa: E402
from layerwise import Network, preprocessing  # noqa: E402
from layerwise.activations import Activation  # noqa: E402
from layerwise.export import onnx as exporter  # noqa: E402

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu:0.2", "linear"]
OUTPUTS = {"binary": ("sigmoid", 1), "multiclass": ("softmax", 4), "regression": ("linear", 1), "regression2": ("linear", 2)}
TOLERANCE = {"float64": 1e-6, "float32": 1e-4}
FEATURES = ["age", "income", "height", "ratio", "score"]
#: raw features on very different scales, so that standardisation matters
SCALE, SHIFT = np.array([[10.0], [1e4], [0.1], [1e-3], [1.0]]), np.array([[40.0], [5e4], [1.7], [0.0], [-3.0]])


def session(proto) -> ort.InferenceSession:
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def run(proto, feed: dict) -> dict[str, np.ndarray]:
    s = session(proto)
    return dict(zip([o.name for o in s.get_outputs()], s.run(None, feed), strict=True))


def raw_rows(m: int, seed: int) -> np.ndarray:
    """Raw features ``(5, m)``, examples as columns (the course's layout)."""
    return SCALE * np.random.default_rng(seed).standard_normal((5, m)) * 3 + SHIFT


def trained_model(kind: str, hidden: str, dtype: str, seed: int = 0) -> lw.Model:
    """A model with standardisation (and the target's, for regression), briefly trained on a
    random rule of its 5 features, so that its outputs vary."""
    output, n_y = OUTPUTS[kind]
    net = Network([5, 8, 6, n_y], hidden=hidden, output=output, loss="mse" if output == "linear" else None, seed=seed, dtype=dtype)
    X = raw_rows(300, seed)
    scores = np.random.default_rng(seed).standard_normal((max(n_y, 2), 5)) @ ((X - SHIFT) / SCALE)
    if kind == "binary":
        y, classes = np.array(["no", "yes"])[(scores[0] > 0).astype(int)], ["no", "yes"]
    elif kind == "multiclass":
        y, classes = np.array([3, 5, 7, 9])[scores.argmax(axis=0)], [3, 5, 7, 9]
    else:
        y, classes = 1000 + 50 * scores[:n_y], None
    target = preprocessing.Pipeline([preprocessing.Standardizer()]) if output == "linear" else None
    model = lw.Model(net, features=FEATURES, pipeline=preprocessing.build_pipeline(standardize=True), target=target, classes=classes)
    model.fit(X, y, epochs=30, optimizer="adam", learning_rate=0.05)
    return model


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_onnxruntime_matches_the_model_on_raw_rows(kind, hidden, dtype):
    model = trained_model(kind, hidden, dtype)
    X = raw_rows(200, seed=1)  # (n_features, m); large enough that sigmoid and tanh saturate somewhere
    out = run(lw.export_onnx(model), {"X": np.ascontiguousarray(X.T)})  # rows are examples at the ONNX door
    if kind.startswith("regression"):
        assert set(out) == {"value"} and out["value"].dtype == np.float64  # the target's units: float64 as the model's
        expected = model.predict(X).T  # (m, n_y), in the target's units (about 1000 +- 200)
        assert np.abs(out["value"] - expected).max() <= TOLERANCE[dtype] * max(1.0, np.abs(expected).max())
        return
    P = out["probabilities"]
    assert P.dtype == np.dtype(dtype) and P.shape == (200, 2 if kind == "binary" else 4)
    assert np.abs(P - model.predict_proba(X).T).max() <= TOLERANCE[dtype]
    np.testing.assert_array_equal(out["label"], model.predict(X)[0])
    assert len(np.unique(out["label"])) > 1  # more than one decision is exercised


def test_a_bare_network_exports_with_index_labels(rng):
    net = Network([5, 4, 3], output="softmax", seed=2, dtype="float32")
    X = rng.standard_normal((5, 50))
    out = run(lw.export_onnx(net), {"X": X.T.astype(np.float32)})
    assert np.abs(out["probabilities"] - net.predict_proba(X).T).max() <= 1e-6
    np.testing.assert_array_equal(out["label"], net.predict(X)[0])


def test_leaky_relu_slope_is_kept():
    X = raw_rows(50, seed=3)
    outputs = []
    for slope in (0.05, 0.5):
        model = trained_model("regression", f"leaky_relu:{slope}", "float64", seed=3)
        outputs.append(run(lw.export_onnx(model), {"X": X.T.copy()})["value"])
        assert np.abs(outputs[-1] - model.predict(X).T).max() <= 1e-9
    assert np.abs(outputs[0] - outputs[1]).max() > 1e-3


def test_file_is_written_checked_and_described(tmp_path):
    model = trained_model("binary", "relu", "float32")
    path = tmp_path / "model.onnx"
    lw.export_onnx(model, path)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    opsets = {o.domain: o.version for o in proto.opset_import}
    assert opsets[""] == exporter.OPSET == 17 and opsets["ai.onnx.ml"] == exporter.ML_OPSET and proto.ir_version == exporter.IR_VERSION
    props = {p.key: json.loads(p.value) for p in proto.metadata_props if p.key != "library_version"}
    assert props == {"task": "binary", "features": FEATURES, "inputs": {"X": FEATURES}, "classes": ["no", "yes"],
                     "label": None, "dtype": "float32"}  # fmt: skip
    (x,) = proto.graph.input
    assert x.name == "X" and [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim] == ["m", 5]
    assert x.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE  # raw features, standardised in float64 as the model does
    assert [o.name for o in proto.graph.output] == ["probabilities", "label"]
    ops = [n.op_type for n in proto.graph.node]
    assert ops[:3] == ["Sub", "Div", "Cast"] and ops.count("Gemm") == 3


@pytest.mark.skipif("one_hot" not in preprocessing.STEPS, reason="the one-hot and imputation steps are not in this version")
def test_categories_and_missing_values_inside_the_graph():
    """One-hot columns (strings at the door, "" missing, an unseen category all zeros), numeric
    columns with NaN imputed and flagged, then standardisation: as the model computes them."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    m = 400
    frame = pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue", "teal", "pink", None], m),
        "weight": np.where(rng.random(m) < 0.1, np.nan, rng.normal(70, 15, m)),
        "size": rng.choice(["S", "M", "L"], m),
        "age": rng.normal(40, 12, m),
    })  # fmt: skip
    y = np.where((frame["weight"].fillna(70) > 70) ^ (frame["colour"] == "red"), "heavy", "light")
    steps = [preprocessing.STEPS["one_hot"](max_categories=4), preprocessing.STEPS["impute"]("median", indicator=True), preprocessing.Standardizer()]
    n_x = preprocessing.Pipeline(steps).fit(frame.to_numpy().T.astype(object), list(frame.columns)).names_out_
    model = lw.Model(Network([len(n_x), 8, 1], seed=0), features=list(frame.columns), pipeline=preprocessing.Pipeline(steps), classes=["heavy", "light"])
    model.fit(frame, y, epochs=40, optimizer="adam", learning_rate=0.05)
    test = frame.copy()
    test.loc[:4, "colour"] = "purple"  # unseen
    test.loc[5:9, "size"] = None  # missing where training had none
    test.loc[10:14, "weight"] = np.nan
    proto = lw.export_onnx(model)
    assert [i.name for i in proto.graph.input] == ["X", "X_str"]
    feed = {"X": test[["weight", "age"]].to_numpy(np.float64),
            "X_str": test[["colour", "size"]].fillna("").to_numpy(object)}  # fmt: skip
    out = run(proto, feed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unseen categories' warning
        P, labels = model.predict_proba(test), model.predict(test)
    assert np.abs(out["probabilities"] - P).max() <= 1e-6
    np.testing.assert_array_equal(out["label"], labels)


def test_unsupported_activation_is_refused_by_name():
    class Swish(Activation):
        name = "swish"

    net = Network([5, 4, 1], seed=0)
    net.activations[0] = Swish()
    with pytest.raises(ValueError, match=r"layer 1's activation 'swish' has no ONNX export; supported: \[.*'leaky_relu'"):
        lw.export_onnx(net)


def test_unknown_preprocessing_step_is_refused_by_name():
    class PCA:
        name = "pca"

    net = Network([5, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"the input preprocessing step 'pca' has no ONNX export; steps that export: \[.*'standardize'"):
        exporter.build(net, features=FEATURES, input_steps=[PCA()], task="binary", classes=[0, 1])


def test_not_a_model_is_a_type_error():
    with pytest.raises(TypeError, match="export_onnx takes a layerwise Model or Network, got dict"):
        lw.export_onnx({})


def test_cli_export(tmp_path):
    model = trained_model("multiclass", "tanh", "float64")
    lw.save(model, tmp_path / "m.npz")
    done = subprocess.run([sys.executable, "-m", "layerwise", "export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "opset 17, inputs X (m, 5), outputs probabilities, label" in done.stderr
    X = raw_rows(20, seed=4)
    out = run(onnx.load(tmp_path / "m.onnx"), {"X": X.T.copy()})
    np.testing.assert_array_equal(out["label"], model.predict(X)[0])
    bad = subprocess.run([sys.executable, "-m", "layerwise", "export", str(tmp_path / "missing.npz"), str(tmp_path / "x.onnx")],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "missing.npz" in bad.stderr
