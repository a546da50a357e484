"""A run's outputs are one unit: the folder is locked while a run writes it.

No test here waits on the clock: processes meet at known points through pipes.
"""

from __future__ import annotations

import os
import signal

import pytest

from layerwise.io.runfolder import LOCK_FILE, FolderBusy, RunFolder

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the lock tests fork a second process")


def hold_lock(path):
    """A child process holding ``RunFolder(path)`` until its stdin pipe closes; returns (pid, release)."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(ready_r)
        os.close(go_w)
        with RunFolder(path):
            os.write(ready_w, b"x")
            os.read(go_r, 1)
        os._exit(0)
    os.close(ready_w)
    os.close(go_r)
    assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)

    def release():
        os.close(go_w)
        return os.waitpid(pid, 0)[1]

    return pid, release


def test_a_second_run_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "run"
    pid, release = hold_lock(out)
    try:
        with pytest.raises(FolderBusy, match=f"{out} is being written by another run \\(pid {pid} on .* since .*\\)"):
            with RunFolder(out):
                pass
    finally:
        assert release() == 0
    with RunFolder(out):  # free again once the holder ended
        assert (out / LOCK_FILE).read_text().startswith(f"pid {os.getpid()} ")
    assert (out / LOCK_FILE).read_text() == ""


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    out = tmp_path / "run"
    pid, release = hold_lock(out)
    os.kill(pid, signal.SIGKILL)
    release()
    assert "pid" in (out / LOCK_FILE).read_text()  # the file says who held it, but the kernel's lock went with the process
    with RunFolder(out):
        pass


def test_the_same_process_cannot_enter_twice(tmp_path):
    with RunFolder(tmp_path / "run"):
        with pytest.raises(FolderBusy, match=f"pid {os.getpid()}"):
            with RunFolder(tmp_path / "run"):
                pass


def test_an_unwritable_place_is_said_so(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="cannot write the run folder"):
        with RunFolder(tmp_path / "file" / "run"):
            pass


# ---- the train command ---------------------------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from layerwise import cli, io  # noqa: E402

TRAIN = ["--data", "planar", "--layers", "4", "--iterations", "40", "--quiet", "--no-plots"]
OUTPUTS = {"model.npz", "history.csv", "metrics.json", "config.toml"}


def train(out: Path, *extra: str) -> int:
    return cli.main(["train", "--out", str(out), *TRAIN, *extra])


def in_child(body) -> int:
    """Run ``body()`` in a forked child with its output silenced; returns its wait status."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            status = body()
        finally:
            os._exit(status)
    return os.waitpid(pid, 0)[1]


def killed_after_writing(name: str, call):
    """``call()`` in a child that SIGKILLs itself right after the atomic writer put ``name`` in place."""
    real = os.replace

    def body():
        def replace(src, dst, *args, **kwargs):
            real(src, dst, *args, **kwargs)
            if Path(dst).name == name:
                os.kill(os.getpid(), signal.SIGKILL)

        os.replace = replace
        return call()

    return in_child(body)


def files(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.name != LOCK_FILE}


def same_run(a: Path, b: Path) -> None:
    ma, mb = io.load_model(a / "model.npz"), io.load_model(b / "model.npz")
    for key in ma.parameters:
        np.testing.assert_array_equal(ma.parameters[key], mb.parameters[key])
    assert (a / "history.csv").read_text() == (b / "history.csv").read_text()
    assert (a / "config.toml").read_text() == (b / "config.toml").read_text()
    strip = lambda p: {k: v for k, v in json.loads(p.read_text()).items() if k != "seconds"}  # noqa: E731
    assert strip(a / "metrics.json") == strip(b / "metrics.json")


@pytest.mark.parametrize("last", ["checkpoint.npz", "model.npz", "history.csv", "metrics.json", "config.toml"])
def test_killed_while_writing_the_outputs_then_resumed_is_a_complete_run(tmp_path, last):
    """Killed right after ``last`` was written (training over, outputs partly there): the folder
    keeps its checkpoint, a new run into it is refused, and ``--resume`` writes the outputs,
    ending equal to a run that was never killed."""
    assert train(tmp_path / "reference") == 0
    out = tmp_path / "run"
    status = killed_after_writing(last, lambda: train(out))
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert io.CHECKPOINT_FILE in files(out)
    assert train(out) == 2  # an unfinished run is there
    assert cli.main(["train", "--resume", str(out), "--quiet", "--no-plots"]) == 0
    assert files(out) == OUTPUTS  # complete: no checkpoint, no temporary file left
    same_run(out, tmp_path / "reference")


def test_a_new_run_into_an_unfinished_one_is_refused_unless_resumed_or_forced(tmp_path, capsys):
    out = tmp_path / "run"
    killed_after_writing("checkpoint.npz", lambda: train(out, "--checkpoint-every", "10"))  # killed at iteration 10
    capsys.readouterr()
    assert train(out) == 2
    err = capsys.readouterr().err
    assert f"{out} holds an unfinished run (checkpoint.npz)" in err and "--resume" in err and "--force" in err
    assert train(out, "--force") == 0  # afresh: the old checkpoint is not picked up later
    assert files(out) == OUTPUTS
    assert train(tmp_path / "fresh") == 0
    same_run(out, tmp_path / "fresh")
    assert cli.main(["train", "--resume", str(out), "--quiet"]) == 2
    assert "no checkpoint here" in capsys.readouterr().err


def test_three_runs_into_one_folder(tmp_path, capsys):
    """While one run holds the folder (paused at a known point, before its first output), two
    more are refused naming it; the folder ends holding the first run's outputs only."""
    out = tmp_path / "run"
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    real = os.replace

    def first():
        def replace(src, dst, *args, **kwargs):
            if Path(dst).name == "checkpoint.npz":  # training is over: hold the lock here
                os.write(ready_w, b"x")
                os.read(go_r, 1)
            return real(src, dst, *args, **kwargs)

        os.replace = replace
        return train(out, "--seed", "1")

    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            status = first()
        finally:
            os._exit(status)
    assert os.read(ready_r, 1) == b"x"
    capsys.readouterr()
    for seed in ("2", "3"):
        assert train(out, "--seed", seed) == 2
        assert f"is being written by another run (pid {pid} on " in capsys.readouterr().err
    os.write(go_w, b"x")
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert files(out) == OUTPUTS
    assert train(tmp_path / "alone", "--seed", "1") == 0
    same_run(out, tmp_path / "alone")


def test_concurrent_processes_never_mix_their_files(tmp_path):
    """Three ``layerwise train`` processes started together into one folder: each ends with 0
    or with 2 naming the holder, and the folder holds one run's outputs, all of one seed."""
    out = tmp_path / "run"
    procs = [subprocess.Popen([sys.executable, "-m", "layerwise", "train", "--out", str(out), *TRAIN, "--seed", str(seed)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for seed in (1, 2, 3)]  # fmt: skip
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert all(code == 0 or code == 2 and "is being written by another run (pid " in err for code, err in results), results
    assert any(code == 0 for code, _ in results)
    assert files(out) == OUTPUTS
    seed = io.load_model(out / "model.npz").info["run"]["seed"]
    assert f"seed = {seed}" in (out / "config.toml").read_text()
    assert train(tmp_path / "alone", "--seed", str(seed)) == 0
    same_run(out, tmp_path / "alone")


@pytest.fixture
def small_disk(tmp_path):
    """A 200 KiB tmpfs, where this machine lets the tests mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("a full-disk test needs to mount a small tmpfs (root and mount(8)); not available here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_keeps_the_previous_outputs_whole(small_disk, tmp_path, capsys):
    """A run that fits, then a run too big for the disk into the same folder: the second fails
    with one line naming the file it could not write (not a temporary), and what is left is
    whole: the first run's files or the second's, never a truncated one, and no temporaries."""
    out = small_disk / "run"
    assert train(out) == 0
    first = {name: (out / name).read_bytes() for name in OUTPUTS}
    capsys.readouterr()
    # 5000 iterations, no validation: a model file of ~125 KB (its history) fits, the ~150 KB history.csv after it does not
    status = train(out, "--iterations", "5000", "--validation-split", "0")
    err = capsys.readouterr().err.strip()
    assert status == 2 and "No space left on device" in err and "\n" not in err
    assert re.search(r"/\.[^/ ]*\.tmp", err) is None and str(out) in err  # the user's file, not the hidden temporary
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    for name in OUTPUTS:
        data = (out / name).read_bytes()
        assert data == first[name] or name == "checkpoint.npz", name
    io.load_model(out / "model.npz")
