"""`surface.npz`: a computed loss surface and the run's path on it, written atomically.

Read it with `np.load(path, allow_pickle=False)`: every array is numeric or a unicode string array, no
objects. Keys (R = resolution, T = recorded points of the path, P = the network's parameters):

| key | shape | meaning |
| --- | --- | --- |
| `a`, `b` | (R,) | the axes: the two weights' values, or the plane's coefficients |
| `loss` | (R, R) | `loss[i, j]` = J with the first axis at `a[i]` and the second at `b[j]` |
| `names` | (2,) str | axis labels: the weights' names (`kernel1[0,0]`), `PC1 (93.1 %)`, `direction 1` |
| `kind` | () str | `weights`, `random` or `pca` |
| `dtype` | () str | the arithmetic the grid used (`float32` or `float64`) |
| `steps` | (T,) int | the update each path point is the weights after (0 … N) |
| `trajectory` | (T, 2) | the path on the axes: the two weights, or the projection on the plane |
| `trajectory_loss` | (T,) | the true J at each point of the path |
| `trajectory_surface_loss` | (T,) | J where the path is drawn: the point on this surface (differs for planes) |
| `center_ab`, `center_loss` | (2,), () | the current weights on the axes, and J there (float64) |
| `gradient_ab`, `step_ab` | (2,) | ∂J/∂a, ∂J/∂b there (whole training set), and the step −η∇J on the axes |
| `learning_rate` | () | η |
| `penalized` | () bool | J includes the regularization penalty |
| `positions` | (2,) int | weights only: the two weights' positions in the flat parameter vector |
| `directions`, `center` | (2, P), (P,) | planes only: θ(a, b) = center + a·directions[0] + b·directions[1] |
| `parameter_names` | (P,) str | planes only: the name of each flat position |
| `explained` | (2,) | PCA only: each axis's share of Σ‖θᵢ − θ_now‖² |
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ffviz.io.files import atomic_write_bytes


def surface_arrays(result, layout=None) -> dict[str, np.ndarray]:
    """The arrays of a SurfaceResult as surface.npz holds them."""
    arrays = {
        "a": result.a, "b": result.b, "loss": result.loss,
        "names": np.array(result.names, dtype=str), "kind": np.array(result.kind, dtype=str),
        "dtype": np.array(result.dtype, dtype=str),
        "center_ab": np.array(result.center_ab, dtype=float), "center_loss": np.array(result.center_loss),
        "gradient_ab": result.gradient_ab, "step_ab": result.step_ab,
        "learning_rate": np.array(result.learning_rate, dtype=float), "penalized": np.array(result.penalized),
    }
    if result.path is not None:
        arrays.update(steps=np.asarray(result.path_steps, dtype=np.int64), trajectory=result.path,
                      trajectory_loss=result.path_loss, trajectory_surface_loss=result.path_surface_loss)
    if result.positions is not None:
        arrays["positions"] = np.array(result.positions, dtype=np.int64)
    else:
        arrays.update(directions=result.directions, center=result.center)
        if layout is not None:
            arrays["parameter_names"] = np.array(layout.names(), dtype=str)
    if result.explained is not None:
        arrays["explained"] = result.explained
    return arrays


def write_surface_npz(path, result, layout=None) -> Path:
    """Write surface.npz (see the module's docstring); a temp file renamed, so never half a file."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **surface_arrays(result, layout))
    return atomic_write_bytes(Path(path), buf.getvalue())
