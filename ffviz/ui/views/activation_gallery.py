"""The activation gallery: every activation g(z) (solid) and g′(z) (dashed) — step, linear, sigmoid, tanh,
ReLU, leaky ReLU — and softmax over a small vector typed in; the pre-activations z of a chosen layer (the
network's one forward pass over the training set at the current weights) drawn as a histogram on its
activation, with the share of them in the saturated range |g′(z)| < 0.01 printed, live while training.

Curves, histogram, share and softmax all come from engine/insight.py (the histogram through a
PreActivationRequest answered off this thread).
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ffviz.engine.activations import ACTIVATIONS
from ffviz.engine.insight import GALLERY, SATURATION, PreActivationRequest, activation_curve, softmax_of_text
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.pgkit import style_axes
from ffviz.ui.views import Staleness, seen

Z_RANGE = 6.0  # the curves span at least −6 … 6; wider when the layer's z do
Z_LIMIT = 60.0  # and at most this: beyond it every activation here is flat or a straight line
DEFAULT_VECTOR = "2, 1, 0.1"


def _count(n: int) -> str:
    """A whole number with thin spaces between thousands: 12 840."""
    return f"{n:,}".replace(",", "\u2009")


class ActivationGallery(QtWidgets.QWidget):
    export_name = "activations"

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        self._requester = None
        self._stale = Staleness()
        self._snap = None
        self._layer = 1
        self._z = None  # the PreActivations shown
        self._z_error = ""
        self._span = (-Z_RANGE, Z_RANGE)
        self._softmax = softmax_of_text(DEFAULT_VECTOR)
        self._softmax_error = ""
        self._structure = None
        self._titles: dict[str, tuple] = {}

        # In a scroll area: the view asks for little height, so the docks it is tabbed with (the loss plot,
        # the decision boundary beside) keep theirs; a short dock scrolls this one instead of squeezing them.
        inner = QtWidgets.QWidget()
        scroll = QtWidgets.QScrollArea(self)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay = QtWidgets.QVBoxLayout(inner)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("pre-activations z of"))
        self.layer_combo = QtWidgets.QComboBox()
        self.layer_combo.setToolTip("The layer whose z (on the whole training set, at the current weights) is "
                                    "drawn as a histogram on its activation")
        self.layer_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_combo.currentIndexChanged.connect(self._on_layer_picked)
        bar.addWidget(self.layer_combo)
        bar.addSpacing(24)
        self.key_label = QtWidgets.QLabel()  # what the lines and bars are, in their colours
        self.key_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        bar.addWidget(self.key_label)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.share_label = QtWidgets.QLabel()
        self.share_label.setObjectName("saturation")
        self.share_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.share_label.setWordWrap(True)
        lay.addWidget(self.share_label)

        self.canvas = pg.GraphicsLayoutWidget()
        lay.addWidget(self.canvas, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        self.g_curves: dict[str, pg.PlotDataItem] = {}
        self.d_curves: dict[str, pg.PlotDataItem] = {}
        self.histograms: dict[str, pg.BarGraphItem] = {}
        for k, name in enumerate(GALLERY):
            plot = self.canvas.addPlot(row=k // 3, col=k % 3)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
            hist = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[])
            plot.addItem(hist)
            g, d = pg.PlotDataItem(), pg.PlotDataItem()
            plot.addItem(g)
            plot.addItem(d)
            self.plots[name], self.g_curves[name], self.d_curves[name], self.histograms[name] = plot, g, d, hist
        self.softmax_plot = self.canvas.addPlot(row=0, col=3, rowspan=2)
        self.softmax_plot.setMenuEnabled(False)
        self.softmax_plot.hideButtons()
        self.softmax_plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.softmax_plot.setYRange(0, 1, padding=0.05)
        self.softmax_bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.softmax_plot.addItem(self.softmax_bars)
        for col in range(4):  # the panels share the width alike, whatever their tick labels ask for
            self.canvas.ci.layout.setColumnStretchFactor(col, 1)

        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("softmax of z ="))
        self.vector_edit = QtWidgets.QLineEdit(DEFAULT_VECTOR)
        self.vector_edit.setToolTip("2 to 10 numbers separated by commas")
        self.vector_edit.setMinimumWidth(140)
        self.vector_edit.setMaximumWidth(220)
        self.vector_edit.editingFinished.connect(lambda: self.set_vector(self.vector_edit.text()))
        row.addWidget(self.vector_edit)
        self.softmax_label = QtWidgets.QLabel()
        self.softmax_label.setObjectName("softmaxValues")
        self.softmax_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.softmax_label.setWordWrap(True)
        row.addWidget(self.softmax_label, 1)
        lay.addLayout(row)
        # the plots take the height the rows of numbers leave (their own wish is ignored): no scrolling until
        # even their minimum does not fit
        self.canvas.setMinimumHeight(260)
        self.canvas.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Ignored)
        scroll.setWidget(inner)
        self._content = inner
        self.apply_theme(theme)

    # -------------------------------------------------------------- the view protocol

    def export_target(self):
        # What is in the scroll area, without its scroll bars: at the view's size (a shown dock, the command
        # line's 4:3 stills), or larger where the content needs more (a hidden, narrow tab) rather than the
        # scroll area's corner of it. The scroll area sizes it again when it next lays out.
        need = self._content.minimumSizeHint()
        self._content.resize(max(self.width(), need.width()), max(self.height(), need.height()))
        return self._content

    def viewport(self):
        return self.canvas.viewport()

    def set_requester(self, requester) -> None:
        self._requester = requester

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        P = theme.palette
        self.canvas.setBackground(P.background)
        self.setFont(theme.font("widget"))
        for label in (self.share_label, self.softmax_label, self.key_label):
            label.setFont(theme.font("legend"))
        self.key_label.setText(f'<span style="color:{P.train.name()}"><b>━ g(z)</b></span> &nbsp; '
                               f'<span style="color:{P.test.name()}"><b>╌ g′(z)</b></span> &nbsp; '
                               f'<span style="color:{P.batch.name()}"><b>▇</b></span>'
                               f'<span style="color:{P.foreground.name()}"> z of the layer (histogram)</span>')
        for name, plot in self.plots.items():
            style_axes(plot, theme)
            self.g_curves[name].setPen(pg.mkPen(P.train, width=theme.line(2.5)))
            self.d_curves[name].setPen(pg.mkPen(P.test, width=theme.line(2.0), style=QtCore.Qt.PenStyle.DashLine))
        style_axes(self.softmax_plot, theme)
        for h in self.histograms.values():
            h.setOpts(brush=pg.mkBrush(P.batch), pen=pg.mkPen(None))
        self.softmax_bars.setOpts(brush=pg.mkBrush(P.train), pen=pg.mkPen(P.foreground))
        self._draw_curves()
        self._draw_histogram()
        self._draw_softmax()

    def show_snapshot(self, snap) -> bool:
        new_run = self._stale.new_run(snap)
        if not self._stale.newer(snap):
            return False
        structure = tuple(snap.activations)
        if structure != self._structure:
            self._structure = structure
            self.layer_combo.blockSignals(True)
            self.layer_combo.clear()
            for i, act in enumerate(snap.activations, start=1):
                label = ACTIVATIONS[act].label if act in ACTIVATIONS else act
                self.layer_combo.addItem(f"layer {i} ({label})", i)
            if not 1 <= self._layer <= len(snap.activations):
                self._layer = 1
            self.layer_combo.setCurrentIndex(self._layer - 1)
            self.layer_combo.blockSignals(False)
        if new_run:
            self._z = None
        self._snap = snap
        self._ask()
        return True

    def show_answer(self, ans) -> None:
        if self._requester is None or ans.request.channel != "gallery.z" or not self._requester.wanted(ans):
            return
        if ans.error:
            self._z_error = ans.error
        else:
            self._z, self._z_error = ans.value, ""
            lo, hi = max(-Z_LIMIT, ans.value.low), min(Z_LIMIT, ans.value.high)
            span = (min(-Z_RANGE, np.floor(lo)), max(Z_RANGE, np.ceil(hi)))
            if span != self._span:
                self._span = span
                self._draw_curves()
        self._draw_histogram()

    # -------------------------------------------------------------- commands

    def set_layer(self, layer: int) -> None:
        if self._structure is not None and not 1 <= layer <= len(self._structure):
            raise ValueError(f"layer {layer} is not in this network (1 to {len(self._structure)})")
        self._layer = int(layer)
        if self.layer_combo.currentIndex() != layer - 1:
            self.layer_combo.setCurrentIndex(layer - 1)
        self._z = None
        self._ask()

    @property
    def layer(self) -> int:
        return self._layer

    @property
    def preactivations(self):
        return self._z

    def set_vector(self, text: str) -> bool:
        """Softmax of a typed vector; a bad one gives a one-line message and leaves the one shown as it is."""
        self.vector_edit.setText(text)
        try:
            self._softmax = softmax_of_text(text)
            self._softmax_error = ""
        except FfvizError as exc:
            self._softmax_error = str(exc)
            self._draw_softmax()
            return False
        self._draw_softmax()
        return True

    def view_settings(self) -> dict:
        """What a session keeps of this view (plain JSON values)."""
        return {"gallery_layer": self._layer, "softmax": self.vector_edit.text()[:200]}

    def apply_view_settings(self, settings: dict) -> None:
        """Apply a session's settings of this view; values of the wrong kind are left out."""
        layer = settings.get("gallery_layer")
        if isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= 10**4:
            self._layer = layer  # checked against the network when its snapshot comes (show_snapshot)
            self._structure = None
            self._ask()
        text = settings.get("softmax")
        if isinstance(text, str):
            before = self.vector_edit.text()
            if not self.set_vector(text):
                self.set_vector(before)

    def share_text(self) -> str:
        return self.share_label.text()

    def softmax_text(self) -> str:
        return self.softmax_label.text()

    def _on_layer_picked(self, index: int) -> None:
        if index >= 0:
            self.set_layer(index + 1)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._ask()  # it waited while hidden

    def on_shown(self) -> None:
        """Its dock raised (a dock behind another's tab stays "visible", so no showEvent): catch up."""
        self._ask()

    def _ask(self) -> None:
        snap = self._snap
        # a forward pass over the training set per frame: only for a gallery that is seen
        if snap is None or self._requester is None or snap.state is None or not seen(self):
            return
        self._requester.ask(PreActivationRequest("gallery.z", snap.run_id, snap.step, snap.serial,
                                                 state=snap.state, layer=self._layer))

    # -------------------------------------------------------------- drawing

    def _draw_curves(self) -> None:
        lo, hi = self._span
        for name in GALLERY:
            z, g, d = activation_curve(name, lo, hi)
            self.g_curves[name].setData(z, g)
            self.d_curves[name].setData(z, d)
            plot = self.plots[name]
            plot.setXRange(lo, hi, padding=0.02)
            ys = np.concatenate([g, d])
            plot.setYRange(float(ys.min()), float(ys.max()), padding=0.08)
            self._title(name)

    def _title(self, name: str) -> None:
        P = self._theme.palette
        act = ACTIVATIONS[name]
        chosen = self._z is not None and self._z.activation == name
        color = P.foreground if chosen else P.muted
        label = act.label.split(" (")[0]  # "Step", not "Step (perceptron)": the panels stay narrow
        text = f"<b>{html.escape(label)}</b>" + (f" · layer {self._layer}" if chosen else "")
        if self._titles.get(name) == (text, color.name(), self._theme.pt("legend")):
            return  # setTitle lays the plot out again: only when the title changes, not every frame
        self._titles[name] = (text, color.name(), self._theme.pt("legend"))
        self.plots[name].setTitle(text, color=color.name(), size=f"{self._theme.pt('legend')}pt")
        # The plots cannot be narrower than their axes and titles: a canvas narrower than that would cut the
        # last column off (in a narrow dock, or an export of a hidden tab); the scroll area scrolls instead.
        need = self.canvas.ci.effectiveSizeHint(QtCore.Qt.SizeHint.MinimumSize).width()
        self.canvas.setMinimumWidth(int(need) + 16)

    def _draw_histogram(self) -> None:
        P = self._theme.palette
        z = self._z
        for name, hist in self.histograms.items():
            if z is None or z.activation != name:
                hist.setOpts(x0=[], x1=[], y0=[], y1=[])
            else:
                plot = self.plots[name]
                y_lo, y_hi = plot.getViewBox().viewRange()[1]
                top = max(1, int(z.counts.max()))
                heights = z.counts / top * 0.85 * (y_hi - y_lo)
                hist.setOpts(x0=z.edges[:-1], x1=z.edges[1:], y0=np.full(len(heights), y_lo),
                             y1=y_lo + heights)
            self._title(name)
        if self._snap is None:
            self.share_label.setText("")
            return
        if self._z_error:
            self.share_label.setText(f'<span style="color:{P.error.name()}">{html.escape(self._z_error)}</span>')
            return
        if z is None:
            return  # on its way: keep what is shown
        label = ACTIVATIONS[z.activation].label
        where = "" if z.activation in GALLERY else " (softmax: g′ is the Jacobian's diagonal g(1 − g))"
        self.share_label.setText(
            f'<span style="color:{P.foreground.name()}">Layer {z.layer} ({html.escape(label)}): '
            f'<b style="font-size:large">{fmt.percent(z.saturated)}</b> of its {_count(z.count)} pre-activations z '
            f"are saturated (|g′(z)| &lt; {SATURATION:g}){where}; z from {fmt.number(z.low)} to "
            f"{fmt.number(z.high)}</span>")

    def _draw_softmax(self) -> None:
        P = self._theme.palette
        z, s = self._softmax
        self.softmax_bars.setOpts(x=np.arange(1, len(s) + 1), height=s, width=0.6)
        self.softmax_plot.setXRange(0.4, len(s) + 0.6, padding=0.0)
        self.softmax_plot.setTitle("softmax(z)", color=P.foreground.name(), size=f"{self._theme.pt('legend')}pt")
        ticks = [[(i + 1, f"z{i + 1}") for i in range(len(s))]]
        self.softmax_plot.getAxis("bottom").setTicks(ticks)
        values = ", ".join(fmt.number(v) for v in s)
        text = (f'<span style="color:{P.foreground.name()}">z = ({", ".join(fmt.number(v) for v in z)}) → '
                f"softmax = (<b>{values}</b>), sum {fmt.number(float(np.sum(s)))}</span>")
        if self._softmax_error:
            text += f'<br><span style="color:{P.error.name()}">{html.escape(self._softmax_error)}</span>'
        self.softmax_label.setText(text)
