"""Live plots: the network's output over the input plane (the decision boundary) and the loss curves.

Both draw snapshots and nothing else. Items are built once per structure (task and class count) and updated
with setImage/setData every frame; `clear()` + `plot()` per frame would leak (pyqtgraph #2348).
Sizes are chosen to be read from the back of a lecture hall.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.ui import theme

# Antialiased lines wider than 1 px are stroked very slowly by Qt's raster engine (a 3 px loss curve of a
# few thousand points took ~100 ms a frame); drawn as separate segments they take ~10x less.
pg.setConfigOption("segmentedLineMode", "on")

BACKGROUND = QtGui.QColor(255, 255, 255)
FOREGROUND = QtGui.QColor(40, 40, 40)  # axes, ticks, titles
TICK_PT = 13
LABEL_PT = 15
TITLE_PT = 16
LEGEND_PT = 14
CURVE_WIDTH = 3.0

# How far the background colours are lightened towards white, so the saturated points stay readable on it.
BACKGROUND_WASH = 0.35
TRAIN_COLOR = QtGui.QColor(30, 30, 30)
TEST_COLOR = QtGui.QColor(0, 158, 115)  # Okabe–Ito bluish green: apart from the orange/blue of the classes
BATCH_COLOR = QtGui.QColor(150, 150, 150, 110)
STEP_LINE_COLOR = QtGui.QColor(120, 120, 120)
CONTOUR_COLOR = QtGui.QColor(20, 20, 20)
HOLLOW_FILL = QtGui.QColor(255, 255, 255, 190)
LEGEND_GREY = QtGui.QColor(90, 90, 90)

NOT_2D_MESSAGE = "the decision boundary needs 2-D inputs"


# ---------------------------------------------------------------- shared styling

def _font(points: int, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


def _style_axes(plot: pg.PlotItem) -> None:
    """Dark axes with large tick labels on a white background."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND, width=1.5))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(_font(TICK_PT))
        axis.setStyle(tickLength=-8, tickTextOffset=6, maxTickLevel=1)
        axis.enableAutoSIPrefix(False)  # "loss J (x0.001)" above ticks of 300 reads worse than 0.3
        # Painted from a cached pixmap until the range changes: re-drawing tick text every frame cost ~1 ms
        # per axis, and ranges change rarely (fixed planes, stepped loss ranges).
        axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _set_label(plot: pg.PlotItem, side: str, text: str) -> None:
    plot.setLabel(side, text, **{"color": FOREGROUND.name(), "font-size": f"{LABEL_PT}pt"})


def _set_title(plot: pg.PlotItem, html: str) -> None:
    """Set a plot's title. After the first time, only the text is replaced: PlotItem.setTitle re-lays out
    the plot on every call, which paints it a second time each frame."""
    label = plot.titleLabel
    if getattr(label, "_ffviz_styled", False) and label.isVisible():
        if label.text != html:
            label.text = html
            label.item.setHtml(f"<span style='color: {FOREGROUND.name()}; font-size: {TITLE_PT}pt'>{html}</span>")
            label.resizeEvent(None)  # re-centre the text in the title row, whose height is fixed
        return
    plot.setTitle(html, color=FOREGROUND.name(), size=f"{TITLE_PT}pt")
    label._ffviz_styled = True


def _fmt(value: float) -> str:
    """A loss or accuracy for the title: 4 significant digits; a dash when unknown, ∞ when it blew up."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}"


def _washed(rgb) -> np.ndarray:
    """Colours (…, 3) moved BACKGROUND_WASH of the way to white: the plane stays lighter than the points."""
    rgb = np.asarray(rgb, dtype=float)
    return rgb * (1.0 - BACKGROUND_WASH) + 255.0 * BACKGROUND_WASH


def _background_lut() -> np.ndarray:
    lut = theme.diverging_lut(256).copy()
    lut[:, :3] = np.round(_washed(lut[:, :3])).astype(np.uint8)
    return lut


def _point_lut() -> np.ndarray:
    """Regression points: the diverging map darkened towards its middle, so a target near 0 stays visible
    as a grey dot on the near-white plane (the ends keep their colours)."""
    lut = theme.diverging_lut(256).astype(float)
    t = np.abs(np.linspace(-1.0, 1.0, len(lut)))
    lut[:, :3] *= (1.0 - 0.38 * (1.0 - t))[:, None]
    return np.round(lut).astype(np.uint8)


_STEPS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def step_ceil(value: float) -> float:
    """The smallest of 1, 1.25, 1.5, 2, … 8 × 10ᵏ at or above `value`: an axis end that changes rarely."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(value))
    for m in _STEPS:
        if value <= m * e * (1 + 1e-9):
            return m * e
    return 10.0 * e


def nice_ceil(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ at or above `value` (1 for zero or non-finite): a colour bar's end."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if value <= m * e * (1 + 1e-9):
            return m * e
    return 10.0 * e


class _Sample(pg.ItemSample):
    """A legend sample that only explains; clicking it does not hide points."""

    def mouseClickEvent(self, event):
        event.accept()


# ---------------------------------------------------------------- the ŷ = 0.5 contour

def iso_segments(data: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares, vectorised: the level curve of a row-major grid as line segments.

    Returns x, y of segment end points in pairs (x[0]–x[1], x[2]–x[3], …), in the image item's pixel
    coordinates: sample [row, col] sits at the pixel centre (col + 0.5, row + 0.5). NaN samples make no line.
    """
    d = np.asarray(data, dtype=float)
    if d.ndim != 2 or d.shape[0] < 2 or d.shape[1] < 2:
        return np.empty(0), np.empty(0)
    a, b, c, e = d[:-1, :-1], d[:-1, 1:], d[1:, 1:], d[1:, :-1]  # corners: (r,c) (r,c+1) (r+1,c+1) (r+1,c)
    with np.errstate(invalid="ignore"):
        above = d >= level
    A, B, C, E = above[:-1, :-1], above[:-1, 1:], above[1:, 1:], above[1:, :-1]
    rows, cols = np.indices(a.shape, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # The crossing point on each cell edge (x, y); edges: 0 top a–b, 1 right b–c, 2 bottom e–c, 3 left a–e
        edges = (
            (cols + (level - a) / (b - a), rows),
            (cols + 1.0, rows + (level - b) / (c - b)),
            (cols + (level - e) / (c - e), rows + 1.0),
            (cols, rows + (level - a) / (e - a)),
        )
        centre_above = (a + b + c + e) / 4.0 >= level
    crossed = (A != B, B != C, E != C, A != E)
    count = sum(h.astype(np.int8) for h in crossed)
    saddle = count == 4
    # A saddle's centre decides which corners connect: with the centre on a's side, b and e are cut off.
    keep_ac = saddle & (centre_above == A)
    pairs = []
    for i in range(4):
        for j in range(i + 1, 4):
            pairs.append((i, j, (count == 2) & crossed[i] & crossed[j]))
    pairs += [(0, 1, keep_ac), (2, 3, keep_ac), (0, 3, saddle & ~keep_ac), (1, 2, saddle & ~keep_ac)]
    xs, ys = [], []
    for i, j, m in pairs:
        if not m.any():
            continue
        x0, y0 = edges[i][0][m], edges[i][1][m]
        x1, y1 = edges[j][0][m], edges[j][1][m]
        xs.append(np.column_stack([x0, x1]).ravel())
        ys.append(np.column_stack([y0, y1]).ravel())
    if not xs:
        return np.empty(0), np.empty(0)
    x, y = np.concatenate(xs) + 0.5, np.concatenate(ys) + 0.5
    ok = np.isfinite(x) & np.isfinite(y)
    ok = (ok[0::2] & ok[1::2]).repeat(2)  # drop a segment if either end is not finite
    return x[ok], y[ok]


class BoundaryContour(pg.IsocurveItem):
    """IsocurveItem with vectorised marching squares (pyqtgraph's runs a Python loop per cell: ~10 ms at 100²).

    Parent it to the ImageItem: its coordinates are the image's pixels, so setRect on the image moves both.
    """

    def generatePath(self):
        if self.data is None:
            self.path = None
            return
        x, y = iso_segments(self.data, self.level)
        self.path = pg.arrayToQPath(x, y, connect="pairs") if x.size else QtGui.QPainterPath()

    def segment_count(self) -> int:
        """How many line segments the curve has now (0: the level is not crossed anywhere)."""
        if self.data is None:
            return 0
        return iso_segments(self.data, self.level)[0].size // 2


# ---------------------------------------------------------------- the decision boundary

def _is_newer(snap, last_key) -> bool:
    return last_key is None or (snap.run_id, snap.serial) >= last_key


def _axis_names(snap) -> tuple[str, str]:
    """The raw plane's axes: X₁ and X₂, or a CSV file's two column names."""
    pretty = {"x1": "X₁", "x2": "X₂"}
    ds = snap.dataset
    if snap.config.data.features is None and len(ds.feature_names) == 2:
        return tuple(pretty.get(n, n) for n in ds.feature_names)
    return "X₁", "X₂"


class DecisionBoundaryPlot(pg.PlotWidget):
    """The network's output ŷ over the input plane, with the training points (filled) and test points (hollow).

    binary: ŷ on a fixed orange (0) → white (0.5) → blue (1) map and the ŷ = 0.5 contour;
    multiclass: each pixel in its most likely class's colour, paler where the network is less sure;
    regression: ŷ on a symmetric diverging map with a colour bar.
    """

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        pi = self.getPlotItem()
        self.plot_item = pi
        pi.setMenuEnabled(False)  # its export menu offers pyqtgraph's SVG exporter, broken with Qt 6 (#3485)
        pi.hideButtons()
        _style_axes(pi)
        vb = pi.getViewBox()
        vb.setMouseEnabled(False, False)
        vb.setAspectLocked(True, ratio=1.0)
        vb.disableAutoRange()
        vb.setDefaultPadding(0.0)

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        pi.addItem(self.image)
        self.contour = BoundaryContour(level=0.5, pen=pg.mkPen(CONTOUR_COLOR, width=3))
        self.contour.setParentItem(self.image)

        self.message = pg.TextItem(NOT_2D_MESSAGE, color=FOREGROUND, anchor=(0.5, 0.5))
        self.message.setFont(_font(LABEL_PT))
        self.message.setPos(0.5, 0.5)
        self.message.hide()
        pi.addItem(self.message, ignoreBounds=True)

        self.legend = pg.LegendItem(labelTextSize=f"{LEGEND_PT}pt", labelTextColor=FOREGROUND, sampleType=_Sample,
                                    horSpacing=12)
        # A LegendItem ignores transformations (it floats over a view): in a layout it must scale with the
        # rest of the plot, or a PNG exported wider keeps a small legend.
        self.legend.setFlag(self.legend.GraphicsItemFlag.ItemIgnoresTransformations, False)
        pi.layout.addItem(self.legend, 4, 1, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
        self._legend_proxies: list[pg.ScatterPlotItem] = []

        self.color_bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=self._regression_colormap(),
                                         interactive=False, width=22, colorMapMenu=False)
        bar_axis = self.color_bar.axis
        bar_axis.setPen(pg.mkPen(FOREGROUND))
        bar_axis.setTextPen(pg.mkPen(FOREGROUND))
        bar_axis.setTickFont(_font(TICK_PT))
        bar_axis.setStyle(maxTickLevel=0)
        bar_axis.enableAutoSIPrefix(False)
        bar_axis.setLabel("ŷ", **{"color": FOREGROUND.name(), "font-size": f"{LABEL_PT}pt"})
        self.color_bar.hide()
        self._color_bar_in_layout = False

        self.train_items: list[pg.ScatterPlotItem] = []
        self.test_items: list[pg.ScatterPlotItem] = []
        self._structure = None
        self._last_key = None
        self._last_dataset = None
        self._last_extent = None
        self._snap = None
        self._scale = 1.0  # regression: the colour map spans [-scale, +scale]
        self._target_scale = 1.0  # … starting from the targets' largest |y|, growing to fit ŷ (at most 10×)
        self._show_test = True
        self._discretize = False
        self._lut = _background_lut()
        self._point_colors = [QtGui.QColor(*map(int, c[:3])) for c in _point_lut()]
        self._axis_labels = None
        self._set_axis_labels(("X₁", "X₂"))

    # -------------------------------------------------------------- public

    @property
    def snapshot(self):
        """The snapshot drawn last (None before the first)."""
        return self._snap

    def show_snapshot(self, snap) -> bool:
        """Draw `snap`; returns False (and draws nothing) for a snapshot older than the one on screen."""
        if not _is_newer(snap, self._last_key):
            return False
        first_of_run = self._last_key is None or self._last_key[0] != snap.run_id
        self._last_key = (snap.run_id, snap.serial)
        self._snap = snap
        ds = snap.dataset
        if ds.raw_train is None:
            self._show_message()
            self._last_dataset = ds
            return True
        self._hide_message()
        rebuilt = (ds.task, ds.n_classes, ds.y_train.shape[1]) != self._structure
        if rebuilt:
            self._build_structure(ds)
        if rebuilt or ds is not self._last_dataset:
            self._set_points(ds)
            self._set_axis_labels(_axis_names(snap))
        extent = snap.plane.extent if snap.plane is not None else ds.extent
        if extent != self._last_extent:
            self._set_extent(extent)
        if snap.plane is not None:
            self._draw_plane(snap.plane)
        elif first_of_run:  # no plane for this run yet: an old run's picture would mislead
            self.image.hide()
            self.contour.hide()
        return True

    def set_show_test(self, show: bool) -> None:
        """Show or hide the test points (hollow)."""
        self._show_test = bool(show)
        for item in self.test_items:
            item.setVisible(self._show_test and not self.message.isVisible())

    def set_discretize(self, on: bool) -> None:
        """Playground's "discretize output": every pixel in its class's colour, no shades of certainty."""
        self._discretize = bool(on)
        if self._snap is not None and self._snap.plane is not None and not self.message.isVisible():
            self._draw_plane(self._snap.plane)

    @property
    def show_test(self) -> bool:
        return self._show_test

    @property
    def discretize(self) -> bool:
        return self._discretize

    @property
    def message_visible(self) -> bool:
        return self.message.isVisible()

    # -------------------------------------------------------------- structure

    def _build_structure(self, ds) -> None:
        """New task or class count: new scatter items and legend entries (old ones leave the scene)."""
        pi = self.plot_item
        for item in self.train_items + self.test_items:
            pi.removeItem(item)
        self.legend.clear()
        self._legend_proxies = []
        self.train_items, self.test_items = [], []
        size = theme.BASE_POINT_SIZE
        if ds.task == "regression":
            groups = [(None, "train")]
        else:
            groups = [(self._class_qcolor(ds, j), self._class_name(ds, j)) for j in range(max(ds.n_classes, 2))]
        for color, name in groups:
            fill = color if color is not None else LEGEND_GREY
            train = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(255, 255, 255, width=1.5),
                                       brush=pg.mkBrush(fill), pxMode=True)
            ring = color if color is not None else LEGEND_GREY
            test = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(ring, width=3.0),
                                      brush=pg.mkBrush(HOLLOW_FILL), pxMode=True)
            train.setZValue(5)
            test.setZValue(6)
            pi.addItem(train)
            pi.addItem(test)
            self.train_items.append(train)
            self.test_items.append(test)
            if color is not None:
                self.legend.addItem(train, name)
            else:
                proxy = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(255, 255, 255, width=1.5),
                                           brush=pg.mkBrush(LEGEND_GREY))
                self._legend_proxies.append(proxy)
                self.legend.addItem(proxy, name)
        self._test_proxy = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(LEGEND_GREY, width=3.0),
                                              brush=pg.mkBrush(HOLLOW_FILL))
        self._test_in_legend = False
        self._set_test_legend(True)
        for item in self.test_items:
            item.setVisible(self._show_test)

        regression = ds.task == "regression"
        if regression and not self._color_bar_in_layout:
            pi.layout.addItem(self.color_bar, 2, 5)
            self._color_bar_in_layout = True
            self.color_bar.show()
        elif not regression and self._color_bar_in_layout:
            pi.layout.removeItem(self.color_bar)
            self._color_bar_in_layout = False
            self.color_bar.hide()
        self.contour.setVisible(ds.task == "binary")
        title = {"binary": "Output ŷ and the boundary ŷ = 0.5", "multiclass": "Most likely class",
                 "regression": "Prediction ŷ"}[ds.task]
        _set_title(pi, title)
        self._structure = (ds.task, ds.n_classes, ds.y_train.shape[1])

    def _set_test_legend(self, present: bool) -> None:
        """The "test" entry only when there are test points to explain."""
        if present and not self._test_in_legend:
            self.legend.addItem(self._test_proxy, "test")
        elif not present and self._test_in_legend:
            self.legend.removeItem(self._test_proxy)
        self._test_in_legend = present
        n = len(self.legend.items)
        self.legend.setColumnCount(max(1, n if n <= 6 else math.ceil(n / 2)))

    @staticmethod
    def _class_qcolor(ds, j: int) -> QtGui.QColor:
        if ds.task == "binary":
            return QtGui.QColor(theme.POSITIVE if j == 1 else theme.NEGATIVE)
        return theme.class_color(j)

    @staticmethod
    def _class_name(ds, j: int) -> str:
        return f"y = {j}" if ds.task == "binary" else f"class {j}"

    @staticmethod
    def _regression_colormap() -> pg.ColorMap:
        lut = _background_lut()
        return pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut)

    # -------------------------------------------------------------- per dataset

    def _set_points(self, ds) -> None:
        """Train and test points; called only when the dataset object changes."""
        self._last_dataset = ds
        self._set_test_legend(ds.raw_test.shape[0] > 0)
        if ds.task == "regression":
            self._target_scale = nice_ceil(float(np.max(np.abs(np.concatenate([ds.y_train[:, 0], ds.y_test[:, 0]])))))
            self._set_scale(self._target_scale)
            return
        labels_train, labels_test = self._labels(ds, ds.y_train), self._labels(ds, ds.y_test)
        for j, (train, test) in enumerate(zip(self.train_items, self.test_items)):
            train.setData(pos=ds.raw_train[labels_train == j])
            test.setData(pos=ds.raw_test[labels_test == j])

    def _set_scale(self, scale: float) -> None:
        """Regression: the colour map spans [-scale, scale]; the colour bar and the points follow."""
        self._scale = scale
        self.color_bar.setLevels((-scale, scale))
        ds = self._last_dataset
        colors = self._point_colors
        brushes = [pg.mkBrush(colors[i]) for i in self._lut_index(ds.y_train[:, 0])]
        self.train_items[0].setData(pos=ds.raw_train, brush=brushes)
        pens = [pg.mkPen(colors[i], width=3.0) for i in self._lut_index(ds.y_test[:, 0])]
        self.test_items[0].setData(pos=ds.raw_test, pen=pens)

    def _fit_scale(self, yhat: np.ndarray) -> None:
        """Widen the scale (in 1-2-5 steps, never narrowing within a dataset) when ŷ outgrows it, so the plane
        is not one flat colour; at most 10× the targets' scale, so a diverging run cannot wash it out."""
        with np.errstate(invalid="ignore"):
            finite = np.abs(yhat[np.isfinite(yhat)])
        if finite.size == 0 or finite.max() <= self._scale:
            return
        wanted = min(nice_ceil(float(finite.max())), nice_ceil(10.0 * self._target_scale))
        if wanted > self._scale:
            self._set_scale(wanted)

    @staticmethod
    def _labels(ds, y: np.ndarray) -> np.ndarray:
        if y.shape[0] == 0:
            return np.zeros(0, dtype=int)
        if ds.task == "binary" or y.shape[1] == 1:
            return (y[:, 0] >= 0.5).astype(int)
        return np.argmax(y, axis=1)

    def _lut_index(self, values: np.ndarray) -> np.ndarray:
        t = np.clip(np.nan_to_num(values / self._scale), -1.0, 1.0)
        return np.round((t + 1.0) * 0.5 * 255).astype(int)

    def _set_axis_labels(self, names) -> None:
        if names != self._axis_labels:
            _set_label(self.plot_item, "bottom", names[0])
            _set_label(self.plot_item, "left", names[1])
            self._axis_labels = names

    def _set_extent(self, extent) -> None:
        x1min, x1max, x2min, x2max = extent
        self.plot_item.getViewBox().setRange(xRange=(x1min, x1max), yRange=(x2min, x2max), padding=0.0)
        self._last_extent = extent

    # -------------------------------------------------------------- per frame

    def _draw_plane(self, plane) -> None:
        out = plane.output
        task = self._structure[0]
        res_rows, res_cols = out.shape[0], out.shape[1]
        if task == "multiclass" and out.shape[2] > 1:
            self.image.setImage(self._class_rgb(out), autoLevels=False, levels=(0, 255), lut=None)
        elif task == "regression":
            self._fit_scale(out[:, :, 0])
            s = self._scale
            self.image.setImage(np.asarray(out[:, :, 0], dtype=float), autoLevels=False, levels=(-s, s),
                                lut=self._lut)
        else:
            yhat = np.asarray(out[:, :, 0], dtype=float)
            shown = (yhat >= 0.5).astype(float) if self._discretize else yhat
            self.image.setImage(shown, autoLevels=False, levels=(0.0, 1.0), lut=self._lut)
            self.contour.setData(yhat, 0.5)
            self.contour.show()
        # Grid samples lie on the extent's edges: each pixel is centred on its sample, half a step beyond.
        x1min, x1max, x2min, x2max = plane.extent
        dx = (x1max - x1min) / max(res_cols - 1, 1)
        dy = (x2max - x2min) / max(res_rows - 1, 1)
        rect = QtCore.QRectF(x1min - dx / 2, x2min - dy / 2, x1max - x1min + dx, x2max - x2min + dy)
        if self.image.mapRectToParent(self.image.boundingRect()) != rect:
            self.image.setRect(rect)
        self.image.show()

    def _class_rgb(self, out: np.ndarray) -> np.ndarray:
        """(res, res, k) probabilities → RGB: the argmax class's colour, washed towards white as p falls to 1/k."""
        k = out.shape[2]
        with np.errstate(invalid="ignore"):
            cls = np.argmax(np.nan_to_num(out, nan=-np.inf), axis=2)
            p = np.clip(np.take_along_axis(out, cls[:, :, None], axis=2)[:, :, 0], 0.0, 1.0)
        colors = np.array([theme.CLASS_COLORS[j % len(theme.CLASS_COLORS)] for j in range(k)], dtype=float)
        strength = 1.0 - BACKGROUND_WASH
        if self._discretize:
            t = np.full(p.shape, strength)
        else:
            t = strength * np.clip((np.nan_to_num(p) - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
        rgb = 255.0 + (colors[cls] - 255.0) * t[:, :, None]
        return np.round(rgb).astype(np.uint8)

    # -------------------------------------------------------------- the 2-D message

    def _show_message(self) -> None:
        pi = self.plot_item
        for item in (self.image, *self.train_items, *self.test_items, self.legend, self.color_bar):
            item.hide()
        pi.hideAxis("left")
        pi.hideAxis("bottom")
        _set_title(pi, "")
        pi.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0.0)
        self._last_extent = None
        self.message.show()

    def _hide_message(self) -> None:
        if not self.message.isVisible():
            return
        self.message.hide()
        pi = self.plot_item
        pi.showAxis("left")
        pi.showAxis("bottom")
        for item in self.train_items:
            item.show()
        for item in self.test_items:
            item.setVisible(self._show_test)
        self.legend.show()
        if self._color_bar_in_layout:
            self.color_bar.show()
        self._structure = None  # rebuild the title and legend for whatever comes now


# ---------------------------------------------------------------- loss and accuracy curves

def _finite(x: np.ndarray, y: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Only the points pyqtgraph can draw: finite, and positive on a log axis."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = min(x.shape[0], y.shape[0])
    x, y = x[:n], y[:n]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(x) & np.isfinite(y)
        if log:
            ok &= y > 0
    return x[ok], y[ok]


class LossCurvePlot(pg.GraphicsLayoutWidget):
    """Train and test loss J against updates (and the faint per-update batch loss), accuracy below.

    The accuracy plot shares the x axis and is hidden for regression.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.ci.setContentsMargins(6, 6, 10, 6)
        self.loss_plot = self.addPlot(row=0, col=0)
        self.accuracy_plot = self.addPlot(row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setMenuEnabled(False)  # see DecisionBoundaryPlot: the built-in SVG export is broken
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            _style_axes(plot)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.accuracy_plot.setXLink(self.loss_plot)
        _set_label(self.loss_plot, "left", "loss J")
        _set_label(self.accuracy_plot, "left", "accuracy (%)")
        _set_label(self.accuracy_plot, "bottom", "updates")
        self.accuracy_plot.setYRange(-10, 110, padding=0.0)  # room for the "0" and "100" labels
        self.accuracy_plot.enableAutoRange(y=False)
        accuracy_axis = self.accuracy_plot.getAxis("left")
        accuracy_axis.setTicks([[(v, str(v)) for v in (0, 25, 50, 75, 100)]])

        self.legend = self.loss_plot.addLegend(offset=(-10, 10), labelTextSize=f"{LEGEND_PT}pt",
                                               labelTextColor=FOREGROUND, brush=pg.mkBrush(255, 255, 255, 210),
                                               pen=pg.mkPen(200, 200, 200))
        self.legend.setFlag(self.legend.GraphicsItemFlag.ItemIgnoresTransformations, False)  # scale in exports
        self.batch_curve = self.loss_plot.plot([], [], pen=pg.mkPen(BATCH_COLOR, width=1), name="batch")
        self.train_curve = self.loss_plot.plot([], [], pen=pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH), name="train")
        self.test_curve = self.loss_plot.plot([], [], pen=pg.mkPen(TEST_COLOR, width=CURVE_WIDTH), name="test")
        self.train_accuracy_curve = self.accuracy_plot.plot([], [], pen=pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH))
        self.test_accuracy_curve = self.accuracy_plot.plot([], [], pen=pg.mkPen(TEST_COLOR, width=CURVE_WIDTH))
        for curve in self.curves:
            curve.setClipToView(True)  # thousands of updates: draw only what is in view, peak-downsampled
            curve.setDownsampling(auto=True, method="peak")
        self.batch_curve.setZValue(-1)
        step_pen = pg.mkPen(STEP_LINE_COLOR, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
        self.step_lines = (pg.InfiniteLine(0, angle=90, pen=step_pen, movable=False),
                           pg.InfiniteLine(0, angle=90, pen=step_pen, movable=False))
        self.loss_plot.addItem(self.step_lines[0], ignoreBounds=True)
        self.accuracy_plot.addItem(self.step_lines[1], ignoreBounds=True)

        self._last_key = None
        self._snap = None
        self._x_end = self._y_range = None  # the ranges set last (see _fit_ranges)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()
        self._log = False
        self._show_batch = True
        self._accuracy_shown = True
        self._has_test = True
        _set_title(self.loss_plot, "")
        _set_title(self.accuracy_plot, "")

    @property
    def curves(self) -> tuple:
        return (self.batch_curve, self.train_curve, self.test_curve, self.train_accuracy_curve,
                self.test_accuracy_curve)

    @property
    def snapshot(self):
        return self._snap

    @property
    def log_scale(self) -> bool:
        return self._log

    @property
    def accuracy_visible(self) -> bool:
        return self._accuracy_shown

    def show_snapshot(self, snap) -> bool:
        """Draw `snap`'s history; returns False (and draws nothing) for a snapshot older than the one on screen."""
        if not _is_newer(snap, self._last_key):
            return False
        if self._last_key is not None and self._last_key[0] != snap.run_id:
            self.clear_curves()
        self._last_key = (snap.run_id, snap.serial)
        self._snap = snap
        self._set_accuracy_shown(snap.dataset.task != "regression")
        has_test = snap.dataset.x_test.shape[0] > 0
        if has_test != self._has_test:
            self._has_test = has_test
            self.test_curve.setVisible(has_test)
            self.test_accuracy_curve.setVisible(has_test)
            if has_test:
                self.legend.addItem(self.test_curve, "test")
            else:
                self.legend.removeItem(self.test_curve)
        self._draw_curves(snap)
        self._draw_labels(snap)
        for line in self.step_lines:
            line.setValue(snap.step)
        return True

    def _fit_ranges(self, snap) -> None:
        """Set the axes' ranges ourselves, in steps: pyqtgraph's auto-range moves them during the paint, which
        paints the plot a second time and redraws the axes every frame."""
        h = snap.history
        x_end = step_ceil(max(10.0, float(snap.step)))
        if x_end != self._x_end:
            self._x_end = x_end
            self.loss_plot.setXRange(0, x_end, padding=0.02)
        values = np.concatenate([np.asarray(h.batch_curve_loss), np.asarray(h.train_loss),
                                 np.asarray(h.test_loss)])
        values = values[np.isfinite(values)]
        if self._log:
            values = values[values > 0]
        if values.size == 0:
            return
        if self._log:
            lo, hi = math.floor(math.log10(values.min())), math.ceil(math.log10(values.max()))
            y_range = (lo, max(hi, lo + 1))
        else:
            y_range = (0.0, step_ceil(float(values.max())))
        if y_range != self._y_range:
            self._y_range = y_range
            self.loss_plot.setYRange(*y_range, padding=0.02)

    def clear_curves(self) -> None:
        """Empty every curve (a new run starts from nothing); the items stay."""
        for curve in self.curves:
            curve.setData([], [])
        self._x_end = self._y_range = None

    def set_log_scale(self, on: bool) -> None:
        """Loss on a log axis (accuracy stays linear)."""
        self._log = bool(on)
        self.loss_plot.setLogMode(y=self._log)
        self._y_range = None
        if self._snap is not None:
            self._draw_curves(self._snap)

    def set_show_batch_loss(self, on: bool) -> None:
        """Show the per-update loss of each mini-batch as a faint line behind the curves."""
        self._show_batch = bool(on)
        self.batch_curve.setVisible(self._show_batch)

    # -------------------------------------------------------------- drawing

    def _draw_curves(self, snap) -> None:
        h = snap.history
        log = self._log
        self.batch_curve.setData(*_finite(h.batch_curve_step, h.batch_curve_loss, log))  # bounded size
        self.train_curve.setData(*_finite(h.eval_step, h.train_loss, log))
        self.test_curve.setData(*_finite(h.eval_step, h.test_loss, log))
        if self._accuracy_shown:
            self.train_accuracy_curve.setData(*_finite(h.eval_step, 100.0 * np.asarray(h.train_accuracy), False))
            self.test_accuracy_curve.setData(*_finite(h.eval_step, 100.0 * np.asarray(h.test_accuracy), False))
        self._fit_ranges(snap)

    def _draw_labels(self, snap) -> None:
        train = f'<span style="color:{TRAIN_COLOR.name()}">train J = {_fmt(snap.train_loss)}</span>'
        test = f'<span style="color:{TEST_COLOR.name()}">test J = {_fmt(snap.test_loss)}</span>'
        parts = [f"step {snap.step}", train] + ([test] if self._has_test else [])
        if snap.diverged is not None:
            parts.append(f'<span style="color:{theme.NONFINITE.name()}">diverged</span>')
        _set_title(self.loss_plot, " &nbsp; ".join(parts))
        if self._accuracy_shown:
            tr = f'<span style="color:{TRAIN_COLOR.name()}">train {_fmt_pct(snap.train_accuracy)}</span>'
            te = f'<span style="color:{TEST_COLOR.name()}">test {_fmt_pct(snap.test_accuracy)}</span>'
            _set_title(self.accuracy_plot, "accuracy &nbsp; " + tr + (" &nbsp; " + te if self._has_test else ""))

    def _set_accuracy_shown(self, show: bool) -> None:
        if show == self._accuracy_shown:
            return
        self._accuracy_shown = show
        if show:
            self.ci.addItem(self.accuracy_plot, row=1, col=0)
            self.ci.layout.setRowStretchFactor(1, 2)
            self.accuracy_plot.show()
        else:
            self.train_accuracy_curve.setData([], [])
            self.test_accuracy_curve.setData([], [])
            self.ci.removeItem(self.accuracy_plot)
            self.accuracy_plot.hide()
        _set_label(self.loss_plot, "bottom", "" if show else "updates")
        self.loss_plot.getAxis("bottom").showLabel(not show)


def _fmt_pct(fraction: float) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "—"
    return f"{100.0 * fraction:.1f} %"
