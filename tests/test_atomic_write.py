"""``io.atomic_write``, the one writer of every file: regular files atomically, symlinks through
to their target, devices and pipes directly, ``-`` to standard output; errors name the user's path."""

import os
import subprocess
import sys

import pytest

from layerwise.io import atomic_write


def test_a_regular_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with atomic_write(path, "w") as f:
        f.write("new")
        assert path.read_text() == "old"  # readers see the old file until the rename
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(path, "w") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_symlink_stays_and_its_target_is_written(tmp_path):
    target = tmp_path / "data" / "real.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    chain = tmp_path / "chain.csv"
    chain.symlink_to(link)
    with atomic_write(chain, "w") as f:
        f.write("new")
    assert chain.is_symlink() and link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.csv"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "new.csv")
    with atomic_write(link, "wb") as f:
        f.write(b"x")
    assert link.is_symlink() and (tmp_path / "new.csv").read_bytes() == b"x"


def test_a_pipe_and_a_device_are_written_directly(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    with atomic_write(fifo, "wb") as f:
        f.write(b"through the pipe")
    assert reader.communicate(timeout=30)[0] == b"through the pipe" and fifo.exists() and not fifo.is_file()
    with atomic_write("/dev/null", "w") as f:
        f.write("nothing")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_dev_stdout_and_dash_reach_standard_output_and_leave_the_link_alone():
    code = ("from layerwise.io import atomic_write\n"
            "with atomic_write('/dev/stdout', 'w') as f: f.write('one,')\n"
            "with atomic_write('-', 'w') as f: f.write('two,')\n"
            "with atomic_write('-', 'wb') as f: f.write(b'three')\n")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "one,two,three" and os.path.islink("/dev/stdout")


def test_errors_name_the_users_path_not_the_temporary_file(tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "out.csv"
    with pytest.raises(FileNotFoundError) as info, atomic_write(missing, "w") as f:
        f.write("x")
    assert info.value.filename == str(missing)
    with pytest.raises(IsADirectoryError) as info, atomic_write(tmp_path, "w") as f:
        f.write("x")
    assert info.value.filename == str(tmp_path)
    with pytest.raises(ValueError, match="mode is 'a'"), atomic_write(tmp_path / "x", "a"):
        pass
