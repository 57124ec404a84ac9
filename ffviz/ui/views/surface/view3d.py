"""The loss surface in 3-D (pyqtgraph.opengl): the same engine result as the 2-D map, J as height and colour,
the run's path on it, where the run is now and its next step.

Optional: it needs PyOpenGL (`pip install 'ffviz[3d]'`) and an OpenGL context (a real display; Qt's offscreen
platform has none). Without either, `Surface3D` says why in one line and the 2-D map stays; nothing else in
ffviz imports OpenGL.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.ui import theme as themes

TOP = 1.2  # J's range is drawn this tall; the wider axis spans 2: a bowl, not a needle or a sheet


def missing() -> str | None:
    """Why the 3-D view cannot be made here (None: it can be tried)."""
    try:
        import OpenGL  # noqa: F401  # PyOpenGL: pyqtgraph.opengl needs it
        import pyqtgraph.opengl  # noqa: F401
    except ImportError as exc:
        return f"the 3-D view needs PyOpenGL (pip install 'ffviz[3d]'): {exc}"
    if QtGui.QGuiApplication.platformName() in ("offscreen", "minimal"):
        return "the 3-D view needs OpenGL, which this display has not got (Qt's offscreen platform)"
    return None


def heights(loss: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """z of each J: linear, lo at 0 and hi at TOP; non-finite J (a diverged corner) at the top."""
    loss = np.asarray(loss, float)
    return np.clip((np.where(np.isfinite(loss), loss, hi) - lo) / (hi - lo), 0.0, 1.0) * TOP


def j_range(loss: np.ndarray) -> tuple[float, float]:
    finite = loss[np.isfinite(loss)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


class Surface3D(QtWidgets.QWidget):
    """The GL view with the surface, path and markers, or a one-line reason it is not available."""

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        self.result = None
        self.point = None
        self.reason = missing()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.message = QtWidgets.QLabel(self.reason or "")
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.message)
        self.gl = None
        if self.reason is None:
            self._build()
            lay.addWidget(self.gl, 1)
        self.message.setVisible(self.reason is not None)

    def _build(self) -> None:
        import pyqtgraph.opengl as gl
        self._glmod = gl
        self.gl = gl.GLViewWidget()
        self.gl.setCameraPosition(pos=QtGui.QVector3D(0.0, 0.0, TOP / 2), distance=3.6, elevation=30, azimuth=-60)
        self.surface = gl.GLSurfacePlotItem(computeNormals=False, smooth=False, glOptions="opaque")
        self.path = gl.GLLinePlotItem(width=3.0, antialias=True, glOptions="translucent")
        self.step = gl.GLLinePlotItem(width=4.0, antialias=True, glOptions="translucent")
        self.markers = gl.GLScatterPlotItem(pxMode=True, glOptions="translucent")
        self.labels = [gl.GLTextItem() for _ in range(3)]
        for item in (self.surface, self.path, self.step, self.markers, *self.labels):
            self.gl.addItem(item)

    @property
    def available(self) -> bool:
        """A GL context was made (a display without OpenGL fails only when the widget is first shown)."""
        return self.gl is not None and self.gl.isValid()

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.message.setFont(theme.font("label"))
        if self.gl is not None:
            self.gl.setBackgroundColor(theme.palette.background)
            for label in self.labels:
                label.setData(font=theme.font("label"), color=theme.palette.foreground)
        if self.result is not None:
            self.show_result(self.result)

    def clear_result(self) -> None:
        """Nothing drawn (the network changed)."""
        self.result = self.point = None
        if self.gl is not None:
            for item in (self.surface, self.path, self.step, self.markers, *self.labels):
                item.setVisible(False)

    def show_result(self, result) -> None:
        """Draw an engine SurfaceResult: the grid as a coloured sheet centred at the origin."""
        self.result = result
        if self.gl is None:
            return
        for item in (self.surface, self.path, self.step, self.markers, *self.labels):
            item.setVisible(True)
        a, b = np.asarray(result.a, float), np.asarray(result.b, float)
        loss = np.asarray(result.loss, float)
        self._range = lo, hi = j_range(loss)
        z = heights(loss, lo, hi)
        lut = self._theme.sequential_lut / 255.0
        colors = lut[np.round(z / TOP * (len(lut) - 1)).astype(int)]  # the 2-D map's colours (linear)
        x, y = self._xy(a, b)
        # one colour per vertex, in the vertices' order (a-major: vertex i·len(b) + j is J[i, j])
        self.surface.setData(x=x, y=y, z=z, colors=colors.reshape(len(a) * len(b), 4))
        if result.path is not None and len(result.path):
            xy = np.asarray(result.path, float)
            # on the sheet (J on this surface under each point): the true J, where the rest of the weights were
            # elsewhere, can lie far off it; the 2-D view's strip shows that difference
            pz = heights(result.path_surface_loss, *self._range)
            px, py = self._xy(xy[:, 0], xy[:, 1])
            self.path.setData(pos=np.column_stack([px, py, pz + 0.03 * TOP]), color=self._ink(), width=5.0)
        else:
            self.path.setData(pos=np.zeros((0, 3)))
        ends = [(x[0], y[0]), (x[-1], y[0]), (x[0], y[-1])]
        for label, text, (lx, ly), lz in zip(self.labels, (result.names[0], result.names[1], "J"),
                                             ((0.0, y[0] * 1.15), (x[-1] * 1.15, 0.0), ends[2]),
                                             (0.0, 0.0, TOP)):
            label.setData(pos=(lx, ly, lz), text=text)
        if self.point is not None:
            self.show_point(self.point)

    def show_point(self, point) -> None:
        """Where the run is now (white) at its true J, and the −η∇J step to where it goes next (pink)."""
        self.point = point
        if self.gl is None or self.result is None or point is None:
            if self.gl is not None:
                self.markers.setData(pos=np.zeros((0, 3)))
                self.step.setData(pos=np.zeros((0, 3)))
            return
        (a0, b0), (a1, b1) = point.ab, point.next_ab
        x, y = self._xy(np.array([a0, a1]), np.array([b0, b1]))
        z = heights([point.surface_loss, point.surface_loss], *self._range) + 0.02 * TOP
        pos = np.column_stack([x, y, z])
        self.markers.setData(pos=pos, size=np.array([18.0, 13.0]) * self._theme.scale,
                             color=np.array([self._ink(), [1.0, 0.25, 0.5, 1]]))
        self.step.setData(pos=pos, color=(1.0, 0.25, 0.5, 1))

    def _ink(self) -> tuple[float, float, float, float]:
        c = self._theme.palette.foreground
        return (c.redF(), c.greenF(), c.blueF(), 1.0)

    def _xy(self, a, b):
        """Grid coordinates to the GL scene's: centred at 0, the wider axis 2 units wide."""
        a0, a1 = float(self.result.a[0]), float(self.result.a[-1])
        b0, b1 = float(self.result.b[0]), float(self.result.b[-1])
        s = 2.0 / max(a1 - a0, b1 - b0, 1e-12)
        return (np.asarray(a, float) - (a0 + a1) / 2) * s, (np.asarray(b, float) - (b0 + b1) / 2) * s

    def grab_image(self) -> QtGui.QImage:
        """What the GL view shows (a widget grab of a GL view is blank on some drivers)."""
        return self.gl.grabFramebuffer() if self.available else self.grab().toImage()
