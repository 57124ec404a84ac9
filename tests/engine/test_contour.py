"""The decision boundary's contour: vectorised marching squares against the textbook one, cell by cell."""

import numpy as np

from ffviz.engine.contour import iso_segments


def test_iso_segments_lie_on_the_level():
    x = np.linspace(-1, 1, 61)
    g1, g2 = np.meshgrid(x, x)
    r = np.hypot(g1, g2)
    sx, sy = iso_segments(r, 0.5)
    assert sx.size > 40 and sx.size % 2 == 0
    # pixel coordinates back to the plane: sample [row, col] sits at (col + 0.5, row + 0.5)
    px = -1 + (sx - 0.5) * (2 / 60)
    py = -1 + (sy - 0.5) * (2 / 60)
    np.testing.assert_allclose(np.hypot(px, py), 0.5, atol=0.01)


def test_iso_segments_handle_saddles_and_nan():
    saddle = np.array([[1.0, 0.0], [0.0, 1.0]])
    sx, _ = iso_segments(saddle, 0.5)
    assert sx.size == 4  # two segments, one around each low corner
    assert iso_segments(np.full((5, 5), np.nan), 0.5)[0].size == 0
    assert iso_segments(np.zeros((5, 5)), 0.5)[0].size == 0


def iso_segments_per_cell(d: np.ndarray, level: float) -> set:
    """Marching squares one cell at a time, the textbook way: the oracle for the vectorised iso_segments."""
    out = set()
    for r in range(d.shape[0] - 1):
        for c in range(d.shape[1] - 1):
            a, b, cc, e = d[r, c], d[r, c + 1], d[r + 1, c + 1], d[r + 1, c]
            up = [v >= level for v in (a, b, cc, e)]  # NaN counts as below

            def cross(v0, v1, p0, p1):
                t = (level - v0) / (v1 - v0)
                return (p0[0] + t * (p1[0] - p0[0]) + 0.5, p0[1] + t * (p1[1] - p0[1]) + 0.5)

            with np.errstate(invalid="ignore", divide="ignore"):
                pts = {0: cross(a, b, (c, r), (c + 1, r)) if up[0] != up[1] else None,
                       1: cross(b, cc, (c + 1, r), (c + 1, r + 1)) if up[1] != up[2] else None,
                       2: cross(e, cc, (c, r + 1), (c + 1, r + 1)) if up[3] != up[2] else None,
                       3: cross(a, e, (c, r), (c, r + 1)) if up[0] != up[3] else None}
            edges = [k for k, v in pts.items() if v is not None]
            if len(edges) == 2:
                pairs = [tuple(edges)]
            elif len(edges) == 4:
                centre_up = (a + b + cc + e) / 4.0 >= level
                pairs = [(0, 1), (2, 3)] if centre_up == up[0] else [(0, 3), (1, 2)]
            else:
                pairs = []
            for i, j in pairs:
                seg = pts[i] + pts[j]
                if all(np.isfinite(seg)):
                    out.add(tuple(round(float(v), 9) for v in seg))
    return out


def test_iso_segments_match_marching_squares_cell_by_cell():
    rng = np.random.default_rng(3)
    for trial in range(40):
        d = rng.normal(size=rng.integers(2, 14, size=2)).cumsum(0).cumsum(1)
        if trial % 3 == 0:
            d[rng.random(d.shape) < 0.15] = np.nan
        if trial % 4 == 0:
            d = np.round(d)  # samples exactly on the level
        x, y = iso_segments(d, 0.0)
        got = {tuple(round(float(v), 9) for v in (x[k], y[k], x[k + 1], y[k + 1])) for k in range(0, x.size, 2)}
        assert got == iso_segments_per_cell(d, 0.0), trial
