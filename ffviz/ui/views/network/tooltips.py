"""What hovering over the diagram says: a weight's, a bias's or a neuron's values at full precision, from the
snapshot on screen (composed when Qt asks for a tooltip, not set on ~2000 items per frame)."""

from __future__ import annotations

import numpy as np

from ffviz.engine.activations import ACTIVATIONS
from ffviz.engine.datasets import FEATURES
from ffviz.ui import format as fmt

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def feature_label(name: str | None, i: int) -> str:
    """An input's label: X₁, sin(X₁), or a CSV column's name."""
    if name is not None and name in FEATURES:
        return FEATURES[name].label
    if name:
        return name
    return "X" + str(i + 1).translate(_SUBSCRIPTS)


def output_label(j: int, units: int) -> str:
    return "ŷ" if units == 1 else "ŷ" + str(j + 1).translate(_SUBSCRIPTS)


def _full(value) -> str:
    return fmt.number(value, fmt.FULL)


def neuron_name(features: tuple, layer: int, j: int) -> str:
    if layer == 0:
        return f"input {feature_label(features[j] if j < len(features) else None, j)}"
    return f"neuron {j + 1} of layer {layer}"


def tooltip(snap, features: tuple, has_bias: tuple, target) -> str:
    """The hover text of (layer, kind, index): "kernel" (i, j), "bias" (j,), or "neuron" (j,) (layer 0: input)."""
    layer, kind, index = target
    lines = []
    if kind == "kernel":
        i, j = index
        lines.append(f"Weight w — layer {layer}, kernel[{i}, {j}]")
        lines.append(f"from {neuron_name(features, layer - 1, i)} to {neuron_name(features, layer, j)}")
        lines += _parameter_lines(snap, layer, "kernel", (i, j), "w")
        return "\n".join(lines)
    j = index[0]
    if layer == 0:
        name = features[j] if j < len(features) else f"x{j + 1}"
        lines.append(f"Input {feature_label(name, j)} (feature {name})")
    else:
        act = snap.activations[layer - 1]
        act_label = ACTIVATIONS[act].label if act in ACTIVATIONS else act
        lines.append(f"Neuron {j + 1} of layer {layer} ({act_label})")
        if has_bias[layer - 1]:
            lines += _parameter_lines(snap, layer, "bias", (j,), "b")
        else:
            lines.append("no bias in this layer")
    tr = snap.trace
    if tr is not None and tr.n == 1:
        if layer == 0:
            lines.append(f"x = {_full(tr.a[0][0, j])}")
        else:
            z, a = tr.z[layer - 1], tr.a[layer]
            lines.append("z = " + ("not computed yet" if z is None else _full(z[0, j])))
            lines.append("a = " + ("not computed yet" if a is None else _full(a[0, j])))
    return "\n".join(lines)


def _parameter_lines(snap, layer, kind, index, symbol) -> list[str]:
    li = layer - 1
    value = (snap.kernels if kind == "kernel" else snap.biases)[li][index]
    grad = (snap.grad_kernels if kind == "kernel" else snap.grad_biases)[li]
    upd = (snap.update_kernels if kind == "kernel" else snap.update_biases)[li]
    lines = [f"{symbol} = {_full(value)}",
             f"∂J/∂{symbol} = " + ("not computed yet" if grad is None else _full(grad[index]))]
    if upd is None:
        lines.append("last update: none yet")
        return lines
    tr = snap.trace
    olds = news = None
    if tr is not None and tr.new_kernels is not None:
        olds = tr.old_kernels if kind == "kernel" else tr.old_biases
        news = tr.new_kernels if kind == "kernel" else tr.new_biases
    current = (snap.kernels if kind == "kernel" else snap.biases)[li]
    if news is not None and olds[li] is not None and np.array_equal(news[li], current, equal_nan=True):
        lines.append(f"last update: {_full(olds[li][index])} → {_full(news[li][index])}")
        lines.append(f"Δ{symbol} = {_full(upd[index])}")
    else:
        lines.append(f"last update: Δ{symbol} = {_full(upd[index])}")
    return lines
