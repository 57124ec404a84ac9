"""The rewind timeline: a slider across the window over the run's updates, "update k of N" large enough for the
back row. Dragging back asks the worker to show update k (it restores it exactly and sends a normal snapshot,
so every view follows); while an earlier update is shown the bar says so in the warning colour, and Play or
Step continue from there (the window asks before the updates after k are dropped)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from ffviz.ui import theme as themes


class TimelinePanel(QtWidgets.QFrame):
    """Where the views are on the run's timeline; emits the update to show (`rewind_requested`)."""

    rewind_requested = Signal(int)  # show update k (k = the newest: back to the run as it is)
    continue_requested = Signal()  # continue training from the update shown

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("timelinePanel")
        self._first, self._newest, self._shown = 0, 0, 0
        self._target: int | None = None  # asked for and not yet shown (a drag, a key)
        self._theme = themes.DEFAULT
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("timelineLabel")
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # the window's keys stay the window's
        self.slider.setToolTip("Drag back to any update of the run: every view shows it exactly "
                               "(Ctrl+Left / Ctrl+Right: one update, Home: the start, End: the newest)")
        self.slider.valueChanged.connect(self._on_slider)
        self.continue_button = QtWidgets.QPushButton("Continue from here")
        self.continue_button.setToolTip("Train on from the update shown (the updates after it are dropped, "
                                        "after a confirmation)")
        self.continue_button.clicked.connect(self.continue_requested)
        self.newest_button = QtWidgets.QPushButton("Back to the newest (End)")
        self.newest_button.clicked.connect(self.go_newest)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.continue_button)
        lay.addWidget(self.newest_button)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self._render()

    # ------------------------------------------------------------------ state

    @property
    def shown(self) -> int:
        """The update the views show (the last snapshot's)."""
        return self._shown

    @property
    def newest(self) -> int:
        return self._newest

    @property
    def position(self) -> int:
        """Where the timeline is going: the update asked for last, or the one shown."""
        return self._shown if self._target is None else self._target

    @property
    def rewound(self) -> bool:
        """Whether an earlier update than the newest is shown or asked for."""
        return self.position < self._newest

    def text(self) -> str:
        return self.label.text()

    # ------------------------------------------------------------------ from the window

    def show_snapshot(self, snap) -> bool:
        newest = snap.step if snap.rewound_from is None else snap.rewound_from
        self._first, self._newest, self._shown = min(snap.first_step, snap.step), newest, snap.step
        if self._target is not None and (self._target == snap.step or self._target > newest
                                         or self._target < self._first):
            self._target = None  # arrived (or no longer on the timeline: a new run)
        self._render()
        return True

    def apply_theme(self, theme: themes.Theme) -> None:
        self._theme = theme
        big = theme.font("title", bold=True)
        self.label.setFont(big)
        for b in (self.continue_button, self.newest_button):
            b.setFont(theme.font("status", bold=True))
        h = max(24, int(big.pointSizeF() * 1.6)) if big.pointSizeF() > 0 else 28
        self.slider.setMinimumHeight(h)
        self._render()

    # ------------------------------------------------------------------ moving

    def go_to(self, k: int) -> None:
        """Ask for update k (clamped to the timeline)."""
        k = max(self._first, min(self._newest, int(k)))
        if k == self.position:
            return
        self._target = k
        self._render()
        self.rewind_requested.emit(k)

    def nudge(self, by: int) -> None:
        """One update (or `by`) along the timeline from where it is going."""
        self.go_to(self.position + by)

    def go_start(self) -> None:
        self.go_to(self._first)

    def go_newest(self) -> None:
        self.go_to(self._newest)

    def _on_slider(self, value: int) -> None:
        if not self._rendering:
            self.go_to(value)

    _rendering = False

    def _render(self) -> None:
        P = self._theme.palette
        k, n = self.position, self._newest
        self._rendering = True  # setting the slider from a snapshot is no request
        try:
            self.slider.setRange(self._first, max(self._first, n))
            if not self.slider.isSliderDown():
                self.slider.setValue(k)
        finally:
            self._rendering = False
        rewound = k < n
        if rewound:
            self.label.setText(f"Rewound to update {k} of {n} — Play continues from here, End returns")
        else:
            self.label.setText(f"Update {k} of {n}")
        self.continue_button.setVisible(rewound)
        self.newest_button.setVisible(rewound)
        # Rewound, it is a banner (the warning colour around it, where everyone looks); else the window's own
        # colours, as every other widget.
        style = ""
        if rewound:
            q = self._theme.qss_color
            style = (f"#timelinePanel {{ background: {q(P.panel)}; border: 3px solid {q(P.warning)};"
                     f" border-radius: 4px; }} #timelineLabel {{ color: {q(P.foreground)}; }}")
        if style != self.styleSheet():
            self.setStyleSheet(style)
