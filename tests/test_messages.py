"""Every message names what the user gave (the file, the row, the option as spelled) and never a
temporary path, an internal argument or NumPy's advice; each case is one the attack on the
previous version met (a traceback, or a message about something the user never wrote)."""

from __future__ import annotations

import os
import re
import zipfile

import numpy as np
import pytest

import layerwise as lw
from layerwise import _files, cli, datasets, io

TRAIN = ["--iterations", "2", "--quiet", "--no-plots"]


def one_line_error(capsys, argv: list[str], *words: str) -> str:
    """``layerwise ARGV`` exits 2 with one line on stderr holding every one of ``words``."""
    capsys.readouterr()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    assert re.search(r"/\.[^/ ]*\.tmp", err) is None and "unsafely" not in err and "pickle" not in err, err
    return err


def test_huge_layers_are_refused_by_the_option_before_anything_is_allocated(tmp_path, capsys):
    one_line_error(capsys, ["train", "--data", "planar", "--layers", "1000000000", "--out", str(tmp_path / "o"), *TRAIN],
                   "--layers 1000000000", "the limit is")  # fmt: skip
    with pytest.raises(ValueError, match="layer_dims .* weights and biases; the limit"):
        lw.Network([2, 10**9, 1])


def test_csv_problems_name_the_file_and_row(tmp_path, capsys):
    out = str(tmp_path / "o")
    (tmp_path / "label_only.csv").write_text("y\n1\n0\n1\n0\n")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "label_only.csv"), "--out", out, *TRAIN],
                   "label_only.csv: no feature columns", "label 'y'")  # fmt: skip
    (tmp_path / "latin1.csv").write_bytes(b"a,y\n1,0\n\xe9t\xe9,1\n")  # the encoding is detected unless one is given
    one_line_error(capsys, ["train", "--data", str(tmp_path / "latin1.csv"), "--encoding", "utf-8", "--out", out, *TRAIN],
                   "latin1.csv: not valid utf-8 text")  # fmt: skip
    (tmp_path / "two.csv").write_text("a,b,y\n1,5,0\n2,3,1\n3,1,0\n")
    one_line_error(capsys, ["train", "--data", str(tmp_path / "two.csv"), "--validation-split", "0.9", "--out", out, *TRAIN],
                   "--validation-split 0.9 gives 3 of 3 examples")  # fmt: skip
    one_line_error(capsys, ["train", "--data", "planar", "--validation-split", "0.999", "--out", out, *TRAIN],
                   "--validation-split 0.999 gives 400 of 400 examples")  # fmt: skip
    (tmp_path / "bad.toml").write_text("iterations = [\n")
    one_line_error(capsys, ["train", "--data", "planar", "--config", str(tmp_path / "bad.toml"), "--out", out], "bad.toml", "TOML")


def test_garbage_archives_are_named_without_numpy_advice(tmp_path, capsys):
    rng = np.random.default_rng(0)
    (tmp_path / "noise.npz").write_bytes(b"PK\x03\x04" + rng.bytes(3000))
    (tmp_path / "junk.npz").write_bytes(rng.bytes(100) + b"PK")
    with zipfile.ZipFile(tmp_path / "objects.npz", "w") as z:
        z.writestr("X.npy", b"\x80\x04K\x01.")
    for name in ("noise.npz", "junk.npz", "objects.npz"):
        one_line_error(capsys, ["evaluate", str(tmp_path / name), "planar"], name)
        with pytest.raises(ValueError) as info:
            datasets.load_npz(tmp_path / name)
        assert name in str(info.value) and "unsafely" not in str(info.value)


def test_data_files_whose_headers_declare_huge_arrays_are_refused_before_allocating(tmp_path):
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000), }"
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    member = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(64)
    with zipfile.ZipFile(tmp_path / "forged.npz", "w") as z:
        z.writestr("X.npy", member)
        z.writestr("Y.npy", member)
    with pytest.raises(ValueError, match=r"forged.npz: array 'X' declares shape \(1000000000, 1000\) of float64, 8000000000000 bytes"):
        datasets.load_npz(tmp_path / "forged.npz")


def test_hdf5_problems_name_the_file_and_the_dataset(tmp_path, capsys):
    h5py = pytest.importorskip("h5py", reason="HDF5 files need h5py: pip install 'layerwise[hdf5]'")
    path = tmp_path / "grouped.h5"
    with h5py.File(path, "w") as f:
        f.create_group("X")["pixels"] = np.zeros((4, 3))
        f["Y"] = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"grouped.h5: 'X' \(x_key\) is a group holding \['pixels'\], not a dataset"):
        datasets.load_hdf5(path)
    one_line_error(capsys, ["train", "--data", str(path), "--out", str(tmp_path / "o"), *TRAIN], "grouped.h5", "is a group")
    with h5py.File(tmp_path / "unwritten.h5", "w") as f:  # 8 GiB declared, nothing stored
        f.create_dataset("X", shape=(2**20, 2**10), dtype="f8")
        f["Y"] = np.zeros(2**20)
    with pytest.raises(ValueError, match="unwritten.h5: 'X' declares shape .* the limit|unwritten.h5: 'X' declares .* stores 0"):
        datasets.load_hdf5(tmp_path / "unwritten.h5", max_bytes=2**30)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="text.h5: not a readable HDF5 file"):
        datasets.load_hdf5(tmp_path / "text.h5")


def test_permission_denied_is_said_as_such(tmp_path, monkeypatch):
    """Reported as permission denied, not as "not a layerwise model file" (root reads anything,
    so the refusal is simulated where the file is opened)."""
    lw.save(lw.Network([2, 1], seed=0), tmp_path / "model.npz")
    np.savez(tmp_path / "data.npz", X=np.zeros((4, 2)), Y=np.zeros(4))

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(_files, "open", denied, raising=False)
    for call, name in ((lambda: lw.load(tmp_path / "model.npz"), "model.npz"), (lambda: datasets.load_npz(tmp_path / "data.npz"), "data.npz"),
                       (lambda: io.load_checkpoint(tmp_path / "model.npz"), "model.npz")):  # fmt: skip
        with pytest.raises(ValueError, match=f"{name}: permission denied"):
            call()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file whatever its permissions")
def test_an_unreadable_file_is_said_so(tmp_path):
    lw.save(lw.Network([2, 1], seed=0), tmp_path / "model.npz")
    (tmp_path / "model.npz").chmod(0)
    with pytest.raises(ValueError, match="model.npz: permission denied"):
        lw.load(tmp_path / "model.npz")


def test_a_write_error_names_the_users_path_not_the_temporary(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError) as info:
        lw.save(lw.Network([2, 1], seed=0), tmp_path / "file" / "model.npz")
    assert info.value.filename == str(tmp_path / "file" / "model.npz")


def test_standardising_values_near_the_float_limit_keeps_every_feature():
    from layerwise.preprocessing import Standardizer

    X = np.array([[1e300, -1e300, 5e299, -5e299], [1.0, 2.0, 3.0, 4.0]])
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(scaler.std_).all() and np.isfinite(Z).all()
    np.testing.assert_allclose(Z.std(axis=1), 1.0)  # not zeroed by std = inf
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12)


def test_a_nan_in_a_models_preprocessing_is_blamed_on_the_model_file(tmp_path):
    from layerwise.model import Model
    from layerwise.preprocessing import build_pipeline

    model = Model(lw.Network([2, 1], seed=0), pipeline=build_pipeline(standardize=True))
    model.fit(np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0]]), np.array([0, 1, 0, 1]), epochs=1)
    lw.save(model, tmp_path / "model.npz")
    members = {}
    with zipfile.ZipFile(tmp_path / "model.npz") as z:
        for name in z.namelist():
            members[name] = z.read(name)
    mean = next(name for name in members if name.startswith("input.") and name.endswith("mean.npy"))
    import io as bytesio

    buffer = bytesio.BytesIO()
    np.save(buffer, np.array([[np.nan], [0.0]]))
    members[mean] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "nan.npz", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match=r"nan.npz: .*standardize: mean .*expected finite"):
        lw.load(tmp_path / "nan.npz")


BIG = "1" + "0" * 400


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [("--learning-rate", "1e400", "too large for a float"), ("--learning-rate", BIG, "too large for a float"),
     ("--lambd", BIG, "too large"), ("--keep-prob", BIG, "too large"), ("--validation-split", "nan", "not a finite number"),
     ("--iterations", BIG, "is not an integer >= 1 (at most 2**53"), ("--batch-size", BIG, "(at most 2**53"),
     ("--print-every", BIG, "(at most 2**53"), ("--checkpoint-every", BIG, "(at most 2**53"),
     ("--early-stopping", BIG, "(at most 2**53"), ("--seed", BIG, "seed")],
    ids=lambda v: v[:12],
)  # fmt: skip
def test_numbers_too_large_for_the_command_line_name_the_option(tmp_path, capsys, option, value, words):
    one_line_error(capsys, ["train", "--data", "planar", "--out", str(tmp_path / "o"), option, value, *TRAIN], words)
    assert not (tmp_path / "o").exists() or not (tmp_path / "o" / "model.npz").exists()
