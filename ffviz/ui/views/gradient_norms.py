"""Vanishing gradients: each layer's gradient norm ‖∂J/∂W‖ (or its update ratio ‖ΔW‖/‖W‖) on a log axis over
the run, one line per layer, the current values printed beside; "Compare with ReLU" trains the run's ReLU twin
(ReLU hidden layers, He initialisation, the same seed) headless to the same update and draws it in a second panel beside; and
the slide's question for the selected weight: at this gradient and learning rate, how many updates to move it
from a to b?

Every number comes from the engine: the norms from the snapshot's NormView (recorded by the trainer), the twin
from a TwinRequest answered off this thread, the count of updates from insight.updates_to_move.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ffviz.engine.insight import (PLAIN_STEPS, TwinRequest, frozen_reason, layer_spread, relu_twin, silent_layers,
                                  updates_to_move)
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.panels import SteadyLabel
from ffviz.ui.pgkit import log_range, log_ticks, set_label, set_title, step_ceil, style_axes
from ffviz.ui.views import Staleness, seen

MEASURES = (("grad", "gradient norm ‖∂J/∂W‖"), ("ratio", "update ratio ‖ΔW‖/‖W‖"))
TWIN_STEPS_PER_REQUEST = 5000  # the twin catches up in pieces, so its lines grow while a long run is matched
LINE_WIDTH = 2.0
SLIDE_FROM, SLIDE_TO = 0.5, -0.2  # the slide's example: initial w₁ = 0.5, optimal w₁ = −0.2


def layer_colors(n: int) -> list:
    """One colour per layer, dark (input side) to light (output side) on a colour-blind-friendly ramp; the
    ramp stops short of its pale yellow end, which a white background would swallow."""
    cmap = pg.colormap.get("plasma")
    return [cmap.map(0.05 + 0.75 * (i / max(1, n - 1)), mode="qcolor") for i in range(n)]


def _gapped(steps, values):
    """The points of a line on a log axis: values that are not positive (no gradient at all) become gaps."""
    y = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        y = np.where(y > 0, y, np.nan)
    return np.asarray(steps, dtype=float), y


class GradientNormView(QtWidgets.QWidget):
    export_name = "gradient-norms"

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        self._requester = None
        self._stale = Staleness()
        self._snap = None
        self._measure = "grad"
        self._compare = False
        self._twin = None  # the TwinRun answered last, for the config in _twin_of
        self._twin_of = None  # (run_id, config) the twin belongs to
        self._twin_error = ""
        self._twin_pending = False
        self._weight = (1, "kernel", (0, 0))
        self._move_error = ""
        self._estimate = None

        # In a scroll area: the view asks for little height, so the docks it is tabbed with (the loss plot,
        # the decision boundary beside) keep theirs; a short dock scrolls this one instead of squeezing them.
        inner = QtWidgets.QWidget()
        scroll = QtWidgets.QScrollArea(self)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay = QtWidgets.QVBoxLayout(inner)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QtWidgets.QHBoxLayout()
        self.measure_combo = QtWidgets.QComboBox()
        for key, label in MEASURES:
            self.measure_combo.addItem(label, key)
        self.measure_combo.setToolTip("What each line shows per layer: the gradient's norm, or how much of the "
                                      "weights one update changes")
        self.measure_combo.currentIndexChanged.connect(
            lambda i: self.set_measure(self.measure_combo.itemData(i)))
        self.compare_button = QtWidgets.QPushButton("Compare with ReLU")
        self.compare_button.setCheckable(True)
        self.compare_button.setToolTip("Train the same network with ReLU hidden layers and He initialisation, "
                                       "from the same seed, to the same update, and draw it beside")
        self.compare_button.toggled.connect(self.set_compare)
        bar.addWidget(self.measure_combo)
        bar.addWidget(self.compare_button)
        bar.addStretch(1)
        lay.addLayout(bar)

        # The run on the left; with "Compare with ReLU" its twin in a second panel on the right, on the same
        # axes (linked), so the two spreads are read side by side rather than through a tangle of lines.
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot = self.plot_widget.addPlot(row=0, col=0)
        self.twin_plot = self.plot_widget.addPlot(row=0, col=1)
        for plot in (self.plot, self.twin_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            plot.setLogMode(y=True)
            plot.disableAutoRange()
        self.twin_plot.setYLink(self.plot)
        self.twin_plot.setXLink(self.plot)
        self.plot_widget.ci.layout.setColumnStretchFactor(0, 1)
        self.plot_widget.ci.layout.setColumnStretchFactor(1, 1)
        self.plot_widget.ci.removeItem(self.twin_plot)
        self.twin_plot.hide()
        self._twin_shown = False
        # It takes the height the numbers leave (its own wish is ignored), so a 4:3 still has room for all.
        self.plot_widget.setMinimumHeight(100)
        self.plot_widget.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)
        # Steady: the numbers change every frame, and a line that wraps once more or a digit more would
        # lay the dock out again every frame
        self.headline_label = SteadyLabel(wrap=True)
        self.headline_label.setObjectName("layerSpread")
        self.headline_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        lay.addWidget(self.headline_label)
        lay.addWidget(self.plot_widget, 1)
        self._lines: list[pg.PlotDataItem] = []  # built when the number of layers changes, updated in place
        self._twin_lines: list[pg.PlotDataItem] = []
        self._ranges = None

        self.values_label = SteadyLabel()
        self.values_label.setObjectName("layerValues")
        self.values_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # Under the plots, a column per layer: its name in its line's colour (the legend) and its value now,
        # in the legend's large type, so the numbers are read off the projector, not only from tooltips.
        lay.addWidget(self.values_label)

        box = QtWidgets.QGroupBox("How many updates to move this weight?")
        grid = QtWidgets.QGridLayout(box)
        self.from_edit = QtWidgets.QLineEdit(fmt.plain(SLIDE_FROM))
        self.to_edit = QtWidgets.QLineEdit(fmt.plain(SLIDE_TO))
        for e in (self.from_edit, self.to_edit):
            e.setMaximumWidth(110)
            e.editingFinished.connect(self._on_move_edited)
        self.current_button = QtWidgets.QPushButton("from its current value")
        self.current_button.setToolTip("Start from the selected weight's value now; the target keeps the distance")
        self.current_button.clicked.connect(self.use_current_value)
        grid.addWidget(QtWidgets.QLabel("from"), 0, 0)
        grid.addWidget(self.from_edit, 0, 1)
        grid.addWidget(QtWidgets.QLabel("to"), 0, 2)
        grid.addWidget(self.to_edit, 0, 3)
        grid.addWidget(self.current_button, 0, 4)
        grid.setColumnStretch(5, 1)
        self.move_label = QtWidgets.QLabel()
        self.move_label.setObjectName("updatesToMove")
        self.move_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.move_label.setWordWrap(True)
        grid.addWidget(self.move_label, 1, 0, 1, 6)
        lay.addWidget(box)
        scroll.setWidget(inner)
        self._content = inner
        self.apply_theme(theme)

    # -------------------------------------------------------------- the view protocol

    def export_target(self):
        # What is in the scroll area, without its scroll bars: at the view's size (a shown dock, the command
        # line's 4:3 stills), or larger where the content needs more (a hidden, narrow tab) rather than the
        # scroll area's corner of it. The scroll area sizes it again when it next lays out.
        need = self._content.minimumSizeHint()
        self._content.resize(max(self.width(), need.width()), max(self.height(), need.height()))
        return self._content

    def viewport(self):
        return self.plot_widget.viewport()

    def set_requester(self, requester) -> None:
        self._requester = requester

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        P = theme.palette
        self.plot_widget.setBackground(P.background)
        for plot in (self.plot, self.twin_plot):
            style_axes(plot, theme)
            set_label(plot, "bottom", "updates", theme)
        self.setFont(theme.font("widget"))
        for label in (self.values_label, self.move_label, self.headline_label):
            label.setFont(theme.font("legend"))
        self._restyle_lines()
        self._draw()

    def show_snapshot(self, snap) -> bool:
        new_run = self._stale.new_run(snap)
        if not self._stale.newer(snap):
            return False
        if new_run:
            self._ranges = None
            self.headline_label.release()
            self.values_label.release()
        if self._snap is None or new_run:
            self._weight = self._valid_weight(snap, self._weight)
        self._snap = snap
        self._ask_twin()
        self._draw()
        return True

    def show_answer(self, ans) -> None:
        if self._requester is None or ans.request.channel != "twin" or not self._requester.wanted(ans) \
                or not self._compare:
            return
        self._twin_pending = False
        if ans.error:
            self._twin_error = ans.error
        else:
            self._twin, self._twin_error = ans.value, ""
        self._draw()
        self._ask_twin()  # the run went on meanwhile: catch up

    # -------------------------------------------------------------- commands

    def set_measure(self, key: str) -> None:
        if key not in dict(MEASURES):
            raise ValueError(f"measure must be one of {[k for k, _ in MEASURES]}, not {key!r}")
        self._measure = key
        self.headline_label.release()
        i = [k for k, _ in MEASURES].index(key)
        if self.measure_combo.currentIndex() != i:
            self.measure_combo.setCurrentIndex(i)
        self._ranges = None
        self._draw()

    @property
    def measure(self) -> str:
        return self._measure

    def set_compare(self, on: bool) -> None:
        self._compare = bool(on)
        if self.compare_button.isChecked() != self._compare:
            self.compare_button.setChecked(self._compare)
        if not self._compare:
            self._twin, self._twin_of, self._twin_error, self._twin_pending = None, None, "", False
        self._ranges = None
        self._ask_twin()
        self._draw()

    @property
    def twin(self):
        return self._twin

    def set_selection(self, layer: int, kind: str, index: tuple) -> None:
        if kind in ("kernel", "bias") and layer > 0:
            self._weight = (int(layer), kind, tuple(int(v) for v in index))
            self._draw_move()

    @property
    def weight(self) -> tuple:
        return self._weight

    def set_move(self, start, target) -> bool:
        """Type `start` and `target` into the fields (as a user would) and recompute; False with a one-line
        message, and nothing else changed, when one is not a number."""
        self.from_edit.setText(str(start))
        self.to_edit.setText(str(target))
        return self._on_move_edited()

    def use_current_value(self) -> None:
        """Move from the selected weight's current value by the distance typed (default: the slide's 0.7)."""
        w = self._weight_value()
        if w is None:
            return
        try:
            a, b = fmt.parse(self.from_edit.text(), "from"), fmt.parse(self.to_edit.text(), "to")
        except FfvizError:
            a, b = SLIDE_FROM, SLIDE_TO
        self.set_move(fmt.plain(w), fmt.plain(w + (b - a)))

    def view_settings(self) -> dict:
        """What a session keeps of this view (plain JSON values)."""
        return {"norm_measure": self._measure, "relu_twin": self._compare,
                "move": [self.from_edit.text()[:40], self.to_edit.text()[:40]]}

    def apply_view_settings(self, settings: dict) -> None:
        """Apply a session's settings of this view; values of the wrong kind are left out."""
        if settings.get("norm_measure") in dict(MEASURES):
            self.set_measure(settings["norm_measure"])
        if isinstance(settings.get("relu_twin"), bool):
            self.set_compare(settings["relu_twin"])
        move = settings.get("move")
        if isinstance(move, list) and len(move) == 2 and all(isinstance(v, str) for v in move):
            before = (self.from_edit.text(), self.to_edit.text())
            if not self.set_move(*move):  # not numbers: the fields as they were, and no message
                self.set_move(*before)

    def move_text(self) -> str:
        return self.move_label.text()

    def values_text(self) -> str:
        return self.headline_label.text() + "\n" + self.values_label.text()

    # -------------------------------------------------------------- the twin

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._ask_twin()  # it waited while hidden

    def on_shown(self) -> None:
        """Its dock raised (a dock behind another's tab stays "visible", so no showEvent): catch up."""
        self._ask_twin()

    def _ask_twin(self) -> None:
        snap = self._snap
        # Only while it is seen: the twin trains on the compute thread of this process, and catching up with
        # a run that plays on would take a share of the window's time for a picture behind another tab.
        if not self._compare or snap is None or self._requester is None or not seen(self):
            return
        key = (snap.run_id, snap.config.with_learning_rate(snap.learning_rate))
        if key != self._twin_of:
            self._twin, self._twin_of, self._twin_error, self._twin_pending = None, key, "", False
            try:
                relu_twin(snap.config)
            except FfvizError as exc:
                self._twin_error = str(exc)
                return
        if self._twin_error or self._twin_pending:
            return
        twin = self._twin
        if twin is not None and (twin.step == snap.step or twin.diverged):
            return
        previous = twin if twin is not None and twin.step < snap.step else None
        start = previous.step if previous is not None else 0
        # in pieces in the window, so that the twin's lines grow while it catches up; at once without a window
        to_step = min(snap.step, start + TWIN_STEPS_PER_REQUEST) if self.isVisible() else snap.step
        self._twin_pending = True
        self._requester.ask(TwinRequest("twin", snap.run_id, snap.step, snap.serial, config=snap.config,
                                        to_step=to_step, previous=previous))

    # -------------------------------------------------------------- drawing

    def _ensure_lines(self, n: int) -> None:
        if len(self._lines) == n:
            return
        for item in self._lines:
            self.plot.removeItem(item)
        for item in self._twin_lines:
            self.twin_plot.removeItem(item)
        # connect="finite": a stretch where a layer has no gradient at all (0: nothing to draw on a log axis)
        # is a gap, not a straight line across it
        self._lines = [pg.PlotDataItem(connect="finite") for _ in range(n)]
        self.values_label.release()  # another number of columns
        self._twin_lines = [pg.PlotDataItem(connect="finite") for _ in range(n)]
        for item in self._lines:
            self.plot.addItem(item)
        for item in self._twin_lines:
            self.twin_plot.addItem(item)
        self._restyle_lines()

    def _restyle_lines(self) -> None:
        if not self._lines:
            return
        theme = self._theme
        colors = layer_colors(len(self._lines))
        for item, twin, c in zip(self._lines, self._twin_lines, colors):
            item.setPen(pg.mkPen(c, width=theme.line(LINE_WIDTH)))
            twin.setPen(pg.mkPen(c, width=theme.line(LINE_WIDTH)))

    def _draw(self) -> None:
        snap = self._snap
        if snap is None or snap.norms is None:
            self.values_label.setText("")
            self.headline_label.setText("")
            self._draw_move()
            return
        norms = snap.norms
        n = norms.n_layers
        self._ensure_lines(n)
        series = norms.grad if self._measure == "grad" else norms.ratio
        ys = []
        for i, item in enumerate(self._lines):
            x, y = _gapped(norms.steps, series[:, i])
            item.setData(x, y)
            ys.append(y)
        twin = self._twin if self._compare else None
        if twin is not None:
            t = twin.view
            tseries = t.grad if self._measure == "grad" else t.ratio
            for i, item in enumerate(self._twin_lines):
                x, y = _gapped(t.steps, tseries[:, i]) if i < t.n_layers else (np.empty(0), np.empty(0))
                item.setData(x, y)
                ys.append(y)
        else:
            for item in self._twin_lines:
                item.setData(np.empty(0), np.empty(0))
        self._show_twin_panel(self._compare)
        label = dict(MEASURES)[self._measure] + " (log scale)"
        set_label(self.plot, "left", label, self._theme)
        set_title(self.plot, html.escape(snap.config.name or "this run"), self._theme)
        set_title(self.twin_plot, "its ReLU twin" if self._compare else "", self._theme)
        self._fit(snap, ys)
        self._draw_values(snap, twin)
        self._draw_move()

    def _show_twin_panel(self, shown: bool) -> None:
        if shown == self._twin_shown:
            return
        self._twin_shown = shown
        if shown:
            self.plot_widget.ci.addItem(self.twin_plot, row=0, col=1)
            self.twin_plot.show()
        else:
            self.plot_widget.ci.removeItem(self.twin_plot)
            self.twin_plot.hide()

    def _fit(self, snap, ys) -> None:
        vals = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.empty(0)
        x_end = step_ceil(max(10.0, float(snap.step)))
        if vals.size:
            lo, hi = float(np.log10(vals.min())), float(np.log10(vals.max()))
            y_range = log_range(max(-300.0, lo), min(300.0, hi))
        else:
            y_range = (-3.0, 0.0)
        if (x_end, y_range) != self._ranges:
            self._ranges = (x_end, y_range)
            for plot in (self.plot, self.twin_plot):
                plot.setXRange(0, x_end, padding=0.02)
                plot.setYRange(*y_range, padding=0.06)
                plot.getAxis("left").setTicks(log_ticks(*y_range))

    def _draw_values(self, snap, twin) -> None:
        P = self._theme.palette
        fg, muted = P.foreground.name(), P.muted.name()
        norms = snap.norms
        if not norms.steps.size:
            self.headline_label.setText(f'<span style="color:{muted}">Train (Space or Right) to see each '
                                        "layer's gradient norm.</span>")
            self.values_label.setText("")
            return
        what = "‖∂J/∂W‖" if self._measure == "grad" else "‖ΔW‖/‖W‖"
        row = norms.last(self._measure)
        colors = [c.name() for c in layer_colors(norms.n_layers)]
        trow = twin.view.last(self._measure) if twin is not None and twin.view.steps.size else None
        pad = "padding-left:6px; padding-right:6px"
        head_cells = "".join(f'<td align="center" style="color:{colors[i]}; {pad}"><b>layer {i + 1}</b></td>'
                             for i in range(len(row)))
        rows = [f'<tr><td></td>{head_cells}</tr>',
                f'<tr><td style="color:{fg}">{html.escape(snap.config.name or "this run")}</td>'
                + "".join(f'<td align="center" style="color:{fg}; {pad}">{fmt.number(v)}</td>' for v in row)
                + "</tr>"]
        if trow is not None:
            rows.append(f'<tr><td style="color:{fg}">ReLU twin</td>'
                        + "".join(f'<td align="center" style="color:{fg}; {pad}">{fmt.number(v)}</td>'
                                  for v in trow) + "</tr>")
        self.values_label.setText(f'<table cellspacing="1">{"".join(rows)}</table>')
        head = (f"{what} at update {int(norms.steps[-1])}: largest ÷ smallest layer "
                f"<b>{fmt.number(layer_spread(row))}</b>")
        if trow is not None:
            head += f" · ReLU twin (right) at update {int(twin.view.steps[-1])}: <b>{fmt.number(layer_spread(trow))}</b>"
        note = ""
        if self._compare and self._twin_error:
            note = f'<br><span style="color:{P.error.name()}">ReLU twin: {html.escape(self._twin_error)}</span>'
        elif twin is not None and twin.diverged:
            note = (f'<br><span style="color:{P.error.name()}">The ReLU twin stopped at update {twin.step}: '
                    f"{html.escape(twin.diverged)}</span>")
        elif trow is not None and silent_layers(trow):
            dead = silent_layers(trow)
            which = f"layer {dead[0]}" if len(dead) == 1 else f"layers {', '.join(map(str, dead))}"
            note = (f'<br><span style="color:{P.warning.name()}">No gradient reaches the twin\'s {which}: every '
                    "ReLU there is off (“dead”) for every sample (a smaller η keeps them alive)</span>")
        elif self._compare and (twin is None or twin.step < snap.step):
            note = (f'<br><span style="color:{muted}">training the ReLU twin… '
                    f"({0 if twin is None else twin.step} of {snap.step} updates)</span>")
        self.headline_label.setText(f'<span style="color:{fg}">{head}</span>{note}')

    # -------------------------------------------------------------- updates to move a weight

    def _valid_weight(self, snap, weight) -> tuple:
        layer, kind, index = weight
        sizes = snap.layer_sizes
        ok = 1 <= layer < len(sizes) and index[-1] < sizes[layer] and (
            kind == "bias" and snap.biases[layer - 1] is not None
            or kind == "kernel" and len(index) == 2 and index[0] < sizes[layer - 1])
        return weight if ok else (1, "kernel", (0, 0))

    def _weight_name(self) -> str:
        layer, kind, index = self._weight
        return f"kernel{layer}[{index[0]},{index[1]}]" if kind == "kernel" else f"bias{layer}[{index[0]}]"

    def _weight_value(self):
        snap = self._snap
        if snap is None:
            return None
        layer, kind, index = self._weight
        arr = snap.kernels[layer - 1] if kind == "kernel" else snap.biases[layer - 1]
        return None if arr is None else float(arr[index])

    def _weight_gradient(self):
        snap = self._snap
        layer, kind, index = self._weight
        arr = snap.grad_kernels[layer - 1] if kind == "kernel" else snap.grad_biases[layer - 1]
        return None if arr is None else float(arr[index])

    def _on_move_edited(self) -> bool:
        try:
            a, b = fmt.parse(self.from_edit.text(), "“from”"), fmt.parse(self.to_edit.text(), "“to”")
        except FfvizError as exc:
            self._move_error = str(exc)
            self._draw_move()
            return False
        self._move_error = ""
        self._move = (a, b)
        self._draw_move()
        return True

    def _draw_move(self) -> None:
        P = self._theme.palette
        fg, muted = P.foreground.name(), P.muted.name()
        snap = self._snap
        if not hasattr(self, "_move"):
            self._move = (SLIDE_FROM, SLIDE_TO)
        error = (f'<br><span style="color:{P.error.name()}">{html.escape(self._move_error)} — the estimate '
                 "below is unchanged</span>") if self._move_error else ""
        if snap is None:
            self.move_label.setText(error)
            return
        self._weight = self._valid_weight(snap, self._weight)
        g = self._weight_gradient()
        w = self._weight_value()
        name = self._weight_name()
        frozen = frozen_reason(snap.config, *self._weight)
        if g is None:
            why = (f"never: {frozen}, so no update moves it" if frozen
                   else "its gradient is computed by the first update (Right)")
            self.move_label.setText(f'<span style="color:{muted}">{name}: {why}</span>' + error)
            return
        a, b = self._move
        try:
            est = updates_to_move(a, b, g, snap.learning_rate, frozen)
        except FfvizError as exc:
            self.move_label.setText(f'<span style="color:{P.error.name()}">{html.escape(str(exc))}</span>')
            return
        self._estimate = est
        if est.updates is None:
            result = est.note
        else:
            count = f"{est.updates:,}".replace(",", "\u2009")  # thin spaces between thousands: 1 930 931
            result = (f"⌈{fmt.number(abs(b - a))} / {fmt.number(est.step_size)}⌉ = "
                      f'<b style="font-size:large">{count} update{"s" if est.updates != 1 else ""}</b>')
        plain = snap.config.optimizer.name in PLAIN_STEPS or est.updates is None
        caveat = "" if plain else (f'<br><span style="color:{muted}">({snap.config.optimizer.name} scales its '
                                   "steps; this counts plain gradient-descent steps of η|g|)</span>")
        self.move_label.setText(
            f'<span style="color:{fg}"><b>{name}</b> = {fmt.number(w)} · ∂J/∂w = {fmt.number(g)} · '
            f"η = {fmt.number(snap.learning_rate)} · a step η|∂J/∂w| = {fmt.number(est.step_size)}<br>"
            f"{fmt.number(a)} → {fmt.number(b)}: {result}</span>" + caveat + error)

    @property
    def estimate(self):
        return self._estimate
