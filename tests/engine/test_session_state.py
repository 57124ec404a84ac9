"""A saved run made into a trainer again goes on exactly as the run would have: parameters, optimizer moments,
the shuffled batch order, the history and the timeline, bit for bit."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.history import Envelope
from ffviz.engine.session_state import capture, restore
from ffviz.engine.state import same_state
from ffviz.engine.timeline import Timeline
from ffviz.errors import FfvizError
from tests.engine.compare import assert_same


def assert_same_run(a: Trainer, b: Trainer) -> None:
    """The same run: state, history, the last update's numbers, the timeline, everything a snapshot shows."""
    assert same_state(a.state(), b.state())
    assert_same(a.snapshot(plane_resolution=8), b.snapshot(plane_resolution=8), "snapshot",
                skip=("serial", "run_id"))
    assert a.timeline.first_step == b.timeline.first_step
    assert [s.step for s in a.timeline.checkpoints()] == [s.step for s in b.timeline.checkpoints()]
    np.testing.assert_array_equal(a.timeline.recorded_steps(), b.timeline.recorded_steps())


def test_adam_with_shuffled_mini_batches_continues_bit_for_bit():
    cfg = load_preset("spiral")
    assert cfg.optimizer.name == "adam" and cfg.optimizer.batch_size and cfg.optimizer.shuffle
    straight = Trainer(cfg)
    saved_at = Trainer(cfg)
    for t in (straight, saved_at):
        t.step(333)  # mid-epoch: the batch order of this epoch must come back
        t.record_evaluation()
    again = restore(capture(saved_at))
    assert again.run_id > saved_at.run_id  # a new run for the views, newer than every one shown before
    assert_same_run(saved_at, again)
    for t in (straight, again):
        t.step(700)
        t.record_evaluation()
    assert_same_run(straight, again)


def test_the_timeline_goes_on_thinning_and_checkpointing_as_it_would_have():
    cfg = load_preset("circle")
    straight, first = Trainer(cfg), Trainer(cfg)
    small = dict(recent_bytes=1, older_bytes=1, max_checkpoints=3, checkpoint_every=4)
    for t in (straight, first):  # tiny capacities, so thinning and doubling happen within a few hundred updates
        t.timeline = Timeline(t.layout.size, **small)
        t.timeline.record(0, t.params)
        t.timeline.offer(t.state(), pinned=True)
        t.step(150)
    again = restore(capture(first))
    for t in (straight, again):
        t.step(250)
    assert_same_run(straight, again)
    np.testing.assert_array_equal(straight.timeline.trajectory().params, again.timeline.trajectory().params)
    again.restore_step(straight.timeline.first_step + 5)  # rewinding through the restored checkpoints is exact
    ref = Trainer(cfg)
    ref.step(straight.timeline.first_step + 5)
    assert same_state(again.state(), ref.state())


def test_a_run_saved_between_the_phases_of_an_update_goes_on_from_that_phase():
    cfg = load_preset("xor")
    straight, first = Trainer(cfg), Trainer(cfg)
    for t in (straight, first):
        t.step(40)
        for _ in range(3):
            t.step_phase()
    again = restore(capture(first))
    assert again.next_phase == first.next_phase
    assert_same_run(first, again)
    for t in (straight, again):
        t.step_phase()
        t.step(25)
    assert_same_run(straight, again)


def test_rewinding_across_events_after_reopening_is_exact():
    """A learning rate changed, a weight typed in and new data between checkpoints: the checkpoints of each
    moment keep that moment's config and data, so going back before them after reopening is exact too."""
    cfg = load_preset("circle")
    first = Trainer(cfg)
    first.step(120)
    first.set_learning_rate(0.05)
    first.step(80)
    first.set_parameter(1, "kernel", (0, 1), 0.25)
    first.step(60)
    first.apply_config(replace(first.config, data=replace(first.config.data, noise=0.2)))
    first.step(40)
    again = restore(capture(first))
    assert_same_run(first, again)
    for k in (230, 170, 90):
        first.restore_step(k)
        again.restore_step(k)
        assert_same_run(first, again)
    assert again.learning_rate == cfg.optimizer.learning_rate  # before the change: the config of that moment


def test_a_diverged_run_is_not_saved():
    t = Trainer(load_preset("regression"))
    t.apply_config(replace(t.config, optimizer=replace(t.config.optimizer, name="sgd")))
    t.set_learning_rate(1e5)
    t.step(500)
    assert t.diverged is not None
    with pytest.raises(FfvizError, match="diverged"):
        capture(t)
    t.recover()
    restore(capture(t))  # back where it was still improving: saved


def test_an_envelope_from_its_parts_goes_on_as_the_original():
    a = Envelope(cap=8)
    rng = np.random.default_rng(1)
    values = rng.random(100)
    for i, v in enumerate(values[:37]):
        a.append(float(i), float(v))
    b = Envelope.from_parts(**a.parts())
    for i, v in enumerate(values[37:], start=37):
        a.append(float(i), float(v))
        b.append(float(i), float(v))
    assert_same(a.arrays(), b.arrays())
    with pytest.raises(ValueError):
        Envelope.from_parts(**{**a.parts(), "width": 3})
