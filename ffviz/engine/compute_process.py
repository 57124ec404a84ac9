"""Where heavy requests are answered (loss surfaces, races: `Request.offload`): a compute process of its own.

A surface is NumPy in chunks with Python between them. On the window's compute thread it takes turns with
pyqtgraph's painting for one interpreter lock, and the window stalls while surfaces compute (docs/benchmarks.md,
"The loss surface"). In the compute process it runs in another interpreter; the compute thread only waits on a
pipe, which lets go of the lock.

Messages (pickled by multiprocessing, between processes of this program only; nothing is read from a file):
    to the process:  ("compute", serial, pickled request) · ("cancel", serial) · None (exit)
    from it:         ("ready",) · ("answer", serial, value, error, cancelled)
One request at a time: the process answers a request before it reads the next, so a message that arrives
while it computes can only be that request's cancel, and "a message is waiting" is its `cancelled()`: the
computation stops at its next chunk (engine/requests.py). No Qt here.
"""

from __future__ import annotations

import os
import pickle
import signal
from typing import Callable

from ffviz.engine.requests import Answer, Request, answer
from ffviz.engine.snapshot import readonly_tree
from ffviz.engine.training_process import NICENESS, ChildProcess, ProcessGone

POLL_SECONDS = 0.02  # how often the waiting thread looks whether its request went stale


def _serve(conn) -> None:
    """The compute process's loop (its target)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the window's to handle
    if hasattr(os, "nice"):
        os.nice(NICENESS)  # when it competes for a core, the window's drawing goes first
    conn.send(("ready",))
    try:
        while True:
            msg = conn.recv()
            if msg is None:
                return
            if msg[0] != "compute":
                continue  # the cancel of a request answered before the cancel arrived
            serial = msg[1]
            try:
                request = pickle.loads(msg[2])
            except Exception as exc:  # noqa: BLE001 - reported in one line, like any request that fails
                conn.send(("answer", serial, None, f"internal error: the request did not arrive whole: "
                                                   f"{type(exc).__name__}: {exc}", False))
                continue
            ans = answer(request, conn.poll)
            if ans is None:
                conn.send(("answer", serial, None, None, True))
                continue
            try:
                conn.send(("answer", serial, ans.value, ans.error, False))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # raised before anything is sent
                conn.send(("answer", serial, None, f"internal error: the answer could not be sent back: "
                                                   f"{type(exc).__name__}: {exc}", False))
    except (EOFError, OSError):
        return  # the window's end closed (the window ended, however it ended)


class ComputeProcess(ChildProcess):
    """The handle on one compute process, used from one thread (the compute worker's) but for `kill`."""

    what = "compute"

    def __init__(self):
        super().__init__(_serve, "ffviz-compute")
        self._serial = 0

    def compute(self, request: Request, stale: Callable[[], bool] = lambda: False,
                abort: Callable[[], bool] = lambda: False) -> Answer | None:
        """The request's Answer, computed there; None when `stale()` became true first (the process is told and
        stops at its next chunk) or `abort()` (the window is closing: not waited for). Raises
        pickle.PicklingError (or TypeError) for a request that cannot be sent, before anything is sent."""
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self._serial += 1
        serial = self._serial
        self._send(("compute", serial, payload))
        told = False
        try:
            while True:
                if self._conn.poll(POLL_SECONDS):
                    msg = self._conn.recv()
                    if msg[0] == "answer" and msg[1] == serial:
                        break
                    continue
                if abort():
                    return None
                if not told and stale():
                    self._send(("cancel", serial))
                    told = True
                if not self._proc.is_alive() and not self._conn.poll():
                    raise EOFError("it is no longer running")
        except (EOFError, OSError) as exc:
            self.close()
            raise ProcessGone(f"the compute process ended ({exc})") from None
        _, _, value, error, cancelled = msg
        if cancelled or stale():
            return None
        return Answer(request, readonly_tree(value), error)
