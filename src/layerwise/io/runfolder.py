"""A run's output folder as one unit: locked while a run writes it.

``with RunFolder(out):`` takes an exclusive ``flock`` on ``out/.layerwise.lock`` (the folder is
made if needed) and writes who holds it (pid, host, since when) into that file, so a second run
into the same folder is refused with a message naming the holder instead of interleaving its
files with the first one's. The lock is the kernel's: it goes away with the process, however
it ends (a kill included), so a stale lock file never blocks anything. Once it holds the lock,
it removes the temporary files a killed writer left (``atomic_write``'s ``.NAME.*.tmp``): no one
else can be writing them.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no locking (documented in the README)
    fcntl = None

LOCK_FILE = ".layerwise.lock"


class FolderBusy(ValueError):
    """Another process holds the run folder's lock."""


class RunFolder:
    """An exclusive lock on the run folder ``path`` for the ``with`` block; see the module's docstring."""

    def __init__(self, path, *, create: bool = True):
        self.path = Path(path)
        self.create = create
        self._fd: int | None = None

    def __enter__(self) -> RunFolder:
        lock = self.path / LOCK_FILE
        if not self.create and not self.path.is_dir():
            raise FileNotFoundError(f"{self.path}: no such run folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ValueError(f"{self.path}: cannot write the run folder ({exc.strerror})") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "a run that is starting"
                os.close(fd)
                raise FolderBusy(f"{self.path} is being written by another run ({holder}); "
                                 f"wait for it to end or pass another --out") from None  # fmt: skip
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now():%Y-%m-%d %H:%M:%S}\n".encode())
        self._fd = fd
        for stale in self.path.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)
            os.close(fd)  # releases the lock
