"""The engine: everything that is true without a screen. Imports NumPy and the standard library only."""

from ffviz.engine.activations import ACTIVATIONS, Activation, get_activation
from ffviz.engine.config import (DataSpec, InitSpec, LayerSpec, OptimizerSpec, RegularizationSpec, RunConfig,
                                 from_dict, to_dict, validate)
from ffviz.engine.losses import LOSSES, Loss, get_loss
from ffviz.engine.presets import DEFAULT_PRESET, load_preset, preset_dict, preset_names
from ffviz.engine.snapshot import Divergence, History, Phase, Snapshot, TraceView
from ffviz.engine.trainer import Evaluation, Trainer

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "DataSpec", "InitSpec", "LayerSpec", "OptimizerSpec",
    "RegularizationSpec", "RunConfig", "from_dict", "to_dict", "validate", "LOSSES", "Loss", "get_loss",
    "DEFAULT_PRESET", "load_preset", "preset_dict", "preset_names", "Divergence", "History", "Phase",
    "Snapshot", "TraceView", "Evaluation", "Trainer",
]
