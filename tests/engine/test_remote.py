"""A Trainer handed to a training process and taken back: the same numbers as training it here, bounded waits,
and a clear end whatever happens to the process."""

import pickle
import time
from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.presets import preset_names
from ffviz.engine.remote import ProcessGone, TrainingProcess


def _same_run(a: Trainer, b: Trainer) -> None:
    assert (a.step_count, a.samples_seen, a.run_id, a.learning_rate) == (b.step_count, b.samples_seen, b.run_id,
                                                                          b.learning_rate)
    np.testing.assert_array_equal(a.params, b.params)
    ha, hb = a.history(), b.history()
    for name in ("update_step", "batch_loss", "batch_curve_loss", "eval_step", "train_loss", "test_loss",
                 "train_accuracy"):
        np.testing.assert_array_equal(getattr(ha, name), getattr(hb, name))


@pytest.mark.parametrize("preset", preset_names())
def test_a_pickled_trainer_goes_on_exactly_as_the_original(preset):
    a = Trainer(load_preset(preset))
    a.step(7)
    a.record_evaluation()
    a.step_phase()  # in the middle of an update: the copy completes it as the original does
    b = pickle.loads(pickle.dumps(a))
    for tr in (a, b):
        tr.step(40)
        tr.record_evaluation()
        tr.step(3)
    _same_run(a, b)
    assert a.snapshot().serial == b.snapshot().serial
    assert [f.name for f in a.activations] == [f.name for f in b.activations]


@pytest.fixture
def process():
    procs = []

    def make():
        p = TrainingProcess()
        procs.append(p)
        deadline = time.perf_counter() + 30
        while not p.ready():
            assert time.perf_counter() < deadline, "the training process did not start"
            time.sleep(0.01)
        return p

    yield make
    for p in procs:
        proc = p._proc
        p.close()
        assert proc is None or not proc.is_alive()


def test_the_process_trains_the_same_numbers_and_gives_the_trainer_back(process):
    p = process()
    tr = Trainer(load_preset("circle"))
    tr.step(5)
    p.run(tr)
    time.sleep(0.3)
    kind, snap = p.snapshot(48)
    assert kind == "snapshot" and snap.step > 5 and snap.plane is not None
    # light: what cannot change while it trains (data, config) and what grows with every update stay behind
    assert snap.dataset is None and snap.config is None and snap.history.update_step.size == 0
    assert snap.history.batch_curve_loss.size > 0 and snap.history.eval_step[-1] == snap.step
    assert not snap.kernels[0].flags.writeable and not snap.plane.output.flags.writeable  # read-only, as here
    back, reason, message = p.take_back()
    assert reason == "stopped" and message == "" and not p.running
    assert back.step_count >= snap.step and back.run_id == tr.run_id
    assert not back.params.flags.writeable and not back.dataset.x_train.flags.writeable
    assert back.history().eval_step[-1] == snap.step  # the evaluation made for the snapshot is in the history
    here = Trainer(load_preset("circle"))  # the same updates trained in this process
    here.step(back.step_count)
    np.testing.assert_array_equal(back.params, here.params)
    np.testing.assert_array_equal(back.history().batch_loss, here.history().batch_loss)
    back.step(2)  # and it goes on here (its history buffers are its own again)
    back.record_evaluation()
    p.run(back)  # the same process takes the next one
    time.sleep(0.2)
    assert p.snapshot(48)[1].step > back.step_count


def test_a_run_that_diverges_comes_back_with_the_last_finite_weights(process):
    p = process()
    tr = Trainer(load_preset("regression"))
    tr.apply_config(replace(tr.config, optimizer=replace(tr.config.optimizer, name="sgd")))
    tr.set_learning_rate(1e5)
    p.run(tr)
    deadline = time.perf_counter() + 10
    returned = None
    while returned is None:
        assert time.perf_counter() < deadline
        returned = p.poll_returned()
        time.sleep(0.01)
    back, reason, _ = returned
    assert reason == "diverged" and back.diverged is not None and not p.running
    back.restore_last_finite()
    assert np.all(np.isfinite(back.params))
    p.run(back)  # the process takes a trainer again
    assert p.take_back()[1] in ("stopped", "diverged")


def test_an_update_that_fails_in_the_process_is_reported_in_one_line(process):
    p = process()
    tr = Trainer(load_preset("circle"))
    tr.learning_rate = "fast"  # not a number: the next update raises a TypeError
    p.run(tr)
    deadline, returned = time.perf_counter() + 10, None
    while returned is None:
        assert time.perf_counter() < deadline
        returned = p.poll_returned()
        time.sleep(0.01)
    back, reason, message = returned
    assert reason == "error" and back.step_count == 0
    assert message.startswith("internal error: ") and "\n" not in message


def test_a_process_that_dies_is_seen_at_once(process):
    p = process()
    p.run(Trainer(load_preset("circle")))
    p._proc.kill()
    t0 = time.perf_counter()
    with pytest.raises(ProcessGone):
        p.snapshot(48, timeout=5)
    assert time.perf_counter() - t0 < 2
    assert p._proc is None  # closed
    with pytest.raises(ProcessGone):
        p.run(Trainer(load_preset("circle")))
    p.close()  # closing again is harmless


def test_close_ends_the_process_within_its_bound_even_while_training(process):
    p = process()
    slow = load_preset("circle")
    slow = replace(slow, data=replace(slow.data, samples=100_000), optimizer=replace(slow.optimizer, batch_size=None))
    p.run(Trainer(slow))
    time.sleep(0.2)
    t0 = time.perf_counter()
    proc = p._proc
    p.close(timeout=0.5)
    assert time.perf_counter() - t0 < 1.5 and not proc.is_alive()


def test_the_process_ends_when_its_owner_goes_away(process):
    p = process()
    p.run(Trainer(load_preset("circle")))
    proc = p._proc
    p._conn.close()  # what the operating system does when the window's process dies
    proc.join(5)
    assert not proc.is_alive()
