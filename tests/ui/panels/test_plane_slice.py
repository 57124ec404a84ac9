"""More than two inputs in the window: the slice bar picks the axes and the held values; the boundary and the
diagram's heatmaps show the engine's slice; a bad value is one line and changes nothing."""

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from ffviz.engine.config import from_dict
from ffviz.ui.main_window import MainWindow
from ffviz.ui.views.network.colors import heat_indices

TIMEOUT = 10_000
IRIS = Path(__file__).resolve().parents[2] / "io" / "data" / "iris.csv"


def iris_config():
    return from_dict({"layers": [{"units": 4}, {"units": 5, "activation": "tanh"},
                                 {"units": 3, "activation": "softmax"}],
                      "loss": "softmax_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.05},
                      "data": {"csv": str(IRIS), "test_fraction": 0.2}})


@pytest.fixture
def win(qtbot, tmp_path):
    settings = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(iris_config(), settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.snapshot is not None and w.snapshot.plane is not None, timeout=TIMEOUT)
    w.step_requested.emit(30)
    qtbot.waitUntil(lambda: w.snapshot.step == 30, timeout=TIMEOUT)
    yield w
    w.close()


def type_into(field, text):
    """As a user types a value and presses Enter."""
    field.selectAll()
    QTest.keyClicks(field, text)
    QTest.keyClick(field, QtCore.Qt.Key.Key_Return)


def means(snap):
    return np.array(snap.dataset.standardization.mean)


def test_iris_shows_a_slice_with_the_others_at_their_means(win):
    bar, boundary, snap = win.boundary_plot.slice_bar, win.boundary_plot, win.snapshot
    assert bar.isVisible() and not boundary.message_visible
    assert [bar.x_combo.itemText(i) for i in range(bar.x_combo.count())] == list(snap.dataset.feature_names)
    m = means(snap)
    assert boundary.held_text() == (f"petal_length = {m[2]:.3g}, petal_width = {m[3]:.3g} held at their means")
    assert float(bar.field(2).text()) == pytest.approx(m[2], rel=1e-3)  # four significant digits
    np.testing.assert_array_equal(boundary.image.image.shape[:2], snap.plane.output.shape[:2])


def test_choosing_axes_and_a_held_value_moves_the_plane_and_the_heatmaps(win, qtbot):
    bar = win.boundary_plot.slice_bar
    bar.y_combo.setCurrentIndex(2)  # petal length up
    qtbot.waitUntil(lambda: win.snapshot.plane.axes == (0, 2), timeout=TIMEOUT)
    before = win.snapshot.plane
    type_into(bar.field(3), "2.5")
    qtbot.waitUntil(lambda: dict(win.snapshot.plane.held).get(3) == 2.5, timeout=TIMEOUT)
    snap = win.snapshot
    assert snap.plane.chosen == (3,) and not np.array_equal(snap.plane.output, before.output)
    assert win.boundary_plot.held_text().endswith("petal_width = 2.50 held as chosen")
    assert win.boundary_plot.plot_item.getAxis("left").labelText == "petal_length"
    # the diagram's hidden-layer heatmaps are of the same slice: their pixels are the plane's layer coloured
    nv = win.network_view
    expected = nv._colors.argb[heat_indices(np.asarray(snap.plane.layers[1]), "tanh")]
    img = nv.heatmap_item(1, 0).pixmap().toImage()
    assert img.pixel(3, 5) == int(expected[0, 5, 3])
    bar.means_button.click()  # back to the means (the button survives the fields being made again)
    qtbot.waitUntil(lambda: win.snapshot.plane.chosen == (), timeout=TIMEOUT)
    assert bar.means_button.isVisible()
    np.testing.assert_allclose([v for _, v in win.snapshot.plane.held], means(win.snapshot)[[1, 3]])


@pytest.mark.parametrize("typed", ["abc", "nan", "inf"])
def test_a_bad_held_value_is_one_line_and_changes_nothing(win, qtbot, typed):
    bar = win.boundary_plot.slice_bar
    sent = []
    bar.slice_requested.connect(sent.append)
    before = win.snapshot.plane
    shown = bar.field(2).text()
    type_into(bar.field(2), typed)
    assert bar.message.isVisible() and "\n" not in bar.message.text()
    assert "the value of petal_length must be a finite number" in bar.message.text()
    assert bar.field(2).text() == shown and sent == []
    win.pause_requested.emit()
    qtbot.waitUntil(lambda: win.snapshot.serial > 0 and win.snapshot.plane.held == before.held, timeout=TIMEOUT)
    assert win.worker.trainer.plane_slice is None  # the run's slice is still the default


def test_whatever_is_typed_the_bar_sends_a_finite_value_or_says_why_in_one_line(qtbot):
    """Without a window: the bar alone, given the plane of a three-input run, and random typing."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    from tests.ui.views.plotting import three_input_trainer
    from ffviz.ui.panels.plane_slice import PlaneSliceBar

    bar = PlaneSliceBar()
    qtbot.addWidget(bar)
    bar.show_plane(three_input_trainer().snapshot(plane_resolution=4).plane)  # x3 is held
    sent = []
    bar.slice_requested.connect(sent.append)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(max_size=30))
    def typed(text):
        sent.clear()
        bar.message.clear()
        field = bar.field(2)  # typed: any text (key events of arbitrary characters would abort Qt's test kit)
        field.setText(text)
        field.setModified(True)
        field.editingFinished.emit()
        if sent:
            (sl,) = sent
            assert sl.axes == (0, 1) and np.isfinite(dict(sl.held)[2])
        else:  # refused: the field shows the plane's value again (x3's mean, 0.5), nothing was sent
            assert bar.field(2).text() == "0.5000"
            assert "\n" not in bar.message.text()
    typed()


def test_a_session_reopens_on_the_slice_it_was_saved_with(win, qtbot, tmp_path):
    from ffviz.engine.plane import PlaneSlice
    win.plane_slice_requested.emit(PlaneSlice((2, 3), ((0, 7.0),)))
    qtbot.waitUntil(lambda: win.snapshot.plane.axes == (2, 3), timeout=TIMEOUT)
    path = tmp_path / "iris.ffviz"
    with qtbot.waitSignal(win.files.session_written, timeout=TIMEOUT):
        win.save_session(path)
    win.plane_slice_requested.emit(PlaneSlice((0, 1), ()))
    qtbot.waitUntil(lambda: win.snapshot.plane.axes == (0, 1), timeout=TIMEOUT)
    with qtbot.waitSignal(win.files.session_opened, timeout=TIMEOUT):
        assert win.open_file(path)
    qtbot.waitUntil(lambda: win.snapshot.plane.axes == (2, 3), timeout=TIMEOUT)
    plane = win.snapshot.plane
    assert plane.held[0] == (0, 7.0) and plane.chosen == (0,)
    assert win.boundary_plot.slice_bar.x_combo.currentIndex() == 2
