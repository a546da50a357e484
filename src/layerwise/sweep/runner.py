"""``run_sweep``: train every trial of a config on a backend, prune at the rungs, keep the best.

The trials run in stages: without pruning one stage trains every trial to its end; with
pruning, stage k trains the surviving trials up to rung k, then the rule keeps the best of
them and the others stop ("pruned"). Every decision depends only on the trials' numbers, which
depend only on the config, so the result is the same on every backend and in any order.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datasets, tasks
from ..callbacks import History
from ..data.splits import kfold_indices
from ..model import Model
from ..preprocessing import Pipeline, build_pipeline
from .backends import get_backend
from .config import METRICS, Metric, Pruning, SweepConfig, parse_config, trial_seed
from .trial import Segment, SegmentResult, TrialData, build_network, run_segment

# A trial's status: how it ended ("pending" before, "running" between rungs).
ENDED = ("completed", "time_limit")  # ran to its end or to the time limit: eligible as the best
STATUS_PRIORITY = ("interrupted", "failed", "diverged", "skipped", "time_limit", "running", "completed")


@dataclass
class TrialResult:
    """One trial: its hyperparameters and seed, how it ended, and what it measured.

    ``metric``, ``val_cost``, ``val_score`` (accuracy or R^2) and ``train_cost`` are read after
    the trial's last epoch (means over the folds for k-fold); ``epochs`` is the number it got.
    """

    trial: int
    params: dict
    seed: int
    status: str = "pending"
    message: str = ""
    metric: float = math.nan
    val_cost: float = math.nan
    val_score: float = math.nan
    train_cost: float = math.nan
    epochs: int = 0
    seconds: float = 0.0
    histories: list[History | None] = field(default_factory=list)  # one per fold


@dataclass
class SweepResult:
    """Every trial (``trials[i]`` is trial i), the best one and its model, and how it ran."""

    config: SweepConfig
    metric: Metric
    score_name: str  # "accuracy" or "r2"
    trials: list[TrialResult]
    best: TrialResult | None
    best_model: Model | None  # raw features in, the user's labels out
    test_score: float | None
    backend: str
    workers: int
    seconds: float
    out: Path | None = None

    def ranked(self) -> list[TrialResult]:
        """Ended trials by the metric (best first), then pruned ones by theirs, then the rest."""
        return sorted(self.trials, key=lambda t: rank_key(t, self.metric))

    def summary(self, top: int = 10) -> str:
        """The table of the ``top`` trials, best first, with the counts and the best trial."""
        from .report import summary

        return summary(self, top)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.status] = out.get(t.status, 0) + 1
        return out


def rank_key(t: TrialResult, metric: Metric) -> tuple:
    """Sorts ended trials by the metric, then pruned ones by theirs, then the rest; ties by index."""
    group = 0 if t.status in ENDED else 1 if t.status == "pruned" else 2
    if group == 2 or not math.isfinite(t.metric):
        return (group, math.inf, t.trial)
    return (group, -t.metric if metric.higher_is_better else t.metric, t.trial)


# ---- data ---------------------------------------------------------------------------------


@dataclass
class _Prepared:
    data: TrialData  # the folds the trials train on
    metric: Metric
    refit: TrialData | None  # k-fold: all the training data, to refit the best configuration
    pipelines: list[Pipeline]  # the preprocessing fitted on each fold's training part
    refit_pipeline: Pipeline | None
    test: datasets.Dataset | None
    info: datasets.Dataset  # the training set (names, task)


def _preprocessed(train: datasets.Dataset, val: datasets.Dataset | None, standardize: bool):
    """((X, Y, Xv, Yv), pipeline): the preprocessing the options ask for, fitted on the training part, applied to both."""
    p = build_pipeline(standardize=standardize).fit(train.X, train.feature_names)
    fold = (p.transform(train.X), train.Y, None if val is None else p.transform(val.X), None if val is None else val.Y)
    return fold, p


def _prepare(cfg: SweepConfig) -> _Prepared:
    loaded = datasets.load(cfg.dataset, **cfg.data_options)
    if isinstance(loaded, tuple):
        if cfg.test_size is not None:
            raise ValueError(f"{cfg.dataset!r} comes with its own test set; remove [data] test_size")
        train, test = loaded
    elif cfg.test_size is not None:
        train, test = datasets.train_test_split(loaded, test_size=cfg.test_size, seed=cfg.seed)
    else:
        train, test = loaded, None
    metric = METRICS[cfg.metric or ("val_r2" if train.task == "regression" else "val_accuracy")]
    if train.task not in metric.tasks:
        raise ValueError(f"metric {metric.name!r} does not apply to a {train.task} task; use one of "
                         f"{[m for m, v in METRICS.items() if train.task in v.tasks]}")  # fmt: skip
    if cfg.folds is None:
        parts = [datasets.train_test_split(train, test_size=cfg.validation, seed=cfg.seed)]
    else:
        if cfg.folds > train.m:
            raise ValueError(f"[data] folds = {cfg.folds} but the training set has only {train.m} examples")
        labels = None if train.task == "regression" else train.Y[0]
        parts = [(train.subset(np.setdiff1d(np.arange(train.m), idx)), train.subset(idx)) for idx in kfold_indices(train.m, cfg.folds, labels, cfg.seed)]
    folds, pipelines = zip(*(_preprocessed(tr, va, cfg.standardize) for tr, va in parts), strict=True)
    n_out = tasks.n_outputs(train.task, train.n_classes, train.Y.shape[0])
    refit, refit_pipeline = None, None
    if cfg.folds is not None:
        fold, refit_pipeline = _preprocessed(train, None, cfg.standardize)
        refit = TrialData([fold], train.task, n_out)
    return _Prepared(TrialData(list(folds), train.task, n_out), metric, refit, list(pipelines), refit_pipeline, test, train)


# ---- pruning ------------------------------------------------------------------------------


def _halving(ranked: list[int], values: list[float], eta: int) -> list[int]:
    """Successive halving: the best ``max(1, n // eta)`` go on."""
    return ranked[: max(1, len(ranked) // eta)]


def _median(ranked: list[int], values: list[float], eta: int) -> list[int]:
    """The median rule: those at least as good as the median value at the rung go on."""
    median = values[(len(values) - 1) // 2]  # losses sorted best first; of two middle ones, the better
    return [t for t, v in zip(ranked, values, strict=True) if v <= median]


PRUNERS = {"halving": _halving, "median": _median}


def _survivors(reached: dict[int, float], pruning: Pruning, metric: Metric) -> set[int]:
    """The trials that go on from a rung, given their values there (NaN: hopeless)."""
    losses = {t: (-v if metric.higher_is_better else v) if math.isfinite(v) else math.inf for t, v in reached.items()}
    ranked = sorted(losses, key=lambda t: (losses[t], t))
    return set(PRUNERS[pruning.method](ranked, [losses[t] for t in ranked], pruning.eta))


# ---- the sweep ----------------------------------------------------------------------------


def _last(values: list[float]) -> float:
    return float(values[-1]) if values else math.nan


def _record(trial: TrialResult, results: list[SegmentResult], metric: Metric) -> None:
    """Fold the segments' results of one stage into the trial."""
    statuses = {r.status for r in results}
    trial.status = next(s for s in STATUS_PRIORITY if s in statuses)
    trial.message = next((r.message for r in results if r.status == trial.status), "")
    trial.seconds += sum(r.seconds for r in results)
    trial.histories = [r.history for r in results]
    trial.epochs = max((len(h.costs) for h in trial.histories if h is not None), default=0)
    if trial.status in ("completed", "time_limit", "running"):
        mean = lambda name: float(np.mean([_last(getattr(h, name)) for h in trial.histories]))  # noqa: E731
        trial.metric = mean(metric.history_field)
        trial.val_cost, trial.val_score, trial.train_cost = mean("val_costs"), mean("val_metrics"), mean("costs")
    else:
        trial.metric = trial.val_cost = trial.val_score = trial.train_cost = math.nan


def run_sweep(
    config: dict | SweepConfig,
    *,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    plots: bool = True,
) -> SweepResult:
    """Run every trial of ``config`` and return the results, the best trial first in ``ranked()``.

    Arguments:
        config: the TOML tables as a dict (see ``layerwise.sweep.config``) or a ``SweepConfig``.
        backend: "sequential" (this process), "processes" (joblib, ``workers`` processes,
            default all cores) or "dask" (the cluster at ``scheduler``, "tcp://host:8786", or a
            LocalCluster of ``workers`` processes started and stopped here).
        out: a folder for ``results.csv``, ``summary.json``, ``best_model.npz``,
            ``trials/<id>/history.csv`` and the plots (``plots``: when matplotlib is installed);
            None writes nothing.
        progress: a tqdm bar over the trials.
    A trial that diverges or whose hyperparameters do not go together is recorded with its
    reason and the sweep goes on. On Ctrl-C the results so far are written, then
    ``KeyboardInterrupt`` is raised again.
    """
    from . import report

    cfg = config if isinstance(config, SweepConfig) else parse_config(config)
    prep = _prepare(cfg)
    params = cfg.trial_params()
    trials = [TrialResult(t, p, trial_seed(cfg.seed, t)) for t, p in enumerate(params)]
    out = None if out is None else Path(out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    deadline = None if cfg.time_limit is None else start + cfg.time_limit
    split_mode = prep.refit is None  # the best trial's own model is the best model
    best: dict = {}  # {"key": rank_key, "parameters": ...} of the best ended trial so far (split mode)
    runner = get_backend(backend, prep.data, workers, scheduler)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(trials), unit="trial", desc=f"sweep ({backend})")

    def ended(trial: TrialResult, parameters: dict | None = None) -> None:
        key = rank_key(trial, prep.metric)
        if parameters is not None and (not best or key < best["key"]):
            best.update(key=key, parameters=parameters)
        if out is not None:
            report.write_trial(out, trial, len(trials))
        if bar is not None:
            done = [t for t in trials if t.status in ENDED and math.isfinite(t.metric)]
            if done:
                leader = min(done, key=lambda t: rank_key(t, prep.metric))
                bar.set_postfix({prep.metric.name: f"{leader.metric:.4g}"}, refresh=False)
            bar.update(1)

    interrupted = False
    try:
        with runner:
            if progress and getattr(runner, "dashboard_link", None):
                print(f"Dask dashboard: {runner.dashboard_link}", file=sys.stderr)
            _stages(cfg, trials, prep, runner, deadline, split_mode, ended)
    except KeyboardInterrupt:
        interrupted = True
        for t in trials:
            if t.status in ("pending", "running"):
                t.status, t.message = "interrupted", "the sweep was interrupted"
    finally:
        if bar is not None:
            bar.close()

    score_name = "r2" if prep.data.task == "regression" else "accuracy"
    result = SweepResult(cfg, prep.metric, score_name, trials, None, None, None, backend, runner.workers, time.time() - start, out)
    candidates = [t for t in result.ranked() if t.status in ENDED and math.isfinite(t.metric)]
    if candidates and not interrupted:
        result.best = candidates[0]
        result.best_model = _best_model(cfg, prep, result.best, best.get("parameters"))
        if result.best_model is not None and prep.test is not None:
            result.test_score = result.best_model.score(prep.test.X, _labels(prep.test, result.best_model))
    if out is not None:
        report.write_results(result, plots=plots)
    if interrupted:
        raise KeyboardInterrupt
    return result


def _stages(cfg: SweepConfig, trials: list[TrialResult], prep: _Prepared, runner, deadline, keep_parameters: bool, ended) -> None:
    """Train the trials stage by stage (one stage per rung, then to the end), pruning between."""
    n_folds = len(prep.data.folds)
    rungs = [*cfg.pruning.rungs, None] if cfg.pruning is not None else [None]
    states: dict[tuple[int, int], dict] = {}
    active = [t.trial for t in trials]
    for rung in rungs:
        segments = []
        for t in active:
            epochs = trials[t].params["epochs"]
            until = epochs if rung is None else min(rung, epochs)
            for f in range(n_folds):
                segments.append(Segment(t, f, trials[t].params, trials[t].seed, until, states.pop((t, f), None), deadline, keep_parameters))
        pending: dict[int, dict[int, SegmentResult]] = {t: {} for t in active}
        reached: dict[int, float] = {}
        for r in runner.map(run_segment, segments):
            pending[r.trial][r.fold] = r
            if len(pending[r.trial]) < n_folds:
                continue
            results = [pending[r.trial][f] for f in range(n_folds)]
            trial = trials[r.trial]
            _record(trial, results, prep.metric)
            if trial.status == "interrupted":  # Ctrl-C reached the training loop, which stopped cleanly
                ended(trial)
                raise KeyboardInterrupt
            if trial.status == "running":
                reached[trial.trial] = trial.metric
                states.update({(trial.trial, x.fold): x.state for x in results})
            else:
                ended(trial, results[0].parameters)
        if not reached:
            break
        go_on = _survivors(reached, cfg.pruning, prep.metric)
        for t in sorted(set(reached) - go_on):
            trials[t].status, trials[t].message = "pruned", f"pruned at epoch {trials[t].epochs} by the {cfg.pruning.method} rule"
            for f in range(n_folds):
                del states[(t, f)]
            ended(trials[t])
        active = sorted(go_on)


def _best_model(cfg: SweepConfig, prep: _Prepared, best: TrialResult, parameters: dict | None) -> Model | None:
    """The best trial's model (k-fold: its configuration refitted on all the training data),
    with everything needed to use it: the fitted preprocessing, the classes, the sweep's settings."""
    pipeline = prep.pipelines[0]
    history = best.histories[0]
    if prep.refit is not None:
        r = run_segment(Segment(best.trial, 0, best.params, best.seed, best.params["epochs"], keep_parameters=True), prep.refit)
        if r.parameters is None:
            return None
        parameters, pipeline, history = r.parameters, prep.refit_pipeline, r.history
    net = build_network(best.params, prep.info.n_x, prep.data, best.seed)
    net.set_parameters(parameters)
    net.history_ = history
    info = prep.info
    classes = None if info.task == "regression" else np.array(info.class_names) if info.class_names is not None else None
    run = {"sweep": cfg.name, "trial": best.trial, "seed": best.seed, "hyperparameters": best.params, "metric": prep.metric.name, "value": best.metric}
    return Model(net, features=pipeline.names_in_, pipeline=pipeline, classes=classes, label=info.label, info={"data": cfg.dataset, "run": run})


def _labels(ds: datasets.Dataset, model: Model) -> np.ndarray:
    """The labels of ``ds`` in the model's classes (regression: the targets)."""
    if ds.task == "regression":
        return ds.Y
    return model.classes[ds.Y[0]]
