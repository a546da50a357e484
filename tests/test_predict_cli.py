"""``layerwise predict`` / ``evaluate`` on new data: columns by name, with or without labels, one
row or one class, an id carried through, standard input and output, any output target."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import layerwise as lw

pd = pytest.importorskip("pandas", reason="the DataFrame checks need pandas (the test extra)")


def run(*args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "layerwise", *map(str, args)], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def one_line_error(result, fragment):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and fragment in lines[0], result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``layerwise train --standardize`` on a CSV whose string label sits between features on
    scales 1, 1000 and 0.01; the model, the folder, the data (rows as examples) and the CLI's metrics."""
    cwd = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    m = 240
    frame = pd.DataFrame({"name": [f"id{i:03d}" for i in range(m)], "radius": rng.normal(10, 1, m)})
    frame["diagnosis"] = "B"
    frame["area"] = rng.normal(1000, 300, m)
    frame["smooth"] = rng.normal(0.1, 0.01, m)
    score = (frame.radius - 10) + (frame.area - 1000) / 300 - (frame.smooth - 0.1) * 100
    frame.loc[score > 0, "diagnosis"] = "M"
    frame.to_csv(cwd / "cancer.csv", index=False)
    frame[["radius", "diagnosis", "area", "smooth"]].to_csv(cwd / "train.csv", index=False)  # the label in the middle
    result = run("train", "--data", "train.csv", "--label", "diagnosis", "--standardize", "--layers", "4", "--iterations", "800",
                 "--learning-rate", "0.5", "--validation-split", "0.25", "--out", "run", "--no-plots", "--quiet", cwd=cwd)  # fmt: skip
    assert result.returncode == 0, result.stderr
    metrics = json.loads((cwd / "run" / "metrics.json").read_text())
    return lw.load(cwd / "run" / "model.npz"), cwd, frame, metrics


def read_predictions(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_raw_rows_predict_as_the_cli_and_as_training_time_evaluation(trained):
    model, cwd, frame, metrics = trained
    assert model.features == ["radius", "area", "smooth"] and model.label == "diagnosis" and model.classes.tolist() == ["B", "M"]
    assert metrics["validation"]["accuracy"] > 0.9
    X = frame[model.features].to_numpy().T  # an (n_x, m) array in training order
    from_array = model.predict(X)[0]
    reordered = frame[["smooth", "diagnosis", "name", "area", "radius"]]
    assert model.predict(reordered).tolist() == from_array.tolist()  # a DataFrame, columns by name
    result = run("predict", "run/model.npz", "cancer.csv", "--out", "p.csv", cwd=cwd)
    assert result.returncode == 0, result.stderr
    rows = read_predictions((cwd / "p.csv").read_text())
    assert [r["prediction"] for r in rows] == from_array.tolist()
    assert [r["label"] for r in rows] == frame.diagnosis.tolist()
    P = model.predict_proba(X)
    assert [float(r["p_M"]) for r in rows] == P[1].tolist() and [float(r["p_B"]) for r in rows] == P[0].tolist()
    assert "ignoring column 'name'" in result.stderr  # an extra column is ignored, with a note
    # the evaluation at training time saw the same labels: its confusion matrices are those of the
    # Python model's predictions on the same rows (the validation part, split again from the seed)
    from layerwise.cli.options import part_indices
    from layerwise.metrics import confusion_matrix

    parts = part_indices(len(frame), frame.diagnosis.to_numpy(), validation_split=0.25, seed=model.info["run"]["seed"])
    for name, idx in parts.items():
        truth, predicted = model.encode(frame.diagnosis.to_numpy()[idx]), model.encode(from_array[idx])
        assert confusion_matrix(truth, predicted, 2).tolist() == metrics[name]["confusion_matrix"]
    report = json.loads(run("evaluate", "run/model.npz", "train.csv", "--split", "validation", "--json", cwd=cwd).stdout)
    assert report["confusion_matrix"] == metrics["validation"]["confusion_matrix"] and report["m"] == 60
    everything = json.loads(run("evaluate", "run/model.npz", "cancer.csv", "--json", cwd=cwd).stdout)
    assert everything["accuracy"] == np.mean(from_array == frame.diagnosis.to_numpy())


def test_unlabelled_reordered_rows_with_an_id_from_stdin_to_stdout(trained):
    model, cwd, frame, _ = trained
    new = frame[["area", "name", "smooth", "radius"]].iloc[:25]  # no label column, another order
    result = run("predict", "run/model.npz", "-", "--id", "name", "--out", "-", cwd=cwd, stdin=new.to_csv(index=False))
    assert result.returncode == 0, result.stderr
    rows = read_predictions(result.stdout)
    assert list(rows[0]) == ["name", "prediction", "p_B", "p_M"]
    assert [r["name"] for r in rows] == new.name.tolist()
    assert [r["prediction"] for r in rows] == model.predict(new).tolist()
    assert "wrote 25 predictions" in result.stderr and not (cwd / "-").exists()


def test_one_row_and_one_class_files(trained):
    model, cwd, frame, _ = trained
    frame.iloc[[7]].to_csv(cwd / "one.csv", index=False)
    only_m = frame[frame.diagnosis == "M"]
    only_m.to_csv(cwd / "m.csv", index=False)
    for name, part in (("one.csv", frame.iloc[[7]]), ("m.csv", only_m)):
        result = run("predict", "run/model.npz", name, "--out", "-", cwd=cwd)
        assert result.returncode == 0, result.stderr
        assert [r["prediction"] for r in read_predictions(result.stdout)] == model.predict(part).tolist()
    report = json.loads(run("evaluate", "run/model.npz", "m.csv", "--json", cwd=cwd).stdout)
    assert report["m"] == len(only_m) and report["per_class"]["M"]["support"] == len(only_m)


def test_a_missing_column_is_named_and_exits_2(trained):
    _, cwd, frame, _ = trained
    frame.drop(columns=["area"]).to_csv(cwd / "noarea.csv", index=False)
    one_line_error(run("predict", "run/model.npz", "noarea.csv", cwd=cwd), "no column 'area', which the model takes")
    frame.drop(columns=["diagnosis"]).to_csv(cwd / "nolabel.csv", index=False)
    one_line_error(run("evaluate", "run/model.npz", "nolabel.csv", cwd=cwd), "no label column 'diagnosis'")
    one_line_error(run("predict", "run/model.npz", "nolabel.csv", "--id", "nope", cwd=cwd), "no --id column 'nope'")


def test_outputs_through_a_symlink_a_pipe_and_into_a_missing_folder(trained, tmp_path):
    _, cwd, _, _ = trained
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run("predict", "run/model.npz", "cancer.csv", "--out", link, cwd=cwd).returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)  # the link stays, its target is written
    assert read_predictions(target.read_text())[0]["index"] == "0"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    assert run("predict", "run/model.npz", "cancer.csv", "--out", fifo, cwd=cwd).returncode == 0
    assert len(read_predictions(reader.communicate(timeout=60)[0])) == 240 and fifo.exists()
    one_line_error(run("predict", "run/model.npz", "cancer.csv", "--out", tmp_path / "no" / "p.csv", cwd=cwd),
                   f"{tmp_path / 'no' / 'p.csv'}: No such file or directory")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_readmes_predict_on_new_data_section_runs_as_written(tmp_path):
    """Its Python block writes the CSV files; each line of its shell block then succeeds."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Predict on new data", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    (shell,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    finally:
        os.chdir(cwd)
    outputs = []
    for line in shell.strip().splitlines():
        assert line.startswith("layerwise ")
        command = f"{shlex.quote(sys.executable)} -m {line}"
        result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (line, result.stderr)
        outputs.append(result.stdout)
    rows = read_predictions((tmp_path / "predictions.csv").read_text())
    assert [(r["id"], r["prediction"]) for r in rows] == [("a", "yes"), ("b", "no")]
    assert [r["prediction"] for r in read_predictions(outputs[2])] == ["yes", "no"]
    assert "accuracy" in outputs[3]
