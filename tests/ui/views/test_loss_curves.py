"""The loss and accuracy curves: the history drawn, log scale, titles, and frames that redraw only what is new."""



import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from ffviz.engine import Trainer, from_dict, preset_dict
from ffviz.ui.export import render_image
from ffviz.ui.pgkit import curves
from ffviz.ui.views.loss_curves import LossCurvePlot
from tests.ui.views.plotting import (trained, snap_of, data_of, pixel_colors, _with_history, title_text, has_colour, shown_plot, draw_now, rgb, TRAIN_COLOR, TEST_COLOR)


def test_curves_are_the_history(losses):
    t = trained("circle", 60, 3)
    snap = t.snapshot()
    losses.show_snapshot(snap)
    h = snap.history
    x, y = data_of(losses.train_curve)
    np.testing.assert_array_equal(x, h.eval_step)
    np.testing.assert_array_equal(y, h.train_loss)
    np.testing.assert_array_equal(data_of(losses.test_curve)[1], h.test_loss)
    np.testing.assert_array_equal(data_of(losses.batch_curve)[1], h.batch_loss)
    assert len(h.batch_loss) == 60
    np.testing.assert_allclose(data_of(losses.train_accuracy_curve)[1], 100 * h.train_accuracy)
    assert losses.accuracy_visible
    assert losses.step_lines[0].value() == 60
    title = losses.loss_plot.titleLabel.text
    assert f"{snap.train_loss:.4g}" in title and f"{snap.test_loss:.4g}" in title and "step 60" in title


def test_curves_grow_without_new_items(losses):
    t = trained("circle")
    losses.show_snapshot(t.snapshot())
    items = list(losses.loss_plot.getViewBox().addedItems)
    train = losses.train_curve
    for _ in range(4):
        t.step(10)
        t.record_evaluation()
        losses.show_snapshot(t.snapshot())
    assert losses.loss_plot.getViewBox().addedItems == items and losses.train_curve is train
    assert len(data_of(train)[0]) == 5


def test_log_scale_toggle(losses):
    losses.show_snapshot(trained("circle", 30, 3).snapshot())
    axis = losses.loss_plot.getAxis("left")
    assert not axis.logMode
    losses.set_log_scale(True)
    assert axis.logMode and losses.train_curve.opts["logMode"][1]
    assert not losses.accuracy_plot.getAxis("left").logMode
    losses.set_log_scale(False)
    assert not axis.logMode


@pytest.mark.parametrize("value", [1e-322, 5e-324, 1.5e308])
def test_log_scale_survives_extreme_losses(losses, value):
    """A subnormal or huge (but finite, positive) loss must not break the axis maths."""
    snap = trained("circle", 40, 4).snapshot()
    n = len(snap.history.eval_step)
    h = snap.history
    snap = _with_history(snap, train_loss=np.full(n, value), test_loss=np.full(n, value),
                         batch_curve_loss=np.full(len(h.batch_curve_loss), value))
    losses.set_log_scale(True)
    assert losses.show_snapshot(snap)
    assert len(losses.loss_plot.getAxis("left")._tickLevels[0]) >= 2
    render_image(losses)


def test_log_scale_fits_a_loss_within_a_decade(losses):
    """The lecture's loss goes 0.1218 → 0.1147: on a log axis it fills the plot between labelled ends,
    not a sliver of the decade 0.1–1 under crowded 0.2 … 0.9 labels."""
    t = trained("lecture", 1)
    losses.show_snapshot(t.snapshot())
    losses.set_log_scale(True)
    bottom, top = losses.loss_plot.getViewBox().viewRange()[1]
    assert 10 ** bottom < 0.1147 and 10 ** top > 0.1218 and top - bottom < np.log10(2.5)
    axis = losses.loss_plot.getAxis("left")
    labels = [text for v, text in axis._tickLevels[0]]
    assert labels == ["0.1", "0.12", "0.14", "0.16", "0.18", "0.2"]
    losses.set_log_scale(False)
    assert axis._tickLevels is None  # pyqtgraph's own ticks again on a linear axis
    render_image(losses)


def test_reset_clears_the_old_run(losses):
    t = trained("circle", 50, 5)
    losses.show_snapshot(t.snapshot())
    assert len(data_of(losses.train_curve)[0]) == 6
    train = losses.train_curve
    t.reset()
    losses.show_snapshot(t.snapshot())
    assert losses.train_curve is train
    x, _ = data_of(losses.train_curve)
    np.testing.assert_array_equal(x, [0.0])
    assert len(data_of(losses.batch_curve)[0]) == 0


def test_stale_loss_snapshot_is_ignored(losses):
    t = trained("circle", 10)
    old = t.snapshot()
    t.step(10)
    t.record_evaluation()
    new = t.snapshot()
    losses.show_snapshot(new)
    assert not losses.show_snapshot(old)
    assert len(data_of(losses.train_curve)[0]) == 3


@pytest.mark.parametrize("log", [False, True])
def test_nan_and_inf_losses_do_not_crash(losses, log):
    snap = trained("circle", 40, 4).snapshot()
    n = len(snap.history.eval_step)
    bad = np.array([0.7, np.nan, np.inf, 0.0, 0.3][:n])
    snap = _with_history(snap, train_loss=bad, test_loss=np.full(n, np.nan),
                         batch_loss=np.concatenate([[np.inf, -np.inf], np.full(38, 0.5)]))
    losses.set_log_scale(log)
    assert losses.show_snapshot(snap)
    x, y = data_of(losses.train_curve)
    assert np.isfinite(y).all() and np.isfinite(x).all()
    assert len(y) == (2 if log else 3)  # NaN and inf dropped; 0 too on a log axis
    assert len(data_of(losses.test_curve)[0]) == 0
    render_image(losses)  # drawing it must not raise either
    assert "∞" in losses.loss_plot.titleLabel.text


def test_a_diverged_run_draws(losses):
    d = preset_dict("regression")
    d["optimizer"] = {"name": "sgd", "learning_rate": 10.0, "batch_size": 10}
    for layer in d["layers"][1:-1]:
        layer["activation"] = "relu"
    t = Trainer(from_dict(d))
    with np.errstate(all="ignore"):
        t.step(400)
    t.record_evaluation()
    snap = t.snapshot()
    assert snap.diverged is not None
    losses.set_log_scale(True)
    losses.show_snapshot(snap)
    render_image(losses)
    assert "diverged" in losses.loss_plot.titleLabel.text


def test_regression_hides_accuracy(losses):
    losses.show_snapshot(trained("regression", 10).snapshot())
    assert not losses.accuracy_visible and not losses.accuracy_plot.isVisible()
    assert losses.accuracy_plot.scene() is None  # its space goes to the loss plot
    assert losses.loss_plot.getAxis("bottom").labelText == "updates"
    losses.show_snapshot(trained("circle", 10).snapshot())
    assert losses.accuracy_visible and losses.accuracy_plot.isVisible()
    assert losses.accuracy_plot.scene() is losses.scene()


def test_batch_loss_toggle(losses):
    losses.show_snapshot(trained("circle", 10).snapshot())
    assert losses.batch_curve.isVisible()
    losses.set_show_batch_loss(False)
    assert not losses.batch_curve.isVisible()


def test_no_test_set_no_test_curve(losses):
    losses.show_snapshot(trained("xor-2", 10).snapshot())
    assert not losses.test_curve.isVisible()
    assert [label.text for _, label in losses.legend.items] == ["batch", "train"]
    assert "test" not in losses.loss_plot.titleLabel.text


def test_plots_draw_something(boundary, losses):
    t = trained("circle", 100, 2)
    boundary.show_snapshot(snap_of(t))
    losses.show_snapshot(t.snapshot())
    assert len(pixel_colors(boundary)) > 20
    colours = pixel_colors(losses)
    assert len(colours) > 5


def test_unchanged_history_is_not_drawn_again(losses, monkeypatch):
    """A snapshot with the same history (paused, or a phase step) re-sets no curve; the title still follows."""
    t = trained("circle", 40, 4)
    snap = t.snapshot()
    losses.show_snapshot(snap)
    calls = []
    for curve in losses.curves:
        monkeypatch.setattr(curve, "set_history", lambda *a, **k: calls.append(1))
    t.step_phase()  # forward pass of layer 1: no new evaluation, no new batch loss
    later = t.snapshot()
    assert later.step == snap.step and later.serial > snap.serial
    losses.show_snapshot(later)
    assert calls == []
    t.step(5)
    t.record_evaluation()
    losses.show_snapshot(t.snapshot())
    assert len(calls) == 5  # new evaluation and batch losses: every curve
    assert f"step {t.step_count}" in losses.loss_plot.titleLabel.text


def test_titles_show_the_latest_numbers_in_their_colours(losses):
    t = trained("circle", 20, 2)
    for _ in range(3):
        t.step(10)
        t.record_evaluation()
        snap = t.snapshot()
        losses.show_snapshot(snap)
    assert title_text(losses.loss_plot) == (f"step {snap.step} \u00a0 train J = {snap.train_loss:.4g}"
                                            f" \u00a0 test J = {snap.test_loss:.4g}")
    assert title_text(losses.accuracy_plot) == (f"accuracy \u00a0 train {100 * snap.train_accuracy:.1f} %"
                                                f" \u00a0 test {100 * snap.test_accuracy:.1f} %")
    runs = dict(losses.loss_plot.titleLabel._ffviz_runs.runs())
    assert runs[f"train J = {snap.train_loss:.4g}"] == TRAIN_COLOR
    assert runs[f"test J = {snap.test_loss:.4g}"] == TEST_COLOR
    # and it is drawn: the test colour appears in the title row
    img = render_image(losses)
    row = losses.loss_plot.titleLabel.sceneBoundingRect().toRect()
    assert has_colour(img, row, TEST_COLOR)


def test_title_is_laid_out_as_the_html_title_was(losses):
    """The coloured runs take the size (and so the place) a QTextDocument gives the same HTML."""
    snap = trained("circle", 30, 3).snapshot()
    losses.show_snapshot(snap)
    for plot in (losses.loss_plot, losses.accuracy_plot):
        label = plot.titleLabel
        document = QtWidgets.QGraphicsTextItem()
        document.setFont(label.item.font())
        document.setHtml(f"<span style='color: #282828; font-size: 16pt'>{label.text}</span>")
        assert document.toPlainText() == title_text(plot).replace("\u00a0", " ")  # it gives nbsp as spaces
        runs = label._ffviz_runs
        assert runs.boundingRect().size() == document.boundingRect().size()
        centre = runs.mapRectToParent(runs.boundingRect()).center()
        assert centre.x() == pytest.approx(label.rect().center().x())
        assert centre.y() == pytest.approx(label.rect().center().y())


def test_long_curves_are_thinned_to_the_pixel_columns(qtbot):
    """20000 points across ~400 pixel columns: at most 2 points a column are drawn, the ends and extremes kept."""
    w = shown_plot(qtbot)
    n = 20000
    x = np.arange(n, dtype=float)
    y = 1.0 + np.sin(x / 50.0) + 0.1 * np.random.default_rng(0).normal(size=n)
    w.loss_plot.setXRange(0, n, padding=0.02)
    w.loss_plot.getViewBox().updateMatrix()
    w.train_curve.set_history(x, y)
    sx, sy = w.train_curve.getData()
    columns = w.loss_plot.getViewBox().width()
    assert columns * 1.5 < sx.size <= 2 * columns + 2
    assert (sx[0], sy[0], sx[-1], sy[-1]) == (x[0], y[0], x[-1], y[-1])
    assert sy.min() == y.min() and sy.max() == y.max()
    x_orig, y_orig = w.train_curve.getOriginalDataset()
    assert x_orig is x and y_orig is y


@pytest.mark.parametrize("n", [300, 6000])
def test_curves_drawn_frame_by_frame_look_as_drawn_at_once(qtbot, n):
    """The start of each curve is kept as an image and only new segments are drawn into it: after many frames
    the plot shows exactly what drawing the whole history at once shows (n = 6000: thinned, bins completing)."""
    rng = np.random.default_rng(1)
    x = np.arange(n, dtype=float)
    y = 0.2 + 0.5 * np.exp(-x / (n / 5)) + 0.05 * rng.normal(size=n) ** 2
    frames = shown_plot(qtbot), shown_plot(qtbot)
    for w in frames:
        w.loss_plot.setRange(xRange=(0, n), yRange=(0, 1), padding=0.02)
        w.loss_plot.getViewBox().updateMatrix()
    stepwise, at_once = frames
    for end in np.linspace(n // 4, n, 25).astype(int):
        for curve, scale in ((stepwise.batch_curve, 1.3), (stepwise.train_curve, 1.0), (stepwise.test_curve, 1.1)):
            curve.set_history(x[:end], scale * y[:end])
        draw_now(stepwise)
    assert stepwise.train_curve.fixed_count() > 0.9 * stepwise.train_curve.getData()[0].size
    for curve, scale in ((at_once.batch_curve, 1.3), (at_once.train_curve, 1.0), (at_once.test_curve, 1.1)):
        curve.set_history(x, scale * y)
    np.testing.assert_array_equal(rgb(stepwise), rgb(at_once))


def test_a_frame_draws_only_the_new_segments(qtbot, monkeypatch):
    """Appending a point draws at most a chunk of segments into the cached start of the curve and the last few
    over it; a new x range draws the whole curve again."""
    w = shown_plot(qtbot)
    n = 400
    x = np.arange(n, dtype=float)
    y = 0.5 + 0.1 * np.sin(x / 9.0)
    w.loss_plot.setRange(xRange=(0, 2 * n), yRange=(0, 1), padding=0.02)
    w.loss_plot.getViewBox().updateMatrix()
    w.train_curve.set_history(x[:-1], y[:-1])
    draw_now(w)
    drawn = []
    original = curves.SegmentBuffer.of

    def counting(self, sx, sy):
        drawn.append(sx.size)
        return original(self, sx, sy)

    monkeypatch.setattr(curves.SegmentBuffer, "of", counting)
    w.train_curve.set_history(x, y)
    draw_now(w)
    assert drawn and sum(drawn) <= 2 * (curves.Frozen.CHUNK + 1)
    drawn.clear()
    w.loss_plot.setXRange(0, 4 * n, padding=0.02)
    w.loss_plot.getViewBox().updateMatrix()
    draw_now(w)
    assert sum(drawn) >= w.train_curve.getData()[0].size > n / 2


def test_a_frame_paints_the_plot_once(qtbot):
    """New snapshots, also one that moves the x range to its next step, paint the loss plot once each and
    lay nothing out again (a layout pass or a range applied during the paint would paint it twice)."""
    w = LossCurvePlot()
    qtbot.addWidget(w)
    w.resize(600, 400)
    w.show()
    qtbot.waitExposed(w)
    t = trained("circle", 1900, 19)  # the loss fell from its start: the y range stays
    for _ in range(2):  # the first frames lay the plot out (axes take the width of their labels)
        t.step(10)
        t.record_evaluation()
        w.show_snapshot(t.snapshot())
        qtbot.wait(100)

    class Count(QtCore.QObject):
        paints = layouts = 0

        def eventFilter(self, obj, event):
            if event.type() == QtCore.QEvent.Type.Paint and obj is w.viewport():
                Count.paints += 1
            elif event.type() == QtCore.QEvent.Type.LayoutRequest:
                Count.layouts += 1
            return False

    counter = Count()
    app = QtWidgets.QApplication.instance()
    app.installEventFilter(counter)
    try:
        for steps in (30, 150):  # 1950 updates, then 2100: the x axis grows from 2000 to 2500
            t.step(steps)
            t.record_evaluation()
            Count.paints = Count.layouts = 0
            w.show_snapshot(t.snapshot())
            for _ in range(5):
                app.processEvents()
            assert (Count.paints, Count.layouts) == (1, 0)
    finally:
        app.removeEventFilter(counter)
    assert w.loss_plot.getViewBox().viewRange()[0][1] >= 2100
