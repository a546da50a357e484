"""Checkpoints: stopping a run and going on with it exactly.

``DIR/checkpoint.npz`` holds, in one file written atomically, everything an interrupted run
needs: the model file's arrays (parameters ``W1, b1, ...``, ``classes``, the preprocessing
steps' arrays); the optimizer's state arrays ``optimizer.<slot>.<key>`` (``v``, ``s`` per
parameter); the shuffled order ``perm`` of the current epoch (mini-batches only); and
``metadata``, a UTF-8 JSON document::

    {"format": "layerwise-checkpoint", "format_version": 2, "library_version": "0.1.0",
     "model": {... the model file's document, with the run's history so far ...},
     "trainer": {"optimizer": {"name": "adam", "t": 120, "epoch": 30, "examples": 6000, "slots": {"v": ["W1", ...], ...}},
                 "rng": {... numpy bit generator state ...}, "iteration": 120,
                 "position": null | {"batch": 2, "cost_sum": 1.25, "seen": 64, "m": 300, "perm": true}},
     "run": {... the settings of the run, e.g. the CLI's ...}}

Loading checks it as strictly as a model file (headers before data, every field and shape);
version 1 checkpoints (a version 1 model document inside) are read too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _checks, _files, tasks
from ..callbacks import Callback
from ..model import Model
from ..network import Network
from .archive import check_keys, document_text, is_int, is_number, read_document, require, string_list, write_archive
from .modelfile import MAX_PARAMETERS, as_model, build_model, check_members, model_archive, model_arrays, parse_document, read_arrays

CHECKPOINT_FORMAT = "layerwise-checkpoint"
CHECKPOINT_VERSION = 2
CHECKPOINT_READS = (1, 2)
CHECKPOINT_FILE = "checkpoint.npz"
MAX_EXAMPLES = 2**27  # the largest epoch whose order a checkpoint may hold (1 GiB of int64)

_CHECKPOINT_KEYS = {"format", "format_version", "library_version", "model", "trainer", "run"}


@dataclass
class TrainingCheckpoint:
    """What :func:`load_checkpoint` returns: the model (its network with the history so far,
    its preprocessing and labels), the trainer's state for ``Trainer.load_state_dict`` and the
    run's settings."""

    model: Model
    trainer_state: dict
    run_config: dict

    @property
    def network(self) -> Network:
        return self.model.network


def save_checkpoint(directory, model: Model | Network, trainer, run_config: dict | None = None) -> Path:
    """Write ``directory/checkpoint.npz`` (atomically) so that training can go on from here;
    ``model`` is the ``Model`` being trained (or its bare ``Network``).

    Call it between updates: from a callback hook or after ``Trainer.run`` returned (an
    interrupted run included). Returns the file's path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = as_model(model)
    state = trainer.state_dict()
    slots: dict[str, list[str]] = {}
    document, arrays = model_archive(model, state["history"])
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
    counts = {k: state["optimizer"][k] for k in ("t", "epoch", "examples")}
    optimizer = {"name": trainer.optimizer.name, **counts, "slots": slots}
    from .. import __version__

    doc = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "library_version": __version__,
        "model": document,
        "trainer": {"optimizer": optimizer, "rng": state["rng"], "iteration": state["iteration"], "position": position},
        "run": run_config or {},
    }
    text = document_text(doc, "model.info and run_config")
    parse_document(json.loads(text)["model"])  # what is written can be read back
    path = directory / CHECKPOINT_FILE
    write_archive(path, arrays, text)
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
    names, doc = read_document(archive)
    try:
        model_doc, trainer = _parse_checkpoint_document(doc, max_examples)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    expected = model_arrays(path, model_doc, max_parameters)
    dims = model_doc["network"]["layer_dims"]
    shapes = tasks.parameter_shapes(dims)
    itemsize = np.dtype(model_doc["network"]["dtype"]).itemsize
    for slot, keys in trainer["optimizer"]["slots"].items():
        for key in keys:
            if key not in shapes:
                raise ValueError(f"{path}: optimizer slot {slot!r} names {key!r}, which is not a parameter of {dims}")
            expected[f"optimizer.{slot}.{key}"] = (shapes[key], "f", itemsize)
    position = trainer["position"]
    if position is not None and position["perm"]:
        expected["perm"] = ((position["m"],), "i", 8)
    check_members(path, names, expected, "the checkpoint's description")
    arrays = read_arrays(archive, expected)
    arrays.update(model_doc.get("v1_arrays", {}))
    if model_doc.get("v1_classes") is not None:
        arrays["classes"] = model_doc["v1_classes"]
    model = build_model(path, model_doc, arrays)
    net = model.network
    optimizer = {k: trainer["optimizer"][k] for k in ("t", "epoch", "examples") if k in trainer["optimizer"]}
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
             "position": position, "history": model_doc["history"].to_dict(), "iteration": trainer["iteration"]}  # fmt: skip
    return TrainingCheckpoint(model, state, doc["run"])


def _parse_checkpoint_document(doc, max_examples: int) -> tuple[dict, dict]:
    """(the model's parsed document, trainer) from a checkpoint's JSON document, every field checked."""
    from ..optimizers import OPTIMIZERS

    check_keys("the metadata", doc, _CHECKPOINT_KEYS)
    require(doc["format"] == CHECKPOINT_FORMAT, f"format is {doc['format']!r}; expected {CHECKPOINT_FORMAT!r}")
    version = doc["format_version"]
    require(is_int(version) and version in CHECKPOINT_READS,
            f"format_version {version!r} is not supported (this layerwise reads {', '.join(map(str, CHECKPOINT_READS))})")  # fmt: skip
    require(isinstance(doc["run"], dict), "run must be an object")
    model_doc = parse_document(doc["model"])
    require(model_doc["history"] is not None, "model.history is missing; a checkpoint records the run so far")

    trainer = doc["trainer"]
    check_keys("trainer", trainer, {"optimizer", "rng", "iteration", "position"})
    opt = trainer["optimizer"]
    check_keys("trainer.optimizer", opt, {"name", "t", "epoch", "slots"}, {"examples"})  # examples: absent in older checkpoints (then 0)
    require(isinstance(opt["name"], str) and opt["name"] in OPTIMIZERS, f"trainer.optimizer.name is {opt['name']!r}; expected one of {sorted(OPTIMIZERS)}")
    for key in [k for k in ("t", "epoch", "examples") if k in opt]:
        require(is_int(opt[key]) and 0 <= opt[key] <= _checks.MAX_COUNT,
                f"trainer.optimizer.{key} is {_checks._show(opt[key])}; expected an integer in [0, {_checks.MAX_COUNT}]")  # fmt: skip
    slots = opt["slots"]
    require(isinstance(slots, dict) and all(isinstance(s, str) and s.isidentifier() for s in slots),
             "trainer.optimizer.slots must map slot names to lists of parameter names")  # fmt: skip
    for slot, keys in slots.items():
        string_list(f"trainer.optimizer.slots.{slot}", keys)
        require(len(set(keys)) == len(keys), f"trainer.optimizer.slots.{slot} repeats a parameter")
    require(is_int(trainer["iteration"]) and 0 <= trainer["iteration"] <= _checks.MAX_COUNT,
            f"trainer.iteration must be an integer in [0, {_checks.MAX_COUNT}]")  # fmt: skip
    try:  # the generator's own check of its state, on a throwaway generator of the same kind
        np.random.default_rng().bit_generator.state = trainer["rng"]
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise ValueError(f"trainer.rng is not a state of numpy's default generator: {exc}") from None
    position = trainer["position"]
    if position is not None:
        check_keys("trainer.position", position, {"batch", "cost_sum", "seen", "m", "perm"})
        m = position["m"]
        require(is_int(m) and 1 <= m <= max_examples, f"trainer.position.m is {m!r}; expected an integer in [1, {max_examples}]")
        require(is_int(position["batch"]) and 0 <= position["batch"] <= m, "trainer.position.batch must be an integer in [0, m]")
        require(is_int(position["seen"]) and 0 <= position["seen"] <= m, "trainer.position.seen must be an integer in [0, m]")
        require(is_number(position["cost_sum"]) and math.isfinite(position["cost_sum"]), "trainer.position.cost_sum must be a finite number")
        require(isinstance(position["perm"], bool), "trainer.position.perm must be true or false")
    return model_doc, trainer


class Checkpoint(Callback):
    """Saves ``directory/checkpoint.npz`` every ``every`` epochs and when training is interrupted
    (Ctrl-C, SIGTERM) or, with ``every``, ends; ``run_config`` is stored with it (JSON data).
    ``model``: the ``Model`` whose network is trained (default: the bare network)."""

    def __init__(self, directory, run_config: dict | None = None, every: int | None = None, *, model: Model | None = None):
        self.directory = Path(directory)
        self.run_config = run_config
        self.every = _checks.check_positive_int("every", every, allow_none=True)
        self.model = model

    def _save(self, trainer) -> None:
        model = self.model if self.model is not None and self.model.network is trainer.network else trainer.network
        save_checkpoint(self.directory, model, trainer, self.run_config)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.every and (epoch + 1) % self.every == 0:
            self._save(trainer)

    def on_train_end(self, trainer):
        # "running" here means training ran to its end (run() marks it "completed" after the hooks)
        status = trainer.history.status
        if status == "interrupted" or self.every and status in ("running", "early_stopping"):
            self._save(trainer)


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
