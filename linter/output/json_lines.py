"""`json-lines`: one JSON object per line, the fields of the `json` format, for tools that
read a stream."""

from __future__ import annotations

import json
from collections.abc import Sequence

from methodlint.diagnostics import Diagnostic
from methodlint.output.context import OutputContext
from methodlint.output.json_format import as_dict


def render(diagnostics: Sequence[Diagnostic], context: OutputContext) -> str:
    return "".join(f"{json.dumps(as_dict(d), ensure_ascii=False)}\n" for d in diagnostics)
