"""GUI time per frame of each live view: `show_snapshot` and the paint of its viewport, in ms, for a few presets.

Every millisecond the GUI spends on a frame is lost to the frame rate and to training alike (the worker waits
while the GUI draws), so the budget is a share of a 33 ms frame (30 frames/s); the total is printed as a ratio
to it. Snapshots come from a local Trainer stepped 10 updates (and evaluated, as the worker does) per frame,
after a warm-up that gives the loss curves a history of realistic length; they are drawn into the views of a
shown MainWindow (1500 × 920) whose worker stays paused.

Two measurements per preset:
- per view: `show_snapshot` timed, then `viewport().repaint()` timed (a synchronous paint). Means of wall-clock
  time; the total also as the median frame and as the GUI thread's CPU time, which other processes on a
  shared machine disturb less (compare runs by it). It leaves out what a QGraphicsScene does between the two
  in a queued call (working out what changed; a pyqtgraph item may compute a path there);
- per frame, as the event loop does it: the three `show_snapshot` calls, then `processEvents()`, which runs
  any deferred layout and paints whatever is dirty. "paints" counts paint events per viewport per frame: more
  than 1 means something (a re-layout, a geometry change) made a view paint twice; "layouts" counts the
  layout passes (LayoutRequest events) a frame caused: each costs time and may move items.

    python benchmarks/ui_frame_cost.py [--presets circle spiral softmax deep-sigmoid] [--frames 40]
                                       [--warm 200] [--profile circle] [--png DIR]

Runs offscreen unless a display is set (QT_QPA_PLATFORM decides, as for the app).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

from ffviz.engine import Trainer, load_preset  # noqa: E402

FRAME_MS = 1000.0 / 30  # the baseline: one frame at 30 frames/s
UPDATES_PER_FRAME = 10
PRESETS = ("circle", "spiral", "softmax", "deep-sigmoid")


class PaintCounter(QtCore.QObject):
    """Counts paint events of the given widgets and layout requests anywhere (an application event filter)."""

    def __init__(self, widgets):
        super().__init__()
        self.counts = {w: 0 for w in widgets}
        self.layouts = 0
        QtWidgets.QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and obj in self.counts:
            self.counts[obj] += 1
        elif event.type() == QtCore.QEvent.Type.LayoutRequest:
            self.layouts += 1
        return False

    def reset(self) -> None:
        for w in self.counts:
            self.counts[w] = 0
        self.layouts = 0

    def remove(self) -> None:
        QtWidgets.QApplication.instance().removeEventFilter(self)


def _frames(preset: str, warm: int):
    """An endless supply of snapshots of a local run, each 10 updates after the previous."""
    from ffviz.ui.worker import PLANE_RESOLUTION
    tr = Trainer(load_preset(preset))
    for _ in range(warm):  # history only: no snapshot, no plane
        tr.step(UPDATES_PER_FRAME)
        tr.record_evaluation()
    while True:
        tr.step(UPDATES_PER_FRAME)
        tr.record_evaluation()
        yield tr.snapshot(plane_resolution=PLANE_RESOLUTION)  # as the worker asks for it


def _settle(app, seconds: float = 0.3) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def measure(app, win, preset: str, frames: int, warm: int, profile: bool = False) -> dict:
    views = {"network": win.network_view, "boundary": win.boundary_plot, "loss": win.loss_plot}
    source = _frames(preset, warm)
    snap = next(source)
    for v in views.values():  # the first snapshot of a run builds the items and lays out: not a frame
        v.show_snapshot(snap)
    _settle(app)
    for _ in range(3):  # warm caches (pens, pixmaps, glyphs)
        snap = next(source)
        for v in views.values():
            v.show_snapshot(snap)
            v.viewport().repaint()
    app.processEvents()

    show = {k: [] for k in views}
    paint = {k: [] for k in views}
    totals, cpu = [], []
    prof = cProfile.Profile() if profile else None
    for _ in range(frames):
        snap = next(source)
        if prof:
            prof.enable()
        c0 = time.thread_time()
        for k, v in views.items():
            t0 = time.perf_counter()
            v.show_snapshot(snap)
            t1 = time.perf_counter()
            v.viewport().repaint()
            t2 = time.perf_counter()
            show[k].append(t1 - t0)
            paint[k].append(t2 - t1)
        cpu.append(time.thread_time() - c0)
        totals.append(sum(show[k][-1] + paint[k][-1] for k in views))
        if prof:
            prof.disable()
        app.processEvents()  # deliver whatever the frame posted, outside the timings

    counter = PaintCounter([v.viewport() for v in views.values()])
    loop, paints, layouts = [], {k: [] for k in views}, []
    for _ in range(frames):
        snap = next(source)
        app.processEvents()
        counter.reset()
        t0 = time.perf_counter()
        for v in views.values():
            v.show_snapshot(snap)
        app.processEvents()
        loop.append(time.perf_counter() - t0)
        for k, v in views.items():
            paints[k].append(counter.counts[v.viewport()])
        layouts.append(counter.layouts)
    counter.remove()

    ms = 1000.0
    return {"show": {k: statistics.fmean(x) * ms for k, x in show.items()},
            "paint": {k: statistics.fmean(x) * ms for k, x in paint.items()},
            "median": statistics.median(totals) * ms, "cpu": statistics.fmean(cpu) * ms,
            "loop": statistics.fmean(loop) * ms, "loop_median": statistics.median(loop) * ms,
            "paints": {k: statistics.fmean(x) for k, x in paints.items()}, "layouts": statistics.fmean(layouts),
            "profile": prof}


def report(preset: str, r: dict) -> float:
    print(f"\n{preset}")
    print(f"  {'view':<10}{'show ms':>9}{'paint ms':>10}{'sum ms':>9}{'paints/frame':>14}")
    total_show = total_paint = 0.0
    for k in r["show"]:
        s, p = r["show"][k], r["paint"][k]
        total_show += s
        total_paint += p
        print(f"  {k:<10}{s:9.2f}{p:10.2f}{s + p:9.2f}{r['paints'][k]:14.2f}")
    total = total_show + total_paint
    print(f"  {'total':<10}{total_show:9.2f}{total_paint:10.2f}{total:9.2f}"
          f"      ratio to a {FRAME_MS:.0f} ms frame: {total / FRAME_MS:.2f}")
    print(f"  median frame {r['median']:.2f} ms (ratio {r['median'] / FRAME_MS:.2f}); "
          f"GUI thread CPU {r['cpu']:.2f} ms (ratio {r['cpu'] / FRAME_MS:.2f})")
    print(f"  event-loop frame (3 × show + processEvents): mean {r['loop']:.2f} ms, median {r['loop_median']:.2f} ms,"
          f" ratio {r['loop'] / FRAME_MS:.2f}; layouts/frame {r['layouts']:.1f}")
    return total, r["cpu"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=list(PRESETS))
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--warm", type=int, default=200, help="frames of history before measuring (no drawing)")
    ap.add_argument("--profile", metavar="PRESET", help="cProfile the per-view frames of this preset")
    ap.add_argument("--png", metavar="DIR", help="save each view as a PNG after the last frame of each preset")
    args = ap.parse_args()

    from ffviz.ui.main_window import MainWindow
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    settings = QtCore.QSettings(os.path.join(tempfile.mkdtemp(), "bench.ini"), QtCore.QSettings.Format.IniFormat)
    win = MainWindow(load_preset(args.presets[0]), settings=settings)
    win.resize(1500, 920)
    win.show()
    _settle(app, 1.0)  # the worker's first snapshot arrives; it stays paused, so no more follow
    print(f"GUI time per frame, {args.frames} frames, {args.warm} frames of history, window 1500×920, "
          f"platform {QtWidgets.QApplication.platformName()}")
    totals = {}
    try:
        for preset in args.presets:
            r = measure(app, win, preset, args.frames, args.warm, profile=(preset == args.profile))
            totals[preset] = report(preset, r)
            if args.png:
                os.makedirs(args.png, exist_ok=True)
                for name, view in (("network", win.network_view), ("boundary", win.boundary_plot),
                                   ("loss", win.loss_plot)):
                    view.grab().save(os.path.join(args.png, f"{preset}-{name}.png"))
            if r["profile"] is not None:
                print()
                pstats.Stats(r["profile"]).sort_stats("cumulative").print_stats(45)
    finally:
        win.close()
        app.processEvents()
    wall = statistics.fmean(t[0] for t in totals.values())
    cpu = statistics.fmean(t[1] for t in totals.values())
    print(f"\nmean over presets: {wall:.2f} ms per frame, ratio to a {FRAME_MS:.0f} ms frame {wall / FRAME_MS:.2f}; "
          f"GUI thread CPU {cpu:.2f} ms, ratio {cpu / FRAME_MS:.2f}")


if __name__ == "__main__":
    main()
