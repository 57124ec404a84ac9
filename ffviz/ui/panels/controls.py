"""The controls dock: every setting of a run, edited through the frozen RunConfig.

The panel holds the config it shows. Each edit builds a new config with `dataclasses.replace`, adapts the settings
that depend on it (output layer ↔ data, loss ↔ output activation, perceptron ↔ one step layer), validates it and
emits `config_requested`; an invalid edit shows the engine's one-line message in red and changes nothing. The
learning rate is the one live setting: it emits `learning_rate_changed` and needs no rebuild.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.engine.activations import ACTIVATIONS
from ffviz.engine.config import (INITIALIZERS, NEW_HIDDEN_LAYER, OPTIMIZER_PARAMS, OPTIMIZERS, TASK_LABELS, DataSpec,
                                 LayerSpec, RunConfig, change_kind, fit_loss, fit_output, from_perceptron,
                                 layer_sizes_text, task_of, to_perceptron, validate, without_stale_train_only)
from ffviz.engine.datasets import DATASETS, FEATURES, MAX_CLASSES, build_dataset, standardizes
from ffviz.engine.losses import LOSSES, REGULARIZATIONS
from ffviz.engine.presets import DEFAULT_PRESET, load_preset, preset_description, preset_names
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes

Qt = QtCore.Qt

MAX_HIDDEN_LAYERS = 8
MAX_HIDDEN_UNITS = 16
RAW_FEATURES = ("x1", "x2")  # a built-in dataset's raw plane: what `features=None` feeds the input layer
SEED_DRAW_LIMIT = 100_000  # seeds drawn by the panel stay short enough to read off a projector
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF Playground's menu
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
EPSILONS = (1e-8, 1e-7, 1e-6, 1e-4)

OPTIMIZER_LABELS = {"sgd": "Gradient descent (SGD)", "momentum": "Momentum", "nesterov": "Nesterov momentum",
                    "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "perceptron": "Perceptron rule"}
INIT_LABELS = {"normal": "Normal N(0, σ²)", "xavier": "Xavier / Glorot", "he": "He", "zeros": "Zeros"}
REGULARIZATION_LABELS = {"none": "None", "l1": "L1", "l2": "L2"}

# The main window's keys (run/pause, step, next phase, reset): number editors must let them through.
WINDOW_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_N, Qt.Key.Key_R, Qt.Key.Key_P)


def _shape(cfg: RunConfig) -> tuple:
    """What explicit kernels/biases depend on: the layer sizes and the input features."""
    return cfg.layer_sizes, cfg.data.features


def _units(n: int) -> str:
    return f"{n} neuron" if n == 1 else f"{n} neurons"


# ---------------------------------------------------------------- editors that leave the window's keys alone

def _pass_window_keys(widget: QtWidgets.QWidget, event: QtCore.QEvent) -> bool:
    """True when `event` is a window key asking to override a shortcut: leave it unaccepted, the window's."""
    if event.type() == QtCore.QEvent.Type.ShortcutOverride and event.key() in WINDOW_KEYS \
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        event.ignore()
        return True
    return False


class _NumberEditing:
    """For spin boxes: let the window's keys through, and scroll the dock, not the value, unless focused."""

    def event(self, event):
        return _pass_window_keys(self, event) or super().event(event)

    def wheelEvent(self, event):
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _SpinBox(_NumberEditing, QtWidgets.QSpinBox):
    def __init__(self, lo: int, hi: int, step: int = 1, parent=None):
        super().__init__(parent)
        self.setRange(lo, hi)
        self.setSingleStep(step)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setKeyboardTracking(False)  # typing "150" emits once, not for 1, 15 and 150


class _DoubleSpinBox(_NumberEditing, QtWidgets.QDoubleSpinBox):
    def __init__(self, lo: float, hi: float, step: float, decimals: int, parent=None):
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(lo, hi)
        self.setSingleStep(step)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setKeyboardTracking(False)


class _ComboBox(QtWidgets.QComboBox):
    """A choice list filled as (text, data, tooltip); it ignores the wheel unless focused."""

    def __init__(self, items=(), parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        for text, data, tip in items:
            self.add(text, data, tip)

    def add(self, text: str, data, tip: str = "") -> None:
        self.addItem(text, data)
        if tip:
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)

    def select(self, data) -> None:
        self.setCurrentIndex(self.findData(data))

    def event(self, event):
        return _pass_window_keys(self, event) or super().event(event)

    def wheelEvent(self, event):
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _NumberBox(_ComboBox):
    """An editable number with typical values in its list; `entered` carries the text on Enter or a pick."""

    entered = QtCore.Signal(str)
    error_color = themes.DEFAULT.palette.error.name()  # the theme's error colour (ControlsPanel.apply_theme)

    def __init__(self, values, parent=None):
        super().__init__(parent=parent)
        self.setEditable(True)
        self.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.setCompleter(None)  # inline completion would turn a typed "0.00" into "0.00001"
        self.setMinimumContentsLength(8)
        for v in values:
            self.addItem(fmt.plain(v), float(v))
        self.lineEdit().returnPressed.connect(lambda: self.entered.emit(self.currentText()))
        self.activated.connect(lambda _index: self.entered.emit(self.currentText()))

    def event(self, event):  # a text field: every key is the editor's, as in any line edit
        return QtWidgets.QComboBox.event(self, event)

    def show_value(self, value: float) -> None:
        self.setEditText(fmt.plain(value))
        self.set_invalid(False)

    def set_invalid(self, invalid: bool) -> None:
        self.lineEdit().setStyleSheet(f"color: {self.error_color};" if invalid else "")


def _button(text: str, tip: str) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setToolTip(tip)
    button.setAutoDefault(False)
    return button


def _form() -> QtWidgets.QFormLayout:
    form = QtWidgets.QFormLayout()
    form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setContentsMargins(0, 0, 0, 0)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(4)
    return form


def _row(*widgets, stretch_last=False) -> QtWidgets.QHBoxLayout:
    box = QtWidgets.QHBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(6)
    for w in widgets:
        box.addWidget(w)
    if not stretch_last:
        box.addStretch(1)
    return box


class _LayerRow:
    """The widgets of one layer after the input: "Layer k  [−] N neurons [+]  activation  ☑ bias"."""

    def __init__(self, index: int, is_output: bool):
        self.index, self.is_output = index, is_output
        number = index + 1
        self.name = QtWidgets.QLabel(f"Layer {number}")
        if is_output:
            self.name.setToolTip(f"Layer {number} is the output layer")
        self.minus = QtWidgets.QToolButton()
        self.minus.setText("−")
        self.minus.setToolTip(f"One neuron fewer in layer {number}")
        self.minus.setAccessibleName(f"Fewer neurons in layer {number}")
        self.plus = QtWidgets.QToolButton()
        self.plus.setText("+")
        self.plus.setToolTip(f"One neuron more in layer {number}")
        self.plus.setAccessibleName(f"More neurons in layer {number}")
        for b in (self.minus, self.plus):
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            b.setFixedWidth(24)
        self.units = QtWidgets.QLabel()
        self.units.setMinimumWidth(self.units.fontMetrics().horizontalAdvance("16 outputs") + 4)
        self.units.setAlignment(Qt.AlignmentFlag.AlignCenter)
        acts = [a for a in ACTIVATIONS.values() if is_output or a.elementwise]  # softmax: output layer only
        self.activation = _ComboBox([(a.label, a.name, a.formula) for a in acts])
        self.activation.setMinimumContentsLength(6)
        self.activation.setToolTip(f"Activation of layer {number}")
        self.activation.setAccessibleName(f"Activation of layer {number}")
        self.bias = QtWidgets.QCheckBox("bias")
        self.bias.setToolTip(f"Layer {number} adds a bias b to its weighted sum z = a·W + b")
        if is_output:
            tip = "The output layer's size is set by the data: 1 for two-class or regression, one per class"
            self.units.setToolTip(tip)
            self.minus.setToolTip(tip)
            self.plus.setToolTip(tip)
            for b in (self.minus, self.plus):  # keep the columns aligned, but nothing to press
                policy = b.sizePolicy()
                policy.setRetainSizeWhenHidden(True)
                b.setSizePolicy(policy)
                b.hide()

    def widgets(self) -> tuple:
        return self.name, self.minus, self.units, self.plus, self.activation, self.bias

    def show(self, layer: LayerSpec) -> None:
        if self.is_output:
            self.units.setText(f"{layer.units} output{'s' if layer.units != 1 else ''}")
        else:
            self.units.setText(_units(layer.units))
        self.minus.setEnabled(layer.units > 1)
        self.plus.setEnabled(layer.units < MAX_HIDDEN_UNITS)
        self.activation.select(layer.activation)
        self.activation.setToolTip(ACTIVATIONS[layer.activation].formula if layer.activation in ACTIVATIONS
                                   else layer.activation)
        self.bias.setChecked(layer.use_bias)


# ---------------------------------------------------------------- the panel

class ControlsPanel(QtWidgets.QWidget):
    """Every setting of the run; edits become validated RunConfigs (or a red one-line message)."""

    config_requested = QtCore.Signal(object)  # a complete, validated RunConfig the user asked for
    learning_rate_changed = QtCore.Signal(float)  # live: no rebuild
    preset_requested = QtCore.Signal(str)
    regenerate_requested = QtCore.Signal()  # after config_requested with a new data.seed: "new sample" status
    typing_done = QtCore.Signal()  # a typed value was taken: the window's keys should work again

    def __init__(self, config: RunConfig | None = None, parent: QtWidgets.QWidget | None = None, *,
                 rng: np.random.Generator | None = None):
        super().__init__(parent)
        self._cfg = config if config is not None else load_preset(DEFAULT_PRESET)
        self._rng = rng if rng is not None else np.random.default_rng()  # draws new data seeds and run seeds
        self._showing = False  # True while widgets are being set from a config: their signals mean nothing
        self._before_perceptron: tuple | None = None  # (layers, loss) to restore when leaving the perceptron
        self._file_tasks: dict = {}  # {(name, path): task} learnt when a CSV was opened
        self._rows: list[_LayerRow] = []
        self._theme = themes.DEFAULT
        # Clicking empty space takes the focus out of an editor, so the window's keys work again.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._build()
        self._show(self._cfg)

    # ------------------------------------------------------------ public API

    def config(self) -> RunConfig:
        """The config the panel shows (the last valid one; an invalid edit is never taken)."""
        return self._cfg

    def set_config(self, cfg: RunConfig) -> None:
        """Show `cfg` (after a preset load, a reset, a file open) without emitting anything."""
        self._cfg = cfg
        self._before_perceptron = None
        self._say("")
        self._set_hint("")
        self._show(cfg)

    def regenerate(self) -> None:
        """A new sample of the same dataset: a new data seed drawn from the panel's generator."""
        seed = self._draw_seed(self._cfg.data.seed)
        if self._commit(replace(self._cfg, data=replace(self._cfg.data, seed=seed)),
                        [f"New sample of the data (data seed {seed})."]):
            self.regenerate_requested.emit()

    def open_csv(self, path: str) -> bool:
        """Train on a CSV file (label = its last column); the input and output layers follow the file."""
        try:
            probe = build_dataset(DataSpec(name="csv", path=path, test_fraction=0.0), np.random.default_rng(0))
        except FfvizError as exc:
            self._refuse(str(exc))
            return False
        cfg = self._cfg
        width = probe.n_inputs
        # the raw plane (x1, x2 as they are) becomes the file's own columns, so their names label the axes and
        # the diagram's inputs; other features of two columns (X₁², sin X₁, ...) are kept
        keep = width == 2 and cfg.data.features not in (None, RAW_FEATURES)
        features = cfg.data.features if keep else None
        data = replace(cfg.data, name="csv", path=str(path), label=None, task="auto", x=None, y=None,
                       features=features, standardize=None,  # a file's columns: z-scored, as CSV data is by default
                       classes=probe.n_classes if probe.task == "multiclass" else cfg.data.classes)
        cfg = replace(cfg, data=data, input_units=len(features) if features is not None else width)
        self._file_tasks = {("csv", str(path)): probe.task}
        notes = [f"{os.path.basename(path)}: {width} input column{'s' if width != 1 else ''}, "
                 f"{TASK_LABELS[probe.task]} task."]
        cfg, note = fit_output(cfg, probe.task, force=True)
        notes.append(note)
        return self._commit(cfg, notes)

    @property
    def layer_rows(self) -> tuple:
        """The rows of the layers after the input, the output last."""
        return tuple(self._rows)

    # ------------------------------------------------------------ building the widgets

    def _build(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(6)

        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("Message")
        self.message.hide()
        outer.addWidget(self.message)
        self.needs_rebuild_hint = QtWidgets.QLabel()
        self.needs_rebuild_hint.setWordWrap(True)
        self.needs_rebuild_hint.hide()
        outer.addWidget(self.needs_rebuild_hint)

        for group in (self._build_preset(), self._build_data(), self._build_features(), self._build_network(),
                      self._build_training(), self._build_init()):
            group.layout().setContentsMargins(6, 4, 6, 6)
            outer.addWidget(group)
        outer.addStretch(1)
        # One label column width for every section, so the fields line up down the dock.
        forms = (self._data_form, self._training_form, self._init_form)
        labels = [form.labelForField(form.itemAt(i).widget() or form.itemAt(i).layout())
                  for form in forms for i in range(form.count())
                  if form.itemAt(i) is not None and (form.itemAt(i).widget() or form.itemAt(i).layout())]
        labels = [l for l in labels if isinstance(l, QtWidgets.QLabel)]
        width = max(l.sizeHint().width() for l in labels)
        for l in labels:
            l.setMinimumWidth(width)
            l.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _build_preset(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Preset")
        lay = QtWidgets.QVBoxLayout(box)
        self.preset = _ComboBox([(name, name, preset_description(name)) for name in preset_names()])
        self.preset.setPlaceholderText("(custom)")
        self.preset.setAccessibleName("Preset")
        self.preset.activated.connect(self._on_preset_activated)  # activated: choosing the same one reloads it
        self.preset_description = QtWidgets.QLabel()
        self.preset_description.setWordWrap(True)
        self.preset_description.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        lay.addWidget(self.preset)
        lay.addWidget(self.preset_description)
        return box

    def _build_data(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Data")
        form = _form()
        box.setLayout(form)
        self.dataset = _ComboBox([(d.label, d.name, d.description) for d in DATASETS.values()])
        self.dataset.setAccessibleName("Dataset")
        self.dataset.activated.connect(self._on_dataset_activated)
        form.addRow("Dataset", self.dataset)
        self.dataset_description = QtWidgets.QLabel()
        self.dataset_description.setWordWrap(True)
        self.dataset_description.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        form.addRow("", self.dataset_description)

        self.classes = _SpinBox(2, MAX_CLASSES)
        self.classes.setToolTip("Number of classes; the output layer gets one softmax unit per class")
        self.classes.valueChanged.connect(self._on_classes_changed)
        form.addRow("Classes", self.classes)
        self.noise = _DoubleSpinBox(0.0, 0.5, 0.05, 2)
        self.noise.setToolTip("0 is clean, 0.5 is very noisy")
        self.noise.valueChanged.connect(lambda v: self._edit_data(noise=float(v)))
        form.addRow("Noise", self.noise)
        self.samples = _SpinBox(1, 100_000, 50)
        self.samples.setToolTip("Number of points generated (training and test together)")
        self.samples.valueChanged.connect(lambda v: self._edit_data(samples=int(v)))
        form.addRow("Samples", self.samples)
        self.test_split = _SpinBox(0, 90, 5)
        self.test_split.setSuffix(" % test")
        self.test_split.setToolTip("Share of the points held out for testing (never trained on)")
        self.test_split.valueChanged.connect(lambda v: self._edit_data(test_fraction=v / 100))
        form.addRow("Split", self.test_split)

        self.data_seed = _SpinBox(-1, 2**31 - 1)
        self.data_seed.setSpecialValueText("from run seed")
        self.data_seed.setToolTip("The seed of this sample of the data; 'from run seed' follows the run's seed")
        self.data_seed.valueChanged.connect(lambda v: self._edit_data(seed=None if v < 0 else int(v)))
        self.regenerate_button = _button("Regenerate", "Draw a new sample of the same dataset (new data seed)")
        self.regenerate_button.clicked.connect(self.regenerate)
        form.addRow("Data seed", _row(self.data_seed, self.regenerate_button, stretch_last=True))

        self.open_csv_button = _button("Open CSV…", "Train on a CSV file: a header line, numbers, "
                                                    "the label in the last column")
        self.open_csv_button.clicked.connect(self._on_open_csv_clicked)
        self.file_label = QtWidgets.QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("File", _row(self.open_csv_button, self.file_label))
        self.standardize = QtWidgets.QCheckBox("standardise the inputs (z-scores)")
        self.standardize.setToolTip("Feed the network each input minus its training mean, over its standard "
                                    "deviation (on by default for CSV files); the plots stay in the data's units")
        self.standardize.toggled.connect(self._on_standardize_toggled)
        form.addRow("Inputs", self.standardize)
        self._data_form = form
        return box

    def _build_features(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Input features")
        grid = QtWidgets.QGridLayout(box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.feature_boxes: dict[str, QtWidgets.QCheckBox] = {}
        for i, (name, feature) in enumerate(FEATURES.items()):
            check = QtWidgets.QCheckBox(feature.label)
            check.setToolTip(f"Feed {feature.label} to the input layer")
            check.toggled.connect(self._on_feature_toggled)
            grid.addWidget(check, i // 4, i % 4)
            self.feature_boxes[name] = check
        self.features_note = QtWidgets.QLabel()
        self.features_note.setWordWrap(True)
        self.features_note.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        grid.addWidget(self.features_note, (len(FEATURES) + 3) // 4, 0, 1, 4)
        return box

    def _build_network(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Network")
        lay = QtWidgets.QVBoxLayout(box)
        lay.setSpacing(4)
        self.input_label = QtWidgets.QLabel()
        lay.addWidget(self.input_label)
        self._layer_grid = QtWidgets.QGridLayout()
        self._layer_grid.setHorizontalSpacing(4)
        self._layer_grid.setVerticalSpacing(3)
        self._layer_grid.setColumnStretch(4, 1)
        lay.addLayout(self._layer_grid)
        self.add_layer_button = _button("Add layer", f"Add a hidden layer before the output "
                                                     f"(up to {MAX_HIDDEN_LAYERS})")
        self.add_layer_button.clicked.connect(self._on_add_layer)
        self.remove_layer_button = _button("Remove layer", "Remove the last hidden layer (the output stays)")
        self.remove_layer_button.clicked.connect(self._on_remove_layer)
        lay.addLayout(_row(self.add_layer_button, self.remove_layer_button))
        return box

    def _build_training(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Training")
        form = _form()
        box.setLayout(form)
        self.loss = _ComboBox([(l.label, l.name, l.formula) for l in LOSSES.values()])
        self.loss.setAccessibleName("Loss")
        self.loss.activated.connect(self._on_loss_activated)
        form.addRow("Loss", self.loss)
        self.optimizer = _ComboBox([(OPTIMIZER_LABELS.get(n, n), n, "") for n in OPTIMIZERS])
        self.optimizer.setAccessibleName("Optimizer")
        self.optimizer.activated.connect(self._on_optimizer_activated)
        form.addRow("Optimizer", self.optimizer)
        self.learning_rate = _NumberBox(LEARNING_RATES)
        self.learning_rate.setAccessibleName("Learning rate")
        self.learning_rate.setToolTip("η: type a value and press Enter, or pick one; applies at once")
        self.learning_rate.entered.connect(self._on_learning_rate_entered)
        form.addRow("Learning rate η", self.learning_rate)

        self.momentum = _DoubleSpinBox(0.0, 1.0, 0.05, 3)
        self.momentum.setToolTip("Velocity kept from the previous step: v ← μ·v − η·∂J/∂W")
        self.momentum.valueChanged.connect(lambda v: self._edit_optimizer(momentum=float(v)))
        self.rho = _DoubleSpinBox(0.0, 1.0, 0.01, 3)
        self.rho.setToolTip("Decay of the running mean of squared gradients")
        self.rho.valueChanged.connect(lambda v: self._edit_optimizer(rho=float(v)))
        self.beta_1 = _DoubleSpinBox(0.0, 1.0, 0.01, 3)
        self.beta_1.setToolTip("Decay of the first moment (the running mean of gradients)")
        self.beta_1.valueChanged.connect(lambda v: self._edit_optimizer(beta_1=float(v)))
        self.beta_2 = _DoubleSpinBox(0.0, 1.0, 0.001, 4)
        self.beta_2.setToolTip("Decay of the second moment (the running mean of squared gradients)")
        self.beta_2.valueChanged.connect(lambda v: self._edit_optimizer(beta_2=float(v)))
        self.epsilon = _NumberBox(EPSILONS)
        self.epsilon.setToolTip("Added to the denominator so it is never 0; type a value and press Enter")
        self.epsilon.entered.connect(self._on_epsilon_entered)
        self._optimizer_params = {"momentum": self.momentum, "rho": self.rho, "beta_1": self.beta_1,
                                  "beta_2": self.beta_2, "epsilon": self.epsilon}
        for name, label in (("momentum", "Momentum μ"), ("rho", "Decay ρ"), ("beta_1", "β₁"),
                            ("beta_2", "β₂"), ("epsilon", "ε")):
            form.addRow(label, self._optimizer_params[name])

        self.batch_size = _SpinBox(0, 100_000)
        self.batch_size.setSpecialValueText("full")
        self.batch_size.setToolTip("Samples per update; 'full' uses the whole training set (batch gradient descent)")
        self.batch_size.valueChanged.connect(lambda v: self._edit_optimizer(batch_size=int(v) or None))
        self.shuffle = QtWidgets.QCheckBox("shuffle each epoch")
        self.shuffle.setToolTip("Visit the training points in a new order every epoch")
        self.shuffle.toggled.connect(lambda on: self._edit_optimizer(shuffle=bool(on)))
        form.addRow("Batch size", _row(self.batch_size, self.shuffle))
        self._training_form = form
        return box

    def _build_init(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Regularization and initialisation")
        form = _form()
        box.setLayout(form)
        self.regularization = _ComboBox([(REGULARIZATION_LABELS.get(k, k), k, "") for k in REGULARIZATIONS])
        self.regularization.setAccessibleName("Regularization")
        self.regularization.activated.connect(self._on_regularization_activated)
        self.regularization_rate = _NumberBox(REGULARIZATION_RATES)
        self.regularization_rate.setAccessibleName("Regularization rate")
        self.regularization_rate.setToolTip("λ: the penalty's weight; type a value and press Enter")
        self.regularization_rate.entered.connect(self._on_regularization_rate_entered)
        form.addRow("Regularization", self.regularization)
        form.addRow("Rate λ", self.regularization_rate)
        self.init = _ComboBox([(INIT_LABELS.get(n, n), n, "") for n in INITIALIZERS])
        self.init.setAccessibleName("Initialisation")
        self.init.activated.connect(self._on_init_activated)
        form.addRow("Init", self.init)
        self.init_sigma = _DoubleSpinBox(0.0, 10.0, 0.1, 2)
        self.init_sigma.setToolTip("Standard deviation σ of the normal initial weights")
        self.init_sigma.valueChanged.connect(lambda v: self._edit_init(sigma=float(v)))
        form.addRow("σ", self.init_sigma)
        self.init_bias = _DoubleSpinBox(-10.0, 10.0, 0.1, 2)
        self.init_bias.setToolTip("The value every bias starts at")
        self.init_bias.valueChanged.connect(lambda v: self._edit_init(bias=float(v)))
        form.addRow("Bias init", self.init_bias)
        self.seed = _SpinBox(0, 2**31 - 1)
        self.seed.setToolTip("The run's seed: the initial weights (and the data, unless it has its own seed)")
        self.seed.valueChanged.connect(lambda v: self._commit(replace(self._cfg, seed=int(v))))
        self.new_seed_button = _button("New seed", "Draw a new seed: new initial weights")
        self.new_seed_button.clicked.connect(self._on_new_seed)
        form.addRow("Seed", _row(self.seed, self.new_seed_button, stretch_last=True))
        self._init_form = form
        return box

    # ------------------------------------------------------------ showing a config

    def _show(self, cfg: RunConfig) -> None:
        """Set every widget from `cfg`; widget signals are ignored meanwhile."""
        self._showing = True
        try:
            self._show_preset(cfg)
            self._show_data(cfg)
            self._show_features(cfg)
            self._show_network(cfg)
            self._show_training(cfg)
            self._show_init(cfg)
        finally:
            self._showing = False

    def _show_preset(self, cfg):
        self.preset.select(cfg.name)  # -1 (the "(custom)" placeholder) when the config is no preset
        if cfg.name in preset_names():
            text = preset_description(cfg.name)
            if cfg != _preset(cfg.name):
                text += f"\nEdited since loading — choose {cfg.name} again to start over."
        else:
            text = cfg.description
        self.preset_description.setText(text)
        self.preset_description.setVisible(bool(text))

    def _show_data(self, cfg):
        d = cfg.data
        while self.dataset.count() > len(DATASETS):  # the CSV / inline entry exists only while it is shown
            self.dataset.removeItem(self.dataset.count() - 1)
        info = DATASETS.get(d.name)
        if info is None:
            text = f"CSV: {os.path.basename(d.path or '')}" if d.name == "csv" else "Inline data"
            self.dataset.add(text, d.name, d.path or "")
        self.dataset.select(d.name)
        description = info.description if info else (f"From the file {d.path}" if d.name == "csv"
                                                      else "Points given in the network file")
        self.dataset.setToolTip(description)
        self.dataset_description.setText(description)
        generated = info is not None and not info.fixed
        self._data_form.setRowVisible(self.classes, info is not None and info.task == "multiclass")
        _show_spin(self.classes, d.classes)
        _show_spin(self.noise, d.noise)
        _show_spin(self.samples, d.samples)
        _show_spin(self.test_split, round(d.test_fraction * 100))
        _show_spin(self.data_seed, -1 if d.seed is None else d.seed)
        for w in (self.noise, self.samples, self.data_seed, self.regenerate_button):
            w.setEnabled(generated)
        self.test_split.setEnabled(info is None or not info.fixed)
        why = ("" if generated else "The data comes from a file, not a generator" if info is None
               else "This dataset is one fixed sample")
        for w in (self.noise, self.samples, self.data_seed, self.regenerate_button):
            w.setStatusTip(why)
        self.file_label.setText(os.path.basename(d.path) if d.name == "csv" and d.path else "")
        self.file_label.setToolTip(d.path or "")
        self.standardize.setChecked(standardizes(d))

    def _raw_width(self, cfg) -> int:
        """How many raw input columns the data has (features need exactly 2)."""
        if cfg.data.name in DATASETS or cfg.data.features is not None:
            return 2
        if cfg.data.name == "inline" and cfg.data.x:
            return len(cfg.data.x[0])
        return cfg.input_units

    def _show_features(self, cfg):
        usable = self._raw_width(cfg) == 2
        chosen = self._features(cfg) if usable else ()
        for name, check in self.feature_boxes.items():
            check.setChecked(name in chosen)
            check.setEnabled(usable)
        self.features_note.setText("" if usable else
                                   f"The data has {cfg.input_units} input columns; features need exactly 2.")
        self.features_note.setVisible(not usable)

    def _show_network(self, cfg):
        n_in = cfg.input_units
        per = "feature" if self._raw_width(cfg) == 2 else "column"
        self.input_label.setText(f"Input: {_units(n_in)} (one per input {per})")
        if len(self._rows) != len(cfg.layers):
            self._rebuild_rows(len(cfg.layers))
        for row, layer in zip(self._rows, cfg.layers):
            row.show(layer)
        hidden = len(cfg.layers) - 1
        self.add_layer_button.setEnabled(hidden < MAX_HIDDEN_LAYERS)
        self.remove_layer_button.setEnabled(hidden > 0)

    def _rebuild_rows(self, n: int) -> None:
        for row in self._rows:
            for w in row.widgets():
                self._layer_grid.removeWidget(w)
                w.hide()  # gone from the screen now, not when the event loop gets round to deleting it
                w.deleteLater()
        self._rows = []
        for i in range(n):
            row = _LayerRow(i, i == n - 1)
            for col, w in enumerate(row.widgets()):
                self._layer_grid.addWidget(w, i, col)
            row.minus.clicked.connect(lambda _=False, i=i: self._on_units_step(i, -1))
            row.plus.clicked.connect(lambda _=False, i=i: self._on_units_step(i, +1))
            row.activation.activated.connect(lambda _=0, i=i: self._on_activation_activated(i))
            row.bias.toggled.connect(lambda on, i=i: self._on_bias_toggled(i, on))
            self._rows.append(row)
        self._fix_tab_order()

    def _fix_tab_order(self) -> None:
        """Tab visits the controls top to bottom, left to right, also after layer rows were rebuilt."""
        chain = [w for w in _widgets_in(self.layout()) if w.focusPolicy() & Qt.FocusPolicy.TabFocus]
        for first, second in zip(chain, chain[1:]):
            QtWidgets.QWidget.setTabOrder(first, second)

    def _show_training(self, cfg):
        opt = cfg.optimizer
        self.loss.select(cfg.loss)
        self.optimizer.select(opt.name)
        self.learning_rate.show_value(opt.learning_rate)
        used = OPTIMIZER_PARAMS.get(opt.name, ())
        for name, widget in self._optimizer_params.items():
            self._training_form.setRowVisible(widget, name in used)
        _show_spin(self.momentum, opt.momentum)
        _show_spin(self.rho, opt.rho)
        _show_spin(self.beta_1, opt.beta_1)
        _show_spin(self.beta_2, opt.beta_2)
        self.epsilon.show_value(opt.epsilon)
        _show_spin(self.batch_size, opt.batch_size or 0)
        self.shuffle.setChecked(opt.shuffle)
        self.shuffle.setEnabled(opt.batch_size is not None)  # a full batch is the same in any order

    def _show_init(self, cfg):
        self.regularization.select(cfg.regularization.kind)
        self.regularization_rate.show_value(cfg.regularization.rate)
        self.regularization_rate.setEnabled(cfg.regularization.kind != "none")
        self.init.select(cfg.init.name)
        self._init_form.setRowVisible(self.init_sigma, cfg.init.name == "normal")
        _show_spin(self.init_sigma, cfg.init.sigma)
        _show_spin(self.init_bias, cfg.init.bias)
        _show_spin(self.seed, cfg.seed)

    # ------------------------------------------------------------ messages

    def apply_theme(self, theme: themes.Theme) -> None:
        """The message line's and hint's colours from `theme` (the rest follows the application's palette
        and font, which the window sets)."""
        self._theme = theme
        P = theme.palette
        self.needs_rebuild_hint.setStyleSheet(f"color: {P.warning.name()};")
        for box in self.findChildren(_NumberBox):
            box.error_color = P.error.name()
        self._say(self.message.text().removeprefix("⚠ "), bool(self.message.property("error")))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(("⚠ " if error and text else "") + text)
        self.message.setStyleSheet(f"color: {self._theme.palette.error.name()}; font-weight: bold;" if error else "")
        self.message.setProperty("error", error)
        self.message.setVisible(bool(text))
        if error and text:
            self._point_at_error(self.message.text())

    def _point_at_error(self, text: str) -> None:
        """When the dock is scrolled so the message line is out of sight, repeat it beside the edited control."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QtWidgets.QScrollArea):
            area = area.parentWidget()
        if area is None or area.verticalScrollBar().value() == 0:
            return
        anchor = QtWidgets.QApplication.focusWidget()
        if anchor is None or not self.isAncestorOf(anchor):
            anchor = self
        QtWidgets.QToolTip.showText(anchor.mapToGlobal(QtCore.QPoint(0, anchor.height())), text, anchor)

    def _set_hint(self, text: str) -> None:
        self.needs_rebuild_hint.setText(text)
        self.needs_rebuild_hint.setVisible(bool(text))

    def _refuse(self, text: str) -> None:
        """An edit that cannot be taken: say why in red and show the config as it was."""
        self._say(text, error=True)
        self._show(self._cfg)

    def _rebuild_note(self, old: RunConfig, new: RunConfig) -> str:
        """What the edit does to the weights when the run takes it (engine.config.change_kind decides)."""
        if change_kind(old, new) != "rebuild":
            return ""
        reasons = []
        if old.layer_sizes != new.layer_sizes:
            reasons.append(f"network {layer_sizes_text(old)} → {layer_sizes_text(new)}")
        elif old.data.features != new.data.features:
            reasons.append("new input features")
        if [l.use_bias for l in old.layers] != [l.use_bias for l in new.layers]:
            reasons.append("bias switched")
        if old.init != new.init:
            reasons.append("new initialisation")
        if old.seed != new.seed:
            reasons.append(f"seed {new.seed}")
        reasons = reasons or ["new network"]
        if any(l.kernel is not None for l in new.layers):
            return f"⟳ The network is rebuilt ({', '.join(reasons)}) from the weights the config gives."
        return f"⟳ Rebuild ({', '.join(reasons)}): the weights will be re-initialised."

    # ------------------------------------------------------------ committing an edit

    def _commit(self, cfg: RunConfig, notes=()) -> bool:
        """Validate an edited config; emit it and show it, or say in red why not and keep the old one."""
        if self._showing:
            return False
        old = self._cfg
        notes = [n for n in notes if n]
        d, o = cfg.data, old.data
        if d.standardization is not None and (d.name, d.path, d.x, d.standardize) != (o.name, o.path, o.x, o.standardize):
            # stored statistics belong to the data they were computed on (and to the weights trained with them)
            cfg = replace(cfg, data=replace(d, standardization=None))
        if _shape(cfg) != _shape(old) and any(l.kernel is not None or l.bias is not None for l in cfg.layers):
            cfg = cfg.without_parameters()
            notes.append("The given weights no longer fit the network: they are dropped.")
        unfrozen = without_stale_train_only(cfg)
        if unfrozen is not cfg:
            cfg = unfrozen
            notes.append("The frozen weights no longer exist in this network: every weight trains again.")
        try:
            validate(cfg)
        except FfvizError as exc:
            self._refuse(str(exc))
            return False
        self._cfg = cfg
        self._show(cfg)
        self._say(" ".join(notes))
        self._set_hint(self._rebuild_note(old, cfg))
        self.config_requested.emit(cfg)
        return True

    def _edit_data(self, **changes) -> None:
        self._commit(replace(self._cfg, data=replace(self._cfg.data, **changes)))

    def _edit_optimizer(self, **changes) -> None:
        self._commit(replace(self._cfg, optimizer=replace(self._cfg.optimizer, **changes)))

    def _edit_init(self, **changes) -> None:
        self._commit(replace(self._cfg, init=replace(self._cfg.init, **changes)))

    def _draw_seed(self, current) -> int:
        seed = current
        while seed == current:
            seed = int(self._rng.integers(0, SEED_DRAW_LIMIT))
        return seed

    # ------------------------------------------------------------ adapting dependent settings

    def _task(self, cfg: RunConfig) -> str:
        """The data's task (engine.config.task_of), knowing the task of a CSV file opened here."""
        return task_of(cfg, self._file_tasks)

    # ------------------------------------------------------------ handlers: preset and data

    def _on_preset_activated(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name:
            self.preset_requested.emit(name)

    def _on_dataset_activated(self, index: int) -> None:
        name = self.dataset.itemData(index)
        cfg = self._cfg
        if name == cfg.data.name:
            return
        old_task, task = self._task(cfg), DATASETS[name].task  # only built-ins can be picked from the list
        data = replace(cfg.data, name=name, path=None, label=None, task="auto", x=None, y=None)
        cfg = replace(cfg, data=data)
        if data.features is None:  # the raw plane: two inputs
            cfg = replace(cfg, input_units=len(RAW_FEATURES))
        cfg, note = fit_output(cfg, task, force=task != old_task)
        self._commit(cfg, [note])

    def _on_classes_changed(self, value: int) -> None:
        if self._showing:
            return
        cfg = replace(self._cfg, data=replace(self._cfg.data, classes=int(value)))
        cfg, note = fit_output(cfg, self._task(cfg), force=False)
        self._commit(cfg, [note])

    def _on_standardize_toggled(self, on: bool) -> None:
        if self._showing:
            return
        self._commit(replace(self._cfg, data=replace(self._cfg.data, standardize=bool(on))))

    def _on_open_csv_clicked(self) -> None:
        path, _filter = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open a CSV data file", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.open_csv(path)

    def _features(self, cfg: RunConfig) -> tuple:
        return cfg.data.features if cfg.data.features is not None else RAW_FEATURES

    def _on_feature_toggled(self, _on: bool) -> None:
        if self._showing:
            return
        chosen = tuple(name for name, check in self.feature_boxes.items() if check.isChecked())
        if not chosen:
            self._refuse("Keep at least one input feature: the input layer needs a unit.")
            return
        cfg = self._cfg
        self._commit(replace(cfg, input_units=len(chosen), data=replace(cfg.data, features=chosen)))

    # ------------------------------------------------------------ handlers: network

    def _on_units_step(self, index: int, step: int) -> None:
        cfg = self._cfg
        layer = cfg.layers[index]
        units = layer.units + step
        if not 1 <= units <= MAX_HIDDEN_UNITS:
            self._refuse(f"A hidden layer has 1 to {MAX_HIDDEN_UNITS} neurons.")
            return
        layers = list(cfg.layers)
        layers[index] = replace(layer, units=units)
        self._commit(replace(cfg, layers=tuple(layers)))

    def _on_activation_activated(self, index: int) -> None:
        cfg = self._cfg
        name = self._rows[index].activation.currentData()
        layers = list(cfg.layers)
        layers[index] = replace(layers[index], activation=name)
        self._commit(replace(cfg, layers=tuple(layers)))

    def _on_bias_toggled(self, index: int, on: bool) -> None:
        cfg = self._cfg
        layers = list(cfg.layers)
        layer = layers[index]
        layers[index] = replace(layer, use_bias=on, train_bias=on, bias=layer.bias if on else None)
        self._commit(replace(cfg, layers=tuple(layers)))

    def _on_add_layer(self) -> None:
        cfg = self._cfg
        hidden = cfg.layers[:-1]
        if len(hidden) >= MAX_HIDDEN_LAYERS:
            self._refuse(f"At most {MAX_HIDDEN_LAYERS} hidden layers.")
            return
        template = replace(hidden[-1], kernel=None, bias=None) if hidden else NEW_HIDDEN_LAYER
        self._commit(replace(cfg, layers=hidden + (template, cfg.layers[-1])))

    def _on_remove_layer(self) -> None:
        cfg = self._cfg
        if len(cfg.layers) < 2:
            self._refuse("There is no hidden layer to remove; the output layer stays.")
            return
        self._commit(replace(cfg, layers=cfg.layers[:-2] + cfg.layers[-1:]))

    # ------------------------------------------------------------ handlers: training

    def _on_loss_activated(self, index: int) -> None:
        name = self.loss.itemData(index)
        if name == self._cfg.loss:
            return
        cfg, note = fit_loss(self._cfg, name)
        self._commit(cfg, [note])

    def _on_optimizer_activated(self, index: int) -> None:
        cfg = self._cfg
        name = self.optimizer.itemData(index)
        if name == cfg.optimizer.name:
            return
        if name == "perceptron":
            before = (cfg.layers, cfg.loss)
            cfg, note = to_perceptron(cfg)
            if note:  # the network was cut to one step layer: remember it, to give it back on leaving
                self._before_perceptron = before
        elif cfg.optimizer.name == "perceptron":
            cfg, note = from_perceptron(cfg, name, self._before_perceptron, self._task(cfg))
            self._before_perceptron = None
        else:
            cfg, note = replace(cfg, optimizer=replace(cfg.optimizer, name=name)), ""
        self._commit(cfg, [note])

    def _on_learning_rate_entered(self, text: str) -> None:
        """Apply a typed or picked learning rate live; an invalid one changes nothing and says why."""
        try:
            lr = fmt.parse(text, "the learning rate")
            cfg = validate(self._cfg.with_learning_rate(lr))
        except FfvizError as exc:
            self._say(str(exc), error=True)
            self.learning_rate.set_invalid(True)
            return
        self.learning_rate.show_value(lr)
        if self.message.property("error"):
            self._say("")
        self.typing_done.emit()
        if lr == self._cfg.optimizer.learning_rate:
            return
        self._cfg = cfg
        self._showing = True
        try:
            self._show_preset(cfg)
        finally:
            self._showing = False
        self.learning_rate_changed.emit(lr)

    def _on_epsilon_entered(self, text: str) -> None:
        try:
            eps = fmt.parse(text, "epsilon")
        except FfvizError as exc:
            self._say(str(exc), error=True)
            self.epsilon.set_invalid(True)
            return
        if eps == self._cfg.optimizer.epsilon:
            self.epsilon.show_value(eps)
            self.typing_done.emit()
            return
        if not self._commit(replace(self._cfg, optimizer=replace(self._cfg.optimizer, epsilon=eps))):
            self.epsilon.setEditText(text)
            self.epsilon.set_invalid(True)
            return
        self.typing_done.emit()

    # ------------------------------------------------------------ handlers: regularization, init, seed

    def _on_regularization_activated(self, index: int) -> None:
        kind = self.regularization.itemData(index)
        reg = self._cfg.regularization
        if kind == reg.kind:
            return
        self._commit(replace(self._cfg, regularization=replace(reg, kind=kind)))

    def _on_regularization_rate_entered(self, text: str) -> None:
        try:
            rate = fmt.parse(text, "the regularization rate")
        except FfvizError as exc:
            self._say(str(exc), error=True)
            self.regularization_rate.set_invalid(True)
            return
        reg = self._cfg.regularization
        if rate == reg.rate:
            self.regularization_rate.show_value(rate)
            self.typing_done.emit()
            return
        if not self._commit(replace(self._cfg, regularization=replace(reg, rate=rate))):
            self.regularization_rate.setEditText(text)
            self.regularization_rate.set_invalid(True)
            return
        self.typing_done.emit()

    def _on_init_activated(self, index: int) -> None:
        name = self.init.itemData(index)
        if name != self._cfg.init.name:
            self._edit_init(name=name)

    def _on_new_seed(self) -> None:
        seed = self._draw_seed(self._cfg.seed)
        self._commit(replace(self._cfg, seed=seed), [f"New seed {seed}: new initial weights."])


# ---------------------------------------------------------------- helpers

_PRESET_CONFIGS: dict[str, RunConfig] = {}


def _preset(name: str) -> RunConfig:
    """A preset's config, loaded once (to tell whether the shown config was edited since)."""
    if name not in _PRESET_CONFIGS:
        _PRESET_CONFIGS[name] = load_preset(name)
    return _PRESET_CONFIGS[name]


def _show_spin(spin: QtWidgets.QAbstractSpinBox, value) -> None:
    """Show `value`, widening the range when a config holds a value beyond what the spin box offers."""
    if value > spin.maximum():
        spin.setMaximum(value)
    if value < spin.minimum():
        spin.setMinimum(value)
    spin.setValue(value)


def _widgets_in(layout: QtWidgets.QLayout):
    """The widgets of a layout in reading order, descending into nested layouts and group boxes."""
    items = [layout.itemAt(i) for i in range(layout.count())]
    if isinstance(layout, QtWidgets.QGridLayout):
        places = [layout.getItemPosition(i) for i in range(layout.count())]
        items = [item for _place, item in sorted(zip(places, items), key=lambda p: (p[0][0], p[0][1]))]
    for item in items:
        widget, sub = item.widget(), item.layout()
        if widget is not None:
            yield widget
            if widget.layout() is not None:
                yield from _widgets_in(widget.layout())
        elif sub is not None:
            yield from _widgets_in(sub)
