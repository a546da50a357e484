"""Where the trials run: in this process, in local processes (joblib), or on a Dask cluster.

A backend is a context manager with ``map(fn, tasks)``, which calls ``fn(task, data)`` for
every task and yields the results as they finish (in any order). ``data`` (the folds) is
sent once per worker where the backend allows it. Adding a backend is a class and a line in
``BACKENDS``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator


class Sequential:
    """One trial after another in this process (``workers`` and ``scheduler`` unused)."""

    name = "sequential"

    def __init__(self, data, workers: int | None = None, scheduler: str | None = None):
        self.data = data
        self.workers = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def map(self, fn: Callable, tasks: Iterable) -> Iterator:
        for task in tasks:
            yield fn(task, self.data)


class Processes:
    """``workers`` local processes through joblib (loky; default: the usable cores); the default backend."""

    name = "processes"

    def __init__(self, data, workers: int | None = None, scheduler: str | None = None):
        self.data = data
        self.workers = workers

    def __enter__(self):
        from joblib import Parallel, cpu_count

        self.workers = self.workers or cpu_count()
        self.parallel = Parallel(n_jobs=self.workers, return_as="generator_unordered")
        self.parallel.__enter__()  # keeps the worker pool between the rungs
        return self

    def __exit__(self, *exc) -> None:
        self.parallel.__exit__(*exc)

    def map(self, fn: Callable, tasks: Iterable) -> Iterator:
        from joblib import delayed

        yield from self.parallel(delayed(fn)(task, self.data) for task in tasks)


class Dask:
    """A Dask cluster: the one at ``scheduler`` ("tcp://host:8786"), or a ``LocalCluster`` of
    ``workers`` single-threaded processes (default: the usable cores) started here and stopped at the end."""

    name = "dask"

    def __init__(self, data, workers: int | None = None, scheduler: str | None = None):
        self.data = data
        self.scheduler = scheduler
        self.workers = workers
        self.cluster = None
        self.dashboard_link: str | None = None  # where to watch the trials run

    def __enter__(self):
        from dask.distributed import Client, LocalCluster

        if self.scheduler is None:
            # ":0": any free port for the scheduler's web server (the dashboard when bokeh is installed)
            self.cluster = LocalCluster(n_workers=self.workers, processes=True, threads_per_worker=1, dashboard_address=":0")
            self.client = Client(self.cluster)
            self.dashboard_link = self.client.dashboard_link if importlib.util.find_spec("bokeh") else None
        else:
            self.client = Client(self.scheduler)
            self.dashboard_link = self.client.dashboard_link
        self.workers = sum(self.client.nthreads().values())  # threads that run trials
        self.data_future = self.client.scatter(self.data, broadcast=True)
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, fn: Callable, tasks: Iterable) -> Iterator:
        from dask.distributed import as_completed

        futures = [self.client.submit(fn, task, self.data_future, pure=False) for task in tasks]
        for future in as_completed(futures):  # closing the client (on an error too) cancels the rest
            yield future.result()


BACKENDS: dict[str, type] = {b.name: b for b in (Sequential, Processes, Dask)}


def get_backend(name: str, data, workers: int | None = None, scheduler: str | None = None):
    """A backend by name ("sequential", "processes", "dask"), not yet entered."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {sorted(BACKENDS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers is {workers!r}; expected a positive integer")
    if scheduler is not None and name != "dask":
        raise ValueError(f"a scheduler address needs backend 'dask', not {name!r}")
    return BACKENDS[name](data, workers, scheduler)
