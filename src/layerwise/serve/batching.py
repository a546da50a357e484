"""Micro-batching: the rows of concurrent requests go through one forward pass.

A request's rows ``X: (n_features, m)`` wait at most ``window`` seconds for other requests
(or until ``max_rows`` rows are waiting), then all of them are predicted together in one call
and each request gets back its own columns. ``window = 0`` turns batching off: each request is
predicted alone. The forward passes run one at a time in a worker thread, so the event loop
keeps reading requests meanwhile (NumPy releases the GIL in its matrix products).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np


class Batcher:
    """``await batcher(X)`` is ``predict(X)``, with concurrent calls batched.

    ``predict`` maps ``X: (n_features, m)`` to a list of ``m`` per-row results.
    """

    def __init__(self, predict: Callable[[np.ndarray], list], *, window: float = 0.002, max_rows: int = 4096):
        if not window >= 0:
            raise ValueError(f"batch window is {window!r}; expected seconds >= 0")
        self.predict = predict
        self.window = float(window)
        self.max_rows = int(max_rows)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerwise-predict")
        self.pending: list[tuple[np.ndarray, asyncio.Future]] = []
        self.pending_rows = 0
        self.timer: asyncio.TimerHandle | None = None
        self.batches = 0  # forward passes run, for the benchmark and the tests

    async def __call__(self, X: np.ndarray) -> list:
        loop = asyncio.get_running_loop()
        if self.window == 0:
            self.batches += 1
            return await loop.run_in_executor(self.executor, self.predict, X)
        future = loop.create_future()
        self.pending.append((X, future))
        self.pending_rows += X.shape[1]
        if self.pending_rows >= self.max_rows:
            self._flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.window, self._flush)
        return await future

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending, self.pending_rows = self.pending, [], 0
        if batch:
            self.batches += 1
            asyncio.get_running_loop().run_in_executor(self.executor, self._run, batch)

    def _run(self, batch: list[tuple[np.ndarray, asyncio.Future]]) -> None:
        """In the worker thread: one forward pass for the whole batch; if it fails, each request
        alone, so that one bad request's error is its own."""
        try:
            results = self.predict(np.concatenate([X for X, _ in batch], axis=1)) if len(batch) > 1 else None
        except Exception:
            results = None
        start = 0
        for X, future in batch:
            m = X.shape[1]
            if results is not None:
                outcome = (results[start : start + m], None)
            else:
                try:
                    outcome = (self.predict(X), None)
                except Exception as exc:
                    outcome = (None, exc)
            start += m
            future.get_loop().call_soon_threadsafe(_settle, future, *outcome)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def _settle(future: asyncio.Future, result, exc) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
