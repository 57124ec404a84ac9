"""TrainerState: everything that decides how a run goes on from here, as one immutable value.

Restoring a state and training on gives the numbers the run would have given, bit for bit. The training process,
the timeline's checkpoints, rewinding and sessions all hand runs around as TrainerStates. Arrays are shared with
the trainer by reference: the trainer never mutates an array once made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ffviz.engine.config import RunConfig
    from ffviz.engine.datasets import Dataset


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value (see same_state)
class TrainerState:
    config: "RunConfig"
    dataset: "Dataset"
    params: np.ndarray  # the flat parameter vector (engine/params.py), read-only
    optimizer: tuple  # (t, first moment or None, second moment or None): Optimizer.state()
    learning_rate: float
    step: int  # completed updates
    samples_seen: int
    shuffle_state: dict  # the shuffling generator's state
    epoch_state: dict | None  # its state before the current epoch's sample order was drawn; None: no order yet
    cursor: int  # where the next mini-batch starts in that order
    phases_done: int = 0  # phases of update step + 1 already done (restoring replays them)

    @property
    def epoch(self) -> float:
        return self.samples_seen / max(1, self.dataset.x_train.shape[0])

    def between_updates(self) -> bool:
        return self.phases_done == 0


def same_state(a: TrainerState, b: TrainerState) -> bool:
    """Whether two states continue identically: every field equal, arrays bit for bit."""
    def arrays_equal(x, y) -> bool:
        if x is None or y is None:
            return x is y
        return x.shape == y.shape and np.array_equal(x, y, equal_nan=True)

    return a.config == b.config and (a.dataset is b.dataset or _same_data(a.dataset, b.dataset)) \
        and arrays_equal(a.params, b.params) and a.optimizer[0] == b.optimizer[0] \
        and all(arrays_equal(x, y) for x, y in zip(a.optimizer[1:], b.optimizer[1:])) \
        and a.learning_rate == b.learning_rate and a.step == b.step and a.samples_seen == b.samples_seen \
        and a.shuffle_state == b.shuffle_state and a.epoch_state == b.epoch_state and a.cursor == b.cursor \
        and a.phases_done == b.phases_done


def _same_data(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("x_train", "y_train", "x_test", "y_test"))
