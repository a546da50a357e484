"""Hyperparameter sweeps: the search space, the backends (identical numbers on each), pruning,
failed trials, the files written, the CLI, and GridSearchCV over the scikit-learn estimators."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from layerwise import datasets, io
from layerwise.sweep import load_config, parse_config, run_sweep, trial_seed
from layerwise.sweep.config import Choice, Pruning, Uniform, parse_dimension
from layerwise.sweep.report import rows
from layerwise.data.splits import kfold_indices
from layerwise.sweep.runner import METRICS, _survivors
from layerwise.sweep.trial import Segment, TrialData, run_segment

ROOT = Path(__file__).resolve().parents[1]

# 8 tiny trials on 200 planar points: mini-batches and dropout too, so that continuing a trial
# at a rung must restore the optimizer and the random generator exactly.
SMALL = {
    "sweep": {"strategy": "random", "trials": 8, "seed": 3, "metric": "val_accuracy"},
    "data": {"dataset": "planar", "options": {"m": 200}, "validation": 0.25},
    "fixed": {"epochs": 120, "hidden_layers": 1},
    "space": {
        "learning_rate": {"log_uniform": [0.01, 0.3]},
        "hidden_units": [2, 4, 6],
        "activation": ["tanh", "relu"],
        "optimizer": ["gd", "adam"],
        "batch_size": [64, "full"],
        "keep_prob": [1.0, 0.9],
    },
    "pruning": {"method": "halving", "rungs": [30, 60], "eta": 2},
}


def config(**tables) -> dict:
    """SMALL with some tables replaced (a table set to None is removed)."""
    cfg = copy.deepcopy(SMALL)
    for name, table in tables.items():
        if table is None:
            cfg.pop(name, None)
        else:
            cfg[name] = table
    return cfg


def table(result) -> list[dict]:
    """The results table without the timings: what must agree between backends."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows(result)]


@pytest.fixture(scope="module")
def sequential():
    return run_sweep(SMALL, backend="sequential")


@pytest.fixture(scope="module")
def dask_scheduler():
    """The address of a real LocalCluster with 2 worker processes, for the whole module."""
    distributed = pytest.importorskip("dask.distributed", reason="the Dask backend needs dask[distributed]")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
    yield cluster.scheduler_address
    cluster.close()


# ---- the search space -------------------------------------------------------------------------


def test_dimensions_from_toml_values():
    assert parse_dimension("a", [1, 2]) == Choice((1, 2))
    assert parse_dimension("a", {"low": 1, "high": 3}) == Choice((1, 2, 3))
    assert parse_dimension("a", {"low": 0, "high": 8, "step": 4}) == Choice((0, 4, 8))
    assert parse_dimension("a", {"low": 0.0, "high": 0.1, "step": 0.05}) == Choice((0.0, 0.05, 0.1))
    assert parse_dimension("a", {"low": 0.0, "high": 1.0}) == Uniform(0.0, 1.0)
    lr = parse_dimension("a", {"log_uniform": [1e-4, 1], "num": 5})
    assert lr.grid() == pytest.approx((1e-4, 1e-3, 1e-2, 1e-1, 1.0))
    draws = [lr.sample(np.random.default_rng(s)) for s in range(200)]
    assert 1e-4 <= min(draws) and max(draws) <= 1
    assert np.mean(np.log10(draws)) == pytest.approx(-2, abs=0.3)  # uniform in the exponent


@pytest.mark.parametrize(
    "spec, match",
    [
        ([], "empty list"),
        (0.1, "fixed values go in"),
        ({"log_uniform": [0, 1]}, "0 < low < high"),
        ({"low": 2, "high": 1}, "low <= high"),
        ({"low": 0.0, "high": 1.0, "size": 3}, "unknown key"),
    ],
)
def test_bad_dimensions_are_refused(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_dimension("x", spec)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"sweep": {"trials": 8, "metric": "auc"}}, "metric"),
        ({"sweep": {"strategy": "random"}}, "needs a budget"),
        ({"space": {"learnin_rate": [0.1]}}, "unknown key"),
        ({"fixed": {"hidden_units": 3}}, "both"),
        ({"data": {"dataset": "planar", "folds": 3, "validation": 0.2}}, "not both"),
        ({"fixed": {}, "space": {"epochs": {"low": 1.0, "high": 9.0}}}, "epochs must be positive integers"),
        ({"pruning": {"method": "halving", "rungs": [60, 30]}}, "increasing"),
    ],
)
def test_bad_configs_fail_before_training(change, match):
    with pytest.raises(ValueError, match=match):
        parse_config(config(**change))


def test_grid_enumerates_every_combination_and_respects_the_budget():
    cfg = config(sweep={"strategy": "grid"}, space={"hidden_units": [2, 4], "learning_rate": {"log_uniform": [0.01, 1], "num": 3}})
    params = parse_config(cfg).trial_params()
    assert [p["hidden_units"] for p in params] == [2, 2, 2, 4, 4, 4]  # the last dimension varies fastest
    assert [p["learning_rate"] for p in params] == pytest.approx([0.01, 0.1, 1.0] * 2)
    assert params[0]["optimizer"] == "gd" and params[0]["epochs"] == 120  # defaults and [fixed] filled in
    with pytest.raises(ValueError, match="grid has 6 combinations"):
        parse_config({**cfg, "sweep": {"strategy": "grid", "trials": 4}}).trial_params()


def test_trial_seeds_depend_on_the_sweep_seed_and_index_only():
    assert trial_seed(3, 5) == trial_seed(3, 5)
    assert len({trial_seed(s, t) for s in range(3) for t in range(50)}) == 150
    few = run_sweep(config(sweep={"trials": 3, "seed": 3}, pruning=None), backend="sequential")
    many = run_sweep(config(sweep={"trials": 5, "seed": 3}, pruning=None), backend="sequential")
    for a, b in zip(few.trials, many.trials[:3], strict=True):  # a bigger budget does not change trial k
        assert (a.params, a.seed, a.metric, a.histories[0].costs) == (b.params, b.seed, b.metric, b.histories[0].costs)


def test_example_config_is_ready_to_run():
    cfg = load_config(ROOT / "examples" / "planar_sweep.toml")
    assert cfg.dataset == "planar" and len(cfg.trial_params()) == 16 and cfg.pruning is not None


# ---- backends: the same numbers everywhere ------------------------------------------------------


def test_processes_backend_gives_identical_results(sequential):
    result = run_sweep(SMALL, backend="processes", workers=2)
    assert result.workers == 2
    assert table(result) == table(sequential)


def test_dask_cluster_gives_identical_results(sequential, dask_scheduler):
    result = run_sweep(SMALL, backend="dask", scheduler=dask_scheduler)
    assert result.workers == 2
    assert table(result) == table(sequential)


def test_dask_local_cluster_started_for_the_user():
    pytest.importorskip("dask.distributed", reason="the Dask backend needs dask[distributed]")
    cfg = config(sweep={"trials": 2, "seed": 3}, pruning=None)
    result = run_sweep(cfg, backend="dask", workers=1)
    assert table(result) == table(run_sweep(cfg, backend="sequential"))


def test_backend_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown backend"):
        run_sweep(SMALL, backend="ray")
    with pytest.raises(ValueError, match="needs backend 'dask'"):
        run_sweep(SMALL, backend="processes", scheduler="tcp://127.0.0.1:8786")


# ---- pruning ------------------------------------------------------------------------------------


def test_successive_halving_cuts_the_budget_of_bad_trials(sequential):
    by_status = {s: sorted(t.epochs for t in sequential.trials if t.status == s) for s in ("pruned", "completed")}
    assert by_status == {"pruned": [30, 30, 30, 30, 60, 60], "completed": [120, 120]}  # 8 -> 4 -> 2
    survivors = [t for t in sequential.trials if t.epochs > 30]
    cut = [t for t in sequential.trials if t.epochs == 30]
    at_30 = {t.trial: t.histories[0].val_metrics[29] for t in sequential.trials}
    assert min(at_30[t.trial] for t in survivors) >= max(at_30[t.trial] for t in cut)
    assert sequential.best.status == "completed"


def test_a_trial_split_at_rungs_equals_one_uninterrupted_run(sequential):
    whole = run_sweep(config(pruning=None), backend="sequential")
    for t in sequential.trials:
        h, ref = t.histories[0], whole.trials[t.trial].histories[0]
        assert h.costs == ref.costs[: t.epochs] and h.val_metrics == ref.val_metrics[: t.epochs]
        if t.status == "completed":
            assert t.metric == whole.trials[t.trial].metric


def test_median_rule_and_halving_on_given_values():
    metric = METRICS["val_accuracy"]
    values = {0: 0.9, 1: 0.5, 2: 0.7, 3: 0.6, 4: math.nan}
    assert _survivors(values, Pruning("median", (10,)), metric) == {0, 2, 3}
    assert _survivors(values, Pruning("halving", (10,), eta=2), metric) == {0, 2}
    assert _survivors({0: 0.2, 1: 0.1}, Pruning("halving", (10,), eta=3), METRICS["val_cost"]) == {1}


# ---- failures, budgets, k-fold ------------------------------------------------------------------


def test_failed_and_diverged_trials_are_recorded_and_the_sweep_goes_on(tmp_path):
    cfg = config(sweep={"strategy": "grid"}, fixed={"epochs": 80, "optimizer": "gd"}, pruning=None,
                 space={"learning_rate": [0.5, 1e6], "hidden_units": [0, 4]})  # fmt: skip
    result = run_sweep(cfg, backend="processes", workers=2, out=tmp_path)
    status = {t.trial: t.status for t in result.trials}
    assert status == {0: "failed", 1: "completed", 2: "failed", 3: "diverged"}
    assert "ValueError" in result.trials[0].message and "layer_dims" in result.trials[0].message
    assert "diverged" in result.trials[3].message and 0 < result.trials[3].epochs < 80
    assert result.best.trial == 1
    with open(tmp_path / "results.csv") as f:
        saved = list(csv.DictReader(f))
    assert [r["trial"] for r in saved][0] == "1" and {r["status"] for r in saved} == {"completed", "failed", "diverged"}
    assert next(r for r in saved if r["trial"] == "3")["message"].startswith("training diverged")


def test_time_limit_skips_what_did_not_start(tmp_path):
    result = run_sweep(config(sweep={"trials": 4, "time_limit": 1e-9}), backend="sequential", out=tmp_path)
    assert result.counts() == {"skipped": 4} and result.best is None and result.best_model is None
    assert not (tmp_path / "best_model.npz").exists() and (tmp_path / "results.csv").exists()


def test_kfold_averages_the_folds_and_refits_the_best_on_all_data(tmp_path):
    cfg = config(sweep={"strategy": "grid", "seed": 1, "metric": "val_cost"}, pruning=None,
                 data={"dataset": "planar", "options": {"m": 120}, "folds": 3},
                 fixed={"epochs": 40, "optimizer": "adam", "learning_rate": 0.05}, space={"hidden_units": [2, 5]})  # fmt: skip
    result = run_sweep(cfg, backend="sequential", out=tmp_path)
    for t in result.trials:
        assert len(t.histories) == 3
        assert t.metric == pytest.approx(np.mean([h.val_costs[-1] for h in t.histories]))
    assert result.best.metric == min(t.metric for t in result.trials)  # val_cost: lower is better
    assert result.best_model.history_.val_costs == [] and len(result.best_model.history_.costs) == 40
    assert sorted(p.name for p in (tmp_path / "trials" / "000").iterdir()) == [f"history_fold{k}.csv" for k in range(3)] + ["trial.json"]


def test_kfold_folds_partition_and_keep_class_proportions():
    data = datasets.planar(m=100)
    folds = kfold_indices(data.m, 4, data.Y[0], seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(100))
    assert [f.size for f in folds] == [25] * 4  # 50 + 50 examples dealt class by class
    assert all(int(data.Y[0, f].sum()) in (12, 13) for f in folds)


def test_regression_with_standardisation_and_a_test_set():
    pytest.importorskip("sklearn", reason="the diabetes data set comes from scikit-learn")
    cfg = {"sweep": {"strategy": "grid", "seed": 0}, "data": {"dataset": "diabetes", "test_size": 0.2, "standardize": True},
           "fixed": {"epochs": 60, "optimizer": "adam", "learning_rate": 0.01}, "space": {"hidden_units": [4, 8]}}  # fmt: skip
    result = run_sweep(cfg, backend="sequential")
    assert result.metric.name == "val_r2" and result.score_name == "r2"
    (standardize,) = result.best_model.pipeline.steps
    assert standardize.mean_.shape == (10, 1) and result.test_score is not None and math.isfinite(result.test_score)
    loaded = datasets.load("diabetes")  # the best model predicts raw rows: its standardisation is inside
    _, test = datasets.train_test_split(loaded, test_size=0.2, seed=0)
    assert result.best_model.score(test.X, test.Y) == result.test_score
    np.testing.assert_array_equal(result.best_model.predict(test.X), result.best_model.network.predict(standardize.transform(test.X)))
    with pytest.raises(ValueError, match="does not apply to a regression task"):
        run_sweep({**cfg, "sweep": {"strategy": "grid", "metric": "val_accuracy"}}, backend="sequential")


def test_segments_return_failures_instead_of_raising():
    data = TrialData([(np.zeros((2, 4)), np.array([[0, 1, 0, 1]]), None, None)], "binary", 1)
    params = {**parse_config(config()).trial_params()[0], "activation": "nope"}
    r = run_segment(Segment(0, 0, params, 0, 10), data)
    assert r.status == "failed" and "unknown activation" in r.message


# ---- what is written -----------------------------------------------------------------------------


def test_outputs_best_model_histories_and_plots(sequential, tmp_path):
    result = run_sweep(SMALL, backend="sequential", out=tmp_path)
    with open(tmp_path / "results.csv") as f:
        saved = list(csv.DictReader(f))
    assert [int(r["trial"]) for r in saved] == [t.trial for t in result.ranked()]
    ended = [float(r["val_accuracy"]) for r in saved if r["status"] == "completed"]
    assert ended == sorted(ended, reverse=True) and saved[0]["trial"] == str(result.best.trial)
    for t in result.trials:
        with open(tmp_path / "trials" / f"{t.trial:03d}" / "history.csv") as f:
            assert len(list(csv.reader(f))) == t.epochs + 1  # header + one row per epoch it got
    net = io.load_model(tmp_path / "best_model.npz")
    assert net.info["run"]["trial"] == result.best.trial
    _, val = datasets.train_test_split(datasets.planar(m=200), test_size=0.25, seed=3)
    assert net.accuracy(val.X, val.Y) == result.best.metric  # the model that scored the metric
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["best"]["trial"] == result.best.trial and summary["counts"] == {"completed": 2, "pruned": 6}
    pytest.importorskip("matplotlib", reason="the figures need matplotlib")
    assert (tmp_path / "metric_vs_hyperparameters.png").stat().st_size > 0
    assert (tmp_path / "top_costs.png").stat().st_size > 0
    text = result.summary(top=3)
    assert "best: trial" in text and "... 5 more in results.csv" in text


def test_cli_runs_a_sweep_end_to_end(tmp_path):
    (tmp_path / "s.toml").write_text(
        '[sweep]\nstrategy = "grid"\n[data]\ndataset = "planar"\n[data.options]\nm = 100\n'
        '[fixed]\nepochs = 30\n[space]\nhidden_units = [2, 3]\n'
    )
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"}
    cmd = [sys.executable, "-m", "layerwise", "sweep", str(tmp_path / "s.toml"), "--backend", "sequential",
           "--out", str(tmp_path / "out"), "--quiet", "--no-plots"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "best: trial" in done.stdout and (tmp_path / "out" / "best_model.npz").exists()
    (tmp_path / "bad.toml").write_text('[sweep]\ntrials = 2\n[data]\ndataset = "planar"\n[space]\nlayers = [1]\n')
    bad = subprocess.run([*cmd[:4], str(tmp_path / "bad.toml")], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "unknown key(s) ['layers']" in bad.stderr and "Traceback" not in bad.stderr


# ---- scikit-learn's GridSearchCV on Dask ---------------------------------------------------------


def test_gridsearchcv_over_the_estimators_on_dask(dask_scheduler):
    pytest.importorskip("sklearn", reason="GridSearchCV needs scikit-learn")
    lw_sklearn = pytest.importorskip("layerwise.sklearn", reason="layerwise.sklearn (the estimators) is not there yet")
    from dask.distributed import Client
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV
    from threadpoolctl import threadpool_limits

    data = datasets.planar(m=160)
    X, y = data.X.T, data.Y[0]  # scikit-learn puts examples in rows
    grid = {"hidden_layer_sizes": [(2,), (6,)], "learning_rate": [0.01, 0.1]}
    estimator = lw_sklearn.NeuralNetClassifier(epochs=40, batch_size=None, activation="tanh", random_state=0)
    with threadpool_limits(limits=1):
        local = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with Client(dask_scheduler), parallel_config(backend="dask"):
        remote = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
