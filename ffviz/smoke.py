"""`ffviz --smoke-test`: does this build of ffviz work? Used on a freshly built bundle, where a missing Qt plugin,
library or module shows only when the window is made, draws or trains.

It builds the main window offscreen on the default preset and drives it as a user would, through the window's
signals only: a few updates, one phase, half a second of play (which starts the training process), pause; then
it draws every view once by exporting PNG and SVG, and closes the window. A spawned process of this same program
also answers a round trip, and a compute process (where the window computes loss surfaces) computes a surface
equal to one computed here, so a bundle that cannot start its processes fails here rather than in a lecture. One line out, exit status 0 when all is well; one line and status 1 on any failure (FFVIZ_DEBUG=1
shows the traceback). The whole run is bounded by TIME_LIMIT_S, so a hang fails CI instead of blocking it.

Only the window's public surface is used (MainWindow(config), its command signals, `snapshot`,
`export_plots(folder)`, `close()`), so the check keeps working while the window's insides change.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import types
import xml.etree.ElementTree as ET
from pathlib import Path

TIME_LIMIT_S = 60.0  # the whole smoke test; past it, the process prints why and ends (a hang fails, not blocks)
WAIT_S = 20.0  # for any one thing the window should do
STEPS = 7
ANIMATION_UPDATES = 2
PLAY_S = 0.5
QUIET_S = 0.2  # paused: no new snapshot for this long means training has stopped
POLL_MS = 20


class SmokeFailure(Exception):
    """One line saying what did not work."""


def run_smoke_test(argv: list[str] | None = None) -> int:
    """Run the smoke test; print one line; 0 when it passed."""
    start = time.perf_counter()
    if argv:
        return _failed(f"--smoke-test takes no arguments, not {' '.join(argv)}", start, status=2)
    if not os.environ.get("QT_QPA_PLATFORM"):
        # Before Qt reads it (when the application object is made): no display is needed, and none is used.
        # A platform the caller chose (xcb, to watch it) is kept.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # as ffviz/ui/app.py: pyqtgraph must not pick another
    debug = bool(os.environ.get("FFVIZ_DEBUG"))
    watchdog = threading.Timer(TIME_LIMIT_S, _give_up, args=(start, debug))
    watchdog.daemon = True
    watchdog.start()
    try:
        summary = _smoke_test(start)
    except SmokeFailure as exc:
        return _failed(str(exc), start)
    except Exception as exc:  # noqa: BLE001 - a smoke test reports, it does not crash
        if debug:
            raise
        return _failed(f"{type(exc).__name__}: {exc}", start)
    finally:
        watchdog.cancel()
    print(f"ffviz smoke test passed: {summary} in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


def _failed(message: str, start: float, status: int = 1) -> int:
    print(f"ffviz smoke test failed: {' '.join(message.split())} (after {time.perf_counter() - start:.1f} s)",
          file=sys.stderr, flush=True)
    return status


def _give_up(start: float, debug: bool) -> None:
    """The watchdog: the main thread is stuck (perhaps inside Qt, where no Python timer can fire)."""
    if debug:
        faulthandler.dump_traceback(all_threads=True)
    _failed(f"did not finish within {TIME_LIMIT_S:g} s", start)
    os._exit(1)  # the stuck thread will not return; the training process ends when its pipe closes


def _smoke_test(start: float) -> str:
    from PySide6 import QtCore, QtGui, QtWidgets

    from ffviz.engine import DEFAULT_PRESET, load_preset
    from ffviz.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory(prefix="ffviz-smoke-") as tmp:
        tmp = Path(tmp)
        # The window keeps its layout in QSettings: here it reads and writes a scratch file, so a smoke test
        # neither depends on a user's saved layout nor overwrites it with an offscreen one.
        QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)
        for scope in (QtCore.QSettings.Scope.UserScope, QtCore.QSettings.Scope.SystemScope):
            QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, scope, str(tmp / "settings"))
        # Qt's chatter (offscreen: "This plugin does not support propagateSizeHints()") would break the one
        # line; FFVIZ_DEBUG=1 lets it through. A fatal message (no platform plugin, say) is the failure line:
        # Qt ends the process right after it.
        if not os.environ.get("FFVIZ_DEBUG"):
            def on_qt_message(kind, context, message) -> None:
                if kind == QtCore.QtMsgType.QtFatalMsg:
                    _failed(f"Qt: {message}", start)
            QtCore.qInstallMessageHandler(on_qt_message)
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
        app.setOrganizationName("ffviz")
        app.setApplicationName("ffviz")
        probe = _ChildProbe()  # answers while the window works; collected at the end
        problems = _Problems()
        window = MainWindow(load_preset(DEFAULT_PRESET))
        try:
            # A failure the window shows the user (the training process could not start, a view could not
            # draw, an export failed) is a failure here. The window marks them with ⚠ in its status bar.
            window.statusBar().messageChanged.connect(problems.status_message)
            window.show()
            wait = _Waiter(problems)
            wait.until(lambda: window.snapshot is not None, "the window showed no first snapshot")
            first = window.snapshot.step

            window.step_requested.emit(STEPS)
            wait.until(lambda: window.snapshot.step == first + STEPS, f"{STEPS} updates did not show")

            window.phase_step_requested.emit()
            after = first + STEPS
            wait.until(lambda: window.snapshot.step == after and window.snapshot.trace is not None
                       and window.snapshot.trace.step == after + 1, "one phase step did not show")

            training = _play(window, wait)
            _surface_in_compute_process(wait)
            _animations()

            window.pause_requested.emit()
            wait.quiet(lambda: window.snapshot, "training did not stop after pause")
            problems.check()

            folder = tmp / "export"
            folder.mkdir()
            files = window.export_plots(folder)
            problems.check()
            rendered = _check_exports(files, QtGui)
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()
        ended = _wait_ended(training, wait)
        if not ended:
            raise SmokeFailure("the training process was still running after the window closed")
        probe.check(wait)
        problems.check()
    return (f"{STEPS} updates, phase step, {PLAY_S:g} s of play in a training process, a loss surface from the "
            f"compute process, {rendered} files rendered, a GIF and an APNG of {ANIMATION_UPDATES} updates")


class _Problems:
    """What went wrong while the event loop ran: an exception in a slot, a ⚠ message from the window."""

    def __init__(self):
        self.first: str | None = None
        self._hook = sys.excepthook
        sys.excepthook = self._exception  # PySide6 reports an exception raised in a slot here, then goes on

    def _exception(self, kind, exc, tb) -> None:
        if os.environ.get("FFVIZ_DEBUG"):
            self._hook(kind, exc, tb)
        self.note(f"{kind.__name__} in the window: {exc}")

    def status_message(self, text: str) -> None:
        if text.startswith("⚠"):
            self.note(f"the window said: {text.lstrip('⚠ ')}")

    def note(self, message: str) -> None:
        if self.first is None:
            self.first = message

    def check(self) -> None:
        if self.first is not None:
            raise SmokeFailure(self.first)


class _Waiter:
    """Runs Qt's event loop until something is true, for WAIT_S at most (a QEventLoop polled by a QTimer)."""

    def __init__(self, problems: _Problems):
        self._problems = problems

    def until(self, condition, failure: str, timeout_s: float = WAIT_S) -> None:
        self.spin(lambda: self._problems.first is not None or condition(), timeout_s)
        self._problems.check()
        if not condition():
            raise SmokeFailure(f"{failure} within {timeout_s:g} s")

    def quiet(self, value, failure: str, timeout_s: float = WAIT_S) -> None:
        """Until value() has stayed the same object for QUIET_S."""
        seen = {"value": value(), "since": time.perf_counter()}

        def settled() -> bool:
            now = value()
            if now is not seen["value"]:
                seen["value"], seen["since"] = now, time.perf_counter()
            return time.perf_counter() - seen["since"] >= QUIET_S

        self.until(settled, failure, timeout_s)

    def for_seconds(self, seconds: float, each=None) -> None:
        """Run the event loop for `seconds`, calling each() every POLL_MS."""
        end = time.perf_counter() + seconds

        def done() -> bool:
            if each is not None:
                each()
            return time.perf_counter() >= end

        self.spin(lambda: self._problems.first is not None or done(), seconds + 1)
        self._problems.check()

    def spin(self, done, timeout_s: float) -> None:
        """Run the event loop until done() or timeout_s, whichever comes first."""
        from PySide6 import QtCore
        if done():
            return
        loop = QtCore.QEventLoop()
        poll = QtCore.QTimer()
        poll.setInterval(POLL_MS)
        poll.timeout.connect(lambda: done() and loop.quit())
        deadline = QtCore.QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        poll.start()
        deadline.start(round(timeout_s * 1000))
        loop.exec()
        poll.stop()
        deadline.stop()


def _play(window, wait: _Waiter) -> list:
    """Play for PLAY_S once training shows; the training processes seen meanwhile (the window's children)."""
    seen: dict[int, multiprocessing.process.BaseProcess] = {}

    def look() -> None:
        for child in multiprocessing.active_children():
            if child.name != _ChildProbe.NAME:
                seen.setdefault(child.pid, child)
        for child in seen.values():
            # Ended by itself with an error: a bundle that cannot run its training process (status 2 is this
            # program refusing the arguments it was started with). Killed (a negative status) is the window's.
            if child.exitcode is not None and child.exitcode > 0:
                raise SmokeFailure(f"the training process ended by itself with exit status {child.exitcode}")

    before = window.snapshot.step

    def trained() -> bool:
        look()
        return window.snapshot.step > before

    window.play_requested.emit()
    wait.until(trained, "playing trained nothing")
    wait.for_seconds(PLAY_S, look)
    if not seen:
        raise SmokeFailure("playing as fast as it goes started no training process")
    return list(seen.values())


def _surface_in_compute_process(wait: _Waiter) -> None:
    """A loss surface computed in a compute process of this program equals the same surface computed here."""
    import numpy

    from ffviz.engine import DEFAULT_PRESET, Trainer, load_preset
    from ffviz.engine.compute_process import ComputeProcess
    from ffviz.engine.requests import SurfaceViewRequest, answer
    from ffviz.engine.surface import SurfaceRequest
    from ffviz.engine.training_process import ProcessGone
    trainer = Trainer(load_preset(DEFAULT_PRESET))
    trainer.step(STEPS)
    request = SurfaceViewRequest("surface", trainer.run_id, trainer.step_count, 0, trainer.state(),
                                 SurfaceRequest.random_plane(resolution=11), trainer.timeline.trajectory())
    process = ComputeProcess()

    def started() -> bool:
        try:
            return process.ready()
        except ProcessGone:
            return True  # gone: ready() says so again below

    try:
        wait.spin(started, WAIT_S)
        if not process.ready():
            raise SmokeFailure(f"the compute process did not start within {WAIT_S:g} s")
        there = process.compute(request)
    except ProcessGone as exc:
        raise SmokeFailure(str(exc)) from None
    finally:
        process.close()
    here = answer(request)
    if there is None or there.error is not None or here.error is not None:
        raise SmokeFailure("the compute process gave no surface: "
                           f"{there.error if there is not None else 'no answer'}")
    if not numpy.array_equal(there.value.loss, here.value.loss, equal_nan=True):
        raise SmokeFailure("the compute process's surface differs from the one computed here")


def _animations() -> None:
    """A GIF and an APNG of a few updates of the loss curves (Pillow in a bundle), read back frame by frame."""
    import io

    from PIL import Image

    from ffviz.engine import DEFAULT_PRESET, Trainer, load_preset
    from ffviz.ui import animation
    # the loss curves: they change with every update (Pillow merges identical consecutive frames into one)
    frames = animation.record(Trainer(load_preset(DEFAULT_PRESET)), "loss", ANIMATION_UPDATES, width=320)
    for fmt in animation.FORMATS:
        data = animation.encode(frames, fmt)
        try:
            with Image.open(io.BytesIO(data)) as picture:
                shown = getattr(picture, "n_frames", 1)
        except Exception as exc:  # noqa: BLE001 - what Pillow says is the failure line
            raise SmokeFailure(f"the {fmt.upper()} animation does not read back: {exc}") from None
        if shown != len(frames) or len(frames) != ANIMATION_UPDATES + 1:
            raise SmokeFailure(f"the {fmt.upper()} animation has {shown} frames, not {ANIMATION_UPDATES + 1}")


def _wait_ended(processes: list, wait: _Waiter) -> bool:
    wait.spin(lambda: all(not p.is_alive() for p in processes), 5.0)
    return all(not p.is_alive() for p in processes)


def _check_exports(files, QtGui) -> int:
    """Every exported file is a non-empty picture that opens; there is an SVG beside every PNG."""
    files = [Path(f) for f in files or ()]
    if not files:
        raise SmokeFailure("exporting the plots wrote no files")
    for f in files:
        if not f.is_file() or f.stat().st_size == 0:
            raise SmokeFailure(f"the export {f.name} is missing or empty")
        if f.suffix == ".png":
            image = QtGui.QImage(str(f))
            if image.isNull() or image.width() < 2 or image.height() < 2:
                raise SmokeFailure(f"the export {f.name} is not a picture")
        elif f.suffix == ".svg":
            try:
                root = ET.parse(f).getroot()
            except ET.ParseError as exc:
                raise SmokeFailure(f"the export {f.name} is not valid SVG: {exc}") from None
            if not root.tag.endswith("svg") or len(root) == 0:
                raise SmokeFailure(f"the export {f.name} is an empty SVG")
    pngs = {f.stem for f in files if f.suffix == ".png"}
    svgs = {f.stem for f in files if f.suffix == ".svg"}
    if not pngs or pngs != svgs:
        raise SmokeFailure(f"the export is incomplete: PNG {sorted(pngs)}, SVG {sorted(svgs)}")
    return len(files)


class _ChildProbe:
    """A spawned process of this same program (the bundle's executable, when frozen) that imports the engine
    and reports back: the way the window's training process starts, checked directly and with a bound, because
    a training process that cannot start only makes the window train in its own process, slower."""

    NAME = "ffviz-smoke-probe"

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")  # as the training process: a fresh interpreter
        self._conn, theirs = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_probe_main, args=(theirs,), name=self.NAME, daemon=True)
        # A spawned child imports the parent's main module first; under `python -m ffviz` that module has no
        # `__name__ == "__main__"` guard and would run this smoke test again. The probe needs nothing from it.
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self._proc.start()
        finally:
            sys.modules["__main__"] = main
        theirs.close()

    def check(self, wait: _Waiter) -> None:
        import numpy

        from ffviz import __version__
        try:
            wait.spin(lambda: self._conn.poll() or not self._proc.is_alive(), WAIT_S)
            if not self._conn.poll():
                self._proc.join(1.0)
                status = self._proc.exitcode
                raise SmokeFailure("a spawned process of this program did not answer within "
                                   f"{WAIT_S:g} s" if status is None else
                                   f"a spawned process of this program ended with exit status {status}")
            answer = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise SmokeFailure(f"a spawned process of this program did not answer ({exc})") from None
        finally:
            self._proc.join(2.0)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(1.0)
            self._conn.close()
        expected = ("ok", __version__, numpy.__version__, 12.0)
        if tuple(answer) != expected:
            raise SmokeFailure(f"a spawned process of this program answered {answer!r}, not {expected!r}")


def _probe_main(conn) -> None:
    """In the spawned process: what the training process needs, imported, and a product computed."""
    try:
        import numpy

        import ffviz.engine  # noqa: F401 - the training process unpickles a Trainer from here
        from ffviz import __version__
        value = float(numpy.ones((3, 4)) @ numpy.ones(4) @ numpy.ones(3))
        conn.send(("ok", __version__, numpy.__version__, value))
    except Exception as exc:  # noqa: BLE001 - said to the parent, which fails the smoke test with it
        conn.send((f"{type(exc).__name__}: {exc}",))
    finally:
        conn.close()
