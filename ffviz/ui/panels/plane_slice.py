"""The slice bar above the decision boundary, for data with more than two inputs: which two inputs span the
plane (two combo boxes) and the value every other input is held at (a field each, its training mean until
the user types another). It sends a PlaneSlice to the worker; the plane drawn comes back in a snapshot, so the
fields always show the values the engine used."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from ffviz.engine.plane import PlaneSlice
from ffviz.errors import FfvizError
from ffviz.ui import format as fmt
from ffviz.ui import theme as themes


class PlaneSliceBar(QtWidgets.QFrame):
    """Axes and held values of the plane's slice; hidden for data with two inputs or fewer."""

    slice_requested = Signal(object)  # PlaneSlice

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("planeSliceBar")
        self._theme = themes.DEFAULT
        self._names: tuple = ()
        self._axes: tuple[int, int] = (0, 1)
        self._held: dict[int, float] = {}  # every held input's value as the engine used it
        self._chosen: dict[int, float] = {}  # … of those, the ones the user typed
        self.x_combo = QtWidgets.QComboBox()
        self.y_combo = QtWidgets.QComboBox()
        for combo in (self.x_combo, self.y_combo):
            combo.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
            combo.currentIndexChanged.connect(self._on_axis_picked)
        self.means_button = QtWidgets.QPushButton("Means")
        self.means_button.setToolTip("Hold every other input at its mean over the training set")
        self.means_button.clicked.connect(self._on_means)
        self.message = QtWidgets.QLabel()  # a value that could not be used: one line, nothing changed
        self.message.setObjectName("planeSliceMessage")
        self.message.hide()
        self._fields: dict[int, QtWidgets.QLineEdit] = {}
        self._held_row = QtWidgets.QHBoxLayout()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Horizontal"))
        top.addWidget(self.x_combo, 1)
        top.addWidget(QtWidgets.QLabel("Vertical"))
        top.addWidget(self.y_combo, 1)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addLayout(self._held_row)
        lay.addWidget(self.message)
        self._updating = False
        self.hide()

    # ------------------------------------------------------------------ from the view

    def show_plane(self, plane) -> None:
        """Show the slice `plane` was computed on (None, or a plane of 2-D data: hide)."""
        if plane is None or plane.axes is None:
            self._set_wanted(False)
            return
        self._updating = True  # filling the widgets from the engine is no request
        try:
            if plane.names != self._names:
                self._names = tuple(plane.names)
                for combo in (self.x_combo, self.y_combo):
                    combo.clear()
                    combo.addItems(list(self._names))
            self._axes = tuple(plane.axes)
            self.x_combo.setCurrentIndex(self._axes[0])
            self.y_combo.setCurrentIndex(self._axes[1])
            self._held = {int(c): float(v) for c, v in plane.held}
            self._chosen = {c: v for c, v in self._held.items() if c in plane.chosen}
            self._fill_fields()
        finally:
            self._updating = False
        self._set_wanted(True)

    wanted = False  # shown where it is docked (a bar without a parent would be a window of its own)

    def _set_wanted(self, on: bool) -> None:
        self.wanted = on
        if self.parentWidget() is not None:
            self.setVisible(on)

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        self.setFont(theme.font("status"))
        self.message.setStyleSheet(f"color: {theme.qss_color(theme.palette.error)}; font-weight: bold;")

    # ------------------------------------------------------------------ fields

    def field(self, column: int) -> QtWidgets.QLineEdit:
        """The field of a held input (for tests)."""
        return self._fields[column]

    def _fill_fields(self) -> None:
        cols = tuple(self._held)
        if cols != tuple(self._fields):
            while self._held_row.count():
                item = self._held_row.takeAt(0)
                if item.widget() is not None and item.widget() is not self.means_button:  # kept: it is re-added
                    item.widget().deleteLater()
            self._fields = {}
            for c in cols:
                self._held_row.addWidget(QtWidgets.QLabel(f"{self._names[c]} ="))
                edit = QtWidgets.QLineEdit()
                edit.setToolTip(f"The value {self._names[c]} is held at on this plane (Enter applies it)")
                edit.setMaximumWidth(90)
                edit.editingFinished.connect(lambda c=c: self._on_value_typed(c))
                self._fields[c] = edit
                self._held_row.addWidget(edit)
            self._held_row.addWidget(self.means_button)
            self._held_row.addStretch(1)
        for c, edit in self._fields.items():
            if not edit.hasFocus() or not edit.isModified():
                edit.setText(self._shown(self._held[c]))
                edit.setModified(False)

    @staticmethod
    def _shown(value: float) -> str:
        """A held value as its field shows it: four significant digits (a mean's 3.8200000003 is 3.820)."""
        return fmt.number(value, fmt.SIG4)

    def _on_value_typed(self, column: int) -> None:
        edit = self._fields.get(column)
        if edit is None or self._updating or not edit.isModified():
            return  # focus left a field that was not typed in: its (rounded) text is no new value
        text = edit.text()
        try:
            value = fmt.parse(text, f"the value of {self._names[column]}")
        except FfvizError as exc:
            self.message.setText(f"⚠ {exc}")
            self.message.show()
            edit.setText(self._shown(self._held[column]))  # back to the value the plane shows: nothing changed
            edit.setModified(False)
            return
        edit.setModified(False)
        self.message.hide()
        if value == self._held.get(column) and column in self._chosen:
            return
        chosen = dict(self._chosen)
        chosen[column] = value
        self.slice_requested.emit(PlaneSlice(self._axes, tuple(sorted(chosen.items()))))

    def _on_axis_picked(self, _index: int) -> None:
        if self._updating or self.x_combo.currentIndex() < 0 or self.y_combo.currentIndex() < 0:
            return
        a, b = self.x_combo.currentIndex(), self.y_combo.currentIndex()
        if a == b:  # the same input on both axes: the other one takes the place this one left
            old_a, old_b = self._axes
            a, b = (a, old_a) if b == old_b else (old_b, b)
        self.message.hide()
        self.slice_requested.emit(PlaneSlice((a, b), tuple(sorted(self._chosen.items()))))

    def _on_means(self) -> None:
        self.message.hide()
        self.slice_requested.emit(PlaneSlice(self._axes, ()))
