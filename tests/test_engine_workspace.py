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


@pytest.mark.parametrize("gated", [False, True], ids=["scratch", "told-activations"])
@pytest.mark.parametrize("output", ALL)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_workspace_and_allocating_blocks_give_identical_results(hidden, output, gated):
    """model_forward/model_backward with a Workspace equal the allocating calls bit for bit, whether
    each dA_prev goes into the scratch array or (told the activations; ReLU's) over A[l-1]."""
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

    ws = blocks.Workspace(net.layer_dims, 7, np.float64, acts if gated else None)
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
    dZ2 = ws.A[2]
    if gated and acts[0].gated:  # A1 > 0 was kept, and dA1 went over A1 to become dZ1
        assert ws.dA_prev[2] is ws.A[1] and ws.positive[1] is not None
        np.testing.assert_array_equal(ws.positive[1], caches[0][1] > 0)
    else:  # the last dA_prev computed, dA1 = W2.T dZ2 (rescaled in place by dropout's mask), is in the scratch array
        assert ws.positive[1] is None
        np.testing.assert_array_equal(ws.dA_prev[2], net.parameters["W2"].T @ dZ2 * caches[0][2] / np.asarray(0.7))


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


# ---- the memory of a step: a boolean for ReLU's g', updates without a temporary the size of W ----


@pytest.mark.parametrize("name", [a for a in ALL if get_activation(a).gated])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gated_backward_is_the_backward_from_A_bit_for_bit(name, dtype):
    """``backward_gated(dA, A > 0)`` is ``backward(dA, A)``, signed zeros and NaN included."""
    act = get_activation(name)
    rng = np.random.default_rng(8)
    A = act.forward(rng.standard_normal((5, 40)).astype(dtype))
    A[0, :3] = [0.0, -0.0, np.nan]
    dA = rng.standard_normal((5, 40)).astype(dtype)
    dA[1, :2] = [-0.0, np.nan]
    expected = act.backward(dA, A)
    got = act.backward_gated(dA, A > 0)
    assert got.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
    np.testing.assert_array_equal(got, expected)
    out = dA.copy()
    assert act.backward_gated(out, A > 0, out=out) is out  # over dA itself, as the workspace does
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(NotImplementedError, match="tanh"):
        get_activation("tanh").backward_gated(dA, A > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lr", [0.05, np.float64(0.05), 1])
def test_update_parameters_is_the_plain_expression_bit_for_bit(dtype, lr):
    """W -= lr * dW, made in chunks of rows: the same floats as NumPy's one expression, for arrays
    larger and smaller than a chunk, a rate of any type, and gradients of another dtype."""
    rng = np.random.default_rng(1)
    shapes = {"W1": (700, 301), "b1": (700, 1), "W2": (3, 700), "b2": (3, 1), "W3": (blocks._CHUNK + 7,)}
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads = {"d" + k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    grads["dW2"] = grads["dW2"].astype(np.float64)  # cast into the float32 parameter as -= does
    expected = {k: v.copy() for k, v in params.items()}
    for k in expected:
        expected[k] -= lr * grads["d" + k]
    blocks.update_parameters(params, grads, lr)
    for k in params:
        assert params[k].dtype == dtype
        np.testing.assert_array_equal(params[k], expected[k], err_msg=k)
    dW, W = grads["dW1"].copy(), params["W1"]  # the L2 term of model_backward: dW += lambd/m W
    expected = dW + (0.3 / 7) * W
    blocks._add_scaled(np.add, dW, 0.3 / 7, W)
    np.testing.assert_array_equal(dW, expected)


def test_update_parameters_allocates_no_array_the_size_of_W():
    rng = np.random.default_rng(0)
    W, dW = rng.standard_normal((600, 500)), rng.standard_normal((600, 500))
    tracemalloc.start()
    try:
        blocks.update_parameters({"W": W}, {"dW": dW}, 0.1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < W.nbytes / 4, (peak, W.nbytes)


def fit_peak(net, X, Y, epochs: int = 2, **fit) -> int:
    """tracemalloc's peak, in bytes, over ``net.fit(X, Y, ...)`` (X and the parameters were made before)."""
    net.fit(X, Y, epochs=1, **fit)  # first-call costs (imports, caches) out of the way
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        net.fit(X, Y, epochs=epochs, **fit)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_memory_is_what_backpropagation_needs_and_a_little(dtype):
    """Peak memory of a fit on a wide ReLU network, beyond X and Y: the activations A[1..L], the
    parameters' flat vector and the gradients (each as large as the parameters), ReLU's g' as
    one byte an element of the widest hidden layer, one chunk of the update and 5% of the
    activations (the cost's (1, m) temporaries); no (n[l], m) scratch array of floats, no
    temporary the size of W, and no copy of the parameters by the divergence guard when plain
    gradient descent's steps cannot overflow."""
    dims, m = [60, 400, 400, 1], 2500
    rng = np.random.default_rng(0)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = (rng.random((1, m)) > 0.5).astype(dtype)
    net = lw.Network(dims, seed=0, dtype=dtype)
    itemsize = np.dtype(dtype).itemsize
    P = sum(p.nbytes for p in net.parameters.values())
    acts = sum(dims[1:]) * m * itemsize
    peak = fit_peak(net, X, Y, learning_rate=0.01)
    chunk = blocks._CHUNK * itemsize  # the update's temporary
    assert peak <= 2 * P + acts + max(dims[1:-1]) * m + chunk + 0.05 * acts, (peak, P, acts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trainer_on_random_relu_networks_is_the_plain_numpy_loop(dtype, seed, monkeypatch):
    """Random ReLU / leaky ReLU networks (some W larger than an update chunk), mini-batches,
    dropout and L2: the trainer's gated workspace gives the floats of the allocating blocks with
    NumPy's plain ``W -= lr * dW``."""
    monkeypatch.setenv("LAYERWISE_KERNELS", "numpy")
    rng = np.random.default_rng(seed)
    dims = [int(rng.integers(5, 40)), 300, int(rng.integers(220, 260)), int(rng.integers(1, 4))]
    hidden = ["relu", "leaky_relu:0.2"][seed % 2]
    output, loss = ("softmax", "cce") if dims[-1] > 1 else ("sigmoid", "bce")
    m = 50
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)] if dims[-1] > 1 else (rng.random((1, m)) > 0.5) * 1.0
    Y = Y.astype(dtype)
    net = lw.Network(dims, hidden=hidden, output=output, loss=loss, seed=seed, dtype=dtype)
    params = {k: v.copy() for k, v in net.parameters.items()}
    keep = [0.9, 0.8]
    history = net.fit(X, Y, batch_size=20, epochs=2, learning_rate=0.05, lambd=0.1, keep_prob=keep, seed=4)

    gen = np.random.default_rng(4)
    costs = []
    for _ in range(2):
        perm, total = gen.permutation(m), 0.0
        for k in range(0, m, 20):
            idx = perm[k : k + 20]
            Xb, Yb = X[:, idx], Y[:, idx]
            AL, caches = blocks.model_forward(Xb, params, net.activations, keep, gen)
            total += (net.loss.cost(AL, Yb) + l2_cost(params, 0.1, Xb.shape[1])) * Xb.shape[1]
            grads = blocks.model_backward(AL, Yb, caches, net.activations, net.loss, lambd=0.1, keep_probs=keep)
            for key in params:
                params[key] -= 0.05 * grads["d" + key]
        costs.append(total / m)
    assert history.costs == costs
    for key in params:
        assert net.parameters[key].dtype == dtype
        np.testing.assert_array_equal(net.parameters[key], params[key], err_msg=key)
