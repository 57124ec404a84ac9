"""Answering views' requests (engine/requests.py) off the GUI thread, and keeping only the answers still wanted.

A ComputeWorker lives on a QThread of its own, beside the training worker: requests are pure functions of
immutable data, so it needs no lock and no access to the run. Per channel only the newest request is
computed; an older one still waiting is skipped, and one being computed is cancelled between its chunks.
A Requester, one per view, remembers the latest request it made per channel and drops any other answer: an
answer that arrives after the run moved on is never drawn.
"""

from __future__ import annotations

import threading

from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot

from ffviz.engine.requests import Answer, Request, answer


class ComputeWorker(QtCore.QObject):
    answered = Signal(object)  # Answer

    def __init__(self):
        super().__init__()  # no parent: it is moved to its thread
        self._lock = threading.Lock()  # guards _latest, written from the GUI thread by submit_now
        self._latest: dict[str, Request] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._work)
        self.stopping = False

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
            result = answer(request, lambda r=request: self._is_stale(r))
            with self._lock:
                if self._latest.get(request.channel) is request:
                    del self._latest[request.channel]
            if result is not None and not self.stopping:
                self.answered.emit(result)


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
        self.thread.quit()
        return self.thread.wait(timeout_ms)


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
