"""Fuzzing the readers and writers (hypothesis): whatever the input, the only exception is FfvizError (one
line), no NumPy warning escapes, and a refused write leaves the old file as it was.

These tests take their number of cases from the hypothesis profile: the default one is quick; the fuzzing
profile runs 1,000 cases each:  FFVIZ_HYPOTHESIS_PROFILE=ffviz-fuzz .venv/bin/python -m pytest tests/io/test_fuzz.py
"""

import contextlib
import io
import json
import math
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ffviz.engine import Trainer, from_dict, load_preset, preset_dict, preset_names
from ffviz.engine.config import DataSpec
from ffviz.engine.datasets import build_dataset
from ffviz.errors import FfvizError
from ffviz.io.files import load_network_file, save_network_file, write_history_csv, write_run
from ffviz.io.weights import npz_bytes, parse_npz, save_weights_npz

FUZZ = settings()  # the loaded profile decides how many cases


@contextlib.contextmanager
def only_ffviz_errors():
    """The body may raise FfvizError (one line, not empty) and nothing else; a NumPy warning is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be an extra line on the user's terminal
        try:
            yield
        except FfvizError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) <= 1000
            message.encode("utf-8")  # printable


@contextlib.contextmanager
def folder():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


# ---------------------------------------------------------------- readers

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25)


def _mutated_preset(draw_value, path_index, name):
    """A preset's network file with one value somewhere replaced."""
    spec = json.loads(json.dumps(preset_dict(name)))
    paths = []

    def walk(node, prefix):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            paths.append(prefix + (k,))
            walk(v, prefix + (k,))

    walk(spec, ())
    path = paths[path_index % len(paths)]
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw_value
    return spec


network_text = st.one_of(
    st.text(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True)),
    st.builds(_mutated_preset, JSON_VALUES, st.integers(0, 10_000), st.sampled_from(preset_names()))
    .map(lambda d: json.dumps(d, allow_nan=True)),
    st.builds(lambda d, cut: json.dumps(d)[:cut], st.sampled_from(preset_names()).map(preset_dict),
              st.integers(0, 2000)),
)


@FUZZ
@given(network_text)
def test_network_file_text(text):
    with folder() as d:
        path = d / "net.json"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        with only_ffviz_errors():
            load_network_file(path)


good_rows = st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e300, 1e300),
                               st.sampled_from(["0", "1", "2", "cat", "dog"])), min_size=1, max_size=30)
csv_text = st.one_of(
    st.text(max_size=300),
    good_rows.map(lambda rows: "x1,x2,y\n" + "".join(f"{a!r},{b!r},{c}\n" for a, b, c in rows)),
    st.lists(st.one_of(
        st.text(alphabet=st.sampled_from(list(",;\t \n\r\".-+e0123456789naifx_ABCé\x00")), max_size=20),
        st.sampled_from(["x1,x2,y", "a,b,c,label", "1,2,0", "3,4,cat", "1e308,-1e308,1", "nan", "inf",
                         "\ufeff", ",,", "\n", '"', "dog", "1,2,dog\n", "0,0,1\n"])), max_size=25).map("".join),
)


@FUZZ
@given(csv_text, st.sampled_from([None, True, False]), st.sampled_from(["auto", "binary", "multiclass",
                                                                        "regression"]),
       st.sampled_from([None, ("x1", "x2"), ("x1^2", "x1*x2")]), st.sampled_from([0.0, 0.5]))
def test_csv_text_through_the_dataset_builder(text, standardize, task, features, test_fraction):
    with folder() as d:
        (d / "d.csv").write_bytes(text.encode("utf-8", "surrogatepass"))
        spec = DataSpec(name="csv", path="d.csv", standardize=standardize, task=task, features=features,
                        test_fraction=test_fraction)
        with only_ffviz_errors():
            ds = build_dataset(spec, np.random.default_rng(0), base_dir=d)
            assert np.isfinite(ds.x_train).all() and np.isfinite(ds.x_test).all()
            assert ds.extent is None or all(math.isfinite(v) for v in ds.extent)


def _valid_npz(name: str) -> bytes:
    tr = Trainer(load_preset(name))
    return npz_bytes(tr.config, tr.kernels, tr.biases)


VALID_NPZ = {name: _valid_npz(name) for name in ("xor-2", "perceptron", "softmax")}


def _damage(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, pos, byte in edits:
        pos %= max(1, len(out))
        if kind == "flip" and out:
            out[pos] ^= byte or 1
        elif kind == "cut":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = bytes([byte])
    return bytes(out)


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _zip_of(entries) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": a file holding an entry twice is one of the cases
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


arrays = st.one_of(
    st.lists(st.floats(width=64), min_size=0, max_size=12).map(np.array),
    st.tuples(st.integers(0, 4), st.integers(0, 4)).map(lambda s: np.ones(s)),
    st.sampled_from([np.array("{}"), np.array(json.dumps(preset_dict("xor-2"))), np.zeros((2, 2), dtype=np.int8),
                     np.array([1 + 2j]), np.array(["a"]), np.zeros(3, dtype=bool)]),
)
npz_bytes_strategy = st.one_of(
    st.sampled_from(sorted(VALID_NPZ)).map(VALID_NPZ.get),  # some cases must load
    st.binary(max_size=400),
    st.builds(_damage, st.sampled_from(sorted(VALID_NPZ)).map(VALID_NPZ.get),
              st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert"]), st.integers(0, 10**6),
                                 st.integers(0, 255)), min_size=1, max_size=4)),
    st.lists(st.tuples(st.sampled_from(["config.npy", "kernel_0.npy", "bias_0.npy", "kernel_1.npy",
                                        "bias_1.npy", "other"]),
                       st.one_of(arrays.map(_npy),  # entries whose CRC is right but whose .npy is not:
                                 st.binary(max_size=120),
                                 st.tuples(arrays.map(_npy), st.integers(0, 200)).map(lambda t: t[0][:t[1]]),
                                 st.tuples(arrays.map(_npy), st.integers(0, 127), st.integers(0, 255))
                                 .map(lambda t: _damage(t[0], [("flip", t[1], t[2])])))),
             max_size=6).map(_zip_of),
)


@FUZZ
@given(npz_bytes_strategy)
def test_npz_bytes(data):
    with only_ffviz_errors():
        cfg = parse_npz(data, "w.npz")
        Trainer(cfg)  # what loads also builds a network (or refuses in one line)


# ---------------------------------------------------------------- writers: refused writes damage nothing

names = st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(["w.json", ".", "..", "a/b", "\ud800",
                                                                     "x\x00", "n" * 300, "\udcff.json"]))
weights = st.floats(width=64) | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, 0.0])


def _target(d: Path, name: str):
    """d/name with an old file in it where the system allows one; (path, old bytes or None)."""
    path = d / name
    try:
        if os.path.basename(name) == name and name not in (".", ".."):
            path.write_bytes(b"old")
            return path, b"old"
    except (OSError, ValueError):
        pass
    return path, None


def _assert_kept(path, old):
    if old is not None:
        assert path.read_bytes() == old


@FUZZ
@given(names, st.lists(weights, min_size=6, max_size=6), st.booleans())
def test_network_and_npz_writers(name, values, npz):
    cfg = from_dict(preset_dict("xor-2"))
    tr = Trainer(cfg)
    kernels = [np.array(values[:4]).reshape(2, 2), np.array(values[4:6]).reshape(2, 1)]
    with folder() as d:
        path, old = _target(d, name)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                (save_weights_npz if npz else save_network_file)(path, cfg, kernels, tr.biases)
        except FfvizError as exc:
            assert "\n" not in str(exc)
            _assert_kept(path, old)
        else:
            assert all(math.isfinite(v) for v in values)
            loaded = parse_npz(path.read_bytes(), "w") if npz else load_network_file(path)
            np.testing.assert_array_equal(np.array(loaded.layers[0].kernel), kernels[0])


@FUZZ
@given(names, st.lists(st.tuples(st.integers(0, 10**6), weights, weights, weights, weights), max_size=8),
       st.one_of(st.none(), weights))
def test_history_writer(name, rows, rate):
    from types import SimpleNamespace
    cols = list(zip(*rows)) if rows else [()] * 5
    history = SimpleNamespace(eval_step=cols[0], train_loss=cols[1], test_loss=cols[2], train_accuracy=cols[3],
                              test_accuracy=cols[4])
    with folder() as d:
        path, old = _target(d, name)
        try:
            write_history_csv(path, history, rate)
        except FfvizError as exc:
            assert "\n" not in str(exc)
            _assert_kept(path, old)
        else:
            lines = path.read_text().splitlines()
            assert lines[0].endswith(",learning_rate") and len(lines) == len(rows) + 1


@FUZZ
@given(st.dictionaries(st.sampled_from(["weights.json", "weights.npz", "history.csv"]), st.binary(max_size=50),
                       min_size=1),
       st.sampled_from(["fsync", "replace", "link", "none"]), st.integers(1, 4), st.booleans())
def test_run_writer_all_or_nothing(new, fail_at, nth, interrupt):
    """A failure at any point of writing a run keeps every old file and leaves nothing else."""
    with folder() as d:
        old = {name: f"old {name}".encode() for name in ("weights.json", "weights.npz", "history.csv")}
        for name, data in old.items():
            (d / name).write_bytes(data)
        real = getattr(os, fail_at, None)
        calls = []

        def failing(*args, **kwargs):
            calls.append(1)
            if len(calls) == nth:
                raise KeyboardInterrupt() if interrupt else OSError(5, "Input/output error")
            return real(*args, **kwargs)

        if real is not None:
            setattr(os, fail_at, failing)
        try:
            write_run(d, new)
        except (FfvizError, KeyboardInterrupt):
            assert {p.name: p.read_bytes() for p in d.iterdir()} == old
        else:
            assert {p.name: p.read_bytes() for p in d.iterdir()} == dict(old, **new)
        finally:
            if real is not None:
                setattr(os, fail_at, real)
