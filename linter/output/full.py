"""`full`: the concise line, then the source line with carets under the flagged text, and the hint.

    src/shop/catalog.py:9:46: ML101 GET via requests.get sends content (json=)
      |
    9 |     response = requests.get(f"{API}/search", json={"q": term})
      |                                              ^^^^^^^^^^^^^^^^
      = help: Send the data as query parameters (params=), or use POST for a request with content

The source line is shown as a terminal would lay it out, so that the carets line up: tabs
are expanded, control characters and bidirectional overrides are made visible, and wide
(East Asian) characters count two cells. A span over several lines is marked to the end of
its first line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output.concise import header
from methodlint.output.context import OutputContext
from methodlint.output.style import paint, severity_color

TAB_SIZE = 4
# Characters that reorder the text around them on screen (the "Trojan Source" ones): shown as
# a replacement character so that the line reads, and the carets point, as stored.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _cell(char: str, at: int) -> tuple[str, int]:
    """How one code point is shown at display column `at` (0-based), and its width."""
    if char == "\t":
        width = TAB_SIZE - at % TAB_SIZE
        return " " * width, width
    category = unicodedata.category(char)
    if category == "Cc":
        code = ord(char)
        # U+2400..U+241F and U+2421 are the "control pictures" of C0 controls and DEL.
        shown = chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"
        return shown, 1
    if char in _BIDI:
        return "\ufffd", 1
    if category in ("Mn", "Me", "Cf"):
        return char, 0
    return char, 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def layout(text: str) -> tuple[str, list[int]]:
    """`text` as shown, and the display column at which each code point starts (0-based),
    with one more entry for the column just after the text."""
    shown: list[str] = []
    starts: list[int] = []
    at = 0
    for char in text:
        starts.append(at)
        cell, width = _cell(char, at)
        shown.append(cell)
        at += width
    starts.append(at)
    return "".join(shown), starts


def _display_column(starts: list[int], index: int) -> int:
    """The display column of code point `index` (0-based); past the end, one cell each."""
    if index < len(starts):
        return starts[index]
    return starts[-1] + index - (len(starts) - 1)


def carets(diagnostic: Diagnostic) -> tuple[str, int, int]:
    """The shown source line, and the display column and width of the carets under it."""
    d = diagnostic
    shown, starts = layout(d.line_text)
    first = max(d.column - 1, 0)
    # End exclusive; a span that goes on to other lines is marked to the end of this one.
    last = d.end_column - 1 if d.end_line == d.line else max(len(d.line_text), first)
    start = _display_column(starts, first)
    width = max(_display_column(starts, last) - start, 1)
    return shown, start, width


def _block(diagnostic: Diagnostic, color: bool) -> str:
    d = diagnostic
    number = str(d.line)
    gutter = " " * len(number)
    bar = paint("|", color, fg="blue", bold=True)
    lines = [header(d, color)]
    # An empty span at the start of a file marks the whole file (it could not be read or
    # analysed): there is no text to point at.
    if (d.line, d.column) != (d.end_line, d.end_column):
        shown, start, width = carets(d)
        marks = paint("^" * width, color, fg=severity_color(d.severity), bold=True)
        lines += [
            f"{gutter} {bar}",
            f"{paint(number, color, fg='blue', bold=True)} {bar} {shown}".rstrip(),
            f"{gutter} {bar} {' ' * start}{marks}",
        ]
    equals = paint("=", color, fg="blue", bold=True)
    if d.hint:
        lines.append(f"{gutter} {equals} {paint('help', color, bold=True)}: {d.hint}")
    if d.fix is not None:
        kind = "safe fix" if d.fix.applicability == "safe" else f"{d.fix.applicability} fix"
        lines.append(f"{gutter} {equals} {paint(kind, color, bold=True)}: {d.fix.message}")
    return "\n".join(lines) + "\n"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    """One block per finding, with a blank line between blocks."""
    return "\n".join(_block(d, context.color) for d in diagnostics)
