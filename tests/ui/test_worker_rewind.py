"""The worker's rewind: an earlier update shown exactly, the run kept, branching only when asked."""

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtCore import Signal, Slot

from ffviz.engine import Trainer, load_preset
from ffviz.engine.state import same_state
from ffviz.ui.worker import TrainingWorker, WorkerThread
from tests.engine.compare import assert_same


class Driver(QtCore.QObject):
    step = Signal(int)
    rewind = Signal(int)
    branch = Signal()
    lr = Signal(float)
    drawn = Signal()
    capture = Signal()

    def __init__(self, worker, ack=True):
        super().__init__()
        self.snaps, self.messages, self.ack = [], [], ack
        self.step.connect(worker.step)
        self.rewind.connect(worker.rewind_to)
        self.branch.connect(worker.branch_here)
        self.lr.connect(worker.set_learning_rate)
        self.capture.connect(worker.capture)
        self.captured = []
        worker.run_captured.connect(self.on_captured)
        self.drawn.connect(worker.frame_drawn)
        worker.snapshot_ready.connect(self.on_snapshot)
        worker.failed.connect(self.on_failed)
        self.configs = []
        worker.config_applied.connect(self.on_config)

    @Slot(str, object, object)
    def on_config(self, how, config, base_dir):
        self.configs.append((how, config))

    @Slot(object)
    def on_snapshot(self, snap):
        self.snaps.append(snap)
        if self.ack:
            self.drawn.emit()

    @Slot(object)
    def on_captured(self, saved):
        self.captured.append(saved)

    @Slot(str)
    def on_failed(self, message):
        self.messages.append(message)


@pytest.fixture
def running(qtbot):
    threads = []

    def start(preset="circle", ack=True):
        worker = TrainingWorker(load_preset(preset), use_process=False)
        wt = WorkerThread(worker)
        driver = Driver(worker, ack)
        wt.start()
        threads.append(wt)
        return worker, driver

    yield start
    for wt in threads:
        assert wt.shutdown(2000)


def _fresh(preset, k):
    t = Trainer(load_preset(preset))
    t.step(k)
    return t


def test_rewinding_shows_the_weights_of_update_k_and_keeps_the_run(running, qtbot):
    worker, d = running("circle")
    d.step.emit(300)
    qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1].step == 300)
    d.rewind.emit(120)
    qtbot.waitUntil(lambda: d.snaps[-1].step == 120)
    snap = d.snaps[-1]
    fresh = _fresh("circle", 120)
    assert snap.rewound_from == 300
    for got, want in zip(snap.kernels + snap.biases, fresh.kernels + fresh.biases):
        assert_same(got, want)
    assert_same(snap.trace, fresh.trace)
    assert worker.rewound == 120 and worker.trainer.step_count == 300  # the future is still there
    d.rewind.emit(300)  # End: the newest again
    qtbot.waitUntil(lambda: d.snaps[-1].step == 300)
    assert d.snaps[-1].rewound_from is None and worker.rewound is None
    serials = [s.serial for s in d.snaps]
    assert serials == sorted(serials)  # so no view drops the newest as stale


def test_commands_that_change_the_run_wait_for_a_decision(running, qtbot):
    worker, d = running("circle")
    d.step.emit(200)
    d.rewind.emit(50)
    qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1].step == 50)
    d.step.emit(1)
    d.lr.emit(0.5)
    qtbot.waitUntil(lambda: len(d.messages) == 2)
    assert all(m.startswith("showing update 50 of 200: continue from here") for m in d.messages)
    assert worker.trainer.step_count == 200 and worker.rewound == 50
    assert worker.trainer.learning_rate == load_preset("circle").optimizer.learning_rate
    # the controls are told the run's settings again, so the refused learning rate does not stay typed there
    assert d.configs[-1] == ("same", worker.trainer.config)


def test_continuing_from_k_is_a_fresh_run_stopped_at_k_and_continued(running, qtbot):
    worker, d = running("spiral")
    d.step.emit(400)
    d.rewind.emit(256)  # a checkpoint
    d.branch.emit()
    d.step.emit(37)
    qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1].step == 293 and d.snaps[-1].rewound_from is None)
    fresh = _fresh("spiral", 293)
    assert same_state(worker.trainer.state(), fresh.state())
    assert_same(worker.trainer.trace, fresh.trace)
    np.testing.assert_array_equal(d.snaps[-1].history.batch_loss, fresh.history().batch_loss)


def test_a_drag_is_coalesced_to_its_newest_position(running, qtbot):
    worker, d = running("circle", ack=False)
    d.step.emit(100)
    qtbot.waitUntil(lambda: len(d.snaps) == 1)  # nothing more comes until this one is drawn
    for k in range(90, 40, -5):
        d.rewind.emit(k)
    d.rewind.emit(42)
    qtbot.waitUntil(lambda: worker.rewound == 42)
    assert len(d.snaps) == 1
    d.drawn.emit()
    qtbot.waitUntil(lambda: len(d.snaps) == 2)
    assert d.snaps[-1].step == 42
    d.rewind.emit(500)  # not on the timeline: one line, nothing changes
    qtbot.waitUntil(lambda: bool(d.messages))
    assert d.messages == ["update 500 is not on the timeline (updates 0 to 100)"] and worker.rewound == 42


def test_rewinding_a_run_that_played_in_the_training_process_is_exact(qtbot):
    worker = TrainingWorker(load_preset("circle"))  # playing as fast as it goes trains in a second process
    wt = WorkerThread(worker)
    d = Driver(worker)
    wt.start()
    try:
        QtCore.QMetaObject.invokeMethod(worker, "play", QtCore.Qt.ConnectionType.QueuedConnection)
        qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1].step > 600, timeout=20_000)
        d.rewind.emit(333)  # pauses (the run comes home), then shows 333
        qtbot.waitUntil(lambda: d.snaps[-1].step == 333 and d.snaps[-1].rewound_from is not None, timeout=10_000)
        snap = d.snaps[-1]
        assert not worker.playing
        np.testing.assert_array_equal(snap.params, _fresh("circle", 333).params)
    finally:
        assert wt.shutdown(2000)


def test_a_copy_taken_while_rewound_is_of_the_update_shown(running, qtbot):
    # what "export an animation of the next updates" trains on: the updates after the one on screen
    worker, d = running("circle")
    d.step.emit(300)
    qtbot.waitUntil(lambda: bool(d.snaps) and d.snaps[-1].step == 300)
    d.rewind.emit(120)
    qtbot.waitUntil(lambda: d.snaps[-1].step == 120)
    d.capture.emit()
    qtbot.waitUntil(lambda: bool(d.captured))
    saved = d.captured[-1]
    assert saved.state.step == 120
    np.testing.assert_array_equal(saved.state.params, _fresh("circle", 120).params)
    assert worker.rewound == 120 and worker.trainer.step_count == 300  # the run itself is where it was
