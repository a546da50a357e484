"""Model files: a ``Model`` (network, schema, preprocessing, labels) in one ``.npz``, format v2.

The archive's arrays (``allow_pickle=False``; each header checked before it is read):

- ``W1, b1, ..., WL, bL``: the parameters, ``W[l]: (n[l], n[l-1])``, ``b[l]: (n[l], 1)``, of the
  network's dtype;
- ``classes``: the class labels ``(n_classes,)``, int64, float64 or text (absent for regression);
- ``input.<i>.<name>``: the arrays of input preprocessing step ``i`` (``input.0.mean``, ...);
- ``target.<i>.<name>``: the arrays of target step ``i`` (regression);
- ``metadata``: a UTF-8 JSON document stored as ``uint8``::

    {"format": "layerwise-model", "format_version": 2, "library_version": "0.1.0",
     "network": {"layer_dims": [...], "activations": [...], "loss": ..., "init": ..., "seed": ..., "dtype": ...},
     "task": "binary", "features": ["a", "b", ...], "label": "diagnosis" or null,
     "preprocessing": {"input": [{"step": "standardize", "config": {}}], "target": []},
     "info": {...}, "history": {...} or null}

Version 1 files (``"config"`` and ``"metadata"`` with the standardisation as lists) are read
too and give the same model. Loading refuses missing or extra arrays, unknown fields and
versions, and architectures over ``max_parameters`` numbers, with a ``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .. import _checks, tasks
from ..callbacks import History
from ..model import Model
from ..network import Network
from ..preprocessing import Pipeline, get_step
from .archive import (
    DAMAGED_ARCHIVE,
    METADATA_KEY,
    check_keys,
    document_text,
    is_int,
    number_list,
    open_archive,
    read_document,
    read_header,
    require,
    string_list,
    write_archive,
)

FORMAT = "layerwise-model"
FORMAT_VERSION = 2
READS = (1, 2)
MAX_PARAMETERS = 2**28  # 2 GiB of float64; load_model(max_parameters=...) raises or lowers it
MAX_LABEL_CHARS = 1024  # the longest class label or step text a file may declare

_DOCUMENT_KEYS = {"format", "format_version", "library_version", "network", "task", "features", "label", "preprocessing", "info", "history"}
_V1_KEYS = {"format", "format_version", "library_version", "config", "metadata", "history"}
_CONFIG_KEYS = {"layer_dims", "activations", "loss", "init", "seed", "dtype"}
_HISTORY_STATUSES = {"running", "completed", "early_stopping", "diverged", "interrupted", "failed"}


# ---- writing --------------------------------------------------------------------------------


def model_archive(model: Model, history: dict | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(document, arrays) of ``model``; ``history`` replaces the network's (checkpoints)."""
    from .. import __version__

    if not model.pipeline.fitted:
        raise ValueError("the model's preprocessing is not fitted; fit the model before saving it")
    net = model.network
    arrays = dict(net.parameters)
    if model.classes is not None:
        arrays["classes"] = model.classes
    inputs, input_steps = model.pipeline.to_arrays("input")
    targets, target_steps = model.target.to_arrays("target")
    arrays.update(inputs)
    arrays.update(targets)
    if history is None and net.history_ is not None:
        history = net.history_.to_dict()
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "network": net.config(),
        "task": model.task,
        "features": list(model.features),
        "label": model.label,
        "preprocessing": {"input": input_steps, "target": target_steps},
        "info": model.info,
        "history": history,
    }
    return doc, arrays


def save_model(model, path) -> None:
    """Write ``model`` (a ``Model``, or a ``Network``: saved as ``Model(net)``) to ``path``."""
    model = as_model(model)
    doc, arrays = model_archive(model)
    text = document_text(doc, "model.info")
    parse_document(json.loads(text))  # what is written can be read back
    write_archive(path, arrays, text)


def as_model(obj) -> Model:
    if isinstance(obj, Model):
        return obj
    if isinstance(obj, Network):
        return Model(obj)
    raise TypeError(f"expected a layerwise Model or Network; got {type(obj).__name__}")


# ---- reading --------------------------------------------------------------------------------


def load_model(path, *, max_parameters: int = MAX_PARAMETERS) -> Model:
    """The ``Model`` saved in ``path`` (format v2 or v1), with its history.

    Raises ``ValueError`` (naming the file and the problem) for anything but a well-formed
    layerwise model file, and for architectures with more than ``max_parameters`` numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    with open_archive(path, "model file") as archive:
        try:
            names, doc = read_document(path, archive, "model file")
            try:
                doc = parse_document(doc)
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
            expected = model_arrays(path, doc, max_parameters)
            check_members(path, names, expected, "the model's description")
            arrays = read_arrays(path, archive, expected)
        except DAMAGED_ARCHIVE as exc:
            raise ValueError(f"{path}: damaged model file: {exc}") from None
    arrays.update(doc.get("v1_arrays", {}))
    if doc.get("v1_classes") is not None:
        arrays["classes"] = doc["v1_classes"]
    return build_model(path, doc, arrays)


def check_members(path: Path, names: set[str], expected: dict, what: str) -> None:
    missing, extra = sorted(set(expected) - names), sorted(names - set(expected) - {METADATA_KEY})
    if missing or extra:
        raise ValueError(f"{path}: arrays do not match {what}: missing {missing}, unexpected {extra[:10]}")


def model_arrays(path: Path, doc: dict, max_parameters: int) -> dict[str, tuple]:
    """``{key: (shape or None, kinds)}`` of every array the (parsed) document calls for.

    Parameters have exact shapes (refused past ``max_parameters`` numbers); ``classes`` has
    ``(n_classes,)``; a step's arrays are checked by the step itself once read, bounded here
    to ``max_parameters`` numbers in all.
    """
    config = doc["network"]
    dims = config["layer_dims"]
    shapes = tasks.parameter_shapes(dims)
    n = tasks.n_parameters(dims)
    if n > max_parameters:
        raise ValueError(f"{path}: the architecture {dims} has {n} parameters, more than max_parameters={max_parameters}")
    itemsize = np.dtype(config["dtype"]).itemsize
    expected: dict[str, tuple] = {key: (shape, "f", itemsize) for key, shape in shapes.items()}
    n_classes = tasks.n_classes_of(doc["task"], dims[-1])
    if n_classes is not None and doc["classes_stored"]:
        expected["classes"] = ((n_classes,), None, None)
    for part in ("input", "target"):
        for i, entry in enumerate(doc["preprocessing"][part]):
            for name in entry["arrays"]:
                expected[f"{part}.{i}.{name}"] = (None, None, None)
    return expected


def read_arrays(path: Path, archive, expected: dict[str, tuple], budget: int = MAX_PARAMETERS) -> dict[str, np.ndarray]:
    """Every ``expected`` array, each header checked first; the free-shaped ones (steps, labels)
    limited to 2-D numbers or text of at most ``MAX_LABEL_CHARS`` characters, ``budget`` values in all."""
    out, total = {}, 0
    for key, (shape, kind, itemsize) in expected.items():
        if kind is not None:
            read_header(path, archive, key, (shape, kind, itemsize))
        else:
            got, dtype = read_header(path, archive, key)
            ok_kind = dtype.kind in "iuf" and dtype.itemsize == 8 or dtype.kind == "U" and dtype.itemsize <= 4 * MAX_LABEL_CHARS
            total += math.prod(got)
            if not ok_kind or len(got) > 2 or (shape is not None and got != shape) or total > budget:
                want = f"shape {shape}" if shape is not None else "at most 2-D"
                raise ValueError(f"{path}: array {key!r} is {dtype} with shape {got}; expected 8-byte numbers or text, {want}")
        out[key] = archive[key]
    return out


def build_model(path: Path, doc: dict, arrays: dict[str, np.ndarray]) -> Model:
    """The ``Model`` of a parsed document and its (checked) arrays."""
    config = doc["network"]
    try:
        net = Network(config["layer_dims"], activations=config["activations"], loss=config["loss"], init=config["init"],
                      seed=config["seed"], dtype=config["dtype"])  # fmt: skip
        net.set_parameters({key: arrays[key] for key in tasks.parameter_shapes(config["layer_dims"])})
        require(net.task == doc["task"], f"task is {doc['task']!r} but the network's loss {net.loss.name!r} makes it {net.task!r}")
        net.history_ = doc["history"]
        steps = {part: Pipeline.from_arrays(part, arrays, doc["preprocessing"][part], names)
                 for part, names in (("input", doc["features"]), ("target", [f"y{i + 1}" for i in range(net.n_y)]))}  # fmt: skip
        classes = arrays.get("classes")
        if classes is not None and classes.dtype.kind == "f" and not np.isfinite(classes).all():
            raise ValueError("classes must be finite numbers or text")
        return Model(net, features=doc["features"], pipeline=steps["input"], target=steps["target"], classes=classes,
                     label=doc["label"], info=doc["info"])  # fmt: skip
    except (ValueError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


# ---- the JSON document, parsed strictly ------------------------------------------------------


def parse_document(doc) -> dict:
    """The document of a v2 or v1 file as v2 fields (``history`` a ``History``, each step with the
    names of its ``arrays``; v1's standardisation as ``v1_arrays``), every field and type checked."""
    require(isinstance(doc, dict), f"the metadata is {type(doc).__name__}; expected an object")
    require(doc.get("format") == FORMAT, f"format is {doc.get('format')!r}; expected {FORMAT!r}")
    version = doc.get("format_version")
    require(is_int(version), f"format_version is {version!r}; expected an integer")
    require(version in READS, f"format_version {version} is not supported (this layerwise reads {', '.join(map(str, READS))})")
    if version == 1:
        return _upgrade_v1(doc)
    check_keys("the metadata", doc, _DOCUMENT_KEYS)
    require(isinstance(doc["library_version"], str), "library_version must be a string")
    config = _parse_config("network", doc["network"])
    dims = config["layer_dims"]
    task = doc["task"]
    require(task in tasks.TASKS, f"task is {task!r}; expected one of {list(tasks.TASKS)}")
    implied = tasks.task_of_loss(config["loss"])
    require(task == implied, f"task is {task!r} but the network's loss {config['loss']!r} makes it {implied!r}")
    features = doc["features"]
    string_list("features", features)
    require(len(features) >= 1, "features must name at least one input")
    label = doc["label"]
    require(label is None or isinstance(label, str), "label must be a string or null")
    pre = doc["preprocessing"]
    check_keys("preprocessing", pre, {"input", "target"})
    parts = {}
    for part in ("input", "target"):
        require(isinstance(pre[part], list), f"preprocessing.{part} must be a list of steps")
        parts[part] = [_parse_step(f"preprocessing.{part}[{i}]", s) for i, s in enumerate(pre[part])]
    if not parts["input"]:
        require(len(features) == dims[0], f"features has {len(features)} names; the network takes {dims[0]} inputs")
    require(isinstance(doc["info"], dict), "info must be an object")
    return {"network": config, "task": task, "features": features, "label": label, "preprocessing": parts,
            "info": doc["info"], "history": _parse_history(doc["history"]), "classes_stored": True}  # fmt: skip


def _parse_step(what: str, step) -> dict:
    check_keys(what, step, {"step", "config"})
    require(isinstance(step["step"], str), f"{what}.step must be a step name")
    require(isinstance(step["config"], dict), f"{what}.config must be an object")
    return {**step, "arrays": get_step(step["step"]).array_names(step["config"])}


def _parse_config(what: str, config) -> dict:
    check_keys(what, config, _CONFIG_KEYS)
    dims = config["layer_dims"]
    require(isinstance(dims, list) and len(dims) >= 2 and all(is_int(n) and n >= 1 for n in dims),
            f"{what}.layer_dims is {dims!r}; expected a list of at least 2 positive integers")  # fmt: skip
    string_list(f"{what}.activations", config["activations"], len(dims) - 1)
    for key in ("loss", "init"):
        require(isinstance(config[key], str), f"{what}.{key} must be a string")
    seed = config["seed"]
    require(seed is None or is_int(seed) and seed >= 0, f"{what}.seed is {seed!r}; expected a non-negative integer or null")
    require(config["dtype"] in _checks.FLOAT_DTYPES, f"{what}.dtype is {config['dtype']!r}; expected one of {sorted(_checks.FLOAT_DTYPES)}")
    return config


def _parse_history(history) -> History | None:
    if history is None:
        return None
    check_keys("history", history, set(History.__dataclass_fields__))
    for key in ("costs", "val_costs", "val_metrics", "learning_rates"):
        number_list(f"history.{key}", history[key])
    require(isinstance(history["metric"], str) and isinstance(history["message"], str), "history.metric and history.message must be strings")
    require(history["status"] in _HISTORY_STATUSES, f"history.status is {history['status']!r}; expected one of {sorted(_HISTORY_STATUSES)}")
    best = history["best_epoch"]
    require(best is None or is_int(best) and best >= 0, f"history.best_epoch is {best!r}; expected a non-negative integer or null")
    return History.from_dict(history)


def _upgrade_v1(doc: dict) -> dict:
    """A version 1 document (``config`` + free ``metadata``) as the v2 fields; its standardisation
    statistics (JSON lists) become the arrays of a ``standardize`` step (``v1_arrays``)."""
    check_keys("the metadata", doc, _V1_KEYS)
    require(isinstance(doc["library_version"], str), "library_version must be a string")
    config = _parse_config("config", doc["config"])
    dims = config["layer_dims"]
    metadata = doc["metadata"]
    require(isinstance(metadata, dict), "metadata must be an object")
    n_x, n_y = dims[0], dims[-1]
    task = tasks.task_of_loss(config["loss"])
    steps, v1_arrays = [], {}
    if "preprocessing" in metadata:
        pre = metadata["preprocessing"]
        check_keys("metadata.preprocessing", pre, set(), {"standardize"})
        if "standardize" in pre:
            check_keys("metadata.preprocessing.standardize", pre["standardize"], {"mean", "std"})
            number_list("metadata.preprocessing.standardize.mean", pre["standardize"]["mean"], n_x)
            number_list("metadata.preprocessing.standardize.std", pre["standardize"]["std"], n_x, positive=True)
            steps.append({"step": "standardize", "config": {}, "arrays": []})
            v1_arrays = {f"input.0.{k}": np.asarray(pre["standardize"][k], dtype=np.float64).reshape(-1, 1) for k in ("mean", "std")}
    classes = None
    if metadata.get("class_names") is not None:
        string_list("metadata.class_names", metadata["class_names"], max(n_y, 2) if config["activations"][-1] != "linear" else None)
        classes = np.array(metadata["class_names"], dtype=str)
    features = metadata.get("feature_names")
    if features is not None:
        string_list("metadata.feature_names", features, n_x)
    if "data" in metadata:
        require(metadata["data"] is None or isinstance(metadata["data"], str), "metadata.data must be a string")
    if "run" in metadata:
        require(isinstance(metadata["run"], dict), "metadata.run must be an object")
    label = metadata.get("run", {}).get("label")
    info = {k: v for k, v in metadata.items() if k not in ("preprocessing", "class_names", "feature_names")}
    return {"network": config, "task": task, "features": features or [f"x{i + 1}" for i in range(n_x)],
            "label": label if isinstance(label, str) else None, "preprocessing": {"input": steps, "target": []},
            "info": info, "history": _parse_history(doc["history"]), "classes_stored": False,
            "v1_arrays": v1_arrays, "v1_classes": classes}  # fmt: skip
