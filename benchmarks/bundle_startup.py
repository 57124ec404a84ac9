"""Start-up time of the one-folder bundle to a shown window, against `python -m ffviz` from the venv, measured
in the same run on the same virtual screen. Issue 14's target: the bundle shows its window within 2 s.

    python benchmarks/bundle_startup.py [--runs 10] [--bundle dist/ffviz/ffviz] [--python .venv/bin/python]

"Shown" is the moment the X server maps the app's top-level window (a MapNotify event on the root window,
read from `xev`, so nothing polls and competes with the app for the CPU); the first paint follows it. Each
run starts the program from nothing on the default preset, with scratch settings, and ends it with SIGTERM once
its window is shown. The two programs take turns, after one warm-up run each (so both read from the page
cache: a first start after a reboot is slower for both). Needs Xvfb and xev (Debian: xvfb, x11-utils).
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0
TIMEOUT_S = 30.0


class Screen:
    """Xvfb on a free display, and an xev that reports every top-level window the server maps."""

    def __init__(self, work: Path):
        read, write = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24",
                                      "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise SystemExit("bundle_startup: Xvfb did not start")
        self.display = f":{number}"
        env = dict(os.environ, DISPLAY=self.display)
        # Line-buffered, so each event arrives as it happens.
        self.xev = subprocess.Popen(["stdbuf", "-oL", "xev", "-root", "-event", "substructure"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.maps: queue.Queue[float] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.work = work

    def _read(self) -> None:
        pending = None
        for line in self.xev.stdout:
            now = time.perf_counter()
            if line.startswith("MapNotify event"):
                pending = now
            elif pending is not None and "override NO" in line:  # a top-level window, not a tooltip or menu
                self.maps.put(pending)
                pending = None
            elif pending is not None and "override YES" in line:
                pending = None

    def time_to_window(self, command: list[str]) -> float:
        while not self.maps.empty():
            self.maps.get_nowait()
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(self.work / "config"),
                   XDG_CACHE_HOME=str(self.work / "cache"), XDG_RUNTIME_DIR=str(self.work / "runtime"))
        t0 = time.perf_counter()
        app = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        try:
            while True:
                try:
                    shown = self.maps.get(timeout=0.1)
                    break
                except queue.Empty:
                    if app.poll() is not None:
                        raise SystemExit(f"bundle_startup: {' '.join(command)} exited with status "
                                         f"{app.returncode} before showing a window: {app.stderr.read()[-500:]}")
                    if time.perf_counter() - t0 > TIMEOUT_S:
                        raise SystemExit(f"bundle_startup: no window from {' '.join(command)} in {TIMEOUT_S:g} s")
            return shown - t0
        finally:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(5)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
            time.sleep(0.3)  # let the server unmap it before the next start

    def close(self) -> None:
        for proc in (self.xev, self.xvfb):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.2f} s, min {min(times):.2f}, max {max(times):.2f} "
            f"({len(times)} runs)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--bundle", default=str(ROOT / "dist" / "ffviz" / "ffviz"))
    p.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    args = p.parse_args()
    for tool in ("Xvfb", "xev", "stdbuf"):
        if shutil.which(tool) is None:
            print(f"bundle_startup: {tool} is not installed (Debian: xvfb, x11-utils, coreutils)", file=sys.stderr)
            return 2
    if not os.access(args.bundle, os.X_OK):
        print(f"bundle_startup: no bundle at {args.bundle} (bash packaging/build_bundle.sh)", file=sys.stderr)
        return 2
    programs = {"bundle": [args.bundle], "venv": [args.python, "-m", "ffviz"]}
    times: dict[str, list[float]] = {name: [] for name in programs}
    with tempfile.TemporaryDirectory(prefix="ffviz-startup-") as tmp:
        work = Path(tmp)
        (work / "runtime").mkdir(mode=0o700)
        screen = Screen(work)
        try:
            for command in programs.values():
                screen.time_to_window(command)  # warm-up: the page cache, Python's bytecode cache, fontconfig's
            for _ in range(args.runs):
                for name, command in programs.items():
                    times[name].append(screen.time_to_window(command))
        finally:
            screen.close()
    for name, command in programs.items():
        print(f"{name:6s} {' '.join(command)}: {summary(times[name])}")
    bundle, venv = statistics.median(times["bundle"]), statistics.median(times["venv"])
    print(f"bundle / venv (medians): {bundle / venv:.2f}")
    verdict = "met" if bundle <= TARGET_S else "NOT met"
    print(f"target: the bundle shows its window within {TARGET_S:g} s: {verdict} (median {bundle:.2f} s, "
          f"slowest {max(times['bundle']):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
