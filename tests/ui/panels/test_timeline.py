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


def asked(monkeypatch, win, answer):
    """The confirmation dialog, answered `answer` ("drop", "keep", "cancel"); returns the questions asked."""
    questions = []

    def ask(k, n):
        questions.append((k, n))
        return answer
    monkeypatch.setattr(win, "ask_branch", ask)
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
    assert win.status_label.text().startswith("step 80 (rewound; newest 200)")
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
    questions = asked(monkeypatch, win, "cancel")
    win.timeline.go_to(40)
    at(qtbot, win, 40, newest=100)
    QTest.keyClick(win, Key.Key_Right)  # Step
    assert questions == [(40, 100)]
    QTest.keyClick(win, Key.Key_End)
    at(qtbot, win, 100)
    win.pause_requested.emit()
    qtbot.waitUntil(lambda: not win.worker.playing)
    assert win.worker.trainer.step_count == 100  # the future is all there


def test_agreeing_continues_from_k_as_a_fresh_run_stopped_at_k_would(window, qtbot, monkeypatch):
    win = window("spiral", steps=300)
    questions = asked(monkeypatch, win, "drop")
    win.timeline.go_to(120)
    at(qtbot, win, 120, newest=300)
    QTest.keyClick(win, Key.Key_Right)  # Step: continue from 120, one update
    snap = at(qtbot, win, 121)
    assert len(questions) == 1
    ref = fresh("spiral", 121)
    assert same_state(snap.state, ref.state())
    assert_same(snap.trace, ref.trace)
    assert win.timeline.text() == "Update 121 of 121"
    assert snap.branch is None and not win.loss_plot.future_curves[0]._x.size  # dropped: nothing faded


def test_keeping_the_old_branch_draws_it_faded_after_continuing(window, qtbot, monkeypatch):
    win = window(steps=150)
    asked(monkeypatch, win, "keep")
    win.timeline.go_to(50)
    at(qtbot, win, 50, newest=150)
    win.step_requested.emit(1)  # the toolbar's way: no question, the worker refuses while rewound …
    QTest.keyClick(win, Key.Key_Right)  # … the key asks first (answered "keep"), then steps
    snap = at(qtbot, win, 51)
    assert snap.branch is not None and snap.branch.eval_step[-1] == 150
    fut = win.loss_plot.future_curves[0]
    assert fut._x[0] <= 50 and fut._x[-1] == 150  # the old updates 50…150, faded
    assert win.worker.trainer.step_count == 51


def test_the_dialog_offers_drop_keep_and_cancel(window, qtbot, monkeypatch):
    win = window(steps=20)
    seen = []

    def press(box):
        seen.append(sorted(b.text() for b in box.buttons()))
        box.reject()  # Escape: cancel
    monkeypatch.setattr(QtWidgets.QMessageBox, "exec", press)
    assert win.ask_branch(5, 20) == "cancel"
    assert seen == [["Cancel", "Continue, drop updates 6–20", "Continue, keep the old curve faded"]]


def test_continue_from_here_asks_then_plays_from_k(window, qtbot, monkeypatch):
    win = window(steps=60)
    questions = asked(monkeypatch, win, "drop")
    win.timeline.go_to(25)
    at(qtbot, win, 25, newest=60)
    assert win.timeline.continue_button.isVisible()
    win.timeline.continue_button.click()
    qtbot.waitUntil(lambda: win.playing, timeout=TIMEOUT)
    win.pause_requested.emit()
    qtbot.waitUntil(lambda: not win.playing, timeout=TIMEOUT)
    assert questions == [(25, 60)]
    qtbot.waitUntil(lambda: win.snapshot.rewound_from is None and win.snapshot.step == win.worker.trainer.step_count,
                    timeout=TIMEOUT)
    snap = win.snapshot
    assert not win.timeline.continue_button.isVisible()
    np.testing.assert_array_equal(snap.params, fresh("circle", snap.step).params)  # the branch from 25, exactly


def test_back_at_the_newest_update_of_a_diverged_run_its_banner_is_back(window, qtbot):
    from dataclasses import replace
    win = window("regression", steps=20)
    cfg = win.snapshot.config
    win.config_requested.emit(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd", learning_rate=1e5)))
    qtbot.waitUntil(lambda: win.snapshot.learning_rate == 1e5, timeout=TIMEOUT)
    win.step_requested.emit(200)
    qtbot.waitUntil(lambda: win.snapshot.diverged is not None and win.banner.isVisible(), timeout=TIMEOUT)
    newest = win.snapshot.step
    win.timeline.go_to(10)
    at(qtbot, win, 10, newest=newest)
    assert not win.banner.isVisible()  # update 10 had not diverged
    win.timeline.go_newest()
    snap = at(qtbot, win, newest)
    assert snap.diverged is not None
    qtbot.waitUntil(win.banner.isVisible, timeout=TIMEOUT)  # it stopped there: say so, with the way back
    assert f"Go back to step {snap.diverged.restore_step}" == win.banner.button.text()
    assert win.act_restore.isEnabled()


def test_saving_while_rewound_says_the_session_is_the_whole_run(window, qtbot, tmp_path):
    win = window(steps=60)
    win.timeline.go_to(25)
    at(qtbot, win, 25, newest=60)
    with qtbot.waitSignal(win.files.session_written, timeout=TIMEOUT):
        win.save_session(tmp_path / "run.ffviz")
    message = win.statusBar().currentMessage()
    assert "to update 60" in message and "not at update 25" in message
