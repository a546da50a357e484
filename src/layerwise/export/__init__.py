"""Export a trained model to ONNX (the optional ``onnx`` extra); see ``export/onnx.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def export_onnx(model, path=None):
    """The ONNX model (an ``onnx.ModelProto``, checked) computing ``model``'s predictions from
    raw rows ``(m, n_features)``; written to ``path`` (atomically) when given.

    ``model``: a ``layerwise.Model`` or a bare ``Network`` (features ``x1..xn``, no preprocessing).
    """
    try:
        from . import onnx as exporter
    except ImportError as exc:
        raise ImportError(f"ONNX export needs the onnx package ({exc}): pip install 'layerwise[onnx]'") from None
    from .. import __version__

    proto = exporter.build(**_parts(model), library_version=__version__)
    if path is not None:
        from ..io import atomic_write

        with atomic_write(Path(path) if not isinstance(path, Path) else path) as f:
            f.write(proto.SerializeToString())
    return proto


def _parts(model) -> dict:
    """What the graph needs from a Model or a Network."""
    network = getattr(model, "network", model)
    if not hasattr(network, "activations") or not hasattr(network, "parameters"):
        raise TypeError(f"export_onnx takes a layerwise Model or Network, got {type(model).__name__}")
    if network is model:
        task = network.task
        classes = None if task == "regression" else np.arange(2 if task == "binary" else network.n_y)
        return {"network": network, "features": [f"x{i}" for i in range(1, network.n_x + 1)], "task": task, "classes": classes}
    return {
        "network": network,
        "features": list(model.features),
        "input_steps": list(model.pipeline.steps),
        "target_steps": list(model.target.steps),
        "string_features": string_features(model),
        "task": model.task,
        "classes": model.classes,
        "label": model.label,
    }


def string_features(model) -> list[str]:
    """The raw features of ``model`` that are categories (read as strings): those a one-hot
    step encodes. The others are numbers."""
    pipeline = getattr(model, "pipeline", None)
    encoded = {c for step in getattr(pipeline, "steps", ()) if step.name == "one_hot" for c in step.columns}
    return [f for f in getattr(model, "features", ()) if f in encoded]
