"""Bars across the top of the window, where the user is looking: why training stopped (with the actions that
recover), and errors from what the user just did (opening, saving, exporting a file)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from ffviz.ui import theme as themes


class _Banner(QtWidgets.QFrame):
    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QtWidgets.QHBoxLayout(self)
        self._layout.addWidget(self.label, 1)
        self.apply_theme(themes.DEFAULT)
        self.hide()

    info = False  # a hint rather than an error: drawn in the panel's colours

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        P = theme.palette
        ink, fill = (P.foreground, P.panel) if self.info else (P.error, P.error_background)
        self.setStyleSheet(f"#{self.objectName()} {{ background: {theme.qss_color(fill)};"
                           f" border: 2px solid {theme.qss_color(ink)}; border-radius: 4px; }}"
                           f"#{self.objectName()} QLabel {{ color: {theme.qss_color(ink)}; font-weight: bold; }}")


class DivergenceBanner(_Banner):
    """Why training stopped, and where to go back to: the last update at which the loss was still falling,
    with the learning rate as it was or divided by 10."""

    restore_clicked = Signal(bool)  # True: and divide the learning rate by 10

    def __init__(self, parent=None):
        super().__init__("divergenceBanner", parent)
        self.button = QtWidgets.QPushButton("Go back")
        self.button.clicked.connect(lambda: self.restore_clicked.emit(False))
        self.divide_button = QtWidgets.QPushButton("Go back, η ÷ 10")
        self.divide_button.clicked.connect(lambda: self.restore_clicked.emit(True))
        self._layout.addWidget(self.button)
        self._layout.addWidget(self.divide_button)

    def show_divergence(self, div) -> None:
        self.label.setText(f"Training stopped: {div.reason}. At step {div.restore_step} the loss was still "
                           f"going down: go back there, best with a smaller learning rate.")
        self.button.setText(f"Go back to step {div.restore_step}")
        self.divide_button.setText(f"Go back to step {div.restore_step}, η ÷ 10")
        self.show()


class NoticeBanner(_Banner):
    """The last error of something the user did, until dismissed (or for `SECONDS`)."""

    SECONDS = 20

    def __init__(self, parent=None):
        super().__init__("noticeBanner", parent)
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        self._layout.addWidget(self.close_button)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)

    def show_error(self, message: str) -> None:
        self._show(f"⚠ {message}", info=False)

    def show_info(self, message: str) -> None:
        """A hint (the first launch's), in neutral colours."""
        self._show(message, info=True)

    def _show(self, text: str, info: bool) -> None:
        if info != self.info:
            self.info = info
            self.apply_theme(self._theme)
        self.label.setText(text)
        self.show()
        self._timer.start(self.SECONDS * 1000)

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
