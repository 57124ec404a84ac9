"""The training worker on its QThread: commands between updates, bounded and back-pressured snapshots."""

import time

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot

from ffviz.engine import load_preset
from ffviz.ui.worker import FRAME_SECONDS, MAX_BURST, TrainingWorker, WorkerThread, burst_after


class Driver(QtCore.QObject):
    """Stands in for the window: sends commands, collects snapshots, acknowledges them (or not)."""

    play = Signal()
    pause = Signal()
    step = Signal(int)
    lr = Signal(float)
    speed = Signal(float)
    drawn = Signal()

    def __init__(self, worker, ack=True):
        super().__init__()
        self.snaps, self.ack, self.messages = [], ack, []
        self.play.connect(worker.play)
        self.pause.connect(worker.pause)
        self.step.connect(worker.step)
        self.lr.connect(worker.set_learning_rate)
        self.speed.connect(worker.set_speed)
        self.drawn.connect(worker.frame_drawn)
        worker.snapshot_ready.connect(self.on_snapshot)

    @Slot(str)
    def on_failed(self, message):
        self.messages.append(message)

    @Slot(object)
    def on_snapshot(self, snap):
        self.snaps.append((time.perf_counter(), snap))
        if self.ack:
            self.drawn.emit()


@pytest.fixture
def running(qtbot):
    threads = []

    def start(preset="circle", ack=True):
        worker = TrainingWorker(load_preset(preset))
        wt = WorkerThread(worker)
        driver = Driver(worker, ack)
        wt.start()
        threads.append(wt)
        return worker, driver

    yield start
    for wt in threads:
        assert wt.shutdown(2000)


def test_snapshots_come_at_most_40_a_second_and_show_progress(running, qtbot):
    worker, d = running()
    d.play.emit()
    qtbot.wait(1500)
    d.pause.emit()
    qtbot.waitUntil(lambda: not worker.playing)
    times = [t for t, s in d.snaps if s.step > 0]
    assert len(times) >= 5
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 1 / FRAME_SECONDS * 1.1
    steps = [s.step for _, s in d.snaps]
    assert steps == sorted(steps) and steps[-1] > 100
    serials = [s.serial for _, s in d.snaps]
    assert len(set(serials)) == len(serials)


def test_no_training_and_no_new_snapshot_until_the_last_is_drawn(running, qtbot):
    worker, d = running(ack=False)
    d.play.emit()
    qtbot.wait(500)
    assert len(d.snaps) == 1  # one in flight, never acknowledged
    first = d.snaps[0][1].step
    assert worker.trainer.step_count == first  # it stopped training when it sent the snapshot
    qtbot.wait(300)
    assert len(d.snaps) == 1 and worker.trainer.step_count == first
    d.drawn.emit()  # "drawn": the worker goes on
    qtbot.waitUntil(lambda: len(d.snaps) >= 2, timeout=5000)
    d.pause.emit()


def test_step_is_exactly_one_update(running, qtbot):
    worker, d = running()
    d.step.emit(1)
    qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1][1].step == 1, timeout=5000)
    qtbot.wait(200)
    assert d.snaps[-1][1].step == 1
    d.step.emit(5)
    qtbot.waitUntil(lambda: d.snaps[-1][1].step == 6, timeout=5000)


def test_bad_learning_rate_is_refused_with_a_message(running, qtbot):
    worker, d = running()
    worker.failed.connect(d.on_failed)  # a slot of a GUI-thread QObject: queued, as in the window
    d.lr.emit(float("nan"))
    qtbot.waitUntil(lambda: bool(d.messages), timeout=5000)
    assert "learning rate" in d.messages[0] and "\n" not in d.messages[0]


def seconds_to_shut_down_while_playing(qtbot, config, play_ms: int) -> float:
    """Start a worker on `config`, let it play for `play_ms`, shut it down; how long the shutdown took."""
    worker = TrainingWorker(config)
    wt = WorkerThread(worker)
    d = Driver(worker)
    wt.start()
    d.play.emit()
    qtbot.waitUntil(lambda: worker.playing, timeout=5000)
    qtbot.wait(play_ms)
    t0 = time.perf_counter()
    assert wt.shutdown(2000)
    return time.perf_counter() - t0


def test_shutdown_while_playing_is_prompt(qtbot):
    assert seconds_to_shut_down_while_playing(qtbot, load_preset("deep-relu"), 300) < 1.0


def test_shutdown_is_bounded_even_when_updates_are_slow(qtbot):
    """A large data set (slow updates) must not hold the window's close for longer than its bound."""
    from dataclasses import replace
    cfg = load_preset("circle")
    slow = replace(cfg, data=replace(cfg.data, samples=200_000), optimizer=replace(cfg.optimizer, batch_size=None))
    assert seconds_to_shut_down_while_playing(qtbot, slow, 500) < 1.5


def test_a_set_speed_is_kept(running, qtbot):
    worker, d = running()
    d.speed.emit(20.0)
    d.play.emit()
    qtbot.wait(300)
    start = worker.trainer.step_count
    qtbot.wait(2000)
    d.pause.emit()
    rate = (worker.trainer.step_count - start) / 2.0
    assert 14 <= rate <= 26


def test_bursts_share_the_time_between_training_and_drawing():
    """A window that draws quickly gets FRAME_SECONDS frames; a slower one trains as long as it draws."""
    assert burst_after(0.004) + 0.004 == pytest.approx(FRAME_SECONDS)
    assert burst_after(0.015) == pytest.approx(0.015)
    assert burst_after(0.100) == MAX_BURST
    for draw in (0.001, 0.005, 0.008, 0.012, 0.016, 0.025):
        assert burst_after(draw) >= min(draw, MAX_BURST)
        assert 1 / (burst_after(draw) + draw) <= 1 / FRAME_SECONDS + 1e-9


# ---------------------------------------------------------------- free-running in the training process

def wait_remote(qtbot, worker):
    """The worker hands its Trainer to the training process once that has started (a fresh interpreter)."""
    qtbot.waitUntil(lambda: worker.remote, timeout=30000)


def test_free_running_trains_in_the_process_and_pause_brings_it_back(running, qtbot):
    worker, d = running()
    d.play.emit()
    wait_remote(qtbot, worker)
    first = len(d.snaps)
    qtbot.wait(1000)
    times = [t for t, _ in d.snaps[first:]]
    assert len(times) >= 10  # frames keep coming while the process trains
    assert (len(times) - 1) / (times[-1] - times[0]) <= 1 / FRAME_SECONDS * 1.1
    steps = [s.step for _, s in d.snaps]
    assert steps == sorted(steps) and steps[-1] > steps[first] + 50
    serials = [s.serial for _, s in d.snaps]
    assert len(set(serials)) == len(serials)
    # the worker puts its own data and config into what the process sends: the views need not redraw them
    remote = [s for _, s in d.snaps[first:]]
    assert all(s.dataset is remote[0].dataset and s.config is remote[0].config for s in remote)
    d.pause.emit()
    qtbot.waitUntil(lambda: not worker.playing and not worker.remote, timeout=5000)
    qtbot.waitUntil(lambda: d.snaps[-1][1].step == worker.trainer.step_count, timeout=5000)
    stopped_at = worker.trainer.step_count
    qtbot.wait(300)
    assert worker.trainer.step_count == stopped_at and d.snaps[-1][1].step == stopped_at
    d.step.emit(1)  # and the Trainer taken back steps here, exactly one update
    qtbot.waitUntil(lambda: d.snaps[-1][1].step == stopped_at + 1, timeout=5000)


def test_a_learning_rate_change_reaches_the_run_in_the_process(running, qtbot):
    worker, d = running()
    d.play.emit()
    wait_remote(qtbot, worker)
    d.lr.emit(0.0123)
    qtbot.waitUntil(lambda: d.snaps[-1][1].learning_rate == 0.0123, timeout=5000)
    changed_at = d.snaps[-1][1].step
    wait_remote(qtbot, worker)  # handed over again after the command
    qtbot.waitUntil(lambda: d.snaps[-1][1].step > changed_at + 50, timeout=5000)
    assert worker.playing and d.snaps[-1][1].learning_rate == 0.0123
    d.pause.emit()
    qtbot.waitUntil(lambda: not worker.remote, timeout=5000)
    assert worker.trainer.learning_rate == 0.0123


def test_a_training_process_that_dies_is_reported_and_training_goes_on_here(running, qtbot):
    worker, d = running()
    worker.failed.connect(d.on_failed)
    d.play.emit()
    wait_remote(qtbot, worker)
    qtbot.wait(200)
    shown = d.snaps[-1][1]
    worker.runner.process._proc.kill()
    qtbot.waitUntil(lambda: any("training process stopped" in m for m in d.messages), timeout=10000)
    message = next(m for m in d.messages if "training process stopped" in m)
    assert "\n" not in message and "window's process" in message
    n = len(d.snaps)
    qtbot.waitUntil(lambda: len(d.snaps) > n + 5, timeout=5000)  # still playing, here
    assert worker.playing and not worker.remote
    assert d.snaps[-1][1].serial > shown.serial  # newer than anything shown: the views take it
    d.pause.emit()


def test_divergence_in_the_process_pauses_and_can_be_undone(running, qtbot):
    from dataclasses import replace
    cfg = load_preset("regression")
    worker = TrainingWorker(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd")))
    wt = WorkerThread(worker)
    d = Driver(worker)
    worker.diverged.connect(d.on_failed)  # a queued slot of the driver: records that the signal came
    wt.start()
    try:
        d.play.emit()
        wait_remote(qtbot, worker)
        d.lr.emit(1e5)  # taken back, changed, handed over again: the run blows up in the process
        qtbot.waitUntil(lambda: bool(d.messages), timeout=10000)
        qtbot.waitUntil(lambda: not worker.playing and not worker.remote, timeout=5000)
        qtbot.waitUntil(lambda: d.snaps[-1][1].diverged is not None, timeout=5000)  # the window is shown why
        assert worker.trainer.diverged is not None
        QtCore.QMetaObject.invokeMethod(worker, "recover", QtCore.Qt.ConnectionType.QueuedConnection, QtCore.Q_ARG(bool, False))
        qtbot.waitUntil(lambda: d.snaps[-1][1].diverged is None, timeout=5000)
        assert np.all(np.isfinite(d.snaps[-1][1].kernels[0]))
    finally:
        assert wt.shutdown(2000)


def test_shutdown_while_training_in_the_process_is_prompt_and_ends_it(qtbot):
    import multiprocessing
    worker = TrainingWorker(load_preset("circle"))
    wt = WorkerThread(worker)
    d = Driver(worker)
    wt.start()
    d.play.emit()
    wait_remote(qtbot, worker)
    process = worker.runner.process._proc
    t0 = time.perf_counter()
    assert wt.shutdown(2000)
    assert time.perf_counter() - t0 < 1.0
    assert not process.is_alive() and process not in multiprocessing.active_children()
