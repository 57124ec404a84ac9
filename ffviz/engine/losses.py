"""Losses L(y, ŷ) per sample with ∂L/∂ŷ, and the fused output gradients; J is their mean over samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ffviz.errors import FfvizError, short_repr

EPS = 1e-12  # logs are clipped to [EPS, 1 - EPS]: a confident wrong answer costs ≈ 27.6, never inf


@dataclass(frozen=True)
class Loss:
    """One loss: per-sample value, its derivative, and fused ∂L/∂z for output activations that allow it."""

    name: str
    label: str
    formula: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # activation name -> per-sample loss computed from the logits z (stable: log-sum-exp / softplus)
    value_from_logits: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = field(default_factory=dict)
    # output activations whose range suits this loss (None: any)
    output_activations: tuple[str, ...] | None = None
    classification: bool = True

    def fuses_with(self, activation: str) -> bool:
        """Whether ∂L/∂z = ŷ − y for this output activation (sigmoid+BCE, softmax+CE)."""
        return activation in self.value_from_logits


def _half_sq(y, yhat):
    d = y - yhat
    d *= d
    per = np.add.reduce(d, axis=-1)  # Σ over outputs; the ufunc's own reduce skips .sum()'s Python wrapper
    per *= 0.5
    return per


def _half_sq_grad(y, yhat):
    return yhat - y


def _clip(yhat):
    return np.clip(yhat, EPS, 1.0 - EPS)


def _bce(y, yhat):
    p = _clip(yhat)
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p), axis=-1)


def _bce_grad(y, yhat):
    p = _clip(yhat)
    g = (p - y) / (p * (1.0 - p))
    return np.where(p == yhat, g, 0.0)  # the derivative of the clipped loss we report: 0 where the clip holds


def _bce_logits(y, z):
    # log σ(z) = -softplus(-z), log(1 - σ(z)) = -softplus(z)
    return np.sum(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z), axis=-1)


def _cce(y, yhat):
    return -np.sum(y * np.log(_clip(yhat)), axis=-1)


def _cce_grad(y, yhat):
    p = _clip(yhat)
    return np.where(p == yhat, -y / p, 0.0)


def _cce_logits(y, z):
    zmax = np.max(z, axis=-1, keepdims=True)
    log_softmax = z - zmax - np.log(np.sum(np.exp(z - zmax), axis=-1, keepdims=True))
    return -np.sum(y * log_softmax, axis=-1)


_ALL = [
    Loss("half_squared_error", "½ squared error", "L = ½ Σ_outputs (y − ŷ)²", _half_sq, _half_sq_grad,
         classification=False),
    Loss("binary_crossentropy", "Binary cross-entropy", "L = −Σ_outputs [y log ŷ + (1 − y) log(1 − ŷ)]",
         _bce, _bce_grad, {"sigmoid": _bce_logits}, ("sigmoid", "softmax")),
    Loss("softmax_crossentropy", "Softmax cross-entropy", "L = −Σ_classes y log ŷ",
         _cce, _cce_grad, {"softmax": _cce_logits}, ("softmax", "sigmoid")),
]

LOSSES: dict[str, Loss] = {loss.name: loss for loss in _ALL}
ALIASES = {"mse": "half_squared_error", "squared_error": "half_squared_error", "bce": "binary_crossentropy",
           "crossentropy": "softmax_crossentropy", "categorical_crossentropy": "softmax_crossentropy"}


def get_loss(name: str) -> Loss:
    """Look a loss up by name (or a common alias)."""
    try:
        return LOSSES[ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise FfvizError(f"unknown loss {short_repr(name)}; choose one of: {', '.join(LOSSES)}") from None


REGULARIZATIONS = ("none", "l1", "l2")


def regularization_penalty(kind: str, rate: float, kernels) -> float:
    """λ·Σ|w| (L1) or λ·½Σw² (L2) over kernels; biases are not regularized."""
    if kind == "l2":
        return rate * 0.5 * sum(float(np.sum(k * k)) for k in kernels)
    if kind == "l1":
        return rate * sum(float(np.sum(np.abs(k))) for k in kernels)
    return 0.0


def regularization_grad(kind: str, rate: float, kernel: np.ndarray):
    """∂(penalty)/∂kernel, or None when there is no penalty (sign(0) = 0 for L1)."""
    if kind == "l2" and rate:
        return rate * kernel
    if kind == "l1" and rate:
        return rate * np.sign(kernel)
    return None
