"""Untrusted files read in bounded memory: ``.npz`` archives of ``.npy`` arrays, the JSON
documents inside them and HDF5 datasets. Every reader of a model, checkpoint or data file goes
through here, and every failure is a ``ValueError`` naming the file (and the array).

An array is read only after its header has been checked: its dtype (numbers, or strings where
the caller allows them; never objects), its declared shape times itemsize against a limit, and
that the file can hold that much: a stored zip member's sizes agree with it, a deflated one
expands at most as far as deflate can (1032:1), an HDF5 dataset is backed by enough bytes on
disk. So a small forged file cannot make a reader allocate what its header claims.
"""

from __future__ import annotations

import contextlib
import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import _checks

DEFLATE_MAX_RATIO = 1032  # the most deflate (zip, HDF5 gzip) can expand its input
SLACK_BYTES = 4096  # headers and tiny members
MAX_ARRAY_BYTES = 2**31  # one array of a data file, 2 GiB unless the caller says otherwise
#: What zipfile, zlib and NumPy's .npy reader raise for a damaged or hostile archive (flipped
#: bytes can claim unknown compression methods, encryption, zip versions or bad CRCs).
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
           zlib.error, struct.error, UnicodeDecodeError, OverflowError, ValueError)  # fmt: skip


def os_error(path, exc: OSError) -> ValueError | FileNotFoundError:
    """The error to raise for an ``OSError`` met opening ``path``: said as it is, naming the file."""
    if isinstance(exc, FileNotFoundError):
        return FileNotFoundError(f"{path}: no such file")
    if isinstance(exc, PermissionError):
        return ValueError(f"{path}: permission denied (the file cannot be read by this user)")
    if isinstance(exc, IsADirectoryError):
        return ValueError(f"{path}: is a folder, not a file")
    return ValueError(f"{path}: cannot be read ({exc.strerror or exc})")


def check_readable(path, what: str = "file") -> Path:
    """``path`` as a ``Path`` after opening it once: missing ("no such ``what``"), unreadable or a
    folder is said so."""
    path = Path(path)
    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise os_error(path, exc) from None
    return path


class Archive:
    """An ``.npz`` file opened for bounded reads; ``keys`` are its arrays (members ``KEY.npy``).

    Refuses anything but a zip of distinct ``.npy`` members; ``what`` names the kind of file in
    messages ("model file", "checkpoint", "data file"), ``layerwise`` says whether layerwise
    wrote it ("not a layerwise model file").
    """

    def __init__(self, path, what: str, *, layerwise: bool = True):
        self.path = check_readable(path, what)
        self.what = f"layerwise {what}" if layerwise else what
        if not zipfile.is_zipfile(self.path):
            raise ValueError(f"{self.path}: not a {self.what} (expected a .npz archive of arrays)")
        try:
            self.zip = zipfile.ZipFile(self.path)
            members = self.zip.namelist()
        except DAMAGED as exc:
            raise ValueError(f"{self.path}: damaged {self.what}: {exc}") from None
        if len(set(members)) != len(members) or not all(name.endswith(".npy") for name in members):
            self.zip.close()
            raise ValueError(f"{self.path}: a {what} holds distinct .npy arrays only; this one has {members[:10]}")
        self.keys = [name[: -len(".npy")] for name in members]
        self._size = self.path.stat().st_size

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def fail(self, message: str) -> ValueError:
        return ValueError(f"{self.path}: {message}")

    def header(self, key: str, *, kinds: str = "biuf", dtype=None, shape=None, max_bytes: int = MAX_ARRAY_BYTES):
        """The declared ``(shape, dtype)`` of array ``key``, read from its ``.npy`` header alone and
        checked: dtype kind among ``kinds`` (or exactly ``dtype``), ``shape`` if given, at most
        ``max_bytes``, and no more data than the member and the file can hold."""
        name = f"{key}.npy"
        try:
            info = self.zip.getinfo(name)
            with self.zip.open(info) as fp:
                version = np.lib.format.read_magic(fp)
                read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                if read is not None:
                    declared_shape, _, declared = read(fp, max_header_size=10_000)
                    header_size = fp.tell()
        except DAMAGED as exc:
            raise self.fail(f"array {key!r} has a bad .npy header: {exc}") from None
        if read is None:
            raise self.fail(f"array {key!r} has a .npy header of version {version}; expected 1.0 or 2.0")
        wanted = np.dtype(dtype) if dtype is not None else None
        if declared.hasobject or declared.kind not in kinds or wanted is not None and declared != wanted.newbyteorder(declared.byteorder) \
                or shape is not None and tuple(declared_shape) != tuple(shape):  # fmt: skip
            expected = f"{wanted if wanted is not None else 'numbers'}{'' if shape is None else f' shape {tuple(shape)}'}"
            raise self.fail(f"array {key!r} is {declared} with shape {declared_shape}; expected {expected}")
        size = math.prod(declared_shape) * declared.itemsize
        if size > max_bytes:
            raise self.fail(f"array {key!r} declares shape {declared_shape} of {declared}, {size} bytes; the limit is {max_bytes}")
        if info.file_size - header_size != size:
            raise self.fail(f"array {key!r} declares shape {declared_shape} but its member holds {info.file_size - header_size} "
                            f"bytes of data, not the {size} of {declared} that takes")  # fmt: skip
        expands = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: DEFLATE_MAX_RATIO}.get(info.compress_type)
        if expands is None:
            raise self.fail(f"array {key!r} is compressed with zip method {info.compress_type}; expected stored or deflated")
        if info.compress_size > self._size:
            raise self.fail(f"array {key!r} claims {info.compress_size} stored bytes in a file of {self._size}; "
                            f"the file is damaged or forged")  # fmt: skip
        if info.file_size > expands * info.compress_size + SLACK_BYTES:
            raise self.fail(f"array {key!r} declares {info.file_size} bytes, more than its {info.compress_size} "
                            f"stored bytes can hold; the file is damaged or forged")  # fmt: skip
        return declared_shape, declared

    def read(self, key: str, **expected) -> np.ndarray:
        """Array ``key``, read only after ``header(key, **expected)`` accepted it."""
        self.header(key, **expected)
        try:
            with self.zip.open(f"{key}.npy") as fp:
                return np.lib.format.read_array(fp, allow_pickle=False, max_header_size=10_000)
        except DAMAGED as exc:
            raise self.fail(f"array {key!r} is damaged: {exc}") from None

    def read_json(self, key: str, *, max_bytes: int, max_depth: int):
        """The UTF-8 JSON document stored as the 1-D ``uint8`` array ``key``, bounded (``_checks.parse_json``)."""
        if key not in self.keys:
            raise self.fail(f"no {key!r} array; not a {self.what} (arrays: {sorted(self.keys)[:10]})")
        shape, dtype = self.header(key, kinds="u", dtype=np.uint8, max_bytes=max_bytes)
        if len(shape) != 1:
            raise self.fail(f"array {key!r} is {dtype} with shape {shape}; expected a 1-D uint8 array of UTF-8 JSON")
        data = self.read(key, kinds="u", dtype=np.uint8, max_bytes=max_bytes)
        try:
            return _checks.parse_json(data.tobytes(), f"the {key}", max_bytes=max_bytes, max_depth=max_depth)
        except ValueError as exc:
            raise self.fail(str(exc)) from None


# ---- HDF5 -------------------------------------------------------------------------------------------


def _h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportError("reading HDF5 files needs h5py: pip install layerwise[hdf5]") from e
    return h5py


#: what h5py raises for a damaged file (HDF5's own errors come out as these)
H5_DAMAGED = (OSError, RuntimeError, KeyError, ValueError, TypeError, OverflowError)


@contextlib.contextmanager
def open_hdf5(path):
    """``h5py.File(path, "r")``, damaged or non-HDF5 files refused naming the file."""
    h5py = _h5py()
    path = check_readable(path)
    try:
        f = h5py.File(path, "r")
    except H5_DAMAGED as exc:
        raise ValueError(f"{path}: not a readable HDF5 file ({exc})") from None
    try:
        yield f
    finally:
        f.close()


def hdf5_dataset(path, f, key: str, option: str):
    """The dataset ``key`` of the open file ``f``, or a ``ValueError`` naming the file and ``option``
    (the setting that named ``key``, e.g. ``x_key``) when it is missing, a group or unreadable."""
    h5py = _h5py()
    try:
        obj = f.get(key)
        names = sorted(f.keys())
    except H5_DAMAGED as exc:
        raise ValueError(f"{path}: damaged HDF5 file ({exc})") from None
    if obj is None:
        raise ValueError(f"{path}: no dataset {key!r} ({option}); the file has {names[:20]}")
    if isinstance(obj, h5py.Group):
        raise ValueError(f"{path}: {key!r} ({option}) is a group holding {sorted(obj.keys())[:10]}, not a dataset; "
                         f"name one of its datasets as {key}/NAME")  # fmt: skip
    if not isinstance(obj, h5py.Dataset):
        raise ValueError(f"{path}: {key!r} ({option}) is not a dataset")
    return obj


def read_hdf5(path, dataset, *, kinds: str = "biuf", max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """All of ``dataset`` after checking its dtype, its declared size against ``max_bytes`` and
    that the file stores enough bytes for it (compressed at most 1032:1)."""
    h5py = _h5py()
    key = dataset.name.lstrip("/")
    try:
        dtype, shape = dataset.dtype, dataset.shape
        stored = dataset.id.get_storage_size()
        strings = h5py.check_string_dtype(dtype) is not None
    except H5_DAMAGED as exc:
        raise ValueError(f"{path}: damaged HDF5 dataset {key!r} ({exc})") from None
    if shape is None or (dtype.kind not in kinds and not (strings and "U" in kinds)):
        raise ValueError(f"{path}: {key!r} holds {dtype}{'' if shape is None else f' with shape {shape}'}; expected numbers")
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        raise ValueError(f"{path}: {key!r} declares shape {shape} of {dtype}, {size} bytes; the limit is {max_bytes}")
    if size > DEFLATE_MAX_RATIO * stored + SLACK_BYTES and not strings:
        raise ValueError(f"{path}: {key!r} declares {size} bytes but the file stores {stored} for it; the file is damaged or forged")
    try:
        return dataset.asstr()[()] if strings else dataset[()]
    except H5_DAMAGED as exc:
        raise ValueError(f"{path}: damaged HDF5 dataset {key!r} ({exc})") from None
