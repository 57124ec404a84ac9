"""The runtime Theme every view draws with: a palette, a diverging colour map for values, and the text sizes with
their scale (Ctrl+Plus/Minus for a projector). Views get it through `apply_theme(theme)` and keep no colour or
size of their own, so switching theme or scale restyles the whole window.

Values (weights, gradients, activations, outputs) use one diverging map everywhere, so a weight looks the same on
the diagram and in the plots. Both maps offered are colour-blind safe: blue/orange (TensorFlow Playground's
convention; it survives the common colour-vision deficiencies) and purple/green (ColorBrewer's PRGn).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

# Text sizes in points at scale 1, chosen to be read from the back of a lecture hall.
POINTS = {"diagram": 11.0, "diagram_big": 13.0, "tick": 13.0, "label": 15.0, "title": 16.0, "legend": 14.0,
          "status": 11.0, "widget": 10.0, "strip": 18.0}
MIN_SCALE, MAX_SCALE, SCALE_STEP = 0.6, 3.0, 1.15


@dataclass(frozen=True)
class DivergingMap:
    """Stops (position in [-1, 1], RGB) of a map from negative through a near-neutral zero to positive."""

    name: str
    label: str
    stops: tuple

    def lut(self, n: int = 256) -> np.ndarray:
        """An (n, 4) uint8 lookup table, from -1 (row 0) to +1 (row n-1)."""
        pos = np.array([s[0] for s in self.stops])
        rgb = np.array([s[1] for s in self.stops], dtype=float)
        t = np.linspace(-1.0, 1.0, n)
        out = np.empty((n, 4), dtype=np.uint8)
        for c in range(3):
            out[:, c] = np.round(np.interp(t, pos, rgb[:, c]))
        out[:, 3] = 255
        return out

    @property
    def negative(self) -> QtGui.QColor:
        return QtGui.QColor(*self.stops[0][1])

    @property
    def positive(self) -> QtGui.QColor:
        return QtGui.QColor(*self.stops[-1][1])


DIVERGING = {m.name: m for m in (
    DivergingMap("blue-orange", "Blue / orange", ((-1.0, (230, 97, 1)), (-0.5, (253, 184, 99)), (0.0, (240, 240, 240)),
                                                  (0.5, (146, 197, 222)), (1.0, (5, 113, 176)))),
    DivergingMap("purple-green", "Purple / green", ((-1.0, (118, 42, 131)), (-0.5, (194, 165, 207)),
                                                    (0.0, (240, 240, 240)), (0.5, (166, 219, 160)),
                                                    (1.0, (27, 120, 55)))),
)}


def _c(*rgba) -> QtGui.QColor:
    return QtGui.QColor(*rgba)


@dataclass(frozen=True)
class Palette:
    """Every colour a view uses that is not a value's colour."""

    name: str
    label: str
    dark: bool
    background: QtGui.QColor  # plots and the diagram
    foreground: QtGui.QColor  # text, axes, ticks, titles
    muted: QtGui.QColor  # secondary text (layer subtitles)
    outline: QtGui.QColor  # node boxes, colour bars
    panel: QtGui.QColor  # legend boxes over a view
    panel_border: QtGui.QColor
    label_background: QtGui.QColor  # behind numbers drawn over edges
    train: QtGui.QColor
    test: QtGui.QColor
    batch: QtGui.QColor
    step_line: QtGui.QColor
    contour: QtGui.QColor
    hollow_fill: QtGui.QColor  # test points
    point_edge: QtGui.QColor  # the ring around training points
    legend_grey: QtGui.QColor
    unknown: QtGui.QColor  # an edge whose gradient is not computed yet
    selected: QtGui.QColor
    nonfinite: QtGui.QColor  # NaN/inf after divergence: impossible to miss
    error: QtGui.QColor  # the one error colour: messages, banners, invalid input
    error_background: QtGui.QColor
    warning: QtGui.QColor  # a heads-up, not an error
    window: QtGui.QColor  # Qt widgets (controls, menus, status bar)
    window_text: QtGui.QColor
    base: QtGui.QColor  # text fields
    highlight: QtGui.QColor
    phase_tints: tuple = ()  # (kind, colour) of the band behind the phase being stepped
    classes: tuple = ()  # class colours (Okabe–Ito: colour-blind safe)
    wash: float = 0.35  # how far a plane's colours move towards the background: points stay readable on it
    line_scale: float = 1.0  # pens are this much wider (high contrast)

    def phase_tint(self, kind: str) -> QtGui.QColor:
        """The translucent tint of the band behind a phase (orange and blue are kept for values)."""
        return dict(self.phase_tints).get(kind, self.phase_tints[0][1])

    def phase_fill(self, kind: str) -> QtGui.QColor:
        """The tint laid over the background, opaque, in Qt's 8-bit arithmetic (premultiply, then source-over):
        the band lies on nothing else, and blending a translucent rect over the whole network cost ~0.4 ms a
        frame while training."""
        def mul(x: int, a: int) -> int:  # Qt's BYTE_MUL: x · a / 255, rounded
            t = x * a + 0x80
            return (t + (t >> 8)) >> 8
        tint = self.phase_tint(kind)
        a = tint.alpha()
        return QtGui.QColor(*(mul(c, a) + mul(b, 255 - a)
                              for c, b in zip(tint.getRgb()[:3], self.background.getRgb()[:3])))


_OKABE_ITO = ((230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0),
              (204, 121, 167), (0, 0, 0))

LIGHT = Palette(
    "light", "Light", False, background=_c(255, 255, 255), foreground=_c(40, 40, 40), muted=_c(110, 110, 110),
    outline=_c(120, 120, 120), panel=_c(255, 255, 255, 235), panel_border=_c(200, 200, 200),
    label_background=_c(252, 252, 252, 215), train=_c(30, 30, 30), test=_c(0, 158, 115),
    batch=_c(150, 150, 150, 110), step_line=_c(120, 120, 120), contour=_c(20, 20, 20), hollow_fill=_c(255, 255, 255, 190),
    point_edge=_c(255, 255, 255), legend_grey=_c(90, 90, 90), unknown=_c(175, 175, 175), selected=_c(220, 20, 60),
    nonfinite=_c(200, 0, 200), error=_c(198, 40, 40), error_background=_c(253, 232, 232), warning=_c(138, 90, 0),
    window=_c(239, 239, 239), window_text=_c(20, 20, 20), base=_c(255, 255, 255), highlight=_c(48, 140, 198),
    phase_tints=(("forward", _c(255, 214, 102, 70)), ("loss", _c(255, 214, 102, 70)),
                 ("backward", _c(190, 150, 230, 70)), ("update", _c(130, 200, 130, 28))),
    classes=_OKABE_ITO)

DARK = Palette(
    "dark", "Dark", True, background=_c(30, 31, 34), foreground=_c(225, 225, 225), muted=_c(160, 160, 160),
    outline=_c(150, 150, 150), panel=_c(45, 46, 50, 235), panel_border=_c(90, 90, 95),
    label_background=_c(30, 31, 34, 215), train=_c(235, 235, 235), test=_c(60, 200, 160),
    batch=_c(160, 160, 160, 110), step_line=_c(150, 150, 150), contour=_c(245, 245, 245), hollow_fill=_c(30, 31, 34, 190),
    point_edge=_c(20, 20, 20), legend_grey=_c(170, 170, 170), unknown=_c(95, 95, 95), selected=_c(255, 80, 110),
    nonfinite=_c(255, 60, 255), error=_c(255, 110, 110), error_background=_c(70, 25, 25), warning=_c(240, 190, 90),
    window=_c(43, 44, 48), window_text=_c(230, 230, 230), base=_c(30, 31, 34), highlight=_c(64, 150, 210),
    phase_tints=(("forward", _c(255, 200, 80, 45)), ("loss", _c(255, 200, 80, 45)),
                 ("backward", _c(190, 140, 255, 50)), ("update", _c(120, 220, 120, 22))),
    classes=_OKABE_ITO[:7] + ((255, 255, 255),), wash=0.45)

HIGH_CONTRAST = Palette(
    "high-contrast", "High contrast", True, background=_c(0, 0, 0), foreground=_c(255, 255, 255),
    muted=_c(230, 230, 230), outline=_c(255, 255, 255), panel=_c(0, 0, 0, 245), panel_border=_c(255, 255, 255),
    label_background=_c(0, 0, 0, 230), train=_c(255, 255, 255), test=_c(0, 255, 200), batch=_c(200, 200, 200, 150),
    step_line=_c(255, 255, 0), contour=_c(255, 255, 0), hollow_fill=_c(0, 0, 0, 200), point_edge=_c(0, 0, 0),
    legend_grey=_c(230, 230, 230), unknown=_c(120, 120, 120), selected=_c(255, 255, 0), nonfinite=_c(255, 0, 255),
    error=_c(255, 90, 90), error_background=_c(60, 0, 0), warning=_c(255, 230, 0), window=_c(0, 0, 0),
    window_text=_c(255, 255, 255), base=_c(0, 0, 0), highlight=_c(255, 255, 0),
    phase_tints=(("forward", _c(255, 220, 0, 60)), ("loss", _c(255, 220, 0, 60)),
                 ("backward", _c(200, 0, 255, 60)), ("update", _c(0, 255, 0, 40))),
    classes=_OKABE_ITO[:7] + ((255, 255, 255),), wash=0.55, line_scale=1.5)

PALETTES = {p.name: p for p in (LIGHT, DARK, HIGH_CONTRAST)}
THEME_NAMES = ("system",) + tuple(PALETTES)  # "system": light or dark, as the desktop is


@dataclass(frozen=True)
class Theme:
    palette: Palette = LIGHT
    diverging: DivergingMap = field(default=DIVERGING["blue-orange"])
    scale: float = 1.0

    def pt(self, role: str) -> float:
        """The point size of a kind of text (POINTS) at this theme's scale."""
        return POINTS[role] * self.scale

    def font(self, role: str, bold: bool = False, italic: bool = False) -> QtGui.QFont:
        f = QtGui.QFont()
        f.setPointSizeF(self.pt(role))
        f.setBold(bold)
        f.setItalic(italic)
        return f

    def line(self, width: float) -> float:
        """A pen width, wider in high contrast."""
        return width * self.palette.line_scale

    @cached_property
    def lut(self) -> np.ndarray:
        """The diverging map as 256 RGBA rows, -1 … +1."""
        return self.diverging.lut(256)

    @cached_property
    def sequential_lut(self) -> np.ndarray:
        """A map for magnitudes (a loss surface: low to high), 256 RGBA rows: viridis, perceptually even and
        readable in grey and by colour-blind viewers; the paths drawn over it are white and black."""
        stops = np.array([(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
                          (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)], float)
        t = np.linspace(0.0, 1.0, 256)
        at = np.linspace(0.0, 1.0, len(stops))
        out = np.empty((256, 4), dtype=np.uint8)
        for c in range(3):
            out[:, c] = np.round(np.interp(t, at, stops[:, c]))
        out[:, 3] = 255
        return out

    def value_color(self, value: float, scale: float) -> QtGui.QColor:
        """The colour of `value` on the diverging map spanning [-scale, +scale]; NaN/inf in nonfinite."""
        if not np.isfinite(value):
            return QtGui.QColor(self.palette.nonfinite)
        t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
        r, g, b, _ = self.lut[int(round((t + 1.0) * 0.5 * 255))]
        return QtGui.QColor(int(r), int(g), int(b))

    def class_color(self, k: int) -> QtGui.QColor:
        return QtGui.QColor(*self.palette.classes[k % len(self.palette.classes)])

    def scaled(self, scale: float) -> "Theme":
        return replace(self, scale=min(MAX_SCALE, max(MIN_SCALE, round(float(scale), 3))))

    def washed(self, rgb) -> np.ndarray:
        """Colours (…, 3) moved `wash` of the way to the background: a plane stays paler than its points."""
        bg = np.array(self.palette.background.getRgb()[:3], dtype=float)
        rgb = np.asarray(rgb, dtype=float)
        return rgb * (1.0 - self.palette.wash) + bg * self.palette.wash

    def qss_color(self, color: QtGui.QColor) -> str:
        return f"rgba({color.red()}, {color.green()}, {color.blue()}, {color.alpha()})"

    # -------------------------------------------------------------- Qt widgets

    def qpalette(self, base: QtGui.QPalette) -> QtGui.QPalette:
        """The Qt palette for widgets (controls, menus, dialogs, status bar) in this theme."""
        p = QtGui.QPalette(base)
        P, R = self.palette, QtGui.QPalette.ColorRole
        for role, color in ((R.Window, P.window), (R.WindowText, P.window_text), (R.Base, P.base),
                            (R.AlternateBase, P.window), (R.Text, P.window_text), (R.Button, P.window),
                            (R.ButtonText, P.window_text), (R.ToolTipBase, P.base), (R.ToolTipText, P.window_text),
                            (R.Highlight, P.highlight), (R.PlaceholderText, P.muted), (R.BrightText, P.error)):
            p.setColor(role, color)
        p.setColor(R.HighlightedText, QtGui.QColor(0, 0, 0) if P.name == "high-contrast" else QtGui.QColor(255, 255, 255))
        disabled = QtGui.QPalette.ColorGroup.Disabled
        for role in (R.WindowText, R.Text, R.ButtonText):
            p.setColor(disabled, role, P.muted)
        return p


def resolve(name: str) -> Palette:
    """A palette by name; "system" follows the desktop's light or dark setting."""
    if name == "system":
        hints = QtGui.QGuiApplication.styleHints() if QtGui.QGuiApplication.instance() else None
        dark = hints is not None and hints.colorScheme() == QtCore.Qt.ColorScheme.Dark
        return DARK if dark else LIGHT
    return PALETTES[name]


def apply_to_application(app: QtWidgets.QApplication, theme: Theme, base_palette: QtGui.QPalette | None = None) -> None:
    """Give every Qt widget the theme's palette and the scaled widget font. In Fusion: it draws every widget
    from the palette (other styles keep their own colours for some, and a dark theme would not reach them)."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    if base_palette is None:
        base_palette = app.style().standardPalette()
    app.setPalette(theme.qpalette(base_palette))
    font = QtGui.QFont(app.font())
    font.setPointSizeF(theme.pt("widget"))
    app.setFont(font)


DEFAULT = Theme()
