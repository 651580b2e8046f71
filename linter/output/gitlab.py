"""`gitlab`: a GitLab Code Quality report (a JSON list of issues), which merge requests show
as new and resolved findings. The fingerprint does not depend on line numbers, so code
inserted above a finding does not make it look resolved and reported again. Paths are relative
to `CI_PROJECT_DIR` when it is set (GitLab links them from the project's root), else as
shown."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from methodlint.diagnostics import Diagnostic, Severity
from methodlint.fingerprint import fingerprints
from methodlint.output.context import OutputContext


def project_path(path: str, context: OutputContext) -> str:
    """`path` (as shown: relative to the current folder, or absolute) relative to the project
    folder when it is set and the file is below it."""
    if not context.project_dir:
        return path
    absolute = os.path.normpath(os.path.join(context.cwd, path))
    base = os.path.abspath(context.project_dir)
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:  # another drive (Windows)
        return path
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return path
    return relative.replace(os.sep, "/")


def issues(
    diagnostics: Sequence[Diagnostic], context: OutputContext | None = None
) -> list[dict[str, Any]]:
    context = context or OutputContext(project_dir=None)
    return [
        {
            "description": f"{d.code} {d.message}"
            + (f" (cell {d.cell}, line {d.line})" if d.cell is not None else ""),
            "check_name": d.code,
            "fingerprint": fingerprint,
            "severity": "major" if d.severity is Severity.ERROR else "minor",
            "location": {
                "path": project_path(d.path, context),
                "lines": {"begin": d.line, "end": d.end_line},
            },
        }
        for d, fingerprint in zip(diagnostics, fingerprints(diagnostics), strict=True)
    ]


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return json.dumps(issues(diagnostics, context), indent=2, ensure_ascii=False) + "\n"
