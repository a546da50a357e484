"""The fast training step is the plain blocks' arithmetic, written into buffers made once.

No test here measures time (``python -m benchmarks`` does). They check that ``Network.fit``
computes the same numbers as ``model_forward`` / ``model_backward`` / ``update_parameters``
composed by hand, that a step allocates nothing of the batch's size and reuses its arrays,
that a float32 run stays float32 in every array, that ``dA0`` is computed only on request,
and the course's vectorization demo (``layerwise bench vectorization``).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import layerwise as lw
from layerwise import blocks
from layerwise.bench import (
    logistic_gradient_one_loop,
    logistic_gradient_two_loops,
    logistic_gradient_vectorized,
)
from layerwise.blocks import Workspace, model_backward, model_forward, update_parameters
from layerwise.callbacks import Callback
from layerwise.losses import l2_cost

LR = 0.1

CASES = {
    "relu-sigmoid": dict(dims=[5, 4, 3, 1], activations=["relu", "relu", "sigmoid"], loss=None),
    "tanh-softmax": dict(dims=[5, 6, 3], activations=["tanh", "softmax"], loss=None),
    "leaky-linear": dict(dims=[5, 4, 2], activations=["leaky_relu:0.2", "linear"], loss=None),
    "sigmoid-mse (not fused)": dict(dims=[5, 3, 1], activations=["sigmoid", "sigmoid"], loss="mse"),
}


def data(case: dict, m: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((case["dims"][0], m))
    n_y = case["dims"][-1]
    if case["activations"][-1] == "softmax":
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    elif case["activations"][-1] == "sigmoid" and case["loss"] is None:
        Y = (rng.random((1, m)) < 0.5).astype(float)
    else:
        Y = rng.random((n_y, m))
    return X, Y


def by_hand(net, params, X, Y, epochs, *, lambd=0.0, sample_weight=None, keep_prob=1.0, seed=5, batch_size=None):
    """The training loop written with the course's blocks: returns the costs and the parameters."""
    params = {k: v.copy() for k, v in params.items()}
    rng = np.random.default_rng(seed)
    keep_probs = None if keep_prob == 1 else [keep_prob] * (len(net.layer_dims) - 2)
    w = None if sample_weight is None else sample_weight / sample_weight.mean()
    m = X.shape[1]
    size = batch_size or m
    costs = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, m, size):
            cols = slice(start, start + size)
            Xb, Yb, wb = X[:, cols], Y[:, cols], None if w is None else w[:, cols]
            AL, caches = model_forward(Xb, params, net.activations, keep_probs, rng)
            cost = net.loss.cost(AL, Yb, wb) + l2_cost(params, lambd, Xb.shape[1])
            grads = model_backward(AL, Yb, caches, net.activations, net.loss, sample_weight=wb, lambd=lambd, keep_probs=keep_probs)
            update_parameters(params, grads, LR)
            total += cost * Xb.shape[1]
        costs.append(total / m)
    return costs, params


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    "options",
    [{}, {"lambd": 0.3, "weights": True}, {"keep_prob": 0.8}, {"batch_size": 4}],
    ids=["plain", "L2+sample_weight", "dropout", "mini-batches"],
)
def test_fit_computes_what_the_blocks_compute(name, options):
    case = CASES[name]
    X, Y = data(case)
    net = lw.Network(case["dims"], activations=case["activations"], loss=case["loss"], init="xavier", seed=1)
    params0 = {k: v.copy() for k, v in net.parameters.items()}
    kw = {k: v for k, v in options.items() if k != "weights"}
    if options.get("weights"):
        kw["sample_weight"] = np.random.default_rng(2).random((1, X.shape[1])) + 0.5
    history = net.fit(X, Y, epochs=3, learning_rate=LR, seed=5, shuffle=False, **kw)
    costs, params = by_hand(net, params0, X, Y, 3, seed=5, **kw)
    np.testing.assert_allclose(history.costs, costs, rtol=1e-12, atol=0)
    for key in params:
        np.testing.assert_allclose(net.parameters[key], params[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_workspace_gives_the_plain_gradients_and_only_then_uses_up_the_caches(rng):
    dims, acts = [4, 5, 3, 1], ["tanh", "relu", "sigmoid"]
    params = lw.initialize_parameters(dims, "xavier", seed=0)
    X, Y = rng.standard_normal((4, 7)), (rng.random((1, 7)) < 0.5).astype(float)
    AL, caches = model_forward(X, params, acts)
    kept = [c[1].copy() for c in caches]
    plain = model_backward(AL, Y, caches, acts, "bce")
    for cache, A in zip(caches, kept):  # without a workspace nothing is overwritten
        np.testing.assert_array_equal(cache[1], A)
    ws = Workspace(dims, 7, np.float64)
    AL2, caches2 = model_forward(X, params, acts, workspace=ws)
    assert AL2 is ws.A[3] and all(c[1] is ws.A[l] for l, c in enumerate(caches2, start=1))
    np.testing.assert_array_equal(AL2, AL)
    fast = model_backward(AL2, Y, caches2, acts, "bce", workspace=ws)
    assert fast is ws.grads and all(np.shares_memory(g, ws.flat_grads) for g in fast.values())
    assert set(fast) == set(plain)
    for key in plain:
        np.testing.assert_allclose(fast[key], plain[key], rtol=1e-12, atol=0, err_msg=key)
    with pytest.raises(ValueError, match="return_dA"):
        model_backward(AL2, Y, caches2, acts, "bce", return_dA=True, workspace=ws)


def addresses(arrays: dict) -> dict:
    return {k: a.__array_interface__["data"][0] for k, a in arrays.items()}


class Recorder(Callback):
    """Checks that gradients and parameters stay in the same arrays; records the traced memory."""

    def __init__(self):
        self.first, self.moved, self.memory = None, 0, []

    def on_gradients(self, trainer, cost, grads):
        now = (addresses(grads), addresses(trainer.network.parameters))
        self.first = self.first or now
        self.moved += now != self.first
        assert all(np.shares_memory(g, trainer.flat_gradients) for g in grads.values())
        assert all(np.shares_memory(p, trainer.flat_parameters) for p in trainer.network.parameters.values())

    def on_batch_end(self, trainer, iteration, cost):
        if tracemalloc.is_tracing():
            self.memory.append(tracemalloc.get_traced_memory())


def test_a_step_reuses_its_arrays_and_allocates_nothing_of_the_batch_size(rng):
    dims, m = [60, 40, 20, 1], 500
    X, Y = rng.standard_normal((dims[0], m)), (rng.random((1, m)) < 0.5).astype(float)
    net = lw.Network(dims, seed=0)
    rec = Recorder()
    tracemalloc.start()
    try:
        net.fit(X, Y, epochs=50, learning_rate=0.01, callbacks=[rec])
    finally:
        tracemalloc.stop()
    assert rec.moved == 0, "the gradients or the parameters moved to new arrays"
    current = [c for c, _ in rec.memory[4:]]
    peak = max(p for _, p in rec.memory[4:])
    one_activation = dims[1] * m * 8  # A1: 160 kB
    assert max(current) - min(current) < one_activation / 10, "memory grows from step to step"
    assert peak - min(current) < one_activation, "a step allocates an array the size of an activation"


def test_replaced_parameters_are_picked_up_by_the_next_step(rng):
    """A callback may swap in new arrays (set_parameters): training goes on from them."""
    dims = [3, 4, 1]
    X, Y = rng.standard_normal((3, 8)), (rng.random((1, 8)) < 0.5).astype(float)
    net = lw.Network(dims, activations=["tanh", "sigmoid"], seed=0)
    p0 = {k: v.copy() for k, v in net.parameters.items()}
    p1 = {k: v + 0.5 for k, v in p0.items()}

    class Swap(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 0:
                trainer.network.set_parameters(p1)

    net.fit(X, Y, epochs=2, learning_rate=LR, callbacks=[Swap(), Recorder()])
    _, expected = by_hand(net, p1, X, Y, 1)
    for key in expected:
        np.testing.assert_allclose(net.parameters[key], expected[key], rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_float32_stays_float32_everywhere(optimizer, rng):
    dims, m = [6, 5, 4, 3], 12
    X = rng.standard_normal((6, m))
    Y = rng.integers(0, 3, (1, m))
    net = lw.Network(dims, activations=["relu", "tanh", "softmax"], dtype="float32", seed=0)
    seen = []

    class Check(Callback):
        def on_gradients(self, trainer, cost, grads):
            assert isinstance(cost, float)
            arrays = [*grads.values(), *trainer.network.parameters.values(), trainer.flat_parameters, trainer.flat_gradients]
            for ws in trainer._workspaces.values():
                arrays += [a for a in ws.A + ws.dA_prev if a is not None]
            seen.extend(a.dtype for a in arrays)

        def on_batch_end(self, trainer, iteration, cost):
            state = [a for per_key in trainer.optimizer.state.values() for a in per_key.values()]
            seen.extend(a.dtype for a in [*state, *trainer.network.parameters.values()])

    schedule = {"name": "step", "lr0": 0.05, "drop": 0.5, "every": 1}
    weights = rng.random((1, m)) + 0.5  # float64 on purpose: converted once, at the door
    history = net.fit(X, Y, epochs=3, optimizer=optimizer, learning_rate=schedule, batch_size=5, lambd=0.1,
                      keep_prob=0.9, sample_weight=weights, callbacks=[Check()])  # fmt: skip
    assert seen and set(seen) == {np.dtype(np.float32)}
    assert all(isinstance(c, float) for c in history.costs)
    assert net.predict_proba(X).dtype == np.float32


def test_dA0_is_computed_only_on_request(monkeypatch, rng):
    calls = []
    real = blocks.linear_backward

    def spy(dZ, cache, need_dA_prev=True, out=None):
        result = real(dZ, cache, need_dA_prev, out)
        calls.append((cache[1].shape, need_dA_prev, result[0] is None))
        return result

    monkeypatch.setattr(blocks, "linear_backward", spy)
    net = lw.Network([4, 3, 2, 1], seed=0)
    X, Y = rng.standard_normal((4, 6)), (rng.random((1, 6)) < 0.5).astype(float)
    net.fit(X, Y, epochs=1)
    assert calls == [((1, 2), True, False), ((2, 3), True, False), ((3, 4), False, True)]
    calls.clear()
    AL, caches = net.forward(X)
    grads = net.backward(AL, Y, caches, return_dA=True)
    assert calls[-1] == ((3, 4), True, False) and grads["dA0"].shape == (4, 6)


def test_the_three_logistic_gradients_of_the_vectorization_demo_agree(rng):
    X = rng.random((7, 30))
    Y = (rng.random((1, 30)) < 0.5).astype(float)
    w, b = rng.standard_normal((7, 1)) * 0.1, 0.2
    J0, dw0, db0 = logistic_gradient_vectorized(w, b, X, Y)
    for f in (logistic_gradient_two_loops, logistic_gradient_one_loop):
        J, dw, db = f(w, b, X, Y)
        assert J == pytest.approx(J0, rel=1e-12) and db == pytest.approx(db0, rel=1e-10)
        np.testing.assert_allclose(dw, dw0, rtol=1e-10)


def test_bench_vectorization_command_prints_the_speedups(capsys):
    from layerwise.cli import main

    assert main(["bench", "vectorization", "--size", "2000", "--n-x", "4", "--m", "10", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "np.dot" in out and "vectorized (layerwise's blocks)" in out and out.count("speed-up") == 3
    assert main(["bench", "vectorization", "--size", "0"]) == 2
