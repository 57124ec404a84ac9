"""Initial kernels and biases: N(0, σ²) (the lecture's), Xavier/Glorot, He, zeros, or explicit values."""

from __future__ import annotations

import numpy as np

from ffviz.engine.config import RunConfig


def kernel_sigma(name: str, sigma: float, fan_in: int, fan_out: int) -> float:
    """The standard deviation each scheme draws kernels from."""
    if name == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if name == "he":
        return float(np.sqrt(2.0 / fan_in))
    if name == "zeros":
        return 0.0
    return float(sigma)


def initial_parameters(cfg: RunConfig, rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Kernels (inputs × units) and biases for every layer; explicit values in the config win over the scheme."""
    kernels: list[np.ndarray] = []
    biases: list[np.ndarray | None] = []
    fan_in = cfg.input_units
    for layer in cfg.layers:
        # Draw even when explicit values are given, so one layer's explicit kernel does not shift the others' draws.
        sd = kernel_sigma(cfg.init.name, cfg.init.sigma, fan_in, layer.units)
        drawn = rng.normal(0.0, 1.0, size=(fan_in, layer.units)) * sd
        kernel = np.array(layer.kernel, dtype=float) if layer.kernel is not None else drawn
        kernels.append(kernel)
        if layer.use_bias:
            bias = (np.array(layer.bias, dtype=float) if layer.bias is not None
                    else np.full(layer.units, float(cfg.init.bias)))
            biases.append(bias)
        else:
            biases.append(None)
        fan_in = layer.units
    return kernels, biases
