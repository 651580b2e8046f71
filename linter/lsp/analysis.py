"""Linting an editor's buffer in this process, with the configuration that applies to its file,
and the edits a code action makes (safe fixes, `# noqa` comments). Nothing here knows LSP.

One buffer needs no worker processes: the analysis runs here, as `lint_source` does, with the
configuration found from the file's folder upwards (as the command line finds it), its
exclusions and its per-file ignores.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from methodlint.config import Config, discover_config
from methodlint.diagnostics import Diagnostic, Edit, Span
from methodlint.engine import EngineSettings, FileLinter
from methodlint.files import PerFileIgnores, collect_files
from methodlint.notebook import Cell
from methodlint.registry import matches

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The code list of a noqa comment already on the line, to which another code is added.
_NOQA_CODES = re.compile(r"#\s*noqa\s*:\s*[\w-]+(?:[ \t]*,[ \t]*[\w-]+)*", re.IGNORECASE)
_BARE_NOQA = re.compile(r"#\s*noqa(?!\s*:)", re.IGNORECASE)


def split_lines(text: str) -> list[str]:
    """The lines of `text` as Python counts them (form feeds do not end a line)."""
    return _LINE_BREAK.split(text)


@dataclass(frozen=True)
class _Setup:
    """What linting a file of one folder needs: its configuration and a linter for it."""

    config: Config
    settings: EngineSettings
    linter: FileLinter
    ignores: PerFileIgnores


class BufferLinter:
    """Lints buffers with the configuration of their files; a linter per configuration is kept
    (building one compiles the rules' settings), the configuration is read again each time so
    that an edited pyproject.toml applies at once."""

    def __init__(self, fallback_folder: str | None = None) -> None:
        self.fallback_folder = fallback_folder
        self._linters: dict[EngineSettings, FileLinter] = {}

    def _setup(self, path: str | None) -> _Setup:
        folder = os.path.dirname(path) if path else self.fallback_folder or os.getcwd()
        config = discover_config(Path(folder))
        settings = EngineSettings.from_config(config)
        linter = self._linters.get(settings)
        if linter is None:
            linter = self._linters[settings] = FileLinter(settings)
        return _Setup(config, settings, linter, PerFileIgnores(config))

    def _codes(self, setup: _Setup, path: str | None) -> frozenset[str] | None:
        """The codes reported for `path` after per-file ignores; None for all."""
        if path is None:
            return None
        ignored = setup.ignores.selectors_for(Path(path))
        if not ignored:
            return None
        off = {rule.code for selector in ignored for rule in matches(selector)}
        return setup.settings.codes - off

    def excluded(self, setup: _Setup, path: str | None) -> bool:
        """Whether the configuration excludes the file (`exclude`, `.gitignore`), as it would
        leave it out of a run given its name."""
        if path is None:
            return False
        selection = collect_files(["-"], setup.config, cwd=Path(path).parent, stdin_filename=path)
        return not selection.files

    def lint_text(self, path: str | None, text: str) -> list[Diagnostic]:
        """The findings of a Python buffer (the file at `path`, or an unsaved one)."""
        setup = self._setup(path)
        if self.excluded(setup, path):
            return []
        data = text.encode("utf-8", "surrogatepass")
        return setup.linter.lint_bytes(data, path or "<buffer>", self._codes(setup, path))

    def lint_cells(self, path: str | None, cells: Sequence[Cell]) -> list[Diagnostic]:
        """The findings of a notebook's code cells, in cell coordinates."""
        setup = self._setup(path)
        if self.excluded(setup, path):
            return []
        return setup.linter.lint_cells(cells, path or "<notebook>", self._codes(setup, path))


# -- edits for code actions ---------------------------------------------------------------------


def noqa_edit(text: str, diagnostic: Diagnostic) -> Edit | None:
    """The edit that adds `# noqa: CODE` for this finding: to the codes of a `# noqa:` comment
    already on its line, else at the end of the first line of its text that does not end inside
    a string. None when a bare `# noqa` already covers the line."""
    lines = split_lines(text)
    inside = _lines_inside_strings(text)
    line = diagnostic.line
    while line in inside and line < diagnostic.end_line:
        line += 1
    if not 0 < line <= len(lines):
        return None
    current = lines[line - 1]
    comment = _comment_of(current)
    code = diagnostic.code
    if comment is not None:
        start, body = comment
        found = _NOQA_CODES.search(body)
        if found is not None:
            column = start + found.end() + 1
            return Edit(Span(line, column, line, column), f", {code}")
        if _BARE_NOQA.search(body):
            return None
    stripped = len(current.rstrip())
    column = stripped + 1
    return Edit(Span(line, column, line, len(current) + 1), f"  # noqa: {code}")


def _comment_of(line: str) -> tuple[int, str] | None:
    """Where the comment of one line of code starts (0-based) and its text."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return token.start[1], token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return None


def _lines_inside_strings(text: str) -> set[int]:
    """Lines that end inside a string (a comment added at their end would be in the string)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            strings = (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))
            if token.start[0] < token.end[0] and token.type in strings:
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside
