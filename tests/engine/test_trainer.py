"""The trainer's mechanics: phases, reproducibility, history, snapshots, divergence, live changes."""

from dataclasses import FrozenInstanceError, replace

import numpy as np
import pytest

from ffviz.engine import Phase, Trainer, load_preset
from ffviz.errors import FfvizError


def test_same_config_and_seed_give_an_identical_run():
    a, b = Trainer(load_preset("circle")), Trainer(load_preset("circle"))
    a.step(200)
    b.step(200)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.history().batch_loss, b.history().batch_loss)


def test_another_seed_gives_another_run():
    a = Trainer(load_preset("circle"))
    b = Trainer(replace(load_preset("circle"), seed=99))
    assert not np.array_equal(a.params, b.params)


def test_reset_restores_the_initial_weights_and_history():
    tr = Trainer(load_preset("circle"))
    initial = tr.params.copy()
    run = tr.run_id
    tr.step(50)
    assert not np.array_equal(tr.params, initial)
    tr.reset()
    np.testing.assert_array_equal(tr.params, initial)
    assert tr.step_count == 0 and tr.run_id != run and len(tr.history().eval_step) == 1


def test_phases_run_in_the_lecture_order():
    tr = Trainer(load_preset("circle"))  # 3 layers
    assert tr.phases() == [Phase("forward", 1), Phase("forward", 2), Phase("forward", 3), Phase("loss"),
                           Phase("backward", 3), Phase("backward", 2), Phase("backward", 1), Phase("update")]
    done = [tr.step_phase() for _ in range(8)]
    assert done == tr.phases() and tr.step_count == 1


def test_every_number_of_the_update_is_readable_after_the_backward_pass():
    tr = Trainer(load_preset("circle"))
    for _ in range(7):
        tr.step_phase()
    t = tr.trace
    n = t.x.shape[0]
    assert all(z.shape == (n, u) for z, u in zip(t.z, (4, 2, 1)))
    # δ of a tanh layer is ∂J/∂a ⊙ g'(z), with ∂J/∂a = δ_next · kernel_nextᵀ
    np.testing.assert_allclose(t.delta[1], (t.delta[2] @ tr.kernels[2].T) * t.g_prime[1], rtol=1e-12)
    np.testing.assert_allclose(t.grad_kernels[0], t.x.T @ t.delta[0], rtol=1e-12)
    np.testing.assert_allclose(t.grad_biases[0], t.delta[0].sum(axis=0), rtol=1e-12, atol=1e-16)
    assert t.old_kernels is None  # no update yet
    tr.step_phase()
    t = tr.trace
    for old, new, g in zip(t.old_kernels, t.new_kernels, t.grad_kernels):
        np.testing.assert_allclose(new, old - 0.1 * g, rtol=1e-12, atol=1e-15)  # plain SGD, η = 0.1


def test_minibatches_cover_each_epoch_once_and_reshuffle():
    tr = Trainer(load_preset("circle"))  # batch size 10
    n = tr.dataset.x_train.shape[0]
    seen = []
    for _ in range(n // 10):
        tr.step_phase()
        seen.append(tr.trace.batch_indices.copy())
        while tr.next_phase != Phase("forward", 1):
            tr.step_phase()
    epoch1 = np.concatenate(seen)
    assert sorted(epoch1) == list(range(n)) and tr.epoch == pytest.approx(1.0)
    tr.step_phase()
    assert not np.array_equal(tr.trace.batch_indices, epoch1[:10])  # a fresh order for epoch 2


def test_full_batch_uses_the_whole_training_set():
    tr = Trainer(load_preset("lecture"))
    tr.step_phase()
    assert tr.trace.batch_indices is None


def test_snapshot_is_immutable_and_unaffected_by_later_training():
    tr = Trainer(load_preset("circle"))
    tr.step(3)
    tr.record_evaluation()
    snap = tr.snapshot(plane_resolution=16)
    kernel = snap.kernels[0].copy()
    hist = snap.history.train_loss.copy()
    with pytest.raises(FrozenInstanceError):
        snap.step = 7
    with pytest.raises(ValueError):
        snap.kernels[0][0, 0] = 1.0
    with pytest.raises(ValueError):
        snap.history.train_loss[0] = 1.0
    with pytest.raises(ValueError):
        snap.trace.z[0][0, 0] = 1.0
    tr.step(20)
    tr.record_evaluation()
    np.testing.assert_array_equal(snap.kernels[0], kernel)
    np.testing.assert_array_equal(snap.history.train_loss, hist)
    assert snap.step == 3 and tr.snapshot().serial > snap.serial


def test_snapshot_plane_matches_the_network():
    tr = Trainer(load_preset("circle"))
    snap = tr.snapshot(plane_resolution=9)
    p = snap.plane
    assert p.output.shape == (9, 9, 1) and [l.shape[0] for l in p.layers] == [2, 4, 2, 1]
    r, c = 2, 7
    x = np.array([[p.x1[c], p.x2[r]]])
    assert p.output[r, c, 0] == pytest.approx(tr.predict(x)[-1][0, 0], rel=1e-12)
    assert p.layers[1][3, r, c] == pytest.approx(tr.predict(x)[1][0, 3], rel=1e-12)


def test_learning_rate_changes_between_updates_without_reset():
    tr = Trainer(load_preset("lecture"))
    tr.step(1)
    tr.set_learning_rate(0.5)
    before = tr.params.copy()
    tr.step_phase(), tr.step_phase(), tr.step_phase()
    g = tr.trace.grad_kernels[0]
    tr.step_phase()
    np.testing.assert_allclose(tr.kernels[0], before.reshape(2, 1) - 0.5 * g, rtol=1e-14)
    assert tr.step_count == 2


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -1.0, "abc", None, 1e9])
def test_bad_learning_rates_are_refused_and_change_nothing(bad):
    tr = Trainer(load_preset("lecture"))
    with pytest.raises(FfvizError) as err:
        tr.set_learning_rate(bad)
    assert "\n" not in str(err.value)
    assert tr.learning_rate == 1.0


def test_divergence_stops_training_and_the_last_finite_weights_come_back():
    tr = Trainer(load_preset("regression"))
    tr.apply_config(replace(tr.config, optimizer=replace(tr.config.optimizer, name="sgd")))
    tr.set_learning_rate(1e5)
    done = tr.step(500)
    assert done < 500 and tr.diverged is not None
    assert "non-finite" in tr.diverged.reason and "\n" not in tr.diverged.reason
    assert tr.step(10) == 0  # refuses to go on
    tr.recover()
    assert tr.diverged is None and tr.step_count == tr.history().eval_step[-1]
    assert np.all(np.isfinite(tr.params)) and np.isfinite(tr.evaluate().train_loss)
    tr.set_learning_rate(0.001)
    assert tr.step(5) == 5


def test_hand_edited_weight_is_used_and_recorded():
    tr = Trainer(load_preset("lecture"))
    tr.set_parameter(1, "kernel", (1, 0), 0.1)
    assert tr.kernels[0][1, 0] == 0.1
    tr.step_phase()
    assert tr.trace.z[0][0, 0] == pytest.approx(0.35 * 0.5 + 0.1 * 0.51)
    with pytest.raises(FfvizError):
        tr.set_parameter(1, "kernel", (5, 0), 1.0)
    with pytest.raises(FfvizError):
        tr.set_parameter(1, "bias", (0,), 1.0)  # the lecture's neuron has no bias
    with pytest.raises(FfvizError):
        tr.set_parameter(1, "kernel", (0, 0), float("nan"))


def test_editing_mid_update_restarts_that_update_on_the_same_batch():
    tr = Trainer(load_preset("circle"))
    tr.step_phase()
    idx = tr.trace.batch_indices.copy()
    tr.step_phase()
    tr.set_parameter(2, "bias", (0,), 0.5)
    assert tr.next_phase == Phase("forward", 1)
    tr.step_phase()
    np.testing.assert_array_equal(tr.trace.batch_indices, idx)


def test_apply_config_live_data_and_rebuild():
    tr = Trainer(load_preset("circle"))
    tr.step(10)
    params = tr.params.copy()
    cfg = tr.config
    assert tr.apply_config(replace(cfg, optimizer=replace(cfg.optimizer, name="adam"))) == "live"
    np.testing.assert_array_equal(tr.params, params)
    assert tr.apply_config(replace(tr.config, data=replace(cfg.data, noise=0.3))) == "data"
    np.testing.assert_array_equal(tr.params, params)
    assert tr.step_count == 10
    layers = cfg.layers[:1] + (replace(cfg.layers[1], units=3),) + cfg.layers[2:]
    assert tr.apply_config(replace(tr.config, layers=layers)) == "rebuild"
    assert tr.step_count == 0 and tr.kernels[1].shape == (4, 3)


def test_data_must_fit_the_network():
    cfg = load_preset("circle")
    with pytest.raises(FfvizError, match="output layer"):
        Trainer(replace(cfg, data=replace(cfg.data, name="blobs-k")))


def test_every_optimizer_lowers_the_loss():
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        cfg = load_preset("circle")
        lr = 0.01 if name in ("adam", "rmsprop") else 0.1
        tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name=name, learning_rate=lr)))
        start = tr.evaluate().train_loss
        tr.step(600)
        assert tr.evaluate().train_loss < 0.8 * start, name


def test_adam_first_step_is_learning_rate_times_sign_of_gradient():
    cfg = load_preset("lecture")
    tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name="adam", learning_rate=0.01)))
    tr.step(1)
    np.testing.assert_allclose(tr.trace.new_kernels[0] - tr.trace.old_kernels[0],
                               -0.01 * np.sign(tr.trace.grad_kernels[0]), rtol=1e-6)


def test_momentum_accumulates_velocity():
    cfg = load_preset("lecture")
    tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name="momentum", learning_rate=0.1,
                                                momentum=0.9)))
    tr.step(1)
    g1 = tr.trace.grad_kernels[0]
    tr.step(1)
    t = tr.trace
    np.testing.assert_allclose(t.new_kernels[0] - t.old_kernels[0], 0.9 * (-0.1 * g1) - 0.1 * t.grad_kernels[0],
                               rtol=1e-12)


def test_frozen_bias_does_not_train():
    cfg = load_preset("circle")
    layers = (replace(cfg.layers[0], train_bias=False, bias=(0.5, 0.5, 0.5, 0.5)),) + cfg.layers[1:]
    tr = Trainer(replace(cfg, layers=layers))
    tr.step(20)
    np.testing.assert_array_equal(tr.biases[0], [0.5] * 4)
    assert not np.all(tr.biases[1] == 0)


def test_history_records_batch_loss_per_update_and_evaluations_on_request():
    tr = Trainer(load_preset("lecture"))
    tr.step(3)
    h = tr.history()
    np.testing.assert_array_equal(h.update_step, [0, 1, 2])
    assert h.batch_loss[0] == pytest.approx(0.12184, abs=5e-6)
    tr.record_evaluation()
    assert list(tr.history().eval_step) == [0, 3]


def test_a_bad_config_changes_nothing():
    tr = Trainer(load_preset("circle"))
    tr.step(5)
    params, step, cfg = tr.params.copy(), tr.step_count, tr.config
    bad = replace(cfg, data=replace(cfg.data, name="blobs-k"))  # 3 classes for a 1-unit output
    for attempt in (lambda: tr.apply_config(bad), lambda: tr.load(bad)):
        with pytest.raises(FfvizError):
            attempt()
        assert tr.config is cfg and tr.step_count == step
        np.testing.assert_array_equal(tr.params, params)
    assert tr.step(1) == 1


def test_changing_the_data_mid_update_starts_the_update_again_on_the_new_data():
    cfg = load_preset("xor")  # batch size 10
    tr = Trainer(replace(cfg, data=replace(cfg.data, samples=200)))
    tr.step(3)
    tr.step_phase()
    assert tr.apply_config(replace(tr.config, data=replace(tr.config.data, samples=100))) == "data"
    assert tr.next_phase == Phase("forward", 1) and tr.epoch == 0.0
    assert tr.step(20) == 20  # no batch index from the old, larger data set
    assert tr.trace.batch_indices.max() < tr.dataset.x_train.shape[0]


def test_a_new_activation_or_loss_keeps_the_weights():
    tr = Trainer(load_preset("circle"))
    tr.step(5)
    params = tr.params.copy()
    layers = (replace(tr.config.layers[0], activation="relu"),) + tr.config.layers[1:]
    assert tr.apply_config(replace(tr.config, layers=layers)) == "live"
    np.testing.assert_array_equal(tr.params, params)
    assert tr.activations[0].name == "relu" and tr.step_count == 5
    tr.step_phase()
    np.testing.assert_array_equal(tr.trace.a[1], np.maximum(tr.trace.z[0], 0))  # the new function is used
    assert tr.apply_config(replace(tr.config, loss="half_squared_error")) == "live"
    assert tr.evaluate().train_loss == pytest.approx(
        np.mean(0.5 * np.sum((tr.predict(tr.dataset.x_train)[-1] - tr.dataset.y_train) ** 2, axis=1)))


def test_a_non_finite_initial_loss_is_refused_and_changes_nothing():
    big = {"layers": [{"units": 1}, {"units": 1, "activation": "linear"}], "loss": "half_squared_error",
           "data": {"x": [[1e200], [2e200]], "y": [[1e200], [3e200]]}}
    from ffviz.engine import from_dict
    tr = Trainer(load_preset("lecture"))
    with pytest.raises(FfvizError, match="not a finite number"):
        tr.load(from_dict(big))
    assert tr.config.name == "lecture" and tr.step(1) == 1


def test_restore_keeps_the_shuffle_order_reproducible():
    cfg = load_preset("regression")
    cfg = replace(cfg, optimizer=replace(cfg.optimizer, name="sgd", learning_rate=1e5))
    tr = Trainer(cfg)
    tr.step(500)
    assert tr.diverged is not None
    tr.recover()
    assert tr._ckpt.rng_state == tr._shuffle_rng.bit_generator.state


def test_history_arrays_cannot_be_made_writable_again():
    tr = Trainer(load_preset("circle"))
    tr.step(3)
    h = tr.history()
    with pytest.raises(ValueError):
        h.batch_loss.flags.writeable = True
    with pytest.raises(ValueError):
        h.batch_curve_loss.flags.writeable = True
    with pytest.raises(ValueError):
        h.eval_step[:1].flags.writeable = True


@pytest.mark.parametrize("preset", ["lecture", "circle", "spiral"])
def test_stepping_back_a_phase_then_forward_gives_identical_numbers(preset):
    from tests.engine.compare import assert_same
    tr = Trainer(load_preset(preset))
    tr.step(3)
    n = len(tr.phases())
    traces = []
    for _ in range(n + 2):  # one whole update and two phases of the next, phase by phase
        tr.step_phase()
        traces.append((tr.trace, tr.next_phase, tr.step_count))
    for k in range(n + 1):  # back to the first phase of update 4 …
        assert tr.step_back_phase()
        trace, next_phase, step = traces[-2 - k]
        assert_same(tr.trace, trace)
        assert tr.next_phase == next_phase and tr.step_count == step
    for k in range(n + 1):  # … and forward again: the same numbers
        tr.step_phase()
        assert_same(tr.trace, traces[k + 1][0])
    assert tr.history().eval_step[0] == 0


def test_there_is_no_phase_before_the_start():
    tr = Trainer(load_preset("lecture"))
    assert not tr.step_back_phase()
    tr.step_phase()
    assert tr.step_back_phase() and tr.trace is None and tr.step_count == 0


def test_going_back_after_divergence_lands_where_the_run_was_still_improving():
    """The banner's "go back" is not the last finite weights (J ≈ 10¹²⁵ there): it is the last update whose loss
    had not started to blow up, and "η ÷ 10" divides the learning rate of that update."""
    cfg = load_preset("regression")
    tr = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, name="sgd")))
    tr.step(100)
    improving, rate = tr.evaluate().train_loss, tr.learning_rate
    tr.set_learning_rate(3.0)  # thirty times too large: the loss grows for a while, then overflows
    tr.step(5000)
    assert tr.diverged is not None
    k = tr.diverged.restore_step
    assert k <= 100 < tr.step_count
    tr.recover(divide_learning_rate=True)
    assert tr.diverged is None and tr.step_count == k
    assert tr.evaluate().train_loss <= 1.5 * improving
    assert tr.learning_rate == pytest.approx(rate / 10)
