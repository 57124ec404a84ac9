"""Pixmap caches for what rarely changes in a plot, and the repaint mode that keeps a frame to one rectangle.

The GUI thread's time per frame is also the training thread's waiting time (see ui/worker.py), so a frame does
only what changed: what never changes between snapshots (data points, legends, axis labels, fixed titles) is kept
as pixmaps by Qt (ScreenCache). benchmarks/ui_frame_cost.py measures it.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets


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


class ScreenCache(pg.GraphicsObject):
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


def repaint_one_rect(view: pg.GraphicsView) -> None:
    """Repaint the bounding rect of what changed, not the exact region: a frame changes items all over the
    plot, and painting a region of many rectangles clips every item against each (~1 ms more a frame)."""
    view.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
