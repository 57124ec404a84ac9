"""`ffviz --smoke-test`, the check run on a built bundle: passes on a working install, and fails in one line
(never a traceback, never a hang) when the window, its training process or its exports do not work."""

import os
import subprocess
import sys
import textwrap

import pytest

PASSED = "ffviz smoke test passed: "
FAILED = "ffviz smoke test failed: "


def _env(**extra):
    env = dict(os.environ)
    env.pop("FFVIZ_DEBUG", None)
    env.pop("QT_QPA_PLATFORM", None)  # the smoke test chooses offscreen itself
    env.pop("DISPLAY", None)  # and needs no display
    env.update(extra)
    return env


def _run_broken(tmp_path, breakage: str):
    """The smoke test in a fresh interpreter after `breakage` (Python code) has broken something."""
    script = tmp_path / "broken_smoke.py"
    script.write_text(textwrap.dedent(breakage) + textwrap.dedent("""
        import sys
        from ffviz.cli import main
        if __name__ == "__main__":
            sys.exit(main(["--smoke-test"]))
    """), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=_env(),
                          timeout=120)


def _one_failure_line(res) -> str:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    lines = (res.stdout + res.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(FAILED), lines[0]
    return lines[0]


def test_smoke_test_passes_and_says_what_it_checked():
    res = subprocess.run([sys.executable, "-m", "ffviz", "--smoke-test"], capture_output=True, text=True,
                         env=_env(), timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stderr == ""  # Qt's offscreen chatter is kept out of the one line
    line, = res.stdout.strip().splitlines()
    assert line.startswith(PASSED)
    # 14 files: the diagram, boundary, curves, surface, chain rule, vanishing gradients and activation
    # gallery, PNG and SVG each
    for part in ("7 updates", "phase step", "training process", "a loss surface from the compute process",
                 "14 files rendered", "a GIF and an APNG of 2 updates"):
        assert part in line, line


@pytest.mark.skipif(os.name != "posix", reason="the stand-in program is a shell script")
def test_a_build_that_cannot_start_its_training_process_fails(tmp_path):
    # What a bundle without multiprocessing support looks like: its executable, started as a spawned process,
    # refuses the arguments (status 2, as argparse). Only multiprocessing's resource tracker still starts.
    program = tmp_path / "refuses-to-be-spawned"
    program.write_text(f"""#!/bin/sh
case "$*" in *resource_tracker*) exec "{sys.executable}" "$@" ;; esac
exit 2
""", encoding="utf-8")
    program.chmod(0o755)
    res = _run_broken(tmp_path, f"""
        import multiprocessing
        multiprocessing.set_executable({str(program)!r})
    """)
    line = _one_failure_line(res)
    assert "training process" in line or "spawned process" in line, line


def test_an_export_that_writes_nothing_fails(tmp_path):
    res = _run_broken(tmp_path, """
        from ffviz.ui.main_window import MainWindow
        MainWindow.export_plots = lambda self, folder: []
    """)
    assert "wrote no files" in _one_failure_line(res)


def test_an_exception_inside_the_window_fails(tmp_path):
    # An exception in a slot does not stop Qt: PySide6 prints it and goes on. The smoke test must notice.
    res = _run_broken(tmp_path, """
        from ffviz.ui.main_window import MainWindow
        original = MainWindow.__init__
        def broken(self, *args, **kwargs):
            original(self, *args, **kwargs)
            def fail():
                raise RuntimeError("a view broke")
            self.frame_drawn.connect(fail)
        MainWindow.__init__ = broken
    """)
    assert "RuntimeError in the window: a view broke" in _one_failure_line(res)


def test_a_hang_fails_within_the_time_limit(tmp_path):
    res = _run_broken(tmp_path, """
        import time
        import ffviz.smoke
        from ffviz.ui.main_window import MainWindow
        ffviz.smoke.TIME_LIMIT_S = 3
        MainWindow.export_plots = lambda self, folder: time.sleep(60)  # stuck in the main thread
    """)
    assert "did not finish within 3 s" in _one_failure_line(res)


def test_smoke_test_takes_no_arguments():
    res = subprocess.run([sys.executable, "-m", "ffviz", "--smoke-test", "extra"], capture_output=True, text=True,
                         env=_env(), timeout=60)
    assert res.returncode == 2
    assert _one_failure_line(res).startswith(FAILED + "--smoke-test takes no arguments")


def test_a_compute_process_that_gives_no_surface_fails(tmp_path):
    res = _run_broken(tmp_path, """
        from ffviz.engine.compute_process import ComputeProcess
        ComputeProcess.compute = lambda self, request, *args, **kwargs: None
    """)
    assert "the compute process gave no surface" in _one_failure_line(res)


def test_an_animation_that_does_not_read_back_fails(tmp_path):
    res = _run_broken(tmp_path, """
        from ffviz.ui import animation
        animation.encode = lambda frames, fmt, fps=10.0: b"GIF89a" + bytes(20)
    """)
    assert "animation does not read back" in _one_failure_line(res)
