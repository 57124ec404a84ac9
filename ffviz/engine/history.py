"""Training history: append-only columns, a bounded-resolution curve of per-update values for plots, and
the thinning of a curve to the points a screen can show (peak_decimate).

Arrays handed out are read-only views of buffers that are only ever appended to; growing, truncating or
coarsening allocates new buffers, so a view taken earlier (inside a snapshot) never changes.
"""

from __future__ import annotations

import math

import numpy as np

from ffviz.engine.snapshot import readonly


def _frozen_view(buf: np.ndarray) -> np.ndarray:
    return readonly(buf.view())


def _write(buf: np.ndarray, index, values) -> None:
    """Write into a buffer that is read-only between writes: then no view of it, wherever it went, can be
    made writable again (NumPy asks the array that owns the memory)."""
    buf.flags.writeable = True
    buf[index] = values
    buf.flags.writeable = False


class Series:
    """Append-only float columns. Growth or truncation allocates new buffers, so views handed out stay valid."""

    def __init__(self, names: tuple[str, ...], capacity: int = 1024):
        self.names = names
        self.n = 0
        self._buf = readonly(np.full((len(names), capacity), np.nan))

    def append(self, *values: float) -> None:
        if len(values) != len(self.names):
            raise ValueError(f"a row of {self.names} needs {len(self.names)} values, not {len(values)}")
        if self.n == self._buf.shape[1]:
            bigger = np.full((len(self.names), 2 * self.n), np.nan)
            bigger[:, :self.n] = self._buf[:, :self.n]
            self._buf = readonly(bigger)
        buf, n = self._buf, self.n
        buf.flags.writeable = True  # read-only between writes (see _write); one float at a time is cheapest
        for row, v in enumerate(values):
            buf[row, n] = v
        buf.flags.writeable = False
        self.n = n + 1

    def extend(self, *columns) -> None:
        """Append many rows at once: one array per column, of equal length."""
        if len(columns) != len(self.names):
            raise ValueError(f"rows of {self.names} need {len(self.names)} columns, not {len(columns)}")
        k = len(columns[0]) if columns else 0
        if k == 0:
            return
        n = self.n
        if n + k > self._buf.shape[1]:
            bigger = np.full((len(self.names), max(2 * self._buf.shape[1], n + k)), np.nan)
            bigger[:, :n] = self._buf[:, :n]
            self._buf = readonly(bigger)
        for row, values in enumerate(columns):
            _write(self._buf, (row, slice(n, n + k)), values)
        self.n = n + k

    def rows(self, start: int) -> tuple:
        """The rows from `start` on, one array (a copy) per column."""
        return tuple(np.array(self._buf[i, start:self.n]) for i in range(len(self.names)))

    def __setstate__(self, state: dict) -> None:
        # An unpickled array does not own its memory (it lives in the pickle's bytes), so _write could not make
        # it writable again: give the copy a buffer of its own (a Trainer sent to a training process).
        self.__dict__.update(state)
        self._buf = readonly(np.array(self._buf))

    def column(self, name: str) -> np.ndarray:
        # Sliced from a read-only view: a user of the snapshot cannot flip the flag back and write through.
        return _frozen_view(self._buf)[self.names.index(name), :self.n]

    def last(self, name: str) -> float:
        return float(self._buf[self.names.index(name), self.n - 1]) if self.n else math.nan

    def truncate(self, keep: int) -> None:
        """Keep the first `keep` rows, in a new buffer (older views keep the old one)."""
        buf = np.full((len(self.names), max(1024, 2 * keep)), np.nan)
        buf[:, :keep] = self._buf[:, :keep]
        self._buf, self.n = readonly(buf), keep



class Envelope:
    """Per-update values at a bounded resolution: the mean over bins of `width` consecutive updates. When
    `cap` bins are full, neighbours merge and the width doubles, so a plot of a million updates costs as
    little per frame as one of two thousand. O(1) per value, amortised."""

    def __init__(self, cap: int = 2048):
        self.cap = cap - cap % 2
        self._reset()

    def _reset(self) -> None:
        self.width = 1
        self.n = 0
        self._x = readonly(np.empty(self.cap))
        self._y = readonly(np.empty(self.cap))
        self._sx = self._sy = 0.0
        self._count = 0

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)  # buffers of its own, as Series.__setstate__
        self._x, self._y = readonly(np.array(self._x)), readonly(np.array(self._y))

    def append(self, x: float, y: float) -> None:
        self._sx += x
        self._sy += y
        self._count += 1
        if self._count == self.width:
            if self.n == self.cap:
                self._merge()  # the width doubles: what was gathered is now half of the next bin
                return
            _write(self._x, self.n, self._sx / self.width)
            _write(self._y, self.n, self._sy / self.width)
            self.n += 1
            self._sx = self._sy = 0.0
            self._count = 0

    def _merge(self) -> None:
        half = self.cap // 2
        x, y = np.empty(self.cap), np.empty(self.cap)
        x[:half] = self._x.reshape(half, 2).mean(axis=1)
        y[:half] = self._y.reshape(half, 2).mean(axis=1)
        self._x, self._y, self.n, self.width = readonly(x), readonly(y), half, self.width * 2

    def rebuild(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Start again from these values (after history was cut back)."""
        self._reset()
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        while math.ceil(len(xs) / self.width) > self.cap:
            self.width *= 2
        full = len(xs) // self.width * self.width
        bins = full // self.width
        _write(self._x, slice(0, bins), xs[:full].reshape(bins, self.width).mean(axis=1))
        _write(self._y, slice(0, bins), ys[:full].reshape(bins, self.width).mean(axis=1))
        self.n = bins
        for x, y in zip(xs[full:], ys[full:]):
            self.append(x, y)

    def parts(self) -> dict:
        """Everything that decides its future (copies): a session stores these, and `from_parts` gives an
        envelope that goes on exactly as this one would. Rebuilding from the values instead would not: a bin's
        mean computed at once differs in its last bits from the running sum divided by the width."""
        return {"cap": self.cap, "width": self.width, "count": self._count,
                "x": np.array(self._x[:self.n]), "y": np.array(self._y[:self.n]),
                "sums": np.array([self._sx, self._sy])}

    @classmethod
    def from_parts(cls, cap: int, width: int, count: int, x, y, sums) -> "Envelope":
        """The envelope `parts` described; ValueError if the parts cannot be one."""
        x, y, sums = (np.asarray(a, dtype=float) for a in (x, y, sums))
        if cap < 2 or cap % 2 or width < 1 or width & (width - 1) or not 0 <= count < width:
            raise ValueError(f"an envelope of cap {cap}, width {width} and {count} values gathered cannot be")
        if x.shape != y.shape or x.ndim != 1 or x.shape[0] > cap or sums.shape != (2,):
            raise ValueError("an envelope's bins must be two equal 1-D arrays of at most cap values")
        env = cls(cap)
        env.width, env.n, env._count = int(width), int(x.shape[0]), int(count)
        _write(env._x, slice(0, env.n), x)
        _write(env._y, slice(0, env.n), y)
        env._sx, env._sy = float(sums[0]), float(sums[1])
        return env

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the complete bins and the bin being filled."""
        if self._count:
            x = np.append(self._x[:self.n], self._sx / self._count)
            y = np.append(self._y[:self.n], self._sy / self._count)
            return _frozen_view(readonly(x)), _frozen_view(readonly(y))
        return _frozen_view(self._x)[:self.n], _frozen_view(self._y)[:self.n]


def peak_decimate(x: np.ndarray, y: np.ndarray, per_bin: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Thin a curve to the points that matter at the screen's resolution: the first point, then for every
    full bin of `per_bin` points its lowest and its highest point (in their order), then the last points
    (fewer than a bin, the last point always among them) as they are.

    Every point returned is a point of the curve, the first and the last among them, and so is every bin's
    extreme (the curve's lowest and highest point too). Bins are counted from the start, so points appended
    later change only what follows the last full bin. Returns x, y and how many of the points returned stay
    the same when points are appended (the first point and the bins' extremes; the curve cache keeps those).
    """
    n = x.size
    bins = (n - 2) // per_bin if per_bin > 1 and n > 2 else 0
    if bins == 0:
        return x, y, max(n - 1, 0)
    end = 1 + bins * per_bin
    runs = y[1:end].reshape(bins, per_bin)
    # argmin and argmax pick a NaN where there is one: a bin keeps its finite extremes (all NaN: its first)
    lo = np.where(np.isnan(runs), np.inf, runs).argmin(axis=1)
    hi = np.where(np.isnan(runs), -np.inf, runs).argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    start = 1 + np.arange(bins) * per_bin
    pick = np.column_stack([start + first, start + second])
    keep = np.ones(pick.shape, dtype=bool)
    keep[:, 1] = second != first  # one point where the lowest is the highest (a flat run)
    index = np.concatenate([[0], pick[keep], np.arange(end, n)])
    fixed = 1 + int(keep.sum())
    return x[index], y[index], fixed


def visible_path(points: np.ndarray, cells: tuple[float, float]) -> np.ndarray:
    """The indices of a 2-D path's points worth drawing at a resolution of `cells` (a cell's width and height in
    the path's units): the first point, every point that lies in another cell than the point before it, and the
    last. A run that creeps within one cell for a thousand updates is drawn as the step into the cell and the
    step out of it; every point returned is a point of the path, and the line through them is nowhere further
    than about one cell from the path's. Non-finite points are kept (a drawing leaves them out)."""
    points = np.asarray(points, dtype=float)
    n = points.shape[0]
    if n <= 2:
        return np.arange(n)
    cell = np.asarray(cells, dtype=float)
    if not np.all(np.isfinite(cell) & (cell > 0)):
        return np.arange(n)
    with np.errstate(invalid="ignore", over="ignore"):
        q = np.floor((points - points[0]) / cell)
    moved = np.ones(n, dtype=bool)
    moved[1:] = np.any(q[1:] != q[:-1], axis=1)  # NaN ≠ NaN: a non-finite point stays
    moved[-1] = True
    return np.flatnonzero(moved)
