"""Trained weights as files: weights.npz (NumPy arrays plus the network file) beside weights.json, a reader
for either by its content, and whether loaded weights fit a network.

weights.npz is what `np.savez` writes: a zip of .npy arrays `kernel_0`, `bias_0`, … (a layer without bias has
no `bias_i`) and `config`, the network file's JSON as a 0-d unicode array, without the parameters the arrays
hold. `np.load(path, allow_pickle=False)` reads it. The reader here does not trust it: the zip's directory
and every entry's declared size are checked before anything is inflated (a zip bomb is refused unread), each
.npy header before its array is made, and nothing is ever unpickled.
"""

from __future__ import annotations

import io
import re
import struct
import tokenize
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from ffviz.engine.budget import MAX_LAYERS, format_bytes
from ffviz.engine.config import RunConfig, from_dict
from ffviz.errors import FfvizError, shown, shown_path
from ffviz.io.files import MAX_JSON_BYTES, atomic_write_bytes, dumps, network_dict, parse_json
from ffviz.io.reading import encodable, read_regular_file

MAX_NPZ_BYTES = 512 * 2**20  # the file, and all its entries inflated: more than any run the budget allows
MAX_ENTRIES = 2 * MAX_LAYERS + 1  # a kernel and a bias per layer, and the config
MAX_CONFIG_ENTRY_BYTES = 4 * MAX_JSON_BYTES  # a network file's text as UTF-32, as NumPy stores unicode
_MAX_DIRECTORY_BYTES = MAX_ENTRIES * 1024  # the zip's central directory: ample for names like kernel_999.npy
_MAX_NPY_HEADER = 10_000
_ENTRY = re.compile(r"(kernel|bias)_(0|[1-9][0-9]{0,3})\.npy|config\.npy")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip's end record
_NPY_MAGIC = b"\x93NUMPY"


# ---------------------------------------------------------------- writing

def npz_bytes(cfg: RunConfig, kernels, biases, *, base_dir=None, trained: dict | None = None,
              standardization=None) -> bytes:
    """weights.npz of a run: its kernels and biases as arrays, its network file (without them) as `config`."""
    if standardization is None:
        standardization = cfg.data.standardization
    text = dumps(network_dict(cfg.without_parameters(), base_dir=base_dir, trained=trained,
                              standardization=standardization))
    arrays = {"config": np.array(text)}
    for i, (layer, kernel, bias) in enumerate(zip(cfg.layers, kernels, biases)):
        arrays[f"kernel_{i}"] = np.asarray(kernel, dtype=np.float64)
        if layer.use_bias and bias is not None:
            arrays[f"bias_{i}"] = np.asarray(bias, dtype=np.float64)
    if not all(np.isfinite(a).all() for key, a in arrays.items() if key != "config"):
        raise FfvizError("the weights are not finite numbers (did training diverge?); nothing was written")
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # stored, not compressed: trained weights hardly compress, and it is faster
    return buf.getvalue()


def save_weights_npz(path, cfg: RunConfig, kernels, biases, **kwargs) -> Path:
    """Write weights.npz atomically (see npz_bytes for what it holds)."""
    return atomic_write_bytes(path, npz_bytes(cfg, kernels, biases, **kwargs))


# ---------------------------------------------------------------- reading

def load_weights_npz(path) -> RunConfig:
    """weights.npz → its RunConfig with explicit kernels and biases; any problem is one FfvizError line."""
    name = _name(path)
    return parse_npz(read_regular_file(path, limit=MAX_NPZ_BYTES, kind="weights file", name=name), name)


def load_weights(path) -> RunConfig:
    """Weights from weights.json or weights.npz, told apart by their content (a zip, or JSON text), as a
    RunConfig whose layers carry their kernels; a file without weights is refused."""
    cfg = load_network_or_weights(path, kind="weights file")
    if all(layer.kernel is None for layer in cfg.layers):
        raise FfvizError(f"{_name(path)} is a network file without weights (its layers have no kernel)")
    return cfg


def load_network_or_weights(path, kind: str = "network file") -> RunConfig:
    """A network file (JSON, with or without weights) or a weights.npz, told apart by content; `kind` is what
    messages call the file."""
    name = _name(path)
    data = read_regular_file(path, limit=max(MAX_NPZ_BYTES, MAX_JSON_BYTES), kind=kind, name=name)
    if data[:4] in _ZIP_MAGIC:
        return parse_npz(data, name)
    if data.startswith(_NPY_MAGIC):
        raise FfvizError(f"{name} is a single NumPy array (.npy); ffviz reads weights as .npz or .json")
    if len(data) > MAX_JSON_BYTES:
        raise FfvizError(f"{name} is {format_bytes(len(data))} of text: larger than the "
                         f"{format_bytes(MAX_JSON_BYTES)} ffviz reads in a network file")
    return _config(parse_json(data, name), name)


def _name(path) -> str:
    return shown_path(Path(encodable(path)).name or path)


def parse_npz(data: bytes, name: str) -> RunConfig:
    """The bytes of a weights.npz → its RunConfig with explicit parameters (see load_weights_npz)."""
    _check_directory(data, name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error,
            OverflowError, OSError) as exc:
        raise FfvizError(f"{name} is not an NPZ file (a zip of NumPy arrays): {shown(_reason(exc), 60)}") from None
    entries = _checked_entries(infos, name)
    if "config" not in entries:
        raise FfvizError(f"{name} holds no config entry (the network file), so ffviz cannot tell what "
                         f"network its arrays belong to")
    config = _array(zf, entries.pop("config"), "config", name)
    if config.dtype.kind != "U" or config.shape != ():
        raise FfvizError(f"{name}: its config entry must be text (a 0-d unicode array), not "
                         f"{config.dtype.kind!r} of shape {config.shape}")
    where = f"{name} config"
    cfg = _config(parse_json(str(config[()]).encode("utf-8", "surrogatepass"), where), where)
    if any(layer.kernel is not None or layer.bias is not None for layer in cfg.layers):
        raise FfvizError(f"{name}: its config gives weights too; they belong in the kernel_i and bias_i arrays")
    return _with_parameters(cfg, zf, entries, name)


def _config(value, where: str) -> RunConfig:
    try:
        return from_dict(value)
    except FfvizError as exc:
        raise FfvizError(f"{where}: {exc}") from None


def _check_directory(data: bytes, name: str) -> None:
    """Refuse a zip whose directory is too large to parse (millions of entries) before zipfile parses it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))  # the end record, after at most a comment
    if end < 0 or len(data) - end < 22:
        what = "truncated" if data[:4] in _ZIP_MAGIC else "not an NPZ file (a zip of NumPy arrays)"
        raise FfvizError(f"{name} is {what}: it has no zip directory")
    _, _, _, entries, directory_size, _, _ = struct.unpack("<4H2LH", data[end + 4:end + 22])
    if entries > MAX_ENTRIES or directory_size > _MAX_DIRECTORY_BYTES:
        raise FfvizError(f"{name} holds {'at least ' if entries == 0xFFFF else ''}{entries:,} entries; a "
                         f"weights file holds at most {MAX_ENTRIES:,} (a kernel and a bias per layer, and config)")


def _checked_entries(infos, name: str) -> dict:
    """{key: ZipInfo} for config, kernel_i and bias_i, with every declared size within the limits."""
    if len(infos) > MAX_ENTRIES:
        raise FfvizError(f"{name} holds {len(infos):,} entries; a weights file holds at most {MAX_ENTRIES:,}")
    entries, total = {}, 0
    for info in infos:
        if not _ENTRY.fullmatch(info.filename):
            raise FfvizError(f'{name} holds an entry "{shown(info.filename)}"; a weights file holds only '
                             f"config, kernel_0, bias_0, kernel_1, …")
        key = info.filename[:-4]
        if key in entries:
            raise FfvizError(f"{name} holds {key} twice")
        if info.flag_bits & 0x1:
            raise FfvizError(f"{name}: {key} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FfvizError(f"{name}: {key} is compressed in a way ffviz does not read (use np.savez or "
                             f"np.savez_compressed)")
        limit = MAX_CONFIG_ENTRY_BYTES if key == "config" else MAX_NPZ_BYTES
        total += info.file_size
        if info.file_size > limit or total > MAX_NPZ_BYTES:
            # Refused from the sizes the zip declares, before inflating anything: a zip bomb stays unread.
            size = info.file_size if info.file_size > limit else total
            raise FfvizError(f"{name} would inflate to {format_bytes(size)}; ffviz reads weights files of at "
                             f"most {format_bytes(MAX_NPZ_BYTES)} inflated")
        entries[key] = info
    return entries


def _array(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, name: str) -> np.ndarray:
    """One .npy entry as an array, its header checked before any array is made; never unpickled."""
    try:
        with zf.open(info) as f:
            raw = f.read(info.file_size + 1)  # zipfile stops at the declared size and checks the CRC
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError,
            struct.error, OverflowError, OSError) as exc:
        raise FfvizError(f"{name}: {key} is damaged ({shown(_reason(exc), 60)})") from None
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_MAX_NPY_HEADER)
        else:
            raise ValueError(f"format version {version[0]}.{version[1]}")
    # NumPy parses the header with Python's tokenizer: an unclosed bracket there is a tokenize.TokenError
    except (ValueError, SyntaxError, tokenize.TokenError, TypeError, OverflowError, struct.error, EOFError,
            MemoryError) as exc:
        raise FfvizError(f"{name}: {key} is not a NumPy array ({shown(_reason(exc), 60)})") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.itemsize == 0:
        raise FfvizError(f"{name}: {key} holds Python objects or records, which ffviz never reads "
                         f"(allow_pickle is off)")
    count = 1
    for n in shape:
        count *= n
    offset = f.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise FfvizError(f"{name}: {key} is truncated or damaged (its header says {count:,} values of "
                         f"{dtype.itemsize} bytes, the entry holds {len(raw) - offset:,} bytes)")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if fortran else "C")


read_npy_entry = _array  # sessions (io/session.py) read their arrays the same way


def _with_parameters(cfg: RunConfig, zf: zipfile.ZipFile, entries: dict, name: str) -> RunConfig:
    """The config with each layer's kernel and bias from the arrays, checked against the layer's shape."""
    layers = []
    sizes = cfg.layer_sizes
    for i, layer in enumerate(cfg.layers):
        where = f"layer {i + 1}"
        if f"kernel_{i}" not in entries:
            raise FfvizError(f"{name} holds no kernel_{i} for {where}")
        kernel = _numbers(zf, entries.pop(f"kernel_{i}"), f"kernel_{i}", name, (sizes[i], layer.units), where)
        bias = None
        if layer.use_bias:
            if f"bias_{i}" not in entries:
                raise FfvizError(f"{name} holds no bias_{i} for {where}, which has a bias")
            bias = _numbers(zf, entries.pop(f"bias_{i}"), f"bias_{i}", name, (layer.units,), where)
        elif f"bias_{i}" in entries:
            raise FfvizError(f"{name} holds bias_{i}, but {where} has no bias (use_bias is false)")
        layers.append(replace(layer, kernel=tuple(map(tuple, kernel.tolist())),
                              bias=None if bias is None else tuple(bias.tolist())))
    if entries:
        extra = sorted(entries)[0]
        raise FfvizError(f"{name} holds {extra}, but its network has {len(cfg.layers)} layer(s) after the input")
    return replace(cfg, layers=tuple(layers))


def _numbers(zf, info, key: str, name: str, shape: tuple, where: str) -> np.ndarray:
    """A kernel or bias entry as a finite float64 array of the shape its layer needs."""
    arr = _array(zf, info, key, name)
    if arr.dtype.kind not in "fiu":
        raise FfvizError(f"{name}: {key} holds {arr.dtype.name} values, not real numbers")
    if arr.shape != shape:
        raise FfvizError(f"{name}: {key} is {_dims(arr.shape)} but {where} needs {_dims(shape)}")
    with np.errstate(all="ignore"):  # an integer beyond the float range becomes inf: refused just below
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise FfvizError(f"{name}: {key} holds values that are not finite numbers (NaN or infinity)")
    return arr


def _dims(shape: tuple) -> str:
    return " × ".join(str(n) for n in shape) if shape else "a single number"


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------- fitting weights onto a network

def weights_fit(config: RunConfig, loaded: RunConfig, source: str = "the weights file") -> str | None:
    """None if the weights `loaded` carries fit the network of `config`, else one line naming the first layer
    that does not (e.g. "layer 2's kernel is 4 × 2 here but 4 × 3 in weights.npz")."""
    here, there = config.layers, loaded.layers
    if len(here) != len(there):
        return (f"this network has {len(here)} layer(s) after the input but {source} has weights for "
                f"{len(there)}")
    sizes = config.layer_sizes
    for i, (mine, theirs) in enumerate(zip(here, there), start=1):
        if theirs.kernel is None:
            return f"{source} holds no weights for layer {i}"
        needed = (sizes[i - 1], mine.units)
        given = (len(theirs.kernel), len(theirs.kernel[0]) if theirs.kernel else 0)
        if needed != given:
            return f"layer {i}'s kernel is {_dims(needed)} here but {_dims(given)} in {source}"
        if mine.use_bias and theirs.bias is None:
            return f"layer {i} has a bias here but none in {source}"
        if not mine.use_bias and theirs.bias is not None:
            return f"layer {i} has no bias here but {source} holds one"
    return None
