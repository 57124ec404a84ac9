"""The engine runs without a screen: importing every module of it and of ffviz.io (and training) loads no Qt."""

import subprocess
import sys


def test_engine_imports_no_qt():
    code = ("import sys, pkgutil, importlib; import ffviz.engine as e, ffviz.io as io; "
            "mods = [m.name for pkg in (e, io) for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.')]; "
            "[importlib.import_module(m) for m in mods]; "
            "assert 'ffviz.engine.training_process' in mods and 'ffviz.engine.network' in mods; "
            "t = e.Trainer(e.load_preset('circle')); t.step(3); t.snapshot(plane_resolution=8); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
