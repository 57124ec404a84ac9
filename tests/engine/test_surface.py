"""Loss surfaces: every grid value is J at those weights, the fast paths give the plain path's numbers, the
directions are what they claim, the path on the surface is the run's, and the lecture's step is drawn right."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import ACTIVATIONS, LOSSES, Trainer, from_dict, load_preset
from ffviz.engine.race import Contender, RaceRequest, contender_state, race_progress, run_race
from ffviz.engine.surface import (MAX_RESOLUTION, PREVIEW_RESOLUTION, Landscape, SliceRequest, SurfaceRequest,
                                  compute_slice, compute_surface, filter_normalise, pca_directions, project,
                                  point_on, random_directions, surface_progress)
from ffviz.engine.timeline import Trajectory
from ffviz.errors import FfvizError

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]


def _trainer(activation, loss, regularization=None, steps=5):
    """A 2-3-2-k network with `activation` in its hidden layers and an output suited to `loss`."""
    out = {"binary_crossentropy": "sigmoid", "softmax_crossentropy": "softmax"}.get(loss, "linear")
    units = 3 if out == "softmax" else 1
    data = {"name": "blobs-k", "classes": 3} if units == 3 else {"name": "circle"}
    if loss == "half_squared_error":
        data = {"name": "plane"}
    spec = {"layers": [{"units": 2}, {"units": 3, "activation": activation}, {"units": 2, "activation": activation},
                       {"units": units, "activation": out}],
            "loss": loss, "data": {**data, "samples": 40}, "seed": 3, "optimizer": {"learning_rate": 0.1}}
    if regularization:
        spec["regularization"] = regularization
    tr = Trainer(from_dict(spec))
    tr.step(steps)
    return tr


def _j(trainer, params) -> float:
    """J at `params` the way the trainer's own evaluation computes it, plus the penalty it descends."""
    kernels, biases = trainer.layout.views(np.asarray(params, dtype=float))
    ds = trainer.dataset
    return trainer.loss_on(ds.x_train, ds.y_train, kernels, biases) + trainer.net.penalty(trainer.config.regularization,
                                                                                         kernels)


def _check_random_points(trainer, result, rtol, atol, n=12):
    rng = np.random.default_rng(0)
    r = result.a.size
    for i, j in rng.integers(0, r, size=(n, 2)):
        theta = result.params_at(result.a[i], result.b[j])
        assert result.loss[i, j] == pytest.approx(_j(trainer, theta), rel=rtol, abs=atol), (i, j)


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", HIDDEN)
def test_grid_values_are_J_with_those_weights(activation, loss):
    tr = _trainer(activation, loss)
    ls = Landscape.of_trainer(tr)
    lay = tr.layout
    size = lay.size
    requests = [SurfaceRequest.two_weights(lay.position("kernel1[0,0]"), lay.position("kernel1[1,0]")),
                SurfaceRequest.two_weights(lay.position("kernel2[1,0]"), size - 1),
                SurfaceRequest.random_plane(seed=1)]
    for req in requests:
        result = compute_surface(replace(req, resolution=15, dtype="float64"), ls)
        _check_random_points(tr, result, 1e-10, 1e-12)
        if activation != "step":  # float32 moves z across the step's threshold at a few samples: J jumps
            result = compute_surface(replace(req, resolution=15), ls)
            assert result.dtype == "float32" and result.loss.dtype == np.float32
            _check_random_points(tr, result, 1e-4, 1e-5)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_a_regularized_surface_includes_the_penalty_the_updates_descend(kind):
    tr = _trainer("tanh", "binary_crossentropy", {"kind": kind, "rate": 0.05})
    ls = Landscape.of_trainer(tr)
    assert ls.penalized
    lay = tr.layout
    for req in (SurfaceRequest.two_weights(lay.position("kernel1[0,1]"), lay.position("bias1[1]")),
                SurfaceRequest.two_weights(lay.position("kernel3[0,0]"), lay.position("kernel2[2,1]")),
                SurfaceRequest.random_plane()):
        result = compute_surface(replace(req, resolution=11, dtype="float64"), ls)
        _check_random_points(tr, result, 1e-10, 1e-12)
        # the arrow is the gradient of what is drawn: central differences of the surface itself
        h = 1e-5
        a0, b0 = result.center_ab
        fd = []
        for da, db in ((h, 0), (0, h)):
            plus = ls.loss(result.params_at(a0 + da, b0 + db))
            minus = ls.loss(result.params_at(a0 - da, b0 - db))
            fd.append((plus - minus) / (2 * h))
        np.testing.assert_allclose(result.gradient_ab, fd, rtol=1e-5, atol=1e-8)


def _pairs(layout):
    """Pairs of positions that take every branch of the sparse path: one neuron, two neurons, kernel and
    bias, two layers apart, the output layer, the last hidden layer."""
    n = layout.names()
    pos = layout.position
    pairs = [("kernel1[0,0]", "kernel1[1,0]"), ("kernel1[0,0]", "kernel1[0,1]"), ("kernel1[1,2]", "bias1[2]"),
             ("bias1[0]", "bias1[1]"), ("kernel1[0,1]", "kernel2[1,0]"), ("kernel1[0,0]", "kernel2[0,1]"),
             ("kernel1[0,0]", n[-1]), ("kernel2[2,1]", n[-1]), ("bias2[0]", n[-2]), (n[-1], n[-2])]
    return [(pos(a), pos(b)) for a, b in pairs]


@pytest.mark.parametrize("preset_or_loss", ["binary_crossentropy", "softmax_crossentropy", "half_squared_error"])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-11), ("float32", 3e-5)])
def test_fast_paths_equal_the_plain_path(preset_or_loss, dtype, rtol):
    tr = _trainer("tanh", preset_or_loss, steps=20)
    ls = Landscape.of_trainer(tr)
    traj = tr.timeline.trajectory()
    requests = [SurfaceRequest.two_weights(p, q, resolution=9) for p, q in _pairs(tr.layout)]
    requests += [SurfaceRequest.random_plane(seed=4, resolution=9), SurfaceRequest.pca_plane(resolution=9)]
    for req in requests:
        fast = compute_surface(replace(req, dtype=dtype), ls, traj)
        plain = compute_surface(replace(req, method="plain"), ls, traj)
        assert plain.dtype == "float64" and fast.dtype == dtype
        np.testing.assert_array_equal(fast.a, plain.a)
        np.testing.assert_allclose(fast.loss, plain.loss, rtol=rtol, atol=rtol * 1e-2, err_msg=str(fast.names))


@pytest.mark.parametrize("layers", [
    [{"units": 4}, {"units": 3, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],  # four inputs
    [{"units": 2}, {"units": 3, "activation": "tanh", "use_bias": False}, {"units": 1, "activation": "sigmoid"}],
    [{"units": 3}, {"units": 1, "activation": "sigmoid"}],  # no hidden layer: the first layer is the output
    [{"units": 2}, {"units": 2, "activation": "relu", "use_bias": False},
     {"units": 1, "activation": "sigmoid", "use_bias": False}],
])
def test_planes_made_from_the_first_layers_z_of_the_basis_are_J_at_those_weights(layers):
    # the plane path builds the first layer's z from z₁ of the centre and of the two directions; a PCA
    # plane's directions move the first layer's biases too (a random one's do not)
    ins = layers[0]["units"]
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, ins))
    y = (x.sum(axis=1, keepdims=True) > 0).astype(float)
    spec = {"layers": layers, "loss": "binary_crossentropy", "seed": 2, "optimizer": {"learning_rate": 0.5},
            "data": {"x": x.tolist(), "y": y.tolist()}}
    tr = Trainer(from_dict(spec))
    tr.step(15)
    ls, traj = Landscape.of_trainer(tr), tr.timeline.trajectory()
    for req in (SurfaceRequest.random_plane(seed=2, resolution=9), SurfaceRequest.pca_plane(resolution=9)):
        result = compute_surface(replace(req, dtype="float64"), ls, traj)
        _check_random_points(tr, result, 1e-10, 1e-12)
        result32 = compute_surface(req, ls, traj)
        _check_random_points(tr, result32, 1e-4, 1e-5)


def test_chunk_size_does_not_change_the_surface():
    tr = _trainer("relu", "binary_crossentropy")
    ls = Landscape.of_trainer(tr)
    for req in (SurfaceRequest.two_weights(0, 7, resolution=13, dtype="float64"),
                SurfaceRequest.random_plane(resolution=13, dtype="float64")):
        ref = compute_surface(req, ls).loss
        for chunk in (1, 5, 64, 1000):
            np.testing.assert_allclose(compute_surface(replace(req, chunk=chunk), ls).loss, ref, rtol=1e-13)


def test_a_far_corner_that_overflows_is_inf_not_an_error():
    tr = Trainer(load_preset("regression"))
    ls = Landscape.of_trainer(tr)
    lay = tr.layout
    res = compute_surface(SurfaceRequest.two_weights(lay.position("kernel3[0,0]"), lay.position("bias3[0]"),
                                                     a_range=(-1e6, 1e6), b_range=(-1e6, 1e6), resolution=5), ls)
    assert np.all(np.isfinite(res.loss[2, 2:3])) and res.loss.max() > 1e9  # no warning, no exception


# ---------------------------------------------------------------- the lecture

def test_the_lecture_surface_shows_the_slides_step():
    tr = Trainer(load_preset("lecture"))
    ls = Landscape.of_trainer(tr)
    lay = tr.layout
    req = SurfaceRequest.two_weights(lay.position("kernel1[0,0]"), lay.position("kernel1[1,0]"), resolution=101)
    res = compute_surface(req, ls)
    assert res.names == ("kernel1[0,0]", "kernel1[1,0]")
    assert res.center_ab == (0.35, 0.40)
    assert round(res.center_loss, 5) == 0.12184
    np.testing.assert_allclose(res.gradient_ab, [0.05954, 0.06073], atol=5e-6)
    np.testing.assert_allclose(res.next_ab, [0.29046, 0.33927], atol=5e-6)  # η = 1
    # the default range is centred on the weights: the middle grid point is (0.35, 0.40) itself
    assert res.a[50] == pytest.approx(0.35) and res.b[50] == pytest.approx(0.40)
    assert round(float(res.loss[50, 50]), 5) == 0.12184
    # and the step lands where one update of the trainer does
    tr.step(1)
    np.testing.assert_allclose(res.next_ab, tr.kernels[0][:, 0], rtol=0, atol=1e-15)


def test_clicking_a_grid_point_sets_exactly_those_two_weights():
    tr = _trainer("tanh", "binary_crossentropy", steps=10)
    ls = Landscape.of_trainer(tr)
    lay = tr.layout
    res = compute_surface(SurfaceRequest.two_weights(lay.position("kernel1[1,1]"), lay.position("kernel3[1,0]"),
                                                     resolution=21), ls)
    before = tr.params.copy()
    i, j = 3, 17
    tr.set_parameters(res.assignments(res.a[i], res.b[j], lay))
    changed = np.flatnonzero(tr.params != before)
    assert set(changed) <= set(res.positions)
    assert tr.params[res.positions[0]] == res.a[i] and tr.params[res.positions[1]] == res.b[j]
    ds = tr.dataset
    assert res.loss[i, j] == pytest.approx(tr.loss_on(ds.x_train, ds.y_train), rel=1e-5)
    with pytest.raises(FfvizError, match="a plane moves them all"):
        compute_surface(SurfaceRequest.random_plane(resolution=3), ls).assignments(0, 0, lay)


# ---------------------------------------------------------------- the path

def test_the_path_on_two_weights_is_the_timelines_with_its_true_loss():
    tr = Trainer(load_preset("circle"))
    tr.step(120)
    traj = tr.timeline.trajectory()
    assert len(traj) == 121
    ls = Landscape.of_trainer(tr)
    p, q = tr.layout.position("kernel1[0,0]"), tr.layout.position("kernel2[3,1]")
    res = compute_surface(SurfaceRequest.two_weights(p, q, resolution=7), ls, traj)
    np.testing.assert_array_equal(res.path, traj.params[:, [p, q]])
    np.testing.assert_array_equal(res.path_steps, traj.steps)
    for t in (0, 60, 120):
        assert res.path_loss[t] == pytest.approx(_j(tr, traj.params[t]), rel=1e-12)
        under = tr.params.copy()
        under[[p, q]] = traj.params[t, [p, q]]
        assert res.path_surface_loss[t] == pytest.approx(_j(tr, under), rel=1e-12)
    # the path ends at the centre, and the default range holds all of it
    assert tuple(res.path[-1]) == res.center_ab
    assert res.a[0] <= res.path[:, 0].min() and res.path[:, 0].max() <= res.a[-1]
    assert res.b[0] <= res.path[:, 1].min() and res.path[:, 1].max() <= res.b[-1]


def test_default_ranges_hold_a_path_that_went_far_and_the_next_step():
    tr = Trainer(load_preset("circle"))
    ls = Landscape.of_trainer(tr)
    p, q = 0, 5
    far = np.repeat(tr.params[None], 3, axis=0)
    far[0, p] += 25.0
    far[1, q] -= 40.0
    res = compute_surface(SurfaceRequest.two_weights(p, q, resolution=5), ls, Trajectory(np.arange(3), far))
    assert res.a[0] <= far[:, p].min() and far[:, p].max() <= res.a[-1]
    assert res.b[0] <= far[:, q].min() and far[:, q].max() <= res.b[-1]
    assert (res.a[-1] - res.a[0]) / 2 == pytest.approx(1.2 * 25.0) and np.mean([res.a[0], res.a[-1]]) == \
        pytest.approx(tr.params[p])
    big = Landscape(ls.net, ls.x, ls.y, ls.center, learning_rate=1e4)  # a huge η: the step is still in view
    res = compute_surface(SurfaceRequest.two_weights(p, q, resolution=5), big)
    assert res.a[0] <= res.next_ab[0] <= res.a[-1] and res.b[0] <= res.next_ab[1] <= res.b[-1]


def test_filter_normalised_directions_have_the_norms_they_claim():
    tr = Trainer(load_preset("spiral"))
    tr.step(10)
    lay, center = tr.layout, tr.params
    d = random_directions(lay, center, seed=7)
    assert d.shape == (2, lay.size)
    kernels, _ = lay.views(center)
    for k in range(2):
        dk, db = lay.views(d[k])
        for layer, (kern, dkern) in enumerate(zip(kernels, dk)):
            np.testing.assert_allclose(np.linalg.norm(dkern, axis=0), np.linalg.norm(kern, axis=0), rtol=1e-12)
        assert all(not np.any(b) for b in db)  # biases 0
    np.testing.assert_array_equal(d, random_directions(lay, center, seed=7))
    assert not np.array_equal(d, random_directions(lay, center, seed=8))
    assert not np.allclose(d[0], d[1])
    # a neuron whose weights are all 0 gets a zero slice, not a division by zero
    zeroed = center.copy()
    zeroed[lay.kernel_slices[0]] = 0.0
    f = filter_normalise(np.ones(lay.size), zeroed, lay)
    assert not np.any(f[lay.kernel_slices[0]]) and np.all(np.isfinite(f))


def test_pca_axes_are_orthonormal_explain_at_most_everything_and_project_the_path():
    tr = Trainer(load_preset("circle"))
    tr.step(200)
    traj = tr.timeline.trajectory()
    ls = Landscape.of_trainer(tr)
    res = compute_surface(SurfaceRequest.pca_plane(resolution=11), ls, traj)
    d = res.directions
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-12)
    assert np.all((0 <= res.explained) & (res.explained <= 1)) and res.explained.sum() <= 1 + 1e-12
    assert res.explained[0] >= res.explained[1]
    m = traj.params - tr.params
    np.testing.assert_allclose(res.path, m @ d.T, atol=1e-12)  # orthonormal: projection is the dot product
    on_plane = tr.params + res.path @ d
    np.testing.assert_allclose(res.path_off_plane, np.linalg.norm(traj.params - on_plane, axis=1), atol=1e-12)
    # explained: the share of the squared distances from now that the plane keeps
    total = np.sum(m * m)
    np.testing.assert_allclose(res.explained, np.sum(res.path ** 2, axis=0) / total, rtol=1e-10)
    assert np.all(res.path[0] <= 0)  # the path starts on the negative side of both axes
    np.testing.assert_allclose(res.path[-1], [0, 0], atol=1e-12)
    assert res.names[0] == f"PC1 ({100 * res.explained[0]:.1f} %)"
    # the trap these pictures hide: the true loss along the path is not the surface under it
    assert res.path_loss[0] == pytest.approx(_j(tr, traj.params[0]), rel=1e-12)
    assert not np.allclose(res.path_loss, res.path_surface_loss, rtol=1e-6)


def test_pca_of_a_straight_path_falls_back_and_degenerate_paths_are_one_line_errors():
    tr = Trainer(load_preset("lecture"))  # full-batch gradient descent on one sample
    center = tr.params
    line = center + np.outer(np.linspace(1, 0, 5), [1.0, 2.0])  # exactly straight
    d, explained = pca_directions(line, center, gradient=np.array([1.0, 0.0]))
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-12)
    assert explained[1] == 0 and explained[0] == pytest.approx(1)
    with pytest.raises(FfvizError, match="at least 3 recorded points"):
        pca_directions(line[:2], center)
    with pytest.raises(FfvizError, match="have not moved"):
        pca_directions(np.repeat(center[None], 4, axis=0), center)
    with pytest.raises(FfvizError, match="needs the run's trajectory"):
        compute_surface(SurfaceRequest.pca_plane(), Landscape.of_trainer(tr))


@pytest.mark.parametrize("flip", [(1, 1), (1, -1), (-1, 1), (-1, -1)])
def test_pca_signs_make_the_path_start_on_the_negative_side(flip):
    center = np.zeros(4)
    t = np.linspace(1, 0, 9)
    # a bent path: mostly along e0, bending along e2; its mirror images need different signs
    path = np.column_stack([flip[0] * 3 * t, 0 * t, flip[1] * np.sin(np.pi * t) - flip[1] * 0.5 * t, 0 * t])
    d, _ = pca_directions(path, center)
    coords = project(path, center, d)
    assert np.all(coords[0] <= 1e-12)


def test_projection_onto_a_non_orthogonal_plane_is_least_squares():
    rng = np.random.default_rng(1)
    center, dirs = rng.normal(size=6), rng.normal(size=(2, 6))
    coords = rng.normal(size=(4, 2))
    off = rng.normal(size=(4, 6))
    off -= (off @ dirs.T) @ np.linalg.solve(dirs @ dirs.T, dirs)  # orthogonal to the plane
    np.testing.assert_allclose(project(center + coords @ dirs + off, center, dirs), coords, atol=1e-12)


# ---------------------------------------------------------------- one weight

def test_a_slice_has_the_tangent_and_the_step_of_the_gradient():
    tr = Trainer(load_preset("circle"))
    tr.step(30)
    ls = Landscape.of_trainer(tr)
    p = tr.layout.position("kernel2[1,0]")
    s = compute_slice(SliceRequest(p, resolution=201, learning_rate=0.5), ls)
    assert s.name == "kernel2[1,0]" and s.value == tr.params[p]
    for k in (0, 77, 200):
        theta = tr.params.copy()
        theta[p] = s.w[k]
        assert s.loss[k] == pytest.approx(_j(tr, theta), rel=1e-12)
    h = 1e-6
    plus, minus = tr.params.copy(), tr.params.copy()
    plus[p] += h
    minus[p] -= h
    assert s.slope == pytest.approx((_j(tr, plus) - _j(tr, minus)) / (2 * h), rel=1e-6)
    assert s.step == -0.5 * s.slope and s.next_value == s.value + s.step
    assert s.tangent(s.value) == s.center_loss and s.w[0] < s.next_value < s.w[-1]


# ---------------------------------------------------------------- chunks, previews, cancelling

def test_progress_fills_rows_in_order_and_a_preview_comes_first():
    tr = Trainer(load_preset("circle"))
    ls = Landscape.of_trainer(tr)
    req = SurfaceRequest.random_plane(resolution=60, chunk=50)
    seen = list(surface_progress(req, ls, preview=True, budget=0.0))
    previews = [p for p in seen if p.preview]
    assert previews[-1].result is not None and previews[-1].result.loss.shape == (PREVIEW_RESOLUTION,) * 2
    full = [p for p in seen if not p.preview]
    assert [p.done for p in full] == list(range(50, 3600, 50)) + [3600]
    half = full[len(full) // 2]
    flat = half.loss.reshape(-1)
    assert np.all(np.isfinite(flat[:half.done])) and np.all(np.isnan(flat[half.done:]))
    assert not half.loss.flags.writeable
    final = full[-1].result
    np.testing.assert_array_equal(flat[:half.done], final.loss.reshape(-1)[:half.done])
    # the preview is the same axes, coarser
    pv = previews[-1].result
    assert (pv.a[0], pv.a[-1], pv.b[0], pv.b[-1]) == (final.a[0], final.a[-1], final.b[0], final.b[-1])


def test_cancelling_between_chunks_stops_the_work():
    tr = Trainer(load_preset("circle"))
    ls = Landscape.of_trainer(tr)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) >= 2

    req = SurfaceRequest.random_plane(resolution=MAX_RESOLUTION, chunk=8)
    it = surface_progress(req, ls, budget=0.0)
    next(it)
    it.close()  # a worker that stops iterating leaves nothing running
    assert compute_surface(req, ls, cancelled=cancelled) is None and len(calls) == 2


@pytest.mark.parametrize("kw,needle", [
    ({"kind": "hills"}, "is one of weights, random, pca"),
    ({"kind": "weights"}, "needs two weights"),
    ({"kind": "weights", "weights": (3, 3)}, "two different weights"),
    ({"kind": "random", "resolution": 1}, "from 2 to 401"),
    ({"kind": "random", "resolution": 402}, "from 2 to 401"),
    ({"kind": "random", "resolution": 2.5}, "from 2 to 401"),
    ({"kind": "random", "span": 0}, "span"),
    ({"kind": "random", "span": float("nan")}, "span"),
    ({"kind": "random", "a_range": (1, 1)}, "low < high"),
    ({"kind": "random", "b_range": "ab"}, "two numbers"),
    ({"kind": "random", "dtype": "float16"}, "float32, float64"),
    ({"kind": "random", "chunk": 0}, "chunk"),
])
def test_bad_requests_are_one_line_errors(kw, needle):
    with pytest.raises(FfvizError, match=needle) as exc:
        SurfaceRequest(**kw)
    assert "\n" not in str(exc.value)


def test_a_landscape_refuses_what_has_no_surface():
    tr = Trainer(load_preset("circle"))
    bad = tr.params.copy()
    bad[0] = np.inf
    with pytest.raises(FfvizError, match="diverged"):
        Landscape(tr.net, tr.dataset.x_train, tr.dataset.y_train, bad)
    with pytest.raises(FfvizError, match="out of range"):
        compute_surface(SurfaceRequest.two_weights(0, 999), Landscape.of_trainer(tr))
    with pytest.raises(FfvizError, match="trajectory has 3 parameters"):
        compute_surface(SurfaceRequest.random_plane(), Landscape.of_trainer(tr),
                        Trajectory(np.arange(2), np.zeros((2, 3))))
    lay = tr.layout
    zero = np.zeros(lay.size)
    with pytest.raises(FfvizError, match="every weight is 0"):
        random_directions(lay, zero)


def test_a_landscape_of_a_state_is_the_trainers():
    tr = Trainer(load_preset("spiral"))
    tr.step(7)
    a, b = Landscape.of(tr.state()), Landscape.of_trainer(tr)
    assert a.center_loss == b.center_loss and a.step == b.step == 7 and a.learning_rate == b.learning_rate
    np.testing.assert_array_equal(a.gradient, b.gradient)


# ---------------------------------------------------------------- races

def _separate_run(preset, k, contender, n):
    """The same change made by hand in a trainer that trained k updates, then n more."""
    tr = Trainer(load_preset(preset))
    tr.step(k)
    cfg = tr.config
    if contender.optimizer is not None:
        tr.apply_config(replace(cfg, optimizer=replace(cfg.optimizer, name=contender.optimizer,
                                                       learning_rate=contender.learning_rate)))
    else:
        tr.set_learning_rate(contender.learning_rate)
    tr.step(n)
    return tr


@pytest.mark.parametrize("preset", ["circle", "spiral"])  # mini-batches, shuffling; spiral starts with adam
def test_a_races_paths_equal_separate_runs(preset):
    k, n = 25, 40
    tr = Trainer(load_preset(preset))
    tr.step(k)
    p, q = tr.layout.position("kernel1[0,0]"), tr.layout.position("kernel2[1,0]")
    contenders = (Contender(learning_rate=0.003), Contender(learning_rate=0.3), Contender("momentum", 0.05),
                  Contender("adam", 0.01))
    result = run_race(RaceRequest((p, q), contenders, n), tr.state())
    assert result.names == ("kernel1[0,0]", "kernel2[1,0]") and result.start_step == k
    for contender, path in zip(contenders, result.paths):
        other = _separate_run(preset, k, contender, n)
        traj = other.timeline.trajectory()
        keep = traj.steps >= k
        np.testing.assert_array_equal(path.steps, traj.steps[keep])
        np.testing.assert_array_equal(path.path, traj.params[keep][:, [p, q]])
        assert path.loss[-1] == pytest.approx(_j(other, other.params), rel=1e-12)
        assert not path.diverged
    assert tr.step_count == k  # the race ran copies; the run itself did not move


def test_a_diverging_contender_stops_where_it_went_non_finite():
    tr = Trainer(load_preset("regression"))  # linear output, ½ squared error: a large η blows up
    tr.step(5)
    request = RaceRequest((0, 1), (Contender("sgd", 0.01), Contender("sgd", 200.0, label="too large")), 200)
    calm, wild = run_race(request, tr.state()).paths
    assert not calm.diverged and len(calm.steps) == 201
    assert wild.label == "too large" and wild.diverged and "non-finite" in wild.reason
    assert 5 < wild.diverged_at < 205 and wild.steps[-1] <= wild.diverged_at
    assert np.all(np.isfinite(wild.path))
    other = _separate_run("regression", 5, Contender("sgd", 200.0), 200)
    assert other.diverged is not None and other.diverged.step == wild.diverged_at
    np.testing.assert_array_equal(wild.path, other.timeline.trajectory().params[5:][:, [0, 1]])


def test_a_race_reports_progress_and_refuses_bad_contenders():
    tr = Trainer(load_preset("circle"))
    state = tr.state()
    seen = list(race_progress(RaceRequest((0, 1), (Contender(learning_rate=0.1),) * 2, 30), state, budget=0.0))
    assert [s.done for s in seen][-1] == 60 and seen[-1].result is not None
    assert all(a.done <= b.done for a, b in zip(seen, seen[1:]))
    with pytest.raises(FfvizError, match="unknown optimizer"):
        Contender("fast")
    with pytest.raises(FfvizError, match="learning rate"):
        Contender(learning_rate=-1.0)
    with pytest.raises(FfvizError, match="perceptron"):  # the rule needs one layer of step neurons
        list(race_progress(RaceRequest((0, 1), (Contender("perceptron"),), 3), state))
    with pytest.raises(FfvizError, match="1 to 100000 updates"):
        RaceRequest((0, 1), (Contender(),), 0)
    # a new learning rate keeps the rule's moments, a new rule starts afresh (as the window does)
    adam = Trainer(load_preset("spiral"))
    adam.step(3)
    st = adam.state()
    assert contender_state(st, Contender(learning_rate=0.5)).optimizer is st.optimizer
    assert contender_state(st, Contender("sgd")).optimizer == (0, None, None)


# ---------------------------------------------------------------- the run now, on a surface computed earlier

def _fd_gradient(trainer, params, h=1e-6):
    g = np.zeros_like(params)
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        g[i] = (_j(trainer, up) - _j(trainer, down)) / (2 * h)
    return g


def test_the_point_on_a_two_weight_surface_is_where_the_run_is_and_its_next_update():
    tr = _trainer("tanh", "binary_crossentropy", steps=3)
    p, q = tr.layout.position("kernel1[0,0]"), tr.layout.position("kernel2[1,0]")
    res = compute_surface(SurfaceRequest.two_weights(p, q, resolution=9), Landscape.of_trainer(tr))
    tr.step(4)  # the run moves on; the surface stays where it was computed
    now = Landscape.of_trainer(tr)
    pt = point_on(res, now)
    assert pt.step == 7 and pt.ab == (tr.params[p], tr.params[q])
    assert pt.loss == pytest.approx(_j(tr, tr.params), rel=1e-12)
    np.testing.assert_allclose(pt.gradient, _fd_gradient(tr, tr.params), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(pt.gradient_ab, pt.gradient[[p, q]], rtol=0, atol=0)
    under = res.center.copy()
    under[[p, q]] = [tr.params[p], tr.params[q]]
    assert pt.surface_loss == pytest.approx(_j(tr, under), rel=1e-12)
    # the drawn next point is where the trainer's next (full-batch SGD) update puts the two weights
    before = tr.params.copy()
    tr.step(1)
    np.testing.assert_allclose(pt.next_ab, (tr.params[p], tr.params[q]), rtol=0, atol=1e-12)
    # the rest moved since the surface: off is that movement over the centre's norm
    rest = before - under
    assert pt.off == pytest.approx(np.linalg.norm(rest) / max(np.linalg.norm(res.center), 1.0), rel=1e-12)
    assert res.moved_off(res.center) == 0.0


def test_the_point_on_a_plane_is_the_projection_of_the_weights_and_of_the_step():
    tr = _trainer("sigmoid", "half_squared_error", steps=30)
    res = compute_surface(SurfaceRequest.pca_plane(resolution=7), Landscape.of_trainer(tr), tr.timeline.trajectory())
    tr.step(2)
    pt = point_on(res, Landscape.of_trainer(tr))
    np.testing.assert_allclose(pt.ab, project(tr.params[None], res.center, res.directions)[0] + res.center_ab)
    np.testing.assert_allclose(pt.gradient_ab, res.directions @ pt.gradient)
    step = project((tr.params - tr.learning_rate * pt.gradient)[None], res.center, res.directions)[0] \
        - project(tr.params[None], res.center, res.directions)[0]
    np.testing.assert_allclose(pt.step_ab, step, atol=1e-12)
    assert res.contains(*res.center_ab) and not res.contains(res.a[-1] + 1.0, res.b[0])


def test_a_point_for_another_network_is_a_one_line_error():
    tr = _trainer("tanh", "binary_crossentropy")
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=5), Landscape.of_trainer(tr))
    other = _trainer("tanh", "softmax_crossentropy")
    with pytest.raises(FfvizError, match="network changed"):
        point_on(res, Landscape.of_trainer(other))
