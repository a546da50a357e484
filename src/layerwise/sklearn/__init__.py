"""scikit-learn estimators over layerwise's engine (needs ``pip install layerwise[sklearn]``).

Two families, one implementation (``_base``):

- ``MLPClassifier`` / ``MLPRegressor``: drop-ins for ``sklearn.neural_network``'s, with
  scikit-learn's parameters, fitted attributes and rules (``_mlp``);
- ``NeuralNetClassifier`` / ``NeuralNetRegressor``: the same estimators in the course's
  vocabulary (``lambd``, ``keep_prob``, ``epochs``, ``optimizer``, ``init``) (``_course``).
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("layerwise.sklearn needs scikit-learn: pip install layerwise[sklearn]") from exc

from ._course import NeuralNetClassifier, NeuralNetRegressor
from ._mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "NeuralNetClassifier", "NeuralNetRegressor"]
