"""Panels: the window's controls and its explanatory side panels (unlike views, they edit the run or explain it)."""

from PySide6 import QtWidgets


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
