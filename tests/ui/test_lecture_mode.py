"""Lecture mode as a lecturer drives it: the slides' numbers on the diagram, in the formula strip and the
chain-rule panel phase by phase, stepping back, the quiz, the precision key, playing the phases, samples of a
batch, and the numbers read back from a screenshot."""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from ffviz.engine import load_preset
from ffviz.engine.config import from_dict
from ffviz.ui.main_window import MainWindow

TIMEOUT = 10_000
K = QtCore.Qt.Key
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def settings(tmp_path):
    s = QtCore.QSettings(str(tmp_path / "ffviz.ini"), QtCore.QSettings.Format.IniFormat)
    s.setValue("firstRunDone", True)
    return s


@pytest.fixture
def window(qtbot, settings):
    made = []

    def make(config, size=(1600, 1000)):
        win = MainWindow(load_preset(config) if isinstance(config, str) else config, settings=settings)
        qtbot.addWidget(win)
        made.append(win)
        win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.snapshot is not None, timeout=TIMEOUT)
        return win
    yield make
    for win in made:
        win.close()


def phase(win, qtbot, key=K.Key_P, modifier=QtCore.Qt.KeyboardModifier.NoModifier):
    """Press a phase key and wait until the window shows the phase and its answers."""
    before = _where(win.snapshot)
    QTest.keyClick(win, key, modifier)
    qtbot.waitUntil(lambda: _where(win.snapshot) != before, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: _answered(win), timeout=TIMEOUT)


def _where(snap):
    tr = snap.trace
    return (snap.step, None if tr is None else (tr.step, tr.last_phase))


def _answered(win):
    strip, panel = win.formula_strip, win.chain_panel
    snap = win.snapshot
    ok = strip._answer is not None and strip._answer.request.serial == snap.serial
    return ok and (panel._answer is not None and panel._answer.request.serial == snap.serial)


SLIDES = {  # what each phase of the lecture's update writes, as the slides have it (3 significant digits)
    "forward": ["Σ = 0.379", "ŷ = 0.594"],
    "loss": ["J = 0.122", "∂J/∂ŷ = 0.494"],
    "backward": ["g′ = 0.241", "δ = 0.119"],
}


def test_the_lecture_preset_stepped_phase_by_phase_shows_the_slides_numbers(window, qtbot):
    win = window("lecture")
    nv, strip, panel = win.network_view, win.formula_strip, win.chain_panel
    phase(win, qtbot)
    assert "[Forward pass, layer 1]" in win.phase_strip.plain_text()
    for line in SLIDES["forward"]:
        assert line in nv.numbers_text(1, 0)
    assert "x = 0.500" in nv.numbers_text(0, 0) and "x = 0.510" in nv.numbers_text(0, 1)
    assert "Σ = x₁w₁ + x₂w₂ = 0.500·0.350 + 0.510·0.400 = 0.379" in strip.text()
    assert "ŷ = g(Σ) = 1/(1 + e^−Σ) = 1/(1 + e^−0.379) = 0.594" in strip.text()
    phase(win, qtbot)
    for line in SLIDES["loss"]:
        assert line in nv.numbers_text(1, 0)
    assert "J = ½(y − ŷ)² = ½(0.100 − 0.594)² = 0.122" in strip.text()
    chain = panel.chain_text()
    assert "0.494" in chain and "the loss's slope" in chain and "0.241" not in chain  # g′ comes with the backward pass
    phase(win, qtbot)
    for line in SLIDES["backward"]:
        assert line in nv.numbers_text(1, 0)
    assert "∂J/∂w = 0.0595" in nv.edge_numbers_text(1, 0, 0) and "∂J/∂w = 0.0607" in nv.edge_numbers_text(1, 1, 0)
    assert "∂J/∂w₁ = δ·x₁ = 0.119·0.500 = 0.0595" in strip.text()
    chain = panel.chain_text()
    assert "∂J/∂w₁ = ∂J/∂ŷ · ∂ŷ/∂Σ · ∂Σ/∂w" in chain and "= 0.494 · 0.241 · 0.500 = 0.0595" in chain
    phase(win, qtbot)
    assert "w = 0.350 → 0.290" in nv.edge_numbers_text(1, 0, 0) and "w = 0.400 → 0.339" in nv.edge_numbers_text(1, 1, 0)
    assert "w₁′ = w₁ − η·∂J/∂w₁ = 0.350 − 1·0.0595 = 0.290" in strip.text()
    assert "w₁′ = w₁ − η·∂J/∂w₁ = 0.350 − 1·0.0595 = 0.290" in panel.chain_text()
    assert win.snapshot.step == 1
    phase(win, qtbot)  # the next forward pass …
    phase(win, qtbot)
    assert "J = 0.115" in nv.numbers_text(1, 0)  # … the error went down: the slides' exercise
    assert "Σ = 0.318" in nv.numbers_text(1, 0)  # the forward pass's number stays beside the loss's


def test_earlier_phases_numbers_are_dimmed_and_the_current_ones_bold(window, qtbot):
    win = window("lecture")
    phase(win, qtbot)
    phase(win, qtbot)
    html = win.network_view._numbers.nodes[1][0].item.toHtml()
    muted, fg = win.theme.palette.muted.name(), win.theme.palette.foreground.name()
    assert html.index(muted) < html.index("0.379") < html.index(fg) < html.index("0.122")


def test_an_update_taken_phase_by_phase_equals_one_whole_update(window, qtbot):
    a = window("lecture")
    for _ in range(4):
        phase(a, qtbot)
    whole = window("lecture")
    QTest.keyClick(whole, K.Key_Right)
    qtbot.waitUntil(lambda: whole.snapshot.step == 1, timeout=TIMEOUT)
    np.testing.assert_array_equal(a.snapshot.kernels[0], whole.snapshot.kernels[0])


def test_stepping_back_then_forward_gives_identical_numbers(window, qtbot):
    win = window("circle")
    for _ in range(5):  # forward ×3, loss, backward of layer 3
        phase(win, qtbot)
    shown = (win.network_view.numbers_text(3, 0), win.formula_strip.text(), win.chain_panel.chain_text())
    phase(win, qtbot, K.Key_Left, SHIFT)
    assert "Loss" in win.snapshot.trace.last_phase.label and "[Loss]" in win.phase_strip.plain_text()
    phase(win, qtbot, K.Key_Left, SHIFT)
    phase(win, qtbot)
    phase(win, qtbot)
    assert (win.network_view.numbers_text(3, 0), win.formula_strip.text(), win.chain_panel.chain_text()) == shown


def test_the_quiz_hides_each_new_number_until_it_is_revealed(window, qtbot):
    win = window("lecture")
    QTest.keyClick(win, K.Key_Q)
    assert win.lecture.quiz
    phase(win, qtbot)
    assert "Σ = ?" in win.network_view.numbers_text(1, 0) and "ŷ = ?" in win.network_view.numbers_text(1, 0)
    assert win.formula_strip.text().startswith("Σ = x₁w₁ + x₂w₂ = 0.500·0.350 + 0.510·0.400 = ?")
    assert "x = 0.500" in win.network_view.numbers_text(0, 0)  # what the class needs is shown
    QTest.keyClick(win, K.Key_Return)
    assert "Σ = 0.379" in win.network_view.numbers_text(1, 0) and "0.379" in win.formula_strip.text()
    phase(win, qtbot)  # the next phase: hidden again, the revealed ones stay
    assert "J = ?" in win.network_view.numbers_text(1, 0) and "Σ = 0.379" in win.network_view.numbers_text(1, 0)
    QTest.keyClick(win, K.Key_Q)
    assert "J = 0.122" in win.network_view.numbers_text(1, 0)


def test_the_digits_key_cycles_the_precision(window, qtbot):
    win = window("lecture")
    phase(win, qtbot)
    QTest.keyClick(win, K.Key_D)  # 2 decimals, as on the slides
    assert "Σ = 0.38" in win.network_view.numbers_text(1, 0)
    assert "0.50·0.35 + 0.51·0.40 = 0.38" in win.formula_strip.text()
    QTest.keyClick(win, K.Key_D)  # full precision
    assert f"Σ = {0.35 * 0.5 + 0.4 * 0.51!r}" in win.network_view.numbers_text(1, 0)
    QTest.keyClick(win, K.Key_D)
    assert "Σ = 0.379" in win.network_view.numbers_text(1, 0)


def test_playing_the_phases_animates_one_update_and_any_key_stops_it(window, qtbot):
    win = window("lecture")
    win.set_phase_pace(0.5)
    QTest.keyClick(win, K.Key_A)
    assert win.auto_advancing
    qtbot.waitUntil(lambda: win.snapshot.step == 1 and not win.auto_advancing, timeout=TIMEOUT)  # stops itself
    QTest.keyClick(win, K.Key_A)
    qtbot.waitUntil(lambda: win.snapshot.trace.step == 2, timeout=TIMEOUT)
    QTest.keyClick(win, K.Key_Space)  # any key stops it, and only stops it
    assert not win.auto_advancing and not win.playing
    shown = win.snapshot.serial
    qtbot.wait(800)
    assert win.snapshot.serial == shown


def test_in_a_batch_the_numbers_are_of_one_sample_and_the_gradients_sums(window, qtbot):
    win = window("circle")  # mini-batches of 10
    phase(win, qtbot)
    tr = win.snapshot.trace
    assert f"Σ = {_3(tr.z[0][0, 0])}" in win.network_view.numbers_text(1, 0)
    assert "sample 1 of the batch of 10" in win.formula_strip.text()
    QTest.keyClick(win, K.Key_BracketRight)
    qtbot.waitUntil(lambda: _answered(win) and "sample 2 of" in win.formula_strip.text(), timeout=TIMEOUT)
    assert f"Σ = {_3(tr.z[0][1, 0])}" in win.network_view.numbers_text(1, 0)
    for _ in range(6):
        phase(win, qtbot)  # the backward pass through layer 1
    g = win.snapshot.trace.grad_kernels[0]
    assert f"∂J/∂w = {_3(g[0, 0])}" in win.network_view.edge_numbers_text(1, 0, 0)
    assert "sums the samples' products" in win.chain_panel.chain_text()


def _3(v):
    from ffviz.ui import format as fmt
    return fmt.number(v)


def test_the_chain_panel_of_a_deep_weight_lists_its_paths_and_their_sum(window, qtbot):
    layers = [{"units": 2}, {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"},
              {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}]
    cfg = from_dict({"layers": layers, "loss": "binary_crossentropy", "data": {"name": "xor-corners", "samples": 4,
                                                                              "test_fraction": 0}, "seed": 3})
    win = window(cfg)
    for _ in range(9):  # the forward pass, the loss, the backward pass to layer 1
        phase(win, qtbot)
    win.network_view._select((1, "kernel", (1, 2)))
    qtbot.waitUntil(lambda: _answered(win) and "kernel1[1,2]" in win.chain_panel.chain_text(), timeout=TIMEOUT)
    text = win.chain_panel.chain_text()
    assert "4 paths lead from this weight" in text and text.count("L1u3 →") == 4
    g = win.snapshot.trace.grad_kernels[0][1, 2]
    assert _3(g) in text  # the sum over the batch of the samples' products: the gradient


def test_the_deep_lecture_example_writes_each_paths_product_and_their_sum(window, qtbot):
    from ffviz.io.files import load_spec
    cfg, _ = load_spec(str(Path(__file__).resolve().parents[2] / "examples" / "lecture-deep.json"))
    win = window(cfg)
    before = win.snapshot
    x, y = before.dataset.x_train[0], before.dataset.y_train[0, 0]
    W = [np.array(k) for k in before.kernels]
    # the forward pass again, by hand: sigmoid everywhere, no biases yet (they start at 0)
    a = [x]
    for k in W:
        a.append(1 / (1 + np.exp(-(a[-1] @ k))))
    slope = [ai * (1 - ai) for ai in a[1:]]  # g'(Σ) of each layer
    out = (a[-1][0] - y) * slope[3][0]  # ∂J/∂Σ of the output, ½ squared error
    terms = [out * W[3][j3, 0] * slope[2][j3] * W[2][j2, j3] * slope[1][j2] * W[1][0, j2] * slope[0][0] * x[0]
             for j2 in range(3) for j3 in range(3)]  # the order the panel lists them: layer 2's unit, then 3's
    for _ in range(9):  # the forward pass, the loss, the backward pass to layer 1
        phase(win, qtbot)
    qtbot.waitUntil(lambda: "kernel1[0,0]" in win.chain_panel.chain_text(), timeout=TIMEOUT)
    text = win.chain_panel.chain_text()
    lines = [line for line in text.splitlines() if line.strip().startswith("L1u1 →")]
    assert len(lines) == 9 and "9 paths lead from this weight" in text
    assert [line.rsplit("= ", 1)[1] for line in lines] == [_3(t) for t in terms]
    assert all("· −" not in line for line in lines)  # a negative factor is in parentheses
    assert f"sum = {_3(sum(terms))}" in text
    assert _3(sum(terms)) == _3(win.snapshot.trace.grad_kernels[0][0, 0])


def test_the_perceptron_shows_its_error_and_its_update(window, qtbot):
    win = window("perceptron")
    for _ in range(2):
        phase(win, qtbot)
    assert "y − ŷ =" in win.network_view.numbers_text(1, 0)
    for _ in range(2):
        phase(win, qtbot)
    assert "→" in win.network_view.edge_numbers_text(1, 0, 0)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_the_numbers_can_be_read_off_a_screenshot(window, qtbot, tmp_path):
    """The back row's test: at 1600 × 1000, OCR (tesseract) reads each phase's numbers off the window."""
    win = window("lecture", size=(1600, 1000))
    wanted = [("0.379", "0.594"), ("0.122", "0.494"), ("0.241", "0.119", "0.0595", "0.0607"), ("0.290", "0.339")]
    for numbers in wanted:
        phase(win, qtbot)
        qtbot.wait(100)
        shot = tmp_path / "shot.png"
        # the part of the 1600 × 1000 window where the numbers are (the diagram and the strips), as on screen
        assert win.centralWidget().grab().save(str(shot))
        read = subprocess.run(["tesseract", str(shot), "-"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout
        missing = [n for n in numbers if n not in read]
        assert not missing, f"OCR did not find {missing} at {win.snapshot.trace.last_phase.label}"


def test_clicking_a_point_of_the_batch_makes_its_numbers_shown(window, qtbot):
    win = window("circle")
    phase(win, qtbot)
    tr = win.snapshot.trace
    row = int(tr.batch_indices[3])  # the 4th sample of this mini-batch
    plot = win.boundary_plot
    vb = plot.plot_item.getViewBox()
    x, y = win.snapshot.dataset.raw_train[row]
    pos = plot.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))
    qtbot.mouseClick(plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: win.lecture.sample == 3, timeout=TIMEOUT)
    assert f"Σ = {_3(tr.z[0][3, 0])}" in win.network_view.numbers_text(1, 0)
    assert plot.chosen.isVisible() and tuple(np.column_stack(plot.chosen.getData())[0]) == (x, y)
