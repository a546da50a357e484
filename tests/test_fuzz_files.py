"""Seeded fuzzing of every file reader: model files, checkpoints, data ``.npz`` and HDF5.

Each case mutates a good file (truncation, byte flips, zip-entry tricks, forged ``.npy``
headers, hostile JSON metadata: wrong types, huge numbers, deep nesting, huge documents) and
loads it through the public names (``layerwise.load``, ``layerwise.io.load_checkpoint``,
``layerwise.datasets.load_npz`` / ``load_hdf5``). The loads run in a subprocess whose address
space is capped (``resource.RLIMIT_AS``) and whose every case has a CPU-time budget
(``ITIMER_PROF``), so a reader that allocates what a forged header declares, expands a small
file into gigabytes or loops shows up as a failed case, not as a dead test run. A case passes
when the file loads or a ``ValueError`` naming the file comes out; anything else
(``TypeError``, ``KeyError``, ``MemoryError``, ``OverflowError``, ``RecursionError``, a
timeout) is reported with the case's seed and mutation, so it can be replayed alone:
``python tests/test_fuzz_files.py FOLDER KIND SEED``.
"""

from __future__ import annotations

import io as bytesio
import json
import os
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

MEMORY_MIB = 768  # address space a worker may add on top of what its imports took
CPU_SECONDS = 20  # per case, of the worker's own CPU time (not wall time: the machine may be busy)
DOCUMENTED = (ValueError,)
HOSTILE_VALUES = [[], {}, [["x"]], "x" * 100_000, 10**400, -1, 2**63, 1.5, True, None, "", "\ud800", float("inf"),
                  float("nan"), {"a": 1}, [1, 2, 3], 1e308]  # fmt: skip


# ---- the good files (written through the public API) ------------------------------------------------


def make_files(folder: Path) -> dict[str, Path]:
    """A model file, a checkpoint (Adam, mini-batches: optimizer slots and an epoch order) and
    data files (.npz, HDF5 when h5py is there), all small."""
    import layerwise as lw
    from layerwise import io

    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 60))
    Y = np.eye(3)[:, rng.integers(0, 3, 60)]
    net = lw.Network([4, 5, 3], output="softmax", seed=0)
    net.fit(X, Y, num_iterations=3, optimizer="adam", batch_size=16, learning_rate=0.01)
    model = folder / "model.npz"
    (lw.save(net, model) if hasattr(lw, "save") else net.save(model))
    checkpoint_dir = folder / "run"
    net.fit(X, Y, num_iterations=2, optimizer="adam", batch_size=16, learning_rate=0.01,
            callbacks=[io.Checkpoint(checkpoint_dir, {"note": "fuzz"}, every=1)])  # fmt: skip
    files = {"model": model, "checkpoint": checkpoint_dir / io.CHECKPOINT_FILE}
    np.savez(folder / "data.npz", X=X.T, Y=Y.argmax(axis=0))
    files["npz"] = folder / "data.npz"
    try:
        import h5py
    except ImportError:
        return files
    with h5py.File(folder / "data.h5", "w") as f:
        f["X"] = X.T
        f["Y"] = Y.argmax(axis=0)
    files["hdf5"] = folder / "data.h5"
    return files


def loader(kind: str):
    import layerwise as lw
    from layerwise import datasets, io

    return {"model": lw.load, "checkpoint": io.load_checkpoint, "npz": datasets.load_npz, "hdf5": datasets.load_hdf5}[kind]


# ---- mutations ---------------------------------------------------------------------------------------


def npy(array: np.ndarray) -> bytes:
    buffer = bytesio.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def forged_header(shape, descr: str = "<f8", fortran: bool = False, version: tuple = (1, 0), data: bytes = b"") -> bytes:
    """A ``.npy`` member whose header declares ``shape`` and ``descr`` over ``data``."""
    header = repr({"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}).encode("latin1")
    size = 4 if version >= (2, 0) else 2
    pad = -(10 + size - 2 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    length = struct.pack("<I" if size == 4 else "<H", len(header))
    return b"\x93NUMPY" + bytes(version) + length + header + data


def zip_bytes(members: list[tuple[str, bytes]], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = bytesio.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def members_of(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(bytesio.BytesIO(data)) as z:
        return [(name, z.read(name)) for name in z.namelist()]


def hostile_json(rng: random.Random, text: str) -> tuple[str, str]:
    """``text`` (a JSON document) with one hostile edit; returns (new text, what was done)."""
    what = rng.choice(["value", "value", "value", "deep", "bomb", "huge-number", "literal", "not-json", "duplicate"])
    if what == "deep":
        depth = rng.choice([1_000, 100_000])
        return "[" * depth + "]" * depth, f"nested {depth} deep"
    if what == "bomb":  # 60 MB of "{}," parse to 1.3 GB of dicts; the file deflates it to 60 KB
        return "[" + ",".join(["{}"] * rng.choice([10**5, 2 * 10**7])) + "]", "a list of millions of empty objects"
    if what == "not-json":
        return text[: rng.randrange(len(text))], "cut JSON"
    doc = json.loads(text)
    paths = []

    def walk(node, path):
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            if len(paths) < 5000:
                walk(child, (*path, key))

    walk(doc, ())
    path = rng.choice(paths[1:] or [()])
    if what == "duplicate":
        return text.replace("{", '{"format": 1, ', 1), "a duplicated key"
    value = {"value": lambda: rng.choice(HOSTILE_VALUES), "huge-number": lambda: rng.choice([10**400, -(10**400), 10**20]),
             "literal": lambda: rng.choice([float("nan"), float("inf"), -float("inf")])}[what]()  # fmt: skip
    node = doc
    for key in path[:-1]:
        node = node[key]
    if not path:
        return json.dumps(value), f"the whole document replaced by {str(value)[:30]}"
    node[path[-1]] = value
    return json.dumps(doc), f"{'.'.join(map(str, path))} = {str(value)[:30]}"


def forged_architecture(members: list[tuple[str, bytes]]) -> bytes:
    """The metadata names a 2 GiB architecture; each parameter member declares its shape but
    carries 64 bytes, and the zip's central directory claims the full sizes: a file of a few
    KB that a reader trusting the directory builds a 2 GiB network for."""
    dims = [4, 29_000_000, 3]  # the good files' [4, 5, 3] widened: 2.6e8 parameters, under max_parameters
    shapes = {f"W{l}": (dims[l], dims[l - 1]) for l in (1, 2)} | {f"b{l}": (dims[l], 1) for l in (1, 2)}
    out, claims = [], {}
    for name, body in members:
        key = name[: -len(".npy")].rsplit(".", 1)[-1]
        if name == "metadata.npy":
            doc = json.loads(np.load(bytesio.BytesIO(body), allow_pickle=False).tobytes())
            for node in (doc.get("config"), doc.get("network"), doc.get("model", {}).get("config"), doc.get("model", {}).get("network")):
                if isinstance(node, dict) and "layer_dims" in node:
                    node["layer_dims"] = dims
            body = npy(np.frombuffer(json.dumps(doc).encode(), dtype=np.uint8))
        elif key in shapes and np.prod(shapes[key]) < 512:
            body = npy(np.zeros(shapes[key]))
        elif key in shapes:
            header = forged_header(shapes[key])
            claims[name] = len(header) + 8 * int(np.prod(shapes[key]))
            body = header + bytes(64)
        out.append((name, body))
    data = bytearray(zip_bytes(out))
    at = data.find(b"PK\x01\x02")
    while at != -1:  # central directory entries: sizes at 20 (compressed) and 24, name length at 28, name at 46
        name = data[at + 46 : at + 46 + struct.unpack("<H", data[at + 28 : at + 30])[0]].decode()
        if name in claims:
            data[at + 20 : at + 28] = struct.pack("<II", claims[name], claims[name])
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def forged_hdf5(rng: random.Random) -> tuple[bytes, str]:
    """An HDF5 file written by h5py whose 'X' is hostile: a group, a huge dataset never written, strings, a scalar."""
    import h5py

    trick = rng.choice(["group", "unwritten", "strings", "scalar", "no-Y", "huge-chunked"])
    buffer = bytesio.BytesIO()
    with h5py.File(buffer, "w") as f:
        if trick == "group":
            f.create_group("X")["inner"] = np.zeros((60, 4))
        elif trick == "unwritten":  # declares 8 GiB, stores nothing: the fill value
            f.create_dataset("X", shape=(2**20, 2**10), dtype="f8")
        elif trick == "huge-chunked":
            f.create_dataset("X", shape=(2**24, 64), dtype="f8", chunks=(1024, 64), compression="gzip")[:1024] = 1.0
        elif trick == "strings":
            f["X"] = np.array([b"a"] * 60)
        elif trick == "scalar":
            f["X"] = 3.0
        if trick != "no-Y":
            f["Y"] = np.arange(60) % 2
        else:
            f["X"] = np.zeros((60, 4))
    return buffer.getvalue(), f"HDF5 whose X is {trick}"


def mutate(kind: str, data: bytes, seed: int) -> tuple[bytes, str]:
    """A mutation of the good file ``data`` (deterministic for ``seed``) and what it is."""
    rng = random.Random(seed)
    if kind == "hdf5":  # not a zip: truncations, byte flips and forged files
        how = rng.choice(["truncate", "flip", "flip", "forged"])
        if how == "forged":
            return forged_hdf5(rng)
    else:
        how = rng.choice(["truncate", "flip", "zip", "header", "header", "json", "json", "json", "architecture"])
        if kind in ("npz",) and how in ("json", "architecture"):
            how = "header"
        if how == "architecture":
            return forged_architecture(members_of(data)), "a 2 GiB architecture in a few KB (sizes claimed by the zip directory)"
    if how == "truncate":
        cut = rng.randrange(len(data))
        return data[:cut], f"truncated to {cut} bytes"
    if how == "flip":
        out = bytearray(data)
        spots = [rng.randrange(len(out)) for _ in range(rng.choice([1, 2, 8, 64]))]
        for i in spots:
            out[i] ^= 1 << rng.randrange(8)
        return bytes(out), f"bits flipped at {spots[:4]}..."
    members = members_of(data)
    if how == "zip":
        trick = rng.choice(["duplicate", "drop", "extra", "rename", "deflate", "bomb", "crc", "sizes", "junk", "empty"])
        i = rng.randrange(len(members))
        if trick == "duplicate":
            members.append(members[i])
        elif trick == "drop":
            del members[i]
        elif trick == "extra":
            members.append((rng.choice(["../evil.npy", "a/b.npy", "metadata", "x.txt", "W9.npy", "/abs.npy"]), npy(np.zeros(3))))
        elif trick == "rename":
            members[i] = (rng.choice(["W1.npy", "metadata.npy", "W1", "..npy", "perm.npy", "X.npy"]), members[i][1])
        elif trick == "bomb":  # a small deflated member that decompresses to 200 MiB
            members[i] = (members[i][0], members[i][1][:128] + bytes(200 * 2**20))
            return zip_bytes(members, zipfile.ZIP_DEFLATED), f"member {members[i][0]} inflates to 200 MiB"
        elif trick == "empty":
            members = []
        out = bytearray(zip_bytes(members, zipfile.ZIP_DEFLATED if trick == "deflate" else zipfile.ZIP_STORED))
        if trick == "crc":  # the CRC of the first local header
            out[14] ^= 0xFF
        elif trick == "sizes":  # the first local header's sizes claim 4 GiB
            out[18:26] = struct.pack("<II", 0xFFFFFFF0, 0xFFFFFFF0)
        elif trick == "junk":
            out = bytearray(os.urandom(rng.randrange(1, 100))) + out
        return bytes(out), f"zip trick {trick} on member {i}"
    if how == "header":
        i = rng.randrange(len(members))
        name, body = members[i]
        shape = rng.choice([(2**40,), (2**31, 2**31), (5, 2**33), (0,), (), (2**62, 2**62), (3, 0, 2)])
        descr = rng.choice(["<f8", "<f4", "|O", "<U1000000", ">f8", "|u1", "<i8", "<c16", "|V8", "<f8"])
        forged = forged_header(shape, descr, fortran=rng.random() < 0.2, version=rng.choice([(1, 0), (2, 0), (3, 0)]), data=body[-64:])
        members[i] = (name, forged)
        return zip_bytes(members), f"{name} declares shape {shape} of {descr}"
    # json: the metadata document, hostile
    i = next(k for k, (name, _) in enumerate(members) if name == "metadata.npy")
    text = np.load(bytesio.BytesIO(members[i][1]), allow_pickle=False).tobytes().decode()
    new, what = hostile_json(rng, text)
    encoded = new.encode("utf-8", "surrogatepass")
    members[i] = ("metadata.npy", npy(np.frombuffer(encoded, dtype=np.uint8)))
    return zip_bytes(members, zipfile.ZIP_DEFLATED), f"metadata: {what}"


# ---- the worker: runs in a subprocess with limits ---------------------------------------------------


class OutOfTime(Exception):
    pass


def work(folder: Path, kind: str, seeds: list[int]) -> None:
    """Load each mutation of ``folder``'s good ``kind`` file; print one JSON line per case."""
    import resource
    import signal

    load = loader(kind)
    good = Path(folder) / json.loads((Path(folder) / "files.json").read_text())[kind]
    data = good.read_bytes()

    def out_of_time(signum, frame):
        raise OutOfTime(f"more than {CPU_SECONDS} s of CPU")

    signal.signal(signal.SIGPROF, out_of_time)
    with open("/proc/self/statm") as f:
        used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + MEMORY_MIB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    target = Path(folder) / f"case-{kind}{good.suffix}"
    for seed in seeds:
        mutated, what = mutate(kind, data, seed)
        path = target
        if kind == "checkpoint":
            path = Path(folder) / f"case-run-{seed}" / good.name
            path.parent.mkdir(exist_ok=True)
        path.write_bytes(mutated)
        outcome = "loaded"
        signal.setitimer(signal.ITIMER_PROF, CPU_SECONDS)
        try:
            load(path)
        except DOCUMENTED as exc:
            outcome = "refused" if str(path.name) in str(exc) else f"unnamed: {exc}"[:300]
            if os.environ.get("FUZZ_VERBOSE"):
                print(exc, file=sys.stderr)
        except BaseException as exc:  # noqa: BLE001 - this is what the fuzzer looks for
            outcome = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        if kind == "checkpoint":
            path.unlink()
            path.parent.rmdir()
        print(json.dumps({"seed": seed, "what": what, "outcome": outcome}), flush=True)


def run_worker(folder: Path, kind: str, seeds: list[int]) -> list[dict]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, __file__, str(folder), kind, *map(str, seeds)], capture_output=True, text=True, env=env,
                          timeout=60 + 2 * CPU_SECONDS * len(seeds))  # fmt: skip
    cases = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0:
        done = {c["seed"] for c in cases}
        lost = next((s for s in seeds if s not in done), None)
        cases.append({"seed": lost, "what": "(the worker died)", "outcome": f"exit {proc.returncode}: {proc.stderr[-500:]}"})
    return cases


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    files = make_files(folder)
    (folder / "files.json").write_text(json.dumps({k: str(v.relative_to(folder)) for k, v in files.items()}))
    return folder, files


CASES = {"model": 240, "checkpoint": 160, "npz": 120, "hdf5": 60}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("kind", list(CASES))
def test_mutated_files_are_loaded_or_refused_by_name_in_bounded_memory_and_time(good_files, kind):
    folder, files = good_files
    if kind not in files:
        pytest.skip("HDF5 files need h5py: pip install 'layerwise[hdf5]'")
    seeds = [1000 * list(CASES).index(kind) + k for k in range(CASES[kind])]
    cases = run_worker(folder, kind, seeds)
    assert len(cases) >= len(seeds)
    bad = [c for c in cases if c["outcome"] not in ("loaded", "refused")]
    report = "\n".join(f"seed {c['seed']}: {c['what']} -> {c['outcome']}" for c in bad[:15])
    assert not bad, f"{len(bad)} of {len(seeds)} mutated {kind} files gave an undocumented outcome:\n{report}"
    assert sum(c["outcome"] == "refused" for c in cases) > len(seeds) // 2  # the mutations do mutate


def test_the_good_files_load(good_files):
    folder, files = good_files
    for kind, path in files.items():
        loader(kind)(path)


if __name__ == "__main__":  # the worker: FOLDER KIND SEED...
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src")) if not os.environ.get("PYTHONPATH") else None
    work(Path(sys.argv[1]), sys.argv[2], [int(s) for s in sys.argv[3:]])


def _with_metadata(data: bytes, edit) -> bytes:
    """The archive ``data`` with its metadata document replaced by ``edit(doc)`` (a dict or JSON text)."""
    members = members_of(data)
    i = next(k for k, (name, _) in enumerate(members) if name == "metadata.npy")
    doc = json.loads(np.load(bytesio.BytesIO(members[i][1]), allow_pickle=False).tobytes())
    new = edit(doc)
    text = new if isinstance(new, str) else json.dumps(doc)
    members[i] = ("metadata.npy", npy(np.frombuffer(text.encode(), dtype=np.uint8)))
    return zip_bytes(members, zipfile.ZIP_DEFLATED)


def test_the_attacks_examples_are_refused_by_name_in_bounded_memory(good_files, tmp_path):
    """The cases the attack on the previous version reported, each refused with a ValueError
    naming the file and the field while allocating at most a few MiB."""
    from test_hostile_files import refused  # a ValueError matching, in bounded memory (tracemalloc)

    import layerwise as lw
    from layerwise import io

    folder, files = good_files
    model, checkpoint = files["model"].read_bytes(), files["checkpoint"].read_bytes()

    def network_doc(doc):
        return doc["network"] if "network" in doc else doc["model"]["network"]

    cases = {
        "forged.npz": (lw.load, forged_architecture(members_of(model)), "claims .* stored bytes in a file of"),
        "bomb.npz": (lw.load, _with_metadata(model, lambda d: "[" + ",".join(["{}"] * 2 * 10**6) + "]"), "more than 100000 JSON objects"),
        "deep.npz": (lw.load, _with_metadata(model, lambda d: "[" * 100_000 + "]" * 100_000), "nested more than 32 levels"),
        "list.npz": (lw.load, _with_metadata(model, lambda d: network_doc(d).update(dtype=["float64"])), "dtype"),
        "step.npz": (io.load_checkpoint, _with_metadata(checkpoint, lambda d: d["trainer"]["optimizer"].update(t=10**400)),
                     r"trainer.optimizer.t is 1000.*expected an integer in \[0, 9007199254740992\]"),
    }  # fmt: skip
    for name, (load, data, match) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert name in refused(path, match, load=load, peak_mib=64)
