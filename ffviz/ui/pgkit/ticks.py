"""Axis maths for the plots: axis ends that change rarely (1-2-5 steps) and uncrowded log-axis ticks.

Qt-free: it computes numbers and labels; pgkit's plots hand them to pyqtgraph.
"""

from __future__ import annotations

import math

from ffviz.ui.format import power_of_ten

_STEPS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _ceil_on(value: float, mantissas) -> float:
    """The smallest m × 10ᵏ at or above `value`, m one of `mantissas` (1 … 10); 1 for zero or non-finite."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(value))
    for m in mantissas:
        if value <= m * e * (1 + 1e-9):
            return m * e
    return 10.0 * e


def step_ceil(value: float) -> float:
    """The smallest of 1, 1.25, 1.5, 2, … 8 × 10ᵏ at or above `value`: an axis end that changes rarely."""
    return _ceil_on(value, _STEPS)


_LOG_MANTISSAS = (1.0, 2.0, 5.0)


def _log_grid(lo: float, hi: float, mantissas=_LOG_MANTISSAS) -> list[float]:
    """log10 of every m × 10ᵏ (m one of `mantissas`) from a decade below 10^lo to a decade above 10^hi."""
    return [k + math.log10(m) for k in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in mantissas]


def log_range(lo: float, hi: float) -> tuple[float, float]:
    """A log axis' ends (log10) for data from 10^lo to 10^hi: the nearest 1, 2, 5 × 10ᵏ outside the data,
    so a run whose loss spans less than a decade fills the plot instead of a sliver of a whole decade,
    and the ends change only when the data crosses one of those values."""
    grid = _log_grid(lo, hi)
    eps = 1e-9
    bottom = max(g for g in grid if g <= lo + eps)
    top = min(g for g in grid if g >= hi - eps)
    if top <= bottom + eps:
        top = min(g for g in grid if g > bottom + eps)
    return bottom, top


def _log_label(log10_value: float) -> str:
    value = 10.0 ** log10_value
    if 1e-3 <= value < 1e4:
        return f"{value:.4g}"
    k = math.floor(log10_value + 1e-9)
    return power_of_ten(k, value / 10.0 ** k)


def log_ticks(lo: float, hi: float, max_labels: int = 7) -> list[list[tuple[float, str]]]:
    """Tick levels for a log axis from 10^lo to 10^hi (log10 values, as pyqtgraph's log mode places them), for
    ends made by `log_range` within 10^±300.

    pyqtgraph labels every 2…9 × 10ᵏ when the range is under three decades, which crowds a small plot. Here:
    within about two decades the 1, 2, 5 × 10ᵏ are labelled and the rest are unlabelled grid ticks; over
    more, whole decades are labelled (every second, third … decade if there are too many) and the rest are
    unlabelled.
    """
    eps = 1e-9

    def within(values):
        return [v for v in values if lo - eps <= v <= hi + eps]

    span = hi - lo
    if span < math.log10(3.0):  # less than a factor of 3 (a loss early on): evenly spaced values, 3 to 6
        v0, v1 = 10.0 ** lo, 10.0 ** hi
        step = nice_ceil((v1 - v0) / 5.0)
        first, last = math.ceil(v0 / step - eps), math.floor(v1 / step + eps)
        labelled = [math.log10(n * step) for n in range(first, last + 1)]
        inside = within(math.log10((n + 0.5) * step) for n in range(first - 1, last + 1))
    elif span <= 2.0 + eps:
        labelled = within(_log_grid(lo, hi))
        inside = within(_log_grid(lo, hi, range(1, 10)))
    else:
        decades = range(math.ceil(lo - eps), math.floor(hi + eps) + 1)
        every = max(1, math.ceil(len(decades) / max_labels))
        labelled = [float(k) for k in decades if k % every == 0]
        # over five decades, minor ticks would be a grey band: decades only
        inside = [float(k) for k in decades] if span > 5.0 else within(_log_grid(lo, hi, range(1, 10)))
    major = [(v, _log_label(v)) for v in labelled]
    minor = [(v, "") for v in inside if all(abs(v - w) > eps for w in labelled)]
    return [major, minor]


def nice_ceil(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ at or above `value` (1 for zero or non-finite): a colour bar's end."""
    return _ceil_on(value, _LOG_MANTISSAS)
