"""What a task means for the network: its output layer, its loss, its number of outputs, and
the parameter shapes of an architecture. Every front-end (CLI, estimators, sweeps, playground,
model files) asks here instead of deciding for itself.

    task          output activation   loss                       n_y
    "binary"      sigmoid             binary cross-entropy       1
    "multiclass"  softmax             categorical cross-entropy  n_classes
    "regression"  linear              mean squared error         n_targets
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .losses import DEFAULT_LOSS

TASKS = ("binary", "multiclass", "regression")
OUTPUT_ACTIVATION = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}
_TASK_OF_LOSS = {DEFAULT_LOSS[output]: task for task, output in OUTPUT_ACTIVATION.items()}


def check_task(task) -> str:
    if task not in TASKS:
        raise ValueError(f"task is {task!r}; expected one of {list(TASKS)}")
    return task


def output_activation(task: str) -> str:
    """The output layer's activation for ``task``."""
    return OUTPUT_ACTIVATION[check_task(task)]


def default_loss(task: str) -> str:
    """The loss for ``task`` (the one the output activation pairs with, ``dZ = A - Y``)."""
    return DEFAULT_LOSS[output_activation(task)]


def task_of_loss(loss_name: str) -> str:
    """"binary", "multiclass" or "regression" from a loss name (any other loss: regression)."""
    return _TASK_OF_LOSS.get(loss_name, "regression")


def task_for_classes(n_classes: int) -> str:
    """"binary" for 2 classes, "multiclass" for more."""
    if n_classes < 2:
        raise ValueError(f"a classifier needs at least 2 classes; got {n_classes}")
    return "binary" if n_classes == 2 else "multiclass"


def n_outputs(task: str, n_classes: int | None = None, n_targets: int = 1) -> int:
    """Output units: 1 (binary: one sigmoid unit), one per class (softmax), one per target."""
    task = check_task(task)
    if task == "regression":
        return n_targets
    if n_classes is None or n_classes < 2:
        raise ValueError(f"a {task} output needs the number of classes (>= 2); got {n_classes}")
    return 1 if task == "binary" else n_classes


def n_classes_of(task: str, n_y: int) -> int | None:
    """The number of classes a ``task`` output of ``n_y`` units separates (None for regression)."""
    return None if check_task(task) == "regression" else 2 if task == "binary" else n_y


def parameter_shapes(layer_dims: Sequence[int]) -> dict[str, tuple[int, int]]:
    """``{"W1": (n1, n0), "b1": (n1, 1), ..., "WL": (nL, nL-1), "bL": (nL, 1)}``."""
    shapes = {}
    for l in range(1, len(layer_dims)):
        shapes[f"W{l}"] = (int(layer_dims[l]), int(layer_dims[l - 1]))
        shapes[f"b{l}"] = (int(layer_dims[l]), 1)
    return shapes


def n_parameters(layer_dims: Sequence[int]) -> int:
    """How many numbers the parameters of ``layer_dims`` hold."""
    return sum(math.prod(s) for s in parameter_shapes(layer_dims).values())


#: Plain gradient descent's learning rate when none is given: the course's 1.2 for classifiers;
#: 0.1 for regression, whose linear output on a standardised target diverges at 1.2.
GD_LEARNING_RATE = {"binary": 1.2, "multiclass": 1.2, "regression": 0.1}


def default_learning_rate(task: str, optimizer: str) -> float | None:
    """The learning rate of a run that names none: GD_LEARNING_RATE for "gd", else None (the optimizer's own)."""
    return GD_LEARNING_RATE[check_task(task)] if optimizer == "gd" else None
