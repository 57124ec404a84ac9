"""Where a run trains: in the caller's thread, or in a training process of its own. One interface, the Runner.

Training and drawing both run Python. In one process they share one interpreter lock, so the window's worker
(ffviz/ui/worker.py) makes them take turns, and on a 2-core machine training then gets less than half of its
headless speed at 30 frames a second (docs/benchmarks.md). While the window plays "as fast as it goes", the
Runner therefore sends the run away: a TrainingProcess gets the run's TrainerState and trains a Trainer resumed
from it, the same code in another interpreter, on another core.

The Runner keeps its own Trainer, the *home* copy, and every snapshot is made from it, wherever the run trains.
While the run is away, each frame the process reports its Progress (the new state, the last update's numbers,
the history rows and timeline records since the last report, the input plane) and the home copy absorbs it: it
is then the same run, so its snapshot is the one a run trained here would give. Anything else needs the run at
home: `Runner.trainer` takes it back first (the process sends its last Progress and waits), so a command acts
between two updates and cannot forget to bring the run home.

Messages (pickled by multiprocessing, between processes of this program only; nothing is read from a file):
    to the process:  ("run", state, run_id, batch_curve, norms, plane_slice) · ("frame", plane_resolution) · ("stop",) · None (exit)
    from it:         ("ready",) · ("progress", Progress) · ("returned", Progress, reason, message)
Reasons: "stopped" (asked to), "diverged", "error" (an update raised; message says what). No Qt here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import types
from dataclasses import dataclass

from ffviz.engine.snapshot import Snapshot, readonly_tree

CHUNK_SECONDS = 0.001  # training between two looks at the pipe: a request waits about this long
NICENESS = 5  # the training process's scheduling priority below the window's (Unix)
START_SECONDS = 30.0  # how long a new process may take to import NumPy and the engine (a cold disk is slow)


class ProcessGone(RuntimeError):
    """The training process ended or stopped answering."""


def _serve(conn) -> None:
    """The training process's loop (its target)."""
    # Ctrl+C in a terminal reaches the whole process group; the window decides what happens, not this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        os.nice(NICENESS)  # when the two compete for a core, the window's drawing goes first
    from ffviz.engine.trainer import Trainer
    from ffviz.errors import FfvizError
    conn.send(("ready",))
    trainer, marks, chunk = None, {}, 1

    def give_back(reason: str, message: str = "") -> None:
        nonlocal trainer
        conn.send(("returned", trainer.progress(marks), reason, message))
        trainer = None

    try:
        while True:
            if trainer is None or conn.poll():
                msg = conn.recv()  # waits while there is no run
                if msg is None:
                    return
                kind = msg[0]
                if kind == "run":
                    try:
                        trainer = Trainer.resume(msg[1], msg[2], journal=True, batch_curve=msg[3], norms=msg[4])
                        trainer.plane_slice = msg[5]  # the frames' planes are the slice the window chose
                        marks, chunk = {}, 1
                    except Exception as exc:  # noqa: BLE001 - a state that cannot run: it stays at home
                        conn.send(("returned", None, "error", f"the training process could not take the run: "
                                                              f"{type(exc).__name__}: {exc}"))
                        trainer = None
                elif trainer is None:
                    continue  # a request that crossed a run sent back unasked: it has its answer
                elif kind == "stop":
                    give_back("stopped")
                elif kind == "frame":
                    trainer.record_evaluation()  # may find the weights unusable: the run diverged
                    if trainer.diverged is not None:
                        give_back("diverged")
                    else:
                        conn.send(("progress", trainer.progress(marks, plane_resolution=msg[1])))
                continue
            t0 = time.perf_counter()
            try:
                done = trainer.step(chunk)
            except Exception as exc:  # noqa: BLE001 - reported to the worker, which pauses and says so
                give_back("error", str(exc) if isinstance(exc, FfvizError)
                          else f"internal error: {type(exc).__name__}: {exc}")
                continue
            if trainer.diverged is not None:
                give_back("diverged")
            elif done:
                per_update = (time.perf_counter() - t0) / done
                chunk = max(1, min(1000, int(CHUNK_SECONDS / per_update))) if per_update > 0 else 1000
    except (EOFError, OSError):
        return  # the worker's end closed (the window ended, however it ended): nothing left to train for


_SPAWNING = threading.Lock()  # the training worker's thread and the compute thread both spawn


def spawn(target, name: str):
    """(our end of a pipe, the started process running target(their end)): a daemon in a fresh interpreter."""
    ctx = mp.get_context("spawn")  # a fresh interpreter: no copy of the window's Qt state (fork would)
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=target, args=(theirs,), name=name, daemon=True)
    # A spawned process imports the parent's main module first (to find pickled functions defined there),
    # and runs it again if it is a script without an `if __name__ == "__main__"` guard: a user's script
    # would open a second window. The targets need nothing from it; an empty stand-in is imported instead.
    # Under a lock: two threads swapping at once would leave the stand-in in place of the real module.
    with _SPAWNING:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            proc.start()
        finally:
            sys.modules["__main__"] = main
    theirs.close()
    return ours, proc


class ChildProcess:
    """A process of this program's own (spawned by `spawn`, serving `target`), with its start and its end: the
    base of the training process's handle here and the compute process's (engine/compute_process.py).

    The child sends ("ready",) once it can work. A process that does not start in time, or has gone, raises
    ProcessGone, and the handle is closed (a new one can be made)."""

    what = "child"  # its name in messages: "the training process did not start"

    def __init__(self, target, name: str):
        self._conn, self._proc = spawn(target, name)
        self._ready = False
        self._started = time.perf_counter()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def ready(self) -> bool:
        """Whether the process has started and can take work (never waits)."""
        if not self._ready:
            try:
                if self._conn.poll():
                    self._ready = self._conn.recv() == ("ready",)
            except (EOFError, OSError) as exc:
                self.close()
                raise ProcessGone(f"the {self.what} process did not start ({exc})") from None
            if not self._ready and (not self.alive or time.perf_counter() - self._started > START_SECONDS):
                self.close()
                raise ProcessGone(f"the {self.what} process did not start")
        return self._ready

    def kill(self) -> None:
        """End the process now, from any thread: what it works on is thrown away (the window is closing).
        The owner's thread, if it waits for an answer, sees the process gone at once."""
        proc = self._proc
        if proc is not None:
            proc.kill()

    def close(self, timeout: float = 1.0) -> None:
        """End the process (killed: it holds nothing worth saving) and wait for it, bounded."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.kill()
        proc.join(timeout)
        self._conn.close()

    def _send(self, msg) -> None:
        if self._proc is None:
            raise ProcessGone(f"the {self.what} process was closed")
        try:
            self._conn.send(msg)
        except (OSError, ValueError) as exc:
            self.close()
            raise ProcessGone(f"the {self.what} process ended ({exc})") from None


class TrainingProcess(ChildProcess):
    """The handle on one training process. Used from one thread only.

    Every method that waits has a bound, and gives up early when `abort()` says so (the window is closing);
    a process that does not answer in time, or has gone, raises ProcessGone, and the handle is closed (a
    new one can be made).
    """

    what = "training"

    def __init__(self, abort=lambda: False):
        super().__init__(_serve, "ffviz-training")
        self._abort = abort
        self.running = False  # a run is out there

    def run(self, state, run_id: int, batch_curve=None, norms=None, plane_slice=None) -> None:
        """Hand the process this run (a TrainerState, its plotted batch loss and layer norms so far, and the
        slice its planes show: engine/plane.py) to train."""
        self._send(("run", state, run_id, batch_curve, norms, plane_slice))
        self.running = True

    def frame(self, plane_resolution: int | None, timeout: float = 10.0) -> tuple:
        """("progress", Progress), or ("returned", Progress, reason, message) when the run stopped on its own."""
        self._send(("frame", plane_resolution))
        msg = self._receive(timeout)
        if msg[0] == "returned":
            self.running = False
        readonly_tree(msg[1])
        return msg

    def take_back(self, timeout: float = 60.0) -> tuple:
        """Stop training; (Progress, reason, message) as the process left the run."""
        self._send(("stop",))
        while True:
            msg = self._receive(timeout)
            if msg[0] == "returned":
                self.running = False
                readonly_tree(msg[1])
                return msg[1], msg[2], msg[3]

    def poll_returned(self):
        """(Progress, reason, message) of a run the process sent back on its own, or None (never waits)."""
        try:
            while self._conn.poll():
                msg = self._conn.recv()
                if msg[0] == "returned":
                    self.running = False
                    readonly_tree(msg[1])
                    return msg[1], msg[2], msg[3]
        except (EOFError, OSError) as exc:
            self.close()
            raise ProcessGone(f"the training process ended ({exc})") from None
        return None

    def close(self, timeout: float = 1.0) -> None:
        self.running = False
        super().close(timeout)

    def _receive(self, timeout: float):
        deadline = time.perf_counter() + timeout
        try:
            while not self._conn.poll(0.05):
                if self._abort():
                    raise ProcessGone("the window is closing")
                if not self._proc.is_alive() and not self._conn.poll():
                    raise EOFError("it is no longer running")
                if time.perf_counter() > deadline:
                    self.close()
                    raise ProcessGone(f"the training process did not answer within {timeout:g} s")
            return self._conn.recv()
        except (EOFError, OSError) as exc:
            self.close()
            raise ProcessGone(f"the training process ended ({exc})") from None


@dataclass(frozen=True)
class Returned:
    """A run that came home from the process: why ("stopped", "diverged", "error") and what was said."""

    reason: str
    message: str = ""


class Runner:
    """One run, trained here or in the training process; see the module's docstring.

    `trainer` is the run at home (brought back first if away); `snapshot` is the run now, wherever it trains.
    `on_returned(Returned)` is called when a run comes back for a reason other than being asked to, and
    `on_lost(message)` when the process died with the run (it goes on from the last Progress absorbed).
    """

    def __init__(self, trainer, *, use_process: bool = True, abort=lambda: False,
                 on_returned=lambda returned: None, on_lost=lambda message: None):
        self._home = trainer
        self.use_process = use_process
        self._abort = abort
        self._process: TrainingProcess | None = None
        self._away = False
        self.on_returned, self.on_lost = on_returned, on_lost

    @property
    def trainer(self):
        """The run, here: taken back from the training process first if it is there."""
        self.come_home()
        return self._home

    @property
    def home_copy(self):
        """The run as last absorbed, without bringing it back (for reading only while it is away)."""
        return self._home

    @property
    def away(self) -> bool:
        """Whether the run trains in the training process now."""
        return self._away

    @property
    def process(self) -> TrainingProcess | None:
        return self._process

    def send_away(self) -> bool:
        """Hand the run to the training process (started on first use) if it is ready; False: it trains here
        for now (the process is still starting) or from now on (it could not start: `use_process` turns off,
        and on_lost says why)."""
        if self._away:
            return True
        if not self.use_process:
            return False
        try:
            if self._process is None:
                self._process = TrainingProcess(abort=self._abort)
            if not self._process.ready():
                return False
            self._process.run(self._home.state(), self._home.run_id, self._home.batch_curve,
                              self._home.norm_history, self._home.plane_slice)
        except Exception as exc:  # noqa: BLE001 - ProcessGone, or the OS refused a process: train here
            self._give_up(f"training goes on in the window's process: {exc}")
            return False
        self._away = True
        return True

    def snapshot(self, plane_resolution: int | None) -> Snapshot | None:
        """The run now as a snapshot: evaluated and taken here, or the process's progress absorbed first.
        None when the run came home on its own meanwhile (on_returned or on_lost has been called)."""
        if not self._away:
            tr = self._home
            tr.record_evaluation()  # may find the last update's weights unusable and flag divergence
            return tr.snapshot(plane_resolution=plane_resolution)
        try:
            msg = self._process.frame(plane_resolution)
        except ProcessGone as exc:
            self._lost(exc)
            return None
        if msg[0] == "returned":
            self._back(msg[1], msg[2], msg[3])
            return None
        self._home.absorb(msg[1])
        return self._home.snapshot(plane_resolution=plane_resolution)

    def come_home(self) -> None:
        """Take the run back from the training process (nothing happens when it is here)."""
        if not self._away:
            return
        try:
            progress, reason, message = self._process.take_back()
        except Exception as exc:  # noqa: BLE001 - ProcessGone, or a Progress that would not unpickle
            self._lost(exc)
            return
        self._back(progress, reason, message)

    def poll(self) -> None:
        """Notice a run the process sent back on its own (never waits)."""
        if not self._away:
            return
        try:
            back = self._process.poll_returned()
        except ProcessGone as exc:
            self._lost(exc)
            return
        if back is not None:
            self._back(*back)

    def replace_trainer(self, trainer) -> None:
        """A new run at home (the old one, if away, is dropped)."""
        if self._away:
            self.come_home()
        self._home = trainer

    def end(self) -> None:
        """End the training process, if there is one (bounded); the run stays where it was last absorbed."""
        self._away = False
        process, self._process = self._process, None
        if process is not None:
            process.close()

    def _back(self, progress, reason: str, message: str) -> None:
        self._away = False
        if progress is not None:  # None: the process never took the run
            self._home.absorb(progress)
        if reason != "stopped":
            self.on_returned(Returned(reason, message))

    def _lost(self, exc: Exception) -> None:
        """The process died with the run: it goes on from the last Progress absorbed (what it trained since
        is lost)."""
        self._away = False
        if self._abort():  # closing: the window ended the process itself
            self.end()
            return
        self._give_up(f"the training process stopped ({exc}); the run goes on from step "
                      f"{self._home.step_count}, in the window's process")

    def _give_up(self, message: str) -> None:
        if self._process is not None:
            self._process.close()
        self._process = None
        self.use_process = False
        self.on_lost(message)
