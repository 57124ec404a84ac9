"""Loss surfaces: J over a grid of two weights or of a plane through weight space, J along one weight, and
what a view draws on them (the path, the −η∇J step, the true loss along the path).

Every surface is a plane through weight space, so one formula places every grid point:

    θ(a, b) = centre + (a − a₀)·d₁ + (b − b₀)·d₂          loss[i, j] = J(θ(a[i], b[j]))

- two chosen weights p, q: d₁, d₂ are the unit vectors of p and q, (a₀, b₀) = (θ_p, θ_q): the axes are the
  weights' values, every other parameter stays at the centre's value;
- a random plane (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"): d₁, d₂ random and
  filter-normalised (each neuron's slice scaled to the norm of that neuron's incoming weights, biases 0),
  (a₀, b₀) = (0, 0);
- the PCA plane of the run's path: d₁, d₂ the first two principal directions of θᵢ − θ_now, orthonormal.

J is the mean loss over the training set, plus the regularization penalty when the run has one (the function
the updates descend, so the −η∇J arrow is the gradient of what is drawn). Everything here is a pure function of
immutable inputs (a Landscape, a request, a trajectory): a worker thread can run it, stop between chunks
(`surface_progress`) and drop the result.

How a chunk of grid points is evaluated (all give the same numbers; tests/engine/test_surface.py checks):

- plain: each point's flat parameters through Network.losses_at, float64. The readable reference.
- two weights or one (`_SparseGrid`): the forward pass at the centre is done once; at the first layer the grid
  touches only the touched units' z change (z_j = z_j,centre + Δθ_p·a_i + Δθ_q·a_k), the next layer gets the
  change as a rank-one update per changed unit, and only the layers after that run in full. Two last-layer
  weights leave every hidden activation as it is.
- planes (`_forward_columns`): every layer in full, one batched product per layer for all points of the chunk,
  samples in columns (units × samples per point) so every elementwise pass runs along the long axis; the first
  layer's z, linear in θ, from the plane's three basis vectors' z (`_PlaneGrid`).

The grid may be float32 (the picture; the request says which, and so does the result); the values reported at
the current point (J, the gradient, the step) are always float64.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Callable, Iterator

import numpy as np

from ffviz.engine.network import Network
from ffviz.engine.snapshot import readonly
from ffviz.errors import FfvizError

KINDS = ("weights", "random", "pca")
METHODS = ("fast", "plain")
GRID_DTYPES = ("float32", "float64")
MIN_RESOLUTION, MAX_RESOLUTION = 2, 401
PREVIEW_RESOLUTION = 25
# Grid points per vectorised pass: as many as keep the widest batched array (points × units × samples) within
# this many bytes. Small enough for the caches, and below the size where glibc's malloc hands each new
# temporary fresh pages from the kernel (docs/benchmarks.md, "Loss surfaces").
CHUNK_BYTES = 1024 * 1024
LOSS_BYTES = 128 * 1024
MAX_CHUNK_POINTS = 1024
YIELD_SECONDS = 0.02  # surface_progress hands back control at least this often
PATH_MARGIN = 1.2  # default ranges cover the path (and the next step) with 20 % to spare


# ---------------------------------------------------------------- what a surface is a function of

@dataclass(frozen=True, eq=False)
class Landscape:
    """J as a function of the flat parameters: the network's functions, the training set, the penalty, and
    the centre the surfaces are drawn around (the run's current weights)."""

    net: Network
    x: np.ndarray  # the training inputs (n, inputs)
    y: np.ndarray  # the training targets (n, outputs)
    center: np.ndarray  # (P,)
    regularization: object = None  # a RegularizationSpec, or None
    learning_rate: float = 0.0  # η of the −η∇J step drawn at the centre
    step: int = 0  # the update the centre is the weights after (results carry it: views drop stale ones)

    def __post_init__(self):
        center = readonly(np.array(self.center, dtype=float))
        if center.shape != (self.net.layout.size,):
            raise FfvizError(f"the centre has {center.size} parameters; this network has {self.net.layout.size}")
        if not np.all(np.isfinite(center)):
            raise FfvizError("the weights are not finite numbers (the run diverged): recover first")
        if self.x.shape[0] == 0:
            raise FfvizError("the training set is empty: there is no loss to draw")
        object.__setattr__(self, "center", center)

    @classmethod
    def of(cls, state) -> "Landscape":
        """The landscape of a TrainerState: its network, training set, penalty, weights and learning rate."""
        ds = state.dataset
        return cls(Network.of(state.config), ds.x_train, ds.y_train, state.params, state.config.regularization,
                   float(state.learning_rate), int(state.step))

    @classmethod
    def of_trainer(cls, trainer) -> "Landscape":
        ds = trainer.dataset
        return cls(trainer.net, ds.x_train, ds.y_train, trainer.params, trainer.config.regularization,
                   float(trainer.learning_rate), int(trainer.step_count))

    @property
    def layout(self):
        return self.net.layout

    @property
    def penalized(self) -> bool:
        """Whether J includes a penalty (the perceptron rule ignores it, as the trainer does)."""
        reg = self.regularization
        return reg is not None and reg.kind != "none" and bool(reg.rate) and not self.net.perceptron

    @cached_property
    def _kernel_mask(self) -> np.ndarray:
        mask = np.zeros(self.layout.size, dtype=bool)
        for s in self.layout.kernel_slices:
            mask[s] = True
        return mask

    def penalties(self, params: np.ndarray) -> np.ndarray:
        """λ·Σ|w| or λ·½Σw² over the kernel entries of each of G parameter vectors (G, P); zeros without."""
        params = np.atleast_2d(params)
        if not self.penalized:
            return np.zeros(params.shape[0])
        k = params[:, self._kernel_mask]
        rate = float(self.regularization.rate)
        if self.regularization.kind == "l2":
            return rate * 0.5 * np.einsum("gk,gk->g", k, k)
        return rate * np.abs(k).sum(axis=1)

    def losses(self, params: np.ndarray) -> np.ndarray:
        """J at each of G parameter vectors (G, P), float64: the plain path, Network.losses_at."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        return self.net.losses_at(self.x, self.y, params) + self.penalties(params)

    def loss(self, params: np.ndarray) -> float:
        return float(self.losses(params[None])[0])

    @cached_property
    def center_loss(self) -> float:
        """J at the centre, float64."""
        return self.loss(self.center)

    @cached_property
    def gradient(self) -> np.ndarray:
        """∂J/∂θ at the centre on the whole training set (not a mini-batch's), penalty included."""
        reg = self.regularization if self.penalized else None
        return readonly(self.net.gradient(self.x, self.y, self.center, reg)[1])

    def path_losses(self, params: np.ndarray, chunk: int = 256) -> np.ndarray:
        """J at each of T parameter vectors (T, P), float64: the true loss along a path."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        out = np.empty(params.shape[0])
        buffers = _Buffers()
        for start in range(0, params.shape[0], chunk):
            block = params[start:start + chunk]
            out[start:start + chunk] = _forward_columns(self.net, self.inputs_with_ones, self.y, block, buffers) \
                + self.penalties(block)
        return out

    @cached_property
    def inputs_with_ones(self) -> np.ndarray:
        """xᵀ with a row of ones under it (inputs + 1, n): the first layer's bias rides in its product."""
        return readonly(np.vstack([self.x.T, np.ones((1, self.x.shape[0]))]))


# ---------------------------------------------------------------- requests

def _check_resolution(resolution) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise FfvizError(f"the resolution must be a whole number from {MIN_RESOLUTION} to {MAX_RESOLUTION}, "
                         f"not {resolution!r}")
    return int(resolution)


def _check_span(span, what: str = "the span"):
    if span is None:
        return None
    try:
        span = float(span)
    except (TypeError, ValueError):
        raise FfvizError(f"{what} must be a number, not {span!r}") from None
    if not math.isfinite(span) or span <= 0 or span > 1e6:
        raise FfvizError(f"{what} must be a number between 0 and 1e6 (the half-width of the grid), not {span!r}")
    return span


def _check_range(value, what: str):
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise FfvizError(f"{what} must be two numbers (low, high), not {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or max(abs(lo), abs(hi)) > 1e6:
        raise FfvizError(f"{what} must be two finite numbers, low < high, not {value!r}")
    return (lo, hi)


@dataclass(frozen=True)
class SurfaceRequest:
    """What to compute: a grid of J over two weights or over a plane. Frozen, so views send it to the worker
    and match the result to it. Ranges default to the rules in `_axis_ranges`."""

    kind: str = "weights"  # "weights", "random" or "pca"
    weights: tuple[int, int] | None = None  # flat positions (ParamLayout.position) for "weights"
    resolution: int = 51  # grid points per axis
    span: float | None = None  # half-width of both axes around the centre
    a_range: tuple[float, float] | None = None  # explicit axis ranges (weight values, or plane coefficients)
    b_range: tuple[float, float] | None = None
    seed: int = 0  # the random plane's directions
    dtype: str = "float32"  # the grid's arithmetic: float32 (the picture) or float64
    method: str = "fast"  # "fast" or "plain" (the reference path)
    chunk: int | None = None  # grid points per vectorised pass; None: CHUNK_BYTES' worth

    def __post_init__(self):
        if self.kind not in KINDS:
            raise FfvizError(f"a surface is one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "weights":
            if self.weights is None or len(self.weights) != 2:
                raise FfvizError("a surface over weights needs two weights")
            p, q = (int(w) for w in self.weights)
            if p == q:
                raise FfvizError("a surface over two weights needs two different weights")
            object.__setattr__(self, "weights", (p, q))
        object.__setattr__(self, "resolution", _check_resolution(self.resolution))
        object.__setattr__(self, "span", _check_span(self.span))
        object.__setattr__(self, "a_range", _check_range(self.a_range, "the first axis's range"))
        object.__setattr__(self, "b_range", _check_range(self.b_range, "the second axis's range"))
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise FfvizError(f"the seed must be a whole number ≥ 0, not {self.seed!r}")
        if self.dtype not in GRID_DTYPES:
            raise FfvizError(f"the grid's dtype is one of {', '.join(GRID_DTYPES)}, not {self.dtype!r}")
        if self.method not in METHODS:
            raise FfvizError(f"the method is one of {', '.join(METHODS)}, not {self.method!r}")
        if self.chunk is not None and (isinstance(self.chunk, bool) or not isinstance(self.chunk, (int, np.integer))
                                       or self.chunk < 1):
            raise FfvizError(f"the chunk must be a whole number ≥ 1, not {self.chunk!r}")

    @classmethod
    def two_weights(cls, p: int, q: int, **kw) -> "SurfaceRequest":
        return cls("weights", (p, q), **kw)

    @classmethod
    def random_plane(cls, seed: int = 0, **kw) -> "SurfaceRequest":
        return cls("random", seed=seed, **kw)

    @classmethod
    def pca_plane(cls, **kw) -> "SurfaceRequest":
        return cls("pca", **kw)

    def preview(self, resolution: int = PREVIEW_RESOLUTION) -> "SurfaceRequest":
        """The same surface on a coarse grid (the same axes), to show first."""
        return replace(self, resolution=min(resolution, self.resolution))


# ---------------------------------------------------------------- results

@dataclass(frozen=True, eq=False)
class SurfaceResult:
    """A computed surface: `loss[i, j]` = J at (a[i], b[j]); θ(a, b) = center + (a − a₀)·d₁ + (b − b₀)·d₂
    with (a₀, b₀) = center_ab. Arrays are read-only."""

    request: SurfaceRequest
    names: tuple[str, str]  # axis labels: weight names, "PC1 (93.1 %)", "direction 1"
    a: np.ndarray  # (R,) the first axis: weight values or plane coefficients
    b: np.ndarray  # (R,)
    loss: np.ndarray  # (R, R)
    dtype: str  # the arithmetic the grid used
    center: np.ndarray  # (P,) the weights the surface is drawn around
    directions: np.ndarray  # (2, P) d₁, d₂
    center_ab: tuple[float, float]  # the centre on the axes: (θ_p, θ_q), or (0, 0) for planes
    center_loss: float  # J at the centre, float64
    gradient: np.ndarray  # (P,) ∂J/∂θ at the centre, whole training set, float64
    gradient_ab: np.ndarray  # (2,) ∂J/∂a, ∂J/∂b at the centre (d₁·∇J, d₂·∇J)
    learning_rate: float
    step_ab: np.ndarray  # (2,) the step −η∇J on the axes (projected on the plane for planes)
    step: int  # the update the centre is the weights after
    penalized: bool  # J includes the regularization penalty
    positions: tuple[int, int] | None = None  # the two weights' flat positions ("weights")
    explained: np.ndarray | None = None  # (2,) PCA: share of Σ‖θᵢ − θ_now‖² along each axis
    path_steps: np.ndarray | None = None  # (T,) the trajectory given, if any …
    path: np.ndarray | None = None  # (T, 2) … on the axes (least-squares projection for planes)
    path_loss: np.ndarray | None = None  # (T,) the true J at each point of the path
    path_surface_loss: np.ndarray | None = None  # (T,) J where the path is drawn: θ(path[t]) on this surface
    path_off_plane: np.ndarray | None = None  # (T,) ‖θᵢ − θ(path[t])‖: how far the path is from the plane

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def next_ab(self) -> tuple[float, float]:
        """Where the −η∇J step from the centre lands on the axes."""
        return (self.center_ab[0] + float(self.step_ab[0]), self.center_ab[1] + float(self.step_ab[1]))

    def params_at(self, a: float, b: float) -> np.ndarray:
        """The flat parameters at (a, b) on this surface (what clicking it sets)."""
        return self.center + (a - self.center_ab[0]) * self.directions[0] \
            + (b - self.center_ab[1]) * self.directions[1]

    def on_axes(self, params: np.ndarray) -> np.ndarray:
        """(T, 2) where parameter vectors (T, P) are drawn on this surface: the two weights' values, or the
        least-squares projection on the plane (the same rule as `path`)."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        if self.positions is not None:
            return params[:, list(self.positions)]
        return project(params, self.center, self.directions) + np.asarray(self.center_ab)

    def moved_off(self, params: np.ndarray) -> float:
        """How far `params` are from this surface, relative to the centre: ‖θ − θ(a, b)‖ / max(‖centre‖, 1)
        with (a, b) = on_axes(θ). The surface shows J with the rest of the weights where they were; this is
        how much of that "rest" has moved since (0 when only the two weights moved, or the run is frozen)."""
        params = np.asarray(params, dtype=float)
        ab = self.on_axes(params)[0]
        off = params - self.params_at(float(ab[0]), float(ab[1]))
        return float(np.linalg.norm(off) / max(float(np.linalg.norm(self.center)), 1.0))

    def contains(self, a: float, b: float) -> bool:
        """Whether (a, b) lies inside the grid's ranges."""
        return bool(self.a[0] <= a <= self.a[-1] and self.b[0] <= b <= self.b[-1])

    def assignments(self, a: float, b: float, layout) -> dict:
        """{(layer, kind, index): value} for Trainer.set_parameters: the two weights at (a, b) ("weights")."""
        if self.positions is None:
            raise FfvizError("only a surface over two weights sets two weights; a plane moves them all")
        return {layout.locate(self.positions[0]): float(a), layout.locate(self.positions[1]): float(b)}


@dataclass(frozen=True, eq=False)
class SurfacePoint:
    """The run now, seen on a computed surface: where it is drawn, the true J there and the next step −η∇J
    (from the current weights, on the whole training set, float64), and J of the surface under it."""

    step: int  # the update the weights are after
    ab: tuple[float, float]  # where the current weights are drawn
    loss: float  # the true J at the current weights (penalty included when the run has one)
    surface_loss: float  # J at θ(ab) on the surface: the rest of the weights where the surface has them
    gradient: np.ndarray  # (P,) ∂J/∂θ at the current weights
    gradient_ab: np.ndarray  # (2,) the gradient along the surface's two axes
    learning_rate: float
    step_ab: np.ndarray  # (2,) −η∇J on the axes (projected on the plane for planes)
    off: float  # SurfaceResult.moved_off of the current weights
    # Where the run's own next update takes it on the axes (its rule and moments, its mini-batch, its frozen
    # weights), and that rule's name; None: not known. It is −η∇J's landing point only for plain full-batch
    # gradient descent: with momentum, Adam, a mini-batch or a frozen weight it is elsewhere.
    update_ab: tuple[float, float] | None = None
    update_rule: str = ""

    @property
    def next_ab(self) -> tuple[float, float]:
        return (self.ab[0] + float(self.step_ab[0]), self.ab[1] + float(self.step_ab[1]))


def point_on(result: "SurfaceResult", landscape: Landscape, next_params: np.ndarray | None = None,
             update_rule: str = "") -> SurfacePoint:
    """The landscape's centre (the run's current weights) on `result`'s surface; `next_params`, the weights
    after the run's next update, drawn on it as `update_ab`."""
    center = landscape.center
    if center.shape != result.center.shape:
        raise FfvizError("the network changed since this surface was computed")
    ab = result.on_axes(center)[0]
    gradient = landscape.gradient
    dirs = result.directions
    gradient_ab = dirs @ gradient
    if result.positions is not None:
        step_ab = -landscape.learning_rate * gradient_ab
    else:
        step_ab = project(center - landscape.learning_rate * gradient, center, dirs)[0]
    on_surface = result.params_at(float(ab[0]), float(ab[1]))
    update_ab = None
    if next_params is not None and np.all(np.isfinite(next_params)):
        u = result.on_axes(np.asarray(next_params, dtype=float))[0]
        update_ab = (float(u[0]), float(u[1]))
    return SurfacePoint(landscape.step, (float(ab[0]), float(ab[1])), landscape.center_loss,
                        landscape.loss(on_surface), gradient, readonly(gradient_ab), landscape.learning_rate,
                        readonly(np.asarray(step_ab, dtype=float)), result.moved_off(center), update_ab,
                        update_rule)


def next_update(state) -> np.ndarray | None:
    """The weights after the run's next update from `state`, exactly as the run will make it (its rule and
    moments, its next mini-batch, its frozen weights); None when that update diverges."""
    from ffviz.engine.trainer import Trainer  # trainer does not import this module at load: no cycle
    trainer = Trainer.resume(state, run_id=0)
    return trainer.params if trainer.step(1) == 1 else None


@dataclass(frozen=True, eq=False)
class SurfaceProgress:
    """A surface partly computed: the first `done` grid points in row-major order, NaN where not yet.
    `result` is set on the last progress of a request (a preview's, then the full one's)."""

    request: SurfaceRequest
    done: int
    total: int
    loss: np.ndarray  # (R, R), read-only copy
    result: SurfaceResult | None = None
    preview: bool = False

    @property
    def fraction(self) -> float:
        return self.done / self.total


# ---------------------------------------------------------------- directions

def _neuron_slices(layout):
    """For each neuron: the flat positions of its incoming weights (column j of its layer's kernel)."""
    for s, fan_in, units in zip(layout.kernel_slices, layout.sizes, layout.sizes[1:]):
        base = np.arange(s.start, s.stop).reshape(fan_in, units)
        for j in range(units):
            yield base[:, j]


def filter_normalise(direction: np.ndarray, center: np.ndarray, layout) -> np.ndarray:
    """Scale each neuron's slice of `direction` to the norm of that neuron's incoming weights at `center`;
    biases 0 (Li et al. 2018). A neuron with no weight (all 0) gets a zero slice."""
    out = np.zeros(layout.size)
    for idx in _neuron_slices(layout):
        d = direction[idx]
        norm = np.linalg.norm(d)
        if norm > 0:
            out[idx] = d * (np.linalg.norm(center[idx]) / norm)
    return out


def random_directions(layout, center: np.ndarray, seed: int = 0) -> np.ndarray:
    """Two filter-normalised Gaussian directions (2, P), the same for the same seed."""
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((2, layout.size))
    dirs = np.stack([filter_normalise(raw[0], center, layout), filter_normalise(raw[1], center, layout)])
    if not np.any(dirs[0]) or not np.any(dirs[1]):
        raise FfvizError("every weight is 0, so filter-normalised directions are 0: train a few updates first")
    return dirs


def pca_directions(params: np.ndarray, center: np.ndarray, gradient: np.ndarray | None = None,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(directions (2, P) orthonormal, explained (2,)): the first two principal directions of θᵢ − center.

    Second moments about the centre, not about the path's mean: the plane passes through the centre, and the
    plane through it that best fits the path is the one of the uncentred moments (Li et al. used sklearn's
    centred PCA). `explained` is each axis's share of Σ‖θᵢ − center‖² (their sum ≤ 1). Signs: the path starts
    on the negative side of each axis. A straight path (one direction only) gets as second axis the gradient at
    the centre made orthogonal to the first (else a seeded random one), with share 0."""
    params = np.atleast_2d(np.asarray(params, dtype=float))
    t, size = params.shape
    if size < 2:
        raise FfvizError("this network has one parameter; a plane needs two")
    if t < 3:
        raise FfvizError(f"a PCA plane needs a path of at least 3 recorded points; this one has {t}: "
                         "train a few updates first")
    m = params - center
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    total = float(np.sum(s * s))
    if not total > 0:
        raise FfvizError("the weights have not moved from where they are now: there is no path for a PCA plane")
    explained = np.zeros(2)
    explained[:min(2, s.size)] = (s[:2] ** 2) / total
    d1 = vt[0]
    if s.size > 1 and s[1] > 1e-9 * s[0]:
        d2 = vt[1]
    else:  # a straight path: any second axis shows it; the gradient's is the one a step would take
        explained[1] = 0.0
        rng = np.random.default_rng(seed)
        candidates = ([] if gradient is None else [np.asarray(gradient, dtype=float)]) \
            + [rng.standard_normal(size) for _ in range(3)]
        for c in candidates:
            d2 = c - (c @ d1) * d1
            if np.linalg.norm(d2) > 1e-9 * max(1.0, np.linalg.norm(c)):
                break
        d2 = d2 / np.linalg.norm(d2)
    dirs = np.stack([d1, d2])
    first = m[0] @ dirs.T
    for k in range(2):
        sign = np.sign(first[k]) if abs(first[k]) > 1e-12 else -np.sign(dirs[k][np.argmax(np.abs(dirs[k]))])
        if sign > 0:
            dirs[k] = -dirs[k]
    return dirs, explained


def project(params: np.ndarray, center: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """(T, 2) coefficients of the least-squares (orthogonal) projection of θᵢ − center onto the plane."""
    gram = directions @ directions.T
    rhs = (np.atleast_2d(params) - center) @ directions.T
    return np.linalg.solve(gram, rhs.T).T


# ---------------------------------------------------------------- evaluating a chunk of grid points

def _output_losses(net: Network, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """J per grid point from the output layer's z (G, units, n)."""
    g, units, n = z.shape
    # (G, n, outputs): the losses and softmax work along the last axis; one output is a reshape, which keeps
    # the array contiguous (a transposed view of it takes NumPy's slow strided loops)
    zt = z.reshape(g, n, 1) if units == 1 else z.transpose(0, 2, 1)
    if z.dtype != np.float64 and net.loss.output_activations is not None and not (net.fused and not net.perceptron):
        # the clipped logs of ŷ (1 − 1e-12 is 1 in float32) would give inf where float64 gives 27.6
        zt, y = zt.astype(np.float64), y.astype(np.float64)
    yhat = net.activations[-1].fn(zt)
    return np.add.reduce(net.per_sample_loss(y, zt, yhat), axis=-1) / n  # .mean() costs more here


class _Buffers:
    """Arrays kept from chunk to chunk and written with `out=`. Freed and made again per chunk, arrays of a few
    hundred kB make glibc's malloc give memory back to the kernel and fault fresh pages in each time, which
    measured up to 4× slower (docs/benchmarks.md, "Loss surfaces"). One per computation: not shared."""

    def __init__(self):
        self._arrays: dict = {}

    def get(self, key, shape: tuple, dtype) -> np.ndarray:
        buf = self._arrays.get(key)
        if buf is None or buf.dtype != dtype or buf.shape[1:] != shape[1:] or buf.shape[0] < shape[0]:
            buf = self._arrays[key] = np.empty(shape, dtype)
        return buf[:shape[0]]


@dataclass(frozen=True, eq=False)
class _ColumnsLayout:
    """Where each layer's [kernelᵀ | bias] (units × fan_in [+ 1]) sits in the flat vector, as index arrays: one
    gather per layer gives it for every point of a chunk, contiguous. In the first layer the bias column meets
    the row of ones under xᵀ (made once), which saves a pass over z; the other layers add their bias (a row
    of ones under a hidden layer's activations, written there in place, measured no faster)."""

    kernels_t: tuple  # per layer: (units, fan_in + has bias) flat positions, the bias last
    has_bias: tuple  # per layer

    @classmethod
    def of(cls, layout) -> "_ColumnsLayout":
        kernels, has_bias = [], []
        for ks, bs, fan_in, units in zip(layout.kernel_slices, layout.bias_slices, layout.sizes, layout.sizes[1:]):
            idx = np.arange(ks.start, ks.stop).reshape(fan_in, units).T
            if bs is not None:
                idx = np.column_stack([idx, np.arange(bs.start, bs.stop)])
            kernels.append(np.ascontiguousarray(idx))
            has_bias.append(bs is not None)
        return cls(tuple(kernels), tuple(has_bias))


def _forward_columns(net: Network, inputs: np.ndarray, y: np.ndarray, params: np.ndarray,
                     buffers: _Buffers | None = None, first_z: np.ndarray | None = None) -> np.ndarray:
    """J (without penalty) at G parameter vectors (G, P), samples in columns: per point z_l is units × samples,
    one batched product per layer. `inputs` is Landscape.inputs_with_ones (xᵀ over a row of ones). The
    arithmetic is `params`'s dtype. `first_z` (G, units, n), when given, is the first layer's z already made
    (a plane's, from its basis): the first layer is skipped."""
    g, n = params.shape[0], inputs.shape[1]
    dt = params.dtype
    cols = _columns_layout(net.layout)
    buffers = _Buffers() if buffers is None else buffers
    y = y.astype(dt, copy=False)
    last = net.n_layers - 1
    a = inputs.astype(dt, copy=False)  # (inputs + 1, n): xᵀ over the row of ones
    with np.errstate(all="ignore"):  # a far corner of the grid may overflow: its J is inf, not a warning
        for i, (kt_idx, has_bias) in enumerate(zip(cols.kernels_t, cols.has_bias)):
            units, fan_in = kt_idx.shape[0], kt_idx.shape[1] - has_bias
            if i == 0 and first_z is not None:
                z = first_z
            else:
                z = buffers.get(i, (g, units, n), dt)
                if i == 0 and has_bias:  # [kernelᵀ | bias] · [xᵀ; 1]
                    np.matmul(params[:, kt_idx], a, out=z)
                else:
                    np.matmul(params[:, kt_idx[:, :fan_in]], a[..., :fan_in, :], out=z)
                    if has_bias:
                        z += params[:, kt_idx[:, fan_in]][:, :, None]
            if i == last:
                return _output_losses(net, y, z)
            a = _activate(net.activations[i], z)
    raise AssertionError("unreachable: a network has at least one layer")


def _activate(act, z: np.ndarray) -> np.ndarray:
    """g(z), written over z when g is a NumPy ufunc (tanh): z is a buffer no one reads again, and a fresh
    array of a chunk's size per layer costs a pass of page faults."""
    if isinstance(act.fn, np.ufunc):
        return act.fn(z, out=z)
    return act.fn(z)


_COLUMNS_LAYOUTS: dict = {}


def _columns_layout(layout) -> _ColumnsLayout:
    # a ParamLayout is frozen and hashable: its index arrays are made once (a dict assignment is atomic, so
    # two threads at worst make the same arrays twice)
    found = _COLUMNS_LAYOUTS.get(layout)
    if found is None:
        found = _COLUMNS_LAYOUTS[layout] = _ColumnsLayout.of(layout)
    return found


def _chunk_points(request, n_samples: int, widest: int, outputs: int, itemsize: int) -> int:
    """Grid points per vectorised pass: the request's; else CHUNK_BYTES in the widest batched array (kept
    between chunks) and LOSS_BYTES in the loss's temporaries (made by engine/losses.py for every chunk)."""
    if request.chunk is not None:
        return request.chunk
    per_point = n_samples * itemsize
    points = min(CHUNK_BYTES // max(1, per_point * widest), LOSS_BYTES // max(1, per_point * outputs))
    return max(1, min(MAX_CHUNK_POINTS, points))


class _PlainGrid:
    """The reference: every point's flat parameters through Network.losses_at (float64)."""

    dtype = "float64"

    def __init__(self, landscape: Landscape, directions: np.ndarray):
        self.landscape, self.directions = landscape, directions
        self.widest = max(landscape.layout.sizes[1:])

    def __call__(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        params = self.landscape.center + alpha[:, None] * self.directions[0] + beta[:, None] * self.directions[1]
        return self.landscape.losses(params)


class _PlaneGrid:
    """Planes: every parameter moves, so every layer runs in full (samples in columns) — but the first layer's
    z is linear in θ, so on the plane it is [1, α, β] · [z₁(centre); z₁(d₁); z₁(d₂)]: three forward products
    made once, then one matrix product per chunk instead of a batched product per point."""

    def __init__(self, landscape: Landscape, directions: np.ndarray, dtype: str):
        self.landscape, self.directions, self.dtype = landscape, directions, dtype
        self.inputs = landscape.inputs_with_ones.astype(dtype)
        self.widest = max(landscape.layout.sizes[1:])
        self.buffers = _Buffers()
        self.basis = np.vstack([landscape.center, directions])  # θ = [1, α, β] · basis
        cols = _columns_layout(landscape.layout)
        kt, has_bias = cols.kernels_t[0], cols.has_bias[0]
        fan_in = kt.shape[1] - has_bias
        # z₁ of each basis vector in float64 (a direction's bias part is z₁'s too: PCA directions have one)
        rows = landscape.inputs_with_ones if has_bias else landscape.inputs_with_ones[:fan_in]
        self.units, self.n = kt.shape[0], rows.shape[1]
        self.first_z = (self.basis[:, kt] @ rows).reshape(3, -1).astype(dtype)  # (3, units · n)

    def __call__(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        ls = self.landscape
        coefficients = np.column_stack([np.ones_like(alpha), alpha, beta])
        params = coefficients @ self.basis
        g = params.shape[0]
        first = self.buffers.get("first z", (g, self.units * self.n), self.dtype)
        np.matmul(coefficients.astype(self.dtype), self.first_z, out=first)
        losses = _forward_columns(ls.net, self.inputs, ls.y, params.astype(self.dtype), self.buffers,
                                  first.reshape(g, self.units, self.n))
        return losses + ls.penalties(params) if ls.penalized else losses


class _SparseGrid:
    """One or two parameters move; what they do not change is computed once, at the centre.

    Layer L (the first touched) changes only in the touched units' columns of z; layer L + 1 gets
    z = z_centre + Σ_changed units c (Δa_c ⊗ kernel row c), a rank-one update per changed unit; the layers
    after run in full with the centre's kernels, plus Δθ·a_i in column j for a touched entry there."""

    def __init__(self, landscape: Landscape, positions, dtype: str):
        self.landscape, self.dtype = landscape, dtype
        net, lay = landscape.net, landscape.layout
        dt = np.dtype(dtype)
        kernels, biases = lay.views(landscape.center)
        self.touched: dict[int, list] = {}
        for slot, pos in enumerate(positions):
            layer, kind, index = lay.locate(int(pos))
            i, j = (index if kind == "kernel" else (None, index[0]))
            self.touched.setdefault(layer - 1, []).append((kind, i, j, slot))
        self.first = min(self.touched)
        self.widest = max(lay.sizes[self.first + 2:] or (lay.sizes[-1],))  # the layers batched in full
        # the centre's forward pass, samples in columns; inputs[l] is what layer l reads (inputs[0] = xᵀ)
        inputs, zs = [np.ascontiguousarray(landscape.x.T)], []
        with np.errstate(all="ignore"):
            for i, (k, b) in enumerate(zip(kernels, biases)):
                z = k.T @ inputs[-1]
                if b is not None:
                    z += b[:, None]
                zs.append(z)
                if i < net.n_layers - 1:
                    inputs.append(net.activations[i].fn(z))
        self.inputs = [v.astype(dt) for v in inputs]
        self.zs = [v.astype(dt) for v in zs]
        self.kernels_t = [np.ascontiguousarray(k.T, dtype=dt) for k in kernels]  # (units, fan_in)
        self.biases = [None if b is None else b.astype(dt)[:, None] for b in biases]
        self.y = landscape.y.astype(dt)
        self.center_values = np.array([landscape.center[int(p)] for p in positions])
        self.kernel_slot = [lay.locate(int(p))[1] == "kernel" for p in positions]
        self.buffers = _Buffers()

    def __call__(self, *offsets: np.ndarray) -> np.ndarray:
        """J at the centre moved by offsets[k] (G,) along the k-th position."""
        net, dt = self.landscape.net, np.dtype(self.dtype)
        offs = [np.asarray(o, dtype=dt)[:, None] for o in offsets]
        g, n = offs[0].shape[0], self.inputs[0].shape[1]
        last = net.n_layers - 1
        buffers = self.buffers
        with np.errstate(all="ignore"):
            first = self.first
            cols: dict[int, np.ndarray] = {}  # unit j of layer `first` → its z for every point (G, n)
            for kind, i, j, slot in self.touched[first]:
                col = cols.get(j)
                if col is None:
                    col = cols[j] = buffers.get(("column", j), (g, n), dt)
                    col[...] = self.zs[first][j]
                if kind == "kernel":
                    change = buffers.get("change", (g, n), dt)
                    col += np.multiply(offs[slot], self.inputs[first][i], out=change)
                else:
                    col += offs[slot]
            if first == last:
                if len(cols) == 1 == self.zs[first].shape[0]:  # one output unit: its column is all of z
                    z = next(iter(cols.values()))[:, None, :]
                else:
                    z = np.repeat(self.zs[first][None], g, axis=0)
                    for j, col in cols.items():
                        z[:, j, :] = col
                losses = _output_losses(net, self.y, z)
            else:
                act = net.activations[first]
                new = {j: act.fn(col) for j, col in cols.items()}  # the changed units' activations
                a = None  # every unit's activations for every point, from layer first + 1 on
                for layer in range(first + 1, last + 1):
                    units = self.zs[layer].shape[0]
                    z = buffers.get(layer, (g, units, n), dt)
                    if a is None:  # z = z_centre + Δa_c ⊗ row c of the kernel, per changed unit c
                        for k, (c, a_c) in enumerate(new.items()):
                            rank_one = z if k == 0 else buffers.get("rank one", (g, units, n), dt)
                            np.multiply(self.kernels_t[layer][:, c][None, :, None],
                                        (a_c - self.inputs[layer][c])[:, None, :], out=rank_one)
                            z += self.zs[layer][None] if k == 0 else rank_one
                    else:
                        np.matmul(self.kernels_t[layer], a, out=z)
                        if self.biases[layer] is not None:
                            z += self.biases[layer]
                    for kind, i, j, slot in self.touched.get(layer, ()):
                        if kind == "bias":
                            z[:, j, :] += offs[slot]
                        elif a is not None:
                            z[:, j, :] += offs[slot] * a[:, i, :]
                        else:
                            z[:, j, :] += offs[slot] * (new[i] if i in new else self.inputs[layer][i])
                    if layer == last:
                        break
                    a = _activate(net.activations[layer], z)
                losses = _output_losses(net, self.y, z)
        if self.landscape.penalized:
            losses = losses + self._penalty_change([np.asarray(o, dtype=float) for o in offsets])
        return losses

    def _penalty_change(self, offsets) -> np.ndarray:
        """The penalty at the centre with the touched kernel entries moved (biases carry none)."""
        ls = self.landscape
        total = np.full(offsets[0].shape[0], ls.penalties(ls.center[None])[0])
        rate, l2 = float(ls.regularization.rate), ls.regularization.kind == "l2"
        for off, w, is_kernel in zip(offsets, self.center_values, self.kernel_slot):
            if is_kernel:
                total += rate * (0.5 * ((w + off) ** 2 - w * w) if l2 else np.abs(w + off) - abs(w))
        return total


# ---------------------------------------------------------------- planning a surface

@dataclass(frozen=True, eq=False)
class _Plan:
    """Everything about a surface but its grid: the plane, the centre's numbers, the path on it."""

    landscape: Landscape
    request: SurfaceRequest
    names: tuple[str, str]
    directions: np.ndarray
    center_ab: tuple[float, float]
    explained: np.ndarray | None
    path_steps: np.ndarray | None
    path_params: np.ndarray | None
    path: np.ndarray | None
    path_loss: np.ndarray | None
    path_surface_loss: np.ndarray | None
    path_off_plane: np.ndarray | None
    gradient_ab: np.ndarray
    step_ab: np.ndarray
    ranges: tuple[tuple[float, float], tuple[float, float]]

    def evaluator(self, request: SurfaceRequest):
        ls = self.landscape
        if request.method == "plain":
            return _PlainGrid(ls, self.directions)
        if request.kind == "weights":
            return _SparseGrid(ls, request.weights, request.dtype)  # called with (Δθ_p, Δθ_q)
        return _PlaneGrid(ls, self.directions, request.dtype)


def _axis_ranges(request: SurfaceRequest, center_ab, path, step_ab):
    """Default ranges. Two weights: θ ± max(1, 2|θ|), widened to cover the path and the next step with 20 %
    to spare. Random plane: [−1, 1] (filter-normalised: ±1 moves every neuron by its own norm). PCA plane: the
    path and the centre, with a margin of 20 % of the longer extent on both axes. `span` makes both axes
    centre ± span; `a_range`/`b_range` set an axis outright."""
    ranges = []
    for axis, explicit in enumerate((request.a_range, request.b_range)):
        c = center_ab[axis]
        if explicit is not None:
            ranges.append(explicit)
            continue
        if request.span is not None:
            ranges.append((c - request.span, c + request.span))
            continue
        if request.kind == "weights":
            half = max(1.0, 2.0 * abs(c), PATH_MARGIN * abs(float(step_ab[axis])))
            if path is not None and len(path):
                half = max(half, PATH_MARGIN * float(np.max(np.abs(path[:, axis] - c))))
            ranges.append((c - half, c + half))
        elif request.kind == "random":
            ranges.append((-1.0, 1.0))
        else:
            pts = np.vstack([path, [[0.0, 0.0]]])
            longest = float(np.max(pts.max(axis=0) - pts.min(axis=0)))
            margin = 0.2 * longest
            ranges.append((float(pts[:, axis].min()) - margin, float(pts[:, axis].max()) + margin))
    return tuple(ranges)


def _plan(request: SurfaceRequest, landscape: Landscape, trajectory=None) -> _Plan:
    lay, center = landscape.layout, landscape.center
    size = lay.size
    steps = params = None
    if trajectory is not None:
        steps = np.asarray(trajectory.steps)
        params = np.atleast_2d(np.asarray(trajectory.params, dtype=float))
        if params.shape[1] != size:
            raise FfvizError(f"the trajectory has {params.shape[1]} parameters; this network has {size}")
    explained = None
    if request.kind == "weights":
        for p in request.weights:
            if not 0 <= p < size:
                raise FfvizError(f"parameter {p} is out of range (0..{size - 1})")
        p, q = request.weights
        directions = np.zeros((2, size))
        directions[0, p] = directions[1, q] = 1.0
        center_ab = (float(center[p]), float(center[q]))
        names = (lay.name(p), lay.name(q))
    elif request.kind == "random":
        if size < 2:
            raise FfvizError("this network has one parameter; a plane needs two")
        directions = random_directions(lay, center, request.seed)
        center_ab = (0.0, 0.0)
        names = ("direction 1", "direction 2")
    else:
        if params is None:
            raise FfvizError("a PCA plane needs the run's trajectory")
        directions, explained = pca_directions(params, center, landscape.gradient, request.seed)
        center_ab = (0.0, 0.0)
        names = tuple(f"PC{k + 1} ({100 * explained[k]:.1f} %)" for k in range(2))
    gradient = landscape.gradient
    gradient_ab = directions @ gradient
    step_ab = project(center - landscape.learning_rate * gradient, center, directions)[0]
    path = path_loss = path_surface = off_plane = None
    if params is not None and len(params):
        if request.kind == "weights":  # the two weights as recorded, and the others where they are now
            path = params[:, list(request.weights)].copy()
            on_plane = np.repeat(center[None], len(params), axis=0)
            on_plane[:, list(request.weights)] = path
        else:
            path = project(params, center, directions)
            on_plane = center + path @ directions
        path_loss = landscape.path_losses(params)
        path_surface = landscape.path_losses(on_plane)
        off_plane = np.linalg.norm(params - on_plane, axis=1)
    ranges = _axis_ranges(request, center_ab, path, step_ab)
    ro = readonly
    return _Plan(landscape, request, names, ro(directions), center_ab, ro(explained),
                 None if steps is None else ro(steps.copy()), params, ro(path), ro(path_loss), ro(path_surface),
                 ro(off_plane), ro(gradient_ab), ro(step_ab), ranges)


def _result(plan: _Plan, request: SurfaceRequest, a, b, loss, dtype) -> SurfaceResult:
    ls = plan.landscape
    return SurfaceResult(
        request=request, names=plan.names, a=readonly(a), b=readonly(b), loss=readonly(loss), dtype=dtype,
        center=ls.center, directions=plan.directions, center_ab=plan.center_ab, center_loss=ls.center_loss,
        gradient=ls.gradient, gradient_ab=plan.gradient_ab, learning_rate=ls.learning_rate, step_ab=plan.step_ab,
        step=ls.step, penalized=ls.penalized, positions=request.weights, explained=plan.explained,
        path_steps=plan.path_steps, path=plan.path, path_loss=plan.path_loss,
        path_surface_loss=plan.path_surface_loss, path_off_plane=plan.path_off_plane)


def _grid(plan: _Plan, request: SurfaceRequest, evaluate, budget: float, preview: bool) -> Iterator[SurfaceProgress]:
    r = request.resolution
    (a_lo, a_hi), (b_lo, b_hi) = plan.ranges
    a, b = np.linspace(a_lo, a_hi, r), np.linspace(b_lo, b_hi, r)
    dtype = evaluate.dtype
    loss = np.full((r, r), np.nan, dtype=dtype)
    flat = loss.reshape(-1)
    total = r * r
    alpha_all = np.repeat(a - plan.center_ab[0], r)  # row-major: point k is (a[k // r], b[k % r])
    beta_all = np.tile(b - plan.center_ab[1], r)
    last_yield = time.perf_counter()
    ls = plan.landscape
    chunk = _chunk_points(request, ls.x.shape[0], evaluate.widest, ls.layout.sizes[-1], np.dtype(dtype).itemsize)
    for start in range(0, total, chunk):
        stop = min(total, start + chunk)
        flat[start:stop] = evaluate(alpha_all[start:stop], beta_all[start:stop])
        now = time.perf_counter()
        if stop == total:
            done = _result(plan, request, a, b, loss, dtype)
            yield SurfaceProgress(request, total, total, done.loss, done, preview)
        elif now - last_yield >= budget:
            last_yield = now
            yield SurfaceProgress(request, stop, total, readonly(loss.copy()), None, preview)


def surface_progress(request: SurfaceRequest, landscape: Landscape, trajectory=None, *, preview: bool = False,
                     budget: float = YIELD_SECONDS) -> Iterator[SurfaceProgress]:
    """Compute a surface in chunks: yields a SurfaceProgress at least every `budget` seconds of work, the last
    one with `.result` set. With `preview`, first a PREVIEW_RESOLUTION² grid of the same axes, complete (its
    progress has `.result` and `.preview`), then the full one. Stop iterating to cancel: nothing is left
    running. `trajectory` (steps, params: a timeline Trajectory) is drawn on the result: projected, with the
    true loss along it."""
    plan = _plan(request, landscape, trajectory)
    evaluate = plan.evaluator(request)  # resolution-free: the preview and the full grid share it
    if preview and request.resolution > PREVIEW_RESOLUTION:
        yield from _grid(plan, request.preview(), evaluate, budget, True)
    yield from _grid(plan, request, evaluate, budget, False)


def compute_surface(request: SurfaceRequest, landscape: Landscape, trajectory=None, *,
                    cancelled: Callable[[], bool] | None = None) -> SurfaceResult | None:
    """The whole surface at once (None if `cancelled()` became true between two chunks)."""
    for progress in surface_progress(request, landscape, trajectory):
        if progress.result is not None:
            return progress.result
        if cancelled is not None and cancelled():
            return None
    raise AssertionError("unreachable: the last progress carries the result")


# ---------------------------------------------------------------- one weight

@dataclass(frozen=True)
class SliceRequest:
    """J along one weight, every other parameter at the centre's value."""

    position: int
    resolution: int = 101
    span: float | None = None  # half-width around the weight's value
    value_range: tuple[float, float] | None = None
    learning_rate: float | None = None  # η of the step drawn; None: the landscape's

    def __post_init__(self):
        object.__setattr__(self, "position", int(self.position))
        object.__setattr__(self, "resolution", _check_resolution(self.resolution))
        object.__setattr__(self, "span", _check_span(self.span))
        object.__setattr__(self, "value_range", _check_range(self.value_range, "the range"))
        if self.learning_rate is not None:
            lr = _check_span(self.learning_rate, "the learning rate")
            object.__setattr__(self, "learning_rate", lr)


@dataclass(frozen=True, eq=False)
class SliceResult:
    """J(w) along one weight with the tangent at the current value and the step −η·∂J/∂w (float64)."""

    request: SliceRequest
    name: str
    w: np.ndarray  # (R,) the weight's values
    loss: np.ndarray  # (R,) J at each
    value: float  # the weight now
    center_loss: float  # J now
    slope: float  # ∂J/∂w now, whole training set
    learning_rate: float
    step: float  # −η·∂J/∂w
    next_value: float  # value + step
    next_loss: float  # J there (the other weights unchanged)
    update: int = 0  # the update the weights are after (`step` is the step −η·∂J/∂w, not this)

    def tangent(self, w):
        """The tangent line at the current value: J + slope·(w − value)."""
        return self.center_loss + self.slope * (np.asarray(w) - self.value)


def compute_slice(request: SliceRequest, landscape: Landscape, trajectory=None) -> SliceResult:
    """J along one weight: R points, the tangent at the current value and the step −η·∂J/∂w. The range
    defaults as for two weights (θ ± max(1, 2|θ|), covering the path and the step)."""
    lay, center = landscape.layout, landscape.center
    p = request.position
    if not 0 <= p < lay.size:
        raise FfvizError(f"parameter {p} is out of range (0..{lay.size - 1})")
    value = float(center[p])
    slope = float(landscape.gradient[p])
    lr = landscape.learning_rate if request.learning_rate is None else request.learning_rate
    step = -lr * slope
    if request.value_range is not None:
        lo, hi = request.value_range
    else:
        half = request.span
        if half is None:
            half = max(1.0, 2.0 * abs(value), PATH_MARGIN * abs(step))
            if trajectory is not None and len(trajectory.steps):
                half = max(half, PATH_MARGIN * float(np.max(np.abs(np.asarray(trajectory.params)[:, p] - value))))
        lo, hi = value - half, value + half
    w = np.linspace(lo, hi, request.resolution)
    sparse = _SparseGrid(landscape, (p,), "float64")
    loss = np.concatenate([sparse(w[s:s + 256] - value) for s in range(0, w.size, 256)])
    moved = center.copy()
    moved[p] = value + step
    return SliceResult(request, lay.name(p), readonly(w), readonly(loss), value, landscape.center_loss, slope,
                       float(lr), step, value + step, landscape.loss(moved), int(landscape.step))
