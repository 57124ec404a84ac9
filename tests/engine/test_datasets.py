"""Datasets: what a user sees in the data plot and the training numbers (seeds, shapes, splits, labels, errors)."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ffviz.engine.config import DataSpec
from ffviz.engine.datasets import DATASETS, FEATURES, apply_features, build_dataset
from ffviz.errors import FfvizError

GENERATED = [name for name, info in DATASETS.items() if not info.fixed]


def build(seed=0, **kw):
    return build_dataset(DataSpec(**kw), np.random.default_rng(seed))


def all_raw(ds):
    return np.vstack([ds.raw_train, ds.raw_test])


def all_y(ds):
    return np.vstack([ds.y_train, ds.y_test])


def arrays(ds):
    return [ds.x_train, ds.y_train, ds.x_test, ds.y_test, ds.raw_train, ds.raw_test]


# ---------------------------------------------------------------- reproducibility, shapes, splits

@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_gives_identical_arrays_and_another_seed_does_not(name):
    spec = dict(name=name, samples=120, noise=0.2, test_fraction=0.25)
    first, again, other = build(5, **spec), build(5, **spec), build(6, **spec)
    for a, b in zip(arrays(first), arrays(again)):
        np.testing.assert_array_equal(a, b)
    assert first.extent == again.extent
    assert not np.array_equal(first.raw_train, other.raw_train)


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_split_sizes_and_label_encoding(name):
    ds = build(1, name=name, samples=200, noise=0.1, test_fraction=0.3, classes=4)
    info = DATASETS[name]
    assert ds.name == name and ds.task == info.task
    assert (len(ds.x_train), len(ds.x_test)) == (140, 60)
    assert ds.x_train.shape == (140, 2) and ds.raw_train.shape == (140, 2) and ds.x_test.shape == (60, 2)
    assert ds.x_train.dtype == ds.y_train.dtype == np.float64
    assert ds.n_inputs == 2 and ds.feature_names == ("x1", "x2")
    y = all_y(ds)
    if ds.task == "binary":
        assert ds.n_classes == 2 and y.shape == (200, 1) and set(np.unique(y)) == {0.0, 1.0}
    elif ds.task == "multiclass":
        assert ds.n_classes == 4 and y.shape == (200, 4) and ds.n_outputs == 4
        assert np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()
        assert (y.sum(axis=0) == 50).all()  # every class gets its share
    else:
        assert ds.n_classes == 0 and y.shape == (200, 1)


@pytest.mark.parametrize("name", GENERATED)
def test_points_are_shuffled_so_the_test_set_holds_every_class(name):
    ds = build(2, name=name, samples=200, test_fraction=0.5)
    # Generators emit class after class: unshuffled, the test half would hold one class only.
    if ds.task == "binary":
        assert set(np.unique(ds.y_test)) == {0.0, 1.0}
    elif ds.task == "multiclass":
        assert (ds.y_test.max(axis=0) == 1).all()


@pytest.mark.parametrize("samples, fraction, n_test", [(10, 0.0, 0), (10, 0.25, 2), (7, 0.5, 4), (1, 0.9, 0),
                                                       (2, 0.9, 1)])
def test_test_split_is_rounded_and_keeps_a_training_point(samples, fraction, n_test):
    ds = build(0, name="circle", samples=samples, test_fraction=fraction)
    assert ds.x_test.shape == (n_test, 2) and ds.y_test.shape == (n_test, 1)
    assert len(ds.x_train) == samples - n_test >= 1


def test_arrays_are_read_only():
    ds = build(0, name="xor", samples=20)
    for arr in arrays(ds):
        with pytest.raises(ValueError):
            arr[0, 0] = 99.0


@pytest.mark.parametrize("name", list(DATASETS))
def test_extent_keeps_every_point_off_the_edge(name):
    for noise in (0.0, 0.5):
        ds = build(3, name=name, samples=300, noise=noise)
        x1min, x1max, x2min, x2max = ds.extent
        raw = all_raw(ds)
        assert (raw[:, 0] > x1min).all() and (raw[:, 0] < x1max).all()
        assert (raw[:, 1] > x2min).all() and (raw[:, 1] < x2max).all()


def test_playground_sets_draw_the_playground_plane_when_clean():
    for name in ("circle", "xor", "spiral"):
        assert build(4, name=name, samples=300).extent == (-6.0, 6.0, -6.0, 6.0)
    assert build(4, name="xor-corners", samples=40).extent == (-0.5, 1.5, -0.5, 1.5)


def test_combo_box_entries_are_one_line_with_a_known_task():
    for name, info in DATASETS.items():
        assert info.name == name and info.label and info.description
        assert "\n" not in info.description and info.task in ("binary", "multiclass", "regression")


# ---------------------------------------------------------------- what each dataset looks like

def test_circle_is_inner_disc_against_outer_ring_when_clean():
    ds = build(0, name="circle", samples=400)
    r = np.hypot(*all_raw(ds).T)
    inner = all_y(ds)[:, 0] == 1
    assert (r[inner] < 2.5).all() and (r[~inner] >= 3.5).all() and (r[~inner] <= 5).all()
    assert inner.sum() == 200


def test_noise_flips_some_circle_labels():
    ds = build(0, name="circle", samples=400, noise=0.5)
    r = np.hypot(*all_raw(ds).T)
    assert ((r < 2.5) != (all_y(ds)[:, 0] == 1)).sum() > 20


def test_xor_labels_quadrants_and_keeps_a_gap_from_the_axes():
    ds = build(0, name="xor", samples=400)
    raw = all_raw(ds)
    np.testing.assert_array_equal(all_y(ds)[:, 0], raw[:, 0] * raw[:, 1] > 0)
    assert (np.abs(raw) >= 0.3).all() and (np.abs(raw) <= 5.3).all()


def test_xor_corners_is_the_truth_table_repeated():
    ds = build(0, name="xor-corners", samples=8, test_fraction=0)
    rows = sorted(zip(map(tuple, ds.raw_train), ds.y_train[:, 0]))
    assert rows == [((0, 0), 0), ((0, 0), 0), ((0, 1), 1), ((0, 1), 1),
                    ((1, 0), 1), ((1, 0), 1), ((1, 1), 0), ((1, 1), 0)]
    jittered = build(0, name="xor-corners", samples=400, noise=0.1)
    offsets = all_raw(jittered) - np.round(all_raw(jittered))
    assert 0.05 < offsets.std() < 0.15


def test_two_gaussians_sit_around_plus_and_minus_two():
    ds = build(0, name="gaussians", samples=2000)
    raw, y = all_raw(ds), all_y(ds)[:, 0]
    np.testing.assert_allclose(raw[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(raw[y == 0].mean(axis=0), [-2, -2], atol=0.1)


def perceptron_separates(x, y, epochs=1000):
    """True if the perceptron rule finds a line with every point on its side (it converges iff separable)."""
    xb = np.column_stack([x, np.ones(len(x))])
    sign = np.where(y == 1, 1.0, -1.0)
    w = np.zeros(3)
    for _ in range(epochs):
        wrong = sign * (xb @ w) <= 0
        if not wrong.any():
            return True
        i = np.flatnonzero(wrong)[0]
        w += sign[i] * xb[i]
    return False


@pytest.mark.parametrize("seed", range(20))
def test_separable_is_linearly_separable_with_a_margin_when_clean(seed):
    ds = build(seed, name="separable", samples=300)
    raw, y = all_raw(ds), all_y(ds)[:, 0]
    assert perceptron_separates(raw, y)
    # Least squares on ±1 targets finds a separating line too, and with room to spare.
    xb = np.column_stack([raw, np.ones(len(raw))])
    w, *_ = np.linalg.lstsq(xb, np.where(y == 1, 1.0, -1.0), rcond=None)
    distance = np.where(y == 1, 1, -1) * (xb @ w) / np.linalg.norm(w[:2])
    assert distance.min() > 0.5


def test_separable_overlaps_when_noisy():
    ds = build(0, name="separable", samples=300, noise=0.5)
    raw, y = all_raw(ds), all_y(ds)[:, 0]
    xb = np.column_stack([raw, np.ones(len(raw))])
    w, *_ = np.linalg.lstsq(xb, np.where(y == 1, 1.0, -1.0), rcond=None)
    assert ((xb @ w > 0) == (y == 1)).mean() < 1.0


@pytest.mark.parametrize("name", ["spiral", "spirals-k"])
def test_spiral_arms_wind_out_to_radius_five(name):
    ds = build(0, name=name, samples=300, classes=3)
    r = np.hypot(*all_raw(ds).T)
    assert r.min() == 0 and 4.9 < r.max() <= 5


def test_blobs_k_puts_one_blob_per_class_on_a_circle():
    ds = build(0, name="blobs-k", samples=1000, classes=5)
    raw, ids = all_raw(ds), all_y(ds).argmax(axis=1)
    centres = np.array([raw[ids == j].mean(axis=0) for j in range(5)])
    np.testing.assert_allclose(np.hypot(*centres.T), 4.0, atol=0.15)


def test_plane_is_linear_when_clean():
    ds = build(0, name="plane", samples=100)
    raw = all_raw(ds)
    np.testing.assert_allclose(all_y(ds)[:, 0], (raw[:, 0] + raw[:, 1]) / 10)
    assert np.abs(raw).max() <= 6


def test_multi_gaussian_has_bumps_of_both_signs():
    ds = build(0, name="multi-gaussian", samples=2000)
    y = all_y(ds)[:, 0]
    assert y.max() > 0.8 and y.min() < -0.8 and (np.abs(y) <= 1).all()
    near = np.hypot(*(all_raw(ds) - [0, 2.5]).T) < 0.3  # the bump at (0, 2.5) is negative
    assert near.any() and (y[near] < -0.8).all()


def test_lecture_is_exactly_the_single_lecture_sample():
    ds = build(9, name="lecture", samples=500, noise=0.4, test_fraction=0.5)
    np.testing.assert_array_equal(ds.x_train, [[0.50, 0.51]])
    np.testing.assert_array_equal(ds.y_train, [[0.10]])
    assert ds.x_test.shape == (0, 2) and ds.y_test.shape == (0, 1)
    assert ds.task == "regression" and ds.n_classes == 0


# ---------------------------------------------------------------- input features

def test_feature_registry_order_and_labels():
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    assert FEATURES["x1^2"].label == "X₁²" and FEATURES["sin(x1)"].label == "sin(X₁)"


def test_apply_features_computes_each_column():
    raw = np.array([[2.0, -3.0], [0.5, 1.0]])
    out = apply_features(raw, list(FEATURES))
    expected = [[2, -3, 4, 9, -6, np.sin(2), np.sin(-3)], [0.5, 1, 0.25, 1, 0.5, np.sin(0.5), np.sin(1)]]
    np.testing.assert_allclose(out, expected)
    assert out.dtype == np.float64


def test_apply_features_none_keeps_raw_as_float64():
    raw = np.array([[1, 2], [3, 4]])
    out = apply_features(raw, None)
    assert out.dtype == np.float64 and out.tolist() == [[1, 2], [3, 4]]


def test_dataset_features_are_computed_from_the_raw_points():
    ds = build(0, name="circle", samples=50, features=("x1^2", "x1*x2", "sin(x2)"))
    raw = ds.raw_train
    assert ds.feature_names == ("x1^2", "x1*x2", "sin(x2)") and ds.n_inputs == 3
    np.testing.assert_allclose(ds.x_train, np.column_stack([raw[:, 0] ** 2, raw[:, 0] * raw[:, 1],
                                                            np.sin(raw[:, 1])]))
    np.testing.assert_allclose(ds.x_test[:, 0], ds.raw_test[:, 0] ** 2)


def test_features_do_not_change_the_points():
    plain = build(0, name="spiral", samples=60)
    featured = build(0, name="spiral", samples=60, features=("x1", "x2", "x1^2"))
    np.testing.assert_array_equal(plain.raw_train, featured.raw_train)
    np.testing.assert_array_equal(plain.x_train, featured.x_train[:, :2])


# ---------------------------------------------------------------- inline data

XOR_X = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
XOR_Y = ((0.0,), (1.0,), (1.0,), (0.0,))


def test_inline_xor_is_binary_and_keeps_its_row_order_without_a_test_split():
    ds = build(0, name="inline", x=XOR_X, y=XOR_Y, test_fraction=0.0)
    assert ds.task == "binary" and ds.n_classes == 2 and ds.name == "inline"
    np.testing.assert_array_equal(ds.x_train, XOR_X)
    np.testing.assert_array_equal(ds.y_train, XOR_Y)
    assert ds.extent == (-0.1, 1.1, -0.1, 1.1)


def test_inline_split_draws_rows_from_the_data():
    x = tuple((float(i), float(-i)) for i in range(10))
    ds = build(0, name="inline", x=x, y=tuple((i / 10,) for i in range(10)), test_fraction=0.3)
    assert ds.task == "regression" and len(ds.x_test) == 3
    np.testing.assert_allclose(np.vstack([ds.y_train, ds.y_test])[:, 0] * 10, np.vstack([ds.x_train,
                                                                                          ds.x_test])[:, 0])


def test_inline_class_numbers_become_one_hot():
    ds = build(0, name="inline", x=((0, 0), (1, 1), (2, 2), (3, 3)), y=(0, 2, 1, 3), test_fraction=0)
    assert ds.task == "multiclass" and ds.n_classes == 4
    np.testing.assert_array_equal(ds.y_train, np.eye(4)[[0, 2, 1, 3]])


def test_inline_task_can_be_forced():
    ds = build(0, name="inline", x=XOR_X, y=XOR_Y, task="regression", test_fraction=0)
    assert ds.task == "regression" and ds.n_classes == 0
    ds = build(0, name="inline", x=XOR_X, y=XOR_Y, task="multiclass", test_fraction=0)
    assert ds.n_classes == 2 and ds.y_train.shape == (4, 2)


def test_inline_with_three_inputs_has_no_plane():
    ds = build(0, name="inline", x=((1, 2, 3), (4, 5, 6)), y=(0.5, 0.7), test_fraction=0)
    assert ds.raw_train is None and ds.extent is None and ds.feature_names == ("x1", "x2", "x3")


def test_whole_number_targets_above_the_class_limit_are_regression():
    ds = build(0, name="inline", x=tuple((i, i) for i in range(40)), y=tuple(range(40)), test_fraction=0)
    assert ds.task == "regression"


# ---------------------------------------------------------------- CSV through the builder

def test_csv_is_read_relative_to_base_dir(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "points.csv").write_text("a,b,cls\n0,0,0\n1,0,2\n0,1,1\n")
    spec = DataSpec(name="csv", path="data/points.csv", test_fraction=0)
    ds = build_dataset(spec, np.random.default_rng(0), base_dir=tmp_path)
    assert ds.name == "points.csv" and ds.task == "multiclass" and ds.n_classes == 3
    assert ds.feature_names == ("a", "b")
    np.testing.assert_array_equal(ds.y_train, np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(ds.raw_train, [[0, 0], [1, 0], [0, 1]])


def test_csv_label_column_and_features(tmp_path):
    (tmp_path / "d.csv").write_text("y,u,v\n0.5,1,2\n0.25,3,4\n")
    spec = DataSpec(name="csv", path=str(tmp_path / "d.csv"), label="y", test_fraction=0,
                    features=("x1*x2",), standardize=False)
    ds = build_dataset(spec, np.random.default_rng(0))
    assert ds.task == "regression" and ds.feature_names == ("x1*x2",)
    np.testing.assert_array_equal(ds.x_train, [[2], [12]])
    np.testing.assert_array_equal(ds.y_train, [[0.5], [0.25]])


def test_features_on_a_three_column_csv_say_why_not(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,c,y\n1,2,3,0\n")
    spec = DataSpec(name="csv", path="d.csv", features=("x1",), test_fraction=0)
    with pytest.raises(FfvizError, match="^input features need exactly 2 raw input columns; this CSV has 3$"):
        build_dataset(spec, np.random.default_rng(0), base_dir=tmp_path)


# ---------------------------------------------------------------- errors a user can cause

@pytest.mark.parametrize("spec, message", [
    (DataSpec(name="foo"), "dataset 'foo' is unknown; choose one of: circle, xor,"),
    (DataSpec(name="circle", samples=0), "the number of samples must be a whole number from 1"),
    (DataSpec(name="circle", samples=2.5), "whole number"),
    (DataSpec(name="circle", noise=-1), "the noise must be a number from 0"),
    (DataSpec(name="circle", test_fraction=1.0), "the test fraction must be below 1"),
    (DataSpec(name="blobs-k", classes=1), "the number of classes must be a whole number from 2 to 16"),
    (DataSpec(name="circle", features=("x3",)), "unknown input feature 'x3'"),
    (DataSpec(name="circle", features=()), "choose at least one input feature"),
    (DataSpec(name="circle", task="multiclass"), "dataset 'circle' is a binary task, not multiclass"),
    (DataSpec(name="circle", task="ranking"), "unknown data task 'ranking'"),
    (DataSpec(name="csv"), "a CSV dataset needs the path"),
    (DataSpec(name="inline", x=((1, 2),)), "y is missing"),
    (DataSpec(name="inline", x=((1, 2), (3,)), y=(1, 0)), "every row the same length"),
    (DataSpec(name="inline", x=((1, 2), (3, 4)), y=(1,)), "inline data: x has 2 rows but y has 1"),
    (DataSpec(name="inline", x=((1, 2),), y=(float("nan"),)), "not a finite number"),
    (DataSpec(name="inline", x=((1, 2, 3),), y=(1,), features=("x1",)),
     "input features need exactly 2 raw input columns; the inline data has 3"),
    (DataSpec(name="inline", x=((1, 2),), y=(0.5,), task="binary"),
     "a binary task needs targets 0 or 1; the inline y holds 0.5"),
    (DataSpec(name="inline", x=((1, 2),), y=(-1,), task="multiclass"), "class numbers 0, 1, 2, …; the inline y "
                                                                      "holds -1"),
    (DataSpec(name="inline", x=((1, 2),), y=((0.2, 0.8),), task="multiclass"), "one-hot"),
    (DataSpec(name="inline", x=((1, 2),), y=(40,), task="multiclass"), "at most 16 classes"),
])
def test_bad_specs_give_one_clear_line(spec, message):
    with pytest.raises(FfvizError) as err:
        build_dataset(replace(spec, test_fraction=spec.test_fraction if spec.name != "inline" else 0.0),
                      np.random.default_rng(0))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_dataset_lists_every_choice():
    with pytest.raises(FfvizError) as err:
        build(name="foo")
    for name in list(DATASETS) + ["csv", "inline"]:
        assert name in str(err.value)


def test_engine_datasets_import_no_qt():
    code = "import sys, ffviz.engine.datasets; assert not [m for m in sys.modules if m.startswith('PySide')]"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# ---------------------------------------------------------------- CSV class names

IRIS = Path(__file__).resolve().parents[1] / "io" / "data" / "iris.csv"


def test_the_iris_csv_is_a_three_class_task_with_its_species_names():
    ds = build_dataset(DataSpec(name="csv", path=str(IRIS), test_fraction=0.2), np.random.default_rng(0))
    assert ds.task == "multiclass" and ds.n_classes == 3 and ds.n_outputs == 3
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    assert ds.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert ds.x_train.shape == (120, 4) and ds.x_test.shape == (30, 4)
    y = np.concatenate([ds.y_train, ds.y_test])
    assert y.sum(axis=0).tolist() == [50, 50, 50] and (y.sum(axis=1) == 1).all()


def test_two_text_classes_are_a_binary_task_with_the_second_name_as_one(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,answer\n1,2,yes\n3,4,no\n5,6,yes\n")
    ds = build_dataset(DataSpec(name="csv", path="d.csv", test_fraction=0), np.random.default_rng(0),
                       base_dir=tmp_path)
    assert ds.task == "binary" and ds.class_names == ("no", "yes")
    assert ds.y_train[:, 0].tolist() == [1, 0, 1]


@pytest.mark.parametrize("content, task, message", [
    ("a,b\n1,cat\n2,cat\n", "auto", 'd.csv column "b" holds one class only ("cat")'),
    ("a,b\n1,cat\n2,dog\n", "regression", 'd.csv column "b" holds text ("cat"), which cannot be a regression'),
    ("a,b\n1,cat\n2,dog\n3,emu\n", "binary", 'd.csv column "b" holds 3 classes; a binary task needs exactly 2'),
])
def test_text_labels_that_do_not_fit_the_task_say_so(tmp_path, content, task, message):
    (tmp_path / "d.csv").write_text(content)
    with pytest.raises(FfvizError) as err:
        build_dataset(DataSpec(name="csv", path="d.csv", task=task), np.random.default_rng(0), base_dir=tmp_path)
    assert str(err.value).startswith(message)


def test_built_in_data_has_no_class_names():
    assert build_dataset(DataSpec(name="blobs-k"), np.random.default_rng(0)).class_names == ()
