"""Start the desktop app: the QApplication, the main window, and a clean exit."""

from __future__ import annotations

import contextlib
import ctypes.util
import gc
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from ffviz.errors import FfvizError


def _check_display() -> None:
    """Say in one line what is missing, where Qt itself would abort the process with a plugin error."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") not in ("xcb", ""):
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise FfvizError("no display to open a window on (DISPLAY is not set); for headless use run "
                         "`ffviz train …`, or set QT_QPA_PLATFORM=offscreen")
    # A bundle carries its own copy (find_library looks only at the system's).
    if os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and not getattr(sys, "frozen", False) \
            and ctypes.util.find_library("xcb-cursor") is None:
        raise FfvizError("Qt needs the X11 library libxcb-cursor0 to open a window: install it "
                         "(Debian/Ubuntu: sudo apt install libxcb-cursor0) and start ffviz again")


@contextlib.contextmanager
def close_on_signals(window):
    """Ctrl+C in the terminal that started ffviz (SIGINT) closes the window as its close button does: training
    stops, the window's layout is saved; a second Ctrl+C ends the process at once, even if the window hangs.

    Qt's event loop runs in C++, where Python's handler waits for the next Python code to run (the next mouse
    move): so the signal also wakes the loop, through a socket (signal.set_wakeup_fd) and a QSocketNotifier.
    The handler runs wherever Python happens to be (inside a paint, say), so it only notes the signal and
    posts the closing to the event loop. SIGTERM keeps its default (ends the process at once), so a hung
    window can still be stopped. Yields a list holding the number of the signal that closed the window.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background: Ctrl+C is not ours
        yield []
        return
    from PySide6 import QtCore, QtWidgets

    received: list[int] = []
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)

    def drain() -> None:  # running any Python code here lets the interpreter call the handler below
        with contextlib.suppress(OSError):
            rsock.recv(256)

    def close() -> None:
        modal = QtWidgets.QApplication.activeModalWidget()
        if modal is not None:
            modal.close()  # a dialog's own event loop ends first
        window.close()

    def handler(signum, frame) -> None:
        received.append(signum)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl+C: gone at once
        QtCore.QTimer.singleShot(0, close)

    notifier = QtCore.QSocketNotifier(rsock.fileno(), QtCore.QSocketNotifier.Type.Read)
    notifier.activated.connect(drain)
    previous = signal.getsignal(signal.SIGINT)
    old_fd = signal.set_wakeup_fd(wsock.fileno())
    signal.signal(signal.SIGINT, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.set_wakeup_fd(old_fd)
        notifier.setEnabled(False)
        rsock.close()
        wsock.close()


def run_app(config=None, base_dir=None, argv=None, *, theme: str | None = None, font_scale: float | None = None,
            startup_error: str | None = None, session=None) -> int:
    """Open the main window on `config` (default: the default preset) and run until it closes; `theme` and
    `font_scale` for this launch (else the remembered ones); `startup_error` shown in the window (a file given
    on the command line that could not be opened, when no terminal shows stderr); `session`: a session file
    the window opens once it is up."""
    _check_display()
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6 import QtWidgets
    import pyqtgraph as pg

    from ffviz.ui.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("ffviz")
    app.setOrganizationName("ffviz")
    app.setDesktopFileName("io.github.ffviz")  # packaging/io.github.ffviz.desktop: the taskbar finds the icon
    icon = Path(__file__).resolve().parents[2] / "resources" / "icons" / "ffviz.png"
    if icon.is_file():  # a source checkout or the packaged app; a bare wheel has no icon, and that is fine
        from PySide6 import QtGui
        app.setWindowIcon(QtGui.QIcon(str(icon)))
    pg.setConfigOptions(antialias=True)
    from ffviz import logs
    from ffviz.ui.crash import ErrorHandler
    log_path = logs.setup()
    window = MainWindow(config, base_dir, theme=theme, font_scale=font_scale, startup_error=startup_error)
    errors = ErrorHandler(log_path, window).install()  # an error anywhere ends in a dialog, never a silent death
    app.aboutToQuit.connect(window.shutdown)  # however the app ends, the worker thread ends first
    window.show()
    # The window's objects (Qt wrappers, pyqtgraph items, the views' arrays) live as long as it does: out of the
    # collector's generations, a full collection (which Python starts by itself now and then in a long
    # session) does not walk them on the GUI thread, in the middle of a frame (docs/benchmarks.md).
    gc.freeze()
    if session is not None:
        window.open_file(session)
    with close_on_signals(window) as received:
        status = app.exec()
    errors.uninstall()
    return 128 + received[0] if received else status  # the shell's convention: 130 for Ctrl+C
