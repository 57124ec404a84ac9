"""Render the app icon's PNGs from resources/icons/ffviz.svg, with Qt only (QtSvg: no new dependency).

    python packaging/render_icons.py      # from anywhere, in ffviz's venv; after every edit of the SVG

Writes resources/icons/hicolor/<N>x<N>/apps/io.github.ffviz.png for every size in SIZES (the freedesktop icon
theme layout, which packaging/install-desktop.sh copies as it is) and resources/icons/ffviz.png (256 px, the
window's icon, loaded by ffviz/ui/app.py). tests/test_packaging.py checks that the PNGs are there, have their
size and still look like the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "ffviz.svg"
THEME = ROOT / "resources" / "icons" / "hicolor"
WINDOW_ICON = ROOT / "resources" / "icons" / "ffviz.png"
APP_ID = "io.github.ffviz"
SIZES = (16, 32, 48, 64, 128, 256, 512)  # what desktops ask for: menus, docks, software centres, HiDPI


def png_path(size: int) -> Path:
    return THEME / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(size: int, svg: Path = SVG):
    """The SVG drawn into a transparent size × size QImage (a QGuiApplication must exist)."""
    from PySide6 import QtCore, QtGui, QtSvg

    renderer = QtSvg.QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can draw")
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QtCore.QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window: it only draws into images
    from PySide6 import QtGui

    app = QtGui.QGuiApplication.instance() or QtGui.QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    try:
        targets = [(size, png_path(size)) for size in SIZES] + [(256, WINDOW_ICON)]
        for size, path in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not render(size).save(str(path), "PNG"):
                raise OSError(f"cannot write {path}")
            print(f"{path.relative_to(ROOT)}: {size} × {size}")
    except (ValueError, OSError) as exc:
        print(f"render_icons: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
