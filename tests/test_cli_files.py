"""`ffviz train` and files: what it writes (weights.json, weights.npz, history.csv, all or none), and every
hostile file or size refused with status 2 and one line, without reading the file or building the network."""

import csv
import errno
import json
import os
import socket
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest

from ffviz import cli
from ffviz.engine import config as config_module


def train(capsys, *args) -> tuple[int, list[str], str]:
    """cli.main(["train", ...]) in this process: (status, stderr lines, stdout)."""
    rc = cli.main(["train", *map(str, args)])
    captured = capsys.readouterr()
    return rc, captured.err.strip().splitlines(), captured.out


def refused(capsys, *args) -> str:
    rc, err, _ = train(capsys, *args)
    assert rc == 2 and len(err) == 1, err
    assert len(err[0]) < 400
    return err[0]


def write_spec(folder, spec, name="net.json"):
    (folder / name).write_text(json.dumps(spec))
    return folder / name


# ---------------------------------------------------------------- what a run writes

def test_a_run_writes_weights_as_json_and_npz_and_the_history_with_its_learning_rate(tmp_path, capsys):
    rc, err, out = train(capsys, "xor", "--steps", 30, "--eval-every", 10, "--learning-rate", 0.2,
                         "--out", tmp_path)
    assert rc == 0 and err == [] and "wrote weights.json, weights.npz, history.csv and session.ffviz" in out
    network = json.loads((tmp_path / "weights.json").read_text())
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as npz:
        for i, layer in enumerate(network["layers"][1:]):
            np.testing.assert_array_equal(npz[f"kernel_{i}"], layer["kernel"])
            np.testing.assert_array_equal(npz[f"bias_{i}"], layer["bias"])
        assert json.loads(npz["config"].item())["trained"] == network["trained"]
    with open(tmp_path / "history.csv") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ["step", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                                 "learning_rate"]
    assert [r["step"] for r in rows] == ["0", "10", "20", "30"]
    assert {r["learning_rate"] for r in rows} == {"0.2"}


def test_weights_npz_is_a_spec_too(tmp_path, capsys):
    assert train(capsys, "xor", "--steps", 5, "--out", tmp_path / "a")[0] == 0
    assert train(capsys, tmp_path / "a" / "weights.npz", "--steps", 0, "--out", tmp_path / "b")[0] == 0
    layers = [json.loads((tmp_path / d / "weights.json").read_text())["layers"] for d in "ab"]
    assert layers[0] == layers[1]  # the same weights, through the NPZ
    from ffviz.io.weights import load_weights
    loaded = load_weights(tmp_path / "a" / "weights.npz")
    from_json = json.loads((tmp_path / "a" / "weights.json").read_text())
    assert np.array(loaded.layers[0].kernel).tolist() == from_json["layers"][1]["kernel"]


def test_a_csv_run_stores_its_standardisation_and_continues_with_it(tmp_path, capsys):
    rows = "".join(f"{100 * i},{i % 3},{int(i % 2)}\n" for i in range(40))
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows)
    spec = write_spec(tmp_path, {"layers": [{"units": 2}, {"units": 4}, {"units": 1, "activation": "sigmoid"}],
                                 "data": {"csv": "d.csv", "test_fraction": 0.25}})
    assert train(capsys, spec, "--steps", 10, "--out", tmp_path / "a")[0] == 0
    stored = json.loads((tmp_path / "a" / "weights.json").read_text())["data"]["standardization"]
    assert 1000 < stored["mean"][0] < 3000 and len(stored["std"]) == 2
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows + "99999,2,1\n")  # the data changed since: the weights
    assert train(capsys, tmp_path / "a" / "weights.json", "--steps", 1, "--out", tmp_path / "b")[0] == 0
    assert json.loads((tmp_path / "b" / "weights.json").read_text())["data"]["standardization"] == stored


def test_a_failure_writing_the_second_file_keeps_every_old_file(tmp_path, capsys, monkeypatch):
    assert train(capsys, "xor", "--steps", 5, "--out", tmp_path)[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    message = refused(capsys, "xor", "--steps", 50, "--out", tmp_path)
    assert message == (f"ffviz: cannot write {tmp_path}/weights.npz: no space left on the disk; "
                       f"the files in {tmp_path} are as they were")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("make, needle", [
    (lambda tmp: (tmp / "f").write_text("x") and tmp / "f", "it is a file, not a folder"),
    (lambda tmp: tmp / "\ud800", "holds characters no file name can hold"),
    (lambda tmp: tmp / ("n" * 4000), "the name is too long for this system"),
])
def test_an_output_folder_that_cannot_be_is_one_line_before_training(tmp_path, capsys, make, needle):
    assert needle in refused(capsys, "xor", "--steps", 1, "--out", make(tmp_path))


def test_an_output_folder_whose_name_is_not_utf8_works_and_prints(tmp_path):
    """A folder name of bytes that are not UTF-8 reaches ffviz as '\\udcff'; printing it must not fail."""
    folder = os.path.join(os.fsencode(tmp_path), b"out\xff")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    res = subprocess.run([sys.executable, "-m", "ffviz", "train", "xor", "--steps", "2", "--out", folder],
                         capture_output=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert b"out\\udcff" in res.stdout and os.path.exists(os.path.join(folder, b"weights.npz"))


# ---------------------------------------------------------------- hostile files, refused unread

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_as_spec_is_refused(tmp_path, capsys, device):
    name = os.path.basename(device)
    assert refused(capsys, device, "--steps", 1, "--out", tmp_path / "o") == \
        f"ffviz: {name} is a device, not a network file; ffviz reads regular files only"
    assert not (tmp_path / "o").exists()


def test_a_fifo_as_spec_or_as_csv_is_refused_without_waiting(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.json")
    os.mkfifo(tmp_path / "pipe.csv")
    spec = write_spec(tmp_path, {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
                                 "data": {"csv": "pipe.csv"}})
    unblocked = []

    def unblock():  # a naive reader would still be waiting for a writer: give it one, and fail the test
        unblocked.append(True)
        for name in ("pipe.json", "pipe.csv"):
            os.close(os.open(tmp_path / name, os.O_RDWR))

    watchdog = threading.Timer(10.0, unblock)
    watchdog.start()
    try:
        first = refused(capsys, tmp_path / "pipe.json", "--steps", 1, "--out", tmp_path / "o")
        second = refused(capsys, spec, "--steps", 1, "--out", tmp_path / "o")
    finally:
        watchdog.cancel()
    assert not unblocked
    assert first == "ffviz: pipe.json is a named pipe (FIFO), not a network file; ffviz reads regular files only"
    assert second == "ffviz: pipe.csv is a named pipe (FIFO), not a CSV file; ffviz reads regular files only"


def test_a_socket_as_spec_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("s.json")
        assert refused(capsys, "s.json", "--steps", 1, "--out", "o") == \
            "ffviz: s.json is a socket, not a network file; ffviz reads regular files only"
    finally:
        sock.close()


def test_a_huge_sparse_csv_is_refused_by_its_size(tmp_path, capsys):
    with open(tmp_path / "huge.csv", "wb") as f:
        f.truncate(200 * 10**9)  # 200 GB that take no disk
    spec = write_spec(tmp_path, {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
                                 "data": {"csv": "huge.csv"}})
    assert refused(capsys, spec, "--steps", 1, "--out", tmp_path / "o") == \
        "ffviz: huge.csv is 186 GiB: larger than the 100 MiB ffviz reads in a CSV file"


@pytest.mark.parametrize("spec, needle", [
    ({"layers": [{"units": 2}, {"units": 4096}, {"units": 1, "activation": "sigmoid"}],
      "data": {"samples": 1_000_000}}, "the activations of one batch (500,000 samples × 4,097 units)"),
    ({"layers": [{"units": 2}] + [{"units": 4096}] * 40 + [{"units": 1, "activation": "sigmoid"}]},
     "the parameters ("),
])
def test_size_products_are_refused_before_anything_large_is_allocated(tmp_path, capsys, spec, needle):
    path = write_spec(tmp_path, spec)
    tracemalloc.start()
    try:
        message = refused(capsys, path, "--steps", 1, "--out", tmp_path / "o")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message.startswith(f"ffviz: net.json: {needle}") and "memory budget" in message
    assert peak < 20 * 2**20


def test_a_million_layers_are_refused_before_one_is_built(tmp_path, capsys, monkeypatch):
    path = write_spec(tmp_path, {"layers": [{"units": 2}] + [{"units": 1}] * 1_000_000})
    built = []
    real = config_module.LayerSpec
    monkeypatch.setattr(config_module, "LayerSpec", lambda *a, **k: built.append(1) or real(*a, **k))
    assert refused(capsys, path, "--steps", 1, "--out", tmp_path / "o") == \
        "ffviz: net.json: 'layers' has 1,000,000 layers after the input; ffviz builds at most 1,000"
    assert built == []


def test_a_csv_with_too_many_rows_for_the_network_is_refused_before_training(tmp_path, capsys, monkeypatch):
    (tmp_path / "rows.csv").write_text("a,b,y\n" + "1,2,0\n" * 40_000)
    spec = write_spec(tmp_path, {"layers": [{"units": 2}, {"units": 4096}, {"units": 4096},
                                            {"units": 1, "activation": "sigmoid"}],
                                 "data": {"csv": "rows.csv", "test_fraction": 0}})
    from ffviz.engine import trainer
    # refused as the data is read, before the network's parameters or activations are made
    monkeypatch.setattr(trainer.Trainer, "_build", lambda *a, **k: pytest.fail("the network was built"))
    assert "the activations of one batch (40,000 samples × 8,193 units)" in \
        refused(capsys, spec, "--steps", 1, "--out", tmp_path / "o")


def test_names_the_system_refuses_never_end_in_an_internal_error(tmp_path, capsys):
    for spec in ("x" * 5000 + ".json", str(tmp_path / "\ud800.json"), "\udcff", str(tmp_path / "a\x00b")):
        message = refused(capsys, spec, "--steps", 1, "--out", tmp_path / "o")
        assert "internal error" not in message
    spec = write_spec(tmp_path, {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
                                 "data": {"csv": "d\ud800.csv"}})
    assert "holds characters no file name can hold" in refused(capsys, spec, "--steps", 1, "--out", tmp_path / "o")


def test_numpy_warnings_never_add_lines(tmp_path, capsys):
    (tmp_path / "big.csv").write_text("a,b,y\n1e200,1,0\n-1e200,2,1\n3,4,1\n")
    spec = {"layers": [{"units": 2}, {"units": 1, "activation": "sigmoid"}],
            "data": {"csv": "big.csv", "features": ["x1^2", "x2"], "test_fraction": 0}}
    assert "the input feature x1^2 overflows" in refused(capsys, write_spec(tmp_path, spec), "--steps", 1,
                                                         "--out", tmp_path / "o")
    spec["data"].pop("features")
    spec["data"]["standardize"] = False
    spec["loss"], spec["layers"][1]["activation"] = "half_squared_error", "linear"
    refused(capsys, write_spec(tmp_path, spec), "--steps", 1, "--out", tmp_path / "o")  # one line, no warnings
    spec["data"].pop("standardize")  # standardised, the same values train
    rc, err, _ = train(capsys, write_spec(tmp_path, spec), "--steps", 5, "--out", tmp_path / "o")
    assert rc == 0 and err == []


def test_a_huge_value_in_a_network_file_is_quoted_short(tmp_path, capsys):
    spec = {"layers": [{"units": 2}, {"units": 1, "activation": "x" * 100_000}]}
    message = refused(capsys, write_spec(tmp_path, spec), "--steps", 1, "--out", tmp_path / "o")
    assert "xxxxx" in message and len(message) < 250
    spec = {"layers": [{"units": 2}, {"units": 1}], "seed": -(10 ** 4000)}
    message = refused(capsys, write_spec(tmp_path, spec), "--steps", 1, "--out", tmp_path / "o")
    assert "seed must be ≥ 0, not a whole number of 4001 digits" in message
