"""The chain rule for one weight, as the lecture writes it: ∂J/∂w = ∂J/∂ŷ · ∂ŷ/∂Σ · ∂Σ/∂w, and longer.

The chain is expanded from the weight towards the output as long as each next layer has one unit (a single
path); where the network fans out, the sum over paths is one factor, ∂J/∂a, which backpropagation computed.
Either way the product of the factors (summed over the batch's samples) equals the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffviz.engine.losses import regularization_grad
from ffviz.engine.snapshot import TraceView, readonly
from ffviz.errors import FfvizError


@dataclass(frozen=True)
class Factor:
    symbol: str  # as on the slide: "∂J/∂ŷ", "∂ŷ/∂Σ", "∂Σ/∂w"
    role: str  # "loss" | "activation" | "weight" | "input" | "backpropagated" | "loss+activation"
    description: str
    values: np.ndarray | None  # one value per sample of the batch; None: not computed yet (a partial chain)
    layer: int = 0  # the layer whose backward pass brings it (the output layer + 1: the loss phase)


@dataclass(frozen=True)
class ChainPath:
    """One path from the weight to an output unit: its units (layer, unit) from the weight's unit on, the
    factors along it (from the loss down to the weight, as the slides read) and their product per sample."""

    units: tuple
    factors: tuple[Factor, ...]
    terms: np.ndarray


@dataclass(frozen=True)
class ChainRule:
    layer: int  # 1-based
    kind: str  # "kernel" | "bias"
    index: tuple
    factors: tuple[Factor, ...]  # from the loss down to the weight, as the slides read
    terms: np.ndarray  # product of the factors per sample
    data_gradient: float  # Σ over samples of the terms
    regularization: float  # the penalty's share of the gradient
    expanded: bool  # True when the chain runs all the way to the loss (no fan-out on the way)
    paths: tuple[ChainPath, ...] = ()  # every path to the outputs, when there are at most MAX_PATHS
    path_count: int = 1  # how many paths lead from the weight to the outputs

    @property
    def gradient(self) -> float:
        return self.data_gradient + self.regularization


MAX_PATHS = 64  # more paths than this are shown summed (∂J/∂a, as backpropagation sums them)


def _weight_name(layer: int, i: int, j: int) -> str:
    return f"kernel{layer}[{i},{j}]"


def _col(values, u):
    return None if values is None else values[:, u]


def chain_rule(trace: TraceView, kernels, activations, layer: int, kind: str, index,
               regularization=("none", 0.0), partial: bool = False) -> ChainRule:
    """Factors of ∂J/∂(kernel[i, j] or bias[j]) of `layer` (1-based), from a trace whose backward pass
    has reached that layer. `kernels` are the weights the trace's forward pass used. `partial`: from a trace
    of an update in progress, its forward pass done: factors not computed yet have no values (and the
    products are NaN)."""
    n_layers = len(trace.z)
    if not 1 <= layer <= n_layers:
        raise FfvizError(f"there is no layer {layer}; layers run from 1 to {n_layers}")
    li = layer - 1
    if trace.delta[li] is None and not (partial and trace.z[-1] is not None):
        raise FfvizError(f"the backward pass has not reached layer {layer} yet")
    index = tuple(int(v) for v in index)
    j = index[-1]
    near: list[Factor] = []  # built from the weight outwards, reversed at the end
    if kind == "kernel":
        i = index[0]
        near.append(Factor("∂Σ/∂w", "input", f"∂Σ/∂{_weight_name(layer, i, j)} = a{layer - 1}[{i}]"
                           + (f" = x{i + 1}" if layer == 1 else ""), trace.a[li][:, i], layer))
    else:
        near.append(Factor("∂Σ/∂b", "input", f"∂Σ/∂b({layer})[{j}] = 1", np.ones(trace.n), layer))
    expanded = False
    m, u = li, j  # the unit whose output we follow
    while True:
        is_output = m == n_layers - 1
        act = activations[m]
        if is_output and (trace.fused or not act.elementwise):
            label = ("(ŷ − y)/n: the perceptron rule's error" if trace.perceptron
                     else "(ŷ − y)/n: loss and activation combined" if trace.fused
                     else "through the softmax Jacobian")
            near.append(Factor("∂J/∂Σ", "loss+activation", f"∂J/∂Σ{m + 1}[{u}] = {label}",
                               _col(trace.delta[m], u), m + 1))
            expanded = True
            break
        near.append(Factor("∂a/∂Σ" if not is_output else "∂ŷ/∂Σ", "activation",
                           f"g'(Σ) of layer {m + 1}, unit {u + 1} ({act.name})", trace.g_prime[m][:, u], m + 1))
        if is_output:
            near.append(Factor("∂J/∂ŷ", "loss", f"the loss's slope at output {u + 1}", _col(trace.dJ_dyhat, u),
                               n_layers + 1))
            expanded = True
            break
        nxt = m + 1
        if kernels[nxt].shape[1] == 1 and activations[nxt].elementwise:
            w = kernels[nxt][u, 0]
            near.append(Factor("∂Σ/∂a", "weight", f"∂Σ{nxt + 1}/∂a{m + 1}[{u}] = {_weight_name(nxt + 1, u, 0)}",
                               np.full(trace.n, float(w)), nxt + 1))
            m, u = nxt, 0
            continue
        # Fan-out: the paths through layer nxt are summed by backpropagation into ∂J/∂a.
        grad_a = None if trace.delta[nxt] is None else trace.delta[nxt] @ np.asarray(kernels[nxt]).T
        near.append(Factor("∂J/∂a", "backpropagated",
                           f"∂J/∂a{m + 1}[{u}] = Σ over layer {nxt + 1}'s units of δ·w", _col(grad_a, u), nxt + 1))
        break
    factors = tuple(reversed(near))
    terms = _product(factors, trace.n)
    count = _path_count(trace, li)
    paths = () if expanded or count > MAX_PATHS else _paths(trace, kernels, activations, layer, kind, index)
    reg_kind, rate = regularization
    reg = 0.0
    if kind == "kernel" and not trace.perceptron:
        g = regularization_grad(reg_kind, rate, np.asarray(kernels[li][index]))
        reg = 0.0 if g is None else float(g)
    if expanded:
        units = ((layer, j),) + tuple((m + 1, 0) for m in range(li + 1, n_layers))  # single units onward
        paths = (ChainPath(units, factors, readonly(terms)),)
    return ChainRule(layer, kind, index, factors, readonly(terms), float(np.sum(terms)), reg, expanded, paths,
                     count)


def _product(factors, n: int) -> np.ndarray:
    """The factors' product per sample; NaN while one of them is not computed yet."""
    if any(f.values is None for f in factors):
        return np.full(n, np.nan)
    return np.prod(np.stack([f.values for f in factors]), axis=0)


def _path_count(trace: TraceView, li: int) -> int:
    """Paths from a unit of layer li+1 to the outputs: the product of the widths of the layers after it."""
    count = 1
    for z in trace.z[li + 1:]:
        count *= z.shape[1] if z is not None else 1
    return count


def _paths(trace: TraceView, kernels, activations, layer: int, kind: str, index) -> tuple:
    """Every path from the weight's unit to the outputs, each with its factors (loss first) and product."""
    n_layers = len(trace.z)
    li, j = layer - 1, index[-1]
    if kind == "kernel":
        first = Factor("∂Σ/∂w", "input", f"∂Σ/∂{_weight_name(layer, index[0], j)} = a{layer - 1}[{index[0]}]"
                       + (f" = x{index[0] + 1}" if layer == 1 else ""), trace.a[li][:, index[0]], layer)
    else:
        first = Factor("∂Σ/∂b", "input", f"∂Σ/∂b({layer})[{j}] = 1", np.ones(trace.n), layer)
    out = []

    def walk(m: int, u: int, near: list, units: list) -> None:
        act = activations[m]
        if m == n_layers - 1:
            if trace.fused or not act.elementwise:
                label = ("(ŷ − y)/n: the perceptron rule's error" if trace.perceptron
                         else "(ŷ − y)/n: loss and activation combined" if trace.fused
                         else "through the softmax Jacobian")
                tail = [Factor("∂J/∂Σ", "loss+activation", f"∂J/∂Σ{m + 1}[{u}] = {label}",
                               _col(trace.delta[m], u), m + 1)]
            else:
                tail = [Factor("∂ŷ/∂Σ", "activation", f"g'(Σ) of layer {m + 1}, unit {u + 1} ({act.name})",
                               trace.g_prime[m][:, u], m + 1),
                        Factor("∂J/∂ŷ", "loss", f"the loss's slope at output {u + 1}", _col(trace.dJ_dyhat, u),
                               n_layers + 1)]
            factors = tuple(reversed(near + tail))
            out.append(ChainPath(tuple(units), factors, readonly(_product(factors, trace.n))))
            return
        here = Factor("∂a/∂Σ", "activation", f"g'(Σ) of layer {m + 1}, unit {u + 1} ({act.name})",
                      trace.g_prime[m][:, u], m + 1)
        for v in range(kernels[m + 1].shape[1]):
            w = float(kernels[m + 1][u, v])
            step = Factor("∂Σ/∂a", "weight", f"∂Σ{m + 2}[{v}]/∂a{m + 1}[{u}] = {_weight_name(m + 2, u, v)}",
                          np.full(trace.n, w), m + 2)
            walk(m + 1, v, near + [here, step], units + [(m + 2, v)])

    walk(li, j, [first], [(layer, j)])
    return tuple(out)
