"""The one source of truth for a run: a small frozen config (layers, loss, optimizer, data, init, seed).

Reset rebuilds from it, network files and sessions store it, the command line reads it. `from_dict` and
`to_dict` are the JSON contract documented in docs/file-formats.md; every problem becomes one FfvizError line.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from ffviz.engine import budget
from ffviz.engine.budget import MAX_INPUT_UNITS, MAX_LAYERS
from ffviz.engine.datasets import MAX_CLASSES, MAX_SAMPLES, Standardization, standardizes
from ffviz.engine.datasets import TASKS as DATASET_TASKS
from ffviz.errors import FfvizError, short_repr

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "perceptron")
OPTIMIZER_ALIASES = {"gd": "sgd", "gradient_descent": "sgd"}
# The OptimizerSpec hyper-parameters each rule reads (beyond the learning rate); it ignores the others.
OPTIMIZER_PARAMS = {
    "sgd": (), "perceptron": (),
    "momentum": ("momentum",), "nesterov": ("momentum",),
    "adagrad": ("epsilon",), "rmsprop": ("rho", "epsilon"), "adam": ("beta_1", "beta_2", "epsilon"),
}
INITIALIZERS = ("normal", "xavier", "he", "zeros")
TASKS = ("auto",) + DATASET_TASKS


def _tuplify(value):
    """Nested lists → nested tuples of floats, so a config stays hashable and immutable."""
    if isinstance(value, (list, tuple)):
        return tuple(_tuplify(v) for v in value)
    return float(value)


@dataclass(frozen=True)
class LayerSpec:
    """One layer after the input: units, activation, bias, and optionally explicit parameters."""

    units: int
    activation: str = "tanh"
    use_bias: bool = True
    train_bias: bool = True
    kernel: tuple | None = None  # inputs × units, as Keras' Dense stores it
    bias: tuple | None = None


@dataclass(frozen=True)
class OptimizerSpec:
    """The update rule and its hyper-parameters; batch_size None means full batch."""

    name: str = "sgd"
    learning_rate: float = 0.03
    batch_size: int | None = None
    shuffle: bool = True
    momentum: float = 0.9
    rho: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    # Train only these parameters (names as ParamLayout.name gives them); the others stay exactly where they
    # are. The loss surface's "freeze the others": with two weights free, the surface drawn is the very
    # function the updates descend, and never goes stale. None: every trainable parameter.
    train_only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class InitSpec:
    """How kernels start: N(0, σ²), Xavier/Glorot normal, He normal or zeros; biases start at `bias`."""

    name: str = "normal"
    sigma: float = 0.5
    bias: float = 0.0


@dataclass(frozen=True)
class RegularizationSpec:
    kind: str = "none"  # none | l1 | l2
    rate: float = 0.0


@dataclass(frozen=True)
class DataSpec:
    """A built-in dataset by name with its parameters, a CSV file, or inline x/y."""

    name: str = "circle"  # a built-in name, "csv" or "inline"
    samples: int = 200
    noise: float = 0.0
    test_fraction: float = 0.5
    features: tuple[str, ...] | None = None  # None: the raw inputs as they are
    seed: int | None = None  # None: derived from the run's seed
    classes: int = 3
    path: str | None = None
    label: str | None = None
    task: str = "auto"
    x: tuple | None = None
    y: tuple | None = None
    standardize: bool | None = None  # z-score the inputs; None: the source's default (CSV yes, others no)
    # The statistics trained weights were trained with (written with them); None: the training split's
    standardization: Standardization | None = None


@dataclass(frozen=True)
class RunConfig:
    layers: tuple[LayerSpec, ...]  # hidden and output layers; the input width is `input_units`
    input_units: int = 2
    loss: str = "binary_crossentropy"
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    init: InitSpec = field(default_factory=InitSpec)
    regularization: RegularizationSpec = field(default_factory=RegularizationSpec)
    data: DataSpec = field(default_factory=DataSpec)
    seed: int = 0
    fused_output_gradient: bool = True  # sigmoid+BCE and softmax+CE use ∂L/∂z = ŷ − y
    name: str = ""
    description: str = ""

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return (self.input_units,) + tuple(layer.units for layer in self.layers)

    def with_learning_rate(self, lr: float) -> "RunConfig":
        return replace(self, optimizer=replace(self.optimizer, learning_rate=float(lr)))

    def without_parameters(self) -> "RunConfig":
        """The same run with its explicit kernels/biases dropped, so they are initialised from the seed; the
        standardisation stored with them goes too (fresh weights take the data's own statistics)."""
        return replace(self, layers=tuple(replace(l, kernel=None, bias=None) for l in self.layers),
                       data=replace(self.data, standardization=None))


def change_kind(old: RunConfig, new: RunConfig) -> str:
    """How a run adopts `new` in place of `old`: "rebuild" (new weights, from the seed or the config's
    explicit values: the network's shape, its initialisation or the seed changed), "data" (new data, the
    weights kept), "live" (the weights kept: update rule, learning rate, loss, activations) or "same"."""
    def shape(c: RunConfig):
        return (c.input_units, tuple((l.units, l.use_bias, l.kernel, l.bias) for l in c.layers))

    if shape(old) != shape(new) or old.init != new.init or old.seed != new.seed:
        return "rebuild"
    if old.data != new.data:
        return "data"
    return "same" if old == new else "live"


# ---------------------------------------------------------------- validation helpers

def _num(value, where: str, *, lo=None, hi=None, integer=False, allow_none=False, lo_open=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FfvizError(f"{where} must be a number, not {short_repr(value)}")
    if isinstance(value, float) and not math.isfinite(value):  # a Python int is always finite (and may be huge)
        raise FfvizError(f"{where} must be a finite number, not {short_repr(value)}")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise FfvizError(f"{where} must be a whole number, not {short_repr(value)}")
        value = int(value)
    elif isinstance(value, int):
        if abs(value) > 1e300:
            raise FfvizError(f"{where} is too large a number")
        value = float(value)
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise FfvizError(f"{where} must be {'>' if lo_open else '≥'} {lo}, not {short_repr(value)}")
    if hi is not None and value > hi:
        raise FfvizError(f"{where} must be ≤ {hi}, not {short_repr(value)}")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise FfvizError(f"{where} must be true or false, not {short_repr(value)}")
    return value


def _str(value, where: str) -> str:
    if not isinstance(value, str):
        raise FfvizError(f"{where} must be a string, not {short_repr(value)}")
    return value


def _obj(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise FfvizError(f"{where} must be an object ({{...}}), not {type(value).__name__}")
    return value


def _no_unknown(d: dict, allowed, where: str):
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise FfvizError(f"{where}: unknown key {short_repr(unknown[0])}; known keys: {', '.join(sorted(allowed))}")


def _matrix(value, rows: int, cols: int, where: str) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != rows or any(
            not isinstance(r, (list, tuple)) or len(r) != cols for r in value):
        raise FfvizError(f"{where} must be a {rows} × {cols} list of lists (inputs × units)")
    for i, row in enumerate(value):
        for j, v in enumerate(row):
            _num(v, f"{where}[{i}][{j}]")
    return _tuplify(value)


def _vector(value, n: int, where: str) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise FfvizError(f"{where} must be a list of {n} numbers")
    for i, v in enumerate(value):
        _num(v, f"{where}[{i}]")
    return _tuplify(value)


# ---------------------------------------------------------------- validate a whole config

def validate(cfg: RunConfig) -> RunConfig:
    """Check a config is coherent (names exist, shapes agree, loss suits output); return it or raise FfvizError."""
    from ffviz.engine.activations import get_activation
    from ffviz.engine.losses import REGULARIZATIONS, get_loss

    if not cfg.layers:
        raise FfvizError("the network needs at least one layer after the input")
    if len(cfg.layers) > MAX_LAYERS:  # before the loop below: a million layers would take a while to check
        raise FfvizError(f"the network has {len(cfg.layers):,} layers after the input; ffviz builds at most "
                         f"{MAX_LAYERS:,}")
    _num(cfg.input_units, "the input layer's units", lo=1, hi=MAX_INPUT_UNITS, integer=True)
    fan_in = cfg.input_units
    _bool(cfg.fused_output_gradient, "fused_output_gradient")
    for idx, layer in enumerate(cfg.layers, start=1):
        where = f"layer {idx}"
        _num(layer.units, f"{where} units", lo=1, hi=4096, integer=True)
        _bool(layer.use_bias, f"{where} use_bias")
        _bool(layer.train_bias, f"{where} train_bias")
        act = get_activation(layer.activation)
        if act.name == "softmax" and idx != len(cfg.layers):
            raise FfvizError(f"{where}: softmax is for the output layer only")
        if layer.kernel is not None:
            _matrix(layer.kernel, fan_in, layer.units, f"{where} kernel")
        if layer.bias is not None:
            if not layer.use_bias:
                raise FfvizError(f"{where} gives a bias but use_bias is false")
            _vector(layer.bias, layer.units, f"{where} bias")
        fan_in = layer.units
    loss = get_loss(cfg.loss)
    out_act = cfg.layers[-1].activation
    if cfg.optimizer.name == "perceptron":
        if len(cfg.layers) != 1 or out_act != "step":
            raise FfvizError("the perceptron rule trains a single layer of step neurons; "
                             "use one layer with activation 'step'")
    elif loss.output_activations is not None and out_act not in loss.output_activations:
        raise FfvizError(f"{loss.label} needs outputs between 0 and 1: give the output layer "
                         f"{' or '.join(loss.output_activations)}, not {out_act}")
    if loss.name == "softmax_crossentropy" and cfg.layers[-1].units < 2 and out_act == "softmax":
        raise FfvizError("a softmax output needs at least 2 units (one per class)")
    opt = cfg.optimizer
    if opt.name not in OPTIMIZERS:
        raise FfvizError(f"unknown optimizer {short_repr(opt.name)}; choose one of: {', '.join(OPTIMIZERS)}")
    _num(opt.learning_rate, "the learning rate", lo=0, lo_open=True, hi=1e6)
    _num(opt.batch_size, "the batch size", lo=1, integer=True, allow_none=True)
    _bool(opt.shuffle, "optimizer shuffle")
    _num(opt.momentum, "momentum", lo=0, hi=1)
    _num(opt.rho, "rho", lo=0, hi=1)
    _num(opt.beta_1, "beta_1", lo=0, hi=1)
    _num(opt.beta_2, "beta_2", lo=0, hi=1)
    _num(opt.epsilon, "epsilon", lo=0, lo_open=True)
    if opt.train_only is not None:
        _check_train_only(cfg)
    if cfg.init.name not in INITIALIZERS:
        raise FfvizError(f"unknown init {short_repr(cfg.init.name)}; choose one of: {', '.join(INITIALIZERS)}")
    _num(cfg.init.sigma, "init sigma", lo=0)
    _num(cfg.init.bias, "init bias")
    if cfg.regularization.kind not in REGULARIZATIONS:
        raise FfvizError(f"unknown regularization {short_repr(cfg.regularization.kind)}; "
                         f"choose one of: {', '.join(REGULARIZATIONS)}")
    _num(cfg.regularization.rate, "the regularization rate", lo=0)
    _num(cfg.seed, "seed", lo=0, integer=True)
    d = cfg.data
    _num(d.samples, "data samples", lo=1, hi=MAX_SAMPLES, integer=True)
    _num(d.noise, "data noise", lo=0, hi=10)
    _num(d.test_fraction, "data test_fraction", lo=0, hi=0.95)
    _num(d.classes, "data classes", lo=2, hi=MAX_CLASSES, integer=True)
    _num(d.seed, "data seed", lo=0, integer=True, allow_none=True)
    if d.task not in TASKS:
        raise FfvizError(f"unknown data task {short_repr(d.task)}; choose one of: {', '.join(TASKS)}")
    if d.standardize is not None:
        _bool(d.standardize, "data standardize")
    if d.standardization is not None:
        _check_standardization(d, cfg.input_units)
    if d.features is not None:
        from ffviz.engine.datasets import FEATURES
        for f in d.features:
            if f not in FEATURES:
                raise FfvizError(f"unknown input feature {short_repr(f)}; choose from: {', '.join(FEATURES)}")
        if len(set(d.features)) != len(d.features):
            raise FfvizError("an input feature is listed twice")
        if len(d.features) != cfg.input_units:
            raise FfvizError(f"the input layer has {cfg.input_units} units but {len(d.features)} input "
                             f"features are selected")
    cfg = _normalised(cfg)
    _check_initial_scale(cfg)
    budget.check(cfg, *_stated_sizes(cfg.data))
    return cfg


def _check_standardization(d: DataSpec, input_units: int) -> None:
    """Stored statistics: one finite mean and one positive std per input, and only where they are used."""
    stats = d.standardization
    if not isinstance(stats, Standardization):
        raise FfvizError("data standardization must hold a mean and a std for each input")
    if not standardizes(d):
        raise FfvizError("data standardization is given but the inputs are not standardised "
                         "(data standardize is false, or the data is not a CSV file)")
    for key, values in (("mean", stats.mean), ("std", stats.std)):
        if not isinstance(values, tuple) or len(values) != input_units:
            raise FfvizError(f"data standardization {key} must be a list of {input_units} numbers, one per input")
        for i, v in enumerate(values):
            _num(v, f"data standardization {key}[{i}]", lo=0 if key == "std" else None, lo_open=key == "std")


def _stated_sizes(d: DataSpec) -> tuple:
    """(training samples, test samples) as far as the config says them, for the memory budget; a CSV
    file's rows are known only once it is read (budget.check_dataset then)."""
    from ffviz.engine.datasets import DATASETS, split_sizes
    if d.name == "inline" and d.x:
        return split_sizes(len(d.x), d.test_fraction)
    info = DATASETS.get(d.name) if isinstance(d.name, str) else None
    if info is None:
        return None, None
    return (1, 0) if info.fixed else split_sizes(d.samples, d.test_fraction)


# The weighted sums a fresh network makes for inputs of size about 1 may not exceed this: beyond it the
# squared error overflows (and the loss is not a number), whatever the data.
_MAX_INITIAL_LOG10 = 150.0
_BOUNDED = {"sigmoid", "tanh", "step", "softmax"}


def _check_initial_scale(cfg: RunConfig) -> None:
    """Refuse an initialisation whose weighted sums overflow for inputs of ordinary size, blaming σ or the
    initial bias: otherwise the first loss is not a finite number and the data looks like the culprit."""
    if any(layer.kernel is not None for layer in cfg.layers) or cfg.init.name == "zeros":
        return  # explicit (trained) weights are the user's own; zeros cannot overflow
    sizes = cfg.layer_sizes
    log_a = 0.0  # log10 of the typical size of the previous layer's outputs
    for i, layer in enumerate(cfg.layers):
        fan_in = sizes[i]
        if cfg.init.name == "normal":
            std = cfg.init.sigma
        elif cfg.init.name == "xavier":
            std = math.sqrt(2.0 / (fan_in + layer.units))
        else:
            std = math.sqrt(2.0 / fan_in)
        log_z = max(math.log10(std) + 0.5 * math.log10(fan_in) + log_a if std > 0 else -math.inf,
                    math.log10(abs(cfg.init.bias)) if layer.use_bias and cfg.init.bias else -math.inf)
        if log_z > _MAX_INITIAL_LOG10:
            bias_log = math.log10(abs(cfg.init.bias)) if cfg.init.bias else -math.inf
            culprit = (f"init bias {cfg.init.bias:g}" if layer.use_bias and bias_log >= _MAX_INITIAL_LOG10
                       else f"init sigma {cfg.init.sigma:g}" if cfg.init.name == "normal" else None)
            if culprit is None:  # pragma: no cover - Xavier and He scale down with the width
                return
            raise FfvizError(f"{culprit} makes the weighted sums of layer {i + 1} about 1e{log_z:.0f} before any "
                             f"training: the initial loss would not be a finite number; choose a smaller value "
                             f"(the default sigma is 0.5) or the xavier or he initialisation")
        log_a = min(log_z, 0.0) if layer.activation in _BOUNDED else log_z


def param_layout(cfg: RunConfig):
    """The flat parameter layout of a config's network (engine/params.py)."""
    from ffviz.engine.params import ParamLayout
    return ParamLayout(cfg.layer_sizes, tuple(l.use_bias for l in cfg.layers), tuple(l.train_bias for l in cfg.layers))


def _check_train_only(cfg: RunConfig) -> None:
    names = cfg.optimizer.train_only
    if not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) for n in names):
        raise FfvizError("optimizer.train_only must be a list of parameter names, e.g. [\"kernel1[0,0]\"]")
    if len(names) > 4096:
        raise FfvizError(f"optimizer.train_only names {len(names):,} parameters; give at most 4,096 "
                         "(or none: then every parameter trains)")
    layout = param_layout(cfg)
    try:
        positions = [layout.position(n) for n in names]
    except FfvizError as exc:  # one line saying what this network has
        raise FfvizError(f"optimizer.train_only: {exc}") from None
    if len(set(positions)) != len(positions):
        raise FfvizError("optimizer.train_only names a parameter twice")


def train_only_mask(cfg: RunConfig) -> np.ndarray | None:
    """1 where an update may change a parameter under optimizer.train_only, 0 elsewhere; None: no such
    restriction."""
    names = cfg.optimizer.train_only
    if names is None:
        return None
    layout = param_layout(cfg)
    mask = np.zeros(layout.size)
    mask[[layout.position(n) for n in names]] = 1.0
    return mask


def _canonical_names(cfg: RunConfig) -> tuple[str, ...] | None:
    """train_only's names as ParamLayout.name spells them (a file may write `kernel1[0, 0]`), in flat order."""
    if cfg.optimizer.train_only is None:
        return None
    layout = param_layout(cfg)
    return tuple(layout.name(p) for p in sorted(layout.position(n) for n in cfg.optimizer.train_only))


def without_stale_train_only(cfg: RunConfig) -> RunConfig:
    """`cfg` without its train_only when the names no longer fit the network (its shape changed)."""
    if cfg.optimizer.train_only is None:
        return cfg
    try:
        _check_train_only(cfg)
    except FfvizError:
        return replace(cfg, optimizer=replace(cfg.optimizer, train_only=None))
    return cfg


def _normalised(cfg: RunConfig) -> RunConfig:
    """The validated config with every number of the type the engine uses (a file may say 10.0 for 10)."""
    o, d, i, r = cfg.optimizer, cfg.data, cfg.init, cfg.regularization
    return replace(
        cfg, input_units=int(cfg.input_units), seed=int(cfg.seed),
        layers=tuple(replace(l, units=int(l.units)) for l in cfg.layers),
        optimizer=replace(o, learning_rate=float(o.learning_rate),
                          batch_size=None if o.batch_size is None else int(o.batch_size),
                          momentum=float(o.momentum), rho=float(o.rho), beta_1=float(o.beta_1),
                          beta_2=float(o.beta_2), epsilon=float(o.epsilon),
                          train_only=_canonical_names(cfg)),
        init=replace(i, sigma=float(i.sigma), bias=float(i.bias)),
        regularization=replace(r, rate=float(r.rate)),
        data=replace(d, samples=int(d.samples), noise=float(d.noise), test_fraction=float(d.test_fraction),
                     classes=int(d.classes), seed=None if d.seed is None else int(d.seed)))


# ---------------------------------------------------------------- dict (JSON) ↔ config

_LAYER_KEYS = {"units", "activation", "use_bias", "train_bias", "kernel", "bias"}
_OPT_KEYS = {f.name for f in fields(OptimizerSpec)}
_INIT_KEYS = {f.name for f in fields(InitSpec)}
_REG_KEYS = {f.name for f in fields(RegularizationSpec)}
_DATA_KEYS = {f.name for f in fields(DataSpec)} | {"csv"}
_TOP_KEYS = {"format", "version", "name", "description", "layers", "loss", "optimizer", "init",
             "regularization", "data", "seed", "fused_output_gradient", "trained"}


def from_dict(d: Any) -> RunConfig:
    """Build and validate a RunConfig from the network-file dict; raise FfvizError with what is wrong."""
    d = _obj(d, "the network file")
    _no_unknown(d, _TOP_KEYS, "the network file")
    if d.get("format", "ffviz-network") != "ffviz-network":
        raise FfvizError(f"this is a {short_repr(d.get('format'))} file, not an ffviz network file")
    if d.get("version", 1) != 1:
        raise FfvizError(f"network file version {short_repr(d.get('version'))} is not one this ffviz reads (1)")
    if "layers" not in d:
        raise FfvizError("the network file has no 'layers' list")
    layers = d["layers"]
    if not isinstance(layers, list) or len(layers) < 2:
        raise FfvizError("'layers' must be a list: the input ({\"units\": 2}) and at least one more layer")
    if len(layers) - 1 > MAX_LAYERS:  # before building a LayerSpec for each of a million entries
        raise FfvizError(f"'layers' has {len(layers) - 1:,} layers after the input; ffviz builds at most "
                         f"{MAX_LAYERS:,}")
    first = _obj(layers[0], "layers[0]")
    _no_unknown(first, {"units", "name"}, "layers[0] (the input)")
    input_units = _num(first.get("units"), "layers[0].units", lo=1, hi=MAX_INPUT_UNITS, integer=True)
    specs = []
    for idx, raw in enumerate(layers[1:], start=1):
        raw = _obj(raw, f"layers[{idx}]")
        _no_unknown(raw, _LAYER_KEYS | {"name"}, f"layers[{idx}]")
        if "units" not in raw:
            raise FfvizError(f"layers[{idx}] has no 'units'")
        units = _num(raw["units"], f"layers[{idx}].units", lo=1, hi=4096, integer=True)
        fan_in = input_units if idx == 1 else specs[-1].units
        kernel = raw.get("kernel")
        bias = raw.get("bias")
        specs.append(LayerSpec(
            units=units,
            activation=_str(raw.get("activation", "tanh" if idx < len(layers) - 1 else "sigmoid"),
                            f"layers[{idx}].activation"),
            use_bias=_bool(raw.get("use_bias", True), f"layers[{idx}].use_bias"),
            train_bias=_bool(raw.get("train_bias", True), f"layers[{idx}].train_bias"),
            kernel=None if kernel is None else _matrix(kernel, fan_in, units, f"layers[{idx}].kernel"),
            bias=None if bias is None else _vector(bias, units, f"layers[{idx}].bias"),
        ))
    opt = _section(d, "optimizer", _OPT_KEYS)
    if "name" in opt:
        opt["name"] = OPTIMIZER_ALIASES.get(_str(opt["name"], "optimizer.name"), opt["name"])
    if opt.get("batch_size") in ("full", 0):
        opt["batch_size"] = None
    if isinstance(opt.get("train_only"), list):
        opt["train_only"] = tuple(opt["train_only"])
    init = _section(d, "init", _INIT_KEYS)
    reg = _section(d, "regularization", _REG_KEYS)
    data = _section(d, "data", _DATA_KEYS)
    if "csv" in data:
        data["path"] = _str(data.pop("csv"), "data.csv")
        data.setdefault("name", "csv")
    if "x" in data or "y" in data:
        if "x" not in data or "y" not in data:
            raise FfvizError("inline data needs both 'x' and 'y'")
        data["x"], data["y"] = _inline(data["x"], "data.x"), _inline(data["y"], "data.y")
        if len(data["x"]) != len(data["y"]):
            raise FfvizError(f"data.x has {len(data['x'])} rows but data.y has {len(data['y'])}")
        data.setdefault("name", "inline")
        data.setdefault("test_fraction", 0.0)
    if "features" in data and data["features"] is not None:
        if not isinstance(data["features"], list) or not all(isinstance(f, str) for f in data["features"]):
            raise FfvizError("data.features must be a list of feature names")
        data["features"] = tuple(data["features"])
    for key in ("name", "path", "label", "task"):
        if data.get(key) is not None:
            _str(data[key], f"data.{key}")
    if data.get("standardization") is not None:
        data["standardization"] = _standardization(data["standardization"])
    cfg = RunConfig(
        layers=tuple(specs),
        input_units=input_units,
        loss=_str(d.get("loss", "binary_crossentropy"), "loss"),
        optimizer=_construct(OptimizerSpec, opt, "optimizer"),
        init=_construct(InitSpec, init, "init"),
        regularization=_construct(RegularizationSpec, reg, "regularization"),
        data=_construct(DataSpec, data, "data"),
        seed=_num(d.get("seed", 0), "seed", lo=0, integer=True),
        fused_output_gradient=_bool(d.get("fused_output_gradient", True), "fused_output_gradient"),
        name=_str(d.get("name", ""), "name"),
        description=_str(d.get("description", ""), "description"),
    )
    from ffviz.engine.losses import ALIASES
    cfg = replace(cfg, loss=ALIASES.get(cfg.loss, cfg.loss))
    return validate(cfg)


def _section(d: dict, key: str, allowed) -> dict:
    """A sub-object of the network file, as a fresh dict; a bare string stands for {"name": string}."""
    value = d.get(key, {})
    if isinstance(value, str) and "name" in allowed:
        value = {"name": value}
    value = dict(_obj(value, key))
    _no_unknown(value, allowed, key)
    return value


def _inline(value, where):
    if not isinstance(value, list) or not value:
        raise FfvizError(f"{where} must be a non-empty list of rows")
    rows = [r if isinstance(r, list) else [r] for r in value]
    width = len(rows[0])
    for i, r in enumerate(rows):
        if len(r) != width:
            raise FfvizError(f"{where} row {i} has {len(r)} values, row 0 has {width}")
        for j, v in enumerate(r):
            _num(v, f"{where}[{i}][{j}]")
    return _tuplify(rows)


def _standardization(value) -> Standardization:
    """{"mean": [...], "std": [...]} → Standardization (lengths and values are checked by validate)."""
    value = _obj(value, "data.standardization")
    _no_unknown(value, {"mean", "std"}, "data.standardization")
    lists = []
    for key in ("mean", "std"):
        v = value.get(key)
        if not isinstance(v, list) or not v:
            raise FfvizError(f"data.standardization.{key} must be a list of numbers, one per input")
        lists.append(tuple(_num(x, f"data.standardization.{key}[{i}]") for i, x in enumerate(v)))
    return Standardization(*lists)


def _construct(cls, values: dict, where: str):
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - unknown keys are caught earlier
        raise FfvizError(f"{where}: {exc}") from None


def to_dict(cfg: RunConfig, *, kernels=None, biases=None) -> dict:
    """The network-file dict; explicit kernels/biases (e.g. trained ones) replace those in the config."""
    layers: list[dict] = [{"units": cfg.input_units}]
    for idx, layer in enumerate(cfg.layers):
        entry = {"units": layer.units, "activation": layer.activation,
                 "use_bias": layer.use_bias, "train_bias": layer.train_bias}
        kernel = kernels[idx] if kernels is not None else layer.kernel
        bias = biases[idx] if biases is not None else layer.bias
        if kernel is not None:
            entry["kernel"] = [[float(v) for v in row] for row in kernel]
        if bias is not None and layer.use_bias:
            entry["bias"] = [float(v) for v in bias]
        layers.append(entry)
    data = {k: v for k, v in asdict(cfg.data).items() if v is not None}
    for key in ("x", "y"):
        if key in data:
            data[key] = [list(row) for row in data[key]]
    if "features" in data:
        data["features"] = list(data["features"])
    if "standardization" in data:
        data["standardization"] = {k: list(v) for k, v in data["standardization"].items()}
    opt = asdict(cfg.optimizer)
    if opt["train_only"] is None:
        del opt["train_only"]  # most files train everything: no key for it
    else:
        opt["train_only"] = list(opt["train_only"])
    out = {
        "format": "ffviz-network",
        "version": 1,
        "name": cfg.name,
        "description": cfg.description,
        "seed": cfg.seed,
        "layers": layers,
        "loss": cfg.loss,
        "optimizer": opt,
        "init": asdict(cfg.init),
        "regularization": asdict(cfg.regularization),
        "data": data,
        "fused_output_gradient": cfg.fused_output_gradient,
    }
    return out


# ---------------------------------------------------------------- rules that fit a config to its data

# The output layer and loss a task calls for; the names come from the activation and loss registries.
TASK_OUTPUT = {
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "softmax_crossentropy"),
    "regression": ("linear", "half_squared_error"),
}
PERCEPTRON_OUTPUT = ("step", "half_squared_error")
NEW_HIDDEN_LAYER = LayerSpec(units=4, activation="tanh")  # what adding a layer or leaving the perceptron adds
TASK_LABELS = {"binary": "two-class", "multiclass": "multi-class", "regression": "regression"}


def layer_sizes_text(cfg: RunConfig) -> str:
    return "–".join(str(n) for n in cfg.layer_sizes)


def task_of(cfg: RunConfig, known: dict | None = None) -> str:
    """The data's task: from the dataset registry, the spec, a file's task learnt when it was read
    (`known`: {(data name, path): task}), or else what the output layer and loss suggest."""
    from ffviz.engine.datasets import DATASETS
    info = DATASETS.get(cfg.data.name)
    if info is not None:
        return info.task
    if cfg.data.task != "auto":
        return cfg.data.task
    if known and (cfg.data.name, cfg.data.path) in known:
        return known[(cfg.data.name, cfg.data.path)]
    out = cfg.layers[-1]
    if out.units > 1 or cfg.loss == "softmax_crossentropy":
        return "multiclass"
    return "binary" if cfg.loss == "binary_crossentropy" else "regression"


def fit_output(cfg: RunConfig, task: str, *, force: bool) -> tuple[RunConfig, str]:
    """The output layer (units, activation) and loss fitted to `task`; `force`: the task changed, so take its
    usual pair. Returns the config and a one-line note of what changed ("" when nothing did)."""
    from ffviz.engine.activations import ACTIVATIONS
    from ffviz.engine.losses import LOSSES
    out = cfg.layers[-1]
    units = cfg.data.classes if task == "multiclass" else 1
    if cfg.optimizer.name == "perceptron":
        activation, loss = PERCEPTRON_OUTPUT
    elif force:
        activation, loss = TASK_OUTPUT[task]
    else:
        activation, loss = out.activation, cfg.loss
    if activation == "softmax" and units < 2:
        activation = TASK_OUTPUT["binary"][0]
    if (units, activation, loss) == (out.units, out.activation, cfg.loss):
        return cfg, ""
    changed = []
    if (units, activation) != (out.units, out.activation):
        changed.append(f"output layer → {units} {ACTIVATIONS[activation].label.lower()} "
                       f"unit{'s' if units != 1 else ''}")
    if loss != cfg.loss:
        changed.append(f"loss → {LOSSES[loss].label}")
    layers = cfg.layers[:-1] + (replace(out, units=units, activation=activation),)
    return replace(cfg, layers=layers, loss=loss), f"{TASK_LABELS[task].capitalize()} data: {', '.join(changed)}."


def fit_loss(cfg: RunConfig, name: str) -> tuple[RunConfig, str]:
    """A new loss, with the output activation changed where the loss needs outputs between 0 and 1."""
    from ffviz.engine.activations import ACTIVATIONS
    from ffviz.engine.losses import LOSSES
    loss = LOSSES[name]
    cfg = replace(cfg, loss=name)
    out = cfg.layers[-1]
    if cfg.optimizer.name == "perceptron" or loss.output_activations is None \
            or out.activation in loss.output_activations:
        return cfg, ""
    activation = [a for a in loss.output_activations if a != "softmax" or out.units >= 2][0]
    cfg = replace(cfg, layers=cfg.layers[:-1] + (replace(out, activation=activation),))
    return cfg, (f"{loss.label} needs outputs between 0 and 1: output activation → "
                 f"{ACTIVATIONS[activation].label}.")


def to_perceptron(cfg: RunConfig) -> tuple[RunConfig, str]:
    """The perceptron rule trains one layer of step neurons: the network cut to that (note "" if it was)."""
    from ffviz.engine.losses import LOSSES
    cfg = replace(cfg, optimizer=replace(cfg.optimizer, name="perceptron"))
    out = cfg.layers[-1]
    activation, loss = PERCEPTRON_OUTPUT
    if len(cfg.layers) == 1 and out.activation == activation and cfg.loss == loss:
        return cfg, ""
    cfg = replace(cfg, layers=(replace(out, activation=activation),), loss=loss)
    return cfg, (f"The perceptron rule trains one layer of step neurons: network → {layer_sizes_text(cfg)} "
                 f"with step output, loss → {LOSSES[loss].label}.")


def from_perceptron(cfg: RunConfig, name: str, before: tuple | None, task: str) -> tuple[RunConfig, str]:
    """Leaving the perceptron rule for `name`: the network from before it (`before`: (layers, loss)) if it
    still fits, else a hidden layer and the task's usual output and loss."""
    from ffviz.engine.activations import ACTIVATIONS
    from ffviz.engine.losses import LOSSES
    cfg = replace(cfg, optimizer=replace(cfg.optimizer, name=name))
    if before is not None and before[0][-1].units == cfg.layers[-1].units:
        layers, loss = before
        return replace(cfg, layers=layers, loss=loss), "Leaving the perceptron rule: the network before it is restored."
    activation, loss = TASK_OUTPUT[task]
    out = replace(cfg.layers[-1], activation=activation)
    if activation == "softmax" and out.units < 2:
        out = replace(out, activation=TASK_OUTPUT["binary"][0])
    note = (f"Gradient descent can train hidden layers: added a hidden layer of {NEW_HIDDEN_LAYER.units} "
            f"{ACTIVATIONS[NEW_HIDDEN_LAYER.activation].label.lower()} units; output → "
            f"{ACTIVATIONS[out.activation].label.lower()}, loss → {LOSSES[loss].label}.")
    return replace(cfg, layers=(NEW_HIDDEN_LAYER, out), loss=loss), note
