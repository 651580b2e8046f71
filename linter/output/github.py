"""`github`: GitHub Actions workflow commands, one per finding, which the runner shows as
annotations on the pull request's diff:

    ::error file=src/app.py,line=3,col=19,endLine=3,endColumn=25,title=ML104::...

The title is the code, as interface.md shows; the rule's name leads the message.
"""

from __future__ import annotations

from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic, Severity
from methodlint.output.context import OutputContext


def escape_data(text: str) -> str:
    """The message after `::`: `%`, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, and `:` and `,` too, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(diagnostic: Diagnostic) -> str:
    d = diagnostic
    kind = "error" if d.severity is Severity.ERROR else "warning"
    properties = {
        "file": d.path,
        "line": str(d.line),
        "col": str(d.column),
        "endLine": str(d.end_line),
        "endColumn": str(d.end_column),
        "title": d.code,
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{kind} {joined}::{escape_data(f'{d.name}: {d.message}')}"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{command(d)}\n" for d in diagnostics)
