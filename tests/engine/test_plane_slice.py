"""More than two inputs: the plane is a slice (two inputs on the axes, the others held), computed by the
engine's one forward pass; checked here against an independent NumPy forward pass."""

from pathlib import Path

import numpy as np
import pytest

from ffviz.engine import Trainer
from ffviz.engine.config import from_dict
from ffviz.engine.plane import PlaneSlice, has_slices
from ffviz.errors import FfvizError

IRIS = Path(__file__).resolve().parents[1] / "io" / "data" / "iris.csv"


def iris_run(test_fraction=0.0, steps=40):
    cfg = from_dict({"layers": [{"units": 4}, {"units": 5, "activation": "tanh"},
                                {"units": 3, "activation": "softmax"}],
                     "loss": "softmax_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.05},
                     "data": {"csv": str(IRIS), "test_fraction": test_fraction}})
    tr = Trainer(cfg)
    tr.step(steps)
    return tr


def raw_iris():
    return np.loadtxt(IRIS, delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))


def forward(rows, kernels, biases, mean, std):
    """The network by hand: z-scores, tanh, softmax."""
    a = (rows - mean) / std
    a = np.tanh(a @ kernels[0] + biases[0])
    z = a @ kernels[1] + biases[1]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return a, e / e.sum(axis=1, keepdims=True)


def test_the_slice_is_the_networks_prediction_with_the_held_values():
    tr = iris_run()
    assert has_slices(tr.dataset)
    tr.set_plane_slice(PlaneSlice(axes=(0, 2), held=((1, 3.2),)))  # sepal width held at 3.2; petal width: mean
    plane = tr.snapshot(plane_resolution=9).plane
    raw = raw_iris()  # no test split: the training set is every row, so the means are the file's
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    assert plane.axes == (0, 2)
    assert plane.held == ((1, 3.2), (3, pytest.approx(mean[3], rel=1e-12)))
    x1 = np.linspace(plane.extent[0], plane.extent[1], 9)
    x3 = np.linspace(plane.extent[2], plane.extent[3], 9)
    g1, g3 = np.meshgrid(x1, x3)
    rows = np.column_stack([g1.ravel(), np.full(81, 3.2), g3.ravel(), np.full(81, mean[3])])
    hidden, yhat = forward(rows, tr.kernels, tr.biases, mean, std)
    np.testing.assert_allclose(plane.output.reshape(81, 3), yhat, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(plane.layers[1].reshape(5, 81).T, hidden, rtol=1e-10, atol=1e-12)
    # the axes span the data on those two columns, and the points drawn are the data's
    assert plane.extent[0] < raw[:, 0].min() and plane.extent[1] > raw[:, 0].max()
    assert plane.extent[2] < raw[:, 2].min() and plane.extent[3] > raw[:, 2].max()
    np.testing.assert_allclose(np.sort(plane.train_xy, axis=0), np.sort(raw[:, [0, 2]], axis=0), rtol=1e-12)


def test_by_default_the_first_two_inputs_span_the_plane_and_the_rest_sit_at_their_training_means():
    tr = iris_run(test_fraction=0.2)
    plane = tr.snapshot(plane_resolution=5).plane
    train = tr.dataset.x_train * np.array(tr.dataset.standardization.std) + np.array(tr.dataset.standardization.mean)
    assert plane.axes == (0, 1)
    assert [c for c, _ in plane.held] == [2, 3]
    np.testing.assert_allclose([v for _, v in plane.held], train[:, 2:].mean(axis=0), rtol=1e-12)
    assert plane.names == ("sepal_length", "sepal_width", "petal_length", "petal_width")


@pytest.mark.parametrize("bad,message", [
    (PlaneSlice(axes=(0, 0)), "two different inputs"),
    (PlaneSlice(axes=(0, 7)), "two different inputs"),
    (PlaneSlice(held=((2, float("nan")),)), "finite number"),
    (PlaneSlice(held=((9, 1.0),)), "no input 10"),
])
def test_a_slice_that_does_not_fit_is_refused_and_changes_nothing(bad, message):
    tr = iris_run(steps=1)
    tr.set_plane_slice(PlaneSlice(axes=(1, 3)))
    with pytest.raises(FfvizError, match=message):
        tr.set_plane_slice(bad)
    assert tr.plane_slice == PlaneSlice(axes=(1, 3))


def test_rewinding_keeps_the_slice():
    tr = iris_run(steps=30)
    tr.set_plane_slice(PlaneSlice(axes=(2, 3), held=((0, 6.0),)))
    assert tr.snapshot_at(10, plane_resolution=4).plane.axes == (2, 3)


def test_the_iris_example_opens_and_its_plane_is_a_slice():
    from ffviz.io.weights import load_network_or_weights
    example = Path(__file__).resolve().parents[2] / "examples" / "iris.json"
    tr = Trainer(load_network_or_weights(example), base_dir=example.parent)  # its CSV sits beside it
    assert tr.dataset.n_inputs == 4 and tr.dataset.n_classes == 3
    np.testing.assert_array_equal(np.loadtxt(example.parent / "iris.csv", delimiter=",", skiprows=1,
                                             usecols=(0, 1, 2, 3)), raw_iris())  # the tests' copy
    assert tr.snapshot(plane_resolution=4).plane.axes == (0, 1)


def test_a_run_training_in_the_training_process_draws_the_chosen_slice():
    # Playing as fast as it goes, the run trains in another process, which makes the frames' planes: the slice
    # chosen in the window must be the one drawn there too (it drew the first two inputs at their means)
    import time
    from ffviz.engine.training_process import Runner
    runner = Runner(iris_run(steps=5))
    chosen = PlaneSlice(axes=(2, 3), held=((0, 7.0),))
    runner.trainer.set_plane_slice(chosen)
    deadline = time.perf_counter() + 30
    while not runner.send_away():
        assert time.perf_counter() < deadline, "the training process did not start"
        time.sleep(0.01)
    try:
        time.sleep(0.1)
        plane = runner.snapshot(9).plane
        assert plane.axes == (2, 3) and plane.held[0] == (0, 7.0)
        assert runner.away
        other = PlaneSlice(axes=(1, 0))
        runner.trainer.set_plane_slice(other)  # brought home to take the command, as the worker does
        assert runner.send_away()
        time.sleep(0.1)
        assert runner.snapshot(9).plane.axes == (1, 0)
    finally:
        runner.end()
