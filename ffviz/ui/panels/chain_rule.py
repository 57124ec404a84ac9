"""The chain-rule panel: ∂J/∂w₁ = ∂J/∂ŷ · ∂ŷ/∂Σ · ∂Σ/∂w₁ for the selected weight, as on the slides, each
factor with what it is and its value, their product, the paths where a unit fans out, then the update.

It follows the phase: a factor appears when the backward pass reaches the layer that computes it ("?" until
then, and in the quiz until revealed). The factors come from engine/chain.py, asked for through a
LectureRequest answered off this thread.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtWidgets

from ffviz.engine.lecture import names_of
from ffviz.engine.requests import LectureRequest
from ffviz.explain import formula_text
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.lecture import LectureOptions

MAX_PATHS_SHOWN = 12


def _reached(trace, layer: int) -> bool:
    """Whether the update has computed what the backward pass brings at `layer` (layer N + 1: the loss)."""
    ph = trace.last_phase
    n = len(trace.z)
    if ph is None or ph.kind == "forward":
        return False
    if ph.kind in ("loss",):
        return layer > n
    if ph.kind == "backward":
        return layer >= ph.layer
    return True


def _product(values: list[str]) -> str:
    """Factors written as a product, a negative one in parentheses: 0.248 · (−0.232), not 0.248 · −0.232."""
    return " · ".join(f"({v})" if v.startswith(fmt.MINUS) else v for v in values)


class ChainRulePanel(QtWidgets.QTextBrowser):
    export_name = "chain-rule"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("chainRulePanel")
        self.setOpenLinks(False)
        self._theme = themes.DEFAULT
        self._options = LectureOptions()
        self._requester = None
        self._snap = None
        self._weight = (1, "kernel", (0, 0))  # the lecture's w₁ until another is clicked
        self._answer = None
        self.apply_theme(self._theme)

    def set_requester(self, requester) -> None:
        self._requester = requester

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.setFont(theme.font("legend"))
        self._render()

    def export_target(self):
        return self

    @property
    def weight(self) -> tuple:
        return self._weight

    def set_lecture(self, options: LectureOptions) -> None:
        resample = (options.sample, options.playing) != (self._options.sample, self._options.playing)
        self._options = options
        if resample:
            self._ask()
        self._render()

    def set_selection(self, layer: int, kind: str, index: tuple) -> None:
        if kind in ("kernel", "bias") and layer > 0:
            self._weight = (int(layer), kind, tuple(int(v) for v in index))
            self._ask()

    def show_snapshot(self, snap) -> bool:
        if self._snap is None or snap.run_id != self._snap.run_id:
            self._weight = self._valid_weight(snap)
        self._snap = snap
        self._ask()
        return True

    def _valid_weight(self, snap) -> tuple:
        layer, kind, index = self._weight
        sizes = snap.layer_sizes
        ok = 1 <= layer < len(sizes) and index[-1] < sizes[layer] and (
            kind == "bias" and snap.biases[layer - 1] is not None or kind == "kernel" and index[0] < sizes[layer - 1])
        return self._weight if ok else (1, "kernel", (0, 0))

    def _ask(self) -> None:
        snap = self._snap
        self._answer = None
        if snap is None or snap.trace is None or snap.trace.last_phase is None or self._requester is None \
                or self._options.playing:
            self._render()
            return
        tr = snap.trace
        kernels = tr.old_kernels if tr.old_kernels is not None else snap.kernels
        biases = tr.old_biases if tr.old_kernels is not None else snap.biases
        self._requester.ask(LectureRequest("chain", snap.run_id, snap.step, snap.serial, trace=tr,
                                           kernels=tuple(kernels), biases=tuple(biases), config=snap.config,
                                           sample=self._options.sample, weight=self._weight))

    def show_answer(self, answer) -> None:
        if self._requester is None or not self._requester.wanted(answer):
            return
        self._answer = answer
        self._render()

    def chain_text(self) -> str:
        return self.toPlainText()

    # -------------------------------------------------------------- drawing

    def _render(self) -> None:
        P = self._theme.palette
        layer, kind, index = self._weight
        name = f"kernel{layer}[{index[0]},{index[1]}]" if kind == "kernel" else f"bias{layer}[{index[0]}]"
        snap, ans = self._snap, self._answer
        head = f'<p style="color:{P.muted.name()}">Chain rule of <b style="color:{P.foreground.name()}">{name}</b>' \
               " (click a weight in the diagram to choose another)</p>"
        if snap is None or snap.trace is None or snap.trace.last_phase is None or self._options.playing:
            self.setHtml(head + f'<p style="color:{P.muted.name()}">Step the update phase by phase (P) to see '
                         "how backpropagation builds this weight's gradient.</p>")
            return
        if ans is None:
            return  # the answer is on its way: keep what is shown
        if ans.error or ans.value.chain is None:
            note = ans.error or ans.value.chain_note
            self.setHtml(head + f'<p style="color:{P.muted.name()}">{html.escape(note)}</p>')
            return
        self.setHtml(head + self._chain_html(ans.value, snap))

    def _value(self, factor, s: int, hidden: bool) -> str:
        if factor.values is None or not _reached(self._snap.trace, factor.layer):
            return "?"
        return "?" if hidden else fmt.number(factor.values[s], self._options.precision)

    def _chain_html(self, lecture, snap) -> str:
        P = self._theme.palette
        tr = snap.trace
        chain = lecture.chain
        s = min(self._options.sample, tr.n - 1)
        hidden = self._options.hidden(snap)
        names = names_of(tr.old_kernels if tr.old_kernels is not None else snap.kernels)
        layer, kind, index = chain.layer, chain.kind, chain.index
        sym = names.weight(layer, index[0], index[-1]) if kind == "kernel" else names.bias(layer, index[-1])
        fg, muted = P.foreground.name(), P.muted.name()
        rows = [f'<tr><td colspan="3" style="font-size:large"><b>∂J/∂{sym.text} = '
                + " · ".join(html.escape(f.symbol) for f in chain.factors) + "</b></td></tr>"]
        for f in chain.factors:
            v = self._value(f, s, hidden and _reached(tr, f.layer))
            color = fg if v != "?" else muted
            rows.append(f'<tr><td style="color:{color}"><b>{html.escape(f.symbol)}</b></td>'
                        f'<td style="color:{color}; padding-left:12px" align="right"><b>{v}</b></td>'
                        f'<td style="color:{muted}; padding-left:12px">{html.escape(f.description)}</td></tr>')
        values = [self._value(f, s, hidden and _reached(tr, f.layer)) for f in chain.factors]
        known = all(v != "?" for v in values)
        product = _product(values)
        total = fmt.number(chain.terms[s], self._options.precision) if known and np.isfinite(chain.terms[s]) else "?"
        rows.append(f'<tr><td colspan="3" style="font-size:large"><b>= {product} = {total}</b></td></tr>')
        out = [f'<table cellspacing="2">{"".join(rows)}</table>']
        if tr.n > 1:
            out.append(f'<p style="color:{muted}">Numbers of sample {s + 1} of the batch of {tr.n} ([ and ] '
                       f"choose another). ∂J/∂{sym.text} sums the samples' products: "
                       f"<b style='color:{fg}'>{fmt.number(chain.data_gradient, self._options.precision) if known else '?'}"
                       "</b>.</p>")
        if chain.path_count > 1:
            if chain.paths:
                items = []
                for p in chain.paths[:MAX_PATHS_SHOWN]:
                    via = " → ".join(f"L{l}u{u + 1}" for l, u in p.units)
                    pv = [self._value(f, s, hidden and _reached(tr, f.layer)) for f in p.factors]
                    term = fmt.number(p.terms[s], self._options.precision) if all(v != "?" for v in pv) else "?"
                    items.append(f"<li>{via}: {_product(pv)} = <b>{term}</b></li>")
                more = "" if len(chain.paths) <= MAX_PATHS_SHOWN else f"<li>… and {len(chain.paths) - MAX_PATHS_SHOWN} more</li>"
                out.append(f'<p style="color:{fg}">{chain.path_count} paths lead from this weight to the outputs '
                           "(the unit fans out); the gradient is the sum of their products:</p><ul>"
                           + "".join(items) + more + f"</ul><p style='color:{fg}'><b>sum = {total}</b></p>")
            else:
                out.append(f'<p style="color:{muted}">{chain.path_count} paths lead from this weight to the '
                           "outputs: backpropagation sums them into the factor ∂J/∂a.</p>")
        if chain.regularization:
            out.append(f'<p style="color:{fg}">+ regularization '
                       f"{fmt.number(chain.regularization, self._options.precision)}</p>")
        if lecture.update:
            lines = [formula_text(f, self._options.precision, hide_value=hidden) for f in lecture.update]
            out.append('<p style="font-size:large"><b>' + "<br>".join(html.escape(t) for t in lines) + "</b></p>")
        return "".join(out)
