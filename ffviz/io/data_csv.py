"""A run's data as a CSV file ffviz (and any spreadsheet) reads back: points made by hand, or any data set, in the
user's units (not the z-scores the network sees), training rows first, then the test rows."""

from __future__ import annotations

import csv
import io

import numpy as np

from ffviz.engine.datasets import Dataset
from ffviz.io.files import atomic_write_text


def dataset_csv(ds: Dataset) -> str:
    """The CSV text of `ds`: its input columns (the raw plane where there is one) and its target, one row a
    sample. Read back (ffviz/io/csv_data.py) it gives the same task: class names, class numbers 0…k−1, 0/1,
    or the regression targets."""
    if ds.raw_train is not None:
        x = np.concatenate([ds.raw_train, ds.raw_test])
        names = list(ds.feature_names) if len(ds.feature_names) == 2 and _raw_names(ds) else ["x1", "x2"]
    else:
        x = np.concatenate([ds.x_train, ds.x_test])
        if ds.standardization is not None:  # back to the user's units
            x = x * np.array(ds.standardization.std) + np.array(ds.standardization.mean)
        names = list(ds.feature_names) if len(ds.feature_names) == x.shape[1] else \
            [f"x{i + 1}" for i in range(x.shape[1])]
    y = np.concatenate([ds.y_train, ds.y_test])
    if ds.task == "multiclass":
        ids = np.argmax(y, axis=1)
        labels = [[ds.class_names[i] if ds.class_names else int(i)] for i in ids]
        header = ["label"]
    elif ds.task == "binary":
        ids = (y[:, 0] >= 0.5).astype(int)
        labels = [[ds.class_names[i] if ds.class_names else int(i)] for i in ids]
        header = ["label"]
    else:
        labels = [[repr(float(v)) for v in row] for row in y]
        header = ["y"] if y.shape[1] == 1 else [f"y{j + 1}" for j in range(y.shape[1])]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_unique(names + header))
    for row, label in zip(x, labels):
        w.writerow([repr(float(v)) for v in row] + label)
    return buf.getvalue()


def _raw_names(ds: Dataset) -> bool:
    """Whether the dataset's feature names name its raw columns (a CSV's two columns), not computed features."""
    from ffviz.engine.datasets import FEATURES
    return not any(n in FEATURES for n in ds.feature_names)


def _unique(names: list[str]) -> list[str]:
    seen, out = set(), []
    for n in names:
        while n in seen:
            n += "_"
        seen.add(n)
        out.append(n)
    return out


def write_dataset_csv(path, ds: Dataset):
    return atomic_write_text(path, dataset_csv(ds))
