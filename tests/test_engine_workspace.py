"""The path training really takes: ``Trainer`` steps in a preallocated ``Workspace``.

The finite-difference checks of test_gradient_check.py call the allocating blocks. Here the
gradient and the cost both come from ``Trainer._step`` itself (workspace forward, in-place
activations, fused output, ``dZ`` written over ``A``, one flat gradient vector), for every
activation as a hidden and as an output layer, with L2, sample weights and dropout masks held
fixed (the generator is reseeded before each evaluation), in float64. Then: the in-place and
the allocating paths give bit-identical results, and the workspace arrays hold what
``Workspace`` says they hold.
"""

from __future__ import annotations

import tracemalloc
import zlib

import numpy as np
import pytest

import layerwise as lw
from layerwise import blocks
from layerwise.activations import ACTIVATIONS, get_activation
from layerwise.callbacks import Callback
from layerwise.losses import l2_cost
from layerwise.optimizers import Optimizer
from layerwise.training import Trainer

ALL = sorted(ACTIVATIONS) + ["leaky_relu:0.3"]
# exp (the Poisson output) as a hidden layer saturates the sigmoid output of make_net to
# exactly 1, where the clipped cost is flat and finite differences see no gradient
HIDDEN = [a for a in ALL if a != "exp"]
OUTPUT_LOSS = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy", "linear": "mse",
               "tanh": "mse", "relu": "mse", "leaky_relu": "mse", "leaky_relu:0.3": "mse", "exp": "poisson"}  # fmt: skip


class Frozen(Optimizer):
    """Takes no step: the parameters stay where the finite differences put them."""

    name = "frozen"

    def step(self, parameters, grads):
        self.t += 1


class Record(Callback):
    """The cost and a copy of the gradients that ``on_gradients`` receives."""

    def on_gradients(self, trainer, cost, grads):
        self.cost = cost
        self.grads = {k: v.copy() for k, v in grads.items()}
        self.flat = trainer.flat_gradients.copy()


def make_net(hidden: str, output: str, n_y: int, seed: int = 3):
    """[4, 5, 3, n_y] with nonzero biases, so that no Z sits exactly on a kink of ReLU."""
    net = lw.Network([4, 5, 3, n_y], activations=[hidden, hidden, output], loss=OUTPUT_LOSS[output],
                     init="xavier", seed=seed)  # fmt: skip
    rng = np.random.default_rng(seed)
    for l in (1, 2, 3):
        net.parameters[f"b{l}"] += rng.uniform(-0.3, 0.3, net.parameters[f"b{l}"].shape)
    return net


def make_data(output: str, n_y: int, m: int, rng):
    X = rng.standard_normal((4, m))
    if output == "softmax":
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    elif output == "sigmoid":
        Y = (rng.random((n_y, m)) > 0.5).astype(float)
    elif output == "exp":
        Y = rng.poisson(1.5, (n_y, m)).astype(float)  # counts, for the Poisson deviance
    else:
        Y = rng.standard_normal((n_y, m))
    return X, Y


def trainer_for(net, X, Y, *, lambd, keep_probs, w, record):
    return Trainer(net, X, Y, optimizer=Frozen(0.1), lambd=lambd, keep_probs=keep_probs, sample_weight=w,
                   callbacks=[record], rng=np.random.default_rng(0))  # fmt: skip


def trainer_step(trainer, record, seed: int = 11):
    """One full-batch step of ``trainer`` with the dropout generator at ``seed``: (cost, grads)."""
    trainer.rng = np.random.default_rng(seed)
    trainer.run(1, handle_signals=False)
    return record.cost, record.grads


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@pytest.mark.parametrize("output", ALL)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_trainer_step_gradient_matches_finite_differences(hidden, output):
    rng = np.random.default_rng(zlib.crc32(f"{hidden} {output}".encode()))
    n_y = 3 if output == "softmax" else 2
    net = make_net(hidden, output, n_y)
    X, Y = make_data(output, n_y, 9, rng)
    w = rng.uniform(0.5, 2.0, (1, 9))
    record = Record()
    trainer = trainer_for(net, X, Y, lambd=0.3, keep_probs=[0.8, 0.6], w=w, record=record)
    cost, grads = trainer_step(trainer, record)
    flat = trainer.flat_parameters  # the network's parameters are views of it
    analytic = np.concatenate([grads["d" + k].ravel() for k in net.parameters])
    np.testing.assert_array_equal(record.flat, analytic)  # on_gradients sees the flat vector's views
    approx = np.empty_like(flat)
    eps = 1e-6
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = trainer_step(trainer, record)[0]
        flat[i] = old - eps
        minus = trainer_step(trainer, record)[0]
        flat[i] = old
        approx[i] = (plus - minus) / (2 * eps)
    assert trainer_step(trainer, record)[0] == cost  # same masks, same parameters: the same cost
    assert relative_difference(analytic, approx) < 1e-7, (hidden, output)


@pytest.mark.parametrize("output", ALL)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_workspace_and_allocating_blocks_give_identical_results(hidden, output):
    """model_forward/model_backward with a Workspace equal the allocating calls bit for bit."""
    rng = np.random.default_rng(5)
    n_y = 3 if output == "softmax" else 2
    net = make_net(hidden, output, n_y)
    X, Y = make_data(output, n_y, 7, rng)
    w = rng.uniform(0.5, 2.0, (1, 7))
    w /= w.mean()
    acts, loss, keep = net.activations, net.loss, [0.7, 1.0]
    AL, caches = blocks.model_forward(X, net.parameters, acts, keep, np.random.default_rng(1))
    cost = loss.cost(AL, Y, w)
    dZ_out = (AL - Y) * w if loss.fused == acts[-1].name else acts[-1].backward(loss.dAL(AL, Y, w), AL)
    grads = blocks.model_backward(AL, Y, caches, acts, loss, sample_weight=w, lambd=0.4, keep_probs=keep)

    ws = blocks.Workspace(net.layer_dims, 7, np.float64)
    AL_ws, caches_ws = blocks.model_forward(X, net.parameters, acts, keep, np.random.default_rng(1), workspace=ws)
    assert AL_ws is ws.A[3]  # the output was computed in place, in the workspace
    assert caches_ws[0][1] is ws.A[1] and caches_ws[1][1] is ws.A[2]
    np.testing.assert_array_equal(AL_ws, AL)
    assert loss.cost(AL_ws, Y, w) == cost
    np.testing.assert_array_equal(caches_ws[0][2], caches[0][2])  # the same dropout mask
    grads_ws = blocks.model_backward(AL_ws, Y, caches_ws, acts, loss, sample_weight=w, lambd=0.4, keep_probs=keep,
                                     workspace=ws)  # fmt: skip
    assert grads_ws is ws.grads
    assert grads_ws.keys() == grads.keys()
    for key in grads:
        np.testing.assert_array_equal(grads_ws[key], grads[key], err_msg=key)
    np.testing.assert_array_equal(ws.flat_grads, np.concatenate([grads[f"d{p}{l}"].ravel() for l in (1, 2, 3) for p in "Wb"]))
    np.testing.assert_array_equal(ws.A[3], dZ_out)  # dZ[L] was written over A[L], its last use
    # the last dA_prev computed (dA1 = W2.T dZ2, before dropout's rescaling) is in the scratch array
    dZ2 = ws.A[2]
    np.testing.assert_array_equal(ws.dA_prev[2], net.parameters["W2"].T @ dZ2)


@pytest.mark.parametrize("name", ALL)
def test_activations_write_where_they_are_told_and_never_into_dA(name):
    act = get_activation(name)
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((3, 6))
    A = act.forward(Z.copy())
    dA = rng.standard_normal((3, 6))
    dZ = act.backward(dA, A)
    buf = Z.copy()
    assert act.forward(buf, out=buf) is buf
    np.testing.assert_array_equal(buf, A)
    other = np.empty_like(Z)
    assert act.forward(Z, out=other) is other
    np.testing.assert_array_equal(other, A)
    dA_before = dA.copy()
    buf = A.copy()
    assert act.backward(dA, buf, out=buf) is buf  # dZ over A, as training does
    np.testing.assert_array_equal(buf, dZ)
    other = np.empty_like(A)
    assert act.backward(dA, A, out=other) is other
    np.testing.assert_array_equal(other, dZ)
    np.testing.assert_array_equal(dA, dA_before)


def test_fused_output_gradient_is_written_in_place():
    AL, Y, w = np.array([[0.2, 0.9, 0.5]]), np.array([[0.0, 1.0, 1.0]]), np.array([[1.0, 2.0, 0.5]])
    loss = lw.losses.get_loss("bce")
    assert loss.dZ_fused(AL, Y, w, out=AL) is AL
    np.testing.assert_allclose(AL, [[0.2, -0.2, -0.25]], rtol=0, atol=1e-15)


def test_trainer_steps_reuse_one_workspace_per_batch_size():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4, 10)), (rng.random((1, 10)) > 0.5).astype(float)
    net = lw.Network([4, 3, 1], seed=0)
    net.fit(X, Y, batch_size=4, epochs=3, learning_rate=0.1)
    assert sorted(net.trainer_._workspaces) == [2, 4]  # 10 = 4 + 4 + 2


def test_trainer_matches_a_loop_over_the_allocating_blocks():
    """Mini-batch gradient descent with L2 and dropout: Trainer (in place) against the course's
    loop written with the allocating blocks, the same permutation and masks: the same floats."""
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((3, 23)), (rng.random((1, 23)) > 0.5).astype(float)
    net = lw.Network([3, 6, 4, 1], hidden="tanh", seed=2)
    params = {k: v.copy() for k, v in net.parameters.items()}
    history = net.fit(X, Y, batch_size=8, epochs=4, learning_rate=0.3, lambd=0.2, keep_prob=[0.7, 0.9], seed=9)

    gen = np.random.default_rng(9)
    costs = []
    for _ in range(4):
        perm = gen.permutation(23)
        total = 0.0
        for k in range(0, 23, 8):
            idx = perm[k : k + 8]
            Xb, Yb = X[:, idx], Y[:, idx]
            AL, caches = blocks.model_forward(Xb, params, net.activations, [0.7, 0.9], gen)
            total += (net.loss.cost(AL, Yb) + l2_cost(params, 0.2, Xb.shape[1])) * Xb.shape[1]
            grads = blocks.model_backward(AL, Yb, caches, net.activations, net.loss, lambd=0.2, keep_probs=[0.7, 0.9])
            blocks.update_parameters(params, grads, 0.3)
        costs.append(total / 23)
    assert history.costs == costs
    for key in params:
        np.testing.assert_array_equal(net.parameters[key], params[key])


def step_peaks(trainer, epochs: int) -> list[int]:
    """Train, recording for each step the traced memory at its peak above what was live before it."""
    peaks, step = [], trainer._step

    def measured(*batch):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        cost = step(*batch)
        peaks.append(tracemalloc.get_traced_memory()[1] - before)
        return cost

    trainer._step = measured
    tracemalloc.start()
    try:
        trainer.run(epochs, handle_signals=False)
    finally:
        tracemalloc.stop()
    return peaks


@pytest.mark.parametrize("dims", [[50, 1], [50, 30, 1], [50, 30, 20, 1]])
def test_a_step_allocates_nothing_of_the_size_of_a_layer(dims):
    """The workspace holds every (n[l], m) array of a step: the input's gradient dA0 is never
    computed, and neither forward nor backward allocates a layer's worth (only the cost's
    (1, m) temporaries remain)."""
    m = 1000
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((dims[0], m)), (rng.random((1, m)) > 0.5).astype(float)
    net = lw.Network(dims, seed=0)
    trainer = Trainer(net, X, Y, optimizer=lw.optimizers.GradientDescent(0.01), rng=np.random.default_rng(0))
    peaks = step_peaks(trainer, 6)
    smallest_layer = min(dims[:-1]) * m * 8  # bytes of the smallest (n[l], m) array but the output's
    assert max(peaks[2:]) < smallest_layer, (peaks, smallest_layer)
