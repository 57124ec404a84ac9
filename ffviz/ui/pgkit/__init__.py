"""Shared pyqtgraph pieces for ffviz's plots: styled axes and legends, cheap titles, cached items, fast images,
level curves and history curves. Views build from these; nothing here knows about networks or snapshots."""

from ffviz.ui.pgkit.cache import ScreenCache, repaint_one_rect
from ffviz.ui.pgkit.curves import Curve, StepLine, finite
from ffviz.ui.pgkit.items import BoundaryContour, PlaneImage, Points, Sample
from ffviz.ui.pgkit.style import no_si_prefix, set_label, style_axes, style_legend
from ffviz.ui.pgkit.ticks import log_range, log_ticks, nice_ceil, step_ceil
from ffviz.ui.pgkit.titles import set_title, set_title_runs

__all__ = ["no_si_prefix", "ScreenCache", "repaint_one_rect", "Curve", "StepLine", "finite", "BoundaryContour", "PlaneImage",
           "Points", "Sample", "set_label", "style_axes", "style_legend", "log_range", "log_ticks", "nice_ceil",
           "step_ceil", "set_title", "set_title_runs"]
