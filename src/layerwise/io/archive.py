"""Writing any file safely, and reading ``.npz`` archives of arrays + JSON with bounded memory.

:func:`atomic_write` is the one writer of every file layerwise makes (models, checkpoints,
predictions, reports, configs). Archives are zips of ``.npy`` arrays (NumPy's own format,
never pickles) with a ``metadata`` member holding a UTF-8 JSON document as ``uint8``; readers
check each array's ``.npy`` header (shape, dtype) and its size in the zip before reading it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import struct
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

METADATA_KEY = "metadata"
MAX_METADATA_BYTES = 64 * 2**20
#: What zipfile and zlib raise for a damaged or hostile archive (flipped bytes in its headers
#: can claim unknown compression methods, encryption or zip versions).
DAMAGED_ARCHIVE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
                   zlib.error, struct.error, UnicodeDecodeError, OverflowError)  # fmt: skip


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


def open_archive(path: Path, what: str):
    """``np.load(path, allow_pickle=False)`` of a zip archive of arrays, or a ``ValueError`` naming ``what``."""
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a layerwise {what} (expected a .npz archive)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, *DAMAGED_ARCHIVE) as exc:
        raise ValueError(f"{path}: not a layerwise {what} (expected a .npz archive): {exc}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not a layerwise {what} (expected a .npz archive)")
    return archive


def read_document(path: Path, archive, what: str) -> tuple[set[str], object]:
    """The archive's member names and its parsed JSON metadata, after checking the members are plain arrays."""
    members = archive.zip.namelist()
    if len(set(members)) != len(members) or not all(name.endswith(".npy") for name in members):
        raise ValueError(f"{path}: the archive must hold distinct .npy arrays only; it has {members[:10]}")
    names = set(archive.files)
    if METADATA_KEY not in names:
        raise ValueError(f"{path}: no {METADATA_KEY!r} array; not a layerwise {what} (arrays: {sorted(names)[:10]})")
    shape, dtype = read_header(path, archive, METADATA_KEY)
    if dtype != np.uint8 or len(shape) != 1 or shape[0] > MAX_METADATA_BYTES:
        raise ValueError(f"{path}: array {METADATA_KEY!r} is {dtype} with shape {shape}; expected a 1-D uint8 array "
                         f"of at most {MAX_METADATA_BYTES} bytes")  # fmt: skip
    try:
        return names, json.loads(archive[METADATA_KEY].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: the metadata is not UTF-8 JSON: {exc}") from None


def read_header(path: Path, archive, key: str, expected: tuple | None = None) -> tuple[tuple[int, ...], np.dtype]:
    """The declared ``(shape, dtype)`` of member ``key`` from its ``.npy`` header, without reading
    the data. ``expected``: ``(shape, kind, itemsize)`` it must have. Refuses object arrays and
    members that hold more or less data than declared (so nothing bigger than the header says
    is ever decompressed)."""
    with archive.zip.open(f"{key}.npy") as fp:
        try:
            version = np.lib.format.read_magic(fp)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fp)
        except ValueError as exc:
            raise ValueError(f"{path}: array {key!r} has a bad .npy header: {exc}") from None
        header_size = fp.tell()
    shape = tuple(shape)
    if dtype.hasobject or dtype.kind not in "biufU":
        raise ValueError(f"{path}: array {key!r} is {dtype}; expected numbers or text")
    if expected is not None:
        want, kind, itemsize = expected
        if dtype.kind != kind or dtype.itemsize != itemsize or shape != tuple(want):
            raise ValueError(f"{path}: array {key!r} is {dtype} with shape {shape}; expected {np.dtype(f'{kind}{itemsize}')} shape {tuple(want)}")
    data_size = archive.zip.getinfo(f"{key}.npy").file_size - header_size
    if data_size != math.prod(shape) * dtype.itemsize:
        raise ValueError(f"{path}: array {key!r} declares shape {shape} but its member holds {data_size} bytes of data")
    return shape, dtype


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
