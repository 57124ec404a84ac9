"""Reading and writing ffviz's files: network JSON, trained weights, history CSV. Writes are atomic."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from ffviz.engine.config import RunConfig, from_dict, to_dict
from ffviz.errors import FfvizError, short_repr, shown, shown_path
from ffviz.io.reading import MissingFileError, encodable, read_regular_file

MAX_JSON_BYTES = 50 * 1024 * 1024


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write to a temp file beside `path`, then rename over it: a crash never leaves half a file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FfvizError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FfvizError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); what users save is an ordinary file: keep the old mode or 0644
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException as exc:  # a full disk, or Ctrl+C in the middle: no stray temp file either way
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FfvizError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path) -> object:
    """Parse a JSON file; any problem (not a regular file, too big, not UTF-8, bad syntax) is one FfvizError."""
    name = shown_path(Path(encodable(path)).name or path)
    data = read_regular_file(path, limit=MAX_JSON_BYTES, kind="network file", name=name)
    return parse_json(data, name)


def parse_json(data: bytes, name: str) -> object:
    """JSON bytes → the value; every problem is one FfvizError line that starts with `name`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FfvizError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FfvizError(f"{name} line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise FfvizError(f"{name}: nested too deeply to be a network file") from None
    except FfvizError as exc:
        raise FfvizError(f"{name}: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise FfvizError(f"{name}: {shown(str(exc), 120)}") from None


def _reject_constant(name):
    raise FfvizError(f"{name} is not a number a network file may hold")


def load_network_file(path) -> RunConfig:
    """A network file (JSON, see docs/file-formats.md) → validated RunConfig; relative CSV paths stay
    relative to the file's folder (pass that folder to the Trainer as base_dir)."""
    data = read_json(path)
    try:
        return from_dict(data)
    except FfvizError as exc:
        raise FfvizError(f"{shown_path(Path(path).name)}: {exc}") from None


def load_spec(spec: str) -> tuple[RunConfig, Path | None]:
    """A preset name or a network file path → (config, folder relative data paths are resolved against)."""
    from ffviz.engine.presets import load_preset, preset_names
    if spec in preset_names():
        return load_preset(spec), None
    try:
        cfg = load_network_file(spec)
    except MissingFileError:
        raise FfvizError(f"{short_repr(spec)} is neither a preset ({', '.join(preset_names())}) "
                         f"nor an existing file") from None
    return cfg, _folder_of(spec)


def _folder_of(path) -> Path:
    """The real folder of a file that was just read (relative data paths are relative to it)."""
    try:
        return Path(path).resolve().parent
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop on Python < 3.13
        return Path(os.path.abspath(path)).parent


def network_dict(cfg: RunConfig, kernels=None, biases=None, base_dir=None, trained: dict | None = None,
                 standardization=None) -> dict:
    """The network-file dict of a run, with its (trained) parameters and the input standardisation they were
    trained with (Dataset.standardization); a relative CSV path is made absolute so the file can be used from
    anywhere."""
    if standardization is not None:
        cfg = replace(cfg, data=replace(cfg.data, standardization=standardization))
    d = to_dict(cfg, kernels=None if kernels is None else [k.tolist() for k in kernels],
                biases=None if biases is None else [None if b is None else b.tolist() for b in biases])
    if d["data"].get("path") and base_dir is not None and not Path(d["data"]["path"]).is_absolute():
        d["data"]["path"] = str((Path(base_dir) / d["data"]["path"]).resolve())
    if trained:
        d["trained"] = trained
    return d


def dumps(value, indent: int = 0) -> str:
    """JSON with objects indented and lists of numbers on one line, so a kernel reads as a matrix."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return json.dumps(list(value), allow_nan=False)
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def save_network_file(path, cfg: RunConfig, kernels=None, biases=None, base_dir=None,
                      trained: dict | None = None, standardization=None) -> Path:
    d = network_dict(cfg, kernels, biases, base_dir, trained, standardization)
    try:
        text = dumps(d)
    except ValueError:
        raise FfvizError("the weights are not finite numbers (did training diverge?); nothing was written") from None
    return atomic_write_text(path, text + "\n")


HISTORY_COLUMNS = ("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


def history_csv(history) -> str:
    """The evaluation history as CSV text: one row per evaluated step; empty cells where not applicable."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HISTORY_COLUMNS)
    cols = [history.eval_step, history.train_loss, history.test_loss, history.train_accuracy,
            history.test_accuracy]
    for row in zip(*cols):
        step, *vals = row
        w.writerow([int(step)] + ["" if not math.isfinite(v) else repr(float(v)) for v in vals])
    return buf.getvalue()


def write_history_csv(path, history) -> Path:
    return atomic_write_text(path, history_csv(history))
