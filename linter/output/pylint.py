"""`pylint`: `path:line: [CODE] message`, the parseable format that pylint-aware tools and
editors (and ruff's `pylint` format) use; `path:cell N:line: ...` in a notebook."""

from __future__ import annotations

from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output.context import OutputContext


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(
        f"{d.path}:{'' if d.cell is None else f'cell {d.cell}:'}{d.line}: [{d.code}] {d.message}\n"
        for d in diagnostics
    )
