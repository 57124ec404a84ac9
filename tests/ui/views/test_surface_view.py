"""The loss surface view in the window, as a user drives it: the slides' step drawn at the engine's numbers, the
surface's values, clicks that move exactly two weights, "freeze the others", races, staleness and the slice.
Numbers are checked against a direct NumPy computation of the lecture's one-sample network."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.race import Contender
from ffviz.ui import format as fmt
from ffviz.ui.main_window import MainWindow
from ffviz.ui.views import in_view

TIMEOUT = 20_000
X, Y = np.array([0.50, 0.51]), 0.10  # the slides' sample


def lecture_j(w1, w2):
    """½(ŷ − y)² with ŷ = σ(w1·x1 + w2·x2): the slides' network, written out."""
    yhat = 1.0 / (1.0 + np.exp(-(np.asarray(w1) * X[0] + np.asarray(w2) * X[1])))
    return 0.5 * (yhat - Y) ** 2


def lecture_gradient(w):
    yhat = 1.0 / (1.0 + np.exp(-(w @ X)))
    return (yhat - Y) * yhat * (1 - yhat) * X


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("firstRunDone", True)
    made = []

    def make(preset):
        win = MainWindow(load_preset(preset), settings=settings)
        qtbot.addWidget(win)
        made.append(win)
        win.resize(1500, 950)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        if preset != "lecture":  # the lecture raises the surface by itself (tested below)
            win.surface_dock.raise_()
        qtbot.waitUntil(lambda: in_view(win.surface_view), timeout=TIMEOUT)
        return win
    yield make
    for win in made:
        win.close()


def wait_point(qtbot, view, step):
    qtbot.waitUntil(lambda: view.point is not None and view.point.step == step
                    and view.result is not None and view.result.request.resolution > 25, timeout=TIMEOUT)
    return view.point


def params(win):
    s = win.snapshot
    return np.concatenate([np.concatenate([k.ravel(), np.ravel([] if b is None else b)])
                           for k, b in zip(s.kernels, s.biases)])


def test_the_slides_step_is_drawn_at_the_engines_numbers(window, qtbot):
    win = window("lecture")
    view, canvas = win.surface_view, win.surface_view.canvas
    assert view.isVisible()  # the lecture raises the surface over the boundary
    pt = wait_point(qtbot, view, 0)
    w = np.array([0.35, 0.40])
    assert pt.ab == (0.35, 0.40)
    assert pt.loss == pytest.approx(lecture_j(*w), rel=1e-12)
    np.testing.assert_allclose(pt.gradient_ab, lecture_gradient(w), rtol=1e-12)
    np.testing.assert_allclose(pt.next_ab, w - 1.0 * lecture_gradient(w), rtol=1e-12)
    # drawn where the numbers say, and printed
    np.testing.assert_allclose(canvas.current_point.data["x"], [0.35])
    np.testing.assert_allclose(canvas.next_point.data["y"], [0.40 - lecture_gradient(w)[1]], rtol=1e-12)
    readout = canvas.readout.text
    assert "0.350 − 1·0.0595 = 0.290" in readout and "0.400 − 1·0.0607 = 0.339" in readout, readout
    assert canvas.plot.titleLabel.text.startswith("J = 0.122")
    assert canvas.current_label.toPlainText() == "(0.350, 0.400)"
    assert canvas.next_label.toPlainText() == "(0.290, 0.339)"

    QTest.keyClick(win, QtCore.Qt.Key.Key_Right)  # one update: the run is where the arrow pointed
    pt = wait_point(qtbot, view, 1)
    np.testing.assert_allclose(pt.ab, [0.29046, 0.33927], atol=5e-6)
    w = np.array(pt.ab)
    assert "J = 0.115" in canvas.plot.titleLabel.text and pt.loss == pytest.approx(lecture_j(*w))
    np.testing.assert_allclose(pt.next_ab, w - lecture_gradient(w), rtol=1e-12)
    # only two weights: the surface never goes stale
    assert pt.off == 0.0 and not canvas.stale_label.isVisible()


def test_every_value_of_the_lecture_surface_is_J_at_those_weights(window, qtbot):
    win = window("lecture")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    r = view.result
    aa, bb = np.meshgrid(r.a, r.b, indexing="ij")
    np.testing.assert_allclose(r.loss, lecture_j(aa, bb), rtol=2e-6)  # float32 grid
    # the heatmap shows that array (J[i, j] at a[i], b[j])
    np.testing.assert_allclose(view.canvas.image.image, r.loss, rtol=1e-12)


def test_clicking_the_surface_moves_exactly_those_two_weights(window, qtbot):
    win = window("circle")
    view, canvas = win.surface_view, win.surface_view.canvas
    wait_point(qtbot, view, 0)
    before = params(win)
    p, q = view.weights
    r = view.result
    a, b = float(r.a[20]), float(r.b[60])
    qtbot.wait(100)  # pending layout first (the readout's lines, the strip): the map's place on screen is final
    vb = canvas.plot.getViewBox()
    scene = vb.mapViewToScene(QtCore.QPointF(a, b))
    pos = canvas.mapFromScene(scene)
    got = []
    canvas.clicked.connect(lambda x, y: got.append((x, y)))
    QTest.mouseClick(canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: not np.array_equal(params(win), before), timeout=TIMEOUT)
    after = params(win)
    moved = np.flatnonzero(after != before)
    assert set(moved) <= {p, q} and len(moved) == 2
    # where the click was, to the pixel
    span_a, span_b = r.a[-1] - r.a[0], r.b[-1] - r.b[0]
    w = canvas.plot.getViewBox().width()
    h = canvas.plot.getViewBox().height()
    assert abs(after[p] - a) < 1.5 * span_a / w and abs(after[q] - b) < 1.5 * span_b / h


def test_freeze_the_others_trains_only_the_surfaces_weights(window, qtbot):
    win = window("circle")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    p, q = view.weights
    QTest.mouseClick(view.freeze_box, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.config.optimizer.train_only == ("kernel1[0,0]", "kernel1[1,0]"),
                    timeout=TIMEOUT)
    before = params(win)
    win.step_requested.emit(20)
    qtbot.waitUntil(lambda: win.snapshot.step == 20, timeout=TIMEOUT)
    after = params(win)
    assert set(np.flatnonzero(after != before)) == {p, q}
    pt = wait_point(qtbot, view, 20)
    assert pt.off == 0.0 and view._stale_reason() is None
    QTest.mouseClick(view.freeze_box, QtCore.Qt.MouseButton.LeftButton)  # and back: every weight trains
    qtbot.waitUntil(lambda: win.snapshot.config.optimizer.train_only is None, timeout=TIMEOUT)


def test_the_surface_goes_stale_when_the_rest_moves_and_is_recomputed(window, qtbot):
    win = window("circle")
    view, canvas = win.surface_view, win.surface_view.canvas
    wait_point(qtbot, view, 0)
    first = view.result
    win.step_requested.emit(400)
    qtbot.waitUntil(lambda: win.snapshot.step == 400, timeout=TIMEOUT)
    # the rest of the weights moved more than STALE_AT: the view says so, then computes a new surface there
    qtbot.waitUntil(lambda: view.result is not first and view.result.step == 400, timeout=TIMEOUT)
    assert first.step == 0
    pt = wait_point(qtbot, view, 400)
    assert pt.off == 0.0 and not canvas.stale_label.isVisible()
    assert "Surface at update 400" in view.state_text()


def test_a_race_draws_the_paths_of_separate_runs(window, qtbot):
    win = window("circle")
    view, canvas = win.surface_view, win.surface_view.canvas
    wait_point(qtbot, view, 0)
    p, q = view.weights
    rates = (0.01, 0.1, 1.0)
    view.race([Contender(learning_rate=r) for r in rates], steps=30)
    qtbot.waitUntil(lambda: view._race is not None, timeout=TIMEOUT)
    for k, rate in enumerate(rates):
        cfg = load_preset("circle")
        from dataclasses import replace
        tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, learning_rate=rate)))
        path = [tr.params[[p, q]].copy()]
        for _ in range(30):
            tr.step(1)
            path.append(tr.params[[p, q]].copy())
        under, over, end = canvas.race_curves[k]
        x, y = over.getData()
        np.testing.assert_allclose(np.column_stack([x, y]), np.array(path), rtol=1e-12, atol=1e-15)
    labels = canvas.race_labels
    assert len(labels) == 3 and all(": J = " in t or "diverged" in t for t in labels), labels
    assert all(t in canvas.readout.text for t in labels)  # printed under the map, not over the paths


def test_the_slice_is_J_along_one_weight_with_its_tangent(window, qtbot):
    win = window("lecture")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    view.set_mode("slice")
    qtbot.waitUntil(lambda: view.result is not None and hasattr(view.result, "slope"), timeout=TIMEOUT)
    r = view.result
    np.testing.assert_allclose(r.loss, lecture_j(r.w, 0.40), rtol=1e-12)
    assert r.slope == pytest.approx(lecture_gradient(np.array([0.35, 0.40]))[0], rel=1e-12)
    x, y = view.slice_canvas.curve.getData()
    np.testing.assert_allclose(y, lecture_j(x, 0.40), rtol=1e-12)


def test_shift_click_in_the_diagram_chooses_the_second_weight(window, qtbot):
    win = window("circle")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    win.network_view.second_weight_selected.emit(2, "kernel", (3, 1))
    lay = win.worker.trainer.layout
    assert view.weights == (lay.position("kernel1[0,0]"), lay.position("kernel2[3,1]"))
    qtbot.waitUntil(lambda: view.result.names == ("kernel1[0,0]", "kernel2[3,1]"), timeout=TIMEOUT)
    win.network_view.weight_selected.emit(1, "bias", (2,))
    assert view.weights == (lay.position("bias1[2]"), lay.position("kernel2[3,1]"))


def test_behind_another_tab_it_asks_for_nothing_and_catches_up_when_raised(window, qtbot):
    win = window("circle")
    view = win.surface_view
    win.boundary_dock.raise_()
    qtbot.waitUntil(lambda: view._hidden_in_window(), timeout=TIMEOUT)
    asked = []
    send = view._requester.ask
    view._requester.ask = lambda request: (asked.append(request), send(request))
    win.step_requested.emit(7)
    qtbot.waitUntil(lambda: win.snapshot.step == 7, timeout=TIMEOUT)
    qtbot.wait(300)
    assert asked == [] and (view.point is None or view.point.step < 7)
    # the window does not wait for the hidden tab to paint before the next frame
    assert view.canvas.viewport() not in win._paint_watch._waiting
    win.surface_dock.raise_()
    pt = wait_point(qtbot, view, 7)
    assert asked and pt.ab == tuple(params(win)[list(view.weights)])


def test_a_log_colour_bar_labels_J_where_those_colours_are(qtbot):
    from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface
    from ffviz.ui.views.surface.canvas import SurfaceCanvas
    tr = Trainer(load_preset("lecture"))
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=41, span=6.0), Landscape.of_trainer(tr))
    canvas = SurfaceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 400)
    canvas.show_result(res)
    assert canvas.log  # J spans decades here: "auto" colours are logarithmic
    lo, hi = canvas._levels
    assert lo == pytest.approx(np.log10(res.loss.min()), rel=1e-6) and hi == pytest.approx(np.log10(res.loss.max()))
    major = canvas.color_bar.axis._tickLevels[0]
    assert len(major) >= 2
    for v, label in major:  # each label sits where the bar has the colour of that J
        assert lo - 1e-9 <= v <= hi + 1e-9
        if "10" not in label:
            assert float(label) == pytest.approx(10 ** v, rel=1e-3), (v, label)


def test_a_map_answered_after_switching_to_the_slice_is_not_taken_for_it(window, qtbot):
    from ffviz.engine.requests import Answer
    win = window("lecture")
    view = win.surface_view
    asked = []
    send = view._requester.ask
    view._requester.ask = lambda request: (asked.append(request), send(request))
    view.recompute(force=True)
    qtbot.waitUntil(lambda: any(r.channel == "surface" for r in asked), timeout=TIMEOUT)
    wait_point(qtbot, view, 0)
    old_map = view.result
    full = [r for r in asked if r.channel == "surface"][-1]
    view.set_mode("slice")
    qtbot.waitUntil(lambda: hasattr(view.result, "slope"), timeout=TIMEOUT)
    late = Answer(request=full, value=old_map)  # the map asked for before the switch, answered late
    assert view._requester.wanted(late)
    view.show_answer(late)
    assert hasattr(view.result, "slope") and view.stack.currentWidget() is view.slice_canvas


def test_a_new_network_never_shows_the_surface_of_the_one_before(window, qtbot):
    from dataclasses import replace
    from ffviz.engine.config import LayerSpec
    from ffviz.engine.requests import Answer
    win = window("circle")
    view, canvas = win.surface_view, win.surface_view.canvas
    asked = []
    send = view._requester.ask
    view._requester.ask = lambda request: (asked.append(request), send(request))
    wait_point(qtbot, view, 0)
    win.step_requested.emit(30)
    qtbot.waitUntil(lambda: win.snapshot.step == 30, timeout=TIMEOUT)
    view.set_mode("pca")
    qtbot.waitUntil(lambda: view.result is not None and view.result.kind == "pca"
                    and view.result.request.resolution > 25, timeout=TIMEOUT)
    old_map, asked_for = view.result, [r for r in asked if r.channel == "surface"][-1]
    cfg = win.snapshot.config
    win.config_requested.emit(replace(cfg, layers=(cfg.layers[0], LayerSpec(3, "tanh")) + cfg.layers[1:]))
    qtbot.waitUntil(lambda: len(win.snapshot.config.layers) == len(cfg.layers) + 1, timeout=TIMEOUT)
    qtbot.wait(300)
    # the old network's plane, answered late (nothing new was asked on its channel: no path yet), is dropped
    view.show_answer(Answer(request=asked_for, value=old_map))
    # the old network's plane (its J, its update 30, its axes) is gone, and the view says why there is none
    assert canvas.result is None and canvas.image.image is None
    assert "at update 30" not in canvas.plot.titleLabel.text
    assert "needs a path" in view.state_text()
    # and once the new run has a path, its own plane comes
    win.step_requested.emit(5)
    qtbot.waitUntil(lambda: view.result is not None and view.result.kind == "pca"
                    and view.result.center.shape[0] == win.worker.trainer.layout.size, timeout=TIMEOUT)


@pytest.mark.parametrize("rule", ["momentum", "adam"])
def test_the_readout_writes_w_minus_eta_slope_as_the_next_value_only_when_it_is(tmp_path, qtbot, rule):
    from dataclasses import replace
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("firstRunDone", True)
    cfg = load_preset("lecture")
    win = MainWindow(replace(cfg, optimizer=replace(cfg.optimizer, name=rule)), settings=settings)
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    try:
        view, canvas = win.surface_view, win.surface_view.canvas
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        win.step_requested.emit(3)
        qtbot.waitUntil(lambda: win.snapshot.step == 3, timeout=TIMEOUT)
        pt = wait_point(qtbot, view, 3)
        text = canvas.readout.text
        win.step_requested.emit(1)
        qtbot.waitUntil(lambda: win.snapshot.step == 4, timeout=TIMEOUT)
        reached = params(win)[list(view.weights)]
        # the run's update is not v − η·slope: the readout does not write it as one, and says where it goes
        assert not np.allclose(reached, pt.next_ab, rtol=1e-3)
        assert " − 1·" not in text, text
        np.testing.assert_allclose(pt.update_ab, reached, rtol=1e-12)
        for name, now, value in zip(view.result.names, pt.ab, reached):
            assert f"{name}:  {fmt.number(now, canvas.precision)} → {fmt.number(value, canvas.precision)}" in text
        assert f"the run's next update ({rule})" in text, text
    finally:
        win.close()


@pytest.mark.parametrize("rate", [0.03, 0.123456, 1234.5, 1e-7])
def test_the_race_dialog_offers_the_runs_own_rate_and_a_tenth_and_ten_times_it(qtbot, rate):
    from ffviz.ui.views.surface.race_dialog import RaceDialog
    dialog = RaceDialog(rate, "sgd")
    qtbot.addWidget(dialog)
    got = [c.learning_rate for c in dialog.contenders()]
    np.testing.assert_allclose(got, [rate / 10, rate, rate * 10], rtol=1e-11)
    assert got[1] == rate  # the middle runner is the run itself, not a rounded neighbour


def test_the_slice_says_the_update_it_is_at_not_its_step(window, qtbot):
    win = window("lecture")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    view.set_mode("slice")
    qtbot.waitUntil(lambda: view.result is not None and hasattr(view.result, "slope"), timeout=TIMEOUT)
    assert view.result.step != 0  # −η·∂J/∂w, which the status line printed as the update
    assert "at update 0 (201 points" in view.state_text(), view.state_text()
    win.step_requested.emit(1)
    qtbot.waitUntil(lambda: "at update 1 (" in view.state_text(), timeout=TIMEOUT)


@pytest.mark.parametrize("theme", ["dark", "high-contrast"])
def test_after_a_theme_change_the_axes_label_J_in_its_own_units(window, qtbot, theme):
    import pyqtgraph as pg
    win = window("lecture")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    win.set_theme(theme)
    qtbot.wait(100)
    lo, hi = float(view.result.loss.min()), float(view.result.loss.max())  # J from 0.03 to 0.25 here
    axis = view.canvas.color_bar.axis
    spacing, values = axis.tickValues(*axis.range, axis.height())[0]
    labels = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    assert labels and all(lo <= float(t) <= hi for t in labels), labels  # were 50, 100, 150, 200
    scaled = [(type(w).__name__, a.labelText) for w in win.findChildren(pg.GraphicsView)
              for a in w.scene().items() if isinstance(a, pg.AxisItem) and a.autoSIPrefixScale != 1.0]
    assert not scaled, scaled  # the loss curve's "loss J" axis too


def test_the_slice_names_its_step_for_what_it_is(window, qtbot):
    win = window("lecture")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    view.set_mode("slice")
    qtbot.waitUntil(lambda: view.result is not None and hasattr(view.result, "slope"), timeout=TIMEOUT)
    # the step −η·∂J/∂w, which is the run's next update only for plain full-batch descent: not called "next"
    w1 = 0.35 - lecture_gradient(np.array([0.35, 0.40]))[0]
    assert f"{lecture_j(w1, 0.40):.3f}" == "0.118"  # only w1 moved: J along the slice
    assert view.slice_canvas.next_label.toPlainText() == "w − η·∂J/∂w = 0.290   J = 0.118"


def test_the_freeze_box_says_what_trains_after_the_mode_changes(window, qtbot):
    win = window("circle")
    view = win.surface_view
    wait_point(qtbot, view, 0)
    QTest.mouseClick(view.freeze_box, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.config.optimizer.train_only == ("kernel1[0,0]", "kernel1[1,0]"),
                    timeout=TIMEOUT)
    view.set_mode("slice")  # one weight: "freeze the others" would train kernel1[0,0] alone, which is not so
    assert not view.freeze_box.isChecked()
    assert "now only kernel1[0,0], kernel1[1,0] train" in view.freeze_box.text()
    view.set_mode("weights")
    assert view.freeze_box.isChecked()


def test_a_diverged_run_marks_the_surface_stale_until_it_is_recovered(tmp_path, qtbot):
    from dataclasses import replace
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("firstRunDone", True)
    cfg = load_preset("regression")
    win = MainWindow(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd", learning_rate=50.0)),
                     settings=settings)
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    try:
        view, canvas = win.surface_view, win.surface_view.canvas
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        win.surface_dock.raise_()
        wait_point(qtbot, view, 0)
        win.step_requested.emit(200)
        qtbot.waitUntil(lambda: win.snapshot.diverged is not None, timeout=TIMEOUT)
        qtbot.wait(200)
        # the surface and point of update 0 stay drawn: they say they are not the run's now
        assert canvas.stale_label.isVisible() and "diverged" in canvas.stale_label.toPlainText()
        assert "diverged" in view.state_text()
        win.restore_requested.emit(True)
        qtbot.waitUntil(lambda: win.snapshot.diverged is None, timeout=TIMEOUT)
        step = win.snapshot.step
        wait_point(qtbot, view, step)
        qtbot.waitUntil(lambda: not canvas.stale_label.isVisible(), timeout=TIMEOUT)
    finally:
        win.close()


def test_with_a_penalty_the_surface_does_not_call_its_J_the_loss_curves_J(tmp_path, qtbot):
    from dataclasses import replace
    from ffviz.engine.config import RegularizationSpec
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("firstRunDone", True)
    win = MainWindow(replace(load_preset("circle"), regularization=RegularizationSpec("l2", 0.1)), settings=settings)
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    try:
        view, canvas = win.surface_view, win.surface_view.canvas
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        win.surface_dock.raise_()
        pt = wait_point(qtbot, view, 0)
        kernels = np.concatenate([k.ravel() for k in win.snapshot.kernels])
        data_loss = pt.loss - 0.1 * 0.5 * float(kernels @ kernels)
        assert data_loss == pytest.approx(win.snapshot.train_loss, rel=1e-9)  # what the loss curve calls J
        assert canvas.plot.titleLabel.text.startswith(f"J + penalty = {fmt.number(pt.loss)} at update 0")
        assert canvas.color_bar.axis.labelText.startswith("J + penalty")
    finally:
        win.close()


@pytest.mark.parametrize("width", [360, 480, 900])
def test_the_title_over_the_map_is_never_cut_at_its_edges(qtbot, width):
    from dataclasses import replace
    from PySide6 import QtGui
    from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface
    from ffviz.ui import theme as themes
    from ffviz.ui.views.surface.canvas import SurfaceCanvas
    from ffviz.ui.views.surface.pictures import result_point
    tr = Trainer(load_preset("lecture"))
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=25), Landscape.of_trainer(tr))
    canvas = SurfaceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(width, 500)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.show_result(res)
    canvas.show_point(replace(result_point(res), step=12345))
    qtbot.wait(50)
    text = canvas.plot.titleLabel.text
    assert "update 12345" in text, text  # the update number whole (it read "update 1" when cut)
    metrics = QtGui.QFontMetricsF(themes.DEFAULT.font("title"))
    # within what the canvas shows beside its colour bar (a longer title widened the plot past the edge)
    assert metrics.horizontalAdvance(text) <= canvas.width() - canvas.color_bar.width(), text
    if width >= 900:
        assert "η = 1" in text  # room for everything: nothing left out


@pytest.mark.parametrize("width", [340, 380, 420, 520])
def test_the_points_labels_stay_inside_the_map(qtbot, width):
    from dataclasses import replace
    from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface, point_on
    from ffviz.ui.views.surface.canvas import SurfaceCanvas
    tr = Trainer(load_preset("lecture"))
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=25), Landscape.of_trainer(tr))
    tr.step(2)  # the run at (0.232, 0.280), left of the map's middle, on the map of update 0
    canvas = SurfaceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(width, 480)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.show_result(res)
    canvas.show_point(point_on(res, Landscape.of_trainer(tr)))
    qtbot.wait(50)
    box = canvas.plot.getViewBox().sceneBoundingRect()
    for label in (canvas.current_label, canvas.next_label):
        r = label.sceneBoundingRect()
        if r.width() > box.width():  # wider than the map itself (a narrow canvas): it starts at the map's edge
            assert abs(r.left() - box.left()) <= 1, (label.toPlainText(), r, box)
            continue
        assert box.left() - 1 <= r.left() and r.right() <= box.right() + 1, (label.toPlainText(), r, box)


def test_a_step_too_small_for_the_digits_shown_labels_one_point_not_two(qtbot):
    from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface, point_on
    from ffviz.ui.views.surface.canvas import SurfaceCanvas
    tr = Trainer(load_preset("lecture"))
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=25), Landscape.of_trainer(tr))
    canvas = SurfaceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 480)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.show_result(res)
    point = point_on(res, Landscape.of_trainer(tr))
    canvas.show_point(point)
    assert canvas.next_label.isVisible()  # (0.350, 0.400) → (0.290, 0.339): both
    tiny = replace(point, step_ab=1e-6 * np.asarray(point.step_ab))  # a step of 6e−8: 0.350 either way
    canvas.show_point(tiny)
    assert canvas.current_label.isVisible() and not canvas.next_label.isVisible()
    assert canvas.current_label.toPlainText() == "(0.350, 0.400)"


def test_a_long_path_is_drawn_through_every_cell_it_visits_and_its_dots_share_brushes(qtbot):
    from ffviz.engine.history import visible_path
    from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface
    from ffviz.ui.views.surface.canvas import PATH_CELLS, SurfaceCanvas
    tr = Trainer(load_preset("circle"))
    tr.step(3000)
    traj = tr.timeline.trajectory()
    res = compute_surface(SurfaceRequest.two_weights(0, 3, resolution=21), Landscape.of_trainer(tr), traj)
    canvas = SurfaceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 500)
    canvas.show_result(res)
    cells = ((res.a[-1] - res.a[0]) / PATH_CELLS, (res.b[-1] - res.b[0]) / PATH_CELLS)
    keep = visible_path(res.path, cells)
    for line in canvas.path_lines:
        np.testing.assert_array_equal(line.xData, res.path[keep, 0])
        np.testing.assert_array_equal(line.yData, res.path[keep, 1])
    assert line.xData[0] == res.path[0, 0] and line.yData[-1] == res.path[-1, 1]
    brushes = canvas.path_points.data["brush"]
    colors = canvas.colors_of(res.path_loss[::int(np.ceil(len(res.path) / 200))])
    assert [b.color().getRgb() for b in brushes] == [c.getRgb() for c in colors]
    canvas.show_result(res)
    again = canvas.path_points.data["brush"]
    assert all(a is b for a, b in zip(brushes, again))  # the same brush objects: symbols rendered once
