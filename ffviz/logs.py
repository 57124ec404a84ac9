"""The app's log: a rotating, bounded file in the platform's log folder, so a crash report can point to it.

No Qt: `ffviz train` could log the same way. The GUI sets it up in ui/app.py.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_BYTES = 1_000_000  # a file; three old ones are kept beside it
LOG_BACKUPS = 3


def log_dir() -> Path:
    """Where the platform keeps an application's logs."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "ffviz"
    if sys.platform.startswith("win"):
        return Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "ffviz" / "Logs"
    state = os.environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(state) / "ffviz"


def setup(folder: Path | None = None) -> Path | None:
    """Log to `folder`/ffviz.log (the platform's folder by default); the path, or None if it cannot be made
    (a read-only home: the app runs on without a log)."""
    folder = Path(folder) if folder is not None else log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "ffviz.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                       encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ffviz")
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
