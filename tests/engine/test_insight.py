"""The insight views' numbers against independent computations: layer gradient norms by central finite
differences, the vanishing-gradient ordering of deep-sigmoid and its ReLU twin, updates-to-move by hand,
saturation by a direct count, softmax of a typed vector, the signed log scale, and the norm history's bounded
record through rewinds, the training process and sessions."""

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffviz.engine import Trainer, load_preset
from ffviz.engine.insight import (NormHistory, TwinRequest, layer_spread, log_position, log_scale,
                                  preactivations, relu_twin, run_twin, saturation_share, silent_layers,
                                  softmax_of_text, updates_to_move)
from ffviz.engine.requests import answer
from ffviz.engine.session_state import capture, restore
from ffviz.errors import FfvizError


def _bce_loss(x, y, kernels, biases):
    """Deep sigmoid network with binary cross-entropy, written out here (not the engine's pass)."""
    a = x
    for k, b in zip(kernels, biases):
        a = 1.0 / (1.0 + np.exp(-(a @ k + b)))
    return float(np.mean(-(y * np.log(a) + (1 - y) * np.log(1 - a))))


def test_recorded_layer_norms_equal_finite_difference_gradients():
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(4)
    t.step(1)
    tr = t.trace  # update 5: its batch, the weights before it
    ks = [np.array(k) for k in tr.old_kernels]
    bs = [np.array(b) for b in tr.old_biases]
    h = 1e-4  # the first layer's gradient is ~1e-6: a larger h keeps the round-off of J below it
    expect_grad, expect_ratio = [], []
    for li, k in enumerate(ks):
        g = np.zeros_like(k)
        for idx in np.ndindex(k.shape):
            plus = [kk.copy() for kk in ks]
            minus = [kk.copy() for kk in ks]
            plus[li][idx] += h
            minus[li][idx] -= h
            g[idx] = (_bce_loss(tr.x, tr.y, plus, bs) - _bce_loss(tr.x, tr.y, minus, bs)) / (2 * h)
        expect_grad.append(np.sqrt(np.sum(g * g)))
        new = np.array(tr.new_kernels[li])
        expect_ratio.append(np.sqrt(np.sum((new - k) ** 2)) / np.sqrt(np.sum(k * k)))
    norms = t.snapshot().norms
    assert norms.steps[-1] == 5
    np.testing.assert_allclose(norms.last("grad"), expect_grad, rtol=1e-5)
    np.testing.assert_allclose(norms.last("ratio"), expect_ratio, rtol=1e-9)
    # plain SGD: the update is η·g, so the ratio is η‖g‖/‖W‖
    np.testing.assert_allclose(norms.last("ratio"),
                               t.learning_rate * np.array(expect_grad) / [np.linalg.norm(k) for k in ks], rtol=1e-5)


def _median_norms(trainer_or_view):
    return np.median(trainer_or_view.grad, axis=0)


def test_deep_sigmoid_vanishes_towards_the_input_and_its_relu_twin_spreads_less():
    cfg = load_preset("deep-sigmoid")
    t = Trainer(cfg)
    t.step(200)
    sig = _median_norms(t.snapshot().norms)
    assert np.argmin(sig) == 0  # the first layer's gradient is the smallest
    assert np.all(np.diff(sig) > 0)  # and it grows layer by layer towards the output
    assert sig[-1] / sig[0] > 1e3  # "more than three orders of magnitude"
    twin = run_twin(cfg, 200)
    assert twin.step == 200 and twin.diverged is None
    relu = _median_norms(twin.view)
    assert layer_spread(relu) < layer_spread(sig) / 100
    # the preset deep-relu is the same comparison at its own learning rate
    d = Trainer(load_preset("deep-relu"))
    d.step(200)
    assert layer_spread(_median_norms(d.snapshot().norms)) < layer_spread(sig)


def test_layer_spread_and_silent_layers():
    assert layer_spread([1e-6, 1e-3, 0.1]) == pytest.approx(1e5)
    assert layer_spread([0.0, 0.2, np.nan]) == math.inf  # a layer with no gradient at all
    assert math.isnan(layer_spread([0.0, 0.0])) and math.isnan(layer_spread([]))
    assert silent_layers([0.0, 0.3, 0.0]) == [1, 3]


def test_the_twin_is_the_same_network_with_relu_and_he_and_is_refused_for_itself():
    cfg = load_preset("deep-sigmoid")
    twin = relu_twin(cfg)
    assert [l.activation for l in twin.layers] == ["relu"] * 6 + ["sigmoid"]
    assert twin.init.name == "he" and twin.seed == cfg.seed and twin.data == cfg.data
    assert twin.optimizer == cfg.optimizer and [l.units for l in twin.layers] == [l.units for l in cfg.layers]
    with pytest.raises(FfvizError, match="its own twin"):
        relu_twin(twin)


def test_the_twin_run_goes_on_from_its_last_answer_as_a_straight_run():
    cfg = load_preset("deep-sigmoid")
    first = answer(TwinRequest("twin", 1, 120, config=cfg, to_step=120)).value
    on = answer(TwinRequest("twin", 1, 300, config=cfg, to_step=300, previous=first)).value
    straight = run_twin(cfg, 300)
    np.testing.assert_array_equal(on.view.grad, straight.view.grad)
    np.testing.assert_array_equal(on.state.params, straight.state.params)
    assert first.view.steps[-1] == 120  # the first answer is not changed by going on from it


def test_the_history_keeps_a_bounded_evenly_strided_record():
    h = NormHistory(2, cap=8)
    for step in range(1, 101):
        h.record(step, [step, -step], [0.0, 1.0])
    v = h.view()
    assert v.steps.shape[0] <= 8 and h.stride == 16
    assert np.all(v.steps % h.stride == 0) and v.steps[-1] == 96
    np.testing.assert_array_equal(v.grad[:, 0], v.steps)


def test_rewinding_forgets_the_future_norms_and_going_on_records_them_as_a_fresh_run():
    cfg = load_preset("deep-sigmoid")
    a, b = Trainer(cfg), Trainer(cfg)
    a.step(60)
    a.restore_step(25)
    assert a.snapshot().norms.steps[-1] == 25
    a.step(35)
    b.step(60)
    np.testing.assert_array_equal(a.snapshot().norms.grad, b.snapshot().norms.grad)


def test_sessions_keep_the_norms_and_bad_or_missing_norms_load_without_them():
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(40)
    saved = capture(t)
    again = restore(saved)
    np.testing.assert_array_equal(again.snapshot().norms.grad, t.snapshot().norms.grad)
    np.testing.assert_array_equal(again.snapshot().norms.steps, t.snapshot().norms.steps)
    for norms in (None, {"cap": 8}, dict(saved.norms, grad=np.zeros((3, 2)))):
        old = restore(replace(saved, norms=norms))
        assert old.snapshot().norms.steps.size == 0 and old.step_count == 40
        old.step(1)
        assert old.snapshot().norms.steps.tolist() == [41]


def test_updates_to_move_is_the_hand_formula():
    # the slide: from 0.5 to -0.2 with a 5-layer gradient of 0.00001 at η = 1
    assert updates_to_move(0.5, -0.2, 1e-5, 1.0).updates == 70000
    assert updates_to_move(0.5, -0.2, -1e-5, 1.0).updates == 70000  # only |g| matters
    assert updates_to_move(0.0, 1.1, 1.0, 0.1).updates == 11  # 1.1/0.1 = 11.000000000000002 in floats
    assert updates_to_move(0.0, 1.0, 0.3, 1.0).updates == 4  # ⌈3.33…⌉
    assert updates_to_move(0.2, 0.2, 0.3, 1.0).updates == 0
    never = updates_to_move(0.5, -0.2, 0.0, 1.0)
    assert never.updates is None and "never" in never.note
    for args in (("abc", 1, 1, 1), (0, float("nan"), 1, 1), (0, 1, 1, 0), (0, 1, float("inf"), 1)):
        with pytest.raises(FfvizError):
            updates_to_move(*args)


def test_saturation_share_is_a_direct_count():
    z = np.linspace(-6, 6, 1200).reshape(-1, 3)
    direct = np.count_nonzero(np.abs(1 - np.tanh(z) ** 2) < 0.01) / z.size
    assert saturation_share(z, "tanh") == direct
    assert 0.4 < direct < 0.6  # |z| > 2.99 of [-6, 6]
    s = 1 / (1 + np.exp(-z))
    assert saturation_share(z, "sigmoid") == np.count_nonzero(s * (1 - s) < 0.01) / z.size
    assert saturation_share(z, "relu") == np.count_nonzero(z <= 0) / z.size
    assert saturation_share(z, "linear") == 0.0 and saturation_share(z, "step") == 1.0


def test_preactivations_are_the_forward_pass_on_the_training_set():
    cfg = load_preset("circle")
    big = replace(cfg, init=replace(cfg.init, name="normal", sigma=4.0))
    t = Trainer(big)
    state = t.state()
    x = t.dataset.x_train
    a = x
    for layer in range(1, len(big.layers) + 1):
        z = a @ np.array(t.kernels[layer - 1]) + np.array(t.biases[layer - 1])
        p = preactivations(state, layer)
        assert p.count == z.size and p.counts.sum() == z.size
        assert p.low == z.min() and p.high == z.max()
        act = big.layers[layer - 1].activation
        assert p.activation == act
        if act == "tanh":
            assert p.saturated == np.count_nonzero(np.abs(1 - np.tanh(z) ** 2) < 0.01) / z.size
            a = np.tanh(z)
        else:
            break
    with pytest.raises(FfvizError):
        preactivations(state, 99)


def test_a_softmax_layers_saturation_is_counted_per_sample():
    # softmax's g′ (the Jacobian's diagonal a(1 − a)) is of each sample's own row of z: counted over all the
    # samples' z as one row, every a was tiny and nearly every z "saturated"
    t = Trainer(load_preset("softmax"))
    t.step(20)
    p = preactivations(t.state(), len(t.kernels))
    assert p.activation == "softmax"
    out = t.predict(t.dataset.x_train)[-1]  # the softmax of every sample's z
    direct = np.count_nonzero(out * (1 - out) < 0.01) / out.size
    assert p.saturated == direct
    z = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])  # a(1 − a): 2/9 three times; 9.1e−5, 4.5e−5, 4.5e−5
    assert saturation_share(z, "softmax") == 0.5


def test_preactivations_wider_than_the_largest_float_are_still_a_histogram():
    cfg = load_preset("circle")
    t = Trainer(cfg)
    kernels = [np.array(k) for k in t.kernels]
    kernels[0][:] = 0.0
    kernels[0][0, 0], kernels[0][0, 1] = 1e308, -1e308  # z of unit 1 and 2: ±1e308 · x1 (a run blowing up)
    t.set_parameters({(1, "kernel", (i, j)): kernels[0][i, j] for i, j in np.ndindex(kernels[0].shape)})
    p = preactivations(t.state(), 1)
    assert p.counts.sum() + p.nonfinite == p.count and p.edges[0] == p.low and p.edges[-1] == p.high
    assert p.low < -1e307 and p.high > 1e307


def test_softmax_of_a_typed_vector():
    z, s = softmax_of_text("1, 2, 3")
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s, e / e.sum())
    assert z.tolist() == [1.0, 2.0, 3.0]
    assert softmax_of_text("[0.5; −1 2]")[0].tolist() == [0.5, -1.0, 2.0]
    np.testing.assert_allclose(softmax_of_text("1000, 1000")[1], [0.5, 0.5])
    for bad in ("abc", "1", "", "1, nan", "1, 1e9", "1,2,3,4,5,6,7,8,9,10,11", None):
        with pytest.raises(FfvizError):
            softmax_of_text(bad)


def test_signed_log_scale_positions():
    sc = log_scale([0.1, -1e-4, 1e-7, 0.0, np.nan])
    assert sc.top == 0.1 and sc.decades == 7 and math.isclose(sc.floor, 1e-8)  # a decade below 1e-7
    t = log_position([0.1, -1e-4, 1e-7, 0.0, 1e-9, np.nan, -0.01], sc)
    np.testing.assert_allclose(t[[0, 1, 2, 3, 4, 6]], [1.0, -4 / 7, 1 / 7, 0.0, 0.0, -6 / 7])
    assert np.isnan(t[5])
    assert log_scale([]).decades == 1
    assert log_scale([1e-30, 1.0]).decades == 8  # at most MAX_DECADES


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=8))
def test_a_log_scale_is_found_for_any_gradients(values):
    # a diverging run has gradients of 1e200 beside 1e−200: their ratio is inf in floats (it was an
    # OverflowError, and the diagram went undrawn)
    sc = log_scale(values)
    assert 1 <= sc.decades <= 8 and math.isfinite(sc.top) and sc.top > 0
    t = log_position(values, sc)
    assert np.all(np.isnan(t) | (np.abs(t) <= 1))
    assert log_scale([1e200, -1e-200]) == log_scale([1e200, 1e180])  # 8 decades, from the top down


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_typed_softmax_vector_is_a_result_or_one_line(text):
    try:
        z, s = softmax_of_text(text)
    except FfvizError as exc:
        assert "\n" not in str(exc) and 0 < len(str(exc)) < 200
        return
    assert 2 <= z.size <= 10 and np.all(np.isfinite(s)) and math.isclose(float(np.sum(s)), 1.0)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8)),
       st.floats(-1e6, 1e6), st.floats(allow_nan=True, allow_infinity=True), st.floats(-10, 10))
def test_updates_to_move_is_a_count_or_one_line(a, b, g, lr):
    try:
        est = updates_to_move(a, b, g, lr)
    except FfvizError as exc:
        assert "\n" not in str(exc)
        return
    d, step = abs(est.target - est.start), est.step_size
    if est.updates == 0:
        assert d == 0
    elif est.updates is not None:  # n updates cover the distance, n − 1 do not
        assert est.updates * step >= d * (1 - 1e-12) and (est.updates - 1) * step < d
    else:
        assert step == 0 or d / step >= 1e15 or not math.isfinite(d)


def test_a_rewound_snapshot_shows_the_layer_norms_up_to_its_update():
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(60)
    now = t.snapshot().norms
    back = t.snapshot_at(25).norms
    assert back.steps.tolist() == list(range(1, 26))
    np.testing.assert_array_equal(back.grad, now.grad[:25])
    assert t.snapshot().norms.steps[-1] == 60  # the run itself is where it was
