"""Facts for lost updates and state changes through GET: JSON Patch documents,
read-modify-writes, header value literals and the literal path of a URL.

Works on what `calls.Resolver` found (the raw calls, with their nodes) and completes the
`HttpCall` facts that `calls.build_facts` makes of them. A function is walked only when it
holds a GET and a later PUT or PATCH of the same URL expression.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.analysis.walk import children, visit
from methodlint.diagnostics import Span
from methodlint.facts import Headers, HttpCall, JsonPatch

if TYPE_CHECKING:
    from methodlint.analysis.requests import RawRequest, Resolver
    from methodlint.analysis.scopes import Scope

JSON_PATCH_TYPE = "application/json-patch+json"
_WRITES = frozenset({"PUT", "PATCH"})
# What reads a response's content or headers (requests, httpx, aiohttp, urllib3, urllib,
# http.client): `r.json()`, `r.text`, `await r.read()`, `r.headers[...]`, `r.data`, ...
_READS = frozenset(
    {
        "json",
        "text",
        "content",
        "read",
        "aread",
        "readline",
        "readlines",
        "headers",
        "getheader",
        "getheaders",
        "info",
        "data",
        "iter_content",
        "iter_lines",
        "iter_bytes",
        "iter_text",
        "aiter_bytes",
        "aiter_text",
        "aiter_lines",
    }
)
_LOADERS = frozenset({"json.load", "load", "ujson.load", "simplejson.load"})
_DUMPERS = frozenset({"json.dumps", "dumps", "ujson.dumps", "simplejson.dumps", "orjson.dumps"})
_URLJOIN_MODULES = ("urllib.parse", "urlparse", "requests.compat", "six.moves.urllib.parse")
_BODY_NAMES = frozenset({"json", "data", "content", "body"})


# -- literal text -------------------------------------------------------------------------


def string_literal(node: cst.BaseExpression) -> str | None:
    """The text of a string literal, f-string or concatenation of them, with `{}` for each
    computed part; None for anything else (bytes included)."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        if isinstance(node, cst.ConcatenatedString) and (
            isinstance(node.left, cst.FormattedString)
            or isinstance(node.right, (cst.FormattedString, cst.ConcatenatedString))
        ):
            left = string_literal(node.left)
            right = string_literal(node.right)
            return left + right if left is not None and right is not None else None
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString):
        if "b" in node.prefix.lower():
            return None
        return "".join(
            part.value if isinstance(part, cst.FormattedStringText) else "{}" for part in node.parts
        )
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = string_literal(node.left)
        right = string_literal(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcoa%]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")


def text_literal(node: cst.BaseExpression) -> str | None:
    """`string_literal`, and a literal formatted with `%` or `.format()`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        template = string_literal(node.left)
        if template is None:
            return None
        return _PRINTF.sub(lambda m: "%" if m.group() == "%%" else "{}", template)
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "format"
    ):
        template = string_literal(node.func.value)
        if template is None:
            return None
        escaped = template.replace("{{", "\0").replace("}}", "\1")
        return _FORMAT_FIELD.sub("{}", escaped).replace("\0", "{").replace("\1", "}")
    return string_literal(node)


def url_literal(
    resolver: Resolver, node: cst.BaseExpression, scope: Scope, depth: int = 0
) -> str | None:
    """The literal text of a URL expression, `{}` for what is computed: a string, f-string,
    concatenation, `%` or `.format()` of a literal, `urljoin` of such parts, or a name bound
    once to one of these."""
    if depth > 8:
        return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = url_literal(resolver, node.left, scope, depth)
        right = url_literal(resolver, node.right, scope, depth)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    if isinstance(node, cst.Call) and _is_urljoin(resolver, node, scope) and len(node.args) >= 2:
        base = url_literal(resolver, node.args[0].value, scope, depth + 1)
        ref = url_literal(resolver, node.args[1].value, scope, depth + 1)
        return _urljoin(base, ref)
    if isinstance(node, cst.Name):
        found = resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "assign":
            return None
        value = found[1][0].node
        assert isinstance(value, cst.BaseExpression)
        return url_literal(resolver, value, found[0], depth + 1)
    return text_literal(node)


def _is_urljoin(resolver: Resolver, call: cst.Call, scope: Scope) -> bool:
    if any(a.keyword is not None or a.star for a in call.args[:2]):
        return False
    name = resolver.qualified_name(call.func, scope)
    if name is not None:
        return name in {f"{m}.urljoin" for m in _URLJOIN_MODULES}
    written = get_full_name_for_node(call.func) or ""
    return written == "urljoin" or written.endswith(".urljoin")


def _urljoin(base: str | None, ref: str | None) -> str | None:
    """`urljoin(base, ref)` on literal texts (`{}` for computed parts)."""
    if ref is None:
        return None if base is None else base.rstrip("/") + "/{}"
    if _SCHEME.match(ref) or ref.startswith("//"):
        return ref
    if base is None or not base:
        return "{}" + (ref if ref.startswith("/") else "/" + ref)
    root = _split_host(base)
    if ref.startswith("/"):
        return (root[0] if root is not None else "{}") + ref
    # A relative reference replaces the base's last segment.
    head, slash, _ = base.rpartition("/")
    if root is not None and len(head) < len(root[0]):
        return base.rstrip("/") + "/" + ref
    return (head + slash if slash else base + "/") + ref


# -- URL paths ----------------------------------------------------------------------------

_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*|\{\})://")
_HOSTLIKE = re.compile(r"^(?:[\w\-]+(?:\.[\w\-]+)+|localhost|\{\})(?::(?:\d+|\{\}))?$")
_FILE_SUFFIXES = frozenset(
    {"json", "xml", "html", "htm", "php", "asp", "aspx", "jsp", "txt", "csv", "js", "cgi", "do"}
)


def _split_host(url: str) -> tuple[str, str] | None:
    """(scheme and host, rest) of an absolute URL (or a protocol-relative one)."""
    match = _SCHEME.match(url)
    start = match.end() if match else (2 if url.startswith("//") else None)
    if start is None:
        return None
    slash = url.find("/", start)
    if slash < 0:
        return url, ""
    return url[:slash], url[slash:]


def url_segments(literal: str) -> tuple[str, ...]:
    """The path segments of a URL's literal text: never the scheme, host, query or fragment.
    For a URL led by a placeholder (`f"{base}/users/delete"`), the placeholder is the base."""
    text = re.split(r"[?#]", literal, maxsplit=1)[0]
    split = _split_host(text)
    if split is not None:
        text = split[1]
    elif text.startswith("{}"):
        text = re.sub(r"^(?:\{\})+", "", text)
        if text[:1] in (".", ":", "-"):
            # Still the host: f"{tenant}.example.com/...", f"{host}:8080/...".
            slash = text.find("/")
            text = text[slash:] if slash >= 0 else ""
    elif not text.startswith("/"):
        first = text.split("/", 1)[0]
        suffix = first.rsplit(".", 1)[-1].lower()
        if _HOSTLIKE.match(first) and suffix not in _FILE_SUFFIXES:
            text = text[len(first) :]
    return tuple(s for s in text.split("/") if s)


# -- JSON Patch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Document:
    """What methodlint sees of a request's content: a list of operations, and the first."""

    patch: bool
    first_op: str | None = None


_NOT_PATCH = _Document(False)


def _op_of(node: cst.BaseExpression) -> str | None:
    """The literal "op" of a dict literal with an "op" key ("" when it is not a literal);
    None when `node` is no such dict."""
    if not isinstance(node, cst.Dict):
        return None
    for element in node.elements:
        if isinstance(element, cst.DictElement) and string_literal(element.key) == "op":
            value = string_literal(element.value)
            return value if value is not None and "{}" not in value else ""
    return None


def _document(
    resolver: Resolver, node: cst.BaseExpression, scope: Scope, depth: int = 0
) -> _Document:
    if depth > 8:
        return _NOT_PATCH
    if isinstance(node, cst.List):
        ops = [_op_of(e.value) for e in node.elements if isinstance(e, cst.Element)]
        if not any(op is not None for op in ops):
            return _NOT_PATCH
        first = node.elements[0]
        op = _op_of(first.value) if isinstance(first, cst.Element) else None
        return _Document(True, op or None)
    if isinstance(node, cst.ListComp):
        return _Document(_op_of(node.elt) is not None)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = _document(resolver, node.left, scope, depth + 1)
        right = _document(resolver, node.right, scope, depth + 1)
        if not (left.patch or right.patch):
            return _NOT_PATCH
        return _Document(True, left.first_op)
    if isinstance(node, cst.Call):
        func = node.func
        if get_full_name_for_node(func) in _DUMPERS and node.args:
            return _document(resolver, node.args[0].value, scope, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value == "encode":
            return _document(resolver, func.value, scope, depth + 1)
        return _NOT_PATCH
    if isinstance(node, cst.Name):
        found = resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "assign":
            return _NOT_PATCH
        owner = found[0]
        value = found[1][0].node
        assert isinstance(value, cst.BaseExpression)
        document = _document(resolver, value, owner, depth + 1)
        if isinstance(value, cst.List):
            document = _appended(resolver, node.value, owner, value, document)
        return document
    return _NOT_PATCH


def _appended(
    resolver: Resolver, name: str, owner: Scope, value: cst.List, document: _Document
) -> _Document:
    """A list bound to a name and filled with `append({...})` calls: a JSON Patch document
    when one appends an operation; its first operation is the first append's when the list
    starts empty and that append always runs."""
    patch, first_op = document.patch, document.first_op
    known_first = bool(value.elements)
    for site in sorted(resolver.method_calls(name, owner), key=lambda s: s.seq):
        assert isinstance(site.node.func, cst.Attribute)
        method = site.node.func.attr.value
        args = site.node.args
        op = None
        if method == "append" and len(args) == 1 and not args[0].keyword:
            op = _op_of(args[0].value)
            patch = patch or op is not None
        if known_first:
            if method == "insert":
                first_op = None
            continue
        known_first = True
        first_op = op or None if not site.conditional else None
    return _Document(patch, first_op if patch else None)


def json_patch(resolver: Resolver, raw: RawRequest) -> JsonPatch | None:
    """Whether the request's content is a JSON Patch document, and its first operation."""
    bodies = [b for b in raw.bodies if not b[3] and b[0] in _BODY_NAMES]
    if not bodies:
        return None
    document = _document(resolver, bodies[0][4], raw.site.scope)
    content_type = raw.headers.get("Content-Type")
    typed = False
    found = resolver.header_nodes.get(id(content_type)) if content_type is not None else None
    if found is not None:
        # The value's literal, or a constant's (`{"Content-Type": JSON_PATCH}`).
        literal = url_literal(resolver, found[1], raw.site.scope)
        typed = literal is not None and literal.split(";")[0].strip().lower() == JSON_PATCH_TYPE
    if not (document.patch or typed):
        return None
    return JsonPatch(document.first_op if document.patch else None)


# -- read-modify-write --------------------------------------------------------------------


def _unwrap(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x` for `await x` (and parentheses, which LibCST keeps on the node)."""
    while isinstance(node, cst.Await):
        node = node.expression
    return node


def _dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of attributes on a name, `a` for a name; else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _prefixes(key: str) -> Iterator[str]:
    """`a`, `a.b`, `a.b.c` for `a.b.c`."""
    parts = key.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def _target_keys(target: cst.BaseExpression) -> Iterator[tuple[str, bool]]:
    """What an assignment target binds (`x`, `self.x`: True) or changes in place (`d` of
    `d[k] = v`: False)."""
    if isinstance(target, (cst.Name, cst.Attribute)):
        key = _dotted(target)
        if key is not None:
            yield key, True
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_keys(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_keys(target.value)
    elif isinstance(target, cst.Subscript):
        root: cst.BaseExpression = target
        while isinstance(root, cst.Subscript):
            root = root.value
        key = _dotted(root)
        if key is not None:
            yield key, False


# Methods that change their receiver with what they are given: `payload.update(doc)`.
_FILLERS = frozenset(
    {"update", "append", "extend", "insert", "setdefault", "add", "appendleft", "__setitem__"}
)


@dataclass(eq=False)
class _Event:
    """One place where names get a value: `bound` are (re)bound, `changed` are changed in
    place (`d[k] = v`, `d.update(v)`); `values` are the expressions they get it from. Names
    are keys: `x`, or `self.x` for an attribute."""

    index: int
    bound: set[str]
    changed: set[str]
    values: list[cst.BaseExpression]
    targets: list[cst.BaseExpression] = field(default_factory=list)
    branches: tuple[tuple[int, bool], ...] = ()


@dataclass(eq=False)
class _Flow:
    """The order of a function's statements and calls, and where its names get values."""

    events: list[_Event] = field(default_factory=list)
    calls: dict[int, int] = field(default_factory=dict)  # id(call) -> index
    # http.client `X.getresponse()` calls: (X as a dotted name, index, id of the call).
    getresponses: list[tuple[str | None, int, int]] = field(default_factory=list)
    # id(call) -> the branches it is in: (id of an `if`, True for its body, False for else).
    branches: dict[int, tuple[tuple[int, bool], ...]] = field(default_factory=dict)

    def exclusive(self, one: cst.CSTNode, other: cst.CSTNode) -> bool:
        """The two calls are in different branches of one `if`: never both run."""
        return _exclusive(self.branches.get(id(one), ()), self.branches.get(id(other), ()))


def _exclusive(one: tuple[tuple[int, bool], ...], other: tuple[tuple[int, bool], ...]) -> bool:
    mine = dict(one)
    return any(mine.get(branch, taken) != taken for branch, taken in other)


class _FlowVisitor(cst.CSTVisitor):
    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.flow = _Flow()
        self.index = 0
        self.branch: list[tuple[int, bool]] = []

    def visit_If(self, node: cst.If) -> bool:
        visit(node.test, self)
        self.branch.append((id(node), True))
        visit(node.body, self)
        self.branch[-1] = (id(node), False)
        if node.orelse is not None:
            visit(node.orelse, self)
        self.branch.pop()
        return False

    def _event(
        self, targets: Iterable[cst.BaseExpression], values: list[cst.BaseExpression]
    ) -> None:
        self.index += 1
        targets = list(targets)
        event = _Event(self.index, set(), set(), values, targets, tuple(self.branch))
        for target in targets:
            for key, bound in _target_keys(target):
                (event.bound if bound else event.changed).add(key)
        self.flow.events.append(event)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    # A target is bound after its value is computed: events come after the value's calls.

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._event([t.target for t in original_node.targets], [original_node.value])

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._event([original_node.target], [original_node.value])

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self._event([original_node.target], [original_node.target, original_node.value])

    def leave_NamedExpr(self, original_node: cst.NamedExpr) -> None:
        self._event([original_node.target], [original_node.value])

    def visit_For(self, node: cst.For) -> bool:
        visit(node.iter, self)
        self._event([node.target], [node.iter])
        visit(node.body, self)
        if node.orelse is not None:
            visit(node.orelse, self)
        return False

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        visit(node.item, self)
        if node.asname is not None:
            target = node.asname.name
            if isinstance(target, cst.BaseExpression):
                self._event([target], [node.item])
        return False

    def visit_Call(self, node: cst.Call) -> None:
        self.index += 1
        self.flow.calls[id(node)] = self.index
        if self.branch:
            self.flow.branches[id(node)] = tuple(self.branch)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "getresponse":
            self.flow.getresponses.append((_dotted(func.value), self.index, id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        func = original_node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _FILLERS and original_node.args:
            key = _dotted(func.value)
            if key is not None:
                self.index += 1
                values = [a.value for a in original_node.args]
                event = _Event(self.index, set(), {key}, values, [func], tuple(self.branch))
                self.flow.events.append(event)


def _flow(node: cst.CSTNode) -> _Flow:
    visitor = _FlowVisitor(node)
    if isinstance(node, cst.Module):
        for statement in node.body:
            visit(statement, visitor)
    else:
        visit(node, visitor)
    return visitor.flow


def _loaded_keys(node: cst.CSTNode) -> Iterator[str]:
    """The names and attribute chains an expression reads (`x`, `self.x.y`), leaving out
    attribute names, keywords and lambda bodies."""
    pending: list[cst.CSTNode] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, (cst.Name, cst.Attribute)):
            key = _dotted(current)
            if key is not None:
                yield key
                continue
            if isinstance(current, cst.Attribute):
                pending.append(current.value)
        elif isinstance(current, cst.Arg):
            pending.append(current.value)
        elif not isinstance(current, cst.Lambda):
            pending.extend(children(current))


@dataclass(eq=False)
class _Summary:
    """What an expression (or an event's values) reads: `keys` are the names and attribute
    chains it uses, with their prefixes; `read_nodes` and `read_keys` are the expressions
    (by id) and names whose content or headers it reads (`X.json()`, `X.headers`,
    `json.load(X)`)."""

    keys: set[str] = field(default_factory=set)
    read_nodes: set[int] = field(default_factory=set)
    read_keys: set[str] = field(default_factory=set)


class _SummaryVisitor(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = _Summary()

    def _read(self, node: cst.BaseExpression) -> None:
        node = _unwrap(node)
        self.found.read_nodes.add(id(node))
        key = _dotted(node)
        if key is not None:
            self.found.read_keys.add(key)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.found.keys.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value in _READS:
            self._read(node.value)
        key = _dotted(node)
        if key is not None:
            self.found.keys.update(_prefixes(key))
        else:
            visit(node.value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        visit(node.value, self)
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if node.args and get_full_name_for_node(node.func) in _LOADERS:
            self._read(node.args[0].value)


def _summary(nodes: Iterable[cst.CSTNode]) -> _Summary:
    visitor = _SummaryVisitor()
    for node in nodes:
        visit(node, visitor)
    return visitor.found


@dataclass(eq=False)
class _Request:
    raw: RawRequest
    url: str
    index: int = 0


def _response_node(raw: RawRequest) -> cst.Call:
    return raw.send.node if raw.send is not None else raw.site.node


# A write is compared with this many of the GETs of its URL before it, the nearest first.
_MAX_READS = 8


def read_modify_writes(resolver: Resolver, raws: list[RawRequest]) -> dict[int, RawRequest]:
    """PUT and PATCH requests (by `id` of their raw call) whose content is computed from the
    response of a GET of the same URL expression made earlier in the same function, each
    with that GET."""
    groups: dict[int, list[RawRequest]] = {}
    for raw in raws:
        if raw.url is None or len(raw.methods) != 1 or not raw.methods <= _WRITES | {"GET"}:
            continue
        function = raw.site.scope.function()
        groups.setdefault(id(function) if function else 0, []).append(raw)
    found: dict[int, RawRequest] = {}
    code = resolver.module.code_for_node
    for group in groups.values():
        writes = [
            _Request(r, code(r.url))
            for r in group
            if r.methods <= _WRITES and r.url is not None and any(not b[3] for b in r.bodies)
        ]
        if not writes:
            continue
        gets = [
            _Request(r, code(r.url)) for r in group if r.methods == {"GET"} and r.url is not None
        ]
        urls = {g.url for g in gets}
        writes = [w for w in writes if w.url in urls]
        if not writes:
            continue
        function = group[0].site.scope.function()
        node = function.node if function is not None else resolver.module
        if node is None:
            continue
        analysis = _Function(resolver, _flow(node))
        for get in gets:
            get.index = analysis.flow.calls.get(id(_response_node(get.raw)), 0)
        gets.sort(key=lambda g: -g.index)
        for write in writes:
            write.index = analysis.flow.calls.get(id(write.raw.site.node), 0)
            tried = 0
            for get in gets:
                if get.url != write.url or not 0 < get.index < write.index:
                    continue
                if analysis.flow.exclusive(_response_node(get.raw), write.raw.site.node):
                    continue
                if analysis.same_url(get, write) and analysis.feeds(get, write):
                    found[id(write.raw)] = get.raw
                    break
                tried += 1
                if tried == _MAX_READS:
                    break
    return found


class _Function:
    """The read-modify-write analysis of one function (or of a module's top level)."""

    def __init__(self, resolver: Resolver, flow: _Flow) -> None:
        self.resolver = resolver
        self.flow = flow
        # The events that give names a value, with what their values read, in walk order.
        self.events = [(e, _summary(e.values)) for e in flow.events if e.bound or e.changed]
        self.indexes = [e.index for e, _ in self.events]
        # Where each name is (re)bound, in walk order.
        self.bound_at: dict[str, list[int]] = {}
        # The events that bind a name to a value, by the value's id.
        self.binders: dict[int, list[_Event]] = {}
        for event in flow.events:
            for key in event.bound:
                self.bound_at.setdefault(key, []).append(event.index)
            if event.bound:
                for value in event.values:
                    self.binders.setdefault(id(_unwrap(value)), []).append(event)

    def rebound(self, key: str, start: int, end: int) -> bool:
        """`key` is bound between the walk indexes `start` and `end` (exclusive)."""
        found = self.bound_at.get(key, ())
        position = bisect.bisect_right(found, start)
        return position < len(found) and found[position] < end

    def same_url(self, get: _Request, write: _Request) -> bool:
        """No name the URL expression reads is rebound between the GET and the write."""
        assert get.raw.url is not None
        keys = {p for k in _loaded_keys(get.raw.url) for p in _prefixes(k)}
        return not any(self.rebound(k, get.index, write.index) for k in keys)

    def feeds(self, get: _Request, write: _Request) -> bool:
        """Whether the write's content is computed from what the GET's response holds."""
        responses = {id(_response_node(get.raw))}
        getresponse = self._getresponse(get)
        if getresponse is not None:
            responses.add(getresponse)
        # Names bound to the response, each from its binding to its next rebinding.
        holders: dict[str, list[tuple[int, int]]] = {}
        for response in responses:
            for event in self.binders.get(response, ()):
                for key in event.bound:
                    after = self.bound_at[key]
                    position = bisect.bisect_right(after, event.index)
                    end = after[position] if position < len(after) else 1 << 30
                    holders.setdefault(key, []).append((event.index, end))

        # A wrapper that returns the body (`return r.json()`): its result is content already.
        keys_read = "keys" if get.raw.returns_content else "read_keys"

        def reads(summary: _Summary, at: int) -> bool:
            return bool(summary.read_nodes & responses) or any(
                start < at <= end
                for key in getattr(summary, keys_read)
                for start, end in holders.get(key, ())
            )

        # What happens after the GET, on a path that the GET and the write can both be on.
        read_branches = self.flow.branches.get(id(_response_node(get.raw)), ())
        write_branches = self.flow.branches.get(id(write.raw.site.node), ())
        first = bisect.bisect_right(self.indexes, get.index)
        events = [
            (event, summary)
            for event, summary in self.events[first:]
            if not event.branches
            or not (
                _exclusive(event.branches, read_branches)
                or _exclusive(event.branches, write_branches)
            )
        ]
        # Names computed from the response: those that read it, then, to a fixed point,
        # those computed from such names.
        tainted: set[str] = set()
        pending: list[tuple[set[str], set[str]]] = []
        for event, summary in events:
            targets = event.bound | event.changed
            if reads(summary, event.index):
                tainted |= targets
            elif summary.keys:
                pending.append((targets, summary.keys))
        changed = True
        while changed and pending:
            changed = False
            for targets, keys in pending:
                if not targets <= tainted and keys & tainted:
                    tainted |= targets
                    changed = True
        contents = [value for _, _, _, empty, value in write.raw.bodies if not empty]
        content = _summary(contents)
        if not (reads(content, write.index) or content.keys & tainted):
            return False
        # A version of what was read, sent back in the content or the query (`data["sha"] =
        # current["sha"]`, Confluence's `version`, CouchDB's `_rev`, `?cas=`), is a
        # precondition the server checks: no lost update.
        used = tainted | content.keys
        feeding = [e for e, _ in events if e.index < write.index and (e.bound | e.changed) & used]
        # Headers aside: a precondition header is `carries_precondition`'s to judge.
        sent = [
            a for a in write.raw.site.node.args if not (a.keyword and a.keyword.value == "headers")
        ]
        nodes = [*sent, *(n for e in feeding for n in (*e.targets, *e.values))]
        return not any(_mentions_version(n) for n in nodes)

    def _getresponse(self, get: _Request) -> int | None:
        """http.client: the `getresponse()` call on the GET's connection that follows it."""
        node = get.raw.site.node
        if get.raw.api.library != "http.client" or not isinstance(node.func, cst.Attribute):
            return None
        receiver = _dotted(node.func.value)
        later = [
            (index, call)
            for key, index, call in self.flow.getresponses
            if key == receiver and index > get.index
        ]
        return min(later)[1] if receiver is not None and later else None


# Names of the version a client sends back so that the server can refuse a stale write,
# compared without case, `_` and `-`.
_VERSIONS = frozenset(
    {
        "sha",
        "etag",
        "rev",
        "revision",
        "version",
        "versionnumber",
        "resourceversion",
        "lockversion",
        "objectversion",
        "seqno",
        "ifseqno",
        "ifprimaryterm",
        "cas",
        "modifiedindex",
        "ifgenerationmatch",
        "ifmetagenerationmatch",
    }
)
_QUERY_NAME = re.compile(r"[?&]([\w\-]+)=")


def _is_version(name: str) -> bool:
    return name.lower().lstrip("$@").replace("_", "").replace("-", "") in _VERSIONS


def _mentions_version(node: cst.CSTNode) -> bool:
    """A string key, name, attribute, keyword or query parameter named like a version."""
    pending: list[cst.CSTNode] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.SimpleString):
            text = current.evaluated_value
            if isinstance(text, str) and (
                _is_version(text) or any(_is_version(q) for q in _QUERY_NAME.findall(text))
            ):
                return True
        elif isinstance(current, cst.FormattedStringText):
            if any(_is_version(q) for q in _QUERY_NAME.findall(current.value)):
                return True
        elif isinstance(current, cst.Name) and _is_version(current.value):
            return True
        pending.extend(children(current))
    return False


# -- completing the facts -----------------------------------------------------------------


@dataclass
class Preconditions:
    """The facts of this module for the raw calls of one file: `nodes` are those whose
    spans they need; `complete` adds them to each call's facts."""

    resolver: Resolver
    raws: list[RawRequest]
    nodes: list[cst.CSTNode] = field(default_factory=list)
    _rmw: dict[int, RawRequest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rmw = read_modify_writes(self.resolver, self.raws)
        nodes = self.resolver.header_nodes
        for raw in self.raws:
            for header in raw.headers.items:
                found = nodes.get(id(header))
                if found is not None:
                    self.nodes.append(found[1])
        for get in self._rmw.values():
            self.nodes.append(get.site.node)

    def complete(self, raw: RawRequest, call: HttpCall, spans: Mapping[int, Span]) -> HttpCall:
        url = call.url
        if url is not None and raw.url is not None:
            literal = url_literal(self.resolver, raw.url, raw.site.scope)
            segments = url_segments(literal) if literal is not None else None
            url = replace(url, literal=literal, segments=segments)
        get = self._rmw.get(id(raw))
        return replace(
            call,
            headers=self._headers(call.headers, spans),
            url=url,
            json_patch=json_patch(self.resolver, raw),
            read_modify_write=spans.get(id(get.site.node)) if get is not None else None,
        )

    def _headers(self, headers: Headers, spans: Mapping[int, Span]) -> Headers:
        if not headers.items:
            return headers
        items = []
        for header in headers.items:
            found = self.resolver.header_nodes.get(id(header))
            if found is not None:
                node = found[1]
                header = replace(header, span=spans.get(id(node)), literal=text_literal(node))
            items.append(header)
        return replace(headers, items=tuple(items))
