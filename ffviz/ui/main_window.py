"""The main window: the network diagram in the middle, plots and controls in docks, a training worker behind.

The window never trains or computes: it sends commands to the worker (queued signals) and draws the
snapshots the worker sends back, one at a time, telling the worker when it has drawn each.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

from ffviz import __version__
from ffviz.engine.presets import DEFAULT_PRESET, load_preset
from ffviz.errors import FfvizError
from ffviz.ui.controls import ControlsPanel
from ffviz.ui.network_view import NetworkView
from ffviz.ui.plots import DecisionBoundaryPlot, LossCurvePlot
from ffviz.ui.worker import SPEEDS, TrainingWorker, WorkerThread

SETTINGS_VERSION = 1  # bump when the docks change, so an old saved arrangement is not restored

SHORTCUTS = (  # (keys, what they do): the Help menu and the README show this same table
    ("Space", "Play / pause training"),
    ("Right, N", "Step one update (completes an update stepped into phase by phase)"),
    ("Shift+Right, P", "Step one phase: a layer of the forward pass, the loss, a layer of the backward pass, "
                       "the update"),
    ("R", "Reset to the initial weights of the seed"),
    ("G", "Colour edges by gradient ∂J/∂w instead of weight w"),
    ("L", "Log-scale loss axis"),
    ("F", "Fit the network diagram to the view"),
    ("Ctrl+O", "Open a network file"),
    ("Ctrl+S", "Save the network with its current weights"),
    ("Ctrl+E", "Export the plots (PNG and SVG)"),
    ("Ctrl+Q", "Quit"),
)


def _fmt(v: float, digits: int = 4) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


class StatusText(QtWidgets.QWidget):
    """One line of text that changes every frame. A QLabel asks its layout to re-check its size on every
    change, and the status bar then repaints the whole bar (and the window behind it) a second time."""

    def __init__(self, parent=None):
        super().__init__(parent)
        font = self.font()
        font.setPointSize(max(font.pointSize(), 11))
        self.setFont(font)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.fontMetrics().height() + 6)
        # It paints its whole rectangle: the status bar and the window behind it need not repaint per frame.
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._text = ""

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update()

    def text(self) -> str:
        return self._text

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QtGui.QPalette.ColorRole.Window))
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        p.drawText(self.rect().adjusted(4, 0, -4, 0),
                   QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignLeft, self._text)


class DivergenceBanner(QtWidgets.QFrame):
    """A bar across the top of the window: why training stopped, and the actions that recover."""

    restore_clicked = Signal(bool)  # True: and divide the learning rate by 10

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        self.setStyleSheet("#divergenceBanner { background: #fde8e8; border: 2px solid #c62828; border-radius: 4px; }"
                           "QLabel { color: #8e0000; font-weight: bold; }")
        lay = QtWidgets.QHBoxLayout(self)
        self.label = QtWidgets.QLabel()
        self.label.setWordWrap(True)
        self.button = QtWidgets.QPushButton("Go back")
        self.button.clicked.connect(lambda: self.restore_clicked.emit(False))
        self.divide_button = QtWidgets.QPushButton("Go back, η ÷ 10")
        self.divide_button.clicked.connect(lambda: self.restore_clicked.emit(True))
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        lay.addWidget(self.divide_button)
        self.hide()

    def show_divergence(self, div) -> None:
        self.label.setText(f"Training stopped: {div.reason}. At step {div.restore_step} the loss was still "
                           f"going down: go back there, and take a smaller learning rate.")
        self.button.setText(f"Go back to step {div.restore_step}")
        self.divide_button.setText(f"Go back to step {div.restore_step}, η ÷ 10")
        self.show()


def _on_screen(window: QtWidgets.QWidget) -> bool:
    """Whether a top-level window gets paint events: shown, not minimised, exposed on the screen."""
    handle = window.windowHandle()
    return window.isVisible() and not window.isMinimized() and (handle is None or handle.isExposed())


class PaintWatch(QtCore.QObject):
    """Calls `done` once every watched (visible) widget has painted, or after `timeout_ms` at the latest
    (a hidden or minimised window paints nothing)."""

    def __init__(self, done, parent=None, timeout_ms: int = 100):
        super().__init__(parent)
        self._done = done
        self._waiting: set = set()
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self._finish)
        self._watched: set = set()
        self._pending = False

    def expect(self, widgets) -> None:
        visible = [w for w in widgets if w.isVisible() and _on_screen(w.window())]
        for w in visible:
            if w not in self._watched:
                w.installEventFilter(self)
                self._watched.add(w)
        self._waiting = set(visible)
        self._pending = True
        if not self._waiting:
            QtCore.QTimer.singleShot(0, self._finish)
        else:
            self._timer.start()

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and obj in self._waiting:
            self._waiting.discard(obj)
            if not self._waiting:
                QtCore.QTimer.singleShot(0, self._finish)  # after this paint event has been handled
        return False

    def _finish(self) -> None:
        if self._pending:  # once per expect(), whichever comes first: the last paint or the timeout
            self._pending = False
            self._timer.stop()
            self._waiting = set()
            self._done()


class MainWindow(QtWidgets.QMainWindow):
    # Commands to the worker (queued: the worker lives in its own thread).
    play_requested = Signal()
    pause_requested = Signal()
    toggle_requested = Signal()
    step_requested = Signal(int)
    phase_step_requested = Signal()
    reset_requested = Signal()
    config_requested = Signal(object)
    preset_requested = Signal(str)
    load_requested = Signal(object, object)
    learning_rate_requested = Signal(float)
    speed_requested = Signal(float)
    parameter_edit_requested = Signal(int, str, object, float)
    restore_requested = Signal(bool)  # True: and divide the learning rate by 10
    frame_drawn = Signal()

    def __init__(self, config=None, base_dir=None, settings: QtCore.QSettings | None = None):
        super().__init__()
        config = config if config is not None else load_preset(DEFAULT_PRESET)
        self._settings = settings if settings is not None else QtCore.QSettings()
        self._base_dir = base_dir
        self._snapshot = None
        self._playing = False
        self._closed = False
        self.setWindowTitle("ffviz — feed-forward networks, visible")
        self.setDockOptions(QtWidgets.QMainWindow.DockOption.AnimatedDocks
                            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)

        self.worker = TrainingWorker(config, base_dir)  # a bad config raises here, before any window
        self._worker_thread = WorkerThread(self.worker)

        self._build_views(config)
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect_worker()
        self._default_state = self.saveState(SETTINGS_VERSION)
        self._restore_settings()
        self._paint_watch = PaintWatch(self.frame_drawn.emit, self)
        self._worker_thread.start()
        self.pause_requested.emit()  # the worker answers with the first snapshot

    # ------------------------------------------------------------------ building

    def _build_views(self, config) -> None:
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        self.banner = DivergenceBanner()
        self.network_view = NetworkView()
        lay.addWidget(self.banner)
        lay.addWidget(self.network_view, 1)
        self.setCentralWidget(central)
        opaque = QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent

        self.controls = ControlsPanel(config)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + 24)
        self.controls_dock = self._dock("Controls", "controlsDock", scroll, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)

        self.boundary_plot = DecisionBoundaryPlot()
        self.boundary_dock = self._dock("Decision boundary", "boundaryDock", self.boundary_plot,
                                        QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.loss_plot = LossCurvePlot()
        self.loss_dock = self._dock("Loss and accuracy", "lossDock", self.loss_plot,
                                    QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        # The loss surface over two weights is its own piece of work (next issue); its dock is reserved here
        # so saved layouts stay valid once it lands. Hidden until then: it shows nothing yet.
        placeholder = QtWidgets.QLabel("The loss surface over two weights arrives in a coming version.")
        placeholder.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        placeholder.setWordWrap(True)
        self.surface_dock = self._dock("Loss surface", "surfaceDock", placeholder,
                                       QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.surface_dock.hide()
        for view in (self.network_view, self.boundary_plot, self.loss_plot):
            # They paint every pixel of their viewport: Qt need not paint the window behind them each frame.
            view.viewport().setAttribute(opaque, True)
        self.resize(1500, 920)

    def _dock(self, title: str, name: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, keys=(), checkable=False, tip: str = "") -> QtGui.QAction:
        act = QtGui.QAction(text, self)
        if keys:
            act.setShortcuts([QtGui.QKeySequence(k) for k in keys])
            act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(checkable)
        if tip:
            shown = ", ".join(QtGui.QKeySequence(k).toString(QtGui.QKeySequence.SequenceFormat.NativeText)
                              for k in keys)
            act.setToolTip(f"{tip} ({shown})" if shown else tip)
        (act.toggled if checkable else act.triggered).connect(slot)
        self.addAction(act)  # shortcuts work wherever focus is in the window
        return act

    def _build_actions(self) -> None:
        self.act_play = self._action("Play", self.toggle_requested.emit, ("Space",),
                                     tip="Train continuously / pause")
        self.act_step = self._action("Step", lambda: self.step_requested.emit(1), ("Right", "N"),
                                     tip="Do exactly one update")
        self.act_phase = self._action("Step phase", self.phase_step_requested.emit, ("Shift+Right", "P"),
                                      tip="Do one phase of the update: forward layer, loss, backward layer, update")
        self.act_reset = self._action("Reset", self.reset_requested.emit, ("R",),
                                      tip="Back to the initial weights of the seed")
        self.act_restore = self._action("Go back to before it diverged", lambda: self.restore_requested.emit(False),
                                        tip="After divergence: go back to the last weights with a finite loss")
        self.act_restore.setEnabled(False)
        self.act_gradient = self._action("Colour by gradient", self._on_gradient_toggled, ("G",), checkable=True,
                                         tip="Colour and size edges by ∂J/∂w instead of w")
        self.act_log = self._action("Log-scale loss", self.loss_plot.set_log_scale, ("L",), checkable=True,
                                    tip="Logarithmic loss axis")
        self.act_fit = self._action("Fit diagram", self.network_view.fit, ("F",), tip="Fit the whole network")
        self.act_open = self._action("Open network…", self._on_open, ("Ctrl+O",))
        self.act_save = self._action("Save network with weights…", self._on_save, ("Ctrl+S",))
        self.act_export = self._action("Export plots…", self._on_export, ("Ctrl+E",))
        self.act_quit = self._action("Quit", self.close, ("Ctrl+Q",))
        self.act_reset_layout = self._action("Reset window layout", self._on_reset_layout)
        self.act_shortcuts = self._action("Keyboard shortcuts", self._on_show_shortcuts, ("F1",))
        self.act_about = self._action("About ffviz", self._on_about)

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        for a in (self.act_open, self.act_save, self.act_export):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Train")
        for a in (self.act_play, self.act_step, self.act_phase, self.act_reset, self.act_restore):
            m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.act_gradient, self.act_log, self.act_fit):
            m.addAction(a)
        m.addSeparator()
        for d in (self.controls_dock, self.boundary_dock, self.loss_dock, self.surface_dock):
            m.addAction(d.toggleViewAction())
        m.addAction(self.act_reset_layout)
        m = mb.addMenu("&Help")
        m.addAction(self.act_shortcuts)
        m.addAction(self.act_about)

        tb = self.addToolBar("Training")
        tb.setObjectName("trainingToolbar")
        tb.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        style = self.style()
        self._icon_play = style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPlay)
        self._icon_pause = style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaPause)
        self.act_play.setIcon(self._icon_play)
        self.act_step.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaSkipForward))
        self.act_phase.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MediaSeekForward))
        self.act_reset.setIcon(style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_BrowserReload))
        for a in (self.act_play, self.act_step, self.act_phase, self.act_reset):
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QtWidgets.QLabel(" Speed "))
        self.speed_combo = QtWidgets.QComboBox()
        self.speed_combo.setToolTip("Updates per second while playing")
        for s in SPEEDS:
            self.speed_combo.addItem("as fast as it goes" if s == 0 else f"{s} updates/s", s)
        self.speed_combo.setCurrentIndex(len(SPEEDS) - 1)
        self.speed_combo.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        self.speed_combo.currentIndexChanged.connect(
            lambda i: self.speed_requested.emit(float(self.speed_combo.itemData(i))))
        tb.addWidget(self.speed_combo)
        tb.addSeparator()
        tb.addAction(self.act_gradient)
        tb.addAction(self.act_log)
        tb.addAction(self.act_restore)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = StatusText()
        sb.addPermanentWidget(self.status_label, 1)

    def _connect_worker(self) -> None:
        w = self.worker
        self.play_requested.connect(w.play)
        self.pause_requested.connect(w.pause)
        self.toggle_requested.connect(w.toggle)
        self.step_requested.connect(w.step)
        self.phase_step_requested.connect(w.step_phase)
        self.reset_requested.connect(w.reset)
        self.config_requested.connect(w.apply_config)
        self.preset_requested.connect(w.load_preset)
        self.load_requested.connect(w.load_config)
        self.learning_rate_requested.connect(w.set_learning_rate)
        self.speed_requested.connect(w.set_speed)
        self.parameter_edit_requested.connect(w.set_parameter)
        self.restore_requested.connect(w.recover)
        self.frame_drawn.connect(w.frame_drawn)
        w.snapshot_ready.connect(self._on_snapshot)
        w.failed.connect(self._on_failed)
        w.diverged.connect(self._on_diverged)
        w.playing_changed.connect(self._on_playing_changed)
        w.config_applied.connect(self._on_config_applied)

        self.controls.config_requested.connect(self.config_requested)
        self.controls.preset_requested.connect(self.preset_requested)
        self.controls.learning_rate_changed.connect(self.learning_rate_requested)
        self.network_view.weight_edit_requested.connect(
            lambda layer, kind, index, value: self.parameter_edit_requested.emit(layer, kind, index, value))
        self.banner.restore_clicked.connect(self.restore_requested)

    # ------------------------------------------------------------------ from the worker

    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if self._closed:
            return
        self._snapshot = snap
        try:
            for view in (self.network_view, self.boundary_plot, self.loss_plot):
                try:
                    view.show_snapshot(snap)
                except Exception as exc:  # noqa: BLE001 - one view failing must not stop the others or training
                    self._on_failed(f"the {type(view).__name__} could not draw this step: "
                                    f"{type(exc).__name__}: {exc}")
            self._update_status(snap)
            if snap.diverged is None and self.banner.isVisible():
                self.banner.hide()
            self.act_restore.setEnabled(snap.diverged is not None)
        finally:
            # Tell the worker once the views have painted this snapshot, not before: it trains in between.
            self._paint_watch.expect([self.network_view.viewport(), self.boundary_plot.viewport(),
                                      self.loss_plot.viewport(), self.status_label])

    def _update_status(self, snap) -> None:
        parts = [f"step {snap.step}", f"epoch {snap.epoch:.2f}",
                 f"train loss {_fmt(snap.train_loss)}", f"test loss {_fmt(snap.test_loss)}"]
        if snap.dataset.task != "regression":
            acc = snap.train_accuracy
            parts.append(f"accuracy {'—' if not math.isfinite(acc) else f'{acc:.1%}'}"
                         + ("" if not math.isfinite(snap.test_accuracy) else f" (test {snap.test_accuracy:.1%})"))
        parts.append(f"η = {snap.learning_rate:g}")
        if snap.mid_update:
            parts.append(f"done: {snap.trace.last_phase.label}; next: {snap.next_phase.label}")
        self.status_label.setText("   ·   ".join(parts))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"⚠ {message}", 10000)

    @Slot(object)
    def _on_diverged(self, div) -> None:
        self.banner.show_divergence(div)
        self.act_restore.setEnabled(True)

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        self._playing = playing
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setIcon(self._icon_pause if playing else self._icon_play)

    @Slot(str, object, object)
    def _on_config_applied(self, how: str, config, base_dir) -> None:
        self._base_dir = base_dir  # only now: a file the worker refused changes nothing here either
        self.controls.set_config(config)
        if how in ("rebuild", "loaded"):
            self.statusBar().showMessage(
                f"Network built: weights initialised from seed {config.seed}"
                + (f" ({config.name})" if config.name else ""), 6000)
            self.banner.hide()
        elif how == "data":
            self.statusBar().showMessage("New data: the weights are kept, the loss is recomputed", 6000)
        elif how == "reset":
            self.statusBar().showMessage(f"Reset to the initial weights of seed {config.seed}", 4000)
            self.banner.hide()

    # ------------------------------------------------------------------ user actions

    def _on_gradient_toggled(self, on: bool) -> None:
        self.network_view.set_color_mode("gradient" if on else "weight")

    def _file_dialog_dir(self) -> str:
        folder = self._settings.value("lastDir", str(Path.home()))
        return folder if isinstance(folder, str) and Path(folder).is_dir() else str(Path.home())

    def _on_open(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open network", self._file_dialog_dir(),
                                                        "Network files (*.json);;All files (*)")
        if path:
            self.open_network(path)

    def open_network(self, path) -> bool:
        """Load a network file and start a run from it; a bad file changes nothing and says why."""
        from ffviz.io.files import load_network_file
        try:
            cfg = load_network_file(path)
        except FfvizError as exc:
            self._on_failed(str(exc))
            return False
        self._settings.setValue("lastDir", str(Path(path).resolve().parent))
        self.load_requested.emit(cfg, Path(path).resolve().parent)  # the worker may still refuse its data
        return True

    def _on_save(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save network with weights",
                                                        str(Path(self._file_dialog_dir()) / "network.json"),
                                                        "Network files (*.json)")
        if path:
            self.save_network(path)

    def save_network(self, path) -> bool:
        """Write the network with the weights on screen (a network file ffviz and `ffviz train` can load)."""
        from ffviz.io.files import save_network_file
        snap = self._snapshot
        if snap is None:
            return False
        try:
            save_network_file(path, snap.config, snap.kernels, snap.biases, self._base_dir,
                              trained={"steps": snap.step, "epochs": round(snap.epoch, 6)})
        except FfvizError as exc:
            self._on_failed(str(exc))
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _on_export(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export plots into folder",
                                                            self._file_dialog_dir())
        if folder:
            self.export_plots(folder)

    def export_plots(self, folder) -> list[Path]:
        """Write the diagram and plots as PNG and SVG into `folder`."""
        from ffviz.ui.export import export_png, export_svg
        out = []
        targets = {"network": self.network_view, "decision-boundary": self.boundary_plot, "loss": self.loss_plot}
        try:
            for name, widget in targets.items():
                out.append(export_png(widget, Path(folder) / f"{name}.png"))
                out.append(export_svg(widget, Path(folder) / f"{name}.svg"))
        except FfvizError as exc:
            self._on_failed(str(exc))
            return out
        self.statusBar().showMessage(f"Exported {len(out)} files to {folder}", 5000)
        return out

    def _on_reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        for d in (self.controls_dock, self.boundary_dock, self.loss_dock):
            d.show()
        self.surface_dock.hide()

    def _on_show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def _on_about(self) -> None:
        QtWidgets.QMessageBox.about(self, "About ffviz",
                                    f"<b>ffviz {__version__}</b><br>Feed-forward neural networks, visible: "
                                    "forward pass, loss, backpropagation and gradient descent, with every "
                                    "number on screen.")

    # ------------------------------------------------------------------ settings and shutdown

    def _restore_settings(self) -> None:
        geo = self._settings.value("mainWindow/geometry")
        state = self._settings.value("mainWindow/state")
        # A settings file edited or damaged by hand holds strings: ignore what is not saved state.
        if isinstance(geo, (QtCore.QByteArray, bytes)):
            self.restoreGeometry(geo)
        if isinstance(state, (QtCore.QByteArray, bytes)):
            self.restoreState(state, SETTINGS_VERSION)

    def _save_settings(self) -> None:
        self._settings.setValue("mainWindow/geometry", self.saveGeometry())
        self._settings.setValue("mainWindow/state", self.saveState(SETTINGS_VERSION))
        self._settings.sync()

    @property
    def snapshot(self):
        """The snapshot drawn last (None before the first)."""
        return self._snapshot

    @property
    def playing(self) -> bool:
        return self._playing

    def shutdown(self) -> bool:
        """Stop the worker and its thread (bounded wait). Safe to call more than once."""
        self._closed = True
        return self._worker_thread.shutdown()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self._save_settings()
        self.shutdown()
        for dock in (self.controls_dock, self.boundary_dock, self.loss_dock, self.surface_dock):
            if dock.isFloating():  # a floating dock is a window of its own: it closes with ours
                dock.close()
        super().closeEvent(event)
