"""The loss curves: train and test loss J against updates, the faint per-update batch loss, accuracy below.

Draws snapshots and nothing else; the curves are pgkit.Curve items that take a history's finite points and
draw only what is new each frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from ffviz.ui import format as fmt
from ffviz.ui import theme as themes
from ffviz.ui.pgkit import (Curve, ScreenCache, StepLine, finite, log_range, log_ticks, repaint_one_rect,
                            set_label, set_title_runs, step_ceil, style_axes, style_legend)
from ffviz.ui.views import Staleness

CURVE_WIDTH = 3.0


def _branch_point(history, branch) -> float:
    """The last evaluated update that the run and a branch it left behind share (their histories agree up
    to it)."""
    n = min(len(history.eval_step), len(branch.eval_step))
    a, b = np.asarray(history.train_loss[:n]), np.asarray(branch.train_loss[:n])
    differ = np.flatnonzero((np.asarray(history.eval_step[:n]) != np.asarray(branch.eval_step[:n]))
                            | ((a != b) & ~(np.isnan(a) & np.isnan(b))))
    i = int(differ[0]) if differ.size else n  # the first evaluation they do not share
    return float(branch.eval_step[i - 1]) if i > 0 else 0.0


class LossCurvePlot(pg.GraphicsLayoutWidget):
    """Train and test loss J against updates (and the faint per-update batch loss), accuracy below.

    The accuracy plot shares the x axis and is hidden for regression.
    """

    export_name = "loss"

    def __init__(self, parent=None, theme: themes.Theme = themes.DEFAULT):
        super().__init__(parent)
        self._theme = theme
        repaint_one_rect(self)
        self.ci.setContentsMargins(6, 6, 10, 6)
        self.loss_plot = self.addPlot(row=0, col=0)
        self.accuracy_plot = self.addPlot(row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setMenuEnabled(False)  # see DecisionBoundaryPlot: the built-in SVG export is broken
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.accuracy_plot.setXLink(self.loss_plot)
        self.accuracy_plot.setYRange(-10, 110, padding=0.0)  # room for the "0" and "100" labels
        self.accuracy_plot.enableAutoRange(y=False)
        accuracy_axis = self.accuracy_plot.getAxis("left")
        accuracy_axis.setTicks([[(v, str(v)) for v in (0, 25, 50, 75, 100)]])

        self.legend = self.loss_plot.addLegend(offset=(-10, 10))
        self.legend.setFlag(self.legend.GraphicsItemFlag.ItemIgnoresTransformations, False)  # scale in exports
        # The faint batch loss keeps pyqtgraph's 5 points a pixel: where its translucent segments overlap they
        # add up, so fewer would draw it paler (it is 1 px wide and cheap; its history has ≤ 2048 points).
        self.batch_curve = Curve(pg.mkPen(width=1), name="batch", points_per_pixel=5.0)
        self.train_curve = Curve(pg.mkPen(width=CURVE_WIDTH), name="train")
        self.test_curve = Curve(pg.mkPen(width=CURVE_WIDTH), name="test")
        self.train_accuracy_curve = Curve(pg.mkPen(width=CURVE_WIDTH))
        self.test_accuracy_curve = Curve(pg.mkPen(width=CURVE_WIDTH))
        for curve in (self.batch_curve, self.train_curve, self.test_curve):
            self.loss_plot.addItem(curve)  # a named curve gets its legend entry
        for curve in (self.train_accuracy_curve, self.test_accuracy_curve):
            self.accuracy_plot.addItem(curve)
        self.batch_curve.setZValue(-1)
        # Rewound: the run's updates after the one shown (dropped if training continues from it), faded
        self.future_curves = (Curve(pg.mkPen(width=CURVE_WIDTH)), Curve(pg.mkPen(width=CURVE_WIDTH)))
        for curve in self.future_curves:
            self.loss_plot.addItem(curve)
            curve.setZValue(-2)
        self.step_lines = (StepLine(pg.mkPen(width=1.5)), StepLine(pg.mkPen(width=1.5)))
        self.loss_plot.addItem(self.step_lines[0], ignoreBounds=True)
        self.accuracy_plot.addItem(self.step_lines[1], ignoreBounds=True)

        self._screen_caches = (ScreenCache(self.loss_plot), ScreenCache(self.accuracy_plot))
        for cache, plot in zip(self._screen_caches, (self.loss_plot, self.accuracy_plot)):
            cache.cache(*(plot.getAxis(name) for name in ("left", "bottom", "right", "top")))
        self._screen_caches[0].cache(self.legend)

        self._stale = Staleness()
        self._snap = None
        self._x_end = self._y_range = None  # the ranges set last (see _fit_ranges)
        self._drawn: dict[str, tuple] = {}  # the history arrays each group of curves shows (see _changed)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.disableAutoRange()
        self._log = False
        self._show_batch = True
        self._accuracy_shown = True
        self._has_test = True
        self.apply_theme(theme)

    def export_target(self):
        return self

    def apply_theme(self, theme: themes.Theme) -> None:
        """Colours, fonts and pen widths from `theme`; the curves and titles on screen are drawn again."""
        self._theme = theme
        P = theme.palette
        self.setBackground(P.background)
        for plot in (self.loss_plot, self.accuracy_plot):
            style_axes(plot, theme)
        set_label(self.loss_plot, "left", "loss J", theme)
        set_label(self.accuracy_plot, "left", "accuracy (%)", theme)
        set_label(self.accuracy_plot, "bottom", "updates", theme)
        if not self._accuracy_shown:
            set_label(self.loss_plot, "bottom", "updates", theme)
        style_legend(self.legend, theme, framed=True)
        self.batch_curve.setPen(pg.mkPen(P.batch, width=theme.line(1)))
        for curve, color in ((self.train_curve, P.train), (self.test_curve, P.test),
                             (self.train_accuracy_curve, P.train), (self.test_accuracy_curve, P.test)):
            curve.setPen(pg.mkPen(color, width=theme.line(CURVE_WIDTH)))
        for line in self.step_lines:
            line.setPen(pg.mkPen(P.step_line, width=theme.line(1.5), style=QtCore.Qt.PenStyle.DashLine))
        for curve, color in zip(self.future_curves, (P.train, P.test)):
            faded = QtGui.QColor(color)
            faded.setAlphaF(0.3)
            curve.setPen(pg.mkPen(faded, width=theme.line(CURVE_WIDTH)))
        for sample, _ in self.legend.items:
            sample.update()
        if self._snap is not None:
            self._draw_labels(self._snap)
        else:
            set_title_runs(self.loss_plot, (), theme)
            set_title_runs(self.accuracy_plot, (), theme)

    @property
    def curves(self) -> tuple:
        return (self.batch_curve, self.train_curve, self.test_curve, self.train_accuracy_curve,
                self.test_accuracy_curve) + self.future_curves

    @property
    def snapshot(self):
        return self._snap

    @property
    def log_scale(self) -> bool:
        return self._log

    @property
    def accuracy_visible(self) -> bool:
        return self._accuracy_shown

    def show_snapshot(self, snap) -> bool:
        """Draw `snap`'s history; returns False (and draws nothing) for a snapshot older than the one on screen."""
        new_run = self._stale.new_run(snap)
        if not self._stale.newer(snap):
            return False
        if new_run:
            self.clear_curves()
        self._snap = snap
        self._set_accuracy_shown(snap.dataset.task != "regression")
        has_test = snap.dataset.x_test.shape[0] > 0
        if has_test != self._has_test:
            self._has_test = has_test
            self.test_curve.setVisible(has_test)
            self.test_accuracy_curve.setVisible(has_test)
            if has_test:
                self.legend.addItem(self.test_curve, "test")
                self._screen_caches[0].cache(self.legend)  # its new entry
            else:
                self.legend.removeItem(self.test_curve)
        self._draw_curves(snap)
        self._draw_labels(snap)
        for line in self.step_lines:
            line.setValue(snap.step)
        return True

    def _fit_ranges(self, snap) -> None:
        """Set the axes' ranges ourselves, in steps: pyqtgraph's auto-range moves them during the paint, which
        paints the plot a second time and redraws the axes every frame."""
        last = snap.step if snap.rewound_from is None else snap.rewound_from
        if snap.branch is not None and len(snap.branch.eval_step):
            last = max(last, float(snap.branch.eval_step[-1]))  # the branch left behind stays in view
        x_end = step_ceil(max(10.0, float(last)))
        changed = x_end != self._x_end
        if changed:
            self._x_end = x_end
            self.loss_plot.setXRange(0, x_end, padding=0.02)
        # the curves' bounds: every finite loss (positive on a log axis, where the bounds are log10)
        bounds = [b for b in (c.y_bounds() for c in (self.batch_curve, self.train_curve, self.test_curve)
                              + self.future_curves) if b]
        if bounds:
            if self._log:
                # within 10^±300: a subnormal loss (BCE can reach 1e-320) would make the tick maths underflow
                ends = (min(b[0] for b in bounds), max(b[1] for b in bounds))
                y_range = log_range(*(min(300.0, max(-300.0, v)) for v in ends))
            else:
                y_range = (0.0, step_ceil(max(b[1] for b in bounds)))
            if y_range != self._y_range:
                self._y_range = y_range
                # a log axis labels its ends (1, 2, 5 × 10ᵏ): room for half a label beyond each
                self.loss_plot.setYRange(*y_range, padding=0.06 if self._log else 0.02)
                if self._log:
                    self.loss_plot.getAxis("left").setTicks(log_ticks(*y_range))
                changed = True
        if changed:
            # Apply the new ranges now: a ViewBox applies them when it paints, and the items and axes that
            # change with them then ask for a second paint of the plot.
            for plot in (self.loss_plot, self.accuracy_plot):
                plot.getViewBox().updateMatrix()

    def clear_curves(self) -> None:
        """Empty every curve (a new run starts from nothing); the items stay."""
        for curve in self.curves:
            curve.set_history(np.empty(0), np.empty(0))
        self._x_end = self._y_range = None
        self._drawn = {}

    def set_log_scale(self, on: bool) -> None:
        """Loss on a log axis (accuracy stays linear)."""
        self._log = bool(on)
        self.loss_plot.setLogMode(y=self._log)
        self.loss_plot.getAxis("left").setTicks(None)  # linear: pyqtgraph's own; log: set with the range
        self.loss_plot.disableAutoRange()  # setLogMode turned auto-range on; _fit_ranges sets both ranges
        self._x_end = self._y_range = None
        self._drawn.pop("loss", None)
        self._drawn.pop("batch", None)
        self._drawn.pop("future", None)
        if self._snap is not None:
            self._draw_curves(self._snap)

    def set_show_batch_loss(self, on: bool) -> None:
        """Show the per-update loss of each mini-batch as a faint line behind the curves."""
        self._show_batch = bool(on)
        self.batch_curve.setVisible(self._show_batch)
        for sample, _ in self.legend.items:
            sample.update()  # a hidden curve's sample changes (and is drawn from a cached pixmap)

    # -------------------------------------------------------------- drawing

    def _draw_curves(self, snap) -> None:
        """Give each curve its history, if that changed since the frame before (paused, or a phase step, it
        did not; while training every frame brings an evaluation)."""
        h = snap.history
        log = self._log
        if self._changed("batch", h.batch_curve_step, h.batch_curve_loss):
            self.batch_curve.set_history(*finite(h.batch_curve_step, h.batch_curve_loss, log))  # bounded size
        if self._changed("loss", h.eval_step, h.train_loss, h.test_loss):
            self.train_curve.set_history(*finite(h.eval_step, h.train_loss, log))
            self.test_curve.set_history(*finite(h.eval_step, h.test_loss, log))
        if self._accuracy_shown and self._changed("accuracy", h.eval_step, h.train_accuracy, h.test_accuracy):
            self.train_accuracy_curve.set_history(*finite(h.eval_step, 100.0 * np.asarray(h.train_accuracy), False))
            self.test_accuracy_curve.set_history(*finite(h.eval_step, 100.0 * np.asarray(h.test_accuracy), False))
        fut = snap.future if snap.future is not None else snap.branch  # rewound, or a branch left behind
        if fut is None:
            if self._drawn.pop("future", None) is not None:
                for curve in self.future_curves:
                    curve.set_history(np.empty(0), np.empty(0))
        else:
            # from the last evaluation at or before the update shown, or where the branch left (the window
            # evaluates once a frame, so the next may be far on): the faded line starts where the solid one ends
            start = snap.step if snap.future is not None else _branch_point(h, fut)
            if self._changed("future", np.array([start]), fut.eval_step, fut.train_loss, fut.test_loss):
                steps = np.asarray(fut.eval_step)
                after = steps >= (steps[steps <= start].max() if (steps <= start).any() else start)
                self.future_curves[0].set_history(*finite(fut.eval_step[after], fut.train_loss[after], log))
                self.future_curves[1].set_history(*finite(fut.eval_step[after], fut.test_loss[after], log))
        self._fit_ranges(snap)

    def _changed(self, group: str, *arrays: np.ndarray) -> bool:
        """Whether these history arrays differ from the ones `group`'s curves show; remembers them if so."""
        shown = self._drawn.get(group)
        if shown is not None and all(a is b or (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
                                     for a, b in zip(arrays, shown)):
            return False
        self._drawn[group] = arrays
        return True

    def _draw_labels(self, snap) -> None:
        P = self._theme.palette
        gap = (" \u00a0 ", P.foreground)  # " &nbsp; " in HTML
        runs = [(f"step {snap.step}", P.foreground), gap, (f"train J = {fmt.number(snap.train_loss, fmt.SIG4, nan='—')}", P.train)]
        if self._has_test:
            runs += [gap, (f"test J = {fmt.number(snap.test_loss, fmt.SIG4, nan='—')}", P.test)]
        if snap.diverged is not None:
            runs += [gap, ("diverged", P.nonfinite)]
        set_title_runs(self.loss_plot, runs, self._theme)
        if self._accuracy_shown:
            runs = [("accuracy", P.foreground), gap, (f"train {fmt.percent(snap.train_accuracy)}", P.train)]
            if self._has_test:
                runs += [gap, (f"test {fmt.percent(snap.test_accuracy)}", P.test)]
            set_title_runs(self.accuracy_plot, runs, self._theme)

    def _set_accuracy_shown(self, show: bool) -> None:
        if show == self._accuracy_shown:
            return
        self._accuracy_shown = show
        if show:
            self.ci.addItem(self.accuracy_plot, row=1, col=0)
            self.ci.layout.setRowStretchFactor(1, 2)
            self.accuracy_plot.show()
        else:
            self.train_accuracy_curve.set_history(np.empty(0), np.empty(0))
            self.test_accuracy_curve.set_history(np.empty(0), np.empty(0))
            self._drawn.pop("accuracy", None)
            self.ci.removeItem(self.accuracy_plot)
            self.accuracy_plot.hide()
        set_label(self.loss_plot, "bottom", "" if show else "updates", self._theme)
        self.loss_plot.getAxis("bottom").showLabel(not show)
