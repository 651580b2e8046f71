"""`sarif`: a SARIF 2.1.0 log with one run, for GitHub code scanning and other SARIF viewers.

`tool.driver.rules` lists every registered rule (not only those with findings), with its
documentation as help text. Relative paths are URIs relative to `%SRCROOT%`, the current
folder; a path outside it (shown absolute) is a `file:` URI of its own. Regions count
columns in code points, end exclusive, as SARIF's `unicodeCodePoints` column kind defines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from methodlint import __version__
from methodlint.diagnostics import Diagnostic, Fix, Severity, Span
from methodlint.fingerprint import fingerprints
from methodlint.output.context import OutputContext
from methodlint.registry import all_rules
from methodlint.rule import Rule

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/methodlint/methodlint"
SRCROOT = "%SRCROOT%"
# The key of our own fingerprint in `partialFingerprints`; bump the version if it changes.
FINGERPRINT_KEY = "methodlint/v1"


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    doc = rule.documentation()
    markdown = "\n\n".join(f"## {heading}\n\n{body}" for heading, body in doc.items())
    text = "\n\n".join(f"{heading}\n{body}" for heading, body in doc.items())
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc.get("What it does", rule.summary)},
        "help": {"text": text or rule.summary, "markdown": markdown or rule.summary},
        "defaultConfiguration": {"enabled": rule.default_on, "level": _level(rule.severity)},
        "properties": {"preview": rule.preview, "fixable": rule.fixable},
    }


def artifact_location(path: str) -> dict[str, str]:
    """A path as the output shows it, as a SARIF artifactLocation."""
    if os.path.isabs(path):
        try:
            return {"uri": Path(path).as_uri()}
        except ValueError:  # Windows: rooted but without a drive; read as relative
            pass
    # Everything but "/" is percent-encoded (UTF-8 for non-ASCII), so that a ":" in the first
    # segment cannot be read as a scheme.
    # A name that is not UTF-8 (surrogate escapes) keeps its own bytes: `caf%E9.py`.
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _fix(fix: Fix, path: str) -> dict[str, Any]:
    return {
        "description": {"text": fix.message},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(path),
                "replacements": [
                    {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.content}}
                    for edit in fix.edits
                ],
            }
        ],
        "properties": {"applicability": fix.applicability},
    }


def _result(diagnostic: Diagnostic, index: int | None, fingerprint: str) -> dict[str, Any]:
    d = diagnostic
    result: dict[str, Any] = {"ruleId": d.code}
    if index is not None:
        result["ruleIndex"] = index
    result["level"] = _level(d.severity)
    result["message"] = {"text": d.message}
    result["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": artifact_location(d.path),
                "region": _region(d.span),
            }
        }
    ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if d.cell is not None:
        # SARIF has no notebook cells: the region's lines count in this cell.
        result["properties"] = {"cell": d.cell}
    if d.fix is not None:
        result["fixes"] = [_fix(d.fix, d.path)]
    return result


def document(diagnostics: Sequence[Diagnostic], context: OutputContext) -> dict[str, Any]:
    """The SARIF log as JSON-ready data."""
    rules = all_rules()
    index = {rule.code: position for position, rule in enumerate(rules)}
    root = context.cwd.absolute().as_uri()
    if not root.endswith("/"):
        root += "/"
    results = [
        _result(d, index.get(d.code), fingerprint)
        for d, fingerprint in zip(diagnostics, fingerprints(diagnostics), strict=True)
    ]
    driver = {
        "name": "methodlint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(rule) for rule in rules],
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SRCROOT: {"uri": root}},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return json.dumps(document(diagnostics, context), indent=2, ensure_ascii=False) + "\n"
