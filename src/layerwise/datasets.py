"""``layerwise.datasets``: the data sets, readers and splits of :mod:`layerwise.data`, and the
``Standardizer`` and ``one_hot`` of :mod:`layerwise.preprocessing`, under one familiar name."""

from .data import *  # noqa: F403
from .data import __all__ as _data_names
from .preprocessing import Standardizer, one_hot

__all__ = [*_data_names, "Standardizer", "one_hot"]
