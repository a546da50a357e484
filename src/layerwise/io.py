"""Model files: a network's parameters and how to use and reproduce it, in one ``.npz``.

The file is a zip of ``.npy`` arrays (NumPy's own format, never pickles):

- ``W1, b1, ..., WL, bL``: the parameters, ``W[l]: (n[l], n[l-1])``, ``b[l]: (n[l], 1)``, of
  the network's dtype;
- ``metadata``: a UTF-8 JSON document stored as a ``uint8`` array::

    {"format": "layerwise-model", "format_version": 1, "library_version": "0.1.0",
     "config": {"layer_dims": [...], "activations": [...], "loss": ..., "init": ...,
                "seed": ..., "dtype": ...},
     "metadata": {"preprocessing": {"standardize": {"mean": [...], "std": [...]}},
                  "class_names": [...], "feature_names": [...], "data": ..., "run": {...}},
     "history": {"costs": [...], "val_costs": [...], ...} or null}

Loading (through ``_files.Archive``) checks the declared shape and dtype of every array from
its ``.npy`` header, and that the file holds that much data, before reading it, and reads the
parameters before building anything from them: memory is bounded by the file's size and the
architecture (itself bounded by ``max_parameters``). Missing or extra arrays, unknown fields
and unknown format versions are refused; the metadata is at most ``MAX_METADATA_BYTES`` of JSON
nested at most ``MAX_JSON_DEPTH`` deep.
Writes are atomic: a temporary file in the same folder, flushed, fsynced, then renamed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _checks, _files
from .callbacks import Callback, History
from .datasets import Standardizer
from .network import Network

FORMAT = "layerwise-model"
FORMAT_VERSION = 1
METADATA_KEY = "metadata"
MAX_METADATA_BYTES = 16 * 2**20  # JSON parsed from it takes at most about 12x that (containers are counted)
MAX_JSON_DEPTH = 32
MAX_PARAMETERS = _checks.MAX_PARAMETERS  # 2 GiB of float64; load_model(max_parameters=...) raises or lowers it
DAMAGED_ARCHIVE = _files.DAMAGED

_DOCUMENT_KEYS = {"format", "format_version", "library_version", "config", "metadata", "history"}
_CONFIG_KEYS = {"layer_dims", "activations", "loss", "init", "seed", "dtype"}
_HISTORY_STATUSES = {"running", "completed", "early_stopping", "diverged", "interrupted", "failed"}


# ---- writing --------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file beside ``path``; on success flush, fsync and rename it to ``path``.

    Readers see the old file or the complete new one, never a partial write.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def model_document(net: Network) -> dict:
    """The JSON document saved beside the parameters of ``net``."""
    from . import __version__

    history = getattr(net, "history_", None)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "config": net.config(),
        "metadata": net.metadata,
        "history": None if history is None else history.to_dict(),
    }


def save_model(net: Network, path) -> None:
    """Write ``net`` (parameters, architecture, ``net.metadata``, ``net.history_``) to ``path``.

    ``net.metadata`` must be JSON data (NumPy scalars and arrays are converted to lists).
    """
    try:
        text = json.dumps(model_document(net), default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"net.metadata must be JSON data (str, numbers, lists, dicts): {exc}") from None
    _parse_document(json.loads(text))  # what is written can be read back
    arrays = {key: np.ascontiguousarray(value) for key, value in net.parameters.items()}
    arrays[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as f:
        np.savez(f, **arrays)


# ---- reading --------------------------------------------------------------------------------


def load_model(path, *, max_parameters: int = MAX_PARAMETERS) -> Network:
    """The ``Network`` saved in ``path`` by :func:`save_model`, with its metadata and history.

    Raises ``ValueError`` (naming the file and the problem) for anything but a well-formed
    layerwise model file, and for architectures with more than ``max_parameters`` numbers.
    """
    with _files.Archive(path, "model file") as archive:
        return _read(archive, max_parameters)


def _read_document(archive: _files.Archive) -> tuple[set[str], object]:
    """The archive's array names and its JSON metadata, bounded."""
    return set(archive.keys), archive.read_json(METADATA_KEY, max_bytes=MAX_METADATA_BYTES, max_depth=MAX_JSON_DEPTH)


def _parameter_shapes(path: Path, dims: list[int], max_parameters: int) -> dict[str, tuple[int, int]]:
    """``{"W1": (n1, n0), "b1": (n1, 1), ...}`` for ``dims``, refusing more than ``max_parameters`` in all."""
    shapes = {}
    for l in range(1, len(dims)):
        shapes[f"W{l}"] = (dims[l], dims[l - 1])
        shapes[f"b{l}"] = (dims[l], 1)
    n_parameters = sum(math.prod(s) for s in shapes.values())
    if n_parameters > max_parameters:
        raise ValueError(f"{path}: the architecture {dims} has {n_parameters} parameters, more than max_parameters={max_parameters}")
    return shapes


def _read_parameters(archive: _files.Archive, dtype: str, shapes: dict) -> dict[str, np.ndarray]:
    """Every array of ``shapes`` (checked from its header, then read), before anything is built from them."""
    return {key: archive.read(key, kinds="f", dtype=dtype, shape=shape, max_bytes=math.prod(shape) * 8) for key, shape in shapes.items()}


def _build_network(path: Path, config: dict, parameters: dict, metadata: dict, history: History) -> Network:
    """The network described by ``config`` with the (already read) ``parameters``."""
    try:
        net = Network(config["layer_dims"], activations=config["activations"], loss=config["loss"], init=config["init"],
                      seed=config["seed"], dtype=config["dtype"])  # fmt: skip
        net.set_parameters(parameters)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    net.metadata = metadata
    net.history_ = history
    return net


def _read(archive: _files.Archive, max_parameters: int) -> Network:
    path = archive.path
    names, doc = _read_document(archive)
    try:
        config, metadata, history = _parse_document(doc)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None

    dims = config["layer_dims"]
    shapes = _parameter_shapes(path, dims, max_parameters)
    missing, extra = sorted(set(shapes) - names), sorted(names - set(shapes) - {METADATA_KEY})
    if missing or extra:
        raise ValueError(f"{path}: arrays do not match the architecture {dims}: missing {missing}, unexpected {extra}")
    return _build_network(path, config, _read_parameters(archive, config["dtype"], shapes), metadata, history)


# ---- the metadata document, parsed strictly ---------------------------------------------------


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_keys(what: str, d, required: set[str], optional: set[str] = frozenset()) -> None:
    _require(isinstance(d, dict), f"{what} is {type(d).__name__}; expected an object")
    missing, extra = sorted(required - set(d)), sorted(set(d) - required - optional)
    _require(not missing and not extra, f"{what}: missing fields {missing}, unknown fields {extra}")


def _number_list(what: str, values, n: int | None = None, positive: bool = False) -> None:
    _require(isinstance(values, list) and all(_is_number(v) for v in values), f"{what} must be a list of numbers")
    _require(n is None or len(values) == n, f"{what} has {len(values)} values; expected {n}")
    _require(not positive or all(math.isfinite(v) and v > 0 for v in values), f"{what} must hold finite numbers > 0")


def _string_list(what: str, values, n: int | None = None) -> None:
    _require(isinstance(values, list) and all(isinstance(v, str) for v in values), f"{what} must be a list of strings")
    _require(n is None or len(values) == n, f"{what} has {len(values)} names; expected {n}")


def _parse_document(doc) -> tuple[dict, dict, History | None]:
    """(config, metadata, history) from the JSON document, every field and type checked."""
    _check_keys("the metadata", doc, _DOCUMENT_KEYS)
    _require(doc["format"] == FORMAT, f"format is {doc['format']!r}; expected {FORMAT!r}")
    version = doc["format_version"]
    _require(_is_int(version), f"format_version is {version!r}; expected an integer")
    _require(version == FORMAT_VERSION, f"format_version {version} is not supported (this layerwise reads {FORMAT_VERSION})")
    _require(isinstance(doc["library_version"], str), "library_version must be a string")

    config = doc["config"]
    _check_keys("config", config, _CONFIG_KEYS)
    dims = config["layer_dims"]
    _require(isinstance(dims, list) and len(dims) >= 2 and all(_is_int(n) and n >= 1 for n in dims),
             f"config.layer_dims is {dims!r}; expected a list of at least 2 positive integers")  # fmt: skip
    _string_list("config.activations", config["activations"], len(dims) - 1)
    for key in ("loss", "init"):
        _require(isinstance(config[key], str), f"config.{key} must be a string")
    seed = config["seed"]
    _require(seed is None or _is_int(seed) and seed >= 0, f"config.seed is {seed!r}; expected a non-negative integer or null")
    _require(isinstance(config["dtype"], str) and config["dtype"] in _checks.FLOAT_DTYPES, f"config.dtype is {config['dtype']!r}; expected one of {sorted(_checks.FLOAT_DTYPES)}")

    metadata = doc["metadata"]
    _require(isinstance(metadata, dict), "metadata must be an object")
    n_x, n_y = dims[0], dims[-1]
    if "preprocessing" in metadata:
        pre = metadata["preprocessing"]
        _check_keys("metadata.preprocessing", pre, set(), {"standardize"})
        if "standardize" in pre:
            _check_keys("metadata.preprocessing.standardize", pre["standardize"], {"mean", "std"})
            _number_list("metadata.preprocessing.standardize.mean", pre["standardize"]["mean"], n_x)
            _number_list("metadata.preprocessing.standardize.std", pre["standardize"]["std"], n_x, positive=True)
    if metadata.get("class_names") is not None:
        _string_list("metadata.class_names", metadata["class_names"], max(n_y, 2) if config["activations"][-1] != "linear" else None)
    if metadata.get("feature_names") is not None:
        _string_list("metadata.feature_names", metadata["feature_names"], n_x)
    if "data" in metadata:
        _require(metadata["data"] is None or isinstance(metadata["data"], str), "metadata.data must be a string")
    if "run" in metadata:
        _require(isinstance(metadata["run"], dict), "metadata.run must be an object")

    history = doc["history"]
    if history is not None:
        _check_keys("history", history, set(History.__dataclass_fields__))
        for key in ("costs", "val_costs", "val_metrics", "learning_rates"):
            _number_list(f"history.{key}", history[key])
        _require(isinstance(history["metric"], str) and isinstance(history["message"], str), "history.metric and history.message must be strings")
        _require(isinstance(history["status"], str) and history["status"] in _HISTORY_STATUSES, f"history.status is {history['status']!r}; expected one of {sorted(_HISTORY_STATUSES)}")
        best = history["best_epoch"]
        _require(best is None or _is_int(best) and best >= 0, f"history.best_epoch is {best!r}; expected a non-negative integer or null")
        history = History.from_dict(history)
    return config, metadata, history


# ---- using a loaded model -----------------------------------------------------------------------


def preprocess(net: Network, X) -> np.ndarray:
    """``X: (n_x, m)`` as ``net`` was trained on it: the preprocessing in ``net.metadata`` applied.

    A model trained with standardisation (``layerwise train --standardize``) records the
    training mean and std; pass raw features here before ``net.predict``.
    """
    X = _checks.check_X(X, net.n_x, np.float64)
    stats = net.metadata.get("preprocessing", {}).get("standardize")
    return X if stats is None else Standardizer.from_dict(stats).transform(X)


# ==== checkpoints: stopping a run and going on with it exactly (robustness section) ===========
#
# ``DIR/checkpoint.npz`` holds, in one file written atomically, everything an interrupted run
# needs: the parameters ``W1, b1, ...``; the optimizer's state arrays ``optimizer.<slot>.<key>``
# (``v``, ``s`` per parameter); the shuffled order ``perm`` of the current epoch (mini-batches
# only); and ``metadata``, a UTF-8 JSON document::
#
#     {"format": "layerwise-checkpoint", "format_version": 1, "library_version": "0.1.0",
#      "model": {... the model file's document, with the run's history so far ...},
#      "trainer": {"optimizer": {"name": "adam", "t": 120, "epoch": 30, "slots": {"v": ["W1", ...], ...}},
#                  "rng": {... numpy bit generator state ...}, "iteration": 120,
#                  "position": null | {"batch": 2, "cost_sum": 1.25, "seen": 64, "m": 300, "perm": true}},
#      "run": {... the settings of the run, e.g. the CLI's ...}}
#
# Loading checks it as strictly as a model file (headers before data, every field and shape).

CHECKPOINT_FORMAT = "layerwise-checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_FILE = "checkpoint.npz"
MAX_EXAMPLES = 2**27  # the largest epoch whose order a checkpoint may hold (1 GiB of int64)

_CHECKPOINT_KEYS = {"format", "format_version", "library_version", "model", "trainer", "run"}


@dataclass
class TrainingCheckpoint:
    """What :func:`load_checkpoint` returns: the network (parameters, metadata, history so far),
    the trainer's state for ``Trainer.load_state_dict`` and the run's settings."""

    network: Network
    trainer_state: dict
    run_config: dict


def save_checkpoint(directory, net: Network, trainer, run_config: dict | None = None) -> Path:
    """Write ``directory/checkpoint.npz`` (atomically) so that training can go on from here.

    Call it between updates: from a callback hook or after ``Trainer.run`` returned (an
    interrupted run included). Returns the file's path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = trainer.state_dict()
    slots: dict[str, list[str]] = {}
    arrays = {key: np.ascontiguousarray(value) for key, value in net.parameters.items()}
    for name, value in state["optimizer"].items():
        if "/" in name:
            slot, key = name.split("/", 1)
            slots.setdefault(slot, []).append(key)
            arrays[f"optimizer.{slot}.{key}"] = np.ascontiguousarray(value)
    position = state["position"]
    if position is not None:
        if position["perm"] is not None:
            arrays["perm"] = np.asarray(position["perm"], dtype=np.int64)
        position = {**position, "perm": position["perm"] is not None, "m": int(trainer.m)}
    optimizer = {"name": trainer.optimizer.name, "t": state["optimizer"]["t"], "epoch": state["optimizer"]["epoch"], "slots": slots}
    from . import __version__

    doc = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "library_version": __version__,
        "model": {**model_document(net), "history": state["history"]},
        "trainer": {"optimizer": optimizer, "rng": state["rng"], "iteration": state["iteration"], "position": position},
        "run": run_config or {},
    }
    try:
        text = json.dumps(doc, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"net.metadata and run_config must be JSON data: {exc}") from None
    _parse_document(json.loads(text)["model"])  # what is written can be read back
    arrays[METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    path = directory / CHECKPOINT_FILE
    with atomic_write(path) as f:
        np.savez(f, **arrays)
    return path


def load_checkpoint(directory, *, max_parameters: int = MAX_PARAMETERS, max_examples: int = MAX_EXAMPLES) -> TrainingCheckpoint:
    """Read ``directory/checkpoint.npz`` (or the file itself), refusing anything malformed with a ``ValueError``."""
    path = Path(directory)
    if path.is_dir():
        path = path / CHECKPOINT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no checkpoint here (layerwise train writes one on Ctrl-C and with --checkpoint-every)")
    with _files.Archive(path, "checkpoint") as archive:
        return _read_checkpoint(archive, max_parameters, max_examples)


def _read_checkpoint(archive: _files.Archive, max_parameters: int, max_examples: int) -> TrainingCheckpoint:
    path = archive.path
    names, doc = _read_document(archive)
    try:
        config, metadata, history, trainer = _parse_checkpoint_document(doc, max_examples)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None

    dims = config["layer_dims"]
    shapes = _parameter_shapes(path, dims, max_parameters)
    expected = dict(shapes)
    for slot, keys in trainer["optimizer"]["slots"].items():
        for key in keys:
            if key not in shapes:
                raise ValueError(f"{path}: optimizer slot {slot!r} names {key!r}, which is not a parameter of {dims}")
            expected[f"optimizer.{slot}.{key}"] = shapes[key]
    position = trainer["position"]
    if position is not None and position["perm"]:
        expected["perm"] = (position["m"],)
    missing, extra = sorted(set(expected) - names), sorted(names - set(expected) - {METADATA_KEY})
    if missing or extra:
        raise ValueError(f"{path}: arrays do not match the checkpoint's description: missing {missing}, unexpected {extra[:10]}")
    arrays = _read_parameters(archive, config["dtype"], {key: shape for key, shape in expected.items() if key != "perm"})
    if "perm" in expected:
        arrays["perm"] = archive.read("perm", kinds="i", dtype=np.int64, shape=expected["perm"], max_bytes=8 * max_examples)
    net = _build_network(path, config, {key: arrays[key] for key in shapes}, metadata, history)
    optimizer = {"t": trainer["optimizer"]["t"], "epoch": trainer["optimizer"]["epoch"]}
    for slot, keys in trainer["optimizer"]["slots"].items():
        for key in keys:
            value = np.array(arrays[f"optimizer.{slot}.{key}"], dtype=net.dtype, order="C")
            if not np.isfinite(value).all():
                raise ValueError(f"{path}: optimizer state {slot}/{key} contains NaN or infinity")
            optimizer[f"{slot}/{key}"] = value
    if position is not None:
        perm = None
        if position["perm"]:
            perm = np.array(arrays["perm"])
            if not np.array_equal(np.sort(perm), np.arange(position["m"])):
                raise ValueError(f"{path}: 'perm' is not a permutation of the {position['m']} examples")
        position = {**position, "perm": perm}
    state = {"optimizer": optimizer, "optimizer_name": trainer["optimizer"]["name"], "rng": trainer["rng"],
             "position": position, "history": history.to_dict(), "iteration": trainer["iteration"]}  # fmt: skip
    return TrainingCheckpoint(net, state, doc["run"])


def _parse_checkpoint_document(doc, max_examples: int) -> tuple[dict, dict, History, dict]:
    """(config, metadata, history, trainer) from a checkpoint's JSON document, every field checked."""
    from .optimizers import OPTIMIZERS

    _check_keys("the metadata", doc, _CHECKPOINT_KEYS)
    _require(doc["format"] == CHECKPOINT_FORMAT, f"format is {doc['format']!r}; expected {CHECKPOINT_FORMAT!r}")
    version = doc["format_version"]
    _require(_is_int(version) and version == CHECKPOINT_VERSION,
             f"format_version {version!r} is not supported (this layerwise reads {CHECKPOINT_VERSION})")  # fmt: skip
    _require(isinstance(doc["run"], dict), "run must be an object")
    config, metadata, history = _parse_document(doc["model"])
    _require(history is not None, "model.history is missing; a checkpoint records the run so far")

    trainer = doc["trainer"]
    _check_keys("trainer", trainer, {"optimizer", "rng", "iteration", "position"})
    opt = trainer["optimizer"]
    _check_keys("trainer.optimizer", opt, {"name", "t", "epoch", "slots"})
    _require(isinstance(opt["name"], str) and opt["name"] in OPTIMIZERS, f"trainer.optimizer.name is {opt['name']!r}; expected one of {sorted(OPTIMIZERS)}")
    for key in ("t", "epoch"):
        _require(_is_int(opt[key]) and 0 <= opt[key] <= _checks.MAX_COUNT,
                 f"trainer.optimizer.{key} is {_checks._show(opt[key])}; expected an integer in [0, {_checks.MAX_COUNT}]")  # fmt: skip
    slots = opt["slots"]
    _require(isinstance(slots, dict) and all(isinstance(s, str) and s.isidentifier() for s in slots),
             "trainer.optimizer.slots must map slot names to lists of parameter names")  # fmt: skip
    for slot, keys in slots.items():
        _string_list(f"trainer.optimizer.slots.{slot}", keys)
        _require(len(set(keys)) == len(keys), f"trainer.optimizer.slots.{slot} repeats a parameter")
    _require(_is_int(trainer["iteration"]) and 0 <= trainer["iteration"] <= _checks.MAX_COUNT,
             f"trainer.iteration must be an integer in [0, {_checks.MAX_COUNT}]")  # fmt: skip
    try:  # the generator's own check of its state, on a throwaway generator of the same kind
        np.random.default_rng().bit_generator.state = trainer["rng"]
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"trainer.rng is not a state of numpy's default generator: {exc}") from None
    position = trainer["position"]
    if position is not None:
        _check_keys("trainer.position", position, {"batch", "cost_sum", "seen", "m", "perm"})
        m = position["m"]
        _require(_is_int(m) and 1 <= m <= max_examples, f"trainer.position.m is {m!r}; expected an integer in [1, {max_examples}]")
        _require(_is_int(position["batch"]) and 0 <= position["batch"] <= m, "trainer.position.batch must be an integer in [0, m]")
        _require(_is_int(position["seen"]) and 0 <= position["seen"] <= m, "trainer.position.seen must be an integer in [0, m]")
        _require(_is_number(position["cost_sum"]) and math.isfinite(position["cost_sum"]), "trainer.position.cost_sum must be a finite number")
        _require(isinstance(position["perm"], bool), "trainer.position.perm must be true or false")
    return config, metadata, history, trainer


class Checkpoint(Callback):
    """Saves ``directory/checkpoint.npz`` every ``every`` epochs and when training is interrupted
    (Ctrl-C, SIGTERM) or, with ``every``, ends; ``run_config`` is stored with it (JSON data)."""

    def __init__(self, directory, run_config: dict | None = None, every: int | None = None):
        self.directory = Path(directory)
        self.run_config = run_config
        self.every = _checks.check_positive_int("every", every, allow_none=True)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.every and (epoch + 1) % self.every == 0:
            save_checkpoint(self.directory, trainer.network, trainer, self.run_config)

    def on_train_end(self, trainer):
        # "running" here means training ran to its end (run() marks it "completed" after the hooks)
        status = trainer.history.status
        if status == "interrupted" or self.every and status in ("running", "early_stopping"):
            save_checkpoint(self.directory, trainer.network, trainer, self.run_config)


class Resume(Callback):
    """Puts a checkpoint's state into the trainer that ``Network.fit`` builds, so that training
    goes on exactly where it stopped: pass ``callbacks=[Resume(checkpoint)]`` with the same data
    and settings, and as many epochs as remain.

    Early stopping starts counting its patience afresh (its state is not in the checkpoint).
    """

    def __init__(self, checkpoint: TrainingCheckpoint):
        self.state = checkpoint.trainer_state

    def on_train_begin(self, trainer):
        state = self.state
        if trainer.optimizer.name != state["optimizer_name"]:
            raise ValueError(f"the checkpoint was made with the {state['optimizer_name']!r} optimizer, not {trainer.optimizer.name!r}")
        position = state["position"]
        if position is not None:
            if position["m"] != trainer.m:
                raise ValueError(f"the checkpoint was made on {position['m']} training examples; this data has {trainer.m}")
            batch_size = trainer.batch_size or trainer.m
            if (position["perm"] is not None) != (trainer.batch_size is not None) or position["seen"] != min(position["batch"] * batch_size, trainer.m):
                raise ValueError(f"the checkpoint's position (batch {position['batch']}, {position['seen']} examples seen) does not fit batch_size {trainer.batch_size}")
        trainer.load_state_dict(state)
        trainer.history.status = "running"
