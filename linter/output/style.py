"""Terminal styles shared by the human-readable formats (concise and full)."""

from __future__ import annotations

from typing import Any

import click

from methodlint.diagnostics import Severity


def paint(text: str, enabled: bool, **styles: Any) -> str:
    """`text` with click styles when colour is on; unchanged otherwise (and when empty)."""
    if not enabled or not text:
        return text
    return click.style(text, **styles)


def severity_color(severity: Severity) -> str:
    return "red" if severity is Severity.ERROR else "yellow"
