"""The training worker: a QObject living in its own QThread that owns the run (the engine's Runner).

The GUI talks to it only through queued signals connected to its slots, so every command (play, pause,
step, reset, a new learning rate) runs in the worker thread between two updates, never in the middle of
one, and no locks are needed. A QTimer in the worker runs a bounded batch of updates per tick.

Frames: the worker sends an immutable snapshot at most every FRAME_SECONDS, and no other until the GUI says
it has drawn the last (back-pressure: a slow window gets fewer frames, never a queue of them).

Where the training runs (engine/training_process.py):
- Playing "as fast as it goes", the Runner sends the run to a training process once that process has
  started, and each frame takes in what the process did: training overlaps with the window's drawing, on
  another core, with another interpreter lock. The snapshots are made here either way, from the same
  Trainer. Every command reaches the run through `self._trainer`, which brings it home first, so commands
  take effect between two updates and everything else (stepping, phases, edits, exports) works here. If the
  process cannot start or dies, the worker says so in one line and trains here from then on.
- Otherwise (a set speed, a single step, or until the process is ready) it trains here, in bursts. Both
  threads then run Python in one process and share one interpreter lock; training while the GUI paints would
  make every one of the GUI's thousands of small Qt calls wait for the lock, so they take turns: the worker
  trains for a burst, sends a snapshot, and trains no more until the GUI has drawn it. A burst lasts at
  least as long as making and drawing the last frame took (training gets at least half the time) and fills
  the rest of a FRAME_SECONDS frame when the window draws quicker than that.
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace

from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot

from ffviz.engine.config import RunConfig
from ffviz.engine.presets import load_preset
from ffviz.engine.trainer import Trainer
from ffviz.engine.training_process import Returned, Runner
from ffviz.errors import FfvizError

# The shortest time between two snapshots: at most 40 frames a second. Training here (taking turns) gets more
# than half the time only while making and drawing a frame takes less than half of this: 8 ms at 1/60 s, which
# a window on a 2-core machine rarely manages; 12.5 ms at 1/40 s. That is why free-running training moves to
# the training process, which trains while the window draws.
FRAME_SECONDS = 1 / 40
MAX_BURST = 0.030  # the longest training burst, so a slow-drawing window still sees ~15 frames a second
TICK_BUDGET = 0.008  # seconds of training per timer tick, so queued commands wait at most this long
PLANE_RESOLUTION = 48
SPEEDS = (1, 2, 5, 10, 30, 100, 1000, 0)  # updates per second; 0: as fast as it goes


def burst_after(draw: float) -> float:
    """Seconds to train after a frame that took `draw` seconds to make and draw: as long as that (half the
    time trains, half shows it), or the rest of a FRAME_SECONDS frame when drawing is quicker than half of
    it; never longer than MAX_BURST."""
    return min(MAX_BURST, max(draw, FRAME_SECONDS - draw, 0.002))


def guarded(method):
    """Whatever goes wrong in a command or a tick, the worker pauses and says so in one line; it never
    leaves a timer spinning on an error, and the window keeps working."""
    @functools.wraps(method)
    def wrapper(self, *args):
        try:
            return method(self, *args)
        except FfvizError as exc:
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback reaches a user
            self._fail(f"internal error: {type(exc).__name__}: {exc}")
    return wrapper


class TrainingWorker(QtCore.QObject):
    snapshot_ready = Signal(object)  # Snapshot
    failed = Signal(str)  # a command was refused: one line for the user; nothing changed
    diverged = Signal(object)  # Divergence: training paused itself
    playing_changed = Signal(bool)
    # how ("live", "data", "rebuild", "same", "loaded", "reset", "restored", "session"), the RunConfig, its files'
    # folder
    config_applied = Signal(str, object, object)
    session_saved = Signal(str)  # the path a session was written to
    run_captured = Signal(object)  # a SavedRun: a copy of the run (engine/session_state.py), for animations

    def __init__(self, config: RunConfig, base_dir=None, use_process: bool = True):
        super().__init__()  # no parent: it is moved to its thread
        trainer = Trainer(config, base_dir=base_dir)  # fails here, in the caller, if config is bad
        self._runner = Runner(trainer, use_process=use_process, abort=lambda: self._stop_requested,
                              on_returned=self._on_returned, on_lost=self._on_lost)
        self._timer = QtCore.QTimer(self)  # a child, so it moves to the worker thread with us
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_tick)
        self._frame_timer = QtCore.QTimer(self)  # the next frame from the training process
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._remote_frame)
        self._playing = False
        self._speed = 0.0
        self._owed = 0.0  # updates due at a set speed but not yet run
        self._last_tick = time.perf_counter()
        self._last_emit = 0.0
        self._in_flight = False  # a snapshot is on its way to the GUI and not yet drawn
        self._dirty = False  # the state changed since the last snapshot sent
        self._burst_start = 0.0
        self._burst = FRAME_SECONDS  # training time between snapshots, matched to the GUI's drawing time
        self._per_update: float | None = None  # seconds per update, learned as we go; None: not yet known
        self._stop_requested = False  # set from the GUI thread on shutdown; read between chunks
        self._announced = None  # the divergence the GUI has been told about
        self._rewound: int | None = None  # the earlier update shown (the rewind timeline); None: the newest
        self._branch = None  # History of the updates a branch left behind, kept to be drawn faded (or None)
        self.plane_resolution = PLANE_RESOLUTION

    @property
    def _trainer(self) -> Trainer:
        """The run, at home: every command goes through here, so none can act on a run in the process."""
        return self._runner.trainer

    # ------------------------------------------------------------------ commands (slots)

    @Slot()
    @guarded
    def play(self) -> None:
        if self._refused_while_rewound():
            return
        if self._trainer.diverged is not None:
            self.failed.emit("training diverged: go back to where it was still improving (or reset) first")
            return
        if not self._playing:
            self._playing = True
            self._owed = 0.0
            self._last_tick = self._burst_start = time.perf_counter()
            if not self._in_flight:
                self._timer.start()
            self.playing_changed.emit(True)

    @Slot()
    @guarded
    def pause(self) -> None:
        self._runner.come_home()
        if self._playing:
            self._playing = False
            self._timer.stop()
            self._frame_timer.stop()
            self.playing_changed.emit(False)
        self._publish(force=True)

    @Slot()
    @guarded
    def toggle(self) -> None:
        # Decided before the run comes back: a run that stopped on its own in the process (diverged, an
        # error) has paused the worker by then, and Space was pressed to pause, not to play again.
        playing = self._playing
        self._runner.come_home()
        self.pause() if playing else self.play()

    @Slot(int)
    @guarded
    def step(self, n: int = 1) -> None:
        """Pause, then run exactly n updates (completing one that was stepped into phase by phase)."""
        if self._refused_while_rewound():
            return
        self.pause()
        self._trainer.step(max(1, int(n)))
        self._after_training()
        self._publish(force=True)

    @Slot()
    @guarded
    def step_phase(self) -> None:
        """Pause, then do one phase: a layer of the forward pass, the loss, a layer of the backward pass,
        or the update."""
        if self._refused_while_rewound():
            return
        self.pause()
        self._trainer.step_phase()
        self._after_training()
        self._publish(force=True)

    @Slot()
    @guarded
    def step_back_phase(self) -> None:
        """Pause, then undo the last phase (exactly, through the timeline): the lecture's "back one slide"."""
        if self._refused_while_rewound():
            return
        self.pause()
        if not self._trainer.step_back_phase():
            self.failed.emit("this is the start of the run: there is no phase before it")
        self._publish(force=True)

    @Slot()
    @guarded
    def reset(self) -> None:
        self._rewound = self._branch = None  # a new start: the timeline starts again too
        self.pause()
        self._trainer.reset()
        self.config_applied.emit("reset", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @Slot(object)
    @guarded
    def apply_config(self, config: RunConfig) -> None:
        """Adopt a changed config: live changes keep the weights, structural ones rebuild the network."""
        if self._refused_while_rewound():
            return
        try:
            how = self._trainer.apply_config(config)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        if how not in ("live", "same"):
            self.pause()
            self._per_update = None  # a new network or data set: learn its speed again
        self.config_applied.emit(how, self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @Slot(object, object)
    @guarded
    def load_config(self, config: RunConfig, base_dir=None) -> None:
        """Start a new run from a config (a preset or a network file): always a rebuild."""
        self.pause()
        try:
            self._trainer.load(config, base_dir)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self._rewound = self._branch = None
        self._per_update = None
        self.config_applied.emit("loaded", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @Slot(str)
    @guarded
    def load_preset(self, name: str) -> None:
        try:
            config = load_preset(name)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self.load_config(config, None)

    @Slot(float)
    @guarded
    def set_learning_rate(self, lr: float) -> None:
        if self._refused_while_rewound():
            return
        try:
            self._trainer.set_learning_rate(lr)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self.config_applied.emit("live", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @Slot(float)
    @guarded
    def set_speed(self, updates_per_second: float) -> None:
        """Updates per second while playing; 0 means as fast as the machine goes."""
        self._runner.come_home()  # a set speed trains here
        self._speed = max(0.0, float(updates_per_second))
        self._owed = 0.0
        self._timer.setInterval(0 if self._speed == 0 or self._speed > 1 / FRAME_SECONDS
                                else int(1000 / self._speed / 2))
        if self._playing and not self._in_flight:
            self._timer.start()

    @Slot(int, str, object, float)
    @guarded
    def set_parameter(self, layer: int, kind: str, index, value: float) -> None:
        self.set_parameters({(layer, kind, tuple(index)): value})

    @Slot(object)
    @guarded
    def set_parameters(self, values: dict) -> None:
        """Set several weights by hand at once ({(layer, kind, index): value}); all or none."""
        if self._refused_while_rewound():
            return
        try:
            self._trainer.set_parameters(values)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self._publish(force=True)

    @Slot(str, object)
    @guarded
    def save_session(self, path: str, view: dict) -> None:
        """Write the run as a session file (with the window's view settings); it goes on playing if it was."""
        from ffviz.engine.session_state import capture
        from ffviz.io.session import save_session
        try:
            save_session(path, capture(self._trainer), view)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self.session_saved.emit(path)

    @Slot(object)
    @guarded
    def load_session(self, saved) -> None:
        """Make a saved run (a session file's, already read and checked) the run: paused, where it was saved.
        Refused (data that does not fit its network, …): one line, and the run stays as it was."""
        from ffviz.engine.session_state import restore
        self.pause()
        try:
            trainer = restore(saved)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self._runner.replace_trainer(trainer)
        self._rewound = self._branch = None
        self._per_update = None
        self._announced = None
        self.config_applied.emit("session", trainer.config, trainer.base_dir)
        self._publish(force=True)

    @Slot()
    @guarded
    def capture(self) -> None:
        """Send a copy of the run as it is now (run_captured), e.g. to animate its next updates elsewhere; while
        an earlier update is shown, of the run as it was then (the next updates are the ones after it)."""
        from ffviz.engine.session_state import capture
        try:
            trainer = self._trainer if self._rewound is None else self._trainer.copy_at(self._rewound)
            saved = capture(trainer)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self.run_captured.emit(saved)

    @Slot(bool)
    @guarded
    def recover(self, divide_learning_rate: bool = False) -> None:
        """After divergence: back to the last update at which the run was still improving (exactly, via the
        timeline), optionally with the learning rate divided by 10."""
        self._rewound = None  # going back to where the loss still fell branches there, as it always did
        self.pause()
        self._trainer.recover(divide_learning_rate)
        self._announced = None
        self.config_applied.emit("restored", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @Slot(object)
    @guarded
    def set_plane_slice(self, plane_slice) -> None:
        """More than two inputs: which two span the plane and where the others are held (engine.plane). It
        changes what is drawn, not the run, so it works while rewound too."""
        try:
            self._trainer.set_plane_slice(plane_slice)
        except FfvizError as exc:
            self.failed.emit(str(exc))
            return
        self._publish(force=True)

    @Slot(int)
    @guarded
    def rewind_to(self, k: int) -> None:
        """Show update k (the rewind timeline): the views get the run as it was after update k, exactly
        (Trainer.snapshot_at: restored from the timeline here, in the worker's thread), while the run itself
        stays at its newest update, which k = that update (End) shows again. Pauses. A drag sends many of
        these: each only moves the target, and the snapshot of the newest target goes when the GUI has drawn
        the last (the back-pressure of every frame), so the GUI never waits for positions it has passed."""
        k = int(k)
        trainer = self._trainer  # at home from here on
        first = trainer.timeline.first_step
        first = trainer.step_count if first is None else first
        if not first <= k <= trainer.step_count:
            self.failed.emit(f"update {k} is not on the timeline (updates {first} to {trainer.step_count})")
            return
        self._rewound = None if k == trainer.step_count else k
        self.pause()  # and publish k (or, while a frame is being drawn, once it has been)

    @Slot(bool)
    @guarded
    def branch_here(self, keep: bool = False) -> None:
        """Continue from the update shown (the GUI asked first): the run goes back to it exactly
        (Trainer.restore_step) and what came after it is dropped; the next update is k + 1. `keep`: the
        dropped updates' history stays, for the loss plot to draw faded (they cannot be restored)."""
        k = self._rewound
        if k is None:
            return
        self.pause()
        self._branch = self._trainer.history() if keep else None
        self._trainer.restore_step(k)
        self._rewound = None
        self._announced = None
        # the settings are update k's again (a learning rate changed after k is undone with the rest)
        self.config_applied.emit("same", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)

    @property
    def rewound(self) -> int | None:
        """The earlier update the views are shown, or None (the run's newest)."""
        return self._rewound

    def _refused_while_rewound(self) -> bool:
        """While an earlier update is shown, commands that would change the run wait for a decision: continue
        from here (branch_here) or back to the newest. Says so in one line; nothing changes."""
        if self._rewound is None:
            return False
        self.failed.emit(f"showing update {self._rewound} of {self._trainer.step_count}: continue from here "
                         f"(Play or Step asks first) or press End to return to update {self._trainer.step_count}")
        # the controls show the run's settings again (an edit typed there did not happen)
        self.config_applied.emit("same", self._trainer.config, self._trainer.base_dir)
        self._publish(force=True)
        return True

    @Slot()
    @guarded
    def frame_drawn(self) -> None:
        """The GUI has drawn the last snapshot: train the next burst (or ask the training process for the next
        frame), or send the newest state now if paused."""
        self._in_flight = False
        if self._runner.away:
            self._schedule_remote_frame()
            return
        now = time.perf_counter()
        draw = now - self._last_emit
        self._burst = burst_after(draw)  # `draw` counts from the start of making the snapshot
        if self._playing:
            self._burst_start = now
            if self._speed == 0:  # at a set speed the drawing time still counts towards the updates owed
                self._last_tick = now
            self._timer.start()
        elif self._dirty:
            self._publish(force=True)

    @Slot()
    def stop(self) -> None:
        """Stop training for good (the window is closing): the training process ends too (bounded)."""
        self._playing = False
        self._timer.stop()
        self._frame_timer.stop()
        self.end_process()

    def end_process(self) -> None:
        """End the training process, if there is one (bounded). From the worker's thread, or once it has ended."""
        self._runner.end()

    def _fail(self, message: str) -> None:
        try:
            self._runner.come_home()  # an error here while the process trains: stop it there too
        except Exception:  # noqa: BLE001 - reporting the first failure matters more
            self._runner.end()
        self._playing = False
        self._timer.stop()
        self._frame_timer.stop()
        self.playing_changed.emit(False)
        self.failed.emit(" ".join(message.split()))
        try:
            self._publish(force=True)
        except Exception:  # noqa: BLE001 - a snapshot that cannot be made is not worth a second error
            pass

    # ------------------------------------------------------------------ the loop

    @Slot()
    @guarded
    def _on_tick(self) -> None:
        if self._in_flight:  # the GUI is drawing: leave it the interpreter until it has (frame_drawn)
            self._timer.stop()
            return
        if self._playing and self._speed == 0 and self._runner.send_away():
            self._timer.stop()
            self._schedule_remote_frame()
            return
        now = time.perf_counter()
        elapsed, self._last_tick = now - self._last_tick, now
        if self._speed > 0:
            self._owed = min(self._owed + elapsed * self._speed, max(1.0, self._speed * 0.25))
            n = int(self._owed)
            if n == 0:
                return
        else:
            n = None
        # As many updates as fit in a tick, and no more than the burst has left: a burst that overruns
        # delays the frame, one that ends early wastes the GUI's turn.
        left = self._burst - (now - self._burst_start)
        deadline = now + max(0.0, min(TICK_BUDGET, left))
        done = 0
        trainer = self._trainer
        while not self._stop_requested and trainer.diverged is None and (n is None or done < n):
            # Small chunks, checked against the clock: a tick never runs much past its budget, whatever
            # an update costs (the estimate may be from another network), so commands wait ≤ ~TICK_BUDGET.
            if self._per_update is None:
                chunk = 1  # one update first, to learn what an update of this network costs
            else:
                chunk = max(1, int((deadline - time.perf_counter()) / self._per_update / 2))
            if n is not None:
                chunk = min(chunk, n - done)
            t0 = time.perf_counter()
            k = trainer.step(chunk)
            if k:
                cost = (time.perf_counter() - t0) / k
                self._per_update = cost if self._per_update is None else 0.7 * self._per_update + 0.3 * cost
            done += k
            if k < chunk or time.perf_counter() >= deadline:
                break
        if self._speed > 0:
            self._owed -= done
        self._after_training()
        self._dirty = True
        if (not self._playing or time.perf_counter() - self._burst_start >= self._burst
                or (0 < self._speed <= 1 / FRAME_SECONDS and done)):  # slow enough to show every update
            self._publish(force=True)

    def _after_training(self) -> None:
        """Pause and tell the GUI, once, when training has diverged."""
        div = self._runner.home_copy.diverged
        if div is not None and div is not self._announced:
            self._announced = div
            if self._playing:
                self._playing = False
                self._timer.stop()
                self._frame_timer.stop()
                self.playing_changed.emit(False)
            self.diverged.emit(div)

    def _publish(self, force: bool = False) -> None:
        """Send a snapshot now, unless the GUI is still drawing the last (then it goes when it is drawn)."""
        self._dirty = True
        now = time.perf_counter()
        if self._in_flight or (not force and now - self._last_emit < FRAME_SECONDS):
            return
        if self._rewound is not None:  # paused: the run is at home
            snap = self._trainer.snapshot_at(self._rewound, self.plane_resolution)
        else:
            snap = self._runner.snapshot(self.plane_resolution)
            if snap is not None and self._branch is not None:
                snap = replace(snap, branch=self._branch)
        if snap is None:  # the run came home on its own meanwhile; its callbacks said why (and may have sent one)
            if self._in_flight:
                return
            snap = self._runner.snapshot(self.plane_resolution)
        self._after_training()
        self._in_flight, self._dirty, self._last_emit = True, False, now
        self.snapshot_ready.emit(snap)

    # ------------------------------------------------------------------ the training process

    def _schedule_remote_frame(self) -> None:
        wait = self._last_emit + FRAME_SECONDS - time.perf_counter()
        self._frame_timer.start(max(0, round(wait * 1000)))

    @Slot()
    @guarded
    def _remote_frame(self) -> None:
        """The next frame of a run in the training process."""
        if not self._runner.away or self._in_flight:
            return
        self._publish(force=True)
        if self._playing and not self._runner.away and not self._in_flight:
            self._timer.start()  # it came home (the process was lost): train here

    def _on_returned(self, returned: Returned) -> None:
        """The run came back from the process on its own: it diverged, or an update failed."""
        self._frame_timer.stop()
        if returned.reason == "error":
            self._fail(returned.message)
        else:
            self._after_training()  # pauses and tells the GUI

    def _on_lost(self, message: str) -> None:
        """The process could not start, or died with the run: it goes on here from what was last taken in."""
        self._frame_timer.stop()
        self.failed.emit(message)
        if self._playing and not self._in_flight:
            self._timer.start()

    # ------------------------------------------------------------------ for tests and benchmarks

    @property
    def trainer(self) -> Trainer:
        """The run at home. Only for use from the worker's thread, or while the worker is paused (while it
        plays as fast as it goes, this is the copy the training process last reported)."""
        return self._runner.home_copy

    @property
    def runner(self) -> Runner:
        return self._runner

    @property
    def remote(self) -> bool:
        """Whether the training process has the run now."""
        return self._runner.away

    @property
    def playing(self) -> bool:
        return self._playing


class WorkerThread(QtCore.QObject):
    """Owns the QThread and the worker, and stops them cleanly (bounded wait) however the app ends."""

    def __init__(self, worker: TrainingWorker, parent=None):
        super().__init__(parent)
        self.worker = worker
        self.thread = QtCore.QThread()
        self.thread.setObjectName("ffviz-training")
        worker.moveToThread(self.thread)
        self.thread.finished.connect(worker.deleteLater)

    def start(self) -> None:
        self.thread.start()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop the worker, quit the thread's loop and wait for it (bounded); True when the thread ended."""
        if not self.thread.isRunning():
            self.worker.end_process()
            return True
        self.worker._stop_requested = True  # seen between two chunks of a tick, without waiting for the queue
        QtCore.QMetaObject.invokeMethod(self.worker, "stop", QtCore.Qt.ConnectionType.QueuedConnection)
        self.thread.quit()  # the loop may end before the queued stop runs
        process = self.worker.runner.process  # read once: the worker's thread may drop it meanwhile
        if process is not None:
            process.kill()  # its Trainer is not needed any more; a wait for its answer ends at once
        ended = self.thread.wait(timeout_ms)
        if ended:
            self.worker.end_process()  # the worker's thread is gone: its handle is ours now (joins the process)
        return ended
