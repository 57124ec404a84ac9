"""Surfaces and races answered in the compute process: the same numbers as here, read-only, cancelled when
stale, one line when a request fails, and a clear end when the process goes."""

import os
import time
from dataclasses import dataclass

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.compute_process import ComputeProcess
from ffviz.engine.race import Contender, RaceRequest
from ffviz.engine.requests import RaceViewRequest, Request, SurfaceViewRequest, answer
from ffviz.engine.surface import SurfaceRequest
from ffviz.engine.training_process import ProcessGone


@pytest.fixture(scope="module")
def process():
    p = ComputeProcess()
    deadline = time.perf_counter() + 30
    while not p.ready():
        assert time.perf_counter() < deadline, "the compute process did not start"
        time.sleep(0.01)
    yield p
    proc = p._proc
    p.close()
    assert proc is None or not proc.is_alive()


@pytest.fixture(scope="module")
def run():
    tr = Trainer(load_preset("circle"))
    tr.step(25)
    return tr


def _surface(tr, surface, serial=0):
    return SurfaceViewRequest("surface", tr.run_id, tr.step_count, serial, tr.state(), surface,
                              tr.timeline.trajectory())


def _arrays_equal(a, b, path="value"):
    """Every field of two answers' values equal, arrays exactly; returns the arrays seen."""
    seen = []
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
        return [a]
    if hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            seen += _arrays_equal(getattr(a, name), getattr(b, name), f"{path}.{name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            seen += _arrays_equal(x, y, f"{path}[{i}]")
    else:
        assert a == b or (a != a and b != b), path
    return seen


@pytest.mark.parametrize("surface", [SurfaceRequest.two_weights(0, 3, resolution=21),
                                     SurfaceRequest.random_plane(seed=3, resolution=15),
                                     SurfaceRequest.pca_plane(resolution=15, dtype="float64")],
                         ids=["weights", "random", "pca"])
def test_a_surface_computed_there_is_the_surface_computed_here(process, run, surface):
    req = _surface(run, surface)
    there, here = process.compute(req), answer(req)
    assert there.request is req and there.error is None
    arrays = _arrays_equal(there.value, here.value)
    assert arrays and not any(a.flags.writeable for a in arrays)  # as read-only as the snapshots


def test_a_race_computed_there_is_the_race_computed_here(process, run):
    lay = run.layout
    race = RaceRequest((lay.position("kernel1[0,0]"), lay.position("kernel1[1,0]")),
                       (Contender(learning_rate=0.03), Contender(learning_rate=3.0), Contender("adam")), 40)
    req = RaceViewRequest("race", run.run_id, run.step_count, 0, run.state(), race)
    there, here = process.compute(req), answer(req)
    assert there.error is None and len(there.value.paths) == 3
    _arrays_equal(there.value, here.value)


def test_a_stale_request_stops_there_and_the_next_is_answered(process, run):
    # the plain path over 401² points takes over ten seconds here; stale after 0.2 s, it stops at a chunk
    slow = _surface(run, SurfaceRequest.two_weights(0, 3, resolution=401, method="plain"))
    t0 = time.perf_counter()
    assert process.compute(slow, lambda: time.perf_counter() - t0 > 0.2) is None
    assert time.perf_counter() - t0 < 2.0
    quick = process.compute(_surface(run, SurfaceRequest.two_weights(0, 3, resolution=11)))
    assert quick.error is None and quick.value.loss.shape == (11, 11)


def test_a_request_that_fails_there_is_one_line(process, run):
    # a PCA plane needs the run's path; this request has none
    req = SurfaceViewRequest("surface", run.run_id, run.step_count, 0, run.state(), SurfaceRequest.pca_plane())
    ans = process.compute(req)
    assert ans.value is None and ans.error == answer(req).error and "trajectory" in ans.error
    assert "\n" not in ans.error


@dataclass(frozen=True, eq=False)
class WhereAmI(Request):
    """A heavy request that answers with the id of the process that computed it (tests/ui/test_compute.py)."""

    offload = True

    def compute(self, cancelled=lambda: False):
        return os.getpid()


def test_a_heavy_request_is_computed_there(process):
    assert process.compute(WhereAmI("where", 1, 0)).value == process._proc.pid != os.getpid()


def _refuse():
    raise RuntimeError("refused to unpickle")


@dataclass(frozen=True, eq=False)
class Unloadable(Request):
    def __reduce__(self):  # pickles here, fails where it is unpickled
        return (_refuse, ())


def test_a_request_that_does_not_arrive_whole_is_one_line_and_the_process_goes_on(process, run):
    ans = process.compute(Unloadable("x", 1, 0))
    assert ans.value is None and ans.error.startswith("internal error: the request did not arrive whole")
    assert process.compute(_surface(run, SurfaceRequest.random_plane(resolution=5))).error is None


def test_abort_does_not_wait_and_a_killed_process_is_gone(run):
    p = ComputeProcess()
    deadline = time.perf_counter() + 30
    while not p.ready():
        assert time.perf_counter() < deadline
        time.sleep(0.01)
    slow = _surface(run, SurfaceRequest.two_weights(0, 3, resolution=401, method="plain"))
    t0 = time.perf_counter()
    assert p.compute(slow, abort=lambda: time.perf_counter() - t0 > 0.1) is None
    assert time.perf_counter() - t0 < 1.0
    p.kill()
    with pytest.raises(ProcessGone):
        p.compute(slow)
    assert not p.alive
    with pytest.raises(ProcessGone):
        p.compute(slow)  # closed: says so again
