"""The vanishing-gradient view's layer norms in session files: written and read back exactly; a file without
them (older sessions) or with broken ones opens, the run intact, and the norms start again from the next update."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.session_state import capture, restore
from ffviz.io.session import parse_session, session_bytes
from tests.io.test_session import manifest_of, rezip


@pytest.fixture
def deep_session() -> bytes:
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(30)
    return session_bytes(capture(t))


def reopened(data: bytes) -> Trainer:
    return restore(parse_session(data, "s.ffviz").run)


def test_the_norms_come_back_exactly(deep_session):
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(30)
    again = reopened(deep_session)
    for name in ("steps", "grad", "ratio"):
        np.testing.assert_array_equal(getattr(again.snapshot().norms, name), getattr(t.snapshot().norms, name))
    assert manifest_of(deep_session)["history"]["norms"]["stride"] == 1


@pytest.mark.parametrize("damage", [
    lambda n: None,  # an older session: no norms at all
    lambda n: {**n, "grad": "a99999"},  # an array the file does not hold
    lambda n: {**n, "stride": 3},  # not a power of two
    lambda n: {**n, "stride": "two"},
    lambda n: {k: v for k, v in n.items() if k != "ratio"},
    lambda n: [1, 2, 3],
    lambda n: {**n, "extra": 1},
])
def test_missing_or_broken_norms_open_the_run_without_them(deep_session, damage):
    m = manifest_of(deep_session)
    norms = damage(m["history"]["norms"])
    if norms is None:
        del m["history"]["norms"]
    else:
        m["history"]["norms"] = norms
    t = reopened(rezip(deep_session, m))
    assert t.step_count == 30 and t.snapshot().norms.steps.size == 0
    t.step(2)
    assert t.snapshot().norms.steps.tolist() == [31, 32]
