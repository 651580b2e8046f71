"""The README's set-up example prints what methodlint prints on examples/shop."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_example_output_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"exits with status 1.*?```\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "the README shows the example's output"
    shown = block.group(1).splitlines()
    run = subprocess.run(
        [
            *(sys.executable, "-m", "methodlint"),
            *("--isolated", "--no-cache", "--no-color", "examples/shop"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    printed = run.stdout.splitlines()
    assert len(printed) == len(shown)
    for line, expected in zip(printed, shown, strict=True):
        assert line.startswith(expected.removesuffix("...").rstrip())
