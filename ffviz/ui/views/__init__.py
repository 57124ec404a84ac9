"""Views: each draws snapshots of the run, one module (or folder) per view, all with one interface.

The main window builds its docks and View-menu entries from a table of views (ui/main_window.py) and talks to
every view only through this protocol; a view never computes maths (the engine does) and never changes the run
(it emits signals the window turns into commands).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6 import QtCore, QtWidgets


@runtime_checkable
class SnapshotView(Protocol):
    """What every view offers the main window."""

    export_name: str  # the file stem of its exports: "network", "decision-boundary", "loss"

    def show_snapshot(self, snap) -> bool:
        """Draw `snap`, unless it is older than the one on screen (then return False and draw nothing)."""

    def apply_theme(self, theme) -> None:
        """Restyle everything (colours, fonts, sizes) for `theme` and redraw what is shown."""

    def export_target(self) -> QtWidgets.QWidget:
        """What a PNG or SVG export of this view draws."""

    # A view that needs derived data (a loss surface, the gradient at the current weights) also has
    # set_requester(requester) and show_answer(answer): it asks through the Requester (ui/compute.py) and
    # draws only answers the Requester still wants.


def in_view(widget: QtWidgets.QWidget) -> bool:
    """Whether a widget is inside its window: a dock behind another's tab stays "visible" (Qt moves it off the
    window, where it never paints)."""
    window = widget.window()
    corner = widget.mapTo(window, QtCore.QPoint(0, 0))
    return QtCore.QRect(corner, widget.size()).intersects(window.rect())


def seen(widget: QtWidgets.QWidget) -> bool:
    """Whether a view's picture is wanted now (so worth asking the engine for): shown in the window (not a
    tab behind another), or made for files without a window (ui/offscreen.py: a window of its own that was
    never shown nor hidden), which draws at once."""
    return (widget.isVisible() and in_view(widget)) or (widget.window() is widget and not widget.testAttribute(
        QtCore.Qt.WidgetAttribute.WA_WState_ExplicitShowHide))


class Staleness:
    """Keeps the (run, serial) of the newest snapshot a view drew, so it drops older ones."""

    def __init__(self):
        self.key: tuple[int, int] | None = None

    def newer(self, snap) -> bool:
        """Whether `snap` is at least as new as the last drawn (and remember it if so)."""
        key = (snap.run_id, snap.serial)
        if self.key is not None and key < self.key:
            return False
        self.key = key
        return True

    def new_run(self, snap) -> bool:
        """Whether `snap` belongs to another run than the last one drawn (call before `newer`)."""
        return self.key is None or self.key[0] != snap.run_id
