"""The network diagram: every weight, bias and neuron of one snapshot, drawn so a lecture hall can read it.

Items are built once per network *structure* (layer sizes, which layers have a bias, the input features) and
updated in place on every later snapshot: pens, brushes, texts and heatmap pixmaps change, the items stay.
The layout is computed for the viewport's size (scene units are pixels at zoom 1, so text keeps the theme's
size whenever the network fits) and recomputed on resize unless the user zoomed or panned.

Colour choices (other views match them through the theme):
- Edges and bias rings use the theme's diverging map on ONE scale for the whole network: the largest finite
  |value| over every kernel and bias (biases are the lecture's w₀). One scale makes colours comparable across
  layers; in gradient mode the same holds for ∂J/∂w, which is what shows vanishing gradients (deep-sigmoid's
  first layers go pale and thin). Edge width grows linearly with |value| / scale, from 0.7 px to ~8 px.
- A node's box is filled with its bias colour and its heatmap is inset, so the bias shows as a ring.
- Node heatmaps show the neuron's output a over the input plane (as TensorFlow Playground does); see
  colors.heat_indices. Heatmaps are drawn nearest-neighbour: smooth scaling of ~130 pixmaps doubled the paint
  time of an 8 × 16 network; ask the engine for a plane resolution near the node size (32–48).
- NaN and ±inf (after divergence) are the palette's nonfinite colour wherever they appear.

Edges are one QGraphicsLineItem each: per-item pens make an in-place update a diff (only edges whose
quantised colour or width changed get a new pen, from a pen cache), and the selected edge can be raised and
haloed on its own. Hit testing (hits.py) is NumPy over the edge end points; the scene runs without an index
for that reason. Tooltips (tooltips.py) are composed when Qt asks for one.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.engine.activations import ACTIVATIONS
from ffviz.engine.insight import log_position, log_scale
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.views import Staleness
from ffviz.ui.views.network.colors import ValueColors, heat_indices, lut_index
from ffviz.ui.views.network.hits import nearest_edge
from ffviz.ui.views.network.items import (EDGE_Z, HALO_Z, HEAT_Z, LABEL_Z, NODE_Z, SELECTED_EDGE_Z, Geometry,
                                          InlineEditor, Label, Node, Structure)
from ffviz.ui.lecture import LectureOptions
from ffviz.ui.views.network.legend import ColorLegend
from ffviz.ui.views.network.numbers import ALL_UNITS, PhaseNumbers, html as numbers_html
from ffviz.ui.views.network.tooltips import feature_label, output_label, tooltip

COLOR_MODES = ("weight", "gradient")
UNKNOWN_KEY = -1  # edge pen when no gradient is known yet
WIDTH_STEP = 0.25  # edge widths are quantised so that most frames re-use the previous pen


def _same_plane(a: np.ndarray, b: np.ndarray | None) -> bool:
    """Whether a layer's plane equals the one drawn last (NaN equal to NaN)."""
    if b is None or a.shape != b.shape:
        return False
    if a is b or np.array_equal(a, b):
        return True
    return bool(np.isnan(a).any()) and np.array_equal(a, b, equal_nan=True)


def _rect_union(a: QtCore.QRectF, b: QtCore.QRectF) -> QtCore.QRectF:
    return a.united(b) if b is not None and not b.isNull() else a


EDGE_SPOTS = (0.5, 0.65, 0.2, 0.8)  # where along its edge an edge's numbers try next when crowded


class NetworkView(QtWidgets.QGraphicsView):
    """The feed-forward network of the newest snapshot: nodes with heatmaps and biases, weighted edges.

    Layers are 1-based as in the engine's API (layer 0 is the input). A target is (layer, kind, index):
    ("kernel", (i, j)) for the weight from unit i of layer-1 to unit j of layer, ("bias", (j,)) for a bias.
    The view never changes a weight: it emits `weight_edit_requested` and waits for the next snapshot.
    """

    weight_selected = QtCore.Signal(int, str, tuple)  # layer (1-based), "kernel" | "bias", index
    second_weight_selected = QtCore.Signal(int, str, tuple)  # Shift+click: the loss surface's second weight
    weight_edit_requested = QtCore.Signal(int, str, tuple, float)
    export_name = "network"

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        self._colors = ValueColors(theme)
        self._scene = QtWidgets.QGraphicsScene(self)
        self._scene.setItemIndexMethod(QtWidgets.QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(self._scene)
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.viewport().setMouseTracking(True)
        self.setMinimumSize(200, 150)

        self._mode = "weight"
        self._log_gradient = False
        self._snap = None
        self._stale = Staleness()
        self._structure: Structure | None = None
        self._geom: Geometry | None = None
        self._selection: tuple | None = None
        self._user_zoomed = False
        self._press_pos: QtCore.QPoint | None = None
        self._panning = False
        self._swallow_release = False
        self._pens: dict[int, QtGui.QPen] = {}
        self._lecture = LectureOptions()
        self._clear_items()

        self._legend = ColorLegend(theme, self._colors)
        self._message = QtWidgets.QLabel(self)
        self._message.hide()
        self._message_timer = QtCore.QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(5000)
        self._message_timer.timeout.connect(self._message.hide)
        self._editor = InlineEditor(self.viewport())
        self._editor.setPlaceholderText("new value, Enter")
        self._editor.setToolTip("Type a number and press Enter; Esc cancels")
        self._editor.hide()
        self._editor.returnPressed.connect(self._on_editor_return)
        self._editor.cancelled.connect(self.cancel_edit)
        self._edit_target: tuple | None = None
        self.apply_theme(theme)

    # ------------------------------------------------------------ public API

    def apply_theme(self, theme: themes.Theme) -> None:
        """Colours, fonts and sizes from `theme`: the network is laid out and drawn again in them."""
        self._theme = theme
        P = theme.palette
        self._colors = ValueColors(theme)
        self._font = theme.font("diagram")
        self._bold = theme.font("diagram", bold=True)
        self._big = theme.font("diagram_big", bold=True)
        self._italic = theme.font("diagram", italic=True)
        self.setBackgroundBrush(P.background)
        self._legend.set_theme(theme, self._colors)
        self._message.setStyleSheet(
            f"QLabel {{ background: {theme.qss_color(P.error_background)}; color: {theme.qss_color(P.error)};"
            f" border: 1px solid {theme.qss_color(P.error)}; border-radius: 4px; padding: 3px 8px; }}")
        self._message.setFont(self._font)
        self._editor.setFont(self._font)
        self._pens = {}
        if self._structure is not None:
            structure, self._structure = self._structure, None
            selection = self._selection
            self._build(structure)
            if selection is not None and self._valid(selection):
                self._selection = selection
                self._draw_selection()
        self.viewport().update()

    def export_target(self):
        return self

    def set_lecture(self, options: LectureOptions) -> None:
        """Lecture mode's settings (precision, quiz, sample, playing): the phase numbers are written again."""
        self._lecture = options
        if self._snap is not None and self._numbers is not None:
            self._draw_numbers()

    def numbers_text(self, layer: int, j: int) -> str:
        """The phase numbers written on a node ("" when none)."""
        return "" if self._numbers is None else self._numbers.node_text(layer, j)

    def edge_numbers_text(self, layer: int, i: int, j: int) -> str:
        return "" if self._numbers is None else self._numbers.edge_text(layer, i, j)

    def show_snapshot(self, snap) -> bool:
        """Draw `snap` unless it is older than the snapshot drawn last; returns whether it was drawn."""
        if not self._stale.newer(snap):
            return False
        structure = Structure(tuple(snap.layer_sizes), tuple(b is not None for b in snap.biases),
                               tuple(snap.dataset.feature_names or ()))
        self._snap = snap
        if structure != self._structure:
            self._build(structure)  # lays out and draws
        else:
            self._draw()
        return True

    def snapshot(self):
        return self._snap

    def set_color_mode(self, mode: str) -> None:
        """Colour (and size) edges and bias rings by "weight" w or "gradient" ∂J/∂w."""
        if mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {COLOR_MODES}, not {mode!r}")
        if mode != self._mode:
            self._mode = mode
            if self._snap is not None:
                self._draw()

    def color_mode(self) -> str:
        return self._mode

    def set_log_gradient(self, on: bool) -> None:
        """Colour (and size) edges by ∂J/∂w on a signed log scale (in gradient mode), so that gradients
        orders of magnitude apart all stay visible."""
        on = bool(on)
        if on != self._log_gradient:
            self._log_gradient = on
            if self._snap is not None:
                self._draw()

    @property
    def log_gradient(self) -> bool:
        return self._log_gradient

    def selection(self) -> tuple | None:
        return self._selection

    def set_selection(self, layer: int | None, kind: str = "kernel", index: tuple = ()) -> None:
        """Select a weight without emitting weight_selected (so views can mirror each other); None clears."""
        if layer is None:
            target = None
        else:
            target = (int(layer), kind, tuple(int(v) for v in index))
            if not self._valid(target):
                raise ValueError(f"there is no {kind} {tuple(index)} in layer {layer} of this network")
        self._selection = target
        self._draw_selection()

    def fit(self) -> None:
        """Lay the network out for the viewport and show all of it (undoes the user's zoom and pan)."""
        self._user_zoomed = False
        if self._structure is None:
            return
        self._apply_layout()
        self.resetTransform()
        canvas = self._geom.canvas
        vp = self.viewport().rect()
        s = min(vp.width() / canvas.width(), vp.height() / canvas.height(), 1.0)
        self.scale(s, s)
        self.centerOn(canvas.center())

    def edit_weight(self, layer: int, kind: str, index: tuple, at: QtCore.QPoint | None = None) -> None:
        """Open the inline editor for a weight or bias (what a double-click does)."""
        target = (int(layer), kind, tuple(int(v) for v in index))
        if kind not in ("kernel", "bias") or not self._valid(target):
            raise ValueError(f"there is no {kind} {tuple(index)} in layer {layer} of this network")
        self._edit_target = target
        if at is None:
            at = self.mapFromScene(self.scene_anchor(*target))
        value = self._value(target)
        self._editor.setText(fmt.number(value, fmt.FULL) if value is not None else "")
        self._editor.selectAll()
        h = self._editor.sizeHint().height()
        w = max(190, self._editor.fontMetrics().horizontalAdvance("−0.00000000000000000") + 16)
        vp = self.viewport().rect()
        x = min(max(0, at.x() - w // 2), max(0, vp.width() - w))
        y = min(max(0, at.y() + 12), max(0, vp.height() - h))
        self._editor.setGeometry(x, y, w, h)
        self._editor.show()
        self._editor.raise_()
        self._editor.setFocus()

    def submit_edit(self, text: str) -> bool:
        """Send the typed value for the weight being edited; invalid text shows a message and sends nothing."""
        if self._edit_target is None:
            return False
        try:
            value = fmt.parse(text, "a weight")
        except FfvizError as exc:
            self.show_message(str(exc))
            return False
        layer, kind, index = self._edit_target
        self.cancel_edit()
        self.weight_edit_requested.emit(layer, kind, index, value)
        return True

    def cancel_edit(self) -> None:
        self._edit_target = None
        self._editor.hide()

    def editor(self) -> QtWidgets.QLineEdit:
        return self._editor

    def show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.adjustSize()
        self._message.move(8, 8)
        self._message.show()
        self._message.raise_()
        self._message_timer.start()

    def message(self) -> str:
        """The one-line message on screen, or ""."""
        return "" if self._message.isHidden() else self._message.text()

    def legend_text(self) -> str:
        return self._legend.text()

    def legend_rect(self) -> QtCore.QRect | None:
        """Where the colour legend is drawn, in viewport pixels: the bottom-right corner, 8 px in (None before
        the first snapshot)."""
        if not self._legend.visible:
            return None
        size = self._legend.size()
        vp = self.viewport().rect()
        return QtCore.QRect(vp.right() - size.width() - 8, vp.bottom() - size.height() - 8,
                            size.width(), size.height())

    def tooltip_for(self, layer: int, kind: str, index: tuple) -> str:
        """The hover text of a weight ("kernel"), a bias ("bias") or a neuron ("neuron", layer 0 = input)."""
        return self._tooltip((int(layer), kind, tuple(int(v) for v in index)))

    def target_at(self, pos: QtCore.QPoint) -> tuple | None:
        """The (layer, kind, index) under a viewport position: "kernel", "bias" or "neuron"; None if nothing."""
        return self._hit(pos)

    def scene_anchor(self, layer: int, kind: str, index: tuple) -> QtCore.QPointF:
        """A scene point that hits the target: 30 % along an edge, a node's centre."""
        if kind == "kernel":
            k = self._edge_flat(layer, index[0], index[1])
            p = self._p0[k] + 0.3 * (self._p1[k] - self._p0[k])
            return QtCore.QPointF(float(p[0]), float(p[1]))
        g = self._geom
        j = index[0]
        return QtCore.QPointF(g.xs[layer], g.ys[layer][j])

    def edge_item(self, layer: int, i: int, j: int) -> QtWidgets.QGraphicsLineItem:
        return self._edges[self._edge_flat(layer, i, j)]

    def node_item(self, layer: int, j: int) -> QtWidgets.QGraphicsRectItem:
        """The node box (its brush is the bias colour; layer 0 is the input)."""
        return self._nodes[layer][j].box

    def heatmap_item(self, layer: int, j: int) -> QtWidgets.QGraphicsPixmapItem:
        return self._nodes[layer][j].heat

    def bias_label(self, layer: int, j: int) -> QtWidgets.QGraphicsSimpleTextItem | None:
        lab = self._nodes[layer][j].bias
        return None if lab is None else lab.text

    def layer_footer(self, layer: int) -> str:
        """The text under a layer: its activation, and "no bias" where it has none."""
        return self._footers[layer].text.text()

    def edge_count(self) -> int:
        return len(self._edges)

    def node_count(self) -> int:
        return sum(len(col) for col in self._nodes)

    def highlighted_phase(self):
        """The Phase the tinted band marks, or None."""
        return self._band_phase

    def phase_band(self) -> QtWidgets.QGraphicsRectItem | None:
        """The tinted band behind the layer of the last phase (hidden when there is none)."""
        return self._band

    def selection_highlight(self) -> QtWidgets.QGraphicsItem | None:
        """The SELECTED-coloured halo around the selected edge or bias, or None when nothing is selected."""
        for item in (self._edge_halo, self._bias_halo):
            if item is not None and item.isVisible():
                return item
        return None

    # ------------------------------------------------------------ building (once per structure)

    def _clear_items(self) -> None:
        self._scene.clear()
        self._edges: list[QtWidgets.QGraphicsLineItem] = []
        self._edge_offsets: list[int] = []
        self._edge_keys = np.empty(0, dtype=np.intp)
        self._p0 = np.zeros((0, 2))
        self._p1 = np.zeros((0, 2))
        self._widths = np.zeros(0)
        self._nodes: list[list[Node]] = []
        self._headers: list[tuple[Label, Label]] = []
        self._footers: list[Label] = []
        self._out_labels: list[Label] = []
        self._band = None
        self._band_caption = None
        self._band_phase = None
        self._band_drawn = None  # (phase, geometry) the band shows
        self._heat_drawn: list = []  # per column: (activation, plane) its heatmaps show, or None
        self._edge_halo = None
        self._bias_halo = None
        self._raised_edge: int | None = None
        self._bias_nodes: list[tuple[int, int, Node]] = []  # (layer index, unit, node) of every bias
        self._bias_offsets: dict[int, int] = {}  # layer index → its first entry in _bias_nodes
        self._numbers: PhaseNumbers | None = None

    def _build(self, structure: Structure) -> None:
        self.cancel_edit()
        self._selection = None
        self._clear_items()
        self._structure = structure
        sizes = structure.sizes
        scene = self._scene
        P = self._theme.palette
        label_bg = P.label_background

        self._band = scene.addRect(QtCore.QRectF(), QtGui.QPen(QtCore.Qt.PenStyle.NoPen),
                                   QtGui.QBrush(P.phase_fill("forward")))
        self._band.setZValue(-10)
        self._band.hide()
        self._band_caption = Label(scene, self._italic, P.muted, z=-9)
        self._band_caption.set_visible(False)

        off = 0
        edge_pen = QtGui.QPen(P.unknown, 1.0)
        for layer in range(1, len(sizes)):
            self._edge_offsets.append(off)
            for _ in range(sizes[layer - 1] * sizes[layer]):
                item = QtWidgets.QGraphicsLineItem()
                item.setPen(edge_pen)
                item.setZValue(EDGE_Z)
                scene.addItem(item)
                self._edges.append(item)
            off += sizes[layer - 1] * sizes[layer]
        n_edges = len(self._edges)
        self._edge_keys = np.full(n_edges, -2, dtype=np.intp)
        self._p0 = np.zeros((n_edges, 2))
        self._p1 = np.zeros((n_edges, 2))
        self._widths = np.ones(n_edges)

        for col, units in enumerate(sizes):
            has_bias = col > 0 and structure.has_bias[col - 1]
            column = []
            for j in range(units):
                box = QtWidgets.QGraphicsRectItem()
                box.setPen(QtGui.QPen(P.outline, 1.0))
                box.setBrush(P.background)
                box.setZValue(NODE_Z)
                scene.addItem(box)
                heat = QtWidgets.QGraphicsPixmapItem()
                # nearest-neighbour: smooth scaling of ~130 pixmaps doubled the paint time (see module doc)
                heat.setTransformationMode(QtCore.Qt.TransformationMode.FastTransformation)
                heat.setZValue(HEAT_Z)
                heat.hide()
                scene.addItem(heat)
                bias = Label(scene, self._font, P.foreground, background=label_bg) if has_bias else None
                name = None
                if col == 0:
                    feats = structure.features
                    name = Label(scene, self._big, P.foreground, halign="right", valign="center")
                    name.set_text(feature_label(feats[j] if j < len(feats) else None, j))
                elif col == len(sizes) - 1:
                    name = Label(scene, self._big, P.foreground, halign="left", valign="center")
                    name.set_text(output_label(j, units))
                column.append(Node(box, heat, bias, name, has_bias))
            self._nodes.append(column)
            self._heat_drawn.append(None)
            if has_bias:
                self._bias_offsets[col - 1] = len(self._bias_nodes)
                self._bias_nodes += [(col - 1, j, node) for j, node in enumerate(column)]
            title = "Input" if col == 0 else ("Output" if col == len(sizes) - 1 else f"Hidden {col}")
            sub = f"{units} feature{'s' if units != 1 else ''}" if col == 0 else f"layer {col}"
            h1 = Label(scene, self._bold, P.foreground)
            h1.set_text(title)
            h2 = Label(scene, self._font, P.muted)
            h2.set_text(sub)
            self._headers.append((h1, h2))
            foot = Label(scene, self._font, P.foreground)
            foot.set_text("" if col == 0 else ("" if has_bias else "no bias"))
            self._footers.append(foot)

        self._numbers = PhaseNumbers(scene, sizes)
        halo_pen = QtGui.QPen(P.selected, 4.0)
        halo_pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        self._edge_halo = scene.addLine(QtCore.QLineF(), halo_pen)
        self._edge_halo.setZValue(HALO_Z)
        self._edge_halo.hide()
        self._bias_halo = scene.addPath(QtGui.QPainterPath(), QtGui.QPen(P.selected, 3.0))
        self._bias_halo.setZValue(LABEL_Z + 1)
        self._bias_halo.hide()
        if self._user_zoomed:
            self._apply_layout()
        else:
            self.fit()

    # ------------------------------------------------------------ layout (on build, resize and fit)

    def _geometry(self) -> Geometry:
        sizes = self._structure.sizes
        ncol = len(sizes)
        maxu = max(sizes)
        fm = QtGui.QFontMetricsF(self._font)
        fb = QtGui.QFontMetricsF(self._big)
        lh = fm.height()
        vp = self.viewport().rect()
        W, H = max(vp.width(), 200), max(vp.height(), 150)
        margin = 10.0
        legend_h = self._legend.size().height() + 8
        caption_h = lh + 4
        header_h = 2 * lh + 8
        footer_h = lh + 8
        # the lecture's numbers beside a node (up to 7 lines, see numbers.py) must fit the canvas
        numbers_h = 7 * QtGui.QFontMetricsF(self._theme.font("diagram_big")).height() if maxu <= ALL_UNITS else 0.0
        any_bias = any(self._structure.has_bias)
        bias_h = lh + 3 if any_bias else 0.0
        gap = 6.0
        left_w = max((fb.horizontalAdvance(n.name.text.text()) for n in self._nodes[0]), default=0) + 14
        right_w = max((fb.horizontalAdvance(n.name.text.text()) for n in self._nodes[-1]), default=0) + 12
        # room beside the outputs for the lecture's numbers (ui/views/network/numbers.py)
        right_w += QtGui.QFontMetricsF(self._theme.font("diagram_big", bold=True)).horizontalAdvance(
            "∂J/∂ŷ = −0.000000") + 12
        # columns leave room for a typical bias label in e-notation; the right margin for the widest one
        text_w = max(fm.horizontalAdvance("b −0.00e-00"),
                     QtGui.QFontMetricsF(self._bold).horizontalAdvance("Hidden 00")) + 16
        widest_bias = fm.horizontalAdvance("b −0.00e+000") + 8 if self._structure.has_bias[-1] else 0.0

        def layout(reserve: float):
            avail_h = H - 2 * margin - caption_h - header_h - footer_h - reserve
            slot = avail_h / maxu
            s = min(slot - bias_h - gap, 80.0)
            col_w = (W - 2 * margin - left_w - max(right_w, widest_bias / 2 - s / 2) - s) / max(ncol - 1, 1)
            s = max(min(s, col_w / 2.4), 22.0)  # room for the edges between columns
            col_w = min(max(col_w, text_w, 2.4 * s), 360.0)
            slot = max(slot, s + bias_h + gap)
            body_h = max(maxu * slot, numbers_h)
            need_w = 2 * margin + left_w + max(right_w, widest_bias / 2 - s / 2) + s + (ncol - 1) * col_w
            need_h = 2 * margin + caption_h + header_h + footer_h + body_h + reserve
            return s, col_w, slot, body_h, need_w, need_h

        s, col_w, slot, body_h, need_w, need_h = layout(legend_h)
        scale = min(W / need_w, H / need_h, 1.0)
        if scale < 1.0:  # the legend keeps its pixel size: reserve more canvas for it
            s, col_w, slot, body_h, need_w, need_h = layout(legend_h / scale)
        cw, ch = max(W, need_w), max(H, need_h)
        x0 = (cw - need_w) / 2 + margin + left_w + s / 2
        xs = [x0 + c * col_w for c in range(ncol)]
        top = (ch - need_h) / 2 + margin
        body_top = top + caption_h + header_h
        mid = body_top + body_h / 2
        ys = [[mid + (j - (n - 1) / 2) * slot - bias_h / 2 for j in range(n)] for n in sizes]
        body_bottom = body_top + body_h
        return Geometry(QtCore.QRectF(0, 0, cw, ch), xs, ys, s, col_w, top, top + caption_h, body_top,
                         body_bottom, body_bottom + 4)

    def _apply_layout(self) -> None:
        if self._structure is None:
            return
        g = self._geom = self._geometry()
        s = g.size
        sizes = self._structure.sizes
        lh = QtGui.QFontMetricsF(self._font).height()
        self._scene.setSceneRect(g.canvas.adjusted(-g.canvas.width(), -g.canvas.height(),
                                                   g.canvas.width(), g.canvas.height()))
        for col, column in enumerate(self._nodes):
            x = g.xs[col]
            for j, node in enumerate(column):
                y = g.ys[col][j]
                node.box.setRect(QtCore.QRectF(x - s / 2, y - s / 2, s, s))
                inset = max(3.0, 0.12 * s) if node.has_bias else 1.5
                node.heat_inset = inset
                self._place_heat(node, x, y, s)
                if node.bias is not None:
                    node.bias.set_anchor(x, y + s / 2 + 2)
                if node.name is not None:
                    if col == 0:
                        node.name.set_anchor(x - s / 2 - 8, y)
                    else:
                        node.name.set_anchor(x + s / 2 + 8, y)
            h1, h2 = self._headers[col]
            h1.set_anchor(x, g.header_y)
            h2.set_anchor(x, g.header_y + lh)
            self._footers[col].set_anchor(x, g.footer_y)
        k = 0
        for layer in range(1, len(sizes)):
            xa, xb = g.xs[layer - 1] + s / 2, g.xs[layer] - s / 2
            for i in range(sizes[layer - 1]):
                ya = g.ys[layer - 1][i]
                for j in range(sizes[layer]):
                    yb = g.ys[layer][j]
                    self._edges[k].setLine(xa, ya, xb, yb)
                    self._p0[k] = (xa, ya)
                    self._p1[k] = (xb, yb)
                    k += 1
        self._pens.clear()
        self._edge_keys[:] = -2  # widths scale with the node size: re-pen every edge
        if self._snap is not None:
            self._draw()

    def _place_heat(self, node: Node, x: float, y: float, s: float) -> None:
        pm = node.heat.pixmap()
        inner = s - 2 * node.heat_inset
        if not pm.isNull() and pm.width() > 0:
            node.heat.setScale(inner / pm.width())
        node.heat.setPos(x - inner / 2, y - inner / 2)

    # ------------------------------------------------------------ drawing (every snapshot, in place)

    def _draw(self) -> None:
        snap = self._snap
        if snap is None or self._geom is None:
            return
        if self._mode == "weight":
            kernels, biases = snap.kernels, snap.biases
        else:
            kernels, biases = snap.grad_kernels, snap.grad_biases
        log = self._mode == "gradient" and self._log_gradient
        # every kernel and bias as one flat vector each, so the maths below is a handful of NumPy calls
        vals = np.full(len(self._edges), np.nan)
        known = np.zeros(len(self._edges), dtype=bool)
        for li, k in enumerate(kernels):
            if k is not None:
                a = self._edge_offsets[li]
                vals[a:a + k.size] = k.ravel()
                known[a:a + k.size] = True
        bvals = np.full(len(self._bias_nodes), np.nan)
        bknown = np.zeros(len(self._bias_nodes), dtype=bool)
        for li, a in self._bias_offsets.items():
            b = biases[li]
            if b is not None:
                bvals[a:a + b.size] = b
                bknown[a:a + b.size] = True
        finite, bfinite = np.isfinite(vals), np.isfinite(bvals)
        mags = np.abs(np.concatenate([vals[finite], bvals[bfinite]]))
        scale = float(mags.max()) if mags.size else 0.0
        scale = scale if scale > 0 else 1.0
        nonfinite = bool(np.any(known & ~finite) or np.any(bknown & ~bfinite))
        log_sc = None
        if log:
            # signed log scale (engine/insight.py): each decade of |∂J/∂w| gets an equal share of the colour
            # map and of the widths, so the first layer's 1e-6 is as visible as the last layer's 1e-1
            log_sc = log_scale(mags)
            with np.errstate(invalid="ignore"):
                vals = np.where(finite, log_position(vals, log_sc), np.nan)
                bvals = np.where(bfinite, log_position(bvals, log_sc), np.nan)
            scale = 1.0

        # edges: quantised (colour, width) keys; new pens only where a key changed
        s = self._geom.size
        w_min, w_max = 0.7, min(max(0.16 * s, 3.0), 8.0)
        with np.errstate(all="ignore"):
            mag = np.where(finite, np.minimum(np.abs(vals) / scale, 1.0), 0.5)
        wq = np.rint((w_min + (w_max - w_min) * mag) / WIDTH_STEP).astype(np.intp)
        keys = np.where(known, lut_index(vals, scale) * 1000 + wq, UNKNOWN_KEY)
        self._widths = np.where(known, wq * WIDTH_STEP, 0.8)
        changed = np.flatnonzero(keys != self._edge_keys)
        edges, pens = self._edges, self._pens
        for e, key in zip(changed.tolist(), keys[changed].tolist()):
            pen = pens.get(key)
            if pen is None:
                pen = pens[key] = self._make_pen(key)
            edges[e].setPen(pen)
        self._edge_keys = keys

        # nodes: the box (ring) takes the bias colour, the label its value
        bkeys = np.where(bknown, lut_index(bvals, scale), -1).tolist()
        for (li, j, node), key in zip(self._bias_nodes, bkeys):
            if node.brush_key != key:
                node.brush_key = key
                node.box.setBrush(self._theme.palette.unknown if key < 0 else self._colors.qcolors[key])
            node.bias.set_text("b " + fmt.fixed(snap.biases[li][j], 3, sign=True))
        self._draw_heatmaps(snap)
        for li, act in enumerate(snap.activations):
            label = ACTIVATIONS[act].label if act in ACTIVATIONS else act
            if not self._structure.has_bias[li]:
                label += "  ·  no bias"
            self._footers[li + 1].set_text(label)
        self._draw_phase(snap)
        self._draw_numbers()
        title = "weight w" if self._mode == "weight" else "gradient ∂J/∂w" + (", log scale" if log else "")
        any_known = bool(known.any() or bknown.any())
        if log_sc is not None:
            changed = self._legend.set_state(title, log_sc.top, any_known, nonfinite, log_sc.floor)
        else:
            changed = self._legend.set_state(title, scale if any_known else 0.0, any_known, nonfinite)
        if changed or not self._legend.visible:
            self._legend.visible = True
            self.viewport().update()
        self._draw_selection()

    def _make_pen(self, key: int) -> QtGui.QPen:
        if key == UNKNOWN_KEY:
            pen = QtGui.QPen(self._theme.palette.unknown, 0.8)
        else:
            idx, wq = divmod(key, 1000)
            pen = QtGui.QPen(self._colors.qcolors[idx], wq * WIDTH_STEP)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        return pen

    def _draw_heatmaps(self, snap) -> None:
        plane = snap.plane
        if plane is None or len(plane.layers) != len(self._nodes):
            for column in self._nodes:
                for node in column:
                    node.heat.hide()
                    node.heat_res = 0
            self._heat_drawn = [None] * len(self._nodes)
            return
        s = self._geom.size
        for col, column in enumerate(self._nodes):
            act = None if col == 0 else snap.activations[col - 1]
            layer = np.asarray(plane.layers[col], dtype=np.float64)
            drawn = self._heat_drawn[col]
            if drawn is not None and drawn[0] == act and _same_plane(layer, drawn[1]) \
                    and all(node.heat_res for node in column):
                continue  # the inputs never change during a run; no layer does while paused or stepping
            self._heat_drawn[col] = (act, layer)
            # one LUT step for the whole layer: values → indices → 0xffRRGGBB pixels
            rgb = np.ascontiguousarray(self._colors.argb[heat_indices(layer, act)])
            units, h, w = rgb.shape
            for j, node in enumerate(column):
                img = QtGui.QImage(rgb[j].data, w, h, w * 4, QtGui.QImage.Format.Format_RGB32)
                node.heat.setPixmap(QtGui.QPixmap.fromImage(img))  # fromImage copies: rgb may go
                if node.heat_res != w:
                    node.heat_res = w
                    c = node.box.rect().center()
                    self._place_heat(node, c.x(), c.y(), s)
                    node.heat.show()

    def _draw_phase(self, snap) -> None:
        phase = snap.trace.last_phase if snap.trace is not None else None
        self._band_phase = phase
        if self._band_drawn is not None and self._band_drawn[0] == phase and self._band_drawn[1] is self._geom:
            return  # while training: "update" after every step, on the same layout
        self._band_drawn = (phase, self._geom)
        if phase is None:
            self._band.hide()
            self._band_caption.set_visible(False)
            return
        g = self._geom
        s = g.size
        half = min(g.col_w * 0.42, max(s / 2 + 40, s))
        last = len(g.xs) - 1
        if phase.kind in ("forward", "backward") and phase.layer is not None and 1 <= phase.layer <= last:
            left, right = g.xs[phase.layer - 1] + s / 2 + 2, g.xs[phase.layer] + half
        elif phase.kind == "loss":
            left, right = g.xs[last] - half, g.xs[last] + half + 12
        else:  # update: every weight changed
            left, right = g.xs[0] - half, g.xs[last] + half
        lh = QtGui.QFontMetricsF(self._font).height()
        rect = QtCore.QRectF(left, g.top, right - left, g.footer_y + lh + 6 - g.top)
        self._band.setRect(rect)
        self._band.setBrush(self._theme.palette.phase_fill(phase.kind))
        self._band.show()
        # the phase is named in the phase strip above the diagram, in large type: no caption here

    # ------------------------------------------------------------ the lecture's numbers

    def _draw_numbers(self) -> None:
        o = self._lecture
        if o.playing or self._numbers is None:
            if self._numbers is not None:
                self._numbers.hide()
            return
        self._numbers.draw(self._snap, self, precision=o.precision, quiz_hidden=o.hidden(self._snap),
                           sample=o.sample, selection=self._selection)

    def place_numbers(self, numbers: PhaseNumbers, node_lines: dict, edge_lines: dict) -> None:
        """Put the phase numbers' blocks above their nodes and on their edges (PhaseNumbers.draw calls this).
        Blocks that would cover another block or another node first drop the earlier phases' (dimmed)
        lines, then move clear of what they still cover: numbers written over numbers are read by no one."""
        font = self._theme.font("diagram_big")
        bg = self._theme.palette.label_background
        last = len(numbers.nodes) - 1
        placed = []  # (block, lines, show(lines), its own node's box or None)
        for col, column in enumerate(numbers.nodes):
            for j, block in enumerate(column):
                lines = node_lines.get((col, j))
                if not lines:
                    block.hide()
                    continue
                node = self._nodes[col][j]
                box = node.box.rect()
                if col == 0:  # an input's x: above it
                    def show(ls, block=block, box=box):
                        block.show(numbers_html(ls, self._theme), font, bg, box.center().x(), box.top() - 2,
                                   above=True)
                else:  # beside the node (after an output's name), centred on it
                    left = node.name.rect().right() + 6 if col == last and node.name is not None else box.right() + 6

                    def show(ls, block=block, left=left, box=box):
                        block.show(numbers_html(ls, self._theme), font, bg, left, box.center().y(), above=False,
                                   anchor="left-centre")
                placed.append((block, lines, show, box, None))
        for key, block in list(numbers.edges.items()):
            if key not in edge_lines:
                block.hide()
        for (layer, i, j), lines in edge_lines.items():
            k = self._edge_flat(layer, i, j)
            # along the edge, nearer its source: edges into one node converge at its end
            p = self._p0[k] + 0.35 * (self._p1[k] - self._p0[k])
            block = numbers._edge((layer, i, j))

            def show(ls, block=block, k=k, t=0.35):
                p = self._p0[k] + t * (self._p1[k] - self._p0[k])
                block.show(numbers_html(ls, self._theme), font, bg, float(p[0]), float(p[1]), above=True)
            placed.append((block, lines, show, None, (layer, i, j)))
        for block, lines, show, _, _ in placed:
            show(lines)
        self._declutter(placed)

    def _bias_bottom(self, box: QtCore.QRectF) -> float:
        """The bottom of the bias label under the node whose box is `box` (the box's bottom without one)."""
        for column in self._nodes:
            for n in column:
                if n.box.rect() == box:
                    return n.bias.rect().bottom() if n.bias is not None else box.bottom()
        return box.bottom()

    def _declutter(self, placed) -> None:
        """Numbers over numbers or over a node are read by no one. In turn: an edge's block that covers
        anything slides along its edge to a free place, or goes (the formula strip under the diagram writes the
        same update out in full); a node's block
        that covers something keeps only the phase just done, then moves under its node, then goes (a bias
        label still shows the new value)."""
        boxes = [n.box.rect() for column in self._nodes for n in column]
        labels = [n.bias.rect() for column in self._nodes for n in column if n.bias is not None]
        # the columns' names ("Hidden 3", "layer 3") are what tells the layers apart: numbers never cover them
        headers = [h.rect() for pair in self._headers for h in pair if h.text.isVisible() and h.text.text()]

        def rect(block):
            return block.item.sceneBoundingRect().adjusted(3, 3, -3, -3)

        def badness(k) -> int:
            """2: over other numbers; 1: over a node (or another node's bias); 0: clear."""
            r, own = rect(placed[k][0]), placed[k][3]
            if any(m != k and placed[m][0].item.isVisible() and r.intersects(rect(placed[m][0]))
                   for m in range(len(placed))):
                return 2
            if any(b != own and r.intersects(b) for b in boxes) or any(r.intersects(h) for h in headers):
                return 1
            if own is not None and any(r.intersects(b) for b in labels if not own.intersects(b.adjusted(0, -8, 0, 0))):
                return 1
            return 0

        def covers(k) -> bool:
            return badness(k) > 0

        # the weight the chain-rule panel explains: the one selected, else the first (as the panel says);
        # its edge comes last, so the others make room for it
        selected = self._selection if self._selection is not None else (1, "kernel", (0, 0))

        def explained(k) -> bool:
            key = placed[k][4]
            return key is not None and selected == (key[0], "kernel", (key[1], key[2]))
        edges = sorted((k for k in range(len(placed)) if placed[k][3] is None), key=explained)
        nodes = [k for k in range(len(placed)) if placed[k][3] is not None]
        for k in [k for k in nodes if covers(k)]:  # crowded nodes first keep only the phase just done
            block, lines, show, _, _ = placed[k]
            current = [line for line in lines if line.current]
            if current and len(current) < len(lines):
                show(current)
        for k in edges:  # along its edge to a free place, else away
            block, lines, show, _, key = placed[k]
            current = [line for line in lines if line.current]
            tries = [(lines, 0.35)] + [(lines, t) for t in EDGE_SPOTS]
            if current and len(current) < len(lines):  # then only the phase just done, at each place
                tries += [(current, t) for t in (0.35, *EDGE_SPOTS)]
            layer, i, j = key
            chosen = selected == (layer, "kernel", (i, j))
            best = None
            for attempt in (0, 1):
                for ls, t in tries:
                    show(ls, t=t)
                    bad = badness(k)
                    if best is None or bad < best[0]:
                        best = (bad, ls, t)
                    if bad == 0:
                        break
                if best[0] < 2 or not chosen or attempt:
                    break
                show(best[1], t=best[2])
                for m in nodes:  # the explained weight's numbers come before the nodes' earlier phases
                    block_m, lines_m, show_m, _, _ = placed[m]
                    if not (block_m.item.isVisible() and rect(block).intersects(rect(block_m))):
                        continue
                    current_m = [line for line in lines_m if line.current]
                    if current_m and len(current_m) < len(lines_m):
                        show_m(current_m)
                    elif not current_m:
                        block_m.hide()
                best = None
            if best[0] > 0:
                if best[0] == 1 and chosen:
                    show(best[1], t=best[2])  # the chosen weight keeps its numbers, over a node if it must
                else:
                    block.hide()
        font, bg = self._theme.font("diagram_big"), self._theme.palette.label_background
        for k in nodes:
            block, lines, show, own, _ = placed[k]
            if not covers(k):
                continue
            current = [line for line in lines if line.current]
            if not current:
                block.hide()
                continue
            if len(current) < len(lines):
                show(current)
                if not covers(k):
                    continue
            block.show(numbers_html(current, self._theme), font, bg, own.center().x(), self._bias_bottom(own),
                       above=False)
            if covers(k):
                block.hide()

    # ------------------------------------------------------------ selection

    def _draw_selection(self) -> None:
        if self._edge_halo is None:
            return
        if self._raised_edge is not None:
            self._edges[self._raised_edge].setZValue(EDGE_Z)
            self._raised_edge = None
        sel = self._selection
        self._edge_halo.setVisible(sel is not None and sel[1] == "kernel")
        self._bias_halo.setVisible(sel is not None and sel[1] == "bias")
        if sel is None:
            return
        layer, kind, index = sel
        if kind == "kernel":
            k = self._edge_flat(layer, *index)
            self._edges[k].setZValue(SELECTED_EDGE_Z)
            self._raised_edge = k
            pen = self._edge_halo.pen()
            pen.setWidthF(float(self._widths[k]) + 5.0)
            self._edge_halo.setPen(pen)
            self._edge_halo.setLine(self._edges[k].line())
        else:
            node = self._nodes[layer][index[0]]
            r = node.box.rect().adjusted(-3, -3, 3, 3)
            if node.bias is not None:
                r = _rect_union(r, node.bias.rect().adjusted(-1, 0, 1, 1))
            path = QtGui.QPainterPath()
            path.addRoundedRect(r, 4, 4)
            self._bias_halo.setPath(path)

    def _valid(self, target) -> bool:
        if self._structure is None:
            return False
        layer, kind, index = target
        sizes = self._structure.sizes
        if not 1 <= layer < len(sizes):
            return False
        if kind == "kernel":
            return len(index) == 2 and 0 <= index[0] < sizes[layer - 1] and 0 <= index[1] < sizes[layer]
        if kind == "bias":
            return (len(index) == 1 and 0 <= index[0] < sizes[layer]
                    and self._structure.has_bias[layer - 1])
        return False

    def _edge_flat(self, layer: int, i: int, j: int) -> int:
        return self._edge_offsets[layer - 1] + i * self._structure.sizes[layer] + j

    # ------------------------------------------------------------ hit testing and tooltips

    def _hit(self, pos) -> tuple | None:
        if self._geom is None:
            return None
        sp = self.mapToScene(pos)
        x, y = sp.x(), sp.y()
        g = self._geom
        half = g.size / 2 + 2
        for col, column in enumerate(self._nodes):
            if abs(x - g.xs[col]) > max(half, g.col_w * 0.3):
                continue
            for j, node in enumerate(column):
                inside = abs(x - g.xs[col]) <= half and abs(y - g.ys[col][j]) <= half
                if not inside and node.bias is not None:
                    inside = node.bias.rect().contains(sp)
                if inside:
                    if col > 0 and node.has_bias:
                        return (col, "bias", (j,))
                    return (col, "neuron", (j,))
        px = 1.0 / max(self.transform().m11(), 1e-6)  # one viewport pixel in scene units
        k = nearest_edge(self._p0, self._p1, self._widths, (x, y), px)
        if k is None:
            return None
        layer = int(np.searchsorted(self._edge_offsets, k, side="right"))
        rel = k - self._edge_offsets[layer - 1]
        i, j = divmod(rel, self._structure.sizes[layer])
        return (layer, "kernel", (i, j))

    def _value(self, target) -> float | None:
        snap = self._snap
        if snap is None:
            return None
        layer, kind, index = target
        store = snap.kernels if kind == "kernel" else snap.biases
        arr = store[layer - 1]
        return None if arr is None else float(arr[index])

    def _tooltip(self, target) -> str:
        if self._snap is None or self._structure is None:
            return ""
        return tooltip(self._snap, self._structure.features, self._structure.has_bias, target)

    # ------------------------------------------------------------ events

    def viewportEvent(self, event) -> bool:
        if event.type() == QtCore.QEvent.Type.ToolTip:
            target = self._hit(event.pos())
            if target is None:
                QtWidgets.QToolTip.hideText()
                event.ignore()
            else:
                QtWidgets.QToolTip.showText(event.globalPos(), self._tooltip(target), self.viewport())
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event) -> None:
        if self._editor.isVisible():
            self.cancel_edit()
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
            self._panning = False
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        if self._press_pos is not None and event.buttons() & QtCore.Qt.MouseButton.LeftButton:
            if not self._panning and (pos - self._press_pos).manhattanLength() \
                    >= QtWidgets.QApplication.startDragDistance():
                self._panning = True
                self._user_zoomed = True
                self.viewport().setCursor(QtCore.Qt.CursorShape.ClosedHandCursor)
            if self._panning:
                delta = pos - self._press_pos
                self._press_pos = pos
                hs, vs = self.horizontalScrollBar(), self.verticalScrollBar()
                hs.setValue(hs.value() - delta.x())
                vs.setValue(vs.value() - delta.y())
            event.accept()
            return
        clickable = self._hit(pos)
        clickable = clickable is not None and clickable[1] in ("kernel", "bias")
        self.viewport().setCursor(QtCore.Qt.CursorShape.PointingHandCursor if clickable
                                  else QtCore.Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self._press_pos is not None:
            was_panning = self._panning
            self._press_pos, self._panning = None, False
            if was_panning:
                self.viewport().setCursor(QtCore.Qt.CursorShape.ArrowCursor)
            elif self._swallow_release:
                self._swallow_release = False
            else:
                self._on_click(event.position().toPoint(),
                               bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return super().mouseDoubleClickEvent(event)
        pos = event.position().toPoint()
        self._press_pos = None
        target = self._hit(pos)
        if target is not None and target[1] in ("kernel", "bias"):
            self._select(target)
            self.edit_weight(*target, at=pos)
        event.accept()

    def _on_click(self, pos, shift: bool = False) -> None:
        target = self._hit(pos)
        if target is not None and target[1] in ("kernel", "bias"):
            if shift:  # the selection stays; the loss surface takes this as its second weight
                self.second_weight_selected.emit(*target)
            else:
                self._select(target)

    def _select(self, target) -> None:
        self._selection = target
        self._draw_selection()
        if self._snap is not None:
            self._draw_numbers()  # on a large layer the numbers follow the selection
        self.weight_selected.emit(*target)

    def _on_editor_return(self) -> None:
        self.submit_edit(self._editor.text())

    def wheelEvent(self, event) -> None:
        dy = event.angleDelta().y()
        if dy == 0:
            return
        factor = 1.0015 ** dy
        current = self.transform().m11()
        factor = min(max(factor, 0.1 / current), 10.0 / current)
        self.scale(factor, factor)
        self._user_zoomed = True
        self.cancel_edit()
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_zoomed and self._structure is not None:
            self.fit()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._user_zoomed and self._structure is not None:
            self.fit()

    def drawForeground(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        """The colour legend, fixed to the viewport (in pixels, whatever the zoom)."""
        legend = self.legend_rect()
        if legend is not None:
            painter.save()
            painter.resetTransform()
            self._legend.draw(painter, legend)
            painter.restore()
