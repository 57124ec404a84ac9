"""UI test fixtures. Every UI test is checked for QThreads left running, training processes left alive and
top-level windows left open (after napari's `_dangling_qthreads`): each would crash or leak in the real app."""

import multiprocessing

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

_started: list = []
_original_start = QtCore.QThread.start


def _recording_start(self, *args, **kwargs):
    _started.append(self)
    return _original_start(self, *args, **kwargs)


QtCore.QThread.start = _recording_start


@pytest.fixture(autouse=True)
def _no_dangling_threads_or_windows(qapp):
    _started.clear()
    yield
    qapp.processEvents()
    # widgets closed with deleteLater (pytest-qt's addWidget) go now, not while the list below is read
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    running = []
    for thread in _started:
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # the C++ object is gone: it cannot be running
            pass
    processes = [p for p in multiprocessing.active_children() if p.name == "ffviz-training"]
    # Top-level QWindows, not QWidgets: listing topLevelWidgets() makes Python wrappers for every widget Qt
    # owns (combo-box popups, tooltips), one of which may be half destroyed; it crashed a run now and then.
    windows = [w for w in QtGui.QGuiApplication.topLevelWindows() if w.isVisible()]
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
    assert not windows, f"top-level window(s) left open: {[w.title() or w.objectName() for w in windows]}"
    assert not processes, f"{len(processes)} training process(es) still alive after the test"
