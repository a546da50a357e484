"""Interrupted runs: Ctrl-C and SIGTERM save a checkpoint, ``--resume`` goes on bit for bit,
and a kill -9 at any moment leaves every file either whole or absent.

The subprocess tests run ``python -m layerwise train`` on the planar data (400 examples,
[2, 4, 1]): each run takes well under a second of training.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import layerwise as lw
from layerwise import cli, io
from layerwise.callbacks import Callback

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

MINI_BATCH = ["--batch-size", "64", "--keep-prob", "0.8", "--optimizer", "adam", "--learning-rate", "0.01"]
TEMP_FILE = re.compile(r"^\..+\.tmp$")  # io.atomic_write's temporary files: hidden, never mistaken for outputs


def layerwise(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "layerwise", *args], env=env, text=True, **popen)


def train(out: Path, *args: str) -> int:
    """``layerwise train`` in this process (quiet, no plots)."""
    return cli.main(["train", "--out", str(out), "--quiet", "--no-plots", *args])


def parameters(path: Path) -> dict[str, np.ndarray]:
    return io.load_model(path).parameters


def assert_same_model(a: Path, b: Path) -> None:
    na, nb = io.load_model(a), io.load_model(b)
    assert na.parameters.keys() == nb.parameters.keys()
    for key in na.parameters:
        np.testing.assert_array_equal(na.parameters[key], nb.parameters[key])
    assert na.history_.costs == nb.history_.costs


# ---- in process: the Python API ----------------------------------------------------------------


class StopAfter(Callback):
    """Stops training after ``n`` updates, as the Ctrl-C handler does."""

    def __init__(self, n: int):
        self.n = n

    def on_batch_end(self, trainer, iteration, cost):
        if iteration == self.n:
            trainer.stop_training = True
            trainer.history.status = "interrupted"


SETTINGS = {
    "full batch": dict(epochs=12, learning_rate=0.5),
    "mini-batch, adam, dropout, L2": dict(epochs=6, batch_size=16, optimizer="adam", learning_rate=0.01, keep_prob=0.8, lambd=0.2),
    "momentum, step decay, no shuffle": dict(epochs=6, batch_size=20, shuffle=False, optimizer="momentum",
                                             learning_rate={"name": "step", "lr0": 0.1, "every": 2}),
    "float32, validation": dict(epochs=6, batch_size=16, optimizer="rmsprop", validation_split=0.2),
    "sgd, invscaling (time in examples)": dict(epochs=6, batch_size=16, optimizer="sgd",
                                               learning_rate={"name": "invscaling", "lr0": 0.5, "power_t": 0.5}),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("stop", [1, 5, 11])
def test_checkpoint_and_resume_give_the_uninterrupted_parameters(tmp_path, name, stop):
    kwargs = dict(SETTINGS[name])
    dtype = "float32" if "float32" in name else "float64"
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 60))
    Y = (X[:1] * X[1:2] > 0).astype(int)

    def network():
        return lw.Network([3, 6, 5, 1], seed=1, dtype=dtype)

    whole = network()
    whole.fit(X, Y, seed=7, **kwargs)
    part = network()
    part.fit(X, Y, seed=7, callbacks=[StopAfter(stop)], **kwargs)
    assert part.history_.status == "interrupted"
    io.save_checkpoint(tmp_path, part, part.trainer_, {"note": name})

    checkpoint = io.load_checkpoint(tmp_path)
    assert checkpoint.run_config == {"note": name}
    net = checkpoint.network
    done = len(checkpoint.trainer_state["history"]["costs"])
    # the split and the seed are redone as in the first call; Resume then restores the generator
    history = net.fit(X, Y, seed=7, callbacks=[io.Resume(checkpoint)], **{**kwargs, "epochs": kwargs["epochs"] - done})
    assert history.status == "completed"
    assert history.costs == whole.history_.costs and history.val_costs == whole.history_.val_costs
    for key in whole.parameters:
        np.testing.assert_array_equal(net.parameters[key], whole.parameters[key])


def test_resume_refuses_a_checkpoint_that_does_not_fit_the_run(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 60))
    Y = (X[:1] > 0).astype(int)
    net = lw.Network([3, 4, 1], seed=1)
    net.fit(X, Y, epochs=3, batch_size=16, optimizer="adam", callbacks=[StopAfter(2)])
    io.save_checkpoint(tmp_path, net, net.trainer_)
    checkpoint = io.load_checkpoint(tmp_path / io.CHECKPOINT_FILE)
    with pytest.raises(ValueError, match="'adam' optimizer"):
        checkpoint.network.fit(X, Y, epochs=1, batch_size=16, callbacks=[io.Resume(checkpoint)])
    with pytest.raises(ValueError, match="60 training examples; this data has 50"):
        checkpoint.network.fit(X[:, :50], Y[:, :50], epochs=1, batch_size=16, optimizer="adam", callbacks=[io.Resume(checkpoint)])
    with pytest.raises(ValueError, match="does not fit batch_size 20"):
        checkpoint.network.fit(X, Y, epochs=1, batch_size=20, optimizer="adam", callbacks=[io.Resume(checkpoint)])


def test_periodic_checkpoints_are_a_callback(tmp_path):
    X = np.random.default_rng(0).standard_normal((2, 30))
    Y = (X[:1] > 0).astype(int)
    saved = []

    class Spy(io.Checkpoint):
        def on_epoch_end(self, trainer, epoch, logs):
            super().on_epoch_end(trainer, epoch, logs)
            if (tmp_path / io.CHECKPOINT_FILE).exists():
                saved.append(len(io.load_checkpoint(tmp_path).trainer_state["history"]["costs"]))

    lw.Network([2, 3, 1], seed=0).fit(X, Y, epochs=10, callbacks=[Spy(tmp_path, {"a": 1}, every=4)])
    assert saved[:2] == [4, 4] and saved[-3:] == [8, 8, 8]
    assert len(io.load_checkpoint(tmp_path).trainer_state["history"]["costs"]) == 10  # and at the end


class CtrlC(Callback):
    """Presses Ctrl-C ``times`` times during update number 3."""

    def __init__(self, times: int):
        self.times = times

    def on_batch_end(self, trainer, iteration, cost):
        if iteration == 3:
            for _ in range(self.times):
                signal.raise_signal(signal.SIGINT)


def test_ctrl_c_stops_after_the_step_and_a_second_one_at_once(tmp_path):
    X = np.random.default_rng(0).standard_normal((2, 40))
    Y = (X[:1] > 0).astype(int)
    net = lw.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=5, batch_size=16, callbacks=[CtrlC(1), io.Checkpoint(tmp_path / "once")])
    assert history.status == "interrupted" and history.message == "stopped by SIGINT"
    assert net.trainer_.iteration == 3 and io.load_checkpoint(tmp_path / "once").trainer_state["iteration"] == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back

    net = lw.Network([2, 3, 1], seed=0)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, epochs=5, batch_size=16, callbacks=[CtrlC(2), io.Checkpoint(tmp_path / "twice")])
    assert net.history_.status == "failed"
    assert not (tmp_path / "twice").exists()  # a step cut in the middle is not a state to resume from


# ---- the command line: SIGINT / SIGTERM, then --resume ---------------------------------------------


def interrupt(out: Path, sig: int, after: int, *args: str) -> tuple[int, str]:
    """Start ``layerwise train``, wait until it prints iteration ``after``, send ``sig``; (status, stderr)."""
    proc = layerwise("train", "--out", str(out), "--no-plots", "--print-every", "1", *args,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        for line in proc.stdout:
            match = re.match(r"Cost after iteration (\d+)", line)
            if match and int(match.group(1)) >= after:
                proc.send_signal(sig)
                break
        proc.stdout.read()
        return proc.wait(timeout=30), proc.stderr.read()
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "sig, args",
    [(signal.SIGINT, ["--iterations", "3000"]), (signal.SIGINT, ["--iterations", "600", *MINI_BATCH]),
     (signal.SIGTERM, ["--iterations", "600", *MINI_BATCH, "--checkpoint-every", "7"])],
    ids=["SIGINT full batch", "SIGINT mini-batch dropout", "SIGTERM with periodic checkpoints"],
)  # fmt: skip
def test_interrupted_cli_run_resumes_to_the_same_model(tmp_path, sig, args):
    status, stderr = interrupt(tmp_path / "a", sig, 20, *args)
    assert status == 130, stderr
    assert f"stopped by {signal.Signals(sig).name}" in stderr and "layerwise train --resume" in stderr
    assert "Traceback" not in stderr
    interrupted = io.load_checkpoint(tmp_path / "a")
    done = len(interrupted.trainer_state["history"]["costs"])
    assert 20 <= done < int(args[1]) and interrupted.run_config["iterations"] == int(args[1])
    assert io.load_model(tmp_path / "a" / "model.npz").history_.status == "interrupted"

    assert cli.main(["train", "--resume", str(tmp_path / "a"), "--quiet", "--no-plots"]) == 0
    assert train(tmp_path / "b", *args) == 0
    assert_same_model(tmp_path / "a" / "model.npz", tmp_path / "b" / "model.npz")
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["iterations"] == int(args[1])


def test_resume_checks_its_arguments(tmp_path, capsys, monkeypatch):
    save = io.Checkpoint.on_epoch_end

    def ctrl_c_after_the_5th(self, trainer, epoch, logs):  # a Ctrl-C at a known point
        save(self, trainer, epoch, logs)
        if epoch + 1 == 5:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(io.Checkpoint, "on_epoch_end", ctrl_c_after_the_5th)
    assert train(tmp_path / "a", "--iterations", "6") == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(tmp_path / "a"), "--hidden", "relu"]) == 2
    assert "--hidden cannot change" in capsys.readouterr().err
    assert cli.main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such run folder" in err
    assert cli.main(["train", "--resume", str(tmp_path / "a"), "--iterations", "8", "--quiet", "--no-plots"]) == 0
    assert len(io.load_model(tmp_path / "a" / "model.npz").history_.costs) == 8
    assert io.load_model(tmp_path / "a" / "model.npz").info["run"]["iterations"] == 8
    assert not (tmp_path / "a" / io.CHECKPOINT_FILE).exists()  # a finished run keeps no checkpoint
    assert cli.main(["train", "--resume", str(tmp_path / "a")]) == 2
    assert "no checkpoint here" in capsys.readouterr().err
    net = lw.Network([2, 3, 1], seed=0)
    net.fit(np.ones((2, 4)), [[0, 1, 0, 1]], epochs=2, callbacks=[io.Checkpoint(tmp_path / "api", every=1)])
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(tmp_path / "api")]) == 2
    assert "not written by layerwise train" in capsys.readouterr().err


# ---- kill -9 at random moments -------------------------------------------------------------------

KILL_ARGS = ["--iterations", "60", "--checkpoint-every", "1", "--batch-size", "100", "--quiet", "--no-plots"]


def check_run_folder(out: Path) -> set[str]:
    """Every file in ``out`` reads back whole, or is an atomic-write temporary; returns the real ones."""
    real = set()
    for path in out.iterdir() if out.exists() else ():
        name = path.name
        if TEMP_FILE.match(name) or name == io.LOCK_FILE:
            continue
        real.add(name)
        if name == "model.npz":
            io.load_model(path)
        elif name == io.CHECKPOINT_FILE:
            io.load_checkpoint(out)
        elif name == "metrics.json":
            json.loads(path.read_text())
        elif name == "config.toml":
            tomllib.loads(path.read_text())
        elif name == "history.csv":
            rows = list(csv.reader(path.open()))
            assert rows[0][0] == "iteration" and all(len(r) == len(rows[0]) for r in rows)
        else:
            raise AssertionError(f"unexpected file {name} in {out}")
    return real


WRITERS = ("zipfile.py", "tempfile.py", "_npyio_impl.py", "format.py")  # where an archive is written


@functools.cache
def _writing(filename: str) -> bool:
    """Code that writes the run's files: layerwise's io and cli, and the stdlib/NumPy writers they call."""
    path = Path(filename)
    if "layerwise" in path.parts:
        return any(part.startswith(("io", "cli")) for part in path.parts[path.parts.index("layerwise") + 1 :])
    return path.name in WRITERS


def fork_train(out: Path, kill_at: int | None = None, count_to: Path | None = None) -> int:
    """``layerwise train`` in a forked child (the CLI's code without paying for its imports); its pid.

    The child counts the lines it executes in the code that writes files (``_writing``) and
    SIGKILLs itself when the count reaches ``kill_at``: the moments of death are points in the
    run's own sequence of writes, not times, so the test does not depend on how fast the
    machine is. With ``count_to`` it writes the total count there when training ends.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            count = 0

            def local(frame, event, arg):
                nonlocal count
                if event == "line":
                    count += 1
                    if count == kill_at:
                        os.kill(os.getpid(), signal.SIGKILL)
                return local

            sys.settrace(lambda frame, event, arg: local if _writing(frame.f_code.co_filename) else None)
            status = cli.main(["train", "--out", str(out), *KILL_ARGS])
            sys.settrace(None)
            if count_to is not None:
                count_to.write_text(str(count))
        finally:
            os._exit(status)
    return pid


@pytest.mark.timeout(120)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_kill_9_at_random_moments_leaves_whole_files_or_none(tmp_path):
    _, status = os.waitpid(fork_train(tmp_path / "reference", count_to=tmp_path / "count"), 0)
    assert os.waitstatus_to_exitcode(status) == 0
    total = int((tmp_path / "count").read_text())
    assert total > 10_000  # 60 checkpoints and the final files: many lines of writing code
    rand = random.Random(20240601)
    moments = sorted(rand.sample(range(1, total * 98 // 100), 60))  # spread over the run, short of its very end
    running: list[int] = []
    killed_by_signal = 0
    k = 0
    while k < len(moments) or running:
        while k < len(moments) and len(running) < 3:  # a few at a time
            running.append(fork_train(tmp_path / f"run{k}", kill_at=moments[k]))
            k += 1
        _, status = os.waitpid(running.pop(0), 0)
        killed_by_signal += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    found = [check_run_folder(tmp_path / f"run{k}") for k in range(len(moments))]
    assert killed_by_signal == len(moments)  # every run died at its moment
    assert sum(io.CHECKPOINT_FILE in f and "model.npz" not in f for f in found) >= 10  # killed while training

    # A few of the interrupted runs, resumed from their last checkpoint, end where the reference did.
    def unfinished(k: int) -> bool:
        if io.CHECKPOINT_FILE not in found[k]:
            return False
        return len(io.load_checkpoint(tmp_path / f"run{k}").trainer_state["history"]["costs"]) < 60

    resumable = [k for k in range(len(found)) if unfinished(k)][:4]
    assert resumable
    for k in resumable:
        assert cli.main(["train", "--resume", str(tmp_path / f"run{k}"), "--quiet", "--no-plots"]) == 0
        assert_same_model(tmp_path / f"run{k}" / "model.npz", tmp_path / "reference" / "model.npz")
