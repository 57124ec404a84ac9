"""Chain-rule factors multiply to the gradient, for any weight of any network."""

import numpy as np
import pytest

from ffviz.engine import Trainer, from_dict, load_preset


def _finish_backward(tr):
    for _ in range(2 * tr.n_layers + 1):
        tr.step_phase()


@pytest.mark.parametrize("preset", ["circle", "deep-sigmoid", "softmax", "regression", "perceptron"])
def test_factors_multiply_to_the_gradient_for_every_weight(preset):
    tr = Trainer(load_preset(preset))
    _finish_backward(tr)
    t = tr.trace
    for layer in range(1, tr.n_layers + 1):
        gk = t.grad_kernels[layer - 1]
        for i, j in np.ndindex(gk.shape):
            chain = tr.chain_rule(layer, "kernel", (i, j))
            assert chain.gradient == pytest.approx(gk[i, j], rel=1e-10, abs=1e-15)
        if t.grad_biases[layer - 1] is not None:
            chain = tr.chain_rule(layer, "bias", (0,))
            assert chain.gradient == pytest.approx(t.grad_biases[layer - 1][0], rel=1e-10, abs=1e-15)


def test_a_chain_of_single_units_expands_all_the_way_to_the_loss():
    """The vanishing-gradient slide: ∂J/∂W1 = ∂J/∂ŷ · ∂ŷ/∂Σ_N · ∂Σ_N/∂a · … · ∂Σ_1/∂W1."""
    layers = [{"units": 1}] + [{"units": 1, "activation": "sigmoid", "use_bias": False} for _ in range(5)]
    cfg = from_dict({"layers": layers, "loss": "half_squared_error", "optimizer": {"name": "sgd"},
                     "init": {"name": "normal", "sigma": 1.0}, "data": {"x": [[0.5]], "y": [[0.1]]}})
    tr = Trainer(cfg)
    _finish_backward(tr)
    chain = tr.chain_rule(1, "kernel", (0, 0))
    assert chain.expanded
    roles = [f.role for f in chain.factors]
    assert roles == ["loss"] + ["activation", "weight"] * 4 + ["activation", "input"]
    sigmoid_factors = [f.values[0] for f in chain.factors if f.role == "activation"]
    assert all(0 < v <= 0.25 for v in sigmoid_factors)  # every σ' is a "zero-point-something"
    assert chain.gradient == pytest.approx(tr.trace.grad_kernels[0][0, 0], rel=1e-12)


def test_regularization_term_is_part_of_the_gradient():
    from dataclasses import replace
    from ffviz.engine.config import RegularizationSpec
    cfg = replace(load_preset("circle"), regularization=RegularizationSpec("l2", 0.1))
    tr = Trainer(cfg)
    _finish_backward(tr)
    chain = tr.chain_rule(1, "kernel", (0, 1))
    assert chain.regularization == pytest.approx(0.1 * tr.kernels[0][0, 1])
    assert chain.gradient == pytest.approx(tr.trace.grad_kernels[0][0, 1], rel=1e-10)


def test_asking_before_the_backward_pass_reaches_the_layer_is_a_clear_error():
    from ffviz.errors import FfvizError
    tr = Trainer(load_preset("circle"))
    for _ in range(5):  # forward ×3, loss, backward of layer 3
        tr.step_phase()
    tr.chain_rule(3, "kernel", (0, 0))
    with pytest.raises(FfvizError, match="not reached layer 1"):
        tr.chain_rule(1, "kernel", (0, 0))


def _deep():
    """Three hidden layers that fan out (3, 2, 2 units) before one output: 4 paths from a first-layer unit."""
    layers = [{"units": 2}, {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"},
              {"units": 2, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}]
    return from_dict({"layers": layers, "loss": "half_squared_error", "init": {"name": "normal", "sigma": 1.0},
                      "data": {"name": "circle", "samples": 12}, "seed": 5})


@pytest.mark.parametrize("layer", [1, 2, 3, 4])
def test_the_paths_of_every_weight_add_up_to_its_gradient(layer):
    tr = Trainer(_deep())
    _finish_backward(tr)
    gk = tr.trace.grad_kernels[layer - 1]
    for i, j in np.ndindex(gk.shape):
        chain = tr.chain_rule(layer, "kernel", (i, j))
        widths = [2, 2, 1][layer - 1:] if layer < 4 else []
        assert chain.path_count == int(np.prod(widths)) if widths else chain.path_count == 1
        assert len(chain.paths) == chain.path_count
        for path in chain.paths:  # each path's product is the product of its factors, sample by sample
            np.testing.assert_allclose(path.terms, np.prod([f.values for f in path.factors], axis=0), rtol=1e-12)
            assert path.factors[-1].role == "input" and path.factors[0].role == "loss"
            assert path.units[0] == (layer, j) and path.units[-1] == (4, 0)
        assert sum(float(p.terms.sum()) for p in chain.paths) == pytest.approx(gk[i, j], rel=1e-10, abs=1e-15)
        assert chain.gradient == pytest.approx(gk[i, j], rel=1e-10, abs=1e-15)


def test_too_many_paths_are_summed_not_listed():
    tr = Trainer(load_preset("deep-sigmoid"))  # 4 units a layer: 4⁵ paths from the first layer
    _finish_backward(tr)
    chain = tr.chain_rule(1, "kernel", (0, 0))
    assert chain.path_count == 4 ** 5 and chain.paths == ()
    assert chain.factors[0].role == "backpropagated"


def test_a_partial_chain_has_the_factors_computed_so_far():
    tr = Trainer(_deep())
    for _ in range(4):  # the forward pass
        tr.step_phase()
    chain = tr.chain_rule(1, "kernel", (0, 0), partial=True)
    assert [f.values is None for f in chain.factors].count(True) >= 1 and np.isnan(chain.data_gradient)
    tr.step_phase()  # the loss
    tr.step_phase()  # backward through layer 4
    chain = tr.chain_rule(1, "kernel", (0, 0), partial=True)
    assert all(p.factors[0].values is not None for p in chain.paths)  # ∂J/∂ŷ: known since the loss
    for _ in range(3):
        tr.step_phase()
    full = tr.chain_rule(1, "kernel", (0, 0))
    assert full.gradient == pytest.approx(tr.trace.grad_kernels[0][0, 0], rel=1e-10)
    assert {f.layer for f in full.factors} <= {1, 2, 3, 4, 5}
