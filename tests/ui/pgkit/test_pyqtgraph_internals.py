"""pgkit overrides a few of pyqtgraph's private attributes where no public API does what a frame needs. Each is
listed here: a pyqtgraph upgrade that renames or drops one fails this test (instead of quietly drawing stale
pictures), and the place to look is named."""

import numpy as np
import pyqtgraph as pg
import pytest

from ffviz.ui.pgkit.curves import Curve, StepLine
from ffviz.ui.pgkit.items import PlaneImage

# (class, attributes pyqtgraph sets and pgkit reads or writes, where in pgkit)
PRIVATE = [
    (pg.PlotCurveItem, ("_boundingRect", "_boundsCache", "_lineSegmentsRendered", "_exportOpts", "_mouseShape",
                        "path", "xData", "yData", "opts"), "curves.Curve (_show, boundingRect, paint)"),
    (pg.InfiniteLine, ("_boundingRect",), "curves.StepLine.setPos"),
    (pg.ImageItem, ("_renderRequired", "_unrenderable", "qimage", "image", "lut", "levels", "axisOrder",
                    "autoDownsample"), "items.PlaneImage.render"),
]
METHODS = [(pg.PlotCurveItem, "_getLineSegments", "curves.Curve.paint")]


@pytest.mark.parametrize("cls,attrs,where", PRIVATE)
def test_the_private_attributes_pgkit_relies_on_still_exist(qtbot, cls, attrs, where):
    item = {pg.PlotCurveItem: lambda: pg.PlotCurveItem(np.arange(3.0), np.arange(3.0)),
            pg.InfiniteLine: lambda: pg.InfiniteLine(0, angle=90),
            pg.ImageItem: lambda: pg.ImageItem(np.zeros((2, 2)))}[cls]()
    missing = [a for a in attrs if not hasattr(item, a)]
    assert not missing, f"pyqtgraph {pg.__version__} has no {missing} on {cls.__name__}: see pgkit/{where}"


@pytest.mark.parametrize("cls,name,where", METHODS)
def test_the_private_methods_pgkit_calls_still_exist(cls, name, where):
    assert callable(getattr(cls, name, None)), f"pyqtgraph {pg.__version__}: {cls.__name__}.{name}: see pgkit/{where}"


def test_the_subclasses_still_draw(qtbot):
    """The overrides in use: a curve, a step line and a plane image in a plot, rendered."""
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(200, 150)
    curve = Curve(pg.mkPen("k", width=3))
    w.addItem(curve)
    curve.set_history(np.arange(50.0), np.sin(np.arange(50.0)))
    line = StepLine(pg.mkPen("k"))
    w.addItem(line)
    line.setValue(10)
    image = PlaneImage(axisOrder="row-major")
    w.addItem(image)
    image.setImage(np.random.default_rng(0).random((4, 4)), levels=(0, 1),
                   lut=np.tile(np.arange(256, dtype=np.uint8)[:, None], (1, 4)), autoLevels=False)
    img = w.grab().toImage()
    assert not img.isNull() and image.qimage is not None and image.qimage.width() == 4
    assert curve.getData()[0].size == 50
