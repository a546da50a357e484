"""The training loop: for each epoch, for each mini-batch: forward, cost, backward, update.

``Trainer`` holds everything a run needs to stop and go on exactly where it was (the
parameters live in the network; the optimizer state, the random generator, the position in
the current epoch and the history live here), so that an interrupted run resumed from a
checkpoint gives the same parameters as an uninterrupted one.
"""

from __future__ import annotations

import math
import operator
import signal
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from . import _checks, kernels
from .blocks import Workspace, linear_forward, model_backward, model_forward
from .callbacks import Callback, DivergenceGuard, History
from .losses import l2_cost


class Trainer:
    """Runs ``epochs`` of (mini-batch) gradient-based training of ``network`` on ``X, Y``.

    ``X: (n_x, m)`` and ``Y: (n_y, m)`` must already be validated and of the network's dtype
    (``Network.fit`` does that once); ``X`` may also be a SciPy sparse matrix (CSC keeps the
    batches' column slices cheap), which only the first layer's products see.
    ``sample_weight: (1, m)`` is normalised here to mean 1.

    ``shuffle``: True draws each epoch's order from ``rng``; a function maps the previous
    epoch's order (an index array) to the next one (the scikit-learn front-end's stream).
    ``score(AL, Y)``: the validation metric, by default the network's ``score_output``.
    ``guard=False`` leaves out the ``DivergenceGuard``: a non-finite cost then trains on, for
    the callbacks and the caller to judge (as scikit-learn does).

    A step allocates nothing of the batch's size: it runs the blocks in a ``Workspace`` made at
    the first step on each batch shape. The ``grads`` that ``on_gradients`` hooks receive are
    that workspace's arrays, views of ``flat_gradients``, overwritten by the next step (copy
    what you keep); the network's parameters are views of ``flat_parameters``.

    Full-batch training may run on a fast path (``layerwise.kernels``) instead of the blocks,
    chosen when training starts; callbacks then see the same epochs, costs and parameters
    (synchronised before every ``on_epoch_end`` of a callback that ``reads_parameters``, and
    before every validation), to rounding.
    """

    def __init__(
        self,
        network,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        optimizer,
        batch_size: int | None = None,
        shuffle: bool | Callable[[np.ndarray], np.ndarray] = True,
        lambd: float = 0.0,
        keep_probs: Sequence[float] | None = None,
        sample_weight: np.ndarray | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
        callbacks: Sequence[Callback] = (),
        rng: np.random.Generator,
        history: History | None = None,
        score: Callable[[np.ndarray, np.ndarray], float] | None = None,
        guard: bool = True,
    ):
        self.network = network
        self.X, self.Y = X, Y
        self.m = X.shape[1]
        self.optimizer = optimizer
        self.batch_size = batch_size if batch_size is not None and batch_size < self.m else None
        self.shuffle = shuffle
        self.lambd = lambd
        self.keep_probs = keep_probs if keep_probs is not None and min(keep_probs) < 1 else None
        self.sample_weight = None if sample_weight is None else _checks.mean_one(sample_weight)
        self.validation_data = validation_data
        self.callbacks = [DivergenceGuard(), *callbacks] if guard else list(callbacks)
        self.score = score if score is not None else network.score_output
        self._order = np.arange(self.m)  # the last epoch's order, for a shuffle function
        self.rng = rng
        self.history = history if history is not None else History(metric=network.metric_name)
        self.epoch = len(self.history.costs)  # epochs completed
        self.iteration = 0  # updates taken in this trainer
        self.epochs_planned = 0
        self.stop_training = False
        self._position: dict | None = None  # where the current epoch is: batch, cost_sum, seen, perm
        self._workspaces: dict[int, Workspace] = {}  # by batch size: a full batch and the last, shorter one
        self._parameter_views: dict[str, np.ndarray] = {}
        self.flat_parameters = np.empty(0)  # every parameter, once _gather_parameters has run
        self.flat_gradients = np.empty(0)  # every gradient of the current step
        self.kernel = None  # the fast path running the steps, if any (see layerwise.kernels)
        self.kernel_name: str | None = None  # the name of the one the last run chose
        self._chunk = 1  # steps per kernel call, grown so that one call takes about KERNEL_CALL_S

    @property
    def has_validation(self) -> bool:
        return self.validation_data is not None

    # ---- one step ----------------------------------------------------------------------

    def _gather_parameters(self) -> None:
        """Make the network's parameters views of one vector, ``flat_parameters`` (W1, b1, W2, ...).

        Whole-model operations (the divergence check, its rollback copy) are then one NumPy call
        instead of one per array. Done when training starts, and again at a step if an array of
        ``network.parameters`` was replaced meanwhile (``set_parameters`` makes new ones).
        """
        params, views = self.network.parameters, self._parameter_views
        if params.keys() == views.keys() and all(map(operator.is_, params.values(), views.values())):
            return
        self.flat_parameters = np.concatenate([p.ravel() for p in params.values()])
        offset = 0
        for key, p in list(params.items()):
            params[key] = self.flat_parameters[offset : offset + p.size].reshape(p.shape)
            offset += p.size
        self._parameter_views = dict(params)

    def _workspace(self, m: int) -> Workspace:
        """The arrays for steps on batches of ``m`` examples, made at the first such step."""
        if m not in self._workspaces:
            net = self.network
            self._workspaces[m] = Workspace(net.layer_dims, m, net.dtype, net.activations)
        return self._workspaces[m]

    def _cost_and_gradients(self, Xb, Yb, wb) -> tuple[float, dict[str, np.ndarray]]:
        """forward -> cost -> backward on one batch: J and the gradients (views of ``flat_gradients``)."""
        net = self.network
        self._gather_parameters()
        ws = self._workspace(Xb.shape[1])
        self.flat_gradients = ws.flat_grads
        AL, caches = model_forward(Xb, net.parameters, net.activations, self.keep_probs, self.rng, workspace=ws)
        cost = net.loss.cost(AL, Yb, wb) + l2_cost(net.parameters, self.lambd, Xb.shape[1])
        grads = model_backward(
            AL, Yb, caches, net.activations, net.loss, sample_weight=wb, lambd=self.lambd, keep_probs=self.keep_probs,
            workspace=ws,
        )  # fmt: skip
        self._batch = (Xb, Yb, wb)
        return cost, grads

    def _step(self, Xb: np.ndarray, Yb: np.ndarray, wb: np.ndarray | None) -> float:
        """forward -> cost -> backward -> (guard) -> update, on one batch; returns its cost."""
        net = self.network
        cost, grads = self._cost_and_gradients(Xb, Yb, wb)
        for cb in self.callbacks:
            cb.on_gradients(self, cost, grads)
        self.optimizer.step(net.parameters, grads)
        self.iteration += 1
        position = self._position  # advanced before the hooks, so a checkpoint taken there is consistent
        position["cost_sum"] += cost * Xb.shape[1]
        position["seen"] += Xb.shape[1]
        position["batch"] += 1
        for cb in self.callbacks:
            cb.on_batch_end(self, self.iteration, cost)
        return cost

    def diagnose(self, grads: dict[str, np.ndarray]) -> str:
        """Replays the forward pass of the last batch (without dropout) and names the first
        non-finite quantity: ``Z1, A1, ..., ZL, AL``, then the gradients ``dWL, dbL, ..., db1``
        in the order backpropagation computes them."""
        net = self.network
        A = self._batch[0]
        for l, act in enumerate(net.activations, start=1):
            Z, _ = linear_forward(A, net.parameters[f"W{l}"], net.parameters[f"b{l}"])
            if not np.isfinite(Z).all():
                return f"Z{l} (layer {l})"
            A = act.forward(Z)
            if not np.isfinite(A).all():
                return f"A{l} (layer {l})"
        for l in range(len(net.activations), 0, -1):
            for q in ("dW", "db"):
                if not np.isfinite(grads[f"{q}{l}"]).all():
                    return f"{q}{l} (layer {l})"
        return "the cost"

    # ---- epochs ------------------------------------------------------------------------

    def _batches(self, position: dict):
        """Yields (Xb, Yb, wb) from ``position["batch"]`` on, following ``position["perm"]``."""
        X, Y, w = self.X, self.Y, self.sample_weight
        if self.batch_size is None:
            if position["batch"] == 0:
                yield X, Y, w
            return
        perm = position["perm"]
        for k in range(position["batch"], math.ceil(self.m / self.batch_size)):
            idx = perm[k * self.batch_size : (k + 1) * self.batch_size]
            position["batch"] = k
            yield X[:, idx], Y[:, idx], None if w is None else w[:, idx]

    def _new_position(self) -> dict:
        position = {"batch": 0, "cost_sum": 0.0, "seen": 0, "perm": None}
        if callable(self.shuffle):  # drawn even for the full batch, so the stream is the caller's
            self._order = self.shuffle(self._order)
            if self.batch_size is not None:
                position["perm"] = self._order
        elif self.batch_size is not None:
            position["perm"] = self.rng.permutation(self.m) if self.shuffle else np.arange(self.m)
        return position

    def _run_epoch(self) -> bool:
        """One pass over the data (or the rest of one); returns False if it was interrupted before its end."""
        if self._position is None:
            self._position = self._new_position()
        position = self._position
        for Xb, Yb, wb in self._batches(position):
            self._step(Xb, Yb, wb)
            if self.stop_training and position["seen"] < self.m:
                return False
        self._position = None
        self._end_epoch(position["cost_sum"] / position["seen"])
        return True

    def _end_epoch(self, cost: float) -> None:
        net, h = self.network, self.history
        logs = {"epoch": self.epoch, "cost": cost, "metric": net.metric_name, "lr": self.optimizer.learning_rate}
        h.costs.append(cost)
        h.learning_rates.append(logs["lr"])
        if self.validation_data is not None:
            Xv, Yv = self.validation_data
            AV = net.forward(Xv, _checked=True)[0]
            logs["val_cost"] = net.loss.cost(AV, Yv)
            logs["val_metric"] = self.score(AV, Yv)
            h.val_costs.append(logs["val_cost"])
            h.val_metrics.append(logs["val_metric"])
        self.epoch += 1  # counted before the hooks, so a checkpoint taken there is consistent
        self.optimizer.epoch += 1  # the schedule goes on when the same optimizer is passed again
        self.optimizer.examples += self.m
        for cb in self.callbacks:
            cb.on_epoch_end(self, logs["epoch"], logs)

    def run(self, epochs: int, handle_signals: bool = True) -> History:
        """Train for ``epochs`` more epochs (or until a callback stops it)."""
        self.epochs_planned = epochs
        self.stop_training = False
        self.history.status = "running"
        restore = self._catch_signals() if handle_signals else None
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                self._gather_parameters()
                for cb in self.callbacks:
                    cb.on_train_begin(self)
                try:
                    target = self.epoch + epochs
                    self._start_kernel(epochs)
                    while self.epoch < target and not self.stop_training:
                        if self.kernel is not None and self._position is None:
                            self._run_kernel(target)
                        else:
                            self._run_epoch()
                except BaseException as exc:  # a second Ctrl-C too: it may land mid-step, so no checkpoint is taken
                    self.history.status = "diverged" if isinstance(exc, FloatingPointError) else "failed"
                    self.history.message = str(exc) or type(exc).__name__
                    raise
                finally:
                    self._stop_kernel()
                    for cb in self.callbacks:
                        cb.on_train_end(self)
        finally:
            if restore:
                restore()
        if self.history.status == "running":
            self.history.status = "completed"
        return self.history

    # ---- fast paths: a kernel runs several full-batch steps per call ----------------------

    #: Seconds one kernel call aims at: short enough for Ctrl-C and progress bars to answer.
    KERNEL_CALL_S = 0.05

    def _kernel_sync_every_step(self) -> bool:
        """Whether the parameters are read after every epoch (validation, or a callback that reads them)."""
        return self.validation_data is not None or any(cb.reads_parameters for cb in self._user_callbacks())

    def _user_callbacks(self) -> list[Callback]:
        return [cb for cb in self.callbacks if not isinstance(cb, DivergenceGuard)]

    def _start_kernel(self, epochs: int) -> None:
        """Choose a fast path for this run (``kernels.select``), unless a callback watches single steps."""
        self.kernel_name = None
        base = Callback
        if any(type(cb).on_gradients is not base.on_gradients or type(cb).on_batch_end is not base.on_batch_end
               for cb in self._user_callbacks()):  # fmt: skip
            return
        self._sync = self._kernel_sync_every_step()
        kernel = kernels.select(self, epochs, self._sync)
        if kernel is not None:
            self.kernel, self.kernel_name, self._chunk = kernel(self), kernel.name, 1

    def _stop_kernel(self) -> None:
        """Hand the parameters back to the network; the blocks take the next steps."""
        if self.kernel is not None:
            kernel, self.kernel = self.kernel, None
            kernel.sync()

    def _run_kernel(self, target: int) -> None:
        """Up to ``_chunk`` epochs (one where the parameters are read after each) on the kernel."""
        n = 1 if self._sync else min(self._chunk, target - self.epoch)
        opt = self.optimizer
        times = [opt.examples + i * self.m for i in range(n)] if opt.schedule.unit == "example" else range(opt.epoch, opt.epoch + n)
        lrs = np.array([float(opt.schedule(t)) for t in times])
        start = time.perf_counter()
        costs = self.kernel.run(lrs)
        elapsed = time.perf_counter() - start
        for cost in costs:
            self.iteration += 1
            opt.t += 1
            if self._sync:
                self.kernel.sync()
            self._end_epoch(float(cost) * self.m / self.m)  # as _run_epoch averages one batch
        if len(costs) < n:  # the next step is not finite: the blocks replay it, and the guard says why
            self._stop_kernel()
        elif costs.size:
            self._chunk = max(1, min(1 << 16, int(self.KERNEL_CALL_S * len(costs) / max(elapsed, 1e-9))))

    # ---- a second-order alternative: L-BFGS on the flat parameter vector --------------------

    def cost_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """J and dJ/dtheta on the whole training set, the parameters set to ``theta``
        (``flat_parameters``' layout: W1, b1, W2, ...): a step's forward, cost and backward,
        without the update. Returns the gradient as a new float64 vector."""
        self._gather_parameters()
        self.flat_parameters[...] = theta
        cost, _ = self._cost_and_gradients(self.X, self.Y, self.sample_weight)
        return cost, self.flat_gradients.astype(np.float64)

    def run_lbfgs(self, max_iter: int, max_fun: int = 15000, gtol: float = 1e-5):
        """Minimise J from the current parameters with SciPy's L-BFGS-B (full batch, no dropout).

        Each of its iterations appends the cost to ``history.costs``. Leaves the parameters at
        the solution and returns SciPy's ``OptimizeResult`` (``nit``, ``nfev``, ``status``, ``message``).
        Needs SciPy (the ``sklearn`` extra).
        """
        from scipy.optimize import minimize

        self.keep_probs = None
        self.history.status = "running"
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._gather_parameters()
            theta0 = self.flat_parameters.astype(np.float64)

            def record(intermediate_result):
                self.history.costs.append(float(intermediate_result.fun))
                self.epoch += 1

            options = {"maxfun": max_fun, "maxiter": max_iter, "gtol": gtol}
            result = minimize(self.cost_and_gradient, theta0, method="L-BFGS-B", jac=True, callback=record, options=options)
            self.flat_parameters[...] = result.x
        self.iteration += int(result.nfev)
        self.history.status = "completed" if result.status == 0 else "max_iter"
        self.history.message = str(result.message)
        return result

    # ---- Ctrl-C / SIGTERM: stop after the current step, never in the middle of an update ----

    def _catch_signals(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = {}

        def handler(signum, frame):
            self.stop_training = True
            self.history.status = "interrupted"
            self.history.message = f"stopped by {signal.Signals(signum).name}"
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C is immediate

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)

        def restore():
            for sig, h in previous.items():
                signal.signal(sig, h)

        return restore

    # ---- checkpoints -------------------------------------------------------------------

    def state_dict(self) -> dict:
        """Everything but the parameters and data needed to continue: optimizer, rng, position, history.

        Consistent whenever a callback hook runs and after ``run`` returns: resuming from it
        (``load_state_dict`` on a fresh trainer over the same data) repeats no update and skips none.
        """
        pos = self._position
        return {
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "position": None if pos is None else {**pos, "perm": None if pos["perm"] is None else pos["perm"].tolist()},
            "history": self.history.to_dict(),
            "iteration": self.iteration,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` gave (the network's parameters are restored separately)."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        pos = state["position"]
        self._position = None if pos is None else {**pos, "perm": None if pos["perm"] is None else np.asarray(pos["perm"])}
        self.history = History.from_dict(state["history"])
        self.epoch = len(self.history.costs)
        self.iteration = int(state["iteration"])
