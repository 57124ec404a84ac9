"""Panels: the window's controls and its explanatory side panels (unlike views, they edit the run or explain it)."""

from PySide6 import QtCore, QtWidgets


class WrappingLabel(QtWidgets.QLabel):
    """A word-wrapped label whose least height is what its text needs at the width it has. QLabel's own
    minimum is the text wrapped at a guessed narrow width, several times taller: under the diagram the phase
    and formula strips claimed 375 px where 175 held them, so the chain-rule dock could not be made taller."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Minimum)

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        if self.width() < 100 or not self.text():  # not laid out yet: Qt's guess
            return hint
        hint.setHeight(self.heightForWidth(self.width()))
        hint.setWidth(0)
        return hint

    def sizeHint(self):
        hint = super().sizeHint()
        if self.width() >= 100 and self.text():
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the height it needs changed with the width


class SteadyLabel(QtWidgets.QLabel):
    """A label for numbers that change every frame: its size hints only grow (to the largest its texts have
    needed, at the width it has when it wraps), so a number one digit longer or a line that wraps once more
    does not lay the window out again every frame, and repaint the plots beside it (docs/benchmarks.md, "The
    loss surface again"). `release()` lets it fit its text again (a new run, another kind of text); a
    wrapping label also does when its width changes."""

    def __init__(self, parent=None, wrap: bool = False):
        super().__init__(parent)
        self.setWordWrap(wrap)
        if wrap:
            self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Minimum)
        self._forget()

    def _forget(self) -> None:
        self._held = {"min": QtCore.QSize(0, 0), "size": QtCore.QSize(0, 0)}  # the largest hints given
        self._held_heights: dict[int, int] = {}  # the largest height given, per width asked

    def _grow(self, which: str, hint: QtCore.QSize) -> QtCore.QSize:
        if self.wordWrap() and self.width() >= 100 and self.text():  # laid out: what the text needs here
            hint = QtCore.QSize(0 if which == "min" else hint.width(), self.heightForWidth(self.width()))
        self._held[which] = held = self._held[which].expandedTo(hint)
        return QtCore.QSize(held)

    def minimumSizeHint(self) -> QtCore.QSize:
        return self._grow("min", super().minimumSizeHint())

    def heightForWidth(self, width: int) -> int:
        # what a layout asks a wrapping label for, rather than its size hints: held per width
        # (layouts ask at other widths too, when they work out their minimum)
        if len(self._held_heights) > 64:
            self._held_heights.clear()
        held = self._held_heights[width] = max(self._held_heights.get(width, 0), super().heightForWidth(width))
        return held

    def sizeHint(self) -> QtCore.QSize:
        return self._grow("size", super().sizeHint())

    def release(self) -> None:
        """Fit the text again from now on (it may shrink)."""
        self._forget()
        self.updateGeometry()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.wordWrap() and event.size().width() != event.oldSize().width():
            self.release()  # at another width the text needs another height
