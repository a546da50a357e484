"""layerwise: fully connected neural networks in NumPy, in the notation of the deeplearning.ai course.

Examples are columns: ``X: (n_x, m)``, ``Y: (n_y, m)``; ``W[l]: (n[l], n[l-1])``, ``b[l]: (n[l], 1)``.
The data flow of training is the module order: initializers -> activations -> blocks
(forward, backward, update) -> losses -> optimizers -> callbacks -> training -> network.
"""

from . import activations, blocks, initializers, losses, optimizers
from .blocks import (
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
    model_backward,
    model_forward,
    update_parameters,
)
from .callbacks import Callback, DivergenceError, EarlyStopping, History, PrintCost, ProgressBar
from .export import export_onnx
from .gradcheck import GradientCheck, check_gradients, gradient_check, gradient_check_report
from .initializers import initialize_parameters
from .io import load_model as load
from .io import save_model as save
from .model import Model
from .network import LogisticRegression, Network
from .optimizers import Adam, GradientDescent, Momentum, RMSprop

__version__ = "0.1.0"

__all__ = [
    "Adam",
    "Callback",
    "DivergenceError",
    "EarlyStopping",
    "GradientCheck",
    "GradientDescent",
    "History",
    "LogisticRegression",
    "Model",
    "Momentum",
    "Network",
    "PrintCost",
    "ProgressBar",
    "RMSprop",
    "activations",
    "blocks",
    "check_gradients",
    "export_onnx",
    "gradient_check",
    "gradient_check_report",
    "initialize_parameters",
    "initializers",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "load",
    "losses",
    "model_backward",
    "model_forward",
    "optimizers",
    "save",
    "update_parameters",
]
