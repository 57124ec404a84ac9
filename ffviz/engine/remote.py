"""Free-running training in a process of its own, so that it overlaps with the window's drawing.

Training and drawing both run Python. In one process they share one interpreter lock, so the window's
worker (ffviz/ui/worker.py) makes them take turns, and on a 2-core machine training then gets less than
half of its headless speed at 30 frames a second (docs/benchmarks.md). While the window plays "as fast as it
goes", the worker therefore hands its Trainer to a TrainingProcess: the same Trainer (pickled, see
Trainer.__getstate__), trained by the same code in another interpreter, on another core. The process trains
in chunks of about CHUNK_SECONDS and, between two chunks (never inside an update), answers the worker:

- ("snapshot", resolution): it records an evaluation, as the worker does before every snapshot, and sends
  the snapshot; or, when that evaluation found the run diverged, the Trainer (below). The snapshot leaves
  out what cannot have changed since the worker handed the Trainer over, and what would grow with every
  update: its `dataset` and `config` are None (the worker puts its own back, the same objects, so views
  that compare them by identity do not redraw) and its history's per-update arrays (`update_step`,
  `batch_loss`) are empty (`batch_curve_*` carries the batch loss at plot resolution; the Trainer, taken
  back, has all of it). A frame then costs the same however long the run has been going;
- ("stop",): it sends the Trainer back and waits for the next;
- ("run", trainer): it trains this one;
- None (or the worker's end of the pipe closing): it exits.

Unasked, it sends the Trainer back when the run diverged or an update raised. A Trainer message is
("trainer", trainer, reason, message) with reason "stopped", "diverged" or "error". The worker takes the
Trainer back before it carries out any command, so a command still takes effect between two updates, as
the issue asks, and the numbers are the ones a Trainer in the worker's thread would have computed.

No Qt here: the engine never imports it. Messages are pickled by multiprocessing between processes of this
program only (nothing is read from a file).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
import types
from dataclasses import replace

import numpy as np

from ffviz.engine.snapshot import readonly, readonly_tree

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
    from ffviz.errors import FfvizError
    conn.send(("ready",))
    trainer, chunk = None, 1
    try:
        while True:
            if trainer is None or conn.poll():
                msg = conn.recv()  # waits while there is no trainer
                if msg is None:
                    return
                kind = msg[0]
                if kind == "run":
                    trainer, chunk = msg[1], 1
                elif trainer is None:
                    continue  # a request that crossed a trainer sent back unasked: it has its answer
                elif kind == "stop":
                    conn.send(("trainer", trainer, "stopped", ""))
                    trainer = None
                elif kind == "snapshot":
                    trainer.record_evaluation()  # may find the weights unusable: the run diverged
                    if trainer.diverged is not None:
                        conn.send(("trainer", trainer, "diverged", ""))
                        trainer = None
                    else:
                        conn.send(("snapshot", _light(trainer.snapshot(plane_resolution=msg[1]))))
                continue
            t0 = time.perf_counter()
            try:
                done = trainer.step(chunk)
            except Exception as exc:  # noqa: BLE001 - reported to the worker, which pauses and says so
                message = str(exc) if isinstance(exc, FfvizError) else f"internal error: {type(exc).__name__}: {exc}"
                conn.send(("trainer", trainer, "error", message))
                trainer = None
                continue
            if trainer.diverged is not None:
                conn.send(("trainer", trainer, "diverged", ""))
                trainer = None
            elif done:
                per_update = (time.perf_counter() - t0) / done
                chunk = max(1, min(1000, int(CHUNK_SECONDS / per_update))) if per_update > 0 else 1000
    except (EOFError, OSError):
        return  # the worker's end closed (the window ended, however it ended): nothing left to train for


_EMPTY = readonly(np.empty(0))


def _light(snap):
    """The snapshot as sent to the worker (see the module's docstring)."""
    history = replace(snap.history, update_step=_EMPTY, batch_loss=_EMPTY)
    return replace(snap, dataset=None, config=None, history=history)


class TrainingProcess:
    """The worker's handle on one training process. Used from one thread only (the worker's).

    Every method that waits has a bound, and gives up early when `abort()` says so (the window is closing);
    a process that does not answer in time, or has gone, raises ProcessGone, and the handle is closed (a
    new one can be made).
    """

    def __init__(self, abort=lambda: False):
        self._abort = abort
        ctx = mp.get_context("spawn")  # a fresh interpreter: no copy of the window's Qt state (fork would)
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(theirs,), name="ffviz-training", daemon=True)
        # A spawned process imports the parent's main module first (to find pickled functions defined there),
        # and runs it again if it is a script without an `if __name__ == "__main__"` guard: a user's script
        # would open a second window. _serve needs nothing from it; an empty stand-in is imported instead.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self._proc.start()
        finally:
            sys.modules["__main__"] = main
        theirs.close()
        self._ready = False
        self._started = time.perf_counter()
        self.running = False  # a trainer is out there

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def ready(self) -> bool:
        """Whether the process has started and can take a trainer (never waits)."""
        if not self._ready:
            try:
                if self._conn.poll():
                    self._ready = self._conn.recv() == ("ready",)
            except (EOFError, OSError) as exc:
                self.close()
                raise ProcessGone(f"the training process did not start ({exc})") from None
            if not self._ready and (not self.alive or time.perf_counter() - self._started > START_SECONDS):
                self.close()
                raise ProcessGone("the training process did not start")
        return self._ready

    def run(self, trainer) -> None:
        """Hand the process this trainer to train."""
        self._send(("run", trainer))
        self.running = True

    def snapshot(self, plane_resolution: int, timeout: float = 10.0):
        """("snapshot", snap), or ("trainer", trainer, reason, message) when the run stopped on its own. The
        snapshot's arrays are read-only, as a snapshot's are; see the module's docstring for what it leaves
        out."""
        self._send(("snapshot", plane_resolution))
        msg = self._receive(timeout)
        if msg[0] == "trainer":
            self.running = False
        else:
            readonly_tree(msg[1])
        return msg

    def take_back(self, timeout: float = 120.0) -> tuple:
        """Stop training; (trainer, reason, message) as the process left it. The bound is generous: a run
        of millions of updates takes seconds to pickle (its per-update history grows without end)."""
        self._send(("stop",))
        while True:
            msg = self._receive(timeout)
            if msg[0] == "trainer":
                self.running = False
                return msg[1], msg[2], msg[3]

    def poll_returned(self):
        """A trainer the process sent back on its own (diverged, an error), or None (never waits)."""
        try:
            while self._conn.poll():
                msg = self._conn.recv()
                if msg[0] == "trainer":
                    self.running = False
                    return msg[1], msg[2], msg[3]
        except (EOFError, OSError) as exc:
            self.close()
            raise ProcessGone(f"the training process ended ({exc})") from None
        return None

    def kill(self) -> None:
        """End the process now, from any thread: what it trains is thrown away (the window is closing).
        The owner's thread, if it waits for an answer, sees the process gone at once."""
        proc = self._proc
        if proc is not None:
            proc.kill()

    def close(self, timeout: float = 1.0) -> None:
        """End the process (killed: it holds nothing worth saving) and wait for it, bounded."""
        proc, self._proc = self._proc, None
        self.running = False
        if proc is None:
            return
        proc.kill()
        proc.join(timeout)
        self._conn.close()

    def _send(self, msg) -> None:
        if self._proc is None:
            raise ProcessGone("the training process was closed")
        try:
            self._conn.send(msg)
        except (OSError, ValueError) as exc:
            self.close()
            raise ProcessGone(f"the training process ended ({exc})") from None

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
