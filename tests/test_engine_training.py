"""What the training loop records and promises, each checked against a value computed here
independently (plain NumPy, not the blocks under test): the cost with L2 in the history,
dropout with mixed keep probabilities and its random stream, the hooks and the update
counter, the flat parameter vector the divergence guard rolls back, resuming from
``state_dict``, signals, and the validation logs.
"""

from __future__ import annotations

import signal
import threading

import numpy as np
import pytest

import layerwise as lw
from layerwise import blocks
from layerwise.callbacks import Callback, History
from layerwise.losses import l2_cost
from layerwise.optimizers import GradientDescent
from layerwise.training import Trainer


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_cost(params, X, Y, lambd):
    """relu hidden layers, sigmoid output, binary cross-entropy + (lambd / 2m) sum ||W||^2."""
    L = len(params) // 2
    A = X
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = sigmoid(Z) if l == L else np.maximum(Z, 0)
    m = X.shape[1]
    ce = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return ce + lambd / (2 * m) * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))


@pytest.fixture
def binary():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 20))
    return X, (X[:1] - X[2:3] > 0).astype(float)


class Calls(Callback):
    """Every hook call, with copies of what it was given."""

    def __init__(self):
        self.events = []

    def on_train_begin(self, trainer):
        self.events.append(("begin", trainer.iteration))

    def on_gradients(self, trainer, cost, grads):
        self.events.append(("gradients", trainer.iteration, cost, {k: v.copy() for k, v in grads.items()},
                            {k: v.copy() for k, v in trainer.network.parameters.items()}))  # fmt: skip

    def on_batch_end(self, trainer, iteration, cost):
        self.events.append(("batch", iteration, cost, trainer.iteration, trainer.optimizer.t))

    def on_epoch_end(self, trainer, epoch, logs):
        self.events.append(("epoch", epoch, dict(logs)))

    def on_train_end(self, trainer):
        self.events.append(("end", trainer.iteration))


# ---- the cost with L2 ----------------------------------------------------------------------


@pytest.mark.parametrize("lambd", [0.0, 1.0, 0.35])
def test_history_records_the_cost_with_its_l2_term(binary, lambd):
    X, Y = binary
    net = lw.Network([3, 4, 1], seed=3)
    before = {k: v.copy() for k, v in net.parameters.items()}
    history = net.fit(X, Y, learning_rate=0.1, epochs=2, lambd=lambd)
    assert history.costs[0] == pytest.approx(reference_cost(before, X, Y, lambd), rel=1e-12)
    assert l2_cost(before, lambd, 20) == pytest.approx(lambd / 40 * sum(np.sum(before[k] ** 2) for k in ("W1", "W2")), rel=1e-12)


def test_l2_adds_lambd_over_m_times_W_to_every_dW_at_lambd_one(binary):
    X, Y = binary
    net = lw.Network([3, 4, 1], seed=3)
    AL, caches = net.forward(X)
    plain = blocks.model_backward(AL, Y, caches, net.activations, net.loss)
    with_l2 = blocks.model_backward(AL, Y, caches, net.activations, net.loss, lambd=1.0)
    for l in (1, 2):
        np.testing.assert_allclose(with_l2[f"dW{l}"] - plain[f"dW{l}"], net.parameters[f"W{l}"] / 20, rtol=1e-12)
        np.testing.assert_array_equal(with_l2[f"db{l}"], plain[f"db{l}"])


# ---- dropout with mixed keep probabilities ---------------------------------------------------


def test_mixed_keep_probs_drop_only_where_asked_and_draw_only_those_masks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 6))
    net = lw.Network([3, 5, 4, 1], seed=1)
    AL, caches = blocks.model_forward(X, net.parameters, net.activations, [1.0, 0.8], np.random.default_rng(42))
    assert caches[0][2] is None  # keep_prob 1: no mask, and no draw from the generator
    expected = np.random.default_rng(42).random((4, 6)) < 0.8  # so layer 2's mask is the first draw
    np.testing.assert_array_equal(caches[1][2], expected)
    A1 = np.maximum(net.parameters["W1"] @ X + net.parameters["b1"], 0)
    A2 = np.maximum(net.parameters["W2"] @ A1 + net.parameters["b2"], 0) * expected / 0.8
    np.testing.assert_allclose(AL, sigmoid(net.parameters["W3"] @ A2 + net.parameters["b3"]), rtol=1e-12)
    _, caches = blocks.model_forward(X, net.parameters, net.activations, [0.8, 1.0], np.random.default_rng(42))
    np.testing.assert_array_equal(caches[0][2], np.random.default_rng(42).random((5, 6)) < 0.8)
    assert caches[1][2] is None


def test_training_with_mixed_keep_probs_uses_dropout(binary):
    X, Y = binary

    def run(keep_prob):
        net = lw.Network([3, 5, 4, 1], seed=1)
        net.fit(X, Y, learning_rate=0.1, epochs=3, keep_prob=keep_prob, seed=5)
        return net

    mixed, none = run([1.0, 0.8]), run(1.0)
    assert not np.array_equal(mixed.parameters["W1"], none.parameters["W1"])
    assert mixed.trainer_.keep_probs == [1.0, 0.8]
    assert none.trainer_.keep_probs is None
    # the dropout backward step scales by the keep probability of its own layer
    net = lw.Network([3, 5, 4, 1], seed=1)
    AL, caches = blocks.model_forward(X, net.parameters, net.activations, [0.5, 0.8], np.random.default_rng(3))
    grads = blocks.model_backward(AL, Y, caches, net.activations, net.loss, keep_probs=[0.5, 0.8])
    dZ3 = AL - Y
    dA2 = net.parameters["W3"].T @ dZ3 * caches[1][2] / 0.8
    dZ2 = dA2 * (caches[1][1] > 0)
    dA1 = net.parameters["W2"].T @ dZ2 * caches[0][2] / 0.5
    dZ1 = dA1 * (caches[0][1] > 0)
    np.testing.assert_allclose(grads["dW1"], dZ1 @ X.T / 20, rtol=1e-12, atol=1e-15)


# ---- the hooks and the update counter -------------------------------------------------------


def test_hooks_see_each_step_its_cost_and_the_update_count(binary):
    X, Y = binary
    calls = Calls()
    net = lw.Network([3, 4, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=2, batch_size=8, callbacks=[calls], shuffle=False)
    kinds = [e[0] for e in calls.events]
    assert kinds == ["begin"] + ["gradients", "batch"] * 3 + ["epoch"] + ["gradients", "batch"] * 3 + ["epoch", "end"]
    grads_events = [e for e in calls.events if e[0] == "gradients"]
    batch_events = [e for e in calls.events if e[0] == "batch"]
    assert [e[1] for e in grads_events] == [0, 1, 2, 3, 4, 5]  # before each update
    assert [e[1] for e in batch_events] == [1, 2, 3, 4, 5, 6]  # the update count, after it
    assert [e[3] for e in batch_events] == [1, 2, 3, 4, 5, 6]
    assert [e[4] for e in batch_events] == [1, 2, 3, 4, 5, 6]  # the optimizer's t
    assert calls.events[-1] == ("end", 6)
    assert net.trainer_.iteration == 6
    for g, b in zip(grads_events, batch_events):
        assert g[2] == b[2]  # the same batch cost in both hooks
    # the first gradients are those of the first batch (no shuffling) at the initial parameters
    first = grads_events[0]
    Xb, Yb = X[:, :8], Y[:, :8]
    assert first[2] == pytest.approx(reference_cost(first[4], Xb, Yb, 0.0), rel=1e-12)
    AL, caches = blocks.model_forward(Xb, first[4], net.activations)
    expected = blocks.model_backward(AL, Yb, caches, net.activations, net.loss)
    for key in expected:
        np.testing.assert_array_equal(first[3][key], expected[key])
    # the epoch cost is the example-weighted mean of its batch costs: batches of 8, 8, 4
    costs = [e[2] for e in batch_events[:3]]
    assert net.history_.costs[0] == pytest.approx((8 * costs[0] + 8 * costs[1] + 4 * costs[2]) / 20, rel=1e-12)
    logs = [e[2] for e in calls.events if e[0] == "epoch"]
    assert [log["epoch"] for log in logs] == [0, 1]
    assert [log["cost"] for log in logs] == net.history_.costs
    assert logs[0]["lr"] == 0.1 and logs[0]["metric"] == "accuracy"


def test_validation_logs_are_the_cost_and_metric_of_the_parameters_after_the_epoch(binary):
    X, Y = binary
    Xv, Yv = X[:, :7] * 0.5, Y[:, :7]
    calls = Calls()
    net = lw.Network([3, 4, 1], seed=3)
    h = net.fit(X, Y, learning_rate=0.5, epochs=3, validation_data=(Xv, Yv), callbacks=[calls])
    logs = [e[2] for e in calls.events if e[0] == "epoch"]
    AV = sigmoid(net.parameters["W2"] @ np.maximum(net.parameters["W1"] @ Xv + net.parameters["b1"], 0) + net.parameters["b2"])
    final = -np.mean(Yv * np.log(AV) + (1 - Yv) * np.log(1 - AV))
    assert logs[-1]["val_cost"] == pytest.approx(final, rel=1e-12) == h.val_costs[-1]
    assert logs[-1]["val_metric"] == np.mean((AV > 0.5) == Yv) == h.val_metrics[-1]
    assert len(h.val_costs) == len(h.val_metrics) == 3


def test_each_epoch_goes_over_its_batches_once_in_a_new_permutation(binary):
    X, Y = binary
    seen = []

    class Batches(Callback):
        def on_gradients(self, trainer, cost, grads):
            seen.append(trainer._batch[0].copy())

    net = lw.Network([3, 4, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=2, batch_size=6, callbacks=[Batches()], seed=4)
    gen = np.random.default_rng(4)
    for epoch in range(2):
        perm = gen.permutation(20)
        batches = seen[4 * epoch : 4 * epoch + 4]
        np.testing.assert_array_equal(np.concatenate(batches, axis=1), X[:, perm])
    assert len(seen) == 8


def test_sample_weights_weigh_the_recorded_cost(binary):
    X, Y = binary
    w = np.linspace(0.5, 3.0, 20)[None, :]
    net = lw.Network([3, 4, 1], seed=3)
    AL = sigmoid(net.parameters["W2"] @ np.maximum(net.parameters["W1"] @ X + net.parameters["b1"], 0) + net.parameters["b2"])
    expected = -np.sum(w / w.mean() * (Y * np.log(AL) + (1 - Y) * np.log(1 - AL))) / 20
    h = net.fit(X, Y, learning_rate=0.1, epochs=1, sample_weight=w)
    assert h.costs[0] == pytest.approx(expected, rel=1e-12)


# ---- the flat parameter vector and the divergence rollback ----------------------------------


def test_parameters_are_views_of_one_flat_vector_in_layer_order(binary):
    X, Y = binary
    net = lw.Network([3, 4, 2, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=2)
    t = net.trainer_
    np.testing.assert_array_equal(t.flat_parameters, np.concatenate([net.parameters[k].ravel() for k in ("W1", "b1", "W2", "b2", "W3", "b3")]))
    for key, p in net.parameters.items():
        assert np.shares_memory(p, t.flat_parameters), key
    assert t.flat_parameters.size == 3 * 4 + 4 + 4 * 2 + 2 + 2 + 1
    assert t.flat_gradients.size == t.flat_parameters.size


def test_rollback_restores_parameters_replaced_during_training(binary):
    """A callback replaces the parameters (set_parameters makes new arrays) and the next update
    overflows: the guard puts back the replaced values, not stale ones from before."""
    X, Y = binary

    class ReplaceThenExplode(Callback):
        def on_batch_end(self, trainer, iteration, cost):
            if iteration == 2:
                self.replaced = {k: np.full_like(v, 0.25) for k, v in trainer.network.parameters.items()}
                trainer.network.set_parameters(self.replaced)
                trainer.optimizer.schedule.lr0 = float("inf")  # the next update overflows

    cb = ReplaceThenExplode()
    net = lw.Network([3, 4, 1], seed=3)
    with pytest.raises(lw.DivergenceError, match="non-finite"):
        net.fit(X, Y, learning_rate=0.1, epochs=10, callbacks=[cb])
    for key, value in cb.replaced.items():
        np.testing.assert_array_equal(net.parameters[key], value)
    assert net.history_.status == "diverged"
    assert len(net.history_.costs) == 2


def test_a_step_finds_replaced_parameters(binary):
    X, Y = binary
    updates = []

    class Replace(Callback):
        def on_batch_end(self, trainer, iteration, cost):
            if iteration == 1:
                trainer.network.set_parameters({k: np.zeros_like(v) for k, v in trainer.network.parameters.items()})

        def on_gradients(self, trainer, cost, grads):
            updates.append(trainer.flat_parameters.copy())

    net = lw.Network([3, 4, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=2, callbacks=[Replace()])
    np.testing.assert_array_equal(updates[1], np.zeros_like(updates[1]))
    assert np.shares_memory(net.parameters["W1"], net.trainer_.flat_parameters)


# ---- stopping, resuming, signals -------------------------------------------------------------


class StopAt(Callback):
    def __init__(self, n):
        self.n = n

    def on_batch_end(self, trainer, iteration, cost):
        if iteration == self.n:
            trainer.stop_training = True


def make_trainer(X, Y, callbacks=(), state=None):
    net = lw.Network([3, 4, 1], seed=3)
    trainer = Trainer(net, X, Y, optimizer=lw.optimizers.Adam(0.01), batch_size=6, keep_probs=[0.9], lambd=0.1,
                      callbacks=callbacks, rng=np.random.default_rng(8))  # fmt: skip
    return net, trainer


@pytest.mark.parametrize("stop_at", [2, 4, 5])  # mid-epoch, at an epoch's end, one into the next
def test_a_run_stopped_and_resumed_from_its_state_equals_an_uninterrupted_one(binary, stop_at):
    X, Y = binary
    net, trainer = make_trainer(X, Y)
    trainer.run(3, handle_signals=False)
    reference = {k: v.copy() for k, v in net.parameters.items()}

    net1, t1 = make_trainer(X, Y, [StopAt(stop_at)])
    h = t1.run(3, handle_signals=False)
    assert t1.iteration == stop_at and h.status == "completed"
    state = t1.state_dict()
    assert set(state) == {"optimizer", "rng", "position", "history", "iteration"}
    assert state["iteration"] == stop_at
    if stop_at % 4:
        pos = state["position"]
        assert set(pos) == {"batch", "cost_sum", "seen", "perm"}
        assert pos["batch"] == stop_at % 4 and pos["seen"] == 6 * (stop_at % 4)
        assert isinstance(pos["perm"], list) and sorted(pos["perm"]) == list(range(20))  # JSON-ready
    else:
        assert state["position"] is None
    net2, t2 = make_trainer(X, Y)
    net2.set_parameters(net1.parameters)
    t2.load_state_dict(state)
    again = t2.state_dict()  # loading gives back the state it was given
    assert again["position"] == state["position"] and again["history"] == state["history"]
    assert again["rng"] == state["rng"] and again["iteration"] == stop_at
    assert t2.iteration == stop_at and t2.epoch == len(h.costs) == stop_at // 4
    t2.run(3 - t2.epoch, handle_signals=False)
    for key in reference:
        np.testing.assert_array_equal(net2.parameters[key], reference[key])
    assert t2.history.costs == trainer.history.costs
    assert t2.iteration == trainer.iteration == 12
    assert t2.optimizer.t == 12


def test_a_stop_at_the_last_batch_of_an_epoch_completes_that_epoch(binary):
    X, Y = binary
    net, trainer = make_trainer(X, Y, [StopAt(4)])
    trainer.run(3, handle_signals=False)
    assert len(trainer.history.costs) == 1 and trainer._position is None
    assert trainer.optimizer.epoch == 1


def test_run_trains_the_epochs_it_is_asked_for_more(binary):
    X, Y = binary
    net, trainer = make_trainer(X, Y)
    trainer.run(2, handle_signals=False)
    trainer.run(1, handle_signals=False)
    assert len(trainer.history.costs) == 3 and trainer.epochs_planned == 1 and trainer.iteration == 12
    assert trainer.history.status == "completed"


class Signalled(Exception):
    """What SIGINT / SIGTERM raise in these tests when training has not installed its handlers."""


@pytest.fixture
def guarded_signals():
    """Handlers that raise ``Signalled``: a trainer that fails to install its own then fails the
    test, instead of stopping pytest (SIGINT) or killing it (SIGTERM)."""

    def handler(signum, frame):
        raise Signalled(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield handler
    for sig, h in previous.items():
        signal.signal(sig, h)


def test_sigint_stops_after_the_current_step_and_restores_the_handlers(binary, guarded_signals):
    X, Y = binary

    class Interrupt(Callback):
        def on_gradients(self, trainer, cost, grads):
            if trainer.iteration == 2:
                signal.raise_signal(signal.SIGINT)  # delivered at once, in the main thread

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    net, trainer = make_trainer(X, Y, [Interrupt()])
    h = trainer.run(5)
    assert h.status == "interrupted" and h.message == "stopped by SIGINT"
    assert trainer.iteration == 3  # the step that was running when the signal came is finished
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_second_sigint_interrupts_at_once(binary, guarded_signals):
    X, Y = binary

    class InterruptTwice(Callback):
        def on_gradients(self, trainer, cost, grads):
            if trainer.iteration == 1:
                signal.raise_signal(signal.SIGTERM)
                signal.raise_signal(signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    net, trainer = make_trainer(X, Y, [InterruptTwice()])
    with pytest.raises(KeyboardInterrupt):
        trainer.run(5)
    assert trainer.history.status == "failed" and trainer.history.message == "KeyboardInterrupt"
    assert signal.getsignal(signal.SIGINT) == before


def test_without_signal_handling_sigint_is_a_keyboard_interrupt(binary):
    X, Y = binary

    class Interrupt(Callback):
        def on_gradients(self, trainer, cost, grads):
            signal.raise_signal(signal.SIGINT)

    net, trainer = make_trainer(X, Y, [Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        trainer.run(1, handle_signals=False)


def test_training_in_a_thread_installs_no_handler(binary, guarded_signals):
    X, Y = binary
    seen = []

    class Look(Callback):
        def on_train_begin(self, trainer):
            seen.append(signal.getsignal(signal.SIGINT))

    net, trainer = make_trainer(X, Y, [Look()])
    thread = threading.Thread(target=trainer.run, args=(1,))
    thread.start()
    thread.join()
    assert seen == [guarded_signals] and trainer.history.status == "completed"


def test_a_failing_callback_marks_the_run_failed(binary):
    X, Y = binary

    class Fail(Callback):
        def on_batch_end(self, trainer, iteration, cost):
            raise RuntimeError("disk full")

    net, trainer = make_trainer(X, Y, [Fail()])
    with pytest.raises(RuntimeError):
        trainer.run(1)
    assert trainer.history.status == "failed" and trainer.history.message == "disk full"


def test_trainer_defaults(binary):
    X, Y = binary
    net = lw.Network([3, 4, 1], seed=3)
    t = Trainer(net, X, Y, optimizer=GradientDescent(0.1), rng=np.random.default_rng(0), batch_size=6)
    assert t.shuffle is True and t.lambd == 0.0 and t.keep_probs is None and t.stop_training is False
    assert t.history.metric == "accuracy" and t.history.costs == [] and t.epochs_planned == 0
    assert t.flat_parameters.size == 0 and t.flat_gradients.size == 0
    t.run(1, handle_signals=False)
    assert t.iteration == 4
    history = History(costs=[0.5, 0.4])
    t = Trainer(net, X, Y, optimizer=GradientDescent(0.1), rng=np.random.default_rng(0), history=history)
    assert t.history is history and t.epoch == 2
    # a batch as large as the data is the full batch
    assert Trainer(net, X, Y, optimizer=GradientDescent(0.1), rng=np.random.default_rng(0), batch_size=20).batch_size is None


def test_diagnose_names_the_first_non_finite_quantity(binary):
    X, Y = binary
    net = lw.Network([3, 4, 2, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=1)
    t = net.trainer_
    finite = {f"{q}{l}": np.zeros(1) for l in (1, 2, 3) for q in ("dW", "db")}
    assert t.diagnose(finite) == "the cost"
    assert t.diagnose({**finite, "db1": np.array([np.nan]), "dW2": np.array([np.inf])}) == "dW2 (layer 2)"
    assert t.diagnose({**finite, "db3": np.array([np.nan]), "dW1": np.array([np.inf])}) == "db3 (layer 3)"
    assert t.diagnose({**finite, "dW1": np.array([np.nan])}) == "dW1 (layer 1)"
    net.parameters["W2"][0, 0] = np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        assert t.diagnose(finite) == "Z2 (layer 2)"

    class Infinite(lw.activations.Activation):
        name = "infinite"

        def forward(self, Z, out=None):
            return np.full_like(Z, np.inf)

    net.parameters["W2"][0, 0] = 0.0
    net.activations[1] = Infinite()
    assert t.diagnose(finite) == "A2 (layer 2)"


def test_mini_batches_carry_their_sample_weights(binary):
    X, Y = binary
    w = np.linspace(0.5, 3.0, 20)[None, :]
    calls = Calls()
    net = lw.Network([3, 4, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=1, batch_size=8, shuffle=False, sample_weight=w, callbacks=[calls])
    first = next(e for e in calls.events if e[0] == "gradients")
    p, wb = first[4], (w / w.mean())[:, :8]
    AL = sigmoid(p["W2"] @ np.maximum(p["W1"] @ X[:, :8] + p["b1"], 0) + p["b2"])
    Yb = Y[:, :8]
    assert first[2] == pytest.approx(-np.sum(wb * (Yb * np.log(AL) + (1 - Yb) * np.log(1 - AL))) / 8, rel=1e-12)


def test_a_full_batch_checkpoint_taken_in_a_hook_has_its_position(binary):
    X, Y = binary
    states = []

    class Checkpoint(Callback):
        def on_batch_end(self, trainer, iteration, cost):
            states.append(trainer.state_dict())

    net = lw.Network([3, 4, 1], seed=3)
    net.fit(X, Y, learning_rate=0.1, epochs=2, callbacks=[Checkpoint()])
    assert [s["position"]["batch"] for s in states] == [1, 1]
    assert [s["position"]["seen"] for s in states] == [20, 20]
    assert all(s["position"]["perm"] is None for s in states)
    assert [s["iteration"] for s in states] == [1, 2]
    assert [len(s["history"]["costs"]) for s in states] == [0, 1]


def test_training_ignores_numpy_error_settings(binary):
    """Underflow in exp (sigmoid of a large Z) is the right answer, even under np.errstate(all="raise")."""
    X, Y = binary
    net = lw.Network([3, 4, 1], seed=3)
    with np.errstate(all="raise"):
        h = net.fit(X * 800, Y, learning_rate=0.01, epochs=3)
    assert h.status == "completed" and all(np.isfinite(h.costs))
