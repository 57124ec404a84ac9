"""The formula strip under the diagram: the phase just done as the slides write it, with its numbers:
Σ = x₁w₁ + x₂w₂ = 0.50·0.35 + 0.51·0.40 = 0.379.

It asks for the formulas (engine/lecture.py, through a LectureRequest answered off this thread) for the
selected neuron and sample, and writes them in the lecture's precision; in the quiz the results are "?".
"""

from __future__ import annotations

from PySide6 import QtCore

from ffviz.engine.requests import LectureRequest
from ffviz.explain import formula_text
from ffviz.ui import theme as themes
from ffviz.ui.lecture import LectureOptions
from ffviz.ui.panels import WrappingLabel

MAX_FORMULAS = 4


class FormulaStrip(WrappingLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("formulaStrip")
        self.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self._theme = themes.DEFAULT
        self._options = LectureOptions()
        self._requester = None
        self._snap = None
        self._focus = None  # (layer, unit, inputs) of the selected neuron or weight
        self._answer = None
        self.apply_theme(self._theme)

    def set_requester(self, requester) -> None:
        self._requester = requester

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.setFont(theme.font("title"))
        self._render()

    def set_lecture(self, options: LectureOptions) -> None:
        changed = (options.sample, options.playing) != (self._options.sample, self._options.playing)
        self._options = options
        if changed:
            self._ask()
        self._render()

    def set_selection(self, layer: int, kind: str, index: tuple) -> None:
        """The selected weight or neuron: formulas are about its unit (its weight first, for a weight)."""
        if kind == "kernel":
            self._focus = (layer, index[1], [index[0]])
        elif layer > 0:
            self._focus = (layer, index[0], None)
        self._ask()

    def show_snapshot(self, snap) -> bool:
        self._snap = snap
        self._ask()
        return True

    def _ask(self) -> None:
        snap = self._snap
        if snap is None or snap.trace is None or snap.trace.last_phase is None or self._options.playing \
                or self._requester is None:
            self._answer = None
            self._render()
            return
        tr = snap.trace
        kernels = tr.old_kernels if tr.old_kernels is not None else snap.kernels
        biases = tr.old_biases if tr.old_kernels is not None else snap.biases
        focus = self._focus if self._focus is not None and self._focus[0] <= len(kernels) else None
        self._requester.ask(LectureRequest("formulas", snap.run_id, snap.step, snap.serial, trace=tr,
                                           kernels=tuple(kernels), biases=tuple(biases), config=snap.config,
                                           sample=self._options.sample, focus=focus))

    def show_answer(self, answer) -> None:
        if self._requester is None or not self._requester.wanted(answer):
            return
        self._answer = answer
        self._render()

    def formulas_text(self) -> str:
        return self.text()

    def _render(self) -> None:
        ans = self._answer
        if ans is None or ans.error or self._options.playing:
            self.setText(ans.error if ans is not None and ans.error else "")
            self.setVisible(bool(self.text()))
            return
        hide = self._options.hidden(self._snap)
        lines = [formula_text(f, self._options.precision, hide_value=hide) for f in ans.value.formulas[:MAX_FORMULAS]]
        notes = [f.note for f in ans.value.formulas[:MAX_FORMULAS] if f.note]
        if self._snap is not None and self._snap.trace is not None and self._snap.trace.n > 1:
            notes.append(f"numbers of sample {self._options.sample + 1} of the batch of {self._snap.trace.n}")
        text = "\n".join(lines)
        if notes:
            text += "\n(" + "; ".join(dict.fromkeys(notes)) + ")"
        self.setText(text)
        self.setVisible(bool(lines))
