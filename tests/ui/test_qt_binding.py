"""Guards against a broken Qt binding: PySide6 6.12.0 on Python 3.11 drops a reference to None on every
Qt call that returns nothing, so a running app dies with "none_dealloc" after a few thousand calls."""

import sys

from PySide6 import QtCore


def test_qt_calls_keep_the_reference_count_of_none():
    obj = QtCore.QObject()
    point = QtCore.QPointF(1.0, 2.0)
    before = sys.getrefcount(None)
    for _ in range(500):
        obj.setObjectName("x")
        point.setX(1.0)
    assert sys.getrefcount(None) - before > -100, "this PySide6 build leaks references to None; see pyproject.toml"
