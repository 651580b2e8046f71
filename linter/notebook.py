"""Jupyter notebooks: their code cells as one Python source, findings in cell coordinates, and
the notebook written back with nothing changed but the cells' fixed text.

The code cells are joined in order, IPython syntax masked line by line (`%magic`, `!shell`,
`x = !cmd`, `name?`, cell magics) so that the joined text parses with the line of every
statement unchanged; a finding's line in the joined text maps back to a cell (numbered among
all cells, markdown included, as a notebook shows them) and a line in that cell.

Writing back splices the cells' source strings into the original JSON text: indentation, key
order, escapes, metadata and outputs stay byte for byte as they were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from methodlint.diagnostics import Diagnostic, Edit, Fix, Span

SUFFIX = ".ipynb"
# Findings about the whole file (cannot read it, beyond the limits) have no cell.
_FILE_CODES = frozenset({"ML002", "ML003"})
# Cell magics whose body is Python run as usual: only their first line is masked. Any other
# cell magic (%%bash, %%html, %%sql, ...) makes the whole cell something else than Python.
PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "profile", "memit", "mprun", "snakeviz"}
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# `files = !ls`, `out = %timeit f()`, `a, b = !cmd`: an assignment of a magic's result.
_MAGIC_ASSIGNMENT = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")
_ESCAPES = ("%", "!", "?")


def is_notebook(path: str) -> bool:
    """Whether `path` names a notebook (by its extension, as Jupyter and editors decide)."""
    return path.lower().endswith(SUFFIX)


class NotebookError(ValueError):
    """The file is no notebook methodlint can read; the message says why (ML002)."""


@dataclass(frozen=True)
class Cell:
    """One code cell: its number among all cells (1-based) and its source text."""

    number: int
    source: str


@dataclass(frozen=True)
class _SourceSpan:
    """Where a cell's `source` value lies in the JSON text: the whole value, and each string
    of a list of lines (empty when the value is one string)."""

    start: int
    end: int
    items: tuple[tuple[int, int], ...]
    is_list: bool


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook: its text, its code cells and where their sources are in the text."""

    text: str
    cells: tuple[Cell, ...]
    spans: dict[int, _SourceSpan]

    def sources(self) -> dict[int, str]:
        return {cell.number: cell.source for cell in self.cells}

    def with_sources(self, sources: dict[int, str]) -> bytes:
        """The notebook's bytes with the given cells' sources replaced, everything else as it
        was (a source kept as a list of lines stays one)."""
        pieces: list[tuple[int, int, str]] = []
        for cell in self.cells:
            new = sources.get(cell.number, cell.source)
            if new == cell.source:
                continue
            pieces.extend(self._replacements(self.spans[cell.number], cell.source, new))
        out = []
        position = 0
        for start, end, content in sorted(pieces):
            out.append(self.text[position:start])
            out.append(content)
            position = end
        out.append(self.text[position:])
        return "".join(out).encode("utf-8")

    def _replacements(
        self, span: _SourceSpan, old: str, new: str
    ) -> Iterable[tuple[int, int, str]]:
        if not span.is_list:
            literal = self.text[span.start : span.end]
            return [(span.start, span.end, _encode_like(new, literal))]
        old_lines = _split_keep(old)
        new_lines = _split_keep(new)
        if len(old_lines) == len(new_lines) == len(span.items):
            # The usual case (a fixed token): only the strings that changed are rewritten.
            return [
                (start, end, _encode_like(after, self.text[start:end]))
                for (start, end), before, after in zip(
                    span.items, old_lines, new_lines, strict=True
                )
                if before != after
            ]
        # Lines added or removed: the list is written again with its own separators.
        separator = ", "
        if len(span.items) >= 2:
            separator = self.text[span.items[0][1] : span.items[1][0]]
        sample = self.text[span.items[0][0] : span.items[0][1]] if span.items else '""'
        opening = self.text[span.start : span.items[0][0]] if span.items else "["
        closing = self.text[span.items[-1][1] : span.end] if span.items else "]"
        body = separator.join(_encode_like(line, sample) for line in new_lines)
        return [(span.start, span.end, f"{opening}{body}{closing}")]


def _split_keep(text: str) -> list[str]:
    """Lines as nbformat stores them: each with its line break, the last one without."""
    lines = []
    position = 0
    for match in re.finditer(r"\n", text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


def _encode_like(value: str, literal: str) -> str:
    """`value` as a JSON string, escaped the way `literal` (a string of the same file) is."""
    ascii_only = json.dumps(json.loads(literal), ensure_ascii=False) != literal and (
        json.dumps(json.loads(literal), ensure_ascii=True) == literal
    )
    return json.dumps(value, ensure_ascii=ascii_only)


# -- reading ------------------------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _Scanner:
    """Walks the notebook's JSON text far enough to know where each cell's source is; every
    other value is skipped with the standard decoder."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def space(self) -> None:
        match = _WHITESPACE.match(self.text, self.at)
        self.at = match.end() if match else self.at

    def expect(self, char: str) -> None:
        self.space()
        if not self.text.startswith(char, self.at):
            raise NotebookError(f"expected {char!r} at {self.where()}")
        self.at += 1

    def where(self) -> str:
        line = self.text.count("\n", 0, self.at) + 1
        column = self.at - (self.text.rfind("\n", 0, self.at) + 1) + 1
        return f"line {line} column {column}"

    def value(self) -> tuple[Any, int, int]:
        self.space()
        start = self.at
        try:
            value, self.at = _DECODER.raw_decode(self.text, self.at)
        except json.JSONDecodeError as error:
            raise NotebookError(f"invalid JSON: {error}") from None
        return value, start, self.at

    def members(self) -> Iterable[str]:
        """The keys of the object that starts here; the caller reads each value."""
        self.expect("{")
        self.space()
        if self.text.startswith("}", self.at):
            self.at += 1
            return
        while True:
            key, _, _ = self.value()
            if not isinstance(key, str):
                raise NotebookError(f"expected a key at {self.where()}")
            self.expect(":")
            yield key
            self.space()
            if self.text.startswith(",", self.at):
                self.at += 1
                continue
            self.expect("}")
            return

    def elements(self) -> Iterable[int]:
        """The positions of the elements of the array that starts here."""
        self.expect("[")
        self.space()
        if self.text.startswith("]", self.at):
            self.at += 1
            return
        index = 0
        while True:
            self.space()
            yield index
            index += 1
            self.space()
            if self.text.startswith(",", self.at):
                self.at += 1
                continue
            self.expect("]")
            return


def read_notebook(data: bytes) -> Notebook:
    """Parse a notebook (nbformat 4); NotebookError says what is wrong with it."""
    try:
        text = data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as error:
        raise NotebookError(f"not UTF-8 ({error.reason} at byte {error.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    scanner = _Scanner(text)
    cells: list[Cell] = []
    spans: dict[int, _SourceSpan] = {}
    found_cells = False
    scanner.space()
    if not text.startswith("{", scanner.at):
        raise NotebookError("the top level is not a JSON object")
    for key in scanner.members():
        if key != "cells":
            scanner.value()
            if key == "worksheets":
                raise NotebookError("nbformat 3 notebooks are not supported (convert to 4)")
            continue
        found_cells = True
        scanner.space()
        if not text.startswith("[", scanner.at):
            raise NotebookError("'cells' is not a list")
        for index in scanner.elements():
            cell = _read_cell(scanner, index + 1)
            if cell is not None:
                cells.append(cell[0])
                spans[cell[0].number] = cell[1]
    if not found_cells:
        raise NotebookError("no 'cells' list (is this a Jupyter notebook?)")
    return Notebook(text, tuple(cells), spans)


def _read_cell(scanner: _Scanner, number: int) -> tuple[Cell, _SourceSpan] | None:
    """One cell of the list: the code cell and where its source is, None for other cells."""
    scanner.space()
    if not scanner.text.startswith("{", scanner.at):
        raise NotebookError(f"cell {number} is not a JSON object")
    kind: object = None
    source: object = None
    span: _SourceSpan | None = None
    for key in scanner.members():
        if key != "source":
            value, _, _ = scanner.value()
            if key == "cell_type":
                kind = value
            continue
        scanner.space()
        start = scanner.at
        items: list[tuple[int, int]] = []
        if scanner.text.startswith("[", scanner.at):
            lines: list[object] = []
            for _ in scanner.elements():
                line, item_start, item_end = scanner.value()
                lines.append(line)
                items.append((item_start, item_end))
            if not all(isinstance(line, str) for line in lines):
                raise NotebookError(f"cell {number}: 'source' holds something else than text")
            source = "".join(line for line in lines if isinstance(line, str))
            span = _SourceSpan(start, scanner.at, tuple(items), is_list=True)
        else:
            source, start, end = scanner.value()
            span = _SourceSpan(start, end, (), is_list=False)
    if not isinstance(kind, str):
        raise NotebookError(f"cell {number} has no 'cell_type'")
    if kind != "code":
        return None
    if not isinstance(source, str) or span is None:
        raise NotebookError(f"cell {number} has no 'source' text")
    return Cell(number, source), span


# -- joining the cells --------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinedCells:
    """The code cells as one Python source, and which cell each of its lines comes from."""

    text: str
    # For each cell in order: its number and the first line (1-based) it has in `text`.
    starts: tuple[tuple[int, int], ...]
    lines: int

    def locate(self, line: int) -> tuple[int, int] | None:
        """The cell and the line in it of line `line` of the joined text (None if no cell)."""
        found = None
        for number, start in self.starts:
            if start > line:
                break
            found = (number, line - start + 1)
        return found

    def to_cells(self, diagnostic: Diagnostic) -> Diagnostic:
        """A diagnostic of the joined text in cell coordinates (its fix too; a fix that would
        reach into another cell is dropped)."""
        d = diagnostic
        if d.code in _FILE_CODES or not self.starts:
            return replace(d, line=1, column=1, end_line=1, end_column=1, fix=None)
        located = self.locate(d.line)
        if located is None:
            return d
        cell, line = located
        end = self.locate(d.end_line)
        if end is not None and end[0] == cell:
            end_line, end_column = end[1], d.end_column
        else:  # a span that goes on into the next cell ends with its own cell's line
            end_line, end_column = line, d.column
        fix = self._fix_in(d.fix, cell)
        return replace(d, cell=cell, line=line, end_line=end_line, end_column=end_column, fix=fix)

    def _fix_in(self, fix: Fix | None, cell: int) -> Fix | None:
        if fix is None:
            return None
        edits = []
        for edit in fix.edits:
            start = self.locate(edit.span.line)
            end = self.locate(edit.span.end_line)
            if start is None or end is None or start[0] != cell or end[0] != cell:
                return None
            span = Span(start[1], edit.span.column, end[1], edit.span.end_column)
            edits.append(Edit(span, edit.content))
        return replace(fix, edits=tuple(edits))


def join_cells(cells: Sequence[Cell]) -> JoinedCells:
    """The cells' masked sources, each ending with a line break, one after the other."""
    parts: list[str] = []
    starts: list[tuple[int, int]] = []
    line = 1
    for cell in cells:
        text = mask_magics(cell.source)
        if not text:
            continue
        if not text.endswith(("\n", "\r")):
            text += "\n"
        starts.append((cell.number, line))
        parts.append(text)
        line += len(_LINE_BREAK.findall(text))
    return JoinedCells("".join(parts), tuple(starts), line - 1)


def mask_magics(source: str) -> str:
    """`source` with IPython syntax made Python, line for line: a magic or shell escape that
    starts a statement becomes `pass` at its indentation (its continuation lines empty); a cell
    magic masks its first line, or the whole cell when its body is not Python."""
    lines = _LINE_BREAK.split(source)
    breaks = [*_LINE_BREAK.findall(source), ""]
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return "".join(breaks)  # the same number of (now empty) lines
        lines[0] = ""
    state = _State()
    masking = False  # a masked line ended with a backslash: the next one is masked too
    for index, line in enumerate(lines):
        if masking:
            masking = line.rstrip().endswith("\\")
            lines[index] = ""
            continue
        if state.at_statement_start() and _is_ipython(line):
            indent = line[: len(line) - len(line.lstrip())]
            masking = line.rstrip().endswith("\\")
            lines[index] = f"{indent}pass"
            continue
        state.feed(line)
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=True))


def _is_ipython(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return False
    if stripped.startswith(_ESCAPES):
        return True
    if stripped.endswith("?") and "#" not in stripped and not stripped.startswith(("'", '"')):
        return True  # `requests.get?`, help
    return bool(_MAGIC_ASSIGNMENT.match(stripped))


class _State:
    """Enough of Python's tokenizer to know whether a line starts a statement: open strings,
    open brackets and backslash continuations."""

    def __init__(self) -> None:
        self.quote: str | None = None  # the delimiter of an open triple-quoted string
        self.depth = 0
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i = 0
        n = len(line)
        while i < n:
            char = line[i]
            if self.quote is not None:
                if char == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                i += 1
                continue
            if char == "#":
                break
            if char in "\"'":
                triple = char * 3
                if line.startswith(triple, i):
                    self.quote = triple
                    i += 3
                    continue
                i = _end_of_string(line, i + 1, char)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            i += 1
        self.continued = self.quote is None and line.rstrip().endswith("\\")


def _end_of_string(line: str, i: int, quote: str) -> int:
    """The position after a one-line string that starts before `i` (the end of the line if it
    is not closed: a syntax error the parser reports)."""
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i + 1
        i += 1
    return i
