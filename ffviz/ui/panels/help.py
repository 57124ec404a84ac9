"""Help → About and Help → The lecture: what ffviz is, and the presets that follow the slides, in their order."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ffviz import __version__
from ffviz.engine.presets import LECTURE_ORDER

HOMEPAGE = "https://github.com/ffviz/ffviz"


def about_html() -> str:
    return (f"<h3>ffviz {__version__}</h3>"
            "<p>Feed-forward neural networks, visible: forward pass, loss, backpropagation and gradient descent, "
            "with every number on screen.</p>"
            "<p>Licence: MIT. Built with Python, NumPy, PySide6 (Qt, LGPL) and pyqtgraph (MIT).</p>"
            f'<p><a href="{HOMEPAGE}">{HOMEPAGE}</a> · <a href="{HOMEPAGE}/issues">report a problem</a></p>')


class LectureGuide(QtWidgets.QDialog):
    """The lecture's presets in the slides' order; a button opens each."""

    preset_chosen = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("The lecture, slide by slide")
        lay = QtWidgets.QGridLayout(self)
        intro = QtWidgets.QLabel("These presets follow “Basic theory of feed-forward neural networks”, in the "
                                 "order of its slides.")
        intro.setWordWrap(True)
        lay.addWidget(intro, 0, 0, 1, 3)
        self.buttons = {}
        for row, (slide, preset, what) in enumerate(LECTURE_ORDER, start=1):
            title = QtWidgets.QLabel(f"<b>{slide}</b>")
            note = QtWidgets.QLabel(what)
            note.setWordWrap(True)
            button = QtWidgets.QPushButton(f"Open “{preset}”")
            button.clicked.connect(lambda _checked=False, p=preset: self._choose(p))
            self.buttons[preset] = button
            lay.addWidget(title, row, 0)
            lay.addWidget(note, row, 1)
            lay.addWidget(button, row, 2)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close, len(LECTURE_ORDER) + 1, 0, 1, 3)

    def _choose(self, preset: str) -> None:
        self.preset_chosen.emit(preset)
        self.accept()
