"""The one forward and backward pass of a feed-forward network, written the way the lecture writes it.

Layer k (1 = the first layer after the input), for a batch of samples in rows:

    forward    z_k = a_{k-1} · kernel_k + bias_k        (Σ on the slides)
               a_k = g_k(z_k)                             (a_0 = x, a_N = ŷ)
    loss       J = 1/n Σ_samples L(y, ŷ)
    backward   δ_N = ∂J/∂z_N = ∂J/∂ŷ ⊙ g'_N(z_N)          or (ŷ − y)/n where loss and activation fuse
               δ_k = ∂J/∂a_k ⊙ g'_k(z_k),   ∂J/∂a_k = δ_{k+1} · kernel_{k+1}ᵀ
               ∂J/∂kernel_k = a_{k-1}ᵀ · δ_k,   ∂J/∂bias_k = Σ_samples δ_k

Training (engine/trainer.py, phase by phase), evaluation, the input plane (engine/plane.py) and loss surfaces
(engine/surface.py) all go through this module. Every function here also takes a leading batch of weight
settings: kernels of shape (G, fan_in, units) and biases (G, units) give z of shape (G, n, units), so a surface of
G grid points is one pass, not G.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ffviz.engine.activations import Activation, get_activation
from ffviz.engine.losses import Loss, get_loss, regularization_penalty
from ffviz.engine.params import ParamLayout


@dataclass(frozen=True)
class Network:
    """The functions of a network (activations, loss, how the output gradient is formed) and where its
    parameters sit in the flat vector. Holds no parameters: every pass is given them."""

    layout: ParamLayout
    activations: tuple[Activation, ...]
    loss: Loss
    fused: bool  # δ_N = (ŷ − y)/n: sigmoid + binary CE, softmax + CE, and the perceptron rule
    perceptron: bool

    @classmethod
    def of(cls, config) -> "Network":
        """The network a RunConfig describes."""
        loss = get_loss(config.loss)
        perceptron = config.optimizer.name == "perceptron"
        out = config.layers[-1].activation
        layout = ParamLayout(config.layer_sizes, tuple(l.use_bias for l in config.layers),
                             tuple(l.train_bias for l in config.layers))
        return cls(layout, tuple(get_activation(l.activation) for l in config.layers), loss,
                   perceptron or (config.fused_output_gradient and loss.fuses_with(out)), perceptron)

    @property
    def n_layers(self) -> int:
        return len(self.activations)

    @cached_property
    def _loss_from_logits(self):
        # The fused pairs compute L from z_N (log-sum-exp, softplus): stable where log(ŷ) would underflow.
        if self.fused and not self.perceptron:
            return self.loss.value_from_logits[self.activations[-1].name]
        return None

    # ------------------------------------------------------------------ forward

    def layer(self, i: int, a_prev: np.ndarray, kernel: np.ndarray, bias) -> tuple[np.ndarray, np.ndarray]:
        """(z, a) of layer i (0-based) from the previous layer's activations: z = a_prev · kernel + bias."""
        z = a_prev @ kernel
        if bias is not None:
            # z is a fresh array from the product: adding in place mutates nothing shared
            z += bias if bias.ndim == 1 else bias[..., None, :]
        return z, self.activations[i].fn(z)

    def layers(self, x: np.ndarray, kernels, biases):
        """(z, a) of every layer in turn for inputs x; nothing is stored."""
        a = x
        for i, (kernel, bias) in enumerate(zip(kernels, biases)):
            z, a = self.layer(i, a, kernel, bias)
            yield z, a

    def activations_of(self, x: np.ndarray, kernels, biases) -> list[np.ndarray]:
        """[x, a_1, …, ŷ]: every layer's activations for inputs x."""
        return [x] + [a for _, a in self.layers(x, kernels, biases)]

    def output(self, x: np.ndarray, kernels, biases) -> tuple[np.ndarray, np.ndarray]:
        """(z_N, ŷ) for inputs x: one forward pass."""
        out = (x, x)
        for out in self.layers(x, kernels, biases):
            pass
        return out

    # ------------------------------------------------------------------ loss

    def per_sample_loss(self, y: np.ndarray, z_out: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        """L(y, ŷ) for every sample (the last axis holds the outputs)."""
        from_logits = self._loss_from_logits
        return from_logits(y, z_out) if from_logits is not None else self.loss.value(y, yhat)

    def mean_loss(self, y: np.ndarray, z_out: np.ndarray, yhat: np.ndarray):
        """J = the mean of L over the samples (axis −1 after the per-sample loss): a float, or one per
        weight setting for a batched pass."""
        per = self.per_sample_loss(y, z_out, yhat)
        if per.ndim == 1:
            n = per.shape[0]
            return float(np.add.reduce(per)) / n if n else math.nan  # np.mean costs 3x more on small arrays
        return per.mean(axis=-1)

    def loss_on(self, x: np.ndarray, y: np.ndarray, kernels, biases):
        """J on (x, y), without regularization: the empirical loss the history shows."""
        if x.shape[0] == 0:
            return math.nan
        with np.errstate(all="ignore"):  # a diverged run is reported by its loss, not by warnings
            return self.mean_loss(y, *self.output(x, kernels, biases))

    def penalty(self, regularization, kernels) -> float:
        """λ·Σ|w| or λ·½Σw² over the kernels (0 without regularization)."""
        if regularization.kind == "none" or not regularization.rate:
            return 0.0
        return regularization_penalty(regularization.kind, regularization.rate, kernels)

    # ------------------------------------------------------------------ backward

    def output_grad(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        """∂J/∂ŷ = (1/n) ∂L/∂ŷ per sample."""
        return self.loss.grad(y, yhat) / y.shape[-2]

    def output_delta(self, y: np.ndarray, z_out: np.ndarray, yhat: np.ndarray, grad_yhat) -> np.ndarray:
        """δ_N = ∂J/∂z_N: (ŷ − y)/n for the fused pairs (no g' needed), else ∂J/∂ŷ through the activation."""
        if self.fused:
            delta = np.subtract(yhat, y)
            delta /= y.shape[-2]
            return delta
        return self.activations[-1].backward(z_out, yhat, grad_yhat)

    def delta(self, i: int, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """δ_i = ∂J/∂z_i from ∂J/∂a_i of a hidden layer: ∂J/∂a ⊙ g'(z)."""
        return self.activations[i].backward(z, a, grad_a)

    def gradient(self, x: np.ndarray, y: np.ndarray, params: np.ndarray, regularization=None):
        """(J, ∂J/∂params) at `params` on (x, y), J without the penalty, the gradient with it: one forward
        and one backward pass, nothing stored. The tangent at the current point (not the last batch's)."""
        from ffviz.engine.losses import regularization_grad
        kernels, biases = self.layout.views(params)
        grad = np.zeros(self.layout.size)
        grad_k, grad_b = self.layout.views(grad)
        with np.errstate(all="ignore"):
            acts = [x]
            zs = []
            for z, a in self.layers(x, kernels, biases):
                zs.append(z)
                acts.append(a)
            loss = self.mean_loss(y, zs[-1], acts[-1])
            grad_a = None if self.fused else self.output_grad(y, acts[-1])
            for i in range(self.n_layers - 1, -1, -1):
                if i == self.n_layers - 1:
                    d = self.output_delta(y, zs[i], acts[i + 1], grad_a)
                else:
                    d = self.delta(i, zs[i], acts[i + 1], grad_a)
                np.matmul(acts[i].T, d, out=grad_k[i])
                if regularization is not None and not self.perceptron:
                    g = regularization_grad(regularization.kind, regularization.rate, kernels[i])
                    if g is not None:
                        grad_k[i] += g
                if grad_b[i] is not None and self.layout.train_bias[i]:
                    grad_b[i][:] = d.sum(axis=0)
                if i > 0:
                    grad_a = d @ kernels[i].T
        return loss, grad

    # ------------------------------------------------------------------ many weight settings at once

    def batched_views(self, params: np.ndarray) -> tuple[list[np.ndarray], list]:
        """Kernels (G, fan_in, units) and biases (G, units) of G flat parameter vectors (G, size)."""
        g = params.shape[0]
        ks, bs, _ = self.layout._slices
        kernels = [params[:, s].reshape(g, fi, u) for s, fi, u in zip(ks, self.layout.sizes, self.layout.sizes[1:])]
        biases = [None if s is None else params[:, s] for s in bs]
        return kernels, biases

    def losses_at(self, x: np.ndarray, y: np.ndarray, params: np.ndarray) -> np.ndarray:
        """J on (x, y) at each of G parameter vectors (G, size): one batched forward pass, shape (G,)."""
        kernels, biases = self.batched_views(np.asarray(params, dtype=float))
        if x.shape[0] == 0:
            return np.full(params.shape[0], math.nan)
        with np.errstate(all="ignore"):
            return np.asarray(self.mean_loss(y, *self.output(x, kernels, biases)), dtype=float)
