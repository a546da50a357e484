"""Real-world tables end to end: messy CSV / Parquet files made from scikit-learn's data sets
train with the defaults, the saved model predicts raw messy rows exactly as the CLI does, the
Python route (``fit_table`` on a DataFrame) gives the CLI's model, accuracy matches a
scikit-learn ColumnTransformer + MLPClassifier pipeline, and regression works with the defaults."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="tabular files need pandas: install layerwise[cli]")
pytest.importorskip("sklearn", reason="the messy files are made from scikit-learn's data sets")

import layerwise as lw  # noqa: E402
from layerwise import datasets  # noqa: E402
from layerwise.cli.options import part_indices  # noqa: E402
from layerwise.data.tables import read_table  # noqa: E402
from layerwise.preprocessing import UnseenCategoryWarning  # noqa: E402
from layerwise.tabular import fit_table  # noqa: E402
from messy_csv import messy_frame, write_messy_csv  # noqa: E402


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "layerwise", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def ok(*args, cwd):
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def patients(tmp_path_factory):
    """A messy breast-cancer CSV trained with the defaults: (folder, frame, train result)."""
    folder = tmp_path_factory.mktemp("patients")
    frame = messy_frame("breast_cancer")
    write_messy_csv(frame, folder / "patients.csv")
    frame.to_parquet(folder / "patients.parquet", index=False)
    result = ok("train", "--data", "patients.csv", "--id", "id", "--out", "run", "--quiet", cwd=folder)
    return folder, frame, result


def new_rows(frame, n=40):
    """Rows to predict: no label, some unseen categories and extra missing cells, comma-separated."""
    rows = frame.drop(columns=["label"]).sample(n, random_state=3).reset_index(drop=True)
    band = [c for c in rows.columns if c.endswith(" band")][0]
    rows.loc[:4, band] = "off the scale"  # not seen in training
    rows.loc[5:9, "mean area"] = np.nan
    rows.loc[10:12, band] = None
    return rows


def test_defaults_train_a_messy_file(patients):
    folder, frame, result = patients
    out = result.stdout
    assert "training [" in out and "on patients.csv" in out
    assert "standardising them" in out  # the scales differ by orders of magnitude: a note says so
    assert re.search(r"validation accuracy 9\d\.\d\d %", out), out
    model = lw.load(folder / "run" / "model.npz")
    assert model.label == "label" and model.classes.tolist() == ["benign", "malignant"]
    assert model.features == [c for c in frame.columns if c not in ("id", "label")]
    assert [type(s).__name__ for s in model.pipeline.steps] == ["OneHotEncoder", "Imputer", "Standardizer"]
    with np.load(folder / "run" / "model.npz", allow_pickle=False) as f:  # the steps' state is typed arrays
        assert f["input.0.categories"].dtype.kind == "U" and f["input.1.values"].dtype == np.float64


def test_saved_model_predicts_raw_messy_rows_as_the_cli_does(patients):
    folder, frame, _ = patients
    rows = new_rows(frame)
    rows.to_csv(folder / "new.csv", index=False)
    result = ok("predict", "run/model.npz", "new.csv", "--out", "p.csv", cwd=folder)
    assert "5 values not seen in training" in result.stderr or "not seen in training" in result.stderr, result.stderr
    written = pd.read_csv(folder / "p.csv")
    assert written["id"].tolist() == rows["id"].tolist()  # the --id column the model remembers is carried over

    model = lw.load(folder / "run" / "model.npz")
    with pytest.warns(UnseenCategoryWarning, match="not seen in training"):
        predicted = model.predict(pd.read_csv(folder / "new.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenCategoryWarning)
        proba = model.predict_proba(pd.read_csv(folder / "new.csv"))
    assert written["prediction"].tolist() == predicted.tolist()
    np.testing.assert_array_equal(written[["p_benign", "p_malignant"]].to_numpy(), proba)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenCategoryWarning)
        assert model.predict(read_table(folder / "new.csv")).tolist() == predicted.tolist()  # the reader's Table, as the CLI has it


def test_parquet_copy_gives_the_same_model(patients):
    folder, _, _ = patients
    ok("train", "--data", "patients.parquet", "--id", "id", "--out", "pq", "--quiet", "--no-plots", cwd=folder)
    a, b = lw.load(folder / "run" / "model.npz"), lw.load(folder / "pq" / "model.npz")
    for key in a.parameters:
        np.testing.assert_array_equal(a.parameters[key], b.parameters[key])


def test_python_fit_table_gives_the_cli_model(patients):
    folder, _, _ = patients
    frame = pd.read_csv(folder / "patients.csv", sep=";")  # pandas strips the byte-order mark itself
    model = fit_table(frame, label="label", id=["id"])
    cli = lw.load(folder / "run" / "model.npz")
    assert model.features == cli.features and model.classes.tolist() == cli.classes.tolist()
    for key in cli.parameters:
        np.testing.assert_array_equal(model.parameters[key], cli.parameters[key])


def sklearn_accuracy(frame, roles_features, categorical, labels, seed=1, validation_split=0.2):
    """Validation accuracy of SimpleImputer(median) + OneHotEncoder (missing as a category) +
    StandardScaler + MLPClassifier with layerwise's default network, on the CLI's split."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    classes, codes = np.unique(labels, return_inverse=True)
    idx = part_indices(len(frame), codes, validation_split=validation_split, seed=seed)
    X = frame[roles_features].copy()
    for c in categorical:
        X[c] = X[c].astype(object).where(X[c].notna(), "<missing>")
    numeric = [c for c in roles_features if c not in categorical]
    columns = ColumnTransformer([("num", SimpleImputer(strategy="median"), numeric),
                                 ("cat", OneHotEncoder(handle_unknown="ignore"), categorical)])  # fmt: skip
    mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", max_iter=5000, random_state=0)
    pipe = make_pipeline(columns, StandardScaler(), mlp).fit(X.iloc[idx["train"]], labels[idx["train"]])
    return pipe.score(X.iloc[idx["validation"]], labels[idx["validation"]])


@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_accuracy_within_a_point_of_scikit_learn(tmp_path, name):
    frame = messy_frame(name)
    write_messy_csv(frame, tmp_path / "d.csv")
    ok("train", "--data", "d.csv", "--id", "id", "--out", "run", "--quiet", "--no-plots", cwd=tmp_path)
    ours = json.loads((tmp_path / "run" / "metrics.json").read_text())["validation"]["accuracy"]
    model = lw.load(tmp_path / "run" / "model.npz")
    categorical = model.pipeline.steps[0].columns
    theirs = sklearn_accuracy(frame, model.features, categorical, frame["label"].to_numpy())
    assert ours >= theirs - 0.01, (ours, theirs)


def test_regression_with_the_defaults_matches_linear_regression(tmp_path):
    from sklearn.linear_model import LinearRegression

    result = ok("train", "--data", "diabetes", "--out", "run", cwd=tmp_path)
    assert "diverged" not in result.stdout + result.stderr
    r2 = re.search(r"validation R2 (-?\d\.\d+)", result.stdout)
    assert r2 and 3 <= len(r2.group(1).replace("-", "").replace("0.", "", 1).lstrip("0")) <= 4, result.stdout  # 3-4 significant digits
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    ds = datasets.diabetes()
    idx = part_indices(ds.m, None, validation_split=0.2, seed=1)
    linear = LinearRegression().fit(ds.X[:, idx["train"]].T, ds.Y[0, idx["train"]])
    baseline = linear.score(ds.X[:, idx["validation"]].T, ds.Y[0, idx["validation"]])
    assert metrics["validation"]["r2"] >= baseline - 0.03, (metrics["validation"]["r2"], baseline)
    assert 30 < metrics["validation"]["rmse"] < 100  # in the target's own units (disease progression 25..346)
    assert (tmp_path / "run" / "predicted_vs_actual.png").is_file()


def test_table_options_reach_the_model(tmp_path):
    frame = messy_frame("wine", seed=1)
    frame.insert(1, "batch", np.arange(len(frame)) % 3 + 1)  # integer codes: categories only when asked
    frame.loc[:4, "label"] = None  # rows without a label are left out, and counted
    text = frame.to_csv(index=False, sep="\t")
    (tmp_path / "w.tsv").write_bytes(text.encode("cp1252"))
    result = ok("train", "--data", "w.tsv", "--delimiter", "tab", "--encoding", "cp1252", "--id", "id", "--drop", "ash",
                "--categorical", "batch", "--impute", "mean", "--missing-indicator", "--max-categories", "3",
                "--iterations", "300", "--no-plots", "--quiet", "--out", "run", cwd=tmp_path)  # fmt: skip
    assert "note: 5 of 178 rows have no 'label' (the label): left out" in result.stdout
    assert "more than max_categories=3" in result.stdout and "share the column" in result.stdout
    model = lw.load(tmp_path / "run" / "model.npz")
    one_hot, impute = model.pipeline.steps[:2]
    assert "ash" not in model.features and "batch" in model.categorical
    assert one_hot.names_out_[:3] == ["batch=1", "batch=2", "batch=3"]
    band = [c for c in model.categorical if c.endswith(" band")][0]
    assert f"{band}=<other>" in one_hot.names_out_  # 4 bands capped at 3 columns: the rarest 2 pooled
    assert impute.strategy == "mean" and any(n.endswith("=<missing>") for n in impute.names_out_[len(impute.names_in_):])
    assert model.info["run"]["id"] == ["id"] and model.info["run"]["impute"] == "mean"
    # the saved run's config trains the same model again
    ok("train", "--config", "run/config.toml", "--out", "again", "--quiet", "--no-plots", cwd=tmp_path)
    again = lw.load(tmp_path / "again" / "model.npz")
    for key in model.parameters:
        np.testing.assert_array_equal(model.parameters[key], again.parameters[key])


def test_table_errors_are_one_line(tmp_path):
    write_messy_csv(messy_frame("iris"), tmp_path / "i.csv")
    for argv, words in [
        (["--id", "nope"], "no column 'nope'"),
        (["--label", "label", "--drop", "label"], "--drop label: 'label' is the label column"),
        (["--max-categories", "1"], "is not an integer >= 2"),
        (["--impute", "mode"], "'mode' is not one of median, mean, zero"),
    ]:
        result = run("train", "--data", "i.csv", "--quiet", "--no-plots", "--out", "o", *argv, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_divergence_advice_knows_the_features_are_standardised(tmp_path):
    result = run("train", "--data", "diabetes", "--standardize", "--learning-rate", "50", "--iterations", "200", "--quiet",
                 "--no-plots", "--out", "o", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1 and "diverged" in result.stderr
    assert "Try a smaller learning rate (now 50)." in result.stderr and "standardise X" not in result.stderr


def test_plots_draw_what_they_say(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="the plots need matplotlib")
    from layerwise import cli, plots

    figures = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.setdefault(path.name, fig) and path)
    assert not plots.spans_decades([0.7, 0.5, 0.3]) and plots.spans_decades([0.7, np.inf, 0.005])
    actual, predicted = np.array([10.0, 20.0, 30.0]), np.array([12.0, 18.0, 33.0])
    plots.plot_predicted_vs_actual({"train": (actual, predicted), "validation": (actual[:1], predicted[:1])}, tmp_path / "pa.png", name="y")
    ax = figures["pa.png"].axes[0]
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), np.c_[actual, predicted])  # one point per example
    assert len(ax.collections[1].get_offsets()) == 1 and ax.get_xlabel() == "actual y"
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [[10, 10], [33, 33]])  # the line predicted = actual

    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--data", "diabetes", "--iterations", "50", "--quiet", "--out", "r"]) == 0
    assert figures["cost.png"].axes[0].get_yscale() == "linear"  # 0.49 -> 0.3: no decades to show
    assert len(figures["predicted_vs_actual.png"].axes[0].collections[0].get_offsets()) == 354
    write_messy_csv(messy_frame("breast_cancer"), tmp_path / "p.csv")
    figures.clear()
    assert cli.main(["train", "--data", "p.csv", "--id", "id", "--iterations", "2000", "--quiet", "--out", "c"]) == 0
    assert figures["cost.png"].axes[0].get_yscale() == "log"  # 0.74 -> 1e-3: decades


def test_regression_on_a_messy_file_predicts_in_its_units_as_python_does(tmp_path):
    from messy_csv import new_rows

    frame = messy_frame("diabetes")
    write_messy_csv(frame, tmp_path / "d.csv", sep=",", bom=False)
    result = ok("train", "--data", "d.csv", "--id", "id", "--quiet", "--no-plots", "--out", "run", cwd=tmp_path)
    assert re.search(r"validation R2 0\.\d{4}, RMSE \d\d\.\d\d, MAE \d\d\.\d\d", result.stdout), result.stdout
    new_rows(frame, 15).to_csv(tmp_path / "new.csv", index=False)
    ok("predict", "run/model.npz", "new.csv", "--out", "p.csv", cwd=tmp_path)
    written = pd.read_csv(tmp_path / "p.csv")
    model = lw.load(tmp_path / "run" / "model.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenCategoryWarning)
        expected = model.predict(pd.read_csv(tmp_path / "new.csv"))
    np.testing.assert_array_equal(written["prediction"].to_numpy(), expected)
    assert 25 < expected.min() and expected.max() < 350  # disease progression, not standardised units


def test_missing_markers_are_refused_until_named_then_remembered(tmp_path):
    frame = messy_frame("iris", n_categorical=0)
    column = frame.columns[1]
    text = frame.to_csv(index=False).replace(",,", ",?,")  # the file marks empty cells with "?"
    (tmp_path / "q.csv").write_text(text)
    result = run("train", "--data", "q.csv", "--id", "id", "--quiet", "--no-plots", "--out", "o", cwd=tmp_path)
    assert result.returncode == 2 and "'?' is not a number" in result.stderr and "--na-values '?'" in result.stderr, result.stderr
    ok("train", "--data", "q.csv", "--id", "id", "--na-values", "?", "--quiet", "--no-plots", "--out", "o", cwd=tmp_path)
    result = ok("predict", "o/model.npz", "q.csv", "--out", "p.csv", cwd=tmp_path)  # the model reads "?" as missing too
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(frame) and column in lw.load(tmp_path / "o" / "model.npz").features
