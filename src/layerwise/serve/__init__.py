"""``layerwise serve MODEL.npz``: an HTTP prediction server for a trained model (the ``web`` extra).

``server.py`` has the routes and the runner, ``predictor.py`` turns JSON instances into rows and
predictions back into JSON, ``batching.py`` batches concurrent requests into one forward pass.
"""

from __future__ import annotations

import numpy as np


def load_model(path):
    """The model in ``path``, as the server uses it (phase A: a Network seen as a Model)."""
    from ..io import load_model as load

    return _NetworkModel(load(path))


class _NetworkModel:
    """Temporary: a bare Network with the Model's prediction interface."""

    def __init__(self, network):
        self.network = network
        self.features = [f"x{i}" for i in range(1, network.n_x + 1)]
        self.task = network.task
        self.pipeline = self.target = type("Empty", (), {"steps": []})()
        self.classes = None if self.task == "regression" else np.arange(2 if self.task == "binary" else network.n_y)

    def predict_proba(self, X):
        AL = self.network.predict_proba(X)
        return np.vstack([1 - AL, AL]) if self.task == "binary" else AL

    def predict(self, X):
        return self.network.predict(X)
