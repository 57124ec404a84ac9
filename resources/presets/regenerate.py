"""Rewrite the example network files in this folder from the built-in presets (ffviz/engine/presets.py).

    python resources/presets/regenerate.py           # rewrite every <preset>.json, remove files of dropped presets
    python resources/presets/regenerate.py --check   # change nothing; exit 1 if a file differs from its preset

Each file is what File ▸ Save writes for the preset before training, so it opens with `ffviz FILE` and trains with
`ffviz train FILE --steps N --out DIR`. tests/io/test_example_files.py fails when a file drifts from its preset.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ffviz.engine.config import from_dict
from ffviz.engine.presets import preset_dict, preset_names
from ffviz.io.files import dumps, network_dict, save_network_file

HERE = Path(__file__).resolve().parent


def expected_text(name: str) -> str:
    """The file's text for preset `name`, byte for byte what save_network_file writes."""
    return dumps(network_dict(from_dict(preset_dict(name)))) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report differences instead of writing")
    args = parser.parse_args(argv)
    names = preset_names()
    stale = sorted(p for p in HERE.glob("*.json") if p.stem not in names)
    if args.check:
        bad = [f"{p.name}: no preset of that name" for p in stale]
        for name in names:
            path = HERE / f"{name}.json"
            if not path.exists():
                bad.append(f"{path.name}: missing")
            elif path.read_text(encoding="utf-8") != expected_text(name):
                bad.append(f"{path.name}: differs from the preset")
        for line in bad:
            print(line, file=sys.stderr)
        if bad:
            print("run `python resources/presets/regenerate.py` to rewrite them", file=sys.stderr)
        return 1 if bad else 0
    for path in stale:
        path.unlink()
        print(f"removed {path.name} (no such preset)")
    for name in names:
        path = save_network_file(HERE / f"{name}.json", from_dict(preset_dict(name)))
        print(f"wrote {path.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
