"""Helpers shared by the test modules (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def write(base: Path, name: str, text: str | bytes, age: float = 0) -> Path:
    """Write a file under `base` (folders included), as UTF-8 bytes without newline
    translation; `age` seconds in the past for its modification time."""
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path
