"""J along one weight, the others where they are: the curve, the tangent at the current value (slope ∂J/∂w),
and the step −η·∂J/∂w to the next value: the "compute gradient, take a small step" slides, for a real network.
Draws engine results (engine/surface.py SliceResult) and nothing else."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.pgkit import ScreenCache, repaint_one_rect, set_label, set_title, style_axes
from ffviz.ui.views.surface.canvas import STEP_COLOR

TANGENT_SHARE = 0.3  # the tangent is drawn over this share of the weight's range, centred on its value


class SliceCanvas(pg.PlotWidget):
    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        repaint_one_rect(self)
        pi = self.getPlotItem()
        self.plot_item = pi
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.getViewBox().setMouseEnabled(False, False)
        pi.disableAutoRange()
        self.curve = pg.PlotCurveItem()
        self.tangent = pg.PlotCurveItem()
        self.step_line = pg.PlotCurveItem()
        self.current = pg.ScatterPlotItem(pxMode=True, symbol="o")
        self.next = pg.ScatterPlotItem(pxMode=True, symbol="o")
        self.head = pg.ArrowItem(headLen=18, tipAngle=36, tailLen=0)
        self.current_label = pg.TextItem(anchor=(0.5, 1.2))
        self.next_label = pg.TextItem(anchor=(0.5, -0.2))
        for z, item in enumerate((self.curve, self.tangent, self.step_line, self.current, self.next, self.head)):
            item.setZValue(z)
            pi.addItem(item)
        for item in (self.current_label, self.next_label):
            item.setZValue(20)
            pi.addItem(item, ignoreBounds=True)
        self._cache = ScreenCache(pi)
        self._cache.cache(*(pi.getAxis(n) for n in ("left", "bottom")))
        self.result = None
        self.precision = fmt.SIG3
        self.apply_theme(theme)

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        P = theme.palette
        self.setBackground(P.background)
        style_axes(self.plot_item, theme)
        w = theme.line(3.0) * theme.scale
        self.curve.setPen(pg.mkPen(P.foreground, width=w))
        self.tangent.setPen(pg.mkPen(P.highlight, width=w, style=QtCore.Qt.PenStyle.DashLine))
        self.step_line.setPen(pg.mkPen(STEP_COLOR, width=w + 1))
        self.head.setStyle(brush=pg.mkBrush(STEP_COLOR), pen=pg.mkPen(P.foreground, width=1.0),
                           headLen=18 * theme.scale)
        size = 11.0 * theme.scale
        self.current.setSize(size * 1.7)
        self.current.setPen(pg.mkPen(P.foreground, width=theme.line(3)))
        self.current.setBrush(pg.mkBrush(P.background))
        self.next.setSize(size * 1.2)
        self.next.setPen(pg.mkPen(P.foreground, width=2))
        self.next.setBrush(pg.mkBrush(STEP_COLOR))
        for label in (self.current_label, self.next_label):
            label.setFont(theme.font("label", bold=label is self.current_label))
            label.fill = pg.mkBrush(P.panel)
            label.border = pg.mkPen(P.panel_border)
            label.setColor(P.foreground)
        if self.result is not None:
            self.show_result(self.result)
        else:
            set_title(self.plot_item, "", theme)

    def set_precision(self, precision: fmt.Precision) -> None:
        self.precision = precision
        if self.result is not None:
            self.show_result(self.result)

    def clear_result(self) -> None:
        """Nothing drawn (the network changed: the slice of the one before is not this one's)."""
        self.result = None
        for item in (self.curve, self.tangent, self.step_line):
            item.setData([], [])
        for item in (self.current, self.next):
            item.setData([])
        self.head.setVisible(False)
        for label in (self.current_label, self.next_label):
            label.setText("")
        set_title(self.plot_item, "", self._theme)

    def show_result(self, r) -> None:
        self.result = r
        p = self.precision
        w, loss = np.asarray(r.w, float), np.asarray(r.loss, float)
        self.curve.setData(w, loss)
        half = TANGENT_SHARE * (w[-1] - w[0]) / 2
        tw = np.array([r.value - half, r.value + half])
        self.tangent.setData(tw, r.tangent(tw))
        self.step_line.setData([r.value, r.next_value], [r.center_loss, r.center_loss])
        self.current.setData(pos=[(r.value, r.center_loss)])
        self.next.setData(pos=[(r.next_value, r.next_loss)])
        self.head.setStyle(angle=0.0 if r.step < 0 else 180.0)
        self.head.setPos(r.next_value, r.center_loss)
        self.head.setVisible(r.step != 0)
        self.current_label.setText(f"{r.name} = {fmt.number(r.value, p)}   J = {fmt.number(r.center_loss, p)}")
        self.current_label.setPos(r.value, r.center_loss)
        # where −η·∂J/∂w lands, not "next": with momentum, Adam or a mini-batch the run's next update goes elsewhere
        self.next_label.setText(f"w − η·∂J/∂w = {fmt.number(r.next_value, p)}   J = {fmt.number(r.next_loss, p)}")
        self.next_label.setPos(r.next_value, r.next_loss)
        finite = loss[np.isfinite(loss)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = 0.1 * (hi - lo) if hi > lo else 0.5
        self.plot_item.setXRange(w[0], w[-1], padding=0.0)
        self.plot_item.setYRange(lo - pad, hi + pad, padding=0.0)
        set_label(self.plot_item, "bottom", r.name, self._theme)
        set_label(self.plot_item, "left", "J", self._theme)
        set_title(self.plot_item, f"slope ∂J/∂w = {fmt.number(r.slope, p)}   ·   step −η·∂J/∂w = "
                                  f"{fmt.number(r.step, p)}   (η = {fmt.number(r.learning_rate, p)})", self._theme)
