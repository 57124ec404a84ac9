"""Backpropagation against central finite differences, for every activation × loss × bias combination."""

import itertools

import numpy as np
import pytest

from ffviz.engine import ACTIVATIONS, LOSSES, Trainer, from_dict

HIDDEN = list(ACTIVATIONS)
HIDDEN.remove("softmax")  # softmax is an output activation only
OUTPUTS = {  # the output activations each loss accepts (the others are refused by validation)
    "half_squared_error": list(ACTIVATIONS),
    "binary_crossentropy": ["sigmoid", "softmax"],
    "softmax_crossentropy": ["softmax", "sigmoid"],
}


def _targets(loss, rng, n, k):
    if loss == "half_squared_error":
        return rng.normal(size=(n, k))
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, size=(n, k)).astype(float)
    return np.eye(k)[rng.integers(0, k, size=n)]


def _trainer(hidden, out, loss, bias, *, fused=True, reg=("none", 0.0), seed=0, n=6, widths=(3, 4, 3)):
    rng = np.random.default_rng(seed)
    k = widths[-1] if out == "softmax" or loss != "binary_crossentropy" else 1
    if out == "softmax":
        k = max(k, 2)
    x = rng.normal(size=(n, widths[0]))
    y = _targets(loss, rng, n, k)
    layers = [{"units": widths[0]}]
    for units in widths[1:-1]:
        layers.append({"units": units, "activation": hidden, "use_bias": bias})
    layers.append({"units": k, "activation": out, "use_bias": bias})
    spec = {"layers": layers, "loss": loss, "seed": seed, "fused_output_gradient": fused,
            "init": {"name": "normal", "sigma": 0.8, "bias": 0.1},
            "regularization": {"kind": reg[0], "rate": reg[1]},
            "optimizer": {"name": "sgd", "learning_rate": 0.1},
            "data": {"x": x.tolist(), "y": y.tolist(), "task": "regression"}}
    return Trainer(from_dict(spec))


def _backprop(tr: Trainer):
    """Run forward, loss and backward phases (not the update) and return the gradients."""
    for _ in range(2 * tr.n_layers + 1):
        tr.step_phase()
    assert tr.next_phase.kind == "update"
    t = tr.trace
    return list(t.grad_kernels), list(t.grad_biases)


def _objective(tr: Trainer, kernels, biases) -> float:
    from ffviz.engine.losses import regularization_penalty
    ds = tr.dataset
    reg = tr.config.regularization
    return tr.loss_on(ds.x_train, ds.y_train, kernels, biases) + regularization_penalty(reg.kind, reg.rate, kernels)


def _numeric(tr: Trainer, h=1e-6):
    kernels = [np.array(k) for k in tr.kernels]
    biases = [None if b is None else np.array(b) for b in tr.biases]
    out_k, out_b = [], []
    for group, out in ((kernels, out_k), (biases, out_b)):
        for arr in group:
            if arr is None:
                out.append(None)
                continue
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + h
                plus = _objective(tr, kernels, biases)
                arr[idx] = old - h
                minus = _objective(tr, kernels, biases)
                arr[idx] = old
                g[idx] = (plus - minus) / (2 * h)
            out.append(g)
    return out_k, out_b


def _rel_err(a, b):
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale < 1e-12 else float(np.linalg.norm(a - b) / scale)


def _far_from_kinks(tr: Trainer, margin=1e-4) -> bool:
    """Step and ReLU have kinks at z = 0 where finite differences are meaningless; avoid such draws."""
    for act, z in zip(tr.activations, tr.trace.z):
        if act.name in ("step", "relu", "leaky_relu") and np.min(np.abs(z)) < margin:
            return False
    return True


def _check(tr: Trainer, tol=1e-6):
    gk, gb = _backprop(tr)
    assert _far_from_kinks(tr)
    nk, nb = _numeric(tr)
    for layer, (a, b) in enumerate(zip(gk, nk), start=1):
        assert _rel_err(a, b) < tol, f"kernel of layer {layer}: {a} vs {b}"
    for layer, (a, b) in enumerate(zip(gb, nb), start=1):
        if b is None:
            assert a is None
        else:
            assert _rel_err(a, b) < tol, f"bias of layer {layer}: {a} vs {b}"
    return gk, nk


CASES = [(h, o, loss, bias) for loss, outs in OUTPUTS.items()
         for h, o in itertools.product(HIDDEN, outs) for bias in (True, False)]


@pytest.mark.parametrize("hidden,out,loss,bias", CASES)
def test_backprop_matches_finite_differences(hidden, out, loss, bias):
    _check(_trainer(hidden, out, loss, bias))


@pytest.mark.parametrize("loss,out", [("binary_crossentropy", "sigmoid"), ("softmax_crossentropy", "softmax")])
@pytest.mark.parametrize("fused", [True, False])
def test_fused_and_full_jacobian_paths_agree_with_finite_differences(loss, out, fused):
    tr = _trainer("tanh", out, loss, True, fused=fused)
    assert tr.fused is fused
    _check(tr)


def test_softmax_backward_equals_explicit_jacobian_product():
    act = ACTIVATIONS["softmax"]
    rng = np.random.default_rng(3)
    z = rng.normal(size=(5, 4))
    a = act.fn(z)
    g = rng.normal(size=(5, 4))
    jac = act.jacobian(z, a)
    assert np.allclose(jac.sum(axis=1), 0.0)  # the probabilities sum to one whatever z does
    np.testing.assert_allclose(act.backward(z, a, g), np.einsum("nij,ni->nj", jac, g), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_regularized_gradients_match_finite_differences(kind, hidden):
    _check(_trainer(hidden, "sigmoid", "binary_crossentropy", True, reg=(kind, 0.05)))


def test_deeper_network_gradients():
    tr = _trainer("tanh", "linear", "half_squared_error", True, widths=(2, 5, 4, 3, 2), seed=4)
    _check(tr)


def test_step_activation_has_zero_gradient_below_it():
    """A step hidden layer blocks the gradient: why activations must be differentiable (the slide)."""
    gk, nk = _check(_trainer("step", "sigmoid", "binary_crossentropy", True))
    assert np.all(gk[0] == 0) and np.linalg.norm(gk[-1]) > 0


def test_every_loss_and_activation_is_covered():
    assert {c[2] for c in CASES} == set(LOSSES)
    assert {c[0] for c in CASES} | {c[1] for c in CASES} == set(ACTIVATIONS)
