"""`--add-noqa`: `# noqa: CODE` comments for the current findings, so that a team can adopt
methodlint and fix the findings later (as `ruff --add-noqa` does).

A comment goes at the end of the finding's first line, or of the next line of its span where a
comment can stand (not inside a string that goes on to the next line, nor after a backslash
continuation). Codes join an existing `# noqa: ...` on that line; a line whose comments already
suppress the code is left alone. Files that could not be checked (ML001-ML003) get none: a
comment cannot suppress them. Files are written whole or not at all, with their encoding and
line breaks. In a notebook the comments go into its cells (its findings count lines in cells),
and the notebook is written back with only those cell strings changed.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from methodlint.config import UNCHECKED_CODES
from methodlint.diagnostics import Diagnostic
from methodlint.files import STDIN
from methodlint.notebook import is_notebook, read_notebook
from methodlint.suppress import Suppressions, read_suppressions

# Python's own line breaks only: str.splitlines() also splits at form feeds.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(source: str) -> list[str]:
    return _LINE.findall(source)


def _no_comment_lines(source: str) -> set[int]:
    """Lines whose end is inside a string or continued by a backslash."""
    lines = _lines(source)
    blocked = {n for n, text in enumerate(lines, start=1) if text.rstrip("\r\n").endswith("\\")}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            # A string (or f-string part) over several lines: only its last line may end with
            # a comment.
            strings = (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))
            if token.start[0] < token.end[0] and token.type in strings:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return blocked


def _place(diagnostic: Diagnostic, blocked: set[int], last: int) -> int | None:
    for line in range(diagnostic.line, min(diagnostic.end_line, last) + 1):
        if line not in blocked:
            return line
    return None


def _with_codes(line: str, number: int, codes: list[str], suppressions: Suppressions) -> str:
    """One line with `codes` in its `# noqa` comment (added or extended)."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    for directive in suppressions.directives:
        if directive.line == number and directive.kind == "noqa" and directive.codes:
            if not directive.ends_cleanly:
                continue
            merged = ", ".join(dict.fromkeys([*directive.codes, *codes]))
            start, end = directive.column - 1, directive.end_column - 1
            return f"{body[:start]}# noqa: {merged}{body[end:]}{ending}"
    return f"{body}  # noqa: {', '.join(codes)}{ending}"


def add_noqa_to_source(source: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int]:
    """`source` with the comments for its findings, and how many codes were added."""
    lines = _lines(source)
    blocked = _no_comment_lines(source)
    suppressions = read_suppressions(source)
    wanted: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code in UNCHECKED_CODES:
            continue
        line = _place(diagnostic, blocked, len(lines))
        if line is None:
            continue
        if suppressions.covering(diagnostic.code, line, line):
            continue
        codes = wanted.setdefault(line, [])
        if diagnostic.code not in codes:
            codes.append(diagnostic.code)
    for number, codes in wanted.items():
        lines[number - 1] = _with_codes(lines[number - 1], number, codes, suppressions)
    return "".join(lines), sum(len(codes) for codes in wanted.values())


def add_noqa(diagnostics: Sequence[Diagnostic]) -> tuple[int, list[str]]:
    """Add the comments to the files of `diagnostics` (their paths as shown, relative to the
    current folder); how many were added, and the files that could not be changed."""
    from methodlint.fix import decode, write_atomically

    by_path: dict[str, list[Diagnostic]] = {}
    errors: list[str] = []
    for diagnostic in diagnostics:
        if diagnostic.path != STDIN:
            by_path.setdefault(diagnostic.path, []).append(diagnostic)
    added = 0
    for path, found in sorted(by_path.items()):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            if is_notebook(path):
                changed_data, count = _add_noqa_to_notebook(data, found)
            else:
                source, encoding = decode(data)
                changed, count = add_noqa_to_source(source, found)
                changed_data = changed.encode(encoding)
            if count:
                write_atomically(path, changed_data, expected=data)
        except (OSError, ValueError, SyntaxError) as error:
            reason = error.strerror if isinstance(error, OSError) else str(error)
            errors.append(f"cannot add noqa comments to {path}: {reason or error}")
            continue
        added += count
    return added, errors


def _add_noqa_to_notebook(data: bytes, diagnostics: Sequence[Diagnostic]) -> tuple[bytes, int]:
    """A notebook with the comments in its cells (the findings are in cell coordinates); the
    JSON around the changed cell sources stays as it was. NotebookError is a ValueError."""
    if all(diagnostic.cell is None for diagnostic in diagnostics):
        return data, 0  # only findings of the whole file, which a comment cannot suppress
    notebook = read_notebook(data)
    sources = notebook.sources()
    by_cell: dict[int, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        if diagnostic.cell in sources:
            by_cell.setdefault(diagnostic.cell, []).append(diagnostic)
    added = 0
    for cell, found in by_cell.items():
        sources[cell], count = add_noqa_to_source(sources[cell], found)
        added += count
    return (notebook.with_sources(sources) if added else data), added
