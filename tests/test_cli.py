"""The ``layerwise`` command, run as users run it: the real entry point in a subprocess."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import layerwise
from layerwise import cli, datasets


def run(*args, cwd, env=None, timeout=120):
    """``python -m layerwise ARGS`` in ``cwd``; the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "layerwise", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def _has_cat() -> bool:
    try:
        return (datasets.data_dir() / "train_catvnoncat.h5").is_file()
    except FileNotFoundError:
        return False


needs_cat = pytest.mark.skipif(not _has_cat(), reason="the course's cat files are not here (set LAYERWISE_DATA to their folder)")


@pytest.fixture(scope="module")
def planar_run(tmp_path_factory):
    """The main job exactly as `make demo` runs it: `layerwise train`, no arguments."""
    cwd = tmp_path_factory.mktemp("demo")
    result = run("train", cwd=cwd)
    assert result.returncode == 0, result.stderr
    (out,) = (cwd / "runs").iterdir()
    return result, out


def test_main_job_trains_the_planar_network_to_about_90_percent(planar_run):
    result, out = planar_run
    assert "training [2, 4, 1] (tanh -> sigmoid) on planar (320 train, 80 validation examples)" in result.stdout
    assert "Cost after iteration 0:" in result.stdout  # not a terminal: a cost line every N iterations
    assert f"wrote runs/{out.name}" in result.stdout or f"wrote runs{os.sep}{out.name}" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["iterations"] == 5000
    assert metrics["train"]["accuracy"] > 0.85 and metrics["validation"]["accuracy"] > 0.85
    assert {"model.npz", "history.csv", "metrics.json", "config.toml"} <= {p.name for p in out.iterdir()}
    with open(out / "history.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["iteration", "cost", "val_cost", "val_accuracy", "learning_rate"] and len(rows) == 5001
    if cli.importlib.util.find_spec("matplotlib"):
        assert (out / "cost.png").is_file() and (out / "decision_boundary.png").is_file()


def test_model_file_records_the_run(planar_run):
    _, out = planar_run
    net = layerwise.load(out / "model.npz")
    assert net.layer_dims == [2, 4, 1] and net.info["data"] == "planar"
    run_settings = net.info["run"]
    assert run_settings["learning_rate"] == 1.2 and run_settings["seed"] == 1 and run_settings["init"] == "xavier"
    assert len(net.history_.costs) == 5000


def test_evaluate_reproduces_the_validation_split(planar_run):
    _, out = planar_run
    result = run("evaluate", out / "model.npz", "planar", "--split", "validation", "--json", cwd=out)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    metrics = json.loads((out / "metrics.json").read_text())
    assert report["m"] == 80 and report["accuracy"] == metrics["validation"]["accuracy"]
    assert set(report["per_class"]) == {"0", "1"} and "macro" in report
    assert np.sum(report["confusion_matrix"]) == 80
    text = run("evaluate", out / "model.npz", "planar", cwd=out)
    assert "confusion matrix" in text.stdout and "m = 400" in text.stdout


def test_predict_writes_what_the_loaded_model_predicts(planar_run, tmp_path):
    _, out = planar_run
    result = run("predict", out / "model.npz", "planar", "--out", tmp_path / "p.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "p.csv") as f:
        rows = list(csv.DictReader(f))
    data = datasets.planar()
    expected = layerwise.load(out / "model.npz").predict(data.X)[0]
    assert [int(r["prediction"]) for r in rows] == expected.tolist()
    assert [int(r["label"]) for r in rows] == data.Y[0].tolist()
    assert all(abs(float(r["p_0"]) + float(r["p_1"]) - 1) < 1e-12 for r in rows)


def test_toml_config_with_flags_overriding(tmp_path):
    (tmp_path / "run.toml").write_text(textwrap.dedent("""
        data = "moons"
        layers = [3]
        hidden = "relu"
        learning-rate = 0.5
        iterations = 400
        seed = 7
        plots = false
    """))
    result = run("train", "--config", "run.toml", "--iterations", "50", "--out", "out", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Cost after" not in result.stdout  # --quiet
    net = layerwise.load(tmp_path / "out" / "model.npz")
    assert net.layer_dims == [2, 3, 1] and net.activations[0].spec == "relu"
    assert len(net.history_.costs) == 50 and net.info["run"]["seed"] == 7
    assert cli.read_config(tmp_path / "out" / "config.toml")["iterations"] == 50  # the run's own config reads back


def test_csv_with_named_label_and_standardisation(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 120)) * [[1.0], [100.0]] + [[5.0], [-300.0]]
    labels = np.where(X[0] - 5 + (X[1] + 300) / 100 > 0, "yes", "no")
    with open(tmp_path / "d.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "answer", "b"])
        w.writerows([[X[0, i], labels[i], X[1, i]] for i in range(120)])
    result = run("train", "--data", "d.csv", "--label", "answer", "--standardize", "--layers", "none", "--learning-rate", "1",
                 "--iterations", "300", "--test-split", "0.25", "--out", "o", "--no-plots", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    net = layerwise.load(tmp_path / "o" / "model.npz")
    assert net.layer_dims == [2, 1] and net.classes.tolist() == ["no", "yes"] and net.label == "answer"
    assert net.features == ["a", "b"] and net.pipeline.steps[-1].mean_.shape == (2, 1)  # after the imputer every table gets
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > 0.9
    report = json.loads(run("evaluate", "o/model.npz", "d.csv", "--split", "test", "--json", cwd=tmp_path).stdout)
    assert report["accuracy"] == metrics["test"]["accuracy"] and set(report["per_class"]) == {"no", "yes"}


@needs_cat
def test_cat_files_train_evaluate_predict(tmp_path):
    result = run("train", "--data", "cat", "--layers", "3", "--hidden", "relu", "--learning-rate", "0.0075",
                 "--iterations", "3", "--validation-split", "0", "--out", "cat", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(209 train, 50 test examples)" in result.stdout and "test accuracy" in result.stdout
    if cli.importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "cat" / "mislabelled.png").is_file()
    report = json.loads(run("evaluate", "cat/model.npz", "cat", "--json", cwd=tmp_path).stdout)
    assert report["split"] == "test" and report["m"] == 50 and set(report["per_class"]) == {"non-cat", "cat"}
    assert run("predict", "cat/model.npz", "cat", "--out", "p.csv", cwd=tmp_path).returncode == 0
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 51


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (["train", "--data", "missing.csv"], "missing.csv: no such file"),
        (["evaluate", "model.csv", "planar"], "not a layerwise model file"),
    ],
)
def test_bad_usage_and_bad_input_exit_2_with_one_line(tmp_path, args, fragment):
    (tmp_path / "model.csv").write_text("not,a\nmodel,file\n")
    assert_one_line_error(run(*args, cwd=tmp_path), fragment)


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "required: COMMAND"),
        (["train", "--iterations", "0"], "--iterations: 0 is not an integer >= 1"),
        (["train", "--data", "spiral", "--output", "sigmoid"], "use --output softmax"),
        (["train", "--layers", "3,x"], "'x' is not an integer"),
        (["train", "--hidden", "nope"], "unknown activation 'nope'"),
        (["train", "--keep-prob", "0"], "not in (0, 1]"),
        (["train", "--data", "nosuchset"], "unknown dataset 'nosuchset'"),
        (["train", "--data", "planar", "--label", "x"], "--label applies to CSV files"),
        (["train", "--config", "bad.toml"], "unknown key 'learning_rat'"),
        (["train", "--config", "broken.toml"], "broken.toml: not valid TOML"),
        (["train", "--config", "missing.toml"], "missing.toml: No such file or directory"),
        (["evaluate", "missing.npz", "planar"], "no such model file"),
        (["gradcheck", "--output", "softmax", "--n-y", "1"], "softmax output needs at least 2 units"),
    ],
)
def test_bad_usage_in_process(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text("learning_rat = 0.1\n")
    (tmp_path / "broken.toml").write_text("layers = [1,\n")
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_help_everywhere(capsys):
    for args in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["predict", "--help"], ["gradcheck", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(args)
        assert exit_info.value.code == 0
        assert "usage: layerwise" in capsys.readouterr().out


def test_gradcheck_reports_every_parameter(tmp_path):
    result = run("gradcheck", "--layers", "4,3", "--n-x", "3", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["relative_differences"]) == {"dW1", "db1", "dW2", "db2", "dW3", "db3", "all"}
    assert report["flagged"] == [] and max(report["relative_differences"].values()) < 1e-7


def test_gradcheck_flags_and_exits_1(capsys):
    assert cli.main(["gradcheck", "--output", "softmax", "--threshold", "1e-30"]) == 1
    out = capsys.readouterr().out
    assert "FLAGGED" in out and "above 1e-30" in out


def test_gradcheck_on_a_saved_model_and_data(planar_run, capsys):
    _, out = planar_run
    assert cli.main(["gradcheck", "--model", str(out / "model.npz"), "--data", "planar", "--m", "4"]) == 0
    assert "gradient check of [2, 4, 1] (tanh, sigmoid), m = 4" in capsys.readouterr().out


def test_divergence_saves_the_last_finite_model_and_exits_1(tmp_path):
    result = run("train", "--learning-rate", "100", "--layers", "50", "--hidden", "relu", "--iterations", "300",
                 "--no-plots", "--out", "d", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "training diverged" in result.stderr and "Traceback" not in result.stderr
    assert json.loads((tmp_path / "d" / "metrics.json").read_text())["status"] == "diverged"
    assert np.isfinite(layerwise.load(tmp_path / "d" / "model.npz").parameters["W1"]).all()


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT, as Ctrl-C does in a POSIX terminal")
def test_ctrl_c_saves_what_it_has_and_exits_130(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "train", "--iterations", "10000000", "--print-every", "1000",
                             "--no-plots", "--out", "c"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().startswith("training")
    assert proc.stdout.readline().startswith("Cost after iteration 0")  # training is under way
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted after" in out
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and 0 < metrics["iterations"] < 10000000
    assert len(layerwise.load(tmp_path / "c" / "model.npz").history_.costs) == metrics["iterations"]


def test_command_modules_add_subcommands(tmp_path, monkeypatch, capsys):
    (tmp_path / "lw_fake_command.py").write_text(textwrap.dedent("""
        def add_subcommand(subparsers):
            p = subparsers.add_parser("hello", help="say hello")
            p.add_argument("--name", default="world")
            p.set_defaults(func=lambda args: print(f"hello {args.name}") or 0)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["layerwise.does_not_exist", "lw_fake_command"])
    assert cli.main(["hello", "--name", "course"]) == 0
    assert capsys.readouterr().out == "hello course\n"
