"""The diagram's gradient colours on a log scale: the legend says so and shows −max … ±floor … +max of the
gradients (computed here), the largest gradient takes the end colour, and deep-sigmoid's first-layer edges,
the centre colour on the linear scale, are coloured on the log one."""

import math

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.ui import format as fmt
from ffviz.ui.views.network import NetworkView
from ffviz.ui.views.network.colors import CENTRE


@pytest.fixture
def view(qtbot):
    v = NetworkView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def first_layer_colors(view, snap):
    return {view.edge_item(1, i, j).pen().color().name()
            for i in range(snap.layer_sizes[0]) for j in range(snap.layer_sizes[1])}


def test_log_scale_legend_ticks_and_colours(view):
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(30)
    snap = t.snapshot()
    view.show_snapshot(snap)
    view.set_color_mode("gradient")
    centre = view._colors.qcolors[CENTRE].name()
    assert first_layer_colors(view, snap) == {centre}  # linear: ~1e-6 against ~1e-1 is white
    assert "log" not in view.legend_text()

    view.set_log_gradient(True)
    values = np.concatenate([np.ravel(g) for g in snap.grad_kernels + snap.grad_biases if g is not None])
    mags = np.abs(values[values != 0])
    top = mags.max()
    decades = min(8, math.ceil(math.log10(top / mags.min()) - 1e-9) + 1)  # to a decade below the smallest
    floor = top / 10 ** decades
    text = view.legend_text()
    assert text == f"gradient ∂J/∂w, log scale: −{fmt.number(top)} … ±{fmt.number(floor)} … +{fmt.number(top)}"
    assert first_layer_colors(view, snap) != {centre}  # now visible
    # each edge's colour index is its log position: the largest kernel gradient, and one in the first layer
    k = max(range(len(snap.grad_kernels)), key=lambda n: np.abs(snap.grad_kernels[n]).max())
    biggest = (k, *np.unravel_index(np.argmax(np.abs(snap.grad_kernels[k])), snap.grad_kernels[k].shape))
    for li, ii, jj in (biggest, (0, 0, 0), (0, 1, 2)):
        v = float(snap.grad_kernels[li][ii, jj])
        pos = np.sign(v) * min(1.0, max(0.0, (math.log10(abs(v)) - math.log10(floor)) / decades))
        idx = int(np.rint((pos + 1) * CENTRE))
        assert view.edge_item(li + 1, ii, jj).pen().color().name() == view._colors.qcolors[idx].name()
    assert idx != CENTRE  # a first-layer gradient is tinted, not the centre colour

    view.set_log_gradient(False)
    assert first_layer_colors(view, snap) == {centre} and "log" not in view.legend_text()


def test_log_scale_changes_nothing_in_weight_mode(view):
    t = Trainer(load_preset("deep-sigmoid"))
    t.step(3)
    view.show_snapshot(t.snapshot())
    before = view.legend_text()
    view.set_log_gradient(True)
    assert view.legend_text() == before and before.startswith("weight w")
