"""Data in the course layout, examples as columns: the ``Dataset`` container, built-in sets,
file readers and splits. Everything here is also importable from ``layerwise.datasets``."""

from ..tasks import TASKS
from .dataset import Dataset
from .datasets import DATASETS, blobs, breast_cancer, cat, circles, diabetes, digits, iris, load, moons, parity, planar, spiral, wine, xor
from .readers import data_dir, load_csv, load_hdf5, load_npz
from .tables import Table, read_table
from .splits import kfold_indices, split_indices, train_test_split, train_val_test_split

__all__ = [
    "DATASETS", "TASKS", "Dataset", "Table", "blobs", "breast_cancer", "cat", "circles", "data_dir", "diabetes", "digits",
    "iris", "kfold_indices", "load", "load_csv", "load_hdf5", "load_npz", "moons", "parity", "planar", "read_table",
    "spiral", "split_indices", "train_test_split", "train_val_test_split", "wine", "xor",
]  # fmt: skip
