"""Requests answered off the GUI thread: the right numbers, only the newest request per channel computed, and
answers that arrive after the run moved on are not taken."""

import itertools
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.requests import Answer, Cancelled, GradientRequest, Request
from ffviz.ui.compute import ComputeThread, Requester
from tests.engine.test_compute_process import WhereAmI


@pytest.fixture
def compute(qtbot):
    ct = ComputeThread()
    ct.start()
    yield ct
    assert ct.shutdown(2000)


def collect(qtbot, ct):
    got = []
    ct.worker.answered.connect(lambda ans: got.append((ans, threading.current_thread() is threading.main_thread())))
    return got


def test_the_gradient_at_the_current_weights_is_answered_off_the_gui_thread(compute, qtbot):
    got = collect(qtbot, compute)
    tr = Trainer(load_preset("lecture"))
    compute.submit(GradientRequest("tangent", tr.run_id, 0, 1, tr.state()))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    ans, on_gui_thread = got[0]
    assert ans.error is None and ans.request.step == 0 and not on_gui_thread
    np.testing.assert_allclose(ans.value.gradient, [0.05954, 0.06073], atol=5e-6)
    assert ans.value.loss == pytest.approx(0.12184, abs=5e-6)


@dataclass(frozen=True, eq=False)
class SlowRequest(Request):
    started: threading.Event = None

    def compute(self, cancelled=lambda: False):
        self.started.set()
        for _ in range(500):  # 5 s unless cancelled between its chunks
            if cancelled():
                raise Cancelled()
            threading.Event().wait(0.01)
        return "finished"


def test_a_newer_request_cancels_the_older_and_only_it_is_answered(compute, qtbot):
    got = collect(qtbot, compute)
    slow = SlowRequest("surface", 1, 10, 1, started=threading.Event())
    compute.submit(slow)
    assert slow.started.wait(5)
    tr = Trainer(load_preset("lecture"))
    compute.submit(GradientRequest("surface", tr.run_id, 11, 2, tr.state()))
    qtbot.waitUntil(lambda: bool(got), timeout=3000)  # far sooner than the 5 s the slow one takes
    qtbot.wait(100)
    assert [a.request.step for a, _ in got] == [11]


def test_an_answer_for_a_step_the_view_has_left_is_dropped():
    sent = []
    req = Requester(sent.append)
    old = Request("surface", 1, 5, 10)
    req.ask(old)
    new = Request("surface", 1, 6, 11)  # the run moved on: the view asks again
    req.ask(new)
    assert sent == [old, new]
    assert not req.wanted(Answer(old, value="stale")) and req.wanted(Answer(new, value="fresh"))
    assert req.wanted(Answer(Request("other", 1, 5, 10))) is False  # never asked on that channel
    req.forget()  # a new run: nothing asked is wanted any more
    assert not req.wanted(Answer(new))


def test_a_failing_request_is_one_line(compute, qtbot):
    got = collect(qtbot, compute)

    @dataclass(frozen=True, eq=False)
    class Broken(Request):
        def compute(self, cancelled=lambda: False):
            raise ZeroDivisionError("division by zero")

    compute.submit(Broken("x", 1, 0))
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got[0][0].error == "internal error: ZeroDivisionError: division by zero"


def test_heavy_requests_go_to_the_compute_process_and_come_home_when_it_dies(compute, qtbot, caplog):
    got = collect(qtbot, compute)
    serial = itertools.count()

    def where() -> int:
        n = len(got)
        compute.submit(WhereAmI("where", 1, 0, next(serial)))
        qtbot.waitUntil(lambda: len(got) > n, timeout=5000)
        ans, on_gui_thread = got[-1]
        assert ans.error is None and not on_gui_thread
        return ans.value

    # answered here while the process starts (started by the first), then there
    for _ in range(300):
        if where() != os.getpid():
            break
        qtbot.wait(20)
    process = compute.worker.process
    assert process is not None and where() == process._proc.pid
    compute.submit(GradientRequest("tangent", 1, 0, 1, Trainer(load_preset("lecture")).state()))
    qtbot.waitUntil(lambda: got[-1][0].request.channel == "tangent", timeout=5000)  # light: answered here
    said = []
    compute.worker.fell_back.connect(said.append)
    with caplog.at_level(logging.WARNING, logger="ffviz.ui.compute"):
        process.kill()
        qtbot.waitUntil(lambda: not process.alive, timeout=5000)
        assert where() == os.getpid()  # gone between two requests: the next is answered here
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    assert len(said) == 1 and said[0].startswith("loss surfaces and races are computed in the window's process")
    assert not compute.worker.use_process and compute.worker.process is None
    assert "computed in the window's process from now on" in caplog.text
    assert where() == os.getpid()  # and stays here


def test_a_request_the_compute_process_died_computing_is_an_error_and_the_next_is_answered_here(compute, qtbot):
    from ffviz.engine.requests import SurfaceViewRequest
    from ffviz.engine.surface import SurfaceRequest
    got = collect(qtbot, compute)
    for serial in range(300):  # until the process answers
        compute.submit(WhereAmI("where", 1, 0, serial))
        qtbot.waitUntil(lambda: len(got) > serial, timeout=5000)
        if got[-1][0].value != os.getpid():
            break
        qtbot.wait(20)
    process = compute.worker.process
    tr = Trainer(load_preset("circle"))
    slow = SurfaceRequest.two_weights(0, 3, resolution=401, method="plain")  # seconds of work there
    compute.submit(SurfaceViewRequest("surface", tr.run_id, 0, 1, tr.state(), slow))
    qtbot.wait(300)
    n = len(got)
    process.kill()  # as an out-of-memory kill would, in the middle of it
    qtbot.waitUntil(lambda: len(got) > n, timeout=5000)
    ans = got[-1][0]
    assert ans.request.channel == "surface" and ans.value is None
    assert ans.error.startswith("the compute process ended while computing this")  # not run again here
    compute.submit(WhereAmI("where", 1, 0, 999))
    qtbot.waitUntil(lambda: got[-1][0].request.serial == 999, timeout=5000)
    assert got[-1][0].value == os.getpid() and not compute.worker.use_process
