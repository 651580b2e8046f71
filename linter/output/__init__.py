"""Report formats: one module per format, each a function from diagnostics (and an
OutputContext: colour, current folder) to the text of the report."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output import concise, full, github, gitlab, json_format, sarif
from methodlint.output.context import OutputContext

Formatter = Callable[[Sequence[Diagnostic], OutputContext], str]

FORMATTERS: dict[str, Formatter] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}

__all__ = ["FORMATTERS", "Formatter", "OutputContext", "available", "use_color"]


def available() -> tuple[str, ...]:
    return tuple(FORMATTERS)


def use_color(
    option: bool | None,
    *,
    to_file: bool,
    isatty: bool,
    environ: Mapping[str, str] = os.environ,
) -> bool:
    """Whether concise and full output are coloured.

    A report written to a file is never coloured; `--color`/`--no-color` decide otherwise;
    without them a non-empty NO_COLOR turns colour off, then a non-empty FORCE_COLOR turns it
    on (the conventions of no-color.org and force-color.org), and a terminal decides the rest.
    """
    if to_file:
        return False
    if option is not None:
        return option
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return isatty
