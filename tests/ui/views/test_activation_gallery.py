"""The activation gallery: g and g′ of every activation as the formulas give them, the chosen layer's z from
the forward pass on the training set drawn on its activation, the saturated share a direct count, softmax of a
typed vector, and bad input refused in one line with nothing changed."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.insight import GALLERY
from ffviz.ui import format as fmt
from ffviz.ui.views.activation_gallery import ActivationGallery
from tests.ui.views.insight_helpers import AnsweringRequester


@pytest.fixture
def gallery(qtbot):
    v = ActivationGallery()
    qtbot.addWidget(v)
    v.resize(1100, 700)
    v.show()
    qtbot.waitExposed(v)
    v.set_requester(AnsweringRequester(v))
    return v


def saturated_tanh_run():
    """circle's tanh network with large initial weights: most hidden units start saturated."""
    cfg = load_preset("circle")
    t = Trainer(replace(cfg, init=replace(cfg.init, name="normal", sigma=4.0)))
    t.step(2)
    return t


def test_the_curves_are_the_formulas(gallery):
    z, g = gallery.g_curves["tanh"].getData()
    np.testing.assert_allclose(g, np.tanh(z))
    z, d = gallery.d_curves["tanh"].getData()
    np.testing.assert_allclose(d, 1 - np.tanh(z) ** 2)
    z, d = gallery.d_curves["sigmoid"].getData()
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(d, s * (1 - s))
    z, g = gallery.g_curves["leaky_relu"].getData()
    np.testing.assert_allclose(g, np.where(z > 0, z, 0.01 * z))
    z, g = gallery.g_curves["step"].getData()
    np.testing.assert_array_equal(g, (z > 0).astype(float))
    assert set(gallery.plots) == set(GALLERY) == {"step", "linear", "sigmoid", "tanh", "relu", "leaky_relu"}


def test_the_saturated_share_is_a_direct_count_of_the_layers_z(gallery):
    t = saturated_tanh_run()
    snap = t.snapshot()
    gallery.show_snapshot(snap)
    z = np.asarray(t.dataset.x_train) @ np.asarray(snap.kernels[0]) + np.asarray(snap.biases[0])
    direct = np.count_nonzero(np.abs(1 - np.tanh(z) ** 2) < 0.01) / z.size
    assert direct > 0.3  # the preset is saturated indeed
    p = gallery.preactivations
    assert p.layer == 1 and p.activation == "tanh" and p.saturated == direct
    assert fmt.percent(direct) in gallery.share_text()
    assert f"{z.size:,}".replace(",", "\u2009") in gallery.share_text()
    # the histogram is on tanh's plot, and counts every z
    hist = gallery.histograms["tanh"].opts
    assert len(hist["x0"]) == 40 and hist["x0"][0] == z.min() and hist["x1"][-1] == pytest.approx(z.max())
    assert np.sum(p.counts) == z.size
    for name in GALLERY:
        if name != "tanh":
            assert len(gallery.histograms[name].opts["x0"]) == 0
    # the curves widen to the z drawn
    z_curve, _ = gallery.g_curves["tanh"].getData()
    assert z_curve[0] <= z.min() and z_curve[-1] >= z.max()


def test_choosing_another_layer_and_training_on_updates_the_share(gallery):
    t = saturated_tanh_run()
    gallery.show_snapshot(t.snapshot())
    gallery.set_layer(3)  # the output: sigmoid
    snap = t.snapshot()
    gallery.show_snapshot(snap)
    a = t.predict(t.dataset.x_train)
    z = a[2] @ np.asarray(snap.kernels[2]) + np.asarray(snap.biases[2])
    s = 1 / (1 + np.exp(-z))
    assert gallery.preactivations.saturated == np.count_nonzero(s * (1 - s) < 0.01) / z.size
    assert len(gallery.histograms["sigmoid"].opts["x0"]) == 40
    assert len(gallery.histograms["tanh"].opts["x0"]) == 0
    t.step(50)
    gallery.show_snapshot(t.snapshot())
    assert gallery.preactivations is not None and gallery._requester.asked[-1].step == t.step_count
    with pytest.raises(ValueError):
        gallery.set_layer(9)


def test_softmax_of_a_typed_vector_and_bad_input(gallery):
    assert gallery.set_vector("1, 2, 3")
    e = np.exp([1.0, 2.0, 3.0])
    s = e / e.sum()
    for v in s:
        assert fmt.number(v) in gallery.softmax_text()
    np.testing.assert_allclose(gallery.softmax_bars.opts["height"], s)
    for bad in ("abc", "1", "1, 1e400"):
        assert not gallery.set_vector(bad)
        text = gallery.softmax_text()
        assert text.count("<br>") == 1  # one line of message
        np.testing.assert_allclose(gallery.softmax_bars.opts["height"], s)  # nothing changed
        for v in s:
            assert fmt.number(v) in text
