"""The trainer's fast-path plumbing (``layerwise.kernels``), with a kernel written here from the
blocks: a run on it must give the NumPy path's history, printed lines, parameters, optimizer
state, callbacks' views and divergence message, bit for bit."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import layerwise as lw
from layerwise import blocks, kernels
from layerwise.callbacks import Callback, DivergenceError, PrintCost
from layerwise.losses import l2_cost


class BlocksKernel:
    """A kernel that takes the blocks' steps on private copies of the parameters and optimizer."""

    name = "blocks"
    runs = 0
    rates: list[float] = []  # every learning rate it was given, in order
    plans: list[tuple] = []  # (epochs, sync) of every plan

    @classmethod
    def plan(cls, trainer, epochs, sync):
        cls.plans.append((trainer.m, epochs, sync))
        return 1.0

    def __init__(self, trainer):
        self.trainer = trainer
        self.params = {k: v.copy() for k, v in trainer.network.parameters.items()}
        self.opt = copy.deepcopy(trainer.optimizer)

    def run(self, lrs):
        type(self).runs += 1
        type(self).rates.extend(lrs.tolist())
        t, net = self.trainer, self.trainer.network
        costs = []
        for lr in lrs:
            AL, caches = blocks.model_forward(t.X, self.params, net.activations)
            cost = net.loss.cost(AL, t.Y, t.sample_weight) + l2_cost(self.params, t.lambd, t.m)
            grads = blocks.model_backward(AL, t.Y, caches, net.activations, net.loss, sample_weight=t.sample_weight, lambd=t.lambd)
            if not (np.isfinite(cost) and all(np.isfinite(g).all() for g in grads.values())):
                break
            saved = {k: v.copy() for k, v in self.params.items()}
            if self.opt.name == "gd":
                blocks.update_parameters(self.params, grads, lr)
            else:
                for key, p in self.params.items():
                    self.opt._update(key, p, grads["d" + key], lr)
            if not all(np.isfinite(p).all() for p in self.params.values()):
                self.params = saved
                break
            costs.append(cost)
        return np.array(costs)

    def sync(self):
        for k, v in self.params.items():
            np.copyto(self.trainer.network.parameters[k], v)
        self.trainer.optimizer.state = copy.deepcopy(self.opt.state)


@pytest.fixture
def blocks_kernel(monkeypatch):
    monkeypatch.setattr(kernels, "candidates", lambda: [BlocksKernel] if kernels.enabled("blocks") else [])
    monkeypatch.delenv("LAYERWISE_KERNELS", raising=False)
    BlocksKernel.runs, BlocksKernel.rates, BlocksKernel.plans = 0, [], []
    return BlocksKernel


def data(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, m))
    return X, (X[:1] + X[1:2] ** 2 > 0.5).astype(float)


def fit_both(monkeypatch, **fit):
    """(net, history) on the reference path and on the kernel, from the same start."""
    out = []
    for setting in ("numpy", "auto"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        net = lw.Network([5, 4, 3, 1], seed=3)
        X, Y = data()
        out.append((net, net.fit(X, Y, **fit)))
    return out


@pytest.mark.parametrize("fit", [
    {"epochs": 37, "learning_rate": 0.3},
    {"epochs": 25, "optimizer": "momentum", "learning_rate": 0.2, "lambd": 0.7},
    {"epochs": 30, "learning_rate": {"name": "step", "lr0": 0.5, "drop": 0.5, "every": 7}},
    {"epochs": 30, "optimizer": "sgd", "learning_rate": {"name": "invscaling", "lr0": 0.5, "power_t": 0.5}},
])  # fmt: skip
def test_a_kernel_run_is_the_blocks_run(blocks_kernel, monkeypatch, fit):
    (ref, h_ref), (net, h) = fit_both(monkeypatch, **fit)
    assert blocks_kernel.plans == [(60, fit["epochs"], False)]
    assert blocks_kernel.rates == h_ref.learning_rates  # every step on the kernel, at the blocks' rates
    assert h.costs == h_ref.costs and h.learning_rates == h_ref.learning_rates
    for k in ref.parameters:
        np.testing.assert_array_equal(net.parameters[k], ref.parameters[k])
    assert net.trainer_.iteration == ref.trainer_.iteration == fit["epochs"]
    assert net.trainer_.optimizer.t == ref.trainer_.optimizer.t
    s, s_ref = net.trainer_.optimizer.state_dict(), ref.trainer_.optimizer.state_dict()
    assert s.keys() == s_ref.keys()
    for k in s:
        np.testing.assert_array_equal(s[k], s_ref[k])


def test_printed_lines_and_validation_are_the_same(blocks_kernel, monkeypatch, capsys):
    lines = []
    for setting in ("numpy", "auto"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        X, Y = data(80)
        net = lw.Network([5, 4, 1], seed=1)
        h = net.fit(X, Y, epochs=250, learning_rate=0.5, print_cost=50, validation_split=0.25, seed=4)
        lines.append((capsys.readouterr().out, h.costs, h.val_costs, h.val_metrics))
    assert lines[0] == lines[1] and lines[0][0].count("Cost after iteration") == 5


def test_a_callback_that_reads_parameters_sees_them_after_every_epoch(blocks_kernel, monkeypatch):
    class Record(Callback):
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, trainer, epoch, logs):
            self.seen.append(trainer.network.parameters["W1"].copy())

    seen = []
    for setting in ("numpy", "auto"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        rec = Record()
        lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=6, learning_rate=0.5, callbacks=[rec])
        seen.append(rec.seen)
    assert len(seen[1]) == 6 and all(np.array_equal(a, b) for a, b in zip(*seen))


def test_passive_callbacks_let_the_kernel_run_many_epochs_per_call(blocks_kernel, monkeypatch):
    lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=400, learning_rate=0.5, callbacks=[PrintCost(1000)])
    assert 0 < blocks_kernel.runs < 400


@pytest.mark.parametrize("hook", ["on_gradients", "on_batch_end"])
def test_a_callback_watching_single_steps_keeps_the_blocks(blocks_kernel, hook):
    calls = []
    cb = type("Watch", (Callback,), {hook: lambda self, *a: calls.append(1)})()
    lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=5, learning_rate=0.5, callbacks=[cb])
    assert blocks_kernel.runs == 0 and len(calls) == 5


@pytest.mark.parametrize("fit", [{"batch_size": 16}, {"keep_prob": 0.8}])
def test_mini_batches_and_dropout_keep_the_blocks(blocks_kernel, fit):
    lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=3, learning_rate=0.5, **fit)
    assert blocks_kernel.runs == 0


@pytest.mark.parametrize("setting, used", [
    ("numpy", False), ("gram", False), ("blocks", True), ("gram, blocks", True), ("Blocks,gram", True), ("", True), ("auto", True),
])  # fmt: skip
def test_the_environment_variable_allows_kernels_by_name(blocks_kernel, monkeypatch, setting, used):
    monkeypatch.setenv("LAYERWISE_KERNELS", setting)
    lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=3, learning_rate=0.5)
    assert (blocks_kernel.runs > 0) is used


def test_divergence_on_a_kernel_is_reported_as_on_the_blocks(blocks_kernel, monkeypatch):
    results = []
    for setting in ("numpy", "auto"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        X, Y = data()
        net = lw.Network([5, 4, 1], activations=["relu", "linear"], seed=1)
        with pytest.raises(DivergenceError) as err:
            net.fit(X * 1e3, Y * 1e3, epochs=200, learning_rate=5.0)
        results.append((str(err.value), err.value.history.costs, {k: v.copy() for k, v in net.parameters.items()}))
    assert blocks_kernel.runs > 0
    (msg_ref, costs_ref, p_ref), (msg, costs, p) = results
    assert msg == msg_ref and costs == costs_ref and "diverged at iteration" in msg
    for k in p_ref:
        np.testing.assert_array_equal(p[k], p_ref[k])
        assert np.isfinite(p[k]).all()


def test_validation_makes_the_kernel_sync_after_every_epoch(blocks_kernel):
    lw.Network([5, 4, 1], seed=1).fit(*data(), epochs=4, learning_rate=0.5, validation_split=0.25)
    assert blocks_kernel.plans == [(45, 4, True)] and blocks_kernel.runs == 4


def test_a_shuffle_function_keeps_the_blocks(blocks_kernel):
    """The scikit-learn front-end's shuffle function draws from its stream even for a full batch."""
    from layerwise.optimizers import GradientDescent
    from layerwise.training import Trainer

    net = lw.Network([5, 4, 1], seed=1)
    X, Y = data()
    Trainer(net, X, Y, optimizer=GradientDescent(0.5), shuffle=lambda order: order, rng=np.random.default_rng(0)).run(3)
    assert blocks_kernel.runs == 0


class Declines(BlocksKernel):
    name = "declines"

    @classmethod
    def plan(cls, trainer, epochs, sync):
        return None


class SavesNothing(BlocksKernel):
    name = "nothing"

    @classmethod
    def plan(cls, trainer, epochs, sync):
        return 0.0


class SavesMore(BlocksKernel):
    name = "more"

    @classmethod
    def plan(cls, trainer, epochs, sync):
        return 2.0


@pytest.mark.parametrize("offered, chosen", [
    ([Declines], None), ([SavesNothing], None), ([Declines, BlocksKernel], BlocksKernel),
    ([BlocksKernel, SavesMore], SavesMore), ([SavesMore, BlocksKernel], SavesMore),
])  # fmt: skip
def test_the_kernel_expected_to_save_most_is_chosen(monkeypatch, offered, chosen):
    monkeypatch.setattr(kernels, "candidates", lambda: offered)
    net = lw.Network([5, 4, 1], seed=1)
    trainer = lw.training.Trainer(net, *data(), optimizer=lw.optimizers.GradientDescent(0.5), rng=np.random.default_rng(0))
    assert kernels.select(trainer, 10, False) is chosen


class Clock:
    """A kernel of fixed step time on a fake clock: how many steps the trainer asks per call."""

    name = "clock"
    step_s = 0.0
    calls: list[int] = []
    now = 0.0

    @classmethod
    def plan(cls, trainer, epochs, sync):
        return 1.0

    def __init__(self, trainer):
        pass

    def run(self, lrs):
        type(self).calls.append(len(lrs))
        type(self).now += self.step_s * len(lrs)
        return np.ones(len(lrs))

    def sync(self):
        pass


@pytest.mark.parametrize("step_s, epochs, calls", [
    (0.001, 120, [1, 50, 50, 19]),  # a call aims at Trainer.KERNEL_CALL_S = 0.05 s
    (0.2, 3, [1, 1, 1]),  # never fewer than one step
    (1e-12, 70000, [1, 65536, 4463]),  # nor more than 2**16
])  # fmt: skip
def test_kernel_calls_are_sized_to_take_a_twentieth_of_a_second(monkeypatch, step_s, epochs, calls):
    import layerwise.training as training

    Clock.step_s, Clock.calls, Clock.now = step_s, [], 0.0
    monkeypatch.setattr(kernels, "candidates", lambda: [Clock])
    monkeypatch.setattr(training.time, "perf_counter", lambda: Clock.now)
    net = lw.Network([5, 4, 1], seed=1)
    h = net.fit(*data(), epochs=epochs, learning_rate=0.5)
    assert Clock.calls == calls and len(h.costs) == epochs == net.trainer_.iteration


def test_candidates_are_the_registered_kernels_that_import_and_are_allowed(monkeypatch):
    from layerwise.kernels import gram

    monkeypatch.delenv("LAYERWISE_KERNELS", raising=False)
    assert gram.Kernel in kernels.candidates()
    monkeypatch.setattr(kernels, "_REGISTRY", ["gram", "no_such_kernel"])  # an extra not installed: left out
    assert kernels.candidates() == [gram.Kernel]
    monkeypatch.setenv("LAYERWISE_KERNELS", "no_such_kernel")
    assert kernels.candidates() == []
