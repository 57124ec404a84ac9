"""The network diagram view (view.py) and its pieces: colours, labels and nodes, the legend, hit testing, tooltips."""

from ffviz.ui.views.network.view import COLOR_MODES, NetworkView

__all__ = ["COLOR_MODES", "NetworkView"]
