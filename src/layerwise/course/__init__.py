"""The course's own functions, by their names: an assignment's calls and checks run unchanged.

One module per programming assignment of "Neural Networks and Deep Learning", each function
with the course's name, signature, defaults, return types, cache layout, printed lines and
global ``np.random`` seeding:

- ``layerwise.course.logistic``: Week 2, logistic regression with a neural-network mindset;
- ``layerwise.course.shallow``: Week 3, planar data classification with one hidden layer;
- ``layerwise.course.deep``: Week 4, the deep network step by step and its application;
- ``layerwise.course.gradient_checking``: the course's gradient checking exercise.

Every function is a thin adapter over the engine (``blocks``, ``activations``, ``losses``,
``initializers``, ``gradcheck``): it converts the course's layouts (``w: (n_x, 1)``, caches
holding ``Z``, dict caches) to the engine's and back, and computes nothing itself. The map
from each course topic to these functions and to the engine is ``docs/course.md``.
"""

from . import deep, gradient_checking, logistic, shallow

__all__ = ["deep", "gradient_checking", "logistic", "shallow"]
