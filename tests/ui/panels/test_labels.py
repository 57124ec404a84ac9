"""Labels for numbers that change every frame: their size only grows, so the layout around them stays put."""

from ffviz.ui.panels import SteadyLabel
from PySide6 import QtWidgets

LONG = "J at update 12345: largest ÷ smallest layer 1.234e-05, and some words to wrap onto a second line"


def test_a_steady_wrapping_label_keeps_its_height_until_released_or_resized(qtbot):
    box = QtWidgets.QWidget()
    lay = QtWidgets.QVBoxLayout(box)
    label = SteadyLabel(wrap=True)
    lay.addWidget(label)
    lay.addStretch(1)
    qtbot.addWidget(box)
    box.resize(260, 300)
    box.show()
    label.setText(LONG)
    qtbot.waitUntil(lambda: label.height() >= label.fontMetrics().height() * 2)
    tall = label.height()
    label.setText("J")  # one line now: the label stays as tall
    box.layout().activate()
    qtbot.wait(20)
    assert label.height() == tall and label.heightForWidth(label.width()) == tall
    label.release()
    box.layout().activate()
    qtbot.waitUntil(lambda: label.height() < tall)
    label.setText(LONG)
    qtbot.waitUntil(lambda: label.height() == tall)
    box.resize(900, 300)  # wide enough for one line: a new width fits the text again
    label.setText("J")
    qtbot.waitUntil(lambda: label.height() < tall)


def test_a_steady_label_grows_in_width_and_does_not_shrink_back(qtbot):
    label = SteadyLabel()
    qtbot.addWidget(label)
    label.setText("0.5")
    narrow = label.sizeHint().width()
    label.setText("0.000123456")
    wide, least = label.sizeHint().width(), label.minimumSizeHint().width()
    assert wide > narrow
    label.setText("0.5")
    assert label.sizeHint().width() == wide and label.minimumSizeHint().width() == least
    label.release()
    assert label.sizeHint().width() < wide
