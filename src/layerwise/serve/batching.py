"""Micro-batching: the rows of concurrent requests go through one forward pass.

One forward pass runs at a time, in a worker thread (the event loop keeps reading requests
meanwhile). Requests that arrive while it runs wait, and all of them (up to ``max_rows`` rows)
go together in the next pass as soon as it ends: under load, batches grow with the load; alone,
a request goes at once. ``window`` seconds (default 0) additionally holds a request that
finds the predictor idle, for others to join it. ``batching=False`` predicts every request
alone (one pass each, still one at a time).
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

    def __init__(self, predict: Callable[[np.ndarray], list], *, batching: bool = True, window: float = 0.0, max_rows: int = 4096):
        if not window >= 0:
            raise ValueError(f"batch window is {window!r}; expected seconds >= 0")
        self.predict = predict
        self.batching = bool(batching)
        self.window = float(window)
        self.max_rows = int(max_rows)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="layerwise-predict")
        self.pending: list[tuple[np.ndarray, asyncio.Future]] = []
        self.pending_rows = 0
        self.busy = False
        self.timer: asyncio.TimerHandle | None = None
        self.batches = 0  # forward passes run, for the benchmark and the tests

    async def __call__(self, X: np.ndarray) -> list:
        loop = asyncio.get_running_loop()
        if not self.batching:
            self.batches += 1
            return await loop.run_in_executor(self.executor, self.predict, X)
        future = loop.create_future()
        self.pending.append((X, future))
        self.pending_rows += X.shape[1]
        if not self.busy:  # else: it goes when the running pass ends
            if self.window == 0 or self.pending_rows >= self.max_rows:
                self._flush()
            elif self.timer is None:
                self.timer = loop.call_later(self.window, self._flush)
        return await future

    def _flush(self) -> None:
        """Start a pass with the waiting requests, up to ``max_rows`` rows (at least one request)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.busy or not self.pending:
            return
        rows, k = 0, 0
        while k < len(self.pending) and (k == 0 or rows + self.pending[k][0].shape[1] <= self.max_rows):
            rows += self.pending[k][0].shape[1]
            k += 1
        batch, self.pending = self.pending[:k], self.pending[k:]
        self.pending_rows -= rows
        self.busy = True
        self.batches += 1
        asyncio.get_running_loop().run_in_executor(self.executor, self._run, batch).add_done_callback(self._done)

    def _done(self, _) -> None:
        self.busy = False
        self._flush()  # what came in meanwhile goes at once

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
