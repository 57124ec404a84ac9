"""What a run needs in memory, checked before anything large is allocated.

Each limit of a config (units per layer, samples) can hold while their product does not: a 4096-unit layer
on a million samples, forty layers of 4096 units. `check` adds up what a run keeps (float64 throughout) and
refuses one over BUDGET_BYTES, naming the biggest share with its sizes so the user knows what to shrink.
The shares are estimates of what the trainer holds at its peak, written out in docs/file-formats.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ffviz.engine.plane import has_plane
from ffviz.errors import FfvizError

if TYPE_CHECKING:
    from ffviz.engine.config import RunConfig

BUDGET_BYTES = 2 * 2**30
MAX_LAYERS = 1000  # layers after the input; the config's list is checked against it before anything is built
MAX_INPUT_UNITS = 1_000_000
PLANE_POINTS = 64 * 64  # the decision-boundary grid views ask for (the window draws 48 × 48)

_FLOAT = 8
# The parameters are held several times over: the current vector, the new one an update builds, the previous
# update's values (its phase views and step back), and two gradients: 5; each optimizer moment array twice
# (now, and in the checkpoint of the update before).
_PARAM_COPIES = 5
_OPTIMIZER_MOMENTS = {"sgd": 0, "perceptron": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1,
                      "adam": 2}
# Per sample and unit, an update keeps z, a, ∂J/∂a and δ, for the current and the previous update (views
# show both): 8 numbers.
_BATCH_COPIES = 8
# Evaluating the loss runs every training sample through the network a layer at a time: z and a of one layer
# with a of the one before.
_EVAL_COPIES = 3
_DATA_COPIES = 2  # the arrays kept, and a working copy while they are shuffled and split


@dataclass(frozen=True)
class Share:
    """One part of what a run needs: what it is (with its sizes), how many bytes, what makes it smaller."""

    what: str
    nbytes: int
    remedy: str


def format_bytes(n: int) -> str:
    """Bytes as a person reads them: 512 bytes, 3.2 KiB, 100 MiB, 31 GiB."""
    n = int(n)
    if n > 2**40 * 10**6:
        return "more than a million TiB"
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            value = n / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{n} bytes"


def parameter_count(cfg: RunConfig) -> int:
    """Kernels and biases: Σ fan_in · units (+ units where the layer has a bias)."""
    sizes = cfg.layer_sizes
    return sum(sizes[i] * layer.units + (layer.units if layer.use_bias else 0)
               for i, layer in enumerate(cfg.layers))


def shares(cfg: RunConfig, n_train: int | None, n_test: int | None, *, raw_columns: int | None = None,
           plane: bool = True) -> list[Share]:
    """What the run needs, share by share; the data's shares only when its size is known (n_train not None)."""
    sizes = cfg.layer_sizes
    units = sum(sizes[1:])
    p = parameter_count(cfg)
    moments = _OPTIMIZER_MOMENTS.get(cfg.optimizer.name, 2)
    out = [Share(f"the parameters ({p:,} weights and biases, with their gradients"
                 f"{' and the optimizer state' if moments else ''})",
                 _FLOAT * p * (_PARAM_COPIES + 2 * moments), "use fewer or narrower layers")]
    if plane:
        out.append(Share(f"the decision-boundary grid through every layer ({PLANE_POINTS:,} points × "
                         f"{units:,} units)", _FLOAT * PLANE_POINTS * units * 2, "use fewer or narrower layers"))
    if n_train is None:
        return out
    n_test = n_test or 0
    batch = n_train if cfg.optimizer.batch_size is None else min(cfg.optimizer.batch_size, n_train)
    out.append(Share(f"the activations of one batch ({batch:,} samples × {units:,} units)",
                     _FLOAT * batch * units * _BATCH_COPIES + _FLOAT * batch * sizes[0],
                     "use a smaller batch_size, fewer samples or narrower layers"))
    n_eval, widest = max(n_train, n_test), max(sizes)
    out.append(Share(f"evaluating the loss on all {n_eval:,} samples (layers up to {widest:,} units wide)",
                     _FLOAT * n_eval * widest * _EVAL_COPIES, "use fewer samples or narrower layers"))
    columns = sizes[0] + cfg.layers[-1].units + (raw_columns or 0)
    n = n_train + n_test
    out.append(Share(f"the data ({n:,} samples × {columns:,} columns)", _FLOAT * n * columns * _DATA_COPIES,
                     "use fewer samples"))
    return out


def check(cfg: RunConfig, n_train: int | None, n_test: int | None = 0, **kwargs) -> None:
    """Raise one FfvizError line if the run would need more than BUDGET_BYTES, naming the biggest share."""
    if len(cfg.layers) > MAX_LAYERS:
        raise FfvizError(f"the network has {len(cfg.layers):,} layers after the input; ffviz builds at most "
                         f"{MAX_LAYERS:,}")
    parts = shares(cfg, n_train, n_test, **kwargs)
    total = sum(s.nbytes for s in parts)
    if total <= BUDGET_BYTES:
        return
    worst = max(parts, key=lambda s: s.nbytes)
    budget = f"ffviz's memory budget for a run is {format_bytes(BUDGET_BYTES)}"
    if worst.nbytes > BUDGET_BYTES:
        raise FfvizError(f"{worst.what} would need {format_bytes(worst.nbytes)}; {budget}: {worst.remedy}")
    raise FfvizError(f"this run would need {format_bytes(total)} in all, the most for {worst.what} "
                     f"({format_bytes(worst.nbytes)}); {budget}: {worst.remedy}")


def check_dataset(cfg: RunConfig, dataset) -> None:
    """`check` with the sizes of data already loaded (a CSV file's rows are known only once it is read)."""
    raw = 0 if dataset.raw_train is None else dataset.raw_train.shape[1]
    check(cfg, int(dataset.x_train.shape[0]), int(dataset.x_test.shape[0]), raw_columns=raw,
          plane=has_plane(dataset))  # a slice of many inputs is a plane as well
