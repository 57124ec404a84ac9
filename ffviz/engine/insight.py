"""The numbers of the insight views: per-layer gradient norms over training (vanishing gradients), the ReLU
twin of a run, how many updates a gradient needs to move a weight, pre-activations and saturation, the
activation curves of the gallery, softmax of a typed vector, and the signed log scale of the diagram's
gradient colours.

Pure NumPy: the views only draw what is computed here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ffviz.engine.activations import ACTIVATIONS, get_activation
from ffviz.engine.network import Network
from ffviz.engine.requests import Cancelled, Request
from ffviz.engine.snapshot import readonly
from ffviz.errors import FfvizError

SATURATION = 0.01  # |g'(z)| below this: the unit passes (almost) no gradient back
NORM_CAP = 512  # rows a NormHistory keeps: a point every few pixels of a plot; few enough that recording
# them (every update at first, then every 2nd, 4th, …) costs little of training, and small to send every frame
TWIN_CHUNK = 200  # updates of the twin run between two looks at whether the request is still wanted


# ---------------------------------------------------------------- gradient norms per layer, over training

@dataclass(frozen=True)
class NormView:
    """A NormHistory as a snapshot carries it (read-only copies): one row per recorded update."""

    steps: np.ndarray  # (n,) the update each row was recorded at (1 = the first)
    grad: np.ndarray  # (n, layers) ‖∂J/∂kernel_l‖ of the gradient the update applied
    ratio: np.ndarray  # (n, layers) ‖Δkernel_l‖ / ‖kernel_l‖ (the kernel before the update)
    stride: int  # rows are the updates whose step is a multiple of this

    @property
    def n_layers(self) -> int:
        return self.grad.shape[1]

    def last(self, what: str = "grad") -> np.ndarray:
        """The newest row of "grad" or "ratio" (NaN per layer when nothing is recorded yet)."""
        a = self.grad if what == "grad" else self.ratio
        return a[-1] if a.shape[0] else np.full(a.shape[1], np.nan)


class NormHistory:
    """Per-layer ‖∂J/∂kernel‖ and update ratio ‖Δkernel‖/‖kernel‖ of the updates, at a bounded resolution:
    every update until `cap` rows are kept, then every second one, fourth, … (the rows whose step is a
    multiple of the stride; the stride doubles when the rows fill up). Which updates are kept depends only
    on their steps, so a run recorded in another process keeps the same rows. Recording costs one modulo per
    update and a few dot products on the updates kept."""

    def __init__(self, n_layers: int, cap: int = NORM_CAP):
        self.n_layers = int(n_layers)
        self.cap = int(cap)
        self.stride = 1
        self.n = 0
        self._steps = np.zeros(self.cap, dtype=np.int64)
        self._grad = np.full((self.cap, self.n_layers), np.nan)
        self._ratio = np.full((self.cap, self.n_layers), np.nan)

    def wants(self, step: int) -> bool:
        return step % self.stride == 0

    def record_update(self, step: int, grad_flat: np.ndarray, old: np.ndarray, new: np.ndarray, layout) -> None:
        """Record update `step` from the flat gradient it applied and the parameters before and after it."""
        bins, buf = self._segments(layout)
        # Sums of squares per kernel in a few vector operations whatever the depth (a loop over the layers
        # cost as much as a deep network's whole update): the squares of ∂J/∂params, params and their change
        # side by side in a buffer kept for it, summed per kernel by one bincount (biases into a bin dropped).
        n = layout.size
        np.multiply(grad_flat, grad_flat, out=buf[:n])
        np.multiply(old, old, out=buf[n:2 * n])
        d = np.subtract(new, old, out=buf[2 * n:])
        np.multiply(d, d, out=d)
        g2, w2, d2 = np.bincount(bins, buf, 3 * (self.n_layers + 1)).reshape(3, -1)[:, :self.n_layers]
        # a kernel of zeros (zeros init) has no relative change: NaN, not a division by zero (and no
        # np.errstate: entering one costs more than the rest of this)
        ratio = np.divide(d2, w2, out=np.full(w2.shape, np.nan), where=w2 > 0)
        self.record(step, np.sqrt(g2), np.sqrt(ratio, out=ratio))

    def _segments(self, layout):
        """The bin of every entry of three flat vectors side by side (kernel l of the k-th: k·(L + 1) + l; a
        bias: k·(L + 1) + L), and the buffer they are squared into."""
        cached = getattr(self, "_segments_of", None)
        if cached is not None and cached[0] is layout:
            return cached[1:]
        L = self.n_layers
        bins = np.full(layout.size, L, dtype=np.intp)
        for layer, k in enumerate(layout.kernel_slices):
            bins[k] = layer
        bins = np.concatenate([bins + i * (L + 1) for i in range(3)])
        self._segments_of = (layout, bins, np.empty(3 * layout.size))
        return self._segments_of[1:]

    def record(self, step: int, grad, ratio) -> None:
        if self.n and step <= self._steps[self.n - 1]:
            self.truncate(step - 1)  # a step recorded again (replayed after a rewind): the new one counts
        if not self.wants(step):
            return
        if self.n == self.cap:
            self._compact()
            if not self.wants(step):
                return
        self._steps[self.n] = step
        self._grad[self.n] = grad
        self._ratio[self.n] = ratio
        self.n += 1

    def _compact(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._steps[:self.n] % self.stride == 0)
        k = keep.shape[0]
        self._steps[:k] = self._steps[keep]
        self._grad[:k] = self._grad[keep]
        self._ratio[:k] = self._ratio[keep]
        self._grad[k:] = self._ratio[k:] = np.nan
        self.n = k

    def truncate(self, step: int) -> None:
        """Forget the rows after update `step` (the run went back to it)."""
        self.n = int(np.searchsorted(self._steps[:self.n], step, side="right"))

    def view(self) -> NormView:
        n = self.n
        return NormView(readonly(self._steps[:n].copy()), readonly(self._grad[:n].copy()),
                        readonly(self._ratio[:n].copy()), self.stride)

    def __getstate__(self) -> dict:
        # Sent to and from the training process every frame: only the rows in use.
        state = self.__dict__.copy()
        for key in ("_steps", "_grad", "_ratio"):
            state[key] = state[key][:self.n].copy()
        state.pop("_segments_of", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        steps, grad, ratio = self._steps, self._grad, self._ratio
        self._steps = np.zeros(self.cap, dtype=np.int64)
        self._grad = np.full((self.cap, self.n_layers), np.nan)
        self._ratio = np.full((self.cap, self.n_layers), np.nan)
        self._steps[:self.n], self._grad[:self.n], self._ratio[:self.n] = steps, grad, ratio

    def parts(self) -> dict:
        """What a session stores (copies); `from_parts` gives the history back."""
        return {"cap": self.cap, "stride": self.stride, "steps": self._steps[:self.n].copy(),
                "grad": self._grad[:self.n].copy(), "ratio": self._ratio[:self.n].copy()}

    @classmethod
    def from_parts(cls, n_layers: int, cap, stride, steps, grad, ratio) -> "NormHistory":
        """The history `parts` described; ValueError (one line) if the parts cannot be one of `n_layers`."""
        steps = np.asarray(steps)
        grad, ratio = np.asarray(grad, dtype=float), np.asarray(ratio, dtype=float)
        cap, stride = int(cap), int(stride)
        if not 2 <= cap <= 2**20 or stride < 1 or stride & (stride - 1):
            raise ValueError(f"a norm history of cap {cap} and stride {stride} cannot be")
        if steps.ndim != 1 or steps.shape[0] > cap or grad.shape != (steps.shape[0], n_layers) \
                or ratio.shape != grad.shape:
            raise ValueError(f"a norm history needs steps and two tables of {n_layers} layers of as many rows")
        if steps.size and (not np.issubdtype(steps.dtype, np.number) or np.any(steps != np.round(steps))
                           or np.any(steps < 1) or np.any(np.diff(steps) <= 0) or np.any(steps % stride)):
            raise ValueError("a norm history's steps must be whole, ascending multiples of its stride")
        h = cls(n_layers, cap)
        h.stride, h.n = stride, steps.shape[0]
        h._steps[:h.n], h._grad[:h.n], h._ratio[:h.n] = steps.astype(np.int64), grad, ratio
        return h


def layer_spread(values) -> float:
    """max/min of the per-layer values (the finite ones): how far apart the layers' norms are; ∞ when a layer
    has none at all (a layer of dead ReLUs passes no gradient) and another has some."""
    v = np.asarray(values, dtype=float)
    v = np.abs(v[np.isfinite(v)])
    if not v.size or v.max() == 0:
        return math.nan
    return float(v.max() / v.min()) if v.min() > 0 else math.inf


def silent_layers(values) -> list[int]:
    """The layers (1-based) whose value is exactly 0: no gradient reaches them (every unit's g′ is 0)."""
    v = np.asarray(values, dtype=float)
    return [i + 1 for i in np.flatnonzero(v == 0)]


# ---------------------------------------------------------------- the ReLU twin of a run

def relu_twin(config):
    """The same network with ReLU hidden layers and He initialisation, same seed, data and everything else:
    what "compare with ReLU" trains beside a run. FfvizError when the hidden layers are ReLU already."""
    from ffviz.engine.config import validate
    hidden = config.layers[:-1]
    if not hidden:
        raise FfvizError("this network has no hidden layers to make ReLU")
    if all(layer.activation == "relu" for layer in hidden) and config.init.name == "he":
        raise FfvizError("the hidden layers are ReLU with He initialisation already: this run is its own twin")
    layers = tuple(replace(layer, activation="relu", kernel=None, bias=None) for layer in hidden) \
        + (config.layers[-1],)
    return validate(replace(config, layers=layers, init=replace(config.init, name="he"),
                            name=(config.name + " (ReLU twin)").strip()))


@dataclass(frozen=True)
class TwinRun:
    """The twin run so far: its state (to go on from), its norm history, where it stopped and why."""

    state: object  # TrainerState
    norms: NormHistory = field(repr=False)  # owned by this answer: a request going on copies it first
    view: NormView = field(repr=False)
    step: int
    diverged: str | None = None


def run_twin(config, to_step: int, previous: TwinRun | None = None, cancelled=lambda: False,
             base_dir=None) -> TwinRun:
    """Train the ReLU twin of `config` headless up to update `to_step` (from `previous` if given, else from
    its initial weights). Cancelled between chunks of TWIN_CHUNK updates when `cancelled()` says so."""
    import copy
    from ffviz.engine.trainer import Trainer
    if previous is not None and previous.step <= to_step and previous.diverged is None:
        trainer = Trainer.resume(previous.state, 0, base_dir=base_dir)
        trainer.adopt_norms(copy.deepcopy(previous.norms))
    else:
        trainer = Trainer(relu_twin(config), base_dir)
    diverged = None
    while trainer.step_count < to_step:
        if cancelled():
            raise Cancelled()
        want = min(TWIN_CHUNK, to_step - trainer.step_count)
        if trainer.step(want) < want:
            diverged = trainer.diverged.reason if trainer.diverged is not None else "it stopped"
            break
    norms = trainer.norm_history
    return TwinRun(trainer.state(), norms, norms.view(), trainer.step_count, diverged)


@dataclass(frozen=True, eq=False)
class TwinRequest(Request):
    """The ReLU twin of the run's config, trained to the run's update (going on from the last answer)."""

    config: object = field(default=None, repr=False)
    to_step: int = 0
    previous: TwinRun | None = field(default=None, repr=False)
    base_dir: object = None

    def compute(self, cancelled=lambda: False) -> TwinRun:
        return run_twin(self.config, self.to_step, self.previous, cancelled, self.base_dir)


# ---------------------------------------------------------------- how many updates to move a weight

@dataclass(frozen=True)
class MoveEstimate:
    """Updates of size η|g| needed to move a weight from `start` to `target`: ⌈|target − start| / (η|g|)⌉."""

    start: float
    target: float
    gradient: float
    learning_rate: float
    step_size: float  # η|g|
    updates: int | None  # None: never (the gradient is 0) or more than any run could do
    note: str = ""


MAX_UPDATES = 10**15  # more than any run makes; below 2**53, where counting in floats stays exact


PLAIN_STEPS = ("sgd", "perceptron")  # optimizers whose every update is w ← w − η·∂J/∂w (engine/optimizers.py)


def frozen_reason(config, layer: int, kind: str, index) -> str:
    """Why no update moves this parameter of `config`'s network ("" when updates do): a bias that is not
    trained, or a weight left out of optimizer.train_only. FfvizError for a parameter the network lacks."""
    from ffviz.engine.config import param_layout, train_only_mask
    layout = param_layout(config)
    pos = layout.index(layer, kind, index)
    if layout.trainable()[pos] == 0:
        return f"layer {layer}'s bias is not trained"
    mask = train_only_mask(config)
    if mask is not None and mask[pos] == 0:
        return f"{layout.name(pos)} is frozen (only {', '.join(config.optimizer.train_only)} train)"
    return ""


def updates_to_move(start, target, gradient, learning_rate, frozen: str = "") -> MoveEstimate:
    """How many plain gradient-descent updates at this gradient (held fixed) move a weight by |target − start|
    (none ever when the weight is `frozen`: the reason, see frozen_reason). FfvizError (one line) for a value
    that is not a finite number or a learning rate that is not positive."""
    vals = []
    for name, v in (("the start", start), ("the target", target), ("the gradient", gradient),
                    ("the learning rate", learning_rate)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise FfvizError(f"{name} must be a number, not {v!r}") from None
        if not math.isfinite(f):
            raise FfvizError(f"{name} must be a finite number, not {v!r}")
        vals.append(f)
    a, b, g, lr = vals
    if lr <= 0:
        raise FfvizError(f"the learning rate must be positive, not {lr:g}")
    distance = abs(b - a)
    step = lr * abs(g)
    if not math.isfinite(step) or not math.isfinite(distance):
        raise FfvizError("these numbers are too large: η·|∂J/∂w| or |b − a| is not a finite number")
    if distance == 0:
        return MoveEstimate(a, b, g, lr, step, 0, "it is there already")
    if frozen:
        return MoveEstimate(a, b, g, lr, step, None, f"never: {frozen}, so no update moves it")
    if step == 0:
        return MoveEstimate(a, b, g, lr, step, None, "never: the gradient is 0, so no update moves it")
    q = distance / step
    if not q < MAX_UPDATES:
        return MoveEstimate(a, b, g, lr, step, None, f"more than {MAX_UPDATES:.0e} updates")
    n = max(1, math.ceil(q))  # a distance too small for q to be above 0 in floats is still one update
    # 1.1 / 0.1 is 11.000000000000002 in binary floating point, and its ceiling 12: when one update fewer
    # already covers the distance (up to the rounding of the decimal inputs) the exact answer is kept.
    if n > 1 and (n - 1) * step >= distance * (1 - 1e-12):
        n -= 1
    return MoveEstimate(a, b, g, lr, step, n)


# ---------------------------------------------------------------- pre-activations and saturation

def saturation_share(z: np.ndarray, activation: str, threshold: float = SATURATION) -> float:
    """The share of the finite entries of z (samples × units) where |g'(z)| < threshold (softmax: the
    Jacobian's diagonal g(1 − g), of each sample's own row of z)."""
    act = get_activation(activation)
    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        d = act.der(z, act.fn(z))  # on the whole (samples × units) z: softmax is taken row by row
    finite = np.isfinite(z)
    n = np.count_nonzero(finite)
    if n == 0:
        return math.nan
    return float(np.count_nonzero((np.abs(d) < threshold) & finite)) / n


@dataclass(frozen=True)
class PreActivations:
    """The pre-activations z of one layer on the training set at the current weights, as a histogram."""

    layer: int  # 1-based
    activation: str
    count: int  # values: samples × units
    edges: np.ndarray  # histogram bin edges
    counts: np.ndarray  # values per bin
    low: float  # the smallest and largest finite z
    high: float
    saturated: float  # share with |g'(z)| < SATURATION
    nonfinite: int = 0


HIST_BINS = 40


def preactivations(state, layer: int, bins: int = HIST_BINS) -> PreActivations:
    """z of layer `layer` (1-based) from the network's one forward pass over the training set at `state`'s
    weights; its histogram and saturated share."""
    net = Network.of(state.config)
    if not 1 <= layer <= net.n_layers:
        raise FfvizError(f"layer {layer} is not in this network (1 to {net.n_layers})")
    kernels, biases = net.layout.views(state.params)
    x = state.dataset.x_train
    if x.shape[0] == 0:
        raise FfvizError("the training set is empty: there are no pre-activations to show")
    with np.errstate(all="ignore"):
        for i, (z, _a) in enumerate(net.layers(x, kernels, biases)):
            if i == layer - 1:
                break
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 1e-9:  # every z the same: a bin around it
        lo, hi = lo - 0.5, hi + 0.5
    # z of a run blowing up can span more than the largest float (−1e308 … 1e308): binned at half the scale
    half = 0.5 if not math.isfinite(hi - lo) else 1.0
    counts, edges = np.histogram(finite * half, bins=bins, range=(lo * half, hi * half))
    edges = edges / half
    act = net.activations[layer - 1].name
    return PreActivations(layer, act, int(z.size), readonly(edges), readonly(counts), lo, hi,
                          saturation_share(z, act),
                          int(z.size - finite.size))


@dataclass(frozen=True, eq=False)
class PreActivationRequest(Request):
    state: object = field(default=None, repr=False)
    layer: int = 1

    def compute(self, cancelled=lambda: False) -> PreActivations:
        return preactivations(self.state, self.layer)


# ---------------------------------------------------------------- the gallery's curves and softmax

GALLERY = ("step", "linear", "sigmoid", "tanh", "relu", "leaky_relu")


def activation_curve(name: str, low: float = -6.0, high: float = 6.0, points: int = 401):
    """(z, g(z), g'(z)) of an elementwise activation on [low, high]."""
    act = get_activation(name)
    if not act.elementwise:
        raise FfvizError(f"{act.label} is not applied unit by unit: it needs a vector (see softmax_of_text)")
    z = np.linspace(low, high, points)
    a = act.fn(z)
    return readonly(z), readonly(np.asarray(a, dtype=float)), readonly(np.asarray(act.der(z, a), dtype=float))


MAX_SOFTMAX = 10
MAX_LOGIT = 1e6


def softmax_of_text(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(z, softmax(z)) of a typed vector such as "1, 2, 0.5" (commas, semicolons or spaces between 2 to
    MAX_SOFTMAX numbers); FfvizError (one line) for anything else."""
    if not isinstance(text, str):
        raise FfvizError("type the vector as numbers separated by commas, e.g. 1, 2, 0.5")
    parts = [p for p in re.split(r"[,;\s]+", text.strip().strip("()[]")) if p]
    if not 2 <= len(parts) <= MAX_SOFTMAX:
        raise FfvizError(f"softmax needs 2 to {MAX_SOFTMAX} numbers separated by commas, not {len(parts)}")
    values = []
    for p in parts:
        try:
            v = float(p.replace("−", "-"))
        except ValueError:
            raise FfvizError(f"{p[:20]!r} is not a number; type e.g. 1, 2, 0.5") from None
        if not math.isfinite(v) or abs(v) > MAX_LOGIT:
            raise FfvizError(f"{p[:20]} is out of range: each entry must be a finite number within ±{MAX_LOGIT:g}")
        values.append(v)
    z = np.array(values)
    return readonly(z), readonly(ACTIVATIONS["softmax"].fn(z[None, :])[0])


# ---------------------------------------------------------------- a signed log scale for colours

@dataclass(frozen=True)
class LogScale:
    """|v| from `top` down to top/10^decades spread evenly over the colour map (per decade), the sign kept:
    −top … ±floor … +top. Values at or below `floor` take the centre colour."""

    top: float
    decades: int

    @property
    def floor(self) -> float:
        return self.top / 10.0 ** self.decades


MAX_DECADES = 8


def log_scale(values) -> LogScale:
    """The scale of the given values: top = the largest finite |v|, decades = down to a decade below the
    smallest nonzero |v| (so that it is tinted, not the centre colour), 1 to MAX_DECADES."""
    v = np.abs(np.asarray(values, dtype=float).ravel())
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return LogScale(1.0, 1)
    top, low = float(v.max()), float(v.min())
    # log10 of each, not of top / low: 1e200 / 1e−200 is inf in floats
    decades = math.ceil(math.log10(top) - math.log10(low) - 1e-9) + 1 if low < top else 1
    return LogScale(top, int(min(MAX_DECADES, max(1, decades))))


def log_position(values, scale: LogScale) -> np.ndarray:
    """Where each value sits on [−1, 1] of the signed log scale: sign(v) · (log10|v| − log10 floor) / decades,
    clipped; 0 at or below the floor; NaN/inf pass through as NaN/±1."""
    v = np.asarray(values, dtype=float)
    log_floor = math.log10(scale.top) - scale.decades  # not log10(floor): a floor below 5e−324 is 0 in floats
    with np.errstate(all="ignore"):
        t = (np.log10(np.abs(v)) - log_floor) / scale.decades
        t = np.clip(np.where(t > 0, t, 0.0), 0.0, 1.0) * np.sign(v)
        t = np.where(np.isnan(v), np.nan, t)
    return t
