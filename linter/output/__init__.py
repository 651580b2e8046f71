"""Report formats: one module per format, each a function from diagnostics to text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output import concise, json_format

Formatter = Callable[[Sequence[Diagnostic]], str]

FORMATTERS: dict[str, Formatter] = {
    "concise": concise.render,
    "json": json_format.render,
}


def available() -> tuple[str, ...]:
    return tuple(FORMATTERS)
