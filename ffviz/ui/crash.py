"""Errors that escape anywhere in the window end in a dialog with a copyable report and the log's path: never a
silent death or a frozen window. The report is written to the log first, so it survives whatever comes next."""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback

from PySide6 import QtCore, QtGui, QtWidgets

from ffviz import __version__

log = logging.getLogger("ffviz")


def report_text(exc_type, exc, tb) -> str:
    """What a bug report needs: versions, platform, the traceback."""
    from PySide6 import __version__ as pyside_version
    import numpy
    import pyqtgraph
    head = (f"ffviz {__version__}, Python {platform.python_version()}, PySide6 {pyside_version}, "
            f"pyqtgraph {pyqtgraph.__version__}, NumPy {numpy.__version__}, {platform.platform()}")
    return head + "\n\n" + "".join(traceback.format_exception(exc_type, exc, tb))


class CrashDialog(QtWidgets.QDialog):
    def __init__(self, report: str, log_path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("ffviz ran into a problem")
        lay = QtWidgets.QVBoxLayout(self)
        where = f"It is written in the log, {log_path}." if log_path else "(No log file could be written.)"
        text = QtWidgets.QLabel("Something went wrong inside ffviz. The window goes on working; what you were "
                                f"doing may not have finished. {where} Please send the report below with a "
                                "few words on what you did: it is what we need to fix it.")
        text.setWordWrap(True)
        text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(text)
        self.report = QtWidgets.QPlainTextEdit(report)
        self.report.setReadOnly(True)
        self.report.setMinimumSize(640, 260)
        lay.addWidget(self.report)
        buttons = QtWidgets.QDialogButtonBox()
        self.copy_button = buttons.addButton("Copy report", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QtGui.QGuiApplication.clipboard().setText(report))
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class _Relay(QtCore.QObject):
    """Brings a report from any thread to the GUI thread, where the dialog can be shown."""

    reported = QtCore.Signal(str)


class ErrorHandler:
    """Installs itself as sys.excepthook and threading.excepthook for the app's lifetime."""

    def __init__(self, log_path, parent=None):
        self.log_path = log_path
        self.parent = parent
        self.shown = []  # reports shown (tests read it)
        self._relay = _Relay()
        self._relay.reported.connect(self._show, QtCore.Qt.ConnectionType.QueuedConnection)
        self._showing = False
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> "ErrorHandler":
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value, args.exc_traceback)
        return self

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            return self._previous[0](exc_type, exc, tb)
        try:
            report = report_text(exc_type, exc, tb)
        except Exception:  # noqa: BLE001 - the report must come out, however poor
            report = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("uncaught error\n%s", report)
        self._relay.reported.emit(report)

    def _show(self, report: str) -> None:
        self.shown.append(report)
        if self._showing:  # one dialog at a time; the others are in the log
            return
        self._showing = True
        try:
            dialog = CrashDialog(report, self.log_path, self.parent)
            dialog.setModal(True)
            dialog.open()
            dialog.finished.connect(lambda _r: setattr(self, "_showing", False))
            self.dialog = dialog
        except Exception:  # noqa: BLE001 - a dialog that cannot be made must not end the app
            self._showing = False
