"""History curves cheap to update and to draw every frame, and the dashed line at the current step.

Some of these override pyqtgraph's private attributes where no public API does what a frame needs; each is
listed in tests/ui/pgkit/test_pyqtgraph_internals.py, which fails if a pyqtgraph upgrade removes one.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments

from ffviz.engine.history import peak_decimate


def finite(x: np.ndarray, y: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
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


class Curve(pg.PlotCurveItem):
    """One history curve, cheap to update and to draw every frame.

    Data: the plot gives it finite points (positive on a log axis) with known bounds; it keeps the bounds
    and thins the points to the screen's resolution (peak_decimate: bins of one pixel column) once there are
    more than `points_per_pixel` (pyqtgraph's auto mode keeps 5 a pixel, ~10 drawn points a pixel; the wide
    curves look the same with 2, see tests/ui/test_plots.py). PlotItem.setLogMode calls setLogMode here as it would on a
    PlotDataItem; the data is then shown as log10(y).

    Drawing: antialiased 3 px lines cost ~2.5 µs a segment on Qt's raster engine, so 4 curves of ~500
    points took ~5 ms a frame. A history only grows at its end, so the start of the curve (the points that
    stay the same when points are appended, see peak_decimate) is drawn once into an image of the view's
    area (Frozen) and blitted; a frame draws only the new segments into it and the last few over it. The
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
        self._frozen = Frozen()  # the start of the curve, as an image
        self._tail = SegmentBuffer()  # the rest, drawn every frame

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
        frozen = 1 + (self._fixed - 1) // Frozen.CHUNK * Frozen.CHUNK if self._fixed else 0  # whole chunks
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


class Frozen:
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
        self._segments = SegmentBuffer()

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


class SegmentBuffer:
    """The polyline through x, y as QLineF segments, in a buffer kept between frames (drawLines reads it)."""

    def __init__(self):
        self._buffer = None

    def of(self, x: np.ndarray, y: np.ndarray) -> tuple:
        """QPainter.drawLines arguments; valid until the next call."""
        self._buffer = arrayToLineSegments(x, y, connect="all", finiteCheck=False, out=self._buffer)
        return self._buffer.drawargs()


class StepLine(pg.InfiniteLine):
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
