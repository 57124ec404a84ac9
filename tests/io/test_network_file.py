"""Network files: whatever a file holds, loading gives a run or one line saying what is wrong — never a
traceback, never a half-changed state."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ffviz.engine import Trainer, from_dict, load_preset, preset_dict, preset_names, to_dict
from ffviz.errors import FfvizError
from ffviz.io.files import load_network_file, network_dict, read_json, save_network_file

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


def _paths(d, prefix=()):
    """Every (path, value) inside a nested dict/list."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield prefix + (k,), v
            yield from _paths(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield prefix + (i,), v
            yield from _paths(v, prefix + (i,))


def _one_line_or_config(spec):
    try:
        cfg = from_dict(spec)
    except FfvizError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None
    try:
        Trainer(cfg).step(2)  # a config that validates must also run (or refuse in one line)
    except FfvizError as exc:
        assert "\n" not in str(exc)
    return cfg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_any_json_value_gives_a_config_or_one_line(value):
    _one_line_or_config(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(preset_names()), st.data(), JSON)
def test_a_preset_with_one_value_replaced_gives_a_config_or_one_line(name, data, junk):
    spec = json.loads(json.dumps(preset_dict(name)))
    paths = [p for p, _ in _paths(spec)]
    path = data.draw(st.sampled_from(paths))
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    _one_line_or_config(spec)


@pytest.mark.parametrize("text,needle", [
    ('{"layers": [{"units": 2}, {"units": 1}], "optimizer": {"batch_size": 10.5}}', "whole number"),
    ('{"layers": [{"units": 2}, {"units": 1}], "seed": 1e999}', "finite number"),
    ('{"layers": [{"units": 2}, {"units": 1}], "optimizer": {"shuffle": "no"}}', "true or false"),
    ('{"layers": [{"units": 2}, {"units": 1}], "optimizer": {"learning_rate": NaN}}', "NaN"),
    ('{"layers": [{"units": 2}, {"units": 1}], "format": "something-else"}', "not an ffviz network file"),
    ('{"layers": [{"units": 2}, {"units": 1}], "version": 7}', "version"),
    ('{"layers": [{"units": 2}, {"units": 1, "activation": "swish"}]}', "unknown activation"),
    ('{"layers": [{"units": 2}, {"units": 3, "activation": "sigmoid", "kernel": [[1, 2]]}]}', "2 × 3"),
    ('{"layers": [{"units": 2}, {"units": 1}], "seed": ' + "9" * 5000 + '}', "digits"),
    ('[1, 2, 3]', "object"),
])
def test_bad_files_name_the_problem_in_one_line(tmp_path, text, needle):
    path = tmp_path / "net.json"
    path.write_text(text)
    with pytest.raises(FfvizError) as err:
        load_network_file(path)
    msg = str(err.value)
    assert needle in msg and "\n" not in msg and "net.json" in msg


def test_whole_numbers_written_as_floats_are_taken_as_whole_numbers(tmp_path):
    spec = preset_dict("circle")
    spec["optimizer"]["batch_size"] = 10.0
    spec["data"]["seed"] = 3.0
    spec["data"]["samples"] = 120.0
    cfg = from_dict(spec)
    assert cfg.optimizer.batch_size == 10 and isinstance(cfg.optimizer.batch_size, int)
    assert cfg.data.seed == 3 and cfg.data.samples == 120
    assert Trainer(cfg).step(30) == 30


@pytest.mark.parametrize("name", preset_names())
def test_save_then_load_round_trips_config_and_weights(tmp_path, name):
    tr = Trainer(load_preset(name))
    tr.step(3)
    path = save_network_file(tmp_path / "n.json", tr.config, tr.kernels, tr.biases)
    cfg = load_network_file(path)
    again = Trainer(cfg)
    np.testing.assert_array_equal(again.params, tr.params)
    assert cfg.without_parameters() == tr.config.without_parameters()
    assert to_dict(cfg)["layers"][1]["units"] == tr.config.layers[0].units
    assert json.loads(path.read_text())["format"] == "ffviz-network"


def test_an_unwritable_target_writes_nothing_and_says_so(tmp_path):
    tr = Trainer(load_preset("lecture"))
    with pytest.raises(FfvizError, match="does not exist"):
        save_network_file(tmp_path / "missing" / "n.json", tr.config, tr.kernels, tr.biases)
    assert list(tmp_path.iterdir()) == []


def test_read_json_of_non_utf8_bytes(tmp_path):
    p = tmp_path / "x.json"
    p.write_bytes(b"\xff\xfe{}")
    with pytest.raises(FfvizError, match="UTF-8"):
        read_json(p)


def test_network_dict_makes_a_relative_csv_path_absolute(tmp_path):
    cfg = from_dict({"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
                     "data": {"csv": "d.csv"}})
    d = network_dict(cfg, base_dir=tmp_path)
    assert d["data"]["path"] == str((tmp_path / "d.csv").resolve())


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch, error):
    """Writes are atomic: a full disk or a Ctrl+C during the write leaves the old file whole, and nothing else."""
    import os

    from ffviz.io.files import atomic_write_bytes
    target = tmp_path / "weights.json"
    target.write_bytes(b"old")

    def fail(fd):
        raise error

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(FfvizError if isinstance(error, OSError) else KeyboardInterrupt):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["weights.json"]
