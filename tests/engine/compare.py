"""Deep, bit-for-bit comparison of engine values (snapshots, states, traces) for tests."""

from dataclasses import fields, is_dataclass

import numpy as np


def assert_same(a, b, path="value", skip=()):
    """Fail with the path of the first difference: arrays bit for bit (NaN equal to NaN), dataclasses field
    by field, sequences item by item, everything else with ==. Field names in `skip` are not compared."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), f"{path}: {type(a)} vs {type(b)}"
        assert a.shape == b.shape and a.dtype == b.dtype, f"{path}: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{path}: arrays differ"
        return
    if is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
        for f in fields(a):
            if f.name not in skip:
                assert_same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}", skip)
        return
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{path}: lengths {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]", skip)
        return
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return
    assert a == b, f"{path}: {a!r} vs {b!r}"


def assert_same_snapshot(a, b):
    """Two snapshots of the same run at the same moment: equal in everything but their serial numbers."""
    assert_same(a, b, "snapshot", skip=("serial",))
