"""Diagnostics: what methodlint reports, as plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """`error`: the code is broken or cannot be checked; `warning`: a semantic risk."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based line and column (code points), end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text of `span` with `content`."""

    span: Span
    content: str


@dataclass(frozen=True)
class Fix:
    """A set of edits; `applicability` is "safe" (applied by --fix) or, later, "unsafe"."""

    message: str
    edits: tuple[Edit, ...]
    applicability: str = "safe"


@dataclass(frozen=True)
class Diagnostic:
    """One finding at one place of one file."""

    code: str
    name: str
    message: str
    hint: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Fix | None = None
    # The text of the first flagged line, without its line break ("" when the file could not
    # be decoded): what baselines and GitLab fingerprints match on instead of line numbers.
    line_text: str = ""
    # In a notebook: the cell (1-based, among all cells) that `line` and `end_line` count in.
    cell: int | None = None

    @property
    def span(self) -> Span:
        return Span(self.line, self.column, self.end_line, self.end_column)

    def sort_key(self) -> tuple[str, int, int, int, str, int, int, str]:
        return (
            self.path,
            self.cell or 0,
            self.line,
            self.column,
            self.code,
            self.end_line,
            self.end_column,
            self.message,
        )

    @property
    def location(self) -> str:
        """`path:line:col`, or `path:cell N:line:col` in a notebook, as the reports show it."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.path}:{cell}{self.line}:{self.column}"
