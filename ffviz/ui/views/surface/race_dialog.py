"""Choosing a race: learning rates (the run's η times 0.1, 1 and 10 by default, the lesson of "The learning rate":
too small crawls, too large overshoots or diverges) or update rules, and how many updates each runs."""

from __future__ import annotations

from PySide6 import QtWidgets
from PySide6.QtCore import Qt

from ffviz.engine.config import OPTIMIZERS
from ffviz.engine.race import MAX_CONTENDERS, MAX_RACE_STEPS, Contender
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt

FACTORS = (0.1, 1.0, 10.0)


class RaceDialog(QtWidgets.QDialog):
    def __init__(self, learning_rate: float, optimizer: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Race from here")
        self._lr = float(learning_rate)
        self._optimizer = optimizer
        self.by_rate = QtWidgets.QRadioButton("Learning rates, same update rule")
        self.by_rule = QtWidgets.QRadioButton("Update rules, same learning rate")
        self.by_rate.setChecked(True)
        # every digit the rate has (12 significant, so 0.1 × 0.3 reads 0.03): at 3 digits the "1×" runner of a
        # run at η = 0.123456 raced at 0.123, not the run's own rate
        self.rates = QtWidgets.QLineEdit(", ".join(fmt.plain(float(f"{self._lr * f:.12g}")) for f in FACTORS))
        self.rates.setToolTip("Comma-separated learning rates")
        self.rules = QtWidgets.QListWidget()
        for name in OPTIMIZERS:
            if name == "perceptron":
                continue
            item = QtWidgets.QListWidgetItem(name)
            item.setCheckState(Qt.CheckState.Checked if name in ("sgd", "momentum", "adam")
                               else Qt.CheckState.Unchecked)
            self.rules.addItem(item)
        self.steps_box = QtWidgets.QSpinBox()
        self.steps_box.setRange(1, MAX_RACE_STEPS)
        self.steps_box.setValue(100)
        self.error = QtWidgets.QLabel("")
        form = QtWidgets.QFormLayout()
        form.addRow(self.by_rate)
        form.addRow("η:", self.rates)
        form.addRow(self.by_rule)
        form.addRow(self.rules)
        form.addRow("Updates each:", self.steps_box)
        form.addRow(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setLayout(form)

    def contenders(self) -> list[Contender]:
        """The chosen runners; FfvizError (one line) for a bad learning rate or an empty choice."""
        if self.by_rate.isChecked():
            parts = [p for p in self.rates.text().replace(";", ",").split(",") if p.strip()]
            if not parts:
                raise FfvizError("give at least one learning rate")
            out = [Contender(self._optimizer, fmt.parse(p, "a learning rate")) for p in parts]
        else:
            out = [Contender(self.rules.item(i).text(), None) for i in range(self.rules.count())
                   if self.rules.item(i).checkState() == Qt.CheckState.Checked]
            if not out:
                raise FfvizError("tick at least one update rule")
        if len(out) > MAX_CONTENDERS:
            raise FfvizError(f"a race has at most {MAX_CONTENDERS} runners")
        return out

    def steps(self) -> int:
        return int(self.steps_box.value())

    def _accept(self) -> None:
        try:
            self.contenders()
        except FfvizError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

