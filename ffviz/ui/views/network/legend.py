"""The diagram's colour legend: what the colours mean (weight w or gradient ∂J/∂w) and their scale, linear
(−max … 0 … +max) or signed log (−max … ±floor … +max, engine/insight.py's LogScale)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from ffviz.ui import format as fmt
from ffviz.ui.views.network.colors import N_COLORS, ValueColors


class ColorLegend:
    """The colour bar with its numeric scale and what it shows, drawn over the viewport's bottom-right corner.

    NetworkView.drawForeground draws it in viewport pixels, so it never scrolls or zooms. (As a child widget
    floating over the viewport it was painted again, as a widget of its own, with every frame: ~0.5 ms.) On
    screen everything but the scale's numbers comes from a pixmap made when the title changes; a vector
    device (an SVG export) gets the drawing itself.
    """

    def __init__(self, theme, colors: ValueColors):
        self.visible = False  # shown from the first snapshot on
        self._title = ""
        self._scale = 0.0
        self._known = True
        self._nonfinite = False
        self._floor = None  # a log scale's floor (the centre colour: |v| at or below it); None: linear
        self.set_theme(theme, colors)

    def set_theme(self, theme, colors: ValueColors) -> None:
        self._theme = theme
        bar = np.ascontiguousarray(colors.argb[:N_COLORS][None, :])
        self._bar = QtGui.QImage(bar.data, N_COLORS, 1, N_COLORS * 4, QtGui.QImage.Format.Format_RGB32).copy()
        self._font = theme.font("diagram")
        self._bold = QtGui.QFont(self._font)
        self._bold.setBold(True)
        self._pixmap: QtGui.QPixmap | None = None  # everything but the numbers, as drawn last
        self._drawn_state = None
        self._size = self._width = None  # (title, size or width) measured last

    def set_state(self, title: str, scale: float, known: bool, nonfinite: bool, floor: float | None = None) -> bool:
        """Returns whether what the legend shows changed. `floor`: the scale is a signed log one from
        ±floor (the centre) to ±scale."""
        shown = self.tick_labels()
        self._title, self._scale, self._known, self._nonfinite = title, scale, known, nonfinite
        self._floor = floor
        if (title, known, nonfinite) != self._drawn_state:
            self._drawn_state = (title, known, nonfinite)
            self._pixmap = None
            return True
        return self.tick_labels() != shown  # the scale is shown to 3 digits: often the same text

    def tick_labels(self) -> tuple[str, str, str]:
        if not self._known:
            return ("", "not computed yet", "")
        s = fmt.number(self._scale)
        if self._floor is not None:
            return ("−" + s, "±" + fmt.number(self._floor), "+" + s)
        return ("−" + s, "0", "+" + s)

    def text(self) -> str:
        """What the legend says, as one line (for tests and screen readers)."""
        extra = "  NaN/inf" if self._nonfinite else ""
        if not self._known:
            return f"{self._title}: not computed yet{extra}"
        lo, mid, hi = self.tick_labels()
        return f"{self._title}: {lo} … {mid} … {hi}{extra}"

    def size(self) -> QtCore.QSize:
        # asked for several times a frame (layout, legend_rect, draw): measured once per title
        if self._size is None or self._size[0] != self._title:
            lh = QtGui.QFontMetrics(self._font).height()
            # a log scale's three ticks are all numbers like −8.67e−03, ±8.67e−10: a longer bar keeps them apart
            bar = 250 if self._floor is None else 360
            self._size = (self._title, QtCore.QSize(self._title_width() + bar, 2 * lh + 14))
        return QtCore.QSize(self._size[1])

    def _title_width(self) -> int:
        if self._width is None or self._width[0] != self._title:
            fm = QtGui.QFontMetrics(self._bold)
            self._width = (self._title,
                           max(fm.horizontalAdvance(t) for t in ("gradient ∂J/∂w", "weight w", self._title)) + 16)
        return self._width[1]

    def draw(self, p: QtGui.QPainter, rect: QtCore.QRect) -> None:
        """Draw the legend into `rect` (device pixels of `p`)."""
        p.save()
        p.translate(rect.topLeft())
        if p.paintEngine().type() != QtGui.QPaintEngine.Type.Raster:
            self._draw_frame(p)
        else:
            dpr = p.device().devicePixelRatioF()
            if self._pixmap is None or self._pixmap.devicePixelRatio() != dpr \
                    or self._pixmap.deviceIndependentSize().toSize() != self.size():
                pm = QtGui.QPixmap(self.size() * dpr)
                pm.setDevicePixelRatio(dpr)
                pm.fill(QtCore.Qt.GlobalColor.transparent)
                painter = QtGui.QPainter(pm)
                self._draw_frame(painter)
                painter.end()
                self._pixmap = pm
            p.drawPixmap(0, 0, self._pixmap)
        self._draw_numbers(p)
        p.restore()

    def _layout(self) -> tuple[QtCore.QRectF, QtCore.QRectF, float, float]:
        """The outline, the colour bar, the line height and the top margin."""
        r = QtCore.QRectF(QtCore.QPointF(0, 0), QtCore.QSizeF(self.size())).adjusted(0.5, 0.5, -0.5, -0.5)
        lh = QtGui.QFontMetrics(self._font).height()
        pad, top = 10, 6
        bx = pad + self._title_width()
        return r, QtCore.QRectF(bx, top + lh * 0.15, r.width() - pad - bx, lh * 0.75), lh, top

    def _draw_numbers(self, p: QtGui.QPainter) -> None:
        """−max … 0 … +max under the bar (or "not computed yet")."""
        _, bar, lh, top = self._layout()
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setFont(self._font)
        p.setPen(self._theme.palette.foreground)
        lo, mid, hi = self.tick_labels()
        row = QtCore.QRectF(bar.left(), top + lh + 2, bar.width(), lh)
        p.drawText(row, QtCore.Qt.AlignmentFlag.AlignLeft, lo)
        p.drawText(row, QtCore.Qt.AlignmentFlag.AlignHCenter, mid)
        p.drawText(row, QtCore.Qt.AlignmentFlag.AlignRight, hi)

    def _draw_frame(self, p: QtGui.QPainter) -> None:
        """Everything but the numbers: the box, the title, the bar, the NaN/inf swatch."""
        # one row: title, then the bar; under them the NaN/inf swatch (when needed) and −max … 0 … +max
        r, bar, lh, top = self._layout()
        pad = 10
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        P = self._theme.palette
        p.setPen(QtGui.QPen(P.panel_border, 1))
        p.setBrush(P.panel)
        p.drawRoundedRect(r, 6, 6)
        left = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        p.setFont(self._bold)
        p.setPen(P.foreground)
        p.drawText(QtCore.QRectF(pad, top, self._title_width(), lh), left, self._title)
        p.setFont(self._font)
        if self._nonfinite:
            sw = QtCore.QRectF(pad, top + lh + 2 + lh * 0.2, lh * 0.8, lh * 0.6)
            p.fillRect(sw, P.nonfinite)
            p.drawText(QtCore.QRectF(sw.right() + 5, top + lh + 2, 100, lh), left, "NaN/inf")
        if self._known:
            p.drawImage(bar, self._bar)
        else:
            p.fillRect(bar, P.unknown)
        p.setPen(QtGui.QPen(P.outline, 1))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawRect(bar)
        cx = bar.center().x()
        p.drawLine(QtCore.QPointF(cx, bar.bottom()), QtCore.QPointF(cx, bar.bottom() + 3))
