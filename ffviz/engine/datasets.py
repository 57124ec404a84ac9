"""Seeded datasets (TensorFlow Playground's and a few for the lecture), CSV and inline data, and input features.

Every generator draws only from the `rng` it is given, so a spec and a seeded generator give identical arrays.
Noise follows the Playground slider: 0 is clean and 0.5 is very noisy; how it acts is said per dataset.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from ffviz.errors import FfvizError, short_repr, shown, shown_path

if TYPE_CHECKING:  # only for annotations: the config imports this module, not the other way round
    from ffviz.engine.config import DataSpec

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 16  # the config's limit for `classes`; more colours than that are not told apart on screen
MAX_SAMPLES = 1_000_000
PLAYGROUND_EXTENT = (-6.0, 6.0, -6.0, 6.0)
UNIT_EXTENT = (-0.5, 1.5, -0.5, 1.5)  # around the XOR truth table's corners and the lecture's sample
FULL_EXTENT = (-7.0, 7.0, -7.0, 7.0)  # points fill [-6, 6]²: 7 keeps them off the edge, the same for every seed


# ---------------------------------------------------------------- input features

@dataclass(frozen=True)
class Feature:
    """An input column computed from the raw plane (x1, x2), as Playground's feature checkboxes offer."""

    name: str
    label: str
    fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)  # raw (n, 2) -> (n,)


FEATURES: dict[str, Feature] = {f.name: f for f in (
    Feature("x1", "X₁", lambda r: r[:, 0]),
    Feature("x2", "X₂", lambda r: r[:, 1]),
    Feature("x1^2", "X₁²", lambda r: r[:, 0] ** 2),
    Feature("x2^2", "X₂²", lambda r: r[:, 1] ** 2),
    Feature("x1*x2", "X₁X₂", lambda r: r[:, 0] * r[:, 1]),
    Feature("sin(x1)", "sin(X₁)", lambda r: np.sin(r[:, 0])),
    Feature("sin(x2)", "sin(X₂)", lambda r: np.sin(r[:, 1])),
)}


def apply_features(raw: np.ndarray, names: Sequence[str] | None) -> np.ndarray:
    """Raw inputs (n, 2) → the named feature columns (n, len(names)); None keeps the raw inputs."""
    raw = np.asarray(raw, dtype=np.float64)
    if names is None:
        return raw.copy()
    if raw.ndim != 2 or raw.shape[1] != 2:
        width = raw.shape[1] if raw.ndim == 2 else raw.ndim
        raise FfvizError(f"input features need exactly 2 raw input columns; the data has {width}")
    if len(names) == 0:
        raise FfvizError("choose at least one input feature")
    for name in names:
        if name not in FEATURES:
            raise FfvizError(f"unknown input feature {short_repr(name)}; choose from: {', '.join(FEATURES)}")
    return np.column_stack([FEATURES[name].fn(raw) for name in names]).astype(np.float64, copy=False)


# ---------------------------------------------------------------- standardisation (z-scores of the inputs)

@dataclass(frozen=True)
class Standardization:
    """z = (x − mean) / std for each input column: what the network sees instead of the user's units."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def of(cls, x: np.ndarray) -> "Standardization":
        """Each column's mean and (population) standard deviation; a constant column gets std 1, not 0."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] == 0:
            return cls((0.0,) * x.shape[1], (1.0,) * x.shape[1])
        with np.errstate(all="ignore"):
            # Divided by the largest magnitude first: sums of values near 1e308 would overflow to inf
            scale = np.max(np.abs(x), axis=0)
            scale = np.where(scale > 0, scale, 1.0)
            scaled = x / scale
            mean = scaled.mean(axis=0) * scale
            std = scaled.std(axis=0) * scale
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in std))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The z-scores of x (n, columns) in a new array."""
        with np.errstate(all="ignore"):
            return (np.asarray(x, dtype=np.float64) - np.array(self.mean)) / np.array(self.std)


def standardizes(spec: DataSpec) -> bool:
    """Whether the inputs are z-scored: as `standardize` says, by default for CSV files only (their columns
    come in any units; the built-in sets are already around ±6, and the lecture's numbers must stay as they are)."""
    return spec.standardize if spec.standardize is not None else spec.name == "csv"


# ---------------------------------------------------------------- the dataset a run trains on

@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value, compare fields instead
class Dataset:
    """Train and test arrays (read-only, features applied), the raw 2-D plane if there is one, and the task."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray | None
    raw_test: np.ndarray | None
    task: str
    n_classes: int
    feature_names: tuple[str, ...]
    extent: tuple[float, float, float, float] | None
    class_names: tuple[str, ...] = ()  # a CSV's text labels, sorted: class i is class_names[i]; else empty
    # x_train and x_test are z-scores with these statistics (raw_train and raw_test stay in the user's units);
    # None: the inputs are as computed from the data
    standardization: Standardization | None = None

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.y_train.shape[1])


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in generator with what the combo box shows: label, one-line description, task."""

    name: str
    label: str
    description: str
    task: str
    generate: Callable = field(repr=False)  # (n, noise, classes, rng) -> (raw (n, 2), class ids (n,) or y (n, k))
    extent: tuple[float, float, float, float] = PLAYGROUND_EXTENT  # the plane to draw before padding
    fixed: bool = False  # True: one fixed sample; samples, noise and test_fraction do not apply


# ---------------------------------------------------------------- generators (Playground's dataset.ts, vectorised)

def _split_counts(n: int, k: int) -> np.ndarray:
    """n points shared by k classes as evenly as possible (the first classes get the remainder)."""
    return np.array([n // k + (j < n % k) for j in range(k)])


def _class_ids(counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def _circle(n, noise, classes, rng):
    """Inside radius 2.5 → 1, ring 3.5..5 → 0; noise moves the point used for the label, so labels flip."""
    radius = 5.0
    n_in = n - n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n // 2)])
    angle = rng.uniform(0, 2 * np.pi, n)
    raw = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = raw + rng.uniform(-radius, radius, (n, 2)) * noise
    return raw, (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(int)


def _xor(n, noise, classes, rng):
    """Uniform in [-5.3, 5.3]² kept 0.3 from the axes; label 1 where x1·x2 > 0 (of the noise-shifted point)."""
    raw = rng.uniform(-5, 5, (n, 2))
    raw += np.where(raw > 0, 0.3, -0.3)
    shifted = raw + rng.uniform(-5, 5, (n, 2)) * noise
    return raw, (shifted[:, 0] * shifted[:, 1] > 0).astype(int)


def _xor_corners(n, noise, classes, rng):
    """The XOR truth table repeated to n points, each jittered by N(0, noise²)."""
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    return corners[which] + rng.normal(0.0, noise, (n, 2)), np.array([0, 1, 1, 0])[which]


def _playground_std(noise: float) -> float:
    """Playground's two Gaussians: variance 0.5 at noise 0 growing to 4 at noise 0.5."""
    return math.sqrt(0.5 + 7.0 * noise)


def _gaussians(n, noise, classes, rng):
    """Label 1 around (2, 2), label 0 around (-2, -2)."""
    labels = np.repeat([1, 0], [n - n // 2, n // 2])
    centres = np.where(labels[:, None] == 1, 2.0, -2.0)
    return centres + rng.normal(0.0, _playground_std(noise), (n, 2)), labels


def _spiral_arms(n, noise, k, rng):
    """k arms, radius 0..5 over 1.75 turns, arm j turned by 2πj/k; noise moves points by up to ±noise."""
    ids = _class_ids(_split_counts(n, k))
    counts = np.bincount(ids, minlength=k)
    step = np.concatenate([np.arange(c) / c for c in counts if c])  # 0..1 along each arm
    r = step * 5.0
    t = 1.75 * step * 2 * np.pi + 2 * np.pi * ids / k
    raw = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1, 1, (n, 2)) * noise
    return raw, ids


def _spiral(n, noise, classes, rng):
    return _spiral_arms(n, noise, 2, rng)


def _spirals_k(n, noise, classes, rng):
    return _spiral_arms(n, noise, classes, rng)


def _blobs_k(n, noise, classes, rng):
    """k blobs on a circle of radius 4, std 0.5 at noise 0 and 2 at noise 0.5 (then they overlap)."""
    ids = _class_ids(_split_counts(n, classes))
    angle = 2 * np.pi * ids / classes + np.pi / 2  # class 0 at the top
    centres = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + rng.normal(0.0, 0.5 + 3.0 * noise, (n, 2)), ids


# Separable blobs: discs of radius 1.8 whose centres are 5.66 apart, so at noise 0 a gap of 2 separates them
# for every seed (a margin of 1 on each side of the bisector). The bisector misses the origin: a bias is needed.
_SEPARABLE_CENTRES = np.array([[-2.0, -1.5], [2.0, 2.5]])
_SEPARABLE_RADIUS = 1.8


def _separable(n, noise, classes, rng):
    """Two discs with a margin at noise 0; noise adds N(0, (3·noise)²) jitter, so 0.5 makes them overlap."""
    labels = np.repeat([0, 1], [n // 2, n - n // 2])
    r = _SEPARABLE_RADIUS * np.sqrt(rng.uniform(0, 1, n))  # sqrt: uniform over the disc's area
    angle = rng.uniform(0, 2 * np.pi, n)
    raw = _SEPARABLE_CENTRES[labels] + np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    return raw + rng.normal(0.0, 3.0 * noise, (n, 2)), labels


def _plane(n, noise, classes, rng):
    """y = (x1 + x2) / 10 on [-6, 6]²; noise shifts the point the label is read at by up to ±6·noise."""
    raw = rng.uniform(-6, 6, (n, 2))
    shifted = raw + rng.uniform(-6, 6, (n, 2)) * noise
    return raw, (shifted.sum(axis=1) / 10.0)[:, None]


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gaussian(n, noise, classes, rng):
    """Six bumps of alternating sign (height 1, falling to 0 at distance 2); the largest in size wins."""
    raw = rng.uniform(-6, 6, (n, 2))
    shifted = raw + rng.uniform(-6, 6, (n, 2)) * noise
    dist = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    values = _BUMPS[:, 2] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    pick = np.argmax(np.abs(values), axis=1)
    return raw, values[np.arange(n), pick][:, None]


def _lecture(n, noise, classes, rng):
    """The worked example of the lecture: one sample x = (0.50, 0.51) with target 0.10."""
    return np.array([[0.50, 0.51]]), np.array([[0.10]])


DATASETS: dict[str, DatasetInfo] = {d.name: d for d in (
    DatasetInfo("circle", "Circle", "A disc of one class inside a ring of the other.", "binary", _circle),
    DatasetInfo("xor", "Exclusive or", "Four quadrants: class 1 where x1·x2 > 0.", "binary", _xor),
    DatasetInfo("xor-corners", "XOR truth table", "The four corners (0,0), (0,1), (1,0), (1,1) labelled "
                "0, 1, 1, 0, repeated with jitter.", "binary", _xor_corners, UNIT_EXTENT),
    DatasetInfo("gaussians", "Two Gaussians", "Two Gaussian clouds that overlap as the noise grows.",
                "binary", _gaussians),
    DatasetInfo("spiral", "Spiral", "Two interleaved spirals.", "binary", _spiral),
    DatasetInfo("separable", "Linearly separable", "Two clouds a straight line separates (at noise 0).",
                "binary", _separable),
    DatasetInfo("spirals-k", "Spirals (k classes)", "One interleaved spiral arm per class.", "multiclass",
                _spirals_k),
    DatasetInfo("blobs-k", "Blobs (k classes)", "One Gaussian cloud per class, placed around a circle.",
                "multiclass", _blobs_k),
    DatasetInfo("plane", "Plane", "Regression: the target is a linear function of x1 and x2.", "regression",
                _plane, FULL_EXTENT),
    DatasetInfo("multi-gaussian", "Multi Gaussian", "Regression: six bumps of alternating sign.",
                "regression", _multi_gaussian, FULL_EXTENT),
    DatasetInfo("lecture", "Lecture sample", "The lecture's single sample x = (0.50, 0.51), y = 0.10.",
                "regression", _lecture, UNIT_EXTENT, fixed=True),
)}


# ---------------------------------------------------------------- building a Dataset from a DataSpec

def build_dataset(spec: DataSpec, rng: np.random.Generator,
                  base_dir: str | os.PathLike | None = None) -> Dataset:
    """Generate, load or take inline data as `spec` says, shuffle and split with `rng`, apply the features."""
    if spec.task not in ("auto",) + TASKS:
        raise FfvizError(f"unknown data task {short_repr(spec.task)}; choose one of: auto, {', '.join(TASKS)}")
    _check_fraction(spec.test_fraction)
    if spec.name == "csv":
        return _from_csv(spec, rng, base_dir)
    if spec.name == "inline":
        return _from_inline(spec, rng)
    info = DATASETS.get(spec.name) if isinstance(spec.name, str) else None
    if info is None:
        choices = ", ".join(list(DATASETS) + ["csv", "inline"])
        raise FfvizError(f"dataset {short_repr(spec.name)} is unknown; choose one of: {choices}")
    return _from_builtin(info, spec, rng)


def _check_number(value, what: str, lo: float, hi: float, integer: bool = False):
    """Raise one FfvizError line unless `value` is a finite number in [lo, hi] (whole if `integer`)."""
    ok = (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
          and math.isfinite(value) and lo <= value <= hi and (not integer or value == int(value)))
    if not ok:
        kind = "a whole number" if integer else "a number"
        raise FfvizError(f"{what} must be {kind} from {lo:g} to {hi:g}, not {short_repr(value)}")


def _check_fraction(value):
    _check_number(value, "the test fraction", 0, 1)
    if value >= 1:
        raise FfvizError(f"the test fraction must be below 1 (some points must stay for training), not {short_repr(value)}")


def _from_builtin(info: DatasetInfo, spec: DataSpec, rng: np.random.Generator) -> Dataset:
    """Run a built-in generator and assemble its Dataset."""
    if spec.task not in ("auto", info.task):
        raise FfvizError(f"dataset {short_repr(info.name)} is a {info.task} task, not {spec.task}; set the task to auto")
    if not info.fixed:
        _check_number(spec.samples, "the number of samples", 1, MAX_SAMPLES, integer=True)
        _check_number(spec.noise, "the noise", 0, 10)
    classes = 2
    if info.task == "multiclass":
        _check_number(spec.classes, "the number of classes", 2, MAX_CLASSES, integer=True)
        classes = int(spec.classes)
    n, noise = (1, 0.0) if info.fixed else (int(spec.samples), float(spec.noise))
    raw, labels = info.generate(n, noise, classes, rng)
    if info.task == "binary":
        y, n_classes = labels[:, None].astype(np.float64), 2
    elif info.task == "multiclass":
        y, n_classes = np.eye(classes)[labels], classes
    else:
        y, n_classes = labels, 0
    return _assemble(info.name, raw, y, info.task, n_classes, spec, rng, ("x1", "x2"), nominal=info.extent,
                     shuffle=True, split=not info.fixed, source="the dataset")


def _from_csv(spec: DataSpec, rng: np.random.Generator, base_dir) -> Dataset:
    """Load spec.path (relative to base_dir) and assemble its Dataset; the label is spec.label or the last column."""
    from ffviz.io.csv_data import read_csv_table  # engine → io only for this one reader, which is NumPy-only

    if not spec.path or not isinstance(spec.path, str):
        raise FfvizError("a CSV dataset needs the path of a .csv file")
    path = Path(os.path.expanduser(spec.path))
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    table = read_csv_table(path, spec.label)
    where = f'{shown_path(path.name)} column "{shown(table.label_name)}"'
    if table.class_names:
        y, task, n_classes = _encode_class_names(table.y, table.class_names, spec.task, where)
    else:
        y, task, n_classes = _encode_targets(table.y, spec.task, where)
    return _assemble(path.name, table.x, y, task, n_classes, spec, rng, table.input_names, nominal=None,
                     shuffle=None, split=True, source="this CSV", class_names=table.class_names)


def _from_inline(spec: DataSpec, rng: np.random.Generator) -> Dataset:
    """Take spec.x and spec.y (nested tuples, one row per sample) and assemble their Dataset."""
    x, y = _inline_array(spec.x, "x"), _inline_array(spec.y, "y")
    if len(x) != len(y):
        raise FfvizError(f"inline data: x has {len(x)} rows but y has {len(y)}")
    y, task, n_classes = _encode_targets(y, spec.task, "the inline y")
    names = tuple(f"x{i + 1}" for i in range(x.shape[1]))
    return _assemble("inline", x, y, task, n_classes, spec, rng, names, nominal=None, shuffle=None, split=True,
                     source="the inline data")


def _inline_array(value, what: str) -> np.ndarray:
    """Nested rows of numbers → a finite (n, k) float64 array; a flat list is one column."""
    if value is None:
        raise FfvizError(f"inline data needs both x and y; {what} is missing")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise FfvizError(f"inline data {what} must be rows of numbers, every row the same length") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise FfvizError(f"inline data {what} must be a non-empty list of rows of numbers")
    if not np.isfinite(arr).all():
        raise FfvizError(f"inline data {what} holds a value that is not a finite number")
    return arr


def _encode_targets(y: np.ndarray, task: str, where: str) -> tuple[np.ndarray, str, int]:
    """Decide or check the task from the targets; class numbers 0..k-1 become one-hot rows for multiclass."""
    labels = y[:, 0] if y.shape[1] == 1 else None
    whole = labels is not None and bool(np.all(labels == np.round(labels)) and labels.min() >= 0)
    if task == "auto":
        # Whole numbers 0/1 are classes; 0..k-1 too, up to MAX_CLASSES (larger counts are likelier quantities).
        top = labels.max() if whole else None
        task = "binary" if whole and top <= 1 else "multiclass" if whole and top < MAX_CLASSES else "regression"
    if task == "regression":
        return y, task, 0
    if task == "binary":
        if labels is None:
            raise FfvizError(f"a binary task needs one target column of 0s and 1s; {where} has {y.shape[1]}")
        bad = labels[(labels != 0) & (labels != 1)]
        if bad.size:
            raise FfvizError(f"a binary task needs targets 0 or 1; {where} holds {bad[0]:g}")
        return y, task, 2
    if labels is None:  # several columns: they must already be one-hot
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            raise FfvizError(f"a multiclass task needs one-hot target rows (a single 1, the rest 0) in {where}")
        return y, task, y.shape[1]
    if not whole:
        bad = labels[(labels != np.round(labels)) | (labels < 0)]
        raise FfvizError(f"a multiclass task needs class numbers 0, 1, 2, …; {where} holds {bad[0]:g}")
    k = max(int(labels.max()) + 1, 2)
    if k > MAX_CLASSES:
        raise FfvizError(f"a multiclass task allows at most {MAX_CLASSES} classes; {where} has class {k - 1:g}")
    return np.eye(k)[labels.astype(int)], task, k


def _encode_class_names(ids: np.ndarray, names: tuple[str, ...], task: str,
                        where: str) -> tuple[np.ndarray, str, int]:
    """Text labels (class ids into the sorted `names`) → 0/1 targets for two classes, one-hot rows for more."""
    k = len(names)
    if task == "regression":
        raise FfvizError(f"{where} holds text (\"{shown(names[0])}\"), which cannot be a regression target; "
                         f"set the task to auto, binary or multiclass")
    if k < 2:
        raise FfvizError(f"{where} holds one class only (\"{shown(names[0])}\"); a classification needs at "
                         f"least 2")
    if task == "binary" and k != 2:
        raise FfvizError(f"{where} holds {k} classes; a binary task needs exactly 2")
    if task == "multiclass" or (task == "auto" and k > 2):
        return np.eye(k)[ids[:, 0].astype(int)], "multiclass", k
    return ids.astype(np.float64), "binary", 2


def _assemble(name, raw, y, task, n_classes, spec, rng, input_names, *, nominal, shuffle, split, source,
              class_names=()) -> Dataset:
    """Shuffle, split off the test rows, apply the features and freeze the arrays.

    shuffle None: shuffle only when a test split is taken, so file and inline rows keep their order otherwise.
    """
    raw = np.asarray(raw, dtype=np.float64)
    n = len(raw)
    n_test = split_sizes(n, spec.test_fraction, split)[1]
    if shuffle or (shuffle is None and n_test > 0):
        order = rng.permutation(n)
        raw, y = raw[order], y[order]
    if spec.features is not None and raw.shape[1] != 2:
        raise FfvizError(f"input features need exactly 2 raw input columns; {source} has {raw.shape[1]}")
    with np.errstate(all="ignore"):
        x = apply_features(raw, spec.features)
    if not np.isfinite(x).all():
        bad = int(np.argwhere(~np.isfinite(x))[0][1])
        feature = spec.features[bad] if spec.features is not None else f"in column {bad + 1}"
        raise FfvizError(f"the input feature {feature} overflows for {source}'s values (up to "
                         f"{np.max(np.abs(raw)):g}); scale the data down or choose other features")
    plane = raw.shape[1] == 2
    cut = n - n_test
    stats = None
    if standardizes(spec):
        stats = spec.standardization or Standardization.of(x[:cut])
        if len(stats.mean) != x.shape[1]:
            raise FfvizError(f"the stored standardisation has {len(stats.mean)} columns but {source} gives "
                             f"{x.shape[1]} inputs")
        x = stats.apply(x)
    return Dataset(
        name=name,
        x_train=_frozen(x[:cut]), y_train=_frozen(y[:cut]),
        x_test=_frozen(x[cut:]), y_test=_frozen(y[cut:]),
        raw_train=_frozen(raw[:cut]) if plane else None,
        raw_test=_frozen(raw[cut:]) if plane else None,
        task=task, n_classes=int(n_classes),
        feature_names=tuple(spec.features) if spec.features is not None else tuple(input_names),
        extent=_extent(raw, nominal) if plane else None,
        class_names=tuple(class_names),
        standardization=stats,
    )


def split_sizes(n: int, test_fraction: float, split: bool = True) -> tuple[int, int]:
    """(training, test) sample counts of n points: the test share rounded, one point kept for training."""
    n_test = min(round(test_fraction * n), n - 1) if split and n > 0 else 0
    return n - n_test, n_test


def _frozen(arr: np.ndarray) -> np.ndarray:
    """A float64 copy nobody can write to: snapshots and views share it without defensive copies."""
    out = np.array(arr, dtype=np.float64, copy=True, order="C")
    out.flags.writeable = False
    return out


def _extent(raw: np.ndarray, nominal) -> tuple[float, float, float, float]:
    """The raw plane to draw: the nominal box, widened so no point sits within 5 % of the edge.

    Without a nominal box (CSV, inline): the points' bounding box padded by 10 % (0.5 for a constant axis).
    """
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    if nominal is None:
        span = hi / 2 - lo / 2  # halves: hi − lo overflows for values near the float limit
        pad = np.where(span > 0, 0.2 * span, 0.5)
        with np.errstate(over="ignore"):  # ±inf here is clipped below
            lo, hi = lo - pad, hi + pad
    else:
        box_lo, box_hi = np.array(nominal[0::2]), np.array(nominal[1::2])
        pad = 0.05 * (box_hi - box_lo)
        lo, hi = np.minimum(box_lo, lo - pad), np.maximum(box_hi, hi + pad)
    # A plane's width must stay a finite number for its grid (linspace) to be one
    edge = np.finfo(np.float64).max / 2
    lo, hi = np.clip(lo, -edge, edge), np.clip(hi, -edge, edge)
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
