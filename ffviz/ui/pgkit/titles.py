"""Plot titles that cost little to change every frame, in the theme's colour and size.

PlotItem.setTitle re-lays out the plot on every call, which paints it a second time each frame; these replace only
the text once the title row has its size, and lay the row out again only when the theme (colour, size) changes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets


def _style_key(theme) -> tuple:
    return theme.palette.foreground.name(), theme.pt("title")


def set_title(plot: pg.PlotItem, html: str, theme) -> None:
    """Set a plot's title (HTML) in the theme's title style."""
    label = plot.titleLabel
    key = _style_key(theme)
    if getattr(label, "_ffviz_style", None) == key and label.isVisible():
        if label.text != html:
            label.text = html
            color, size = key
            label.item.setHtml(f"<span style='color: {color}; font-size: {size}pt'>{html}</span>")
            # Re-centre the text in the title row (its height is fixed) as LabelItem.resizeEvent does, but
            # without its updateGeometry: the layout pass that posts cost ~0.2 ms a frame per title.
            label.item.setPos(0, 0)
            bounds = label.itemRect()
            bounds.moveCenter(label.rect().center())
            label.item.setPos(bounds.topLeft() - label.itemRect().topLeft())
        return
    plot.setTitle(html, color=key[0], size=f"{key[1]}pt")
    label._ffviz_style = key


class TitleRuns(QtWidgets.QGraphicsItem):
    """A title made of coloured runs of text, laid out by one QTextLayout, in a plot's title row.

    It stands in for the LabelItem's QGraphicsTextItem, whose setHtml parses the HTML and lays out a
    QTextDocument: ~0.4 ms for a title that changes every frame. The runs are laid out as that document lays
    out the same HTML (the same font, its 4 px margin, the line's leading) and centred in the row as
    LabelItem centres its text, so the title looks the same.
    """

    MARGIN = 4.0  # QTextDocument's documentMargin

    def __init__(self, label: pg.LabelItem, points: float):
        super().__init__(label)
        self._label = label
        self._option = label.item.document().defaultTextOption()
        self._layout: QtGui.QTextLayout | None = None
        self._size = QtCore.QSizeF(0.0, 0.0)
        self._runs: tuple = ()
        self.set_points(points)
        label.item.hide()
        label.geometryChanged.connect(self._centre)

    def set_points(self, points: float) -> None:
        self._font = QtGui.QFont(self._label.item.font())
        self._font.setPointSizeF(points)
        runs, self._runs = self._runs, None
        self.set_runs(runs)

    def runs(self) -> tuple:
        return self._runs

    def set_runs(self, runs: tuple) -> None:
        """Show these (text, QColor) runs; adjacent runs of one colour are one run, as in a document."""
        if runs == self._runs:
            return
        self._runs = runs
        text = "".join(t for t, _ in runs)
        layout = QtGui.QTextLayout(text, self._font)
        layout.setTextOption(self._option)
        formats, start = [], 0
        for t, color in runs:
            length = len(t.encode("utf-16-le")) // 2  # QTextLayout counts UTF-16 units
            fmt = QtGui.QTextLayout.FormatRange()
            fmt.start, fmt.length = start, length
            fmt.format = QtGui.QTextCharFormat()
            fmt.format.setForeground(color)
            formats.append(fmt)
            start += length
        layout.setFormats(formats)
        layout.beginLayout()
        line = layout.createLine()
        line.setLeadingIncluded(True)
        layout.endLayout()
        self.prepareGeometryChange()
        self._layout = layout
        self._size = QtCore.QSizeF(line.naturalTextWidth() + 2 * self.MARGIN, line.height() + 2 * self.MARGIN)
        self._centre()
        self.update()

    def _centre(self) -> None:
        centre = self._label.rect().center()
        self.setPos(centre.x() - self._size.width() / 2, centre.y() - self._size.height() / 2)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(QtCore.QPointF(0.0, 0.0), self._size)

    def paint(self, painter, option, widget=None) -> None:
        if self._layout is not None:
            self._layout.draw(painter, QtCore.QPointF(self.MARGIN, self.MARGIN))


def set_title_runs(plot: pg.PlotItem, runs, theme) -> None:
    """Set a plot's title from (text, QColor) runs, drawn by a TitleRuns item (made on the first call).
    titleLabel.text holds the same title as HTML."""
    label = plot.titleLabel
    title = getattr(label, "_ffviz_runs", None)
    key = _style_key(theme)
    if title is None or getattr(label, "_ffviz_style", None) != key:
        label._ffviz_style = None
        set_title(plot, "", theme)  # sizes the title row for the theme's title font
        if title is None:
            title = label._ffviz_runs = TitleRuns(label, theme.pt("title"))
        else:
            title.set_points(theme.pt("title"))
    merged = []
    for text, color in runs:
        if merged and merged[-1][1] == color:
            merged[-1] = (merged[-1][0] + text, color)
        else:
            merged.append((text, color))
    label.text = "".join(f'<span style="color:{c.name()}">{t}</span>'.replace("\u00a0", "&nbsp;")
                         for t, c in merged)
    title.set_runs(tuple(merged))
