"""The README's examples: the set-up example prints what methodlint prints on examples/shop,
every command it shows runs, and its install steps are ones that work."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from methodlint.cli import main

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


def _shell_lines() -> list[str]:
    """The `methodlint` commands of the README's shell blocks, in order, comments removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            runs = command.startswith("methodlint ") or "| methodlint " in command
            if runs and command != "methodlint server":
                lines.append(command)
    return lines


def test_every_command_the_readme_shows_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands, run in order (a baseline is written before it is read) in a project whose
    src/ is a copy of examples/shop, exit 0 or 1 (findings), never 2 (a usage or configuration
    error)."""
    commands = _shell_lines()
    assert len(commands) >= 8
    shutil.copytree(ROOT / "examples" / "shop", tmp_path / "src")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        given = ""
        if "|" in command:
            # `cat FILE | methodlint - ...`: the file's text on standard input.
            given = (tmp_path / "src" / "payments.py").read_text(encoding="utf-8")
            command = command.split("|", 1)[1]
        args = shlex.split(command)[1:]
        result = CliRunner().invoke(main, [*args, "--no-cache"], input=given)
        assert result.exit_code in (0, 1), f"{command}: {result.output}{result.stderr}"


def test_the_install_steps_are_ones_that_work() -> None:
    # methodlint is not on PyPI and has no release tags: no `pip install methodlint` from the
    # index, no `rev:` naming a tag.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"pip install '?methodlint(\[\w+\])?'?(\s|$)", readme)
    assert not re.search(r"rev: v\d", readme)
    assert "git+https://" in readme
