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
        axis.enableAutoSIPrefix(False)  # "loss J (x0.001)" above ticks of 300 reads worse than 0.3


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
