"""Races: several optimizers or learning rates from the same TrainerState, N updates each, and the path of two
chosen weights (and J) that each one takes: the lesson of "The learning rate" (too small crawls, too large
diverges) drawn on a surface.

Each contender is the run itself, resumed from the state (Trainer.resume) with its optimizer or learning rate
replaced the way the window replaces them between two updates (Trainer.apply_config): a new rule starts with
fresh moments, a new learning rate alone keeps them. So a contender's path is, bit for bit, what the run would
have done had it been changed there. A run that goes non-finite stops there: its path ends at its last finite
weights and it is reported as diverged at that update, not as an error.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import numpy as np

from ffviz.engine.config import OPTIMIZERS, validate
from ffviz.engine.network import Network
from ffviz.engine.snapshot import readonly
from ffviz.errors import FfvizError

MAX_RACE_STEPS = 100_000
MAX_CONTENDERS = 12
YIELD_SECONDS = 0.02


@dataclass(frozen=True)
class Contender:
    """One runner: the update rule and learning rate (None: the state's), and a legend label."""

    optimizer: str | None = None
    learning_rate: float | None = None
    label: str = ""

    def __post_init__(self):
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise FfvizError(f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
        if self.learning_rate is not None:
            lr = self.learning_rate
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) \
                    or not 0 < lr <= 1e6:
                raise FfvizError(f"a learning rate must be a number between 0 and 1e6, not {lr!r}")
            object.__setattr__(self, "learning_rate", float(lr))

    def name(self, state) -> str:
        """The legend's label: given, or e.g. "sgd, η = 0.1"."""
        if self.label:
            return self.label
        opt = self.optimizer or state.config.optimizer.name
        lr = state.learning_rate if self.learning_rate is None else self.learning_rate
        return f"{opt}, η = {lr:g}"


@dataclass(frozen=True)
class RaceRequest:
    weights: tuple[int, int]  # the two weights whose path is recorded (flat positions)
    contenders: tuple[Contender, ...]
    steps: int  # updates per contender

    def __post_init__(self):
        if len(self.weights) != 2:
            raise FfvizError("a race records the path of two weights")
        object.__setattr__(self, "weights", tuple(int(w) for w in self.weights))
        object.__setattr__(self, "contenders", tuple(self.contenders))
        if not 1 <= len(self.contenders) <= MAX_CONTENDERS:
            raise FfvizError(f"a race has 1 to {MAX_CONTENDERS} contenders, not {len(self.contenders)}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, (int, np.integer)) \
                or not 1 <= self.steps <= MAX_RACE_STEPS:
            raise FfvizError(f"a race runs 1 to {MAX_RACE_STEPS} updates, not {self.steps!r}")


@dataclass(frozen=True, eq=False)
class RacePath:
    """One contender's run: `path[t]` the two weights after update steps[t] (steps[0] is the start), `loss[t]`
    J on the whole training set there. Arrays are read-only."""

    contender: Contender
    label: str
    steps: np.ndarray  # (k + 1,) absolute update numbers
    path: np.ndarray  # (k + 1, 2)
    loss: np.ndarray  # (k + 1,)
    diverged_at: int | None  # the update at which the run went non-finite; None: all N ran
    reason: str | None = None  # the trainer's words for it

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


@dataclass(frozen=True, eq=False)
class RaceResult:
    request: RaceRequest
    names: tuple[str, str]
    start_step: int
    paths: tuple[RacePath, ...]


@dataclass(frozen=True, eq=False)
class RaceProgress:
    """Updates run so far of all contenders' (done of total); `paths` the contenders finished; `result` set on
    the last one."""

    done: int
    total: int
    paths: tuple[RacePath, ...]
    result: RaceResult | None = None


def contender_state(state, contender: Contender):
    """The TrainerState a contender starts from: the run's, with its optimizer or learning rate replaced as
    Trainer.apply_config would replace them (a new rule: fresh moments; a learning rate alone: kept)."""
    old = state.config.optimizer
    lr = float(state.learning_rate if contender.learning_rate is None else contender.learning_rate)
    new = replace(old, name=contender.optimizer or old.name, learning_rate=lr)
    config = validate(replace(state.config, optimizer=new))  # e.g. the perceptron rule needs step neurons
    moments = state.optimizer if replace(old, learning_rate=lr) == new else (0, None, None)
    return replace(state, config=config, optimizer=moments, learning_rate=lr)


def _run(request: RaceRequest, state, contender: Contender, budget: float, progress: list):
    """Generator: one contender's run, yielding between updates at least every `budget` seconds."""
    from ffviz.engine.surface import Landscape  # surface imports nothing of this module: no cycle either way
    from ffviz.engine.trainer import Trainer

    start = contender_state(state, contender)
    trainer = Trainer.resume(start, run_id=0)
    p, q = request.weights
    params = [trainer.params]
    last = time.perf_counter()
    diverged = None
    for _ in range(request.steps):
        if trainer.step(1) != 1:
            diverged = trainer.diverged
            break
        params.append(trainer.params)  # read-only and never mutated: kept by reference
        progress[0] += 1
        now = time.perf_counter()
        if now - last >= budget:
            last = now
            yield None
    params = np.array(params)
    steps = np.arange(start.step, start.step + len(params))
    net = Network.of(start.config)
    ds = start.dataset
    landscape = Landscape(net, ds.x_train, ds.y_train, start.params, start.config.regularization)
    yield RacePath(contender, contender.name(state), readonly(steps), readonly(params[:, [p, q]].copy()),
                   readonly(landscape.path_losses(params)), None if diverged is None else int(diverged.step),
                   None if diverged is None else diverged.reason)


def race_progress(request: RaceRequest, state, *, budget: float = YIELD_SECONDS) -> Iterator[RaceProgress]:
    """Run the race, contender after contender, yielding a RaceProgress at least every `budget` seconds of work
    (stop iterating to cancel); the last one carries the result."""
    size = state.params.shape[0]
    for w in request.weights:
        if not 0 <= w < size:
            raise FfvizError(f"parameter {w} is out of range (0..{size - 1})")
    if request.weights[0] == request.weights[1]:
        raise FfvizError("a race records two different weights")
    for c in request.contenders:
        contender_state(state, c)  # every contender's config is checked before any runs
    total = request.steps * len(request.contenders)
    counter = [0]
    paths: list[RacePath] = []
    for contender in request.contenders:
        for item in _run(request, state, contender, budget, counter):
            if item is None:
                yield RaceProgress(counter[0], total, tuple(paths))
            else:
                paths.append(item)
                if item.diverged:  # the updates it did not run count as done
                    counter[0] = request.steps * len(paths)
    layout = Network.of(state.config).layout
    result = RaceResult(request, (layout.name(request.weights[0]), layout.name(request.weights[1])),
                        int(state.step), tuple(paths))
    yield RaceProgress(total, total, tuple(paths), result)


def run_race(request: RaceRequest, state, *, cancelled: Callable[[], bool] | None = None) -> RaceResult | None:
    """The whole race at once (None if `cancelled()` became true between two chunks)."""
    for progress in race_progress(request, state):
        if progress.result is not None:
            return progress.result
        if cancelled is not None and cancelled():
            return None
    raise AssertionError("unreachable: the last progress carries the result")
