"""What a sweep is: the search space, the data, the metric, the budget and the pruning rule.

A config is a dict (read from TOML by :func:`load_config`) with these tables::

    [sweep]    strategy ("random" | "grid"), trials, time_limit (s), seed, metric, name
    [data]     dataset (a name or a path for layerwise.datasets.load), options (its keyword
               arguments), validation (a fraction) or folds (k-fold), test_size, standardize
    [fixed]    hyperparameters every trial shares
    [space]    hyperparameters to search: a list of values, {low, high[, step]} (integers give
               every integer), {low, high} floats (uniform), {log_uniform = [low, high]};
               {..., num = n} makes a continuous range griddable
    [pruning]  method ("halving" | "median"), rungs (epochs), eta

:func:`parse_config` checks all of it before any training starts, naming the bad key.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import _checks

# The hyperparameters a trial understands, with their defaults. ``hidden_dims`` (the units of
# each hidden layer) replaces ``hidden_layers`` x ``hidden_units``; ``activation`` is the hidden
# layers' (Network(hidden=...)); the output layer follows the task. ``batch_size = "full"`` is
# batch gradient descent. ``learning_rate = None`` is the optimizer's default.
HYPERPARAMETERS: dict[str, object] = {
    "learning_rate": None,
    "epochs": 2500,  # as Network.fit
    "optimizer": "gd",
    "batch_size": "full",
    "lambd": 0.0,
    "keep_prob": 1.0,
    "hidden_layers": 1,
    "hidden_units": 4,
    "hidden_dims": None,
    "activation": "relu",
    "init": "he",
}


@dataclass(frozen=True)
class Metric:
    """A quantity read from a trial's ``History`` after its last epoch."""

    name: str
    history_field: str  # "val_costs" or "val_metrics"
    higher_is_better: bool
    tasks: tuple[str, ...]


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("val_accuracy", "val_metrics", True, ("binary", "multiclass")),
        Metric("val_r2", "val_metrics", True, ("regression",)),
        Metric("val_cost", "val_costs", False, ("binary", "multiclass", "regression")),
    )
}
STRATEGIES = ("random", "grid")
PRUNING_METHODS = ("halving", "median")


# ---- the search space ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One of a finite list of values, each equally likely."""

    values: tuple

    def sample(self, rng: np.random.Generator):
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self) -> tuple:
        return self.values


@dataclass(frozen=True)
class Uniform:
    """A float uniform on ``[low, high]``, or on a log scale (``log``, for learning rates)."""

    low: float
    high: float
    log: bool = False
    num: int | None = None  # points of the grid (linspace or geomspace)

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def grid(self) -> tuple:
        if self.num is None:
            raise ValueError("a continuous range needs num = N points for a grid search")
        points = np.geomspace if self.log else np.linspace
        return tuple(float(v) for v in points(self.low, self.high, self.num))


Dimension = Choice | Uniform


def parse_dimension(name: str, spec) -> Dimension:
    """One entry of ``[space]`` -> a ``Choice`` or a ``Uniform`` (see the module docstring)."""
    where = f"space.{name}"
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"{where} is an empty list; give at least one value")
        return Choice(tuple(spec))
    if not isinstance(spec, dict):
        raise ValueError(f"{where} is {spec!r}; expected a list, {{low, high[, step]}} or {{log_uniform = [low, high]}} "
                         "(fixed values go in [fixed])")  # fmt: skip
    _check_keys(where, spec, {"low", "high", "step", "num", "log_uniform"})
    num = spec.get("num")
    if num is not None and not (_checks.is_int(num) and num >= 1):
        raise ValueError(f"{where}.num is {num!r}; expected a positive integer")
    if "log_uniform" in spec:
        bounds = spec["log_uniform"]
        if set(spec) - {"log_uniform", "num"}:
            raise ValueError(f"{where}: log_uniform takes only num beside it")
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_checks.is_real(b) for b in bounds) and 0 < bounds[0] < bounds[1]):
            raise ValueError(f"{where}.log_uniform is {bounds!r}; expected [low, high] with 0 < low < high")
        return Uniform(float(bounds[0]), float(bounds[1]), log=True, num=num)
    if "low" not in spec or "high" not in spec:
        raise ValueError(f"{where} needs low and high")
    low, high, step = spec["low"], spec["high"], spec.get("step")
    if not (_checks.is_real(low) and _checks.is_real(high) and low <= high):
        raise ValueError(f"{where}: low = {low!r}, high = {high!r}; expected numbers with low <= high")
    if step is not None and not (_checks.is_real(step) and step > 0):
        raise ValueError(f"{where}.step is {step!r}; expected a number > 0")
    if step is not None and num is not None:
        raise ValueError(f"{where}: give step or num, not both")
    if _checks.is_int(low) and _checks.is_int(high) and (step is None or _checks.is_int(step)) and num is None:
        return Choice(tuple(range(low, high + 1, step or 1)))
    if step is not None:
        n = int(math.floor((high - low) / step + 1e-9)) + 1
        return Choice(tuple(round(low + k * step, 12) for k in range(n)))
    return Uniform(float(low), float(high), num=num)


# ---- the whole config ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pruning:
    """Stop hopeless trials at ``rungs`` (epochs): keep the best 1/eta ("halving") or those at
    least as good as the median ("median") of the trials that reached the rung."""

    method: str
    rungs: tuple[int, ...]
    eta: int = 3


@dataclass(frozen=True)
class SweepConfig:
    """A checked sweep config; :func:`parse_config` makes one from the TOML tables."""

    dataset: str
    space: dict[str, Dimension]
    fixed: dict[str, object] = field(default_factory=dict)
    strategy: str = "random"
    trials: int | None = None
    time_limit: float | None = None
    seed: int = 0
    metric: str | None = None  # None: val_accuracy for classification, val_r2 for regression
    name: str = "sweep"
    data_options: dict = field(default_factory=dict)
    validation: float = 0.2
    folds: int | None = None
    test_size: float | int | None = None
    standardize: bool = False
    pruning: Pruning | None = None

    def trial_params(self) -> list[dict]:
        """The hyperparameters of every trial, in trial order, defaults filled in.

        Random search draws from ``default_rng(seed)`` in the order of [space]; a grid
        enumerates the product of the dimensions (the last one varying fastest).
        """
        names = list(self.space)
        if self.strategy == "grid":
            combos = list(itertools.product(*(self.space[n].grid() for n in names)))
            if self.trials is not None and self.trials < len(combos):
                raise ValueError(f"the grid has {len(combos)} combinations but trials = {self.trials}; "
                                 "raise trials or use strategy = \"random\"")  # fmt: skip
        else:
            rng = np.random.default_rng(self.seed)
            combos = [tuple(self.space[n].sample(rng) for n in names) for _ in range(self.trials)]
        return [{**HYPERPARAMETERS, **self.fixed, **dict(zip(names, combo, strict=True))} for combo in combos]


def trial_seed(sweep_seed: int, trial: int) -> int:
    """The seed of trial ``trial``: a function of the sweep's seed and the index only, so the
    results do not depend on where or in which order the trials run."""
    return int(np.random.SeedSequence([sweep_seed, trial]).generate_state(1)[0])


def _check_keys(where: str, table, known: set[str]) -> None:
    if not isinstance(table, dict):
        raise ValueError(f"{where} is {table!r}; expected a table")
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(known)}")


def parse_config(config: dict, base_dir: str | os.PathLike[str] | None = None) -> SweepConfig:
    """Check a config dict (the TOML tables) and return a ``SweepConfig``.

    ``base_dir``: the folder relative data paths are read from (the config file's folder).
    """
    _check_keys("the config", config, {"sweep", "data", "fixed", "space", "pruning"})
    sweep, data = config.get("sweep", {}), config.get("data")
    fixed, space = config.get("fixed", {}), config.get("space", {})
    _check_keys("[sweep]", sweep, {"strategy", "trials", "time_limit", "seed", "metric", "name"})
    if data is None:
        raise ValueError("the config needs a [data] table with dataset = a name or a file path")
    _check_keys("[data]", data, {"dataset", "options", "validation", "folds", "test_size", "standardize"})
    _check_keys("[fixed]", fixed, set(HYPERPARAMETERS))
    _check_keys("[space]", space, set(HYPERPARAMETERS))

    both = sorted(set(fixed) & set(space))
    if both:
        raise ValueError(f"{both} are in both [fixed] and [space]; keep each hyperparameter in one")
    given = set(fixed) | set(space)
    if "hidden_dims" in given and given & {"hidden_layers", "hidden_units"}:
        raise ValueError("hidden_dims sets every hidden layer; do not combine it with hidden_layers / hidden_units")

    strategy = sweep.get("strategy", "random")
    if strategy not in STRATEGIES:
        raise ValueError(f"[sweep] strategy is {strategy!r}; expected one of {list(STRATEGIES)}")
    trials = _checks.check_positive_int("[sweep] trials", sweep.get("trials"), allow_none=True)
    if strategy == "random" and trials is None:
        raise ValueError("a random search needs a budget: [sweep] trials = N")
    time_limit = sweep.get("time_limit")
    if time_limit is not None and not (_checks.is_real(time_limit) and time_limit > 0):
        raise ValueError(f"[sweep] time_limit is {time_limit!r}; expected seconds > 0")
    seed = sweep.get("seed", 0)
    if not (_checks.is_int(seed) and seed >= 0):
        raise ValueError(f"[sweep] seed is {seed!r}; expected a non-negative integer")
    metric = sweep.get("metric")
    if metric is not None and metric not in METRICS:
        raise ValueError(f"[sweep] metric is {metric!r}; expected one of {sorted(METRICS)}")
    name = sweep.get("name", "sweep")
    if not isinstance(name, str):
        raise ValueError(f"[sweep] name is {name!r}; expected a string")

    dataset = data.get("dataset")
    if not isinstance(dataset, str) or not dataset:
        raise ValueError(f"[data] dataset is {dataset!r}; expected a built-in name or a file path")
    from .. import datasets

    if dataset not in datasets.DATASETS and base_dir is not None and not Path(dataset).is_absolute():
        dataset = str(Path(base_dir) / dataset)
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ValueError(f"[data] options is {options!r}; expected a table of keyword arguments")
    folds = _checks.check_positive_int("[data] folds", data.get("folds"), allow_none=True)
    if folds is not None and folds < 2:
        raise ValueError("[data] folds must be at least 2")
    if folds is not None and "validation" in data:
        raise ValueError("[data]: give validation (a held-out fraction) or folds (k-fold), not both")
    validation = data.get("validation", 0.2)
    if not (_checks.is_real(validation) and 0 < validation < 1):
        raise ValueError(f"[data] validation is {validation!r}; expected a fraction in (0, 1)")
    test_size = data.get("test_size")
    if test_size is not None and not (_checks.is_real(test_size) and test_size > 0):
        raise ValueError(f"[data] test_size is {test_size!r}; expected a fraction or a count")
    standardize = data.get("standardize", False)
    if not isinstance(standardize, bool):
        raise ValueError(f"[data] standardize is {standardize!r}; expected true or false")

    dims = {k: parse_dimension(k, v) for k, v in space.items()}
    epochs = dims["epochs"] if "epochs" in dims else Choice((fixed.get("epochs", HYPERPARAMETERS["epochs"]),))
    if not isinstance(epochs, Choice) or not all(_checks.is_int(e) and e >= 1 for e in epochs.values):
        raise ValueError("epochs must be positive integers (a list or an integer range in [space])")

    return SweepConfig(
        dataset=dataset, space=dims, fixed=dict(fixed),
        strategy=strategy, trials=trials, time_limit=None if time_limit is None else float(time_limit), seed=int(seed),
        metric=metric, name=name, data_options=dict(options), validation=float(validation), folds=folds,
        test_size=test_size, standardize=standardize, pruning=_parse_pruning(config.get("pruning")),
    )  # fmt: skip


def _parse_pruning(table) -> Pruning | None:
    if table is None:
        return None
    _check_keys("[pruning]", table, {"method", "rungs", "eta"})
    method = table.get("method", "halving")
    if method == "none":
        return None
    if method not in PRUNING_METHODS:
        raise ValueError(f"[pruning] method is {method!r}; expected one of {[*PRUNING_METHODS, 'none']}")
    rungs = table.get("rungs")
    if not (isinstance(rungs, list) and rungs and all(_checks.is_int(r) and r >= 1 for r in rungs) and rungs == sorted(set(rungs))):
        raise ValueError(f"[pruning] rungs is {rungs!r}; expected increasing epoch counts, e.g. [100, 300]")
    eta = table.get("eta", 3)
    if not (_checks.is_int(eta) and eta >= 2):
        raise ValueError(f"[pruning] eta is {eta!r}; expected an integer >= 2")
    return Pruning(method, tuple(int(r) for r in rungs), int(eta))


def load_config(path: str | os.PathLike[str]) -> SweepConfig:
    """Read and check a TOML sweep config; relative data paths are relative to its folder."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, base_dir=path.parent)
