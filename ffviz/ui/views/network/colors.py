"""Values to colours, as the diagram draws them: the theme's diverging map in 255 steps (index 127 is exactly
zero) plus one index for NaN/inf, turned into ARGB words for heatmaps and QColors for pens, once per theme."""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

from ffviz.engine.activations import ACTIVATIONS

N_COLORS = 255
CENTRE = (N_COLORS - 1) // 2
NONFINITE_INDEX = 255


class ValueColors:
    """The diverging map of a theme as ARGB words (heatmap pixels) and QColors (edges, bias rings)."""

    def __init__(self, theme):
        lut = theme.diverging.lut(N_COLORS)
        self.argb = np.empty(256, dtype=np.uint32)
        self.argb[:N_COLORS] = (0xFF000000 | (lut[:, 0].astype(np.uint32) << 16)
                                | (lut[:, 1].astype(np.uint32) << 8) | lut[:, 2].astype(np.uint32))
        self.argb[NONFINITE_INDEX] = theme.palette.nonfinite.rgba()
        self.qcolors = [QtGui.QColor(int(r), int(g), int(b)) for r, g, b, _ in lut] \
            + [QtGui.QColor(theme.palette.nonfinite)]


def lut_index(values, scale: float) -> np.ndarray:
    """Diverging-map indices (0 … 254, 127 = zero) of values on [-scale, +scale]; 255 marks NaN/inf."""
    v = np.asarray(values, dtype=np.float64)
    # in place on one temporary: this runs on every heatmap pixel of every frame
    with np.errstate(all="ignore"):
        t = v / scale if scale > 0 else np.zeros_like(v)
        np.clip(t, -1.0, 1.0, out=t)
        t += 1.0
        t *= CENTRE
        np.rint(t, out=t)
        t[~np.isfinite(v)] = NONFINITE_INDEX
    return t.astype(np.intp)


def abs_max(arrays) -> float:
    """The largest finite |value| over the arrays (None entries skipped); 0 when there is none."""
    best = 0.0
    for a in arrays:
        if a is None or a.size == 0:
            continue
        m = np.abs(a[np.isfinite(a)]) if not np.all(np.isfinite(a)) else np.abs(a)
        if m.size:
            best = max(best, float(m.max()))
    return best


def heat_indices(a: np.ndarray, activation: str | None) -> np.ndarray:
    """LUT indices for one layer's plane (units, res, res), flipped so that large x₂ is at the top.

    Activations with outputs in [0, 1] (sigmoid, softmax, step) map 0 → negative end, 0.5 → neutral, 1 →
    positive end, so 0.5 always looks the same; the others are symmetric around 0 with the layer's largest |a|
    on the plane as the scale. Input features (activation None) are scaled one by one (x₁ and sin(x₁) have
    unrelated ranges)."""
    a = a[:, ::-1, :]
    if activation is None:
        finite = np.where(np.isfinite(a), np.abs(a), 0.0)
        scale = finite.reshape(a.shape[0], -1).max(axis=1)
        scale = np.where(scale > 0, scale, 1.0)[:, None, None]
        with np.errstate(all="ignore"):
            return lut_index(a / scale, 1.0)
    act = ACTIVATIONS.get(activation)
    if act is not None and act.output_range == (0.0, 1.0):
        with np.errstate(all="ignore"):
            return lut_index(2.0 * a - 1.0, 1.0)  # 0.5 is neutral
    scale = abs_max([a])
    return lut_index(a, scale if scale > 0 else 1.0)
