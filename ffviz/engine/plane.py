"""The input plane seen through the network: the output and every neuron over a grid of (x1, x2).

Views draw the decision boundary and the per-neuron heatmaps from this; it is computed once per frame
(when a snapshot is taken), never per update.

With more than two input columns (a CSV such as iris) the plane is a slice: two chosen inputs span the grid
and every other input is held at one value (its training mean unless the user chose another), so the grid's
points are full input rows that go through the same one forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np

from ffviz.engine.datasets import apply_features
from ffviz.engine.snapshot import readonly
from ffviz.errors import FfvizError


@dataclass(frozen=True)
class PlaneView:
    """Grids are row-major: [row, col] is at x2 = x2[row], x1 = x1[col]."""

    extent: tuple[float, float, float, float]  # x1 min, x1 max, x2 min, x2 max
    x1: np.ndarray
    x2: np.ndarray
    output: np.ndarray  # (res, res, outputs)
    layers: tuple  # per layer, input features first: (units, res, res)
    # A slice of more than two inputs (None: the data's own 2-D plane): the input columns along x1 and x2,
    # the (column, value) of every input held, the inputs' names, and the data's points on the two axes
    axes: tuple[int, int] | None = None
    held: tuple = ()
    chosen: tuple = ()  # the held columns whose value the user chose (the others are at their means)
    names: tuple = ()
    train_xy: np.ndarray | None = None
    test_xy: np.ndarray | None = None


@dataclass(frozen=True)
class PlaneSlice:
    """Which slice of a many-input space to draw: the two input columns along the axes and the value each
    other input is held at (in the data's units; None: its training mean)."""

    axes: tuple[int, int] = (0, 1)
    held: tuple = ()  # ((column, value), …) chosen by the user; the other held inputs are at their means


def has_slices(dataset) -> bool:
    """Whether the data has more than two raw input columns (then its plane is a slice of them)."""
    return dataset.extent is None and dataset.n_inputs > 2


def has_plane(dataset) -> bool:
    """Whether a plane (the data's own 2-D one, or a slice) can be drawn for this data."""
    return dataset.extent is not None or has_slices(dataset)


def raw_inputs(dataset) -> tuple[np.ndarray, np.ndarray]:
    """The training and test inputs in the data's own units (a CSV's are z-scored for the network)."""
    st = dataset.standardization
    if st is None:
        return dataset.x_train, dataset.x_test
    mean, std = np.array(st.mean), np.array(st.std)
    return dataset.x_train * std + mean, dataset.x_test * std + mean


def input_means(dataset) -> np.ndarray:
    """Each raw input's mean over the training set: where inputs not on the axes are held by default."""
    if dataset.standardization is not None:
        return np.array(dataset.standardization.mean)
    x = dataset.x_train
    return x.mean(axis=0) if x.shape[0] else np.zeros(x.shape[1])


def checked_slice(dataset, sl: PlaneSlice) -> PlaneSlice:
    """`sl` if it fits the data: two different input columns, finite held values of other columns;
    else a one-line FfvizError."""
    n = dataset.n_inputs
    try:
        a, b = (int(v) for v in sl.axes)
    except (TypeError, ValueError):
        raise FfvizError("a slice needs two input columns for its axes") from None
    if not (0 <= a < n and 0 <= b < n) or a == b:
        raise FfvizError(f"the axes must be two different inputs of the {n}")
    held = []
    for col, value in sl.held:
        col, value = int(col), float(value)
        if not 0 <= col < n:
            raise FfvizError(f"the data has no input {col + 1}")
        if not math.isfinite(value):
            raise FfvizError(f"a held input must be a finite number, not {value!r}")
        if col not in (a, b):
            held.append((col, value))
    return PlaneSlice((a, b), tuple(sorted(dict(held).items())))


def slice_extent(dataset, axes) -> tuple[float, float, float, float]:
    """The two axes' ranges: the data's points on them, padded by 10 % (0.5 for a constant column)."""
    train, test = raw_inputs(dataset)
    pts = np.concatenate([train, test])[:, list(axes)]
    if pts.shape[0] == 0:
        return -1.0, 1.0, -1.0, 1.0
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    lo, hi = lo - pad, hi + pad
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def plane_grid(extent, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates and the raw (res², 2) points, rows of x2, columns of x1."""
    x1 = np.linspace(extent[0], extent[1], resolution)
    x2 = np.linspace(extent[2], extent[3], resolution)
    g1, g2 = np.meshgrid(x1, x2)
    return x1, x2, np.column_stack([g1.ravel(), g2.ravel()])


def evaluate_plane(trainer, resolution: int, plane_slice: PlaneSlice | None = None) -> PlaneView:
    """Run the grid through the trainer's current network in one vectorised forward pass. Data with more than
    two inputs: the slice `plane_slice` (default: the trainer's `plane_slice`, else the first two inputs, the
    others at their means)."""
    ds = trainer.dataset
    if has_slices(ds):
        return _evaluate_slice(trainer, resolution, plane_slice or getattr(trainer, "plane_slice", None)
                               or PlaneSlice())
    x1, x2, raw = plane_grid(ds.extent, resolution)
    features = trainer.config.data.features
    with np.errstate(all="ignore"):
        x = apply_features(raw, features)
        if ds.standardization is not None:  # the grid is in the user's units, the network sees z-scores
            x = ds.standardization.apply(x)
        acts = trainer.predict(x)
    res = resolution
    layers = tuple(readonly(np.ascontiguousarray(a.T.reshape(a.shape[1], res, res))) for a in acts)
    output = readonly(acts[-1].reshape(res, res, -1))
    return PlaneView(tuple(float(v) for v in ds.extent), readonly(x1), readonly(x2), output, layers)


def slice_rows(dataset, sl: PlaneSlice, raw_grid: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Full input rows (data units) for (n, 2) points on the slice's axes, every other input held; and the
    (column, value) of each held input."""
    sl = checked_slice(dataset, sl)
    values = input_means(dataset).astype(float)
    chosen = dict(sl.held)
    for col in range(dataset.n_inputs):
        if col in chosen:
            values[col] = chosen[col]
    rows = np.repeat(values[None, :], raw_grid.shape[0], axis=0)
    rows[:, sl.axes[0]], rows[:, sl.axes[1]] = raw_grid[:, 0], raw_grid[:, 1]
    held = tuple((c, float(values[c])) for c in range(dataset.n_inputs) if c not in sl.axes)
    return rows, held


def _evaluate_slice(trainer, resolution: int, sl: PlaneSlice) -> PlaneView:
    ds = trainer.dataset
    try:
        sl = checked_slice(ds, sl)
    except FfvizError:  # a slice of other data (the run's data changed since it was chosen): the default
        sl = PlaneSlice()
    extent = slice_extent(ds, sl.axes)
    x1, x2, grid = plane_grid(extent, resolution)
    rows, held = slice_rows(ds, sl, grid)
    with np.errstate(all="ignore"):
        x = ds.standardization.apply(rows) if ds.standardization is not None else rows
        acts = trainer.predict(x)
    res = resolution
    layers = tuple(readonly(np.ascontiguousarray(a.T.reshape(a.shape[1], res, res))) for a in acts)
    output = readonly(acts[-1].reshape(res, res, -1))
    train, test = raw_inputs(ds)
    cols = list(sl.axes)
    return PlaneView(extent, readonly(x1), readonly(x2), output, layers, axes=sl.axes, held=held,
                     chosen=tuple(c for c, _ in sl.held), names=tuple(ds.feature_names), train_xy=readonly(np.ascontiguousarray(train[:, cols])),
                     test_xy=readonly(np.ascontiguousarray(test[:, cols])))
