"""Files: the one atomic writer (``archive``), model files (``modelfile``) and checkpoints
(``checkpoint``); everything is importable from ``layerwise.io``."""

from .archive import DAMAGED_ARCHIVE, METADATA_KEY, atomic_write
from .checkpoint import CHECKPOINT_FILE, MAX_EXAMPLES, Checkpoint, Resume, TrainingCheckpoint, load_checkpoint, save_checkpoint
from .modelfile import FORMAT, FORMAT_VERSION, MAX_PARAMETERS, load_model, model_archive, save_model

__all__ = [
    "CHECKPOINT_FILE", "DAMAGED_ARCHIVE", "FORMAT", "FORMAT_VERSION", "MAX_EXAMPLES", "MAX_PARAMETERS", "METADATA_KEY",
    "Checkpoint", "Resume", "TrainingCheckpoint", "atomic_write", "load_checkpoint", "load_model", "model_archive",
    "save_checkpoint", "save_model",
]  # fmt: skip
