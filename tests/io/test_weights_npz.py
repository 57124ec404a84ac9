"""weights.npz: written atomically, read by plain NumPy without pickles, loaded back into the same network;
anything else (truncated, not a zip, missing or extra entries, NaN, wrong shapes, absurd sizes, a zip bomb) is
refused in one line without being inflated."""

import io
import json
import zipfile
import zlib

import numpy as np
import pytest

from ffviz.engine import Trainer, from_dict, load_preset, preset_names
from ffviz.errors import FfvizError
from ffviz.io.files import load_network_file, save_network_file
from ffviz.io.weights import (MAX_NPZ_BYTES, load_weights, load_weights_npz, npz_bytes, parse_npz,
                              save_weights_npz, weights_fit)


@pytest.fixture
def trained():
    tr = Trainer(load_preset("xor-2"))
    tr.step(20)
    return tr


def npz_of(tr) -> bytes:
    return npz_bytes(tr.config, tr.kernels, tr.biases, trained={"steps": tr.step_count})


def refusal(data: bytes) -> str:
    with pytest.raises(FfvizError) as err:
        parse_npz(data, "w.npz")
    message = str(err.value)
    assert "\n" not in message and len(message) < 300 and message.startswith("w.npz")
    return message


def rezip(entries: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def entries_of(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


# ---------------------------------------------------------------- what a user gets

def test_plain_numpy_reads_it_without_pickles(tmp_path, trained):
    path = save_weights_npz(tmp_path / "weights.npz", trained.config, trained.kernels, trained.biases,
                            trained={"steps": 20})
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["bias_0", "bias_1", "config", "kernel_0", "kernel_1"]
        np.testing.assert_array_equal(f["kernel_1"], trained.kernels[1])
        network = json.loads(f["config"].item())
    assert network["format"] == "ffviz-network" and network["trained"] == {"steps": 20}
    assert "kernel" not in network["layers"][1]  # the arrays hold the parameters, once


@pytest.mark.parametrize("name", preset_names())
def test_it_loads_back_into_the_same_network_with_the_same_predictions(tmp_path, name):
    tr = Trainer(load_preset(name))
    tr.step(5)
    path = save_weights_npz(tmp_path / "w.npz", tr.config, tr.kernels, tr.biases)
    again = Trainer(load_weights_npz(path))
    np.testing.assert_array_equal(again.params, tr.params)
    x = tr.dataset.x_train
    np.testing.assert_array_equal(again.predict(x)[-1], tr.predict(x)[-1])
    # and trains on exactly as the same weights from weights.json do (a weights file starts a new run: the
    # optimizer's state and the batch order start afresh, as they do from JSON)
    from_json = Trainer(load_network_file(save_network_file(tmp_path / "w.json", tr.config, tr.kernels,
                                                            tr.biases)))
    again.step(5), from_json.step(5)
    np.testing.assert_array_equal(again.params, from_json.params)


def test_a_layer_without_bias_has_no_bias_entry(tmp_path):
    cfg = from_dict({"layers": [{"units": 2}, {"units": 3, "use_bias": False},
                                {"units": 1, "activation": "sigmoid"}]})
    tr = Trainer(cfg)
    assert sorted(entries_of(npz_of(tr))) == ["bias_1.npy", "config.npy", "kernel_0.npy", "kernel_1.npy"]
    assert load_weights_npz(save_weights_npz(tmp_path / "w.npz", cfg, tr.kernels, tr.biases)).layers[0].bias is None


def test_the_standardisation_travels_in_the_config(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n100,1,0\n300,2,1\n200,5,1\n")
    tr = Trainer(from_dict({"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
                            "data": {"csv": "d.csv", "test_fraction": 0}}), base_dir=tmp_path)
    data = npz_bytes(tr.config, tr.kernels, tr.biases, base_dir=tmp_path,
                     standardization=tr.dataset.standardization)
    cfg = parse_npz(data, "w.npz")
    assert cfg.data.standardization == tr.dataset.standardization
    assert cfg.data.path == str((tmp_path / "d.csv").resolve())


def test_load_weights_tells_npz_from_json_by_content(tmp_path, trained):
    as_json = save_network_file(tmp_path / "w.npz", trained.config, trained.kernels, trained.biases)  # JSON
    as_npz = save_weights_npz(tmp_path / "w.json", trained.config, trained.kernels, trained.biases)  # a zip
    for path in (as_json, as_npz):
        np.testing.assert_array_equal(Trainer(load_weights(path)).params, trained.params)
    (tmp_path / "plain.json").write_text(json.dumps({"layers": [{"units": 2}, {"units": 1}]}))
    with pytest.raises(FfvizError, match="plain.json is a network file without weights"):
        load_weights(tmp_path / "plain.json")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(FfvizError, match="one.npy is a single NumPy array"):
        load_weights(tmp_path / "one.npy")


def test_weights_that_do_not_fit_name_the_layer(trained):
    loaded = parse_npz(npz_of(trained), "w.npz")
    assert weights_fit(trained.config, loaded, "weights.npz") is None
    wider = from_dict({"layers": [{"units": 2}, {"units": 3}, {"units": 1, "activation": "sigmoid"}]})
    assert weights_fit(wider, loaded, "weights.npz") == "layer 1's kernel is 2 × 3 here but 2 × 2 in weights.npz"
    deeper = from_dict({"layers": [{"units": 2}, {"units": 2}, {"units": 2}, {"units": 1, "activation": "sigmoid"}]})
    assert weights_fit(deeper, loaded, "weights.npz") == \
        "this network has 3 layer(s) after the input but weights.npz has weights for 2"
    no_bias = from_dict({"layers": [{"units": 2}, {"units": 2, "use_bias": False},
                                    {"units": 1, "activation": "sigmoid"}]})
    assert weights_fit(no_bias, loaded, "weights.npz") == "layer 1 has no bias here but weights.npz holds one"
    without = Trainer(no_bias)
    assert weights_fit(loaded, parse_npz(npz_bytes(no_bias, without.kernels, without.biases), "w.npz"),
                       "x.npz") == "layer 1 has a bias here but none in x.npz"
    assert weights_fit(trained.config, trained.config.without_parameters(), "it") == \
        "it holds no weights for layer 1"


def test_non_finite_weights_are_not_written(tmp_path, trained):
    kernels = list(trained.kernels)
    kernels[0] = np.full_like(kernels[0], np.nan)
    (tmp_path / "w.npz").write_bytes(b"old")
    with pytest.raises(FfvizError, match="not finite"):
        save_weights_npz(tmp_path / "w.npz", trained.config, kernels, trained.biases)
    assert (tmp_path / "w.npz").read_bytes() == b"old"


# ---------------------------------------------------------------- what is refused

def test_truncated_files_are_refused(trained):
    data = npz_of(trained)
    for cut in (0, 3, 30, len(data) // 2, len(data) - 30, len(data) - 1):
        refusal(data[:cut])


def test_files_that_are_not_zips_are_refused():
    assert refusal(b"hello, this is text") == \
        "w.npz is not an NPZ file (a zip of NumPy arrays): it has no zip directory"
    refusal(b"")
    refusal(b"\x93NUMPY\x01\x00" + b"x" * 100)


def test_a_zip_without_the_entries_is_refused(trained):
    assert refusal(rezip({})).startswith("w.npz holds no config entry")
    assert refusal(rezip({"readme.txt": b"hi"})).startswith('w.npz holds an entry "readme.txt"')
    entries = entries_of(npz_of(trained))
    del entries["kernel_1.npy"]
    assert refusal(rezip(entries)) == "w.npz holds no kernel_1 for layer 2"
    entries = entries_of(npz_of(trained))
    del entries["bias_0.npy"]
    assert refusal(rezip(entries)) == "w.npz holds no bias_0 for layer 1, which has a bias"
    entries = entries_of(npz_of(trained))
    entries["kernel_7.npy"] = npy(np.zeros((2, 2)))
    assert refusal(rezip(entries)) == "w.npz holds kernel_7, but its network has 2 layer(s) after the input"


@pytest.mark.parametrize("key, value, needle", [
    ("kernel_0.npy", np.array([[np.nan, 1.0], [2.0, 3.0]]), "kernel_0 holds values that are not finite"),
    ("bias_1.npy", np.array([np.inf]), "bias_1 holds values that are not finite"),
    ("kernel_0.npy", np.zeros((2, 3)), "kernel_0 is 2 × 3 but layer 1 needs 2 × 2"),
    ("bias_0.npy", np.zeros(()), "bias_0 is a single number but layer 1 needs 2"),
    ("kernel_0.npy", np.array([["a", "b"], ["c", "d"]]), "kernel_0 holds str"),
    ("kernel_0.npy", np.zeros((2, 2), dtype=complex), "kernel_0 holds complex128 values"),
    ("config.npy", np.array(["{}"]), "its config entry must be text (a 0-d unicode array)"),
    ("config.npy", np.array("{not json"), "w.npz config line 1, column 2"),
    ("config.npy", np.array('{"layers": []}'), "w.npz config: 'layers' must be a list"),
])
def test_bad_arrays_are_refused(trained, key, value, needle):
    entries = entries_of(npz_of(trained))
    entries[key] = npy(value)
    assert needle in refusal(rezip(entries))


def test_pickled_objects_are_never_loaded(trained):
    entries = entries_of(npz_of(trained))
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}, None], dtype=object), allow_pickle=True)
    entries["kernel_0.npy"] = buf.getvalue()
    assert "Python objects" in refusal(rezip(entries))


def test_an_npy_header_that_lies_about_its_size_is_refused_before_allocating(trained):
    entries = entries_of(npz_of(trained))
    header = npy(np.zeros((2, 2)))
    entries["kernel_0.npy"] = header.replace(b"(2, 2)", b"(99999999999, 2)", 1)[:200]
    assert "is truncated or damaged" in refusal(rezip(entries))


def test_an_npy_header_cut_inside_its_brackets_is_refused(trained):
    """Found by the 1,000-case fuzzing profile: NumPy reads the header with Python's tokenizer, which raises
    tokenize.TokenError (no ValueError) for an unclosed '{'; it was an internal error."""
    entries = entries_of(npz_of(trained))
    header = npy(np.zeros(3))
    cut = header.index(b"'shape'")
    entries["kernel_0.npy"] = header[:cut] + b" " * (len(header) - cut - 1) + b"\n"
    assert "kernel_0 is not a NumPy array" in refusal(rezip(entries))


def test_a_zip_bomb_is_refused_without_inflating_it(monkeypatch):
    buf = io.BytesIO()
    zeros = bytes(64 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("kernel_0.npy", "w", force_zip64=True) as f:
            for _ in range(MAX_NPZ_BYTES // len(zeros) + 1):  # just over the limit, a few MB compressed
                f.write(zeros)
        zf.writestr("config.npy", npy(np.array("{}")))
    data = buf.getvalue()
    assert len(data) < 10 * 2**20
    inflated = []
    real = zlib.decompressobj
    monkeypatch.setattr(zlib, "decompressobj", lambda *a: inflated.append(a) or real(*a))
    assert refusal(data).startswith("w.npz would inflate to 576 MiB; ffviz reads weights files of at most 512 MiB")
    assert inflated == []


def test_too_many_entries_are_refused_before_the_directory_is_parsed():
    assert refusal(rezip({f"kernel_{i}.npy": b"" for i in range(2100)})).startswith("w.npz holds 2,100 entries")
