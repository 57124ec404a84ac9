"""The loss surface view (view.py) and what it draws with: the 2-D surface with the path (canvas.py), J along
one weight (slice_canvas.py), the race dialog, and the same pictures written to files (render.py)."""

from ffviz.ui.views.surface.view import LossSurfaceView

__all__ = ["LossSurfaceView"]
