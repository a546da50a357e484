"""Untrusted files: loading a model or a checkpoint never executes code, and a truncated,
tampered, wrong-version or hostile file is refused with a ValueError in bounded memory.
CSV and HDF5 data files that do not fit are refused naming the row, column or dataset.
"""

from __future__ import annotations

import io as bytesio
import json
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import cli, datasets, io
from layerwise.callbacks import Callback

FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class CreatesAFile:
    """Unpickling this calls ``open(path, "w")``: if the file appears, code ran."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = bytesio.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def write_zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def document(dims=(3, 4, 1), **changes) -> dict:
    """A model file's metadata document for ``dims``, with fields replaced by ``changes``."""
    doc, _ = io.model_archive(lw.Model(lw.Network(list(dims), seed=0)))
    return {**doc, **changes}


def model_members(dims=(3, 4, 1), doc: dict | None = None, **arrays) -> dict[str, bytes]:
    """The members of a model file: parameters of ``dims`` (overridden by ``arrays``), classes and metadata."""
    _, parts = io.model_archive(lw.Model(lw.Network(list(dims), seed=0)))
    members = {f"{k}.npy": npy_bytes(v) for k, v in parts.items()}
    text = json.dumps(doc if doc is not None else document(dims))
    members["metadata.npy"] = npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))
    members.update({f"{k}.npy": v if isinstance(v, bytes) else npy_bytes(v) for k, v in arrays.items()})
    return members


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a pickle in a model file was executed"


def refused(path: Path, match: str | None = None, load=io.load_model, peak_mib: float = 16) -> str:
    """``load(path)`` raises a ValueError (matching ``match``) while allocating at most ``peak_mib``."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as info:
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_mib * 2**20, f"{peak / 2**20:.0f} MiB allocated refusing {path.name}"
    return str(info.value)


# ---- code execution -------------------------------------------------------------------------


def test_a_pickle_renamed_npz_is_refused_and_never_run(tmp_path, marker):
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(CreatesAFile(marker)))
    refused(path, "not a layerwise model file")
    refused(path, "not a layerwise checkpoint", load=io.load_checkpoint)
    with pytest.raises(ValueError):
        np.load(path, allow_pickle=False)  # what io relies on, besides its own checks


@pytest.mark.parametrize("member", ["W1", "metadata"])
def test_an_object_array_inside_the_archive_is_refused_from_its_header(tmp_path, marker, member):
    evil = np.array([CreatesAFile(marker)], dtype=object)
    path = write_zip(tmp_path / "model.npz", model_members(**{member: npy_bytes(evil, allow_pickle=True)}))
    refused(path, f"array '{member}' is object")


def test_a_single_npy_and_other_non_archives_are_refused(tmp_path, marker):
    cases = {
        "object.npy": npy_bytes(np.array([CreatesAFile(marker)], dtype=object), allow_pickle=True),
        "plain.npy": npy_bytes(np.ones((3, 4))),
        "empty.npz": b"",
        "text.npz": b"W1 = [[1, 2]]\n",
        "random.npz": np.random.default_rng(0).bytes(4096),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        refused(tmp_path / name, "not a layerwise model file")


def test_the_cli_refuses_a_hostile_model_with_one_line(tmp_path, marker, capsys):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(CreatesAFile(marker)))
    assert cli.main(["evaluate", str(path), "planar"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a layerwise model file" in err and "Traceback" not in err


# ---- declared sizes: refused before anything big is allocated ----------------------------------


def test_huge_architectures_are_refused_before_reading(tmp_path):
    dims = (100_000, 100_000, 1)
    doc = document((3, 4, 1))
    doc["network"] = {**doc["network"], "layer_dims": list(dims)}
    doc["features"] = [f"x{i}" for i in range(dims[0])]
    path = write_zip(tmp_path / "huge.npz", model_members(doc=doc))
    refused(path, "more than max_parameters")
    small = write_zip(tmp_path / "small.npz", model_members())
    refused(small, "more than max_parameters=10", load=lambda p: io.load_model(p, max_parameters=10))


def lying_header(shape: tuple, dtype="<f8", data: bytes = b"") -> bytes:
    """An .npy header declaring ``shape``, followed by ``data`` only."""
    buffer = bytesio.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


@pytest.mark.parametrize(
    "W1, match",
    [
        (lying_header((10**6, 10**6)), r"shape \(1000000, 1000000\); expected float64 shape \(4, 3\)"),
        (lying_header((4, 3), data=b"\0" * 8), "holds 8 bytes of data"),  # truncated data
        (lying_header((4, 3), "<f4", b"\0" * 48), "is float32"),  # the wrong dtype
        (lying_header((3, 4), data=b"\0" * 96), r"shape \(3, 4\); expected float64 shape \(4, 3\)"),  # transposed
        (b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 100, "bad .npy header"),
    ],
)
def test_arrays_that_do_not_match_their_header_or_the_architecture(tmp_path, W1, match):
    path = write_zip(tmp_path / "model.npz", model_members(W1=W1))
    refused(path, match)


def test_a_zip_bomb_is_refused_without_decompressing_it(tmp_path):
    """W1.npy declares (4, 3) but inflates to 64 MiB: refused from the sizes, the bomb never expands."""
    bomb = lying_header((4, 3), data=b"\0" * 96) + bytes(64 * 2**20)
    path = write_zip(tmp_path / "bomb.npz", model_members(W1=bomb), zipfile.ZIP_DEFLATED)
    del bomb
    assert path.stat().st_size < 2**20
    refused(path, r"declares shape \(4, 3\) but its member holds 671089\d\d bytes", peak_mib=4)


def test_extra_missing_and_strangely_named_members(tmp_path):
    members = model_members()
    refused(write_zip(tmp_path / "extra.npz", {**members, "../../etc/evil.npy": npy_bytes(np.ones(1))}), "unexpected")
    refused(write_zip(tmp_path / "script.npz", {**members, "run.py": b"print('hi')"}), "distinct .npy arrays only")
    del members["b1.npy"]
    refused(write_zip(tmp_path / "missing.npz", members), r"missing \['b1'\]")


# ---- the metadata document ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(format_version=3), "format_version 3 is not supported"),
        (dict(format_version="1"), "format_version"),
        (dict(format="pickle"), "format is 'pickle'"),
        (dict(extra=1), r"unknown fields \['extra'\]"),
        (dict(network={"layer_dims": [3, 4, 1]}), "missing fields"),
        (dict(history={"costs": "many"}), "history"),
    ],
)
def test_wrong_version_or_fields(tmp_path, change, match):
    path = write_zip(tmp_path / "model.npz", model_members(doc=document(**change)))
    refused(path, match)


@pytest.mark.parametrize(
    "config, match",
    [({"layer_dims": [3, -4, 1]}, "layer_dims"), ({"layer_dims": [3, True, 1]}, "layer_dims"),
     ({"activations": ["relu", "exec"]}, "unknown activation 'exec'"), ({"dtype": "object"}, "dtype"),
     ({"loss": {"__class__": "os.system"}}, "loss must be a string"), ({"seed": -1}, "seed")],
)  # fmt: skip
def test_hostile_config_values(tmp_path, config, match):
    doc = document()
    doc["network"] = {**doc["network"], **config}
    refused(write_zip(tmp_path / "model.npz", model_members(doc=doc)), match)


def test_metadata_that_is_not_json(tmp_path):
    for name, text in {"deep": b"[" * 100_000 + b"]" * 100_000, "binary": b"\xff\xfe\x00", "nan": b"NaN"}.items():
        members = model_members()
        members["metadata.npy"] = npy_bytes(np.frombuffer(text, dtype=np.uint8))
        refused(write_zip(tmp_path / f"{name}.npz", members), "metadata")


def test_non_finite_parameters_are_refused(tmp_path):
    W1 = np.ones((4, 3))
    W1[1, 2] = np.nan
    refused(write_zip(tmp_path / "model.npz", model_members(W1=W1)), "W1 contains NaN")


# ---- truncated and tampered files ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[bytes, lw.Network]:
    net = lw.Network([3, 5, 2, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 20))
    net.fit(X, (X[:1] > 0).astype(int), epochs=3)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    lw.save(net, path)
    return path.read_bytes(), net


@FAST
@given(cut=st.floats(0, 1, exclude_max=True))
def test_every_truncation_is_refused(saved, tmp_path, cut):
    data, _ = saved
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: int(cut * len(data))])
    refused(path)


@FAST
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=8))
def test_tampered_bytes_are_refused_or_change_nothing(saved, tmp_path, flips):
    """The zip's CRC-32 covers every array: a change that loads must be in bytes that carry no data."""
    data, net = saved
    tampered = bytearray(data)
    for where, xor in flips:
        tampered[int(where * len(data))] ^= xor
    path = tmp_path / "tampered.npz"
    path.write_bytes(bytes(tampered))
    try:
        loaded = io.load_model(path)
    except ValueError:
        return
    assert loaded.config() == net.config()
    for key in net.parameters:
        np.testing.assert_array_equal(loaded.parameters[key], net.parameters[key])


# ---- checkpoints -------------------------------------------------------------------------------------


class StopAfter(Callback):
    def on_batch_end(self, trainer, iteration, cost):
        if iteration == 4:  # the second batch of the second epoch
            trainer.stop_training = True


@pytest.fixture
def checkpoint_members(tmp_path) -> dict:
    X = np.random.default_rng(0).standard_normal((3, 40))
    net = lw.Network([3, 4, 1], seed=0)
    net.fit(X, (X[:1] > 0).astype(int), epochs=2, batch_size=16, optimizer="adam", callbacks=[StopAfter()])
    io.save_checkpoint(tmp_path / "good", net, net.trainer_, {"iterations": 2})
    with zipfile.ZipFile(tmp_path / "good" / io.CHECKPOINT_FILE) as z:
        return {name: z.read(name) for name in z.namelist()}


def with_document(members: dict, edit) -> dict:
    doc = json.loads(np.load(bytesio.BytesIO(members["metadata.npy"])).tobytes())
    edit(doc)
    text = json.dumps(doc).encode()
    return {**members, "metadata.npy": npy_bytes(np.frombuffer(text, dtype=np.uint8))}


def test_a_good_checkpoint_loads(tmp_path, checkpoint_members):
    checkpoint = io.load_checkpoint(tmp_path / "good")
    assert checkpoint.trainer_state["position"]["seen"] == 16 and checkpoint.run_config == {"iterations": 2}
    assert sorted(k for k in checkpoint_members if k.startswith("optimizer.")) == sorted(
        f"optimizer.{s}.{k}.npy" for s in "sv" for k in ("W1", "W2", "b1", "b2"))  # fmt: skip


def position(doc, **values):
    doc["trainer"]["position"].update(values)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d.update(format_version=7), "format_version 7"),
        (lambda d: d["trainer"].update(rng={"bit_generator": "MT19937", "state": 1}), "trainer.rng"),
        (lambda d: d["trainer"]["rng"]["state"].update(state="x"), "trainer.rng"),
        (lambda d: position(d, m=2**40), r"position.m is 1099511627776"),
        (lambda d: position(d, m=41), r"missing \[\]|shape \(41,\)"),
        (lambda d: position(d, seen=-1), "seen"),
        (lambda d: position(d, cost_sum=float("inf")), "cost_sum"),
        (lambda d: d["trainer"]["optimizer"].update(name="lbfgs"), "optimizer.name"),
        (lambda d: d["trainer"]["optimizer"]["slots"].update(v=["W9"]), "not a parameter"),
        (lambda d: d["trainer"]["optimizer"]["slots"].update({"__import__('os')": ["W1"]}), "slot names"),
        (lambda d: d["model"].update(history=None), "history is missing"),
        (lambda d: d.update(run=[1, 2]), "run must be an object"),
    ],
)
def test_hostile_checkpoints_are_refused(tmp_path, checkpoint_members, edit, match):
    path = write_zip(tmp_path / "checkpoint.npz", with_document(checkpoint_members, edit))
    refused(path, match, load=io.load_checkpoint)


def test_checkpoint_arrays_are_checked(tmp_path, checkpoint_members):
    members = dict(checkpoint_members)
    members["perm.npy"] = npy_bytes(np.zeros(40, dtype=np.int64))
    refused(write_zip(tmp_path / "a.npz", members), "not a permutation", load=io.load_checkpoint)
    members = dict(checkpoint_members)
    members["optimizer.v.W1.npy"] = npy_bytes(np.full((4, 3), np.inf))
    refused(write_zip(tmp_path / "b.npz", members), "v/W1 contains NaN", load=io.load_checkpoint)
    members = {**checkpoint_members, "optimizer.v.W1.npy": lying_header((4, 3), data=bytes(96) + bytes(2**24))}
    refused(write_zip(tmp_path / "c.npz", members, zipfile.ZIP_DEFLATED), "holds", load=io.load_checkpoint)


def test_resume_from_a_hostile_checkpoint_is_one_line(tmp_path, marker, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / io.CHECKPOINT_FILE).write_bytes(pickle.dumps(CreatesAFile(marker)))
    assert cli.main(["train", "--resume", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a layerwise checkpoint" in err


# ---- data files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, match",
    [
        ("a,b,y\n1,2,0\n3,x,1\n", r"row 3, column 'b': 'x' is not a number"),
        ("a,b,y\n1,2,0\n3,4\n", "row 3 has 2 cells"),
        ("a,b,y\n1,2,0\n3,,1\n", r"row 3, column 'b'"),
        ("a,b,y\n1,2,0\n3,nan,1\n", r"row 3, column 'b'"),
        ("a,b,y\n1,2,0\n3,inf,1\n", r"row 3, column 'b'"),
        ("a,b,y\n", "no rows"),
        ("", "empty"),
        ("1,2,3\n4,5,6\n", "header"),
    ],
)
def test_csv_files_that_do_not_fit_name_the_row_and_column(tmp_path, text, match):
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        datasets.load_csv(path)


def test_hdf5_files_that_do_not_fit_name_the_dataset(tmp_path):
    h5py = pytest.importorskip("h5py", reason="HDF5 files need h5py (layerwise[hdf5])")
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["X"] = np.ones((5, 3))
        f["Y"] = np.zeros(4)
        f["S"] = np.array([b"a", b"b", b"c", b"d", b"e"])
        f["N"] = np.full((5, 3), np.nan)
        f["y"] = np.arange(5) % 2
    with pytest.raises(ValueError, match="'X' has shape \\(5, 3\\) and 'Y' has shape \\(4,\\)"):
        datasets.load_hdf5(path, "X", "Y")
    with pytest.raises(ValueError, match="'S' must be numeric"):
        datasets.load_hdf5(path, "S", "y")
    with pytest.raises(ValueError, match="'N'.*NaN"):
        datasets.load_hdf5(path, "N", "y")
    with pytest.raises(KeyError, match="no dataset 'Z'"):
        datasets.load_hdf5(path, "Z", "y")
