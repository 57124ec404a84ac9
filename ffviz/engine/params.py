"""All of a network's parameters in one flat vector, and where each layer's kernel and bias sit in it.

One vector makes an update a few vector operations instead of a loop over layers, makes "is every weight
finite?" one sum, and gives the loss-surface views what they need: a point in weight space and
directions through it. Kernels and biases are read-only views into the vector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ffviz.errors import FfvizError

# kernel2[0,1], bias1[3]; spaces anywhere between the parts (`kernel1[0, 0]`, `bias 2 [ 1 ]`)
_NAME = re.compile(r"^\s*(kernel|bias)\s*([+-]?\d+)\s*\[\s*([+-]?\d+)\s*(?:,\s*([+-]?\d+)\s*)?\]\s*$")
_NAME_HELP = "parameters are named kernelL[i,j] (the weight from unit i below to unit j of layer L) or biasL[j]"


def _entry(index: tuple) -> str:
    return "[" + ",".join(str(v) for v in index) + "]"


@dataclass(frozen=True)
class ParamLayout:
    sizes: tuple[int, ...]  # input units, then each layer's units
    use_bias: tuple[bool, ...]
    train_bias: tuple[bool, ...]

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def kernel_slices(self) -> tuple[slice, ...]:
        return self._slices[0]

    @property
    def bias_slices(self) -> tuple[slice | None, ...]:
        return self._slices[1]

    @cached_property
    def _slices(self):
        # Layer by layer: kernel (fan_in × units, row-major) then bias (units), so one layer is contiguous.
        ks, bs, at = [], [], 0
        for fan_in, units, has_bias in zip(self.sizes, self.sizes[1:], self.use_bias):
            ks.append(slice(at, at + fan_in * units))
            at += fan_in * units
            if has_bias:
                bs.append(slice(at, at + units))
                at += units
            else:
                bs.append(None)
        return tuple(ks), tuple(bs), at

    @property
    def size(self) -> int:
        return self._slices[2]

    @cached_property
    def _kernel_shapes(self) -> tuple:
        return tuple(zip(self._slices[0], zip(self.sizes, self.sizes[1:])))

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Kernels (fan_in × units) and biases as views into `flat` (no copies)."""
        kernels = [flat[s].reshape(shape) for s, shape in self._kernel_shapes]
        biases = [None if s is None else flat[s] for s in self._slices[1]]
        return kernels, biases

    def pack(self, kernels, biases) -> np.ndarray:
        """Kernels and biases (lists) → a new flat vector."""
        flat = np.empty(self.size)
        ks, bs, _ = self._slices
        for s, k in zip(ks, kernels):
            flat[s] = np.asarray(k, dtype=float).ravel()
        for s, b in zip(bs, biases):
            if s is not None:
                flat[s] = b
        return flat

    def trainable(self) -> np.ndarray:
        """A 0/1 mask of the entries an update may change (frozen biases are 0)."""
        mask = np.ones(self.size)
        for s, train in zip(self.bias_slices, self.train_bias):
            if s is not None and not train:
                mask[s] = 0.0
        return mask

    def index(self, layer: int, kind: str, index) -> int:
        """Position in the flat vector of kernel[i, j] or bias[j] of `layer` (1-based)."""
        if not 1 <= layer <= self.n_layers:
            raise FfvizError(f"there is no layer {layer}; layers run from 1 to {self.n_layers}")
        fan_in, units = self.sizes[layer - 1], self.sizes[layer]
        index = tuple(int(v) for v in index)
        if kind == "kernel":
            if len(index) != 2 or not (0 <= index[0] < fan_in and 0 <= index[1] < units):
                raise FfvizError(f"layer {layer}'s kernel is {fan_in} × {units}; it has no entry {_entry(index)}")
            return self.kernel_slices[layer - 1].start + index[0] * units + index[1]
        if kind == "bias":
            s = self.bias_slices[layer - 1]
            if s is None:
                raise FfvizError(f"layer {layer} has no bias")
            if len(index) != 1 or not 0 <= index[0] < units:
                raise FfvizError(f"layer {layer}'s bias has {units} entr{'y' if units == 1 else 'ies'}; "
                                 f"it has no entry {_entry(index)}")
            return s.start + index[0]
        raise FfvizError(f"a parameter is a 'kernel' or 'bias' entry, not {kind!r}")

    def locate(self, position: int) -> tuple[int, str, tuple]:
        """The (layer, kind, index) of a flat position: the inverse of `index`."""
        for layer, (ks, bs) in enumerate(zip(self.kernel_slices, self.bias_slices), start=1):
            units = self.sizes[layer]
            if ks.start <= position < ks.stop:
                return layer, "kernel", divmod(position - ks.start, units)
            if bs is not None and bs.start <= position < bs.stop:
                return layer, "bias", (position - bs.start,)
        raise FfvizError(f"parameter {position} is out of range (0..{self.size - 1})")

    # ------------------------------------------------------------------ names

    def name(self, position: int) -> str:
        """The parameter's one name, used by every view and the command line: kernel1[0,0], bias2[1]."""
        layer, kind, index = self.locate(position)
        return f"{kind}{layer}{_entry(index)}"

    def position(self, name: str) -> int:
        """The flat position of a named parameter (the inverse of `name`); a bad name is one FfvizError line
        saying what this network has."""
        m = _NAME.match(name) if isinstance(name, str) else None
        if m is None:
            raise FfvizError(f"{name!r} is not a parameter name; {_NAME_HELP}")
        kind, layer = m.group(1), int(m.group(2))
        index = tuple(int(v) for v in m.group(3, 4) if v is not None)
        if kind == "kernel" and len(index) != 2:
            raise FfvizError(f"{name.strip()!r}: a kernel entry has two indices, kernel{layer}[i,j]")
        if kind == "bias" and len(index) != 1:
            raise FfvizError(f"{name.strip()!r}: a bias entry has one index, bias{layer}[j]")
        return self.index(layer, kind, index)

    def names(self) -> tuple[str, ...]:
        """Every parameter's name, in the flat vector's order."""
        return tuple(self.name(p) for p in range(self.size))
