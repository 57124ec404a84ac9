"""The main window as a user drives it: keys and toolbar, with the worker training in its own thread."""

import os
import signal
import time

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from ffviz.engine import load_preset, preset_names
from ffviz.ui.app import close_on_signals
from ffviz.ui.main_window import MainWindow, in_view

TIMEOUT = 10_000


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    windows = []

    def make(preset="circle", shown=True):
        win = MainWindow(load_preset(preset), settings=settings)
        qtbot.addWidget(win)
        windows.append(win)
        if shown:
            win.show()
            qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win

    yield make
    for win in windows:
        win.close()


def wait_for(qtbot, win, predicate, timeout=TIMEOUT):
    qtbot.waitUntil(lambda: win.snapshot is not None and predicate(win.snapshot), timeout=timeout)
    return win.snapshot


def key(win, k, modifier=QtCore.Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(win, k, modifier)


def edge_colors(win):
    nv = win.network_view
    snap = win.snapshot
    out = []
    for layer, k in enumerate(snap.kernels, start=1):
        for i, j in np.ndindex(k.shape):
            out.append(nv.edge_item(layer, i, j).pen().color().name())
    return out


@pytest.mark.parametrize("preset", preset_names())
def test_window_builds_on_every_preset(make_window, preset):
    win = make_window(preset)
    snap = win.snapshot
    assert snap.config.name == preset and snap.step == 0
    assert win.network_view.node_count() == sum(snap.layer_sizes)
    assert "step 0" in win.status_label.text()


def test_step_key_advances_exactly_one_update_and_the_views_follow(make_window, qtbot):
    win = make_window("circle")
    before_colors = edge_colors(win)
    before_curve = win.loss_plot.train_curve.getData()[0].size
    key(win, QtCore.Qt.Key.Key_Right)
    snap = wait_for(qtbot, win, lambda s: s.step >= 1)
    qtbot.wait(200)
    assert win.snapshot.step == 1  # exactly one: no training behind our back
    assert edge_colors(win) != before_colors
    x, y = win.loss_plot.train_curve.getData()
    assert x.size == before_curve + 1 and x[-1] == 1 and y[-1] == pytest.approx(snap.train_loss)
    key(win, QtCore.Qt.Key.Key_N)
    wait_for(qtbot, win, lambda s: s.step == 2)
    win.act_step.trigger()
    wait_for(qtbot, win, lambda s: s.step == 3)


def test_phase_key_steps_through_the_lecture_phases(make_window, qtbot):
    win = make_window("lecture")
    labels = []
    for _ in range(4):
        key(win, QtCore.Qt.Key.Key_P)
        n = len(labels) + 1
        snap = wait_for(qtbot, win, lambda s, n=n: s.trace is not None and (
            s.step == 1 or (s.trace.last_phase is not None and len(labels) < n and s.mid_update
                            and s.trace.last_phase.label not in labels)))
        labels.append(snap.trace.last_phase.label)
    assert labels == ["Forward pass, layer 1", "Loss", "Backward pass, layer 1", "Weight update"]
    assert win.snapshot.step == 1
    np.testing.assert_allclose(win.snapshot.kernels[0][:, 0], [0.29046, 0.33927], atol=5e-6)


def test_play_then_pause_stops_within_one_frame(make_window, qtbot):
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.playing, timeout=TIMEOUT)
    wait_for(qtbot, win, lambda s: s.step > 20)
    t0 = time.perf_counter()
    key(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.playing, timeout=TIMEOUT)
    # The worker confirmed the pause within a frame (1/30 s; generous for a shared test machine) ...
    assert time.perf_counter() - t0 < 0.25
    wait_for(qtbot, win, lambda s: s.step == win.worker.trainer.step_count)
    stopped_at = win.snapshot.step
    qtbot.wait(400)
    # ... and nothing trained after it: the last snapshot shows where it stopped.
    assert win.snapshot.step == stopped_at and win.worker.trainer.step_count == stopped_at


def test_learning_rate_change_while_playing_takes_effect_without_reset(make_window, qtbot):
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Space)
    wait_for(qtbot, win, lambda s: s.step > 10)
    run_id = win.snapshot.run_id
    win.controls.learning_rate.setCurrentText("0.01")
    win.controls.learning_rate.lineEdit().returnPressed.emit()
    snap = wait_for(qtbot, win, lambda s: s.learning_rate == 0.01)
    reached = snap.step
    wait_for(qtbot, win, lambda s: s.step > reached + 10)
    assert win.snapshot.run_id == run_id and win.playing  # no rebuild, still training
    trace = win.snapshot.trace
    assert trace.learning_rate == 0.01 and trace.step > reached
    key(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.playing, timeout=TIMEOUT)


def test_gradient_colouring_toggle_changes_the_edges(make_window, qtbot):
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Right)
    wait_for(qtbot, win, lambda s: s.step == 1)
    by_weight = edge_colors(win)
    key(win, QtCore.Qt.Key.Key_G)
    assert win.act_gradient.isChecked() and win.network_view.color_mode() == "gradient"
    by_gradient = edge_colors(win)
    assert by_gradient != by_weight
    assert "gradient" in win.network_view.legend_text()
    key(win, QtCore.Qt.Key.Key_G)
    assert edge_colors(win) == by_weight


def test_reset_restores_the_initial_weights_of_the_seed(make_window, qtbot):
    win = make_window("circle")
    initial = [k.copy() for k in win.snapshot.kernels]
    for _ in range(3):
        key(win, QtCore.Qt.Key.Key_Right)
    wait_for(qtbot, win, lambda s: s.step == 3)
    assert not np.array_equal(win.snapshot.kernels[0], initial[0])
    key(win, QtCore.Qt.Key.Key_R)
    snap = wait_for(qtbot, win, lambda s: s.step == 0)
    for k, k0 in zip(snap.kernels, initial):
        np.testing.assert_array_equal(k, k0)
    assert win.loss_plot.train_curve.getData()[0].size == 1


def test_divergence_pauses_and_is_recoverable(make_window, qtbot):
    from dataclasses import replace
    win = make_window("regression")
    cfg = win.snapshot.config
    win.config_requested.emit(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd", learning_rate=1e5)))
    wait_for(qtbot, win, lambda s: s.learning_rate == 1e5)
    key(win, QtCore.Qt.Key.Key_Space)
    snap = wait_for(qtbot, win, lambda s: s.diverged is not None)
    qtbot.waitUntil(lambda: not win.playing and win.banner.isVisible(), timeout=TIMEOUT)
    assert "non-finite" in win.banner.label.text() and win.act_restore.isEnabled()
    qtbot.mouseClick(win.banner.button, QtCore.Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, win, lambda s: s.diverged is None)
    assert all(np.all(np.isfinite(k)) for k in snap.kernels) and np.isfinite(snap.train_loss)
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=TIMEOUT)
    win.learning_rate_requested.emit(0.001)
    key(win, QtCore.Qt.Key.Key_Right)
    wait_for(qtbot, win, lambda s: s.step == snap.step + 1 and s.diverged is None)


def test_closing_while_playing_stops_the_thread_promptly(make_window, qtbot):
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Space)
    wait_for(qtbot, win, lambda s: s.step > 5)
    t0 = time.perf_counter()
    win.close()
    assert time.perf_counter() - t0 < 1.0
    assert not win._worker_thread.thread.isRunning()


def test_closing_while_the_training_process_runs_ends_it_promptly(make_window, qtbot):
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.worker.remote, timeout=30000)  # playing as fast as it goes: trained elsewhere
    before = win.snapshot.step
    wait_for(qtbot, win, lambda s: s.step > before + 100)  # and the window keeps showing it
    process = win.worker.runner.process._proc
    t0 = time.perf_counter()
    win.close()
    assert time.perf_counter() - t0 < 1.0
    assert not win._worker_thread.thread.isRunning() and not process.is_alive()


def _in_compute_process(win, qtbot) -> list:
    """Ask until heavy requests are answered in the window's compute process; the answers so far."""
    from tests.engine.test_compute_process import WhereAmI
    got = []
    win.compute.worker.answered.connect(got.append)
    for serial in range(300):  # the first are answered on the thread while the process starts
        win.compute.submit(WhereAmI("where", 1, 0, serial))
        qtbot.waitUntil(lambda: len(got) > serial, timeout=TIMEOUT)
        if got[-1].value != os.getpid():
            break
        qtbot.wait(20)
    assert got[-1].value == win.compute.worker.process._proc.pid
    return got


def test_a_compute_process_that_dies_is_said_in_the_status_bar_and_surfaces_go_on(make_window, qtbot):
    from tests.engine.test_compute_process import WhereAmI
    win = make_window("circle")
    got = _in_compute_process(win, qtbot)
    process = win.compute.worker.process
    process.kill()
    qtbot.waitUntil(lambda: not process.alive, timeout=TIMEOUT)
    win.compute.submit(WhereAmI("where", 1, 0, 1000))
    qtbot.waitUntil(lambda: got[-1].request.serial == 1000, timeout=TIMEOUT)
    assert got[-1].value == os.getpid()  # answered here
    qtbot.waitUntil(lambda: "computed in the window's process" in win.statusBar().currentMessage(),
                    timeout=TIMEOUT)
    assert win.statusBar().currentMessage().startswith("⚠ loss surfaces and races")


def test_closing_while_the_compute_process_computes_a_surface_ends_it_promptly(make_window, qtbot):
    from ffviz.engine import Trainer, load_preset
    from ffviz.engine.requests import SurfaceViewRequest
    from ffviz.engine.surface import SurfaceRequest
    win = make_window("circle")
    _in_compute_process(win, qtbot)
    process = win.compute.worker.process._proc
    tr = Trainer(load_preset("circle"))
    slow = SurfaceRequest.two_weights(0, 3, resolution=401, method="plain")  # seconds of work there
    win.compute.submit(SurfaceViewRequest("surface", tr.run_id, 0, 1, tr.state(), slow))
    qtbot.wait(200)
    t0 = time.perf_counter()
    win.close()
    assert time.perf_counter() - t0 < 1.0
    assert not win.compute.thread.isRunning() and not process.is_alive()


def test_ctrl_c_in_the_terminal_closes_the_window_as_a_user_would(make_window, qtbot, settings):
    """Qt's loop runs in C++: without the wakeup socket, Python would handle Ctrl+C only at the next event."""
    win = make_window("circle")
    key(win, QtCore.Qt.Key.Key_Space)
    wait_for(qtbot, win, lambda s: s.step > 5)
    settings.clear()
    with close_on_signals(win) as received:
        QtCore.QTimer.singleShot(50, lambda: os.kill(os.getpid(), signal.SIGINT))
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=TIMEOUT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL  # a second Ctrl+C would end it at once
    assert received == [signal.SIGINT]
    assert not win._worker_thread.thread.isRunning()
    assert settings.value("mainWindow/state") is not None  # closed through closeEvent: the layout was saved
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # pytest's own handling is back


def test_a_bad_config_from_the_panel_changes_nothing_and_says_why(make_window, qtbot):
    from dataclasses import replace
    win = make_window("circle")
    snap = win.snapshot
    bad = replace(snap.config, data=replace(snap.config.data, name="blobs-k"))  # 3 classes, 1 output unit
    win.config_requested.emit(bad)
    qtbot.waitUntil(lambda: "output layer" in win.statusBar().currentMessage(), timeout=TIMEOUT)
    assert win.worker.trainer.config == snap.config


def test_structural_change_rebuilds_and_says_so(make_window, qtbot):
    from dataclasses import replace
    win = make_window("circle")
    cfg = win.snapshot.config
    layers = (replace(cfg.layers[0], units=6),) + cfg.layers[1:]
    win.controls.config_requested.emit(replace(cfg, layers=layers))
    snap = wait_for(qtbot, win, lambda s: s.layer_sizes == (2, 6, 2, 1))
    assert snap.step == 0 and "initialised" in win.statusBar().currentMessage()
    assert win.network_view.node_count() == 11


def test_hand_edited_weight_reaches_the_trainer(make_window, qtbot):
    win = make_window("lecture")
    win.network_view.weight_edit_requested.emit(1, "kernel", (0, 0), 0.5)
    snap = wait_for(qtbot, win, lambda s: s.kernels[0][0, 0] == 0.5)
    assert snap.step == 0


def test_dock_arrangement_is_remembered(qtbot, settings):
    win = MainWindow(load_preset("circle"), settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.loss_dock.setFloating(True)
    win.boundary_dock.hide()
    win.close()
    again = MainWindow(load_preset("circle"), settings=settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.loss_dock.isFloating() and not again.boundary_dock.isVisible()
    again.close()


def test_save_open_and_export_from_the_window(make_window, qtbot, tmp_path):
    import xml.etree.ElementTree as ET
    win = make_window("lecture")
    key(win, QtCore.Qt.Key.Key_Right)
    wait_for(qtbot, win, lambda s: s.step == 1)
    path = tmp_path / "trained.json"
    assert win.save_network(path)
    from ffviz.io.files import load_network_file
    cfg = load_network_file(path)
    np.testing.assert_allclose(np.array(cfg.layers[0].kernel)[:, 0], [0.29046, 0.33927], atol=5e-6)
    assert win.open_network(path)
    snap = wait_for(qtbot, win, lambda s: s.step == 0 and abs(s.kernels[0][0, 0] - 0.29046) < 1e-5)
    files = win.export_plots(tmp_path)
    # diagram, 2 plots, surface, chain rule, vanishing gradients, activation gallery
    assert len(files) == 14 and all(f.stat().st_size > 0 for f in files)
    assert {f.name for f in files} >= {"chain-rule.png", "chain-rule.svg", "gradient-norms.png", "activations.svg"}
    ET.parse(tmp_path / "loss.svg")
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert not win.open_network(bad)
    assert "bad.json line 1" in win.statusBar().currentMessage()
    assert win.snapshot.config == snap.config


def test_a_view_that_fails_does_not_stop_drawing_or_training(make_window, qtbot, monkeypatch):
    win = make_window("circle")
    calls = []

    def broken(snap):
        calls.append(snap.step)
        if len(calls) == 1:
            raise RuntimeError("drawing went wrong")
        return True
    monkeypatch.setattr(win.loss_plot, "show_snapshot", broken)
    key(win, QtCore.Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "could not draw" in win.statusBar().currentMessage(), timeout=TIMEOUT)
    key(win, QtCore.Qt.Key.Key_Right)
    wait_for(qtbot, win, lambda s: s.step == 2)
    assert len(calls) >= 2


def test_an_error_inside_the_worker_pauses_and_is_reported(make_window, qtbot, monkeypatch):
    win = make_window("circle")

    def boom(n=1):
        raise RuntimeError("something unexpected")
    monkeypatch.setattr(win.worker.trainer, "step", boom)
    key(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "internal error" in win.statusBar().currentMessage(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not win.playing, timeout=TIMEOUT)
    assert "\n" not in win.statusBar().currentMessage()


def test_damaged_settings_are_ignored(qtbot, tmp_path):
    path = tmp_path / "ffviz.ini"
    path.write_text("[mainWindow]\ngeometry=garbage\nstate=more garbage\n[General]\nlastDir=42\n")
    settings = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(load_preset("circle"), settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
    assert win._file_dialog_dir()
    win.close()


def test_a_refused_file_leaves_the_data_folder_alone(make_window, qtbot, tmp_path):
    import json
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "d.csv").write_text("x1,x2,label\n0,0,0\n1,1,1\n0,1,1\n")
    spec = {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
            "data": {"csv": "d.csv", "test_fraction": 0}}
    for folder in ("a", "b"):
        (tmp_path / folder / "net.json").write_text(json.dumps(spec))
    win = make_window("circle")
    assert win.open_network(tmp_path / "a" / "net.json")
    wait_for(qtbot, win, lambda s: s.config.data.name == "csv")
    assert win.open_network(tmp_path / "b" / "net.json")  # its CSV is missing: the worker refuses it
    qtbot.waitUntil(lambda: "d.csv" in win.statusBar().currentMessage(), timeout=TIMEOUT)
    assert win.save_network(tmp_path / "saved.json")
    saved = json.loads((tmp_path / "saved.json").read_text())
    assert saved["data"]["path"] == str((tmp_path / "a" / "d.csv").resolve())


def test_frames_do_not_wait_for_a_dock_behind_another_tab(make_window, qtbot):
    # Qt keeps a dock behind another's tab "visible" and moves it off the window: it never paints, so waiting
    # for its paint held every frame to PaintWatch's 100 ms timeout (10 frames/s)
    win = make_window("circle")
    win.surface_dock.raise_()
    qtbot.waitUntil(lambda: not in_view(win.boundary_plot), timeout=TIMEOUT)
    win._paint_watch.expect([win.boundary_plot.viewport(), win.surface_view.canvas.viewport()])
    assert win._paint_watch._waiting == {win.surface_view.canvas.viewport()}
    win.boundary_dock.raise_()
    qtbot.waitUntil(lambda: in_view(win.boundary_plot), timeout=TIMEOUT)
    win._paint_watch.expect([win.boundary_plot.viewport(), win.surface_view.canvas.viewport()])
    assert win._paint_watch._waiting == {win.boundary_plot.viewport()}


@pytest.mark.parametrize("preset, shown, behind", [("circle", "boundary", "surface"), ("lecture", "surface", "boundary")])
def test_a_new_window_shows_the_boundary_or_for_the_lecture_the_surface(make_window, qtbot, preset, shown, behind):
    win = make_window(preset)
    views = {"boundary": win.boundary_plot, "surface": win.surface_view}
    qtbot.waitUntil(lambda: in_view(views[shown]) and not in_view(views[behind]), timeout=TIMEOUT)
