"""Shared pieces of the plot views' tests: trained runs, the views as fixtures, reading colours back."""


import dataclasses

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ffviz.engine import History, Trainer, from_dict, load_preset
from ffviz.ui import theme
from ffviz.ui.export import render_image
from ffviz.ui.views.loss_curves import LossCurvePlot

TRAIN_COLOR, TEST_COLOR = theme.DEFAULT.palette.train, theme.DEFAULT.palette.test

RES = 40


def trained(preset: str, steps: int = 0, evals: int = 1) -> Trainer:
    t = Trainer(load_preset(preset))
    for _ in range(evals):
        t.step(steps // evals)
        t.record_evaluation()
    return t


def snap_of(t: Trainer):
    return t.snapshot(plane_resolution=RES)


def three_input_trainer() -> Trainer:
    return Trainer(from_dict({
        "layers": [{"units": 3}, {"units": 2, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "binary_crossentropy",
        "data": {"name": "inline", "x": [[0, 0, 1], [1, 0, 0], [0, 1, 1], [1, 1, 0]], "y": [0, 1, 1, 0],
                 "test_fraction": 0},
    }))


def data_of(curve) -> tuple[np.ndarray, np.ndarray]:
    """A curve's data as given to setData (empty arrays for an empty curve)."""
    x, y = curve.getOriginalDataset()
    return (np.empty(0) if x is None else np.asarray(x)), (np.empty(0) if y is None else np.asarray(y))


def pixel_colors(widget) -> set:
    img = render_image(widget)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    px = arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)
    return {tuple(c) for c in px.reshape(-1, 4)[:, :3][::7]}


def point_colors(item, what: str) -> list:
    """Each point's fill ("brush") or ring ("pen") colour, in drawing order."""
    return [getattr(spot, what)().color().name() for spot in item.points()]


def _with_history(snap, **columns):
    h = snap.history
    fields = {f.name: getattr(h, f.name) for f in dataclasses.fields(History)}
    fields.update(columns)
    return dataclasses.replace(snap, history=History(**fields), serial=snap.serial + 1,
                               train_loss=float("inf"), test_loss=float("nan"))


def title_text(plot) -> str:
    return "".join(text for text, _ in plot.titleLabel._ffviz_runs.runs())


def has_colour(img: QtGui.QImage, rect: QtCore.QRect, color: QtGui.QColor, tol: int = 30) -> bool:
    img = img.copy(rect).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
    px = arr.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 4].reshape(-1, 4)[:, :3].astype(int)
    return bool((np.abs(px - [color.blue(), color.green(), color.red()]).max(axis=1) <= tol).any())


def shown_plot(qtbot, width=500, height=400) -> LossCurvePlot:
    w = LossCurvePlot()
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()
    qtbot.waitExposed(w)
    return w


def draw_now(widget) -> None:
    """Paint now, as the event loop would: queued scene updates (the item index) first, then the viewport."""
    QtWidgets.QApplication.processEvents()
    widget.viewport().repaint()


def rgb(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(),
                                                                                          img.bytesPerLine())
    return arr[:, :img.width() * 4].reshape(img.height(), img.width(), 4)[:, :, :3].astype(int)
