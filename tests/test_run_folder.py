"""A run's outputs are one unit: the folder is locked while a run writes it.

No test here waits on the clock: processes meet at known points through pipes.
"""

from __future__ import annotations

import os
import signal

import pytest

from layerwise.runfolder import LOCK_FILE, FolderBusy, RunFolder

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
