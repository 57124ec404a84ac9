"""Sessions (`.ffviz`): a whole run in one file, that reopens where it was and trains on exactly as it would have.

A session is a zip (what `np.savez` writes, plus one JSON entry): `manifest.json` first, then NumPy arrays
`a0.npy`, `a1.npy`, … that the manifest refers to by name. The manifest holds the format and its version, the
configs (network files without their weights: explicit weights are arrays), the data sets (their arrays, so a
CSV file changed or gone since, or points made by hand, come back as they were), the TrainerStates (the run now
and the timeline's checkpoints: parameters and optimizer moments as arrays, the shuffling generator's state as
JSON), the timeline's trajectory, the history (batch losses, evaluations, the plotted batch curve's exact state)
and the window's view settings. docs/file-formats.md describes every entry.

Nothing is unpickled: arrays are read as weights.npz's are (headers checked before any array is made, declared
sizes before anything is inflated), and every value of the manifest is checked before it is used. A session of
a newer format version is refused with one line, not misread.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ffviz import __version__
from ffviz.engine.budget import BUDGET_BYTES, MAX_INPUT_UNITS, format_bytes
from ffviz.engine.config import RunConfig, from_dict, to_dict, validate
from ffviz.engine.network import Network
from ffviz.engine.datasets import MAX_CLASSES, MAX_SAMPLES, TASKS, Dataset, Standardization
from ffviz.engine.session_state import EVAL_COLUMNS, UPDATE_COLUMNS, SavedRun
from ffviz.engine.state import TrainerState
from ffviz.engine.trainer import Trainer
from ffviz.errors import FfvizError, shown, shown_path
from ffviz.io.files import MAX_JSON_BYTES, atomic_write_bytes, encode_text, parse_json
from ffviz.io.reading import encodable, read_regular_file
from ffviz.io.weights import read_npy_entry

FORMAT = "ffviz-session"
VERSION = 1  # the newest format this ffviz writes and reads; raise it when the format changes
SUFFIX = ".ffviz"
MAX_SESSION_BYTES = BUDGET_BYTES  # the file, and all its entries inflated: a run never needs more
CHECKPOINT_BYTES = 256 * 2**20  # the timeline's checkpoints a session keeps, newest first, at most this much
MAX_ENTRIES = 20_000
MAX_VIEW_BYTES = 64 * 1024  # the view settings: a few names and numbers
MAX_STEP = 10**15
_ENTRY = re.compile(r"a(0|[1-9][0-9]{0,5})\.npy")
_MANIFEST = "manifest.json"
_ZIP_MAGIC = b"PK\x03\x04"
_INT64 = np.iinfo(np.int64)
_TIMELINE_BYTES = 64 * 2**20  # a timeline's buffers as sessions give them: more than Timeline ever uses


@dataclass(frozen=True, eq=False)
class Session:
    """What a session file holds: the run, the window's view settings, and who wrote it."""

    run: SavedRun
    view: dict = field(default_factory=dict)
    version: int = VERSION
    written_by: str = ""  # the ffviz version that wrote it


# ---------------------------------------------------------------- writing

def session_bytes(run: SavedRun, view: dict | None = None) -> bytes:
    """The session file of `run` (and the window's `view` settings) as bytes; see the module's docstring."""
    buf = io.BytesIO()
    session_writer(run, view)(buf)
    return buf.getvalue()


def session_writer(run: SavedRun, view: dict | None = None):
    """A function that writes the session file of `run` into a binary file object, for atomic_write_bytes and
    write_run. Everything that can be refused (view settings, numbers that are not finite) is refused here,
    before a file is opened; the arrays are written straight from the run's buffers, so a long run's session
    costs no second copy of its history in memory."""
    w = _Writer()
    view = {} if view is None else view
    try:
        view_text = json.dumps(view, allow_nan=False)
    except (TypeError, ValueError):
        raise FfvizError("the view settings cannot be saved: they are not plain names and numbers") from None
    if len(view_text) > MAX_VIEW_BYTES:
        raise FfvizError(f"the view settings are {format_bytes(len(view_text))}; a session keeps at most "
                         f"{format_bytes(MAX_VIEW_BYTES)} of them")
    current = w.state(run.state)
    kept = _recent_checkpoints(run.timeline["checkpoints"], w)
    tl = run.timeline
    steps_kept = {s.step for s in kept}
    timeline = {key: tl[key] for key in ("size", "recent", "older_cap", "max_checkpoints", "checkpoint_every",
                                         "display_cap", "stride", "every", "display_stride")}
    timeline.update({
        "dense_steps": w.array(tl["dense_steps"], np.int64), "dense": w.array(tl["dense"]),
        "old_steps": w.array(tl["old_steps"], np.int64), "old": w.array(tl["old"]),
        "display_steps": w.array(tl["display_steps"], np.int64), "display": w.array(tl["display"]),
        "checkpoints": [w.state(s) for s in kept],
        "pinned": [int(s) for s in tl["pinned"] if s in steps_kept],
    })
    curve = run.batch_curve
    manifest = {
        "format": FORMAT, "version": VERSION, "ffviz": __version__,
        "base_dir": run.base_dir,
        "configs": w.configs, "datasets": w.datasets, "states": w.states, "state": current,
        "timeline": timeline,
        "history": {
            "updates": w.rows(run.updates, len(UPDATE_COLUMNS)),
            "evals": w.rows(run.evals, len(EVAL_COLUMNS)),
            "batch_curve": {"cap": int(curve["cap"]), "width": int(curve["width"]), "count": int(curve["count"]),
                            "x": w.array(curve["x"]), "y": w.array(curve["y"]), "sums": w.array(curve["sums"])},
        },
        "view": view,
    }
    if run.norms is not None:
        n = run.norms
        manifest["history"]["norms"] = {"cap": int(n["cap"]), "stride": int(n["stride"]),
                                        "steps": w.array(n["steps"], np.int64), "grad": w.array(n["grad"]),
                                        "ratio": w.array(n["ratio"])}
    try:
        text = json.dumps(manifest, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError:  # a learning rate or a number of the config that is not finite
        raise FfvizError("the run holds a number that is not finite; nothing was written") from None
    manifest_bytes = encode_text(text)
    # Entries are stored, not compressed (arrays hardly compress), so the file's size is known before writing.
    size = len(manifest_bytes) + sum(a.nbytes + 256 for a in w.arrays.values()) + 512
    if size > MAX_SESSION_BYTES:
        raise FfvizError(f"the session would be {format_bytes(size)}; ffviz reads sessions of at most "
                         f"{format_bytes(MAX_SESSION_BYTES)}")

    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
            # The manifest first: readers tell a session from weights.npz by the first entry's name.
            zf.writestr(zipfile.ZipInfo(_MANIFEST, date_time=(2020, 1, 1, 0, 0, 0)), manifest_bytes,
                        compress_type=zipfile.ZIP_DEFLATED)
            for name, arr in w.arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
                with zf.open(info, "w", force_zip64=arr.nbytes > 2**30) as f:
                    arr.write(f)
    return write


def save_session(path, run: SavedRun, view: dict | None = None) -> Path:
    """Write a session file atomically (a crash never leaves half a file)."""
    return atomic_write_bytes(path, session_writer(run, view))


def _recent_checkpoints(states: list, w: "_Writer") -> list:
    """The newest checkpoints whose arrays (beyond those already written) fit CHECKPOINT_BYTES: restoring
    an update before the oldest one kept is then refused, as the timeline refuses one older than its own."""
    kept, total, seen = [], 0, set(w.ids) | set(w.dataset_ids)
    for s in reversed(states):
        new = [a for a in (s.params, *s.optimizer[1:]) if a is not None and id(a) not in seen]
        if id(s.dataset) not in seen:
            new += [getattr(s.dataset, f) for f in _DATA_ARRAYS if getattr(s.dataset, f) is not None]
        cost = sum(a.nbytes for a in new)
        if kept and total + cost > CHECKPOINT_BYTES:
            break
        kept.append(s)
        total += cost
        seen.update(id(a) for a in new)
        seen.add(id(s.dataset))
    return kept[::-1]


_DATA_ARRAYS = ("x_train", "y_train", "x_test", "y_test", "raw_train", "raw_test")


class _Entry:
    """One .npy entry to write: a float64 or int64 array of shape (len(rows), n) given as its rows, written one
    after the other (C order), so that stacking the columns of a long history never copies them."""

    def __init__(self, rows, dtype, shape):
        self.rows, self.dtype, self.shape = rows, np.dtype(dtype), shape
        self.nbytes = self.dtype.itemsize * math.prod(shape)

    @classmethod
    def of(cls, arr, dtype) -> "_Entry":
        arr = np.asarray(arr, dtype=dtype)
        return cls([arr.reshape(-1)], dtype, arr.shape)

    def write(self, f) -> None:
        np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(self.dtype),
                                                 "fortran_order": False, "shape": self.shape})
        for row in self.rows:
            row = np.ascontiguousarray(row, dtype=self.dtype)
            for start in range(0, row.size, _CHUNK):  # a bounded buffer for what zipfile copies
                f.write(memoryview(row[start:start + _CHUNK]).cast("B"))


_CHUNK = 2**20  # items written at once


class _Writer:
    """Collects the manifest's configs, datasets and states and the arrays they refer to, each once."""

    def __init__(self):
        self.arrays: dict[str, _Entry] = {}
        self.ids: dict[int, str] = {}  # id of an array (or a tuple of weights) → its entry name
        self._keep: list = []  # what the ids are of, alive until written (an id is only unique while alive)
        self.configs: list = []
        self._config_index: dict = {}
        self.datasets: list = []
        self._dataset_index: dict[int, int] = {}
        self.states: list = []

    def array(self, arr, dtype=np.float64) -> str:
        key = id(arr)
        if key not in self.ids:
            self._keep.append(arr)
            name = f"a{len(self.arrays)}"
            self.arrays[name] = _Entry.of(arr, dtype)
            self.ids[key] = name
        return self.ids[key]

    def rows(self, columns, count: int) -> str:
        """An entry of shape (count, n) made of `count` equal-length 1-D columns, not stacked in memory."""
        columns = [np.asarray(c, dtype=np.float64).reshape(-1) for c in columns]
        n = columns[0].size if columns else 0
        if len(columns) != count or any(c.size != n for c in columns):
            raise FfvizError(f"the run's history has {len(columns)} columns of unequal lengths; expected {count}")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = _Entry(columns, np.float64, (count, n))
        return name

    def config(self, cfg: RunConfig) -> int:
        if cfg not in self._config_index:
            bare = replace(cfg, layers=tuple(replace(l, kernel=None, bias=None) for l in cfg.layers))
            self._config_index[cfg] = len(self.configs)
            self.configs.append({
                "network": to_dict(bare),
                "kernels": [None if l.kernel is None else self.array(l.kernel) for l in cfg.layers],
                "biases": [None if l.bias is None else self.array(l.bias) for l in cfg.layers],
            })
        return self._config_index[cfg]

    @property
    def dataset_ids(self):
        return self._dataset_index.keys()

    def dataset(self, ds: Dataset) -> int:
        if id(ds) not in self._dataset_index:
            self._keep.append(ds)
            self._dataset_index[id(ds)] = len(self.datasets)
            stats = ds.standardization
            entry = {"name": ds.name, "task": ds.task, "n_classes": ds.n_classes,
                     "feature_names": list(ds.feature_names), "class_names": list(ds.class_names),
                     "extent": None if ds.extent is None else [float(v) for v in ds.extent],
                     "standardization": None if stats is None else {"mean": list(stats.mean), "std": list(stats.std)}}
            for f in _DATA_ARRAYS:
                a = getattr(ds, f)
                entry[f] = None if a is None else self.array(a)
            self.datasets.append(entry)
        return self._dataset_index[id(ds)]

    def state(self, s: TrainerState) -> int:
        t, m, v = s.optimizer
        self.states.append({
            "config": self.config(s.config), "dataset": self.dataset(s.dataset), "params": self.array(s.params),
            "t": int(t), "m": None if m is None else self.array(m), "v": None if v is None else self.array(v),
            "learning_rate": float(s.learning_rate), "step": int(s.step), "samples_seen": int(s.samples_seen),
            "shuffle_state": s.shuffle_state, "epoch_state": s.epoch_state, "cursor": int(s.cursor),
            "phases_done": int(s.phases_done),
        })
        return len(self.states) - 1


# ---------------------------------------------------------------- reading

def is_session(data: bytes) -> bool:
    """Whether `data` starts as a session does: a zip whose first entry is manifest.json."""
    if len(data) < 30 or data[:4] != _ZIP_MAGIC:
        return False
    n = struct.unpack("<H", data[26:28])[0]
    return data[30:30 + n] == _MANIFEST.encode()


def looks_like_session(path) -> bool:
    """Whether the file at `path` is a session by its first bytes (False for anything unreadable: the reader
    that is tried next says what is wrong with it)."""
    from ffviz.io.reading import read_head
    try:
        return is_session(read_head(path, 1024, kind="file"))
    except FfvizError:
        return False


def load_session(path) -> Session:
    """A session file → Session; any problem is one FfvizError line naming the file."""
    name = shown_path(Path(encodable(path)).name or path)
    return parse_session(read_regular_file(path, limit=MAX_SESSION_BYTES, kind="session file", name=name), name)


def parse_session(data: bytes, name: str) -> Session:
    """The bytes of a session file → Session (checked throughout; nothing unpickled, nothing trusted)."""
    if data[:4] != _ZIP_MAGIC and data[:4] != b"PK\x05\x06":
        raise FfvizError(f"{name} is not an ffviz session (not a zip file)")
    zf, entries = _open_zip(data, name)
    if _MANIFEST not in entries:
        if any(n.startswith(("kernel_", "config")) for n in entries):
            raise FfvizError(f"{name} is a weights file (weights.npz), not a session")
        raise FfvizError(f"{name} is not an ffviz session: it holds no manifest.json")
    raw = _entry_bytes(zf, entries.pop(_MANIFEST), _MANIFEST, name, MAX_JSON_BYTES)
    manifest = parse_json(raw, f"{name} manifest")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FfvizError(f"{name} is not an ffviz session (its manifest names no {FORMAT} format)")
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FfvizError(f"{name}: its session format version {shown(repr(version), 40)} is not a version")
    if version > VERSION:
        writer = manifest.get("ffviz")
        by = f" (ffviz {shown(writer, 20)})" if isinstance(writer, str) else ""
        raise FfvizError(f"{name} was saved by a newer ffviz{by} in session format {version}; this ffviz "
                         f"({__version__}) reads format {VERSION} and older: update ffviz to open it")
    return _Reader(name, zf, entries).session(manifest, version)


def _open_zip(data: bytes, name: str) -> tuple[zipfile.ZipFile, dict]:
    """The zip and its entries by name, with every declared size within the limits (before inflating)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) - end < 22:
        raise FfvizError(f"{name} is truncated: it has no zip directory")
    count = struct.unpack("<H", data[end + 10:end + 12])[0]
    if count > MAX_ENTRIES and count != 0xFFFF:
        raise FfvizError(f"{name} holds {count:,} entries; a session holds at most {MAX_ENTRIES:,}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error,
            OverflowError, OSError) as exc:
        raise FfvizError(f"{name} is damaged (not a readable zip: {shown(_reason(exc), 60)})") from None
    if len(infos) > MAX_ENTRIES:
        raise FfvizError(f"{name} holds {len(infos):,} entries; a session holds at most {MAX_ENTRIES:,}")
    entries, total = {}, 0
    for info in infos:
        n = info.filename
        if n != _MANIFEST and not _ENTRY.fullmatch(n) and not n.startswith(("kernel_", "bias_", "config")):
            raise FfvizError(f'{name} holds an entry "{shown(n, 40)}"; a session holds manifest.json and '
                             f"arrays a0.npy, a1.npy, …")
        if n in entries:
            raise FfvizError(f"{name} holds {shown(n, 40)} twice")
        if info.flag_bits & 0x1:
            raise FfvizError(f"{name}: {shown(n, 40)} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FfvizError(f"{name}: {shown(n, 40)} is compressed in a way ffviz does not read")
        total += info.file_size
        if total > MAX_SESSION_BYTES:  # from the sizes the zip declares: a zip bomb stays unread
            raise FfvizError(f"{name} would inflate to more than {format_bytes(MAX_SESSION_BYTES)}; ffviz "
                             f"reads sessions of at most that")
        entries[n] = info
    return zf, entries


def _entry_bytes(zf, info, key: str, name: str, limit: int) -> bytes:
    if info.file_size > limit:
        raise FfvizError(f"{name}: {key} is {format_bytes(info.file_size)}; at most {format_bytes(limit)}")
    try:
        with zf.open(info) as f:
            return f.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError,
            struct.error, OverflowError, OSError) as exc:
        raise FfvizError(f"{name}: {key} is damaged ({shown(_reason(exc), 60)})") from None


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class _Reader:
    """Reads a manifest's values, each checked; every problem is one line naming the file and the place."""

    def __init__(self, name: str, zf: zipfile.ZipFile, entries: dict):
        self.name, self.zf, self.entries = name, zf, entries
        self._arrays: dict[str, np.ndarray] = {}

    def fail(self, where: str, what: str):
        raise FfvizError(f"{self.name}: {where} {what}")

    # -------------------------------------------------------- plain values

    def obj(self, value, where: str, required=(), optional=()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"must be an object, not {_kind(value)}")
        missing = [k for k in required if k not in value]
        if missing:
            self.fail(where, f"has no {missing[0]!r}")
        extra = sorted(set(value) - set(required) - set(optional))
        if extra:
            self.fail(where, f"holds an unknown key {shown(repr(extra[0]), 40)}")
        return value

    def integer(self, value, where: str, lo: int = 0, hi: int = MAX_STEP) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"must be a whole number, not {_kind(value)}")
        if not lo <= value <= hi:
            self.fail(where, f"must be from {lo:,} to {hi:,}" if hi < 10**20 else f"must be at least {lo:,}")
        return value

    def number(self, value, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or abs(value) > 1e300:
            self.fail(where, f"must be a finite number, not {_kind(value)}")
        return float(value)

    def text(self, value, where: str, limit: int = 4096, allow_none: bool = False) -> str | None:
        if value is None and allow_none:
            return None
        if not isinstance(value, str):
            self.fail(where, f"must be text, not {_kind(value)}")
        if len(value) > limit:
            self.fail(where, f"is {len(value):,} characters long; at most {limit:,}")
        return value

    def items(self, value, where: str, limit: int) -> list:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, not {_kind(value)}")
        if len(value) > limit:
            self.fail(where, f"holds {len(value):,} items; at most {limit:,}")
        return value

    def index(self, value, where: str, of: list) -> int:
        return self.integer(value, where, 0, max(0, len(of) - 1)) if of else self.fail(where, "refers to nothing")

    # -------------------------------------------------------- arrays

    def array(self, ref, where: str, shape: tuple, kind: str = "f", finite: bool = True) -> np.ndarray:
        """The array an entry name refers to, of `shape` (None in it: any length), float64 or int64."""
        ref = self.text(ref, where, 20)
        if ref not in self._arrays:
            key = f"{ref}.npy"
            if not _ENTRY.fullmatch(key) or key not in self.entries:
                self.fail(where, f"refers to an array {shown(ref, 20)!r} the file does not hold")
            arr = read_npy_entry(self.zf, self.entries[key], key, self.name)
            if arr.dtype.kind not in ("fiu" if kind == "f" else "iu"):
                self.fail(where, f"holds {arr.dtype.name} values, not {'numbers' if kind == 'f' else 'whole numbers'}")
            with np.errstate(all="ignore"):
                if kind == "f":
                    arr = arr.astype(np.float64)
                elif arr.size and (arr.min() < _INT64.min or arr.max() > _INT64.max):
                    self.fail(where, "holds whole numbers too large for ffviz")
                else:
                    arr = arr.astype(np.int64)
            arr.flags.writeable = False
            self._arrays[ref] = arr
        arr = self._arrays[ref]
        if arr.ndim != len(shape) or any(n is not None and n != m for n, m in zip(shape, arr.shape)):
            want = " × ".join("n" if n is None else str(n) for n in shape) or "a single number"
            got = " × ".join(map(str, arr.shape)) or "a single number"
            self.fail(where, f"is {got} but must be {want}")
        if finite and kind == "f" and not np.isfinite(arr).all():
            self.fail(where, "holds values that are not finite numbers (NaN or infinity)")
        return arr

    def optional_array(self, ref, where: str, shape: tuple) -> np.ndarray | None:
        return None if ref is None else self.array(ref, where, shape)

    # -------------------------------------------------------- the parts

    def session(self, m: dict, version: int) -> Session:
        self.obj(m, "the manifest", ("format", "version", "configs", "datasets", "states", "state", "timeline",
                                     "history"), ("ffviz", "base_dir", "view"))
        writer = self.text(m.get("ffviz", ""), "ffviz", 100)
        base_dir = self.text(m.get("base_dir"), "base_dir", 4096, allow_none=True)
        view = m.get("view", {})
        if not isinstance(view, dict):
            self.fail("view", f"must be an object, not {_kind(view)}")
        if len(json.dumps(view)) > MAX_VIEW_BYTES:
            self.fail("view", f"is larger than {format_bytes(MAX_VIEW_BYTES)}")
        configs = [self.config(c, f"configs[{i}]") for i, c in enumerate(self.items(m["configs"], "configs", 10_000))]
        if not configs:
            self.fail("configs", "is empty")
        datasets = [self.dataset(d, f"datasets[{i}]")
                    for i, d in enumerate(self.items(m["datasets"], "datasets", 10_000))]
        if not datasets:
            self.fail("datasets", "is empty")
        raw_states = self.items(m["states"], "states", MAX_ENTRIES)
        states = [self.state(s, f"states[{i}]", configs, datasets) for i, s in enumerate(raw_states)]
        state = states[self.index(m["state"], "state", states)]
        timeline = self.timeline(m["timeline"], states, state)
        updates, evals, curve = self.history(m["history"])
        norms = self.norms(m["history"].get("norms"), len(state.config.layers))
        steps = updates[0]
        if np.any(steps < 0) or np.any(steps != np.round(steps)) or np.any(np.diff(steps) < 0) \
                or (steps.size and steps[-1] > state.step):
            self.fail("history updates", "steps must be whole, ascending and at most the run's update")
        return Session(SavedRun(state, base_dir, updates, evals, curve, timeline, norms), dict(view), version,
                       writer)

    def config(self, value, where: str) -> RunConfig:
        c = self.obj(value, where, ("network", "kernels", "biases"))
        try:
            cfg = from_dict(c["network"])
        except FfvizError as exc:
            raise FfvizError(f"{self.name}: {where}: {exc}") from None
        n = len(cfg.layers)
        kernels = self.items(c["kernels"], f"{where} kernels", n)
        biases = self.items(c["biases"], f"{where} biases", n)
        if len(kernels) != n or len(biases) != n:
            self.fail(where, f"must give a kernel and a bias (or null) for each of its {n} layers")
        sizes = cfg.layer_sizes
        layers = []
        for i, (layer, k, b) in enumerate(zip(cfg.layers, kernels, biases)):
            if layer.kernel is not None or layer.bias is not None:
                self.fail(where, "gives weights in its network file; they belong in arrays")
            kernel = self.optional_array(k, f"{where} kernel of layer {i + 1}", (sizes[i], layer.units))
            bias = self.optional_array(b, f"{where} bias of layer {i + 1}", (layer.units,))
            if bias is not None and not layer.use_bias:
                self.fail(where, f"gives a bias for layer {i + 1}, which has none")
            layers.append(replace(layer, kernel=None if kernel is None else tuple(map(tuple, kernel.tolist())),
                                  bias=None if bias is None else tuple(bias.tolist())))
        if all(l.kernel is None and l.bias is None for l in layers):
            return cfg
        try:
            return validate(replace(cfg, layers=tuple(layers)))
        except FfvizError as exc:
            raise FfvizError(f"{self.name}: {where}: {exc}") from None

    def dataset(self, value, where: str) -> Dataset:
        d = self.obj(value, where, ("name", "task", "n_classes", "feature_names", "class_names", "extent",
                                    "standardization") + _DATA_ARRAYS)
        task = self.text(d["task"], f"{where} task", 20)
        if task not in TASKS:
            self.fail(f"{where} task", f"must be one of {', '.join(TASKS)}")
        n_classes = self.integer(d["n_classes"], f"{where} n_classes", 0, MAX_CLASSES)
        x = self.array(d["x_train"], f"{where} x_train", (None, None))
        n_in = x.shape[1]
        if not 1 <= n_in <= MAX_INPUT_UNITS or not 1 <= x.shape[0] <= MAX_SAMPLES:
            self.fail(f"{where} x_train", f"must have 1 to {MAX_SAMPLES:,} rows and 1 to {MAX_INPUT_UNITS:,} columns")
        y = self.array(d["y_train"], f"{where} y_train", (x.shape[0], None))
        x_test = self.array(d["x_test"], f"{where} x_test", (None, n_in))
        y_test = self.array(d["y_test"], f"{where} y_test", (x_test.shape[0], y.shape[1]))
        if x.shape[0] + x_test.shape[0] > MAX_SAMPLES or not 1 <= y.shape[1] <= 4096:
            self.fail(where, f"must have at most {MAX_SAMPLES:,} samples and 1 to 4,096 target columns")
        raw = self.optional_array(d["raw_train"], f"{where} raw_train", (x.shape[0], 2))
        raw_test = self.optional_array(d["raw_test"], f"{where} raw_test", (x_test.shape[0], 2))
        if (raw is None) != (raw_test is None):
            self.fail(where, "must give both raw_train and raw_test, or neither")
        names = tuple(self.text(n, f"{where} feature_names", 200)
                      for n in self.items(d["feature_names"], f"{where} feature_names", n_in))
        classes = tuple(self.text(n, f"{where} class_names", 200)
                        for n in self.items(d["class_names"], f"{where} class_names", MAX_CLASSES))
        extent = None
        if d["extent"] is not None:
            extent = tuple(self.number(v, f"{where} extent") for v in self.items(d["extent"], f"{where} extent", 4))
            if len(extent) != 4 or extent[0] >= extent[1] or extent[2] >= extent[3]:
                self.fail(f"{where} extent", "must be x1 from, to, x2 from, to (each from below to)")
        stats = None
        if d["standardization"] is not None:
            s = self.obj(d["standardization"], f"{where} standardization", ("mean", "std"))
            mean = tuple(self.number(v, f"{where} standardization mean")
                         for v in self.items(s["mean"], f"{where} standardization mean", n_in))
            std = tuple(self.number(v, f"{where} standardization std")
                        for v in self.items(s["std"], f"{where} standardization std", n_in))
            if len(mean) != n_in or len(std) != n_in or min(std) <= 0:
                self.fail(f"{where} standardization", f"must give {n_in} means and {n_in} positive stds")
            stats = Standardization(mean, std)
        return Dataset(name=self.text(d["name"], f"{where} name", 300), x_train=x, y_train=y, x_test=x_test,
                       y_test=y_test, raw_train=raw, raw_test=raw_test, task=task, n_classes=n_classes,
                       feature_names=names, extent=extent, class_names=classes, standardization=stats)

    def state(self, value, where: str, configs: list, datasets: list) -> TrainerState:
        s = self.obj(value, where, ("config", "dataset", "params", "t", "m", "v", "learning_rate", "step",
                                    "samples_seen", "shuffle_state", "epoch_state", "cursor", "phases_done"))
        cfg = configs[self.index(s["config"], f"{where} config", configs)]
        ds = datasets[self.index(s["dataset"], f"{where} dataset", datasets)]
        size = _parameters(cfg)
        params = self.array(s["params"], f"{where} params", (size,))
        m = self.optional_array(s["m"], f"{where} m", (size,))
        v = self.optional_array(s["v"], f"{where} v", (size,))
        try:
            lr = Trainer.check_learning_rate(s["learning_rate"] if not isinstance(s["learning_rate"], bool) else "")
        except FfvizError as exc:
            raise FfvizError(f"{self.name}: {where}: {exc}") from None
        n_train = ds.x_train.shape[0]
        phases = 2 * len(cfg.layers) + 2
        return TrainerState(
            config=cfg, dataset=ds, params=params, optimizer=(self.integer(s["t"], f"{where} t"), m, v),
            learning_rate=lr, step=self.integer(s["step"], f"{where} step"),
            samples_seen=self.integer(s["samples_seen"], f"{where} samples_seen", 0, 10**18),
            shuffle_state=self.generator(s["shuffle_state"], f"{where} shuffle_state"),
            epoch_state=None if s["epoch_state"] is None else self.generator(s["epoch_state"], f"{where} epoch_state"),
            cursor=self.integer(s["cursor"], f"{where} cursor", 0, n_train),
            phases_done=self.integer(s["phases_done"], f"{where} phases_done", 0, phases - 1))

    def generator(self, value, where: str) -> dict:
        """A NumPy PCG64 generator's state (what bit_generator.state gives), checked by setting it."""
        g = self.obj(value, where, ("bit_generator", "state", "has_uint32", "uinteger"))
        if g["bit_generator"] != "PCG64":
            self.fail(where, "must be a PCG64 generator's state (NumPy's default)")
        inner = self.obj(g["state"], f"{where} state", ("state", "inc"))
        out = {"bit_generator": "PCG64",
               "state": {"state": self.integer(inner["state"], f"{where} state", 0, 2**128 - 1),
                         "inc": self.integer(inner["inc"], f"{where} inc", 0, 2**128 - 1)},
               "has_uint32": self.integer(g["has_uint32"], f"{where} has_uint32", 0, 1),
               "uinteger": self.integer(g["uinteger"], f"{where} uinteger", 0, 2**32 - 1)}
        try:
            np.random.PCG64().state = out
        except (ValueError, TypeError, OverflowError) as exc:
            self.fail(where, f"is not a generator state NumPy takes ({shown(_reason(exc), 60)})")
        return out

    def timeline(self, value, states: list, state: TrainerState) -> dict:
        keys = ("size", "recent", "older_cap", "max_checkpoints", "checkpoint_every", "display_cap", "stride",
                "every", "display_stride", "dense_steps", "dense", "old_steps", "old", "display_steps", "display",
                "checkpoints", "pinned")
        t = self.obj(value, "timeline", keys)
        size = _parameters(state.config)
        if self.integer(t["size"], "timeline size", 0, 2**40) != size:
            self.fail("timeline size", f"must be the network's {size} parameters")
        row = 8 * max(1, size)
        cap = max(16, _TIMELINE_BYTES // row)
        out = {"size": size}
        for key in ("recent", "older_cap", "display_cap"):
            out[key] = self.integer(t[key], f"timeline {key}", 1, cap)
        out["max_checkpoints"] = self.integer(t["max_checkpoints"], "timeline max_checkpoints", 2, 10**6)
        for key in ("checkpoint_every", "stride", "every", "display_stride"):
            out[key] = self.integer(t[key], f"timeline {key}", 1, 2**62)
        for steps, rows in (("dense_steps", "dense"), ("old_steps", "old"), ("display_steps", "display")):
            s = self.array(t[steps], f"timeline {steps}", (None,), kind="i")
            out[steps] = s
            out[rows] = self.array(t[rows], f"timeline {rows}", (s.shape[0], size))
            if s.size and (s.min() < 0 or s.max() > state.step):
                self.fail(f"timeline {steps}", "must be updates of the run")
        ckpts = [states[self.index(i, "timeline checkpoints", states)]
                 for i in self.items(t["checkpoints"], "timeline checkpoints", MAX_ENTRIES)]
        for c in ckpts:
            if c.step > state.step or c.phases_done or _parameters(c.config) != size:
                self.fail("timeline checkpoints", "must be states of this run between two updates, up to now")
        out["checkpoints"] = ckpts
        out["pinned"] = [self.integer(s, "timeline pinned") for s in self.items(t["pinned"], "timeline pinned",
                                                                                 MAX_ENTRIES)]
        return out

    def history(self, value) -> tuple:
        h = self.obj(value, "history", ("updates", "evals", "batch_curve"), ("norms",))
        updates = self.array(h["updates"], "history updates", (len(UPDATE_COLUMNS), None), finite=False)
        evals = self.array(h["evals"], "history evals", (len(EVAL_COLUMNS), None), finite=False)
        if not np.isfinite(updates[0]).all() or not np.isfinite(evals[0]).all():
            self.fail("history", "steps must be finite numbers")
        e = evals[0]
        if np.any(e < 0) or np.any(np.diff(e) < 0):
            self.fail("history evals", "steps must be ascending")
        c = self.obj(h["batch_curve"], "history batch_curve", ("cap", "width", "count", "x", "y", "sums"))
        cap = self.integer(c["cap"], "history batch_curve cap", 2, 2**20)
        curve = {"cap": cap, "width": self.integer(c["width"], "history batch_curve width", 1, 2**62),
                 "count": self.integer(c["count"], "history batch_curve count", 0, 2**62)}
        x = self.array(c["x"], "history batch_curve x", (None,), finite=False)
        curve.update(x=x, y=self.array(c["y"], "history batch_curve y", (x.shape[0],), finite=False),
                     sums=self.array(c["sums"], "history batch_curve sums", (2,), finite=False))
        return tuple(updates), tuple(evals), curve

    def norms(self, value, n_layers: int) -> dict | None:
        """The layer norms of the vanishing-gradient view, or None when the file has none (older sessions) or
        holds ones that do not fit: they are only drawn, so the run loads and the view starts from here."""
        if value is None:
            return None
        try:
            n = self.obj(value, "history norms", ("cap", "stride", "steps", "grad", "ratio"))
            steps = self.array(n["steps"], "history norms steps", (None,), kind="i")
            shape = (steps.shape[0], n_layers)
            return {"cap": self.integer(n["cap"], "history norms cap", 2, 2**20),
                    "stride": self.integer(n["stride"], "history norms stride", 1, 2**62), "steps": steps,
                    "grad": self.array(n["grad"], "history norms grad", shape, finite=False),
                    "ratio": self.array(n["ratio"], "history norms ratio", shape, finite=False)}
        except FfvizError:
            return None


def _parameters(cfg: RunConfig) -> int:
    """How many numbers the flat parameter vector of `cfg`'s network holds."""
    return Network.of(cfg).layout.size


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return shown(repr(value), 40)
    if isinstance(value, str):
        return repr(shown(value, 40))
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)
