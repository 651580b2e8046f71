"""Resolution, third layer: header visibility (rules.md, ML3xx). Which headers a request
sends, and whether methodlint can see all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.analysis.classes import ClassResolution
from methodlint.analysis.literals import is_none, literal_text
from methodlint.analysis.scopes import (
    CallSite,
    Scope,
)
from methodlint.analysis.values import BoundMethod, Ref
from methodlint.facts import (
    NO_HEADERS,
    UNKNOWN_HEADERS,
    Header,
    Headers,
)
from methodlint.libraries import (
    Api,
)


@dataclass(frozen=True)
class HeaderEdit:
    """An item a function sets in (or, with `value` None, removes from) a headers dict."""

    key: str
    value: cst.BaseExpression | None
    conditional: bool


class HeaderResolution(ClassResolution):
    """The headers of requests, on top of names, expressions and classes."""

    def callee_api(self, site: CallSite) -> tuple[Api, str] | None:
        raise NotImplementedError  # requests.py

    _READ_ONLY = frozenset(
        {"get_method", "get_full_url", "has_header", "get_header", "header_items", "prepare"}
    )
    _ADD_HEADER = frozenset({"add_header", "add_unredirected_header"})

    def _object_headers(
        self, node: cst.BaseExpression, send: CallSite, headers: Headers, depth: int = 0
    ) -> Headers:
        """The headers of a built request sent through a name: its own, with the
        `add_header(...)` calls on the name in the same function (urllib); unknown when the
        name is changed in any other way (`prep.headers[...] = ...`, passed to a function)."""
        if not isinstance(node, cst.Name) or not headers.known or depth > 8:
            return headers
        name = node.value
        found = self.binding_scope(name, send.scope)
        if found is None:
            return headers
        owner, bindings = found
        if len(bindings) != 1 or bindings[0].kind != "assign":
            return UNKNOWN_HEADERS
        if any(self._same_binding(name, m.scope, owner) for m in self._mutations.get(name, ())):
            return UNKNOWN_HEADERS
        items = list(headers.items)
        for site in self._calls_using(name, owner):
            if site is send:
                continue
            func = site.node.func
            root: cst.BaseExpression = func
            while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
                root = root.func if isinstance(root, cst.Call) else root.value
            passed = any(
                isinstance(a.value, cst.Name) and a.value.value == name for a in site.node.args
            )
            rooted = isinstance(root, cst.Name) and root.value == name
            if passed and not self._prepares(site.node, site.scope):
                return UNKNOWN_HEADERS
            if not rooted:
                continue
            method = func.attr.value if isinstance(func, cst.Attribute) else None
            direct = isinstance(func, cst.Attribute) and func.value is root
            if direct and method in self._READ_ONLY:
                continue
            if not direct or method not in self._ADD_HEADER:
                return UNKNOWN_HEADERS
            args = site.node.args
            key = literal_text(args[0].value) if len(args) == 2 else None
            if key is None or site.scope is not owner or site.conditional:
                return UNKNOWN_HEADERS
            items = [h for h in items if h.name.lower() != key.lower()]
            if not is_none(args[1].value):
                items.append(self._header(key, args[1].value))
        # The request a prepared one was made from: `req.prepare()`, `prepare_request(req)`.
        value = bindings[0].node
        inner: cst.BaseExpression | None = None
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value == "prepare" and not value.args:
                inner = value.func.value
            elif value.args and self._prepares(value, owner):
                inner = value.args[0].value
        if inner is not None:
            return self._object_headers(inner, send, Headers(True, tuple(items)), depth + 1)
        return Headers(True, tuple(items))

    def _putheaders(self, put: CallSite) -> Headers:
        """http.client: the `putheader(...)` calls on the same connection after `putrequest`,
        up to `endheaders()`, in the same function and unconditional."""
        func = put.node.func
        if not isinstance(func, cst.Attribute):
            return UNKNOWN_HEADERS
        receiver = self.module.code_for_node(func.value)
        later = sorted(
            (
                s
                for s in self._scope_calls.get(id(put.scope), ())
                if s.seq > put.seq
                and isinstance(s.node.func, cst.Attribute)
                and s.node.func.attr.value in ("putheader", "endheaders", "putrequest")
                and self.module.code_for_node(s.node.func.value) == receiver
            ),
            key=lambda s: s.seq,
        )
        items: list[Header] = []
        for site in later:
            assert isinstance(site.node.func, cst.Attribute)
            if site.node.func.attr.value != "putheader":
                break
            args = site.node.args
            key = literal_text(args[0].value) if len(args) >= 2 and not args[0].star else None
            if key is None or site.conditional or any(a.star for a in args):
                return UNKNOWN_HEADERS
            if len(args) == 2:
                if not is_none(args[1].value):
                    items.append(self._header(key, args[1].value))
                continue
            value = ", ".join(self.module.code_for_node(a.value) for a in args[1:])
            items.append(Header(key, value))
        return Headers(True, tuple(items))

    def qualified_name(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The library object an expression names (`urllib.parse.urljoin`), if any."""
        value = self.value(node, scope)
        return value.name if isinstance(value, Ref) else None

    def method_calls(self, name: str, owner: Scope) -> list[CallSite]:
        """The calls of a method on `name` as bound in `owner` (`name.append(...)`)."""
        return [
            site
            for site in self._calls_using(name, owner)
            if isinstance(site.node.func, cst.Attribute)
            and isinstance(site.node.func.value, cst.Name)
            and site.node.func.value.value == name
        ]

    def _calls_using(self, name: str, owner: Scope) -> list[CallSite]:
        """The calls that use `name` as bound in `owner` (callee root or argument)."""
        key = (name, id(owner))
        found = self._owned_calls.get(key)
        if found is None:
            for site in dict.fromkeys(self._name_calls.get(name, ())):
                where = self.binding_scope(name, site.scope)
                if where is not None:
                    self._owned_calls.setdefault((name, id(where[0])), []).append(site)
            found = self._owned_calls.setdefault(key, [])
        return found

    def _prepares(self, call: cst.Call, scope: Scope) -> bool:
        """`session.prepare_request(req)`: passes a request on without changing it."""
        callee = self.value(call.func, scope)
        return isinstance(callee, BoundMethod) and callee.name == "prepare_request"

    def _headers(self, site: CallSite, api: Api) -> Headers:
        call = site.node
        if api.library == "http.client" and api.name == "putrequest":
            return self._putheaders(site)
        arg = self._keyword(call, "headers")
        if arg is None and api.headers_pos is not None:
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if api.headers_ambiguous_after is not None and len(positional) > (
                api.headers_ambiguous_after
            ):
                return UNKNOWN_HEADERS
            arg = self._arg(call, api.headers_pos, None)
        if arg is None:
            if any(a.star == "**" for a in call.args):
                return UNKNOWN_HEADERS
            return NO_HEADERS
        return self.headers_value(arg.value, site.scope)

    def _header(self, name: str, value: cst.BaseExpression) -> Header:
        """A header fact; the value's node is remembered for facts computed later."""
        header = Header(name, self.module.code_for_node(value))
        self.header_nodes[id(header)] = (header, value)
        return header

    def headers_value(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Headers:
        if depth > 8:
            return UNKNOWN_HEADERS
        if is_none(node):
            return NO_HEADERS
        items: list[Header] = []
        if isinstance(node, cst.Dict):
            # With a spread or key methodlint cannot read, the headers are not all known,
            # but the ones it sees are still sent (what ML204 and ML303 need).
            known = True
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    spread = self.headers_value(element.value, scope, depth + 1)
                    known = known and spread.known
                    items.extend(spread.items)
                    continue
                name = literal_text(element.key)
                if name is None:
                    known = False
                    continue
                items = [h for h in items if h.name.lower() != name.lower()]
                if not is_none(element.value):
                    items.append(self._header(name, element.value))
            return Headers(known, tuple(items))
        if isinstance(node, (cst.List, cst.Tuple)):
            for item in node.elements:
                pair = item.value
                if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
                    return UNKNOWN_HEADERS
                name = literal_text(pair.elements[0].value)
                if name is None:
                    return UNKNOWN_HEADERS
                value = pair.elements[1].value
                if not is_none(value):
                    items.append(self._header(name, value))
            return Headers(True, tuple(items))
        if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
            callee = self.value(node.func, scope)
            if isinstance(callee, Ref) and callee.name == "httpx.Headers":
                return self.headers_value(node.args[0].value, scope, depth + 1)
            return UNKNOWN_HEADERS
        if isinstance(node, cst.Name):
            return self._named_headers(node.value, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute_headers(node, scope, depth)
        return UNKNOWN_HEADERS

    def _named_headers(self, name: str, scope: Scope, depth: int) -> Headers:
        found = self.binding_scope(name, scope)
        if found is None:
            return UNKNOWN_HEADERS
        owner, bindings = found
        if len(bindings) != 1 or bindings[0].kind != "assign" or owner.kind == "class":
            return UNKNOWN_HEADERS
        value = bindings[0].node
        assert isinstance(value, cst.BaseExpression)
        base = self.headers_value(value, owner, depth + 1)
        if not base.known:
            return base
        edits = self.header_edits(name, owner, depth)
        if edits is None:
            return UNKNOWN_HEADERS
        items = self.apply_edits(list(base.items), edits)
        if any(self._passed_on(site, name) for site in self._calls_using(name, owner)):
            return UNKNOWN_HEADERS
        return Headers(True, tuple(items))

    def header_edits(
        self,
        name: str,
        owner: Scope,
        depth: int = 0,
        passes: Callable[[CallSite], bool] | None = None,
    ) -> list[HeaderEdit] | None:
        """What the function `owner` does to the headers dict `name` after binding it:
        items set (`d["X"] = v`, `d.update({...})`, `d.setdefault("X", v)`), each with its
        value (None: removed) and whether it is conditional. None when it does anything
        methodlint cannot follow (a computed key, a call that may change the dict; `passes`
        tells the calls that only pass it on to a request)."""
        edits: list[HeaderEdit] = []
        for mutation in self._mutations.get(name, ()):
            if not self._same_binding(name, mutation.scope, owner):
                continue
            if mutation.scope is not owner or mutation.key is None or mutation.value is None:
                return None
            key = literal_text(mutation.key)
            if key is None:
                return None
            value = None if is_none(mutation.value) else mutation.value
            edits.append(HeaderEdit(key, value, mutation.conditional))
        for site in self.method_calls(name, owner):
            assert isinstance(site.node.func, cst.Attribute)
            method = site.node.func.attr.value
            if method in ("get", "items", "keys", "values", "copy", "__contains__"):
                continue
            args = site.node.args
            if site.scope is not owner or any(a.keyword or a.star for a in args):
                return None
            if method == "setdefault" and len(args) == 2:
                key = literal_text(args[0].value)
                if key is None:
                    return None
                edits.append(HeaderEdit(key, args[1].value, True))
                continue
            if method != "update" or len(args) != 1:
                return None
            given = args[0].value
            extra = self.headers_value(given, owner, depth + 1)
            if not extra.known:
                return None
            if isinstance(given, cst.Dict):  # `d.update({"If-Match": None})` removes
                for element in given.elements:
                    if isinstance(element, cst.DictElement):
                        key = literal_text(element.key)
                        if key is not None and is_none(element.value):
                            edits.append(HeaderEdit(key, None, site.conditional))
            for header in extra.items:
                found = self.header_nodes.get(id(header))
                value = found[1] if found is not None else cst.Name("...")
                edits.append(HeaderEdit(header.name, value, site.conditional))
        for site in self._calls_using(name, owner):
            if self._passed_on(site, name) and not (passes is not None and passes(site)):
                return None
        return edits

    def apply_edits(self, items: list[Header], edits: list[HeaderEdit]) -> list[Header]:
        """The headers after the edits. A conditional edit of a literal key may or may not
        happen: its header may be sent (a signature, a trace id), and nothing it removes is
        taken as gone. rules.md: such a key is visible, so the headers stay known."""
        for edit in edits:
            lowered = edit.key.lower()
            if not edit.conditional:
                items = [h for h in items if h.name.lower() != lowered]
            if edit.value is not None:
                items.append(self._header(edit.key, edit.value))
        return items

    # Calls that may be given a headers dict without changing it.
    _READS_HEADERS = frozenset(
        {"print", "len", "dict", "list", "repr", "str", "sorted", "json.dumps", "copy.copy"}
    )
    _LOGS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})

    def _passed_on(self, site: CallSite, name: str) -> bool:
        """`name` (a headers dict) is given to a call that may change it: anything but an
        HTTP request, a logging call or a builtin that only reads it."""
        given = any(isinstance(a.value, cst.Name) and a.value.value == name for a in site.node.args)
        if not given or self.callee_api(site) is not None or self.passes_to_request(site):
            return False
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self._LOGS:
            return False
        return get_full_name_for_node(func) not in self._READS_HEADERS

    def _attribute_headers(self, node: cst.Attribute, scope: Scope, depth: int) -> Headers:
        """`self.x` in a method: known when `x` is bound once in the class and its family (in
        a method or the class body) to known headers, and never changed in place anywhere in
        the file (`o.x[k] = v`, `del o.x[k]`, `o.x |= v`, `o.x.update(...)`, passed on)."""
        method = scope.function()
        if (
            not isinstance(node.value, cst.Name)
            or method is None
            or method.cls is None
            or method.self_name != node.value.value
        ):
            return UNKNOWN_HEADERS
        attr = node.attr.value
        sources: list[tuple[cst.BaseExpression | None, Scope]] = []
        for member in self._family(method.cls):
            for assignment in member.self_attributes.get(attr, ()):
                sources.append((assignment.value, assignment.scope))
            for binding in member.scope.bindings.get(attr, ()):
                value = binding.node if binding.kind == "assign" else None
                sources.append(
                    (value if isinstance(value, cst.BaseExpression) else None, member.scope)
                )
        if len(sources) != 1 or sources[0][0] is None or attr in self._changed_attributes():
            return UNKNOWN_HEADERS
        value, where = sources[0]
        assert value is not None
        return self.headers_value(value, where, depth + 1)

    def _changed_attributes(self) -> set[str]:
        """Names of attributes whose object the file may change in place (see above)."""
        if self._attribute_changes is None:
            changed: set[str] = set()
            # The assignments the module's walk met, in its order (`ScopeVisitor`).
            for assignment in self.visitor.assignments:
                if isinstance(assignment, cst.Assign):
                    for target in assignment.targets:
                        _changed_in_place(target.target, changed)
                else:
                    augmented = isinstance(assignment, cst.AugAssign)
                    _changed_in_place(assignment.target, changed, augmented)
            for site in self.visitor.calls:
                func = site.node.func
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Attribute)
                    and func.attr.value not in ("get", "items", "keys", "values", "copy")
                ):
                    changed.add(func.value.attr.value)
                if self.callee_api(site) is None:
                    changed.update(
                        a.value.attr.value
                        for a in site.node.args
                        if isinstance(a.value, cst.Attribute)
                    )
            self._attribute_changes = changed
        return self._attribute_changes

    def _same_binding(self, name: str, scope: Scope, owner: Scope) -> bool:
        found = self.binding_scope(name, scope)
        return found is not None and found[0] is owner


def _changed_in_place(
    target: cst.BaseExpression, changed: set[str], augmented: bool = False
) -> None:
    """Attributes an assignment's target changes in place: `o.x[k] = v`, `del o.x[k]`,
    `o.x |= v`."""
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _changed_in_place(element.value, changed)
        return
    node = target
    while isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute) and (augmented or node is not target):
        changed.add(node.attr.value)
