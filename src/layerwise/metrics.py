"""Scores of predictions: the one home of every metric the library reports.

Classification metrics take class indices ``(m,)`` (0..n_classes-1); regression metrics take
targets and outputs ``(n_y, m)``. The reports are what ``layerwise evaluate`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Fraction of examples whose predicted class equals the true one, in [0, 1]."""
    return float(np.mean(np.asarray(truth).reshape(-1) == np.asarray(predicted).reshape(-1)))


def mse(Y: np.ndarray, AL: np.ndarray) -> float:
    """Mean squared error over all targets and examples."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged model scores inf, not a warning
        return float(np.mean((np.asarray(AL, dtype=np.float64) - Y) ** 2))


def rmse(Y: np.ndarray, AL: np.ndarray) -> float:
    return float(np.sqrt(mse(Y, AL)))


def mae(Y: np.ndarray, AL: np.ndarray) -> float:
    """Mean absolute error over all targets and examples."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(np.abs(np.asarray(AL, dtype=np.float64) - Y)))


def r2_score(Y: np.ndarray, AL: np.ndarray) -> float:
    """R^2 = 1 - SS_res / SS_tot over all targets (0 when the targets are constant)."""
    with np.errstate(over="ignore", invalid="ignore"):
        ss_res = float(((Y - AL) ** 2).sum())
        ss_tot = float(((Y - Y.mean(axis=1, keepdims=True)) ** 2).sum())
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """``C (n_classes, n_classes)``: ``C[i, j]`` examples of true class i predicted as j."""
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (np.asarray(truth).reshape(-1), np.asarray(predicted).reshape(-1)), 1)
    return confusion


def precision_recall_f1(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall and F1 ``(n_classes,)`` of a confusion matrix (0 where undefined)."""
    n = confusion.shape[0]
    tp = np.diag(confusion).astype(np.float64)
    support, predicted_count = confusion.sum(axis=1), confusion.sum(axis=0)
    precision = np.divide(tp, predicted_count, out=np.zeros(n), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=precision + recall > 0)
    return precision, recall, f1


def classification_report(truth: np.ndarray, predicted: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy, per-class and macro precision / recall / F1, and the confusion matrix (rows: true
    class, columns: predicted) of class indices ``truth``, ``predicted`` ``(m,)``."""
    names = [str(c) for c in class_names]
    confusion = confusion_matrix(truth, predicted, len(names))
    precision, recall, f1 = precision_recall_f1(confusion)
    support = confusion.sum(axis=1)
    return {
        "m": int(np.size(truth)),
        "accuracy": accuracy(truth, predicted),
        "per_class": {
            names[c]: {"precision": float(precision[c]), "recall": float(recall[c]), "f1": float(f1[c]), "support": int(support[c])}
            for c in range(len(names))
        },
        "macro": {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())},
        "classes": names,
        "confusion_matrix": confusion.tolist(),
    }


def regression_report(Y: np.ndarray, AL: np.ndarray) -> dict:
    """MSE, RMSE, MAE and R^2 of outputs ``AL`` against targets ``Y``, both ``(n_y, m)``."""
    return {"m": int(Y.shape[1]), "mse": mse(Y, AL), "rmse": rmse(Y, AL), "mae": mae(Y, AL), "r2": r2_score(Y, AL)}


def significant(x: float, digits: int = 4) -> str:
    """``x`` with ``digits`` significant digits, trailing zeros kept: 0.5000, 53.77, 1235, -3.142e+05."""
    return f"{x:#.{digits}g}".rstrip(".").replace(".e", "e")


def format_report(report: dict) -> str:
    """A report of :func:`classification_report` or :func:`regression_report` as a few lines of text."""
    if "r2" in report:
        return f"m = {report['m']}: " + ", ".join(f"{key.upper()} {significant(report[key])}" for key in ("r2", "rmse", "mae", "mse"))
    names = report["classes"]
    width = max(9, *(len(n) for n in names))
    lines = [f"m = {report['m']}: accuracy {100 * report['accuracy']:.2f} %", "",
             f"{'class':<{width}}  precision  recall     f1  support"]  # fmt: skip
    for name, s in report["per_class"].items():
        lines.append(f"{name:<{width}}  {s['precision']:9.4f}  {s['recall']:6.4f}  {s['f1']:.4f}  {s['support']:7d}")
    macro = report["macro"]
    lines.append(f"{'macro avg':<{width}}  {macro['precision']:9.4f}  {macro['recall']:6.4f}  {macro['f1']:.4f}  {report['m']:7d}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted class)"]
    lines.append(" " * (width + 2) + " ".join(f"{n:>{max(6, len(n))}}" for n in names))
    for name, row in zip(names, report["confusion_matrix"]):
        lines.append(f"{name:<{width}}  " + " ".join(f"{v:>{max(6, len(n))}d}" for v, n in zip(row, names)))
    return "\n".join(lines)
