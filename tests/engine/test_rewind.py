"""Rewinding: a snapshot of any recorded update, exactly as a run stopped there shows it, the run unchanged."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.state import same_state
from ffviz.errors import FfvizError
from tests.engine.compare import assert_same


@pytest.mark.parametrize("preset,total,k", [
    ("circle", 900, 613),  # shuffled mini-batches
    ("spiral", 600, 256),  # Adam, exactly on a checkpoint: update 256's numbers are worked out again
    ("lecture", 12, 5),
    ("deep-sigmoid", 300, 1),
])
def test_a_snapshot_at_k_shows_what_a_fresh_run_stopped_at_k_shows(preset, total, k):
    cfg = load_preset(preset)
    run = Trainer(cfg)
    run.step(total)
    before = run.state()
    snap = run.snapshot_at(k, plane_resolution=12)
    fresh = Trainer(cfg)
    fresh.step(k)
    fresh.record_evaluation()  # the window evaluates the update it shows
    ref = fresh.snapshot(plane_resolution=12)
    assert snap.step == k and snap.rewound_from == total
    assert same_state(snap.state, ref.state)
    for got, want in zip(snap.kernels + snap.biases, ref.kernels + ref.biases):
        assert_same(got, want)
    assert_same(snap.trace, ref.trace)  # the diagram's gradients and the chain-rule panel: update k's
    assert_same(snap.grad_kernels, ref.grad_kernels)
    assert_same(snap.plane, ref.plane)
    np.testing.assert_array_equal(snap.history.batch_loss, ref.history.batch_loss)
    assert_same(snap.history, ref.history)  # the loss plot up to k: batch losses and evaluations
    assert_same((snap.train_loss, snap.test_loss), (ref.train_loss, ref.test_loss))
    assert snap.trajectory.steps.max() <= k
    # the run itself is where it was, its future (drawn faded) carried along
    assert same_state(run.state(), before)
    assert len(snap.future.batch_loss) == len(run.history().batch_loss)


def test_snapshots_at_k_are_newer_than_the_runs_last_and_the_run_goes_on_unchanged():
    cfg = load_preset("circle")
    run, straight = Trainer(cfg), Trainer(cfg)
    run.step(400)
    straight.step(400)
    a = run.snapshot()
    b = run.snapshot_at(100)
    c = run.snapshot()
    assert a.serial < b.serial < c.serial and c.rewound_from is None
    run.step(50)
    straight.step(50)
    assert same_state(run.state(), straight.state())


def test_continuing_from_k_matches_a_fresh_run_stopped_at_k_and_continued():
    cfg = load_preset("spiral")
    run = Trainer(cfg)
    run.step(700)
    run.snapshot_at(300)  # looking changes nothing …
    run.restore_step(300)  # … continuing branches here (the window's "continue from here")
    assert run.trace is not None and run.trace.step == 300
    fresh = Trainer(cfg)
    fresh.step(300)
    assert_same(run.trace, fresh.trace)
    run.step(120)
    fresh.step(120)
    assert same_state(run.state(), fresh.state())
    assert_same(run.trace, fresh.trace)
    np.testing.assert_array_equal(run.history().batch_loss, fresh.history().batch_loss)


@pytest.mark.parametrize("bad", [-1, 41])
def test_an_update_outside_the_run_is_refused_in_one_line(bad):
    run = Trainer(load_preset("lecture"))
    run.step(40)
    with pytest.raises(FfvizError, match="not in this run"):
        run.snapshot_at(bad)
