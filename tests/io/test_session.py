"""Session files (.ffviz): a run saved and reopened predicts and trains on bit for bit; a newer, damaged, hostile
or wrong-kind file is refused in one line; nothing is ever unpickled. Fuzzed with hypothesis (1,000 cases a
test in the ffviz-fuzz profile)."""

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ffviz.engine import Trainer, load_preset
from ffviz.engine.session_state import capture, restore
from ffviz.engine.state import same_state
from ffviz.errors import FfvizError
from ffviz.io import session as session_io
from ffviz.io.session import is_session, load_session, parse_session, save_session, session_bytes, \
    session_writer
from ffviz.io.weights import npz_bytes
from tests.engine.compare import assert_same
from tests.io.test_fuzz import JSON_VALUES, only_ffviz_errors


def reopened(trainer, tmp_path, view=None):
    path = save_session(tmp_path / "run.ffviz", capture(trainer), view)
    session = load_session(path)
    return restore(session.run), session


def test_a_reopened_session_predicts_and_trains_on_bit_for_bit(tmp_path):
    cfg = load_preset("spiral")  # Adam, shuffled mini-batches of 10
    straight, first = Trainer(cfg), Trainer(cfg)
    for t in (straight, first):
        t.step(250)
        t.record_evaluation()
    view = {"color_mode": "gradient", "log_scale": True, "selection": [1, "kernel", [0, 1]]}
    again, session = reopened(first, tmp_path, view)
    assert session.view == view and session.version == session_io.VERSION
    x = np.random.default_rng(0).normal(size=(50, cfg.input_units))
    for a, b in zip(first.predict(x), again.predict(x)):
        np.testing.assert_array_equal(a, b)
    for t in (straight, again):
        t.step(400)
        t.record_evaluation()
    assert same_state(straight.state(), again.state())
    assert_same(straight.history(), again.history())
    assert_same(straight.trace, again.trace)


def test_the_history_is_written_from_the_runs_own_buffers_as_an_array_of_rows(tmp_path):
    trainer = Trainer(load_preset("circle"))
    trainer.step(3000)  # past the history's first buffers: its columns are views of a grown buffer
    run = capture(trainer)
    history = trainer.history()
    assert np.shares_memory(run.updates[1], history.batch_loss)  # captured without a copy
    streamed = io.BytesIO()
    session_writer(run)(streamed)
    assert streamed.getvalue() == session_bytes(run)
    zf = zipfile.ZipFile(io.BytesIO(streamed.getvalue()))
    manifest = json.loads(zf.read("manifest.json"))
    with zf.open(manifest["history"]["updates"] + ".npy") as f:
        updates = np.lib.format.read_array(f, allow_pickle=False)
    np.testing.assert_array_equal(updates, np.stack([history.update_step, history.batch_loss]))
    again = restore(load_session(save_session(tmp_path / "run.ffviz", run)).run)
    assert_same(trainer.history(), again.history())


def test_csv_data_comes_back_from_the_session_even_when_the_file_changed(tmp_path):
    rows = "".join(f"{100 * i},{i % 3},{'cat' if i % 2 else 'dog'}\n" for i in range(40))
    (tmp_path / "d.csv").write_text("a,b,kind\n" + rows)
    cfg = load_preset("circle")
    cfg = replace(cfg, data=replace(cfg.data, name="csv", path="d.csv", test_fraction=0.25))
    first = Trainer(cfg, base_dir=tmp_path)
    first.step(30)
    path = save_session(tmp_path / "s.ffviz", capture(first))
    (tmp_path / "d.csv").write_text("a,b,kind\n1,2,cat\n")  # changed since: the session has its own copy
    again = restore(load_session(path).run)
    assert again.dataset.class_names == ("cat", "dog") and again.dataset.standardization is not None
    assert_same(first.dataset, again.dataset)
    first.step(20)
    again.step(20)
    assert same_state(first.state(), again.state())


def test_a_hand_made_data_set_saves_with_the_session(tmp_path):
    cfg = load_preset("xor")
    points = ((-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.5))
    cfg = replace(cfg, data=replace(cfg.data, name="inline", x=points, y=((1.0,), (1.0,), (0.0,), (0.0,)),
                                    test_fraction=0.0, task="binary"))
    first = Trainer(cfg)
    first.step(5)
    again, _ = reopened(first, tmp_path)
    assert again.config == first.config  # the points are in the config, and its data
    np.testing.assert_array_equal(again.dataset.raw_train, np.array(points))


def test_only_the_newest_checkpoints_that_fit_are_kept(tmp_path, monkeypatch):
    cfg = load_preset("circle")
    first = Trainer(cfg)
    first.step(2000)
    state = first.state()
    one = sum(a.nbytes for a in (state.params, *state.optimizer[1:]) if a is not None)
    monkeypatch.setattr(session_io, "CHECKPOINT_BYTES", 3 * one)
    again, _ = reopened(first, tmp_path)
    kept = [s.step for s in again.timeline.checkpoints()]
    assert kept == [s.step for s in first.timeline.checkpoints()][-len(kept):] and 1 < len(kept) < 8
    with pytest.raises(FfvizError, match="older than the run's oldest checkpoint"):
        again.restore_step(kept[0] - 1)
    again.restore_step(kept[0] + 3)  # within what was kept: exact
    ref = Trainer(cfg)
    ref.step(kept[0] + 3)
    assert same_state(again.state(), ref.state())


# ---------------------------------------------------------------- refused, in one line, changing nothing

@pytest.fixture(scope="module")
def small_session() -> bytes:
    t = Trainer(load_preset("lecture"))
    t.step(3)
    return session_bytes(capture(t), {"color_mode": "weight"})


def rezip(data: bytes, manifest=None, extra: dict | None = None, drop=()) -> bytes:
    """The session with its manifest replaced (a dict) and entries added or dropped."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = src.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                body = json.dumps(manifest).encode()
            zf.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            zf.writestr(name, body)
    return out.getvalue()


def manifest_of(data: bytes) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))


def refused(data: bytes) -> str:
    with pytest.raises(FfvizError) as err:
        restore(parse_session(data, "s.ffviz").run)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400
    return message


def test_a_session_from_a_newer_ffviz_is_refused_not_misread(small_session):
    m = manifest_of(small_session)
    m["version"] = session_io.VERSION + 1
    m["ffviz"] = "9.0"
    message = refused(rezip(small_session, m))
    assert "newer ffviz (ffviz 9.0)" in message and "update ffviz" in message


@pytest.mark.parametrize("make, needle", [
    (lambda good: b"", "not a zip"),
    (lambda good: b"hello, world", "not a zip"),
    (lambda good: good[: len(good) // 2], "truncated"),
    (lambda good: npz_bytes(load_preset("xor"), *Trainer(load_preset("xor")).layout.views(
        Trainer(load_preset("xor")).params)), "is a weights file"),
    (lambda good: rezip(good, drop=("manifest.json",)), "no manifest.json"),
    (lambda good: rezip(good, {"format": "something-else"}), "not an ffviz session"),
    (lambda good: rezip(good, {**manifest_of(good), "state": 7}), "state must be from 0 to"),
    (lambda good: rezip(good, {**manifest_of(good), "unknown": 1}), "unknown key"),
    (lambda good: rezip(good, drop=("a0.npy",)), "does not hold"),
])
def test_damaged_and_wrong_kind_files_are_one_line(small_session, make, needle):
    assert needle in refused(make(small_session))


def test_an_array_of_python_objects_is_never_unpickled(small_session):
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    m = manifest_of(small_session)
    m["states"][m["state"]]["params"] = "a999"
    assert "Python objects" in refused(rezip(small_session, m, {"a999.npy": buf.getvalue()}))


def test_a_generator_state_numpy_would_not_take_is_refused(small_session):
    m = manifest_of(small_session)
    m["states"][0]["shuffle_state"]["bit_generator"] = "MT19937"
    assert "PCG64" in refused(rezip(small_session, m))


def test_is_session_tells_sessions_from_weights(small_session):
    t = Trainer(load_preset("xor"))
    assert is_session(small_session)
    assert not is_session(npz_bytes(t.config, t.kernels, t.biases)) and not is_session(b"PK")


# ---------------------------------------------------------------- fuzzing the reader

FUZZ = settings()  # the profile decides: 100 cases quickly, 1,000 in ffviz-fuzz


def _paths(node, prefix=()):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _paths(v, prefix + (k,))


def _read_and_restore(data: bytes) -> None:
    with only_ffviz_errors():
        restore(parse_session(data, "fuzz.ffviz").run)


@FUZZ
@given(st.data())
def test_fuzz_the_manifest(small_session, data):
    """One value anywhere in a valid manifest replaced by any JSON value."""
    m = manifest_of(small_session)
    paths = list(_paths(m))
    path = paths[data.draw(st.integers(0, len(paths) - 1))]
    target = m
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(JSON_VALUES | st.integers(-2**130, 2**130) | st.sampled_from(
        ["a0", "a1", "a9999", 0, 1, -1, 2**64, None, [], {}]))
    _read_and_restore(rezip(small_session, m))


npy_arrays = st.one_of(
    st.builds(lambda shape, fill: np.full(shape, fill), st.lists(st.integers(0, 4), max_size=3).map(tuple),
              st.sampled_from([0.0, 1.0, np.nan, np.inf, -1.0, 1e308])),
    st.builds(lambda n: np.arange(n, dtype=np.int64), st.integers(0, 6)),
    st.sampled_from([np.array("text"), np.array([1, 2], dtype=np.uint8), np.array([True]),
                     np.zeros((2, 2), dtype=np.complex128), np.zeros(3, dtype=np.float32)]),
)


@FUZZ
@given(st.integers(0, 40), npy_arrays)
def test_fuzz_the_arrays(small_session, index, arr):
    """One array entry replaced by another array of any shape and type."""
    names = [n for n in zipfile.ZipFile(io.BytesIO(small_session)).namelist() if n != "manifest.json"]
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    name = names[index % len(names)]
    _read_and_restore(rezip(small_session, extra={name: buf.getvalue()}, drop=(name,)))


@FUZZ
@given(st.integers(0, 2**31), st.integers(0, 255), st.integers(0, 2**31))
def test_fuzz_the_bytes(small_session, at, value, cut):
    """A byte of the file changed, and the file cut short."""
    data = bytearray(small_session)
    data[at % len(data)] = value
    _read_and_restore(bytes(data[: max(0, len(data) - cut % 200)]))
