"""What a formatter may know besides the diagnostics: colour, and the folder paths start from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class OutputContext:
    """`color`: whether ANSI styles are wanted (concise and full only); `cwd`: the folder that
    relative paths in the diagnostics start from (SARIF's %SRCROOT%); `project_dir`: GitLab's
    `CI_PROJECT_DIR`, which its code quality paths are relative to."""

    color: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    project_dir: str | None = field(default_factory=lambda: os.environ.get("CI_PROJECT_DIR"))
