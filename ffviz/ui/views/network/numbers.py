"""The lecture's numbers written on the diagram while an update is stepped phase by phase.

forward: Σ (z) and a on each node of the layer (x on the inputs), w on the edges into it;
loss: J and ∂J/∂ŷ on the outputs;  backward: g′(Σ) and δ = ∂J/∂Σ on each node, ∂J/∂w on the edges into it;
update: old → new on each edge and bias. Earlier phases' numbers stay on the nodes, dimmed; the current phase's
are bold. Edges carry numbers only while their layer is the phase's (and all of them for the update): edges of
several layers written at once crowd a diagram past reading.

Every number is read from the snapshot's trace (the engine computed it); this only places and formats them. On
a large layer only the selected neuron's numbers are written (the rest stay legible through the text scale).
In the quiz, the current phase's numbers are "?" until revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.ui import format as fmt
from ffviz.ui.views.network.items import LABEL_Z

ALL_UNITS = 2  # a layer of up to this many units gets numbers on every unit; larger: the selected one (or 1st)
ALL_EDGES = 4  # likewise for the edges into a layer: more, and only the selected unit's are written


@dataclass(frozen=True)
class Line:
    label: str
    value: str  # already formatted, or "?"
    current: bool  # written by the phase just done (bold), else by an earlier one (dimmed)


def _layers_done(trace):
    """(phase, its index in the update) of every phase done so far in the trace's update."""
    n = len(trace.z)
    order = ([("forward", l) for l in range(1, n + 1)] + [("loss", None)]
             + [("backward", l) for l in range(n, 0, -1)] + [("update", None)])
    last = (trace.last_phase.kind, trace.last_phase.layer)
    return order[:order.index(last) + 1]


class _Block:
    """A few lines of numbers on a pale background, anchored to a point."""

    def __init__(self, scene):
        self.item = QtWidgets.QGraphicsTextItem()
        self.item.setZValue(LABEL_Z + 0.5)
        self.bg = QtWidgets.QGraphicsRectItem()
        self.bg.setPen(QtCore.Qt.PenStyle.NoPen)
        self.bg.setZValue(LABEL_Z + 0.4)
        scene.addItem(self.bg)
        scene.addItem(self.item)
        self._html = None
        self.hide()

    def show(self, html: str, font, background, x: float, y: float, above: bool, anchor: str = "centre") -> None:
        """At (x, y): centred above it (`above`) or below it; anchor "left-centre": its left edge at x,
        centred on y."""
        if html != self._html or self.item.font() != font:
            self._html = html
            self.item.setFont(font)
            self.item.setHtml(html)
        br = self.item.boundingRect()
        if anchor == "left-centre":
            left, top = x, y - br.height() / 2
        else:
            left = x - br.width() / 2
            top = y - br.height() if above else y
        self.item.setPos(left, top)
        self.bg.setRect(QtCore.QRectF(left + 2, top + 2, br.width() - 4, br.height() - 4))
        self.bg.setBrush(background)
        self.item.show()
        self.bg.show()

    def hide(self) -> None:
        self.item.hide()
        self.bg.hide()

    def text(self) -> str:
        return self.item.toPlainText() if self.item.isVisible() else ""


class PhaseNumbers:
    """The numbers of the update in progress on a NetworkView's scene (items made once per structure)."""

    def __init__(self, scene, sizes: tuple):
        self._scene = scene
        self.sizes = sizes
        self.nodes = [[_Block(scene) for _ in range(units)] for units in sizes]
        self.edges: dict[tuple, _Block] = {}  # (layer, i, j) → block, made when first needed

    def _edge(self, key) -> _Block:
        if key not in self.edges:
            self.edges[key] = _Block(self._scene)
        return self.edges[key]

    def hide(self) -> None:
        for column in self.nodes:
            for b in column:
                b.hide()
        for b in self.edges.values():
            b.hide()

    def node_text(self, layer: int, j: int) -> str:
        return self.nodes[layer][j].text()

    def edge_text(self, layer: int, i: int, j: int) -> str:
        b = self.edges.get((layer, i, j))
        return "" if b is None else b.text()

    def draw(self, snap, view, *, precision, quiz_hidden: bool, sample: int, selection) -> None:
        """Write the numbers of `snap`'s update in progress for one sample; nothing without a trace."""
        tr = snap.trace
        if tr is None or tr.last_phase is None:
            self.hide()
            return
        s = min(max(sample, 0), tr.n - 1)
        n_layers = len(tr.z)
        node_lines: dict[tuple, list[Line]] = {}
        edge_lines: dict[tuple, list[Line]] = {}
        done = _layers_done(tr)
        last = done[-1]

        def num(v, current: bool) -> str:
            return "?" if current and quiz_hidden else fmt.number(v, precision)

        def units(layer: int) -> list[int]:
            if self.sizes[layer] <= ALL_UNITS:
                return list(range(self.sizes[layer]))
            if selection is not None and selection[0] == layer:
                return [selection[2][-1]]
            if selection is not None and selection[0] == layer + 1 and selection[1] == "kernel":
                return [selection[2][0]]
            return [0]

        def into(layer: int, j: int) -> list[int]:
            fan_in = self.sizes[layer - 1]
            if fan_in * len(units(layer)) <= ALL_EDGES:
                return list(range(fan_in))
            if fan_in <= ALL_EDGES and len(units(layer)) == 1:
                return list(range(fan_in))  # the one unit written: its incoming weights too
            if selection is not None and selection[0] == layer and selection[1] == "kernel" \
                    and selection[2][1] == j:
                return [selection[2][0]]
            return []

        kernels = tr.old_kernels if tr.old_kernels is not None else snap.kernels
        for phase in done:
            cur = phase == last
            kind, layer = phase
            if kind == "forward":
                if layer == 1:
                    for i in units(0):
                        node_lines.setdefault((0, i), []).append(Line("x", num(tr.a[0][s, i], False), cur))
                li = layer - 1
                out = layer == n_layers
                for j in units(layer):
                    lines = node_lines.setdefault((layer, j), [])
                    lines.append(Line("Σ", num(tr.z[li][s, j], cur), cur))
                    lines.append(Line("ŷ" if out else "a", num(tr.a[layer][s, j], cur), cur))
                    for i in into(layer, j):
                        if cur:  # an edge's numbers only while its layer is the phase's (they would crowd)
                            edge_lines.setdefault((layer, i, j), []).append(Line("w", num(kernels[li][i, j], False), cur))
            elif kind == "loss":
                for j in units(n_layers):
                    lines = node_lines.setdefault((n_layers, j), [])
                    if j == units(n_layers)[0]:
                        lines.append(Line("J" if tr.n == 1 else "L", num(tr.per_sample_loss[s], cur), cur))
                    if tr.perceptron:
                        lines.append(Line("y − ŷ", num(tr.y[s, j] - tr.a[-1][s, j], cur), cur))
                    elif tr.dJ_dyhat is not None:
                        lines.append(Line("∂J/∂ŷ", num(tr.dJ_dyhat[s, j], cur), cur))
            elif kind == "backward":
                li = layer - 1
                for j in units(layer):
                    lines = node_lines.setdefault((layer, j), [])
                    if not (layer == n_layers and tr.fused):
                        lines.append(Line("g′", num(tr.g_prime[li][s, j], cur), cur))
                    lines.append(Line("δ", num(tr.delta[li][s, j], cur), cur))
                    for i in into(layer, j):
                        if cur:
                            edge_lines.setdefault((layer, i, j), [Line("w", num(kernels[li][i, j], False), False)]).append(
                                Line("∂J/∂w", num(tr.grad_kernels[li][i, j], cur), cur))
            else:  # the update: old → new
                for layer in range(1, n_layers + 1):
                    li = layer - 1
                    for j in units(layer):
                        for i in into(layer, j):
                            old, new = tr.old_kernels[li][i, j], tr.new_kernels[li][i, j]
                            lines = edge_lines.setdefault((layer, i, j), [])
                            if n_layers == 1:  # one layer: its gradient stays beside the change it made
                                lines.append(Line("∂J/∂w", num(tr.grad_kernels[li][i, j], False), False))
                            lines.append(Line("w", f"{num(old, False)} → {num(new, cur)}", cur))
                        if tr.old_biases[li] is not None:
                            old, new = tr.old_biases[li][j], tr.new_biases[li][j]
                            node_lines.setdefault((layer, j), []).append(
                                Line("b", f"{num(old, False)} → {num(new, cur)}", cur))
        view.place_numbers(self, node_lines, edge_lines)


def html(lines: list[Line], theme) -> str:
    """The lines as HTML: the current phase's in the foreground and bold, earlier ones dimmed."""
    P = theme.palette
    rows = []
    for line in lines:
        color = P.foreground if line.current else P.muted
        weight = "bold" if line.current else "normal"
        rows.append(f'<span style="color:{color.name()}; font-weight:{weight}">{line.label} = {line.value}</span>')
    return "<br>".join(rows)
