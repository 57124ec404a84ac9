"""The live plots: the decision boundary over the input plane and the loss/accuracy curves."""

import dataclasses
import sys

import numpy as np
import pytest

from ffviz.engine import History, Trainer, from_dict, load_preset, preset_dict
from ffviz.ui import theme
from ffviz.ui.export import render_image
from ffviz.ui.plots import NOT_2D_MESSAGE, DecisionBoundaryPlot, LossCurvePlot, iso_segments, nice_ceil

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


def test_points_are_every_train_and_test_sample(boundary):
    snap = snap_of(trained("circle"))
    boundary.show_snapshot(snap)
    ds = snap.dataset
    train = np.concatenate([np.column_stack(i.getData()) for i in boundary.train_items])
    test = np.concatenate([np.column_stack(i.getData()) for i in boundary.test_items])
    assert len(train) + len(test) == len(ds.raw_train) + len(ds.raw_test)
    np.testing.assert_allclose(np.sort(train, axis=0), np.sort(ds.raw_train, axis=0))
    np.testing.assert_allclose(np.sort(test, axis=0), np.sort(ds.raw_test, axis=0))
    # orange points are the y = 0 ones; test points are hollow (no opaque fill)
    blue = boundary.train_items[1]
    assert blue.opts["brush"].color() == theme.POSITIVE
    assert boundary.test_items[0].opts["brush"].color().alpha() < 255
    names = [label.text for _, label in boundary.legend.items]
    assert names == ["y = 0", "y = 1", "test"]


def test_binary_draws_the_half_contour(boundary):
    snap = snap_of(trained("circle", 300, 3))
    boundary.show_snapshot(snap)
    assert boundary.contour.isVisible()
    assert boundary.contour.parentItem() is boundary.image
    assert boundary.contour.segment_count() > 10
    assert not boundary.contour.boundingRect().isEmpty()


def test_iso_segments_lie_on_the_level():
    x = np.linspace(-1, 1, 61)
    g1, g2 = np.meshgrid(x, x)
    r = np.hypot(g1, g2)
    sx, sy = iso_segments(r, 0.5)
    assert sx.size > 40 and sx.size % 2 == 0
    # pixel coordinates back to the plane: sample [row, col] sits at (col + 0.5, row + 0.5)
    px = -1 + (sx - 0.5) * (2 / 60)
    py = -1 + (sy - 0.5) * (2 / 60)
    np.testing.assert_allclose(np.hypot(px, py), 0.5, atol=0.01)


def test_iso_segments_handle_saddles_and_nan():
    saddle = np.array([[1.0, 0.0], [0.0, 1.0]])
    sx, _ = iso_segments(saddle, 0.5)
    assert sx.size == 4  # two segments, one around each low corner
    assert iso_segments(np.full((5, 5), np.nan), 0.5)[0].size == 0
    assert iso_segments(np.zeros((5, 5)), 0.5)[0].size == 0


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
    assert all(i.isVisible() for i in boundary.test_items)
    boundary.set_show_test(False)
    assert not any(i.isVisible() for i in boundary.test_items)
    assert all(i.isVisible() for i in boundary.train_items)
    boundary.set_show_test(True)
    assert all(i.isVisible() for i in boundary.test_items)


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
    monkeypatch.setattr(boundary.train_items[0], "setData", lambda *a, **k: calls.append(1))
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
    assert sum(len(i.getData()[0]) for i in boundary.train_items) == len(snap.dataset.raw_train)


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
    assert not any(i.isVisible() for i in boundary.train_items + boundary.test_items)
    # the message is drawn in the middle of the plot
    render_image(boundary)  # the view applies its new range when it paints
    rect = boundary.message.mapRectToScene(boundary.message.boundingRect())
    view = boundary.plot_item.getViewBox().sceneBoundingRect()
    assert abs(rect.center().x() - view.center().x()) < 2 and abs(rect.center().y() - view.center().y()) < 2
    # 2-D data again (a newer run): the plane comes back
    boundary.show_snapshot(snap_of(trained("circle")))
    assert not boundary.message_visible
    assert boundary.image.isVisible() and all(i.isVisible() for i in boundary.train_items)


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
