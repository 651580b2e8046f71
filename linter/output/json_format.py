"""`json`: a list of finding objects, with the fields documented in the README."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from methodlint.diagnostics import Diagnostic, Fix
from methodlint.output.context import OutputContext


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": edit.content,
                "line": edit.span.line,
                "column": edit.span.column,
                "end_line": edit.span.end_line,
                "end_column": edit.span.end_column,
            }
            for edit in fix.edits
        ],
    }


def as_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "severity": diagnostic.severity.value,
        "path": diagnostic.path,
        # In a notebook, the cell that line, column and the fix's edits count in; else null.
        "cell": diagnostic.cell,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "end_line": diagnostic.end_line,
        "end_column": diagnostic.end_column,
        "fix": _fix(diagnostic.fix),
    }


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
