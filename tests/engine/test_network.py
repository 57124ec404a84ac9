"""The one forward and backward pass: batched over weight settings it gives what one pass per setting gives,
and its gradient at a point is the central finite difference's."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import ACTIVATIONS, LOSSES, Trainer, from_dict, load_preset
from ffviz.engine.network import Network


def _net(activation, loss):
    out = {"binary_crossentropy": "sigmoid", "softmax_crossentropy": "softmax"}.get(loss, "linear")
    units = 3 if out == "softmax" else 1
    data = {"name": "blobs-k", "classes": 3} if units == 3 else {"name": "circle"}
    if loss == "half_squared_error":
        data = {"name": "plane"}
    return from_dict({"layers": [{"units": 2}, {"units": 3, "activation": activation},
                                 {"units": units, "activation": out}],
                      "loss": loss, "data": {**data, "samples": 40}, "seed": 3})


HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", HIDDEN)
def test_losses_at_many_settings_equal_one_pass_each(activation, loss):
    tr = Trainer(_net(activation, loss))
    net, x, y = tr.net, tr.dataset.x_train, tr.dataset.y_train
    rng = np.random.default_rng(0)
    settings = tr.params + rng.normal(0, 0.7, (9, tr.params.size))
    batched = net.losses_at(x, y, settings)
    for g, p in enumerate(settings):
        k, b = net.layout.views(p)
        assert batched[g] == pytest.approx(tr.loss_on(x, y, k, b), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("preset", ["circle", "softmax", "regression", "lecture", "deep-sigmoid"])
def test_the_gradient_at_a_point_is_the_finite_difference(preset):
    cfg = load_preset(preset)
    cfg = replace(cfg, regularization=replace(cfg.regularization, kind="l2", rate=0.01))
    tr = Trainer(cfg)
    tr.step(5)
    net, x, y, p = tr.net, tr.dataset.x_train, tr.dataset.y_train, tr.params
    loss, grad = net.gradient(x, y, p, cfg.regularization)
    assert loss == pytest.approx(tr.loss_on(x, y))

    def j(v):
        k, _ = net.layout.views(v)
        return net.losses_at(x, y, v[None])[0] + net.penalty(cfg.regularization, k)

    h = 1e-6
    trainable = net.layout.trainable()
    for i in range(p.size):
        e = np.zeros(p.size)
        e[i] = h
        fd = (j(p + e) - j(p - e)) / (2 * h) * trainable[i]
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-8), i


def test_a_full_batch_update_applies_exactly_the_gradient_at_the_point():
    tr = Trainer(load_preset("lecture"))  # one sample, full batch, plain gradient descent, η = 1
    p = tr.params
    _, grad = tr.net.gradient(tr.dataset.x_train, tr.dataset.y_train, p)
    tr.step(1)
    np.testing.assert_allclose(tr.params, p - 1.0 * grad, rtol=0, atol=1e-16)
    np.testing.assert_allclose(grad, [0.05954, 0.06073], atol=5e-6)  # the slides' ∂J/∂w₁, ∂J/∂w₂


def test_the_network_of_a_config_names_its_functions():
    net = Network.of(load_preset("softmax"))
    assert [a.name for a in net.activations] == ["tanh", "softmax"] and net.fused and not net.perceptron
    assert Network.of(load_preset("perceptron")).perceptron
