"""Input standardisation: CSV inputs are z-scored with the training split's statistics, so columns in any
units train; the statistics travel with trained weights, and the boundary plane stays in the user's units."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from ffviz.engine import Trainer, from_dict, to_dict
from ffviz.engine.config import DataSpec
from ffviz.engine.datasets import Standardization, build_dataset
from ffviz.engine.plane import evaluate_plane
from ffviz.errors import FfvizError


def net(csv_file=None, hidden=8, **data):
    """A 2-input tanh net with a sigmoid output on `csv_file` (or the data given)."""
    spec = {"layers": [{"units": 2}, {"units": hidden, "activation": "tanh"},
                       {"units": 1, "activation": "sigmoid"}], "seed": 3,
            "data": dict({"csv": csv_file} if csv_file else {}, **data)}
    return spec


def write_points(folder: Path, name: str, raw, y, scale=(1.0, 1.0)) -> str:
    rows = "\n".join(f"{float(a * scale[0])!r},{float(b * scale[1])!r},{int(c)}" for (a, b), c in zip(raw, y))
    (folder / name).write_text("x1,x2,label\n" + rows + "\n")
    return name


@pytest.fixture
def circle_points():
    ds = build_dataset(DataSpec(name="circle", samples=400, test_fraction=0), np.random.default_rng(1))
    return ds.raw_train, ds.y_train[:, 0]


def test_csv_inputs_are_z_scores_of_the_training_split(tmp_path):
    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.normal(500, 80, 60), rng.normal(-3, 0.01, 60)])
    write_points(tmp_path, "d.csv", raw, rng.integers(0, 2, 60))
    ds = build_dataset(DataSpec(name="csv", path="d.csv", test_fraction=0.25), rng, base_dir=tmp_path)
    stats = ds.standardization
    np.testing.assert_allclose(stats.mean, ds.raw_train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.std, ds.raw_train.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, rtol=1e-12)
    # the test split is scaled with the training split's numbers, not its own
    np.testing.assert_allclose(ds.x_test, (ds.raw_test - stats.mean) / stats.std, rtol=1e-12)
    assert ds.raw_train.max() > 100  # what views draw stays in the user's units


def test_a_constant_column_gives_zeros_not_nan(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i},7,{i % 2}\n" for i in range(10)))
    ds = build_dataset(DataSpec(name="csv", path="d.csv", test_fraction=0), np.random.default_rng(0),
                       base_dir=tmp_path)
    assert ds.standardization.std[1] == 1.0 and ds.standardization.mean[1] == 7.0
    assert np.isfinite(ds.x_train).all() and (ds.x_train[:, 1] == 0).all()


def test_values_near_the_float_limit_give_finite_statistics_without_warnings(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1e308,-1.7e308,0\n-1.5e308,1e308,1\n1e307,0,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy warning would be an extra line on the terminal
        ds = build_dataset(DataSpec(name="csv", path="d.csv", test_fraction=0), np.random.default_rng(0),
                           base_dir=tmp_path)
    assert np.isfinite(ds.x_train).all() and np.all(np.abs(ds.x_train) < 3)
    assert all(np.isfinite(ds.extent)) and ds.extent[0] < -1e307 and ds.extent[1] - ds.extent[0] < np.inf


def test_built_in_data_is_as_generated_unless_asked():
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    plain = build_dataset(DataSpec(name="circle"), rng())
    assert plain.standardization is None and np.abs(plain.x_train).max() > 3
    scaled = build_dataset(DataSpec(name="circle", standardize=True, features=("x1", "x1^2")), rng())
    np.testing.assert_allclose(scaled.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.x_train.std(axis=0), 1, rtol=1e-12)  # the feature x1² is scaled too


def test_a_csv_can_keep_its_units(tmp_path, circle_points):
    write_points(tmp_path, "d.csv", *circle_points, scale=(1000, 1))
    ds = build_dataset(DataSpec(name="csv", path="d.csv", standardize=False), np.random.default_rng(0),
                       base_dir=tmp_path)
    assert ds.standardization is None and np.abs(ds.x_train[:, 0]).max() > 1000


def test_stored_statistics_are_used_instead_of_the_data_s_own(tmp_path, circle_points):
    write_points(tmp_path, "d.csv", *circle_points)
    stats = Standardization((10.0, -20.0), (2.0, 4.0))
    ds = build_dataset(DataSpec(name="csv", path="d.csv", standardization=stats), np.random.default_rng(0),
                       base_dir=tmp_path)
    assert ds.standardization == stats
    np.testing.assert_allclose(ds.x_train, (ds.raw_train - [10, -20]) / [2, 4])


def test_columns_a_thousand_times_apart_train_as_well_as_the_same_data_scaled(tmp_path, circle_points):
    """The issue's case: unscaled columns (x1 in thousands) trained to chance level without standardisation."""
    write_points(tmp_path, "big.csv", *circle_points, scale=(1000, 1))
    write_points(tmp_path, "scaled.csv", *circle_points)

    def train(csv, **data):
        tr = Trainer(from_dict(net(csv, test_fraction=0.25, **data)), base_dir=tmp_path)
        tr.step(2000)
        return tr.evaluate()

    big, scaled = train("big.csv"), train("scaled.csv", standardize=False)
    assert big.train_accuracy >= scaled.train_accuracy - 0.03 and big.test_accuracy >= scaled.test_accuracy - 0.05
    assert big.train_loss <= 1.2 * scaled.train_loss
    unscaled = train("big.csv", standardize=False)  # the same run without standardisation: chance level
    assert unscaled.train_accuracy < big.train_accuracy - 0.2


def test_the_boundary_plane_is_in_user_units_and_fed_z_scores(tmp_path, circle_points):
    write_points(tmp_path, "big.csv", *circle_points, scale=(1000, 1))
    tr = Trainer(from_dict(net("big.csv", hidden=3)), base_dir=tmp_path)
    tr.step(50)
    plane = evaluate_plane(tr, 9)
    assert plane.extent[0] < -5000 and plane.extent[1] > 5000 and plane.extent[3] < 10  # user units
    g1, g2 = np.meshgrid(plane.x1, plane.x2)
    z = (np.column_stack([g1.ravel(), g2.ravel()]) - tr.dataset.standardization.mean) / \
        tr.dataset.standardization.std
    h = np.tanh(z @ tr.kernels[0] + tr.biases[0])
    yhat = 1 / (1 + np.exp(-(h @ tr.kernels[1] + tr.biases[1])))
    np.testing.assert_allclose(plane.output.reshape(-1, 1), yhat, rtol=1e-12)


# ---------------------------------------------------------------- in network files

def test_the_statistics_round_trip_through_a_network_file():
    d = net(None, name="inline", x=[[1, 2], [3, 5]], y=[0, 1], standardize=True)
    d["data"]["standardization"] = {"mean": [2.0, 3.5], "std": [1.0, 1.5]}
    cfg = from_dict(d)
    assert cfg.data.standardization == Standardization((2.0, 3.5), (1.0, 1.5))
    again = from_dict(json.loads(json.dumps(to_dict(cfg))))
    assert again == cfg and to_dict(cfg)["data"]["standardization"] == {"mean": [2.0, 3.5], "std": [1.0, 1.5]}
    assert "standardize" not in to_dict(from_dict(net("x.csv"))).get("data")  # the default is not written
    assert cfg.without_parameters().data.standardization is None  # fresh weights take the data's own


@pytest.mark.parametrize("data, needle", [
    ({"csv": "x.csv", "standardization": {"mean": [0], "std": [1]}}, "list of 2 numbers, one per input"),
    ({"csv": "x.csv", "standardization": {"mean": [0, 0], "std": [1, 0]}}, "std[1] must be > 0"),
    ({"csv": "x.csv", "standardization": {"mean": [0, 1e999], "std": [1, 1]}}, "finite"),
    ({"csv": "x.csv", "standardization": {"mean": [0, 0]}}, "std must be a list"),
    ({"csv": "x.csv", "standardization": {"mean": [0, 0], "std": [1, 1], "x": 1}}, "unknown key"),
    ({"csv": "x.csv", "standardize": "yes"}, "true or false"),
    ({"csv": "x.csv", "standardize": False, "standardization": {"mean": [0, 0], "std": [1, 1]}},
     "not standardised"),
    ({"name": "circle", "standardization": {"mean": [0, 0], "std": [1, 1]}}, "not standardised"),
])
def test_bad_statistics_are_one_line(data, needle):
    with pytest.raises(FfvizError) as err:
        from_dict(net(None, **data))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_the_iris_csv_trains_to_tell_its_species_apart():
    iris = Path(__file__).resolve().parents[1] / "io" / "data" / "iris.csv"
    cfg = from_dict({"layers": [{"units": 4}, {"units": 8, "activation": "tanh"},
                                {"units": 3, "activation": "softmax"}],
                     "loss": "softmax_crossentropy", "optimizer": {"name": "adam", "learning_rate": 0.05},
                     "data": {"csv": str(iris), "test_fraction": 0.2}})
    tr = Trainer(cfg)
    tr.step(300)
    ev = tr.evaluate()
    assert ev.train_accuracy > 0.95 and ev.test_accuracy > 0.9
