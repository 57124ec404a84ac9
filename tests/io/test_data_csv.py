"""A run's data as CSV (File → Export data as CSV): read back, it is the same data, in the user's units."""

import numpy as np
import pytest

from ffviz.engine import Trainer, load_preset
from ffviz.engine.config import DataSpec
from ffviz.engine.datasets import build_dataset
from ffviz.io.data_csv import dataset_csv, write_dataset_csv


def read_back(path, **spec):
    return build_dataset(DataSpec(name="csv", path=str(path), test_fraction=0.0, **spec), np.random.default_rng(0))


@pytest.mark.parametrize("preset", ["xor", "softmax", "regression"])
def test_built_in_data_reads_back_as_the_same_points_and_task(tmp_path, preset):
    ds = Trainer(load_preset(preset)).dataset
    write_dataset_csv(tmp_path / "d.csv", ds)
    back = read_back(tmp_path / "d.csv", standardize=False)
    assert back.task == ds.task and back.n_classes == ds.n_classes
    np.testing.assert_array_equal(back.raw_train, np.concatenate([ds.raw_train, ds.raw_test]))
    np.testing.assert_array_equal(back.y_train, np.concatenate([ds.y_train, ds.y_test]))


def test_text_labels_and_standardised_columns_come_back_in_the_users_units(tmp_path):
    rows = "".join(f"{100 * i + 0.5},{i % 7},{i % 3 - 1},{['setosa', 'versicolor', 'virginica'][i % 3]}\n"
                   for i in range(30))
    (tmp_path / "iris.csv").write_text("length,width,depth,species\n" + rows)
    ds = read_back(tmp_path / "iris.csv")
    assert ds.standardization is not None and ds.raw_train is None
    text = dataset_csv(ds)
    assert text.splitlines()[0] == "length,width,depth,label" and text.splitlines()[1].endswith(",setosa")
    (tmp_path / "out.csv").write_text(text)
    back = read_back(tmp_path / "out.csv")
    assert back.class_names == ds.class_names
    np.testing.assert_allclose(back.x_train, ds.x_train, atol=1e-12)  # the same z-scores: the same units
    np.testing.assert_array_equal(back.y_train, ds.y_train)
