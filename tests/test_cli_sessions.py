"""`ffviz train` and sessions: the run folder holds session.ffviz; training a session on, or from update K of its
timeline, gives what one straight run gives, bit for bit; --plots and `ffviz export` draw every view offscreen,
and an animation of the next updates."""

import csv
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from ffviz import cli
from ffviz.engine.session_state import restore
from ffviz.engine.state import same_state
from ffviz.io.session import load_session
from tests.engine.compare import assert_same


def run(capsys, *args) -> tuple[int, list[str], str]:
    rc = cli.main([*map(str, args)])
    captured = capsys.readouterr()
    return rc, captured.err.strip().splitlines(), captured.out


def same_folders(a, b, names=("weights.json", "history.csv")) -> None:
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    with np.load(a / "weights.npz", allow_pickle=False) as x, np.load(b / "weights.npz", allow_pickle=False) as y:
        assert sorted(x.files) == sorted(y.files)
        for key in x.files:
            np.testing.assert_array_equal(x[key], y[key])
    ra, rb = (restore(load_session(d / "session.ffviz").run) for d in (a, b))
    assert same_state(ra.state(), rb.state())
    assert_same(ra.history().eval_step, rb.history().eval_step)
    assert_same(ra.history().batch_loss, rb.history().batch_loss)


def test_a_session_trains_on_as_one_straight_run(tmp_path, capsys):
    """spiral: Adam on shuffled mini-batches of 10 (the batch order and both moments must come back)."""
    assert run(capsys, "train", "spiral", "--steps", 130, "--out", tmp_path / "straight")[0] == 0
    assert run(capsys, "train", "spiral", "--steps", 70, "--out", tmp_path / "split")[0] == 0
    rc, err, out = run(capsys, "train", tmp_path / "split" / "session.ffviz", "--steps", 60)  # into its folder
    assert rc == 0 and err == [] and "trained 60 updates (to update 130)" in out and "session.ffviz" in out
    same_folders(tmp_path / "straight", tmp_path / "split")


def test_rewinding_to_update_k_then_m_updates_is_a_straight_run_of_k_plus_m(tmp_path, capsys):
    assert run(capsys, "train", "spiral", "--steps", 300, "--out", tmp_path / "long")[0] == 0
    rc, err, out = run(capsys, "train", tmp_path / "long" / "session.ffviz", "--rewind-to", 137, "--steps", 41,
                       "--out", tmp_path / "rewound")
    assert rc == 0 and err == [] and "trained 41 updates (to update 178)" in out
    assert run(capsys, "train", "spiral", "--steps", 178, "--out", tmp_path / "straight")[0] == 0
    same_folders(tmp_path / "straight", tmp_path / "rewound")


@pytest.mark.parametrize("args, needle", [
    (["--rewind-to", 5000], "update 5000 is not in this run"),
    (["--seed", 3], "--seed cannot change a saved session"),
])
def test_what_a_session_cannot_do_is_one_line(tmp_path, capsys, args, needle):
    assert run(capsys, "train", "xor", "--steps", 20, "--out", tmp_path)[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    rc, err, _ = run(capsys, "train", tmp_path / "session.ffviz", "--steps", 5, *args)
    assert rc == 2 and len(err) == 1 and needle in err[0]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_rewind_needs_a_session_and_out_is_needed_otherwise(tmp_path, capsys):
    rc, err, _ = run(capsys, "train", "xor", "--steps", 5, "--rewind-to", 2, "--out", tmp_path)
    assert rc == 2 and "give a session" in err[0]
    rc, err, _ = run(capsys, "train", "xor", "--steps", 5)
    assert rc == 2 and "--out is required" in err[0]


def test_plots_draws_every_view_as_png_and_svg_for_a_slide(tmp_path, capsys, qapp):
    from PySide6 import QtGui

    from ffviz.ui.offscreen import export_name, view_keys
    rc, err, out = run(capsys, "train", "circle", "--steps", 40, "--out", tmp_path, "--plots")
    assert rc == 0 and err == [] and "pictures" in out
    for key in view_keys():
        name = export_name(key)
        image = QtGui.QImage(str(tmp_path / f"{name}.png"))
        assert image.width() == 1920 and image.height() == 1440, name  # the views are 4:3
        assert ET.parse(tmp_path / f"{name}.svg").getroot().tag.endswith("svg")
    with open(tmp_path / "history.csv") as f:
        assert list(csv.reader(f))[-1][0] == "40"


def test_export_draws_a_session_and_animates_its_next_updates_without_changing_it(tmp_path, capsys, qapp):
    from PIL import Image

    from ffviz.engine import Trainer, load_preset
    from ffviz.ui import offscreen
    from ffviz.ui.animation import PLANE
    from ffviz.ui.export import render_image
    assert run(capsys, "train", "xor", "--steps", 25, "--out", tmp_path / "run")[0] == 0
    session = tmp_path / "run" / "session.ffviz"
    before = session.read_bytes()
    rc, err, out = run(capsys, "export", session, "--out", tmp_path / "pics", "--animate", 12, "--stride", 4,
                       "--frame-width", 320, "--scale", 0.5)
    assert rc == 0 and err == [] and "4 frames of boundary" in out
    assert session.read_bytes() == before
    assert Image.open(tmp_path / "pics" / "decision-boundary.png").size == (480, 360)
    gif = Image.open(tmp_path / "pics" / "decision-boundary-animation.gif")
    apng = Image.open(tmp_path / "pics" / "decision-boundary-animation.png")
    assert gif.n_frames == apng.n_frames == 4 and gif.size == apng.size == (320, 240)
    assert apng.is_animated and apng.info.get("loop") == 0
    # the last frame is the boundary after 25 + 12 updates, as the window would draw it (APNG is lossless)
    apng.seek(3)
    last = np.asarray(apng.convert("RGB"))
    reference = Trainer(load_preset("xor"))
    reference.step(37)
    views = offscreen.make_views(["boundary"])
    offscreen.show(views, reference.snapshot(plane_resolution=PLANE))
    image = render_image(views[0].view.export_target(), 320).convertToFormat(QtGui_format())
    offscreen.close(views)
    drawn = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(
        image.height(), image.bytesPerLine())[:, :image.width() * 3].reshape(image.height(), image.width(), 3)
    assert np.array_equal(last, drawn)
    apng.seek(0)
    assert not np.array_equal(np.asarray(apng.convert("RGB")), last)  # it moved


def QtGui_format():
    from PySide6 import QtGui
    return QtGui.QImage.Format.Format_RGB888


def test_a_session_from_a_newer_ffviz_is_refused_by_the_command_line(tmp_path, capsys):
    import io
    import zipfile
    assert run(capsys, "train", "xor", "--steps", 3, "--out", tmp_path)[0] == 0
    src = zipfile.ZipFile(tmp_path / "session.ffviz")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "manifest.json":
                m = json.loads(body)
                m["version"] += 1
                body = json.dumps(m).encode()
            zf.writestr(info.filename, body)
    (tmp_path / "new.ffviz").write_bytes(out.getvalue())
    for command in (["train", tmp_path / "new.ffviz", "--steps", 1], ["export", tmp_path / "new.ffviz", "--out",
                                                                       tmp_path / "x"]):
        rc, err, _ = run(capsys, *command)
        assert rc == 2 and len(err) == 1 and "newer ffviz" in err[0]
