"""Answering views' requests (engine/requests.py) off the GUI thread, and keeping only the answers still wanted.

A ComputeWorker lives on a QThread of its own, beside the training worker: requests are pure functions of
immutable data, so it needs no lock and no access to the run. Per channel only the newest request is
computed; an older one still waiting is skipped, and one being computed is cancelled between its chunks.
A Requester, one per view, remembers the latest request it made per channel and drops any other answer: an
answer that arrives after the run moved on is never drawn.

Heavy requests (`Request.offload`: loss surfaces, races) go on to a compute process (engine/compute_process.py),
started at the first of them; the worker's thread then only waits on a pipe, and the window's painting no
longer takes turns with the surface's Python for one interpreter lock. While that process starts, and for good
if it cannot start or dies, they are answered on the thread as before: the same numbers, with the window less
smooth.
"""

from __future__ import annotations

import logging
import threading

from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot

from ffviz.engine.compute_process import ComputeProcess
from ffviz.engine.requests import Answer, Request, answer
from ffviz.engine.training_process import ProcessGone

log = logging.getLogger(__name__)


class ComputeWorker(QtCore.QObject):
    answered = Signal(object)  # Answer
    fell_back = Signal(str)  # the compute process could not start or died: why, in one line

    def __init__(self):
        super().__init__()  # no parent: it is moved to its thread
        self._lock = threading.Lock()  # guards _latest, written from the GUI thread by submit_now
        self._latest: dict[str, Request] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._work)
        self.stopping = False
        self.use_process = True  # turned off for good when the process cannot start or dies
        self._process: ComputeProcess | None = None

    def note(self, request: Request) -> None:
        """Record `request` as its channel's newest (from any thread), so a computation of an older one stops."""
        with self._lock:
            self._latest[request.channel] = request

    @Slot(object)
    def submit(self, request: Request) -> None:
        self.note(request)
        self._timer.start()

    def _is_stale(self, request: Request) -> bool:
        with self._lock:
            return self.stopping or self._latest.get(request.channel) is not request

    @Slot()
    def _work(self) -> None:
        with self._lock:
            todo = list(self._latest.values())
        for request in todo:
            if self._is_stale(request):
                continue
            result = self._answer(request)
            with self._lock:
                if self._latest.get(request.channel) is request:
                    del self._latest[request.channel]
            if result is not None and not self.stopping:
                self.answered.emit(result)

    def _answer(self, request: Request) -> Answer | None:
        def stale():
            return self._is_stale(request)
        process = self._ready_process() if request.offload else None
        if process is not None:
            try:
                return process.compute(request, stale, abort=lambda: self.stopping)
            except ProcessGone as exc:
                if self.stopping:
                    return None
                self._give_up(str(exc))
                # Not computed again here: it may be what ended the process (memory, a crash in BLAS).
                # The next request is answered on this thread.
                return Answer(request, error=f"the compute process ended while computing this ({exc}); "
                                             "asked again, it is computed in the window's process")
            except Exception as exc:  # noqa: BLE001 - a request or answer that would not (un)pickle
                log.warning("a %s could not go to or come back from the compute process (%s: %s); "
                            "answered here", type(request).__name__, type(exc).__name__, exc)
        return answer(request, stale)

    def _ready_process(self) -> ComputeProcess | None:
        """The compute process if it can take a request now (started at the first call); None: answer here."""
        if not self.use_process or self.stopping:
            return None
        try:
            if self._process is None:
                self._process = ComputeProcess()
            elif self._process.ready() and not self._process.alive:  # ended between two requests
                raise ProcessGone("the compute process ended")
            return self._process if self._process.ready() else None
        except Exception as exc:  # noqa: BLE001 - ProcessGone, or the OS refused a process
            self._give_up(str(exc))
            return None

    def _give_up(self, message: str) -> None:
        line = f"loss surfaces and races are computed in the window's process from now on: {message}"
        log.warning("%s", line)
        self.use_process = False
        self.close_process()
        self.fell_back.emit(line)

    @property
    def process(self) -> ComputeProcess | None:
        return self._process

    def kill_process(self) -> None:
        """End the compute process now, from any thread (the window is closing)."""
        process = self._process
        if process is not None:
            process.kill()

    def close_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.close()


class ComputeThread(QtCore.QObject):
    """Owns the compute worker's QThread and ends it (bounded) however the window closes."""

    submitted = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker = ComputeWorker()
        self.thread = QtCore.QThread()
        self.thread.setObjectName("ffviz-compute")
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self.submitted.connect(self.worker.submit)

    def start(self) -> None:
        self.thread.start()

    def submit(self, request: Request) -> None:
        self.worker.note(request)  # at once: a computation of an older request stops at its next chunk
        self.submitted.emit(request)

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        self.worker.stopping = True
        self.worker.kill_process()  # a wait for its answer ends at once
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        if ended:
            self.worker.close_process()  # reaped; the thread that used it has ended
        return ended


class Requester:
    """A view's side: the latest request per channel, and whether an answer is to it."""

    def __init__(self, send):
        self._send = send
        self._latest: dict[str, tuple] = {}

    def ask(self, request: Request) -> None:
        self._latest[request.channel] = request.key
        self._send(request)

    def wanted(self, ans: Answer) -> bool:
        """Whether `ans` answers the latest request made on its channel (else: drop it)."""
        return self._latest.get(ans.request.channel) == ans.request.key

    def forget(self) -> None:
        self._latest.clear()
