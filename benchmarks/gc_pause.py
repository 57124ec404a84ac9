"""The cyclic garbage collector's full collection on the GUI thread, with the window up, before and after
gc.freeze() (which ffviz/ui/app.py calls once the window is shown), in the same process.

A full collection walks every tracked object; Python starts one by itself when enough objects have survived
younger collections, which a run that plays for minutes makes happen, and it runs on the thread that happens to
allocate: often the GUI thread, in the middle of a frame.

    python benchmarks/gc_pause.py [--preset circle] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

from ffviz.engine import load_preset  # noqa: E402


def full_collection(rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        gc.collect(2)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="circle")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from ffviz.ui.main_window import MainWindow
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    settings = QtCore.QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(load_preset(args.preset), settings=settings)
    win.resize(1500, 920)
    win.show()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 2.0:  # the first snapshots drawn, every view built
        app.processEvents()
    objects = len(gc.get_objects())
    before = full_collection(args.rounds)
    gc.freeze()
    after = full_collection(args.rounds)
    print(f"preset {args.preset}, {objects:,} tracked objects with the window up")
    print(f"full collection: {before * 1e3:.1f} ms; after gc.freeze() ({gc.get_freeze_count():,} frozen): "
          f"{after * 1e3:.2f} ms, {after / before:.3f}× (best of {args.rounds})")
    gc.unfreeze()
    win.close()


if __name__ == "__main__":
    main()
