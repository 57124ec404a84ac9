"""Drive the real ffviz window into the state of the insight screenshots in docs/, playing at 100 updates/s:

    shot.sh docs/vanishing-gradients.png -w 9 -- .venv/bin/python docs/screenshots.py vanishing
    shot.sh docs/activations.png -w 9 -- .venv/bin/python docs/screenshots.py activations
    shot.sh docs/chain-deep.png -w 6 -- .venv/bin/python docs/screenshots.py chain

(shot.sh runs it in a real X window on a virtual 1600x1000 screen and saves what is on it.) vanishing:
deep-sigmoid with the ReLU twin beside it and the diagram's gradient colours on a log scale; activations: the
circle preset's tanh network started from large weights (init sigma 2, SIGMA=...), so that tanh saturates;
chain: examples/lecture-deep.json stepped phase by phase to the end of the backward pass, kernel1[0,0] selected,
the chain-rule panel given half the window's height to show its nine paths.
"""
import os
import sys
from dataclasses import replace
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ffviz.engine.presets import load_preset
from ffviz.io.files import load_spec
from ffviz.ui.main_window import MainWindow

which = sys.argv[1]
app = QtWidgets.QApplication(sys.argv[:1])
app.setOrganizationName("ffviz")
app.setApplicationName("ffviz")
if which == "chain":
    cfg, _ = load_spec(str(Path(__file__).resolve().parent.parent / "examples" / "lecture-deep.json"))
    key = "chain"
elif which == "vanishing":
    cfg = load_preset("deep-sigmoid")
    key = "gradients"
else:  # circle's tanh network started with large weights and a high learning rate: tanh saturates
    cfg = load_preset("circle")
    cfg = replace(cfg, init=replace(cfg.init, name="normal", sigma=float(os.environ.get("SIGMA", "2"))))
    key = "activations"
win = MainWindow(cfg)
win.resize(1600, 1000)
win.show()


def go_chain():
    win.controls_dock.hide()  # the panel's long lines want the width, its nine paths the height
    for key in ("loss", "gradients", "activations"):
        win.docks[key].hide()
    win.docks["surface"].raise_()
    win.network_view.weight_selected.emit(1, "kernel", (0, 0))
    phases = int(os.environ.get("PHASES", "9"))  # 4 forward, the loss, 4 backward
    for i in range(phases):
        QtCore.QTimer.singleShot(300 * (i + 1), win.act_phase.trigger)

    def taller():  # once the window manager has given the window its size
        win.resizeDocks([win.docks["chain"]], [int(win.height() * float(os.environ.get("CHAINH", "0.5")))],
                        QtCore.Qt.Orientation.Vertical)
    QtCore.QTimer.singleShot(300 * (phases + 1), taller)


def go():
    if which == "chain":
        return go_chain()
    win.set_projector_plot(key)
    win.set_projector_layout(True)
    dock = win.docks[key]
    dock.raise_()
    win.resizeDocks([dock], [int(os.environ.get("DOCKW", "900"))], QtCore.Qt.Orientation.Horizontal)
    if which == "vanishing":
        win.act_log_gradient.setChecked(True)
        win.gradient_view.set_compare(True)
    else:
        win.gallery_view.set_layer(int(os.environ.get("LAYER", "1")))
    win.speed_requested.emit(float(os.environ.get("SPEED", "100")))
    win.play_requested.emit()


QtCore.QTimer.singleShot(800, go)
if os.environ.get("GRAB"):  # without a display: QT_QPA_PLATFORM=offscreen GRAB=out.png
    def grab():
        win.grab().save(os.environ["GRAB"])
        win.close()
    QtCore.QTimer.singleShot(int(os.environ.get("GRAB_MS", "8000")), grab)
sys.exit(app.exec())
