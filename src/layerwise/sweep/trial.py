"""One trial, or one piece of it: an ordinary ``Network`` + ``fit`` run, wherever it executes.

``run_segment`` is the only function the backends ship to workers. It trains trial ``trial``
on fold ``fold`` until ``until`` epochs in all, continuing from ``state`` (the parameters and
``Trainer.state_dict()`` of the previous piece) when pruning split the trial at a rung; two
pieces give the same numbers as one run. BLAS runs on one thread, so every backend computes
bit-identical results.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np

from .. import tasks
from ..callbacks import Callback, History
from ..network import Network

# (X_train (n_x, m_train), Y_train, X_val (n_x, m_val) or None, Y_val or None)
Fold = tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]


@dataclass(frozen=True)
class TrialData:
    """What every trial trains on: the folds (one for a validation split, k for k-fold)."""

    folds: list[Fold]
    task: str
    n_out: int  # output units: 1 (binary), the number of classes, or n_y (regression)


@dataclass(frozen=True)
class Segment:
    """Train trial ``trial`` on fold ``fold`` up to ``until`` epochs in all."""

    trial: int
    fold: int
    params: dict
    seed: int
    until: int
    state: dict | None = None  # {"parameters": ..., "trainer": Trainer.state_dict()} to go on from
    deadline: float | None = None  # time.time() after which no epoch starts
    keep_parameters: bool = False  # return the parameters when the trial ends (for the best model)


@dataclass
class SegmentResult:
    """What a segment sends back. ``status``: "running" (stopped at a rung, more to do),
    "completed", "time_limit", "skipped" (the time limit passed before it started),
    "diverged", "failed" or "interrupted" (Ctrl-C)."""

    trial: int
    fold: int
    status: str
    message: str
    history: History | None
    seconds: float
    state: dict | None = None  # with "running": what the next segment goes on from
    parameters: dict | None = None  # with keep_parameters, once the trial has ended


def build_network(params: dict, n_x: int, data: TrialData, seed: int) -> Network:
    """The trial's network: ``[n_x, *hidden, n_out]``, the output activation set by the task."""
    hidden = params["hidden_dims"]
    if hidden is None:
        hidden = [params["hidden_units"]] * params["hidden_layers"]
    if not isinstance(hidden, list):
        raise ValueError(f"hidden_dims is {hidden!r}; expected a list of layer sizes")
    return Network([n_x, *hidden, data.n_out], hidden=params["activation"], output=tasks.output_activation(data.task),
                   init=params["init"], seed=seed)  # fmt: skip


def fit_arguments(params: dict) -> dict:
    """The keyword arguments of ``Network.fit`` that come from the hyperparameters."""
    batch_size = params["batch_size"]
    return {
        "learning_rate": params["learning_rate"],
        "optimizer": params["optimizer"],
        "batch_size": None if batch_size == "full" else batch_size,
        "lambd": params["lambd"],
        "keep_prob": params["keep_prob"],
    }


class _Resume(Callback):
    """Puts the trainer back where the previous segment left it (optimizer, rng, history)."""

    def __init__(self, trainer_state: dict):
        self.trainer_state = trainer_state

    def on_train_begin(self, trainer):
        trainer.load_state_dict(self.trainer_state)
        trainer.history.status = "running"


class _Deadline(Callback):
    """Stops training at the end of the first epoch past the sweep's time limit."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False

    def on_epoch_end(self, trainer, epoch, logs):
        if time.time() >= self.deadline:
            self.fired = trainer.stop_training = True
            trainer.history.status = "interrupted"
            trainer.history.message = "the sweep's time limit was reached"


def _one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the numbers may then differ in the last bits between backends
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def run_segment(segment: Segment, data: TrialData) -> SegmentResult:
    """Train one segment; a diverging run or a bad combination of hyperparameters comes back
    as a "diverged" or "failed" result with its reason, never as an exception."""
    start = time.perf_counter()
    state = segment.state
    result = SegmentResult(segment.trial, segment.fold, "failed", "", None, 0.0)
    if segment.deadline is not None and time.time() >= segment.deadline:
        if state is None:
            result.status, result.message = "skipped", "the sweep's time limit was reached before it started"
        else:
            result.status, result.message = "time_limit", "the sweep's time limit was reached"
            result.history = History.from_dict(state["trainer"]["history"])
            result.parameters = state["parameters"] if segment.keep_parameters else None
        return result
    X, Y, Xv, Yv = data.folds[segment.fold]
    done = 0 if state is None else len(state["trainer"]["history"]["costs"])
    deadline = None if segment.deadline is None else _Deadline(segment.deadline)
    callbacks = [c for c in (None if state is None else _Resume(state["trainer"]), deadline) if c is not None]
    net = None
    with _one_blas_thread():
        try:
            net = build_network(segment.params, X.shape[0], data, segment.seed)
            if state is not None:
                net.set_parameters(state["parameters"])
            history = net.fit(X, Y, epochs=segment.until - done, validation_data=None if Xv is None else (Xv, Yv),
                              seed=segment.seed, callbacks=callbacks, **fit_arguments(segment.params))  # fmt: skip
        except FloatingPointError as exc:  # DivergenceError
            result.status, result.message = "diverged", str(exc)
            result.history = getattr(exc, "history", None)
        except (ValueError, TypeError, MemoryError) as exc:  # a bad combination of hyperparameters
            result.message = f"{type(exc).__name__}: {exc}"
            result.history = None if net is None else net.history_
        else:
            result.history = history
            if deadline is not None and deadline.fired:
                result.status, result.message = "time_limit", history.message
            elif history.status == "interrupted":
                result.status, result.message = "interrupted", history.message
            elif len(history.costs) < segment.params["epochs"]:
                result.status = "running"
            else:
                result.status = "completed"
            if result.status == "running":
                result.state = {"parameters": {k: v.copy() for k, v in net.parameters.items()}, "trainer": net.trainer_.state_dict()}
            elif result.status in ("completed", "time_limit") and segment.keep_parameters:
                result.parameters = net.parameters
    result.seconds = time.perf_counter() - start
    return result
