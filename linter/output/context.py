"""What a formatter may know besides the diagnostics: colour, and the folder paths start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class OutputContext:
    """`color`: whether ANSI styles are wanted (concise and full only); `cwd`: the folder that
    relative paths in the diagnostics start from (SARIF's %SRCROOT%)."""

    color: bool = False
    cwd: Path = field(default_factory=Path.cwd)
