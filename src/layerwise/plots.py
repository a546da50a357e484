"""Figures of training, as the course draws them: cost curves, decision boundaries, mislabelled images.

Needs matplotlib (the ``plot`` extra), imported inside each function. Figures are built with
``matplotlib.figure.Figure`` and written to PNG without pyplot, so no window opens, no global
backend is switched and the functions are safe in servers and threads. Each returns the path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .model import Model

CMAP = "Spectral"  # the course's colour map for the planar figures


def _figure(width: float, height: float):
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install layerwise[plot]") from exc
    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path) -> Path:
    """``fig`` written to ``path`` through the one atomic writer (the format from its suffix, PNG by default)."""
    from .io import atomic_write

    path = Path(path)
    with atomic_write(path) as f:
        fig.savefig(f, dpi=110, format=path.suffix[1:] or "png")
    return path


def _costs(run) -> list[float]:
    """The cost per iteration of a ``History`` or a plain sequence of costs."""
    return list(run.costs) if hasattr(run, "costs") else list(run)


def plot_cost(history, path, *, log: bool = False, title: str | None = None) -> Path:
    """The learning curve: training cost per iteration (and validation cost when measured).

    Arguments:
        history: a ``History`` (or a sequence of costs); log: a logarithmic cost axis.
    """
    fig = _figure(6.4, 4.2)
    ax = fig.add_subplot()
    costs = _costs(history)
    ax.plot(np.arange(len(costs)), costs, label="training cost", color="tab:blue")
    val = list(getattr(history, "val_costs", []))
    if val:
        ax.plot(np.arange(len(val)), val, label="validation cost", color="tab:orange")
    best = getattr(history, "best_epoch", None)
    if best is not None:
        ax.axvline(best, color="grey", linestyle=":", label=f"best epoch ({best})")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
    ax.set_title(title or "Learning curve")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _save(fig, path)


def plot_learning_rates(results: Mapping, path, *, title: str | None = None, log: bool = False) -> Path:
    """Cost curves of several learning rates on one plot (the course's 0.01 / 0.001 / 0.0001 figure).

    Arguments:
        results: ``{learning_rate: History or sequence of costs}``, in legend order.
    """
    fig = _figure(6.4, 4.2)
    ax = fig.add_subplot()
    for rate, run in results.items():
        costs = _costs(run)
        ax.plot(np.arange(len(costs)), costs, label=f"{rate:g}" if isinstance(rate, float) else str(rate))
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    if log:
        ax.set_yscale("log")
    ax.set_title(title or "Cost for several learning rates")
    ax.grid(True, alpha=0.3)
    ax.legend(title="learning rate")
    return _save(fig, path)


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``resolution x resolution`` grid covering the points ``X: (2, m)`` with a margin of 1."""
    (x_min, y_min), (x_max, y_max) = X.min(axis=1) - 1, X.max(axis=1) + 1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    return xx, yy, np.vstack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(
    model,
    X,
    y,
    path,
    hidden_units: bool = True,
    *,
    title: str | None = None,
    max_units: int = 16,
    resolution: int = 200,
) -> Path:
    """The regions a classifier of 2-D points assigns to each class, with the points on top.

    With ``hidden_units`` (and a hidden layer) the activation of each unit of the first hidden
    layer over the same plane is drawn beside it, as small heat maps (at most ``max_units``):
    each unit draws one line through the plane; the output layer combines them.

    Arguments:
        model: a classifier of 2 raw features: a ``Model`` (its preprocessing is applied to
            the plane, its class names and feature names label the figure) or a bare
            ``Network``; X: ``(2, m)`` raw points; y: their labels ``(m,)`` or ``(1, m)``, in
            the model's classes.
    """
    import matplotlib

    model = model if isinstance(model, Model) else Model(model)
    net = model.network
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != 2 or model.n_features != 2:
        raise ValueError(f"a decision boundary needs 2-D points X (2, m) and a model of 2 features; got X {X.shape}, {model.n_features} features")
    if net.task == "regression":
        raise ValueError("a decision boundary needs a classifier (sigmoid or softmax output)")
    labels = model.encode(np.asarray(y).reshape(-1))[0]
    xx, yy, points = _grid(X, resolution)
    AL, caches = net.forward(model.transform(points))
    predicted = net.output_to_prediction(AL)[0].reshape(xx.shape)
    n_classes = 2 if net.task == "binary" else net.n_y
    cmap = matplotlib.colormaps[CMAP].resampled(n_classes)

    show_units = hidden_units and len(net.layer_dims) > 2
    fig = _figure(12.5 if show_units else 6.4, 5.6)
    if show_units:
        left, right = fig.subfigures(1, 2, width_ratios=[1.1, 1])
    else:
        left, right = fig, None
    ax = left.add_subplot()
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(xx, yy, predicted, levels=levels, cmap=cmap, alpha=0.45)
    if net.task == "binary":
        ax.contour(xx, yy, AL[0].reshape(xx.shape), levels=[0.5], colors="k", linewidths=1)
    names = [str(c) for c in model.classes.tolist()]
    for c in range(n_classes):
        mask = labels == c
        ax.scatter(X[0, mask], X[1, mask], color=cmap(c), edgecolors="k", linewidths=0.5, s=22, label=names[c])
    ax.set_xlabel(model.features[0])
    ax.set_ylabel(model.features[1])
    arch = " -> ".join(str(n) for n in net.layer_dims)
    ax.set_title(title or f"Decision boundary ({arch})")
    ax.legend(title="class", loc="upper right", fontsize="small")

    if show_units:
        A1 = caches[0][1]  # (n[1], resolution**2): what each first-layer unit computes
        n_units = min(A1.shape[0], max_units)
        cols = math.ceil(math.sqrt(n_units))
        rows = math.ceil(n_units / cols)
        axes = np.atleast_1d(right.subplots(rows, cols)).ravel()
        vmin, vmax = float(A1[:n_units].min()), float(A1[:n_units].max())
        image = None
        for j, unit_ax in enumerate(axes):
            unit_ax.set_xticks([])
            unit_ax.set_yticks([])
            if j >= n_units:
                unit_ax.set_axis_off()
                continue
            image = unit_ax.imshow(A1[j].reshape(xx.shape), origin="lower", cmap="RdBu_r", vmin=vmin, vmax=vmax,
                                   extent=(xx.min(), xx.max(), yy.min(), yy.max()), aspect="auto")  # fmt: skip
            unit_ax.set_title(f"unit {j + 1}", fontsize="small")
        shown = f"{n_units} of {A1.shape[0]}" if n_units < A1.shape[0] else f"{n_units}"
        right.suptitle(f"Hidden layer 1: {shown} units, {net.activations[0].spec}(W1 x + b1)")
        right.colorbar(image, ax=list(axes), shrink=0.8, label="activation a[1]")
    return _save(fig, path)


def guess_image_shape(n_x: int) -> tuple[int, ...] | None:
    """The image shape a flattened column of ``n_x`` pixels most likely had: square RGB
    ``(s, s, 3)`` or square grey ``(s, s)`` with ``s >= 8``, else None."""
    for channels in (3, 1):
        side = math.isqrt(n_x // channels)
        if side >= 8 and side * side * channels == n_x:
            return (side, side, 3) if channels == 3 else (side, side)
    return None


def plot_mislabelled(
    X,
    Y,
    predictions,
    path,
    *,
    image_shape: tuple[int, ...] = (64, 64, 3),
    class_names: Sequence[str] | None = None,
    max_images: int = 10,
) -> Path:
    """A grid of the images the network got wrong, titled with predicted and true labels.

    Arguments:
        X: ``(n_x, m)`` flattened images (one column each, e.g. cat pictures ``(12288, m)`` of
            ``64 x 64 x 3`` values in [0, 1]); Y, predictions: ``(1, m)`` class labels.
    """
    X = np.asarray(X, dtype=np.float64)
    truth, predicted = np.asarray(Y).reshape(-1), np.asarray(predictions).reshape(-1)
    if X.shape[0] != math.prod(image_shape):
        raise ValueError(f"X has {X.shape[0]} rows; image_shape {image_shape} needs {math.prod(image_shape)}")
    wrong = np.flatnonzero(truth != predicted)
    shown = wrong[:max_images]

    def name(c) -> str:
        return class_names[int(c)] if class_names is not None else str(int(c))

    cols = max(1, min(5, shown.size))
    rows = max(1, math.ceil(shown.size / cols))
    fig = _figure(2.3 * cols, 2.6 * rows + 0.4)
    if shown.size == 0:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no mislabelled examples", ha="center", va="center")
    for k, i in enumerate(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        image = X[:, i].reshape(image_shape)
        if image.ndim == 3:
            lo, hi = image.min(), image.max()
            image = image if lo >= 0 and hi <= 1 else (image - lo) / (hi - lo if hi > lo else 1.0)
            ax.imshow(image, interpolation="nearest")
        else:
            ax.imshow(image, cmap="gray", interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"Prediction: {name(predicted[i])}\nClass: {name(truth[i])}", fontsize="small")
    fig.suptitle(f"Mislabelled: {wrong.size} of {truth.size}" + (f" (first {shown.size} shown)" if wrong.size > shown.size else ""))
    return _save(fig, path)


def spans_decades(costs, decades: float = 2.0) -> bool:
    """Whether the positive costs' largest / smallest is 10**decades or more (then a log axis shows them)."""
    c = np.asarray(_costs(costs), dtype=np.float64)
    c = c[np.isfinite(c) & (c > 0)]
    return bool(c.size > 1 and c.max() / c.min() >= 10.0**decades)


def plot_predicted_vs_actual(parts: Mapping[str, tuple], path, *, title: str | None = None, name: str = "target") -> Path:
    """Regression: each example's prediction against its true value, one colour per part, with
    the line ``predicted = actual``.

    Arguments:
        parts: ``{"train": (actual, predicted), "validation": ...}``, each ``(m,)`` or ``(1, m)``.
    """
    fig = _figure(5.4, 5.2)
    ax = fig.add_subplot()
    lo, hi = math.inf, -math.inf
    for label, (actual, predicted) in parts.items():
        a, p = np.asarray(actual, dtype=np.float64).reshape(-1), np.asarray(predicted, dtype=np.float64).reshape(-1)
        ax.scatter(a, p, s=14, alpha=0.6, edgecolors="none", label=f"{label} ({a.size})")
        finite = np.concatenate([a[np.isfinite(a)], p[np.isfinite(p)]])
        if finite.size:
            lo, hi = min(lo, finite.min()), max(hi, finite.max())
    if lo < hi:
        ax.plot([lo, hi], [lo, hi], color="grey", linestyle="--", linewidth=1, label="predicted = actual")
    ax.set_xlabel(f"actual {name}")
    ax.set_ylabel(f"predicted {name}")
    ax.set_title(title or "Predicted against actual")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return _save(fig, path)
