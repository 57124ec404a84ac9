"""The loss surface view: J over two chosen weights, over a random or PCA plane through weight space, or along one
weight, with the run's path drawn on it live, where it is now and its next step −η∇J.

The engine computes everything (engine/surface.py, engine/race.py) off the GUI thread through requests
(ui/compute.py); this view decides what to ask for and when, and draws the answers:

- a surface is asked for when the view first needs one (a new run, another pair of weights, another kind of
  surface), coarse first (a 25² preview), then in full; and again only when the one shown has gone stale: the
  rest of the weights moved more than STALE_AT of the centre's norm since it was computed, or the run left the
  picture. While training runs, at most once every RECOMPUTE_SECONDS. Never on every update.
- where the run is now (J, ∂J/∂a, ∂J/∂b, the step −η∇J from the current weights on the whole training set) is
  asked for every snapshot, at most every POINT_SECONDS while training runs.
- the path since the surface was computed is drawn from the snapshot's trajectory as it comes (dashed).

"Freeze the others" trains only the surface's weights (optimizer.train_only): the surface is then exactly the
function the updates descend and never goes stale. Clicking the surface moves the weights there.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from ffviz.engine.config import param_layout
from ffviz.engine.race import Contender, RaceRequest
from ffviz.engine.requests import RaceViewRequest, SliceViewRequest, SurfacePointRequest, SurfaceViewRequest
from ffviz.engine.surface import PREVIEW_RESOLUTION, SliceRequest, SurfaceRequest
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui.panels import SteadyLabel
from ffviz.ui import theme as themes
from ffviz.ui.lecture import LectureOptions
from ffviz.ui.views import Staleness, in_view
from ffviz.ui.views.surface.canvas import SCALES, SurfaceCanvas
from ffviz.ui.views.surface.slice_canvas import SliceCanvas

MODES = (("weights", "Two weights"), ("random", "Random plane"), ("pca", "PCA plane of the path"),
         ("slice", "One weight"))
RESOLUTION = {"weights": 81, "random": 41, "pca": 41, "slice": 201}
STALE_AT = 0.05  # the rest of the weights moved this share of the centre's norm: the surface is stale
RECOMPUTE_SECONDS = 1.0
POINT_SECONDS = 0.1
RACE_STEPS = 100


RACE_GROWTH = 3.0  # a race widens the map at most this many times its width (a diverging path is cut off)


def race_ranges(result, race):
    """Axis ranges that hold the surface shown and the race's paths, with a margin; None when they already
    fit. Non-finite points are left out, and each axis grows at most RACE_GROWTH times."""
    if result is None or race is None or not hasattr(result, "positions") or result.positions is None:
        return None
    xy = np.concatenate([np.asarray(p.path, float) for p in race.paths]) if race.paths else np.empty((0, 2))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if xy.size == 0:
        return None
    out = []
    for axis, values in ((result.a, xy[:, 0]), (result.b, xy[:, 1])):
        lo, hi = float(axis[0]), float(axis[-1])
        width, mid = hi - lo, (hi + lo) / 2
        cap_lo, cap_hi = mid - RACE_GROWTH * width / 2, mid + RACE_GROWTH * width / 2
        vlo, vhi = max(cap_lo, float(values.min())), min(cap_hi, float(values.max()))
        margin = 0.08 * max(vhi - vlo, width)
        out.append((min(lo, vlo - margin), max(hi, vhi + margin)) if vlo < lo or vhi > hi else (lo, hi))
    if out[0] == (float(result.a[0]), float(result.a[-1])) and out[1] == (float(result.b[0]), float(result.b[-1])):
        return None
    return tuple(out)


def default_weights(layout) -> tuple[int, int]:
    """The lecture's w1, w2: the weights from the first two inputs into the first unit of layer 1
    (kernel1[0,0], kernel1[1,0]); with one input, kernel1[0,0] and the next parameter."""
    if layout.sizes[0] >= 2:
        return layout.index(1, "kernel", (0, 0)), layout.index(1, "kernel", (1, 0))
    return 0, 1


class LossSurfaceView(QtWidgets.QWidget):
    export_name = "loss-surface"
    # It draws answers that come later (surfaces, the point), not each snapshot as it arrives: the window's
    # frames do not wait for it to paint (ui/main_window.py PaintWatch).
    paced = False
    parameters_requested = Signal(object)  # {(layer, kind, index): value}: move these weights there
    freeze_requested = Signal(object)  # a tuple of parameter names to train alone, or None: train all

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        self._requester = None
        self._stale = Staleness()
        self._snap = None
        self._layout = None  # the network's ParamLayout
        self._mode = "weights"
        self._weights: tuple[int, int] | None = None
        self._result = None  # the SurfaceResult or SliceResult shown
        self._point = None  # the SurfacePoint shown
        self._race = None
        self._asked_for: tuple | None = None  # what the latest surface request was for (see _wanted)
        self._in_flight = False
        self._last_surface_time = -math.inf
        self._last_point_time = -math.inf
        self._playing = False
        self._behind = None  # the newest snapshot, not drawn while the view was hidden
        self._ranges = None  # (a_range, b_range) that hold a race's paths, while it is shown
        self._slice_of: tuple | None = None  # (run, update) of the latest slice asked for
        self._error = ""
        self._lecture = LectureOptions()
        self._point_timer = QtCore.QTimer(self)  # asks for the latest snapshot's point once training pauses
        self._point_timer.setSingleShot(True)
        self._point_timer.timeout.connect(self._ask_point)
        self._recompute_timer = QtCore.QTimer(self)
        self._recompute_timer.setSingleShot(True)
        self._recompute_timer.timeout.connect(self._maybe_recompute)

        self.mode_box = QtWidgets.QComboBox()
        for key, label in MODES:
            self.mode_box.addItem(label, key)
        self.first_box = QtWidgets.QComboBox()
        self.second_box = QtWidgets.QComboBox()
        self.scale_box = QtWidgets.QComboBox()
        for key, label in zip(SCALES, ("Colours: auto", "Colours: linear", "Colours: log")):
            self.scale_box.addItem(label, key)
        self.freeze_box = QtWidgets.QCheckBox("Freeze the others")
        self.freeze_box.setToolTip("Train only the surface's weights: the surface is then exactly what the "
                                   "updates descend, and never goes stale")
        self.box3d = QtWidgets.QCheckBox("3-D")
        self.box3d.setToolTip("The same surface in 3-D (drag to turn it); needs OpenGL and PyOpenGL")
        self.view3d = None  # made on first use: nothing imports OpenGL unless asked
        self.race_button = QtWidgets.QPushButton("Race…")
        self.race_button.setToolTip("Run several learning rates or optimizers from here and draw their paths")
        self.recompute_button = QtWidgets.QPushButton("Recompute")
        self.state_label = SteadyLabel(wrap=True)  # "computing…" and the finished surface's line: one height
        # Two short rows, not one long one: the dock shares its width with the boundary and must not
        # squeeze the diagram beside it.
        for box in (self.mode_box, self.first_box, self.second_box, self.scale_box):
            box.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        top = QtWidgets.QHBoxLayout()
        for w in (self.mode_box, self.first_box, self.second_box):
            top.addWidget(w, 1)
        bottom = QtWidgets.QHBoxLayout()
        for w in (self.scale_box, self.freeze_box, self.box3d, self.race_button, self.recompute_button):
            bottom.addWidget(w)
        bar = QtWidgets.QVBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.setSpacing(2)
        bar.addLayout(top)
        bar.addLayout(bottom)
        self.state_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        bar.addWidget(self.state_label)

        self.canvas = SurfaceCanvas(theme=theme)
        self.slice_canvas = SliceCanvas(theme=theme)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self.slice_canvas)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        # The bar may be cut at its right end in a narrow dock (a projector's font); the map never is: its
        # width does not count towards the view's minimum width.
        bar_widget = QtWidgets.QWidget()
        bar_widget.setLayout(bar)
        bar_widget.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        lay.addWidget(bar_widget)
        lay.addWidget(self.stack, 1)

        self.mode_box.currentIndexChanged.connect(lambda _i: self.set_mode(self.mode_box.currentData()))
        self.first_box.activated.connect(lambda i: self._on_weight_box(0, i))
        self.second_box.activated.connect(lambda i: self._on_weight_box(1, i))
        self.scale_box.currentIndexChanged.connect(lambda _i: self.canvas.set_scale(self.scale_box.currentData()))
        self.freeze_box.clicked.connect(self._on_freeze)
        self.box3d.toggled.connect(self.set_3d)
        self.race_button.clicked.connect(self._on_race_button)
        self.recompute_button.clicked.connect(lambda: self.recompute(force=True))
        self.canvas.clicked.connect(self._on_surface_clicked)
        self.slice_canvas.scene().sigMouseClicked.connect(self._on_slice_clicked)
        self.apply_theme(theme)
        self._update_controls()

    # -------------------------------------------------------------- the protocol

    def export_target(self):
        # the 3-D view's pixels live in its GL framebuffer: files show the 2-D map, which holds every number
        return self.slice_canvas if self._mode == "slice" else self.canvas

    def set_requester(self, requester) -> None:
        self._requester = requester

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.canvas.apply_theme(theme)
        self.slice_canvas.apply_theme(theme)
        if self.view3d is not None:
            self.view3d.apply_theme(theme)
        self.setFont(theme.font("widget"))
        self.state_label.setFont(theme.font("status"))
        self._say(self.state_label.text(), bool(self._error))

    def set_lecture(self, options: LectureOptions) -> None:
        self._lecture = options
        self._playing = options.playing
        self.canvas.set_precision(options.precision)
        self.slice_canvas.set_precision(options.precision)

    def show_snapshot(self, snap) -> bool:
        new_run = self._stale.new_run(snap)
        if not self._stale.newer(snap):
            return False
        if self._hidden_in_window():
            # behind another tab or closed: ask for nothing (a surface costs the compute thread, and so the
            # GUI, time); the newest snapshot is drawn when the view is shown again
            self._behind = snap
            return True
        self._behind = None
        self._draw(snap, new_run)
        return True

    def _hidden_in_window(self) -> bool:
        # a view drawn into files (ui/offscreen.py) is a top-level widget never shown: it always draws. A dock
        # behind another's tab stays "visible": Qt moves it off the window.
        return self.window() is not self and not (self.isVisible() and in_view(self))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QtCore.QTimer.singleShot(0, self.on_shown)  # once laid out: the visible region is known then

    def on_shown(self) -> None:
        """Shown again (its dock raised or opened): draw the newest snapshot, asking for what it needs."""
        if self._hidden_in_window():
            return
        snap, self._behind = self._behind, None
        if snap is not None:
            self._draw(snap, self._layout is None or self._snap is None or snap.run_id != self._snap.run_id)

    def _draw(self, snap, new_run: bool) -> None:
        layout = param_layout(snap.config)
        if new_run or layout != self._layout:
            self._new_network(layout)
        self._snap = snap
        self._sync_freeze(snap)
        if snap.state is None or snap.diverged is not None:
            # nothing is asked for non-finite weights: what is drawn is from before, and says so
            self.canvas.show_stale(f"stale: the run diverged at update {snap.step}")
            self._say("The run diverged: recover it to see its loss surface again.", error=True)
            return
        if not self._wanted_matches():
            self.recompute()
        else:
            self._draw_tail()
            self._schedule_point()
            self._check_stale()

    def show_answer(self, ans) -> None:
        if self._requester is None or not self._requester.wanted(ans):
            return
        channel = ans.request.channel
        if channel in ("surface", "surface.preview", "surface.slice"):
            if (channel == "surface.slice") != (self._mode == "slice"):
                return  # asked for before the mode changed: a map is no slice, nor the other way round
            if channel != "surface.preview":
                self._in_flight = False
                self._last_surface_time = time.monotonic()
            if ans.error:
                self._say(ans.error, error=True)
                return
            if channel == "surface.preview" and self._result is not None \
                    and self._result.request.resolution > PREVIEW_RESOLUTION and self._same_kind(self._result):
                return  # a full surface of this kind is up: a coarse one would be a step back
            self._show_result(ans.value, preview=channel == "surface.preview")
        elif channel == "surface.point":
            if ans.error or self._result is None or ans.request.result is not self._result:
                return
            self._point = ans.value
            self.canvas.show_point(ans.value)
            if self.view3d is not None and self.view3d.gl is not None and self.box3d.isChecked():
                self.view3d.show_point(ans.value)
            self._check_stale()
        elif channel == "surface.race":
            if ans.error:
                self._say(ans.error, error=True)
                return
            self._race = ans.value
            self.canvas.show_race(ans.value)
            self._say(self._status_text())
            ranges = race_ranges(self._result, ans.value)
            if ranges is not None and self._mode == "weights":
                self._ranges = ranges  # a map that holds the race's paths (those that stay finite and near)
                self.recompute()

    # -------------------------------------------------------------- what to show

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def weights(self) -> tuple[int, int] | None:
        return self._weights

    @property
    def result(self):
        return self._result

    @property
    def point(self):
        return self._point

    def set_mode(self, mode: str) -> None:
        """"weights", "random", "pca" or "slice"."""
        if mode not in dict(MODES):
            raise ValueError(f"a surface mode is one of {[k for k, _ in MODES]}, not {mode!r}")
        if self.mode_box.currentData() != mode:
            self.mode_box.setCurrentIndex([k for k, _ in MODES].index(mode))
            return  # the box's signal comes back here
        if mode == self._mode:
            return
        self._mode = mode
        self.state_label.release()
        self._show_page()
        self._update_controls()
        if self._snap is not None and self._layout is not None:
            self._sync_freeze(self._snap)  # "frozen" means the mode's own weights: one for a slice, two else
        self.recompute()

    def set_3d(self, on: bool) -> None:
        """Show the surface in 3-D (or the 2-D map again); where OpenGL is missing, say why and stay 2-D."""
        if self.box3d.isChecked() != bool(on):
            self.box3d.setChecked(bool(on))
            return  # the box's signal comes back here
        if on and self.view3d is None:
            from ffviz.ui.views.surface.view3d import Surface3D
            self.view3d = Surface3D(theme=self._theme)
            self.view3d.apply_theme(self._theme)
            self.stack.addWidget(self.view3d)
        if on and self.view3d.reason is not None:
            self._say(f"No 3-D: {self.view3d.reason}.", error=True)
            self.box3d.setChecked(False)
            return
        self._show_page()
        if on:
            if self._result is not None and not hasattr(self._result, "slope"):
                self.view3d.show_result(self._result)
                self.view3d.show_point(self._point)
            QtCore.QTimer.singleShot(0, self._check_3d)

    def _check_3d(self) -> None:
        if self.view3d is not None and self.box3d.isChecked() and self.view3d.isVisible() \
                and not self.view3d.available:
            self.view3d.reason = "OpenGL could not make a context on this display"
            self._say(f"No 3-D: {self.view3d.reason}.", error=True)
            self.box3d.setChecked(False)

    def _show_page(self) -> None:
        if self._mode == "slice":
            page = self.slice_canvas
        elif self.box3d.isChecked() and self.view3d is not None:
            page = self.view3d
        else:
            page = self.canvas
        self.stack.setCurrentWidget(page)

    def set_weights(self, first: int, second: int | None = None) -> None:
        """The surface's weights by flat position (ParamLayout.position); the second may stay."""
        if self._layout is None:
            return
        size = self._layout.size
        second = self._weights[1] if second is None and self._weights is not None else second
        if second is None or not (0 <= first < size and 0 <= second < size):
            return
        if first == second:  # the other one steps aside: two different weights are needed
            second = self._weights[0] if self._weights is not None and self._weights[0] != first \
                else (first + 1) % size
        if (first, second) == self._weights:
            return
        frozen = self.freeze_box.isChecked()
        self._weights = (int(first), int(second))
        self._race = None
        self._ranges = None
        self.canvas.show_race(None)
        self._update_controls()
        if frozen:
            self.freeze_requested.emit(self._free_names())
        self.recompute()

    def set_first_weight(self, layer: int, kind: str, index: tuple) -> None:
        """A weight clicked in the diagram: the surface's first weight (and the slice's weight)."""
        if self._layout is not None:
            try:
                self.set_weights(self._layout.index(layer, kind, index))
            except FfvizError:
                pass

    def set_second_weight(self, layer: int, kind: str, index: tuple) -> None:
        """Shift+click in the diagram: the surface's second weight."""
        if self._layout is not None and self._weights is not None:
            try:
                self.set_weights(self._weights[0], self._layout.index(layer, kind, index))
            except FfvizError:
                pass

    def recompute(self, force: bool = False) -> None:
        """Ask for the surface (a preview first) for the snapshot on screen."""
        snap = self._snap
        if snap is None or self._requester is None or self._layout is None or self._hidden_in_window():
            return  # hidden: showEvent draws the newest snapshot, and asks, when the view is shown
        if snap.state is None or snap.diverged is not None:
            self._say("The run diverged: recover it to see its loss surface again.", error=True)
            return
        self._asked_for = self._wanted()
        self._in_flight = True
        self._error = ""
        rid, step, serial = snap.run_id, snap.step, snap.serial
        if self._mode == "slice":
            self._slice_of = (rid, step)
            req = SliceRequest(self._weights[0], resolution=RESOLUTION["slice"])
            self._requester.ask(SliceViewRequest("surface.slice", rid, step, serial, state=snap.state, slice=req,
                                                 trajectory=snap.trajectory))
        else:
            req = self._surface_request()
            trajectory = snap.trajectory if snap.trajectory is not None and len(snap.trajectory) else None
            if self._mode == "pca" and (trajectory is None or len(trajectory) < 3):
                self._in_flight = False
                self._asked_for = None  # asked again with the next snapshot, once the path is long enough
                self._say("The PCA plane needs a path: train a few updates first.")
                return
            if req.resolution > PREVIEW_RESOLUTION and (self._result is None or not self._same_kind(self._result)):
                self._requester.ask(SurfaceViewRequest("surface.preview", rid, step, serial, state=snap.state,
                                                       surface=req.preview(), trajectory=trajectory))
            self._requester.ask(SurfaceViewRequest("surface", rid, step, serial, state=snap.state, surface=req,
                                                   trajectory=trajectory))
        self._say("Computing the surface…" if self._result is None else self._status_text(computing=True))

    def race(self, contenders, steps: int = RACE_STEPS) -> None:
        """Race these Contenders from the run's current state for `steps` updates each, on the two weights."""
        snap = self._snap
        if snap is None or snap.state is None or self._requester is None or self._mode != "weights":
            return
        try:
            request = RaceRequest(self._weights, tuple(contenders), int(steps))
        except FfvizError as exc:
            self._say(str(exc), error=True)
            return
        self._requester.ask(RaceViewRequest("surface.race", snap.run_id, snap.step, snap.serial,
                                            state=snap.state, race=request))
        self._say(f"Racing {len(request.contenders)} runs of {request.steps} updates from update {snap.step}…")

    def clear_race(self) -> None:
        self._race = None
        self._ranges = None
        self.canvas.show_race(None)

    # -------------------------------------------------------------- internals

    def _new_network(self, layout) -> None:
        self._layout = layout
        names = layout.names()
        for box in (self.first_box, self.second_box):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.blockSignals(False)
        self._weights = default_weights(layout) if layout.size >= 2 else None
        self._result = self._point = self._race = self._ranges = None
        self._asked_for = None
        self._in_flight = False
        if self._requester is not None:
            # what is still being computed is the network before's: its answers are no longer wanted, even
            # where nothing new is asked on their channel (a PCA plane of a run with no path yet)
            self._requester.forget()
        self.canvas.show_race(None)
        self.canvas.clear_result()  # the surface of the network before is not this one's
        self.slice_canvas.clear_result()
        if self.view3d is not None:
            self.view3d.clear_result()
        self._update_controls()

    def _surface_request(self) -> SurfaceRequest:
        r = RESOLUTION[self._mode]
        if self._mode == "weights":
            a, b = self._ranges if self._ranges is not None else (None, None)
            return SurfaceRequest.two_weights(*self._weights, resolution=r, a_range=a, b_range=b)
        if self._mode == "random":
            return SurfaceRequest.random_plane(seed=0, resolution=r)
        return SurfaceRequest.pca_plane(resolution=r)

    def _wanted(self) -> tuple:
        snap = self._snap
        return (snap.run_id if snap else None, self._mode, self._weights if self._mode in ("weights", "slice")
                else None)

    def _wanted_matches(self) -> bool:
        return self._asked_for == self._wanted()

    def _same_kind(self, result) -> bool:
        if self._mode == "slice":
            return hasattr(result, "slope")
        return getattr(result, "kind", None) == self._mode and (
            self._mode != "weights" or tuple(result.positions) == tuple(self._weights))

    def _show_result(self, result, preview: bool) -> None:
        if self._mode == "slice":
            if not hasattr(result, "slope"):
                return
            self._result = result
            self.slice_canvas.show_result(result)
        else:
            if not hasattr(result, "loss") or hasattr(result, "slope"):
                return
            self._result = result
            self.canvas.show_result(result)
            if self.view3d is not None and self.view3d.gl is not None:
                self.view3d.show_result(result)
            self._draw_tail()
            self._point = None
            self._ask_point()
        self._say(self._status_text(computing=preview))

    def _draw_tail(self) -> None:
        r, snap = self._result, self._snap
        if self._mode == "slice" or r is None or snap is None or snap.trajectory is None or r.path_steps is None:
            return
        traj = snap.trajectory
        last = int(r.path_steps[-1]) if len(r.path_steps) else r.step
        newer = np.asarray(traj.steps) >= last
        params = np.asarray(traj.params)[newer]
        if params.shape[0] == 0 or params.shape[1] != r.center.shape[0]:
            self.canvas.show_tail(np.empty((0, 2)))
            return
        self.canvas.show_tail(r.on_axes(params))

    def _schedule_point(self) -> None:
        if self._mode == "slice":  # a slice is cheap: it follows the run, at most every POINT_SECONDS
            if self._snap is not None and (self._snap.run_id, self._snap.step) != self._slice_of \
                    and not self._in_flight:
                wait = POINT_SECONDS - (time.monotonic() - self._last_surface_time)
                if wait <= 0:
                    self.recompute()
                elif not self._point_timer.isActive():
                    self._point_timer.start(int(wait * 1000) + 1)
            return
        wait = POINT_SECONDS - (time.monotonic() - self._last_point_time)
        if wait <= 0:
            self._ask_point()
        elif not self._point_timer.isActive():
            self._point_timer.start(int(wait * 1000) + 1)

    def _ask_point(self) -> None:
        if self._mode == "slice":
            self._schedule_point()
            return
        snap, r = self._snap, self._result
        if snap is None or r is None or self._requester is None or snap.state is None or self._mode == "slice" \
                or snap.diverged is not None or self._hidden_in_window():
            return
        self._last_point_time = time.monotonic()
        self._requester.ask(SurfacePointRequest("surface.point", snap.run_id, snap.step, snap.serial,
                                                state=snap.state, result=r))

    def _stale_reason(self) -> str | None:
        """Why the surface on screen no longer shows J around the run (None: it still does)."""
        r, pt = self._result, self._point
        if r is None or pt is None or self._mode == "slice":
            return None
        if not r.contains(*pt.ab):
            return "the run has left the picture"
        if pt.off > STALE_AT:
            what = "the other weights" if r.positions is not None else "the weights"
            return f"{what} moved {fmt.percent(pt.off)} off this surface since update {r.step}"
        return None

    def _check_stale(self) -> None:
        reason = self._stale_reason()
        frozen = self.freeze_box.isChecked()
        if reason is None:
            self.canvas.show_stale(None)
            self._say(self._status_text())
            return
        self.canvas.show_stale(f"stale: {reason}")
        self._say(f"Stale: {reason}; recomputing." if not frozen else f"Stale: {reason}.")
        self._maybe_recompute()

    def _maybe_recompute(self) -> None:
        if self._in_flight or self._stale_reason() is None:
            return
        wait = RECOMPUTE_SECONDS - (time.monotonic() - self._last_surface_time)
        if wait > 0:
            if not self._recompute_timer.isActive():
                self._recompute_timer.start(int(wait * 1000) + 1)
            return
        self.recompute()

    def _free_names(self) -> tuple[str, ...]:
        if self._mode == "slice":
            return (self._layout.name(self._weights[0]),)
        return tuple(self._layout.name(p) for p in self._weights)

    def _sync_freeze(self, snap) -> None:
        only = snap.config.optimizer.train_only
        on = only is not None and self._weights is not None and set(only) == set(self._free_names())
        if self.freeze_box.isChecked() != on:
            self.freeze_box.setChecked(on)
        self.freeze_box.setText("Freeze the others" if only is None or on
                                else f"Freeze the others (now only {', '.join(only)} train)")

    def _on_freeze(self, on: bool) -> None:
        if self._layout is None or self._weights is None:
            return
        self.freeze_requested.emit(self._free_names() if on else None)

    def _on_weight_box(self, which: int, index: int) -> None:
        if self._weights is None:
            return
        if which == 0:
            self.set_weights(index, self._weights[1])
        else:
            self.set_weights(self._weights[0], index)

    def _update_controls(self) -> None:
        has = self._weights is not None
        for box, k in ((self.first_box, 0), (self.second_box, 1)):
            if has and box.count() > self._weights[k]:
                box.blockSignals(True)
                box.setCurrentIndex(self._weights[k])
                box.blockSignals(False)
        planes = self._mode in ("random", "pca")
        self.first_box.setVisible(not planes)
        self.second_box.setVisible(self._mode == "weights")
        self.scale_box.setVisible(self._mode != "slice")
        self.freeze_box.setVisible(not planes)
        self.box3d.setVisible(self._mode != "slice")
        self.race_button.setVisible(self._mode == "weights")

    def _on_surface_clicked(self, a: float, b: float) -> None:
        r = self._result
        if r is None or self._layout is None or self._mode == "slice":
            return
        if r.positions is not None:
            self.parameters_requested.emit(r.assignments(a, b, self._layout))
        else:  # a plane: every weight moves to θ(a, b)
            flat = r.params_at(a, b)
            self.parameters_requested.emit({self._layout.locate(p): float(v) for p, v in enumerate(flat)})

    def _on_slice_clicked(self, event) -> None:
        r = self._result
        if r is None or self._mode != "slice" or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.slice_canvas.plot_item.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        w = float(vb.mapSceneToView(event.scenePos()).x())
        if r.w[0] <= w <= r.w[-1]:
            event.accept()
            self.parameters_requested.emit({self._layout.locate(r.request.position): w})

    def _on_race_button(self) -> None:
        from ffviz.ui.views.surface.race_dialog import RaceDialog
        snap = self._snap
        if snap is None or snap.state is None:
            return
        dialog = RaceDialog(snap.learning_rate, snap.config.optimizer.name, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.race(dialog.contenders(), dialog.steps())

    def _status_text(self, computing: bool = False) -> str:
        r = self._result
        if r is None:
            return ""
        res = r.request.resolution
        if hasattr(r, "slope"):  # a slice: its `step` is −η·∂J/∂w, its update is `update`
            text = f"Slice at update {r.update} ({res} points, float64)"
        else:
            text = f"Surface at update {r.step} ({res}² grid, {r.dtype})"
        if computing:
            text += "; computing the full surface…"
        if self._race is not None:
            text += f"; race of {len(self._race.paths)} from update {self._race.start_step}"
        return text

    def _say(self, text: str, error: bool = False) -> None:
        P = self._theme.palette
        color = P.error if error else P.window_text
        # The colour through the palette, not a style sheet: a theme change repaints it (apply_theme).
        pal = self.state_label.palette()
        pal.setColor(QtGui.QPalette.ColorRole.WindowText, color)
        self.state_label.setPalette(pal)
        if error != bool(self._error):
            self.state_label.release()  # an error's lines are not held for the status lines after it
        self.state_label.setText(text)
        self._error = text if error else ""

    def state_text(self) -> str:
        return self.state_label.text()
