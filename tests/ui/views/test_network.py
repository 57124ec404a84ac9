"""The network diagram, tested for what a user would notice: what is drawn, what a click, a double-click and
typing do, and that bad numbers (NaN, stale snapshots, invalid text) neither crash nor mislead."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from ffviz.engine import Phase, Trainer, load_preset, preset_dict, preset_names
from ffviz.engine.config import from_dict
from ffviz.engine.datasets import FEATURES
from ffviz.ui import format as fmt
from ffviz.ui import theme
from ffviz.ui.views.network import NetworkView

LEFT = QtCore.Qt.MouseButton.LeftButton
NOMOD = QtCore.Qt.KeyboardModifier.NoModifier


def trained(name="circle", steps=3, resolution=24):
    t = Trainer(load_preset(name))
    t.step(steps)
    t.record_evaluation()
    return t, t.snapshot(plane_resolution=resolution)


@pytest.fixture
def view(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def edge_colors(view, snap):
    out = []
    for layer in range(1, len(snap.layer_sizes)):
        for i in range(snap.layer_sizes[layer - 1]):
            for j in range(snap.layer_sizes[layer]):
                out.append(view.edge_item(layer, i, j).pen().color().name())
    return out


def edge_point(view, layer, i, j, t=0.3) -> QtCore.QPoint:
    """Where a user would click an edge: a point along the drawn line, in viewport pixels."""
    item = view.edge_item(layer, i, j)
    return view.mapFromScene(item.mapToScene(item.line().pointAt(t)))


def node_point(view, layer, j) -> QtCore.QPoint:
    item = view.node_item(layer, j)
    return view.mapFromScene(item.mapToScene(item.rect().center()))


# ---------------------------------------------------------------- what is drawn

@pytest.mark.parametrize("name", preset_names())
def test_builds_for_every_preset_with_one_node_per_unit_and_one_edge_per_weight(qtbot, name):
    v = NetworkView()
    qtbot.addWidget(v)
    t, snap = trained(name)
    assert v.show_snapshot(snap)
    sizes = snap.layer_sizes
    assert v.node_count() == sum(sizes)
    assert v.edge_count() == sum(a * b for a, b in zip(sizes, sizes[1:]))
    for layer, spec in enumerate(snap.config.layers, start=1):
        for j in range(spec.units):
            label = v.bias_label(layer, j)
            if spec.use_bias:
                assert label is not None and label.isVisible()
                assert label.text().startswith("b ")
            else:
                assert label is None
        footer = v.layer_footer(layer)
        assert footer.startswith(load_activation_label(snap.activations[layer - 1]))
        assert ("no bias" in footer) == (not spec.use_bias)


def load_activation_label(name):
    from ffviz.engine import ACTIVATIONS
    return ACTIVATIONS[name].label


def test_inputs_are_labelled_with_feature_labels(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    _, snap = trained("spiral")
    v.show_snapshot(snap)
    texts = {item.text() for item in v.scene().items() if isinstance(item, QtWidgets.QGraphicsSimpleTextItem)}
    for name in snap.dataset.feature_names:
        assert FEATURES[name].label in texts
    assert "ŷ" in texts


def test_bias_label_shows_the_bias_value(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    _, snap = trained("circle")
    v.show_snapshot(snap)
    b = float(snap.biases[0][2])
    assert v.bias_label(1, 2).text() == "b " + f"{b:+.3f}".replace("-", "−")


def test_edge_colours_follow_the_weights_after_a_step(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t, s1 = trained("circle")
    v.show_snapshot(s1)
    before = edge_colors(v, s1)
    t.step(5)
    s2 = t.snapshot(plane_resolution=24)
    items_before = [v.edge_item(1, 0, j) for j in range(4)]
    v.show_snapshot(s2)
    assert edge_colors(v, s2) != before
    # updated in place: the same items, not new ones
    assert [v.edge_item(1, 0, j) for j in range(4)] == items_before


def test_edge_colour_and_width_encode_sign_and_size(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    _, snap = trained("circle")
    v.show_snapshot(snap)
    k = snap.kernels[0]
    i_max, j_max = np.unravel_index(np.argmax(np.abs(k)), k.shape)
    i_min, j_min = np.unravel_index(np.argmin(np.abs(k)), k.shape)
    strong = v.edge_item(1, int(i_max), int(j_max)).pen()
    weak = v.edge_item(1, int(i_min), int(j_min)).pen()
    assert strong.widthF() > weak.widthF()
    c = strong.color()
    if k[i_max, j_max] > 0:
        assert c.blue() > c.red()  # blue for positive
    else:
        assert c.red() > c.blue()  # orange for negative


def test_gradient_mode_recolours_edges_and_relabels_the_legend(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t = Trainer(load_preset("circle"))
    fresh = t.snapshot(plane_resolution=16)
    v.show_snapshot(fresh)
    v.set_color_mode("gradient")
    # no backward pass yet: every edge grey and thin, and the legend says so
    assert len(set(edge_colors(v, fresh))) == 1
    assert v.edge_item(1, 0, 0).pen().widthF() <= 1.0
    assert "not computed yet" in v.legend_text()
    t.step(3)
    snap = t.snapshot(plane_resolution=16)
    v.set_color_mode("weight")
    v.show_snapshot(snap)
    weight_colors = edge_colors(v, snap)
    assert v.legend_text().startswith("weight w")
    v.set_color_mode("gradient")
    assert v.color_mode() == "gradient"
    assert edge_colors(v, snap) != weight_colors
    assert v.legend_text().startswith("gradient ∂J/∂w")
    g = max(float(np.max(np.abs(a))) for a in snap.grad_kernels + snap.grad_biases)
    assert fmt.number(g) in v.legend_text()
    with pytest.raises(ValueError):
        v.set_color_mode("rainbow")


def shows_colour(view, rect, color: QtGui.QColor, tol: int = 12) -> bool:
    """Whether a pixel within `rect` of the viewport has (nearly) this colour."""
    img = view.viewport().grab(rect).toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    px = arr.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 4].reshape(-1, 4)[:, :3].astype(int)
    bgr = np.array([color.blue(), color.green(), color.red()])
    return bool((np.abs(px - bgr).max(axis=1) <= tol).any())


def test_legend_is_visible_with_the_network_wide_scale(view):
    assert view.legend_rect() is None  # nothing to explain before the first snapshot
    _, snap = trained("circle")
    view.show_snapshot(snap)
    rect = view.legend_rect()
    assert rect is not None and view.viewport().rect().contains(rect)
    w = max(float(np.max(np.abs(a))) for a in snap.kernels + snap.biases)
    assert f"−{fmt.number(w)}" in view.legend_text() and f"+{fmt.number(w)}" in view.legend_text()
    # the colour bar is drawn there: both ends of the diverging map
    assert shows_colour(view, rect, theme.DEFAULT.diverging.negative) and shows_colour(view, rect, theme.DEFAULT.diverging.positive)
    # it stays in view, the same size, when the user zooms and pans
    QTest.mouseMove(view.viewport(), QtCore.QPoint(450, 300))
    for _ in range(3):
        wheel(view, QtCore.QPoint(450, 300), 240)
    assert view.legend_rect() == rect
    assert shows_colour(view, rect, theme.DEFAULT.diverging.negative) and shows_colour(view, rect, theme.DEFAULT.diverging.positive)


def test_heatmaps_show_each_feature_with_x1_to_the_right_and_x2_up(view):
    _, snap = trained("circle", resolution=20)
    view.show_snapshot(snap)
    img1 = view.heatmap_item(0, 0).pixmap().toImage()  # X₁
    img2 = view.heatmap_item(0, 1).pixmap().toImage()  # X₂
    assert view.heatmap_item(0, 0).isVisible()
    left, right = img1.pixelColor(0, 10), img1.pixelColor(19, 10)
    assert left.red() > left.blue() and right.blue() > right.red()  # negative x₁ orange, positive blue
    top, bottom = img2.pixelColor(10, 0), img2.pixelColor(10, 19)
    assert top.blue() > top.red() and bottom.red() > bottom.blue()  # large x₂ at the top


def test_without_a_plane_nodes_have_no_heatmap_but_keep_their_bias_colour(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t, snap = trained("circle")
    v.show_snapshot(snap)
    assert v.heatmap_item(1, 0).isVisible()
    t.step(1)
    v.show_snapshot(t.snapshot())  # no plane
    assert not v.heatmap_item(1, 0).isVisible()
    assert v.node_item(1, 0).brush().color() != QtGui.QColor(255, 255, 255)
    v.show_snapshot(t.snapshot(plane_resolution=12))
    assert v.heatmap_item(1, 0).isVisible()


def test_the_last_phase_is_highlighted(view):
    t = Trainer(load_preset("circle"))
    t.step_phase()
    view.show_snapshot(t.snapshot(plane_resolution=12))
    assert view.highlighted_phase() == Phase("forward", 1)
    band = view.phase_band()
    assert band.isVisible()
    x1 = view.node_item(1, 0).rect().center().x()
    x2 = view.node_item(2, 0).rect().center().x()
    assert band.rect().left() < x1 < band.rect().right() < x2
    t.step_phase()
    view.show_snapshot(t.snapshot(plane_resolution=12))
    assert view.highlighted_phase() == Phase("forward", 2)
    assert band.rect().left() < x2 < band.rect().right()


def test_the_band_looks_like_its_tint_over_the_background(view):
    """The band is filled opaque (cheaper than blending), with the colour its translucent tint gives."""
    t = Trainer(load_preset("circle"))
    t.step(1)  # the last phase: "update", the band over the whole network
    view.show_snapshot(t.snapshot(plane_resolution=12))
    band = view.phase_band()
    # a point inside the band with nothing on it: just under the band's top edge, left of the input column
    scene_pt = QtCore.QPointF(band.rect().left() + 3, band.rect().top() + 3)
    pt = view.mapFromScene(scene_pt)
    assert not [i for i in view.scene().items(scene_pt) if i is not band]
    got = QtGui.QColor(view.viewport().grab().toImage().pixel(pt))
    expected = QtGui.QImage(1, 1, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    expected.fill(view.backgroundBrush().color())
    painter = QtGui.QPainter(expected)
    painter.fillRect(0, 0, 1, 1, theme.DEFAULT.palette.phase_tint("update"))
    painter.end()
    assert got.name() == QtGui.QColor(expected.pixel(0, 0)).name()


def test_inputs_heatmaps_are_drawn_once_per_run(qtbot, monkeypatch):
    """The input features over the plane do not change while training: their heatmaps are not redrawn;
    the hidden neurons' are."""
    v = NetworkView()
    qtbot.addWidget(v)
    t, snap = trained("circle")
    v.show_snapshot(snap)
    set_calls = {"input": 0, "hidden": 0}
    for key, item in (("input", v.heatmap_item(0, 0)), ("hidden", v.heatmap_item(1, 0))):
        original = item.setPixmap
        monkeypatch.setattr(item, "setPixmap", lambda pm, key=key, original=original:
                            (set_calls.__setitem__(key, set_calls[key] + 1), original(pm)))
    before = v.heatmap_item(1, 0).pixmap().toImage()
    t.step(30)
    v.show_snapshot(t.snapshot(plane_resolution=24))
    assert set_calls == {"input": 0, "hidden": 1}
    assert v.heatmap_item(1, 0).pixmap().toImage() != before
    assert not v.heatmap_item(0, 0).pixmap().isNull()


def test_svg_export_keeps_the_legend_as_text(view, tmp_path):
    import xml.etree.ElementTree as ET

    from ffviz.ui.export import export_svg
    view.show_snapshot(trained("circle")[1])
    root = ET.parse(export_svg(view, tmp_path / "network.svg")).getroot()
    texts = " ".join(el.text or "" for el in root.iter() if el.tag.endswith("text"))
    assert "weight w" in texts and "Hidden 1" in texts


# ---------------------------------------------------------------- snapshots: order, structure, bad numbers

def test_a_stale_snapshot_is_ignored(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t, old = trained("circle")
    t.step(10)
    new = t.snapshot(plane_resolution=24)
    assert v.show_snapshot(new)
    colors = edge_colors(v, new)
    label = v.bias_label(1, 0).text()
    assert not v.show_snapshot(old)
    assert v.snapshot() is new
    assert edge_colors(v, new) == colors and v.bias_label(1, 0).text() == label


def test_a_structure_change_rebuilds_and_clears_the_selection(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t, snap = trained("circle")
    v.show_snapshot(snap)
    v.set_selection(2, "kernel", (3, 1))
    t.step(1)
    v.show_snapshot(t.snapshot(plane_resolution=24))  # same structure: the selection stays
    assert v.selection() == (2, "kernel", (3, 1))
    _, other = trained("xor")
    v.show_snapshot(other)
    assert v.node_count() == 2 + 4 + 1 and v.edge_count() == 2 * 4 + 4 * 1
    assert v.selection() is None
    with pytest.raises(ValueError):
        v.set_selection(2, "kernel", (3, 1))  # layer 2 has one unit now


def test_nan_weights_do_not_crash_and_use_the_nonfinite_colour(view):
    t, snap = trained("circle")
    k = np.array(snap.kernels[1])
    k[0, 1] = np.nan
    b = np.array(snap.biases[0])
    b[2] = np.inf
    bad = replace(snap, serial=snap.serial + 1, kernels=(snap.kernels[0], k, snap.kernels[2]),
                  biases=(b,) + snap.biases[1:])
    view.show_snapshot(bad)
    assert view.edge_item(2, 0, 1).pen().color() == theme.DEFAULT.palette.nonfinite
    assert view.edge_item(2, 0, 0).pen().color() != theme.DEFAULT.palette.nonfinite
    assert view.node_item(1, 2).brush().color() == theme.DEFAULT.palette.nonfinite
    assert view.bias_label(1, 2).text() == "b +∞"
    assert "NaN/inf" in view.legend_text()
    assert "w = NaN" in view.tooltip_for(2, "kernel", (0, 1))
    view.grab()  # painting must not fail either


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_a_diverged_run_draws(view):
    d = preset_dict("regression")
    d["optimizer"] = {"name": "sgd", "learning_rate": 1e4}
    for spec in d["layers"][1:]:
        spec["activation"] = "linear"
    t = Trainer(from_dict(d))
    for _ in range(50):
        t.step(1)
        if t.diverged:
            break
    assert t.diverged is not None
    snap = t.snapshot(plane_resolution=12)
    assert view.show_snapshot(snap)
    for mode in ("gradient", "weight"):
        view.set_color_mode(mode)
        view.grab()
    out = view.heatmap_item(len(snap.layer_sizes) - 1, 0).pixmap().toImage()
    assert QtGui.QColor(out.pixel(5, 5)).rgb() == theme.DEFAULT.palette.nonfinite.rgb()


# ---------------------------------------------------------------- tooltips

def test_tooltips_give_full_precision_values_gradient_and_last_update(view):
    t, snap = trained("circle")
    view.show_snapshot(snap)
    text = view.tooltip_for(1, "kernel", (1, 2))
    assert f"w = {fmt.number(snap.kernels[0][1, 2], fmt.FULL)}" in text
    assert f"∂J/∂w = {fmt.number(snap.grad_kernels[0][1, 2], fmt.FULL)}" in text
    old, new = float(snap.trace.old_kernels[0][1, 2]), float(snap.trace.new_kernels[0][1, 2])
    assert f"{fmt.number(old, fmt.FULL)} → {fmt.number(new, fmt.FULL)}" in text
    assert "X₂" in text  # from input X₂
    bias_text = view.tooltip_for(2, "bias", (1,))
    assert f"b = {fmt.number(snap.biases[1][1], fmt.FULL)}" in bias_text
    # what the hover shows is that text
    QtWidgets.QApplication.sendEvent(view.viewport(), QtGui.QHelpEvent(
        QtCore.QEvent.Type.ToolTip, edge_point(view, 1, 1, 2),
        view.viewport().mapToGlobal(edge_point(view, 1, 1, 2))))
    assert QtWidgets.QToolTip.text() == text
    QtWidgets.QToolTip.hideText()


def test_tooltips_before_any_update_say_so(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    v.show_snapshot(Trainer(load_preset("circle")).snapshot())
    text = v.tooltip_for(1, "kernel", (0, 0))
    assert "∂J/∂w = not computed yet" in text and "last update: none yet" in text


def test_node_tooltip_shows_z_and_a_for_a_single_sample(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    t = Trainer(load_preset("lecture"))  # one sample, no bias
    t.step(1)
    snap = t.snapshot()
    v.show_snapshot(snap)
    text = v.tooltip_for(1, "neuron", (0,))
    assert f"z = {fmt.number(snap.trace.z[0][0, 0], fmt.FULL)}" in text
    assert f"a = {fmt.number(snap.trace.a[1][0, 0], fmt.FULL)}" in text
    assert "no bias" in text
    assert f"x = {fmt.number(snap.trace.x[0, 1], fmt.FULL)}" in v.tooltip_for(0, "neuron", (1,))


# ---------------------------------------------------------------- selecting and editing

def test_clicking_an_edge_selects_that_weight(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    for layer, i, j in [(1, 1, 3), (2, 2, 0), (3, 1, 0)]:
        with qtbot.waitSignal(view.weight_selected, timeout=1000) as sig:
            QTest.mouseClick(view.viewport(), LEFT, NOMOD, edge_point(view, layer, i, j))
        assert sig.args == [layer, "kernel", (i, j)]
        assert view.selection() == (layer, "kernel", (i, j))
    halo = view.selection_highlight()
    assert halo is not None and halo.pen().color() == theme.DEFAULT.palette.selected
    assert halo.line() == view.edge_item(3, 1, 0).line()


def test_clicking_a_node_selects_its_bias(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    with qtbot.waitSignal(view.weight_selected, timeout=1000) as sig:
        QTest.mouseClick(view.viewport(), LEFT, NOMOD, node_point(view, 1, 2))
    assert sig.args == [1, "bias", (2,)]
    with qtbot.assertNotEmitted(view.weight_selected):
        QTest.mouseClick(view.viewport(), LEFT, NOMOD, node_point(view, 0, 0))  # inputs have no bias
    assert view.selection() == (1, "bias", (2,))


def test_set_selection_highlights_without_emitting(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    with qtbot.assertNotEmitted(view.weight_selected):
        view.set_selection(1, "kernel", (0, 1))
    assert view.selection() == (1, "kernel", (0, 1))
    assert isinstance(view.selection_highlight(), QtWidgets.QGraphicsLineItem)
    view.set_selection(2, "bias", (0,))
    halo = view.selection_highlight()
    assert isinstance(halo, QtWidgets.QGraphicsPathItem)
    assert halo.sceneBoundingRect().contains(view.node_item(2, 0).sceneBoundingRect())
    view.set_selection(None)
    assert view.selection() is None and view.selection_highlight() is None


def test_dragging_pans_without_selecting(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    wheel(view, QtCore.QPoint(450, 300), 480)  # zoom in so there is somewhere to pan to
    start = edge_point(view, 1, 0, 0)
    before = view.mapToScene(QtCore.QPoint(450, 300))
    with qtbot.assertNotEmitted(view.weight_selected):
        QTest.mousePress(view.viewport(), LEFT, NOMOD, start)
        for k in range(1, 6):
            move(view, start + QtCore.QPoint(20 * k, 10 * k))
        QTest.mouseRelease(view.viewport(), LEFT, NOMOD, start + QtCore.QPoint(100, 50))
    after = view.mapToScene(QtCore.QPoint(450, 300))
    assert (after - before).manhattanLength() > 50


def test_double_click_then_typing_a_number_requests_that_edit(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    QTest.mouseDClick(view.viewport(), LEFT, NOMOD, edge_point(view, 2, 3, 1))
    editor = view.editor()
    assert editor.isVisible()
    assert editor.text() == fmt.number(snap.kernels[1][3, 1], fmt.FULL)  # starts from the full-precision value
    editor.clear()
    QTest.keyClicks(editor, "-0.125")
    with qtbot.waitSignal(view.weight_edit_requested, timeout=1000) as sig:
        QTest.keyClick(editor, QtCore.Qt.Key.Key_Return)
    assert sig.args == [2, "kernel", (3, 1), -0.125]
    assert not editor.isVisible()


def test_double_click_on_a_node_edits_its_bias(view, qtbot):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    QTest.mouseDClick(view.viewport(), LEFT, NOMOD, node_point(view, 3, 0))
    assert view.editor().isVisible()
    with qtbot.waitSignal(view.weight_edit_requested, timeout=1000) as sig:
        assert view.submit_edit("2,5")
    assert sig.args == [3, "bias", (0,), 2.5]


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "1e999", "0.5.1"])
def test_invalid_text_shows_a_message_and_requests_nothing(view, qtbot, text):
    _, snap = trained("circle")
    view.show_snapshot(snap)
    view.edit_weight(1, "kernel", (0, 0))
    editor = view.editor()
    editor.clear()
    QTest.keyClicks(editor, text)
    with qtbot.assertNotEmitted(view.weight_edit_requested):
        QTest.keyClick(editor, QtCore.Qt.Key.Key_Return)
    assert "must be a finite number" in view.message()
    assert editor.isVisible()  # still open, to correct the text
    QTest.keyClick(editor, QtCore.Qt.Key.Key_Escape)
    assert not editor.isVisible()


def test_edit_weight_refuses_what_does_not_exist(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    _, snap = trained("lecture")
    v.show_snapshot(snap)
    with pytest.raises(ValueError):
        v.edit_weight(1, "bias", (0,))  # the lecture's neuron has no bias
    with pytest.raises(ValueError):
        v.edit_weight(2, "kernel", (0, 0))


# ---------------------------------------------------------------- zoom and fit

def wheel(view, pos, dy):
    ev = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(view.viewport().mapToGlobal(pos)),
                           QtCore.QPoint(0, 0), QtCore.QPoint(0, dy), QtCore.Qt.MouseButton.NoButton,
                           NOMOD, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(view.viewport(), ev)


def move(view, pos):
    ev = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos),
                           QtCore.QPointF(view.viewport().mapToGlobal(pos)), QtCore.Qt.MouseButton.NoButton,
                           LEFT, NOMOD)
    QtWidgets.QApplication.sendEvent(view.viewport(), ev)


def whole_network_visible(view, snap) -> bool:
    vp = view.viewport().rect()
    return all(vp.contains(node_point(view, layer, j))
               for layer, n in enumerate(snap.layer_sizes) for j in range(n))


def test_wheel_zooms_and_fit_shows_everything_again(view):
    _, snap = trained("deep-sigmoid")
    view.show_snapshot(snap)
    assert whole_network_visible(view, snap)
    scale = view.transform().m11()
    wheel(view, QtCore.QPoint(450, 300), 720)
    assert view.transform().m11() > 1.5 * scale
    assert not whole_network_visible(view, snap)
    view.resize(800, 500)  # the user zoomed: a resize keeps their zoom
    QtWidgets.QApplication.processEvents()
    assert not whole_network_visible(view, snap)
    view.fit()
    assert whole_network_visible(view, snap)
    view.resize(600, 400)  # not zoomed: a resize fits again
    QtWidgets.QApplication.processEvents()
    assert whole_network_visible(view, snap)


def test_a_wide_deep_network_fits_with_readable_nodes(view):
    d = preset_dict("circle")
    hidden = [{"units": 16, "activation": "tanh"}] * 7
    d["layers"] = [{"units": 2}] + hidden + [{"units": 1, "activation": "sigmoid"}]
    t = Trainer(from_dict(d))
    t.step(1)
    snap = t.snapshot(plane_resolution=12)
    view.show_snapshot(snap)
    assert view.edge_count() == 2 * 16 + 6 * 16 * 16 + 16
    assert whole_network_visible(view, snap)
    on_screen = view.mapFromScene(view.node_item(1, 0).rect()).boundingRect()
    assert on_screen.height() >= 14  # still a readable square at 900 × 600
    a, b = node_point(view, 1, 0), node_point(view, 1, 1)
    assert b.y() - a.y() >= 26  # room for the bias label between two nodes


@pytest.mark.parametrize("name, size", [("circle", (560, 520)), ("xor", (480, 420)), ("spiral", (700, 600))])
def test_after_an_update_no_numbers_cover_other_numbers_or_a_node(qtbot, name, size):
    from ffviz.ui.lecture import LectureOptions
    v = NetworkView()
    qtbot.addWidget(v)
    v.resize(*size)
    v.show()
    qtbot.waitExposed(v)
    v.set_lecture(LectureOptions(playing=False))
    _, snap = trained(name, steps=40)
    v.show_snapshot(snap)
    blocks = [b for column in v._numbers.nodes for b in column] + list(v._numbers.edges.values())
    shown = [b for b in blocks if b.item.isVisible()]
    assert shown  # the update's numbers are written where there is room
    rects = [b.item.sceneBoundingRect().adjusted(3, 3, -3, -3) for b in shown]
    for k, r in enumerate(rects):
        assert not any(r.intersects(o) for o in rects[k + 1:]), shown[k].text()
    boxes = [n.box.rect() for column in v._nodes for n in column]
    for b, r in zip(shown, rects):
        covered = [box for box in boxes if r.intersects(box)]
        # a node's block sits beside or under its own node; an edge's covers none
        assert len(covered) <= 1, b.text()
