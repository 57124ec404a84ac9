"""Test-wide settings: Qt draws offscreen (no display needed); engine tests never import Qt; hypothesis runs
a quick profile by default and the long fuzzing one (≥ 1,000 cases a test) when asked:
FFVIZ_HYPOTHESIS_PROFILE=ffviz-fuzz .venv/bin/python -m pytest tests/io/test_fuzz.py"""

import os

from hypothesis import HealthCheck, settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

# No deadline: a case's time depends on the machine's load (a first call also pays for imports), and a slow
# case is not a wrong one. Tests that set max_examples themselves keep it in both profiles.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("ffviz-default", max_examples=100, **_COMMON)
settings.register_profile("ffviz-fuzz", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("FFVIZ_HYPOTHESIS_PROFILE", "ffviz-default"))
