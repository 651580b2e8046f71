"""Helpers shared by the test modules (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from methodlint.cli import main


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


FINDING = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+\d+) (?P<message>.+)$"
)


@dataclass
class Run:
    """What one run of the command printed, and its exit status."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[tuple[str, int, int, str]]:
        """(path, line, column, code) of every concise output line; fails on any other line."""
        found = []
        for line in self.stdout.splitlines():
            match = FINDING.match(line)
            assert match, f"not a concise finding line: {line!r}"
            found.append((match["path"], int(match["line"]), int(match["column"]), match["code"]))
        return found

    @property
    def codes(self) -> list[str]:
        return [code for _, _, _, code in self.findings]


def cli(*args: str, input: str | bytes | None = None) -> Run:
    """Run the command in this process (the current directory is the project)."""
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def nobody_or_skip(cwd: Path) -> list[str]:
    """The command prefix that runs a program as user nobody, after checking that the situation
    a test needs exists here: running as root, `setpriv` installed, and nobody able to run this
    Python and import methodlint from `cwd` (a checkout in a private folder is not). Skips the
    test with the reason otherwise."""
    import shutil
    import subprocess
    import sys

    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root to run a program as another user")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is not installed")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import methodlint"],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(
            "user nobody cannot run this Python or import methodlint here "
            "(the checkout or the venv is in a private folder)"
        )
    return prefix


def run_module(
    cwd: Path, *args: str, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """`python -m methodlint` in its own process, with a bounded wait."""
    return subprocess.run(
        [sys.executable, "-m", "methodlint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,  # type: ignore[call-overload]
    )
