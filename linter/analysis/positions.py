"""Source positions for a chosen few nodes, without LibCST's metadata machinery.

LibCST computes positions by generating the module's code. This does the same once per file,
but records only the nodes a finding may point at, and only for files that have facts.
Positions follow `PositionProvider` (syntactic ranges); columns count code points.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any, Literal

import libcst as cst
from libcst._nodes.internal import CodegenState

from methodlint.analysis.python_spans import aligned_spans
from methodlint.analysis.walk import children
from methodlint.diagnostics import Span

_NEWLINE = re.compile(r"\r\n?|\n")


class _Done(Exception):
    """Every node wanted in the statement being generated has its span: stop there."""


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
        # Generating one statement (`_statement_spans`): the statement, where CPython says its
        # code starts, whether it started there, and how many wanted nodes are left in it.
        self.statement: int | None = None
        self.expected = (0, 0)
        self.verified = False
        self.targets: set[int] = set()
        self.left = -1

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        parts = _NEWLINE.split(value)
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
            self._one_less(key)

    def _one_less(self, key: int) -> None:
        if key in self.targets:
            self.left -= 1
            if self.left == 0 and self.verified:
                raise _Done

    def record_syntactic_position(  # type: ignore[override]
        self, node: Any, *, start_node: Any = None, end_node: Any = None
    ) -> AbstractContextManager[None]:
        # Called for most nodes generated: a plain object, not a generator, and nothing at
        # all for the nodes not wanted.
        key = id(node)
        if key == self.statement:
            if (self.line, self.column + 1) != self.expected:
                raise _Done  # not where CPython has it: `verified` stays False
            self.verified = True
            if self.left == 0:
                raise _Done
        if key not in self.wanted:
            return _NOTHING
        return _Recording(self, key, start_node, end_node)

    def record(self, recording: _Recording) -> None:
        """A wanted node has been generated: its span."""
        key = recording.key
        start = (recording.line, recording.column + 1)
        start_node, end_node = recording.start_node, recording.end_node
        if start_node is not None and id(start_node) in self.found:
            found = self.found[id(start_node)]
            start = (found.line, found.column)
        end = (self.line, self.column + 1)
        if end_node is not None and id(end_node) in self.found:
            found = self.found[id(end_node)]
            end = (found.end_line, found.end_column)
        first = key not in self.found
        self.found[key] = Span(start[0], start[1], end[0], end[1])
        if first:
            self._one_less(key)


_NOTHING: AbstractContextManager[None] = nullcontext()


class _Recording:
    """The generation of one wanted node: where it started."""

    __slots__ = ("column", "end_node", "key", "line", "start_node", "state")

    def __init__(self, state: _State, key: int, start_node: Any, end_node: Any) -> None:
        self.state = state
        self.key = key
        self.line, self.column = state.line, state.column
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, traceback: object) -> Literal[False]:
        # When generating stops early (`_Done`), the nodes still open have no span.
        if kind is None:
            self.state.record(self)
        return False


def compute_spans(
    module: cst.Module,
    nodes: list[cst.CSTNode],
    tree: ast.Module | None = None,
    source: str | None = None,
) -> dict[int, Span]:
    """1-based spans (end exclusive) of `nodes`, keyed by `id(node)`.

    With `tree`, CPython's tree of the same source, only the statements that hold the nodes
    are generated, each from the line CPython gives for it; without it (or when the two
    trees do not line up), the whole module is."""
    if not nodes:
        return {}
    if tree is not None:
        found = _by_statement(module, nodes, tree, source)
        if found is not None:
            return found
    return _whole_module(module, nodes)


def _whole_module(module: cst.Module, nodes: list[cst.CSTNode]) -> dict[int, Span]:
    state = _State(module, {id(node) for node in nodes})
    module._codegen(state)
    return state.found


# -- one statement at a time --------------------------------------------------------------------


class _Statement:
    """A statement of a statement list (the module's or an indented block's): where CPython
    says its code starts, and the indentation its lines are generated with."""

    __slots__ = ("first", "indents", "node", "python")

    def __init__(
        self, node: cst.BaseStatement, python: list[ast.stmt], indents: tuple[str, ...]
    ) -> None:
        self.node = node
        self.first = python[0]
        self.python = python  # a line of small statements is as many of CPython's
        self.indents = indents


def _python_statements(body: list[ast.stmt], into: list[ast.stmt]) -> None:
    """CPython's statements in source order (a statement before those it holds)."""
    for statement in body:
        into.append(statement)
        for name in ("body", "handlers", "orelse", "finalbody", "cases"):
            inner = getattr(statement, name, None)
            if not inner:
                continue
            if name in ("handlers", "cases"):
                for part in inner:
                    _python_statements(part.body, into)
            else:
                _python_statements(inner, into)


class _Aligner:
    """Pairs LibCST's statement lists with CPython's statements, in the same source order:
    a line of small statements (`a = 1; b = 2`) is as many statements in CPython's tree."""

    def __init__(self, module: cst.Module, python: list[ast.stmt]) -> None:
        self.python = python
        self.count = 0
        self.default_indent = module.default_indent
        self.statements: dict[int, _Statement] = {}
        self.ok = True

    def statement_list(self, body: Sequence[cst.BaseStatement], indents: tuple[str, ...]) -> None:
        for statement in body:
            if self.count >= len(self.python):
                self.ok = False
                return
            if isinstance(statement, cst.SimpleStatementLine):
                python = self.python[self.count : self.count + len(statement.body)]
                self.statements[id(statement)] = _Statement(statement, python, indents)
                self.count += len(statement.body)
            else:
                python = [self.python[self.count]]
                self.statements[id(statement)] = _Statement(statement, python, indents)
                self.compound(statement, indents)

    def compound(self, node: cst.CSTNode, indents: tuple[str, ...]) -> None:
        self.count += 1
        if isinstance(node, cst.Match):  # its cases are indented one level in
            indents = (*indents, self.default_indent if node.indent is None else node.indent)
        for part in _parts(node):
            if isinstance(part, cst.If):  # elif
                self.compound(part, indents)
            elif isinstance(part, cst.IndentedBlock):
                indent = self.default_indent if part.indent is None else part.indent
                self.statement_list(part.body, (*indents, indent))
            elif isinstance(part, cst.SimpleStatementSuite):
                self.count += len(part.body)


def _parts(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The suites of a compound statement in source order, an `elif` as its `If`."""
    parts: list[cst.CSTNode] = []
    body = getattr(node, "body", None)
    if isinstance(body, cst.BaseSuite):
        parts.append(body)
    for handler in getattr(node, "handlers", ()):
        parts.append(handler.body)
    for case in getattr(node, "cases", ()):
        parts.append(case.body)
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        parts.append(orelse)
    elif isinstance(orelse, cst.Else):
        parts.append(orelse.body)
    final = getattr(node, "finalbody", None)
    if isinstance(final, cst.Finally):
        parts.append(final.body)
    return parts


# Compound statements whose span is read off CPython's tree and LibCST's own footers instead of
# being generated (`_compound_span`): a retry loop or a decorated function is a region, and
# generating a whole region's code cost more than the rest of the analysis of a file.
_COMPOUND = (cst.For, cst.While, cst.If, cst.With, cst.Try, cst.FunctionDef, cst.ClassDef)


def _by_statement(
    module: cst.Module, nodes: list[cst.CSTNode], tree: ast.Module, source: str | None = None
) -> dict[int, Span] | None:
    """The spans of `nodes`, generating only the innermost statements of a statement list
    that hold them; None when CPython's tree does not line up with LibCST's (then the
    caller generates the whole module). With `source`, a compound statement of a statement
    list gets its span without generating it, and so do the nodes `python_spans.py` can pair
    with CPython's."""
    python: list[ast.stmt] = []
    _python_statements(tree.body, python)
    aligner = _Aligner(module, python)
    aligner.statement_list(module.body, ())
    if not aligner.ok or aligner.count != len(python):
        return None
    statements = aligner.statements
    direct: dict[int, Span] = {}
    lines = _Lines(source) if source is not None else None
    if lines is not None and not any(_is_part(node, statements) for node in nodes):
        for node in nodes:
            statement = statements.get(id(node))
            if statement is not None and isinstance(node, _COMPOUND):
                span = _compound_span(statement, lines)
                if span is not None:
                    direct[id(node)] = span
        nodes = [node for node in nodes if id(node) not in direct]
        if not nodes:
            return direct
    wanted = {id(node) for node in nodes}
    owners = _owners(statements, wanted)
    if owners is None:
        return None
    found: dict[int, Span] = {}
    targets: dict[int, tuple[_Statement, set[int]]] = {}
    for key, owner in owners.items():
        targets.setdefault(id(owner.node), (owner, set()))[1].add(key)
    for owner, inside in targets.values():
        if lines is not None:
            spans = aligned_spans(owner.node, owner.python, inside, lines.column)
            if spans is not None:
                found.update(spans)
                continue
        spans = _statement_spans(module, owner, wanted, inside)
        if spans is None:
            return None
        found.update(spans)
    found.update(direct)
    return found


def _owners(statements: dict[int, _Statement], wanted: set[int]) -> dict[int, _Statement] | None:
    """The innermost statement that holds each wanted node (None unless each has one): each
    statement's own nodes, those of its header and of the small statements of its line,
    walked apart from the statements it holds, until every wanted node is found."""
    owners: dict[int, _Statement] = {}
    left = len(wanted)
    for statement in statements.values():
        key = id(statement.node)
        if key in wanted and key not in owners:
            owners[key] = statement
            left -= 1
        stack = children(statement.node)
        while stack and left:
            node = stack.pop()
            key = id(node)
            if key in statements:
                continue  # a statement of its own
            if key in wanted and key not in owners:
                owners[key] = statement
                left -= 1
            stack.extend(children(node))
        if not left:
            break
    return None if left else owners


def _is_part(node: cst.CSTNode, statements: dict[int, _Statement]) -> bool:
    """A block or clause of a compound statement (an `elif` included): generating gives the
    statement the end of such a part when the part's own span is wanted too, so the
    statement's span is then generated rather than read off the trees."""
    if isinstance(node, cst.If):
        return id(node) not in statements
    return isinstance(
        node,
        (
            cst.BaseSuite,
            cst.Else,
            cst.Finally,
            cst.ExceptHandler,
            cst.ExceptStarHandler,
            cst.MatchCase,
        ),
    )


class _Lines:
    """Columns of CPython's tree (UTF-8 bytes) as code points, line by line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ascii = source.isascii()
        self.continuations = "\\\n" in source or "\\\r" in source
        self._lines: list[str] | None = None

    def line(self, number: int) -> str:
        if self._lines is None:
            self._lines = _NEWLINE.split(self.source)
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    def column(self, line: int, offset: int) -> int:
        if self.ascii:
            return offset
        text = self.line(line)
        return len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace"))

    def logical_end(self, line: int, offset: int) -> int:
        """The line a statement's NEWLINE is on, its last token ending at `offset` of `line`:
        a backslash after it continues the statement onto the next line."""
        if not self.continuations:
            return line
        rest = self.line(line)[self.column(line, offset) :]
        while rest.strip() == "\\":
            line += 1
            rest = self.line(line)
        return line


class QuotedCode:
    """The code of a node facts quote: for an expression on one line, without parentheses of
    its own, the source between the ends of its span (which is exactly its code), instead of
    generating it; generated for anything else (LibCST generates the lines after the first
    without the indentation of the block they are in), or without the source."""

    def __init__(self, module: cst.Module, spans: dict[int, Span], source: str | None) -> None:
        self.module = module
        self.spans = spans
        self.lines = _Lines(source) if source is not None else None

    def __call__(self, node: cst.CSTNode) -> str:
        span = self.spans.get(id(node))
        if (
            span is None
            or span.line != span.end_line
            or self.lines is None
            or not isinstance(node, cst.BaseExpression)
            or node.lpar
        ):
            return self.module.code_for_node(node)
        return self.lines.line(span.line)[span.column - 1 : span.end_column - 1]


def _compound_span(statement: _Statement, lines: _Lines) -> Span | None:
    """A compound statement's span as generating it gives: from its keyword (where CPython
    has it) to the start of the line after its last block, the comment lines LibCST keeps
    at the end of each innermost block (its footer) included."""
    first = statement.first
    last = first.end_lineno or first.lineno
    last = lines.logical_end(last, first.end_col_offset or 0)
    node: cst.CSTNode = statement.node
    while True:
        parts = _parts(node)
        if not parts:
            break
        final = parts[-1]
        if isinstance(final, cst.If):
            node = final
            continue
        if not isinstance(final, cst.IndentedBlock):
            break
        last += len(final.footer)
        inner = final.body[-1] if final.body else None
        if inner is None or isinstance(inner, cst.SimpleStatementLine):
            break
        if not isinstance(inner, _COMPOUND):
            return None  # a `match` (its own footer): generated instead
        node = inner
    return Span(first.lineno, lines.column(first.lineno, first.col_offset) + 1, last + 1, 1)


def _statement_spans(
    module: cst.Module, statement: _Statement, wanted: set[int], targets: set[int]
) -> dict[int, Span] | None:
    """Generate one statement from its first line (CPython's line of its code, less the
    comment and blank lines LibCST keeps with it) until the wanted nodes in it (`targets`)
    have their spans. None when the statement's own position does not come out where
    CPython has it."""
    node = statement.node
    first = statement.first
    line = first.lineno
    decorators: Sequence[cst.Decorator] = getattr(node, "decorators", ())
    python_decorators: Sequence[ast.expr] = getattr(first, "decorator_list", ())
    if decorators:
        if len(python_decorators) != len(decorators):
            return None
        line = python_decorators[0].lineno - len(decorators[0].leading_lines)
    leading: Sequence[cst.EmptyLine] = getattr(node, "leading_lines", ())
    line -= len(leading)
    state = _State(module, wanted)
    state.line = line
    state.indent_tokens = list(statement.indents)
    state.statement = id(node)
    state.expected = (first.lineno, first.col_offset + 1)
    state.targets = targets
    state.left = len(targets)
    with suppress(_Done):
        node._codegen(state)
    if not state.verified or any(key not in state.found for key in targets):
        return None
    return state.found
