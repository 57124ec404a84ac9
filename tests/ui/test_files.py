"""Files from the window: sessions saved and reopened restore the step, the weights, the history and the view
settings; a refused file changes nothing; drag and drop, recent files, weights onto the network, CSV import,
points drawn by hand, exports and animations."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.session_state import capture
from ffviz.io.session import session_bytes
from ffviz.ui.main_window import MainWindow

TIMEOUT = 10_000


@pytest.fixture
def make_window(qtbot, tmp_path):
    windows = []

    def make(preset="circle"):
        settings = QtCore.QSettings(str(tmp_path / f"ffviz{len(windows)}.ini"), QtCore.QSettings.Format.IniFormat)
        win = MainWindow(load_preset(preset), settings=settings)
        qtbot.addWidget(win)
        windows.append(win)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win

    yield make
    for win in windows:
        win.close()


def wait_for(qtbot, win, predicate):
    qtbot.waitUntil(lambda: win.snapshot is not None and predicate(win.snapshot), timeout=TIMEOUT)
    return win.snapshot


def train(qtbot, win, n):
    target = win.snapshot.step + n
    win.step_requested.emit(n)
    return wait_for(qtbot, win, lambda s: s.step == target)


def save(qtbot, win, path):
    with qtbot.waitSignal(win.files.session_written, timeout=TIMEOUT):
        win.save_session(path)


def open_session(qtbot, win, path):
    with qtbot.waitSignal(win.files.session_opened, timeout=TIMEOUT):
        assert win.open_file(path)
    return win.snapshot


def test_a_saved_session_reopens_where_it_was_and_trains_on_exactly(make_window, qtbot, tmp_path):
    win = make_window("spiral")  # Adam on shuffled mini-batches
    saved = train(qtbot, win, 45)
    win.act_gradient.setChecked(True)
    win.act_log.setChecked(True)
    win.network_view.set_selection(2, "kernel", (1, 0))
    path = tmp_path / "run.ffviz"
    save(qtbot, win, path)
    train(qtbot, win, 30)  # then everything moves on and changes …
    win.act_gradient.setChecked(False)
    win.act_log.setChecked(False)
    win.network_view.set_selection(1, "bias", (0,))
    snap = open_session(qtbot, win, path)  # … and comes back
    assert snap.step == 45 and snap.run_id > saved.run_id
    for a, b in zip(snap.kernels + snap.biases, saved.kernels + saved.biases):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(snap.history.eval_step, saved.history.eval_step)
    np.testing.assert_array_equal(snap.history.batch_loss, saved.history.batch_loss)
    assert win.network_view.color_mode() == "gradient" and win.act_gradient.isChecked()
    assert win.loss_plot.log_scale and win.act_log.isChecked()
    assert win.network_view.selection() == (2, "kernel", (1, 0))
    assert snap.grad_kernels[0] is not None  # the last update's gradients are back: the edges can show them
    after = train(qtbot, win, 25)
    straight = Trainer(load_preset("spiral"))
    straight.step(70)
    np.testing.assert_array_equal(after.params, straight.params)
    assert win.files.recent()[0] == str(path.resolve())


def _refused(win, qtbot, data: bytes, tmp_path, needle: str):
    before = win.snapshot
    path = tmp_path / "bad.ffviz"
    path.write_bytes(data)
    win.open_file(path)
    qtbot.waitUntil(lambda: needle in win.notice.label.text(), timeout=TIMEOUT)
    qtbot.wait(200)
    after = win.snapshot
    assert "\n" not in win.notice.label.text()
    assert (after.run_id, after.step, after.config) == (before.run_id, before.step, before.config)
    np.testing.assert_array_equal(after.params, before.params)


def test_a_refused_session_leaves_the_window_as_it_was(make_window, qtbot, tmp_path):
    win = make_window("circle")
    train(qtbot, win, 12)
    t = Trainer(load_preset("xor"))
    t.step(5)
    good = session_bytes(capture(t))
    _refused(win, qtbot, good[: len(good) // 3], tmp_path, "bad.ffviz is truncated")
    # read and checked, but its data does not fit its network: the worker refuses it, and nothing changes
    wide = Trainer(replace(load_preset("spiral")))
    saved = capture(t)
    misfit = replace(saved, state=replace(saved.state, dataset=wide.dataset))
    _refused(win, qtbot, session_bytes(misfit), tmp_path, "input column")


def test_dropping_a_session_on_the_window_opens_it(make_window, qtbot, tmp_path):
    t = Trainer(load_preset("xor"))
    t.step(17)
    path = tmp_path / "dropped.ffviz"
    path.write_bytes(session_bytes(capture(t), {"log_scale": True}))
    win = make_window("circle")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    point = QtCore.QPointF(win.width() / 2, win.height() / 2)
    actions = QtCore.Qt.DropAction.CopyAction
    enter = QtGui.QDragEnterEvent(point.toPoint(), actions, mime, QtCore.Qt.MouseButton.LeftButton,
                                  QtCore.Qt.KeyboardModifier.NoModifier)
    win.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(point, actions, mime, QtCore.Qt.MouseButton.LeftButton,
                            QtCore.Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(win.files.session_opened, timeout=TIMEOUT):
        win.dropEvent(drop)
    assert win.snapshot.step == 17 and win.snapshot.config == t.config and win.loss_plot.log_scale
    text = QtCore.QMimeData()
    text.setText("not a file")
    refused = QtGui.QDragEnterEvent(point.toPoint(), actions, text, QtCore.Qt.MouseButton.LeftButton,
                                    QtCore.Qt.KeyboardModifier.NoModifier)
    refused.ignore()
    win.dragEnterEvent(refused)
    assert not refused.isAccepted()


def test_ctrl_s_saves_the_session_and_recent_files_reopen_it(make_window, qtbot, tmp_path):
    win = make_window("xor")
    train(qtbot, win, 8)
    first = tmp_path / "a.ffviz"
    save(qtbot, win, first)
    train(qtbot, win, 4)
    with qtbot.waitSignal(win.files.session_written, timeout=TIMEOUT) as saved:
        QTest.keyClick(win, QtCore.Qt.Key.Key_S, QtCore.Qt.KeyboardModifier.ControlModifier)  # same file again
    assert saved.args == [str(first)]
    second = tmp_path / "b.ffviz"
    save(qtbot, win, second)
    win.files._fill_recent()
    entries = [a for a in win.files.recent_menu.actions() if a.text().startswith("&")]
    assert [e.text().split()[1] for e in entries] == ["b.ffviz", "a.ffviz"]
    with qtbot.waitSignal(win.files.session_opened, timeout=TIMEOUT):
        entries[1].trigger()
    assert win.snapshot.step == 12  # a.ffviz as Ctrl+S left it
    second.unlink()
    assert not win.files.open_recent(str(second.resolve()))
    assert "not there any more" in win.notice.label.text()
    assert win.files.recent() == [str(first.resolve())]
    assert win.windowTitle().startswith("a.ffviz — ")
    win.preset_requested.emit("circle")  # another run: Ctrl+S must not save it over a.ffviz
    wait_for(qtbot, win, lambda s: s.config.name == "circle")
    assert win.files.session_path is None and "a.ffviz" not in win.windowTitle()


def test_weights_load_onto_a_network_of_their_shape_and_a_mismatch_is_named(make_window, qtbot, tmp_path):
    from ffviz.io.weights import save_weights_npz
    win = make_window("xor")
    other = Trainer(load_preset("xor"))
    other.step(300)
    save_weights_npz(tmp_path / "w.npz", other.config, other.kernels, other.biases)
    assert win.files.open_weights(tmp_path / "w.npz")
    snap = wait_for(qtbot, win, lambda s: np.array_equal(s.params, other.params))
    assert snap.step == 0  # onto the run: its step and history stay
    cfg = load_preset("xor")
    wide = Trainer(replace(cfg, layers=(replace(cfg.layers[0], units=cfg.layers[0].units + 3),) + cfg.layers[1:]))
    save_weights_npz(tmp_path / "wide.npz", wide.config, wide.kernels, wide.biases)
    assert not win.files.open_weights(tmp_path / "wide.npz")
    units = cfg.layers[0].units
    assert f"layer 1's kernel is 2 × {units} here but 2 × {units + 3} in wide.npz" in win.notice.label.text()


def test_open_puts_trained_weights_onto_the_network_and_opens_network_files_as_runs(make_window, qtbot, tmp_path):
    import json

    from ffviz.engine import preset_dict
    from ffviz.io.files import save_network_file
    win = make_window("xor")
    train(qtbot, win, 7)
    other = Trainer(load_preset("xor"))
    other.step(200)
    save_network_file(tmp_path / "weights.json", other.config, other.kernels, other.biases,
                      trained={"steps": 200, "epochs": 1.0})
    assert win.open_file(tmp_path / "weights.json")  # what ffviz writes as trained weights: onto this run
    snap = wait_for(qtbot, win, lambda s: np.array_equal(s.params, other.params))
    assert snap.step == 7 and "Open as a new run" in win.statusBar().currentMessage()
    (tmp_path / "lecture.json").write_text(json.dumps(preset_dict("lecture")))  # starting weights: a run
    assert win.open_file(tmp_path / "lecture.json")
    snap = wait_for(qtbot, win, lambda s: s.config.name == "lecture")
    assert snap.step == 0
    assert not win.open_file(tmp_path / "weights.json")  # trained for another network
    assert "Open as a new run opens the file" in win.notice.label.text()


def test_points_drawn_by_hand_train_save_with_the_session_and_export_as_csv(make_window, qtbot, tmp_path):
    from ffviz.engine.config import DataSpec
    from ffviz.engine.datasets import build_dataset
    win = make_window("xor")
    n = win.snapshot.dataset.raw_train.shape[0] + win.snapshot.dataset.raw_test.shape[0]
    win.files.set_drawing(True)
    assert win.boundary_plot.editing and win.files.class_combo.count() == 2
    win.files.class_combo.setCurrentIndex(1)
    vb = win.boundary_plot.plot_item.getViewBox()
    at = vb.mapViewToScene(QtCore.QPointF(4.5, -4.5))  # a click there, on the plot
    QTest.mouseClick(win.boundary_plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=at.toPoint())
    snap = wait_for(qtbot, win, lambda s: s.config.data.name == "inline")
    ds = snap.dataset
    assert ds.raw_train.shape[0] == n + 1 and ds.raw_test.shape[0] == 0
    np.testing.assert_allclose(ds.raw_train[-1], [4.5, -4.5], atol=0.1)  # within a pixel or so
    assert ds.y_train[-1, 0] == 1.0
    win.boundary_plot.point_removed.emit(4.4, -4.4)
    snap = wait_for(qtbot, win, lambda s: s.dataset.raw_train.shape[0] == n)
    assert np.min(np.hypot(*(snap.dataset.raw_train - [4.5, -4.5]).T)) > 0.1  # the nearest one went
    win.boundary_plot.point_added.emit(-1.0, 2.0)
    snap = wait_for(qtbot, win, lambda s: s.dataset.raw_train.shape[0] == n + 1)
    save(qtbot, win, tmp_path / "points.ffviz")
    win.preset_requested.emit("circle")
    wait_for(qtbot, win, lambda s: s.config.name == "circle")
    reopened = open_session(qtbot, win, tmp_path / "points.ffviz")
    np.testing.assert_array_equal(reopened.dataset.raw_train, snap.dataset.raw_train)
    assert win.files.export_data(tmp_path / "points.csv")
    back = build_dataset(DataSpec(name="csv", path=str(tmp_path / "points.csv"), test_fraction=0.0, standardize=False),
                         np.random.default_rng(0))
    np.testing.assert_array_equal(back.raw_train, snap.dataset.raw_train)
    np.testing.assert_array_equal(back.y_train, snap.dataset.y_train)
    win.files.last_menu = None
    at = QtCore.QPoint(100, 100)
    QtGui.QGuiApplication.sendEvent(win.boundary_plot.viewport(), QtGui.QContextMenuEvent(
        QtGui.QContextMenuEvent.Reason.Mouse, at, win.boundary_plot.viewport().mapToGlobal(at)))
    assert win.files.last_menu is None  # while drawing, a right-click removes a point: no menu
    win.files.set_drawing(False)
    assert not win.boundary_plot.editing


def test_drawing_points_needs_classification_data_on_the_plane(make_window, qtbot):
    win = make_window("regression")
    win.files.set_drawing(True)
    assert not win.boundary_plot.editing and not win.files.act_draw_points.isChecked()
    assert "classification" in win.notice.label.text()


def test_a_csv_file_is_previewed_and_then_trained_on(make_window, qtbot, tmp_path):
    from ffviz.ui.panels.files import CsvPreviewDialog, csv_preview
    rows = "".join(f"{i * 10},{i % 5},{['setosa', 'versicolor', 'virginica'][i % 3]}\n" for i in range(30))
    path = tmp_path / "iris-ish.csv"
    path.write_text("length,width,species\n" + rows)
    preview = csv_preview(path)
    assert preview["header"] == ["length", "width", "species"] and len(preview["rows"]) == 8
    assert preview["task"].startswith("multi-class (3 classes: setosa, versicolor, virginica)")
    dialog = CsvPreviewDialog(preview)
    qtbot.addWidget(dialog)
    assert dialog.table.item(0, 2).text() == "setosa" and "Task found" in dialog.summary.text()
    win = make_window("circle")
    assert win.files.open_file(path, ask=False)
    snap = wait_for(qtbot, win, lambda s: s.config.data.name == "csv")
    assert snap.dataset.class_names == ("setosa", "versicolor", "virginica") and snap.config.layers[-1].units == 3
    # the file's names are what the user sees: the plot's axes, the diagram's inputs, the legend's classes
    qtbot.waitUntil(lambda: win.boundary_plot.plot_item.getAxis("bottom").labelText == "length", timeout=5000)
    assert win.boundary_plot.plot_item.getAxis("left").labelText == "width"
    texts = {item.text() for item in win.network_view.scene().items()
             if isinstance(item, QtWidgets.QGraphicsSimpleTextItem)}
    assert {"length", "width"} <= texts
    legend = [label.text for _, label in win.boundary_plot.legend.items]
    assert legend[:3] == ["setosa", "versicolor", "virginica"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    assert not win.files.open_file(bad, ask=False)
    assert "bad.csv line 3" in win.notice.label.text()


def test_exports_from_the_window_at_a_chosen_width_and_from_a_plots_menu(make_window, qtbot, tmp_path):
    win = make_window("circle")
    train(qtbot, win, 10)
    files = win.files.export_views(tmp_path / "out", ["loss", "boundary"], width=640, formats=("png",))
    assert sorted(f.name for f in files) == ["decision-boundary.png", "loss.png"]
    assert QtGui.QImage(str(tmp_path / "out" / "loss.png")).width() == 640
    at = QtCore.QPoint(60, 60)  # a right-click, as the system sends it
    QtGui.QGuiApplication.sendEvent(win.loss_plot.viewport(), QtGui.QContextMenuEvent(
        QtGui.QContextMenuEvent.Reason.Mouse, at, win.loss_plot.viewport().mapToGlobal(at)))
    texts = [a.text() for a in win.files.last_menu.actions()]
    win.files.last_menu.close()
    assert texts == ["Export “Loss and accuracy” as PNG…", "Export “Loss and accuracy” as SVG…"]
    assert win.files.export_one(win.loss_plot, "svg", tmp_path / "one.svg")
    assert (tmp_path / "one.svg").read_bytes().startswith(b"<?xml")


def test_an_animation_from_the_window_trains_a_copy_of_the_run(make_window, qtbot, tmp_path):
    from PIL import Image
    win = make_window("xor")
    before = train(qtbot, win, 5)
    path = tmp_path / "loss.gif"
    with qtbot.waitSignal(win.files.animation_written, timeout=30_000):
        assert win.files.export_animation(path, "loss", 6, stride=2, width=320, show_progress=False)
    gif = Image.open(path)
    assert gif.n_frames == 4 and gif.size[0] == 320
    qtbot.wait(100)
    assert win.snapshot.step == before.step  # the window's run did not move
    assert not win.files.export_animation(tmp_path / "x.mp4", "loss", 6)
    assert "gif" in win.notice.label.text()


def test_built_in_data_can_be_standardised_from_the_window_and_a_csv_is_by_default(make_window, qtbot, tmp_path):
    win = make_window("circle")
    box = win.controls.standardize
    assert not box.isChecked() and win.snapshot.dataset.standardization is None
    raw = np.array(win.snapshot.dataset.raw_train)
    box.click()
    snap = wait_for(qtbot, win, lambda s: s.dataset.standardization is not None)
    np.testing.assert_allclose(snap.dataset.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(snap.dataset.x_train.std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(snap.dataset.raw_train, raw)  # the plots stay in the data's units
    box.click()
    snap = wait_for(qtbot, win, lambda s: s.dataset.standardization is None)
    np.testing.assert_array_equal(snap.dataset.x_train, raw)
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{100 * (i % 7)},{i % 2}\n" for i in range(40)))
    assert win.files.open_file(path, ask=False)
    wait_for(qtbot, win, lambda s: s.config.data.name == "csv" and s.dataset.standardization is not None)
    assert box.isChecked()
