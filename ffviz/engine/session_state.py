"""A run as a session keeps it (SavedRun), taken from a Trainer and made into one again, exactly.

`capture(trainer)` takes everything that decides how the run goes on and what its views show: the TrainerState
(config, data, parameters, optimizer moments, the shuffling generator's state, counters, the phase), the
timeline (trajectory and checkpoints, bounded as the timeline is) and the history (batch losses, evaluations,
the plotted batch curve). `restore(saved)` builds a Trainer from it that goes on bit for bit as the captured
one would have. ffviz/io/session.py turns a SavedRun into a file and back; nothing here knows about files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffviz.engine.history import Envelope
from ffviz.engine.insight import NormHistory
from ffviz.engine.state import TrainerState
from ffviz.engine.timeline import Timeline
from ffviz.engine.trainer import EVAL_COLUMNS, Trainer  # noqa: F401 - EVAL_COLUMNS: the order of `evals`
from ffviz.errors import FfvizError

UPDATE_COLUMNS = ("step", "batch_loss")


@dataclass(frozen=True, eq=False)
class SavedRun:
    """Everything a session holds of a run (arrays are copies or immutable; nothing refers to a live trainer)."""

    state: TrainerState  # the run now; its config and dataset are the run's
    base_dir: str | None  # where the config's relative data paths point (for a later change of data)
    updates: tuple  # UPDATE_COLUMNS, one array each
    evals: tuple  # EVAL_COLUMNS, one array each
    batch_curve: dict  # Envelope.parts()
    timeline: dict  # Timeline.parts(); its "checkpoints" are TrainerStates
    norms: dict | None = None  # NormHistory.parts(): the layer norms the vanishing-gradient view draws


def capture(trainer: Trainer) -> SavedRun:
    """The run of `trainer` now, as a session keeps it. A run that diverged is refused: its weights are not
    numbers to go on from."""
    if trainer.diverged is not None:
        raise FfvizError("training diverged: go back to where it was still improving (or reset) before "
                         "saving the session")
    timeline = trainer.timeline
    if not isinstance(timeline, Timeline):  # a trainer in the training process records into a Journal
        raise FfvizError("this run is being trained in the training process: take it back before saving")
    history = trainer.history()
    # The history's columns are views that never change (its buffers are only appended to, and growing or
    # truncating allocates new ones): kept as they are, a million updates' history is not copied to be saved.
    updates = (history.update_step, history.batch_loss)
    evals = tuple(np.array(c, dtype=float) for c in (
        history.eval_step, history.train_loss, history.test_loss, history.train_accuracy,
        history.test_accuracy, history.eval_learning_rate))  # EVAL_COLUMNS, η as it was at each evaluation
    base_dir = None if trainer.base_dir is None else str(trainer.base_dir)
    return SavedRun(trainer.state(), base_dir, updates, evals, trainer.batch_curve.parts(), timeline.parts(),
                    trainer.norm_history.parts())


def restore(saved: SavedRun) -> Trainer:
    """A trainer that is the saved run: training it on gives what the captured trainer would have given.
    FfvizError (one line) if the parts do not make a run; nothing else is changed either way."""
    state = saved.state
    pairs = {(id(s.config), id(s.dataset)): s for s in [state] + list(saved.timeline["checkpoints"])}
    for s in pairs.values():  # once per distinct config and data: checkpoints share them
        check_data(s)
    run_id = Trainer._run_counter + 1  # the id a new run gets: newer than every run shown before (views compare)
    try:
        trainer = Trainer.resume(state, run_id, base_dir=saved.base_dir)
        timeline = Timeline.from_parts(saved.timeline)
        curve = Envelope.from_parts(**saved.batch_curve)
    except ValueError as exc:
        raise FfvizError(f"the saved run cannot be continued: {exc}") from None
    if timeline.size != trainer.layout.size:
        raise FfvizError(f"the saved timeline has {timeline.size} parameters per point but the network has "
                         f"{trainer.layout.size}")
    if timeline.last_step != state.step:
        raise FfvizError(f"the saved timeline ends at update {timeline.last_step}, not at the run's update "
                         f"{state.step}")
    trainer.adopt_record(saved.updates, saved.evals, curve, timeline)
    if saved.norms is not None:
        # Drawn, never trained on: layer norms that do not fit the network (an edited or older file) are
        # left out and the view starts drawing them from here, rather than refusing the whole run.
        try:
            trainer.adopt_norms(NormHistory.from_parts(trainer.n_layers, **saved.norms))
        except (ValueError, TypeError, FfvizError):
            pass
    return trainer


def check_data(state: TrainerState) -> None:
    """The state's data fits its network (widths, targets, memory budget), as Trainer checks new data."""
    Trainer._checked_dataset(state.config, state.dataset)
