"""`rdjson`: the Reviewdog Diagnostic Format (JSON), which reviewdog turns into review
comments, with the safe fixes as suggestions. Columns are 1-based code points, end exclusive,
as in every other format; in a notebook they count in the cell that the message names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from methodlint.diagnostics import Diagnostic, Severity, Span
from methodlint.output.context import OutputContext
from methodlint.output.sarif import INFORMATION_URI


def _range(span: Span) -> dict[str, Any]:
    return {
        "start": {"line": span.line, "column": span.column},
        "end": {"line": span.end_line, "column": span.end_column},
    }


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    message = d.message if d.cell is None else f"cell {d.cell}: {d.message}"
    result: dict[str, Any] = {
        "message": message,
        "location": {"path": d.path, "range": _range(d.span)},
        "severity": "ERROR" if d.severity is Severity.ERROR else "WARNING",
        "code": {"value": d.code},
    }
    if d.fix is not None:
        result["suggestions"] = [
            {"range": _range(edit.span), "text": edit.content} for edit in d.fix.edits
        ]
    return result


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    document = {
        "source": {"name": "methodlint", "url": INFORMATION_URI},
        "diagnostics": [_diagnostic(d) for d in diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
