"""The README stays true: it starts with exactly the two commands (the test command is the one CI runs), its
shortcuts table is the window's, and every picture it shows exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_it_starts_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    first, second = blocks[:2]
    assert README.index(first) < README.index("## ")  # before any section: the first thing a reader sees
    assert first.startswith("python3 -m venv .venv") and first.endswith(".venv/bin/ffviz")
    assert second.startswith("python3 -m venv .venv") and "'.[test]'" in second
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = re.search(r'^TEST_COMMAND="(.*)"$', ci, flags=re.M).group(1)
    assert second.endswith(test_command)


def test_the_shortcuts_table_is_the_windows():
    from ffviz.ui.main_window import SHORTCUTS
    section = README[README.index("## Keyboard shortcuts"):]
    section = section[:section.index("\n## ")]
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", section, flags=re.M)
    assert rows[2:] == [(k, v) for k, v in SHORTCUTS]  # after the header and its rule


def test_every_picture_it_shows_exists():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(pictures) >= 10
    for p in pictures:
        assert (ROOT / p).is_file(), p
