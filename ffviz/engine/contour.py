"""Level curves of a sampled plane: the decision boundary ŷ = 0.5 the boundary plot draws over the plane.

Marching squares, vectorised over the cells the curve crosses (pyqtgraph's isocurve runs a Python loop over every
cell: ~10 ms at 100²). NumPy only, like the rest of the engine.
"""

from __future__ import annotations

import numpy as np

# Marching squares by case: corners a (r,c) = 1, b (r,c+1) = 2, c (r+1,c+1) = 4, e (r+1,c) = 8 when at or above
# the level; edges 0 top a–b, 1 right b–c, 2 bottom e–c, 3 left a–e. Per case, the edges each segment joins:
# one segment, or two for a saddle (5, 10), whose centre decides the pairing (index 16: the other pairing).
_ISO_EDGES = np.array([
    (0, 0, 0, 0), (0, 3, 0, 0), (0, 1, 0, 0), (1, 3, 0, 0), (1, 2, 0, 0), (0, 1, 2, 3), (0, 2, 0, 0),
    (2, 3, 0, 0), (2, 3, 0, 0), (0, 2, 0, 0), (0, 1, 2, 3), (1, 2, 0, 0), (1, 3, 0, 0), (0, 1, 0, 0),
    (0, 3, 0, 0), (0, 0, 0, 0), (0, 3, 1, 2)])


def iso_segments(data: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares, vectorised: the level curve of a row-major grid as line segments.

    Returns x, y of segment end points in pairs (x[0]–x[1], x[2]–x[3], …), in the coordinates of an image of
    the grid, one pixel per sample: sample [row, col] sits at the pixel centre (col + 0.5, row + 0.5). NaN
    samples make no line.
    Only the cells the curve crosses are computed (a few hundred of 47², every frame).
    """
    d = np.asarray(data, dtype=float)
    if d.ndim != 2 or d.shape[0] < 2 or d.shape[1] < 2:
        return np.empty(0), np.empty(0)
    with np.errstate(invalid="ignore"):
        above = (d >= level).view(np.uint8)
    case = above[:-1, :-1] | (above[:-1, 1:] << 1) | (above[1:, 1:] << 2) | (above[1:, :-1] << 3)
    rows, cols = np.nonzero((case != 0) & (case != 15))
    if rows.size == 0:
        return np.empty(0), np.empty(0)
    k = case[rows, cols].astype(np.intp)
    a, b, c, e = d[rows, cols], d[rows, cols + 1], d[rows + 1, cols + 1], d[rows + 1, cols]
    r, q = rows.astype(float), cols.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the crossing point on each edge of each crossed cell
        ex = np.stack([q + (level - a) / (b - a), q + 1.0, q + (level - e) / (c - e), q])
        ey = np.stack([r, r + (level - b) / (c - b), r + 1.0, r + (level - a) / (e - a)])
        saddle = np.flatnonzero((k == 5) | (k == 10))
        if saddle.size:
            # with the centre on a's side, b and e are cut off (a–c stay joined): else the other pairing
            centre_above = (a[saddle] + b[saddle] + c[saddle] + e[saddle]) / 4.0 >= level
            k[saddle[centre_above != (k[saddle] == 5)]] = 16
    edges = _ISO_EDGES[k]
    cell = np.concatenate([np.arange(k.size), saddle])
    i = np.concatenate([edges[:, 0], edges[saddle, 2]])
    j = np.concatenate([edges[:, 1], edges[saddle, 3]])
    x = np.column_stack([ex[i, cell], ex[j, cell]]).ravel() + 0.5
    y = np.column_stack([ey[i, cell], ey[j, cell]]).ravel() + 0.5
    ok = np.isfinite(x) & np.isfinite(y)
    ok = (ok[0::2] & ok[1::2]).repeat(2)  # drop a segment if either end is not finite
    return x[ok], y[ok]
