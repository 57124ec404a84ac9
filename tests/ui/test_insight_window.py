"""The insight views in the window: docks tabbed with the loss plot, Shift+G, a weight clicked in the diagram
followed by "how many updates", the twin answered off the GUI thread, and a session that reopens with the
same layer norms and view settings."""

import math

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from ffviz.engine import load_preset
from ffviz.ui.main_window import MainWindow

TIMEOUT = 15_000


@pytest.fixture
def make_window(qtbot, tmp_path):
    windows = []

    def make(preset="deep-sigmoid"):
        settings = QtCore.QSettings(str(tmp_path / f"ffviz{len(windows)}.ini"), QtCore.QSettings.Format.IniFormat)
        settings.setValue("firstRunDone", True)
        win = MainWindow(load_preset(preset), settings=settings)
        qtbot.addWidget(win)
        windows.append(win)
        win.resize(1600, 1000)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win

    yield make
    for win in windows:
        win.close()


def train(qtbot, win, n):
    target = win.snapshot.step + n
    win.step_requested.emit(n)
    qtbot.waitUntil(lambda: win.snapshot.step == target, timeout=TIMEOUT)
    return win.snapshot


def test_the_views_are_docks_tabbed_with_the_loss_plot(make_window):
    win = make_window()
    for key in ("gradients", "activations"):
        assert win.docks[key] in win.tabifiedDockWidgets(win.docks["loss"])
        assert win.docks[key].toggleViewAction() in win.view_menu.actions()


def test_shift_g_colours_by_gradient_on_a_log_scale(make_window, qtbot):
    win = make_window()
    train(qtbot, win, 5)
    QTest.keyClick(win, QtCore.Qt.Key.Key_G, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert win.act_log_gradient.isChecked() and win.act_gradient.isChecked()
    assert win.network_view.color_mode() == "gradient" and win.network_view.log_gradient
    assert "log scale" in win.network_view.legend_text()
    QTest.keyClick(win, QtCore.Qt.Key.Key_G, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert not win.network_view.log_gradient and "log scale" not in win.network_view.legend_text()


def test_a_clicked_weight_gets_its_updates_to_move(make_window, qtbot):
    win = make_window()
    snap = train(qtbot, win, 10)
    view = win.gradient_view
    qtbot.waitUntil(lambda: view._snap is not None and view._snap.step == 10, timeout=TIMEOUT)
    win.network_view.weight_selected.emit(3, "kernel", (1, 2))  # as a click on that edge emits it
    g = float(snap.grad_kernels[2][1, 2])
    assert view.weight == (3, "kernel", (1, 2))
    assert view.estimate.updates == math.ceil(0.7 / (snap.learning_rate * abs(g)))
    assert "kernel3[1,2]" in view.move_text()


def test_the_twin_is_trained_off_the_gui_thread_to_the_runs_update(make_window, qtbot):
    win = make_window()
    train(qtbot, win, 120)
    win.docks["gradients"].raise_()
    win.gradient_view.compare_button.click()
    qtbot.waitUntil(lambda: win.gradient_view.twin is not None and win.gradient_view.twin.step == 120,
                    timeout=TIMEOUT)
    assert "ReLU twin" in win.gradient_view.values_text()


def test_a_session_reopens_with_the_same_layer_norms_and_view_settings(make_window, qtbot, tmp_path):
    win = make_window()
    saved = train(qtbot, win, 60)
    win.act_log_gradient.setChecked(True)
    win.gradient_view.set_measure("ratio")
    win.gradient_view.set_move("0.25", "-1")
    win.gallery_view.set_layer(3)
    win.gallery_view.set_vector("1, 2, 3, 4")
    path = tmp_path / "run.ffviz"
    with qtbot.waitSignal(win.files.session_written, timeout=TIMEOUT):
        win.save_session(path)
    train(qtbot, win, 20)  # everything moves on and changes …
    win.act_log_gradient.setChecked(False)
    win.gradient_view.set_measure("grad")
    win.gradient_view.set_move("0.5", "-0.2")
    win.gallery_view.set_layer(1)
    win.gallery_view.set_vector("0, 0")
    with qtbot.waitSignal(win.files.session_opened, timeout=TIMEOUT):  # … and comes back
        assert win.open_file(path)
    qtbot.waitUntil(lambda: win.gradient_view._snap is not None and win.gradient_view._snap.step == 60,
                    timeout=TIMEOUT)
    snap = win.snapshot
    np.testing.assert_array_equal(snap.norms.steps, saved.norms.steps)
    np.testing.assert_array_equal(snap.norms.grad, saved.norms.grad)
    np.testing.assert_array_equal(snap.norms.ratio, saved.norms.ratio)
    lines = win.gradient_view._lines
    np.testing.assert_array_equal(lines[0].yData, saved.norms.ratio[:, 0])  # drawn as before
    assert win.network_view.log_gradient and win.act_log_gradient.isChecked()
    assert win.gradient_view.measure == "ratio"
    assert (win.gradient_view.estimate.start, win.gradient_view.estimate.target) == (0.25, -1.0)
    assert win.gallery_view.layer == 3 and win.gallery_view.vector_edit.text() == "1, 2, 3, 4"
