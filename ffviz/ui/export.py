"""Plot export: PNG and SVG files of a plot widget, a plot item or any widget, written atomically.

PNG goes through pyqtgraph's ImageExporter (or QWidget.grab for plain widgets). SVG is drawn by Qt's
QSvgGenerator: pyqtgraph 0.14's SVGExporter raises "not enough values to unpack" with current Qt
(pyqtgraph issue #3485). Every failure is one FfvizError line; a failed export leaves no partial file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from ffviz.errors import FfvizError
from ffviz.io.files import atomic_write_bytes

# A widget that was never laid out may be empty (0 × 0): it is given this size for the export.
DEFAULT_SIZE = QtCore.QSize(800, 600)
MAX_WIDTH = 20000


def export_png(target, path, width: int | None = None) -> Path:
    """Save `target` (a pyqtgraph view or item, or any QWidget) as a PNG; `width` in pixels scales it."""
    path = _checked_path(path)
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH):
        raise FfvizError(f"the PNG width must be a whole number of pixels from 1 to {MAX_WIDTH}, not {width!r}")
    image = render_image(target, width)
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise FfvizError(f"cannot encode the PNG for {path.name}")
    buffer.close()
    atomic_write_bytes(path, bytes(data.data()))
    return path


def export_svg(target, path) -> Path:
    """Save `target` (a pyqtgraph view or item, or any QWidget) as an SVG drawn with QSvgGenerator."""
    path = _checked_path(path)
    widget, item = _split(target)
    _lay_out(widget)
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setTitle(path.stem)
    generator.setDescription("exported by ffviz")
    # The screen's resolution, not QSvgGenerator's 72 dpi: pyqtgraph axes replay QPictures recorded at the
    # screen's dpi, and fonts given in points must come out as wide as on screen, or labels overlap.
    generator.setResolution(widget.logicalDpiX())
    if isinstance(widget, pg.GraphicsView):
        scene = widget.scene()
        source = item.sceneBoundingRect() if item is not None else _visible_scene_rect(widget)
        size = QtCore.QSize(max(1, round(source.width())), max(1, round(source.height())))
        generator.setSize(size)
        generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
        painter = QtGui.QPainter()
        if not painter.begin(generator):
            raise FfvizError(f"cannot start drawing the SVG for {path.name}")
        _set_export_mode(scene, True)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            painter.fillRect(QtCore.QRectF(0, 0, size.width(), size.height()), widget.backgroundBrush())
            scene.render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), source)
        finally:
            _set_export_mode(scene, False)
            painter.end()
    else:
        size = widget.size()
        generator.setSize(size)
        generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
        painter = QtGui.QPainter()
        if not painter.begin(generator):
            raise FfvizError(f"cannot start drawing the SVG for {path.name}")
        try:
            with _plots_in_export_mode(widget):
                # QWidget's render, not QGraphicsView's (which takes rectangles): the whole widget as shown
                QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(0, 0))
        finally:
            painter.end()
    buffer.close()
    atomic_write_bytes(path, bytes(data.data()))
    return path


def render_image(target, width: int | None = None) -> QtGui.QImage:
    """`target` drawn into a QImage (of `width` pixels, the height following the aspect ratio)."""
    widget, item = _split(target)
    _lay_out(widget)
    if isinstance(widget, pg.GraphicsView):
        exporter = ImageExporter(item if item is not None else widget.scene())
        if width is not None:
            exporter.parameters()["width"] = int(width)  # the height follows the aspect ratio
        try:
            image = exporter.export(toBytes=True)
        except Exception as exc:  # noqa: BLE001 — pyqtgraph raises bare Exception for an empty size
            raise FfvizError(f"cannot draw the plot: {exc}") from None
    else:
        pixmap = widget.grab()
        image = pixmap.toImage()
        if width is not None and image.width() > 0:
            image = QtGui.QImage(width, max(1, round(width * widget.height() / max(1, widget.width()))),
                                 QtGui.QImage.Format.Format_ARGB32)
            image.fill(QtCore.Qt.GlobalColor.white)
            painter = QtGui.QPainter(image)
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            painter.scale(image.width() / widget.width(), image.height() / widget.height())
            with _plots_in_export_mode(widget):
                QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(0, 0))
            painter.end()
    if image is None or image.isNull() or image.width() == 0 or image.height() == 0:
        raise FfvizError("cannot draw the plot: it has no size")
    return image


# ---------------------------------------------------------------- helpers

def _split(target) -> tuple[QtWidgets.QWidget, QtWidgets.QGraphicsItem | None]:
    """The widget to lay out and, for a graphics item (a PlotItem), the item itself."""
    if isinstance(target, QtWidgets.QGraphicsItem):
        scene = target.scene()
        views = scene.views() if scene is not None else []
        if not views:
            raise FfvizError("cannot export a plot item that is not shown in any plot widget")
        return views[0], target
    if isinstance(target, QtWidgets.QWidget):
        return target, None
    raise FfvizError(f"cannot export a {type(target).__name__}: it is not a plot or a widget")


def _lay_out(widget: QtWidgets.QWidget) -> None:
    """Make a widget that was never shown paintable: give it a size and deliver the layout Qt defers."""
    widget.ensurePolished()
    if widget.width() < 2 or widget.height() < 2:
        hint = widget.sizeHint()
        widget.resize(max(hint.width(), DEFAULT_SIZE.width()), max(hint.height(), DEFAULT_SIZE.height()))
    if not widget.isVisible():
        # A hidden widget's resize events wait until it is shown; a GraphicsView sizes its scene on them.
        for w in [widget, *widget.findChildren(QtWidgets.QWidget)]:
            if w.testAttribute(QtCore.Qt.WidgetAttribute.WA_PendingResizeEvent):
                w.setAttribute(QtCore.Qt.WidgetAttribute.WA_PendingResizeEvent, False)
                QtCore.QCoreApplication.sendEvent(w, QtGui.QResizeEvent(w.size(), QtCore.QSize()))
            if w.layout() is not None:
                w.layout().activate()
    # Graphics layouts (PlotItem, GraphicsLayout) settle on posted LayoutRequest events: send those now.
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)


def _visible_scene_rect(view: QtWidgets.QGraphicsView) -> QtCore.QRectF:
    return view.viewportTransform().inverted()[0].mapRect(QtCore.QRectF(view.rect()))


def _set_export_mode(scene, on: bool) -> None:
    """pyqtgraph items draw vector symbols (not cached pixmaps) in export mode."""
    for item in scene.items():
        if hasattr(item, "setExportMode"):
            item.setExportMode(on, {"antialias": True, "background": None, "resolutionScale": 1.0} if on else None)


@contextlib.contextmanager
def _plots_in_export_mode(widget: QtWidgets.QWidget):
    """The plots inside a widget drawn for a file draw as they do for an export of the plot itself: vectors,
    not the screen's cached images (which are of the screen's size, and would be scaled or embedded)."""
    views = [widget] if isinstance(widget, pg.GraphicsView) else []
    scenes = {v.scene() for v in views + widget.findChildren(pg.GraphicsView)} - {None}
    for scene in scenes:
        _set_export_mode(scene, True)
    try:
        yield
    finally:
        for scene in scenes:
            _set_export_mode(scene, False)


def _checked_path(path) -> Path:
    try:
        path = Path(os.fspath(path)).expanduser()
    except TypeError:
        raise FfvizError(f"an export needs a file path, not {path!r}") from None
    folder = path.parent if str(path.parent) else Path(".")
    if path.name == "" or path.is_dir():
        raise FfvizError(f"cannot save to {path}: it is a folder, not a file name")
    if not folder.exists():
        raise FfvizError(f"cannot save {path.name}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise FfvizError(f"cannot save {path.name}: {folder} is not a folder")
    return path


