"""The decision boundary over the input plane: what it draws for each task, and that it stays cheap."""


import sys
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtGui, QtWidgets

from ffviz.ui import theme
from ffviz.ui.export import export_svg, render_image
from ffviz.ui.views.decision_boundary import NOT_2D_MESSAGE
from tests.ui.views.plotting import trained, snap_of, three_input_trainer, point_colors, RES


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
    train = np.column_stack(boundary.train_points.getData())
    test = np.column_stack(boundary.test_points.getData())
    assert len(train) == len(ds.raw_train) and len(test) == len(ds.raw_test)
    np.testing.assert_allclose(np.sort(train, axis=0), np.sort(ds.raw_train, axis=0))
    np.testing.assert_allclose(np.sort(test, axis=0), np.sort(ds.raw_test, axis=0))
    # orange points are the y = 0 ones, drawn first (under the blue ones); test points are rings with a
    # translucent fill
    labels = (ds.y_train[:, 0] >= 0.5).astype(int)
    fills = point_colors(boundary.train_points, "brush")
    orange, blue = theme.DEFAULT.diverging.negative.name(), theme.DEFAULT.diverging.positive.name()
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
    rgb = np.array(theme.DEFAULT.palette.classes[k], dtype=float)
    pixel = img[r, c].astype(float)
    # the class's colour, washed towards white; a less sure pixel is paler
    assert np.corrcoef(pixel - 255, rgb - 255)[0, 1] > 0.99
    unsure = np.argmin(np.max(out, axis=2))
    assert img.reshape(-1, 3)[unsure].astype(int).sum() > pixel.sum()
    assert not boundary.contour.isVisible()
    assert [label.text for _, label in boundary.legend.items] == ["class 0", "class 1", "class 2", "test"]
    assert len(boundary.train_points.getData()[0]) == len(snap.dataset.raw_train)
    classes = [theme.DEFAULT.class_color(k).name() for k in range(3)]
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


def test_no_test_points_no_test_legend(boundary):
    boundary.show_snapshot(snap_of(trained("xor-2")))
    assert [label.text for _, label in boundary.legend.items] == ["y = 0", "y = 1"]


def one_input_trainer():
    from ffviz.engine import Trainer
    from ffviz.engine.config import from_dict
    return Trainer(from_dict({
        "layers": [{"units": 1}, {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_crossentropy",
        "data": {"name": "inline", "x": [[0], [1], [2], [3]], "y": [0, 0, 1, 1], "test_fraction": 0}}))


def test_data_of_one_input_shows_the_message(boundary):
    boundary.show_snapshot(snap_of(trained("circle")))
    snap = one_input_trainer().snapshot(plane_resolution=RES)
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


def test_three_inputs_draw_a_slice_and_say_where_the_third_is_held(boundary):
    from ffviz.engine.plane import PlaneSlice
    t = three_input_trainer()
    t.step(20)
    t.set_plane_slice(PlaneSlice(axes=(0, 2)))
    snap = t.snapshot(plane_resolution=RES)
    boundary.show_snapshot(snap)
    assert not boundary.message_visible and boundary.image.isVisible()
    np.testing.assert_allclose(boundary.image.image, snap.plane.output[:, :, 0])
    train = np.asarray([(p.pos().x(), p.pos().y()) for p in boundary.train_points.points()])
    np.testing.assert_allclose(np.sort(train, axis=0), np.sort(snap.plane.train_xy, axis=0))
    assert boundary.plot_item.getAxis("bottom").labelText == "x1"
    assert boundary.plot_item.getAxis("left").labelText == "x3"
    assert boundary.held_text() == "x2 = 0.500 held at its mean"
    assert boundary.slice_bar.wanted
    boundary.show_snapshot(snap_of(trained("circle")))  # 2-D data again: no slice
    assert not boundary.slice_bar.wanted and boundary.held_text() == ""
