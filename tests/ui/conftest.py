"""UI test fixtures. Every UI test is checked for QThreads left running, training processes left alive and
top-level windows left open (after napari's `_dangling_qthreads`): each would crash or leak in the real app."""

import multiprocessing

import pytest
from PySide6 import QtCore, QtWidgets

_started: list = []
_original_start = QtCore.QThread.start


def _recording_start(self, *args, **kwargs):
    _started.append(self)
    return _original_start(self, *args, **kwargs)


QtCore.QThread.start = _recording_start


def _visible(widget) -> bool:
    try:
        return widget.isVisible()
    except RuntimeError:  # deleted (a deleteLater that ran while the list was made): no window left open
        return False


@pytest.fixture(autouse=True)
def _no_dangling_threads_or_windows(qapp):
    _started.clear()
    yield
    qapp.processEvents()
    running = []
    for thread in _started:
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # the C++ object is gone: it cannot be running
            pass
    processes = [p for p in multiprocessing.active_children() if p.name == "ffviz-training"]
    windows = [w for w in QtWidgets.QApplication.topLevelWidgets() if _visible(w)]
    for thread in running:  # do not let one test's leak break the next
        thread.quit()
        thread.wait(2000)
    for w in windows:
        w.close()
    for p in processes:
        p.kill()
        p.join(2)
    _started.clear()
    assert not running, f"{len(running)} QThread(s) still running after the test"
    assert not windows, f"top-level window(s) left open: {[type(w).__name__ for w in windows]}"
    assert not processes, f"{len(processes)} training process(es) still alive after the test"
