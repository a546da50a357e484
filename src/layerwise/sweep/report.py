"""What a sweep leaves behind: the results table, a summary, per-trial histories and figures.

Under ``out``::

    results.csv              one row per trial, best first (see ``COLUMNS``)
    summary.json             the config, the best trial, the counts, how it ran
    best_model.npz           the best trial's model, preprocessing included (``layerwise.load`` reads it)
    trials/<id>/history.csv  its cost curves (``history_fold<k>.csv`` for k-fold), trial.json
    metric_vs_hyperparameters.png, top_costs.png   (with matplotlib)
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from .config import Uniform

TOP_CURVES = 5  # trials drawn in top_costs.png


def trial_id(trial: int, n_trials: int) -> str:
    return f"{trial:0{max(3, len(str(n_trials - 1)))}d}"


def columns(result) -> list[str]:
    """The results table's columns: ranks and measurements, then the searched hyperparameters."""
    return ["rank", "trial", "status", "val_cost", f"val_{result.score_name}", "train_cost", "epochs", "seconds", "seed",
            *result.config.space, "message"]  # fmt: skip


def rows(result) -> list[dict]:
    """One dict per trial, best first; NaN (not measured) is None."""
    out = []
    for rank, t in enumerate(result.ranked(), start=1):
        def num(x):
            return x if math.isfinite(x) else None

        row = {"rank": rank, "trial": t.trial, "status": t.status, "val_cost": num(t.val_cost),
               f"val_{result.score_name}": num(t.val_score), "train_cost": num(t.train_cost), "epochs": t.epochs,
               "seconds": round(t.seconds, 3), "seed": t.seed}  # fmt: skip
        row.update({name: t.params[name] for name in result.config.space})
        row["message"] = t.message
        out.append(row)
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)


def _short(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def summary(result, top: int = 10) -> str:
    """The printed summary: counts, then the ``top`` trials sorted by the metric, then the best."""
    m = result.metric
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts().items()))
    lines = [f"{len(result.trials)} trials ({counts}) in {result.seconds:.1f} s on {result.backend} "
             f"({result.workers} worker{'s' if result.workers != 1 else ''}); "
             f"{m.name}: {'higher' if m.higher_is_better else 'lower'} is better"]  # fmt: skip
    names = ["rank", "trial", "status", m.name, "epochs", *result.config.space]
    table = [names]
    for row in rows(result)[:top]:
        table.append([_short(row[n]) for n in names])
    widths = [max(len(r[i]) for r in table) for i in range(len(names))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    if len(result.trials) > top:
        lines.append(f"... {len(result.trials) - top} more in results.csv")
    if result.best is None:
        lines.append("no trial ended with a finite metric: no best model")
    else:
        b = result.best
        settings = "".join(f", {k} = {_short(b.params[k])}" for k in result.config.space)
        lines.append(f"best: trial {b.trial}, {m.name} = {b.metric:.6g}{settings}")
        if result.test_score is not None:
            lines.append(f"best model on the test set: {result.score_name} = {result.test_score:.6g}")
    return "\n".join(lines)


def write_trial(out: Path, trial, n_trials: int) -> None:
    """``trials/<id>/history.csv`` (per fold for k-fold) and ``trial.json``, as soon as it ends."""
    folder = out / "trials" / trial_id(trial.trial, n_trials)
    folder.mkdir(parents=True, exist_ok=True)
    histories = trial.histories
    for k, h in enumerate(histories):
        if h is not None:
            h.write_csv(folder / ("history.csv" if len(histories) == 1 else f"history_fold{k}.csv"))
    info = {"trial": trial.trial, "seed": trial.seed, "status": trial.status, "message": trial.message,
            "metric": trial.metric if math.isfinite(trial.metric) else None, "epochs": trial.epochs,
            "seconds": trial.seconds, "hyperparameters": trial.params}  # fmt: skip
    (folder / "trial.json").write_text(json.dumps(info, indent=2) + "\n")


def write_results(result, plots: bool = True) -> None:
    """results.csv, summary.json, best_model.npz and (with matplotlib) the figures under ``result.out``."""
    from ..io import atomic_write, save_model

    out = result.out
    with atomic_write(out / "results.csv", "w") as f:
        w = csv.writer(f)
        names = columns(result)
        w.writerow(names)
        for row in rows(result):
            w.writerow([_cell(row[n]) for n in names])
    best = result.best
    doc = {
        "name": result.config.name, "dataset": result.config.dataset, "metric": result.metric.name,
        "higher_is_better": result.metric.higher_is_better, "backend": result.backend, "workers": result.workers,
        "seconds": result.seconds, "counts": result.counts(), "fixed": result.config.fixed,
        "space": list(result.config.space),
        "best": None if best is None else {"trial": best.trial, "metric": best.metric, "seed": best.seed, "hyperparameters": best.params},
        "test_score": result.test_score,
    }  # fmt: skip
    with atomic_write(out / "summary.json", "w") as f:
        f.write(json.dumps(doc, indent=2) + "\n")
    if result.best_model is not None:
        save_model(result.best_model, out / "best_model.npz")
    if plots and any(math.isfinite(t.metric) for t in result.trials):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return
        plot_metric_vs_hyperparameters(result, out / "metric_vs_hyperparameters.png")
        plot_top_costs(result, out / "top_costs.png")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_metric_vs_hyperparameters(result, path) -> Path | None:
    """One panel per searched hyperparameter: the metric of each trial against its value
    (ended trials in blue, pruned ones in grey at the rung they reached); None if none was searched."""
    names = list(result.config.space)
    if not names:
        return None
    cols = min(3, len(names))
    rows_ = math.ceil(len(names) / cols)
    fig = _figure(4.2 * cols, 3.4 * rows_)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows_, cols, i + 1)
        dim = result.config.space[name]
        values = [t.params[name] for t in result.trials]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        labels = sorted({_short(v) for v in values}) if not numeric else []
        for status, color in (("pruned", "0.7"), ("time_limit", "tab:orange"), ("completed", "tab:blue")):
            pts = [(t.params[name], t.metric) for t in result.trials if t.status == status and math.isfinite(t.metric)]
            if pts:
                xs = [p[0] if numeric else labels.index(_short(p[0])) for p in pts]
                ax.scatter(xs, [p[1] for p in pts], color=color, edgecolors="k", linewidths=0.4, s=26, label=status)
        if not numeric:
            ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 3 else 0)
        if isinstance(dim, Uniform) and dim.log:
            ax.set_xscale("log")
        ax.set_xlabel(name)
        ax.set_ylabel(result.metric.name)
        ax.grid(True, alpha=0.3)
        if i == 0:
            ax.legend(fontsize="small")
    fig.suptitle(f"{result.config.name}: {result.metric.name} against each hyperparameter")
    fig.savefig(path, dpi=110)
    return Path(path)


def plot_top_costs(result, path, top: int = TOP_CURVES) -> Path:
    """Training (solid) and validation (dashed) cost curves of the ``top`` best trials, fold 0."""
    fig = _figure(6.8, 4.4)
    ax = fig.add_subplot()
    for k, t in enumerate([t for t in result.ranked() if t.histories and t.histories[0] is not None][:top]):
        h, color = t.histories[0], f"C{k}"
        label = f"trial {t.trial}: {result.metric.name} {t.metric:.4g}" if math.isfinite(t.metric) else f"trial {t.trial}"
        label += f" ({t.status} at {t.epochs})" if t.status != "completed" else ""
        ax.plot(range(len(h.costs)), h.costs, color=color, label=label)
        if h.val_costs:
            ax.plot(range(len(h.val_costs)), h.val_costs, color=color, linestyle="--")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J (dashed: validation)")
    ax.set_title(f"{result.config.name}: cost curves of the best trials")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    return Path(path)
