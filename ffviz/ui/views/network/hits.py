"""Which edge is under the pointer: the nearest segment within its drawn width, with NumPy over every edge's
end points (Qt's item index would have to be rebuilt whenever a pen width changes)."""

from __future__ import annotations

import numpy as np


def nearest_edge(p0: np.ndarray, p1: np.ndarray, widths: np.ndarray, point, pixel: float) -> int | None:
    """The index of the segment p0[k]–p1[k] nearest to `point` and within half its width plus 1.5 px (at
    least 4 px) of it; None if there is none. `pixel` is one viewport pixel in the segments' units."""
    if not len(p0):
        return None
    p = np.asarray(point, dtype=float)
    d = p1 - p0
    with np.errstate(all="ignore"):
        t = np.clip(np.einsum("ij,ij->i", p - p0, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    t = np.nan_to_num(t)
    dist = np.hypot(*(p0 + t[:, None] * d - p).T)
    tol = np.maximum(widths / 2 + 1.5 * pixel, 4.0 * pixel)
    dist = np.where(dist <= tol, dist, np.inf)
    k = int(np.argmin(dist))
    return k if np.isfinite(dist[k]) else None
