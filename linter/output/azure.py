"""`azure`: Azure Pipelines logging commands, which the pipeline shows as errors and warnings
on the run:

    ##vso[task.logissue type=error;sourcepath=a.py;linenumber=3;columnnumber=19;code=ML101;]...
"""

from __future__ import annotations

from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic, Severity
from methodlint.output.context import OutputContext


def escape_data(text: str) -> str:
    """The message: `%`, CR and LF escaped as the agent reads them back."""
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, and `;` and `]`, which end properties and the command."""
    return escape_data(text).replace(";", "%3B").replace("]", "%5D")


def command(diagnostic: Diagnostic) -> str:
    d = diagnostic
    properties = {
        "type": "error" if d.severity is Severity.ERROR else "warning",
        "sourcepath": d.path,
        "linenumber": str(d.line),
        "columnnumber": str(d.column),
        "code": d.code,
    }
    joined = "".join(f"{key}={escape_property(value)};" for key, value in properties.items())
    message = f"{d.name}: {d.message}"
    if d.cell is not None:
        # Line and column count in a notebook's cell: the message says which.
        message = f"{d.name}: cell {d.cell}, line {d.line}, column {d.column}: {d.message}"
    return f"##vso[task.logissue {joined}]{escape_data(message)}"


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{command(d)}\n" for d in diagnostics)
