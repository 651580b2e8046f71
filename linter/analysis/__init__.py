"""The analysis of one module into facts, in visible phases (`pipeline.file_facts`):

1. walk and scopes: one pass over the tree records bindings, calls and blocks (`walk`,
   `scopes`);
2. resolution: which calls are HTTP requests, in layers (`resolution` names and expressions,
   `classes`, `headers`, `requests`);
3. summaries: the module's request wrappers and the requests their calls make (`wrappers`);
4. the retry model: retry scopes, policies, recursion, retry helpers (`retry/`);
5. preconditions: JSON Patch documents and read-modify-writes (`preconditions`);
6. positions: spans for the nodes the facts point at (`positions`).
"""

# LibCST is imported only when a file is parsed: the package itself imports nothing, so that
# the data modules (`summary`) can be used by a run that needs no parsing.
from __future__ import annotations

from typing import Any

__all__ = ["build_facts", "file_facts"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from methodlint.analysis import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
