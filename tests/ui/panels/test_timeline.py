"""The rewind timeline in the window: the slider and its keys show any update exactly; training on from an
earlier update drops the later ones only after the user agreed."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.state import same_state
from ffviz.ui.main_window import MainWindow
from tests.engine.compare import assert_same

TIMEOUT = 10_000
Key, Mod = QtCore.Qt.Key, QtCore.Qt.KeyboardModifier
Yes, Cancel = QtWidgets.QMessageBox.StandardButton.Yes, QtWidgets.QMessageBox.StandardButton.Cancel


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    made = []

    def make(preset="circle", steps=0):
        win = MainWindow(load_preset(preset), settings=settings)
        qtbot.addWidget(win)
        made.append(win)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        if steps:
            win.step_requested.emit(steps)
            at(qtbot, win, steps)
        return win
    yield make
    for win in made:
        win.close()


def at(qtbot, win, step, newest=None):
    """Wait until the window shows `step` (of `newest`: rewound; None: the run's newest)."""
    qtbot.waitUntil(lambda: win.snapshot.step == step and win.snapshot.rewound_from == newest
                    and win.timeline.shown == step, timeout=TIMEOUT)
    return win.snapshot


def fresh(preset, k):
    t = Trainer(load_preset(preset))
    t.step(k)
    return t


def asked(monkeypatch, answer):
    """The confirmation dialog, answered `answer`; returns the list of questions it was asked."""
    questions = []

    def question(parent, title, text, *args):
        questions.append(text)
        return answer
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", question)
    return questions


def test_dragging_back_shows_update_k_exactly_in_every_view(window, qtbot):
    win = window(steps=200)
    win.timeline.slider.setValue(80)  # as a drag does, position by position
    snap = at(qtbot, win, 80, newest=200)
    ref = fresh("circle", 80)
    for got, want in zip(snap.kernels + snap.biases, ref.kernels + ref.biases):
        assert_same(got, want)
    assert_same(snap.trace, ref.trace)
    assert win.network_view.snapshot() is snap and win.loss_plot.snapshot is snap  # the views drew it
    assert win.timeline.text() == "Rewound to update 80 of 200 — Play continues from here, End returns"
    fut = win.loss_plot.future_curves[0]  # the updates after 80, faded: from the last evaluation ≤ 80 on
    assert fut.isVisible() and fut._x[0] <= 80 and fut._x[-1] == 200


def test_keys_move_one_update_and_home_end_go_to_the_ends(window, qtbot):
    win = window(steps=30)
    QTest.keyClick(win, Key.Key_Left, Mod.ControlModifier)
    at(qtbot, win, 29, newest=30)
    QTest.keyClick(win, Key.Key_Left, Mod.ControlModifier)
    at(qtbot, win, 28, newest=30)
    QTest.keyClick(win, Key.Key_Right, Mod.ControlModifier)
    snap = at(qtbot, win, 29, newest=30)
    np.testing.assert_array_equal(snap.params, fresh("circle", 29).params)
    QTest.keyClick(win, Key.Key_Home)
    at(qtbot, win, 0, newest=30)
    QTest.keyClick(win, Key.Key_End)
    at(qtbot, win, 30)
    assert win.timeline.text() == "Update 30 of 30" and not win.timeline.rewound
    QTest.keyClick(win, Key.Key_Right, Mod.ControlModifier)  # the newest is the end: nothing to go to
    assert win.timeline.position == 30


def test_stepping_while_rewound_asks_and_cancel_drops_nothing(window, qtbot, monkeypatch):
    win = window(steps=100)
    questions = asked(monkeypatch, Cancel)
    win.timeline.go_to(40)
    at(qtbot, win, 40, newest=100)
    QTest.keyClick(win, Key.Key_Right)  # Step
    assert len(questions) == 1 and "Updates 41 to 100 will be dropped" in questions[0]
    QTest.keyClick(win, Key.Key_End)
    at(qtbot, win, 100)
    win.pause_requested.emit()
    qtbot.waitUntil(lambda: not win.worker.playing)
    assert win.worker.trainer.step_count == 100  # the future is all there


def test_agreeing_continues_from_k_as_a_fresh_run_stopped_at_k_would(window, qtbot, monkeypatch):
    win = window("spiral", steps=300)
    questions = asked(monkeypatch, Yes)
    win.timeline.go_to(120)
    at(qtbot, win, 120, newest=300)
    QTest.keyClick(win, Key.Key_Right)  # Step: continue from 120, one update
    snap = at(qtbot, win, 121)
    assert len(questions) == 1
    ref = fresh("spiral", 121)
    assert same_state(snap.state, ref.state())
    assert_same(snap.trace, ref.trace)
    assert win.timeline.text() == "Update 121 of 121"
