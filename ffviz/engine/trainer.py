"""The trainer: one run of gradient descent, steppable one update or one phase at a time.

An update is: forward pass (layer by layer) → loss → backward pass (layer by layer, output first) → update.
The maths of each phase is engine/network.py's; the trainer keeps what each phase computed (`trace`), the
history, and the run's timeline (engine/timeline.py), from which any update can be restored exactly. A
snapshot for views can be taken at any moment. Arrays are never mutated once created: updates build new
ones, so snapshots, states and checkpoints share them by reference.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from ffviz.engine.budget import check_dataset
from ffviz.engine.config import RunConfig, change_kind, train_only_mask, validate
from ffviz.engine.datasets import Dataset, build_dataset
from ffviz.engine.history import Envelope, Series
from ffviz.engine.initializers import initial_parameters
from ffviz.engine.insight import NormHistory
from ffviz.engine.losses import regularization_grad
from ffviz.engine.network import Network
from ffviz.engine.optimizers import Optimizer
from ffviz.engine.plane import has_plane
from ffviz.engine.snapshot import (Divergence, History, Phase, Snapshot, TraceView, readonly, readonly_tuple)
from ffviz.engine.state import TrainerState
from ffviz.engine.timeline import Journal, Timeline, Trajectory
from ffviz.errors import FfvizError, shown

# The phases every update passes through, made once: comparing and assigning them is on the hot path.
_FIRST = Phase("forward", 1)
_LOSS = Phase("loss")
_UPDATE = Phase("update")

# Divergence recovery goes back to the last update whose batch loss was at most this many times the lowest
# loss seen up to it: the run was still improving there, not yet blowing up.
RECOVERY_FACTOR = 1.5

# A session reopened between updates replays its last update to show that update's numbers again, when the
# timeline's checkpoint before it is at most this many updates back (else the numbers come with the next update).
TRACE_REPLAY = 8192

EVAL_COLUMNS = ("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "learning_rate")


class _Trace:
    """What the current update has computed so far (mutable while the update runs, frozen into TraceView)."""

    def __init__(self, n_layers: int, step: int, indices, x, y, lr: float, layout):
        self.step = step
        self.last_phase: Phase | None = None
        self.indices, self.x, self.y = indices, x, y
        self.z: list = [None] * n_layers
        self.a: list = [x] + [None] * n_layers
        self.grad_a: list = [None] * (n_layers + 1)  # ∂J/∂a per layer; grad_a[-1] is ∂J/∂ŷ
        self.delta: list = [None] * n_layers
        self.layout = layout
        self.grad_flat = np.zeros(layout.size)  # ∂J/∂params, filled layer by layer (frozen biases stay 0)
        self.grad_views = layout.views(self.grad_flat)
        self.grad_kernels: list = [None] * n_layers  # views into grad_flat, set as each layer is done
        self.grad_biases: list = [None] * n_layers
        self.per_sample_loss = None
        self.loss: float | None = None
        self.reg_loss: float | None = None
        self.old: np.ndarray | None = None  # the flat parameters before the update
        self.new: np.ndarray | None = None
        self.lr = lr

    def __getstate__(self) -> dict:
        # Sent from the training process: views of grad_flat would arrive as copies of their own.
        state = self.__dict__.copy()
        del state["grad_views"]
        state["grad_kernels"] = [g is not None for g in self.grad_kernels]
        state["grad_biases"] = [g is not None for g in self.grad_biases]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.grad_views = gk, gb = self.layout.views(self.grad_flat)
        self.grad_kernels = [gk[i] if done else None for i, done in enumerate(self.grad_kernels)]
        self.grad_biases = [gb[i] if done else None for i, done in enumerate(self.grad_biases)]
        for a in (self.x, self.y, self.indices, self.old, self.new, *self.z, *self.a):
            readonly(a)
        if self.old is not None:  # the update was applied: its gradient is final
            readonly(self.grad_flat)


@dataclass(frozen=True)
class Evaluation:
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float


class _Checkpoint(NamedTuple):
    """Everything needed to put the run back to the start of an update (all by reference). A NamedTuple, not
    a frozen dataclass: one is made per update, and this is five times cheaper to make."""

    params: np.ndarray
    optimizer: tuple
    step: int
    samples_seen: int
    perm: np.ndarray | None
    cursor: int
    rng_state: dict  # the shuffling generator's state (it draws only when an epoch starts)
    epoch_state: dict | None  # its state before the current order was drawn
    updates_len: int


@dataclass
class Progress:
    """What a trainer in the training process did since it last reported (see engine/training_process.py):
    the window's trainer takes it in with `absorb` and is then the same run."""

    state: TrainerState
    trace: _Trace | None
    previous_trace: _Trace | None
    updates: tuple  # (steps, batch losses) appended
    evals: tuple  # EVAL_COLUMNS, appended
    batch_curve: Envelope
    records: tuple  # (steps, params) for the timeline
    checkpoints: list
    diverged: Divergence | None
    plane: object = None  # the input plane evaluated at the end, for the next snapshot
    norms: NormHistory | None = None  # the per-layer gradient norms, recorded there (small: sent whole)


class Trainer:
    """Owns a network, its data and optimizer; trains it one update or one phase at a time."""

    _run_counter = 0

    def __init__(self, config: RunConfig, base_dir=None, *, journal: bool = False):
        self._base_dir = base_dir
        self._serial = 0
        self._journal = journal  # record into a Journal (the training process) instead of a Timeline
        self._plane = None  # an input plane made elsewhere for the next snapshot (absorb)
        self.plane_slice = None  # more than two inputs: the slice snapshots' planes show (engine.plane)
        self.load(config)

    # ------------------------------------------------------------------ building

    def _rngs(self, cfg: RunConfig):
        # One seed → independent streams for data, initial weights and shuffling, so that changing the
        # network does not change the data and vice versa.
        data_ss, init_ss, shuffle_ss = np.random.SeedSequence(cfg.seed).spawn(3)
        data_rng = np.random.default_rng(cfg.data.seed if cfg.data.seed is not None else data_ss)
        return data_rng, np.random.default_rng(init_ss), np.random.default_rng(shuffle_ss)

    @property
    def base_dir(self):
        """The folder relative data paths of the config are resolved against (None: the working folder)."""
        return self._base_dir

    def load(self, config: RunConfig, base_dir=None) -> None:
        """Start a new run from `config`. Transactional: if the config or its data is bad, FfvizError is
        raised and the trainer is left exactly as it was."""
        config = validate(config)
        base_dir = self._base_dir if base_dir is None else base_dir
        dataset = self._checked_dataset(config, build_dataset(config.data, self._rngs(config)[0], base_dir))
        previous = self.__dict__.copy()
        self.config, self.dataset, self._base_dir = config, dataset, base_dir
        self.plane_slice = None  # other data: its slice starts at the default again
        self._build()
        if not math.isfinite(self._evals.last("train_loss")) and dataset.x_train.shape[0]:
            reason = self._nonfinite_start_reason()
            self.__dict__.clear()
            self.__dict__.update(previous)  # transactional: the run as it was
            raise FfvizError(reason)

    def _nonfinite_start_reason(self) -> str:
        """Why the initial loss is not finite, naming the culprit: explicit weights, or the inputs' size."""
        head = "the loss of the initial weights is not a finite number: "
        for i, (layer, k) in enumerate(zip(self.config.layers, self.kernels), start=1):
            if layer.kernel is not None and np.max(np.abs(k)) > 1e10:
                return head + f"the given weights are too large (layer {i}'s kernel reaches {np.max(np.abs(k)):.3g})"
        x = self.dataset.x_train
        with np.errstate(all="ignore"):
            top = float(np.max(np.abs(x))) if x.size else 0.0
        if self.dataset.standardization is None:
            return head + f"the inputs reach {top:.3g} (set data.standardize to true, or scale them down)"
        return head + f"the inputs reach {top:.3g} even after standardisation (scale the data down)"

    @classmethod
    def resume(cls, state: TrainerState, run_id: int, *, journal: bool = False, base_dir=None,
               batch_curve: Envelope | None = None, norms: NormHistory | None = None) -> "Trainer":
        """A trainer that goes on from `state` (of run `run_id`), with an empty history and timeline, and the
        run's plotted batch loss and layer norms so far (`batch_curve`, `norms`) if given: it goes on growing
        them."""
        self = cls.__new__(cls)
        self._base_dir, self._serial, self._journal, self._plane = base_dir, 0, journal, None
        self.plane_slice = None
        self.config, self.dataset = state.config, state.dataset
        self._build()
        self.run_id = run_id
        self.timeline = Journal(self.layout.size) if journal else Timeline(self.layout.size)
        self.restore_state(state)
        self._evals = Series(EVAL_COLUMNS)
        if batch_curve is not None:
            self._batch_curve = batch_curve
        if norms is not None:
            self.adopt_norms(norms)
        return self

    def _adopt_functions(self) -> None:
        """Activations, loss and output-gradient path from self.config (they change without new weights)."""
        cfg = self.config
        self.net = net = Network.of(cfg)
        self.activations = list(net.activations)
        self.loss_fn = net.loss
        self.perceptron = net.perceptron
        self.fused = net.fused
        self.layout = net.layout
        self._reg = cfg.regularization
        self._reg_active = cfg.regularization.kind != "none" and bool(cfg.regularization.rate)
        self._bias_grad = tuple(l.use_bias and l.train_bias for l in cfg.layers)

    def _build(self) -> None:
        """(Re)initialise everything but the dataset from self.config: weights, optimizer, history, timeline."""
        cfg = self.config
        _, init_rng, shuffle_rng = self._rngs(cfg)
        self._adopt_functions()
        self._set_params(self.layout.pack(*initial_parameters(cfg, init_rng)))
        self._norms = NormHistory(self.n_layers)  # ‖∂J/∂kernel‖ per layer over the run (engine/insight.py)
        self._shuffle_rng = shuffle_rng
        self._rng_state = shuffle_rng.bit_generator.state
        self._epoch_state = None
        self.optimizer = Optimizer(cfg.optimizer, train_only_mask(cfg))
        self.learning_rate = float(cfg.optimizer.learning_rate)
        self.step_count = 0
        self.samples_seen = 0
        self._perm: np.ndarray | None = None
        self._cursor = 0
        self._updates = Series(("step", "batch_loss"))
        self._batch_curve = Envelope()  # the batch loss at a resolution a plot can draw every frame
        self._evals = Series(EVAL_COLUMNS)
        self._ones_cache = np.ones(0)
        self._trace: _Trace | None = None
        self._last_trace: _Trace | None = None
        self._next = _FIRST
        self.diverged: Divergence | None = None
        self._ckpt = self._checkpoint()
        self.timeline = Journal(self.layout.size) if self._journal else Timeline(self.layout.size)
        self.timeline.record(0, self.params)
        self.timeline.offer(self.state(), pinned=True)
        Trainer._run_counter += 1
        self.run_id = Trainer._run_counter
        self.record_evaluation()

    @staticmethod  # also checks the data of a saved session (engine/session_state.py)
    def _checked_dataset(cfg: RunConfig, data: Dataset) -> Dataset:
        """The data must fit the network's input and output widths, the loss's target range, and (a CSV's rows
        are known only now) the memory budget."""
        check_dataset(cfg, data)
        if data.n_inputs != cfg.input_units:
            raise FfvizError(f"the data has {data.n_inputs} input column(s) but the input layer has "
                             f"{cfg.input_units} unit(s)")
        out = cfg.layers[-1].units
        if data.n_outputs != out:
            what = f"{data.n_classes} classes" if data.task == "multiclass" else f"{data.n_outputs} target column(s)"
            raise FfvizError(f"the data has {what} but the output layer has {out} unit(s)")
        loss = Network.of(cfg).loss
        if loss.output_activations is not None and data.y_train.size and (
                np.min(data.y_train) < 0 or np.max(data.y_train) > 1):
            raise FfvizError(f"{loss.label} needs targets between 0 and 1; "
                             f"this data has targets from {np.min(data.y_train):g} to {np.max(data.y_train):g}")
        return data

    def reset(self) -> None:
        """Start the run again from its config: same seed, same data, same initial weights."""
        self._build()

    def apply_config(self, new: RunConfig) -> str:
        """Adopt a changed config; returns how (see config.change_kind): "rebuild" (new weights), "data" (new
        data, weights kept), "live" (weights kept) or "same". A bad config raises FfvizError, changing nothing."""
        new = validate(new)
        old = self.config
        kind = change_kind(old, new)
        if kind == "rebuild":
            self.load(new)
            return kind
        if kind == "data":
            dataset = self._checked_dataset(new, build_dataset(new.data, self._rngs(new)[0], self._base_dir))
            self._abandon_update()  # first: it restores the batch order, which belongs to the old data
            self.dataset = dataset
            self._perm, self._cursor, self._epoch_state, self.samples_seen = None, 0, None, 0
        elif kind == "live" and (old.layers != new.layers or old.loss != new.loss
                                 or old.fused_output_gradient != new.fused_output_gradient
                                 or old.optimizer.name != new.optimizer.name):
            self._checked_dataset(new, self.dataset)  # e.g. a loss that needs targets in [0, 1]
            self._abandon_update()  # its numbers came from the old functions
        self.config = new
        self._adopt_functions()
        self._apply_live(old, new)
        if kind != "same":
            self._event()
            self.record_evaluation(force=True)
        return kind

    def _apply_live(self, old: RunConfig, new: RunConfig) -> None:
        o, n = old.optimizer, new.optimizer
        if replace(o, learning_rate=n.learning_rate, batch_size=n.batch_size, shuffle=n.shuffle) != n:
            self.optimizer = Optimizer(n, train_only_mask(new))  # a new rule starts with fresh state
        if o.batch_size != n.batch_size or o.shuffle != n.shuffle:
            self._perm, self._cursor, self._epoch_state = None, 0, None
        self.learning_rate = float(n.learning_rate)

    @staticmethod
    def check_learning_rate(lr) -> float:
        """η as a float, or a one-line FfvizError for a non-number, a non-finite or a non-positive value."""
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise FfvizError(f"the learning rate must be a number, not {shown(lr)}") from None
        if not math.isfinite(lr) or lr <= 0 or lr > 1e6:
            raise FfvizError(f"the learning rate must be a finite number between 0 and 1e6, not {lr!r}")
        return lr

    def set_plane_slice(self, plane_slice) -> None:
        """Which slice of a many-input space snapshots' planes show (engine.plane.PlaneSlice); a slice that
        does not fit the data is a one-line FfvizError and changes nothing."""
        from ffviz.engine.plane import checked_slice, has_slices
        if not has_slices(self.dataset):
            raise FfvizError("the data has two inputs or fewer: its plane is the whole input space")
        self.plane_slice = checked_slice(self.dataset, plane_slice)

    def set_learning_rate(self, lr) -> None:
        """Change η between any two updates (or phases); a non-finite or non-positive value is refused."""
        lr = self.check_learning_rate(lr)
        self.learning_rate = lr
        self.config = self.config.with_learning_rate(lr)
        self._event()

    def set_parameter(self, layer: int, kind: str, index: tuple, value) -> None:
        """Set one kernel entry (index (i, j)) or bias entry (index (j,)) of layer `layer` (1-based) by hand."""
        self.set_parameters({(layer, kind, tuple(index)): value})

    def set_parameters(self, values: dict) -> None:
        """Set several parameters by hand at once ({(layer, kind, index): value}); all or none."""
        flat = self.params.copy()
        for (layer, kind, index), value in values.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise FfvizError(f"a weight must be a number, not {value!r}") from None
            if not math.isfinite(value):
                raise FfvizError(f"a weight must be a finite number, not {value!r}")
            try:
                pos = self.layout.index(layer, kind, index)
            except (TypeError, ValueError) as exc:
                raise FfvizError(str(exc) if isinstance(exc, FfvizError) else
                                 f"layer {layer} has no {kind} entry {index!r}") from None
            flat[pos] = value
        self._abandon_update()
        self._set_params(flat)
        self._ckpt = self._checkpoint()
        self.timeline.record(self.step_count, self.params)
        self._event()
        self.record_evaluation(force=True)

    def _event(self) -> None:
        """Something a replay could not redo (a setting or a weight changed by hand): a checkpoint here."""
        self.timeline.offer(self._state_of(self._ckpt if self._next != _FIRST else self._checkpoint()),
                            pinned=True)

    # ------------------------------------------------------------------ stepping

    @property
    def n_layers(self) -> int:
        return len(self.kernels)

    @property
    def next_phase(self) -> Phase:
        return self._next

    @property
    def epoch(self) -> float:
        return self.samples_seen / max(1, self.dataset.x_train.shape[0])

    def phases(self) -> list[Phase]:
        """All phases of one update, in order."""
        n = self.n_layers
        return ([Phase("forward", l) for l in range(1, n + 1)] + [Phase("loss")]
                + [Phase("backward", l) for l in range(n, 0, -1)] + [Phase("update")])

    def _following(self, ph: Phase) -> Phase:
        n = self.n_layers
        if ph.kind == "forward":
            return Phase("forward", ph.layer + 1) if ph.layer < n else _LOSS
        if ph.kind == "loss":
            return Phase("backward", n)
        if ph.kind == "backward":
            return Phase("backward", ph.layer - 1) if ph.layer > 1 else _UPDATE
        return _FIRST

    def step_phase(self) -> Phase | None:
        """Do the next phase of the current update; return it (None if training has diverged)."""
        if self.diverged is not None:
            return None
        with np.errstate(all="ignore"):  # a diverging run is reported (self.diverged), not warned about
            return self._step_phase()

    def _step_phase(self) -> Phase:
        ph = self._next
        if ph.kind == "forward":
            if ph.layer == 1:
                self._begin_update()
            self._forward(ph.layer - 1)
        elif ph.kind == "loss":
            self._loss()
        elif ph.kind == "backward":
            self._backward(ph.layer - 1)
        else:
            self._update()
        if self._trace is not None:
            self._trace.last_phase = ph
        self._next = self._following(ph) if self.diverged is None else _FIRST
        return ph

    def step(self, n: int = 1) -> int:
        """Complete the update in progress, then run whole updates until `n` are done; returns how many."""
        done = 0
        with np.errstate(all="ignore"):  # once per call, not per update: entering it costs as much as a layer
            while done < n and self.diverged is None:
                if self._next is not _FIRST and self._next != _FIRST:
                    while self.diverged is None and self._next != _FIRST:
                        self._step_phase()
                else:
                    self._run_update()
                if self.diverged is None:
                    done += 1
        return done

    def _run_update(self) -> None:
        # The same phase functions step_phase uses, called without the per-phase bookkeeping.
        n = self.n_layers
        self._begin_update()
        for i in range(n):
            self._forward(i)
        self._loss()
        if self.diverged is not None:
            self._trace.last_phase = _LOSS
            return
        for i in range(n - 1, -1, -1):
            self._backward(i)
        self._update()
        self._trace.last_phase = _UPDATE

    def _abandon_update(self) -> None:
        """Drop a half-done update (after a hand edit or a data change): the next phase is a fresh forward
        on the same batch, as if the update had not begun."""
        if self._trace is not None and self._next != _FIRST:
            c = self._ckpt
            self._perm, self._cursor, self._rng_state, self._epoch_state = c.perm, c.cursor, c.rng_state, \
                c.epoch_state
            self._shuffle_rng.bit_generator.state = c.rng_state
            self._truncate_updates(c.updates_len)
            self._trace = self._last_trace
        self._next = _FIRST

    def _next_batch(self):
        n = self.dataset.x_train.shape[0]
        b = self.config.optimizer.batch_size
        if b is None or b >= n:
            return None
        if self._perm is None or self._cursor >= n:
            self._epoch_state = self._rng_state
            self._perm = readonly(self._draw_order(n))
            self._rng_state = self._shuffle_rng.bit_generator.state  # read once per epoch, not per update
            self._cursor = 0
        idx = self._perm[self._cursor:self._cursor + b]
        self._cursor += idx.shape[0]
        return idx

    def _draw_order(self, n: int) -> np.ndarray:
        """The sample order of an epoch: shuffled from the generator's current state, or as the data is."""
        return self._shuffle_rng.permutation(n) if self.config.optimizer.shuffle else np.arange(n)

    def _truncate_updates(self, keep: int) -> None:
        self._updates.truncate(keep)
        self._batch_curve.rebuild(self._updates.column("step"), self._updates.column("batch_loss"))

    def _set_params(self, flat: np.ndarray) -> None:
        """Adopt a new flat parameter vector; kernels and biases become read-only views into it."""
        self.params = readonly(flat)
        self.kernels, self.biases = self.layout.views(flat)

    def _checkpoint(self) -> _Checkpoint:
        return _Checkpoint(self.params, self.optimizer.state(), self.step_count,
                           self.samples_seen, self._perm, self._cursor, self._rng_state, self._epoch_state,
                           self._updates.n)

    def _begin_update(self) -> None:
        self._ckpt = self._checkpoint()
        idx = self._next_batch()
        ds = self.dataset
        if idx is None:
            x, y = ds.x_train, ds.y_train
        else:
            x, y = readonly(ds.x_train[idx]), readonly(ds.y_train[idx])
        self._last_trace = self._trace
        self._trace = _Trace(self.n_layers, self.step_count + 1, idx, x, y, self.learning_rate, self.layout)

    def _forward(self, i: int) -> None:
        """z = a_prev · kernel + bias;  a = g(z)."""
        tr = self._trace
        tr.z[i], tr.a[i + 1] = self.net.layer(i, tr.a[i], self.kernels[i], self.biases[i])

    def _loss(self) -> None:
        """J = mean over the batch of L(y, ŷ), plus the regularization penalty; and ∂J/∂ŷ."""
        tr = self._trace
        y, yhat = tr.y, tr.a[-1]
        per = self.net.per_sample_loss(y, tr.z[-1], yhat)
        n = per.shape[0]
        tr.per_sample_loss = per
        tr.loss = float(np.add.reduce(per)) / n if n else 0.0  # np.mean costs 3x more on small arrays
        tr.reg_loss = self.net.penalty(self._reg, self.kernels) if self._reg_active else 0.0
        if not self.fused:
            tr.grad_a[-1] = self.net.output_grad(y, yhat)
        self._updates.append(self.step_count, tr.loss)
        self._batch_curve.append(self.step_count, tr.loss)
        if not math.isfinite(tr.loss):
            # W_t (finite, from the previous update) gives a non-finite loss.
            self._diverge()

    def _backward(self, i: int) -> None:
        """δ = ∂J/∂z = ∂J/∂a ⊙ g'(z); ∂J/∂kernel = a_prevᵀ δ; ∂J/∂bias = Σ δ; ∂J/∂a_prev = δ kernelᵀ."""
        tr = self._trace
        if i == len(tr.z) - 1:
            delta = self.net.output_delta(tr.y, tr.z[i], tr.a[i + 1], tr.grad_a[i + 1])
        else:
            delta = self.net.delta(i, tr.z[i], tr.a[i + 1], tr.grad_a[i + 1])
        tr.delta[i] = delta
        grad_k, grad_b = tr.grad_views
        gk = grad_k[i]
        np.matmul(tr.a[i].T, delta, out=gk)  # written straight into the flat gradient
        if self._reg_active and not self.perceptron:
            gk += regularization_grad(self._reg.kind, self._reg.rate, self.kernels[i])
        tr.grad_kernels[i] = gk
        if self._bias_grad[i]:
            np.matmul(self._ones(delta.shape[0]), delta, out=grad_b[i])  # 4x faster than delta.sum(axis=0)
            tr.grad_biases[i] = grad_b[i]
        if i > 0:
            tr.grad_a[i] = delta @ self.kernels[i].T

    def _update(self) -> None:
        """W ← W − η·∂J/∂W (or the chosen optimizer's rule)."""
        tr = self._trace
        readonly(tr.grad_flat)
        tr.old = self.params
        self._set_params(self.optimizer.update(self.params, tr.grad_flat, self.learning_rate))
        tr.new = self.params
        tr.lr = self.learning_rate
        self.step_count += 1
        self.samples_seen += tr.x.shape[0]
        if not math.isfinite(np.add.reduce(self.params)):  # one sum checks every weight: NaN and inf spread
            self._diverge()
            return
        timeline = self.timeline
        timeline.record(self.step_count, self.params)
        if timeline.wants_checkpoint(self.step_count):
            timeline.offer(self._state_of(self._checkpoint()))
        if self._norms.wants(self.step_count):
            self._norms.record_update(self.step_count, tr.grad_flat, tr.old, tr.new, self.layout)

    def _ones(self, n: int) -> np.ndarray:
        if self._ones_cache.shape[0] != n:
            self._ones_cache = np.ones(n)
        return self._ones_cache

    def _nonfinite_weights(self) -> bool:
        return not np.all(np.isfinite(self.params))

    def _diverge(self) -> None:
        """Stop training: say why, and find the update to go back to."""
        if self._nonfinite_weights():
            reason = f"a weight became non-finite (NaN or ±inf) at step {self.step_count}"
        else:
            reason = f"the loss became non-finite (NaN or ±inf) at step {self.step_count}"
        self.diverged = Divergence(self.step_count, reason + "; try a smaller learning rate", self.recovery_step())

    def recovery_step(self) -> int:
        """The last update whose loss shows the run still improving, not yet blowing up: its batch loss at most
        RECOVERY_FACTOR × the lowest loss up to it (the weights of the step the loss was computed at)."""
        first = self.timeline.first_step or 0
        steps, losses = self._updates.column("step"), self._updates.column("batch_loss")
        last_finite = self.step_count - 1 if self._nonfinite_weights() else self.step_count
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(losses) & (steps >= first) & (steps <= last_finite)
            lowest = np.minimum.accumulate(np.where(finite, losses, np.inf))
            ok = finite & (losses <= RECOVERY_FACTOR * lowest)
        if not ok.any():
            return first
        return int(steps[np.flatnonzero(ok)[-1]])

    def recover(self, divide_learning_rate: bool = False) -> None:
        """After divergence: go back to the recovery step (exactly, via the timeline), optionally with η / 10."""
        if self.diverged is None:
            return
        k = self.diverged.restore_step
        self.diverged = None
        self.restore_step(k)
        if divide_learning_rate:
            self.set_learning_rate(self.learning_rate / 10.0)

    # ------------------------------------------------------------------ states and the timeline

    def _state_of(self, c: _Checkpoint, phases_done: int = 0) -> TrainerState:
        return TrainerState(self.config, self.dataset, c.params, c.optimizer, self.learning_rate, c.step,
                            c.samples_seen, c.rng_state, c.epoch_state, c.cursor, phases_done)

    def state(self) -> TrainerState:
        """The run now, as one immutable value (mid-update: the update's start and how many phases are done)."""
        if self._next == _FIRST or self._trace is None:
            return self._state_of(self._checkpoint())
        return self._state_of(self._ckpt, self.phases().index(self._next))

    def restore_state(self, state: TrainerState) -> None:
        """Make the run be at `state` now: what came after it (history, timeline) is forgotten."""
        if state.config != self.config or state.dataset is not self.dataset:
            self.config, self.dataset = state.config, state.dataset
            self._adopt_functions()
        self._set_params(state.params)
        self.optimizer = Optimizer(self.config.optimizer, train_only_mask(self.config))
        self.optimizer.load_state(state.optimizer)
        self.learning_rate = float(state.learning_rate)
        self.step_count, self.samples_seen = int(state.step), int(state.samples_seen)
        self._rng_state, self._epoch_state, self._cursor = state.shuffle_state, state.epoch_state, state.cursor
        if state.epoch_state is None:
            self._perm = None
        else:  # the epoch's order, drawn again from the generator's state before it was drawn
            self._shuffle_rng.bit_generator.state = state.epoch_state
            self._perm = readonly(self._draw_order(self.dataset.x_train.shape[0]))
        self._shuffle_rng.bit_generator.state = state.shuffle_state
        self._trace = self._last_trace = None
        self._next = _FIRST
        self.diverged = None
        steps = self._updates.column("step")
        self._truncate_updates(int(np.searchsorted(steps, state.step, side="left")))
        evals = self._evals.column("step")
        self._evals.truncate(int(np.searchsorted(evals, state.step, side="right")))
        self._ckpt = self._checkpoint()
        self._norms.truncate(state.step)
        self.timeline.truncate(state.step)
        self.timeline.record(state.step, self.params)
        with np.errstate(all="ignore"):
            for _ in range(state.phases_done):
                self._step_phase()

    def adopt_record(self, updates: tuple, evals: tuple, batch_curve: Envelope, timeline: Timeline) -> None:
        """Take a saved run's record as this trainer's (a session: engine/session_state.py): the batch losses
        (`updates`: step and batch_loss columns), the evaluations (EVAL_COLUMNS), the plotted batch curve and
        the timeline, as they were when the run was saved, the update in progress included. This trainer must
        be at the state the run was saved in (Trainer.resume of it). The last complete update's numbers (its
        trace: the gradients the diagram colours edges by) are worked out again by replaying it from the
        timeline's checkpoint before it, as restore_step does, when that is at most TRACE_REPLAY updates back."""
        self._updates = Series(("step", "batch_loss"))
        self._updates.extend(*updates)
        self._evals = Series(EVAL_COLUMNS)
        self._evals.extend(*evals)
        self._batch_curve = batch_curve
        self.timeline = timeline
        steps = self._updates.column("step")
        # the batch losses from before the current update: what abandoning it would keep
        self._ckpt = self._ckpt._replace(updates_len=int(np.searchsorted(steps, self._ckpt.step, side="left")))
        last = self._ckpt.step  # the last complete update is this one
        c = timeline.checkpoint_before(last - 1) if last > 0 else None
        if c is None or last - c.step > TRACE_REPLAY:
            return
        replay = Trainer.resume(c, self.run_id, base_dir=self._base_dir)
        if replay.step(last - c.step) != last - c.step:  # pragma: no cover - the run got past it before
            return
        if self._next == _FIRST:
            self._trace, self._last_trace = replay._trace, replay._last_trace
        else:
            self._last_trace = replay._trace  # the update in progress is this trainer's own (resume replayed it)

    def step_back_phase(self) -> bool:
        """Undo the last phase, exactly: the state the run was in before it, its numbers (trace) included,
        through the timeline (the update's start restored and its phases replayed). False at the run's start."""
        state = self.state()
        n = len(self.phases())
        if state.phases_done > 1 or (state.phases_done == 1 and state.step == 0):
            self.restore_state(replace(state, phases_done=state.phases_done - 1))
            return True
        if state.step == 0:
            return False
        # back into update k (right after it: up to its last phase) or to its end (from the next's first
        # phase): update k is replayed from its start, so its numbers are on the trace again
        k = state.step
        keep = self._evals.rows(0)
        self.restore_step(k - 1)
        with np.errstate(all="ignore"):
            for _ in range(n - 1 if state.phases_done == 0 else n):
                self._step_phase()
        self._evals = Series(EVAL_COLUMNS)  # the evaluations as they were, up to where the run is now
        self._evals.extend(*(col[keep[0] <= self.step_count] for col in keep))
        return True

    def restore_step(self, k: int) -> None:
        """Go back to update k exactly: the timeline's nearest checkpoint at or before k, then the updates
        from there replayed. What came after k is forgotten (the run branches here)."""
        k = int(k)
        if not 0 <= k <= self.step_count:
            raise FfvizError(f"update {k} is not in this run (0 to {self.step_count})")
        c = self.timeline.checkpoint_before(k)
        if c is None:
            raise FfvizError(f"update {k} is older than the run's oldest checkpoint ({self.timeline.first_step})")
        steps = self._evals.column("step")
        keep = slice(int(np.searchsorted(steps, c.step, side="right")), int(np.searchsorted(steps, k, side="right")))
        between = [self._evals.column(name)[keep].copy() for name in EVAL_COLUMNS]
        self.restore_state(c)
        replayed = self.step(k - c.step)
        if replayed != k - c.step:  # cannot happen for a run that reached k before; say so if it does
            raise FfvizError(f"replaying updates {c.step}–{k} diverged at {self.step_count}")
        self._evals.extend(*between)
        self.record_evaluation()
        self._retrace()

    def _retrace(self, timeline=None) -> None:
        """Restored to a checkpoint at update k, the run has k's weights but not the numbers of update k (its
        trace: the gradients the diagram colours edges by, the chain-rule factors): work them out again by
        replaying update k from the checkpoint before it, so the run shows k as a run stopped at k does."""
        k = self.step_count
        if self._trace is not None or k == 0 or self._next != _FIRST:
            return
        c = (timeline or self.timeline).checkpoint_before(k - 1)
        if c is None or k - c.step > TRACE_REPLAY:
            return
        replay = Trainer.resume(c, self.run_id, base_dir=self._base_dir)
        if replay.step(k - c.step) == k - c.step:
            self._trace, self._last_trace = replay._trace, replay._last_trace

    def snapshot_at(self, k: int, plane_resolution: int | None = None) -> Snapshot:
        """The snapshot of this run as it was after update k, exactly (a copy restored from the timeline's
        nearest checkpoint and the updates from there replayed, update k's numbers included; the history and
        trajectory up to k), while this run stays where it is: the rewind timeline shows the past without
        losing the future. The snapshot carries the run's newest update (rewound_from) and its whole history
        (future), and a serial of this run's, so views take it as the newest picture."""
        k = int(k)
        copy_ = self.copy_at(k)
        snap = copy_.snapshot(plane_resolution)
        shown_ = self.timeline.display()
        i = int(np.searchsorted(shown_.steps, k, side="right"))
        self._serial += 1
        first = self.timeline.first_step
        return replace(snap, serial=self._serial, trajectory=Trajectory(shown_.steps[:i], shown_.params[:i]),
                       first_step=first if first is not None else k, rewound_from=self.step_count,
                       future=self.history())

    def copy_at(self, k: int) -> "Trainer":
        """A copy of this run as it was after update k, exactly (its history, layer norms and slice up to k;
        update k's numbers on its trace; its timeline from the checkpoint it was restored from): what
        snapshot_at shows, and what an animation of "the next updates" goes on from while k is shown."""
        k = int(k)
        if not 0 <= k <= self.step_count:
            raise FfvizError(f"update {k} is not in this run (0 to {self.step_count})")
        c = self.timeline.checkpoint_before(k)
        if c is None:
            raise FfvizError(f"update {k} is older than the run's oldest checkpoint ({self.timeline.first_step})")
        copy_ = Trainer.resume(c, self.run_id, base_dir=self._base_dir)
        if copy_.step(k - c.step) != k - c.step:  # cannot happen for a run that reached k before
            raise FfvizError(f"replaying updates {c.step}–{k} diverged at {copy_.step_count}")
        steps = self._updates.column("step")
        n = int(np.searchsorted(steps, k, side="left"))  # the batch losses of updates 1…k (recorded at 0…k−1)
        copy_._updates = Series(("step", "batch_loss"))
        copy_._updates.extend(*(col[:n] for col in self._updates.rows(0)))
        copy_._batch_curve = Envelope()
        copy_._batch_curve.rebuild(copy_._updates.column("step"), copy_._updates.column("batch_loss"))
        keep = int(np.searchsorted(self._evals.column("step"), k, side="right"))
        copy_._evals = Series(EVAL_COLUMNS)
        copy_._evals.extend(*(col[:keep] for col in self._evals.rows(0)))
        copy_.record_evaluation()
        norms = copy.deepcopy(self._norms)  # the layer norms of updates 1…k, as the run recorded them
        norms.truncate(k)
        copy_._norms = norms
        copy_._retrace(self.timeline)
        copy_.plane_slice = self.plane_slice
        copy_._ckpt = copy_._checkpoint()
        return copy_

    def absorb(self, progress: Progress) -> None:
        """Take in what a copy of this run did in the training process (Progress): the same run, here. The
        copy had this trainer's config and data (commands take the run back before changing them)."""
        s = progress.state
        self._set_params(s.params)
        self.optimizer.load_state(s.optimizer)
        self.learning_rate, self.step_count, self.samples_seen = s.learning_rate, s.step, s.samples_seen
        if s.epoch_state is None:
            self._perm = None
        elif s.epoch_state != self._epoch_state or self._perm is None:  # a new epoch: its order, drawn again
            self._shuffle_rng.bit_generator.state = s.epoch_state
            self._perm = readonly(self._draw_order(self.dataset.x_train.shape[0]))
        self._rng_state, self._epoch_state, self._cursor = s.shuffle_state, s.epoch_state, s.cursor
        self._shuffle_rng.bit_generator.state = s.shuffle_state
        for tr in (progress.trace, progress.previous_trace):
            if tr is not None and tr.indices is None:  # a full batch: the training set itself was not sent
                tr.x, tr.y = self.dataset.x_train, self.dataset.y_train
                tr.a[0] = tr.x
        if progress.trace is not None:
            self._trace = progress.trace
            self._last_trace = progress.previous_trace
        self._next = _FIRST
        self._updates.extend(*progress.updates)
        self._batch_curve = progress.batch_curve
        self._evals.extend(*progress.evals)
        self.timeline.extend(*progress.records)
        for state in progress.checkpoints:
            self.timeline.offer(replace(state, config=self.config, dataset=self.dataset))
        self.diverged = progress.diverged
        if self.diverged is not None:  # where to go back to, from the whole run's history (the copy had part)
            self.diverged = replace(self.diverged, restore_step=self.recovery_step())
        self._ckpt = self._checkpoint()
        self._plane = progress.plane
        if progress.norms is not None:
            self._norms = progress.norms

    @property
    def batch_curve(self) -> Envelope:
        return self._batch_curve

    @property
    def norm_history(self) -> NormHistory:
        return self._norms

    def adopt_norms(self, norms: NormHistory) -> None:
        """Take a saved or sent history of layer norms as this run's (rows after its update are dropped)."""
        if norms.n_layers != self.n_layers:
            raise FfvizError(f"the layer norms are of {norms.n_layers} layers, the network has {self.n_layers}")
        norms.truncate(self.step_count)
        self._norms = norms

    def progress(self, marks: dict, plane_resolution: int | None = None) -> Progress:
        """What this trainer did since `marks` (updated in place), for the window's trainer to absorb. Its
        config and data are left out: the window's trainer has them."""
        steps, params, states = self.timeline.take()
        u0, e0 = marks.get("updates", 0), marks.get("evals", 0)
        marks["updates"], marks["evals"] = self._updates.n, self._evals.n
        plane = None
        if plane_resolution and has_plane(self.dataset):
            from ffviz.engine.plane import evaluate_plane
            plane = evaluate_plane(self, plane_resolution)
        trace = self._trace
        complete = trace is None or all(g is not None for g in trace.grad_kernels)
        traces = [trace, None if complete else self._last_trace]
        for i, tr in enumerate(traces):
            if tr is not None and tr.indices is None:
                tr = traces[i] = copy.copy(tr)
                tr.a = [None] + tr.a[1:]
                tr.x = tr.y = None
        light = [replace(st, config=None, dataset=None) for st in [self.state()] + states]
        return Progress(light[0], traces[0], traces[1], self._updates.rows(u0), self._evals.rows(e0),
                        self._batch_curve, (steps, params), light[1:], self.diverged, plane, self._norms)

    # ------------------------------------------------------------------ reading

    def predict(self, x: np.ndarray, kernels=None, biases=None) -> list[np.ndarray]:
        """Activations of every layer for inputs x (a[0] = x), with the current or the given parameters."""
        with np.errstate(all="ignore"):  # a diverged run is reported by its loss, not by warnings
            return self.net.activations_of(x, self.kernels if kernels is None else kernels,
                                           self.biases if biases is None else biases)

    def loss_on(self, x: np.ndarray, y: np.ndarray, kernels=None, biases=None) -> float:
        """J on (x, y) without regularization: the empirical loss the history shows."""
        return self.net.loss_on(x, y, self.kernels if kernels is None else kernels,
                                self.biases if biases is None else biases)

    def accuracy(self, yhat: np.ndarray, y: np.ndarray) -> float:
        """Share of samples classified right: argmax for several classes, ŷ ≥ 0.5 for one output."""
        if y.shape[0] == 0 or self.dataset.task == "regression":
            return math.nan
        if y.shape[1] > 1:
            return float(np.mean(np.argmax(yhat, axis=1) == np.argmax(y, axis=1)))
        return float(np.mean((yhat[:, 0] >= 0.5) == (y[:, 0] >= 0.5)))

    def evaluate(self) -> Evaluation:
        """Loss and accuracy of the current weights on the train and test sets (one forward pass each)."""
        ds = self.dataset
        out = []
        for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
            if x.shape[0] == 0:
                out += [math.nan, math.nan]
                continue
            with np.errstate(all="ignore"):
                z, yhat = self.net.output(x, self.kernels, self.biases)
                out += [self.net.mean_loss(y, z, yhat), self.accuracy(yhat, y)]
        return Evaluation(out[0], out[2], out[1], out[3])

    def record_evaluation(self, force: bool = False) -> Evaluation | None:
        """Evaluate and append to the history, unless this step is already recorded (or `force`)."""
        if not force and self._evals.n and self._evals.last("step") == self.step_count:
            return None
        ev = self.evaluate()
        if force and self._evals.n and self._evals.last("step") == self.step_count:
            self._evals.truncate(self._evals.n - 1)  # a hand edit replaces this step's evaluation
        self._evals.append(self.step_count, ev.train_loss, ev.test_loss, ev.train_accuracy, ev.test_accuracy,
                           self.learning_rate)
        if self.diverged is None and self.step_count > 0 and not math.isfinite(ev.train_loss):
            self._diverge()  # the last update made the weights unusable
        return ev

    def history(self) -> History:
        u, e = self._updates, self._evals
        return History(u.column("step"), u.column("batch_loss"), *self._batch_curve.arrays(),
                       e.column("step"), e.column("train_loss"), e.column("test_loss"),
                       e.column("train_accuracy"), e.column("test_accuracy"), e.column("learning_rate"))

    @property
    def trace(self) -> TraceView | None:
        """What the current (or, between updates, the last) update computed."""
        return None if self._trace is None else self._freeze(self._trace)

    def _freeze(self, tr: _Trace) -> TraceView:
        n_layers = self.n_layers
        g_prime = []
        for i in range(n_layers):
            z, a = tr.z[i], tr.a[i + 1]
            g_prime.append(None if z is None else readonly(self.activations[i].der(z, a)))
        old = (None, None) if tr.old is None else tuple(map(tuple, self.layout.views(tr.old)))
        new = (None, None) if tr.new is None else tuple(map(tuple, self.layout.views(tr.new)))
        dj = tr.grad_a[-1]
        if dj is None and tr.loss is not None and not self.perceptron:
            dj = self.net.output_grad(tr.y, tr.a[-1])  # shown even when the fused path skips it
        return TraceView(
            step=tr.step, last_phase=tr.last_phase, batch_indices=tr.indices, x=tr.x, y=tr.y,
            z=readonly_tuple(tr.z), a=readonly_tuple(tr.a), g_prime=tuple(g_prime),
            per_sample_loss=readonly(tr.per_sample_loss), loss=tr.loss, reg_loss=tr.reg_loss,
            dJ_dyhat=readonly(dj), delta=readonly_tuple(tr.delta), grad_kernels=readonly_tuple(tr.grad_kernels),
            grad_biases=readonly_tuple(tr.grad_biases),
            old_kernels=old[0], old_biases=old[1], new_kernels=new[0], new_biases=new[1],
            learning_rate=tr.lr, fused=self.fused, perceptron=self.perceptron)

    def latest_gradients(self) -> tuple[tuple, tuple]:
        """∂J/∂kernel and ∂J/∂bias per layer: from the update in progress where computed, else the last one
        (the gradient the last update applied: of its batch, at the weights before it)."""
        ks, bs = [], []
        for i in range(self.n_layers):
            src = self._trace if self._trace is not None and self._trace.grad_kernels[i] is not None \
                else self._last_trace
            ks.append(None if src is None else src.grad_kernels[i])
            bs.append(None if src is None else src.grad_biases[i])
        return readonly_tuple(ks), readonly_tuple(bs)

    def grad_norms(self, grad_kernels=None) -> tuple[float, ...]:
        """‖∂J/∂kernel‖ (Frobenius) per layer: the vanishing-gradient view's numbers."""
        ks = self.latest_gradients()[0] if grad_kernels is None else grad_kernels
        return tuple(math.nan if k is None else float(np.linalg.norm(k)) for k in ks)

    def last_update(self) -> tuple[tuple, tuple]:
        """The change the last completed update applied to each kernel and bias."""
        tr = self._trace if self._trace is not None and self._trace.new is not None else self._last_trace
        n = self.n_layers
        if tr is None or tr.new is None:
            return (None,) * n, (None,) * n
        dk, db = self.layout.views(readonly(tr.new - tr.old))
        return tuple(dk), tuple(db)

    def snapshot(self, plane_resolution: int | None = None) -> Snapshot:
        """An immutable picture of the run now; with a plane of the given resolution for 2-D inputs."""
        self._serial += 1
        ev = self._evals
        gk, gb = self.latest_gradients()
        uk, ub = self.last_update()
        plane, self._plane = self._plane, None
        if plane is None and plane_resolution and has_plane(self.dataset):
            from ffviz.engine.plane import evaluate_plane
            plane = evaluate_plane(self, plane_resolution)
        timeline = self.timeline
        return Snapshot(
            serial=self._serial, run_id=self.run_id, step=self.step_count, epoch=self.epoch,
            config=self.config, dataset=self.dataset,
            activations=tuple(a.name for a in self.activations),
            kernels=tuple(self.kernels), biases=tuple(self.biases), grad_kernels=gk, grad_biases=gb,
            update_kernels=uk, update_biases=ub, grad_norms=self.grad_norms(gk), trace=self.trace,
            next_phase=self._next, learning_rate=self.learning_rate,
            train_loss=ev.last("train_loss"), test_loss=ev.last("test_loss"),
            train_accuracy=ev.last("train_accuracy"), test_accuracy=ev.last("test_accuracy"),
            history=self.history(), diverged=self.diverged, plane=plane,
            state=self.state(), trajectory=timeline.display(),
            first_step=timeline.first_step if timeline.first_step is not None else self.step_count,
            norms=self._norms.view())

    def chain_rule(self, layer: int, kind: str, index, partial: bool = False):
        """Chain-rule factors of one weight's gradient in the current (or last) update; see engine.chain
        (`partial`: the factors computed so far, of an update whose backward pass is under way)."""
        from ffviz.engine.chain import chain_rule
        self.layout.index(layer, kind, index)  # a clear error for a weight this network does not have
        tr = self.trace
        if tr is None:
            raise FfvizError("no update has been computed yet: step through a forward and backward pass first")
        kernels = tr.old_kernels if tr.old_kernels is not None else tuple(self.kernels)
        reg = self.config.regularization
        return chain_rule(tr, kernels, self.activations, layer, kind, index, (reg.kind, reg.rate), partial)
