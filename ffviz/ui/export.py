"""Plot export: PNG and SVG files of a plot widget, a plot item or any widget, written atomically.

PNG goes through pyqtgraph's ImageExporter (or QWidget.grab for plain widgets), at the on-screen size, a width
in pixels or a scale of the on-screen size. SVG is drawn by Qt's QSvgGenerator: pyqtgraph 0.14's SVGExporter
raises "not enough values to unpack" with current Qt (pyqtgraph issue #3485). Qt writes the strokes of curves
and markers drawn under a scaling transform (data coordinates, a marker's size) as `vector-effect=
"non-scaling-stroke"`, which librsvg (GNOME, many slide and wiki tools) ignores: a loss curve 367 times taller
than wide becomes a filled block and every marker a huge ring. `portable_svg` therefore moves such a group's
transform into its coordinates, so the stroke is drawn as wide as Qt meant in every renderer. Every failure is
one FfvizError line; a failed export leaves no partial file.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from ffviz.errors import FfvizError
from ffviz.io.files import atomic_write_bytes

# A widget that was never laid out may be empty (0 × 0): it is given this size for the export.
DEFAULT_SIZE = QtCore.QSize(800, 600)
MAX_WIDTH = 20000
SLIDE_WIDTH = 1920  # what File → Export and `ffviz … --plots` write by default: a full-HD slide's width
MAX_SCALE = 16.0


def png_width(target, width: int | None = None, scale: float | None = None) -> int | None:
    """The width in pixels a PNG of `target` gets: `width`, or `scale` × its on-screen width (None: as shown)."""
    if width is not None and scale is not None:
        raise FfvizError("give the PNG a width or a scale, not both")
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) \
                or not 0 < scale <= MAX_SCALE:
            raise FfvizError(f"the PNG scale must be a number above 0 and at most {MAX_SCALE:g}, not {scale!r}")
        widget, item = _split(target)
        _lay_out(widget)
        shown = item.sceneBoundingRect().width() if item is not None else widget.width()
        width = max(1, min(MAX_WIDTH, round(shown * scale)))
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH):
        raise FfvizError(f"the PNG width must be a whole number of pixels from 1 to {MAX_WIDTH}, not {width!r}")
    return width


def export_png(target, path, width: int | None = None, *, scale: float | None = None) -> Path:
    """Save `target` (a pyqtgraph view or item, or any QWidget) as a PNG: at its on-screen size, `width`
    pixels wide, or `scale` times its on-screen size (the height follows the aspect ratio)."""
    path = _checked_path(path)
    atomic_write_bytes(path, png_bytes(target, width, scale=scale))
    return path


def png_bytes(target, width: int | None = None, *, scale: float | None = None) -> bytes:
    """The PNG file export_png writes, as bytes (for a folder written all together: io.files.write_run)."""
    return image_png(render_image(target, png_width(target, width, scale)))


def image_png(image: QtGui.QImage) -> bytes:
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise FfvizError("cannot encode the PNG")
    buffer.close()
    return bytes(data.data())


def export_svg(target, path) -> Path:
    """Save `target` (a pyqtgraph view or item, or any QWidget) as an SVG drawn with QSvgGenerator."""
    path = _checked_path(path)
    atomic_write_bytes(path, svg_bytes(target, path.stem))
    return path


def svg_bytes(target, title: str = "ffviz") -> bytes:
    """The SVG file export_svg writes, as bytes; it renders alike in Qt, librsvg and browsers (portable_svg)."""
    widget, item = _split(target)
    _lay_out(widget)
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setTitle(title)
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
            raise FfvizError(f"cannot start drawing the SVG {title}")
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
            raise FfvizError(f"cannot start drawing the SVG {title}")
        try:
            with _plots_in_export_mode(widget):
                # QWidget's render, not QGraphicsView's (which takes rectangles): the whole widget as shown
                QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(0, 0))
        finally:
            painter.end()
    buffer.close()
    return portable_svg(bytes(data.data()))


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
    # An axis learns how wide its tick labels are only when it paints, and then asks for a new layout: a view
    # never painted would export with its axes (and the plot beside them) a few pixels off, and differently
    # from one export to the next. One paint nobody sees settles them.
    for view in ([widget] if isinstance(widget, pg.GraphicsView) else []) + widget.findChildren(pg.GraphicsView):
        if view.width() > 1 and view.height() > 1:
            scratch = QtGui.QImage(view.width(), view.height(), QtGui.QImage.Format.Format_ARGB32)
            painter = QtGui.QPainter(scratch)
            view.scene().render(painter, QtCore.QRectF(scratch.rect()), _visible_scene_rect(view))
            painter.end()
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




# ---------------------------------------------------------------- SVG that renders alike everywhere

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_BAKEABLE = {"polyline", "polygon", "path", "rect", "line"}


def portable_svg(data: bytes) -> bytes:
    """Qt's SVG with every non-scaling stroke under a scaling transform redrawn without the transform: its
    coordinates are transformed instead (exactly: the transforms are affine), and the group drawn as is. Text
    and images keep their transforms. librsvg, browsers and Qt then draw the same picture."""
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    try:
        root = ET.fromstring(data)
    except ET.ParseError:  # pragma: no cover - Qt wrote it; leave anything unexpected alone
        return data
    for parent in list(root.iter()):
        children = list(parent)
        if not any(child.tag == f"{{{_SVG}}}g" for child in children):
            continue
        for at, group in reversed(list(enumerate(children))):
            if group.tag == f"{{{_SVG}}}g":
                for offset, new in enumerate(_split_group(group)):
                    if offset == 0:
                        continue
                    parent.insert(at + offset, new)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + body + "\n").encode("utf-8")


def _matrix(text: str | None):
    """(a, b, c, d, e, f) of a transform="matrix(...)", None for none or another kind of transform."""
    if not text or not text.strip().startswith("matrix("):
        return None
    values = [float(v) for v in _NUMBER.findall(text)]
    return tuple(values) if len(values) == 6 else None


def _scales_strokes(m) -> bool:
    """Whether a transform changes a stroke's width somewhere (not a translation, rotation or reflection)."""
    a, b, c, d, _, _ = m
    return not (math.isclose(a * a + b * b, 1, rel_tol=1e-6) and math.isclose(c * c + d * d, 1, rel_tol=1e-6)
                and abs(a * c + b * d) < 1e-6)


def _split_group(group: ET.Element) -> list[ET.Element]:
    """The group as one or more consecutive groups: its non-scaling strokes baked into identity-transformed
    groups (the other children keep the transform), in their order. Returns [group] when nothing changes."""
    m = _matrix(group.get("transform"))
    children = list(group)
    effect = "vector-effect"
    if m is None or not any(ch.get(effect) == "non-scaling-stroke" for ch in children):
        return [group]
    if not _scales_strokes(m):
        for ch in children:  # a rigid transform draws strokes as wide as they are: nothing to do
            ch.attrib.pop(effect, None)
        return [group]
    runs: list[tuple[bool, list]] = []
    for ch in children:
        baked = None
        if ch.get(effect) == "non-scaling-stroke" and ch.tag.rsplit("}", 1)[-1] in _BAKEABLE:
            baked = _baked(ch, m)
        item = baked if baked is not None else ch
        is_baked = baked is not None
        if runs and runs[-1][0] == is_baked:
            runs[-1][1].append(item)
        else:
            runs.append((is_baked, [item]))
    out = []
    for is_baked, items in runs:
        g = ET.Element(group.tag, dict(group.attrib))
        g.text, g.tail = group.text, group.tail
        if is_baked:
            g.set("transform", "matrix(1,0,0,1,0,0)")
        g.extend(items)
        out.append(g)
    # the first run takes the original element's place (its parent holds it); the rest follow it
    group.attrib.clear()
    group.attrib.update(out[0].attrib)
    group[:] = list(out[0])
    return [group] + out[1:]


def _fmt(v: float) -> str:
    return f"{v:.7g}"


def _apply(m, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _baked(el: ET.Element, m) -> ET.Element | None:
    """`el` with `m` applied to its coordinates and no vector-effect (None: a shape this cannot bake)."""
    tag = el.tag.rsplit("}", 1)[-1]
    attrs = {k: v for k, v in el.attrib.items() if k != "vector-effect"}
    if tag in ("polyline", "polygon"):
        nums = [float(v) for v in _NUMBER.findall(el.get("points", ""))]
        pts = [_apply(m, x, y) for x, y in zip(nums[0::2], nums[1::2])]
        attrs["points"] = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)
    elif tag == "line":
        x1, y1 = _apply(m, float(el.get("x1", 0)), float(el.get("y1", 0)))
        x2, y2 = _apply(m, float(el.get("x2", 0)), float(el.get("y2", 0)))
        attrs.update(x1=_fmt(x1), y1=_fmt(y1), x2=_fmt(x2), y2=_fmt(y2))
    elif tag == "rect":
        if el.get("rx") or el.get("ry"):
            return None
        x, y = float(el.get("x", 0)), float(el.get("y", 0))
        w, h = float(el.get("width", 0)), float(el.get("height", 0))
        corners = [_apply(m, *p) for p in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))]
        for k in ("x", "y", "width", "height"):
            attrs.pop(k, None)
        attrs["d"] = "M" + " L".join(f"{_fmt(px)},{_fmt(py)}" for px, py in corners) + " Z"
        tag = "path"
    else:  # path: absolute M, L, C, Q and Z are what Qt writes; anything else is left as it is
        tokens = _PATH_TOKEN.findall(el.get("d", ""))
        out, i, cmd = [], 0, None
        while i < len(tokens):
            tok = tokens[i]
            if tok.isalpha():
                if tok not in "MLCQZ":
                    return None
                cmd = tok
                out.append(tok)
                i += 1
                continue
            if cmd is None or cmd == "Z" or i + 1 >= len(tokens) or tokens[i + 1].isalpha():
                return None
            x, y = _apply(m, float(tok), float(tokens[i + 1]))
            out.append(f"{_fmt(x)},{_fmt(y)}")
            i += 2
        attrs["d"] = " ".join(out)
    new = ET.Element(f"{{{_SVG}}}{tag}", attrs)
    new.tail = el.tail
    return new
