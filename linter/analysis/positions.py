"""Source positions for a chosen few nodes, without LibCST's metadata machinery.

LibCST computes positions by generating the module's code. This does the same once per file,
but records only the nodes a finding may point at, and only for files that have facts.
Positions follow `PositionProvider` (syntactic ranges); columns count code points.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from methodlint.diagnostics import Span

_NEWLINE = re.compile(r"\r\n?|\n")


class _State(CodegenState):
    # CodegenState is a slotted dataclass; this subclass adds plain attributes.
    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.wanted = wanted
        self.found: dict[int, Span] = {}
        self.line = 1
        self.column = 0
        self.stack: list[tuple[int, int]] = []

    def _advance(self, value: str) -> None:
        parts = _NEWLINE.split(value)
        if len(parts) == 1:
            self.column += len(value)
        else:
            self.line += len(parts) - 1
            self.column = len(parts[-1])

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self._advance(value)

    def pop_trailing_newline(self) -> None:
        pass

    def before_codegen(self, node: Any) -> None:
        self.stack.append((self.line, self.column))

    def after_codegen(self, node: Any) -> None:
        line, column = self.stack.pop()
        key = id(node)
        if key in self.wanted and key not in self.found:
            self.found[key] = Span(line, column + 1, self.line, self.column + 1)

    @contextmanager
    def record_syntactic_position(
        self, node: Any, *, start_node: Any = None, end_node: Any = None
    ) -> Iterator[None]:
        line, column = self.line, self.column
        try:
            yield
        finally:
            key = id(node)
            if key in self.wanted:
                start = (line, column + 1)
                if start_node is not None and id(start_node) in self.found:
                    found = self.found[id(start_node)]
                    start = (found.line, found.column)
                end = (self.line, self.column + 1)
                if end_node is not None and id(end_node) in self.found:
                    found = self.found[id(end_node)]
                    end = (found.end_line, found.end_column)
                self.found[key] = Span(start[0], start[1], end[0], end[1])


def compute_spans(
    module: cst.Module, nodes: list[cst.CSTNode], tree: ast.Module | None = None
) -> dict[int, Span]:
    """1-based spans (end exclusive) of `nodes`, keyed by `id(node)`."""
    if not nodes:
        return {}
    state = _State(module, {id(node) for node in nodes})
    module._codegen(state)
    return state.found
