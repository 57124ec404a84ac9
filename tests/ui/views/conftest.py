"""Fixtures for the plot views' tests: each view made, sized and owned by qtbot."""

import pytest

from ffviz.ui.views.decision_boundary import DecisionBoundaryPlot
from ffviz.ui.views.loss_curves import LossCurvePlot


@pytest.fixture
def boundary(qtbot):
    w = DecisionBoundaryPlot()
    qtbot.addWidget(w)
    w.resize(500, 500)
    return w


@pytest.fixture
def losses(qtbot):
    w = LossCurvePlot()
    qtbot.addWidget(w)
    w.resize(700, 500)
    return w
