"""`github`: GitHub Actions workflow commands, one per finding, which the runner shows as
annotations on the pull request's diff:

    ::error file=src/app.py,line=3,col=19,endLine=3,endColumn=25,title=ML104::...

The title is the code, as interface.md shows; the rule's name leads the message. A finding in
a notebook names its cell, line and column in the message instead.
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
    properties = {"file": d.path}
    message = f"{d.name}: {d.message}"
    if d.cell is None:
        properties.update(
            line=str(d.line),
            col=str(d.column),
            endLine=str(d.end_line),
            endColumn=str(d.end_column),
        )
    else:
        # Lines of the notebook's JSON text would point at the wrong place: the annotation
        # is on the file, and the message says where in which cell.
        message = f"{d.name}: cell {d.cell}, line {d.line}, column {d.column}: {d.message}"
    properties["title"] = d.code
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{kind} {joined}::{escape_data(message)}"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{command(d)}\n" for d in diagnostics)
