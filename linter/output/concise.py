"""`concise`: one line per finding, `path:line:col: CODE message` (`path:cell N:line:col: ...`
in a notebook)."""

from __future__ import annotations

from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output.context import OutputContext
from methodlint.output.style import paint, severity_color


def header(diagnostic: Diagnostic, color: bool) -> str:
    """`path:line:col: CODE message`, the first line of the concise and full formats."""
    d = diagnostic
    path = paint(d.path, color, bold=True)
    code = paint(d.code, color, fg=severity_color(d.severity), bold=True)
    cell = f"cell {d.cell}:" if d.cell is not None else ""
    return f"{path}:{cell}{d.line}:{d.column}: {code} {d.message}"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{header(d, context.color)}\n" for d in diagnostics)
