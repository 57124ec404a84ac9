"""The example network files in resources/presets never drift from the built-in presets, and the CLI trains one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ffviz.engine.config import from_dict
from ffviz.engine.presets import preset_dict, preset_names
from ffviz.io.files import load_network_file

PRESETS_DIR = Path(__file__).resolve().parents[2] / "resources" / "presets"
EXAMPLE_FILES = sorted(PRESETS_DIR.glob("*.json"))
REGENERATE = "python resources/presets/regenerate.py"


def test_every_preset_has_an_example_file_and_every_file_a_preset():
    assert sorted(p.stem for p in EXAMPLE_FILES) == sorted(preset_names()), f"run `{REGENERATE}`"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_example_file_loads_and_equals_its_preset(path):
    assert path.stem in preset_names(), f"{path.name} has no preset of that name; run `{REGENERATE}`"
    assert load_network_file(path) == from_dict(preset_dict(path.stem)), \
        f"{path.name} differs from the preset {path.stem!r}; run `{REGENERATE}`"


def test_cli_trains_the_lecture_file(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "ffviz", "train", str(PRESETS_DIR / "lecture.json"), "--steps", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "trained 1 updates" in proc.stdout
    weights = json.loads((out / "weights.json").read_text(encoding="utf-8"))
    assert weights["trained"]["steps"] == 1
    # The slides' first update: w = (0.35, 0.40) → (0.29046, 0.33927)
    kernel = weights["layers"][1]["kernel"]
    assert [round(row[0], 5) for row in kernel] == [0.29046, 0.33927]
    assert load_network_file(out / "weights.json").layers[0].kernel is not None  # the output is itself a network file
    assert (out / "history.csv").read_text(encoding="utf-8").startswith("step,train_loss")
