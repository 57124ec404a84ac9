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
    values: np.ndarray  # one value per sample of the batch


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

    @property
    def gradient(self) -> float:
        return self.data_gradient + self.regularization


def _weight_name(layer: int, i: int, j: int) -> str:
    return f"w({layer})[{i},{j}]"


def chain_rule(trace: TraceView, kernels, activations, layer: int, kind: str, index,
               regularization=("none", 0.0)) -> ChainRule:
    """Factors of ∂J/∂(kernel[i, j] or bias[j]) of `layer` (1-based), from a trace whose backward pass
    has reached that layer. `kernels` are the weights the trace's forward pass used."""
    n_layers = len(trace.z)
    if not 1 <= layer <= n_layers:
        raise FfvizError(f"there is no layer {layer}; layers run from 1 to {n_layers}")
    li = layer - 1
    if trace.delta[li] is None:
        raise FfvizError(f"the backward pass has not reached layer {layer} yet")
    index = tuple(int(v) for v in index)
    j = index[-1]
    near: list[Factor] = []  # built from the weight outwards, reversed at the end
    if kind == "kernel":
        i = index[0]
        near.append(Factor("∂Σ/∂w", "input", f"∂Σ/∂{_weight_name(layer, i, j)} = a{layer - 1}[{i}]"
                           + (f" = x{i + 1}" if layer == 1 else ""), trace.a[li][:, i]))
    else:
        near.append(Factor("∂Σ/∂b", "input", f"∂Σ/∂b({layer})[{j}] = 1", np.ones(trace.n)))
    expanded = False
    m, u = li, j  # the unit whose output we follow
    while True:
        is_output = m == n_layers - 1
        act = activations[m]
        if is_output and (trace.fused or not act.elementwise):
            label = ("(ŷ − y)/n: the perceptron rule's error" if trace.perceptron
                     else "(ŷ − y)/n: loss and activation combined" if trace.fused
                     else "through the softmax Jacobian")
            near.append(Factor("∂J/∂Σ", "loss+activation", f"∂J/∂Σ{m + 1}[{u}] = {label}", trace.delta[m][:, u]))
            expanded = True
            break
        near.append(Factor("∂a/∂Σ" if not is_output else "∂ŷ/∂Σ", "activation",
                           f"g'(Σ) of layer {m + 1}, unit {u} ({act.name})", trace.g_prime[m][:, u]))
        if is_output:
            near.append(Factor("∂J/∂ŷ", "loss", f"∂J/∂ŷ[{u}] (loss)", trace.dJ_dyhat[:, u]))
            expanded = True
            break
        nxt = m + 1
        if kernels[nxt].shape[1] == 1 and activations[nxt].elementwise:
            w = kernels[nxt][u, 0]
            near.append(Factor("∂Σ/∂a", "weight", f"∂Σ{nxt + 1}/∂a{m + 1}[{u}] = {_weight_name(nxt + 1, u, 0)}",
                               np.full(trace.n, float(w))))
            m, u = nxt, 0
            continue
        # Fan-out: the paths through layer nxt are summed by backpropagation into ∂J/∂a.
        grad_a = trace.delta[nxt] @ np.asarray(kernels[nxt]).T
        near.append(Factor("∂J/∂a", "backpropagated",
                           f"∂J/∂a{m + 1}[{u}] = Σ over layer {nxt + 1}'s units of δ·w", grad_a[:, u]))
        break
    factors = tuple(reversed(near))
    terms = np.prod(np.stack([f.values for f in factors]), axis=0)
    reg_kind, rate = regularization
    reg = 0.0
    if kind == "kernel" and not trace.perceptron:
        g = regularization_grad(reg_kind, rate, np.asarray(kernels[li][index]))
        reg = 0.0 if g is None else float(g)
    return ChainRule(layer, kind, index, factors, readonly(terms), float(np.sum(terms)), reg, expanded)
