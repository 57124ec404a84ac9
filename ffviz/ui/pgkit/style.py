"""Axes, labels and legends styled from the theme, for every plot alike."""

from __future__ import annotations

import pyqtgraph as pg


def style_axes(plot: pg.PlotItem, theme) -> None:
    """Axes in the theme's foreground with large tick labels."""
    fg = theme.palette.foreground
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(fg, width=theme.line(1.5)))
        axis.setTextPen(pg.mkPen(fg))
        axis.setTickFont(theme.font("tick"))
        axis.setStyle(tickLength=-8, tickTextOffset=6, maxTickLevel=1)
        no_si_prefix(axis)  # "loss J (x0.001)" above ticks of 300 reads worse than 0.3


def no_si_prefix(axis: pg.AxisItem) -> None:
    """Tick labels in the axis's own units, never scaled by an SI prefix. pyqtgraph's enableAutoSIPrefix(False)
    still computes a prefix when the axis's label is showing (0.14: updateAutoSIPrefix does not look at the
    flag): every restyle after the first, e.g. a theme change, scaled an axis of J from 0 to 0.25 by 1000 and
    labelled it 50, 100, 150, 200, with no unit to say so. With the label hidden it computes no prefix."""
    axis.enableAutoSIPrefix(False)
    if axis.autoSIPrefixScale != 1.0:
        shown = axis.label.isVisible()
        axis.label.setVisible(False)
        axis.updateAutoSIPrefix()  # no label showing: scale 1, no prefix
        axis.label.setVisible(shown)


def set_label(plot: pg.PlotItem, side: str, text: str, theme) -> None:
    plot.setLabel(side, text, **{"color": theme.palette.foreground.name(), "font-size": f"{theme.pt('label')}pt"})


def style_legend(legend: pg.LegendItem, theme, *, framed: bool) -> None:
    """A legend's text (and, if `framed`, its box) in the theme; entries already added are restyled too."""
    P = theme.palette
    legend.setLabelTextColor(P.foreground)
    legend.setLabelTextSize(f"{theme.pt('legend')}pt")
    if framed:
        legend.setBrush(pg.mkBrush(P.panel))
        legend.setPen(pg.mkPen(P.panel_border))
    for _sample, label in legend.items:
        label.setText(label.text, color=P.foreground, size=f"{theme.pt('legend')}pt")
    legend.updateSize()
