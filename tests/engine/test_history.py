"""The bounded-resolution batch-loss curve: bins average exactly, the size stays bounded, views never change."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.history import Envelope, Series, peak_decimate, visible_path


def test_envelope_is_exact_while_small_and_bin_means_when_large():
    env = Envelope(cap=8)
    for i in range(5):
        env.append(i, 10.0 * i)
    x, y = env.arrays()
    np.testing.assert_array_equal(y, [0, 10, 20, 30, 40])
    for i in range(5, 100):
        env.append(i, 10.0 * i)
    x, y = env.arrays()
    assert len(x) <= 9 and env.width == 16
    np.testing.assert_allclose(y, 10.0 * x)  # a linear series: every bin's mean lies on the line
    assert x[0] == np.mean(np.arange(16))


def test_earlier_views_survive_merges_and_rebuild_matches_appending():
    env = Envelope(cap=8)
    for i in range(8):
        env.append(i, float(i))
    x0, y0 = env.arrays()
    kept = y0.copy()
    for i in range(8, 40):
        env.append(i, float(i))
    np.testing.assert_array_equal(y0, kept)
    other = Envelope(cap=8)
    other.rebuild(np.arange(40.0), np.arange(40.0))
    for a, b in zip(env.arrays(), other.arrays()):
        np.testing.assert_allclose(a, b)


def test_trainer_history_carries_the_curve():
    tr = Trainer(load_preset("circle"))
    tr.step(5000)
    h = tr.history()
    assert len(h.batch_loss) == 5000 and len(h.batch_curve_loss) <= 2049
    assert abs(np.mean(h.batch_curve_loss) - np.mean(h.batch_loss)) < 0.05


def test_a_row_needs_a_value_per_column():
    s = Series(("step", "loss"))
    s.append(1, 0.5)
    with pytest.raises(ValueError):
        s.append(2)
    with pytest.raises(ValueError):
        s.append(2, 0.4, 9.0)
    assert s.n == 1


@pytest.mark.parametrize("per_bin", [2, 3, 7, 50])
def test_thinning_keeps_the_ends_and_every_bins_extremes(per_bin):
    """A thinned curve is made of its own points: the first and the last, and the lowest and the highest of
    every bin; so its envelope, and its lowest and highest point, are the curve's."""
    rng = np.random.default_rng(per_bin)
    n = 1000 + per_bin // 2
    x = np.arange(n, dtype=float)
    y = rng.normal(size=n).cumsum()
    tx, ty, fixed = peak_decimate(x, y, per_bin)
    index = tx.astype(int)
    assert (np.diff(index) > 0).all()  # points of the curve, in order
    np.testing.assert_array_equal(ty, y[index])
    assert index[0] == 0 and index[-1] == n - 1
    assert ty.min() == y.min() and ty.max() == y.max()
    bins = (n - 2) // per_bin
    for k in range(bins):
        run = y[1 + k * per_bin:1 + (k + 1) * per_bin]
        assert run.min() in ty and run.max() in ty
    assert tx.size <= 1 + 2 * bins + per_bin
    # points appended later leave the first `fixed` points as they were (what the curve's cached image holds)
    more = np.concatenate([y, rng.normal(size=3 * per_bin + 1).cumsum() + y[-1]])
    mx, my, _ = peak_decimate(np.arange(more.size, dtype=float), more, per_bin)
    np.testing.assert_array_equal(mx[:fixed], tx[:fixed])
    np.testing.assert_array_equal(my[:fixed], ty[:fixed])
    assert fixed < tx.size  # the last point is never among them: it may still change (a partial bin)


def test_thinning_leaves_short_curves_alone():
    x, y = np.arange(5.0), np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    for per_bin in (1, 4):
        tx, ty, fixed = peak_decimate(x, y, per_bin)
        np.testing.assert_array_equal(tx, x)
        np.testing.assert_array_equal(ty, y)
        assert fixed == 4


def test_a_visible_path_keeps_every_point_that_enters_another_cell_and_nothing_in_between():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(scale=0.01, size=(5000, 2)), axis=0)
    walk[1234] = np.nan  # a point that did not compute stays (and the drawing leaves it out)
    cells = (0.1, 0.08)
    keep = visible_path(walk, cells)
    assert keep[0] == 0 and keep[-1] == len(walk) - 1 and np.all(np.diff(keep) > 0) and 1234 in keep
    cell = np.floor((walk - walk[0]) / cells)
    # every point left out is in the cell of the last point kept before it: the line through the kept
    # points passes through every cell the path visits, in order
    last = -1
    for i in range(len(walk)):
        if i in set(keep.tolist()):
            last = i
        else:
            assert np.array_equal(cell[i], cell[last]), i
    assert len(keep) < len(walk) // 4  # a walk of small steps is drawn with far fewer points
    creep = np.column_stack([np.linspace(0, 1e-6, 1000), np.zeros(1000)])
    assert visible_path(creep, (1e-3, 1e-3)).tolist() == [0, 999]
    assert visible_path(walk[:2], cells).tolist() == [0, 1]
    assert len(visible_path(walk, (0.0, 1.0))) == len(walk)  # no cell size: everything


def test_peak_decimation_keeps_a_bins_finite_extremes_beside_a_nan():
    y = np.array([0.0, 5.0, np.nan, 1.0, 9.0, 3.0, np.nan, np.nan, np.nan, 2.0])
    x = np.arange(y.size, dtype=float)
    tx, ty, _ = peak_decimate(x, y, 4)  # bins: 1–4 and 5–8, then the last point
    assert tx.tolist() == [0, 3, 4, 5, 9]  # 1.0 and 9.0 from the first bin; the second: its finite 3.0
    assert ty[1:3].tolist() == [1.0, 9.0]
