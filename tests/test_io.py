"""Model files: save/load round trips, atomic writes, and refusal of malformed files."""

import json
import zipfile

import numpy as np
import pytest

import layerwise
from layerwise import Network, datasets
from layerwise.io import load_model, model_document, preprocess, save_model


@pytest.fixture
def trained():
    data = datasets.planar(m=40)
    net = Network([2, 3, 1], hidden="tanh", init="xavier", seed=1)
    net.fit(data.X, data.Y, learning_rate=0.5, num_iterations=20)
    net.metadata = {"class_names": ["red", "blue"], "run": {"learning_rate": 0.5, "seed": 1}, "data": "planar"}
    return net, data


def write_npz(path, arrays: dict, doc) -> None:
    """A hand-made model file: ``arrays`` plus ``doc`` as the JSON metadata."""
    meta = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    np.savez(path, **arrays, metadata=meta)


def parts(net):
    return dict(net.parameters), model_document(net)


def test_round_trip_predicts_identically(trained, tmp_path):
    net, data = trained
    path = tmp_path / "model.npz"
    save_model(net, path)
    loaded = load_model(path)
    assert loaded.config() == net.config()
    for key, value in net.parameters.items():
        assert loaded.parameters[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.parameters[key], value)
    np.testing.assert_array_equal(loaded.predict_proba(data.X), net.predict_proba(data.X))
    assert loaded.metadata == net.metadata
    assert loaded.history_.costs == net.history_.costs and loaded.history_.status == "completed"


def test_network_save_and_layerwise_load_delegate(tmp_path):
    net = Network([3, 2, 4], hidden="leaky_relu:0.2", output="softmax", dtype="float32", seed=4)
    net.save(tmp_path / "m.npz")
    loaded = layerwise.load(tmp_path / "m.npz")
    assert loaded.dtype == np.float32 and [a.spec for a in loaded.activations] == ["leaky_relu:0.2", "softmax"]
    assert loaded.history_ is None
    X = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))


def test_file_says_how_to_reproduce_it(trained, tmp_path):
    net, _ = trained
    save_model(net, tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as z:
        assert sorted(z.namelist()) == ["W1.npy", "W2.npy", "b1.npy", "b2.npy", "metadata.npy"]
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        doc = json.loads(f["metadata"].tobytes())
    assert doc["format"] == "layerwise-model" and doc["format_version"] == 1
    assert doc["library_version"] == layerwise.__version__
    assert doc["config"] == {"layer_dims": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "binary_crossentropy",
                             "init": "xavier", "seed": 1, "dtype": "float64"}  # fmt: skip
    assert doc["metadata"]["run"] == {"learning_rate": 0.5, "seed": 1}
    assert len(doc["history"]["costs"]) == 20


def test_write_is_atomic_and_leaves_no_temporary_file(trained, tmp_path):
    net, _ = trained
    path = tmp_path / "m.npz"
    save_model(net, path)
    before = path.read_bytes()
    net.metadata["bad"] = object()  # not JSON: the save fails before touching the file
    with pytest.raises(ValueError, match="JSON"):
        save_model(net, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_numpy_values_in_metadata_become_json(trained, tmp_path):
    net, _ = trained
    net.metadata["run"] = {"lr": np.float32(0.5), "sizes": np.array([3, 1])}
    save_model(net, tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").metadata["run"] == {"lr": 0.5, "sizes": [3, 1]}


def test_preprocess_applies_the_saved_standardisation(tmp_path):
    X = np.array([[1.0, 3.0, 5.0], [10.0, 10.0, 40.0]])
    net = Network([2, 1], activations=["sigmoid"])
    net.metadata["preprocessing"] = {"standardize": datasets.Standardizer().fit(X).to_dict()}
    net.save(tmp_path / "m.npz")
    out = preprocess(load_model(tmp_path / "m.npz"), X)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1)
    np.testing.assert_array_equal(preprocess(Network([2, 1]), X), X)  # nothing recorded: unchanged


# ---- malformed files: each is refused with a ValueError that names the problem ----------------


def mutate_doc(doc, **changes):
    doc = json.loads(json.dumps(doc))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        d = doc
        for key in path:
            d = d[key]
        if value is KeyError:
            del d[last]
        else:
            d[last] = value
    return doc


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"format_version": 2}, "format_version 2 is not supported"),
        ({"format_version": "1"}, "format_version is '1'"),
        ({"format": "other"}, "format is 'other'"),
        ({"extra": 1}, "unknown fields \\['extra'\\]"),
        ({"history": KeyError}, "missing fields \\['history'\\]"),
        ({"config__layer_dims": ["2", 3, 1]}, "layer_dims"),
        ({"config__dtype": "int64"}, "config.dtype"),
        ({"config__seed": True}, "config.seed"),
        ({"config__activations": ["tanh"]}, "config.activations has 1 names"),
        ({"config__activations": ["tanh", "nope"]}, "unknown activation"),
        ({"metadata__class_names": ["a", "b", "c"]}, "class_names has 3"),
        ({"metadata__preprocessing": {"standardize": {"mean": [0, 0], "std": [1, 0]}}}, "finite numbers > 0"),
        ({"metadata__preprocessing": {"standardize": {"mean": [0], "std": [1]}}}, "mean has 1 values; expected 2"),
        ({"history__status": "weird"}, "history.status"),
        ({"history__costs": ["x"]}, "history.costs"),
    ],
)
def test_refuses_bad_metadata(trained, tmp_path, changes, message):
    arrays, doc = parts(trained[0])
    write_npz(tmp_path / "bad.npz", arrays, mutate_doc(doc, **changes))
    with pytest.raises(ValueError, match=message):
        load_model(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda a: a.pop("b2"), "missing \\['b2'\\]"),
        (lambda a: a.update(W3=np.zeros((1, 1))), "unexpected \\['W3'\\]"),
        (lambda a: a.update(W1=np.zeros((2, 3))), "shape \\(2, 3\\); expected float64 shape \\(3, 2\\)"),
        (lambda a: a.update(W1=np.zeros((3, 2), dtype=np.int64)), "is int64"),
        (lambda a: a.update(W1=np.zeros((3, 2), dtype=np.float32)), "is float32"),
        (lambda a: a.update(W1=np.full((3, 2), np.nan)), "NaN"),
        (lambda a: a.update(W1=np.array([None] * 6, dtype=object).reshape(3, 2)), "is object"),
    ],
)
def test_refuses_bad_arrays(trained, tmp_path, edit, message):
    arrays, doc = parts(trained[0])
    edit(arrays)
    write_npz(tmp_path / "bad.npz", arrays, doc)
    with pytest.raises(ValueError, match=message):
        load_model(tmp_path / "bad.npz")


def test_refuses_architectures_beyond_the_memory_bound(trained, tmp_path):
    arrays, doc = parts(trained[0])
    write_npz(tmp_path / "big.npz", arrays, mutate_doc(doc, config__layer_dims=[100000, 100000, 1]))
    with pytest.raises(ValueError, match="more than max_parameters"):
        load_model(tmp_path / "big.npz")
    net = trained[0]
    net.save(tmp_path / "ok.npz")
    with pytest.raises(ValueError, match="more than max_parameters=5"):
        load_model(tmp_path / "ok.npz", max_parameters=5)


def test_refuses_files_that_are_not_model_archives(tmp_path):
    (tmp_path / "text.npz").write_text("W1,b1\n1,2\n")
    np.save(tmp_path / "array.npy", np.zeros(3))
    np.savez(tmp_path / "plain.npz", W1=np.zeros((1, 1)))
    (tmp_path / "metadata.npz").write_bytes(b"")
    for name, message in [("text.npz", "not a layerwise model file"), ("array.npy", "not a layerwise model file"),
                          ("plain.npz", "no 'metadata' array"), ("metadata.npz", "not a layerwise model file")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")


def test_refuses_metadata_that_is_not_utf8_json(trained, tmp_path):
    arrays, _ = parts(trained[0])
    np.savez(tmp_path / "bad.npz", **arrays, metadata=np.frombuffer(b"\xff{", dtype=np.uint8))
    with pytest.raises(ValueError, match="not UTF-8 JSON"):
        load_model(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad2.npz", **arrays, metadata=np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="'metadata' is uint8 with shape \\(2, 2\\)"):
        load_model(tmp_path / "bad2.npz")
