"""Test-wide settings: Qt draws offscreen (no display needed); engine tests never import Qt."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
