"""Activation functions, each travelling with its derivative, found by name in one registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ffviz.errors import FfvizError, short_repr

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """g(z) and g'(z); `der` gets both z and a = g(z) because most derivatives are cheaper from a."""

    name: str
    label: str
    formula: str
    derivative_formula: str
    fn: Callable[[np.ndarray], np.ndarray]
    der: Callable[[np.ndarray, np.ndarray], np.ndarray]
    output_range: tuple[float, float]
    elementwise: bool = True
    differentiable: bool = True

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.fn(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """∂J/∂z from ∂J/∂a: elementwise product, or the softmax Jacobian-vector product."""
        if self.elementwise:
            d = self.der(z, a)  # every der returns a fresh array, so it can take the product in place
            d *= grad_a
            return d
        # softmax: J = diag(a) - a aᵀ per sample, so J·g = a ⊙ (g - <g, a>)
        return a * (grad_a - np.sum(grad_a * a, axis=-1, keepdims=True))

    def jacobian(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """The full Jacobian ∂a/∂z per sample, shape (n, units, units)."""
        if self.elementwise:
            d = self.der(z, a)
            n, k = d.shape
            jac = np.zeros((n, k, k))
            idx = np.arange(k)
            jac[:, idx, idx] = d
            return jac
        return a[:, :, None] * np.eye(a.shape[1])[None] - a[:, :, None] * a[:, None, :]


def _sigmoid(z):
    # Clipping keeps exp from overflowing; σ(±500) is 0 or 1 to machine precision anyway.
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def _softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))  # shifting by the max is exact and cannot overflow
    return e / np.sum(e, axis=-1, keepdims=True)


def _tanh_der(z, a):
    d = a * a
    return np.subtract(1.0, d, out=d)  # 1 − a², reusing a² (one array made, not two)


def _one(z, a):
    return np.ones_like(z)


def _zero(z, a):
    return np.zeros_like(z)


_ALL = [
    Activation("step", "Step (perceptron)", "g(z) = 1 if z > 0 else 0", "g'(z) = 0 (undefined at 0)",
               lambda z: (z > 0).astype(float), _zero, (0.0, 1.0), differentiable=False),
    Activation("linear", "Linear", "g(z) = z", "g'(z) = 1",
               lambda z: z, _one, (-np.inf, np.inf)),
    Activation("sigmoid", "Sigmoid", "g(z) = 1 / (1 + e^(-z))", "g'(z) = g(z)(1 - g(z))",
               _sigmoid, lambda z, a: a * (1.0 - a), (0.0, 1.0)),
    Activation("tanh", "Tanh", "g(z) = (e^z - e^(-z)) / (e^z + e^(-z))", "g'(z) = 1 - g(z)^2",
               np.tanh, _tanh_der, (-1.0, 1.0)),
    Activation("relu", "ReLU", "g(z) = max(0, z)", "g'(z) = 1 if z > 0 else 0",
               lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float), (0.0, np.inf)),
    Activation("leaky_relu", "Leaky ReLU", f"g(z) = z if z > 0 else {LEAKY_SLOPE}·z",
               f"g'(z) = 1 if z > 0 else {LEAKY_SLOPE}",
               lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
               lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE), (-np.inf, np.inf)),
    Activation("softmax", "Softmax", "g(z)_j = e^(z_j) / Σ_k e^(z_k)",
               "∂g_j/∂z_k = g_j (δ_jk - g_k)  (diagonal shown: g_j (1 - g_j))",
               _softmax, lambda z, a: a * (1.0 - a), (0.0, 1.0), elementwise=False),
]

ACTIVATIONS: dict[str, Activation] = {act.name: act for act in _ALL}


def get_activation(name: str) -> Activation:
    """Look an activation up by name; unknown names get a message listing the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise FfvizError(f"unknown activation {short_repr(name)}; choose one of: {', '.join(ACTIVATIONS)}") from None
