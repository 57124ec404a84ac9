"""The main window: the network diagram in the middle, the other views and the controls in docks, a worker behind.

The window never trains or computes: it sends commands to the worker (queued signals) and hands each snapshot
to every view in VIEWS, one snapshot at a time, telling the worker when they have drawn it. Docks and View-menu
entries are made from VIEWS; a new view is one line there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

from ffviz import __version__
from ffviz.engine.presets import DEFAULT_PRESET, load_preset, preset_names
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.compute import ComputeThread, Requester
from ffviz.ui.lecture import LectureOptions, phase_key
from ffviz.ui.panels.banners import DivergenceBanner, NoticeBanner
from ffviz.ui.panels.chain_rule import ChainRulePanel
from ffviz.ui.panels.controls import ControlsPanel
from ffviz.ui.panels.formula_strip import FormulaStrip
from ffviz.ui.panels.phase_strip import PhaseStrip
from ffviz.ui.panels.timeline import TimelinePanel
from ffviz.ui.views.activation_gallery import ActivationGallery
from ffviz.ui.views.decision_boundary import DecisionBoundaryPlot
from ffviz.ui.views.gradient_norms import GradientNormView
from ffviz.ui.views.loss_curves import LossCurvePlot
from ffviz.ui.views.network import NetworkView
from ffviz.ui.views import in_view
from ffviz.ui.views.surface import LossSurfaceView
from ffviz.ui.worker import SPEEDS, TrainingWorker, WorkerThread

SETTINGS_VERSION = 3  # bump when the docks change, so an old saved arrangement is not restored
Area = QtCore.Qt.DockWidgetArea


@dataclass(frozen=True)
class ViewEntry:
    """One view of the window: the attribute it is kept in, its title, how to make it, where it goes."""

    attribute: str  # the window's attribute for the view; its dock is `<key>_dock`
    key: str
    title: str
    make: Callable
    area: Area | None  # None: the central view
    shown: bool = True  # in the default layout
    tab_with: str | None = None  # the key of a view whose dock this one shares as a tab


VIEWS = (
    ViewEntry("network_view", "network", "Network", NetworkView, None),
    ViewEntry("boundary_plot", "boundary", "Decision boundary", DecisionBoundaryPlot, Area.RightDockWidgetArea),
    ViewEntry("surface_view", "surface", "Loss surface", LossSurfaceView, Area.RightDockWidgetArea,
              tab_with="boundary"),
    ViewEntry("loss_plot", "loss", "Loss and accuracy", LossCurvePlot, Area.RightDockWidgetArea),
    ViewEntry("chain_panel", "chain", "Chain rule", ChainRulePanel, Area.BottomDockWidgetArea),
    ViewEntry("gradient_view", "gradients", "Vanishing gradients", GradientNormView, Area.RightDockWidgetArea,
              tab_with="loss"),
    ViewEntry("gallery_view", "activations", "Activations", ActivationGallery, Area.RightDockWidgetArea,
              tab_with="loss"),
)
PHASE_PACES = (0.5, 0.75, 1.5, 3.0)  # seconds per phase when the phases play by themselves
PROJECTOR_PLOTS = tuple(v.key for v in VIEWS if v.area is not None)

SHORTCUTS = (  # (keys, what they do): the Help menu and the README show this same table
    ("Space", "Play / pause training"),
    ("Right, N", "Step one update (completes an update stepped into phase by phase)"),
    ("Shift+Right, P", "Step one phase: a layer of the forward pass, the loss, a layer of the backward pass, "
                       "the update"),
    ("Shift+Left", "Step back one phase (exactly: the run as it was before it)"),
    ("Ctrl+Left, Ctrl+Right", "Rewind: show the update before or after on the run's timeline (exactly as it was)"),
    ("Home, End", "Rewind to the run's start; back to its newest update"),
    ("A", "Play the phases of one update by themselves, at the chosen pace (any key stops)"),
    ("D", "Digits: 3 significant, 2 decimals as on the slides, full precision"),
    ("Q", "Quiz: each new number is “?” until Enter reveals it"),
    ("Enter", "Reveal the numbers of the quiz"),
    ("[ , ]", "The previous or next sample of the batch (or click a point in the decision boundary)"),
    ("R", "Reset to the initial weights of the seed"),
    ("G", "Colour edges by gradient ∂J/∂w instead of weight w"),
    ("Shift+G", "Gradient colours on a log scale: the first layers' tiny gradients stay visible"),
    ("L", "Log-scale loss axis"),
    ("F", "Fit the network diagram to the view"),
    ("Ctrl+Plus, Ctrl+Minus, Ctrl+0", "Larger, smaller, normal text and nodes (for a projector)"),
    ("F5", "Projector layout: the diagram and one plot fill the screen (again: back)"),
    ("F11", "Full screen"),
    ("Ctrl+O", "Open a session, a network file, CSV data, or trained weights onto this network (or drop the "
               "file on the window)"),
    ("Ctrl+S", "Save the session: the whole run, to go on exactly where it was"),
    ("Ctrl+Shift+S", "Save the session as a new file"),
    ("Ctrl+E", "Export the diagram and plots (PNG and SVG)"),
    ("Ctrl+Shift+E", "Export chosen views at a chosen size"),
    ("F1", "Show these shortcuts"),
    ("Ctrl+Q", "Quit"),
)

FIRST_RUN_HINT = ("Space plays, Right steps one update, P steps one phase (forward, loss, backward, update); "
                  "the “lecture” preset is the slides' worked example.")


class StatusText(QtWidgets.QWidget):
    """One line of text that changes every frame. A QLabel asks its layout to re-check its size on every
    change, and the status bar then repaints the whole bar (and the window behind it) a second time; this
    grows only when its text outgrows it, and leaves the rest of the bar to messages."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        # It paints its whole rectangle: the status bar and the window behind it need not repaint per frame.
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._text = ""
        self._width = 0

    def apply_theme(self, theme: themes.Theme) -> None:
        self.setFont(theme.font("status"))
        self._width = 0
        self.setMinimumHeight(self.fontMetrics().height() + 6)
        self._fit()

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self._fit()
            self.update()

    def text(self) -> str:
        return self._text

    def _fit(self) -> None:
        need = self.fontMetrics().horizontalAdvance(self._text) + 12
        if need > self._width:
            self._width = need
            self.setFixedWidth(need)

    def paintEvent(self, event) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QtGui.QPalette.ColorRole.Window))
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        p.drawText(self.rect().adjusted(4, 0, -4, 0),
                   QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignRight, self._text)


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
        visible = [w for w in widgets if w.isVisible() and in_view(w) and _on_screen(w.window())]
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

    def keyPressEvent(self, event) -> None:
        if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self.reveal()
            return
        super().keyPressEvent(event)

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


def _speed_label(s: float) -> str:
    if s == 0:
        return "as fast as it goes"
    return f"{s:g} update/s" if s == 1 else f"{s:g} updates/s"


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
    parameters_requested = Signal(object)  # {(layer, kind, index): value}, all at once (the loss surface)
    restore_requested = Signal(bool)  # True: and divide the learning rate by 10
    phase_back_requested = Signal()
    rewind_requested = Signal(int)  # show update k of the run's timeline
    branch_requested = Signal(bool)  # continue from the update shown, dropping the ones after it (True: keep
    # their history, drawn faded)
    plane_slice_requested = Signal(object)  # PlaneSlice: which inputs span the plane, where the others are held
    frame_drawn = Signal()
    theme_changed = Signal(object)  # the Theme now in use

    def __init__(self, config=None, base_dir=None, settings: QtCore.QSettings | None = None, *,
                 theme: str | None = None, font_scale: float | None = None, startup_error: str | None = None):
        super().__init__()
        self._settings = settings if settings is not None else QtCore.QSettings()
        if config is None:  # no file given: the preset of last time, or the default one
            last = self._settings.value("lastPreset", DEFAULT_PRESET)
            config = load_preset(last if isinstance(last, str) and last in preset_names() else DEFAULT_PRESET)
        self._base_dir = base_dir
        self._snapshot = None
        self._playing = False
        self._closed = False
        self._projector_state: QtCore.QByteArray | None = None
        self._layout_restored = False  # a saved arrangement was restored (else the first show proportions it)
        self._theme_name, self._diverging_name, self._scale = self._saved_theme(theme, font_scale)
        self._projector_plot = self._setting_str("view/projectorPlot", PROJECTOR_PLOTS, "boundary")
        self.setWindowTitle("ffviz — feed-forward networks, visible")
        self.setDockOptions(QtWidgets.QMainWindow.DockOption.AnimatedDocks
                            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)

        self.worker = TrainingWorker(config, base_dir)  # a bad config raises here, before any window
        self._worker_thread = WorkerThread(self.worker)
        self._compute = ComputeThread(self)  # answers views' requests (surfaces, gradients) off this thread

        self._build_views(config)
        self._build_actions()
        self._build_files()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self._connect_worker()
        self._connect_files()
        self._default_state = self.saveState(SETTINGS_VERSION)
        self._restore_settings()
        self._raise_for(config)
        self.apply_theme()
        hints = QtGui.QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_system_scheme_changed)
        self._paint_watch = PaintWatch(self.frame_drawn.emit, self)
        self._compute.start()
        self._worker_thread.start()
        self.pause_requested.emit()  # the worker answers with the first snapshot
        if startup_error:
            self.report_error(startup_error)
        elif not self._settings.value("firstRunDone", False, type=bool):
            self.notice.show_info(FIRST_RUN_HINT)
            self.statusBar().showMessage(FIRST_RUN_HINT, 30000)
            self._settings.setValue("firstRunDone", True)

    # ------------------------------------------------------------------ building

    def _build_views(self, config) -> None:
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(4, 4, 4, 4)
        self.banner = DivergenceBanner()
        self.notice = NoticeBanner()
        self.phase_strip = PhaseStrip()
        self.formula_strip = FormulaStrip()
        lay.addWidget(self.notice)
        lay.addWidget(self.banner)
        lay.addWidget(self.phase_strip)
        self.setCentralWidget(central)
        opaque = QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent

        self.controls = ControlsPanel(config)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._controls_scroll = scroll
        self.controls_dock = self._dock("Controls", "controlsDock", scroll, Area.LeftDockWidgetArea)

        self.views = []
        self.docks = {}
        for entry in VIEWS:
            view = entry.make()
            setattr(self, entry.attribute, view)
            self.views.append(view)
            if entry.area is None:
                lay.addWidget(view, 1)
                lay.addWidget(self.formula_strip)
            else:
                # a view with controls of its own (the boundary's slice bar) docks them with it
                docked = view.dock_widget() if hasattr(view, "dock_widget") else view
                dock = self._dock(entry.title, f"{entry.key}Dock", docked, entry.area)
                setattr(self, f"{entry.key}_dock", dock)
                self.docks[entry.key] = dock
                dock.setVisible(entry.shown)
                if entry.tab_with is not None:
                    self.tabifyDockWidget(self.docks[entry.tab_with], dock)
                    self.docks[entry.tab_with].raise_()
            if isinstance(view, QtWidgets.QGraphicsView):
                # They paint every pixel of their viewport: Qt need not paint the window behind them each frame.
                view.viewport().setAttribute(opaque, True)
        # what takes snapshots, themes and answers: the views, and the strips around the diagram
        self.timeline = TimelinePanel()
        self.receivers = self.views + [self.phase_strip, self.formula_strip, self.timeline]
        self._lecture = LectureOptions()
        self._auto = QtCore.QTimer(self)  # plays the phases of an update by themselves (A)
        self._auto.timeout.connect(self._on_auto_phase)
        self.resize(1500, 920)

    def _dock(self, title: str, name: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState find docks by name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        dock.visibilityChanged.connect(lambda shown, d=dock: self._on_dock_visibility(d, shown))
        if hasattr(widget, "on_shown"):  # a view that skips work while hidden catches up when shown
            dock.visibilityChanged.connect(lambda shown, w=widget: shown and w.on_shown())
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
        # Play, Step and the phases act on the run: rewound, they first continue from the update shown
        self.act_play = self._action("Play", lambda: self._continue_then(self.toggle_requested.emit), ("Space",),
                                     tip="Train continuously / pause")
        self.act_step = self._action("Step", lambda: self._continue_then(lambda: self.step_requested.emit(1)),
                                     ("Right", "N"), tip="Do exactly one update")
        self.act_phase = self._action("Step phase", lambda: self._continue_then(self.phase_step_requested.emit),
                                      ("Shift+Right", "P"),
                                      tip="Do one phase of the update: forward layer, loss, backward layer, update")
        self.act_back = self._action("Step back a phase", lambda: self._continue_then(self.phase_back_requested.emit),
                                     ("Shift+Left",), tip="Undo the last phase: the run exactly as it was before it")
        self.act_rewind_back = self._action("Back one update", lambda: self.timeline.nudge(-1), ("Ctrl+Left",),
                                            tip="Show the update before, on the run's timeline")
        self.act_rewind_forward = self._action("Forward one update", lambda: self.timeline.nudge(1), ("Ctrl+Right",),
                                               tip="Show the update after, on the run's timeline")
        self.act_rewind_start = self._action("Go to the start", self.timeline.go_start, ("Home",),
                                             tip="Show the run's first update that can be restored")
        self.act_rewind_newest = self._action("Go to the newest update", self.timeline.go_newest, ("End",),
                                              tip="Back to the run as it is now")
        self.act_auto = self._action("Play the phases", self.set_auto_advance, ("A",), checkable=True,
                                     tip="Step the phases of one update by themselves at the chosen pace; any key stops")
        self.act_digits = self._action("Digits", self._on_next_precision, ("D",),
                                       tip="3 significant digits, 2 decimals as on the slides, full precision")
        self.act_quiz = self._action("Quiz", self.set_quiz, ("Q",), checkable=True,
                                     tip="Each new number is “?” until Enter reveals it")
        # no shortcut: Enter is the text fields' when they have the focus (keyPressEvent takes the rest)
        self.act_reveal = self._action("Reveal (Enter)", self.reveal, tip="Show the quiz's numbers")
        self.act_prev_sample = self._action("Previous sample", lambda: self.set_sample(self._lecture.sample - 1), ("[",))
        self.act_next_sample = self._action("Next sample", lambda: self.set_sample(self._lecture.sample + 1), ("]",))
        self.act_reset = self._action("Reset", self.reset_requested.emit, ("R",),
                                      tip="Back to the initial weights of the seed")
        self.act_restore = self._action("Go back to before it diverged", lambda: self.restore_requested.emit(False),
                                        tip="After divergence: go back to the last update at which the loss was "
                                            "still going down")
        self.act_restore.setEnabled(False)
        self.act_gradient = self._action("Colour by gradient", self._on_gradient_toggled, ("G",), checkable=True,
                                         tip="Colour and size edges by ∂J/∂w instead of w")
        self.act_log_gradient = self._action("Log-scale gradient colours", self._on_log_gradient_toggled,
                                             ("Shift+G",), checkable=True,
                                             tip="Colour edges by ∂J/∂w on a signed log scale, a decade per step")
        self.act_log = self._action("Log-scale loss", self.loss_plot.set_log_scale, ("L",), checkable=True,
                                    tip="Logarithmic loss axis")
        self.act_fit = self._action("Fit diagram", self.network_view.fit, ("F",), tip="Fit the whole network")
        self.act_bigger = self._action("Larger text", lambda: self.set_font_scale(self._scale * themes.SCALE_STEP),
                                       ("Ctrl++", "Ctrl+="), tip="Larger text and nodes, for a projector")
        self.act_smaller = self._action("Smaller text", lambda: self.set_font_scale(self._scale / themes.SCALE_STEP),
                                        ("Ctrl+-",), tip="Smaller text and nodes")
        self.act_normal_size = self._action("Normal text size", lambda: self.set_font_scale(1.0), ("Ctrl+0",))
        self.act_full_screen = self._action("Full screen", self._on_full_screen, ("F11",), checkable=True)
        self.act_projector = self._action("Projector layout", self.set_projector_layout, ("F5",), checkable=True,
                                          tip="Hide the controls: the diagram and one plot fill the screen")
        self.act_open = self._action("Open…", self._on_open_file, ("Ctrl+O",))
        self.act_save = self._action("Save network with weights…", self._on_save)  # Ctrl+S saves the session
        self.act_export = self._action("Export plots…", self._on_export, ("Ctrl+E",))
        self.act_quit = self._action("Quit", self.close, ("Ctrl+Q",))
        self.act_reset_layout = self._action("Reset window layout", self._on_reset_layout)
        self.act_shortcuts = self._action("Keyboard shortcuts", self._on_show_shortcuts, ("F1",))
        self.act_about = self._action("About ffviz", self._on_about)
        self.act_lecture_guide = self._action("The lecture, slide by slide…", self._on_lecture_guide)
        self.act_reset_settings = self._action("Reset all settings…", self._on_reset_settings,
                                               tip="Forget the theme, text size, layout, recent files and last preset")

        self.theme_actions = QtGui.QActionGroup(self)
        for name in themes.THEME_NAMES:
            label = "Follow the system" if name == "system" else themes.PALETTES[name].label
            act = QtGui.QAction(label, self, checkable=True)
            act.setData(name)
            act.setChecked(name == self._theme_name)
            act.triggered.connect(lambda _on, n=name: self.set_theme(n))
            self.theme_actions.addAction(act)
        self.diverging_actions = QtGui.QActionGroup(self)
        for name, cmap in themes.DIVERGING.items():
            act = QtGui.QAction(f"{cmap.label} (colour-blind safe)", self, checkable=True)
            act.setData(name)
            act.setChecked(name == self._diverging_name)
            act.triggered.connect(lambda _on, n=name: self.set_diverging(n))
            self.diverging_actions.addAction(act)
        self.pace_actions = QtGui.QActionGroup(self)
        self._pace = self._setting_float("lecture/pace", PHASE_PACES, 0.75)
        for pace in PHASE_PACES:
            act = QtGui.QAction(f"{pace:g} s a phase", self, checkable=True)
            act.setData(pace)
            act.setChecked(pace == self._pace)
            act.triggered.connect(lambda _on, p=pace: self.set_phase_pace(p))
            self.pace_actions.addAction(act)
        self.projector_plot_actions = QtGui.QActionGroup(self)
        for entry in VIEWS:
            if entry.area is None:
                continue
            act = QtGui.QAction(entry.title, self, checkable=True)
            act.setData(entry.key)
            act.setChecked(entry.key == self._projector_plot)
            act.triggered.connect(lambda _on, k=entry.key: self.set_projector_plot(k))
            self.projector_plot_actions.addAction(act)

    def _build_menus_and_toolbar(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        self.files.fill_file_menu(m)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Train")
        for a in (self.act_play, self.act_step, self.act_phase, self.act_back, self.act_reset, self.act_restore):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_rewind_back, self.act_rewind_forward, self.act_rewind_start, self.act_rewind_newest):
            m.addAction(a)
        m = mb.addMenu("&Lecture")
        for a in (self.act_phase, self.act_back, self.act_auto):
            m.addAction(a)
        sub = m.addMenu("Pace of the phases")
        sub.addActions(self.pace_actions.actions())
        m.addSeparator()
        for a in (self.act_digits, self.act_quiz, self.act_reveal, self.act_prev_sample, self.act_next_sample):
            m.addAction(a)
        m = mb.addMenu("&View")
        self.view_menu = m
        for a in (self.act_gradient, self.act_log_gradient, self.act_log, self.act_fit):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.controls_dock.toggleViewAction())
        for entry in VIEWS:
            if entry.area is not None:
                m.addAction(self.docks[entry.key].toggleViewAction())
        m.addAction(self.act_reset_layout)
        m.addSeparator()
        sub = m.addMenu("Theme")
        sub.addActions(self.theme_actions.actions())
        sub = m.addMenu("Colours of values")
        sub.addActions(self.diverging_actions.actions())
        for a in (self.act_bigger, self.act_smaller, self.act_normal_size):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_projector)
        sub = m.addMenu("Plot in the projector layout")
        sub.addActions(self.projector_plot_actions.actions())
        m.addAction(self.act_full_screen)
        m = mb.addMenu("&Help")
        m.addAction(self.act_lecture_guide)
        m.addAction(self.act_shortcuts)
        m.addSeparator()
        m.addAction(self.act_reset_settings)
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
            self.speed_combo.addItem(_speed_label(s), s)
        self.speed_combo.setCurrentIndex(len(SPEEDS) - 1)
        self.speed_combo.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        self.speed_combo.currentIndexChanged.connect(self._on_speed_picked)
        tb.addWidget(self.speed_combo)
        tb.addSeparator()
        tb.addAction(self.act_gradient)
        tb.addAction(self.act_log_gradient)
        tb.addAction(self.act_log)
        tb.addAction(self.act_restore)
        # across the whole window, below everything: where the run is in time
        tb = QtWidgets.QToolBar("Timeline")
        tb.setObjectName("timelineToolbar")
        tb.setMovable(False)
        tb.addWidget(self.timeline)
        self.addToolBar(QtCore.Qt.ToolBarArea.BottomToolBarArea, tb)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = StatusText()
        # Permanent, without stretch: the rest of the bar is left for messages (saved, exported, refused).
        sb.addPermanentWidget(self.status_label, 0)

    def _connect_worker(self) -> None:
        w = self.worker
        self.play_requested.connect(w.play)
        self.pause_requested.connect(w.pause)
        self.toggle_requested.connect(w.toggle)
        self.step_requested.connect(w.step)
        self.phase_step_requested.connect(w.step_phase)
        self.phase_back_requested.connect(w.step_back_phase)
        self.reset_requested.connect(w.reset)
        self.config_requested.connect(w.apply_config)
        self.preset_requested.connect(w.load_preset)
        self.load_requested.connect(w.load_config)
        self.learning_rate_requested.connect(w.set_learning_rate)
        self.speed_requested.connect(w.set_speed)
        self.parameter_edit_requested.connect(w.set_parameter)
        self.parameters_requested.connect(w.set_parameters)
        self.restore_requested.connect(w.recover)
        self.rewind_requested.connect(w.rewind_to)
        self.branch_requested.connect(w.branch_here)
        self.plane_slice_requested.connect(w.set_plane_slice)
        self.boundary_plot.slice_bar.slice_requested.connect(self.plane_slice_requested)
        self.timeline.rewind_requested.connect(self.rewind_requested)
        self.timeline.continue_requested.connect(lambda: self._continue_then(self.play_requested.emit))
        self.frame_drawn.connect(w.frame_drawn)
        w.snapshot_ready.connect(self._on_snapshot)
        w.failed.connect(self._on_failed)
        w.diverged.connect(self._on_diverged)
        w.playing_changed.connect(self._on_playing_changed)
        w.config_applied.connect(self._on_config_applied)
        for view in self.receivers:
            if hasattr(view, "show_answer"):  # views that ask for derived data (see ui/compute.py)
                view.set_requester(Requester(self._compute.submit))
        for view in (self.formula_strip, self.chain_panel, self.gradient_view):
            self.network_view.weight_selected.connect(view.set_selection)
        self.boundary_plot.sample_clicked.connect(self._on_sample_clicked)
        self.network_view.weight_selected.connect(self.surface_view.set_first_weight)
        self.network_view.second_weight_selected.connect(self.surface_view.set_second_weight)
        self.surface_view.parameters_requested.connect(self.parameters_requested)
        self.surface_view.freeze_requested.connect(self._on_freeze_requested)
        self._compute.worker.answered.connect(self._on_answer)
        self._compute.worker.fell_back.connect(self._on_compute_fell_back)  # a method: queued to this thread

        self.controls.config_requested.connect(self.config_requested)
        self.controls.preset_requested.connect(self.preset_requested)
        self.controls.learning_rate_changed.connect(self.learning_rate_requested)
        self.controls.typing_done.connect(self._hand_keys_back)
        self.network_view.weight_edit_requested.connect(
            lambda layer, kind, index, value: self.parameter_edit_requested.emit(layer, kind, index, value))
        self.banner.restore_clicked.connect(self.restore_requested)

    # ------------------------------------------------------------------ theme and presentation

    @property
    def theme(self) -> themes.Theme:
        return themes.Theme(themes.resolve(self._theme_name), themes.DIVERGING[self._diverging_name], self._scale)

    def apply_theme(self) -> None:
        """Restyle the application's widgets and every view for the current theme, colour map and scale."""
        theme = self.theme
        app = QtWidgets.QApplication.instance()
        if app is not None:
            themes.apply_to_application(app, theme)
        for view in self.receivers:
            view.apply_theme(theme)
        self.controls.apply_theme(theme)
        self._controls_scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + 24)
        for banner in (self.banner, self.notice):
            banner.apply_theme(theme)
        self.status_label.apply_theme(theme)
        for dock in (self.controls_dock, *self.docks.values()):
            dock.setFont(theme.font("widget"))  # its title; the view inside sets its own fonts
        self.theme_changed.emit(theme)

    def set_theme(self, name: str) -> None:
        """"system", "light", "dark" or "high-contrast"; remembered."""
        if name not in themes.THEME_NAMES:
            raise FfvizError(f"unknown theme {name!r}; choose one of: {', '.join(themes.THEME_NAMES)}")
        self._theme_name = name
        self._settings.setValue("view/theme", name)
        for act in self.theme_actions.actions():
            act.setChecked(act.data() == name)
        self.apply_theme()

    def set_diverging(self, name: str) -> None:
        """The colour map of values: "blue-orange" or "purple-green"; remembered."""
        self._diverging_name = name
        self._settings.setValue("view/diverging", name)
        for act in self.diverging_actions.actions():
            act.setChecked(act.data() == name)
        self.apply_theme()

    def set_font_scale(self, scale: float) -> None:
        """Scale every text and node (controls, diagram, plots, titles, status bar); remembered."""
        self._scale = self.theme.scaled(scale).scale
        self._settings.setValue("view/fontScale", self._scale)
        self.apply_theme()
        self.statusBar().showMessage(f"Text at {self._scale:.0%} (Ctrl+0: 100 %)", 3000)

    @property
    def font_scale(self) -> float:
        return self._scale

    def _on_system_scheme_changed(self, *_args) -> None:
        if self._theme_name == "system":
            self.apply_theme()

    def set_projector_layout(self, on: bool) -> None:
        """The diagram and the chosen plot fill the window (the controls and other plots hidden); off: the
        layout as it was."""
        on = bool(on)
        if on == (self._projector_state is not None):
            return
        if on:
            self._projector_state = self.saveState(SETTINGS_VERSION)
            shown = self._projector_shown()
            self.controls_dock.hide()
            for key, dock in self.docks.items():
                dock.setVisible(key == shown)
                if dock.isFloating() and key == shown:
                    dock.setFloating(False)
            # the keys do what the buttons do: the diagram gets their height (the state above brings them back)
            for bar in self.findChildren(QtWidgets.QToolBar):
                if bar.objectName() != "timelineToolbar":
                    bar.hide()
            self._share_with_diagram(self.docks[shown])
        else:
            state, self._projector_state = self._projector_state, None
            self.restoreState(state, SETTINGS_VERSION)
        if self.act_projector.isChecked() != on:
            self.act_projector.setChecked(on)
        self.network_view.fit()

    def _projector_shown(self) -> str:
        """The chosen plot, or the tab in front of it when they share a place (the lecture's surface in front
        of the boundary: what the class was looking at)."""
        key = self._projector_plot
        dock = self.docks[key]
        if dock.isVisible() and not in_view(dock):
            for other in self.tabifiedDockWidgets(dock):
                if in_view(other):
                    return next(k for k, d in self.docks.items() if d is other)
        return key

    def _share_with_diagram(self, dock: QtWidgets.QDockWidget) -> None:
        """The plot beside the diagram takes 40 % of the window's width (it keeps what it had otherwise)."""
        self.resizeDocks([dock], [int(self.width() * 0.4)], QtCore.Qt.Orientation.Horizontal)

    @property
    def projector_layout(self) -> bool:
        return self._projector_state is not None

    def set_projector_plot(self, key: str) -> None:
        """Which plot the projector layout shows beside the diagram; remembered."""
        self._projector_plot = key
        self._settings.setValue("view/projectorPlot", key)
        for act in self.projector_plot_actions.actions():
            act.setChecked(act.data() == key)
        if self.projector_layout:
            for k, dock in self.docks.items():
                dock.setVisible(k == key)
            self._share_with_diagram(self.docks[key])

    def _on_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    # ------------------------------------------------------------------ from the worker

    @Slot(object)
    def _on_snapshot(self, snap) -> None:
        if self._closed:
            return
        self._snapshot = snap
        if self._lecture.sample and (snap.trace is None or self._lecture.sample >= snap.trace.n):
            self._set_lecture(sample=0)  # another batch, or a smaller one
        try:
            for view in self.receivers:
                try:
                    view.show_snapshot(snap)
                except Exception as exc:  # noqa: BLE001 - one view failing must not stop the others or training
                    self._on_failed(f"the {type(view).__name__} could not draw this step: "
                                    f"{type(exc).__name__}: {exc}")
            self._update_status(snap)
            self._mark_sample()
            if snap.diverged is None and self.banner.isVisible():
                self.banner.hide()  # recovered, or an earlier update shown (rewound: it had not diverged yet)
            elif snap.diverged is not None and not self.banner.isVisible():
                self.banner.show_divergence(snap.diverged)  # back at the newest update of a run that diverged
            self.act_restore.setEnabled(snap.diverged is not None)
        finally:
            # Tell the worker once the views have painted this snapshot, not before: it trains in between.
            self._paint_watch.expect([v.viewport() for v in self.views if getattr(v, "paced", True)]
                                     + [self.status_label])
            if self._auto.isActive() and snap.trace is not None and snap.trace.last_phase is not None \
                    and snap.trace.last_phase.kind == "update" and not snap.mid_update:
                self.set_auto_advance(False)  # one update animated: the lecturer goes on from here

    def _update_status(self, snap) -> None:
        where = f"step {snap.step}"
        if snap.rewound_from is not None:
            where += f" (rewound; newest {snap.rewound_from})"
        parts = [where, f"epoch {snap.epoch:.2f}",
                 f"train loss {fmt.number(snap.train_loss, fmt.SIG4, nan='—')}"]
        if snap.dataset.x_test.shape[0]:
            parts.append(f"test loss {fmt.number(snap.test_loss, fmt.SIG4, nan='—')}")
        if snap.dataset.task != "regression":
            acc = snap.train_accuracy
            parts.append(f"accuracy {fmt.percent(acc)}"
                         + ("" if not math.isfinite(snap.test_accuracy) else f" (test {fmt.percent(snap.test_accuracy)})"))
        parts.append(f"η = {fmt.number(snap.learning_rate, fmt.SIG4)}")
        if snap.mid_update:
            parts.append(f"done: {snap.trace.last_phase.label}; next: {snap.next_phase.label}")
        self.status_label.setText("   ·   ".join(parts))

    @Slot(object)
    def _on_answer(self, ans) -> None:
        if self._closed:
            return
        for view in self.receivers:
            if hasattr(view, "show_answer"):
                view.show_answer(ans)

    @Slot(str)
    def _on_compute_fell_back(self, line: str) -> None:
        # the window works on without its compute process, less smoothly while surfaces compute: said once
        self.statusBar().showMessage(f"⚠ {line}", 10000)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"⚠ {message}", 10000)
        self.notice.show_error(message)

    def report_error(self, message: str) -> None:
        """An error of something the user did: in the banner where they are looking, and the status bar."""
        self._on_failed(message)

    @Slot(object)
    def _on_diverged(self, div) -> None:
        self.banner.show_divergence(div)
        self.act_restore.setEnabled(True)

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        self._playing = playing
        self._set_lecture(playing=playing)
        self.phase_strip.set_playing(playing)
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setIcon(self._icon_pause if playing else self._icon_play)

    @Slot(str, object, object)
    def _on_freeze_requested(self, names) -> None:
        """The loss surface's "freeze the others": train only `names` (None: every weight again)."""
        snap = self._snapshot
        if snap is None:
            return
        from dataclasses import replace
        cfg = snap.config
        self.config_requested.emit(replace(cfg, optimizer=replace(cfg.optimizer, train_only=names)))
        self.statusBar().showMessage(f"Only {' and '.join(names)} train now; the other weights stay where they are"
                                     if names else "Every weight trains again", 6000)

    def _raise_for(self, config) -> None:
        if config.name == "lecture":
            # one sample: the decision boundary says little; J(w1, w2) with the first step says everything,
            # and its column's height goes to it rather than to a loss curve of a handful of points
            self.surface_dock.raise_()
            QtCore.QTimer.singleShot(0, self._room_for_surface)

    def _room_for_surface(self) -> None:
        self.resizeDocks([self.surface_dock], [int(self.width() * 0.34)], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.surface_dock], [int(self.height() * 0.6)], QtCore.Qt.Orientation.Vertical)

    def _on_config_applied(self, how: str, config, base_dir) -> None:
        self._base_dir = base_dir  # only now: a file the worker refused changes nothing here either
        self.controls.set_config(config)
        if how == "loaded" and config.name in preset_names():
            self._settings.setValue("lastPreset", config.name)  # the next launch without a file opens it
        if how in ("loaded", "rebuild"):
            self._raise_for(config)
        if how in ("rebuild", "loaded"):
            self.statusBar().showMessage(
                f"Network built: weights initialised from seed {config.seed}"
                + (f" ({config.name})" if config.name else ""), 6000)
            self.banner.hide()
            self.notice.hide()
        elif how == "data":
            self.statusBar().showMessage("New data: the weights are kept, the loss is recomputed", 6000)
        elif how == "reset":
            self.statusBar().showMessage(f"Reset to the initial weights of seed {config.seed}", 4000)
            self.banner.hide()
        elif how == "restored":
            self.statusBar().showMessage(f"Back at step {self.worker.trainer.step_count} with η = "
                                         f"{fmt.number(config.optimizer.learning_rate, fmt.SIG4)}", 6000)
            self.banner.hide()

    # ------------------------------------------------------------------ lecture mode

    @property
    def lecture(self) -> LectureOptions:
        return self._lecture

    def _set_lecture(self, **changes) -> None:
        from dataclasses import replace
        self._lecture = replace(self._lecture, **changes)
        for view in self.receivers:
            if hasattr(view, "set_lecture"):
                view.set_lecture(self._lecture)
        self._mark_sample()

    def _mark_sample(self) -> None:
        """Ring the sample the numbers are of in the decision boundary (while there are numbers)."""
        tr = self._snapshot.trace if self._snapshot is not None else None
        if tr is None or tr.last_phase is None or self._playing:
            self.boundary_plot.mark_sample(None)
            return
        s = min(self._lecture.sample, tr.n - 1)
        self.boundary_plot.mark_sample(int(tr.batch_indices[s]) if tr.batch_indices is not None else s)

    def _on_sample_clicked(self, row: int) -> None:
        tr = self._snapshot.trace if self._snapshot is not None else None
        if tr is None:
            self.statusBar().showMessage("Step a phase (P) first: the numbers are of a sample of the update", 5000)
            return
        if tr.batch_indices is None:
            self.set_sample(row)
            return
        where = np.flatnonzero(np.asarray(tr.batch_indices) == row)
        if where.size:
            self.set_sample(int(where[0]))
        else:
            self.statusBar().showMessage("That point is not in this update's mini-batch: the ringed ones are "
                                         "([ and ] step through them)", 6000)

    def _on_next_precision(self) -> None:
        self._set_lecture(precision=self._lecture.next_precision().precision)
        self.statusBar().showMessage(f"Numbers: {self._lecture.precision.label}", 4000)

    def set_quiz(self, on: bool) -> None:
        """The quiz: each new phase's numbers are "?" until revealed (Enter), so the class can work them out."""
        self._set_lecture(quiz=bool(on), revealed=phase_key(self._snapshot) if not on else None)
        if self.act_quiz.isChecked() != bool(on):
            self.act_quiz.setChecked(bool(on))
        self.statusBar().showMessage("Quiz on: step a phase (P), work the numbers out, Enter reveals them"
                                     if on else "Quiz off", 5000)

    def reveal(self) -> None:
        if self._lecture.quiz:
            self._set_lecture(revealed=phase_key(self._snapshot))

    def set_sample(self, position: int) -> None:
        """Which sample of the update's batch the numbers are of (by its place in the batch)."""
        tr = self._snapshot.trace if self._snapshot is not None else None
        n = tr.n if tr is not None else 1
        self._set_lecture(sample=position % n)
        if n > 1:
            self.statusBar().showMessage(f"Numbers of sample {self._lecture.sample + 1} of the batch of {n}", 4000)

    def set_auto_advance(self, on: bool) -> None:
        """Step the phases of one update by themselves at the chosen pace; any key stops them."""
        on = bool(on)
        if on and not self._auto.isActive():
            if self._playing:
                self.pause_requested.emit()
            self._auto.start(int(self._pace * 1000))
            QtWidgets.QApplication.instance().installEventFilter(self)
            self._on_auto_phase()
        elif not on and self._auto.isActive():
            self._auto.stop()
            QtWidgets.QApplication.instance().removeEventFilter(self)
        if self.act_auto.isChecked() != on:
            self.act_auto.setChecked(on)

    @property
    def auto_advancing(self) -> bool:
        return self._auto.isActive()

    def set_phase_pace(self, seconds: float) -> None:
        self._pace = float(seconds)
        self._settings.setValue("lecture/pace", self._pace)
        for act in self.pace_actions.actions():
            act.setChecked(act.data() == self._pace)
        if self._auto.isActive():
            self._auto.setInterval(int(self._pace * 1000))

    def _on_auto_phase(self) -> None:
        self.phase_step_requested.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self.reveal()
            return
        super().keyPressEvent(event)

    def eventFilter(self, obj, event) -> bool:
        # While the phases play by themselves, any key stops them and does nothing else: its shortcut is
        # claimed first (ShortcutOverride accepted), then the key press is taken.
        if self._auto.isActive():
            if event.type() == QtCore.QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.type() == QtCore.QEvent.Type.KeyPress:
                self.set_auto_advance(False)
                return True
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------------ user actions

    def _continue_then(self, command) -> None:
        """Run a command that trains; while an earlier update is shown, first continue from it, once the
        user has agreed that the updates after it are dropped (else nothing happens)."""
        if self.timeline.rewound and not self.confirm_branch():
            return
        command()

    def confirm_branch(self) -> bool:
        """Ask before the updates after the one shown are dropped; True (and the worker told) if agreed."""
        k, n = self.timeline.position, self.timeline.newest
        answer = self.ask_branch(k, n)
        if answer not in ("drop", "keep"):
            self.statusBar().showMessage(f"Still showing update {k} of {n}: nothing dropped", 5000)
            return False
        self.branch_requested.emit(answer == "keep")
        return True

    def ask_branch(self, k: int, n: int) -> str:
        """The dialog: "drop" the updates after k, "keep" their loss curve (faded), or "cancel"."""
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Question)
        box.setWindowTitle("Continue from here?")
        box.setText(f"Continue training from update {k}?")
        box.setInformativeText(f"Updates {k + 1} to {n} will be dropped: the run goes on from {k} instead. "
                               f"Their loss curve can stay on the loss plot, faded. (End goes back to "
                               f"update {n} instead.)")
        keep = box.addButton("Continue, keep the old curve faded", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        drop = box.addButton(f"Continue, drop updates {k + 1}–{n}", QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return "keep" if clicked is keep else "drop" if clicked is drop else "cancel"

    def _on_gradient_toggled(self, on: bool) -> None:
        self.network_view.set_color_mode("gradient" if on else "weight")

    def _on_log_gradient_toggled(self, on: bool) -> None:
        self.network_view.set_log_gradient(on)
        if on and not self.act_gradient.isChecked():
            self.act_gradient.setChecked(True)  # the log scale is of the gradient colours: show them

    def _on_speed_picked(self, index: int) -> None:
        self.speed_requested.emit(float(self.speed_combo.itemData(index)))
        self._hand_keys_back()

    def _hand_keys_back(self) -> None:
        """After typing a value (Enter) or picking from a list, the window's keys (Space, Right, P) are the
        window's again, not the field's."""
        self.network_view.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def _on_dock_visibility(self, dock: QtWidgets.QDockWidget, shown: bool) -> None:
        if not shown and self.isVisible() and not self._closed and self._projector_state is None \
                and dock.isHidden():  # closed; a tab sent behind another is invisible, not hidden
            self.statusBar().showMessage(f"{dock.windowTitle()} hidden: View → {dock.windowTitle()} shows it "
                                         "again (View → Reset window layout brings back every panel)", 8000)

    def _file_dialog_dir(self) -> str:
        folder = self._settings.value("lastDir", str(Path.home()))
        return folder if isinstance(folder, str) and Path(folder).is_dir() else str(Path.home())

    def open_network(self, path) -> bool:
        """Load a network file and start a run from it; a bad file changes nothing and says why."""
        from ffviz.io.files import load_network_file
        try:
            cfg = load_network_file(path)
        except FfvizError as exc:
            self.report_error(str(exc))
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
                              trained={"steps": snap.step, "epochs": round(snap.epoch, 6)},
                              standardization=snap.dataset.standardization)  # the weights expect inputs so scaled
        except FfvizError as exc:
            self.report_error(str(exc))
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _on_export(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export plots into folder",
                                                            self._file_dialog_dir())
        if folder:
            self.export_plots(folder)

    def export_plots(self, folder) -> list[Path]:
        """Write every view as PNG (a slide's width, 1920 pixels) and SVG into `folder`, all or none."""
        return self.files.export_views(folder)

    def _on_reset_layout(self) -> None:
        self._projector_state = None
        self.act_projector.setChecked(False)
        self.restoreState(self._default_state, SETTINGS_VERSION)
        self.controls_dock.show()
        for entry in VIEWS:
            if entry.area is not None:
                self.docks[entry.key].setVisible(entry.shown)

    def _on_show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def _on_about(self) -> None:
        from ffviz.ui.panels.help import about_html
        box = QtWidgets.QMessageBox(self)
        box.setWindowTitle("About ffviz")
        box.setTextFormat(QtCore.Qt.TextFormat.RichText)
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextBrowserInteraction)
        box.setText(about_html())
        box.open()

    def _on_lecture_guide(self) -> None:
        from ffviz.ui.panels.help import LectureGuide
        self.lecture_guide = LectureGuide(self)
        self.lecture_guide.preset_chosen.connect(self.preset_requested)
        self.lecture_guide.open()

    def _on_reset_settings(self) -> None:
        answer = QtWidgets.QMessageBox.question(
            self, "Reset all settings", "Forget the theme, text size, window layout, recent files and the last "
            "preset? The window goes back to how it looks the first time.")
        if answer == QtWidgets.QMessageBox.StandardButton.Yes:
            self.reset_all_settings()

    def reset_all_settings(self) -> None:
        """Every remembered setting forgotten, and the window as on the first launch."""
        self._settings.clear()
        self._settings.setValue("firstRunDone", True)
        self._settings.sync()
        self._theme_name, self._diverging_name, self._scale = "system", "blue-orange", 1.0
        for group, value in ((self.theme_actions, "system"), (self.diverging_actions, "blue-orange")):
            for act in group.actions():
                act.setChecked(act.data() == value)
        self._on_reset_layout()
        QtCore.QTimer.singleShot(0, self._proportion_docks)
        self.apply_theme()
        self.statusBar().showMessage("All settings reset", 5000)

    # ------------------------------------------------------------------ files: sessions, exports, data by hand

    def _build_files(self) -> None:
        """Sessions, file opening, exports and drawn points (ui/panels/files.py) and their actions."""
        from ffviz.ui.panels.files import FilesController
        self.files = FilesController(self)
        self.setAcceptDrops(True)

    def _connect_files(self) -> None:
        self.files.connect(self.worker)
        self.addToolBar(self.files.build_points_toolbar())

    def _on_open_file(self) -> None:
        self.files.on_open()

    def open_file(self, path) -> bool:
        """Open a session, a network or weights file, or CSV data (told apart by content)."""
        return self.files.open_file(path)

    def save_session(self, path) -> None:
        """Save the run and the view settings as a session (the worker writes it: session_saved or failed)."""
        self.files.save_session(path)

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if self.files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if self.files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        path = self.files.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            # after the drop returns: a dialog (a CSV's preview) must not run inside the drag's own event loop
            QtCore.QTimer.singleShot(0, lambda: self.open_file(path))

    # ------------------------------------------------------------------ settings and shutdown

    def _setting_float(self, key: str, allowed, default: float) -> float:
        try:
            value = float(self._settings.value(key, default))
        except (TypeError, ValueError):
            return default
        return value if value in allowed else default

    def _setting_str(self, key: str, allowed, default: str) -> str:
        value = self._settings.value(key, default)
        return value if isinstance(value, str) and value in allowed else default

    def _saved_theme(self, theme: str | None, font_scale: float | None) -> tuple[str, str, float]:
        """(theme, colour map, scale): the launch's choice where given (not remembered), else the settings'."""
        name = theme if theme is not None else self._setting_str("view/theme", themes.THEME_NAMES, "system")
        diverging = self._setting_str("view/diverging", tuple(themes.DIVERGING), "blue-orange")
        scale = font_scale
        if scale is None:
            try:
                scale = float(self._settings.value("view/fontScale", 1.0))
            except (TypeError, ValueError):
                scale = 1.0
        if not math.isfinite(scale):
            scale = 1.0
        return name, diverging, min(themes.MAX_SCALE, max(themes.MIN_SCALE, scale))

    def _restore_settings(self) -> None:
        geo = self._settings.value("mainWindow/geometry")
        state = self._settings.value("mainWindow/state")
        # A settings file edited or damaged by hand holds strings: ignore what is not saved state.
        if isinstance(geo, (QtCore.QByteArray, bytes)):
            self.restoreGeometry(geo)
        if isinstance(state, (QtCore.QByteArray, bytes)):
            self._layout_restored = self.restoreState(state, SETTINGS_VERSION)
        hidden = [d.windowTitle() for d in [self.controls_dock, *self.docks.values()] if d.isHidden()]
        if hidden:
            self._hidden_at_start = hidden
            QtCore.QTimer.singleShot(0, lambda: self.statusBar().showMessage(
                f"Hidden since last time: {', '.join(hidden)} (View menu; View → Reset window layout)", 15000))

    def _save_settings(self) -> None:
        state = self._projector_state if self._projector_state is not None else self.saveState(SETTINGS_VERSION)
        self._settings.setValue("mainWindow/geometry", self.saveGeometry())
        self._settings.setValue("mainWindow/state", state)
        self._settings.sync()

    @property
    def compute(self) -> ComputeThread:
        """Where views' requests are answered (ui/compute.py)."""
        return self._compute

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
        computed = self._compute.shutdown()
        return self._worker_thread.shutdown() and computed

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            QtCore.QTimer.singleShot(0, self._proportion_docks)

    def _proportion_docks(self) -> None:
        """The default arrangement, once the window has its size: the diagram gets the most room, the plots a
        third of the width, the chain rule a strip under it."""
        right = [self.docks[e.key] for e in VIEWS if e.area == Area.RightDockWidgetArea]
        self.resizeDocks(right, [int(self.width() * 0.3)] * len(right), QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.controls_dock], [self.controls.minimumSizeHint().width() + 28],
                         QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["chain"]], [int(self.height() * 0.2)], QtCore.Qt.Orientation.Vertical)
        # a tab raised before the window is shown does not stay raised: the first of each tab group, again
        for entry in VIEWS:
            if entry.tab_with is not None:
                self.docks[entry.tab_with].raise_()
        if self._snapshot is not None:
            self._raise_for(self._snapshot.config)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self._save_settings()
        self.shutdown()
        for dock in (self.controls_dock, *self.docks.values()):
            if dock.isFloating():  # a floating dock is a window of its own: it closes with ours
                dock.close()
        super().closeEvent(event)
