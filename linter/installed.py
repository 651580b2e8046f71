"""What is installed, without importing `importlib.metadata` when nothing needs it.

`importlib.metadata` costs about 20 ms to import (it pulls in the `email` package), a tenth
of a pre-commit run. Most environments have no methodlint plugin, and a look at the
`entry_points.txt` files of the installed distributions says so; only when one names the
`methodlint.rules` group is `importlib.metadata` asked for the entry points.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

GROUP = "methodlint.rules"


def _metadata_folders() -> Iterator[str]:
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                yield os.path.join(folder, name)


@cache
def may_have_plugins() -> bool:
    """False when no installed distribution declares an entry point of `GROUP`."""
    marker = f"[{GROUP}]"
    for folder in _metadata_folders():
        try:
            with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                if marker in handle.read():
                    return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def entry_points(group: str = GROUP) -> list[Any]:
    """The entry points of `group` (methodlint's plugins)."""
    if group == GROUP and not may_have_plugins():
        return []
    from importlib.metadata import entry_points as find

    return list(find(group=group))


def version(name: str) -> str | None:
    """The installed version of a distribution, from its `.dist-info` folder's name."""
    wanted = name.lower().replace("-", "_")
    for folder in _metadata_folders():
        base = os.path.basename(folder)
        if not base.endswith(".dist-info"):
            continue
        project, _, number = base[: -len(".dist-info")].rpartition("-")
        if project.lower().replace("-", "_").replace(".", "_") == wanted:
            return number
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as find

    try:
        return find(name)
    except PackageNotFoundError:
        return None
