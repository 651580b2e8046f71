"""Literal expressions of the syntax tree: the text of a string, `None`, empty containers and
the body arguments that send nothing. Apart from `values.py` so that the abstract values
import without LibCST (the main process of a project run compares answers made of them)."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node


def literal_text(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def sends_nothing(name: str, value: cst.BaseExpression) -> bool:
    """A body argument that sends no content: `json=None`, or `data=`/`files=`/`content=`/
    `body=` that are None or an empty literal (`json={}` sends `{}`)."""
    if name == "json":
        return is_none(value)
    return is_none(value) or is_empty_literal(value)


def is_empty_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return node.evaluated_value in ("", b"")
    if isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return not node.elements
    if isinstance(node, cst.Call) and not node.args:
        return get_full_name_for_node(node.func) in ("dict", "list", "tuple", "bytes", "str")
    return False
