"""Fingerprints that survive line shifts: for baselines and GitLab code quality reports.

A finding is identified by its path, its code and the text of its line (stripped of
surrounding whitespace), plus its rank among findings that share all three, so that two
identical lines in one file keep distinct fingerprints. Line numbers are not part of it:
inserting code above a finding leaves its fingerprint as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic


def fingerprints(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """One fingerprint per diagnostic, in the order given (sort them first for stable ranks)."""
    seen: dict[tuple[str, str, str], int] = {}
    found = []
    for diagnostic in diagnostics:
        key = (diagnostic.path, diagnostic.code, diagnostic.line_text.strip())
        rank = seen.get(key, 0)
        seen[key] = rank + 1
        text = "\0".join((*key, str(rank)))
        found.append(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return found
