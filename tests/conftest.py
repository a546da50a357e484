"""Shared fixtures: the course's data through a path, never copied into the project."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest


def pytest_configure(config):
    """Ctrl-C as in a terminal: a run started in the background (a CI job, ``cmd &``) inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler, which the Ctrl-C tests rely on
    (the processes they start inherit the default again)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Tests train on the blocks (the reference, which many of them compare bit for bit) unless the
    # run sets LAYERWISE_KERNELS (``LAYERWISE_KERNELS=auto make test``) or a test does
    # (tests/test_kernel*.py): a fast path agrees to rounding, not bit for bit, and whether one is
    # chosen depends on what ran before in the process (layerwise.kernels.compiled). Set here, for
    # the whole session, so module- and session-scoped fixtures see it too.
    os.environ.setdefault("LAYERWISE_KERNELS", "numpy")


@pytest.fixture(scope="session")
def cat_data():
    """(train, test) cat/non-cat Datasets, or a skip saying why."""
    pytest.importorskip("h5py", reason="the cat images are HDF5 files: install layerwise[hdf5]")
    from layerwise import datasets

    try:
        return datasets.cat()
    except FileNotFoundError as exc:
        pytest.skip(f"course data not found ({exc}); set LAYERWISE_DATA to the folder of train_catvnoncat.h5")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
