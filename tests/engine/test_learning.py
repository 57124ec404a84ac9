"""What the lecture claims, checked on the engine: the perceptron, XOR, MLPs and vanishing gradients."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset


def _train(name, steps, **changes):
    tr = Trainer(load_preset(name))
    tr.step(steps)
    return tr


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_perceptron_converges_on_separable_data(seed):
    from dataclasses import replace
    tr = Trainer(replace(load_preset("perceptron"), seed=seed))
    for _ in range(50):  # epochs
        tr.step(tr.dataset.x_train.shape[0])
        if tr.evaluate().train_accuracy == 1.0:
            break
    assert tr.evaluate().train_accuracy == 1.0
    # Converged means the rule stops changing anything: one more epoch leaves the weights as they are.
    before = tr.params.copy()
    tr.step(tr.dataset.x_train.shape[0])
    np.testing.assert_array_equal(tr.params, before)


def test_perceptron_never_gets_xor_right():
    tr = Trainer(load_preset("perceptron-xor"))
    best = 0.0
    for _ in range(60):
        tr.step(tr.dataset.x_train.shape[0])
        best = max(best, tr.evaluate().train_accuracy)
    assert best < 1.0
    assert best <= 0.8  # no line gets more than three of XOR's four corners right


def test_perceptron_rule_is_rosenblatts():
    """w ← w + η (y − ŷ) x for one sample."""
    tr = Trainer(load_preset("perceptron"))
    w0, b0 = tr.kernels[0].copy(), tr.biases[0].copy()
    for _ in range(4):
        tr.step_phase()
    t = tr.trace
    x, y, yhat = t.x[0], t.y[0, 0], t.a[1][0, 0]
    np.testing.assert_allclose(tr.kernels[0][:, 0], w0[:, 0] + 0.1 * (y - yhat) * x, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tr.biases[0], b0 + 0.1 * (y - yhat), rtol=0, atol=1e-15)


def test_two_hidden_units_solve_xor():
    tr = _train("xor-2", 3000)
    assert tr.config.layers[0].units == 2
    assert tr.evaluate().train_accuracy == 1.0
    np.testing.assert_array_equal((tr.predict(np.array([[0., 0], [0, 1], [1, 0], [1, 1]]))[-1][:, 0] >= 0.5),
                                  [False, True, True, False])


def test_xor_preset_mlp_solves_playground_xor():
    assert _train("xor", 3000).evaluate().test_accuracy > 0.95


def test_default_preset_learns_visibly():
    tr = Trainer(load_preset("circle"))
    start = tr.evaluate()
    tr.step(1500)
    end = tr.evaluate()
    assert end.train_loss < 0.5 * start.train_loss and end.test_accuracy > 0.9


def test_deep_sigmoid_gradients_vanish_and_relu_twin_does_not():
    sig = Trainer(load_preset("deep-sigmoid"))
    sig.step(1)
    norms = sig.grad_norms()
    assert len(norms) == 7
    assert norms[0] < 1e-3 * norms[-1]  # three orders of magnitude and more
    assert all(a < b for a, b in zip(norms, norms[1:]))  # shrinking layer after layer towards the input
    relu = Trainer(load_preset("deep-relu"))
    relu.step(1)
    rn = relu.grad_norms()
    assert rn[0] > 1e-2 * rn[-1]


@pytest.mark.parametrize("name", ["softmax", "spiral", "regression", "deep-relu"])
def test_other_presets_learn(name):
    tr = Trainer(load_preset(name))
    start = tr.evaluate().train_loss
    tr.step(1000)
    assert tr.diverged is None
    assert tr.evaluate().train_loss < 0.5 * start
