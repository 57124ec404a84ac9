"""Live plots: the network's output over the input plane (the decision boundary) and the loss curves.

Both draw snapshots and nothing else. Items are built once per structure (task and class count) and updated
with setImage/setData every frame; `clear()` + `plot()` per frame would leak (pyqtgraph #2348).
Sizes are chosen to be read from the back of a lecture hall.

The GUI thread's time per frame is also the training thread's waiting time (see ui/worker.py), so a frame does
only what changed: what never changes between snapshots (the data points, legends, axis labels, fixed titles)
is kept as pixmaps by Qt (_ScreenCache), the curves take finite data with known bounds (_Curve), and the plane
is coloured in one NumPy step (_PlaneImage). benchmarks/ui_frame_cost.py measures it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments

from ffviz.engine.contour import iso_segments
from ffviz.engine.history import peak_decimate
from ffviz.ui import theme

# Antialiased lines wider than 1 px are stroked very slowly by Qt's raster engine (a 3 px loss curve of a
# few thousand points took ~100 ms a frame); drawn as separate segments they take ~10x less.
pg.setConfigOption("segmentedLineMode", "on")
# The app draws antialiased (ui/app.py sets it before any view exists); set here too, so that a view looks,
# and costs, the same wherever it is made: in the app, the tests and benchmarks/ui_*.py.
pg.setConfigOption("antialias", True)

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


def _set_label(plot: pg.PlotItem, side: str, text: str) -> None:
    plot.setLabel(side, text, **{"color": FOREGROUND.name(), "font-size": f"{LABEL_PT}pt"})


def _tree(item: QtWidgets.QGraphicsItem):
    yield item
    for child in item.childItems():
        yield from _tree(child)


def _paints_nothing(item: QtWidgets.QGraphicsItem) -> bool:
    """Containers whose own paint draws nothing: a pixmap cache for them would only be blitted empty."""
    if isinstance(item, (pg.LabelItem, pg.GraphicsLayout, pg.ViewBox, pg.PlotItem)) \
            or type(item).__name__ == "ChildGroup":
        return True
    if isinstance(item, pg.LegendItem):
        return item.opts["pen"] is None and item.opts["brush"] is None
    return isinstance(item, QtWidgets.QGraphicsRectItem) and item.pen().style() == QtCore.Qt.PenStyle.NoPen \
        and item.brush().style() == QtCore.Qt.BrushStyle.NoBrush


class _ScreenCache(pg.GraphicsObject):
    """Keeps the items of a plot that change rarely as device-coordinate pixmaps (Qt's DeviceCoordinateCache).

    A frame then blits them instead of drawing their text and symbols again; Qt re-renders one only when it
    changes (update) or the view's transform does. Axes (tick labels), legends, axis labels, fixed titles and
    the data points go here; a title that changes every frame does not (it would be drawn twice).
    Exports call setExportMode on every item they draw, this one included (it is a child of the PlotItem):
    caching is off while they draw, so an SVG holds these items as vectors and text, not as pixmaps.
    """

    def __init__(self, plot: pg.PlotItem):
        super().__init__(plot)
        self.setFlag(self.GraphicsItemFlag.ItemHasNoContents)
        self._roots: list[QtWidgets.QGraphicsItem] = []
        self._mode = QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache

    def cache(self, *roots: QtWidgets.QGraphicsItem) -> None:
        """Cache these items and their children (call again after children were added)."""
        for root in roots:
            if root not in self._roots:
                self._roots.append(root)
            self._apply(root)

    def _apply(self, root) -> None:
        for item in _tree(root):
            if not _paints_nothing(item):
                item.setCacheMode(self._mode)

    def setExportMode(self, export, opts=None):
        super().setExportMode(export, opts)
        cache = QtWidgets.QGraphicsItem.CacheMode
        self._mode = cache.NoCache if export else cache.DeviceCoordinateCache
        for root in self._roots:
            self._apply(root)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF()

    def paint(self, *args) -> None:
        pass


def _repaint_one_rect(view: pg.GraphicsView) -> None:
    """Repaint the bounding rect of what changed, not the exact region: a frame changes items all over the
    plot, and painting a region of many rectangles clips every item against each (~1 ms more a frame)."""
    view.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)


def _set_title(plot: pg.PlotItem, html: str) -> None:
    """Set a plot's title. After the first time, only the text is replaced: PlotItem.setTitle re-lays out
    the plot on every call, which paints it a second time each frame."""
    label = plot.titleLabel
    if getattr(label, "_ffviz_styled", False) and label.isVisible():
        if label.text != html:
            label.text = html
            label.item.setHtml(f"<span style='color: {FOREGROUND.name()}; font-size: {TITLE_PT}pt'>{html}</span>")
            # Re-centre the text in the title row (its height is fixed) as LabelItem.resizeEvent does, but
            # without its updateGeometry: the layout pass that posts cost ~0.2 ms a frame per title.
            label.item.setPos(0, 0)
            bounds = label.itemRect()
            bounds.moveCenter(label.rect().center())
            label.item.setPos(bounds.topLeft() - label.itemRect().topLeft())
        return
    plot.setTitle(html, color=FOREGROUND.name(), size=f"{TITLE_PT}pt")
    label._ffviz_styled = True


class _TitleRuns(QtWidgets.QGraphicsItem):
    """A title made of coloured runs of text, laid out by one QTextLayout, in a plot's title row.

    It stands in for the LabelItem's QGraphicsTextItem, whose setHtml parses the HTML and lays out a
    QTextDocument: ~0.4 ms for a title that changes every frame. The runs are laid out as that document lays
    out the same HTML (the same font, its 4 px margin, the line's leading) and centred in the row as
    LabelItem centres its text, so the title looks the same.
    """

    MARGIN = 4.0  # QTextDocument's documentMargin

    def __init__(self, label: pg.LabelItem):
        super().__init__(label)
        self._label = label
        self._font = QtGui.QFont(label.item.font())
        self._font.setPointSizeF(TITLE_PT)
        self._option = label.item.document().defaultTextOption()
        self._layout: QtGui.QTextLayout | None = None
        self._size = QtCore.QSizeF(0.0, 0.0)
        self._runs: tuple = ()
        label.item.hide()
        label.geometryChanged.connect(self._centre)

    def runs(self) -> tuple:
        return self._runs

    def set_runs(self, runs: tuple) -> None:
        """Show these (text, QColor) runs; adjacent runs of one colour are one run, as in a document."""
        if runs == self._runs:
            return
        self._runs = runs
        text = "".join(t for t, _ in runs)
        layout = QtGui.QTextLayout(text, self._font)
        layout.setTextOption(self._option)
        formats, start = [], 0
        for t, color in runs:
            length = len(t.encode("utf-16-le")) // 2  # QTextLayout counts UTF-16 units
            fmt = QtGui.QTextLayout.FormatRange()
            fmt.start, fmt.length = start, length
            fmt.format = QtGui.QTextCharFormat()
            fmt.format.setForeground(color)
            formats.append(fmt)
            start += length
        layout.setFormats(formats)
        layout.beginLayout()
        line = layout.createLine()
        line.setLeadingIncluded(True)
        layout.endLayout()
        self.prepareGeometryChange()
        self._layout = layout
        self._size = QtCore.QSizeF(line.naturalTextWidth() + 2 * self.MARGIN, line.height() + 2 * self.MARGIN)
        self._centre()
        self.update()

    def _centre(self) -> None:
        centre = self._label.rect().center()
        self.setPos(centre.x() - self._size.width() / 2, centre.y() - self._size.height() / 2)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(QtCore.QPointF(0.0, 0.0), self._size)

    def paint(self, painter, option, widget=None) -> None:
        if self._layout is not None:
            self._layout.draw(painter, QtCore.QPointF(self.MARGIN, self.MARGIN))


def _set_title_runs(plot: pg.PlotItem, runs) -> None:
    """Set a plot's title from (text, QColor) runs, drawn by a _TitleRuns item (made on the first call).
    titleLabel.text holds the same title as HTML."""
    label = plot.titleLabel
    title = getattr(label, "_ffviz_runs", None)
    if title is None:
        _set_title(plot, "")
        title = label._ffviz_runs = _TitleRuns(label)
    merged = []
    for text, color in runs:
        if merged and merged[-1][1] == color:
            merged[-1] = (merged[-1][0] + text, color)
        else:
            merged.append((text, color))
    label.text = "".join(f'<span style="color:{c.name()}">{t}</span>'.replace("\u00a0", "&nbsp;")
                         for t, c in merged)
    title.set_runs(tuple(merged))


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


def _ceil_on(value: float, mantissas) -> float:
    """The smallest m × 10ᵏ at or above `value`, m one of `mantissas` (1 … 10); 1 for zero or non-finite."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(value))
    for m in mantissas:
        if value <= m * e * (1 + 1e-9):
            return m * e
    return 10.0 * e


def step_ceil(value: float) -> float:
    """The smallest of 1, 1.25, 1.5, 2, … 8 × 10ᵏ at or above `value`: an axis end that changes rarely."""
    return _ceil_on(value, _STEPS)


_LOG_MANTISSAS = (1.0, 2.0, 5.0)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_grid(lo: float, hi: float, mantissas=_LOG_MANTISSAS) -> list[float]:
    """log10 of every m × 10ᵏ (m one of `mantissas`) from a decade below 10^lo to a decade above 10^hi."""
    return [k + math.log10(m) for k in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in mantissas]


def log_range(lo: float, hi: float) -> tuple[float, float]:
    """A log axis' ends (log10) for data from 10^lo to 10^hi: the nearest 1, 2, 5 × 10ᵏ outside the data,
    so a run whose loss spans less than a decade fills the plot instead of a sliver of a whole decade,
    and the ends change only when the data crosses one of those values."""
    grid = _log_grid(lo, hi)
    eps = 1e-9
    bottom = max(g for g in grid if g <= lo + eps)
    top = min(g for g in grid if g >= hi - eps)
    if top <= bottom + eps:
        top = min(g for g in grid if g > bottom + eps)
    return bottom, top


def _log_label(log10_value: float) -> str:
    value = 10.0 ** log10_value
    if 1e-3 <= value < 1e4:
        return f"{value:.4g}"
    k = math.floor(log10_value + 1e-9)
    m = value / 10.0 ** k
    power = f"10{str(k).translate(_SUPERSCRIPT)}"
    return power if abs(m - 1.0) < 1e-6 else f"{m:.3g}×{power}"


def log_ticks(lo: float, hi: float, max_labels: int = 7) -> list[list[tuple[float, str]]]:
    """Tick levels for a log axis from 10^lo to 10^hi (log10 values, as pyqtgraph's log mode places them), for
    ends made by `log_range` within 10^±300.

    pyqtgraph labels every 2…9 × 10ᵏ when the range is under three decades, which crowds a small plot. Here:
    within about two decades the 1, 2, 5 × 10ᵏ are labelled and the rest are unlabelled grid ticks; over
    more, whole decades are labelled (every second, third … decade if there are too many) and the rest are
    unlabelled.
    """
    eps = 1e-9

    def within(values):
        return [v for v in values if lo - eps <= v <= hi + eps]

    span = hi - lo
    if span < math.log10(3.0):  # less than a factor of 3 (a loss early on): evenly spaced values, 3 to 6
        v0, v1 = 10.0 ** lo, 10.0 ** hi
        step = nice_ceil((v1 - v0) / 5.0)
        first, last = math.ceil(v0 / step - eps), math.floor(v1 / step + eps)
        labelled = [math.log10(n * step) for n in range(first, last + 1)]
        inside = within(math.log10((n + 0.5) * step) for n in range(first - 1, last + 1))
    elif span <= 2.0 + eps:
        labelled = within(_log_grid(lo, hi))
        inside = within(_log_grid(lo, hi, range(1, 10)))
    else:
        decades = range(math.ceil(lo - eps), math.floor(hi + eps) + 1)
        every = max(1, math.ceil(len(decades) / max_labels))
        labelled = [float(k) for k in decades if k % every == 0]
        # over five decades, minor ticks would be a grey band: decades only
        inside = [float(k) for k in decades] if span > 5.0 else within(_log_grid(lo, hi, range(1, 10)))
    major = [(v, _log_label(v)) for v in labelled]
    minor = [(v, "") for v in inside if all(abs(v - w) > eps for w in labelled)]
    return [major, minor]


def nice_ceil(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ at or above `value` (1 for zero or non-finite): a colour bar's end."""
    return _ceil_on(value, _LOG_MANTISSAS)


class _Sample(pg.ItemSample):
    """A legend sample that only explains; clicking it does not hide points."""

    def mouseClickEvent(self, event):
        event.accept()


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


class _Points(pg.ScatterPlotItem):
    """ScatterPlotItem that works out its bounding rect once per data and view transform.

    Qt asks for it several times a paint, and pyqtgraph recomputes it each time (pixel vectors from the
    device transform): ~0.1 ms a call. The points change only with the dataset, the transform with a resize.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rect = None

    def boundingRect(self) -> QtCore.QRectF:
        rect = getattr(self, "_rect", None)  # Qt may ask while __init__ runs
        if rect is None:
            rect = super().boundingRect()
            self._rect = rect
        return QtCore.QRectF(rect)

    def setData(self, *args, **kwargs):
        super().setData(*args, **kwargs)
        self._rect = None  # after: Qt asked for the old rect while the points changed

    def viewTransformChanged(self):
        self._rect = None
        super().viewTransformChanged()
        self._rect = None

    def setExportMode(self, *args, **kwargs):
        self._rect = None
        super().setExportMode(*args, **kwargs)
        self._rect = None


class _PlaneImage(pg.ImageItem):
    """ImageItem that turns its data into a 32-bit QImage in one NumPy step.

    pyqtgraph hands a LUT-coloured image to Qt as an 8-bit indexed QImage, which Qt converts again on every
    paint (~0.5 ms at 48 × 48), after ~0.5 ms of Python in render(). The colours are pyqtgraph's: a value v
    with levels (lo, hi) takes LUT entry clip(⌊(v − lo) · n / (hi − lo)⌋, 0, n − 1); NaN is transparent; an
    RGB uint8 image with levels (0, 255) is shown as it is. Anything else goes to pyqtgraph's render.
    """

    def render(self):
        rgba = self._rgba()
        if rgba is None:
            return super().render()
        rows, cols = rgba.shape
        self._argb = rgba  # the QImage reads this buffer: keep it alive with the image
        self.qimage = QtGui.QImage(rgba.data, cols, rows, cols * 4, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        self._renderRequired = False
        self._unrenderable = False

    def _rgba(self) -> np.ndarray | None:
        """The image as premultiplied 0xAARRGGBB words, or None for a kind this class does not handle."""
        img, lut, levels = self.image, self.lut, self.levels
        if img is None or img.size == 0 or self.axisOrder != "row-major" or self.autoDownsample or levels is None:
            return None
        lo, hi = (float(v) for v in np.ravel(levels)[:2])
        if img.ndim == 2 and img.dtype.kind == "f" and isinstance(lut, np.ndarray) and lut.dtype == np.uint8 \
                and lut.ndim == 2 and lut.shape[1] in (3, 4) and lut.shape[0] <= 256 \
                and (lut.shape[1] == 3 or bool((lut[:, 3] == 255).all())):
            words = 0xFF000000 | (lut[:, 0].astype(np.uint32) << 16) | (lut[:, 1].astype(np.uint32) << 8) \
                | lut[:, 2].astype(np.uint32)
            scale = lut.shape[0] / ((hi - lo) or 1.0)
            with np.errstate(invalid="ignore"):
                t = (img - lo) * scale
                np.clip(t, 0, lut.shape[0] - 1, out=t)
                nan = np.isnan(t)
                t[nan] = 0
            out = words[t.astype(np.intp)]
            out[nan] = 0  # transparent
            return out
        if img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8 and lut is None and (lo, hi) == (0, 255):
            return (0xFF000000 | (img[:, :, 0].astype(np.uint32) << 16) | (img[:, :, 1].astype(np.uint32) << 8)
                    | img[:, :, 2].astype(np.uint32))
        return None


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
        _repaint_one_rect(self)
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

        self.image = _PlaneImage(axisOrder="row-major")
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
        self._class_colors: list[QtGui.QColor] = []

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

        # All training points in one item and all test points in another, each point with its own colour:
        # one item per class cost ~0.5 ms a frame each. Sorted by class, they are drawn in the same order
        # as one item per class would draw them; the legend explains them with proxies.
        size = theme.BASE_POINT_SIZE
        self.train_points = _Points(size=size, symbol="o", pen=pg.mkPen(255, 255, 255, width=1.5),
                                    brush=pg.mkBrush(LEGEND_GREY), pxMode=True)
        self.test_points = _Points(size=size, symbol="o", pen=pg.mkPen(LEGEND_GREY, width=3.0),
                                   brush=pg.mkBrush(HOLLOW_FILL), pxMode=True)
        self.train_points.setZValue(5)
        self.test_points.setZValue(6)
        pi.addItem(self.train_points)
        pi.addItem(self.test_points)
        self._screen_cache = _ScreenCache(pi)
        self._screen_cache.cache(*(pi.getAxis(name) for name in ("left", "bottom", "right", "top")),
                                 pi.titleLabel, self.legend, self.color_bar, self.train_points, self.test_points)

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
        self.test_points.setVisible(self._show_test and not self.message.isVisible())

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
        """New task or class count: the class colours and the legend's entries."""
        pi = self.plot_item
        self.legend.clear()
        size = theme.BASE_POINT_SIZE
        if ds.task == "regression":
            groups = [(LEGEND_GREY, "train")]
            self._class_colors = []
        else:
            groups = [(self._class_qcolor(ds, j), self._class_name(ds, j)) for j in range(max(ds.n_classes, 2))]
            self._class_colors = [color for color, _ in groups]
        # Legend samples are proxies (never in the scene) drawn like a point of their class.
        self._legend_proxies = [pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(255, 255, 255, width=1.5),
                                                   brush=pg.mkBrush(color)) for color, _ in groups]
        for proxy, (_, name) in zip(self._legend_proxies, groups):
            self.legend.addItem(proxy, name)
        self._test_proxy = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(LEGEND_GREY, width=3.0),
                                              brush=pg.mkBrush(HOLLOW_FILL))
        self._test_in_legend = False
        self._set_test_legend(True)
        self.test_points.setVisible(self._show_test)

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
        self._screen_cache.cache(self.legend)  # its new entries

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
        brushes = [pg.mkBrush(c) for c in self._class_colors]
        pens = [pg.mkPen(c, width=3.0) for c in self._class_colors]
        labels = self._labels(ds, ds.y_train)
        order = np.argsort(labels, kind="stable")  # class by class, each in the dataset's order
        self.train_points.setData(pos=ds.raw_train[order], brush=[brushes[j] for j in labels[order].tolist()])
        labels = self._labels(ds, ds.y_test)
        order = np.argsort(labels, kind="stable")
        self.test_points.setData(pos=ds.raw_test[order], pen=[pens[j] for j in labels[order].tolist()])

    def _set_scale(self, scale: float) -> None:
        """Regression: the colour map spans [-scale, scale]; the colour bar and the points follow."""
        self._scale = scale
        self.color_bar.setLevels((-scale, scale))
        ds = self._last_dataset
        colors = self._point_colors
        brushes = [pg.mkBrush(colors[i]) for i in self._lut_index(ds.y_train[:, 0])]
        self.train_points.setData(pos=ds.raw_train, brush=brushes)
        pens = [pg.mkPen(colors[i], width=3.0) for i in self._lut_index(ds.y_test[:, 0])]
        self.test_points.setData(pos=ds.raw_test, pen=pens)

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
        vb = self.plot_item.getViewBox()
        vb.setRange(xRange=(x1min, x1max), yRange=(x2min, x2max), padding=0.0)
        vb.updateMatrix()  # now, not in the paint (see LossCurvePlot._fit_ranges)
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
        for item in (self.image, self.train_points, self.test_points, self.legend, self.color_bar):
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
        self.train_points.show()
        self.test_points.setVisible(self._show_test)
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


class _Curve(pg.PlotCurveItem):
    """One history curve, cheap to update and to draw every frame.

    Data: the plot gives it finite points (positive on a log axis) with known bounds; it keeps the bounds
    and thins the points to the screen's resolution (peak_decimate: bins of one pixel column) once there are
    more than `points_per_pixel` (pyqtgraph's auto mode keeps 5 a pixel, ~10 drawn points a pixel; the wide
    curves look the same with 2, see tests/ui/test_plots.py). PlotItem.setLogMode calls setLogMode here as it would on a
    PlotDataItem; the data is then shown as log10(y).

    Drawing: antialiased 3 px lines cost ~2.5 µs a segment on Qt's raster engine, so 4 curves of ~500
    points took ~5 ms a frame. A history only grows at its end, so the start of the curve (the points that
    stay the same when points are appended, see peak_decimate) is drawn once into an image of the view's
    area (_Frozen) and blitted; a frame draws only the new segments into it and the last few over it. The
    image is drawn again only when the view's transform (ranges, size), the thinning or the data's start
    changes. Exports draw every segment as vectors.
    """

    def __init__(self, pen: QtGui.QPen, name: str | None = None, points_per_pixel: float = 1.0):
        super().__init__(pen=pen, name=name, connect="all", skipFiniteCheck=True, antialias=True)
        self.points_per_pixel = points_per_pixel  # thinning starts above this many points per pixel column
        self.opts["logMode"] = (False, False)
        self._x = self._y = np.empty(0)  # as given: finite (and positive for a log axis)
        self._bounds = ((None, None), (None, None))  # of the shown data, before thinning
        self._pad = None  # the pen's half width in data units (x, y), for the current view transform
        self._ds = 1
        self._fixed = 0  # how many of the points shown stay the same when points are appended
        self._frozen = _Frozen()  # the start of the curve, as an image
        self._tail = _SegmentBuffer()  # the rest, drawn every frame

    def set_history(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show these finite points (x ascending)."""
        self._x, self._y = x, y
        self._show()

    def getOriginalDataset(self) -> tuple:
        """The data as given to set_history (None, None when empty), as PlotDataItem's method of this name."""
        return (None, None) if self._x.size == 0 else (self._x, self._y)

    def y_bounds(self) -> tuple[float, float] | None:
        """The smallest and largest y shown (log10 on a log axis), None when there is nothing."""
        lo, hi = self._bounds[1]
        return None if lo is None else (lo, hi)

    def fixed_count(self) -> int:
        """How many of the points shown are drawn from the cached image (the rest is drawn every frame)."""
        return self._fixed

    def setLogMode(self, x_mode: bool, y_mode: bool) -> None:
        self.opts["logMode"] = (bool(x_mode), bool(y_mode))
        self._show()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        # The plot sets its ranges itself (no auto-range asks for a fraction or an orthogonal range), and
        # the pens are cosmetic: no padding in data units.
        return self._bounds[ax]

    def viewTransformChanged(self):
        self._pad = None
        super().viewTransformChanged()
        if self._x.size and self._downsampling(self._x) != self._ds:
            self._show()  # the view was resized: more or fewer points per pixel

    def boundingRect(self) -> QtCore.QRectF:
        # PlotCurveItem's rect, with the pen's padding worked out once per view transform instead of after
        # every setData (pixelVectors costs ~0.1 ms).
        if self._boundingRect is None:
            (xmn, xmx), (ymn, ymx) = self._bounds
            if xmn is None:
                return QtCore.QRectF()
            pad = self._pad
            if pad is None:
                px, py = self.pixelVectors()
                width = self.pixelPadding()
                if px is not None and py is not None:
                    pad = self._pad = (px.length() * width, py.length() * width)
                else:
                    pad = (0.0, 0.0)  # not shown yet
            px, py = pad
            self._boundingRect = QtCore.QRectF(xmn - px, ymn - py, 2 * px + xmx - xmn, 2 * py + ymx - ymn)
        return self._boundingRect

    def paint(self, p, opt, widget):
        x, y = self.xData, self.yData
        if x is None or len(x) < 2:
            return
        pen = self.opts["pen"]
        if self._exportOpts is not False:  # an export: every segment, as vectors
            p.setRenderHint(p.RenderHint.Antialiasing, self._exportOpts.get("antialias", True))
            p.setPen(pen)
            p.drawLines(*self._getLineSegments())
            return
        aa = bool(self.opts["antialias"])
        frozen = 1 + (self._fixed - 1) // _Frozen.CHUNK * _Frozen.CHUNK if self._fixed else 0  # whole chunks
        if frozen >= 2 and self._on_screen(p, widget) and self._frozen.draw(p, self, x[:frozen], y[:frozen], pen, aa):
            x, y = x[frozen - 1:], y[frozen - 1:]
        if len(x) >= 2:
            p.setRenderHint(p.RenderHint.Antialiasing, aa)
            p.setPen(pen)
            p.drawLines(*self._tail.of(x, y))

    def _on_screen(self, p: QtGui.QPainter, widget) -> bool:
        """Whether this paint goes to the plot's own window as the view shows it: only then may the cached
        image stand in for the curve (a parent widget rendered into an SVG or a scaled image reports the same
        device, but draws with another engine or transform)."""
        engine = p.paintEngine()
        if engine is None or engine.type() != QtGui.QPaintEngine.Type.Raster or widget is None:
            return False
        view = widget.parent()
        if not isinstance(view, QtWidgets.QGraphicsView):
            return False
        return p.worldTransform() == self.deviceTransform(view.viewportTransform())

    def _show(self) -> None:
        x, y = self._x, self._y
        if y.size and self.opts["logMode"][1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(y)
            ok = np.isfinite(y)  # the plot gives positive values; until it has (the mode came first), drop others
            if not ok.all():
                x, y = x[ok], y[ok]
        if x.size:
            self._bounds = ((float(x[0]), float(x[-1])), (float(y.min()), float(y.max())))
        else:
            self._bounds = ((None, None), (None, None))
        self._ds = ds = self._downsampling(x)
        x, y, self._fixed = peak_decimate(x, y, ds)
        # What PlotCurveItem.setData does for data like this, without its checks (~0.1 ms a call).
        self.xData, self.yData = x, y
        self._boundingRect = None
        self._boundsCache = [None, None]
        self._lineSegmentsRendered = False
        self.path = self._mouseShape = None
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.update()

    def _downsampling(self, x: np.ndarray) -> int:
        view = self.getViewBox()
        if view is None or x.size < 2 or view.width() == 0:
            return 1
        dx = float(x[-1] - x[0]) / (x.size - 1)
        if dx == 0:
            return 1
        ds = abs(view.viewRect().width() / dx / (view.width() * self.points_per_pixel))
        return int(ds) if math.isfinite(ds) and ds > 1 else 1


class _Frozen:
    """The start of a curve drawn into an image of its view's area (in device pixels), blitted every frame.

    The image is kept while the item's transform to the viewport, the device, the pen and the points it
    holds stay the same (a transform that maps the same data to the same pixels implies the same view box);
    points added after them are drawn into it. Anything else draws it again.

    It holds whole chunks of CHUNK segments, each drawn by one drawLines call, and so does a curve drawn at
    once: the picture does not depend on how many frames it took to grow. (One call fills the union of its
    wide antialiased segments; segments of separate calls are blended over each other, which leaves a joint
    between them a shade lighter at a sharp turn: once every CHUNK segments now.)
    """

    CHUNK = 16

    def __init__(self):
        self._image: QtGui.QImage | None = None
        self._key: tuple = ()
        self._transform = QtGui.QTransform()
        self._origin = QtCore.QPointF()
        self._x = self._y = np.empty(0)  # the points whose segments the image holds
        self._segments = _SegmentBuffer()

    def draw(self, p: QtGui.QPainter, item: QtWidgets.QGraphicsItem, x: np.ndarray, y: np.ndarray,
             pen: QtGui.QPen, aa: bool) -> bool:
        """Blit the segments through x, y (at least 2 points) into the plot; False if it cannot (then the
        caller draws them)."""
        device = p.device()
        if device is None:
            return False
        transform = p.worldTransform()
        key = (device, device.devicePixelRatioF(), pen, aa)
        n = self._x.size
        if transform != self._transform or key != self._key or n > x.size \
                or not (np.array_equal(x[:n], self._x) and np.array_equal(y[:n], self._y)):
            if not self._reset(transform, key, item, device):
                return False
            n = 0
        if x.size > n:
            q = QtGui.QPainter(self._image)
            q.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, aa)
            q.setTransform(transform * QtGui.QTransform.fromTranslate(-self._origin.x(), -self._origin.y()))
            q.setPen(pen)
            for start in range(max(n - 1, 0), x.size - 1, self.CHUNK):
                q.drawLines(*self._segments.of(x[start:start + self.CHUNK + 1], y[start:start + self.CHUNK + 1]))
            q.end()
            self._x, self._y = x, y
        p.setWorldTransform(QtGui.QTransform())
        p.drawImage(self._origin, self._image)
        p.setWorldTransform(transform)
        return True

    def _reset(self, transform, key, item, device) -> bool:
        """A new, empty image of the view box's area (what the view box clips the curve to)."""
        self._transform, self._key = QtGui.QTransform(transform), key
        self._x = self._y = np.empty(0)
        view = item.getViewBox()
        if view is None:
            return False
        area = transform.mapRect(item.mapRectFromItem(view, view.boundingRect())).toAlignedRect()
        area = area.adjusted(-2, -2, 2, 2) & QtCore.QRect(0, 0, device.width(), device.height())
        if area.isEmpty():
            self._key = ()
            return False
        dpr = key[1]
        # The origin on a whole device pixel: at 125 % or 150 % a whole logical pixel can fall between two, and
        # the blit would then land half a pixel away from the segments drawn straight onto the plot.
        ox, oy = math.floor(area.x() * dpr) / dpr, math.floor(area.y() * dpr) / dpr
        size = QtCore.QSize(math.ceil(area.width() * dpr) + 1, math.ceil(area.height() * dpr) + 1)
        self._image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        self._image.setDevicePixelRatio(dpr)
        self._image.fill(0)
        self._origin = QtCore.QPointF(ox, oy)
        return True


class _SegmentBuffer:
    """The polyline through x, y as QLineF segments, in a buffer kept between frames (drawLines reads it)."""

    def __init__(self):
        self._buffer = None

    def of(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """QPainter.drawLines arguments; valid until the next call."""
        self._buffer = arrayToLineSegments(x, y, connect="all", finiteCheck=False, out=self._buffer)
        return self._buffer.drawargs()


class _StepLine(pg.InfiniteLine):
    """The vertical dashed line at the current step.

    InfiniteLine works its bounding rect out again (in Python, from the view's rect) after every move, ~0.15 ms
    a frame. In the line's own, rotated coordinates that rect is the view's y range, a few pixels wide: moving
    along x does not change it, so a move keeps it; a change of the view still recomputes it.
    """

    def __init__(self, pen: QtGui.QPen):
        super().__init__(0, angle=90, pen=pen, movable=False)

    def setPos(self, pos):
        rect = self._boundingRect
        super().setPos(pos)
        if rect is not None and self._boundingRect is None:
            self._boundingRect = rect


class LossCurvePlot(pg.GraphicsLayoutWidget):
    """Train and test loss J against updates (and the faint per-update batch loss), accuracy below.

    The accuracy plot shares the x axis and is hidden for regression.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        _repaint_one_rect(self)
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
        # The faint batch loss keeps pyqtgraph's 5 points a pixel: where its translucent segments overlap they
        # add up, so fewer would draw it paler (it is 1 px wide and cheap; its history has ≤ 2048 points).
        self.batch_curve = _Curve(pg.mkPen(BATCH_COLOR, width=1), name="batch", points_per_pixel=5.0)
        self.train_curve = _Curve(pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH), name="train")
        self.test_curve = _Curve(pg.mkPen(TEST_COLOR, width=CURVE_WIDTH), name="test")
        self.train_accuracy_curve = _Curve(pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH))
        self.test_accuracy_curve = _Curve(pg.mkPen(TEST_COLOR, width=CURVE_WIDTH))
        for curve in (self.batch_curve, self.train_curve, self.test_curve):
            self.loss_plot.addItem(curve)  # a named curve gets its legend entry
        for curve in (self.train_accuracy_curve, self.test_accuracy_curve):
            self.accuracy_plot.addItem(curve)
        self.batch_curve.setZValue(-1)
        step_pen = pg.mkPen(STEP_LINE_COLOR, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
        self.step_lines = (_StepLine(step_pen), _StepLine(step_pen))
        self.loss_plot.addItem(self.step_lines[0], ignoreBounds=True)
        self.accuracy_plot.addItem(self.step_lines[1], ignoreBounds=True)

        self._screen_caches = (_ScreenCache(self.loss_plot), _ScreenCache(self.accuracy_plot))
        for cache, plot in zip(self._screen_caches, (self.loss_plot, self.accuracy_plot)):
            cache.cache(*(plot.getAxis(name) for name in ("left", "bottom", "right", "top")))
        self._screen_caches[0].cache(self.legend)

        self._last_key = None
        self._snap = None
        self._x_end = self._y_range = None  # the ranges set last (see _fit_ranges)
        self._drawn: dict[str, tuple] = {}  # the history arrays each group of curves shows (see _changed)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()
        self._log = False
        self._show_batch = True
        self._accuracy_shown = True
        self._has_test = True
        _set_title_runs(self.loss_plot, ())
        _set_title_runs(self.accuracy_plot, ())

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
                self._screen_caches[0].cache(self.legend)  # its new entry
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
        x_end = step_ceil(max(10.0, float(snap.step)))
        changed = x_end != self._x_end
        if changed:
            self._x_end = x_end
            self.loss_plot.setXRange(0, x_end, padding=0.02)
        # the curves' bounds: every finite loss (positive on a log axis, where the bounds are log10)
        bounds = [b for b in (c.y_bounds() for c in (self.batch_curve, self.train_curve, self.test_curve)) if b]
        if bounds:
            if self._log:
                # within 10^±300: a subnormal loss (BCE can reach 1e-320) would make the tick maths underflow
                ends = (min(b[0] for b in bounds), max(b[1] for b in bounds))
                y_range = log_range(*(min(300.0, max(-300.0, v)) for v in ends))
            else:
                y_range = (0.0, step_ceil(max(b[1] for b in bounds)))
            if y_range != self._y_range:
                self._y_range = y_range
                # a log axis labels its ends (1, 2, 5 × 10ᵏ): room for half a label beyond each
                self.loss_plot.setYRange(*y_range, padding=0.06 if self._log else 0.02)
                if self._log:
                    self.loss_plot.getAxis("left").setTicks(log_ticks(*y_range))
                changed = True
        if changed:
            # Apply the new ranges now: a ViewBox applies them when it paints, and the items and axes that
            # change with them then ask for a second paint of the plot.
            for plot in (self.loss_plot, self.accuracy_plot):
                plot.getViewBox().updateMatrix()

    def clear_curves(self) -> None:
        """Empty every curve (a new run starts from nothing); the items stay."""
        for curve in self.curves:
            curve.set_history(np.empty(0), np.empty(0))
        self._x_end = self._y_range = None
        self._drawn = {}

    def set_log_scale(self, on: bool) -> None:
        """Loss on a log axis (accuracy stays linear)."""
        self._log = bool(on)
        self.loss_plot.setLogMode(y=self._log)
        self.loss_plot.getAxis("left").setTicks(None)  # linear: pyqtgraph's own; log: set with the range
        self.loss_plot.disableAutoRange()  # setLogMode turned auto-range on; _fit_ranges sets both ranges
        self._x_end = self._y_range = None
        self._drawn.pop("loss", None)
        self._drawn.pop("batch", None)
        if self._snap is not None:
            self._draw_curves(self._snap)

    def set_show_batch_loss(self, on: bool) -> None:
        """Show the per-update loss of each mini-batch as a faint line behind the curves."""
        self._show_batch = bool(on)
        self.batch_curve.setVisible(self._show_batch)
        for sample, _ in self.legend.items:
            sample.update()  # a hidden curve's sample changes (and is drawn from a cached pixmap)

    # -------------------------------------------------------------- drawing

    def _draw_curves(self, snap) -> None:
        """Give each curve its history, if that changed since the frame before (paused, or a phase step, it
        did not; while training every frame brings an evaluation)."""
        h = snap.history
        log = self._log
        if self._changed("batch", h.batch_curve_step, h.batch_curve_loss):
            self.batch_curve.set_history(*_finite(h.batch_curve_step, h.batch_curve_loss, log))  # bounded size
        if self._changed("loss", h.eval_step, h.train_loss, h.test_loss):
            self.train_curve.set_history(*_finite(h.eval_step, h.train_loss, log))
            self.test_curve.set_history(*_finite(h.eval_step, h.test_loss, log))
        if self._accuracy_shown and self._changed("accuracy", h.eval_step, h.train_accuracy, h.test_accuracy):
            self.train_accuracy_curve.set_history(*_finite(h.eval_step, 100.0 * np.asarray(h.train_accuracy), False))
            self.test_accuracy_curve.set_history(*_finite(h.eval_step, 100.0 * np.asarray(h.test_accuracy), False))
        self._fit_ranges(snap)

    def _changed(self, group: str, *arrays: np.ndarray) -> bool:
        """Whether these history arrays differ from the ones `group`'s curves show; remembers them if so."""
        shown = self._drawn.get(group)
        if shown is not None and all(a is b or (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
                                     for a, b in zip(arrays, shown)):
            return False
        self._drawn[group] = arrays
        return True

    def _draw_labels(self, snap) -> None:
        gap = (" \u00a0 ", FOREGROUND)  # " &nbsp; " in HTML
        runs = [(f"step {snap.step}", FOREGROUND), gap, (f"train J = {_fmt(snap.train_loss)}", TRAIN_COLOR)]
        if self._has_test:
            runs += [gap, (f"test J = {_fmt(snap.test_loss)}", TEST_COLOR)]
        if snap.diverged is not None:
            runs += [gap, ("diverged", theme.NONFINITE)]
        _set_title_runs(self.loss_plot, runs)
        if self._accuracy_shown:
            runs = [("accuracy", FOREGROUND), gap, (f"train {_fmt_pct(snap.train_accuracy)}", TRAIN_COLOR)]
            if self._has_test:
                runs += [gap, (f"test {_fmt_pct(snap.test_accuracy)}", TEST_COLOR)]
            _set_title_runs(self.accuracy_plot, runs)

    def _set_accuracy_shown(self, show: bool) -> None:
        if show == self._accuracy_shown:
            return
        self._accuracy_shown = show
        if show:
            self.ci.addItem(self.accuracy_plot, row=1, col=0)
            self.ci.layout.setRowStretchFactor(1, 2)
            self.accuracy_plot.show()
        else:
            self.train_accuracy_curve.set_history(np.empty(0), np.empty(0))
            self.test_accuracy_curve.set_history(np.empty(0), np.empty(0))
            self._drawn.pop("accuracy", None)
            self.ci.removeItem(self.accuracy_plot)
            self.accuracy_plot.hide()
        _set_label(self.loss_plot, "bottom", "" if show else "updates")
        self.loss_plot.getAxis("bottom").showLabel(not show)


def _fmt_pct(fraction: float) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "—"
    return f"{100.0 * fraction:.1f} %"
