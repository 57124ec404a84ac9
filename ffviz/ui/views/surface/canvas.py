"""The picture of a loss surface: J as a heatmap with level curves and a colour bar, the run's path on it (true J
as the points' colours), where the run is now and its next step −η∇J, races, and below it a strip of J along
the path: the true J against J on the surface under it, which differ wherever the rest of the weights (or, for a
plane, the path's distance from the plane) matter.

Draws engine results (engine/surface.py SurfaceResult, SurfacePoint; engine/race.py RaceResult) and nothing
else; every item is made once and updated with setData/setImage.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from ffviz.engine.contour import iso_segments
from ffviz.engine.history import peak_decimate, visible_path
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.pgkit import Sample, ScreenCache, log_ticks, no_si_prefix, repaint_one_rect, set_label, set_title, \
    style_axes, style_legend

LEVELS = 12  # level curves drawn over the heatmap
PATH_CELLS = 2000  # the path is drawn to 1/2000 of the map's width and height (a pixel of a 2000-pixel map)
LOG_AUTO = 30.0  # "auto" colours are logarithmic when the largest J is this many times the smallest
WHITE, BLACK = QtGui.QColor(255, 255, 255), QtGui.QColor(0, 0, 0)
STEP_COLOR = QtGui.QColor(255, 64, 129)  # the −η∇J arrow: apart from every viridis colour, light or dark
SCALES = ("auto", "linear", "log")
MAP_ROOM = 240  # pixels (at font scale 1) of the canvas's height the map and its axes keep before the readout
STRIP_ROOM = 520  # the canvas is at least this tall (pixels at font scale 1) for the strip of J to be shown


def colour_values(loss: np.ndarray, scale: str) -> tuple[np.ndarray, tuple[float, float], bool]:
    """What the heatmap colours: J itself (linear) or log₁₀ J (log), the colour range, and whether it is log.
    Non-finite J (a diverged corner) takes the top colour. Log floors J at the smallest positive value
    (or 10⁻¹² of the largest): J = 0 exactly would have no colour."""
    finite = np.isfinite(loss)
    if not finite.any():
        return np.zeros_like(loss, dtype=float), (0.0, 1.0), False
    lo, hi = float(np.min(loss[finite])), float(np.max(loss[finite]))
    positive = loss[finite & (loss > 0)]
    log = scale == "log" or (scale == "auto" and positive.size and lo > 0 and hi / lo > LOG_AUTO)
    if log and positive.size:
        floor = max(float(np.min(positive)), hi * 1e-12)
        values = np.log10(np.maximum(np.where(finite, loss, hi), floor))
        rng = (float(np.log10(floor)), float(np.log10(hi)))
    else:
        log = False
        values = np.where(finite, loss, hi).astype(float)
        rng = (lo, hi)
    if not rng[1] > rng[0]:
        rng = (rng[0] - 0.5, rng[0] + 0.5)  # a flat surface: one colour, mid-map
    return values, rng, bool(log)


def unclamp(label: pg.LabelItem) -> None:
    """pyqtgraph makes a label's text its minimum width: in a narrow dock the whole canvas then grows past the
    view and the map and its colour bar are cut off. The text is cut instead (its height still counts)."""
    if getattr(label, "_ffviz_unclamped", False):
        return
    label._ffviz_unclamped = True

    def update_min(label=label):
        bounds = label.itemRect()
        label.setMinimumWidth(0)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {
            QtCore.Qt.SizeHint.MinimumSize: (0, bounds.height()),
            QtCore.Qt.SizeHint.PreferredSize: (0, bounds.height()),
            QtCore.Qt.SizeHint.MaximumSize: (-1, -1),
            QtCore.Qt.SizeHint.MinimumDescent: (0, 0),
        }
        label.updateGeometry()
    label.updateMin = update_min  # pyqtgraph calls it from Python whenever the text changes
    update_min()


def halo_curve(z: float) -> tuple[pg.PlotCurveItem, pg.PlotCurveItem]:
    """A line drawn twice, dark under light, so it reads on every colour of the map."""
    under, over = pg.PlotCurveItem(), pg.PlotCurveItem()
    under.setZValue(z)
    over.setZValue(z + 0.1)
    return under, over


class SurfaceCanvas(pg.GraphicsLayoutWidget):
    """The surface (row 0, with its colour bar), a readout of where the run is (row 1) and the strip of J along
    the path (row 2)."""

    clicked = Signal(float, float)  # a point of the surface clicked: its (a, b)

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        self._strip_wanted = False  # before super().__init__: a resize event can come from it
        super().__init__(parent)
        self._theme = theme
        repaint_one_rect(self)
        self.ci.setContentsMargins(6, 6, 10, 6)
        self.plot = self.addPlot(row=0, col=0)
        self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), interactive=False, width=22, colorMapMenu=False)
        self.addItem(self.color_bar, row=0, col=1)
        self.readout = pg.LabelItem(justify="left")  # the weights' values and slopes, in full, under the map
        unclamp(self.readout)
        unclamp(self.plot.titleLabel)
        self.addItem(self.readout, row=1, col=0, colspan=2)
        self.strip = self.addPlot(row=2, col=0)
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(2, 1)
        for plot in (self.plot, self.strip):
            plot.setMenuEnabled(False)  # pyqtgraph's own SVG export is broken with Qt 6 (#3485)
            plot.hideButtons()
            plot.getViewBox().setMouseEnabled(False, False)
            plot.disableAutoRange()
        vb = self.plot.getViewBox()
        vb.setDefaultPadding(0.0)

        self.image = pg.ImageItem(axisOrder="col-major")  # data[i, j] = J at (a[i], b[j])
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.contours = pg.PlotCurveItem(connect="pairs")
        self.contours.setZValue(-5)
        self.plot.addItem(self.contours)
        # The map and its level curves change once per surface, the path and markers every frame: keep the
        # first two as pixmaps so a frame repaints a few lines, not thousands of segments.
        self.path_lines = halo_curve(2)  # the path too: it changes with the surface
        for item in (self.image, self.contours, *self.path_lines):
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.tail_lines = halo_curve(2)  # the run since the surface was computed
        self.step_lines = halo_curve(6)
        for item in self.path_lines + self.tail_lines + self.step_lines:
            self.plot.addItem(item)
        self.path_points = pg.ScatterPlotItem(pxMode=True)  # coloured by the true J at each point
        self.path_points.setZValue(3)
        self.start_point = pg.ScatterPlotItem(pxMode=True, symbol="s")
        self.current_point = pg.ScatterPlotItem(pxMode=True, symbol="o")
        self.next_point = pg.ScatterPlotItem(pxMode=True, symbol="o")
        self.step_head = pg.ArrowItem(headLen=18, tipAngle=36, tailLen=0, pen=None)
        for z, item in enumerate((self.start_point, self.current_point, self.next_point, self.step_head)):
            item.setZValue(8 + z)
            self.plot.addItem(item)
        self.current_label = pg.TextItem(anchor=(0.0, 1.0))
        self.next_label = pg.TextItem(anchor=(1.0, 0.0))
        self.stale_label = pg.TextItem(anchor=(0.0, 0.0))
        for item in (self.current_label, self.next_label, self.stale_label):
            item.setZValue(20)
            self.plot.addItem(item, ignoreBounds=True)
            item.hide()
        self.race_curves: list[tuple[pg.PlotCurveItem, pg.PlotCurveItem, pg.ScatterPlotItem]] = []
        self.race_labels: list[str] = []  # one per contender, in the readout under the map (not over the paths)

        self.strip_true = pg.PlotCurveItem()
        self.strip_surface = pg.PlotCurveItem()
        self.strip.addItem(self.strip_surface)
        self.strip.addItem(self.strip_true)
        self.strip_legend = self.strip.addLegend(offset=(-10, 4), sampleType=Sample, colCount=2)
        self.strip_legend.addItem(self.strip_true, "true J")
        self.strip_legend.addItem(self.strip_surface, "J on this surface")

        self.scene().sigMouseClicked.connect(self._on_click)
        vb.sigResized.connect(self._replace_labels)  # they are fitted to the map's width in pixels
        self._cache = ScreenCache(self.plot)
        self._cache.cache(*(self.plot.getAxis(n) for n in ("left", "bottom")), self.color_bar)
        self._strip_cache = ScreenCache(self.strip)
        self._strip_cache.cache(*(self.strip.getAxis(n) for n in ("left", "bottom")), self.strip_legend)

        self.result = None
        self.point = None
        self.race = None
        self.scale = "auto"
        self.precision = fmt.SIG3
        self.log = False
        self._levels = (0.0, 1.0)
        self.apply_theme(theme)

    # -------------------------------------------------------------- theme

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        P = theme.palette
        self.setBackground(P.background)
        for plot in (self.plot, self.strip):
            style_axes(plot, theme)
        lut = theme.sequential_lut
        self._lut = lut
        self._brushes = None
        self.color_bar.setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut))
        bar_axis = self.color_bar.axis
        bar_axis.setPen(pg.mkPen(P.foreground))
        bar_axis.setTextPen(pg.mkPen(P.foreground))
        bar_axis.setTickFont(theme.font("tick"))
        no_si_prefix(bar_axis)
        bar_axis.setWidth(None)  # pyqtgraph fixes 45 px: too narrow for "0.675" at a projector's font, so no labels
        self.contours.setPen(pg.mkPen(QtGui.QColor(255, 255, 255, 110), width=theme.line(1.2)))
        w = theme.line(2.5) * theme.scale
        for under, over in (self.path_lines, self.tail_lines):
            under.setPen(pg.mkPen(BLACK, width=w + 2.5))
            over.setPen(pg.mkPen(WHITE, width=w))
        self.tail_lines[1].setPen(pg.mkPen(WHITE, width=w, style=QtCore.Qt.PenStyle.DashLine))
        self.step_lines[0].setPen(pg.mkPen(BLACK, width=w + 3.5))
        self.step_lines[1].setPen(pg.mkPen(STEP_COLOR, width=w + 1.0))
        self.step_head.setStyle(brush=pg.mkBrush(STEP_COLOR), pen=pg.mkPen(BLACK, width=1.5),
                                headLen=18 * theme.scale)
        size = 11.0 * theme.scale
        self.path_points.setSize(size * 0.7)
        self.path_points.setPen(pg.mkPen(BLACK, width=1.2))
        self.start_point.setSize(size)
        self.start_point.setPen(pg.mkPen(BLACK, width=2))
        self.start_point.setBrush(pg.mkBrush(WHITE))
        self.current_point.setSize(size * 1.9)
        self.current_point.setPen(pg.mkPen(BLACK, width=theme.line(3.5)))
        self.current_point.setBrush(pg.mkBrush(WHITE))
        self.next_point.setSize(size * 1.3)
        self.next_point.setPen(pg.mkPen(BLACK, width=2))
        self.next_point.setBrush(pg.mkBrush(STEP_COLOR))
        for label in (self.current_label, self.next_label, self.stale_label):
            label.setFont(theme.font("label", bold=label is self.current_label))
            label.fill = pg.mkBrush(P.panel)
            label.border = pg.mkPen(P.panel_border)
            label.setColor(P.foreground)
        self.stale_label.setColor(P.warning if not P.dark else QtGui.QColor(255, 200, 80))
        self.strip_true.setPen(pg.mkPen(P.foreground, width=theme.line(2.5)))
        self.strip_surface.setPen(pg.mkPen(P.highlight, width=theme.line(2.5), style=QtCore.Qt.PenStyle.DashLine))
        style_legend(self.strip_legend, theme, framed=False)
        self.strip.getAxis("left").setTickFont(theme.font("tick"))
        self._restyle_race()
        if self.result is not None:
            self.show_result(self.result)
            if self.point is not None:
                self.show_point(self.point)
        else:
            set_title(self.plot, "", theme)

    # -------------------------------------------------------------- the surface

    def set_scale(self, scale: str) -> None:
        """Colours linear, logarithmic or "auto" (log when J spans more than LOG_AUTO×)."""
        self.scale = scale if scale in SCALES else "auto"
        if self.result is not None:
            self.show_result(self.result)

    def set_precision(self, precision: fmt.Precision) -> None:
        self.precision = precision
        if self.point is not None:
            self.show_point(self.point)

    def show_result(self, result) -> None:
        """Draw a computed surface: heatmap, level curves, colour bar, axes, the path and the strip."""
        self.result = result
        theme, P = self._theme, self._theme.palette
        a, b = np.asarray(result.a, float), np.asarray(result.b, float)
        values, (lo, hi), self.log = colour_values(np.asarray(result.loss, float), self.scale)
        self._levels = (lo, hi)
        self.image.setImage(values, levels=(lo, hi), lut=self._lut, autoLevels=False)
        da = (a[-1] - a[0]) / max(1, a.size - 1)
        db = (b[-1] - b[0]) / max(1, b.size - 1)
        self.image.setRect(QtCore.QRectF(a[0] - da / 2, b[0] - db / 2, da * a.size, db * b.size))
        self._draw_levels(values, a, b, lo, hi)
        self.color_bar.setLevels((lo, hi))
        bar_axis = self.color_bar.axis
        if self.log:
            bar_axis.setTicks(log_ticks(lo, hi))  # the bar runs in log₁₀ J, as do the ticks
        else:
            bar_axis.setTicks(None)
        j = "J + penalty" if result.penalized else "J"  # not the loss curve's J: the penalty is in it
        bar_axis.setLabel(f"{j} (log scale)" if self.log else j,
                          **{"color": P.foreground.name(), "font-size": f"{theme.pt('label')}pt"})
        vb = self.plot.getViewBox()
        vb.setRange(xRange=(a[0] - da / 2, a[-1] + da / 2), yRange=(b[0] - db / 2, b[-1] + db / 2), padding=0.0)
        self.stale_label.setPos(a[0], b[-1])
        self._draw_path(result)
        self._draw_strip(result)
        self.tail_lines[0].setData([], [])
        self.tail_lines[1].setData([], [])
        self._axis_labels()

    def clear_result(self) -> None:
        """Nothing drawn: the network changed, and a surface of the one before would show its numbers as this
        one's."""
        self.result = None
        self.image.clear()
        self.contours.setData([], [])
        for item in self.path_lines + self.tail_lines:
            item.setData([], [])
        for item in (self.path_points, self.start_point):
            item.setData([])
        self.strip_true.setData([], [])
        self.strip_surface.setData([], [])
        self._strip_wanted = False
        self._show_strip()
        self.show_stale(None)
        self.show_point(None)
        set_title(self.plot, "", self._theme)
        for side in ("bottom", "left"):
            set_label(self.plot, side, "", self._theme)

    def _draw_levels(self, values, a, b, lo, hi) -> None:
        xs, ys = [], []
        for level in np.linspace(lo, hi, LEVELS + 2)[1:-1]:
            x, y = iso_segments(values.T, float(level))  # rows: b, columns: a
            xs.append(x)
            ys.append(y)
        x, y = np.concatenate(xs), np.concatenate(ys)
        da = (a[-1] - a[0]) / max(1, a.size - 1)
        db = (b[-1] - b[0]) / max(1, b.size - 1)
        self.contours.setData(a[0] + (x - 0.5) * da, b[0] + (y - 0.5) * db, connect="pairs")

    def _lut_rows(self, loss) -> np.ndarray:
        """The map's colour (a row of its lookup table) of each J."""
        loss = np.asarray(loss, float)
        lo, hi = self._levels
        with np.errstate(all="ignore"):
            v = np.log10(np.maximum(loss, 10 ** lo)) if self.log else loss
            t = np.clip((v - lo) / (hi - lo), 0.0, 1.0)
        t = np.where(np.isfinite(t), t, 1.0)
        return np.round(t * (len(self._lut) - 1)).astype(int)

    def colors_of(self, loss) -> list[QtGui.QColor]:
        """The heatmap's colour of each J (so a point coloured by its true J matches the surface where they agree)."""
        return [QtGui.QColor(int(r), int(g), int(b_)) for r, g, b_, _ in self._lut[self._lut_rows(loss)]]

    def brushes_of(self, loss) -> list[QtGui.QBrush]:
        """colors_of's colours as brushes, one QBrush per colour of the map: pyqtgraph renders a dot's symbol
        once per brush object, so fresh brushes for every surface would render every dot's symbol again."""
        if self._brushes is None or len(self._brushes) != len(self._lut):
            self._brushes = [pg.mkBrush(QtGui.QColor(int(r), int(g), int(b_))) for r, g, b_, _ in self._lut]
        return [self._brushes[i] for i in self._lut_rows(loss)]

    def _draw_path(self, result) -> None:
        if result.path is None or len(result.path) == 0:
            for item in self.path_lines:
                item.setData([], [])
            self.path_points.setData([])
            self.start_point.setData([])
            return
        path = np.asarray(result.path, float)
        # A path's points are often a fraction of a pixel from the one before (a long run's, as `ffviz surface`
        # draws it; the window's carries at most the timeline's DISPLAY_POINTS): drawn, only the points that
        # enter a new cell of 1/PATH_CELLS of the grid's width and height, whose line stays within a cell.
        cells = ((result.a[-1] - result.a[0]) / PATH_CELLS, (result.b[-1] - result.b[0]) / PATH_CELLS)
        drawn = path[visible_path(path, cells)]
        for item in self.path_lines:
            item.setData(drawn[:, 0], drawn[:, 1])
        # at most ~200 dots: more would hide the surface under them
        every = max(1, int(math.ceil(len(path) / 200)))
        idx = np.arange(0, len(path), every)
        self.path_points.setData(pos=path[idx], brush=self.brushes_of(result.path_loss[idx]))
        self.start_point.setData(pos=path[:1])

    def _draw_strip(self, result) -> None:
        P = self._theme.palette
        if result.path is None or result.path_steps is None or len(result.path_steps) < 2:
            self.strip_true.setData([], [])
            self.strip_surface.setData([], [])
            self._strip_wanted = False
            self._show_strip()
            return
        self._strip_wanted = True
        self._show_strip()
        steps = np.asarray(result.path_steps, float)
        true, under = np.asarray(result.path_loss, float), np.asarray(result.path_surface_loss, float)
        per_bin = len(steps) // PATH_CELLS  # a long path's (`ffviz surface`): its extremes per pixel column
        self.strip_true.setData(*peak_decimate(steps, true, per_bin)[:2])
        self.strip_surface.setData(*peak_decimate(steps, under, per_bin)[:2])
        both = np.concatenate([true[np.isfinite(true)], under[np.isfinite(under)]])
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        pad = 0.08 * (hi - lo) if hi > lo else 0.5
        self.strip.setXRange(steps[0], steps[-1], padding=0.02)
        self.strip.setYRange(lo - pad, hi + pad, padding=0.0)
        set_label(self.strip, "bottom", "update", self._theme)
        set_label(self.strip, "left", "J", self._theme)
        self.strip.getAxis("left").setTextPen(pg.mkPen(P.foreground))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if hasattr(self, "strip") and not getattr(self, "closed", False):  # pyqtgraph's close() clears the scene
            self._show_strip()
            self._title()  # it fits the canvas's new width
            if self.result is not None and event.oldSize() != event.size():
                self._readout()  # one line or two per weight, or none: it depends on the room

    def _show_strip(self) -> None:
        """The strip only when there is a path to draw and room for it: in a short dock the map comes first."""
        on = self._strip_wanted and self.height() >= STRIP_ROOM * self._theme.scale
        if on == self.strip.isVisible() and (on or self.strip.maximumHeight() == 0):
            return
        # a hidden item keeps its row in a QGraphicsGridLayout: collapse it, so the map takes the height
        self.strip.setVisible(on)
        self.strip.setMaximumHeight(16777215 if on else 0)
        self.strip.setMinimumHeight(80 * self._theme.scale if on else 0)
        self.ci.layout.setRowStretchFactor(2, 1 if on else 0)

    def _axis_labels(self) -> None:
        r = self.result
        if r is None:
            return
        set_label(self.plot, "bottom", r.names[0], self._theme)
        set_label(self.plot, "left", r.names[1], self._theme)
        self._readout()

    def _readout(self) -> None:
        """Where the run is along each axis and the slope there: the numbers −η∇J is made of."""
        r, point, P = self.result, self.point, self._theme.palette
        if r is None or point is None or self.race_labels:
            text = ""  # a race's legend takes the readout's place: the point's numbers are in the title
        else:
            p = self.precision
            rows = []
            lr = point.learning_rate
            update = point.update_ab if point.update_ab is not None else (None, None)
            f = lambda x: fmt.number(x, p)  # noqa: E731
            plain = all(uv is None or math.isclose(uv, nv, rel_tol=1e-9, abs_tol=1e-12)
                        for uv, nv in zip(update, point.next_ab))
            for n, v, g, nv, uv in zip(r.names, point.ab, point.gradient_ab, point.next_ab, update):
                if plain:  # plain full-batch gradient descent: the next update is w − η·∂J/∂w
                    slope = f(g) if g >= 0 else f"({f(g)})"
                    rows.append((f"{n}:  {f(v)} − {f(lr)}·{slope}", f" = {f(nv)}"))
                else:  # momentum, Adam, a mini-batch or a frozen weight: the update is not −η times this slope
                    rows.append((f"{n}:  {f(v)} → {f(uv)}", f"   (−η·∂J/∂w = {f(nv - v)})"))
            note = [] if plain else [f"→ the run's next update ({point.update_rule or 'its rule'}), not the −η∇J arrow"]
            text = "<br>".join([a + b for a, b in rows] + note)
            font = self._theme.font("label")
            metrics = QtGui.QFontMetricsF(font)
            room = self.width() - 16
            line = metrics.lineSpacing()
            # the map keeps at least MAP_ROOM of the height: in a short dock the readout gives way first
            spare = self.height() - MAP_ROOM * self._theme.scale
            lines = len(rows) + len(note)
            if room > 0 and max(metrics.horizontalAdvance(a + b) for a, b in rows) > room \
                    and spare >= (2 * len(rows) + len(note)) * line:
                # a narrow dock: each weight on two lines rather than its result cut off
                text = "<br>".join([f"{a}<br>&nbsp;&nbsp;&nbsp;{b.strip()}" for a, b in rows] + note)
            elif self.height() > 0 and spare < lines * line:
                text = ""  # no room: the map's labels and title carry the point's numbers
        for k, label in enumerate(self.race_labels):  # the race's legend: a line of its colour, then its words
            color = self._theme.class_color(k).name()
            text += f"{'<br>' if text else ''}<span style='color: {color}'>━━</span> {label}"
        self.readout.setText(text, color=P.foreground.name(), size=f"{self._theme.pt('label')}pt")

    # -------------------------------------------------------------- the run now

    def show_point(self, point) -> None:
        """Where the run is now, J there and the next step −η∇J, with their numbers."""
        self.point = point
        if point is None:
            for item in (self.current_point, self.next_point):
                item.setData([])
            for item in self.step_lines:
                item.setData([], [])
            self.step_head.hide()
            self.current_label.hide()
            self.next_label.hide()
            self._readout()
            return
        p = self.precision
        (a, b), (na, nb) = point.ab, point.next_ab
        self.current_point.setData(pos=[(a, b)])
        self.next_point.setData(pos=[(na, nb)])
        for item in self.step_lines:
            item.setData([a, na], [b, nb])
        length = math.hypot(na - a, nb - b)
        if length > 0 and self._on_screen_length(a, b, na, nb) > 14 * self._theme.scale:
            # pyqtgraph's ArrowItem points its tip along angle (degrees, screen coordinates: y down)
            sx, sy = self._screen_vector(a, b, na, nb)
            self.step_head.setStyle(angle=math.degrees(math.atan2(sy, sx)) + 180.0)
            self.step_head.setPos(na, nb)
            self.step_head.show()
        else:
            self.step_head.hide()
        self.current_label.setText(f"({fmt.number(a, p)}, {fmt.number(b, p)})")
        self.next_label.setText(f"({fmt.number(na, p)}, {fmt.number(nb, p)})")
        self._place_labels(a, b, na, nb)
        self._title()
        self._axis_labels()

    def _title(self) -> None:
        """J, the update and η over the map; in a narrow dock the longest form that fits (a title wider than
        the map is cut at its edges: "at update 10" read "at update 1")."""
        point, p = self.point, self.precision
        if point is None:
            return
        j = "J + penalty" if self.result is not None and self.result.penalized else "J"
        loss, step, lr = fmt.number(point.loss, p), point.step, fmt.number(point.learning_rate, p)
        forms = (f"{j} = {loss} at update {step}   ·   η = {lr}", f"{j} = {loss} at update {step}",
                 f"{j} = {loss} · update {step}")
        metrics = QtGui.QFontMetricsF(self._theme.font("title"))
        # the canvas's width, not the plot's: a title too long widens the plot past the canvas's edge
        room = self.width() - self.color_bar.width() - 16 - 12
        title = next((t for t in forms if metrics.horizontalAdvance(t) <= room), forms[-1])
        set_title(self.plot, title, self._theme)

    def _place_labels(self, a, b, na, nb) -> None:
        """Each label grows towards the middle of the map (so it stays inside) and the two apart vertically
        (the higher one upwards), so neither hides the other nor the arrow between them."""
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        cx = (x0 + x1) / 2
        left = a >= cx  # towards the middle...
        path = None if self.result is None else self.result.path
        if path is not None and len(path) > 1:
            dx = a - float(path[0][0])
            if abs(dx) > 0.02 * (x1 - x0):
                left = dx < 0  # ...unless the path lies that way: then away from it, not over it
                if (left and a < x0 + 0.3 * (x1 - x0)) or (not left and a > x1 - 0.3 * (x1 - x0)):
                    left = not left  # no room on that side
        upper_is_current = b >= nb
        for label, x, y, up in ((self.current_label, a, b, upper_is_current),
                                (self.next_label, na, nb, not upper_is_current)):
            if label is self.next_label and label.toPlainText() == self.current_label.toPlainText():
                label.hide()  # a step too small for the digits shown: one label, not the same one twice
                continue
            if up and y > y0 + 0.85 * (y1 - y0):
                up = False  # no room above
            elif not up and y < y0 + 0.15 * (y1 - y0):
                up = True
            label.setAnchor((self._anchor_that_fits(label, x, y, left), 1.0 if up else 0.0))
            label.setPos(x, y)
            label.show()

    def _replace_labels(self, *_args) -> None:
        if self.point is not None and not getattr(self, "closed", False) and self.current_label.isVisible():
            (a, b), (na, nb) = self.point.ab, self.point.next_ab
            self._place_labels(a, b, na, nb)

    def _anchor_that_fits(self, label, x, y, left: bool) -> float:
        """The label's horizontal anchor: 1 (growing left) or 0 (right) as asked, shifted as little as needed
        to keep it inside the map, which clips what sticks out ("(0.232, 0.28" for (0.232, 0.280) in a
        narrow dock). It stays above or below its point, so the point shows."""
        vb = self.plot.getViewBox()
        box = vb.sceneBoundingRect()
        px = vb.mapViewToScene(QtCore.QPointF(x, y)).x()
        width = label.boundingRect().width()
        if width <= 0:
            return 1.0 if left else 0.0
        lo = (px + width - box.right()) / width  # at least this much of it left of the point...
        hi = (px - box.left()) / width  # ...and at most this much
        anchor = min(max(1.0 if left else 0.0, lo), hi)
        return min(max(anchor, 0.0), 1.0)

    def _screen_vector(self, a, b, na, nb) -> tuple[float, float]:
        vb = self.plot.getViewBox()
        p0, p1 = vb.mapViewToScene(QtCore.QPointF(a, b)), vb.mapViewToScene(QtCore.QPointF(na, nb))
        return p1.x() - p0.x(), p1.y() - p0.y()

    def _on_screen_length(self, a, b, na, nb) -> float:
        return math.hypot(*self._screen_vector(a, b, na, nb))

    def show_tail(self, ab: np.ndarray) -> None:
        """The run's path since the surface was computed (dashed): it goes on while the picture waits."""
        ab = np.asarray(ab, float).reshape(-1, 2)
        for item in self.tail_lines:
            item.setData(ab[:, 0], ab[:, 1])

    def show_stale(self, text: str | None) -> None:
        if text:
            self.stale_label.setText(text)
            self.stale_label.show()
        else:
            self.stale_label.hide()

    # -------------------------------------------------------------- races

    def show_race(self, race) -> None:
        """Overlay each contender's path (drawn up to where it leaves the plot), each named with its J at the
        end in the readout under the map; None clears."""
        self.race = race
        paths = () if race is None else race.paths
        labels = []
        while len(self.race_curves) < len(paths):
            under, over = halo_curve(4)
            end = pg.ScatterPlotItem(pxMode=True, symbol="x")
            end.setZValue(4.2)
            for item in (under, over, end):
                self.plot.addItem(item)
            self.race_curves.append((under, over, end))
        self._restyle_race()
        for k, (under, over, end) in enumerate(self.race_curves):
            if k >= len(paths):
                under.setData([], [])
                over.setData([], [])
                end.setData([])
                continue
            rp = paths[k]
            xy = np.asarray(rp.path, float)
            under.setData(xy[:, 0], xy[:, 1])
            over.setData(xy[:, 0], xy[:, 1])
            end.setData(pos=xy[-1:])
            label = f"{rp.label}: J = {fmt.number(rp.loss[-1], self.precision)}"
            if rp.diverged:
                label = f"{rp.label}: diverged at update {rp.diverged_at}"
            labels.append(label)
        self.race_labels = labels
        self._readout()

    def _restyle_race(self) -> None:
        w = self._theme.line(2.5) * self._theme.scale
        for k, (under, over, end) in enumerate(self.race_curves):
            c = self._theme.class_color(k)
            under.setPen(pg.mkPen(BLACK, width=w + 2.5))
            over.setPen(pg.mkPen(c, width=w))
            end.setPen(pg.mkPen(BLACK, width=1.5))
            end.setBrush(pg.mkBrush(c))
            end.setSize(14 * self._theme.scale)

    # -------------------------------------------------------------- clicks

    def _on_click(self, event) -> None:
        if self.result is None or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        at = vb.mapSceneToView(event.scenePos())
        a, b = float(at.x()), float(at.y())
        if self.result.contains(a, b):
            event.accept()
            self.clicked.emit(a, b)
