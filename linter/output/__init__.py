"""Report formats: one module per format, each a function from diagnostics (and an
OutputContext: colour, current folder) to the text of the report."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output import (
    azure,
    concise,
    full,
    github,
    gitlab,
    json_format,
    json_lines,
    junit,
    pylint,
    rdjson,
    sarif,
)
from methodlint.output.context import OutputContext

Formatter = Callable[[Sequence[Diagnostic], OutputContext], str]

FORMATTERS: dict[str, Formatter] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "json-lines": json_lines.render,
    "junit": junit.render,
    "pylint": pylint.render,
    "azure": azure.render,
    "rdjson": rdjson.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}

__all__ = ["FORMATTERS", "Formatter", "OutputContext", "available", "use_color"]


def available() -> tuple[str, ...]:
    return tuple(FORMATTERS)


def use_color(
    option: bool | str | None,
    *,
    to_file: bool,
    isatty: bool,
    environ: Mapping[str, str] = os.environ,
) -> bool:
    """Whether concise and full output are coloured.

    A report written to a file is never coloured; `--color always|never` (or True/False)
    decide otherwise; with `auto` (None) a non-empty NO_COLOR turns colour off, then a
    non-empty FORCE_COLOR or a CLICOLOR_FORCE other than 0 turns it on (the conventions of
    no-color.org, force-color.org and bixense.com/clicolors), and a terminal decides the rest.
    """
    if to_file:
        return False
    if option in (True, "always"):
        return True
    if option in (False, "never"):
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR") or environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    return isatty
