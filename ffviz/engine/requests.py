"""Requests for derived data (a loss surface, the gradient at the current weights, a race of optimizers), and
their answers. A request is frozen and carries everything it needs, all immutable (a TrainerState shares the
run's arrays by reference), so it can be answered on any thread while training goes on.

Each request belongs to a channel (one per view and purpose); a newer request on a channel makes an older one
pointless, and a view keeps only answers to the latest request it made for the snapshot it shows (see
ui/compute.py). `compute(cancelled)` may stop early, between chunks, when `cancelled()` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from ffviz.engine.network import Network
from ffviz.engine.snapshot import readonly
from ffviz.engine.state import TrainerState


class Cancelled(Exception):
    """A computation stopped because a newer request made it pointless."""


@dataclass(frozen=True, eq=False)
class Request:
    channel: str
    run_id: int
    step: int  # the update of the snapshot the request was made for
    serial: int = 0  # the snapshot's serial: several requests for one step stay in order
    # Heavy enough to be answered in the compute process (engine/compute_process.py) when there is one: a
    # class attribute, not a field
    offload: ClassVar[bool] = False

    @property
    def key(self) -> tuple:
        return (self.channel, self.run_id, self.step, self.serial)

    def compute(self, cancelled: Callable[[], bool] = lambda: False):
        raise NotImplementedError


@dataclass(frozen=True)
class Answer:
    request: Request
    value: object = None
    error: str | None = None  # one line for the user, when the request could not be answered


@dataclass(frozen=True)
class Gradient:
    """J and ∂J/∂params at a point, on the whole training set (not the last mini-batch's)."""

    loss: float
    gradient: np.ndarray


@dataclass(frozen=True, eq=False)
class GradientRequest(Request):
    """The gradient at the run's current weights on the full training set: the tangent a view draws."""

    state: TrainerState = field(default=None, repr=False)

    def compute(self, cancelled=lambda: False) -> Gradient:
        s = self.state
        net = Network.of(s.config)
        loss, grad = net.gradient(s.dataset.x_train, s.dataset.y_train, s.params, s.config.regularization)
        return Gradient(float(loss), readonly(grad))


def answer(request: Request, cancelled: Callable[[], bool] = lambda: False) -> Answer | None:
    """Compute a request; None when cancelled, an Answer with a one-line error when it could not be done."""
    from ffviz.errors import FfvizError
    try:
        with np.errstate(all="ignore"):
            return Answer(request, request.compute(cancelled))
    except Cancelled:
        return None
    except FfvizError as exc:
        return Answer(request, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the view in one line, never a traceback
        return Answer(request, error=f"internal error: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Lecture:
    """The formulas of a trace's last phase and the chain rule of one weight (so far), for the lecture panels."""

    formulas: tuple
    chain: object = None  # engine.chain.ChainRule, partial while the backward pass is under way
    chain_note: str = ""  # why there is no chain (yet)
    update: tuple = ()  # the weight's update formula, once the update is done


@dataclass(frozen=True, eq=False)
class LectureRequest(Request):
    """What lecture mode writes under the diagram and in the chain-rule panel, from a snapshot's trace.
    `focus`: (layer, unit, inputs) the formulas are about (None: the output's first unit); `weight`: (layer,
    kind, index) of the chain rule (None: no chain)."""

    trace: object = field(default=None, repr=False)
    kernels: tuple = ()  # the weights the update started from
    biases: tuple = ()
    config: object = field(default=None, repr=False)
    sample: int = 0
    focus: tuple | None = None
    weight: tuple | None = None

    def compute(self, cancelled=lambda: False) -> Lecture:
        from ffviz.engine import lecture
        from ffviz.engine.chain import chain_rule
        from ffviz.errors import FfvizError
        tr, cfg = self.trace, self.config
        net = Network.of(cfg)
        acts = net.activations
        ph = tr.last_phase
        names = lecture.names_of(self.kernels)
        n = len(self.kernels)
        layer, unit, inputs = self.focus if self.focus is not None else (n, 0, None)
        s = min(self.sample, tr.n - 1)
        if ph is None:
            formulas = []
        elif ph.kind == "forward":
            formulas = lecture.forward_formulas(tr, self.kernels, self.biases, acts, ph.layer,
                                                unit if ph.layer == layer else 0, s, names)
        elif ph.kind == "loss":
            formulas = lecture.loss_formulas(tr, net.loss, s, names)
        elif ph.kind == "backward":
            formulas = lecture.backward_formulas(tr, self.kernels, acts, ph.layer, unit if ph.layer == layer else 0,
                                                 s, names, inputs if ph.layer == layer else None)
        else:
            formulas = lecture.update_formulas(tr, layer, unit, names, inputs, cfg.optimizer.name,
                                               cfg.optimizer.train_only)
        chain, note, update = None, "", ()
        if self.weight is not None:
            wl, kind, index = self.weight
            if tr.z[-1] is None:
                note = "the chain rule needs the forward pass done"
            else:
                try:
                    chain = chain_rule(tr, self.kernels, acts, wl, kind, index,
                                       (cfg.regularization.kind, cfg.regularization.rate), partial=True)
                except FfvizError as exc:
                    note = str(exc)
                if ph is not None and ph.kind == "update":
                    upd = lecture.update_formulas(tr, wl, index[-1], names,
                                                  [index[0]] if kind == "kernel" else [], cfg.optimizer.name,
                                                  cfg.optimizer.train_only)
                    update = tuple(upd[:1] if kind == "kernel" else upd[-1:])
        return Lecture(tuple(formulas), chain, note, update)


# ---------------------------------------------------------------- loss surfaces (engine/surface.py, engine/race.py)

def _until_done(progresses, cancelled):
    """The result of the last progress of a chunked computation; Cancelled between chunks when asked."""
    for progress in progresses:
        if progress.result is not None:
            return progress.result
        if cancelled():
            raise Cancelled()
    raise AssertionError("unreachable: the last progress carries the result")


@dataclass(frozen=True, eq=False)
class SurfaceViewRequest(Request):
    """A loss surface around the run's current weights, with the run's recorded path drawn on it."""

    offload = True
    state: TrainerState = field(default=None, repr=False)
    surface: object = None  # engine.surface.SurfaceRequest
    trajectory: object = field(default=None, repr=False)  # engine.timeline.Trajectory, or None

    def compute(self, cancelled=lambda: False):
        from ffviz.engine.surface import Landscape, surface_progress
        return _until_done(surface_progress(self.surface, Landscape.of(self.state), self.trajectory), cancelled)


@dataclass(frozen=True, eq=False)
class SurfacePointRequest(Request):
    """Where the run is now on a surface computed earlier, with J and the next step −η∇J at its weights."""

    state: TrainerState = field(default=None, repr=False)
    result: object = field(default=None, repr=False)  # engine.surface.SurfaceResult

    def compute(self, cancelled=lambda: False):
        from ffviz.engine.surface import Landscape, next_update, point_on
        s = self.state
        opt, n = s.config.optimizer, s.dataset.x_train.shape[0]
        rule = opt.name if opt.batch_size is None or opt.batch_size >= n else f"{opt.name}, a batch of {opt.batch_size}"
        return point_on(self.result, Landscape.of(s), next_update(s), rule)


@dataclass(frozen=True, eq=False)
class SliceViewRequest(Request):
    """J along one weight, with the tangent and the step at its current value."""

    state: TrainerState = field(default=None, repr=False)
    slice: object = None  # engine.surface.SliceRequest
    trajectory: object = field(default=None, repr=False)

    def compute(self, cancelled=lambda: False):
        from ffviz.engine.surface import Landscape, compute_slice
        return compute_slice(self.slice, Landscape.of(self.state), self.trajectory)


@dataclass(frozen=True, eq=False)
class RaceViewRequest(Request):
    """Optimizers or learning rates raced from the run's current state (engine/race.py)."""

    offload = True
    state: TrainerState = field(default=None, repr=False)
    race: object = None  # engine.race.RaceRequest

    def compute(self, cancelled=lambda: False):
        from ffviz.engine.race import race_progress
        return _until_done(race_progress(self.race, self.state), cancelled)
