"""Writing any file safely, and the ``metadata`` document of ``.npz`` archives of arrays + JSON.

:func:`atomic_write` is the one writer of every file layerwise makes (models, checkpoints,
predictions, reports, configs, histories, plots). Archives are zips of ``.npy`` arrays (NumPy's
own format, never pickles) with a ``metadata`` member holding a UTF-8 JSON document as
``uint8``; they are read through ``_files.Archive``, which checks each array's ``.npy`` header
(shape, dtype) and that the file holds that much data before reading it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import sys
import tempfile
from pathlib import Path

import numpy as np

from .. import _files

METADATA_KEY = "metadata"
MAX_METADATA_BYTES = 16 * 2**20  # JSON parsed from it takes at most about 12x that (containers are counted)
MAX_JSON_DEPTH = 32
DAMAGED_ARCHIVE = _files.DAMAGED


# ---- writing --------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(target, mode: str = "wb"):
    """A file object to write ``target`` with, safely whatever ``target`` is.

    - ``"-"``: standard output (left open);
    - a character device or a pipe (``/dev/stdout``, ``/dev/null``, a FIFO), or a path under
      ``/dev`` or ``/proc``: written directly, in place;
    - a symlink: its final target is written (atomically, as below); the link stays;
    - a regular file or a new path: a temporary file in the same folder, flushed and fsynced,
      renamed over the target, then the folder fsynced. Readers see the old file or the
      complete new one; the temporary file is removed on any error.
    ``mode`` is ``"wb"`` or ``"w"`` (UTF-8, ``newline=""``). Errors name ``target``.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode is {mode!r}; expected 'wb' or 'w'")
    text = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
    if os.fspath(target) == "-":
        stream = sys.stdout.buffer if mode == "wb" else sys.stdout
        yield stream
        stream.flush()
        return
    path = Path(target)
    real = Path(os.path.realpath(path))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, os.fspath(target)) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "is a folder; expected a file path", os.fspath(target))
    if st is not None and not stat.S_ISREG(st.st_mode) or str(path).startswith("/dev/") or str(real).startswith("/proc/"):
        try:
            f = open(real if st is not None else path, mode.replace("w", "a"), **text)  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, os.fspath(target)) from None
        with f:
            yield f
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, os.fspath(target)) from None
    try:
        with os.fdopen(fd, mode, **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (tmp, None) and exc.strerror:
            raise type(exc)(exc.errno, exc.strerror, os.fspath(target)) from None
        raise
    _fsync_folder(real.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable: fsync the folder (where the system allows opening one)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def document_text(doc: dict, what: str) -> str:
    """``doc`` as JSON text (NumPy scalars and arrays converted), or a ``ValueError`` naming ``what``."""
    try:
        return json.dumps(doc, default=json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON data (str, numbers, lists, dicts): {exc}") from None


def write_archive(target, arrays: dict[str, np.ndarray], text: str) -> None:
    """Write ``arrays`` and the JSON ``text`` (as the ``metadata`` member) to ``target`` atomically."""
    members = {key: np.ascontiguousarray(value) for key, value in arrays.items()}
    members[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(target) as f:
        np.savez(f, **members)


# ---- reading --------------------------------------------------------------------------------


def read_document(archive: _files.Archive) -> tuple[set[str], object]:
    """The archive's array names and its JSON ``metadata``, bounded (``MAX_METADATA_BYTES``,
    ``MAX_JSON_DEPTH``); opening and reading the arrays themselves is ``_files.Archive``'s."""
    return set(archive.keys), archive.read_json(METADATA_KEY, max_bytes=MAX_METADATA_BYTES, max_depth=MAX_JSON_DEPTH)


# ---- documents, parsed strictly -------------------------------------------------------------


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def check_keys(what: str, d, required: set[str], optional: set[str] = frozenset()) -> None:
    require(isinstance(d, dict), f"{what} is {type(d).__name__}; expected an object")
    missing, extra = sorted(required - set(d)), sorted(set(d) - required - optional)
    require(not missing and not extra, f"{what}: missing fields {missing}, unknown fields {extra}")


def number_list(what: str, values, n: int | None = None, positive: bool = False) -> None:
    require(isinstance(values, list) and all(is_number(v) for v in values), f"{what} must be a list of numbers")
    require(n is None or len(values) == n, f"{what} has {len(values)} values; expected {n}")
    require(not positive or all(math.isfinite(v) and v > 0 for v in values), f"{what} must hold finite numbers > 0")


def string_list(what: str, values, n: int | None = None) -> None:
    require(isinstance(values, list) and all(isinstance(v, str) for v in values), f"{what} must be a list of strings")
    require(n is None or len(values) == n, f"{what} has {len(values)} names; expected {n}")
