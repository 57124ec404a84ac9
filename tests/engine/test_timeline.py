"""The run's timeline: any update restored exactly, the trajectory bounded however long the run."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.state import same_state
from ffviz.engine.timeline import Journal, Timeline
from ffviz.errors import FfvizError
from tests.engine.compare import assert_same


def _fresh_run_to(config, k):
    tr = Trainer(config)
    tr.step(k)
    return tr


@pytest.mark.parametrize("preset,total,k", [
    ("circle", 1500, 1037),  # mini-batches of 10, shuffled: the batch order comes back exactly
    ("spiral", 900, 513),  # Adam with mini-batches: both moments and the step count come back
    ("softmax", 700, 256),  # exactly on a checkpoint
    ("lecture", 20, 7),
    ("deep-sigmoid", 600, 1),
    ("perceptron", 400, 333),
])
def test_restoring_update_k_equals_a_fresh_run_stopped_at_k(preset, total, k):
    cfg = load_preset(preset)
    tr = Trainer(cfg)
    tr.step(total)
    tr.restore_step(k)
    fresh = _fresh_run_to(cfg, k)
    assert same_state(tr.state(), fresh.state())
    np.testing.assert_array_equal(tr.history().batch_loss, fresh.history().batch_loss)
    # and the two go on identically: the branch continues as the run would have
    tr.step(50)
    fresh.step(50)
    assert same_state(tr.state(), fresh.state())
    assert_same(tr.trace, fresh.trace)


def test_restoring_across_a_learning_rate_change_and_a_hand_edit_is_exact():
    cfg = load_preset("circle")
    tr = Trainer(cfg)
    tr.step(300)
    tr.set_learning_rate(0.03)
    tr.step(300)
    tr.set_parameter(1, "kernel", (0, 1), 0.25)
    tr.step(300)
    # the same history by hand, to compare against
    ref = Trainer(cfg)
    ref.step(300)
    ref.set_learning_rate(0.03)
    ref.step(200)
    state_500 = ref.state()
    ref.step(100)
    ref.set_parameter(1, "kernel", (0, 1), 0.25)
    ref.step(100)
    state_700 = ref.state()
    tr.restore_step(700)
    assert same_state(tr.state(), state_700)
    tr.restore_step(500)
    assert same_state(tr.state(), state_500) and tr.learning_rate == 0.03
    tr.restore_step(100)
    assert tr.learning_rate == 0.1  # before the change: the config of that moment
    assert tr.config.optimizer.learning_rate == 0.1


def test_restoring_a_mid_update_state_replays_its_phases():
    tr = Trainer(load_preset("circle"))
    tr.step(12)
    tr.step_phase(), tr.step_phase(), tr.step_phase(), tr.step_phase()
    state = tr.state()
    trace = tr.trace
    assert state.phases_done == 4 and state.step == 12
    other = Trainer(load_preset("circle"))
    other.restore_state(state)
    assert other.next_phase == tr.next_phase
    assert_same(other.trace, trace)


def test_history_after_a_restore_keeps_the_evaluations_up_to_k():
    tr = Trainer(load_preset("circle"))
    for _ in range(6):
        tr.step(100)
        tr.record_evaluation()
    tr.restore_step(350)
    assert list(tr.history().eval_step) == [0, 100, 200, 300, 350]
    assert tr.history().update_step[-1] == 349 and len(tr.history().update_step) == 350


def test_restore_refuses_steps_outside_the_run():
    tr = Trainer(load_preset("lecture"))
    tr.step(3)
    for bad in (-1, 4):
        with pytest.raises(FfvizError):
            tr.restore_step(bad)
    assert tr.step_count == 3


def test_the_trajectory_keeps_every_recent_update_and_thins_the_old_ones():
    tl = Timeline(4, recent_bytes=32 * 100, older_bytes=32 * 50)  # 100 recent rows, 50 older ones
    assert (tl.recent, tl.older_cap) == (100, 50)
    for step in range(5001):
        tl.record(step, np.full(4, float(step)))
    steps = tl.recorded_steps()
    assert np.all(np.diff(steps) > 0) and steps[-1] == 5000
    recent = steps[steps > 5000 - 100]
    assert len(recent) == 100  # every one of the last 100
    old = steps[steps <= 5000 - 200]
    assert len(old) <= 50 and np.all(old % np.min(np.diff(old)) == 0)  # a power-of-two grid, bounded
    for s in steps:
        np.testing.assert_array_equal(tl.params_at(int(s)), np.full(4, float(s)))
    thinned = next(s for s in range(1, 4800) if s not in set(steps.tolist()))
    assert tl.params_at(thinned) is None


def test_the_trajectory_memory_is_bounded_by_its_budgets():
    tl = Timeline(25)
    budget = tl.nbytes()
    for step in range(60_000):
        tl.record(step, np.zeros(25))
    assert tl.nbytes() <= 2 * budget  # the older part grows to its cap, no further
    assert len(tl.display()) <= 2 * tl.display_cap


def test_display_points_are_a_deterministic_subset_ending_at_the_last_step():
    a, b = Timeline(2), Timeline(2)
    for step in range(3000):
        a.record(step, np.array([step, -step], float))
    b.extend(np.arange(3000), np.column_stack([np.arange(3000), -np.arange(3000)]).astype(float))
    da, db = a.display(), b.display()
    assert_same(da, db)
    assert len(da) <= 2 * a.display_cap and da.steps[0] == 0 and da.steps[-1] > 2999 - 2 * a._disp_stride
    np.testing.assert_array_equal(da.column(1), -da.steps.astype(float))


def test_checkpoints_thin_as_the_run_grows_but_events_stay():
    tl = Timeline(3, max_checkpoints=8, checkpoint_every=4)
    tr = Trainer(load_preset("lecture"))
    base = tr.state()
    for step in range(0, 200, 4):
        tl.offer(replace(base, step=step), pinned=(step == 52))
    steps = [c.step for c in tl.checkpoints()]
    assert 0 in steps and 52 in steps
    assert len(steps) - 2 <= 8
    assert tl.checkpoint_before(51).step <= 51 and tl.checkpoint_before(53).step == 52
    tl.truncate(60)
    assert max(c.step for c in tl.checkpoints()) <= 60


def test_the_journal_gives_what_was_recorded_once():
    j = Journal(2)
    for step in range(1, 6):
        j.record(step, np.array([step, step], float))
    j.truncate(3)
    steps, params, states = j.take()
    assert list(steps) == [1, 2, 3] and params.shape == (3, 2) and states == []
    assert j.take()[0].size == 0


def test_recording_an_earlier_step_without_truncating_is_a_mistake():
    tl = Timeline(1)
    tl.record(0, np.zeros(1))
    tl.record(1, np.ones(1))
    tl.record(1, np.full(1, 2.0))  # the same step again (a hand edit): replaced
    np.testing.assert_array_equal(tl.params_at(1), [2.0])
    with pytest.raises(ValueError):
        tl.record(0, np.zeros(1))
