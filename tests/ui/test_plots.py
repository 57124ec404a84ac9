"""The live plots: the decision boundary over the input plane and the loss/accuracy curves."""

import dataclasses
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.engine import History, Trainer, from_dict, load_preset, preset_dict
from ffviz.ui import theme
from ffviz.ui.export import export_svg, render_image
from ffviz.ui import plots
from ffviz.ui.plots import NOT_2D_MESSAGE, TEST_COLOR, TRAIN_COLOR, DecisionBoundaryPlot, LossCurvePlot, nice_ceil

RES = 40


def trained(preset: str, steps: int = 0, evals: int = 1) -> Trainer:
    t = Trainer(load_preset(preset))
    for _ in range(evals):
        t.step(steps // evals)
        t.record_evaluation()
    return t


def snap_of(t: Trainer):
    return t.snapshot(plane_resolution=RES)


@pytest.fixture
def boundary(qtbot):
    w = DecisionBoundaryPlot()
    qtbot.addWidget(w)
    w.resize(500, 500)
    return w


@pytest.fixture
def losses(qtbot):
    w = LossCurvePlot()
    qtbot.addWidget(w)
    w.resize(700, 500)
    return w


def three_input_trainer() -> Trainer:
    return Trainer(from_dict({
        "layers": [{"units": 3}, {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_crossentropy",
        "data": {"name": "inline", "x": [[0, 0, 1], [1, 0, 0], [0, 1, 1], [1, 1, 0]], "y": [0, 1, 1, 0],
                 "test_fraction": 0},
    }))


def data_of(curve) -> tuple[np.ndarray, np.ndarray]:
    """A curve's data as given to setData (empty arrays for an empty curve)."""
    x, y = curve.getOriginalDataset()
    return (np.empty(0) if x is None else np.asarray(x)), (np.empty(0) if y is None else np.asarray(y))


def pixel_colors(widget) -> set:
    img = render_image(widget)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    px = arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)
    return {tuple(c) for c in px.reshape(-1, 4)[:, :3][::7]}


def test_repainting_does_not_drain_references_to_none(boundary):
    """Qt bindings that drop a reference to None on every void call crash the app after a few thousand
    paints (Python < 3.12, where None is not immortal); a frame of each plot must not drain it."""
    t = trained("circle", 10)
    boundary.show_snapshot(snap_of(t))
    render_image(boundary)
    before = sys.getrefcount(None)
    for _ in range(3):
        t.step(1)
        boundary.show_snapshot(snap_of(t))
        render_image(boundary)
    assert sys.getrefcount(None) - before > -200


# ---------------------------------------------------------------- decision boundary: binary

def test_boundary_image_changes_with_training(boundary):
    t = trained("circle")
    boundary.show_snapshot(snap_of(t))
    before = np.array(boundary.image.image, copy=True)
    assert before.shape == (RES, RES)
    t.step(50)
    boundary.show_snapshot(snap_of(t))
    after = np.array(boundary.image.image, copy=True)
    assert np.max(np.abs(after - before)) > 0.02
    np.testing.assert_allclose(after, snap_of(t).plane.output[:, :, 0])


def test_binary_image_uses_fixed_levels_and_the_diverging_map(boundary):
    boundary.show_snapshot(snap_of(trained("circle", 300, 3)))
    assert tuple(boundary.image.levels) == (0.0, 1.0)
    lut = boundary.image.lut
    # ŷ = 0 is orange, 0.5 near-white, 1 blue
    assert lut[0][0] > lut[0][2] and lut[-1][2] > lut[-1][0]
    mid = lut[len(lut) // 2]
    assert min(mid[:3]) > 200


def test_image_is_placed_on_the_input_plane(boundary):
    snap = snap_of(trained("circle"))
    boundary.show_snapshot(snap)
    x1min, x1max, x2min, x2max = snap.plane.extent
    rect = boundary.image.mapRectToParent(boundary.image.boundingRect())
    # pixels are centred on the grid samples, which lie on the extent's edges
    step = (x1max - x1min) / (RES - 1)
    assert rect.left() == pytest.approx(x1min - step / 2)
    assert rect.right() == pytest.approx(x1max + step / 2)
    assert rect.top() == pytest.approx(x2min - step / 2)
    (vx0, vx1), (vy0, vy1) = boundary.plot_item.getViewBox().viewRange()
    assert vx0 <= x1min + 1e-9 and vx1 >= x1max - 1e-9 and vy0 <= x2min + 1e-9 and vy1 >= x2max - 1e-9
    assert boundary.plot_item.getAxis("bottom").labelText == "X₁"
    assert boundary.plot_item.getAxis("left").labelText == "X₂"
    assert boundary.plot_item.getViewBox().state["aspectLocked"] == 1.0


def point_colors(item, what: str) -> list:
    """Each point's fill ("brush") or ring ("pen") colour, in drawing order."""
    return [getattr(spot, what)().color().name() for spot in item.points()]


def test_points_are_every_train_and_test_sample(boundary):
    snap = snap_of(trained("circle"))
    boundary.show_snapshot(snap)
    ds = snap.dataset
    train = np.column_stack(boundary.train_points.getData())
    test = np.column_stack(boundary.test_points.getData())
    assert len(train) == len(ds.raw_train) and len(test) == len(ds.raw_test)
    np.testing.assert_allclose(np.sort(train, axis=0), np.sort(ds.raw_train, axis=0))
    np.testing.assert_allclose(np.sort(test, axis=0), np.sort(ds.raw_test, axis=0))
    # orange points are the y = 0 ones, drawn first (under the blue ones); test points are rings with a
    # translucent fill
    labels = (ds.y_train[:, 0] >= 0.5).astype(int)
    fills = point_colors(boundary.train_points, "brush")
    orange, blue = theme.NEGATIVE.name(), theme.POSITIVE.name()
    assert fills == [orange] * int((labels == 0).sum()) + [blue] * int((labels == 1).sum())
    np.testing.assert_allclose(train[:(labels == 0).sum()], ds.raw_train[labels == 0])
    rings = point_colors(boundary.test_points, "pen")
    assert set(rings) == {orange, blue} and rings == sorted(rings, key=[orange, blue].index)
    assert boundary.test_points.opts["brush"].color().alpha() < 255
    names = [label.text for _, label in boundary.legend.items]
    assert names == ["y = 0", "y = 1", "test"]
    assert [sample.item.opts["brush"].color().name() for sample, _ in boundary.legend.items][:2] == [orange, blue]


def test_binary_draws_the_half_contour(boundary):
    snap = snap_of(trained("circle", 300, 3))
    boundary.show_snapshot(snap)
    assert boundary.contour.isVisible()
    assert boundary.contour.parentItem() is boundary.image
    assert boundary.contour.segment_count() > 10
    assert not boundary.contour.boundingRect().isEmpty()


def test_discretize_gives_hard_colours(boundary):
    t = trained("circle", 300, 3)
    boundary.show_snapshot(snap_of(t))
    soft = np.array(boundary.image.image, copy=True)
    assert len(np.unique(soft)) > 2
    boundary.set_discretize(True)
    hard = boundary.image.image
    assert set(np.unique(hard)) == {0.0, 1.0}
    np.testing.assert_array_equal(hard, (soft >= 0.5).astype(float))
    t.step(5)
    boundary.show_snapshot(snap_of(t))  # stays on for the next frames
    assert set(np.unique(boundary.image.image)) <= {0.0, 1.0}
    boundary.set_discretize(False)
    assert len(np.unique(boundary.image.image)) > 2


def test_test_points_can_be_hidden(boundary):
    boundary.show_snapshot(snap_of(trained("circle")))
    assert boundary.test_points.isVisible()
    boundary.set_show_test(False)
    assert not boundary.test_points.isVisible()
    assert boundary.train_points.isVisible()
    boundary.set_show_test(True)
    assert boundary.test_points.isVisible()


def test_stale_snapshot_is_ignored(boundary):
    t = trained("circle")
    old = snap_of(t)
    t.step(50)
    new = snap_of(t)
    assert boundary.show_snapshot(new)
    assert not boundary.show_snapshot(old)
    np.testing.assert_allclose(boundary.image.image, new.plane.output[:, :, 0])
    assert boundary.snapshot is new


def test_frames_update_items_instead_of_adding_them(boundary, monkeypatch):
    t = trained("circle")
    boundary.show_snapshot(snap_of(t))
    items = list(boundary.plot_item.getViewBox().addedItems)
    image, contour = boundary.image, boundary.contour
    calls = []
    monkeypatch.setattr(boundary.train_points, "setData", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(boundary.test_points, "setData", lambda *a, **k: calls.append(1))
    for _ in range(5):
        t.step(2)
        boundary.show_snapshot(snap_of(t))
    assert boundary.plot_item.getViewBox().addedItems == items
    assert boundary.image is image and boundary.contour is contour
    assert calls == []  # same dataset object: the points are not set again


def test_multiclass_colours_pixels_by_the_likeliest_class(boundary):
    t = trained("softmax", 300, 3)
    snap = snap_of(t)
    boundary.show_snapshot(snap)
    img = boundary.image.image
    assert img.shape == (RES, RES, 3) and img.dtype == np.uint8
    out = snap.plane.output
    cls = np.argmax(out, axis=2)
    sure = np.max(out, axis=2) > 0.99
    assert sure.any()
    r, c = np.argwhere(sure)[0]
    k = cls[r, c]
    rgb = np.array(theme.CLASS_COLORS[k], dtype=float)
    pixel = img[r, c].astype(float)
    # the class's colour, washed towards white; a less sure pixel is paler
    assert np.corrcoef(pixel - 255, rgb - 255)[0, 1] > 0.99
    unsure = np.argmin(np.max(out, axis=2))
    assert img.reshape(-1, 3)[unsure].astype(int).sum() > pixel.sum()
    assert not boundary.contour.isVisible()
    assert [label.text for _, label in boundary.legend.items] == ["class 0", "class 1", "class 2", "test"]
    assert len(boundary.train_points.getData()[0]) == len(snap.dataset.raw_train)
    classes = [theme.class_color(k).name() for k in range(3)]
    fills = point_colors(boundary.train_points, "brush")
    assert set(fills) == set(classes) and fills == sorted(fills, key=classes.index)


def test_multiclass_discretize_is_uniform_per_class(boundary):
    boundary.show_snapshot(snap_of(trained("softmax", 100)))
    boundary.set_discretize(True)
    colours = {tuple(p) for p in boundary.image.image.reshape(-1, 3)}
    assert len(colours) <= 3


def test_regression_uses_a_symmetric_scale_and_a_colour_bar(boundary):
    snap = snap_of(trained("regression", 200))
    boundary.show_snapshot(snap)
    ds = snap.dataset
    lo, hi = boundary.image.levels
    assert lo == -hi and hi >= np.max(np.abs(np.concatenate([ds.y_train, ds.y_test])))
    assert hi in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # a round end for the colour bar
    assert boundary.color_bar.isVisible()
    assert boundary.color_bar.levels() == pytest.approx((lo, hi))
    assert not boundary.contour.isVisible()
    assert [label.text for _, label in boundary.legend.items] == ["train", "test"]
    # back to a classification run: the bar leaves
    boundary.show_snapshot(snap_of(trained("circle")))
    assert not boundary.color_bar.isVisible()
    assert boundary.contour.isVisible()


def test_regression_scale_grows_to_fit_the_prediction(boundary):
    # the lecture's sample: target 0.1, but the untrained network says ŷ ≈ 0.6 everywhere
    snap = snap_of(trained("lecture"))
    boundary.show_snapshot(snap)
    lo, hi = boundary.image.levels
    assert hi >= np.max(np.abs(snap.plane.output)) and hi == 1.0
    assert boundary.color_bar.levels() == pytest.approx((lo, hi))


def test_nice_ceil():
    assert [nice_ceil(v) for v in (0.1, 0.11, 0.59, 1.0, 3.0, 7.0, 0.0, float("nan"))] == \
        [0.1, 0.2, 1.0, 1.0, 5.0, 10.0, 1.0, 1.0]


def test_no_test_points_no_test_legend(boundary):
    boundary.show_snapshot(snap_of(trained("xor-2")))
    assert [label.text for _, label in boundary.legend.items] == ["y = 0", "y = 1"]


def test_non_2d_data_shows_the_message(boundary):
    boundary.show_snapshot(snap_of(trained("circle")))
    snap = three_input_trainer().snapshot(plane_resolution=RES)
    assert snap.plane is None
    boundary.show_snapshot(snap)
    assert boundary.message_visible and boundary.message.toPlainText() == NOT_2D_MESSAGE
    assert not boundary.image.isVisible()
    assert not boundary.train_points.isVisible() and not boundary.test_points.isVisible()
    # the message is drawn in the middle of the plot
    render_image(boundary)  # the view applies its new range when it paints
    rect = boundary.message.mapRectToScene(boundary.message.boundingRect())
    view = boundary.plot_item.getViewBox().sceneBoundingRect()
    assert abs(rect.center().x() - view.center().x()) < 2 and abs(rect.center().y() - view.center().y()) < 2
    # 2-D data again (a newer run): the plane comes back
    boundary.show_snapshot(snap_of(trained("circle")))
    assert not boundary.message_visible
    assert boundary.image.isVisible() and boundary.train_points.isVisible()


# ---------------------------------------------------------------- loss curves

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


def _is_125(log10_value: float) -> bool:
    m = 10.0 ** (log10_value - np.floor(log10_value + 1e-9))
    return any(abs(m - k) < 1e-6 for k in (1.0, 2.0, 5.0, 10.0))


@pytest.mark.parametrize("lo, hi", [(0.1147, 0.1218), (0.05, 0.7), (5.1e-6, 1.7), (1e-12, 9.0), (1.0, 1.0),
                                    (2e-5, 3e-5), (0.5, 0.9), (3e4, 8e6)])
def test_log_range_hugs_the_data(lo, hi):
    bottom, top = plots.log_range(np.log10(lo), np.log10(hi))
    assert bottom <= np.log10(lo) + 1e-12 and top >= np.log10(hi) - 1e-12 and top > bottom
    assert _is_125(bottom) and _is_125(top)
    # no more than one 1-2-5 step beyond the data at either end (a whole decade at most)
    assert np.log10(lo) - bottom <= np.log10(2.5) + 1e-9 and top - np.log10(hi) <= np.log10(2.5) + 1e-9


def _label_value(text: str) -> float:
    sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    if "10" in text and text.translate(sup) != text:
        mantissa, _, power = text.rpartition("10")
        return float(mantissa.rstrip("×") or 1.0) * 10.0 ** int(power.translate(sup))
    return float(text)


@pytest.mark.parametrize("lo, hi", [(0.1, 0.2), (0.05, 1.0), (5e-6, 2.0), (1e-12, 10.0), (1.0, 2.0),
                                    (2e-5, 5e-5), (0.001, 1.0), (1e-3, 0.5), (0.2, 5.0), (1e-30, 1e3)])
def test_log_ticks_label_true_values_and_do_not_crowd(lo, hi):
    lo, hi = np.log10(lo), np.log10(hi)
    major, minor = plots.log_ticks(lo, hi)
    assert 2 <= len(major) <= 7  # pyqtgraph's own labels every 2…9 × 10ᵏ below three decades
    values = [v for v, _ in major]
    assert values == sorted(values) and all(lo - 1e-9 <= v <= hi + 1e-9 for v in values)
    for v, text in major:
        assert _label_value(text) == pytest.approx(10.0 ** v, rel=1e-3), text
    assert all(text == "" for _, text in minor)
    assert not {round(v, 9) for v in values} & {round(v, 9) for v, _ in minor}


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


def _with_history(snap, **columns):
    h = snap.history
    fields = {f.name: getattr(h, f.name) for f in dataclasses.fields(History)}
    fields.update(columns)
    return dataclasses.replace(snap, history=History(**fields), serial=snap.serial + 1,
                               train_loss=float("inf"), test_loss=float("nan"))


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


# ---------------------------------------------------------------- what a frame costs: only what changed is redone

@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_plane_colours_are_pyqtgraphs(boundary, kind):
    """The plane image is coloured in one NumPy step; pixel for pixel as pyqtgraph would colour it."""
    preset = {"binary": "circle", "multiclass": "softmax", "regression": "regression"}[kind]
    boundary.show_snapshot(snap_of(trained(preset, 100)))
    mine = boundary.image
    data = np.array(mine.image, copy=True)
    if kind == "binary":
        data[3, 5] = np.nan  # NaN is transparent
    reference = pg.ImageItem(axisOrder="row-major")
    for item in (mine, reference):
        item.setImage(data, autoLevels=False, levels=mine.levels, lut=mine.lut)
        item.render()
    premultiplied = QtGui.QImage.Format.Format_ARGB32_Premultiplied  # any transparent pixel is 0 then
    ours, theirs = mine.qimage.convertToFormat(premultiplied), reference.qimage.convertToFormat(premultiplied)
    assert ours.size() == theirs.size() and ours == theirs


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


def title_text(plot) -> str:
    return "".join(text for text, _ in plot.titleLabel._ffviz_runs.runs())


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


def has_colour(img: QtGui.QImage, rect: QtCore.QRect, color: QtGui.QColor, tol: int = 30) -> bool:
    img = img.copy(rect).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    px = arr.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 4].reshape(-1, 4)[:, :3].astype(int)
    return bool((np.abs(px - [color.blue(), color.green(), color.red()]).max(axis=1) <= tol).any())


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


def shown_plot(qtbot, width=500, height=400) -> LossCurvePlot:
    w = LossCurvePlot()
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    return w


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


def draw_now(widget) -> None:
    """Paint now, as the event loop would: queued scene updates (the item index) first, then the viewport."""
    QtWidgets.QApplication.processEvents()
    widget.viewport().repaint()


def rgb(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(),
                                                                                          img.bytesPerLine())
    return arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[:, :, :3].astype(int)


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
    original = plots._SegmentBuffer.of

    def counting(self, sx, sy):
        drawn.append(sx.size)
        return original(self, sx, sy)

    monkeypatch.setattr(plots._SegmentBuffer, "of", counting)
    w.train_curve.set_history(x, y)
    draw_now(w)
    assert drawn and sum(drawn) <= 2 * (plots._Frozen.CHUNK + 1)
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


def test_svg_export_draws_cached_items_as_vectors(boundary, tmp_path):
    """Axes, legend and points are cached as pixmaps on screen; an SVG still gets them as text and shapes."""
    boundary.show_snapshot(snap_of(trained("circle", 30)))
    render_image(boundary)  # on screen first, so the caches exist
    root = ET.parse(export_svg(boundary, tmp_path / "b.svg")).getroot()
    texts = [el.text or "" for el in root.iter() if el.tag.endswith("text")]
    assert {"-5", "0", "5", "y = 0", "test"} <= {t.strip() for t in texts}
    assert sum(el.tag.endswith("image") for el in root.iter()) == 1  # the plane, nothing else
    render_image(boundary)
    for item in (boundary.train_points, boundary.legend, boundary.plot_item.getAxis("left")):
        assert item.cacheMode() == QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
