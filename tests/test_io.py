"""Model files: save/load round trips, atomic writes, and refusal of malformed files."""

import json
import zipfile

import numpy as np
import pytest

import layerwise
from layerwise import Model, Network, datasets
from layerwise.io import load_model, model_archive, save_model
from layerwise.preprocessing import Pipeline, Standardizer


@pytest.fixture
def trained():
    data = datasets.planar(m=40)
    net = Network([2, 3, 1], hidden="tanh", init="xavier", seed=1)
    net.fit(data.X, data.Y, learning_rate=0.5, num_iterations=20)
    model = Model(net, features=["x1", "x2"], classes=["red", "blue"], label="colour",
                  info={"run": {"learning_rate": 0.5, "seed": 1}, "data": "planar"})  # fmt: skip
    return model, data


def write_npz(path, arrays: dict, doc) -> None:
    """A hand-made model file: ``arrays`` plus ``doc`` as the JSON metadata."""
    meta = np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8)
    np.savez(path, **arrays, metadata=meta)


def parts(model):
    doc, arrays = model_archive(model)
    return arrays, json.loads(json.dumps(doc, default=lambda o: o.tolist()))


def v1_parts(net, metadata):
    """The arrays and document of a format 1 file, as layerwise 0.1.0 wrote them."""
    doc = {"format": "layerwise-model", "format_version": 1, "library_version": "0.1.0", "config": net.config(),
           "metadata": metadata, "history": None if net.history_ is None else net.history_.to_dict()}  # fmt: skip
    return dict(net.parameters), doc


def test_round_trip_predicts_identically(trained, tmp_path):
    model, data = trained
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert isinstance(loaded, Model) and loaded.config() == model.config()
    for key, value in model.parameters.items():
        assert loaded.parameters[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.parameters[key], value)
    np.testing.assert_array_equal(loaded.predict_proba(data.X), model.predict_proba(data.X))
    assert loaded.predict(data.X).tolist() == model.predict(data.X).tolist()
    assert set(loaded.predict(data.X)[0]) <= {"red", "blue"}
    assert loaded.info == model.info and loaded.label == "colour" and loaded.features == ["x1", "x2"]
    assert loaded.history_.costs == model.history_.costs and loaded.history_.status == "completed"


def test_a_bare_network_saves_as_a_model_and_layerwise_load_reads_it(tmp_path):
    net = Network([3, 2, 4], hidden="leaky_relu:0.2", output="softmax", dtype="float32", seed=4)
    layerwise.save(net, tmp_path / "m.npz")
    loaded = layerwise.load(tmp_path / "m.npz")
    assert loaded.dtype == np.float32 and [a.spec for a in loaded.activations] == ["leaky_relu:0.2", "softmax"]
    assert loaded.history_ is None and loaded.classes.tolist() == [0, 1, 2, 3]
    X = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))  # numeric classes: the network's own answer


def test_file_holds_every_key_the_readme_lists(trained, tmp_path):
    model, data = trained
    model = Model(model.network, features=["x1", "x2"], pipeline=Pipeline([Standardizer()]).fit(data.X, ["x1", "x2"]),
                  classes=["red", "blue"], label="colour", info=model.info)  # fmt: skip
    save_model(model, tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as z:
        assert sorted(z.namelist()) == ["W1.npy", "W2.npy", "b1.npy", "b2.npy", "classes.npy", "input.0.mean.npy",
                                        "input.0.std.npy", "metadata.npy"]  # fmt: skip
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        doc = json.loads(f["metadata"].tobytes())
        assert f["classes"].dtype.kind == "U" and f["input.0.mean"].shape == (2, 1) and f["input.0.std"].dtype == np.float64
    assert doc["format"] == "layerwise-model" and doc["format_version"] == 2
    assert doc["library_version"] == layerwise.__version__
    assert doc["network"] == {"layer_dims": [2, 3, 1], "activations": ["tanh", "sigmoid"], "loss": "binary_crossentropy",
                              "init": "xavier", "seed": 1, "dtype": "float64"}  # fmt: skip
    assert doc["task"] == "binary" and doc["features"] == ["x1", "x2"] and doc["label"] == "colour"
    assert doc["preprocessing"] == {"input": [{"step": "standardize", "config": {}}], "target": []}
    assert doc["info"]["run"] == {"learning_rate": 0.5, "seed": 1}
    assert len(doc["history"]["costs"]) == 20


def test_write_is_atomic_and_leaves_no_temporary_file(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "m.npz"
    save_model(model, path)
    before = path.read_bytes()
    model.info["bad"] = object()  # not JSON: the save fails before touching the file
    with pytest.raises(ValueError, match="JSON"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_numpy_values_in_info_become_json(trained, tmp_path):
    model, _ = trained
    model.info["run"] = {"lr": np.float32(0.5), "sizes": np.array([3, 1])}
    save_model(model, tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").info["run"] == {"lr": 0.5, "sizes": [3, 1]}


def test_a_loaded_model_applies_its_standardisation_to_raw_features(tmp_path):
    X = np.array([[1.0, 3.0, 5.0], [10.0, 10.0, 40.0]])
    net = Network([2, 1], activations=["sigmoid"], seed=0)
    model = Model(net, pipeline=Pipeline([Standardizer()])).fit_preprocessing(X)
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    out = loaded.transform(X)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1)
    np.testing.assert_array_equal(loaded.output(X), net.predict_proba(out))
    np.testing.assert_array_equal(Model(Network([2, 1])).transform(X), X)  # nothing recorded: unchanged


def test_a_version_1_file_loads_with_its_standardisation_and_class_names(tmp_path):
    X = np.array([[1.0, 3.0, 5.0], [10.0, 10.0, 40.0]])
    net = Network([2, 1], activations=["sigmoid"], seed=3)
    stats = Standardizer().fit(X)
    arrays, doc = v1_parts(net, {"preprocessing": {"standardize": stats.to_dict()}, "class_names": ["no", "yes"],
                                 "feature_names": ["a", "b"], "data": "d.csv", "run": {"label": "answer", "seed": 1}})  # fmt: skip
    write_npz(tmp_path / "v1.npz", arrays, doc)
    model = load_model(tmp_path / "v1.npz")
    assert model.features == ["a", "b"] and model.classes.tolist() == ["no", "yes"] and model.label == "answer"
    assert model.info == {"data": "d.csv", "run": {"label": "answer", "seed": 1}}
    np.testing.assert_array_equal(model.output(X), net.predict_proba(stats.transform(X)))


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
        ({"format_version": 3}, "format_version 3 is not supported"),
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
def test_refuses_bad_version_1_metadata(trained, tmp_path, changes, message):
    arrays, doc = v1_parts(trained[0].network, {"class_names": ["red", "blue"], "data": "planar"})
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
    write_npz(tmp_path / "big.npz", arrays, mutate_doc(doc, network__layer_dims=[100000, 100000, 1], features=["x"] * 100000))
    with pytest.raises(ValueError, match="more than max_parameters"):
        load_model(tmp_path / "big.npz")
    save_model(trained[0], tmp_path / "ok.npz")
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


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"task": "multiclass"}, "task is 'multiclass' but the network's loss"),
        ({"task": "nope"}, "task is 'nope'"),
        ({"features": ["a"]}, "features has 1 names; the network takes 2"),
        ({"features": ["a", "a"]}, "repeats a name"),
        ({"label": 3}, "label must be a string"),
        ({"preprocessing__input": [{"step": "nope", "config": {}}]}, "unknown preprocessing step 'nope'"),
        ({"preprocessing__input": [{"step": "standardize"}]}, "missing fields \\['config'\\]"),
        ({"info": []}, "info must be an object"),
        ({"network__dtype": "int64"}, "network.dtype"),
    ],
)
def test_refuses_bad_version_2_metadata(trained, tmp_path, changes, message):
    arrays, doc = parts(trained[0])
    write_npz(tmp_path / "bad.npz", arrays, mutate_doc(doc, **changes))
    with pytest.raises(ValueError, match=message):
        load_model(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda a: a.update(classes=np.array(["a", "b", "c"])), "shape \\(3,\\); expected"),
        (lambda a: a.update(classes=np.array(["a", "a"])), "repeats a label"),
        (lambda a: a.pop("classes"), "missing \\['classes'\\]"),
        (lambda a: a.update(**{"input.0.mean": np.zeros((2, 1))}), "unexpected \\['input.0.mean'\\]"),
    ],
)
def test_refuses_bad_classes_and_step_arrays(trained, tmp_path, edit, message):
    arrays, doc = parts(trained[0])
    edit(arrays)
    write_npz(tmp_path / "bad.npz", arrays, doc)
    with pytest.raises(ValueError, match=message):
        load_model(tmp_path / "bad.npz")


def test_refuses_bad_standardisation_arrays(trained, tmp_path):
    model, data = trained
    model.pipeline = Pipeline([Standardizer()]).fit(data.X, ["x1", "x2"])
    for name, value, message in [("input.0.std", np.array([[1.0], [0.0]]), "std must hold finite numbers > 0"),
                                 ("input.0.mean", np.zeros((3, 1)), "expected finite float64 \\(2, 1\\)"),
                                 ("input.0.mean", np.zeros((2, 1), dtype=np.int64), "expected finite float64")]:  # fmt: skip
        arrays, doc = parts(model)
        arrays[name] = value
        write_npz(tmp_path / "bad.npz", arrays, doc)
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / "bad.npz")
