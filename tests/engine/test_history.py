"""The bounded-resolution batch-loss curve: bins average exactly, the size stays bounded, views never change."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.history import Envelope, Series


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
