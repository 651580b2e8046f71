"""Suppression comments, read in one place: `# noqa`, `# noqa: ML101`,
`# methodlint: ignore[ML101]` and `# methodlint: skip-file`."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from methodlint.diagnostics import Diagnostic

_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_IGNORE = re.compile(r"#\s*methodlint:\s*ignore\[(?P<codes>[^\]]*)\]")
SKIP_FILE = re.compile(rb"#\s*methodlint:\s*skip-file\b")
_SKIP_FILE_COMMENT = re.compile(r"#\s*methodlint:\s*skip-file\b")


def skips_file(source: str) -> bool:
    """True when a comment (not a string) says `# methodlint: skip-file`."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and _SKIP_FILE_COMMENT.match(token.string):
                return True
    except (tokenize.TokenError, SyntaxError):
        return any(_SKIP_FILE_COMMENT.match(line.lstrip()) for line in source.splitlines())
    return False


ALL = "*"


@dataclass
class Suppressions:
    """Codes suppressed per line (`ALL` for a bare noqa), and each line's statement start."""

    by_line: dict[int, set[str]] = field(default_factory=dict)
    own_line: set[int] = field(default_factory=set)  # comment lines with no code on them
    statement_start: dict[int, int] = field(default_factory=dict)

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        lines = set(range(diagnostic.line, diagnostic.end_line + 1))
        start = self.statement_start.get(diagnostic.line, diagnostic.line)
        if start - 1 in self.own_line:
            lines.add(start - 1)
        for line in lines:
            codes = self.by_line.get(line)
            if codes and (ALL in codes or diagnostic.code in codes):
                return True
        return False


def _codes(comment: str) -> set[str] | None:
    found: set[str] = set()
    matched = False
    for match in _IGNORE.finditer(comment):
        matched = True
        found.update(c.strip().upper() for c in match.group("codes").split(",") if c.strip())
    for match in _NOQA.finditer(comment):
        matched = True
        codes = match.group("codes")
        if codes is None:
            found.add(ALL)
        else:
            found.update(c.upper() for c in re.split(r"[\s,]+", codes) if c)
    return found if matched else None


def read_suppressions(source: str) -> Suppressions:
    """Find the suppression comments of `source` (a file that has findings)."""
    result = Suppressions()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return _read_by_lines(source)
    statement_first: int | None = None
    lines_with_code: set[int] = set()
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            codes = _codes(token.string)
            if codes:
                result.by_line.setdefault(token.start[0], set()).update(codes)
                result.own_line.add(token.start[0])
            continue
        if token.type in skip or token.type == tokenize.ENDMARKER:
            if token.type == tokenize.NEWLINE and statement_first is not None:
                for line in range(statement_first, token.end[0] + 1):
                    result.statement_start[line] = statement_first
                statement_first = None
            continue
        for line in range(token.start[0], token.end[0] + 1):
            lines_with_code.add(line)
        if statement_first is None:
            statement_first = token.start[0]
    result.own_line -= lines_with_code
    return result


def _read_by_lines(source: str) -> Suppressions:
    result = Suppressions()
    for number, line in enumerate(source.splitlines(), start=1):
        if "#" in line:
            codes = _codes(line[line.index("#") :])
            if codes:
                result.by_line.setdefault(number, set()).update(codes)
                if line.lstrip().startswith("#"):
                    result.own_line.add(number)
    return result


def apply(source: str, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics no comment suppresses."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return diagnostics
    suppressions = read_suppressions(source)
    return [d for d in diagnostics if not suppressions.suppresses(d)]
