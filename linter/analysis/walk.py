"""A fast walk over LibCST trees, for visitors that only read.

`CSTNode.visit()` and `CSTNode.children` rebuild every node they pass (LibCST's visitors are
also transformers), which costs more than parsing. Reading the dataclass fields directly
costs a fraction of that. Children come in the order LibCST's own visit uses (source
order), without whitespace, comments and punctuation, which hold no code. The walk is
iterative, so long operator chains cannot exhaust the recursion limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

# Fields that hold layout, never code.
_LAYOUT = frozenset(
    {
        "leading_lines",
        "lines_after_decorators",
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "dot",
        "header",
        "footer",
        "indent",
        "newline",
        "trailing_whitespace",
        "empty_lines",
        "first_line",
        "star_tok",
        "walrus",
        "arrow",
        "whitespace",
    }
)
# Node types whose fields are declared in another order than the source has them.
_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Arg: ("keyword", "value"),
}
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        declared = [f.name for f in dataclasses.fields(cls)]
        order = _ORDER.get(cls)
        if order is not None:
            declared = [n for n in order if n in declared]
        names = tuple(n for n in declared if n not in _LAYOUT and not n.startswith("whitespace"))
        _FIELDS[cls] = names
    return names


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children that may hold code, in source order."""
    found: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(v for v in value if isinstance(v, cst.CSTNode))
    return found


def visit(root: cst.CSTNode, visitor: object) -> None:
    """Call `visitor.visit_<Type>(node)` before and `leave_<Type>(node)` after each node's
    children, as `root.visit(visitor)` would; a `visit_` method returning False skips the
    children (and the `leave_` call still happens, as in LibCST)."""
    methods: dict[type, tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]] = {}
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        cls = type(node)
        found = methods.get(cls)
        if found is None:
            name = cls.__name__
            found = (
                getattr(visitor, f"visit_{name}", None),
                getattr(visitor, f"leave_{name}", None),
            )
            methods[cls] = found
        if leaving:
            if found[1] is not None:
                found[1](node)
            continue
        enter = found[0]
        descend = enter(node) if enter is not None else None
        stack.append((node, True))
        if descend is not False:
            stack.extend((child, False) for child in reversed(children(node)))


def walk(
    node: cst.CSTNode, stop: tuple[type, ...] = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
) -> Iterator[cst.CSTNode]:
    """`node` and its descendants in source order, not entering nested nodes of `stop`
    types (`node` itself is always entered)."""
    stack = [node]
    first = True
    while stack:
        current = stack.pop()
        yield current
        if not first and isinstance(current, stop):
            continue
        first = False
        stack.extend(reversed(children(current)))
