"""optimizer.train_only: "freeze the others" of the loss surface. Frozen parameters never move, under any rule;
the free ones take exactly the steps the rule gives them; the setting survives files, restores and races."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine.config import from_dict, to_dict, train_only_mask, without_stale_train_only, validate
from ffviz.engine.network import Network
from ffviz.engine.presets import load_preset
from ffviz.engine.race import Contender, RaceRequest, run_race
from ffviz.engine.trainer import Trainer
from ffviz.errors import FfvizError

FREE = ("kernel1[0,0]", "kernel1[1,0]")


def _frozen(name="circle", optimizer="sgd", train_only=FREE, **opt):
    cfg = load_preset(name)
    return validate(replace(cfg, optimizer=replace(cfg.optimizer, name=optimizer, train_only=train_only, **opt)))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_only_the_named_parameters_move(optimizer):
    t = Trainer(_frozen(optimizer=optimizer, batch_size=16))
    p0 = t.params.copy()
    t.step(30)
    moved = set(np.nonzero(t.params != p0)[0])
    free = {t.layout.position(n) for n in FREE}
    assert moved == free


def test_a_free_weight_takes_the_plain_gradient_step():
    # Full batch, sgd: θ_free ← θ_free − η·∂J/∂θ_free, with the gradient of the whole network at the old weights
    # computed independently by Network.gradient.
    t = Trainer(_frozen(optimizer="sgd", batch_size=None))
    t.step(3)
    before = t.params.copy()
    net = Network.of(t.config)
    _, grad = net.gradient(t.dataset.x_train, t.dataset.y_train, before, t.config.regularization)
    t.step(1)
    free = [t.layout.position(n) for n in FREE]
    expected = before.copy()
    expected[free] -= t.learning_rate * grad[free]
    np.testing.assert_allclose(t.params, expected, rtol=0, atol=1e-15)


def test_names_are_canonical_and_round_trip_through_the_file():
    cfg = _frozen(train_only=("kernel1[1, 0]", " kernel1[0,0] "))
    assert cfg.optimizer.train_only == FREE  # as ParamLayout.name spells them, in flat order
    d = to_dict(cfg)
    assert d["optimizer"]["train_only"] == list(FREE)
    assert from_dict(d).optimizer.train_only == FREE
    plain = to_dict(load_preset("circle"))
    assert "train_only" not in plain["optimizer"]  # files that train everything say nothing about it


@pytest.mark.parametrize("names, words", [
    (("kernel9[0,0]",), "no layer 9"),
    (("kernel1[0,0]", "kernel1[0, 0]"), "twice"),
    (("weight",), "not a parameter name"),
    ((), "list of parameter names"),
    ((3,), "list of parameter names"),
])
def test_bad_names_are_one_line(names, words):
    with pytest.raises(FfvizError, match=words) as info:
        _frozen(train_only=names)
    assert "\n" not in str(info.value) and str(info.value).startswith("optimizer.train_only")


def test_a_stale_restriction_is_dropped_when_the_network_changes():
    cfg = _frozen(train_only=("kernel2[3,0]",))  # layer 2 is 4 × 2
    smaller = replace(cfg, layers=(replace(cfg.layers[0], units=2),) + cfg.layers[1:])
    assert without_stale_train_only(smaller).optimizer.train_only is None
    assert without_stale_train_only(cfg) is cfg


def test_freezing_live_keeps_the_weights_and_restores_exactly():
    t = Trainer(load_preset("circle"))
    t.step(5)
    p = t.params.copy()
    assert t.apply_config(replace(t.config, optimizer=replace(t.config.optimizer, train_only=FREE))) == "live"
    np.testing.assert_array_equal(t.params, p)
    t.step(10)
    after = t.params.copy()
    t.restore_step(5)
    t.step(10)
    np.testing.assert_array_equal(t.params, after)  # the replay knows the freeze (a pinned checkpoint)
    assert train_only_mask(t.config).sum() == 2


def test_a_race_under_a_freeze_moves_only_the_two_weights():
    t = Trainer(_frozen())
    p, q = (t.layout.position(n) for n in FREE)
    race = run_race(RaceRequest((p, q), (Contender(learning_rate=0.1), Contender(learning_rate=1.0)), 15), t.state())
    for path in race.paths:
        # run separately: the same two weights, and nothing else moved
        other = Trainer(replace(t.config, optimizer=replace(t.config.optimizer,
                                                            learning_rate=path.contender.learning_rate)))
        start = other.params.copy()
        other.step(15)
        np.testing.assert_array_equal(path.path[-1], other.params[[p, q]])
        rest = np.ones(start.size, bool)
        rest[[p, q]] = False
        np.testing.assert_array_equal(other.params[rest], start[rest])


def test_the_lectures_update_formulas_say_a_frozen_weight_stays():
    from ffviz.engine.lecture import update_formulas
    t = Trainer(_frozen("lecture", train_only=("kernel1[0,0]",)))
    t.step(1)
    free, frozen = update_formulas(t.trace, 1, 0, train_only=t.config.optimizer.train_only)
    assert free.numbers[0] == 0.35 and free.value == pytest.approx(0.29046, abs=5e-6)  # w₁ − η·∂J/∂w₁
    assert frozen.numbers == () and frozen.value == 0.40 and "frozen" in frozen.note  # w₂′ = w₂
    assert frozen.symbolic.text == frozen.lhs.text.rstrip("′")
    plain = update_formulas(t.trace, 1, 0)  # without the setting: the formula the rule would have used
    assert plain[1].numbers != ()
