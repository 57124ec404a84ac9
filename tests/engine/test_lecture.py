"""The lecture's worked example, reproduced number for number, phase by phase."""

import numpy as np
import pytest

from ffviz.engine import Phase, Trainer, load_preset


@pytest.fixture
def tr():
    return Trainer(load_preset("lecture"))


def r5(v):
    return round(float(v), 5)


def test_forward_pass(tr):
    assert tr.step_phase() == Phase("forward", 1)
    t = tr.trace
    np.testing.assert_array_equal(t.x, [[0.50, 0.51]])
    assert r5(t.z[0][0, 0]) == 0.379  # Σ = 0.35·0.50 + 0.40·0.51
    assert r5(t.a[1][0, 0]) == 0.59363  # ŷ = σ(Σ)
    assert t.loss is None and t.delta[0] is None  # nothing later than the forward pass is known yet


def test_loss(tr):
    tr.step_phase()
    assert tr.step_phase() == Phase("loss")
    t = tr.trace
    assert t.y[0, 0] == 0.10
    assert r5(t.loss) == 0.12184  # J = ½ (y − ŷ)²
    assert r5(t.dJ_dyhat[0, 0]) == 0.49363  # ∂J/∂ŷ = ŷ − y


def test_backward_pass_and_chain_rule(tr):
    for _ in range(3):
        tr.step_phase()
    assert tr.trace.last_phase == Phase("backward", 1)
    t = tr.trace
    assert r5(t.g_prime[0][0, 0]) == 0.24123  # ∂ŷ/∂Σ = σ(Σ)(1 − σ(Σ))
    assert r5(t.grad_kernels[0][0, 0]) == 0.05954  # ∂J/∂w1
    assert r5(t.grad_kernels[0][1, 0]) == 0.06073  # ∂J/∂w2
    chain = tr.chain_rule(1, "kernel", (0, 0))
    assert [f.role for f in chain.factors] == ["loss", "activation", "input"]
    assert [r5(f.values[0]) for f in chain.factors] == [0.49363, 0.24123, 0.5]
    assert chain.gradient == pytest.approx(t.grad_kernels[0][0, 0], rel=1e-14)
    assert chain.expanded


def test_update_and_the_error_goes_down(tr):
    phases = [tr.step_phase() for _ in range(4)]
    assert phases == [Phase("forward", 1), Phase("loss"), Phase("backward", 1), Phase("update")]
    assert tr.step_count == 1
    new = tr.kernels[0][:, 0]
    assert [r5(v) for v in new] == [0.29046, 0.33927]
    t = tr.trace
    np.testing.assert_array_equal(t.old_kernels[0][:, 0], [0.35, 0.40])
    # The slide's exercise: the next forward pass's error is lower.
    tr.step_phase()
    tr.step_phase()
    assert r5(tr.trace.loss) == 0.11467 < 0.12184


def test_whole_update_equals_phase_by_phase():
    a, b = Trainer(load_preset("lecture")), Trainer(load_preset("lecture"))
    a.step(3)
    for _ in range(12):
        b.step_phase()
    np.testing.assert_array_equal(a.kernels[0], b.kernels[0])
    assert a.step_count == b.step_count == 3


def test_step_completes_a_half_done_update(tr):
    tr.step_phase()
    tr.step_phase()
    assert tr.step(1) == 1
    assert tr.step_count == 1 and tr.next_phase == Phase("forward", 1)
    assert [r5(v) for v in tr.kernels[0][:, 0]] == [0.29046, 0.33927]
