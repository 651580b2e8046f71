"""`gitlab`: a GitLab Code Quality report (a JSON list of issues), which merge requests show
as new and resolved findings. The fingerprint does not depend on line numbers, so code
inserted above a finding does not make it look resolved and reported again."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from methodlint.diagnostics import Diagnostic, Severity
from methodlint.fingerprint import fingerprints
from methodlint.output.context import OutputContext


def issues(diagnostics: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    return [
        {
            "description": f"{d.code} {d.message}"
            + (f" (cell {d.cell}, line {d.line})" if d.cell is not None else ""),
            "check_name": d.code,
            "fingerprint": fingerprint,
            "severity": "major" if d.severity is Severity.ERROR else "minor",
            "location": {"path": d.path, "lines": {"begin": d.line}},
        }
        for d, fingerprint in zip(diagnostics, fingerprints(diagnostics), strict=True)
    ]


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return json.dumps(issues(diagnostics), indent=2, ensure_ascii=False) + "\n"
