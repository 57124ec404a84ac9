"""The vanishing-gradient view: one line per layer of ‖∂J/∂W‖ (or ‖ΔW‖/‖W‖) that equals a NumPy computation,
deep-sigmoid's first layer lowest and its ReLU twin (drawn beside) spread less, the current values printed, and
"how many updates to move this weight?" as the hand formula, with bad input refused in one line."""

import math

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.ui import format as fmt
from ffviz.ui.views.gradient_norms import GradientNormView
from tests.ui.views.insight_helpers import AnsweringRequester, sigmoid_bce_kernel_gradients


@pytest.fixture
def view(qtbot):
    v = GradientNormView()
    qtbot.addWidget(v)
    v.resize(1000, 700)
    v.show()
    qtbot.waitExposed(v)
    v.set_requester(AnsweringRequester(v))
    return v


def trained(preset="deep-sigmoid", steps=150):
    t = Trainer(load_preset(preset))
    t.step(steps)
    return t, t.snapshot()


def line_data(view, twin=False):
    lines = view._twin_lines if twin else view._lines
    return [(item.xData, item.yData) for item in lines]  # the data given, not its log10 as displayed


def test_each_layers_line_ends_at_its_gradient_norm_computed_in_numpy(view):
    t, snap = trained(steps=40)
    view.show_snapshot(snap)
    tr = snap.trace  # the last update: its batch and the weights before it
    grads = sigmoid_bce_kernel_gradients(tr.x, tr.y, tr.old_kernels, tr.old_biases)
    norms = [float(np.sqrt(np.sum(g * g))) for g in grads]
    data = line_data(view)
    assert len(data) == 7
    for (x, y), expect in zip(data, norms):
        assert x[-1] == 40 and len(x) == 40
        assert math.isclose(y[-1], expect, rel_tol=1e-9)
    text = view.values_text()
    for i, expect in enumerate(norms, start=1):
        assert f"layer {i}" in text and fmt.number(expect) in text
    assert fmt.number(max(norms) / min(norms)) in text  # largest ÷ smallest


def test_update_ratio_is_the_change_over_the_weights(view):
    t, snap = trained(steps=12)
    view.show_snapshot(snap)
    view.set_measure("ratio")
    tr = snap.trace
    for (x, y), old, new in zip(line_data(view), tr.old_kernels, tr.new_kernels):
        expect = np.sqrt(np.sum((np.asarray(new) - old) ** 2)) / np.sqrt(np.sum(np.asarray(old) ** 2))
        assert math.isclose(y[-1], expect, rel_tol=1e-9)
    assert "‖ΔW‖/‖W‖" in view.values_text()
    assert "update ratio" in view.plot.getAxis("left").labelText


def test_deep_sigmoid_orders_its_layers_and_the_relu_twin_beside_it_spreads_less(view):
    t, snap = trained(steps=200)
    view.show_snapshot(snap)
    view.set_compare(True)
    assert view.twin is not None and view.twin.step == 200
    sig = np.array([np.nanmedian(y) for _, y in line_data(view)])
    relu = np.array([np.nanmedian(y) for _, y in line_data(view, twin=True)])
    assert np.argmin(sig) == 0 and np.all(np.diff(sig) > 0)
    assert sig.max() / sig.min() > 1e3
    assert relu.max() / relu.min() < (sig.max() / sig.min()) / 100
    assert view.twin_plot.isVisible()
    assert "ReLU twin" in view.values_text()
    # the twin's numbers shown are its last recorded norms
    for v in view.twin.view.last():
        assert fmt.number(v) in view.values_text()
    view.set_compare(False)
    assert not view.twin_plot.isVisible() and "ReLU twin" not in view.values_text()


def test_the_twin_follows_the_run_as_it_trains_on(view):
    t, snap = trained(steps=50)
    view.show_snapshot(snap)
    view.set_compare(True)
    t.step(30)
    view.show_snapshot(t.snapshot())
    assert view.twin.step == 80
    requests = [r for r in view._requester.asked if r.channel == "twin"]
    assert requests[-1].previous is not None and requests[-1].previous.step == 50  # went on, not again


def test_a_twin_whose_relus_died_says_so_and_draws_gaps(view):
    # at deep-sigmoid's η = 0.3 the ReLU twin's hidden units all switch off for good after ~640 updates
    t, snap = trained(steps=700)
    view.show_snapshot(snap)
    view.set_compare(True)
    last = view.twin.view.last()
    assert np.all(last[:6] == 0) and last[6] > 0
    assert "No gradient reaches the twin's layers 1, 2, 3, 4, 5, 6" in view.values_text()
    assert "∞" in view.values_text()  # the spread of a twin with silent layers
    x, y = line_data(view, twin=True)[0]
    assert len(x) == len(view.twin.view.steps) and np.isnan(y[-1])  # a gap, not a line to nowhere


def test_a_relu_network_says_it_is_its_own_twin(view):
    t, snap = trained("deep-relu", steps=5)
    view.show_snapshot(snap)
    view.set_compare(True)
    assert view.twin is None and "its own twin" in view.values_text()


def test_updates_to_move_the_selected_weight_is_the_hand_formula(view):
    t, snap = trained(steps=20)
    view.show_snapshot(snap)
    g = float(snap.grad_kernels[0][0, 0])
    eta = snap.learning_rate
    expect = math.ceil(0.7 / (eta * abs(g)))  # the slide: from 0.5 to −0.2
    assert view.estimate.updates == expect
    assert f"{expect:,}".replace(",", "\u2009") in view.move_text()
    assert "kernel1[0,0]" in view.move_text()
    view.set_selection(7, "kernel", (2, 0))  # the last layer's weight: a larger gradient, fewer updates
    g7 = float(snap.grad_kernels[6][2, 0])
    assert view.estimate.updates == math.ceil(0.7 / (eta * abs(g7))) < expect
    assert view.set_move("0", "0.1")
    assert view.estimate.updates == math.ceil(0.1 / (eta * abs(g7)))


def test_the_perceptrons_rule_is_plain_steps_and_a_frozen_weight_never_moves(view):
    from dataclasses import replace
    t, snap = trained("perceptron", steps=5)
    view.show_snapshot(snap)
    g = float(snap.grad_kernels[0][0, 0])
    assert view.estimate.updates == math.ceil(0.7 / (snap.learning_rate * abs(g)))
    assert "scales its steps" not in view.move_text()  # w ← w − η·g: the steps counted are its own
    cfg = load_preset("circle")
    t = Trainer(replace(cfg, optimizer=replace(cfg.optimizer, train_only=("kernel1[0,1]",))))
    t.step(5)
    snap = t.snapshot()
    view.show_snapshot(snap)
    assert float(snap.grad_kernels[0][0, 0]) != 0  # it has a gradient …
    assert view.estimate.updates is None and "frozen" in view.move_text()  # … but no update moves it
    view.set_selection(1, "kernel", (0, 1))
    assert view.estimate.updates is not None
    cfg = load_preset("deep-sigmoid")
    t = Trainer(replace(cfg, layers=(replace(cfg.layers[0], train_bias=False),) + cfg.layers[1:]))
    t.step(5)
    view.show_snapshot(t.snapshot())
    view.set_selection(1, "bias", (0,))
    assert "never: layer 1's bias is not trained" in view.move_text() and "first update" not in view.move_text()


def test_from_its_current_value_keeps_the_distance(view):
    t, snap = trained(steps=3)
    view.show_snapshot(snap)
    view.use_current_value()
    w = float(snap.kernels[0][0, 0])
    assert math.isclose(view.estimate.start, w) and math.isclose(view.estimate.target, w - 0.7)


def test_bad_input_says_so_in_one_line_and_changes_nothing(view):
    t, snap = trained(steps=5)
    view.show_snapshot(snap)
    before = view.estimate
    assert not view.set_move("abc", "-0.2")
    assert view.estimate == before
    assert "must be a finite number" in view.move_text() and "unchanged" in view.move_text()
    assert not view.set_move("0.5", "inf")
    assert view.estimate == before
    assert view.set_move("0.5", "-0.2")
    assert "must be" not in view.move_text()


def test_before_any_update_it_says_what_to_do(view):
    t = Trainer(load_preset("deep-sigmoid"))
    view.show_snapshot(t.snapshot())
    assert "Train" in view.values_text()
    assert "first update" in view.move_text()
    assert all(x is None or len(x) == 0 for x, _ in line_data(view))


def test_a_view_behind_another_tab_trains_no_twin_until_it_is_shown(qtbot):
    from PySide6 import QtWidgets
    tabs = QtWidgets.QTabWidget()  # as the window tabs it with the loss plot
    qtbot.addWidget(tabs)
    view = GradientNormView()
    tabs.addTab(QtWidgets.QLabel("the loss plot"), "loss")
    tabs.addTab(view, "vanishing gradients")
    tabs.resize(1000, 700)
    tabs.show()
    qtbot.waitExposed(tabs)
    view.set_requester(AnsweringRequester(view))
    t, snap = trained(steps=30)
    view.set_compare(True)
    view.show_snapshot(snap)
    assert not view._requester.asked and view.twin is None
    tabs.setCurrentIndex(1)
    assert view.twin is not None and view.twin.step == 30


def test_a_view_made_for_files_draws_its_twin_at_once():
    # ui/offscreen.py's views are never shown: they get their answers at once, the twin in one piece
    view = GradientNormView()
    view.resize(960, 720)
    view.set_requester(AnsweringRequester(view))
    t, snap = trained(steps=30)
    view.set_compare(True)
    view.show_snapshot(snap)
    assert view.twin.step == 30 and len(view._requester.asked) == 1
    target = view.export_target()
    assert (target.width(), target.height()) == (960, 720)  # the content, at the view's size
    view.deleteLater()
