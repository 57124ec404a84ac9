"""Immutable pictures of a run for views: what the trainer holds after any update or phase.

Every array in a snapshot is read-only, and the trainer never mutates an array after creating it
(updates build new arrays), so a snapshot shares arrays with the trainer instead of copying them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ffviz.engine.config import RunConfig
    from ffviz.engine.datasets import Dataset
    from ffviz.engine.plane import PlaneView
    from ffviz.engine.state import TrainerState
    from ffviz.engine.insight import NormView
    from ffviz.engine.timeline import Trajectory


def readonly(a):
    """Mark an array read-only in place and return it (None passes through)."""
    if a is not None:
        a.flags.writeable = False
    return a


def readonly_tuple(arrays) -> tuple:
    return tuple(readonly(a) for a in arrays)


def readonly_tree(obj, _seen=None):
    """Mark every array reachable through dataclasses, tuples, lists and dicts read-only; returns obj.

    For what arrives from another process: unpickled arrays are writable, and snapshots promise otherwise.
    """
    seen = set() if _seen is None else _seen
    if id(obj) in seen:
        return obj
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            readonly_tree(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            readonly_tree(item, seen)
    elif is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            readonly_tree(getattr(obj, f.name), seen)
    return obj


@dataclass(frozen=True)
class Phase:
    """One phase of an update: forward (per layer), loss, backward (per layer), update."""

    kind: str  # "forward" | "loss" | "backward" | "update"
    layer: int | None = None  # 1 = first layer after the input; None for loss and update

    @property
    def label(self) -> str:
        if self.kind == "forward":
            return f"Forward pass, layer {self.layer}"
        if self.kind == "backward":
            return f"Backward pass, layer {self.layer}"
        return {"loss": "Loss", "update": "Weight update"}[self.kind]


@dataclass(frozen=True)
class Divergence:
    """Why training stopped: a non-finite loss or weight, and the update to go back to (the last one at which
    the run was still improving, see Trainer.recovery_step)."""

    step: int
    reason: str
    restore_step: int


@dataclass(frozen=True)
class History:
    """Per-update batch loss and the evaluations (train/test loss and accuracy) made so far."""

    update_step: np.ndarray  # the step whose weights the batch loss was computed on
    batch_loss: np.ndarray
    batch_curve_step: np.ndarray  # the batch loss averaged over bins, at most ~2000 points: for plots
    batch_curve_loss: np.ndarray
    eval_step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray  # NaN for regression
    test_accuracy: np.ndarray
    eval_learning_rate: np.ndarray  # η at each evaluation


@dataclass(frozen=True)
class TraceView:
    """Everything computed so far in one update; entries not reached yet are None.

    Layer lists are 0-based over the layers after the input (index 0 = layer 1); `a[0]` is the input x.
    """

    step: int  # the update being computed: 1 for the first
    last_phase: Phase | None
    batch_indices: np.ndarray | None  # None: the whole training set
    x: np.ndarray
    y: np.ndarray
    z: tuple
    a: tuple
    g_prime: tuple  # elementwise g'(z) (softmax: the Jacobian's diagonal)
    per_sample_loss: np.ndarray | None
    loss: float | None  # J: the mean loss over the batch (without regularization)
    reg_loss: float | None
    dJ_dyhat: np.ndarray | None
    delta: tuple  # ∂J/∂z per layer
    grad_kernels: tuple
    grad_biases: tuple
    old_kernels: tuple | None
    new_kernels: tuple | None
    old_biases: tuple | None
    new_biases: tuple | None
    learning_rate: float
    fused: bool  # the output delta came from ŷ − y (sigmoid+BCE, softmax+CE, perceptron rule)
    perceptron: bool

    @property
    def n(self) -> int:
        return self.x.shape[0]


@dataclass(frozen=True)
class Snapshot:
    serial: int  # grows with every snapshot; views drop one older than what they drew
    run_id: int  # changes when the run is rebuilt (reset, new network or data)
    step: int  # completed updates
    epoch: float  # passes through the training set
    config: "RunConfig"
    dataset: "Dataset"
    activations: tuple[str, ...]
    kernels: tuple
    biases: tuple  # None for a layer without bias
    grad_kernels: tuple  # the latest ∂J/∂kernel per layer (None before the first backward pass)
    grad_biases: tuple
    update_kernels: tuple  # the change the last update applied (None before the first)
    update_biases: tuple
    grad_norms: tuple[float, ...]  # ‖∂J/∂kernel‖ per layer, NaN where unknown
    trace: TraceView | None
    next_phase: Phase
    learning_rate: float
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    history: History
    diverged: Divergence | None
    plane: "PlaneView | None" = None
    state: "TrainerState | None" = None  # the run now, for requests computed from it (surfaces, races)
    trajectory: "Trajectory | None" = None  # recorded points of the path through weight space (bounded)
    first_step: int = 0  # the earliest update the timeline can restore
    rewound_from: int | None = None  # rewound (Trainer.snapshot_at): the run's newest update; None: this is it
    future: "History | None" = None  # rewound: the run's whole history, the updates after this one included
    branch: "History | None" = None  # the history of a branch left behind (continued from an earlier update)
    norms: "NormView | None" = None  # ‖∂J/∂kernel‖ and ‖Δkernel‖/‖kernel‖ per layer over the run

    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (engine/params.py's layout)."""
        return self.state.params

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self.config.layer_sizes

    @property
    def mid_update(self) -> bool:
        """True when some phases of an update are done and the rest are not."""
        return self.trace is not None and self.trace.last_phase is not None \
            and self.trace.last_phase.kind != "update"
