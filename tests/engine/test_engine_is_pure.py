"""The engine runs without a screen: importing it (and training) loads no Qt."""

import subprocess
import sys


def test_engine_imports_no_qt():
    code = ("import sys; import ffviz.engine as e; import ffviz.engine.remote; from ffviz.io import files, csv_data; "
            "t = e.Trainer(e.load_preset('circle')); t.step(3); t.snapshot(plane_resolution=8); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
