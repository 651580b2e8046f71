"""`concise`: one line per finding, `path:line:col: CODE message` (`path:cell N:line:col: ...`
in a notebook), with `[*]` before the message when `--fix` can fix it (as ruff marks them)."""

from __future__ import annotations

from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output.context import OutputContext
from methodlint.output.style import paint, severity_color

# Control characters in a file name (a newline) would split or garble the line: they are shown
# as escapes.
_ESCAPES = {code: f"\\x{code:02x}" for code in range(32)} | {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    127: "\\x7f",
}


def printable_path(path: str) -> str:
    """A file name that stays on one line: control characters escaped."""
    if path.isprintable():
        return path
    return path.translate(_ESCAPES)


def header(diagnostic: Diagnostic, color: bool) -> str:
    """`path:line:col: CODE message`, the first line of the concise and full formats."""
    d = diagnostic
    path = paint(printable_path(d.path), color, bold=True)
    code = paint(d.code, color, fg=severity_color(d.severity), bold=True)
    cell = f"cell {d.cell}:" if d.cell is not None else ""
    marker = f"{paint('[*]', color, fg='cyan')} " if fixable(d) else ""
    return f"{path}:{cell}{d.line}:{d.column}: {code} {marker}{d.message}"


def fixable(diagnostic: Diagnostic) -> bool:
    """Whether `--fix` applies this finding's fix (only safe fixes are applied)."""
    return diagnostic.fix is not None and diagnostic.fix.applicability == "safe"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{header(d, context.color)}\n" for d in diagnostics)
