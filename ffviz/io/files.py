"""Reading and writing ffviz's files: network JSON, trained weights, history CSV. Writes are atomic, and a
run's files are replaced all together or not at all (write_run)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from ffviz.engine.config import RunConfig, from_dict, to_dict
from ffviz.errors import FfvizError, short_repr, shown, shown_path
from ffviz.io.reading import MissingFileError, encodable, os_reason, read_regular_file

MAX_JSON_BYTES = 50 * 1024 * 1024


def atomic_write_bytes(path, data) -> Path:
    """Write to a temp file beside `path`, then rename over it: a crash never leaves half a file. `data` is
    bytes, or a function that writes into a binary file (a session, written without a copy in memory)."""
    path = Path(encodable(path))
    folder = path.parent if str(path.parent) else Path(".")
    where = shown_path(path)
    try:
        if not folder.is_dir():
            raise FfvizError(f"cannot write {where}: the folder {shown_path(folder)} does not exist")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FfvizError(f"cannot write {where}: {os_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            _put(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:  # a full disk, or Ctrl+C in the middle: no stray temp file either way
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FfvizError(f"cannot write {where}: {os_reason(exc)}") from None
        raise
    return path


def _put(fh, data) -> None:
    if callable(data):
        data(fh)
    else:
        fh.write(data)


def _mode_for(path: Path) -> int:
    """mkstemp makes files private (0600); what users save is an ordinary file: keep the old mode or 0644."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o644


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, encode_text(text))


def encode_text(text: str) -> bytes:
    """UTF-8; a lone surrogate (a file name that is not UTF-8, kept as '\\udcff') is written as its JSON escape
    \\udcff, which reads back as the same character."""
    return text.encode("utf-8", "backslashreplace")


def write_run(folder, files: dict) -> Path:
    """Write `files` ({name: bytes, or a function writing into a binary file}) into `folder` so that they are
    all replaced or none is.

    Everything is first written and synced in a staging folder inside `folder` (so on its file system, even
    when `folder` is a mount point, and needing no permission on its parent); only then is each file renamed
    over its target, after a hard link (or copy) of the old one is kept. If anything fails, the files already
    renamed are put back and the staging folder is removed: the old files stay as they were, and no temporary
    file is left. (A power cut during the renames themselves, the last few milliseconds, can leave a mix.)
    """
    folder = Path(encodable(folder, "folder name"))
    here = shown_path(folder)
    if any(os.path.basename(name) != name or name in ("", ".", "..") for name in files):
        raise ValueError(f"write_run takes plain file names, not {sorted(files)}")
    ensure_folder(folder)
    targets = {name: folder / name for name in files}
    for name, target in targets.items():  # a folder where a file should be: refuse before touching anything
        if target.is_dir() and not target.is_symlink():
            raise FfvizError(f"cannot write {shown_path(target)}: it is a folder; nothing in {here} was changed")
    try:
        staging = Path(tempfile.mkdtemp(prefix=".ffviz-writing-", dir=folder))
    except OSError as exc:
        raise FfvizError(f"cannot write into {here}: {os_reason(exc)}; nothing in it was changed") from None
    done: list[tuple[Path, Path | None]] = []  # (target, backup of the old file or None if there was none)
    current = folder
    try:
        for name, data in files.items():
            current = targets[name]
            with open(staging / name, "wb") as fh:
                _put(fh, data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(staging / name, _mode_for(targets[name]))
        _fsync_folder(staging)
        for name, target in targets.items():
            current = target
            backup = _backup(target, staging / f"{name}.old")
            os.replace(staging / name, target)
            done.append((target, backup))
        _fsync_folder(folder)
    except BaseException as exc:
        restored = _roll_back(done)
        if restored:
            shutil.rmtree(staging, ignore_errors=True)
        if not isinstance(exc, OSError):
            raise
        kept = f"the files in {here} are as they were" if restored else \
            f"some old files could not be put back: they are kept in {shown_path(staging)}"
        raise FfvizError(f"cannot write {shown_path(current)}: {os_reason(exc)}; {kept}") from None
    shutil.rmtree(staging, ignore_errors=True)
    return folder


def ensure_folder(folder) -> Path:
    """The folder, made (with its parents) if it is not there; one line if that cannot be."""
    folder = Path(encodable(folder, "folder name"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FfvizError(f"cannot write into {shown_path(folder)}: it is a file, not a folder") from None
    except OSError as exc:
        raise FfvizError(f"cannot create the folder {shown_path(folder)}: {os_reason(exc)}") from None
    return folder


def _backup(target: Path, backup: Path) -> Path | None:
    """Keep the old target under `backup` (a hard link: nothing copied) to put back on failure."""
    if not os.path.lexists(target):
        return None
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:  # a file system without hard links
        shutil.copy2(target, backup, follow_symlinks=False)
    return backup


def _roll_back(done: list) -> bool:
    """Put back the old files of the renames done, newest first; False if one could not be."""
    ok = True
    for target, backup in reversed(done):
        try:
            if backup is None:
                os.unlink(target)
            else:
                os.replace(backup, target)
        except OSError:
            ok = False
    return ok


def _fsync_folder(folder: Path) -> None:
    """Make the renames in a folder durable (where the system allows syncing a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    from ffviz.io.weights import load_network_or_weights  # weights.py builds on this module
    try:
        cfg = load_network_or_weights(spec)  # a network file, or a weights.npz
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


def network_file_text(cfg: RunConfig, kernels=None, biases=None, base_dir=None, trained: dict | None = None,
                      standardization=None) -> str:
    """The network file of a run as text (see network_dict); refused if a weight is not a finite number."""
    d = network_dict(cfg, kernels, biases, base_dir, trained, standardization)
    try:
        return dumps(d) + "\n"
    except ValueError:
        raise FfvizError("the weights are not finite numbers (did training diverge?); nothing was written") from None


def save_network_file(path, cfg: RunConfig, kernels=None, biases=None, base_dir=None,
                      trained: dict | None = None, standardization=None) -> Path:
    return atomic_write_text(path, network_file_text(cfg, kernels, biases, base_dir, trained, standardization))


HISTORY_COLUMNS = ("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate")


def history_csv(history, learning_rates=None) -> str:
    """The evaluation history as CSV text: one row per evaluated step; empty cells where not applicable.

    `learning_rates`: one number (a run's constant η) or one number per evaluation; None: the history's own
    (η at each evaluation), or empty cells for a history without them.
    """
    steps = history.eval_step
    if learning_rates is None and getattr(history, "eval_learning_rate", None) is not None:
        learning_rates = history.eval_learning_rate
    if learning_rates is None or isinstance(learning_rates, (int, float)):
        rates = [math.nan if learning_rates is None else float(learning_rates)] * len(steps)
    else:
        rates = [float(v) for v in learning_rates]
        if len(rates) != len(steps):
            raise ValueError(f"{len(rates)} learning rates for {len(steps)} evaluations")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HISTORY_COLUMNS)
    cols = [steps, history.train_loss, history.test_loss, history.train_accuracy, history.test_accuracy, rates]
    for step, *vals in zip(*cols):
        w.writerow([int(step)] + ["" if not math.isfinite(v) else repr(float(v)) for v in vals])
    return buf.getvalue()


def write_history_csv(path, history, learning_rates=None) -> Path:
    return atomic_write_text(path, history_csv(history, learning_rates))
