"""A run trained in the training process and taken in at home: the same numbers and the same snapshots as
training it here, bounded waits, and a clear end whatever happens to the process."""

import time
from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.presets import preset_names
from ffviz.engine.snapshot import readonly
from ffviz.engine.state import same_state
from ffviz.engine.training_process import ProcessGone, Returned, Runner, TrainingProcess
from tests.engine.compare import assert_same, assert_same_snapshot


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


def _replay(config, steps_and_evals, resolution):
    """The same run trained here: `steps_and_evals` are the steps at which it was evaluated, in order."""
    tr = Trainer(config)
    for step in steps_and_evals:
        tr.step(step - tr.step_count)
        tr.record_evaluation()
    return tr


@pytest.mark.parametrize("preset", ["circle", "spiral", "softmax", "lecture"])
def test_snapshots_are_the_same_whichever_runner_trained(preset):
    runner = Runner(Trainer(load_preset(preset)))
    runner.trainer.step(3)
    runner.trainer.step_phase()  # handed over mid-update: the process completes it as here
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline, "the training process did not start"
        time.sleep(0.01)
    snaps = []
    for _ in range(3):
        time.sleep(0.15)
        snaps.append(runner.snapshot(48))
    runner.come_home()
    assert not runner.away
    home = runner.trainer
    try:
        far = snaps[-1]
        assert far.step > 4 and far.state.step == far.step
        evals = [int(s) for s in far.history.eval_step[1:]]
        here = _replay(load_preset(preset), evals, 48)
        assert_same_snapshot(replace(far, run_id=0), replace(here.snapshot(plane_resolution=48), run_id=0))
        # and what came home after the last frame is the run trained here for as many updates
        here.step(home.step_count - here.step_count)
        assert same_state(home.state(), here.state())
        assert_same(home.history(), here.history())
        assert_same(home.timeline.trajectory(), here.timeline.trajectory())
        assert [c.step for c in home.timeline.checkpoints()] == [c.step for c in here.timeline.checkpoints()]
    finally:
        runner.end()


def test_snapshots_from_the_process_are_read_only_and_share_the_home_data():
    runner = Runner(Trainer(load_preset("circle")))
    home = runner.home_copy
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    try:
        time.sleep(0.2)
        snap = runner.snapshot(16)
        assert snap.dataset is home.dataset and snap.config is home.config  # views need not redraw them
        for a in (snap.kernels[0], snap.plane.output, snap.trajectory.params, snap.state.params,
                  snap.history.train_loss, snap.trace.z[0]):
            assert not a.flags.writeable
        assert snap.history.eval_step[-1] == snap.step  # evaluated for this frame, in the process
    finally:
        runner.end()


def test_the_process_trains_the_same_numbers_and_takes_the_next_run(process):
    p = process()
    tr = Trainer(load_preset("circle"))
    tr.step(5)
    p.run(tr.state(), tr.run_id)
    time.sleep(0.3)
    kind, progress = p.frame(48)
    assert kind == "progress" and progress.state.step > 5 and progress.plane is not None
    assert progress.state.dataset is None  # the data stays at home: it cannot change while the run is away
    tr.absorb(progress)
    back, reason, message = p.take_back()
    assert reason == "stopped" and message == "" and not p.running
    tr.absorb(back)
    here = Trainer(load_preset("circle"))
    here.step(tr.step_count)
    np.testing.assert_array_equal(tr.params, here.params)
    np.testing.assert_array_equal(tr.history().batch_loss, here.history().batch_loss)
    tr.step(2)  # and it goes on here
    p.run(tr.state(), tr.run_id)  # the same process takes the next one
    time.sleep(0.2)
    assert p.frame(48)[1].state.step > tr.step_count


def test_a_run_that_diverges_comes_home_and_recovers():
    returned = []
    cfg = load_preset("regression")
    tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd")))
    tr.set_learning_rate(1e5)
    runner = Runner(tr, on_returned=returned.append)
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    try:
        while not returned:
            assert time.perf_counter() < deadline, "the run never came back"
            runner.poll()
            time.sleep(0.01)
        assert returned == [Returned("diverged")] and not runner.away
        home = runner.trainer
        assert home.diverged is not None
        home.recover(divide_learning_rate=True)
        assert np.all(np.isfinite(home.params)) and home.learning_rate == pytest.approx(1e4)
    finally:
        runner.end()


def test_an_update_that_fails_in_the_process_is_reported_in_one_line():
    returned = []
    cfg = load_preset("circle")
    tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name="momentum")))
    bad = replace(tr.state(), optimizer=(1, readonly(np.zeros(3)), None))  # a velocity of the wrong shape
    tr.restore_state(bad)
    runner = Runner(tr, on_returned=returned.append)
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    try:
        while not returned:
            assert time.perf_counter() < deadline
            runner.poll()
            time.sleep(0.01)
        (r,) = returned
        assert r.reason == "error" and r.message.startswith("internal error: ") and "\n" not in r.message
        assert runner.home_copy.step_count == 0
    finally:
        runner.end()


def test_a_process_that_dies_is_seen_at_once_and_the_run_goes_on_at_home():
    lost = []
    runner = Runner(Trainer(load_preset("circle")), on_lost=lost.append)
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    shown = runner.snapshot(16)
    runner.process._proc.kill()
    t0 = time.perf_counter()
    assert runner.snapshot(16) is None
    assert time.perf_counter() - t0 < 2
    assert lost and "training process stopped" in lost[0] and "\n" not in lost[0]
    assert not runner.away and runner.process is None and not runner.use_process
    assert runner.trainer.step_count == shown.step  # from the last progress taken in
    assert runner.trainer.step(3) == 3


def test_a_killed_process_cannot_take_a_run(process):
    p = process()
    tr = Trainer(load_preset("circle"))
    p.run(tr.state(), tr.run_id)
    p._proc.kill()
    with pytest.raises(ProcessGone):
        p.frame(48, timeout=5)
    assert p._proc is None  # closed
    with pytest.raises(ProcessGone):
        p.run(tr.state(), tr.run_id)
    p.close()  # closing again is harmless


def test_close_ends_the_process_within_its_bound_even_while_training(process):
    p = process()
    slow = load_preset("circle")
    slow = replace(slow, data=replace(slow.data, samples=100_000), optimizer=replace(slow.optimizer, batch_size=None))
    tr = Trainer(slow)
    p.run(tr.state(), tr.run_id)
    time.sleep(0.2)
    t0 = time.perf_counter()
    proc = p._proc
    p.close(timeout=0.5)
    assert time.perf_counter() - t0 < 1.5 and not proc.is_alive()


def test_the_process_ends_when_its_owner_goes_away(process):
    p = process()
    tr = Trainer(load_preset("circle"))
    p.run(tr.state(), tr.run_id)
    proc = p._proc
    p._conn.close()  # what the operating system does when the window's process dies
    proc.join(5)
    assert not proc.is_alive()


@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_goes_on_identically_from_its_state(preset):
    """What the training process does with a run: resume it from its TrainerState (also mid-update)."""
    a = Trainer(load_preset(preset))
    a.step(7)
    a.record_evaluation()
    a.step_phase()
    b = Trainer.resume(a.state(), a.run_id)
    for tr in (a, b):
        tr.step(40)
    assert same_state(a.state(), b.state())
    np.testing.assert_array_equal(a.history().batch_loss[-40:], b.history().batch_loss[-40:])


def _answer_and_exit(conn):
    conn.send("up")
    conn.close()


def test_two_threads_spawning_at_once_leave_the_main_module_in_place():
    import sys
    import threading

    from ffviz.engine.training_process import spawn
    main = sys.modules["__main__"]
    started = []

    def spawn_some():
        for _ in range(4):
            started.append(spawn(_answer_and_exit, "ffviz-test"))

    threads = [threading.Thread(target=spawn_some) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sys.modules["__main__"] is main
    for conn, proc in started:
        assert conn.poll(30) and conn.recv() == "up"
        proc.join(10)
        conn.close()
    assert len(started) == 8
