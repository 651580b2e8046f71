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

from methodlint.analysis.pipeline import build_facts, file_facts

__all__ = ["build_facts", "file_facts"]
