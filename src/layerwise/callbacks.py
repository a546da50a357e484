"""Training history and the hooks that watch training: divergence guard, early stopping,
printing, progress bars. The CLI's progress bar and checkpoints use the same interface.

A callback overrides any of:
``on_train_begin(trainer)``, ``on_gradients(trainer, cost, grads)`` (after backward, before
the update), ``on_batch_end(trainer, iteration, cost)``, ``on_epoch_end(trainer, epoch, logs)``,
``on_train_end(trainer)``. Setting ``trainer.stop_training = True`` ends training after the
current step.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ._checks import check_bool, check_positive_float, check_positive_int
from .optimizers import GradientDescent


@dataclass
class History:
    """What happened, one entry per epoch (for full-batch training: per iteration).

    ``costs[i]`` is the training cost of epoch ``i`` computed before its updates (the mean of
    its mini-batch costs); ``val_costs`` and ``val_metrics`` are measured after the epoch.
    ``status`` is "running", "completed", "early_stopping", "converged" (the training cost
    stopped improving), "diverged" or "interrupted".
    """

    costs: list[float] = field(default_factory=list)
    val_costs: list[float] = field(default_factory=list)
    val_metrics: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    metric: str = ""
    status: str = "running"
    message: str = ""
    best_epoch: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def write_csv(self, file) -> None:
        """``iteration, cost, val_cost, val_<metric>, learning_rate`` to a path or an open text
        file (e.g. ``io.atomic_write``'s); empty cells where not measured."""
        if not hasattr(file, "write"):
            with open(file, "w", newline="") as f:
                return self.write_csv(f)
        n = len(self.costs)

        def col(values: list, i: int):
            return values[i] if i < len(values) else ""

        w = csv.writer(file)
        w.writerow(["iteration", "cost", "val_cost", f"val_{self.metric or 'metric'}", "learning_rate"])
        for i in range(n):
            w.writerow([i, self.costs[i], col(self.val_costs, i), col(self.val_metrics, i), col(self.learning_rates, i)])


class Callback:
    """Base class; every hook does nothing by default.

    ``reads_parameters``: whether ``on_epoch_end`` reads the network's parameters (or the
    optimizer's state). A callback that reads only its arguments sets it False: a fast path
    (``layerwise.kernels``) then need not hand the parameters back after every epoch.
    """

    reads_parameters = True

    def on_train_begin(self, trainer) -> None: ...

    def on_gradients(self, trainer, cost: float, grads: dict[str, np.ndarray]) -> None: ...

    def on_batch_end(self, trainer, iteration: int, cost: float) -> None: ...

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None: ...

    def on_train_end(self, trainer) -> None: ...


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite cost or gradient; ``history`` says when."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def _all_finite(arrays) -> bool:
    """True if no array holds a NaN or infinity: its sum of squares (one BLAS dot product) is
    finite, or, only when that overflows, the elementwise test passes."""
    return all(math.isfinite(float(np.vdot(a, a))) or bool(np.isfinite(a).all()) for a in arrays)


class DivergenceGuard(Callback):
    """Stops at the first non-finite cost, gradient or parameter and keeps the last finite parameters.

    Before each update the cost and the gradients are checked (one reduction over
    ``trainer.flat_gradients``, of which the gradients are views) and the parameters are copied
    aside, unless the update cannot overflow (``_update_stays_finite``: plain gradient descent
    with small enough steps, nothing needs saving); after the update the parameters are checked
    (one reduction over ``trainer.flat_parameters``), and put back if the update itself
    overflowed. Only when a check fails is the step replayed layer by layer
    (``Trainer.diagnose``) to name the first quantity (Z, A, dW, db) that went non-finite.
    """

    def on_train_begin(self, trainer):
        self._saved = None  # the parameters before the update, made at the first step that needs them
        self._copied = False  # whether _saved holds this step's
        self._alone = not any(
            type(cb).on_gradients is not Callback.on_gradients for cb in trainer.callbacks if cb is not self
        )  # no other hook sees (and might change) the gradients between this check and the update

    def on_gradients(self, trainer, cost, grads):
        if not (math.isfinite(cost) and _all_finite([trainer.flat_gradients])):
            self._stop(trainer, trainer.iteration, f"{trainer.diagnose(grads)} became non-finite first (cost = {cost})")
        self._copied = not self._update_stays_finite(trainer)
        if self._copied:
            if self._saved is None or self._saved.shape != trainer.flat_parameters.shape:
                self._saved = np.empty_like(trainer.flat_parameters)
            np.copyto(self._saved, trainer.flat_parameters)

    def _update_stays_finite(self, trainer) -> bool:
        """Whether the coming update is plain gradient descent, ``W -= lr dW``, and provably finite:
        every ``|W - lr dW|`` is at most ``||W|| + lr ||dW||`` (2-norms over all parameters, one BLAS
        dot product each), and that is kept under a quarter of the dtype's largest float, which
        also covers the dot products' rounding."""
        if type(trainer.optimizer) is not GradientDescent or not self._alone:
            return False
        p, g = trainer.flat_parameters, trainer.flat_gradients
        step = abs(trainer.optimizer.learning_rate) * math.sqrt(float(np.vdot(g, g)))
        return math.sqrt(float(np.vdot(p, p))) + step <= float(np.finfo(p.dtype).max) / 4  # False for inf, NaN

    def on_batch_end(self, trainer, iteration, cost):
        if _all_finite([trainer.flat_parameters]):
            return
        bad = next(k for k, v in trainer.network.parameters.items() if not np.isfinite(v).all())
        assert self._copied, "an update proven finite was not"  # see _update_stays_finite
        np.copyto(trainer.flat_parameters, self._saved)
        layer = bad[1:]
        self._stop(trainer, iteration - 1, f"the update made {bad} (layer {layer}) non-finite (cost before it = {cost})")

    @staticmethod
    def _stop(trainer, iteration: int, what: str):
        lr = trainer.optimizer.learning_rate
        scale = "" if _on_one_scale(getattr(trainer, "X", None)) else " or scale the features (standardise X)"
        message = (
            f"training diverged at iteration {iteration} (epoch {trainer.epoch}): {what}. "
            f"The last finite parameters are kept. "
            f"Try a smaller learning rate (now {lr:g}){scale}."
        )
        raise DivergenceError(message, trainer.history)


def _on_one_scale(X) -> bool:
    """Whether the features of ``X (n_x, m)`` already look standardised (means near 0, stds near
    1): then "standardise X" is no advice, only a smaller learning rate is."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] < 2:
        return False
    with np.errstate(all="ignore"):
        mean, std = X.mean(axis=1), X.std(axis=1)
    return bool(np.all(np.abs(mean) < 0.1) and np.all((std > 0.5) & (std < 2)))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs in a row.

    ``monitor``: "val_cost", "val_metric" (both need validation data) or "cost", the training
    cost (a convergence test). An epoch improves when its value beats the best so far by more
    than ``min_delta`` (with ``strict=False``: when it is not above best - min_delta, scikit-learn's
    rule, under which a NaN does not count against it);
    the best value and its epoch follow every new best, however small. ``patience`` may be
    ``math.inf`` (never stop; the count is still kept in ``wait``).

    When the patience runs out and the optimizer's schedule has a ``reduce`` method (the
    ``Adaptive`` schedule), the rate is reduced and training goes on, until it can no longer be.
    With ``restore_best`` the parameters of the best epoch are put back however training ends.
    With ``keep_state`` the best value, the count and the best parameters carry over to the
    next run this callback watches (scikit-learn's warm start); by default each run starts afresh.
    """

    MONITORS = ("val_cost", "val_metric", "cost")

    def __init__(
        self, patience: int | float = 10, monitor: str = "val_cost", min_delta: float = 0.0, restore_best: bool = True,
        *, strict: bool = True, keep_state: bool = False,
    ):  # fmt: skip
        if monitor not in self.MONITORS:
            raise ValueError(f"monitor is {monitor!r}; expected one of {list(self.MONITORS)}")
        self.patience = patience if patience == math.inf else check_positive_int("patience", patience)
        self.monitor = monitor
        self.min_delta = check_positive_float("min_delta", min_delta, allow_zero=True)
        self.restore_best = check_bool("restore_best", restore_best)
        self.strict = check_bool("strict", strict)
        self.keep_state = check_bool("keep_state", keep_state)
        self.best = math.inf  # of the monitored value, sign flipped for "val_metric" (lower is better)
        self.best_params = None
        self.wait = 0

    def on_train_begin(self, trainer):
        if self.monitor != "cost" and not trainer.has_validation:
            raise ValueError("early stopping needs validation data: pass validation_data or validation_split")
        if not self.keep_state:
            self.best, self.best_params, self.wait = math.inf, None, 0

    def on_epoch_end(self, trainer, epoch, logs):
        value = logs[self.monitor]
        score = -value if self.monitor == "val_metric" else value
        bar = self.best - self.min_delta
        improved = score < bar if self.strict else not score > bar  # not strict: NaN is not a worsening
        if score < self.best:
            self.best = score
            trainer.history.best_epoch = epoch
            if self.restore_best:
                self.best_params = {k: v.copy() for k, v in trainer.network.parameters.items()}
        self.wait = 0 if improved else self.wait + 1
        if self.wait >= self.patience:
            reduce = getattr(trainer.optimizer.schedule, "reduce", None)
            if reduce is not None and reduce():
                self.wait = 0
            else:
                trainer.stop_training = True
                trainer.history.status = "converged" if self.monitor == "cost" else "early_stopping"

    def on_train_end(self, trainer):
        if self.restore_best and self.best_params is not None:
            trainer.network.set_parameters(self.best_params)


class PrintCost(Callback):
    """Prints the cost every ``every`` epochs, as the course's ``print_cost=True`` does.

    ``template`` is formatted with the epoch's ``logs`` and ``n`` (the epoch counted from 1),
    e.g. scikit-learn's ``"Iteration {n}, loss = {cost:.8f}"``; the default is the course's line.
    """

    reads_parameters = False

    def __init__(self, every: int = 100, template: str | None = None):
        self.every = check_positive_int("every", every)
        self.template = template

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch % self.every == 0 or trainer.stop_training:
            if self.template is not None:
                print(self.template.format(n=epoch + 1, **logs), flush=True)
                return
            extra = f", validation {logs['metric']} {logs['val_metric']:.4f}" if trainer.has_validation else ""
            print(f"Cost after iteration {epoch}: {logs['cost']:.6f}{extra}", flush=True)


class ProgressBar(Callback):
    """A tqdm bar over epochs showing the current cost (needs the ``progress`` extra)."""

    reads_parameters = False

    def __init__(self, total: int | None = None, **tqdm_kwargs):
        self.total = total
        self.tqdm_kwargs = tqdm_kwargs

    def on_train_begin(self, trainer):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.total or trainer.epochs_planned, unit="it", **self.tqdm_kwargs)

    def on_epoch_end(self, trainer, epoch, logs):
        post = {"cost": f"{logs['cost']:.4g}"}
        if trainer.has_validation:
            post[f"val_{logs['metric']}"] = f"{logs['val_metric']:.4g}"
        self.bar.set_postfix(post, refresh=False)
        self.bar.update(1)

    def on_train_end(self, trainer):
        self.bar.close()
