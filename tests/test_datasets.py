"""Tests for layerwise.datasets: course layout (examples as columns) everywhere."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from layerwise import datasets

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
HAS_H5PY = importlib.util.find_spec("h5py") is not None


def _data_dir_or_none() -> Path | None:
    try:
        return datasets.data_dir()
    except FileNotFoundError:
        return None


CAT_DIR = _data_dir_or_none()
HAS_CAT = CAT_DIR is not None and (CAT_DIR / "train_catvnoncat.h5").is_file()


def assert_layout(ds: datasets.Dataset, n_x: int, m: int) -> None:
    assert ds.X.shape == (n_x, m) and ds.X.dtype == np.float64
    assert ds.Y.shape[1] == m and ds.Y.ndim == 2
    if ds.task == "regression":
        assert ds.Y.dtype == np.float64
    else:
        assert ds.Y.shape == (1, m) and ds.Y.dtype == np.int64
        assert ds.Y.min() >= 0 and ds.Y.max() < ds.n_classes


# ----------------------------------------------------------------------------- generators


def course_load_planar_dataset():
    """The course's load_planar_dataset, verbatim (global seed), returned transposed."""
    np.random.seed(1)
    m = 400  # number of examples
    N = int(m / 2)  # number of points per class
    D = 2  # dimensionality
    X = np.zeros((m, D))  # data matrix where each row is a single example
    Y = np.zeros((m, 1), dtype="uint8")  # labels vector (0 for red, 1 for blue)
    a = 4  # maximum ray of the flower
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_equals_course_exactly():
    X, Y = course_load_planar_dataset()
    ds = datasets.planar()
    assert_layout(ds, 2, 400)
    assert np.array_equal(ds.X, X)  # bit for bit, not allclose
    assert np.array_equal(ds.Y, Y)
    assert ds.task == "binary"


def test_planar_leaves_global_random_state_alone():
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    datasets.planar()
    assert np.random.rand() == expected


def test_planar_rejects_odd_m():
    with pytest.raises(ValueError, match="even"):
        datasets.planar(401)


@pytest.mark.parametrize(
    "make, n_x, m, n_classes",
    [
        (lambda: datasets.moons(101), 2, 101, 2),
        (lambda: datasets.circles(100), 2, 100, 2),
        (lambda: datasets.blobs(90), 2, 90, 2),
        (lambda: datasets.blobs(90, n_classes=4, n_features=5), 5, 90, 4),
        (lambda: datasets.spiral(300), 2, 300, 3),
        (lambda: datasets.spiral(50, n_classes=5), 2, 50, 5),
        (lambda: datasets.xor(64), 2, 64, 2),
    ],
)
def test_generators_shapes_dtypes_and_balance(make, n_x, m, n_classes):
    ds = make()
    assert_layout(ds, n_x, m)
    assert ds.task == ("binary" if n_classes == 2 else "multiclass")
    counts = np.bincount(ds.Y[0], minlength=n_classes)
    if ds.name != "xor":  # xor labels follow the random points; the others are balanced
        assert counts.max() - counts.min() <= 1
    assert len(counts) == n_classes and (counts > 0).all()


@pytest.mark.parametrize(
    "make", [datasets.moons, datasets.circles, datasets.blobs, datasets.spiral, datasets.xor]
)
def test_generators_are_seeded(make):
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.Y, b.Y)
    assert not np.array_equal(a.X, c.X)


def test_noise_zero_gives_clean_geometry():
    ds = datasets.circles(40, noise=0.0, factor=0.3)
    radius = np.linalg.norm(ds.X, axis=0)
    assert np.allclose(radius[ds.Y[0] == 0], 1.0)
    assert np.allclose(radius[ds.Y[0] == 1], 0.3)
    ds = datasets.xor(100, noise=0.0)
    assert np.array_equal(ds.Y[0], (np.sign(ds.X[0]) != np.sign(ds.X[1])).astype(int))


def test_parity_enumerates_all_bit_strings():
    ds = datasets.parity(3)
    assert_layout(ds, 3, 8)
    # column j holds the bits of j, most significant first
    assert ds.X[:, 5].tolist() == [1.0, 0.0, 1.0]
    assert len({tuple(c) for c in ds.X.T}) == 8
    assert ds.Y.tolist() == [[0, 1, 1, 0, 1, 0, 0, 1]]
    big = datasets.parity(10)
    assert np.array_equal(big.Y[0], big.X.sum(axis=0).astype(int) % 2)


# ----------------------------------------------------------------------------- cat (HDF5)


@pytest.mark.skipif(not HAS_H5PY, reason="h5py not installed (pip install layerwise[hdf5])")
@pytest.mark.skipif(not HAS_CAT, reason="course cat files not found (set LAYERWISE_DATA)")
def test_cat_matches_course_preprocessing():
    import h5py

    train, test = datasets.cat()
    assert_layout(train, 12288, 209)
    assert_layout(test, 12288, 50)
    assert train.class_names == ["non-cat", "cat"] and train.task == "binary"
    assert train.X.min() >= 0.0 and train.X.max() <= 1.0
    with h5py.File(CAT_DIR / "train_catvnoncat.h5") as f:
        x, y = f["train_set_x"][:], f["train_set_y"][:]
    assert np.array_equal(train.X, x.reshape(x.shape[0], -1).T / 255.0)
    assert np.array_equal(train.Y, y.reshape(1, -1))


@pytest.mark.skipif(not HAS_CAT, reason="course cat files not found (set LAYERWISE_DATA)")
def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATA", str(tmp_path))
    assert datasets.data_dir() == tmp_path.resolve()
    assert datasets.data_dir(CAT_DIR) == CAT_DIR  # the argument wins over the environment
    with pytest.raises(FileNotFoundError, match="cat"):
        datasets.cat()  # the env folder has no cat files


def test_data_dir_error_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere.*LAYERWISE_DATA"):
        datasets.data_dir()
    monkeypatch.delenv("LAYERWISE_DATA")
    monkeypatch.chdir(tmp_path)
    if _data_dir_or_none() is None:
        with pytest.raises(FileNotFoundError, match="current directory.*repository root"):
            datasets.data_dir()


@pytest.mark.skipif(not HAS_H5PY, reason="h5py not installed (pip install layerwise[hdf5])")
def test_load_hdf5_flattens_images_and_names_classes(tmp_path):
    import h5py

    x = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    path = tmp_path / "imgs.h5"
    with h5py.File(path, "w") as f:
        f["images"] = x
        f["labels"] = np.array([b"dog", b"cat", b"dog", b"cat", b"cat"])
        f["short"] = np.zeros(4)
    ds = datasets.load(path, x_key="images", y_key="labels")
    assert_layout(ds, 6, 5)
    assert np.array_equal(ds.X[:, 2], x[2].ravel())
    assert ds.class_names == ["cat", "dog"] and ds.Y.tolist() == [[1, 0, 1, 0, 0]]
    with pytest.raises(ValueError, match=r"'images'.*\(5, 2, 3\).*'short'.*\(4,\)"):
        datasets.load_hdf5(path, "images", "short")
    with pytest.raises(ValueError, match="no dataset .X. .x_key.*images"):
        datasets.load_hdf5(path, "X", "labels")


# ----------------------------------------------------------------------------- CSV / npz


def test_csv_numeric_labels_round_trip(tmp_path):
    X = np.array([[0.5, -1.0, 2.0], [3.0, 4.25, 1e-3]])  # (n_x=2, m=3)
    Y = np.array([[1, 0, 1]])
    path = tmp_path / "toy.csv"
    rows = ["a,b,label"] + [f"{a!r},{b!r},{y}" for a, b, y in zip(*X.tolist(), Y[0], strict=True)]
    path.write_text("\n".join(rows) + "\n")
    ds = datasets.load(path)
    assert_layout(ds, 2, 3)
    assert np.array_equal(ds.X, X) and np.array_equal(ds.Y, Y)
    assert ds.feature_names == ["a", "b"] and ds.task == "binary" and ds.name == "toy"


def test_csv_string_labels_and_label_by_name_or_index(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("species;len;width\nsetosa;1;2\nvirginica;3;4\nsetosa;5;6\nversicolor;7;8\n")
    by_name = datasets.load_csv(path, label="species", delimiter=";")
    by_index = datasets.load_csv(path, label=0, delimiter=";")
    for ds in (by_name, by_index):
        assert_layout(ds, 2, 4)
        assert ds.class_names == ["setosa", "versicolor", "virginica"]
        assert ds.Y.tolist() == [[0, 2, 0, 1]] and ds.task == "multiclass"
        assert ds.X.tolist() == [[1, 3, 5, 7], [2, 4, 6, 8]]
        assert ds.feature_names == ["len", "width"]
        # the names map labels back to the file's strings
        decoded = [ds.class_names[k] for k in ds.Y[0]]
        assert decoded == ["setosa", "virginica", "setosa", "versicolor"]


def test_csv_non_numeric_cell_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("height,weight,label\n1,2,0\n3,heavy,1\n")
    with pytest.raises(ValueError, match=r"row 3, column 'weight'.*'heavy'"):
        datasets.load_csv(path)


def test_csv_needs_header_and_known_label(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("1,2,0\n3,4,1\n")
    with pytest.raises(ValueError, match="header"):
        datasets.load_csv(path)
    path = tmp_path / "ok.csv"
    path.write_text("a,b\n1,0\n")
    with pytest.raises(ValueError, match=r"no column 'y'.*\['a', 'b'\]"):
        datasets.load_csv(path, label="y")


def test_label_inference_and_override(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate([10, 30, 20, 30])))
    ds = datasets.load_csv(path)  # integer labels that are not 0..k-1 are mapped, names kept
    assert ds.task == "multiclass" and ds.Y.tolist() == [[0, 2, 1, 2]]
    assert ds.class_names == ["10", "20", "30"]
    reg = datasets.load_csv(path, task="regression")
    assert reg.task == "regression" and reg.Y.tolist() == [[10.0, 30.0, 20.0, 30.0]]
    path.write_text("x,y\n1,0.5\n2,1.5\n")
    assert datasets.load_csv(path).task == "regression"


def test_npz_rows_and_columns(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3))  # rows are examples
    y = np.array([0, 1, 1, 0, 1, 0])
    np.savez(tmp_path / "rows.npz", X=x, Y=y)
    ds = datasets.load(tmp_path / "rows.npz")
    assert_layout(ds, 3, 6)
    assert np.array_equal(ds.X, x.T) and np.array_equal(ds.Y, y.reshape(1, -1))
    np.savez(tmp_path / "cols.npz", feats=x.T, target=y.reshape(1, -1).astype(float) + 0.5)
    ds = datasets.load_npz(tmp_path / "cols.npz", "feats", "target", rows_are_examples=False)
    assert_layout(ds, 3, 6)
    assert ds.task == "regression" and np.array_equal(ds.Y, y.reshape(1, -1) + 0.5)
    np.savez(tmp_path / "multi.npz", X=x, Y=rng.normal(size=(6, 2)))
    assert datasets.load(tmp_path / "multi.npz").Y.shape == (2, 6)
    np.savez(tmp_path / "bad.npz", X=x, Y=y[:5])
    with pytest.raises(ValueError, match=r"'X'.*\(6, 3\).*'Y'.*\(5,\)"):
        datasets.load(tmp_path / "bad.npz")


def test_npz_refuses_pickles(tmp_path):
    np.savez(tmp_path / "obj.npz", X=np.zeros((2, 1)), Y=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="[Pp]ickle"):
        datasets.load(tmp_path / "obj.npz")


# ----------------------------------------------------------------------------- scikit-learn


@pytest.mark.skipif(not HAS_SKLEARN, reason="scikit-learn not installed (layerwise[sklearn])")
@pytest.mark.parametrize(
    "name, n_x, m, task, n_classes",
    [
        ("digits", 64, 1797, "multiclass", 10),
        ("breast_cancer", 30, 569, "binary", 2),
        ("iris", 4, 150, "multiclass", 3),
        ("diabetes", 10, 442, "regression", None),
        ("wine", 13, 178, "multiclass", 3),
    ],
)
def test_sklearn_sets(name, n_x, m, task, n_classes):
    from sklearn import datasets as skd

    ds = datasets.load(name)
    assert_layout(ds, n_x, m)
    assert ds.task == task and ds.n_classes == n_classes
    assert len(ds.feature_names) == n_x
    bunch = getattr(skd, f"load_{name}")()
    assert np.array_equal(ds.X, bunch.data.T)
    assert np.array_equal(ds.Y[0], bunch.target)


# ----------------------------------------------------------------------------- registry


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as err:
        datasets.load("mnist")
    for name in ("planar", "moons", "parity", "cat", "iris", "diabetes", ".csv", ".npz", ".h5"):
        assert name in str(err.value)


def test_load_passes_options():
    assert datasets.load("parity", n_bits=5).m == 32
    assert datasets.load("blobs", m=30, n_classes=3).task == "multiclass"


def test_dataset_refuses_rank_one_and_mismatched_arrays():
    with pytest.raises(ValueError, match="2-D"):
        datasets.Dataset(np.zeros(3), np.zeros((1, 3), dtype=int), "binary")
    with pytest.raises(ValueError, match="disagree"):
        datasets.Dataset(np.zeros((2, 3)), np.zeros((1, 4), dtype=int), "binary")
    with pytest.raises(ValueError, match="task"):
        datasets.Dataset(np.zeros((2, 3)), np.zeros((1, 3)), "ranking")


# ----------------------------------------------------------------------------- preprocessing


def test_standardizer_round_trip_and_json():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[[3.0], [-2.0], [7.0]], scale=[[2.0], [0.5], [0.0]], size=(3, 50))
    s = datasets.Standardizer().fit(X)
    assert s.mean_.shape == (3, 1) and s.std_.shape == (3, 1)
    assert s.std_[2, 0] == 1.0  # constant feature: std 0 -> 1
    Z = s.transform(X)
    assert np.allclose(Z[:2].mean(axis=1), 0) and np.allclose(Z[:2].std(axis=1), 1)
    assert np.allclose(Z[2], 0)
    assert np.allclose(s.inverse_transform(Z), X)
    restored = datasets.Standardizer.from_dict(json.loads(json.dumps(s.to_dict())))
    assert np.array_equal(restored.transform(X), Z)
    with pytest.raises(RuntimeError, match="fit"):
        datasets.Standardizer().transform(X)
    with pytest.raises(ValueError, match=r"\(3, m\)"):
        s.transform(X[:2])


def test_one_hot():
    labels = np.array([[2, 0, 1, 2]])
    Y = datasets.one_hot(labels, 4)
    assert Y.shape == (4, 4) and Y.dtype == np.float64
    assert Y.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1], [0, 0, 0, 0]]
    assert np.array_equal(Y.argmax(axis=0, keepdims=True), labels)
    assert datasets.one_hot(labels).shape == (3, 4)
    with pytest.raises(ValueError, match=r"\(1, m\)"):
        datasets.one_hot(np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="0..1"):
        datasets.one_hot(labels, 2)


# ----------------------------------------------------------------------------- splits


def test_split_stratified_keeps_class_proportions():
    # 3 classes in proportions 50% / 30% / 20%, listed in order
    Y = np.repeat([0, 1, 2], [100, 60, 40]).reshape(1, -1)
    X = np.arange(200, dtype=float).reshape(1, -1)
    X_tr, X_te, Y_tr, Y_te = datasets.train_test_split(X, Y, test_size=0.25, seed=1)
    assert X_tr.shape == (1, 150) and X_te.shape == (1, 50) and Y_te.shape == (1, 50)
    assert np.bincount(Y_te[0]).tolist() == [25, 15, 10]
    assert np.bincount(Y_tr[0]).tolist() == [75, 45, 30]
    # a partition: every column once, X and Y still paired
    assert sorted(np.r_[X_tr[0], X_te[0]]) == list(range(200))
    assert np.array_equal(Y[0, X_te[0].astype(int)], Y_te[0])


def test_split_dataset_seeded_and_three_way():
    ds = datasets.planar()
    train, test = datasets.train_test_split(ds, test_size=0.2, seed=5)
    again, _ = ds.split(test_size=0.2, seed=5)
    assert isinstance(train, datasets.Dataset) and train.m == 320 and test.m == 80
    assert np.array_equal(train.X, again.X)
    assert np.bincount(test.Y[0]).tolist() == [40, 40]
    train, val, test = datasets.train_val_test_split(ds, val_size=0.1, test_size=0.2, seed=0)
    assert (train.m, val.m, test.m) == (280, 40, 80)
    assert np.bincount(val.Y[0]).tolist() == [20, 20]
    cols = np.concatenate([train.X, val.X, test.X], axis=1)
    assert np.array_equal(np.unique(cols, axis=1), np.unique(ds.X, axis=1))


def test_split_regression_and_sizes():
    X, Y = np.zeros((2, 10)), np.linspace(0, 1, 10).reshape(1, -1)
    parts = datasets.train_val_test_split(X, Y, val_size=2, test_size=3)
    assert [p.shape[1] for p in parts] == [5, 2, 3, 5, 2, 3]
    with pytest.raises(ValueError, match="no training examples"):
        datasets.train_val_test_split(X, Y, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, Y, test_size=1.5)


def test_missing_optional_extras_name_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"layerwise\[sklearn\]"):
        datasets.load("iris")
    with pytest.raises(ImportError, match=r"layerwise\[hdf5\]"):
        datasets.load_hdf5(tmp_path / "any.h5")
