"""The compiled kernel (``layerwise.kernels.compiled``, numba): the same training as the blocks,
to rounding (float64 to 1e-12, float32 to 1e-5, relative to each array's largest entry), on
random small networks; the same divergence message and printed lines; the course's planar
figures; and the choice (ski rental on the compile cost; left out without numba)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import datasets, kernels
from layerwise.callbacks import DivergenceError
from layerwise.optimizers import GradientDescent, Momentum

numba_missing = importlib.util.find_spec("numba") is None
needs_numba = pytest.mark.skipif(numba_missing, reason="the compiled kernel needs numba (the `fast` extra)")
TESTS = Path(__file__).resolve().parent
RTOL = {"float64": 1e-12, "float32": 1e-5}


@pytest.fixture
def kernel(monkeypatch):
    """The compiled kernel, counting its calls; ``LAYERWISE_KERNELS=compiled`` skips the wait for the compile."""
    if numba_missing:
        pytest.skip("the compiled kernel needs numba (the `fast` extra)")
    from layerwise.kernels import compiled

    calls = []
    run = compiled.Kernel.run
    monkeypatch.setattr(compiled.Kernel, "run", lambda self, lrs: calls.append(len(lrs)) or run(self, lrs))
    # what this test forgoes and loads is forgotten after it: later tests find the process as it was
    monkeypatch.setattr(compiled.Kernel, "forgone", {})
    monkeypatch.setattr(compiled.Kernel, "loaded", set())
    compiled.Kernel.calls = calls
    return compiled.Kernel


def assert_close(actual, reference, dtype):
    """Equal to rounding: |actual - reference| <= rtol * max|reference| (per array)."""
    actual, reference = np.asarray(actual, np.float64), np.asarray(reference, np.float64)
    scale = max(np.abs(reference).max(initial=0.0), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(actual, reference, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


def train(setting, monkeypatch, make, fit):
    """(network, history) of ``make()`` trained with ``fit`` under ``LAYERWISE_KERNELS=setting``."""
    monkeypatch.setenv("LAYERWISE_KERNELS", setting)
    net = make()
    return net, net.fit(**fit)


def same_training(monkeypatch, make, fits, dtype, stable_only=False):
    """Runs ``fits`` (one after the other, on one network; a function: called for each run, to make
    them) on the blocks and on the kernel; compares."""
    runs = []
    for setting in ("numpy", "compiled"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        net, histories, error = make(), [], None
        for fit in fits() if callable(fits) else fits:
            try:
                histories.append(net.fit(**fit))
            except DivergenceError as e:  # the same, at the same step, on both paths
                histories.append(e.history)
                error = str(e)
                break
        runs.append((net, histories, error))
    (ref, h_ref, error_ref), (net, h, error) = runs
    if stable_only:  # a run whose cost explodes amplifies rounding as much: nothing to compare to 1e-12
        costs = [c for hist in h_ref for c in hist.costs]
        assume(error_ref is None and max(costs) <= 10 * costs[0])
    assert error == error_ref
    for a, b in zip(h, h_ref):
        assert len(a.costs) == len(b.costs) and a.status == b.status
        assert_close(a.costs, b.costs, dtype)
        assert a.learning_rates == b.learning_rates
    for key in ref.parameters:
        assert net.parameters[key].dtype == ref.parameters[key].dtype == np.dtype(dtype)
        assert_close(net.parameters[key], ref.parameters[key], dtype)
    s, s_ref = net.trainer_.optimizer.state_dict(), ref.trainer_.optimizer.state_dict()
    assert s.keys() == s_ref.keys() and net.trainer_.iteration == ref.trainer_.iteration
    for key in s:
        assert_close(s[key], s_ref[key], dtype)
    return net, h


def float32_holds(monkeypatch, spec, fits) -> bool:
    """Whether the blocks' float32 training ends within 1e-5 of their float64 one. Where it does
    not (a deep linear bottleneck, say), rounding is amplified beyond 1e-5 and the kernel cannot
    be held to it."""
    monkeypatch.setenv("LAYERWISE_KERNELS", "numpy")
    nets = [lw.Network(**{**spec, "dtype": dtype}) for dtype in ("float32", "float64")]
    try:
        costs = [[c for fit in fits for c in net.fit(**fit).costs] for net in nets]
    except DivergenceError:
        return False
    scaled = lambda a, b: np.abs(np.asarray(a, np.float64) - b).max() <= 1e-5 * np.abs(b).max()
    return scaled(*costs) and all(scaled(nets[0].parameters[k], nets[1].parameters[k]) for k in nets[1].parameters)


HIDDEN = ["relu", "tanh", "sigmoid", "leaky_relu", "leaky_relu:0.2", "linear"]


@st.composite
def trainings(draw):
    """A random small network, data and training (depth 1-4, every supported activation and output)."""
    L = draw(st.integers(1, 4))
    dims = [draw(st.integers(1, 5)) for _ in range(L)]
    output = draw(st.sampled_from(["sigmoid", "softmax", "linear"]))
    dims.append(draw(st.integers(2, 3)) if output == "softmax" else draw(st.integers(1, 2)))
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(L - 1)]
    m = draw(st.integers(7, 40))  # more examples than inputs: no fit is exact, so the cost stays well above rounding
    dtype = draw(st.sampled_from(["float64", "float32"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    if output == "softmax":
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    elif output == "sigmoid":
        Y = (rng.random((dims[-1], m)) < 0.5).astype(float)
    else:
        Y = rng.standard_normal((dims[-1], m))
    fit = {"X": X.astype(dtype), "Y": Y.astype(dtype), "epochs": draw(st.integers(1, 25))}
    fit["learning_rate"] = draw(st.sampled_from([0.1, {"name": "step", "lr0": 0.3, "drop": 0.5, "every": 4},
                                                 {"name": "exponential", "lr0": 0.2, "rate": 0.9}, {"name": "invscaling", "lr0": 0.3}]))  # fmt: skip
    fit["optimizer"] = draw(st.sampled_from(["gd", "momentum"]))
    fit["lambd"] = draw(st.sampled_from([0.0, 0.3]))
    if draw(st.booleans()):
        fit["sample_weight"] = rng.uniform(0.2, 2.0, (1, m)).astype(dtype)
    net = {"layer_dims": dims, "activations": [*hidden, output], "seed": seed, "dtype": dtype}
    return net, fit, draw(st.integers(1, 2))


@needs_numba
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=trainings())
def test_random_networks_train_as_on_the_blocks(kernel, monkeypatch, case):
    spec, fit, n_fits = case
    if spec["dtype"] == "float32":  # float32's own error on this training, the blocks' float32 run against float64
        assume(float32_holds(monkeypatch, spec, [fit] * n_fits))
    kernel.calls.clear()
    same_training(monkeypatch, lambda: lw.Network(**spec), [fit] * n_fits, spec["dtype"], stable_only=True)
    assert sum(kernel.calls)  # the kernel took the steps


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_planar_trains_as_on_the_blocks_and_prints_the_same_lines(kernel, monkeypatch, capsys, dtype):
    ds = datasets.planar()
    fit = {"X": ds.X.astype(dtype), "Y": ds.Y.astype(dtype), "learning_rate": 1.2, "num_iterations": 2500, "print_cost": True}
    make = lambda: lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=2, dtype=dtype)
    same_training(monkeypatch, make, [fit], dtype)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * 25 and lines[:25] == lines[25:]
    assert sum(kernel.calls) and lines[10].startswith("Cost after iteration 1000: ")


@needs_numba
def test_validation_and_momentum_across_fits(kernel, monkeypatch):
    """Validation reads the parameters after every epoch (one step a call); a second fit goes on
    from the first's velocities."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 90))
    Y = (X[0] * X[1] > 0).astype(float)[None]
    def fits():
        fit = {"X": X, "Y": Y, "epochs": 30, "optimizer": Momentum(0.5, beta=0.8), "validation_split": 0.2, "seed": 1}
        return [fit, fit]

    net, (h1, h2) = same_training(monkeypatch, lambda: lw.Network([3, 6, 1], hidden="tanh", seed=1), fits, "float64")
    assert len(h2.val_costs) == 30 and net.trainer_.optimizer.t == 60 and set(kernel.calls) == {0, 1}


@needs_numba
@pytest.mark.parametrize("scale, lr, what", [
    (1e3, 5.0, "became non-finite first"),  # the cost and the gradients overflow
    (1.0, 1e308, "the update made W"),  # finite gradients, an update that overflows
])  # fmt: skip
def test_divergence_is_reported_as_on_the_blocks(kernel, monkeypatch, scale, lr, what):
    results = []
    for setting in ("numpy", "compiled"):
        monkeypatch.setenv("LAYERWISE_KERNELS", setting)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((5, 60))
        net = lw.Network([5, 4, 1], activations=["relu", "linear"], seed=1)
        with pytest.raises(DivergenceError) as err:
            net.fit(X * scale, X[:1] * scale, epochs=200, learning_rate=lr)
        results.append((str(err.value), err.value.history.costs, net.parameters))
    (msg_ref, costs_ref, p_ref), (msg, costs, p) = results
    assert sum(kernel.calls) and "diverged at iteration" in msg and what in msg
    assert msg == msg_ref
    assert_close(costs, costs_ref, "float64")
    for key in p_ref:
        assert np.isfinite(p[key]).all()
        assert_close(p[key], p_ref[key], "float64")


def _load_test_module(name):
    spec = importlib.util.spec_from_file_location(f"_compiled_{name}", TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_numba
def test_the_course_planar_reproduction_passes_on_the_kernel(kernel, monkeypatch, capsys):
    monkeypatch.setenv("LAYERWISE_KERNELS", "compiled")
    _load_test_module("test_course_reproduction").test_planar_flower_shallow_net_beats_logistic_regression("compiled")
    assert sum(kernel.calls) >= 10000 + 2000 - 2  # both networks trained on the kernel
    kernel.calls.clear()
    _load_test_module("test_course_examples").test_notebook_runs("course_planar_shallow.py", False, "lw.Network: the same parameters", None, monkeypatch, capsys)
    assert sum(kernel.calls)


# ---- the choice --------------------------------------------------------------------------


@needs_numba
@pytest.mark.parametrize("change", [
    {"activations": ["tanh", "exp"], "loss": "poisson"},  # an output it does not know
    {"activations": ["tanh", "sigmoid"], "loss": "mse"},  # not a fused pair
    {"layer_dims": [2, 200, 60, 1], "activations": ["tanh", "tanh", "sigmoid"]},  # above MAX_PARAMETERS
    {"optimizer": "adam"},
])  # fmt: skip
def test_plan_refuses_what_it_cannot_run(kernel, monkeypatch, change):
    monkeypatch.setenv("LAYERWISE_KERNELS", "compiled")
    opt = change.pop("optimizer", "gd")
    spec = {"layer_dims": [2, 4, 1], "activations": ["tanh", "sigmoid"], **change}
    ds = datasets.planar()
    net = lw.Network(**spec, seed=1)
    net.fit(ds.X, np.abs(ds.Y), epochs=3, optimizer=opt, learning_rate=0.01)
    assert not kernel.calls


@needs_numba
def test_the_kernel_loses_to_blas_on_large_products(kernel):
    assert kernel.step_saving([2, 4, 1], 400) > 0  # planar: NumPy's per-call overhead dominates
    assert kernel.step_saving([100, 50, 1], 5000) < 0  # 25 million parameter-examples a step


class FakeTrainer:
    """What ``plan`` reads of a trainer: planar, full batch."""

    def __init__(self):
        ds = datasets.planar()
        self.network = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], seed=1)
        self.X, self.Y, self.m = ds.X, ds.Y.astype(float), ds.X.shape[1]
        self.optimizer = GradientDescent(1.2)


@needs_numba
def test_ski_rental_waits_until_the_forgone_time_pays_for_the_compile(kernel, monkeypatch):
    from layerwise.kernels import compiled

    monkeypatch.setenv("LAYERWISE_KERNELS", "auto")
    cached = []
    monkeypatch.setattr(compiled._steps_module(), "cached", lambda dtype: bool(cached))
    trainer = FakeTrainer()
    per_epoch = kernel.step_saving([2, 4, 1], trainer.m)
    budget = kernel.IMPORT_S + kernel.COMPILE_S
    epochs = int(budget / per_epoch / 3) + 1  # three such fits pay for the compile
    assert [kernel.plan(trainer, epochs, False) is not None for _ in range(3)] == [False, False, True]
    assert kernel.forgone["float64"] == pytest.approx(3 * epochs * per_epoch)
    monkeypatch.setattr(compiled.Kernel, "forgone", {})  # where numba's cache holds the code, loading it is the price
    cached.append(True)
    small = int((kernel.IMPORT_S + kernel.LOAD_S) / per_epoch) + 1
    assert kernel.plan(trainer, small, False) == pytest.approx(small * per_epoch)
    compiled.Kernel.loaded.add("float64")  # loaded in this process: at once
    assert kernel.plan(trainer, 1, False) == pytest.approx(per_epoch)
    assert kernel.plan(trainer, 1, True) == pytest.approx(per_epoch - kernel.SYNC_S)


def test_without_numba_the_kernel_is_left_out_and_training_works(monkeypatch):
    for name in [m for m in sys.modules if m == "numba" or m.startswith(("numba.", "layerwise.kernels.compiled", "layerwise.kernels._numba_steps"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    monkeypatch.setattr(kernels, "compiled", None, raising=False)
    monkeypatch.delattr(kernels, "compiled")
    monkeypatch.setenv("LAYERWISE_KERNELS", "compiled")
    with pytest.raises(ImportError, match=r"layerwise\[fast\]"):
        import layerwise.kernels.compiled  # noqa: F401
    assert all(k.name != "compiled" for k in kernels.candidates())
    ds = datasets.planar()
    h = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], seed=1).fit(ds.X, ds.Y, epochs=5, learning_rate=1.2)
    assert len(h.costs) == 5


@needs_numba
def test_numba_caches_the_compiled_steps_where_told_and_a_new_process_loads_them(tmp_path):
    """NUMBA_CACHE_DIR (or, by default, __pycache__ next to the source, else ~/.cache/numba)
    receives the compiled steps; a second process finds them there (``cached``) and loads them."""
    script = (
        "import numpy as np, layerwise as lw\n"
        "from layerwise import datasets\n"
        "from layerwise.kernels import _numba_steps as s\n"
        "was = s.cached(np.dtype('float64'))\n"
        "ds = datasets.planar()\n"
        "lw.Network([2, 4, 1], activations=['tanh', 'sigmoid'], seed=1).fit(ds.X, ds.Y, epochs=3, learning_rate=1.2)\n"
        "print(was, s.loaded(np.dtype('float64')), sum(s.steps.stats.cache_hits.values()))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "LAYERWISE_KERNELS": "compiled"}
    run = lambda: subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert run() == ["False", "True", "0"]  # compiled, and written to the cache
    assert list(tmp_path.rglob("*_steps*.nbi"))
    assert run() == ["True", "True", "1"]  # loaded from it


@needs_numba
def test_where_numba_can_write_no_cache_the_steps_compile_in_each_process(monkeypatch):
    from layerwise.kernels import _numba_steps

    made = []

    def njit(**options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        made.append(options)
        return lambda func: func

    monkeypatch.setattr(_numba_steps, "njit", njit)
    assert _numba_steps._jit(fastmath={"contract"})(abs) is abs
    assert made == [{"fastmath": {"contract"}, "error_model": "numpy"}]
