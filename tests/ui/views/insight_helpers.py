"""Shared pieces of the insight views' tests: answering a view's requests at once, on this thread, with the
engine (what ui/compute.py does off the GUI thread), and a deep sigmoid network's gradient written out in NumPy."""

import numpy as np

from ffviz.engine.requests import answer


class AnsweringRequester:
    """A Requester whose requests are answered at once by the engine, so a test sees the answer drawn."""

    def __init__(self, view):
        self.view = view
        self.latest = {}
        self.asked = []

    def ask(self, request) -> None:
        self.latest[request.channel] = request.key
        self.asked.append(request)
        self.view.show_answer(answer(request))

    def wanted(self, ans) -> bool:
        return self.latest.get(ans.request.channel) == ans.request.key

    def forget(self) -> None:
        self.latest.clear()


def sigmoid_bce_kernel_gradients(x, y, kernels, biases):
    """∂J/∂kernel per layer of a network of sigmoid layers with binary cross-entropy, J the batch mean: the
    backward pass written out here (δ_N = (ŷ − y)/n, δ_k = δ_{k+1}·W_{k+1}ᵀ ⊙ a_k(1 − a_k))."""
    acts = [np.asarray(x, dtype=float)]
    for k, b in zip(kernels, biases):
        acts.append(1.0 / (1.0 + np.exp(-(acts[-1] @ k + b))))
    delta = (acts[-1] - y) / x.shape[0]
    grads = [None] * len(kernels)
    for i in range(len(kernels) - 1, -1, -1):
        grads[i] = acts[i].T @ delta
        if i:
            delta = (delta @ np.asarray(kernels[i]).T) * acts[i] * (1 - acts[i])
    return grads
