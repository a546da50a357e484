"""The benchmarks' own machinery (``benchmarks/``), without timing anything.

The agreement check is what makes a benchmark's ratios mean something: every peer must train
the same network to the same costs before it is timed. Here a peer given a wrong learning rate
(JAX in its worker process, the fused numba step) is refused, the right one accepted; the
ablation's variants set ``LAYERWISE_KERNELS`` only while they train; the report rewrites only
its marked tables. JAX and numba are the ``bench`` extra: their tests skip where it is absent.
"""

from __future__ import annotations

import dataclasses
import os

import pytest

from benchmarks import harness, report
from benchmarks.implementations import ABLATION, FAST_PATHS, IMPLEMENTATIONS, Layerwise
from benchmarks.workloads import WORKLOADS

PLANAR = WORKLOADS["planar"]


def peers(name: str, w=PLANAR, peer_lr_factor: float = 1.0):
    """layerwise on ``w`` and the peer ``name`` on ``w`` with its learning rate times ``peer_lr_factor``."""
    impls, params0, X, Y = harness.build(w, ["layerwise"])
    wrong = dataclasses.replace(w, learning_rate=w.learning_rate * peer_lr_factor)
    return impls + [IMPLEMENTATIONS[name](wrong, params0, X, Y)]


@pytest.fixture
def jax_workers():
    pytest.importorskip("jax", reason="JAX is the bench extra (pip install -e '.[bench]')")
    from benchmarks import jax_worker

    yield
    jax_worker.close_all()


def test_jax_peer_agrees_in_its_one_thread_worker_and_is_refused_with_a_wrong_learning_rate(jax_workers):
    right = peers("jax")
    with harness.threads(1, right):
        agree = harness.agreement(PLANAR, right)
        costs = right[1].run(3)
    assert agree["jax"] <= harness.AGREEMENT_RTOL["float64"]
    assert len(costs) == 3 and right[1].run_seconds > 0  # timed in the worker, around the 3 steps
    busy = right[1].worker.info["busy_threads"]
    assert busy is None or busy["mean"] < 1.5  # PJRT_NPROC=1: XLA computes on one thread
    wrong = peers("jax", peer_lr_factor=1.05)
    with harness.threads(1, wrong), pytest.raises(AssertionError, match="jax's costs .* differ from layerwise's"):
        harness.agreement(PLANAR, wrong)


def test_numba_fused_step_agrees_and_is_refused_with_a_wrong_learning_rate():
    pytest.importorskip("numba", reason="numba is the bench extra (pip install -e '.[bench]')")
    assert harness.agreement(PLANAR, peers("numba"))["numba"] <= harness.AGREEMENT_RTOL["float64"]
    with pytest.raises(AssertionError, match="numba's costs"):
        harness.agreement(PLANAR, peers("numba", peer_lr_factor=1.05))


def test_numba_fused_step_on_a_deeper_relu_net_in_float32():
    pytest.importorskip("numba", reason="numba is the bench extra (pip install -e '.[bench]')")
    w = dataclasses.replace(PLANAR, name="small", layer_dims=(3, 6, 5, 2), hidden="relu", dtype="float32", init="he", data="random", m=37)
    assert harness.agreement(w, peers("numba", w))["numba"] <= harness.AGREEMENT_RTOL["float32"]


def test_the_fused_step_skips_the_networks_it_is_not_for():
    numba = IMPLEMENTATIONS["numba"]
    assert numba.skip_reason(PLANAR) is None
    assert "parameters" in numba.skip_reason(WORKLOADS["cat"])
    assert "softmax" in numba.skip_reason(WORKLOADS["mnist"])


def test_ablation_variants_set_layerwise_kernels_only_while_they_train(monkeypatch):
    monkeypatch.setenv("LAYERWISE_KERNELS", "users-own")
    assert set(ABLATION) == {"layerwise[numpy]", *(f"layerwise[-{p}]" for p in FAST_PATHS)}
    impls, params0, X, Y = harness.build(PLANAR, list(ABLATION))
    seen = {}
    for impl in impls:
        fit = impl.net.fit
        monkeypatch.setattr(impl.net, "fit", lambda *a, _fit=fit, _name=impl.name, **k: seen.setdefault(_name, os.environ["LAYERWISE_KERNELS"]) and _fit(*a, **k))
        impl.reset()
        assert len(impl.run(2)) == 2
        assert os.environ["LAYERWISE_KERNELS"] == "users-own"
    assert seen["layerwise[numpy]"] == "numpy"
    others = [p for p in FAST_PATHS if p != "gram"]
    assert seen["layerwise[-gram]"] == ",".join(others)
    assert Layerwise.kernels is None  # the plain row leaves the environment as it is


def test_report_rewrites_only_its_marked_tables(tmp_path):
    doc = tmp_path / "B.md"
    doc.write_text("intro\n<!-- report:ratios -->\nold table\n<!-- /report:ratios -->\nprose\n<!-- report:ablation -->\nTO BE FILLED\n<!-- /report:ablation -->\nend\n")
    assert report.update(doc, {"ratios": "| new |", "times": "| unused |"}) == ["ratios"]
    assert doc.read_text() == "intro\n<!-- report:ratios -->\n| new |\n<!-- /report:ratios -->\nprose\n<!-- report:ablation -->\nTO BE FILLED\n<!-- /report:ablation -->\nend\n"


def test_report_tables_from_a_results_file_name_every_peer_and_the_ablation():
    timing = {n: {"median_s": s, "k": 10} for n, s in {"layerwise": 2e-3, "torch": 3e-3, "jax": 2.5e-3, "floor": 1.9e-3}.items()}
    results = {"cat": {"workload": {"name": "cat", "layer_dims": [12288, 20, 7, 5, 1], "hidden": "relu", "output": "sigmoid", "m": 209, "dtype": "float64"},
                       "threads": {"1": {"timing": timing, "ratios": harness.ratios(timing), "load_average": [1.0, 1.1]}}}}  # fmt: skip
    table = report.ratio_table(results)
    assert "layerwise / jax" in table and "**0.80**" in table and "numba" not in table
    abl_timing = {"layerwise": {"median_s": 2e-3, "k": 1}, "layerwise[numpy]": {"median_s": 3e-3, "k": 1}, "layerwise[-gram]": {"median_s": 2.6e-3, "k": 1}}
    abl = {"cat": {"workload": results["cat"]["workload"], "threads": {"1": {"timing": abl_timing, "ratios": harness.ratios(abl_timing)}}}}
    rows = report.ablation_rows(abl)
    assert rows[0] == ["workload", "threads", "all on", "all off (numpy)", "all but gram", "floor"]
    assert rows[1] == ["cat", "1", "2.00 ms", "3.00 ms (1.50x)", "2.60 ms (1.30x)", "-"]
