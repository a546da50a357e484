"""The Gram kernel (``layerwise.kernels.gram``) against the NumPy path, on networks with ``n_x >> m``.

Tolerances (the issue's: 1e-12 in float64, 1e-5 in float32), measured on ``CASES`` after 60
steps: the costs' relative difference at most 7e-16 (float64) and 4e-7 (float32); parameters and
velocities, against their layer's scale (``layer_scale``), at most 3e-15 and 2.4e-6. The paths
differ by rounding only: the kernel sums ``C G + s P0`` where the blocks sum ``W1 X``, and keeps
``W1``'s updates in coefficients where the blocks round ``W1 -= lr dW1`` at every step.
"""

from __future__ import annotations

import re
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

import layerwise as lw
from layerwise import kernels
from layerwise.callbacks import Callback, DivergenceError
from layerwise.kernels import gram
from layerwise.optimizers import SGD, Momentum

TOL = {"float64": 1e-12, "float32": 1e-5}


@pytest.fixture
def spy(monkeypatch):
    """Counts the kernel's ``run`` calls and the steps they took, and records the size of each kernel's basis."""
    seen = {"runs": 0, "basis": [], "steps": 0}
    run, init = gram.Kernel.run, gram.Kernel.__init__

    def counted_run(self, lrs):
        seen["runs"] += 1
        costs = run(self, lrs)
        seen["steps"] += costs.size
        return costs

    def recorded_init(self, trainer):
        init(self, trainer)
        seen["basis"].append(self.B.shape[0])

    monkeypatch.setattr(gram.Kernel, "run", counted_run)
    monkeypatch.setattr(gram.Kernel, "__init__", recorded_init)
    return seen


def data(n_x=300, m=40, n_y=1, seed=0, dtype="float64"):
    """Wide data: ``X: (n_x, m)`` and labels that a small network can learn from it."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    score = X[:3].sum(axis=0) + X[3] * X[4]
    if n_y == 1:
        Y = (score > 0).astype(float)[None, :]
    else:
        Y = np.eye(n_y)[:, np.digitize(score, np.quantile(score, np.linspace(0, 1, n_y + 1)[1:-1]))]
    return X.astype(dtype), Y.astype(dtype)


def both(monkeypatch, net_args, fit, data_args=None, continue_with=None):
    """[(network, history)] on the NumPy path, then on the gram kernel (named), from the same start
    (a callable in ``fit`` makes the value for each run: an optimizer object holds state)."""
    out = []
    for setting in ("numpy", "gram"):  # by name: "auto" would let another kernel ready in the process take over
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        net = lw.Network(**net_args)
        X, Y = data(**(data_args or {}), dtype=net_args.get("dtype", "float64"))
        h = net.fit(X, Y, **{k: v() if callable(v) else v for k, v in fit.items()})  # a fresh optimizer each
        if continue_with is not None:
            h = net.fit(X, Y, optimizer=net.trainer_.optimizer, **continue_with)
        out.append((net, h))
    return out


def layer_scale(arrays: dict, key: str) -> float:
    """The scale of the layer of ``key``: max |.| over ``W{l}`` and ``b{l}`` (or ``v/W{l}`` and ``v/b{l}``).

    A bias, near 0 after a few steps, is rounded on the scale of the layer's pre-activations,
    not on its own: measured against itself alone, an output bias of 1e-3 shows 1e-5 in float32.
    """
    prefix, _, l = re.fullmatch(r"(.*?)([Wb])(\d+)", key).groups()
    return max(np.abs(arrays[f"{prefix}{q}{l}"]).max() for q in "Wb")


def assert_close(ref, got, dtype):
    """Costs to ``TOL`` relative; parameters and optimizer state to ``TOL`` of their layer's scale."""
    (net_ref, h_ref), (net, h) = ref, got
    tol = TOL[dtype]
    assert len(h.costs) == len(h_ref.costs)
    np.testing.assert_allclose(h.costs, h_ref.costs, rtol=tol, atol=0)
    s_ref, s = net_ref.trainer_.optimizer.state_dict(), net.trainer_.optimizer.state_dict()
    assert s.keys() == s_ref.keys() and s["t"] == s_ref["t"]
    pairs = [(net_ref.parameters, net.parameters, k) for k in net_ref.parameters]
    pairs += [(s_ref, s, k) for k in s if "/" in k]
    for arrays_ref, arrays, key in pairs:
        assert arrays[key].dtype == arrays_ref[key].dtype == np.dtype(dtype)
        assert np.abs(arrays[key] - arrays_ref[key]).max() <= tol * layer_scale(arrays_ref, key), key


OPTIMIZERS = {
    "gd": lambda lr: lw.optimizers.GradientDescent(lr),
    "momentum": lambda lr: Momentum(lr, beta=0.9),
    "nesterov": lambda lr: SGD(lr, momentum=0.8, nesterov=True),
}
CASES = [  # layer_dims, hidden, output, lambd, optimizer
    ([300, 1], None, "sigmoid", 0.0, "gd"),
    ([300, 6, 1], "tanh", "sigmoid", 0.0, "gd"),
    ([300, 6, 1], "relu", "sigmoid", 0.5, "momentum"),
    ([300, 8, 5, 1], "leaky_relu", "sigmoid", 0.0, "nesterov"),
    ([300, 8, 5, 1], "sigmoid", "sigmoid", 0.3, "gd"),
    ([300, 10, 6, 4, 3], "relu", "softmax", 0.0, "momentum"),
    ([300, 7, 3], "tanh", "softmax", 0.8, "nesterov"),
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dims, hidden, output, lambd, opt", CASES)
def test_the_kernel_trains_as_the_blocks_do(monkeypatch, spy, dims, hidden, output, lambd, opt, dtype):
    acts = [hidden] * (len(dims) - 2) + [output]
    lr = 0.05 if opt == "gd" else 0.02
    fit = {"epochs": 60, "optimizer": lambda: OPTIMIZERS[opt](lr), "lambd": lambd}
    ref, got = both(monkeypatch, {"layer_dims": dims, "activations": acts, "seed": 2, "dtype": dtype}, fit, {"n_y": dims[-1]})
    assert spy["runs"] > 0
    assert got[1].costs[-1] < got[1].costs[0]  # it trained
    assert_close(ref, got, dtype)


def test_schedules_sample_weights_and_a_loss_without_a_fused_output(monkeypatch, spy):
    rng = np.random.default_rng(5)
    w = rng.uniform(0.2, 3.0, (1, 40))
    fit = {"epochs": 50, "learning_rate": {"name": "step", "lr0": 0.3, "drop": 0.5, "every": 12}, "sample_weight": w}
    net = {"layer_dims": [300, 6, 4, 1], "activations": ["tanh", "relu", "sigmoid"], "loss": "mse", "seed": 4}
    ref, got = both(monkeypatch, net, fit)
    assert spy["runs"] > 0
    assert got[1].learning_rates == ref[1].learning_rates and len(set(got[1].learning_rates)) == 5
    assert_close(ref, got, "float64")


def test_a_continued_run_carries_the_velocity_it_starts_with(monkeypatch, spy):
    net = {"layer_dims": [300, 6, 4, 1], "activations": ["relu", "tanh", "sigmoid"], "seed": 1}
    fit = {"epochs": 30, "optimizer": lambda: SGD(0.03, momentum=0.9), "lambd": 0.4}
    ref, got = both(monkeypatch, net, fit, continue_with={"epochs": 30, "lambd": 0.4})
    assert spy["basis"] == [1, 2]  # the second run starts with v_W1: W1 = a0 W1_0 + a1 V0 + C X^T
    assert spy["steps"] == 60  # every step of both runs on the kernel, none handed to the blocks
    assert len(got[1].costs) == 30  # the second fit's history
    assert_close(ref, got, "float64")


def test_a_checkpoint_taken_mid_run_is_the_blocks_checkpoint(monkeypatch, spy):
    class Snapshot(Callback):  # reads the parameters: the kernel syncs after every epoch
        def __init__(self):
            self.taken = []

        def on_epoch_end(self, trainer, epoch, logs):
            if epoch in (3, 17):
                params = {k: v.copy() for k, v in trainer.network.parameters.items()}
                self.taken.append((params, trainer.optimizer.state_dict()))

    monkeypatch.setattr(gram.Kernel, "plan", classmethod(lambda cls, *a: 1.0))  # momentum and a sync every step: forced
    snaps = []
    for setting in ("numpy", "gram"):  # by name: "auto" would let another kernel ready in the process take over
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        cb = Snapshot()
        lw.Network([300, 6, 1], seed=3).fit(*data(), epochs=20, optimizer=Momentum(0.05), lambd=0.2, callbacks=[cb])
        snaps.append(cb.taken)
    assert spy["runs"] == 20  # one step per call when the parameters are read after each
    for (p_ref, s_ref), (p, s) in zip(*snaps, strict=True):
        assert s.keys() == s_ref.keys() and s["t"] == s_ref["t"] and s["epoch"] == s_ref["epoch"]
        for key in p_ref:
            np.testing.assert_allclose(p[key], p_ref[key], rtol=0, atol=1e-12 * np.abs(p_ref[key]).max())
            np.testing.assert_allclose(s[f"v/{key}"], s_ref[f"v/{key}"], rtol=0, atol=1e-12 * np.abs(s_ref[f"v/{key}"]).max())


def test_validation_after_every_epoch_sees_the_same_parameters(monkeypatch, spy):
    fit = {"epochs": 40, "learning_rate": 0.1, "validation_split": 0.25, "seed": 3}
    ref, got = both(monkeypatch, {"layer_dims": [300, 6, 1], "activations": ["relu", "sigmoid"], "seed": 3}, fit, {"m": 60})
    assert spy["runs"] == 40
    np.testing.assert_allclose(got[1].val_costs, ref[1].val_costs, rtol=1e-12)
    assert got[1].val_metrics == ref[1].val_metrics
    assert_close(ref, got, "float64")


def scaled(scale):
    """The usual data times ``scale``, on a relu / linear network."""
    X, Y = data()
    return lw.Network([300, 5, 1], activations=["relu", "linear"], seed=1), X * scale, Y * scale


def only_W1_overflows():
    """X in [5, 15], Y = 1000: |dW1| ~ 10 |db1| ~ 400 |dC|, so the update overflows W1 = W1_0 + C X^T alone."""
    X, Y = np.random.default_rng(0).uniform(5, 15, (300, 40)), np.full((1, 40), 1e3)
    return lw.Network([300, 1], activations=["linear"], seed=1), X, Y


def only_dW1_overflows():
    """W2 = 1e306 behind a saturated sigmoid: the cost is finite, dZ1 = 1e306, dC = dZ1 / m and db1
    finite, but the blocks' dZ1 X^T (40 terms of 1e307) is not."""
    X, Y = np.random.default_rng(0).uniform(5, 15, (300, 40)), np.zeros((1, 40))
    net = lw.Network([300, 1, 1], activations=["relu", "sigmoid"], seed=1)
    zero = np.zeros((1, 1))
    net.set_parameters({"W1": np.full((1, 300), 1e-3), "b1": zero, "W2": np.full((1, 1), 1e306), "b2": zero})
    return net, X, Y


@pytest.mark.parametrize("case, lr, optimizer, what", [
    (lambda: scaled(1e3), 5.0, "gd", "the cost became non-finite"),
    (lambda: scaled(30), 0.02, "gd", "Z2 (layer 2) became non-finite"),
    (lambda: scaled(30), 0.05, "momentum", "became non-finite"),
    (lambda: scaled(1), 1e308, "gd", "Z1 (layer 1) became non-finite"),
    (lambda: scaled(10), 1e308, "gd", "the update made W1 (layer 1) non-finite"),
    (lambda: scaled(100), 1e306, "momentum", "the update made W1 (layer 1) non-finite"),
    (only_W1_overflows, 5e304, "gd", "iteration 0 (epoch 0): the update made W1 (layer 1) non-finite"),
    (only_dW1_overflows, 0.1, "gd", "iteration 0 (epoch 0): dW1 (layer 1) became non-finite"),
])  # fmt: skip
def test_divergence_is_reported_as_on_the_blocks(monkeypatch, spy, case, lr, optimizer, what):
    """The kernel stops before the first step that is not finite, or whose W1 or dW1 might not be
    (``Kernel._near_overflow``); the blocks replay it and name the cause."""
    results = []
    for setting in ("numpy", "gram"):  # by name: "auto" would let another kernel ready in the process take over
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        net, X, Y = case()
        with pytest.raises(DivergenceError) as err:
            net.fit(X, Y, epochs=200, learning_rate=lr, optimizer=optimizer)
        results.append((str(err.value), err.value.history.costs, {k: v.copy() for k, v in net.parameters.items()}))
    assert spy["runs"] > 0
    (msg_ref, costs_ref, p_ref), (msg, costs, p) = results
    assert msg == msg_ref and what in msg and "The last finite parameters are kept" in msg
    np.testing.assert_allclose(costs, costs_ref, rtol=1e-12)
    for key in p_ref:
        assert np.isfinite(p[key]).all()
        np.testing.assert_allclose(p[key], p_ref[key], rtol=0, atol=1e-12 * layer_scale(p_ref, key))


class Plan:
    """A trainer for ``Kernel.plan`` to judge, without training."""

    def __init__(self, n_x=300, m=40, optimizer="gd", state=None, dtype="float64"):
        self.network = lw.Network([n_x, 6, 1], seed=0, dtype=dtype)
        self.X = np.ones((n_x, m), dtype)
        self.optimizer = lw.optimizers.get_optimizer(optimizer)
        self.optimizer.state = state or {}

    def __call__(self, epochs=100, sync=False):
        return gram.Kernel.plan(self, epochs, sync)


def test_the_plan_runs_the_kernel_only_where_the_flops_say_it_pays():
    assert Plan()() > 0 and Plan(optimizer="momentum")() > 0 and Plan(dtype="float32")() > 0
    assert Plan()(sync=True) > 0  # gd: forming W1 after each step still costs half of the blocks' products
    assert Plan(optimizer="momentum")(sync=True) is None  # W1 and v_W1 after each step: no saving left
    assert Plan(n_x=79, m=40)() is None  # n_x < 2m
    assert Plan()(epochs=3) is None  # the set-up (G, W1_0 X) is not paid back
    for name in ("adam", "rmsprop"):
        assert Plan(optimizer=name)() is None  # not linear in the gradient
    assert Plan(optimizer="momentum", state={"v": {"W1": np.zeros((6, 7))}})() is None  # another network's state
    assert Plan(optimizer="momentum", state={"v": {"W1": np.zeros((6, 300), np.float32)}})() is None


def test_the_flop_rule():
    """The cat network, [12288, 20, ...] on m = 209 images, gd for 10 steps:
    the blocks 4 n1 n_x m = 4 * 20 * 12288 * 209 = 205_455_360 flops a step, 2_054_553_600 in all;
    the kernel 4 n1 m^2 = 4 * 20 * 209^2 = 3_494_480 a step, 34_944_800 in all;
    set-up m^2 n_x + 2 n1 n_x m = 536_752_128 + 102_727_680; the final W1, 2 n1 m n_x = 102_727_680.
    Saved: 2_054_553_600 - 34_944_800 - 639_479_808 - 102_727_680 = 1_277_401_312 (62 %)."""
    assert gram.flops(12288, 20, 209, 10, False, 0, 1) == (2_054_553_600, 1_277_401_312)
    for epochs, pays in ((4, False), (5, True)):  # the README: on the cats, from 5 iterations on
        blocks, saved = gram.flops(12288, 20, 209, epochs, False, 0, 1)
        assert (saved >= blocks / 4) is pays
    # momentum, its velocity formed too, and the parameters read after every step: W1 and v_W1 cost
    # 2 * 102_727_680 a step, the two products the blocks save 205_455_360: nothing left
    assert gram.flops(12288, 20, 209, 10, True, 1, 1)[1] < 0
    # a continued momentum run, v_W1 a second basis matrix: the set-up's W1_0 X and V0 X cost
    # 2 * 2 * 20 * 12288 * 209 = 205_455_360, v_W1 formed at the end 102_727_680 more:
    # saved 2_054_553_600 - 34_944_800 - 742_207_488 - 205_455_360 = 1_071_945_952
    assert gram.flops(12288, 20, 209, 10, False, 1, 2) == (2_054_553_600, 1_071_945_952)


def test_the_plan_at_its_boundaries(monkeypatch):
    """With the measured rate fixed at 2 GFlop/s, the plan's answer is the flops saved over it,
    where ``n_x >= 2m`` and the saving is at least a quarter of the blocks' first-layer products."""
    rate = 2e9
    monkeypatch.setattr(gram, "_rate", lambda W1, X: rate)
    assert Plan(n_x=79, m=40)() is None and Plan(n_x=80, m=40)() == gram.flops(80, 6, 40, 100, False, 0, 1)[1] / rate
    # n_x = 480, m = 40, 4 steps: blocks 4 * 6 * 480 * 40 * 4 = 1_843_200; kernel 4 * 6 * 40^2 * 4 = 153_600,
    # set-up 40^2 * 480 + 2 * 6 * 480 * 40 = 998_400, the final W1 2 * 6 * 40 * 480 = 230_400:
    # saved 460_800, a quarter exactly: it runs. At n_x = 400 the saving is 23 %: it does not.
    assert gram.flops(480, 6, 40, 4, False, 0, 1) == (1_843_200, 460_800)
    assert Plan(n_x=480, m=40)(epochs=4) == 460_800 / rate
    assert Plan(n_x=400, m=40)(epochs=4) is None
    # a continued momentum run: two basis matrices (W1_0 and v_W1), one slot formed at the end
    v = {"v": {"W1": np.zeros((6, 300))}}
    assert Plan(optimizer="momentum", state=v)() == gram.flops(300, 6, 40, 100, False, 1, 2)[1] / rate == 23_904_000 / rate
    # what the blocks would take otherwise: X of another dtype (cast there), sparse X, a state of lists
    assert Plan()() is not None
    mixed = Plan()
    mixed.X = mixed.X.astype(np.float32)
    sparse = Plan()
    sparse.X = scipy_sparse().csr_matrix(sparse.X)
    assert mixed() is None and sparse() is None
    assert Plan(optimizer="momentum", state={"v": {"W1": np.zeros((6, 300)).tolist()}})() is None


def test_a_state_that_is_not_an_array_fails_as_on_the_blocks(monkeypatch):
    """A velocity given as a list (not what ``load_state_dict`` makes): the blocks' error, not the kernel's."""
    errors = []
    for setting in ("numpy", "gram"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        opt = Momentum(0.05)
        opt.state = {"v": {"W1": np.zeros((6, 300)).tolist()}}
        with pytest.raises(TypeError) as err:
            lw.Network([300, 6, 1], seed=0).fit(*data(), epochs=20, optimizer=opt)
        errors.append(str(err.value))
    assert errors[0] == errors[1]


def scipy_sparse():
    return pytest.importorskip("scipy.sparse", reason="scipy (the sparse extra) is not installed")


def test_the_rate_is_measured_once_per_shape_and_dtype(monkeypatch):
    """``_rate``: the flops of ``W1 X`` (``2 n1 n_x m``) over the seconds one product took, timed on the
    first call for a (dtype, n1, n_x, m) and taken from the cache after."""
    ticks = []

    def clock():  # each reading a quarter of a second after the last
        ticks.append(None)
        return 1000.0 + 0.25 * len(ticks)

    monkeypatch.setattr(gram, "time", SimpleNamespace(perf_counter=clock))
    monkeypatch.setattr(gram, "_RATES", {})
    X = np.ones((300, 40))
    assert gram._rate(np.ones((6, 300)), X) == 2 * 6 * 300 * 40 / 0.25 and len(ticks) == 2
    assert gram._rate(np.ones((6, 300)), X) == 2 * 6 * 300 * 40 / 0.25 and len(ticks) == 2  # cached
    assert gram._rate(np.ones((7, 300)), X) == 2 * 7 * 300 * 40 / 0.25 and len(ticks) == 4  # another n1
    assert gram._rate(np.ones((6, 300)), X[:, :20]) == 2 * 6 * 300 * 20 / 0.25 and len(ticks) == 6  # another m
    assert gram._rate(np.ones((6, 300), np.float32), X.astype(np.float32)) == 2 * 6 * 300 * 40 / 0.25
    assert len(ticks) == 8 and len(gram._RATES) == 4
    monkeypatch.setattr(gram, "time", SimpleNamespace(perf_counter=lambda: 5.0))  # a clock too coarse to see it
    assert gram._rate(np.ones((6, 300)), np.ones((300, 30))) == 2 * 6 * 300 * 30 / 1e-9


def kernel_on(net, X, Y, optimizer, lambd=0.0):
    """A ``gram.Kernel`` on the trainer of one epoch of ``net`` on the blocks (the optimizer holds its state)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAYERWISE_KERNELS", "numpy")
        net.fit(X, Y, epochs=1, optimizer=optimizer, lambd=lambd)
    return gram.Kernel(net.trainer_)


def traced(work) -> tuple[int, int]:
    """(bytes still held, peak bytes) that ``work()`` allocated, as tracemalloc sees NumPy's arrays."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("opt", ["gd", "nesterov"])
def test_steps_and_syncs_allocate_nothing_of_the_batchs_size(opt):
    """The kernel's own work is done in its own arrays: a step's forward and backward (layer outputs
    in the workspace, ``Z1``'s terms in a scratch array), the overflow bound, and ``sync`` (``W1 =
    a . B + C X^T`` in one scratch array, made at the first sync) never hold a new array of the
    batch's size; a run of 10 steps keeps nothing. The update is the optimizer's own formula (its
    temporaries, of the parameters' size, are its own); NumPy's iterator buffers are at most 64 kB."""
    X, Y = data(n_x=1000, m=1000)  # tanh: ReLU's backward takes a boolean mask of its layer (the blocks')
    net = lw.Network([1000, 32, 32, 1], activations=["tanh", "tanh", "sigmoid"], seed=0)
    kernel = kernel_on(net, X, Y, OPTIMIZERS[opt](0.01))
    assert kernel.run(np.full(1, 0.01)).size == 1
    kernel.sync()
    smallest = 32 * 1000 * 8  # the kernel's arrays of the batch's size, (n1, m) and (n2, m): 256 kB
    steps = traced(lambda: [kernel._cost_and_gradients() for _ in range(10)])
    bound = traced(lambda: [kernel._near_overflow(kernel.da, kernel.ws.grads["dW1"], 1000) for _ in range(10)])
    run = traced(lambda: kernel.run(np.full(10, 0.01)))
    syncs = []
    for _ in range(3):
        assert kernel.run(np.full(1, 0.01)).size == 1
        syncs.append(traced(kernel.sync)[1])
    assert max(steps[1], bound[1], *syncs) < smallest / 2 and run[0] < 1_000, (steps, bound, run, syncs)


def test_a_float32_kernel_holds_float32_and_one_state_row_per_vector():
    """Every array the kernel keeps is in the network's dtype (float32 stays float32, as on the
    blocks); its state, copied before every step, is one row for the parameters and one per slot."""
    X, Y = data(dtype="float32")
    net = lw.Network([300, 6, 1], seed=0, dtype="float32")
    kernel = kernel_on(net, X, Y, Momentum(0.05), lambd=0.2)
    assert kernel.run(np.full(5, 0.05)).size == 5
    kernel.sync()
    arrays = {k: v for k, v in vars(kernel).items() if isinstance(v, np.ndarray)}
    assert {"state", "da", "_Z_scratch", "_W_scratch", "B", "P", "G", "M"} <= arrays.keys()
    assert {k: v.dtype for k, v in arrays.items()} == dict.fromkeys(arrays, np.dtype(np.float32))
    assert kernel.state.shape == (2, kernel.ws.flat_grads.size + 2) == kernel._saved.shape  # basis W1_0, v_W1


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_kernel_steps_up_to_a_quarter_of_the_largest_float(dtype):
    """``Kernel._near_overflow``: the kernel takes the steps while its bound of max |W1| is at most a
    quarter of the largest float, and leaves the next step to the blocks past it. Here W1[0, 0] is
    the bound (the first feature is 0 in every example: the entry multiplies nothing)."""
    X, Y = data(dtype=dtype)
    X[0] = 0
    quarter = np.finfo(dtype).max / 4
    for entry, steps in ((quarter, 5), (np.nextafter(quarter, np.inf), 0)):
        net = lw.Network([300, 6, 1], seed=0, dtype=dtype)
        W1 = net.parameters["W1"].copy()
        W1[0, 0] = entry
        net.set_parameters({**net.parameters, "W1": W1})
        with np.errstate(over="ignore"):  # as the trainer runs it: <W1_0, W1_0> overflows (unused without L2)
            kernel = kernel_on(net, X, Y, lw.optimizers.GradientDescent(0.05))
            assert kernel.run(np.full(5, 0.05, dtype)).size == steps


def test_sync_writes_in_place_and_only_after_a_step(monkeypatch):
    """``sync`` writes into the network's and the optimizer's arrays (views of the trainer's flat
    vectors, arrays a caller holds); it forms ``W1`` and ``v_W1`` once after a step, as the plan counts,
    and not at all when no step was taken since the last sync."""
    formed, materialise = [], gram.Kernel._materialise

    def counted(self, views, out):
        formed.append(out.shape)
        materialise(self, views, out)

    monkeypatch.setattr(gram.Kernel, "_materialise", counted)
    X, Y = data()
    net = lw.Network([300, 6, 4, 1], seed=0)
    opt = Momentum(0.05)
    kernel = kernel_on(net, X, Y, opt)
    params, state = dict(net.parameters), dict(opt.state["v"])
    kernel.sync()
    assert formed == []
    assert kernel.run(np.full(3, 0.05)).size == 3
    kernel.sync()
    kernel.sync()
    assert formed == [(6, 300), (6, 300)]
    assert all(net.parameters[k] is params[k] for k in params) and all(opt.state["v"][k] is state[k] for k in state)
    assert np.shares_memory(net.parameters["W1"], net.trainer_.flat_parameters)


def test_the_kernel_can_be_turned_off(monkeypatch, spy):
    monkeypatch.setenv("LAYERWISE_KERNELS", "numpy")
    lw.Network([300, 6, 1], seed=0).fit(*data(), epochs=30, learning_rate=0.1)
    monkeypatch.setenv("LAYERWISE_KERNELS", "gram")
    lw.Network([300, 6, 1], seed=0).fit(*data(), epochs=30, learning_rate=0.1)
    assert spy["basis"] == [1] and "gram" in kernels._REGISTRY


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_course_network_on_the_cat_images(cat_data, monkeypatch, spy, dtype):
    """[12288, 20, 7, 5, 1] on the course's images, as tests/test_course_reproduction.py trains it
    (which, with the kernels allowed by default, runs on this kernel too), for 30 iterations."""
    train, _ = cat_data
    out = []
    for setting in ("numpy", "gram"):  # by name: "auto" would let another kernel ready in the process take over
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        net = lw.Network([12288, 20, 7, 5, 1], hidden="relu", output="sigmoid", init="xavier", seed=1, dtype=dtype)
        X, Y = train.X.astype(dtype), train.Y.astype(dtype)
        out.append((net, net.fit(X, Y, learning_rate=0.0075, num_iterations=30)))
    assert spy["runs"] > 0
    assert out[1][1].costs[0] == pytest.approx(0.771749, abs=5e-7)
    assert_close(*out, dtype)
