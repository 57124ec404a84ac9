"""The pieces the network diagram is made of: anchored labels, nodes, the structure it was built for, its
geometry, and the inline editor for typing a weight."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

EDGE_Z, SELECTED_EDGE_Z, HALO_Z, NODE_Z, HEAT_Z, LABEL_Z = 1.0, 1.8, 1.5, 2.0, 3.0, 5.0


class Label:
    """A text item anchored at a point (left/centre/right, top/centre), optionally on a pale background."""

    __slots__ = ("text", "bg", "halign", "valign", "_x", "_y", "_s")

    def __init__(self, scene, font, color, halign="center", valign="top", background=None, z=LABEL_Z):
        self.text = QtWidgets.QGraphicsSimpleTextItem()
        self.text.setFont(font)
        self.text.setBrush(color)
        self.text.setZValue(z + 0.1)
        self.bg = None
        if background is not None:
            self.bg = QtWidgets.QGraphicsRectItem()
            self.bg.setBrush(background)
            self.bg.setPen(QtCore.Qt.PenStyle.NoPen)
            self.bg.setZValue(z)
            scene.addItem(self.bg)
        scene.addItem(self.text)
        self.halign, self.valign = halign, valign
        self._x = self._y = 0.0
        self._s = None

    def set_text(self, s: str) -> None:
        if s != self._s:
            self._s = s
            self.text.setText(s)
            self._place()

    def set_anchor(self, x: float, y: float) -> None:
        self._x, self._y = x, y
        self._place()

    def set_visible(self, on: bool) -> None:
        self.text.setVisible(on)
        if self.bg is not None:
            self.bg.setVisible(on)

    def rect(self) -> QtCore.QRectF:
        if self.bg is not None:
            return self.bg.rect()
        return self.text.sceneBoundingRect()

    def _place(self) -> None:
        br = self.text.boundingRect()
        w, h = br.width(), br.height()
        left = self._x - {"left": 0.0, "center": w / 2, "right": w}[self.halign]
        top = self._y - (h / 2 if self.valign == "center" else 0.0)
        self.text.setPos(left, top)
        if self.bg is not None:
            self.bg.setRect(left - 3, top, w + 6, h)


class Node:
    __slots__ = ("box", "heat", "bias", "name", "has_bias", "heat_inset", "brush_key", "heat_res")

    def __init__(self, box, heat, bias, name, has_bias):
        self.box, self.heat, self.bias, self.name, self.has_bias = box, heat, bias, name, has_bias
        self.heat_inset = 0.0
        self.brush_key = None  # the LUT index the box's brush shows, so unchanged brushes are not re-set
        self.heat_res = 0  # the heatmap pixmap's width: the item is re-scaled only when it changes


@dataclass(frozen=True)
class Structure:
    sizes: tuple
    has_bias: tuple
    features: tuple


@dataclass
class Geometry:
    canvas: QtCore.QRectF
    xs: list
    ys: list  # per column, the node centres
    size: float  # node side
    col_w: float
    top: float  # the phase caption row
    header_y: float
    body_top: float
    body_bottom: float
    footer_y: float


class InlineEditor(QtWidgets.QLineEdit):
    """A line edit over the diagram for a new weight value; Esc cancels."""

    cancelled = QtCore.Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)
