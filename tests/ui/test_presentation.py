"""Presenting ffviz: themes reach every widget, the text scale reaches every text, the projector layout, and
feedback (messages, hints) the user can actually see."""

import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from ffviz.engine import load_preset
from ffviz.ui import theme as themes
from ffviz.ui.main_window import MainWindow

TIMEOUT = 10_000


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    made = []

    def make(preset="circle", size=(1500, 920), **kw):
        win = MainWindow(load_preset(preset), settings=settings, **kw)
        qtbot.addWidget(win)
        made.append(win)
        win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win
    yield make
    for win in made:
        win.close()
    QtWidgets.QApplication.instance().setPalette(QtWidgets.QApplication.style().standardPalette())


def _plot_items(win):
    for view in win.views:
        if isinstance(view, pg.GraphicsView):
            yield view, [i for i in view.scene().items() if isinstance(i, pg.PlotItem)]


def assert_in_theme(win, theme):
    P = theme.palette
    R = QtGui.QPalette.ColorRole
    stale = []
    banners = (win.banner, win.notice)  # styled on purpose (error or hint colours): checked below
    for w in [win, *win.findChildren(QtWidgets.QWidget)]:
        if not w.isVisible() or any(b is w or b.isAncestorOf(w) for b in banners):
            continue
        pal, group = w.palette(), QtGui.QPalette.ColorGroup.Active  # disabled widgets are drawn muted, as meant
        if pal.color(group, R.Window) != P.window or pal.color(group, R.WindowText) != P.window_text:
            stale.append(f"{type(w).__name__} in {type(w.parent()).__name__}")
    assert not stale, f"widgets left in another palette: {stale[:8]}"
    for view, plots in _plot_items(win):
        assert view.backgroundBrush().color() == P.background, type(view).__name__
        for plot in plots:
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                if axis.isVisible():
                    assert axis.pen().color() == P.foreground and axis.textPen().color() == P.foreground
    for b in banners:
        ink = P.foreground if b.info else P.error
        assert theme.qss_color(ink) in b.styleSheet()
    assert win.network_view.backgroundBrush().color() == P.background
    # the diagram's texts: headers, bias labels, names
    texts = [i for i in win.network_view.scene().items() if isinstance(i, QtWidgets.QGraphicsSimpleTextItem)]
    colours = {t.brush().color().name() for t in texts}
    assert colours <= {P.foreground.name(), P.muted.name()}, colours


def test_every_widget_and_view_follows_a_theme_change(window, qtbot):
    win = window("circle")
    QTest.keyClick(win, QtCore.Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.snapshot.step == 1, timeout=TIMEOUT)
    for name in ("dark", "high-contrast", "light", "dark"):
        win.set_theme(name)
        qtbot.wait(50)
        assert_in_theme(win, themes.Theme(themes.PALETTES[name], win.theme.diverging, win.font_scale))
    # the colours of values follow the chosen map too: the edges use the purple/green map's colours
    win.set_diverging("purple-green")
    lut = {QtGui.QColor(*map(int, c[:3])).name() for c in themes.DIVERGING["purple-green"].lut(255)}
    edges = {win.network_view.edge_item(1, i, j).pen().color().name() for i in range(2) for j in range(4)}
    assert edges <= lut


def test_the_text_scale_reaches_the_diagram_the_plots_the_controls_and_the_status_bar(window, qtbot):
    win = window("circle")
    nv = win.network_view

    def sizes():
        label = nv.bias_label(1, 0)
        tick = win.loss_plot.loss_plot.getAxis("left").style["tickFont"]
        return (label.font().pointSizeF(), label.boundingRect().height(), tick.pointSizeF(),
                win.status_label.font().pointSizeF(), QtWidgets.QApplication.font().pointSizeF(),
                win.boundary_plot.train_points.opts["size"])

    before = sizes()
    QTest.keyClick(win, QtCore.Qt.Key.Key_Plus, QtCore.Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(win, QtCore.Qt.Key.Key_Plus, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.font_scale > 1.3, timeout=TIMEOUT)
    after = sizes()
    assert all(a > b * 1.25 for a, b in zip(after, before)), (before, after)
    QTest.keyClick(win, QtCore.Qt.Key.Key_0, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert win.font_scale == 1.0 and sizes() == pytest.approx(before)


def test_theme_scale_and_projector_plot_are_remembered(window, qtbot, settings):
    win = window("circle")
    win.set_theme("high-contrast")
    win.set_font_scale(1.5)
    win.set_projector_plot("loss")
    win.close()
    again = window("circle")
    assert again.theme.palette.name == "high-contrast" and again.font_scale == pytest.approx(1.5)
    assert again.projector_plot_actions.checkedAction().data() == "loss"
    launched = window("circle", theme="light", font_scale=0.8)  # a launch's choice wins, for that launch
    assert launched.theme.palette.name == "light" and launched.font_scale == pytest.approx(0.8)


def test_the_projector_layout_gives_the_diagram_and_one_plot_the_screen(window, qtbot):
    win = window("lecture", size=(1280, 720))
    QTest.keyClick(win, QtCore.Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: not win.controls_dock.isVisible(), timeout=TIMEOUT)
    # the lecture's surface is in front of the boundary (its tab group's chosen plot): the class sees it still
    assert win.projector_layout and win.surface_dock.isVisible() and not win.boundary_dock.isVisible()
    assert not win.loss_dock.isVisible()
    qtbot.waitUntil(lambda: win.network_view.width() > 0.5 * win.width()
                    and win.network_view.height() > 0.6 * win.height(), timeout=TIMEOUT)
    assert not win.chain_dock.isVisible()
    win.set_projector_plot("loss")
    assert win.loss_dock.isVisible() and not win.boundary_dock.isVisible()
    QTest.keyClick(win, QtCore.Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: win.controls_dock.isVisible(), timeout=TIMEOUT)
    assert win.boundary_dock.isVisible() and win.loss_dock.isVisible() and not win.projector_layout


def test_messages_are_visible_beside_the_live_numbers(window, qtbot, tmp_path):
    win = window("circle")
    bar = win.statusBar()
    assert win.save_network(tmp_path / "n.json")
    assert bar.currentMessage().startswith("Saved")
    assert win.status_label.width() < bar.width() * 0.75  # the rest of the bar shows the message
    assert not win.open_network(tmp_path / "missing.json")
    assert win.notice.isVisible() and "missing.json" in win.notice.text()  # where the user is looking


def test_enter_in_the_learning_rate_box_hands_space_back_to_play(window, qtbot):
    win = window("circle")
    box = win.controls.learning_rate
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box.lineEdit(), "0.3")
    QTest.keyClick(box.lineEdit(), QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.snapshot.learning_rate == 0.3, timeout=TIMEOUT)
    QTest.keyClick(QtWidgets.QApplication.focusWidget() or win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.playing, timeout=TIMEOUT)
    assert box.currentText() == "0.3"  # nothing typed into the box
    QTest.keyClick(win, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not win.playing, timeout=TIMEOUT)


def test_a_closed_panel_says_how_to_get_it_back(window, qtbot, settings):
    win = window("circle")
    win.boundary_dock.close()
    assert "View → Decision boundary" in win.statusBar().currentMessage()
    win.close()
    again = window("circle")
    qtbot.waitUntil(lambda: "Hidden since last time: Decision boundary" in again.statusBar().currentMessage(),
                    timeout=TIMEOUT)


def test_speeds_are_named_in_good_english(window):
    win = window("circle")
    names = [win.speed_combo.itemText(i) for i in range(win.speed_combo.count())]
    assert names[0] == "1 update/s" and names[1] == "2 updates/s" and names[-1] == "as fast as it goes"


def test_the_first_launch_says_how_to_start(window, qtbot):
    win = window("circle")
    assert "Space plays" in win.statusBar().currentMessage() and not win.playing
    win.close()
    again = window("circle")
    assert "Space plays" not in again.statusBar().currentMessage()
