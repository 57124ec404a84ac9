"""The memory budget: sizes each within their limits whose product is not are refused up front, in one line
that names the real culprit, before anything large is allocated."""

import tracemalloc

import pytest

from ffviz.engine import Trainer, from_dict
from ffviz.engine.budget import BUDGET_BYTES, MAX_LAYERS, check, format_bytes, shares
from ffviz.errors import FfvizError


def spec(hidden, samples=200, **extra):
    """A network file dict: 2 inputs, the given hidden widths, one sigmoid output."""
    layers = [{"units": 2}] + [{"units": u} for u in hidden] + [{"units": 1, "activation": "sigmoid"}]
    d = {"layers": layers, "data": {"name": "circle", "samples": samples, "test_fraction": 0}}
    d.update(extra)
    return d


def refusal(d) -> str:
    tracemalloc.start()
    try:
        with pytest.raises(FfvizError) as err:
            from_dict(d)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"refusing allocated {format_bytes(peak)}"  # nothing large was built first
    message = str(err.value)
    assert "\n" not in message and len(message) < 300
    return message


def test_a_wide_layer_on_a_million_samples_blames_the_batch_activations():
    message = refusal(spec([4096], samples=1_000_000))
    assert message.startswith("the activations of one batch (1,000,000 samples × 4,097 units) would need ")
    assert "GiB; ffviz's memory budget for a run is 2 GiB: use a smaller batch_size" in message


def test_the_same_layer_with_small_batches_still_has_to_evaluate_every_sample():
    message = refusal(spec([4096], samples=1_000_000, optimizer={"batch_size": 32}))
    assert message.startswith("evaluating the loss on all 1,000,000 samples (layers up to 4,096 units wide)")


def test_forty_wide_layers_blame_the_parameters():
    message = refusal(spec([4096] * 40))
    weights = (2 + 1) * 4096 + 39 * (4096 + 1) * 4096 + 4096 + 1  # kernels and biases, layer by layer
    assert message.startswith(f"the parameters ({weights:,} weights and biases, with their gradients) would need ")
    assert message.endswith("use fewer or narrower layers")


def test_a_million_layers_are_refused_before_they_are_built():
    layers = [{"units": 2}] + [{"units": 1}] * 1_000_000
    with pytest.raises(FfvizError) as err:
        from_dict({"layers": layers})
    assert str(err.value) == f"'layers' has 1,000,000 layers after the input; ffviz builds at most {MAX_LAYERS:,}"


def test_shares_each_within_the_budget_can_still_add_up_to_too_much():
    d = spec([2048, 2048], samples=6000, optimizer={"name": "adam"})
    parts = shares(from_dict(dict(d, data={"samples": 10})), 6000, 0, raw_columns=2)
    assert max(p.nbytes for p in parts) <= BUDGET_BYTES < sum(p.nbytes for p in parts)
    message = refusal(d)
    assert message.startswith("this run would need ") and " in all, the most for " in message


def test_a_large_run_within_the_budget_is_accepted():
    cfg = from_dict(spec([1024, 1024], samples=5000, optimizer={"batch_size": 64}))
    assert cfg.layer_sizes == (2, 1024, 1024, 1)


def test_the_estimate_is_not_below_what_a_run_really_holds():
    """The budget is only worth its name if a run stays near its estimate: measure one (NumPy's allocations
    are traced) and compare."""
    cfg = from_dict(spec([256, 256], samples=4000, optimizer={"name": "adam"}))
    estimate = sum(s.nbytes for s in shares(cfg, 4000, 0, raw_columns=2))
    tracemalloc.start()
    try:
        tr = Trainer(cfg)
        tr.step(3)
        tr.snapshot(plane_resolution=64)
        tr.step(3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.5 * peak < estimate < 3 * peak


def test_check_takes_the_rows_of_loaded_data():
    cfg = from_dict({"layers": [{"units": 2}, {"units": 4096}, {"units": 1, "activation": "sigmoid"}],
                     "data": {"csv": "rows.csv"}})  # a CSV's rows are unknown until it is read
    check(cfg, 1000, 0)
    with pytest.raises(FfvizError, match=r"one batch \(900,000 samples × 4,097 units\)"):
        check(cfg, 900_000, 100_000)


@pytest.mark.parametrize("n, text", [(512, "512 bytes"), (3277, "3.2 KiB"), (100 * 2**20, "100 MiB"),
                                     (31 * 2**30 + 2**29, "31.5 GiB"), (200 * 10**9, "186 GiB"),
                                     (10**40, "more than a million TiB")])
def test_sizes_read_as_a_person_reads_them(n, text):
    assert format_bytes(n) == text


# ---------------------------------------------------------------- σ, not the data, when the start overflows

@pytest.mark.parametrize("init, culprit", [({"name": "normal", "sigma": 1e200}, "init sigma 1e+200"),
                                           ({"name": "normal", "bias": -1e200}, "init bias -1e+200")])
def test_an_initialisation_that_overflows_is_blamed_not_the_data(init, culprit):
    d = spec([4], init=init)
    with pytest.raises(FfvizError) as err:
        Trainer(from_dict(d))
    message = str(err.value)
    assert message.startswith(f"{culprit} makes the weighted sums of layer 1 about 1e")
    assert "data" not in message


def test_many_linear_layers_multiply_sigma_up():
    d = spec([100] * 60, init={"name": "normal", "sigma": 1e3})
    for layer in d["layers"][1:-1]:
        layer["activation"] = "linear"
    with pytest.raises(FfvizError, match="init sigma 1000 makes the weighted sums of layer 38 about 1e151"):
        from_dict(d)
    for layer in d["layers"][1:-1]:
        layer["activation"] = "tanh"  # bounded: each layer starts again from outputs of size 1
    from_dict(d)


def test_ordinary_sigmas_pass():
    for sigma in (0.0, 0.5, 10.0, 1e3):
        from_dict(spec([8, 8], init={"name": "normal", "sigma": sigma}))
