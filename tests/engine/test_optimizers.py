"""OPTIMIZER_PARAMS says which hyper-parameters each rule reads: the controls show exactly those, so it must
be true of optimizers.py — changing a listed one changes the updates, changing any other changes nothing."""

from dataclasses import replace

import numpy as np
import pytest

from ffviz.engine.config import OPTIMIZER_PARAMS, OPTIMIZERS, OptimizerSpec
from ffviz.engine.optimizers import Optimizer

HYPER = ("momentum", "rho", "beta_1", "beta_2", "epsilon")
CHANGED = {"momentum": 0.5, "rho": 0.5, "beta_1": 0.5, "beta_2": 0.5, "epsilon": 0.3}


def three_updates(spec: OptimizerSpec) -> np.ndarray:
    opt = Optimizer(spec)
    rng = np.random.default_rng(0)
    params = np.zeros(5)
    for _ in range(3):
        params = opt.update(params, rng.normal(size=5), 0.1)
    return params


def test_every_optimizer_is_listed():
    assert set(OPTIMIZER_PARAMS) == set(OPTIMIZERS)
    assert all(set(used) <= set(HYPER) for used in OPTIMIZER_PARAMS.values())


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("field", HYPER)
def test_listed_parameters_are_exactly_the_ones_read(name, field):
    base = OptimizerSpec(name=name)
    changed = three_updates(replace(base, **{field: CHANGED[field]}))
    if field in OPTIMIZER_PARAMS[name]:
        assert not np.allclose(changed, three_updates(base))
    else:
        assert np.array_equal(changed, three_updates(base))
