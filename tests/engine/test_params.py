"""The flat parameter vector: views, index and locate agree."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.errors import FfvizError


def test_views_share_memory_with_the_flat_vector_and_index_round_trips():
    tr = Trainer(load_preset("circle"))
    lay = tr.layout
    assert lay.size == sum(k.size for k in tr.kernels) + sum(b.size for b in tr.biases)
    for layer in range(1, tr.n_layers + 1):
        k = tr.kernels[layer - 1]
        assert np.shares_memory(k, tr.params)
        for i, j in np.ndindex(k.shape):
            pos = lay.index(layer, "kernel", (i, j))
            assert tr.params[pos] == k[i, j]
            assert lay.locate(pos) == (layer, "kernel", (i, j))
        for j in range(tr.biases[layer - 1].shape[0]):
            pos = lay.index(layer, "bias", (j,))
            assert tr.params[pos] == tr.biases[layer - 1][j] and lay.locate(pos) == (layer, "bias", (j,))


def test_bad_indices_are_clear_errors():
    lay = Trainer(load_preset("lecture")).layout
    for args in [(2, "kernel", (0, 0)), (1, "kernel", (2, 0)), (1, "bias", (0,)), (1, "weight", (0, 0))]:
        with pytest.raises(FfvizError):
            lay.index(*args)
