"""pyqtgraph items made cheaper to draw every frame: the input plane's image, its level curve, scatter points,
and legend samples that explain without toggling.

Some of these override pyqtgraph's private attributes where no public API does what a frame needs; each is
listed in tests/ui/pgkit/test_pyqtgraph_internals.py, which fails if a pyqtgraph upgrade removes one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ffviz.engine.contour import iso_segments


class Sample(pg.ItemSample):
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


class Points(pg.ScatterPlotItem):
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


class PlaneImage(pg.ImageItem):
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
