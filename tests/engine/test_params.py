"""The flat parameter vector: views, index and locate agree."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("preset", ["circle", "lecture", "spiral", "softmax"])
def test_every_parameter_has_one_name_that_leads_back_to_it(preset):
    lay = Trainer(load_preset(preset)).layout
    names = lay.names()
    assert len(set(names)) == lay.size
    for pos, name in enumerate(names):
        assert lay.position(name) == pos
        layer, kind, index = lay.locate(pos)
        assert name == f"{kind}{layer}[{','.join(map(str, index))}]"


def test_names_follow_keras_kernel_layout_and_the_lecture():
    tr = Trainer(load_preset("circle"))  # 2-4-2-1
    lay = tr.layout
    # kernel1[i,j]: from input unit i to unit j of layer 1, i.e. row i, column j of the first kernel
    assert tr.params[lay.position("kernel1[1,3]")] == tr.kernels[0][1, 3]
    assert tr.params[lay.position("bias2[1]")] == tr.biases[1][1]
    lecture = Trainer(load_preset("lecture"))
    w1, w2 = (lecture.params[lecture.layout.position(n)] for n in ("kernel1[0,0]", "kernel1[1,0]"))
    assert (w1, w2) == (0.35, 0.40)


def test_names_are_read_with_spaces():
    lay = Trainer(load_preset("circle")).layout
    assert lay.position("kernel1[0, 0]") == lay.position(" kernel1 [ 0 ,0 ] ") == 0
    assert lay.position("bias 3[0]") == lay.size - 1


@pytest.mark.parametrize("name,message", [
    ("kernel3[4,0]", "layer 3's kernel is 2 × 1; it has no entry [4,0]"),
    ("kernel5[0,0]", "there is no layer 5; layers run from 1 to 3"),
    ("kernel0[0,0]", "there is no layer 0; layers run from 1 to 3"),
    ("bias3[1]", "layer 3's bias has 1 entry; it has no entry [1]"),
    ("kernel1[-1,0]", "it has no entry [-1,0]"),
    ("kernel1[0]", "a kernel entry has two indices"),
    ("bias1[0,1]", "a bias entry has one index"),
    ("weight1[0,0]", "is not a parameter name; parameters are named kernelL[i,j]"),
    ("", "is not a parameter name"),
])
def test_a_bad_name_says_what_exists(name, message):
    lay = Trainer(load_preset("circle")).layout
    with pytest.raises(FfvizError, match=re.escape(message)):
        lay.position(name)


def test_a_layer_without_bias_says_so():
    with pytest.raises(FfvizError, match="layer 1 has no bias"):
        Trainer(load_preset("lecture")).layout.position("bias1[0]")


_NAMELIKE = st.from_regex(r"\s?(kernel|bias|weight)\s?-?[0-9]{1,2}\s?\[\s?-?[0-9]{1,2}\s?(,\s?-?[0-9]{1,2})?\]?", fullmatch=True)


@given(st.one_of(st.text(max_size=30), _NAMELIKE))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_position_or_one_clear_error(text):
    lay = _CIRCLE.layout
    try:
        pos = lay.position(text)
    except FfvizError as exc:
        assert "\n" not in str(exc)
    else:
        assert lay.position(lay.name(pos)) == pos


_CIRCLE = Trainer(load_preset("circle"))
