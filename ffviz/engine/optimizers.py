"""Update rules on the flat parameter vector. Each returns a new vector (never mutating the old one, so
snapshots and checkpoints can share it) and keeps its state the same way."""

from __future__ import annotations

import numpy as np

from ffviz.engine.config import OptimizerSpec


class Optimizer:
    """W ← W − η·∂J/∂W, and the rules built on it: momentum, Nesterov, AdaGrad, RMSProp, Adam."""

    def __init__(self, spec: OptimizerSpec, mask: np.ndarray | None = None):
        self.spec = spec
        self.mask = mask  # 0 where a parameter is frozen (optimizer.train_only): its step is dropped
        self.t = 0
        self._m: np.ndarray | None = None  # velocity / first moment / accumulated squares
        self._v: np.ndarray | None = None  # second moment (Adam)

    def update(self, params: np.ndarray, grads: np.ndarray, lr: float) -> np.ndarray:
        """The new parameter vector after one step of the rule."""
        self.t += 1
        step = self._step(grads, lr)
        if self.mask is not None:
            # The step, not the gradient, is masked: frozen parameters stay bit for bit where they are under
            # every rule (a momentum built up before the freeze would otherwise move them on).
            step = step * self.mask
        return params + step

    def _step(self, g: np.ndarray, lr: float) -> np.ndarray:
        s = self.spec
        name, m = s.name, self._m
        if name in ("sgd", "perceptron"):
            return -lr * g
        if name in ("momentum", "nesterov"):
            v = -lr * g if m is None else s.momentum * m - lr * g
            self._m = v
            # Nesterov in the form Keras uses: look ahead along the new velocity.
            return v if name == "momentum" else s.momentum * v - lr * g
        if name == "adagrad":
            acc = g * g if m is None else m + g * g
            self._m = acc
            return -lr * g / (np.sqrt(acc) + s.epsilon)
        if name == "rmsprop":
            acc = (1 - s.rho) * g * g if m is None else s.rho * m + (1 - s.rho) * g * g
            self._m = acc
            return -lr * g / (np.sqrt(acc) + s.epsilon)
        if name == "adam":
            m1 = (1 - s.beta_1) * g if m is None else s.beta_1 * m + (1 - s.beta_1) * g
            v2 = (1 - s.beta_2) * g * g if self._v is None else s.beta_2 * self._v + (1 - s.beta_2) * g * g
            self._m, self._v = m1, v2
            m_hat = m1 / (1 - s.beta_1 ** self.t)
            v_hat = v2 / (1 - s.beta_2 ** self.t)
            return -lr * m_hat / (np.sqrt(v_hat) + s.epsilon)
        raise ValueError(f"unknown optimizer {name!r}")  # config validation makes this unreachable

    def state(self) -> tuple:
        """The state by reference (its arrays are never mutated), to restore later."""
        return (self.t, self._m, self._v)

    def load_state(self, state: tuple) -> None:
        self.t, self._m, self._v = state
