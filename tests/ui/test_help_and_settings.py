"""A real desktop app: settings that last and can be reset, Help's lecture guide and About, and errors that
end in a dialog with a copyable report and a log, never a silent death."""

import logging
import sys

import pytest
from PySide6 import QtCore, QtWidgets

from ffviz import logs
from ffviz.engine import load_preset
from ffviz.engine.presets import LECTURE_ORDER, preset_names
from ffviz.ui.crash import CrashDialog, ErrorHandler
from ffviz.ui.main_window import MainWindow

TIMEOUT = 10_000


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    made = []

    def make(config="circle"):
        win = MainWindow(load_preset(config) if config else None, settings=settings)
        qtbot.addWidget(win)
        made.append(win)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win
    yield make
    for win in made:
        win.close()
        for w in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(w, QtWidgets.QDialog):
                w.close()


def test_settings_round_trip_and_the_last_preset_opens_next_time(window, qtbot, settings):
    win = window("circle")
    win.set_theme("dark")
    win.set_font_scale(1.3)
    win.set_projector_plot("loss")
    win.preset_requested.emit("xor")
    qtbot.waitUntil(lambda: win.snapshot.config.name == "xor", timeout=TIMEOUT)
    win.loss_dock.hide()
    win.close()
    again = window(None)  # no file given: last time's preset
    assert again.snapshot.config.name == "xor"
    assert again.theme.palette.name == "dark" and again.font_scale == pytest.approx(1.3)
    assert not again.loss_dock.isVisible()
    assert again.projector_plot_actions.checkedAction().data() == "loss"


def test_reset_all_settings_forgets_everything(window, qtbot, settings):
    win = window("circle")
    win.set_theme("high-contrast")
    win.set_font_scale(2.0)
    win.boundary_dock.hide()
    win.reset_all_settings()
    assert win.font_scale == 1.0 and win.theme.palette.name in ("light", "dark")  # follows the system again
    assert win.boundary_dock.isVisible() and win.controls_dock.isVisible()
    assert settings.value("view/theme") is None and settings.value("view/fontScale") is None


def test_the_lecture_guide_opens_the_presets_in_the_slides_order(window, qtbot):
    win = window("circle")
    assert all(p in preset_names() for _, p, _ in LECTURE_ORDER)
    assert [p for _, p, _ in LECTURE_ORDER][:3] == ["perceptron", "perceptron-xor", "xor-2"]
    win.act_lecture_guide.trigger()
    guide = win.lecture_guide
    qtbot.mouseClick(guide.buttons["lecture"], QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.config.name == "lecture", timeout=TIMEOUT)
    assert not guide.isVisible()


def test_about_says_the_version_and_the_licence(window, qtbot):
    from ffviz import __version__
    from ffviz.ui.panels.help import about_html
    assert __version__ in about_html() and "MIT" in about_html() and "https://" in about_html()


def test_an_error_anywhere_ends_in_a_dialog_with_a_copyable_report_and_a_log(qtbot, tmp_path):
    path = logs.setup(tmp_path / "logs")
    handler = ErrorHandler(path).install()
    try:
        try:
            raise RuntimeError("something deep went wrong")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(handler.shown), timeout=TIMEOUT)
        dialog = handler.dialog
        assert isinstance(dialog, CrashDialog) and dialog.isVisible()
        report = dialog.report.toPlainText()
        assert "RuntimeError: something deep went wrong" in report and "ffviz" in report and "Python" in report
        qtbot.mouseClick(dialog.copy_button, QtCore.Qt.MouseButton.LeftButton)
        assert QtWidgets.QApplication.clipboard().text() == report
        for h in logging.getLogger("ffviz").handlers:
            h.flush()
        assert "something deep went wrong" in path.read_text()
        dialog.close()
    finally:
        handler.uninstall()
        if getattr(handler, "dialog", None) is not None:
            handler.dialog.close()


def test_the_log_is_bounded(tmp_path):
    path = logs.setup(tmp_path)
    log = logging.getLogger("ffviz")
    for i in range(3000):
        log.info("%05d %s", i, "x" * 2000)
    files = sorted(tmp_path.glob("ffviz.log*"))
    assert len(files) == 1 + logs.LOG_BACKUPS
    assert all(f.stat().st_size <= logs.LOG_BYTES + 4096 for f in files)
