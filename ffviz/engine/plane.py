"""The input plane seen through the network: the output and every neuron over a grid of (x1, x2).

Views draw the decision boundary and the per-neuron heatmaps from this; it is computed once per frame
(when a snapshot is taken), never per update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffviz.engine.datasets import apply_features
from ffviz.engine.snapshot import readonly


@dataclass(frozen=True)
class PlaneView:
    """Grids are row-major: [row, col] is at x2 = x2[row], x1 = x1[col]."""

    extent: tuple[float, float, float, float]  # x1 min, x1 max, x2 min, x2 max
    x1: np.ndarray
    x2: np.ndarray
    output: np.ndarray  # (res, res, outputs)
    layers: tuple  # per layer, input features first: (units, res, res)


def plane_grid(extent, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates and the raw (res², 2) points, rows of x2, columns of x1."""
    x1 = np.linspace(extent[0], extent[1], resolution)
    x2 = np.linspace(extent[2], extent[3], resolution)
    g1, g2 = np.meshgrid(x1, x2)
    return x1, x2, np.column_stack([g1.ravel(), g2.ravel()])


def evaluate_plane(trainer, resolution: int) -> PlaneView:
    """Run the grid through the trainer's current network in one vectorised forward pass."""
    ds = trainer.dataset
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
