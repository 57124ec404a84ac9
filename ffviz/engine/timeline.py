"""The run's timeline: where the weights were after every update, and how to get back to any update exactly.

Two records, both bounded however long a run goes:

- the trajectory: the flat parameters after every one of the most recent updates, and after fewer and fewer of
  the older ones (every 2nd, 4th, 8th … as they age: a geometric thinning), so the path of any weight or any
  projection of the weights can be drawn, recent moves in full detail;
- checkpoints: whole TrainerStates at intervals (every CHECKPOINT_EVERY updates, then every 2×, 4× … as the
  run grows, so there are never more than `max_checkpoints` of them), plus one at every event that a replay
  could not reproduce (a changed learning rate, a hand-edited weight, new data). Any update k from the oldest
  checkpoint on can be restored exactly: the nearest checkpoint at or before k, then k − c updates replayed.

A Journal has the same recording interface and keeps everything unthinned until it is taken: the training
process records into one and sends what it recorded to the window's trainer, whose Timeline takes it in.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from ffviz.engine.snapshot import readonly
from ffviz.engine.state import TrainerState

CHECKPOINT_EVERY = 256  # a power of two; the interval doubles as the run grows
MAX_CHECKPOINTS = 256  # periodic checkpoints kept at most (events are kept besides)
RECENT_BYTES = 4 << 20  # the trajectory's most recent updates, every one of them, in this much memory
OLDER_BYTES = 4 << 20  # the older, thinned part
DISPLAY_POINTS = 2048  # points of the trajectory a snapshot carries at most …
DISPLAY_BYTES = 2 << 20  # … and at most this much of them


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Points of a run's path through weight space: `params[i]` are the flat parameters after update
    `steps[i]` (0: the initial weights), steps ascending. Arrays are read-only."""

    steps: np.ndarray  # int64
    params: np.ndarray  # (points, parameters)

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def column(self, position: int) -> np.ndarray:
        """One parameter's path (its position in the flat vector, see ParamLayout.index)."""
        return self.params[:, position]


_EMPTY_STEPS = readonly(np.empty(0, dtype=np.int64))


def empty_trajectory(size: int) -> Trajectory:
    return Trajectory(_EMPTY_STEPS, readonly(np.empty((0, size))))


def _clamp(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


def _rows(steps, params, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps and their parameter rows as the timeline keeps them; ValueError if they do not match."""
    steps = np.asarray(steps, dtype=np.int64)
    params = np.asarray(params, dtype=float)
    if steps.ndim != 1 or params.shape != (steps.shape[0], size):
        raise ValueError(f"a timeline's rows must be steps and (steps × {size}) parameters")
    return steps.copy(), params.copy()


class Timeline:
    """The trajectory and the checkpoints of one run (see the module's docstring)."""

    def __init__(self, size: int, *, recent_bytes: int = RECENT_BYTES, older_bytes: int = OLDER_BYTES,
                 max_checkpoints: int = MAX_CHECKPOINTS, checkpoint_every: int = CHECKPOINT_EVERY,
                 display_points: int = DISPLAY_POINTS):
        self.size = int(size)
        row = 8 * max(1, self.size)
        self.recent = _clamp(recent_bytes // row, 16, 10_000)  # rows kept unthinned
        self.older_cap = _clamp(older_bytes // row, 16, 20_000)
        self.max_checkpoints = max(2, int(max_checkpoints))
        self.base_every = int(checkpoint_every)
        self._dense_steps = np.empty(2 * self.recent, dtype=np.int64)
        self._dense = np.empty((2 * self.recent, self.size))
        self._n = 0  # rows of the dense buffer in use
        self._old_steps = np.empty(0, dtype=np.int64)
        self._old = np.empty((0, self.size))
        self._stride = 1  # the older part keeps the steps that are multiples of this
        self._ckpt_steps: list[int] = []
        self._ckpts: dict[int, TrainerState] = {}
        self._pinned: set[int] = set()
        self._every = self.base_every  # periodic checkpoints at multiples of this
        # The points snapshots carry: the recorded steps that are multiples of _disp_stride, in buffers that are
        # only appended to (snapshots hold read-only views of them); when they fill, the stride doubles.
        self.display_cap = _clamp(DISPLAY_BYTES // row, 16, display_points)
        self._disp_stride = 1
        self._new_display(np.empty(0, dtype=np.int64), np.empty((0, self.size)))

    # ------------------------------------------------------------------ the trajectory

    def record(self, step: int, params: np.ndarray) -> None:
        """The parameters after update `step`. Recording a step again (a weight edited by hand between two
        updates) replaces it; a step before the last recorded one is a mistake: truncate first."""
        step = int(step)
        n = self._n
        last = self.last_step
        if last is not None and step <= last:
            if step < last:
                raise ValueError(f"step {step} recorded after step {last}; truncate first")
            if n:
                self._dense[n - 1] = params
            else:
                self._old[-1] = params
            if self._dn and self._disp_steps[self._dn - 1] == step:  # shown by snapshots: copy, then change
                rows = self._disp[:self._dn].copy()
                rows[-1] = params
                self._new_display(self._disp_steps[:self._dn].copy(), rows)
            return
        if n == self._dense_steps.shape[0]:
            self._spill()
            n = self._n
        self._dense_steps[n] = step
        self._dense[n] = params
        self._n = n + 1
        if step % self._disp_stride == 0:
            dn = self._dn
            if dn < self._disp_steps.shape[0]:  # the common case, without making arrays (once per update)
                steps, rows = self._disp_steps, self._disp
                steps.flags.writeable = rows.flags.writeable = True
                steps[dn] = step
                rows[dn] = params
                steps.flags.writeable = rows.flags.writeable = False
                self._dn = dn + 1
            else:
                self._display_append(np.array([step]), params[None])

    def extend(self, steps: np.ndarray, params: np.ndarray) -> None:
        """Record many updates at once (what a training process recorded), as `record` one by one would."""
        steps = np.asarray(steps, dtype=np.int64)
        params = np.asarray(params, dtype=float).reshape(len(steps), self.size)
        i = 0
        if len(steps) and self.last_step == steps[0]:
            self.record(int(steps[0]), params[0])
            i = 1
        start = i
        while i < len(steps):
            if self._n == self._dense_steps.shape[0]:
                self._spill()
            take = min(len(steps) - i, self._dense_steps.shape[0] - self._n)
            self._dense_steps[self._n:self._n + take] = steps[i:i + take]
            self._dense[self._n:self._n + take] = params[i:i + take]
            self._n += take
            i += take
        pick = steps[start:] % self._disp_stride == 0
        if pick.any():
            self._display_append(steps[start:][pick], params[start:][pick])

    def _spill(self) -> None:
        """Move the oldest `recent` rows of the dense buffer to the older part, keeping only every stride-th."""
        r = self.recent
        steps, rows = self._dense_steps[:r], self._dense[:r]
        keep = steps % self._stride == 0
        self._old_steps = np.concatenate([self._old_steps, steps[keep]])
        self._old = np.concatenate([self._old, rows[keep]])
        while self._old_steps.size > self.older_cap:
            self._stride *= 2
            keep = self._old_steps % self._stride == 0
            self._old_steps, self._old = self._old_steps[keep], self._old[keep]
        left = self._n - r
        self._dense_steps[:left] = self._dense_steps[r:self._n]
        self._dense[:left] = self._dense[r:self._n]
        self._n = left

    def _drop_old_after(self, step: int) -> None:
        keep = self._old_steps <= step
        self._old_steps, self._old = self._old_steps[keep], self._old[keep]

    @property
    def last_step(self) -> int | None:
        if self._n:
            return int(self._dense_steps[self._n - 1])
        return int(self._old_steps[-1]) if self._old_steps.size else None

    def recorded_steps(self) -> np.ndarray:
        """Every step whose parameters are recorded, ascending."""
        return np.concatenate([self._old_steps, self._dense_steps[:self._n]])

    def params_at(self, step: int) -> np.ndarray | None:
        """The parameters recorded after update `step`, or None if that step was thinned out (or not yet run)."""
        d = self._dense_steps[:self._n]
        i = int(np.searchsorted(d, step))
        if i < self._n and d[i] == step:
            return readonly(self._dense[i].copy())
        i = int(np.searchsorted(self._old_steps, step))
        if i < self._old_steps.size and self._old_steps[i] == step:
            return readonly(self._old[i].copy())
        return None

    def trajectory(self) -> Trajectory:
        """Every recorded point, a copy (for PCA planes and exports)."""
        return Trajectory(readonly(self.recorded_steps()),
                          readonly(np.concatenate([self._old, self._dense[:self._n]])))

    def display(self) -> Trajectory:
        """The points a view draws: the recorded steps that are multiples of the smallest power of two that
        leaves at most `display_cap` of them (the newest step is the run's current one: views add it). The
        same records give the same points; read-only views that later records never change."""
        n = self._dn
        return Trajectory(readonly(self._disp_steps[:n]), readonly(self._disp[:n]))

    def _new_display(self, steps: np.ndarray, params: np.ndarray) -> None:
        cap = 2 * self.display_cap
        self._disp_steps = np.empty(cap, dtype=np.int64)
        self._disp = np.empty((cap, self.size))
        self._dn = len(steps)
        self._disp_steps[:self._dn] = steps
        self._disp[:self._dn] = params
        readonly(self._disp_steps)
        readonly(self._disp)

    def _display_append(self, steps: np.ndarray, params: np.ndarray) -> None:
        """Append points (multiples of the stride); a full buffer first keeps only the multiples of a doubled
        stride (until at most display_cap are left), and the points still to come must be multiples of it."""
        while len(steps):
            n = self._dn
            room = self._disp_steps.shape[0] - n
            if room == 0:
                kept_steps, kept = self._disp_steps[:n], self._disp[:n]
                while len(kept_steps) > self.display_cap:
                    self._disp_stride *= 2
                    keep = kept_steps % self._disp_stride == 0
                    kept_steps, kept = kept_steps[keep], kept[keep]
                self._new_display(kept_steps, kept)
                keep = steps % self._disp_stride == 0
                steps, params = steps[keep], params[keep]
                continue
            take = min(room, len(steps))
            for buf, values in ((self._disp_steps, steps[:take]), (self._disp, params[:take])):
                buf.flags.writeable = True  # read-only between writes: views handed out cannot be made writable
                buf[n:n + take] = values
                buf.flags.writeable = False
            self._dn = n + take
            steps, params = steps[take:], params[take:]

    # ------------------------------------------------------------------ checkpoints

    def wants_checkpoint(self, step: int) -> bool:
        """Whether the state after update `step` should be offered (a multiple of the base interval)."""
        return step % self.base_every == 0

    def offer(self, state: TrainerState, pinned: bool = False) -> None:
        """A checkpoint: kept if `pinned` (an event) or on the current interval. A state between two updates
        only (the one an update in progress started from)."""
        if not state.between_updates():
            raise ValueError("a checkpoint is a state between two updates")
        step = int(state.step)
        if not pinned and step % self._every != 0:
            return
        if step not in self._ckpts:
            bisect.insort(self._ckpt_steps, step)
        self._ckpts[step] = state
        if pinned or step == 0:
            self._pinned.add(step)
        periodic = len(self._ckpt_steps) - len(self._pinned)
        while periodic > self.max_checkpoints:
            self._every *= 2
            for s in [s for s in self._ckpt_steps if s not in self._pinned and s % self._every]:
                del self._ckpts[s]
            self._ckpt_steps = sorted(self._ckpts)
            periodic = len(self._ckpt_steps) - len(self._pinned)

    def checkpoint_before(self, step: int) -> TrainerState | None:
        """The checkpoint with the largest step ≤ `step` (None: there is none that early)."""
        i = bisect.bisect_right(self._ckpt_steps, int(step))
        return self._ckpts[self._ckpt_steps[i - 1]] if i else None

    def checkpoints(self) -> list[TrainerState]:
        return [self._ckpts[s] for s in self._ckpt_steps]

    @property
    def first_step(self) -> int | None:
        """The earliest update that can be restored (the oldest checkpoint's), None when there is none."""
        return self._ckpt_steps[0] if self._ckpt_steps else None

    # ------------------------------------------------------------------ branching

    def truncate(self, step: int) -> None:
        """Forget everything after update `step` (the run goes on from there on another branch)."""
        d = self._dense_steps[:self._n]
        self._n = int(np.searchsorted(d, step, side="right"))
        self._drop_old_after(step)
        for s in [s for s in self._ckpt_steps if s > step]:
            del self._ckpts[s]
            self._pinned.discard(s)
        self._ckpt_steps = sorted(self._ckpts)
        keep = self._disp_steps[:self._dn] <= step
        if not keep.all():
            self._new_display(self._disp_steps[:self._dn][keep], self._disp[:self._dn][keep])

    def nbytes(self) -> int:
        """Memory held by the trajectory's arrays (checkpoints share their arrays with the run)."""
        return self._dense.nbytes + self._dense_steps.nbytes + self._old.nbytes + self._old_steps.nbytes

    # ------------------------------------------------------------------ sessions

    def parts(self) -> dict:
        """Everything that decides what the timeline holds and will hold (arrays copied, checkpoints by
        reference: they are immutable). `from_parts` gives a timeline that goes on exactly as this one would:
        the same points kept and thinned, the same checkpoints kept, the same display."""
        return {
            "size": self.size, "recent": self.recent, "older_cap": self.older_cap,
            "max_checkpoints": self.max_checkpoints, "checkpoint_every": self.base_every,
            "display_cap": self.display_cap,
            "dense_steps": self._dense_steps[:self._n].copy(), "dense": self._dense[:self._n].copy(),
            "old_steps": self._old_steps.copy(), "old": self._old.copy(), "stride": self._stride,
            "checkpoints": self.checkpoints(), "pinned": sorted(self._pinned), "every": self._every,
            "display_steps": self._disp_steps[:self._dn].copy(), "display": self._disp[:self._dn].copy(),
            "display_stride": self._disp_stride,
        }

    @classmethod
    def from_parts(cls, parts: dict) -> "Timeline":
        """The timeline `parts` described (see `parts`); ValueError if they cannot be one."""
        p = parts
        tl = cls.__new__(cls)
        tl.size = int(p["size"])
        tl.recent, tl.older_cap = int(p["recent"]), int(p["older_cap"])
        tl.max_checkpoints, tl.base_every = int(p["max_checkpoints"]), int(p["checkpoint_every"])
        tl.display_cap = int(p["display_cap"])
        if min(tl.recent, tl.older_cap, tl.display_cap, tl.base_every) < 1 or tl.max_checkpoints < 2:
            raise ValueError("a timeline's capacities must be positive")
        dense_steps, dense = _rows(p["dense_steps"], p["dense"], tl.size)
        old_steps, old = _rows(p["old_steps"], p["old"], tl.size)
        disp_steps, disp = _rows(p["display_steps"], p["display"], tl.size)
        if len(dense_steps) > 2 * tl.recent or len(old_steps) > tl.older_cap or len(disp_steps) > 2 * tl.display_cap:
            raise ValueError("a timeline holds more points than its capacities allow")
        steps = np.concatenate([old_steps, dense_steps])
        if np.any(np.diff(steps) <= 0) or np.any(np.diff(disp_steps) <= 0):
            raise ValueError("a timeline's steps must be increasing")
        tl._dense_steps = np.empty(2 * tl.recent, dtype=np.int64)
        tl._dense = np.empty((2 * tl.recent, tl.size))
        tl._n = len(dense_steps)
        tl._dense_steps[:tl._n], tl._dense[:tl._n] = dense_steps, dense
        tl._old_steps, tl._old = old_steps, old
        tl._stride, tl._every, tl._disp_stride = int(p["stride"]), int(p["every"]), int(p["display_stride"])
        if min(tl._stride, tl._every, tl._disp_stride) < 1:
            raise ValueError("a timeline's strides must be positive")
        states = list(p["checkpoints"])
        tl._ckpt_steps = [int(s.step) for s in states]
        if any(b <= a for a, b in zip(tl._ckpt_steps, tl._ckpt_steps[1:])):
            raise ValueError("a timeline's checkpoints must be at increasing steps")
        if not all(s.between_updates() for s in states):
            raise ValueError("a checkpoint is a state between two updates")
        tl._ckpts = dict(zip(tl._ckpt_steps, states))
        tl._pinned = {int(s) for s in p["pinned"]}
        if not tl._pinned <= set(tl._ckpts):
            raise ValueError("a pinned checkpoint must be one of the checkpoints")
        tl._new_display(disp_steps, disp)
        return tl


class Journal:
    """Records as a Timeline does, keeping everything until `take` (the training process's side)."""

    def __init__(self, size: int, checkpoint_every: int = CHECKPOINT_EVERY):
        self.size = int(size)
        self.base_every = int(checkpoint_every)
        self._steps: list[int] = []
        self._params: list[np.ndarray] = []  # the trainer's own read-only vectors, by reference
        self._states: list[TrainerState] = []

    first_step = None  # a journal restores nothing: the Timeline it is sent to does

    def record(self, step: int, params: np.ndarray) -> None:
        self._steps.append(int(step))
        self._params.append(params)

    def wants_checkpoint(self, step: int) -> bool:
        return step % self.base_every == 0

    def offer(self, state: TrainerState, pinned: bool = False) -> None:
        self._states.append(state)

    def truncate(self, step: int) -> None:
        while self._steps and self._steps[-1] > step:
            self._steps.pop()
            self._params.pop()
        self._states = [s for s in self._states if s.step <= step]

    def take(self) -> tuple[np.ndarray, np.ndarray, list[TrainerState]]:
        """(steps, params, checkpoint states) recorded since the last take."""
        steps = np.array(self._steps, dtype=np.int64)
        params = np.array(self._params) if self._params else np.empty((0, self.size))
        states = self._states
        self._steps, self._params, self._states = [], [], []
        return steps, params.reshape(len(steps), self.size), states
