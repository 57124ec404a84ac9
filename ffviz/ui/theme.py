"""Colours and sizes shared by every view, so a weight looks the same on the diagram and in the plots.

The diverging map runs orange (negative) → near-white (zero) → blue (positive): the blue/orange axis survives
the common colour-vision deficiencies (it is TensorFlow Playground's convention too).
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

# (position in [-1, 1], RGB) stops of the diverging map
DIVERGING_STOPS = (
    (-1.0, (230, 97, 1)),
    (-0.5, (253, 184, 99)),
    (0.0, (240, 240, 240)),
    (0.5, (146, 197, 222)),
    (1.0, (5, 113, 176)),
)
NEGATIVE = QtGui.QColor(230, 97, 1)
POSITIVE = QtGui.QColor(5, 113, 176)
NEUTRAL = QtGui.QColor(240, 240, 240)
NONFINITE = QtGui.QColor(200, 0, 200)  # NaN / inf weights after divergence: impossible to miss
SELECTED = QtGui.QColor(220, 20, 60)
CLASS_COLORS = (  # Okabe–Ito, colour-blind safe, for k-class data
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178), (213, 94, 0),
    (204, 121, 167), (0, 0, 0),
)
BASE_POINT_SIZE = 11  # readable from the back of a lecture hall; presentation mode will scale it


def diverging_lut(n: int = 256) -> np.ndarray:
    """An (n, 4) uint8 lookup table for the diverging map, from -1 (row 0) to +1 (row n-1)."""
    pos = np.array([s[0] for s in DIVERGING_STOPS])
    rgb = np.array([s[1] for s in DIVERGING_STOPS], dtype=float)
    t = np.linspace(-1.0, 1.0, n)
    out = np.empty((n, 4), dtype=np.uint8)
    for c in range(3):
        out[:, c] = np.round(np.interp(t, pos, rgb[:, c]))
    out[:, 3] = 255
    return out


_LUT = diverging_lut(256)


def diverging_color(value: float, scale: float) -> QtGui.QColor:
    """The colour of `value` on the map that spans [-scale, +scale]; magenta for NaN/inf."""
    if not np.isfinite(value):
        return QtGui.QColor(NONFINITE)
    t = 0.0 if scale <= 0 else max(-1.0, min(1.0, value / scale))
    r, g, b, _ = _LUT[int(round((t + 1.0) * 0.5 * (len(_LUT) - 1)))]
    return QtGui.QColor(int(r), int(g), int(b))


def class_color(k: int) -> QtGui.QColor:
    r, g, b = CLASS_COLORS[k % len(CLASS_COLORS)]
    return QtGui.QColor(r, g, b)
