"""The window's views without a window: built from the window's table of views (ui/main_window.py VIEWS), shown a
snapshot, and drawn into PNG and SVG files or animation frames. What `ffviz train --plots`, `ffviz export` and
File → Export animation use, so a picture made headless is the picture the window shows.

Views that ask for derived data (a loss surface, the gradient at the weights) get their answers at once, in this
thread: nothing here runs a compute thread, and a file must not be written before its view has its data.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from ffviz.errors import FfvizError

VIEW_SIZE = (960, 720)  # each view's size before scaling: 4:3, drawn at 2× on a 1920-pixel slide
STILL_PLANE = 96  # the input plane's resolution in stills (the window draws 48: it redraws it every frame)


def application(headless: bool = False):
    """The QApplication; one is made if there is none yet, offscreen (no display is needed or used): always
    when `headless` (the command line), else unless the caller chose a platform. Headless, Qt's chatter
    ("This plugin does not support propagateSizeHints()") is kept off the terminal, which gets one line."""
    from PySide6 import QtCore, QtWidgets
    app = QtWidgets.QApplication.instance()
    if app is not None:
        return app
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt reads it, when the app is made
        if not os.environ.get("FFVIZ_DEBUG"):
            QtCore.qInstallMessageHandler(_quiet)
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    return QtWidgets.QApplication(sys.argv[:1])


def _quiet(kind, context, message) -> None:
    from PySide6 import QtCore
    if kind == QtCore.QtMsgType.QtFatalMsg:  # Qt ends the process after it: say why, in one line
        print(f"ffviz: Qt: {' '.join(message.split())}", file=sys.stderr)


def view_keys() -> list[str]:
    from ffviz.ui.main_window import VIEWS
    return [e.key for e in VIEWS]


def export_name(key: str) -> str:
    """The file stem of a view's exports ("decision-boundary" for "boundary"), without making the view."""
    from ffviz.ui.main_window import VIEWS
    for e in VIEWS:
        if e.key == key:
            return getattr(e.make, "export_name", key)
    raise FfvizError(f"there is no view {key!r}; the views are: {', '.join(view_keys())}")


@dataclass
class OffscreenView:
    key: str  # the window's key for it: "network", "boundary", "loss", …
    title: str
    view: object  # the SnapshotView

    @property
    def export_name(self) -> str:
        return self.view.export_name


def make_views(keys=None, theme=None, size=VIEW_SIZE, numbers: bool = False) -> list[OffscreenView]:
    """One fresh view of every kind the window has (or of those `keys` name), themed and sized, never shown.
    Without `numbers`, the diagram draws as while training runs (no phase's numbers beside its nodes): the
    picture of a run, not of one update worked out."""
    application()
    from ffviz.ui.lecture import LectureOptions
    from ffviz.engine.requests import answer
    from ffviz.ui import theme as themes
    from ffviz.ui.compute import Requester
    from ffviz.ui.main_window import VIEWS
    known = [e.key for e in VIEWS]
    for key in keys or ():
        if key not in known:
            raise FfvizError(f"there is no view {key!r}; the views are: {', '.join(known)}")
    out = []
    for entry in VIEWS:
        if keys is not None and entry.key not in keys:
            continue
        view = entry.make()
        if hasattr(view, "show_answer"):
            view.set_requester(Requester(lambda request, v=view: _answer_now(v, answer(request, lambda: False))))
        view.apply_theme(theme if theme is not None else themes.DEFAULT)
        if hasattr(view, "set_lecture"):
            view.set_lecture(LectureOptions(playing=not numbers))
        view.resize(*size)
        out.append(OffscreenView(entry.key, entry.title, view))
    return out


def _answer_now(view, ans) -> None:
    if ans is not None:
        view.show_answer(ans)


def show(views: list[OffscreenView], snap, settings: dict | None = None) -> None:
    """Every view draws `snap`, with the window's view settings (colour mode, log scale, …) where given."""
    from ffviz.ui.panels.files import apply_view_settings
    by_key = {v.key: v.view for v in views}
    if settings:
        apply_view_settings(by_key, settings)
    for v in views:
        v.view.show_snapshot(snap)


def still_files(views: list[OffscreenView], *, width: int | None = None, scale: float | None = None,
                formats=("png", "svg")) -> dict[str, bytes]:
    """{file name: bytes}: each view as PNG (`width` pixels wide, default a slide's, or `scale` × its size)
    and SVG, named by its export_name."""
    from ffviz.ui.export import SLIDE_WIDTH, png_bytes, svg_bytes
    if width is None and scale is None:
        width = SLIDE_WIDTH
    files = {}
    for v in views:
        target = v.view.export_target()
        if "png" in formats:
            files[f"{v.export_name}.png"] = png_bytes(target, width, scale=scale)
        if "svg" in formats:
            files[f"{v.export_name}.svg"] = svg_bytes(target, v.export_name)
    return files


def close(views: list[OffscreenView]) -> None:
    """Let the views go (their C++ side is deleted with the next event loop turn)."""
    for v in views:
        v.view.close()
        v.view.deleteLater()
