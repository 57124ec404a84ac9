"""Axis maths: 1-2-5 ends and log-axis ticks that label true values and do not crowd."""


import numpy as np
import pytest

from ffviz.ui.pgkit import log_range, log_ticks, nice_ceil


def test_nice_ceil():
    assert [nice_ceil(v) for v in (0.1, 0.11, 0.59, 1.0, 3.0, 7.0, 0.0, float("nan"))] == \
        [0.1, 0.2, 1.0, 1.0, 5.0, 10.0, 1.0, 1.0]


def _is_125(log10_value: float) -> bool:
    m = 10.0 ** (log10_value - np.floor(log10_value + 1e-9))
    return any(abs(m - k) < 1e-6 for k in (1.0, 2.0, 5.0, 10.0))


@pytest.mark.parametrize("lo, hi", [(0.1147, 0.1218), (0.05, 0.7), (5.1e-6, 1.7), (1e-12, 9.0), (1.0, 1.0),
                                    (2e-5, 3e-5), (0.5, 0.9), (3e4, 8e6)])
def test_log_range_hugs_the_data(lo, hi):
    bottom, top = log_range(np.log10(lo), np.log10(hi))
    assert bottom <= np.log10(lo) + 1e-12 and top >= np.log10(hi) - 1e-12 and top > bottom
    assert _is_125(bottom) and _is_125(top)
    # no more than one 1-2-5 step beyond the data at either end (a whole decade at most)
    assert np.log10(lo) - bottom <= np.log10(2.5) + 1e-9 and top - np.log10(hi) <= np.log10(2.5) + 1e-9


def _label_value(text: str) -> float:
    sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    if "10" in text and text.translate(sup) != text:
        mantissa, _, power = text.rpartition("10")
        return float(mantissa.rstrip("×") or 1.0) * 10.0 ** int(power.translate(sup))
    return float(text)


@pytest.mark.parametrize("lo, hi", [(0.1, 0.2), (0.05, 1.0), (5e-6, 2.0), (1e-12, 10.0), (1.0, 2.0),
                                    (2e-5, 5e-5), (0.001, 1.0), (1e-3, 0.5), (0.2, 5.0), (1e-30, 1e3)])
def test_log_ticks_label_true_values_and_do_not_crowd(lo, hi):
    lo, hi = np.log10(lo), np.log10(hi)
    major, minor = log_ticks(lo, hi)
    assert 2 <= len(major) <= 7  # pyqtgraph's own labels every 2…9 × 10ᵏ below three decades
    values = [v for v, _ in major]
    assert values == sorted(values) and all(lo - 1e-9 <= v <= hi + 1e-9 for v in values)
    for v, text in major:
        assert _label_value(text) == pytest.approx(10.0 ** v, rel=1e-3), text
    assert all(text == "" for _, text in minor)
    assert not {round(v, 9) for v in values} & {round(v, 9) for v, _ in minor}
