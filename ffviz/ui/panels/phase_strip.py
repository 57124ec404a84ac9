"""The phase strip: Forward · Loss · Backward · Update across the top of the diagram, the phase just done
highlighted and its layer named, large enough to be read from the back of the hall."""

from __future__ import annotations

from PySide6 import QtCore

from ffviz.ui import theme as themes
from ffviz.ui.panels import WrappingLabel

STEPS = (("forward", "Forward"), ("loss", "Loss"), ("backward", "Backward"), ("update", "Update"))


class PhaseStrip(WrappingLabel):
    """Which phase of the update the numbers on screen are of (empty between two free-running updates)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("phaseStrip")
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self._theme = themes.DEFAULT
        self._snap = None
        self._playing = False
        self.apply_theme(self._theme)

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.setFont(theme.font("title", bold=True))
        self._render()

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self._render()

    def show_snapshot(self, snap) -> bool:
        self._snap = snap
        self._render()
        return True

    def plain_text(self) -> str:
        """What the strip says, without its formatting (for tests and screen readers)."""
        return self._plain

    def _render(self) -> None:
        P = self._theme.palette
        snap = self._snap
        tr = snap.trace if snap is not None else None
        done = tr.last_phase if tr is not None else None
        nxt = snap.next_phase if snap is not None else None
        n = len(snap.layer_sizes) - 1 if snap is not None else 1
        parts, plain = [], []
        for kind, label in STEPS:
            current = done is not None and done.kind == kind and not self._playing
            text = label
            if current and kind in ("forward", "backward"):
                text += f" pass, layer {done.layer}" + (f" of {n}" if n > 1 else "")
            elif current and kind == "update":
                text = "Weight update"
            if current:
                parts.append(f'<span style="background:{P.highlight.name()}; color:{P.background.name()};'
                             f' font-weight:bold">&nbsp;{text}&nbsp;</span>')
            else:
                parts.append(f'<span style="color:{P.muted.name()}">{text}</span>')
            plain.append(f"[{text}]" if current else text)
        sep = f'<span style="color:{P.muted.name()}"> &nbsp;·&nbsp; </span>'
        where = ""
        if snap is not None and tr is not None and not self._playing:
            step = tr.step if done is not None and done.kind != "update" else snap.step
            where = f'<span style="color:{P.foreground.name()}">update {step}: </span>'
            if nxt is not None and done is not None:
                plain.append(f"next: {nxt.label}")
        self._plain = " · ".join(plain)
        self.setText(where + sep.join(parts))
