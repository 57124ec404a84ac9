"""The decision boundary: the network's output over the input plane, with the training and test points.

Draws snapshots and nothing else. Items are built once per structure (task and class count) and updated with
setImage/setData every frame; `clear()` + `plot()` per frame would leak (pyqtgraph #2348). The plane is
coloured in one NumPy step (pgkit.PlaneImage) and what never changes (points, legend, axes) is cached.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal

from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.panels.plane_slice import PlaneSliceBar
from ffviz.ui.pgkit import (BoundaryContour, PlaneImage, Points, Sample, ScreenCache, nice_ceil, no_si_prefix,
                            repaint_one_rect, set_label, set_title, style_axes, style_legend)
from ffviz.ui.views import Staleness

NOT_2D_MESSAGE = "the decision boundary needs at least 2 inputs"
POINT_PX = 11.0  # data points' diameter at font scale 1


def _axis_names(snap) -> tuple[str, str]:
    """The raw plane's axes: X₁ and X₂, or a CSV file's two column names (a slice's: its two inputs)."""
    pretty = {"x1": "X₁", "x2": "X₂"}
    ds = snap.dataset
    plane = snap.plane
    if plane is not None and plane.axes is not None:
        return tuple(plane.names[c] if c < len(plane.names) else f"X{c + 1}" for c in plane.axes)
    if snap.config.data.features is None and len(ds.feature_names) == 2:
        return tuple(pretty.get(n, n) for n in ds.feature_names)
    return "X₁", "X₂"


class DecisionBoundaryPlot(pg.PlotWidget):
    """The network's output ŷ over the input plane, with the training points (filled) and test points (hollow).

    binary: ŷ on the diverging map from 0 (negative end) through 0.5 (neutral) to 1, and the ŷ = 0.5 contour;
    multiclass: each pixel in its most likely class's colour, paler where the network is less sure;
    regression: ŷ on a symmetric diverging map with a colour bar.
    """

    export_name = "decision-boundary"
    sample_clicked = Signal(int)  # a training point clicked: its row in the training set
    # While editing points (set_editing): a click asks for a point there, a right-click for removing the nearest
    point_added = Signal(float, float)  # (x1, x2) in the data's units
    point_removed = Signal(float, float)

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        repaint_one_rect(self)
        pi = self.getPlotItem()
        self.plot_item = pi
        pi.setMenuEnabled(False)  # its export menu offers pyqtgraph's SVG exporter, broken with Qt 6 (#3485)
        pi.hideButtons()
        vb = pi.getViewBox()
        vb.setMouseEnabled(False, False)
        vb.setAspectLocked(True, ratio=1.0)
        vb.disableAutoRange()
        vb.setDefaultPadding(0.0)

        self.image = PlaneImage(axisOrder="row-major")
        self.image.setZValue(-10)
        pi.addItem(self.image)
        self.contour = BoundaryContour(level=0.5)
        self.contour.setParentItem(self.image)

        self.message = pg.TextItem(NOT_2D_MESSAGE, anchor=(0.5, 0.5))
        self.message.setPos(0.5, 0.5)
        self.message.hide()
        pi.addItem(self.message, ignoreBounds=True)

        self.legend = pg.LegendItem(sampleType=Sample, horSpacing=12)
        # A LegendItem ignores transformations (it floats over a view): in a layout it must scale with the
        # rest of the plot, or a PNG exported wider keeps a small legend.
        self.legend.setFlag(self.legend.GraphicsItemFlag.ItemIgnoresTransformations, False)
        pi.layout.addItem(self.legend, 4, 1, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
        # A slice of more than two inputs says where the others are held, in the plot (and so in exports)
        self.held_label = pg.LabelItem(justify="center")
        self._held_in_layout = False
        self.slice_bar = PlaneSliceBar()
        self._legend_proxies: list[pg.ScatterPlotItem] = []
        self._class_colors: list[QtGui.QColor] = []

        self.color_bar = pg.ColorBarItem(values=(-1.0, 1.0), interactive=False, width=22, colorMapMenu=False)
        self.color_bar.axis.setStyle(maxTickLevel=0)
        no_si_prefix(self.color_bar.axis)
        self.color_bar.hide()
        self._color_bar_in_layout = False

        # All training points in one item and all test points in another, each point with its own colour:
        # one item per class cost ~0.5 ms a frame each. Sorted by class, they are drawn in the same order
        # as one item per class would draw them; the legend explains them with proxies.
        self.train_points = Points(symbol="o", pxMode=True)
        self.test_points = Points(symbol="o", pxMode=True)
        self.train_points.setZValue(5)
        self.test_points.setZValue(6)
        pi.addItem(self.train_points)
        pi.addItem(self.test_points)
        # the sample the lecture's numbers are of: a ring around it
        self.chosen = pg.ScatterPlotItem(symbol="o", pxMode=True, brush=pg.mkBrush(0, 0, 0, 0))
        self.chosen.setZValue(7)
        self.chosen.hide()
        pi.addItem(self.chosen)
        self.scene().sigMouseClicked.connect(self._on_click)
        self._screen_cache = ScreenCache(pi)
        self._screen_cache.cache(*(pi.getAxis(name) for name in ("left", "bottom", "right", "top")),
                                 pi.titleLabel, self.legend, self.color_bar, self.train_points, self.test_points)

        self._structure = None
        self._stale = Staleness()
        self._last_dataset = None
        self._last_extent = None
        self._snap = None
        self._scale = 1.0  # regression: the colour map spans [-scale, +scale]
        self._target_scale = 1.0  # … starting from the targets' largest |y|, growing to fit ŷ (at most 10×)
        self._show_test = True
        self._discretize = False
        self._axis_labels = ("X₁", "X₂")
        self._editing = False
        self._train_xy = self._test_xy = None  # the points drawn: the 2-D data, or its columns on a slice's axes
        self._points_key = None  # (dataset, axes) the points were set for
        self._aspect_locked = True
        self.apply_theme(theme)

    def dock_widget(self) -> QtWidgets.QWidget:
        """What the window docks: the slice bar (shown for more than two inputs) above the plot."""
        box = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.slice_bar)
        lay.addWidget(self, 1)
        return box

    # -------------------------------------------------------------- public

    @property
    def snapshot(self):
        """The snapshot drawn last (None before the first)."""
        return self._snap

    def export_target(self):
        return self

    def show_snapshot(self, snap) -> bool:
        """Draw `snap`; returns False (and draws nothing) for a snapshot older than the one on screen."""
        first_of_run = self._stale.new_run(snap)
        if not self._stale.newer(snap):
            return False
        self._snap = snap
        ds = snap.dataset
        plane = snap.plane
        sliced = plane is not None and plane.axes is not None
        self.slice_bar.show_plane(plane if sliced else None)
        if ds.raw_train is None and not sliced:
            self._show_message()
            self._last_dataset = ds
            self._points_key = None
            self._set_held_text("")
            return True
        self._hide_message()
        rebuilt = (ds.task, ds.n_classes, ds.y_train.shape[1]) != self._structure
        if rebuilt:
            self._build_structure(ds)
        # a slice's two inputs come in their own units: one unit across is not one unit up
        if sliced == self._aspect_locked:
            self._aspect_locked = not sliced
            self.plot_item.getViewBox().setAspectLocked(not sliced, ratio=1.0)
        key = (id(ds), plane.axes if sliced else None)
        if rebuilt or ds is not self._last_dataset or key != self._points_key:
            self._train_xy, self._test_xy = (plane.train_xy, plane.test_xy) if sliced else (ds.raw_train, ds.raw_test)
            self._points_key = key
            self._set_points(ds)
            self._set_axis_labels(_axis_names(snap))
        self._set_held_text(self._held_text(plane) if sliced else "")
        extent = snap.plane.extent if snap.plane is not None else ds.extent
        if extent != self._last_extent:
            self._set_extent(extent)
        if snap.plane is not None:
            self._draw_plane(snap.plane)
        elif first_of_run:  # no plane for this run yet: an old run's picture would mislead
            self.image.hide()
            self.contour.hide()
        return True

    def apply_theme(self, theme: themes.Theme) -> None:
        """Colours, fonts and point sizes from `theme`; what is shown is drawn again in them."""
        self._theme = theme
        P = theme.palette
        pi = self.plot_item
        self.setBackground(P.background)
        style_axes(pi, theme)
        self.message.setColor(P.foreground)
        self.message.setFont(theme.font("label"))
        style_legend(self.legend, theme, framed=False)
        self.contour.setPen(pg.mkPen(P.contour, width=theme.line(3)))
        lut = self._background_lut()
        self._lut = lut
        self.color_bar.setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut))
        bar_axis = self.color_bar.axis
        bar_axis.setPen(pg.mkPen(P.foreground))
        bar_axis.setTextPen(pg.mkPen(P.foreground))
        bar_axis.setTickFont(theme.font("tick"))
        bar_axis.setLabel("ŷ", **{"color": P.foreground.name(), "font-size": f"{theme.pt('label')}pt"})
        self._point_colors = [QtGui.QColor(*map(int, c[:3])) for c in self._point_lut()]
        size = POINT_PX * theme.scale
        self.chosen.setSize(size * 2.2)
        self.chosen.setPen(pg.mkPen(P.selected, width=theme.line(3)))
        self.train_points.setSize(size)
        self.test_points.setSize(size)
        self.train_points.setPen(pg.mkPen(P.point_edge, width=1.5))
        self.train_points.setBrush(pg.mkBrush(P.legend_grey))
        self.test_points.setPen(pg.mkPen(P.legend_grey, width=3.0))
        self.test_points.setBrush(pg.mkBrush(P.hollow_fill))
        names, self._axis_labels = self._axis_labels, None
        self._set_axis_labels(names)
        self.slice_bar.apply_theme(theme)
        held, self._held_plain = self._held_plain, None
        self._set_held_text(held)
        # what depends on the theme is made again from the snapshot on screen
        self._structure = self._last_dataset = self._last_extent = self._points_key = None
        if self._snap is not None:
            snap, self._snap = self._snap, None
            self._stale.key = None
            self.show_snapshot(snap)
        else:
            set_title(pi, "", theme)

    def mark_sample(self, row: int | None) -> None:
        """Ring the training point the lecture's numbers are of (None: no ring)."""
        ds = self._last_dataset
        pts = self._train_xy
        if row is None or ds is None or pts is None or not 0 <= row < pts.shape[0]:
            self.chosen.hide()
            return
        self.chosen.setData(pos=pts[row:row + 1])
        self.chosen.show()

    def set_editing(self, on: bool) -> None:
        """Clicks edit the data (point_added, point_removed) instead of choosing the lecture's sample."""
        self._editing = bool(on)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor if self._editing else QtCore.Qt.CursorShape.ArrowCursor)

    @property
    def editing(self) -> bool:
        return self._editing

    def _on_click(self, event) -> None:
        if self._editing and not self.message.isVisible():
            vb = self.plot_item.getViewBox()
            if vb.sceneBoundingRect().contains(event.scenePos()):
                at = vb.mapSceneToView(event.scenePos())
                event.accept()
                right = event.button() == QtCore.Qt.MouseButton.RightButton
                (self.point_removed if right else self.point_added).emit(float(at.x()), float(at.y()))
            return
        ds = self._last_dataset
        pts = self._train_xy
        if ds is None or pts is None or pts.shape[0] == 0 or self.message.isVisible():
            return
        vb = self.plot_item.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        # the nearest training point, in screen pixels, if it is within a point's reach of the click
        screen = np.array([[p.x(), p.y()] for p in (vb.mapViewToScene(QtCore.QPointF(*xy)) for xy in pts)])
        click = np.array([event.scenePos().x(), event.scenePos().y()])
        dist = np.hypot(*(screen - click).T)
        k = int(np.argmin(dist))
        if dist[k] <= POINT_PX * self._theme.scale * 1.5:
            event.accept()
            self.sample_clicked.emit(k)

    def set_show_test(self, show: bool) -> None:
        """Show or hide the test points (hollow)."""
        self._show_test = bool(show)
        self.test_points.setVisible(self._show_test and not self.message.isVisible())

    def set_discretize(self, on: bool) -> None:
        """Playground's "discretize output": every pixel in its class's colour, no shades of certainty."""
        self._discretize = bool(on)
        if self._snap is not None and self._snap.plane is not None and not self.message.isVisible():
            self._draw_plane(self._snap.plane)

    @property
    def show_test(self) -> bool:
        return self._show_test

    @property
    def discretize(self) -> bool:
        return self._discretize

    @property
    def message_visible(self) -> bool:
        return self.message.isVisible()

    # -------------------------------------------------------------- colours

    def _background_lut(self) -> np.ndarray:
        """The diverging map washed towards the background, so the saturated points stay readable on it."""
        lut = self._theme.lut.copy()
        lut[:, :3] = np.round(self._theme.washed(lut[:, :3])).astype(np.uint8)
        return lut

    def _point_lut(self) -> np.ndarray:
        """Regression points: the diverging map darkened (on a dark theme: lightened) towards its middle, so a
        target near 0 stays visible on the near-neutral plane (the ends keep their colours)."""
        lut = self._theme.lut.astype(float)
        P = self._theme.palette
        fg = np.array(P.foreground.getRgb()[:3] if P.dark else (0, 0, 0), dtype=float)
        t = np.abs(np.linspace(-1.0, 1.0, len(lut)))[:, None]
        mix = 0.38 * (1.0 - t)
        lut[:, :3] = lut[:, :3] * (1.0 - mix) + fg * mix
        return np.round(lut).astype(np.uint8)

    def _class_qcolor(self, ds, j: int) -> QtGui.QColor:
        if ds.task == "binary":
            d = self._theme.diverging
            return QtGui.QColor(d.positive if j == 1 else d.negative)
        return self._theme.class_color(j)

    @staticmethod
    def _class_name(ds, j: int) -> str:
        names = ds.class_names
        if names and j < len(names):
            return names[j]
        return f"y = {j}" if ds.task == "binary" else f"class {j}"

    # -------------------------------------------------------------- structure

    def _build_structure(self, ds) -> None:
        """New task or class count: the class colours and the legend's entries."""
        pi = self.plot_item
        P = self._theme.palette
        self.legend.clear()
        size = POINT_PX * self._theme.scale
        if ds.task == "regression":
            groups = [(P.legend_grey, "train")]
            self._class_colors = []
        else:
            groups = [(self._class_qcolor(ds, j), self._class_name(ds, j)) for j in range(max(ds.n_classes, 2))]
            self._class_colors = [color for color, _ in groups]
        # Legend samples are proxies (never in the scene) drawn like a point of their class.
        self._legend_proxies = [pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(P.point_edge, width=1.5),
                                                   brush=pg.mkBrush(color)) for color, _ in groups]
        for proxy, (_, name) in zip(self._legend_proxies, groups):
            self.legend.addItem(proxy, name)
        self._test_proxy = pg.ScatterPlotItem(size=size, symbol="o", pen=pg.mkPen(P.legend_grey, width=3.0),
                                              brush=pg.mkBrush(P.hollow_fill))
        self._test_in_legend = False
        self._set_test_legend(True)
        self.test_points.setVisible(self._show_test)

        regression = ds.task == "regression"
        if regression and not self._color_bar_in_layout:
            pi.layout.addItem(self.color_bar, 2, 5)
            self._color_bar_in_layout = True
            self.color_bar.show()
        elif not regression and self._color_bar_in_layout:
            pi.layout.removeItem(self.color_bar)
            self._color_bar_in_layout = False
            self.color_bar.hide()
        self.contour.setVisible(ds.task == "binary")
        title = {"binary": "Output ŷ and the boundary ŷ = 0.5", "multiclass": "Most likely class",
                 "regression": "Prediction ŷ"}[ds.task]
        set_title(pi, title, self._theme)
        self._structure = (ds.task, ds.n_classes, ds.y_train.shape[1])

    def _set_test_legend(self, present: bool) -> None:
        """The "test" entry only when there are test points to explain."""
        if present and not self._test_in_legend:
            self.legend.addItem(self._test_proxy, "test")
        elif not present and self._test_in_legend:
            self.legend.removeItem(self._test_proxy)
        self._test_in_legend = present
        n = len(self.legend.items)
        self.legend.setColumnCount(max(1, n if n <= 6 else math.ceil(n / 2)))
        self._screen_cache.cache(self.legend)  # its new entries

    # -------------------------------------------------------------- per dataset

    def _set_points(self, ds) -> None:
        """Train and test points; called only when the dataset object changes."""
        self._last_dataset = ds
        self._set_test_legend(self._test_xy.shape[0] > 0)
        if ds.task == "regression":
            self._target_scale = nice_ceil(float(np.max(np.abs(np.concatenate([ds.y_train[:, 0], ds.y_test[:, 0]])))))
            self._set_scale(self._target_scale)
            return
        brushes = [pg.mkBrush(c) for c in self._class_colors]
        pens = [pg.mkPen(c, width=3.0) for c in self._class_colors]
        labels = self._labels(ds, ds.y_train)
        order = np.argsort(labels, kind="stable")  # class by class, each in the dataset's order
        self.train_points.setData(pos=self._train_xy[order], brush=[brushes[j] for j in labels[order].tolist()])
        labels = self._labels(ds, ds.y_test)
        order = np.argsort(labels, kind="stable")
        self.test_points.setData(pos=self._test_xy[order], pen=[pens[j] for j in labels[order].tolist()])

    def _set_scale(self, scale: float) -> None:
        """Regression: the colour map spans [-scale, scale]; the colour bar and the points follow."""
        self._scale = scale
        self.color_bar.setLevels((-scale, scale))
        ds = self._last_dataset
        colors = self._point_colors
        brushes = [pg.mkBrush(colors[i]) for i in self._lut_index(ds.y_train[:, 0])]
        self.train_points.setData(pos=self._train_xy, brush=brushes)
        pens = [pg.mkPen(colors[i], width=3.0) for i in self._lut_index(ds.y_test[:, 0])]
        self.test_points.setData(pos=self._test_xy, pen=pens)

    def _fit_scale(self, yhat: np.ndarray) -> None:
        """Widen the scale (in 1-2-5 steps, never narrowing within a dataset) when ŷ outgrows it, so the plane
        is not one flat colour; at most 10× the targets' scale, so a diverging run cannot wash it out."""
        with np.errstate(invalid="ignore"):
            finite = np.abs(yhat[np.isfinite(yhat)])
        if finite.size == 0 or finite.max() <= self._scale:
            return
        wanted = min(nice_ceil(float(finite.max())), nice_ceil(10.0 * self._target_scale))
        if wanted > self._scale:
            self._set_scale(wanted)

    @staticmethod
    def _labels(ds, y: np.ndarray) -> np.ndarray:
        if y.shape[0] == 0:
            return np.zeros(0, dtype=int)
        if ds.task == "binary" or y.shape[1] == 1:
            return (y[:, 0] >= 0.5).astype(int)
        return np.argmax(y, axis=1)

    def _lut_index(self, values: np.ndarray) -> np.ndarray:
        t = np.clip(np.nan_to_num(values / self._scale), -1.0, 1.0)
        return np.round((t + 1.0) * 0.5 * 255).astype(int)

    @staticmethod
    def _held_text(plane) -> str:
        """Where the inputs off the axes are held: "x3 = 1.20, x4 = 0.40 held at their means" (and the values
        typed by the user said apart)."""
        def values(cols):
            return ", ".join(f"{plane.names[c]} = {fmt.number(v, fmt.SIG3)}" for c, v in plane.held if c in cols)
        means = [c for c, _ in plane.held if c not in plane.chosen]
        chosen = [c for c, _ in plane.held if c in plane.chosen]
        parts = []
        if means:
            parts.append(values(means) + (" held at their means" if len(means) > 1 else " held at its mean"))
        if chosen:
            parts.append(values(chosen) + " held as chosen")
        return "; ".join(parts)

    def held_text(self) -> str:
        """What the plot says about the held inputs ("" for 2-D data)."""
        return self._held_plain

    _held_plain = ""

    def _set_held_text(self, text: str) -> None:
        if text == self._held_plain and (bool(text) == self._held_in_layout):
            return
        self._held_plain = text
        pi = self.plot_item
        if text and not self._held_in_layout:
            pi.layout.addItem(self.held_label, 5, 1, alignment=QtCore.Qt.AlignmentFlag.AlignHCenter)
            self._held_in_layout = True
            self.held_label.show()
        elif not text and self._held_in_layout:
            pi.layout.removeItem(self.held_label)
            self._held_in_layout = False
            self.held_label.hide()
        if text:
            P = self._theme.palette
            # "… held at …" on a line of its own: the values alone fit a narrow dock
            html = "<br>".join(part.replace(" held ", "<br>held ") for part in text.split("; "))
            self.held_label.setText(html, color=P.foreground.name(),
                                    size=f"{self._theme.pt('label')}pt")

    def _set_axis_labels(self, names) -> None:
        if names != self._axis_labels:
            set_label(self.plot_item, "bottom", names[0], self._theme)
            set_label(self.plot_item, "left", names[1], self._theme)
            self._axis_labels = names

    def _set_extent(self, extent) -> None:
        x1min, x1max, x2min, x2max = extent
        vb = self.plot_item.getViewBox()
        vb.setRange(xRange=(x1min, x1max), yRange=(x2min, x2max), padding=0.0)
        vb.updateMatrix()  # now, not in the paint (see LossCurvePlot._fit_ranges)
        self._last_extent = extent

    # -------------------------------------------------------------- per frame

    def _draw_plane(self, plane) -> None:
        out = plane.output
        task = self._structure[0]
        res_rows, res_cols = out.shape[0], out.shape[1]
        if task == "multiclass" and out.shape[2] > 1:
            self.image.setImage(self._class_rgb(out), autoLevels=False, levels=(0, 255), lut=None)
        elif task == "regression":
            self._fit_scale(out[:, :, 0])
            s = self._scale
            self.image.setImage(np.asarray(out[:, :, 0], dtype=float), autoLevels=False, levels=(-s, s),
                                lut=self._lut)
        else:
            yhat = np.asarray(out[:, :, 0], dtype=float)
            shown = (yhat >= 0.5).astype(float) if self._discretize else yhat
            self.image.setImage(shown, autoLevels=False, levels=(0.0, 1.0), lut=self._lut)
            self.contour.setData(yhat, 0.5)
            self.contour.show()
        # Grid samples lie on the extent's edges: each pixel is centred on its sample, half a step beyond.
        x1min, x1max, x2min, x2max = plane.extent
        dx = (x1max - x1min) / max(res_cols - 1, 1)
        dy = (x2max - x2min) / max(res_rows - 1, 1)
        rect = QtCore.QRectF(x1min - dx / 2, x2min - dy / 2, x1max - x1min + dx, x2max - x2min + dy)
        if self.image.mapRectToParent(self.image.boundingRect()) != rect:
            self.image.setRect(rect)
        self.image.show()

    def _class_rgb(self, out: np.ndarray) -> np.ndarray:
        """(res, res, k) probabilities → RGB: the argmax class's colour, washed towards the background as p
        falls to 1/k."""
        k = out.shape[2]
        with np.errstate(invalid="ignore"):
            cls = np.argmax(np.nan_to_num(out, nan=-np.inf), axis=2)
            p = np.clip(np.take_along_axis(out, cls[:, :, None], axis=2)[:, :, 0], 0.0, 1.0)
        colors = np.array([self._theme.class_color(j).getRgb()[:3] for j in range(k)], dtype=float)
        strength = 1.0 - self._theme.palette.wash
        if self._discretize:
            t = np.full(p.shape, strength)
        else:
            t = strength * np.clip((np.nan_to_num(p) - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
        bg = np.array(self._theme.palette.background.getRgb()[:3], dtype=float)
        rgb = bg + (colors[cls] - bg) * t[:, :, None]
        return np.round(rgb).astype(np.uint8)

    # -------------------------------------------------------------- the 2-D message

    def _show_message(self) -> None:
        pi = self.plot_item
        for item in (self.image, self.train_points, self.test_points, self.legend, self.color_bar):
            item.hide()
        pi.hideAxis("left")
        pi.hideAxis("bottom")
        set_title(pi, "", self._theme)
        pi.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0.0)
        self._last_extent = None
        self.message.show()

    def _hide_message(self) -> None:
        if not self.message.isVisible():
            return
        self.message.hide()
        pi = self.plot_item
        pi.showAxis("left")
        pi.showAxis("bottom")
        self.train_points.show()
        self.test_points.setVisible(self._show_test)
        self.legend.show()
        if self._color_bar_in_layout:
            self.color_bar.show()
        self._structure = None  # rebuild the title and legend for whatever comes now
