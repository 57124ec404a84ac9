"""The controls dock: what a user sees and what each edit asks the window for (always a valid RunConfig)."""

import math

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.engine.activations import ACTIVATIONS
from ffviz.engine.config import OPTIMIZERS, validate
from ffviz.engine.datasets import DATASETS, FEATURES
from ffviz.engine.losses import LOSSES
from ffviz.engine.presets import load_preset, preset_names
from ffviz.engine.config import OPTIMIZER_PARAMS
from ffviz.ui import format as fmt
from ffviz.ui.panels.controls import ControlsPanel

Qt = QtCore.Qt


class Recorder:
    """Every signal the panel emits, in order; each emitted config is validated on arrival."""

    def __init__(self, panel):
        self.events = []
        panel.config_requested.connect(self._config)
        panel.learning_rate_changed.connect(lambda lr: self.events.append(("lr", lr)))
        panel.preset_requested.connect(lambda name: self.events.append(("preset", name)))
        panel.regenerate_requested.connect(lambda: self.events.append(("regenerate", None)))

    def _config(self, cfg):
        validate(cfg)  # raises inside the slot → pytest-qt fails the test
        self.events.append(("config", cfg))

    @property
    def configs(self):
        return [value for kind, value in self.events if kind == "config"]

    def kinds(self):
        return [kind for kind, _ in self.events]


@pytest.fixture
def make_panel(qtbot):
    def _make(preset="circle"):
        panel = ControlsPanel(load_preset(preset), rng=np.random.default_rng(7))
        qtbot.addWidget(panel)
        panel.resize(380, 1100)
        panel.show()
        return panel, Recorder(panel)
    return _make


def choose(combo, data):
    """Pick the entry holding `data` as a user does: the index changes, then `activated` fires."""
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_number(qtbot, box, text):
    edit = box.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def click(qtbot, button):
    assert button.isEnabled() and button.isVisibleTo(button.window())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def message(panel):
    return panel.message.text() if not panel.message.isHidden() else ""


def is_error(panel):
    return bool(panel.message.property("error")) and not panel.message.isHidden()


# ---------------------------------------------------------------- showing a config

@pytest.mark.parametrize("name", preset_names())
def test_set_config_shows_the_preset_faithfully_and_emits_nothing(make_panel, name):
    panel, rec = make_panel("deep-sigmoid" if name != "deep-sigmoid" else "lecture")  # start elsewhere
    cfg = load_preset(name)
    panel.set_config(cfg)
    assert rec.events == []
    assert panel.config() == cfg

    assert panel.preset.currentData() == name
    assert panel.dataset.currentData() == cfg.data.name
    rows = panel.layer_rows
    assert len(rows) == len(cfg.layers)
    for row, layer in zip(rows, cfg.layers):
        assert row.units.text().split()[0] == str(layer.units)
        assert row.activation.currentData() == layer.activation
        assert row.bias.isChecked() == layer.use_bias
    assert panel.input_label.text().startswith(f"Input: {cfg.input_units} neuron")
    checked = tuple(n for n, box in panel.feature_boxes.items() if box.isChecked())
    assert checked == (cfg.data.features or ("x1", "x2"))
    assert panel.loss.currentData() == cfg.loss
    assert panel.optimizer.currentData() == cfg.optimizer.name
    assert float(panel.learning_rate.currentText()) == cfg.optimizer.learning_rate
    assert panel.batch_size.text() == ("full" if cfg.optimizer.batch_size is None
                                       else str(cfg.optimizer.batch_size))
    assert panel.init.currentData() == cfg.init.name
    assert panel.seed.value() == cfg.seed
    info = DATASETS[cfg.data.name]
    if not info.fixed:
        assert panel.samples.value() == cfg.data.samples
        assert panel.noise.value() == pytest.approx(cfg.data.noise)
        assert panel.test_split.value() == round(cfg.data.test_fraction * 100)
    assert panel.classes.isVisibleTo(panel) == (info.task == "multiclass")
    assert message(panel) == "" and panel.needs_rebuild_hint.isHidden()


def test_set_config_clears_an_earlier_error(make_panel, qtbot):
    panel, rec = make_panel()
    type_number(qtbot, panel.learning_rate, "abc")
    assert is_error(panel)
    panel.set_config(load_preset("xor"))
    assert message(panel) == ""
    assert panel.learning_rate.currentText() == "0.1"


def test_presets_are_offered_with_their_description_and_choosing_one_asks_for_it(make_panel):
    panel, rec = make_panel()
    assert [panel.preset.itemData(i) for i in range(panel.preset.count())] == preset_names()
    assert "tanh network" in panel.preset_description.text()
    choose(panel.preset, "spiral")
    assert rec.events == [("preset", "spiral")]
    assert panel.config() == load_preset("circle")  # the window loads it and calls set_config


# ---------------------------------------------------------------- network edits

def test_plus_and_minus_change_a_hidden_layer_by_one_neuron(make_panel, qtbot):
    panel, rec = make_panel()  # circle: 2-4-2-1
    click(qtbot, panel.layer_rows[0].plus)
    assert rec.configs[-1].layer_sizes == (2, 5, 2, 1)
    assert panel.layer_rows[0].units.text() == "5 neurons"
    click(qtbot, panel.layer_rows[1].minus)
    assert rec.configs[-1].layer_sizes == (2, 5, 1, 1)
    assert panel.layer_rows[1].units.text() == "1 neuron"
    assert not panel.layer_rows[1].minus.isEnabled()  # 1 is the least
    hint = panel.needs_rebuild_hint.text()
    assert "2–5–1–1" in hint and "re-initialised" in hint and "activation" not in hint


def test_hidden_layer_stops_at_16_neurons(make_panel, qtbot):
    panel, rec = make_panel()
    for _ in range(12):
        click(qtbot, panel.layer_rows[0].plus)
    assert panel.config().layers[0].units == 16
    assert not panel.layer_rows[0].plus.isEnabled()


def test_output_layer_size_is_shown_but_not_editable(make_panel):
    panel, rec = make_panel("softmax")
    out = panel.layer_rows[-1]
    assert out.units.text() == "3 outputs"
    assert not out.plus.isVisibleTo(panel) and not out.minus.isVisibleTo(panel)


def test_add_and_remove_layer(make_panel, qtbot):
    panel, rec = make_panel()  # 2-4-2-1
    click(qtbot, panel.add_layer_button)
    cfg = rec.configs[-1]
    assert cfg.layer_sizes == (2, 4, 2, 2, 1)
    assert [l.activation for l in cfg.layers] == ["tanh", "tanh", "tanh", "sigmoid"]
    assert len(panel.layer_rows) == 4
    for _ in range(3):
        click(qtbot, panel.remove_layer_button)
    assert rec.configs[-1].layer_sizes == (2, 1)  # the output layer stays
    assert not panel.remove_layer_button.isEnabled()


def test_at_most_eight_hidden_layers(make_panel, qtbot):
    panel, rec = make_panel("deep-sigmoid")  # 6 hidden
    click(qtbot, panel.add_layer_button)
    click(qtbot, panel.add_layer_button)
    assert len(panel.config().layers) == 9
    assert not panel.add_layer_button.isEnabled()


def test_activation_change_emits_the_new_activation(make_panel):
    panel, rec = make_panel()
    choose(panel.layer_rows[1].activation, "relu")
    assert [l.activation for l in rec.configs[-1].layers] == ["tanh", "relu", "sigmoid"]


def test_softmax_is_offered_for_the_output_layer_only(make_panel):
    panel, rec = make_panel()
    hidden, out = panel.layer_rows[0].activation, panel.layer_rows[-1].activation
    assert hidden.findData("softmax") < 0 and out.findData("softmax") >= 0
    assert hidden.count() == len(ACTIVATIONS) - 1


def test_an_output_activation_the_loss_cannot_take_is_refused_in_red(make_panel):
    panel, rec = make_panel()  # binary cross-entropy needs outputs in (0, 1)
    choose(panel.layer_rows[-1].activation, "relu")
    assert rec.events == []
    assert is_error(panel) and "sigmoid" in message(panel)
    assert "\n" not in message(panel)
    assert panel.layer_rows[-1].activation.currentData() == "sigmoid"  # the panel shows what is in force
    assert panel.config() == load_preset("circle")


def test_bias_checkbox(make_panel, qtbot):
    panel, rec = make_panel()
    panel.layer_rows[0].bias.click()
    layer = rec.configs[-1].layers[0]
    assert not layer.use_bias and layer.bias is None


def test_structural_edit_drops_the_lectures_given_weights(make_panel, qtbot):
    panel, rec = make_panel("lecture")
    assert panel.config().layers[0].kernel is not None
    click(qtbot, panel.add_layer_button)
    cfg = rec.configs[-1]
    assert cfg.layer_sizes == (2, 4, 1)
    assert all(l.kernel is None and l.bias is None for l in cfg.layers)
    assert "dropped" in message(panel) and not is_error(panel)


def test_activation_change_keeps_given_weights_that_still_fit(make_panel):
    panel, rec = make_panel("lecture")
    choose(panel.layer_rows[0].activation, "tanh")
    assert rec.configs[-1].layers[0].kernel == ((0.35,), (0.40,))


# ---------------------------------------------------------------- data and its dependants

def test_multiclass_dataset_adapts_output_layer_and_loss(make_panel):
    panel, rec = make_panel()
    choose(panel.dataset, "blobs-k")
    cfg = rec.configs[-1]
    assert cfg.data.name == "blobs-k"
    assert cfg.layers[-1].units == cfg.data.classes == 3
    assert cfg.layers[-1].activation == "softmax" and cfg.loss == "softmax_crossentropy"
    assert "softmax" in message(panel).lower() and not is_error(panel)
    assert panel.classes.isVisibleTo(panel)
    assert panel.loss.currentData() == "softmax_crossentropy"

    choose(panel.dataset, "circle")  # binary again: 1 sigmoid unit, binary cross-entropy
    cfg = rec.configs[-1]
    assert (cfg.layers[-1].units, cfg.layers[-1].activation, cfg.loss) == (1, "sigmoid", "binary_crossentropy")
    assert not panel.classes.isVisibleTo(panel)

    choose(panel.dataset, "plane")  # regression: 1 linear unit, ½ squared error
    cfg = rec.configs[-1]
    assert (cfg.layers[-1].units, cfg.layers[-1].activation, cfg.loss) == (1, "linear", "half_squared_error")
    assert len(rec.configs) == 3


def test_same_task_dataset_keeps_the_users_output_choice(make_panel):
    panel, rec = make_panel("lecture")  # regression with a sigmoid output
    choose(panel.dataset, "plane")
    cfg = rec.configs[-1]
    assert cfg.layers[-1].activation == "sigmoid" and cfg.loss == "half_squared_error"


def test_classes_spin_sets_the_output_units(make_panel, qtbot):
    panel, rec = make_panel("softmax")
    panel.classes.setFocus()
    qtbot.keyClick(panel.classes, Qt.Key.Key_Up)
    cfg = rec.configs[-1]
    assert cfg.data.classes == 4 and cfg.layers[-1].units == 4
    assert panel.layer_rows[-1].units.text() == "4 outputs"


def test_noise_samples_and_split(make_panel, qtbot):
    panel, rec = make_panel()
    panel.noise.setFocus()
    qtbot.keyClick(panel.noise, Qt.Key.Key_Up)
    assert rec.configs[-1].data.noise == pytest.approx(0.15)
    assert panel.needs_rebuild_hint.isHidden()  # the network does not change
    panel.test_split.setValue(50)
    assert rec.configs[-1].data.test_fraction == 0.5
    panel.samples.setValue(120)
    assert rec.configs[-1].data.samples == 120


def test_regenerate_draws_a_new_data_seed_and_shows_it(make_panel, qtbot):
    panel, rec = make_panel()
    click(qtbot, panel.regenerate_button)
    assert rec.kinds() == ["config", "regenerate"]
    first = rec.configs[-1].data.seed
    assert first is not None and panel.data_seed.value() == first
    click(qtbot, panel.regenerate_button)
    second = rec.configs[-1].data.seed
    assert second != first and panel.data_seed.value() == second
    assert rec.configs[-1].layers == load_preset("circle").layers


def test_fixed_dataset_disables_the_generator_controls(make_panel):
    panel, rec = make_panel("lecture")
    for w in (panel.noise, panel.samples, panel.regenerate_button, panel.data_seed):
        assert not w.isEnabled()


def test_feature_checkboxes_set_the_input_units(make_panel):
    panel, rec = make_panel()
    assert [b.text() for b in panel.feature_boxes.values()] == [f.label for f in FEATURES.values()]
    panel.feature_boxes["x1^2"].click()
    cfg = rec.configs[-1]
    assert cfg.data.features == ("x1", "x2", "x1^2") and cfg.input_units == 3
    assert panel.input_label.text().startswith("Input: 3 neurons")
    panel.feature_boxes["x1"].click()
    panel.feature_boxes["x2"].click()
    assert rec.configs[-1].data.features == ("x1^2",) and rec.configs[-1].input_units == 1


def test_the_last_feature_cannot_be_unchecked(make_panel):
    panel, rec = make_panel()
    panel.feature_boxes["x1"].click()
    n = len(rec.configs)
    panel.feature_boxes["x2"].click()
    assert len(rec.configs) == n
    assert panel.feature_boxes["x2"].isChecked() and is_error(panel)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "points.csv"
    rows = ["a,b,c,label"] + [f"{i},{i % 3},{-i},{i % 3}" for i in range(12)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_open_csv_takes_the_file_and_fits_both_ends_of_the_network(make_panel, qtbot, csv_file, monkeypatch):
    panel, rec = make_panel()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(csv_file), "CSV files (*.csv)")))
    click(qtbot, panel.open_csv_button)
    cfg = rec.configs[-1]
    assert (cfg.data.name, cfg.data.path, cfg.data.label) == ("csv", str(csv_file), None)
    assert cfg.input_units == 3 and cfg.data.features is None  # three input columns: no plane features
    assert cfg.layers[-1].units == 3 and cfg.loss == "softmax_crossentropy"  # labels 0, 1, 2
    assert panel.file_label.text() == "points.csv"
    assert panel.dataset.currentText() == "CSV: points.csv"
    for w in (panel.noise, panel.samples, panel.regenerate_button, *panel.feature_boxes.values()):
        assert not w.isEnabled()
    assert panel.test_split.isEnabled()

    choose(panel.dataset, "circle")  # back to a generator: two raw inputs again, one sigmoid output
    cfg = rec.configs[-1]
    assert cfg.input_units == 2 and cfg.data.path is None and cfg.layers[-1].units == 1
    assert panel.dataset.count() == len(DATASETS)


def test_a_bad_csv_is_refused_in_red(make_panel, tmp_path):
    panel, rec = make_panel()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,oops\n", encoding="utf-8")
    assert not panel.open_csv(str(bad))
    assert rec.events == [] and is_error(panel) and "bad.csv" in message(panel)


# ---------------------------------------------------------------- loss and optimizer

def test_loss_that_needs_probabilities_adapts_the_output_activation(make_panel):
    panel, rec = make_panel("regression")  # linear output, ½ squared error
    choose(panel.loss, "binary_crossentropy")
    cfg = rec.configs[-1]
    assert cfg.loss == "binary_crossentropy" and cfg.layers[-1].activation == "sigmoid"
    assert "Sigmoid" in message(panel)


def test_loss_combo_offers_the_registry(make_panel):
    panel, rec = make_panel()
    assert [panel.loss.itemText(i) for i in range(panel.loss.count())] == [l.label for l in LOSSES.values()]


def test_perceptron_adapts_to_one_step_layer_and_back(make_panel):
    panel, rec = make_panel()
    choose(panel.optimizer, "perceptron")
    cfg = rec.configs[-1]
    assert cfg.layer_sizes == (2, 1) and cfg.layers[0].activation == "step"
    assert cfg.loss == "half_squared_error"
    assert "perceptron" in message(panel).lower() and not is_error(panel)
    choose(panel.optimizer, "sgd")
    assert rec.configs[-1].layers == load_preset("circle").layers  # the network before it is back
    assert rec.configs[-1].loss == "binary_crossentropy"


def test_leaving_the_perceptron_preset_adds_a_hidden_layer(make_panel):
    panel, rec = make_panel("perceptron")
    choose(panel.optimizer, "adam")
    cfg = rec.configs[-1]
    assert len(cfg.layers) == 2 and cfg.layers[-1].activation == "sigmoid"
    assert cfg.loss == "binary_crossentropy"
    assert "hidden layer" in message(panel)


def test_perceptron_refuses_a_second_layer(make_panel, qtbot):
    panel, rec = make_panel("perceptron")
    click(qtbot, panel.add_layer_button)
    assert rec.events == [] and is_error(panel) and "step" in message(panel)
    assert len(panel.layer_rows) == 1


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_only_the_optimizers_own_parameters_are_shown(make_panel, name):
    panel, rec = make_panel()
    if name != "sgd":
        choose(panel.optimizer, name)
    shown = {p for p in ("momentum", "rho", "beta_1", "beta_2", "epsilon")
             if getattr(panel, p).isVisibleTo(panel)}
    expected = {"sgd": set(), "perceptron": set(), "momentum": {"momentum"}, "nesterov": {"momentum"},
                "adagrad": {"epsilon"}, "rmsprop": {"rho", "epsilon"}, "adam": {"beta_1", "beta_2", "epsilon"}}
    assert shown == expected[name] == set(OPTIMIZER_PARAMS[name])


def test_optimizer_parameter_edit(make_panel, qtbot):
    panel, rec = make_panel("spiral")  # adam
    panel.beta_1.setValue(0.8)
    assert rec.configs[-1].optimizer.beta_1 == pytest.approx(0.8)
    type_number(qtbot, panel.epsilon, "1e-6")
    assert rec.configs[-1].optimizer.epsilon == 1e-6
    n = len(rec.configs)
    type_number(qtbot, panel.epsilon, "-1")
    assert len(rec.configs) == n and is_error(panel)


def test_batch_size_full_and_shuffle(make_panel, qtbot):
    panel, rec = make_panel()
    panel.batch_size.setValue(0)
    assert rec.configs[-1].optimizer.batch_size is None and panel.batch_size.text() == "full"
    assert not panel.shuffle.isEnabled()
    panel.batch_size.setValue(32)
    assert rec.configs[-1].optimizer.batch_size == 32 and panel.shuffle.isEnabled()
    panel.shuffle.click()
    assert rec.configs[-1].optimizer.shuffle is False


# ---------------------------------------------------------------- the learning rate (live)

def test_learning_rate_typed_and_entered_is_applied_live(make_panel, qtbot):
    panel, rec = make_panel()
    type_number(qtbot, panel.learning_rate, "0.5")
    assert rec.events == [("lr", 0.5)]  # no rebuild asked for
    assert panel.config().optimizer.learning_rate == 0.5
    click(qtbot, panel.add_layer_button)
    assert rec.configs[-1].optimizer.learning_rate == 0.5  # later configs keep it


def test_learning_rate_picked_from_the_list(make_panel):
    panel, rec = make_panel()
    choose(panel.learning_rate, 0.00001)
    assert rec.events == [("lr", 0.00001)]
    assert panel.learning_rate.currentText() == "0.00001"


@pytest.mark.parametrize("text", ["abc", "0", "-1", "nan", "1e309", "inf", ""])
def test_an_invalid_learning_rate_says_why_and_changes_nothing(make_panel, qtbot, text):
    panel, rec = make_panel()
    type_number(qtbot, panel.learning_rate, text)
    assert rec.events == []
    assert panel.config() == load_preset("circle")
    if text:
        assert is_error(panel) and "learning rate" in message(panel) and "\n" not in message(panel)
        assert panel.message.styleSheet().startswith("color: #c62828")
    type_number(qtbot, panel.learning_rate, "0.3")  # a good value clears the message
    assert rec.events == [("lr", 0.3)] and message(panel) == ""


def test_learning_rate_format():
    assert fmt.plain(0.00001) == "0.00001" and fmt.plain(1.0) == "1" and fmt.plain(0.03) == "0.03"
    assert math.isclose(float(fmt.plain(3e-9)), 3e-9)


# ---------------------------------------------------------------- regularization, init, seed

def test_regularization_rate_is_used_only_with_a_kind(make_panel, qtbot):
    panel, rec = make_panel()
    assert not panel.regularization_rate.isEnabled()
    choose(panel.regularization, "l2")
    assert rec.configs[-1].regularization.kind == "l2" and panel.regularization_rate.isEnabled()
    type_number(qtbot, panel.regularization_rate, "0.01")
    assert rec.configs[-1].regularization.rate == 0.01


def test_sigma_only_for_normal_init(make_panel):
    panel, rec = make_panel()
    assert panel.init_sigma.isVisibleTo(panel)
    choose(panel.init, "he")
    assert rec.configs[-1].init.name == "he" and not panel.init_sigma.isVisibleTo(panel)
    assert "re-initialised" in panel.needs_rebuild_hint.text()


def test_new_seed_button_draws_a_different_seed(make_panel, qtbot):
    panel, rec = make_panel()
    click(qtbot, panel.new_seed_button)
    seed = rec.configs[-1].seed
    assert seed != 1 and panel.seed.value() == seed


# ---------------------------------------------------------------- keyboard

def _next_focusable(widget):
    w = widget.nextInFocusChain()
    while not (w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(w.window()) and w.isEnabled()):
        w = w.nextInFocusChain()
    return w


def test_tab_reaches_a_new_layer_row_in_reading_order(make_panel, qtbot):
    panel, rec = make_panel()
    click(qtbot, panel.add_layer_button)
    rows = panel.layer_rows
    qtbot.waitUntil(lambda: rows[2].minus.isVisible())  # widgets added to a shown layout appear on the next tick
    assert _next_focusable(rows[1].bias) is rows[2].minus  # the new row follows the one above it
    assert _next_focusable(rows[-1].bias) is panel.add_layer_button
    assert _next_focusable(panel.remove_layer_button) is panel.loss


def test_spin_boxes_leave_the_windows_space_key_alone(qtbot):
    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    panel = ControlsPanel(load_preset("circle"))
    QtWidgets.QVBoxLayout(window).addWidget(panel)
    pressed = []
    shortcut = QtGui.QShortcut(QtGui.QKeySequence(Qt.Key.Key_Space), window)
    shortcut.activated.connect(lambda: pressed.append("space"))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    panel.samples.setFocus()
    qtbot.waitUntil(lambda: panel.samples.hasFocus())
    qtbot.keyClick(panel.samples, Qt.Key.Key_Space)
    assert pressed == ["space"] and panel.samples.value() == 300


def test_clicking_empty_panel_space_takes_focus_from_an_editor(make_panel, qtbot):
    panel, rec = make_panel()
    panel.activateWindow()
    panel.samples.setFocus()
    qtbot.waitUntil(lambda: panel.samples.hasFocus())
    qtbot.mouseClick(panel, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(panel.width() // 2, panel.height() - 5))
    assert not panel.samples.hasFocus()


def test_the_preset_line_says_when_the_shown_config_was_edited(make_panel, qtbot):
    panel, rec = make_panel()
    assert "Edited" not in panel.preset_description.text()
    click(qtbot, panel.layer_rows[0].plus)
    assert "Edited" in panel.preset_description.text()
    panel.set_config(load_preset("circle"))
    assert "Edited" not in panel.preset_description.text()


def test_removing_a_row_takes_it_off_the_screen_at_once(make_panel, qtbot):
    panel, rec = make_panel()
    old_row = panel.layer_rows[-1]
    click(qtbot, panel.remove_layer_button)
    assert not old_row.activation.isVisible()  # no overlap with the new rows before the deferred delete
