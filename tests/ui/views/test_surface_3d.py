"""The loss surface's 3-D view: its geometry is the engine's grid (heights are J, linearly; the path at its true
J; the markers at the run's point and its next step), and where there is no OpenGL it says so in one line and
the 2-D map stays. The pixels are checked on a virtual X screen (offscreen Qt has no OpenGL)."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("OpenGL")

from ffviz.engine import Trainer, load_preset  # noqa: E402
from ffviz.engine.surface import Landscape, SurfaceRequest, compute_surface, point_on  # noqa: E402
from ffviz.ui.views.surface import view3d  # noqa: E402
from ffviz.ui.views.surface.view import LossSurfaceView  # noqa: E402


def lecture_result(steps=0):
    tr = Trainer(load_preset("lecture"))
    tr.step(steps)
    ls = Landscape.of_trainer(tr)
    res = compute_surface(SurfaceRequest.two_weights(0, 1, resolution=21), ls, tr.timeline.trajectory())
    return res, point_on(res, ls)


def test_the_sheet_the_path_and_the_markers_are_the_engines_numbers(qtbot, monkeypatch):
    monkeypatch.setattr(view3d, "missing", lambda: None)  # build the GL items; nothing is painted here
    w = view3d.Surface3D()
    qtbot.addWidget(w)
    res, pt = lecture_result(steps=3)
    w.show_result(res)
    w.show_point(pt)
    verts = w.surface._meshdata.vertexes().reshape(21, 21, 3)
    lo, hi = float(res.loss.min()), float(res.loss.max())
    np.testing.assert_allclose(verts[..., 2], (res.loss - lo) / (hi - lo) * view3d.TOP, rtol=1e-6, atol=1e-9)
    scale = 2.0 / max(res.a[-1] - res.a[0], res.b[-1] - res.b[0])
    np.testing.assert_allclose(verts[:, 0, 0], (res.a - (res.a[0] + res.a[-1]) / 2) * scale, atol=1e-6)
    np.testing.assert_allclose(verts[0, :, 1], (res.b - (res.b[0] + res.b[-1]) / 2) * scale, atol=1e-6)
    path = w.path.pos
    assert path.shape == (4, 3)  # updates 0 … 3
    np.testing.assert_allclose(path[:, 2] - 0.03 * view3d.TOP, view3d.heights(res.path_surface_loss, lo, hi), atol=1e-9)
    here, there = w.markers.pos
    np.testing.assert_allclose(here[:2], [(pt.ab[0] - (res.a[0] + res.a[-1]) / 2) * scale,
                                          (pt.ab[1] - (res.b[0] + res.b[-1]) / 2) * scale], atol=1e-9)
    np.testing.assert_allclose(there[:2] - here[:2], np.asarray(pt.step_ab) * scale, atol=1e-9)


def test_without_opengl_it_says_why_and_the_map_stays(qtbot):
    # the tests' Qt is offscreen: no OpenGL context, as on a machine without a GPU driver
    view = LossSurfaceView()
    qtbot.addWidget(view)
    view.set_3d(True)
    assert not view.box3d.isChecked() and view.stack.currentWidget() is view.canvas
    line = view.state_text()
    assert line.startswith("No 3-D: ") and "\n" not in line and "OpenGL" in line


RENDER = r"""
import sys
import numpy as np
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
sys.path.insert(0, sys.argv[1])
from tests.ui.views.test_surface_3d import lecture_result
from ffviz.ui.views.surface.view3d import Surface3D
w = Surface3D()
assert w.reason is None, w.reason
w.resize(500, 400)
w.show()
res, pt = lecture_result()
w.show_result(res); w.show_point(pt)
for _ in range(30):
    app.processEvents()
assert w.available, "no GL context"
img = w.grab_image().convertToFormat(w.grab_image().Format.Format_RGB888)
a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3]
a = a.reshape(img.height(), img.width(), 3).astype(int)
print(len(np.unique(a.reshape(-1, 3), axis=0)))
"""


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (Debian xvfb)")
def test_on_a_real_display_it_draws_the_coloured_sheet(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    res = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 800x600x24", sys.executable, "-c", RENDER, root],
                         capture_output=True, text=True, timeout=120, env=env, cwd=root)
    assert res.returncode == 0, res.stderr[-2000:]
    colours = int(res.stdout.strip().splitlines()[-1])
    assert colours > 50  # a viridis sheet shaded over the grid, not a blank or one-colour window
