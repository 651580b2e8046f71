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
# Per type of value found in a field: 1 a node, 2 a sequence (of nodes or not), 0 anything
# else. `isinstance(value, cst.CSTNode)` goes through ABCMeta's Python-level check, which
# costs more than the rest of a node's visit; a dict look-up per type does not.
_KIND: dict[type, int] = {}


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


def _kind(cls: type) -> int:
    kind = 1 if issubclass(cls, cst.CSTNode) else 2 if issubclass(cls, (tuple, list)) else 0
    _KIND[cls] = kind
    return kind


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children that may hold code, in source order."""
    found: list[cst.CSTNode] = []
    names = _FIELDS.get(type(node)) or _fields(type(node))
    kinds = _KIND
    for name in names:
        value = getattr(node, name)
        kind = kinds.get(type(value))
        if kind is None:
            kind = _kind(type(value))
        if kind == 1:
            found.append(value)
        elif kind == 2:
            for item in value:
                item_kind = kinds.get(type(item))
                if item_kind is None:
                    item_kind = _kind(type(item))
                if item_kind == 1:
                    found.append(item)
    return found


def visit(root: cst.CSTNode, visitor: object) -> None:
    """Call `visitor.visit_<Type>(node)` before and `leave_<Type>(node)` after each node's
    children, as `root.visit(visitor)` would; a `visit_` method returning False skips the
    children (and the `leave_` call still happens, as in LibCST)."""
    methods: dict[type, tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]] = {}
    # A node is pushed again to be left only when the visitor has a `leave_` method for it.
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    pop = stack.pop
    push = stack.append
    while stack:
        node, leaving = pop()
        cls = type(node)
        found = methods.get(cls)
        if found is None:
            name = cls.__name__
            found = (
                getattr(visitor, f"visit_{name}", None),
                getattr(visitor, f"leave_{name}", None),
            )
            methods[cls] = found
        enter, leave = found
        if leaving:
            leave(node)  # type: ignore[misc]
            continue
        descend = enter(node) if enter is not None else None
        if leave is not None:
            push((node, True))
        if descend is not False:
            inner = children(node)
            for child in reversed(inner):
                push((child, False))


def walk(
    node: cst.CSTNode, stop: tuple[type, ...] = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
) -> Iterator[cst.CSTNode]:
    """`node` and its descendants in source order, not entering nested nodes of `stop`
    types (`node` itself is always entered)."""
    stops = _STOPS.get(stop)
    if stops is None:
        stops = _stop_types(stop)
    yield node
    stack = list(reversed(children(node)))
    while stack:
        current = stack.pop()
        yield current
        cls = type(current)
        stopped = stops.get(cls)
        if stopped is None:
            stopped = stops[cls] = issubclass(cls, stop)
        if not stopped:
            stack.extend(reversed(children(current)))


# Per tuple of stop types: whether each node type seen is one of them (see `_KIND`).
_STOPS: dict[tuple[type, ...], dict[type, bool]] = {}


def _stop_types(stop: tuple[type, ...]) -> dict[type, bool]:
    found: dict[type, bool] = {}
    _STOPS[stop] = found
    return found
