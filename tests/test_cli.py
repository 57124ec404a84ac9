"""`ffviz` on the command line: headless training, files fed back, one-line errors, no tracebacks."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ffviz.engine import preset_names


def run(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "ffviz", *args], capture_output=True, text=True, env=e,
                          cwd=cwd, timeout=120)


def test_presets_lists_every_preset():
    res = run("presets")
    assert res.returncode == 0
    listed = [line.split()[0] for line in res.stdout.splitlines()]
    assert listed == preset_names()


def test_train_writes_weights_and_history_that_feed_back(tmp_path):
    res = run("train", "lecture", "--steps", "1", "--out", str(tmp_path / "a"))
    assert res.returncode == 0, res.stderr
    w = json.loads((tmp_path / "a" / "weights.json").read_text())
    np.testing.assert_allclose(np.array(w["layers"][1]["kernel"])[:, 0], [0.29046, 0.33927], atol=5e-6)
    assert w["trained"]["steps"] == 1
    rows = list(csv.DictReader((tmp_path / "a" / "history.csv").open()))
    assert [r["step"] for r in rows] == ["0", "1"]
    assert float(rows[1]["train_loss"]) == pytest.approx(0.11467, abs=5e-6)
    assert rows[0]["test_loss"] == ""  # the lecture has no test set
    # weights.json is itself a SPEC: one more update from the trained weights
    res = run("train", str(tmp_path / "a" / "weights.json"), "--steps", "1", "--out", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    w2 = json.loads((tmp_path / "b" / "weights.json").read_text())
    assert w2["layers"][1]["kernel"][0][0] < w["layers"][1]["kernel"][0][0]


def test_eval_every_thins_the_history(tmp_path):
    res = run("train", "circle", "--steps", "50", "--eval-every", "10", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    steps = [r["step"] for r in csv.DictReader((tmp_path / "history.csv").open())]
    assert steps == ["0", "10", "20", "30", "40", "50"]
    assert "train accuracy" in res.stdout


@pytest.mark.parametrize("args,needle", [
    (("train", "no-such-thing", "--steps", "1", "--out", "o"), "neither a preset"),
    (("train", "circle", "--out", "o"), "--steps"),
    (("train", "circle", "--steps", "-3", "--out", "o"), "--steps"),
    (("train", "circle", "--steps", "1", "--out", "o", "--learning-rate", "nan"), "learning rate"),
    (("bogus-command-or-file",), "neither a preset"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, needle):
    res = run(*args, cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr


def test_malformed_network_file_names_line_and_column(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "layers": [\n    {"units": 2},\n  ]\n}\n')
    res = run("train", str(bad), "--steps", "1", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "bad.json line 4" in res.stderr and not (tmp_path / "o" / "weights.json").exists()


def test_a_csv_with_a_text_cell_is_refused_with_its_place(tmp_path):
    (tmp_path / "d.csv").write_text("x1,x2,label\n0.1,0.2,1\n0.3,oops,0\n")
    spec = {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
            "data": {"csv": "d.csv", "test_fraction": 0}}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    res = run("train", str(tmp_path / "net.json"), "--steps", "1", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "d.csv line 3" in res.stderr and '"x2"' in res.stderr and "oops" in res.stderr


def test_divergence_writes_the_last_finite_weights_and_exits_3(tmp_path):
    spec = json.loads((Path(__file__).resolve().parents[1] / "resources/presets/regression.json").read_text())
    spec["optimizer"] = {"name": "sgd", "learning_rate": 100000.0, "batch_size": 10}
    (tmp_path / "hot.json").write_text(json.dumps(spec))
    res = run("train", str(tmp_path / "hot.json"), "--steps", "500", "--out", str(tmp_path / "o"))
    assert res.returncode == 3 and "diverged" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    w = json.loads((tmp_path / "o" / "weights.json").read_text())
    assert all(np.all(np.isfinite(layer["kernel"])) for layer in w["layers"][1:])


def test_the_window_without_a_display_says_so_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    res = subprocess.run([sys.executable, "-m", "ffviz"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 2
    assert "display" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def _train_with_ctrl_c_at(call, argv, monkeypatch):
    """Run `ffviz train` in this process, sending SIGINT (as the terminal does) at the call-th Trainer.step."""
    import signal

    from ffviz import cli
    from ffviz.engine.trainer import Trainer

    real_step, calls = Trainer.step, []

    def step(self, n=1):
        calls.append(n)
        if len(calls) == call:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(self, n)

    monkeypatch.setattr(Trainer, "step", step)
    return cli.main(["train", *argv])


def _history_steps(folder):
    with open(folder / "history.csv") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


def test_ctrl_c_stops_between_updates_and_writes_what_was_trained(tmp_path, monkeypatch, capsys):
    """A long run stopped with Ctrl+C keeps its work: weights and history up to the last whole update."""
    import signal
    before = signal.getsignal(signal.SIGINT)
    out = tmp_path / "o"
    rc = _train_with_ctrl_c_at(5, ["xor", "--steps", "1000000", "--eval-every", "10", "--out", str(out)],
                               monkeypatch)
    assert rc == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted after 50 of 1000000 updates" in err[0]
    assert json.loads((out / "weights.json").read_text())["trained"]["steps"] == 50
    assert _history_steps(out)[-1] == 50
    assert signal.getsignal(signal.SIGINT) is before  # a second Ctrl+C would interrupt as usual again


def test_ctrl_c_is_seen_soon_however_sparse_the_evaluations(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    rc = _train_with_ctrl_c_at(3, ["xor", "--steps", "1000000", "--eval-every", "1000000", "--out", str(out)],
                               monkeypatch)
    assert rc == 130
    steps = json.loads((out / "weights.json").read_text())["trained"]["steps"]
    assert 0 < steps <= 3 * 64 and _history_steps(out)[-1] == steps  # evaluated where it stopped


def test_ctrl_c_during_the_last_updates_is_not_an_interruption(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    rc = _train_with_ctrl_c_at(2, ["xor", "--steps", "100", "--eval-every", "1000", "--out", str(out)],
                               monkeypatch)
    assert rc == 0 and "trained 100 updates" in capsys.readouterr().out
    assert _history_steps(out)[-1] == 100


def test_a_run_started_with_ctrl_c_ignored_keeps_ignoring_it(tmp_path, monkeypatch, capsys):
    """`ffviz train … &` from a script: the shell made SIGINT ignored; ffviz must not take it back."""
    import signal
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        rc = _train_with_ctrl_c_at(2, ["xor", "--steps", "200", "--out", str(tmp_path / "o")], monkeypatch)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert rc == 0 and "trained 200 updates" in capsys.readouterr().out


def test_the_default_history_has_about_a_thousand_rows_and_the_last_update(tmp_path):
    res = run("train", "circle", "--steps", "2500", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    steps = [int(r["step"]) for r in csv.DictReader((tmp_path / "history.csv").open())]
    assert 800 <= len(steps) <= 1300 and steps[0] == 0 and steps[-1] == 2500
    assert steps[1] == 3  # every ceil(2500 / 1000) updates


def _launch(monkeypatch, *argv):
    """What `ffviz ARGV` hands to the window (run_app is replaced: no window opens)."""
    from ffviz import cli
    from ffviz.ui import app
    seen = {}

    def fake_run_app(cfg, base_dir, **kw):
        seen.update(cfg=cfg, base_dir=base_dir, **kw)
        return 0
    monkeypatch.setattr(app, "run_app", fake_run_app)
    return cli.main(list(argv)), seen


def test_theme_and_font_scale_reach_the_window(monkeypatch):
    code, seen = _launch(monkeypatch, "--theme", "dark", "--font-scale", "1.5", "lecture")
    assert code == 0 and seen["theme"] == "dark" and seen["font_scale"] == 1.5
    assert seen["cfg"].name == "lecture" and seen["startup_error"] is None


@pytest.mark.parametrize("args", [("--font-scale", "9"), ("--font-scale", "nan"), ("--theme", "pink")])
def test_bad_presentation_options_are_one_line(monkeypatch, capsys, args):
    code, seen = _launch(monkeypatch, *args)
    err = capsys.readouterr().err
    assert code == 2 and not seen and len(err.strip().splitlines()) == 1


def test_from_the_desktop_a_bad_file_opens_the_window_with_the_error(monkeypatch, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope")
    code, seen = _launch(monkeypatch, "--errors-in-window", str(bad))
    assert code == 0 and seen["cfg"] is None  # the default preset
    assert "bad.json line 1" in seen["startup_error"] and "\n" not in seen["startup_error"]
    assert "bad.json line 1" in capsys.readouterr().err  # and in the log a launcher keeps
    code, seen = _launch(monkeypatch, str(bad))  # in a terminal: said there, no window
    assert code == 2 and not seen
