"""Resolution: which calls are HTTP requests, and the facts about each.

Works on what `scopes.ScopeVisitor` recorded in its one pass. A call is an HTTP call only when
its callee resolves, through imports, assignments, parameters' annotations, `self` attributes,
same-file classes and factories, to a request-making callable of `libraries.py`. Anything that
cannot be followed is unknown, and unknown is never an HTTP call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.diagnostics import Span
from methodlint.facts import (
    NO_HEADERS,
    UNKNOWN_HEADERS,
    Body,
    Header,
    Headers,
    HttpCall,
    MethodToken,
    Url,
)
from methodlint.libraries import (
    CLIENT_TYPES,
    CONSTRUCTORS,
    FUNCTIONS,
    HTTP_MODULES,
    Api,
    canonical,
)
from methodlint.positions import compute_spans
from methodlint.scopes import Binding, CallSite, ClassInfo, Scope, ScopeVisitor

# -- abstract values ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A library object by qualified name: `name` in the library's terms, `display` as used."""

    name: str
    display: str

    def attribute(self, attr: str) -> Ref:
        return Ref(f"{self.name}.{attr}", f"{self.display}.{attr}")


@dataclass(frozen=True)
class Instance:
    """An object of a client type of `libraries.CLIENT_TYPES`."""

    type: str
    display: str


@dataclass(frozen=True)
class BoundMethod:
    instance: Instance
    name: str


@dataclass(frozen=True)
class TextOption:
    value: str
    node: cst.BaseString | None = field(compare=False, default=None)
    node_id: int | None = None
    upper_called: bool = False
    constant: bool = False


@dataclass(frozen=True)
class Text:
    """A string, or the strings a conditional expression may give."""

    options: tuple[TextOption, ...]


@dataclass(frozen=True)
class Built:
    """A request built by one call (`Request(...)`, `build_request(...)`) and sent later."""

    key: int


@dataclass(frozen=True)
class LocalClass:
    key: int


@dataclass(frozen=True)
class LocalFunction:
    key: int


@dataclass(frozen=True)
class SelfOf:
    """`self` inside a method of a class of this file."""

    key: int


Value = Ref | Instance | BoundMethod | Text | Built | LocalClass | LocalFunction | SelfOf | None

_IN_PROGRESS = object()


def _literal_text(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_empty_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return node.evaluated_value in ("", b"")
    if isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return not node.elements
    if isinstance(node, cst.Call) and not node.args:
        return get_full_name_for_node(node.func) in ("dict", "list", "tuple", "bytes", "str")
    return False


def _url_literal(node: cst.BaseExpression) -> str | None:
    """The literal text of a URL expression, with `{}` for what is computed."""
    text = _literal_text(node)
    if text is not None:
        return text
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            else:
                parts.append("{}")
        return "".join(parts)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = _url_literal(node.left)
        right = _url_literal(node.right)
        if left is None and right is None:
            return None
        return (left if left is not None else "{}") + (right if right is not None else "{}")
    return None


# -- raw facts (with nodes) before positions are known ----------------------------------


@dataclass(eq=False)
class _Raw:
    site: CallSite
    api: Api
    client: str
    methods: frozenset[str]
    tokens: list[tuple[TextOption, bool]]  # option, verbatim
    dynamic: bool
    bodies: list[tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]]
    headers: Headers
    url: cst.BaseExpression | None
    send: CallSite | None
    sent: bool = False


class Resolver:
    """Evaluates recorded expressions to abstract values and builds `HttpCall` facts."""

    def __init__(
        self,
        module: cst.Module,
        visitor: ScopeVisitor,
        http_modules: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        self.visitor = visitor
        self.http_modules = dict(http_modules or {})
        self._roots = set(HTTP_MODULES) | set(self.http_modules)
        self._memo: dict[tuple[int, int], object] = {}
        self._classes = {id(c.node): c for c in visitor.classes}
        self._functions: dict[int, Binding] = {}
        self._builds: dict[int, _Raw] = {}
        self._methods_calls: dict[tuple[str, int], list[CallSite]] = {}
        for site in visitor.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                self._methods_calls.setdefault((func.value.value, id(site.scope)), []).append(site)

    # -- names ----------------------------------------------------------------------------

    def _import_ref(self, qualname: str) -> Ref | None:
        top = qualname.split(".")[0]
        if top not in self._roots:
            return None
        for alias, library in self.http_modules.items():
            if qualname == alias or qualname.startswith(alias + "."):
                return Ref(canonical(library + qualname[len(alias) :]), qualname)
        return Ref(canonical(qualname), qualname)

    def binding_scope(self, name: str, scope: Scope) -> tuple[Scope, list[Binding]] | None:
        """The scope whose bindings of `name` a use in `scope` sees, as Python scoping does."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.global_names:
                current = current.module()
            if name not in current.nonlocal_names and (first or current.kind != "class"):
                found = current.bindings.get(name)
                if found:
                    return current, found
            first = False
            current = current.parent
        return None

    def lookup(self, name: str, scope: Scope) -> Value:
        found = self.binding_scope(name, scope)
        if found is None:
            return None
        _, bindings = found
        values = [self._binding_value(b, name) for b in bindings]
        first = values[0]
        if first is None or any(v != first for v in values[1:]):
            return None
        if isinstance(first, Text):
            if len(bindings) != 1:
                return None
            return Text(
                tuple(
                    TextOption(o.value, o.node, o.node_id, o.upper_called, constant=True)
                    for o in first.options
                )
            )
        return first

    def _binding_value(self, binding: Binding, name: str) -> Value:
        kind = binding.kind
        if kind == "import" and binding.qualname:
            return self._import_ref(binding.qualname)
        if kind == "assign" and isinstance(binding.node, cst.BaseExpression):
            return self.value(binding.node, binding.scope)
        if kind == "with" and isinstance(binding.node, cst.BaseExpression):
            entered = self.value(binding.node, binding.scope)
            return entered if isinstance(entered, Instance) else None
        if kind == "param" and isinstance(binding.node, cst.Param):
            scope = binding.scope
            if scope.self_name == name and scope.cls is not None:
                return SelfOf(id(scope.cls.node))
            annotation = binding.node.annotation
            if annotation is not None:
                return self.annotation_type(annotation.annotation, scope)
            return None
        if kind == "annotation" and isinstance(binding.node, cst.BaseExpression):
            return self.annotation_type(binding.node, binding.scope)
        if kind == "def" and binding.node is not None:
            self._functions[id(binding.node)] = binding
            return LocalFunction(id(binding.node))
        if kind == "class" and binding.cls is not None:
            return LocalClass(id(binding.cls.node))
        return None

    # -- expressions ----------------------------------------------------------------------

    def value(self, node: cst.BaseExpression, scope: Scope) -> Value:
        key = (id(node), id(scope))
        cached = self._memo.get(key)
        if cached is _IN_PROGRESS:
            return None
        if cached is not None or key in self._memo:
            return cached  # type: ignore[return-value]
        self._memo[key] = _IN_PROGRESS
        result = self._value(node, scope)
        self._memo[key] = result
        return result

    def _value(self, node: cst.BaseExpression, scope: Scope) -> Value:
        if isinstance(node, cst.Name):
            return self.lookup(node.value, scope)
        if isinstance(node, cst.Attribute):
            return self._attribute(self.value(node.value, scope), node.attr.value)
        if isinstance(node, cst.Call):
            return self.call_result(node, scope)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = _literal_text(node)
            if text is None:
                return None
            return Text((TextOption(text, node, id(node)),))
        if isinstance(node, cst.IfExp):
            body = self.value(node.body, scope)
            orelse = self.value(node.orelse, scope)
            if isinstance(body, Text) and isinstance(orelse, Text):
                return Text(body.options + orelse.options)
            return body if body == orelse else None
        return None

    def _attribute(self, base: Value, attr: str) -> Value:
        if isinstance(base, Ref):
            if base.name == "http.HTTPMethod" or base.name == "http.client.HTTPMethod":
                return Text((TextOption(attr),)) if attr.isupper() else None
            return base.attribute(attr)
        if isinstance(base, Instance):
            return BoundMethod(base, attr)
        if isinstance(base, SelfOf):
            return self._self_attribute(self._classes[base.key], attr)
        return None

    def _self_attribute(self, cls: ClassInfo, attr: str) -> Value:
        assigned = cls.self_attributes.get(attr)
        in_body = cls.scope.bindings.get(attr)
        if assigned or in_body:
            values: list[Value] = [self.value(v, s) for v, s in assigned or ()]
            values += [self._binding_value(b, attr) for b in in_body or ()]
            first = values[0]
            if first is not None and all(v == first for v in values[1:]):
                return first if not isinstance(first, (Text, LocalFunction)) else None
            return None
        base = self.client_base(cls)
        if base is not None and not self._defines(cls, attr):
            return BoundMethod(base, attr)
        return None

    def _defines(self, cls: ClassInfo, attr: str) -> bool:
        return attr in cls.methods or attr in cls.scope.bindings

    def client_base(self, cls: ClassInfo, depth: int = 0) -> Instance | None:
        """The client type a class of this file derives from, if any."""
        if depth > 10:
            return None
        for arg in cls.node.bases:
            if arg.keyword is not None or arg.star:
                continue
            base = self.value(arg.value, cls.outer)
            if isinstance(base, Ref):
                name = CONSTRUCTORS.get(base.name)
                if name is not None and name in CLIENT_TYPES and name == base.name:
                    return Instance(name, base.display)
            elif isinstance(base, LocalClass):
                found = self.client_base(self._classes[base.key], depth + 1)
                if found is not None:
                    return found
        return None

    def annotation_type(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """The client instance an annotation declares (`X`, `Optional[X]`, `X | None`, "X")."""
        if isinstance(node, cst.SimpleString):
            text = _literal_text(node)
            if text is None:
                return None
            try:
                parsed = cst.parse_expression(text)
            except Exception:
                return None
            return self.annotation_type(parsed, scope)
        members: list[cst.BaseExpression]
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            members = [node.left, node.right]
        elif isinstance(node, cst.Subscript):
            outer = self.value(node.value, scope)
            outer_name = outer.name if isinstance(outer, Ref) else ""
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if outer_name.split(".")[-1] in ("Optional", "Union") and outer_name.startswith(
                ("typing.", "typing_extensions.")
            ):
                members = elements
            elif outer_name in ("typing.Annotated", "typing_extensions.Annotated"):
                members = elements[:1]
            else:
                return None
        else:
            value = self.value(node, scope)
            if isinstance(value, Ref) and value.name in CLIENT_TYPES:
                return Instance(value.name, value.display)
            if isinstance(value, LocalClass):
                return self.client_base(self._classes[value.key])
            return None
        types = [self.annotation_type(m, scope) for m in members if not _is_none(m)]
        if types and types[0] is not None and all(t == types[0] for t in types):
            return types[0]
        return None

    def call_result(self, call: cst.Call, scope: Scope) -> Value:
        func = call.func
        if isinstance(func, cst.Name) and func.value == "super" and not call.args:
            if self.lookup("super", scope) is None:
                method = scope.function()
                if method is not None and method.cls is not None:
                    return self.client_base(method.cls)
            return None
        if isinstance(func, cst.Attribute):
            if func.attr.value == "upper" and not call.args:
                inner = self.value(func.value, scope)
                if isinstance(inner, Text):
                    return Text(
                        tuple(
                            TextOption(o.value, o.node, o.node_id, True, o.constant)
                            for o in inner.options
                        )
                    )
                return None
            if func.attr.value == "prepare" and not call.args:
                inner = self.value(func.value, scope)
                return inner if isinstance(inner, Built) else None
        callee = self.value(func, scope)
        if isinstance(callee, Ref):
            constructed = CONSTRUCTORS.get(callee.name)
            if constructed is not None:
                display = callee.display
                if callee.name != constructed:  # a factory: name the type it makes
                    display = constructed
                return Instance(constructed, display)
            api = FUNCTIONS.get(callee.name)
            if api is not None and api.kind == "build":
                return Built(id(call))
            return None
        if isinstance(callee, BoundMethod):
            methods = CLIENT_TYPES[callee.instance.type].methods
            api = methods.get(callee.name)
            if api is not None and api.kind == "build":
                return Built(id(call))
            if callee.name == "prepare_request" and call.args:
                inner = self.value(call.args[0].value, scope)
                return inner if isinstance(inner, Built) else None
            return None
        if isinstance(callee, LocalClass):
            return self.client_base(self._classes[callee.key])
        if isinstance(callee, LocalFunction):
            return self._factory_result(callee)
        return None

    def _factory_result(self, function: LocalFunction) -> Value:
        binding = self._functions.get(function.key)
        if binding is None or not isinstance(binding.node, cst.FunctionDef):
            return None
        node = binding.node
        inner = binding.inner
        if node.returns is not None:
            declared = self.annotation_type(node.returns.annotation, binding.scope)
            if declared is not None or inner is None:
                return declared
        if inner is None or not inner.returns:
            return None
        values = [self.value(r, inner) for r in inner.returns]
        first = values[0]
        if isinstance(first, Instance) and all(v == first for v in values[1:]):
            return first
        return None

    # -- HTTP calls -----------------------------------------------------------------------

    def callee_api(self, site: CallSite) -> tuple[Api, str] | None:
        callee = self.value(site.node.func, site.scope)
        if isinstance(callee, Ref):
            api = FUNCTIONS.get(callee.name)
            if api is not None:
                return api, callee.display
        elif isinstance(callee, BoundMethod):
            methods = CLIENT_TYPES[callee.instance.type].methods
            api = methods.get(callee.name)
            if api is not None:
                return api, callee.instance.display
        return None

    def http_calls(self) -> list[_Raw]:
        raws: list[_Raw] = []
        sends: list[tuple[_Raw | None, CallSite, Api, str]] = []
        for site in self.visitor.calls:
            found = self.callee_api(site)
            if found is None:
                continue
            api, client = found
            if api.kind in ("send", "build"):
                raw = self._raw(site, api, client)
                raws.append(raw)
                if api.kind == "build":
                    self._builds[id(site.node)] = raw
            else:
                sends.append((None, site, api, client))
        for _, site, api, client in sends:
            raws.extend(self._send(site, api, client))
        return raws

    def _arg(self, call: cst.Call, position: int | None, keyword: str | None) -> cst.Arg | None:
        positional = 0
        for arg in call.args:
            if arg.star:
                if arg.star == "*":
                    return None if keyword is None else self._keyword(call, keyword)
                continue
            if arg.keyword is None:
                if position is not None and positional == position:
                    return arg
                positional += 1
        return self._keyword(call, keyword) if keyword else None

    @staticmethod
    def _keyword(call: cst.Call, keyword: str) -> cst.Arg | None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg
        return None

    def _method(
        self, site: CallSite, api: Api
    ) -> tuple[frozenset[str], list[tuple[TextOption, bool]], bool, bool]:
        """Methods, tokens, whether dynamic, and whether a method argument was given."""
        if api.method is not None:
            return frozenset({api.method}), [], False, True
        if api.method_pos is None and api.kind != "build":
            return frozenset(), [], False, False
        arg = self._arg(site.node, api.method_pos, "method")
        if arg is None:
            return frozenset(), [], False, False
        value = self.value(arg.value, site.scope)
        if isinstance(value, Text):
            tokens = [(o, api.verbatim) for o in value.options if o.node is not None]
            methods = frozenset(
                o.value.upper() if (o.upper_called or not api.verbatim) else o.value
                for o in value.options
            )
            return methods, tokens, False, True
        return frozenset(), [], True, True

    def _raw(self, site: CallSite, api: Api, client: str) -> _Raw:
        call = site.node
        methods, tokens, dynamic, given = self._method(site, api)
        bodies: list[tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]] = []
        for position, name in api.body_positions:
            arg = self._arg(call, position, None)
            if arg is not None:
                bodies.append((name, False, arg, self._empty(name, arg.value), arg.value))
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in api.body_keywords:
                name = arg.keyword.value
                bodies.append((name, True, arg, self._empty(name, arg.value), arg.value))
        if api.fields_in_query_for and (not methods or methods & api.fields_in_query_for):
            bodies = [b for b in bodies if b[0] != "fields"]
        if api.library == "urllib.request" and not given:
            # Request(url, data) without a method is a POST when it has data.
            has_data = any(not _is_none(b[4]) for b in bodies)
            methods = frozenset({"POST" if has_data else "GET"})
        url_arg = self._arg(call, api.url_pos, "url")
        return _Raw(
            site=site,
            api=api,
            client=client,
            methods=methods,
            tokens=tokens,
            dynamic=dynamic,
            bodies=bodies,
            headers=self._headers(site, api),
            url=url_arg.value if url_arg is not None else None,
            send=site if api.kind == "send" else None,
        )

    @staticmethod
    def _empty(name: str, value: cst.BaseExpression) -> bool:
        if name == "json":
            return _is_none(value)
        return _is_none(value) or _is_empty_literal(value)

    def _send(self, site: CallSite, api: Api, client: str) -> Iterator[_Raw]:
        target = self._arg(site.node, 0, "request" if api.kind == "send-built" else "url")
        built = self.value(target.value, site.scope) if target is not None else None
        build = self._builds.get(built.key) if isinstance(built, Built) else None
        if build is not None:
            build.sent = True
            methods = build.methods
            bodies = list(build.bodies)
            if api.kind == "urlopen":
                extra = self._raw(site, api, client)
                bodies += extra.bodies
                implicit = build.api.library == "urllib.request" and not build.tokens
                if implicit and not build.dynamic and any(not _is_none(b[4]) for b in bodies):
                    methods = frozenset({"POST"})
            yield _Raw(
                site=build.site,
                api=build.api,
                client=build.client,
                methods=methods,
                tokens=build.tokens,
                dynamic=build.dynamic,
                bodies=bodies,
                headers=build.headers,
                url=build.url,
                send=site,
            )
            return
        if api.kind == "urlopen" and target is not None and _url_literal(target.value) is None:
            # A Request methodlint cannot see, or a URL it cannot read: method unknown.
            if not isinstance(target.value, (cst.Name, cst.Attribute, cst.Call)):
                return
            raw = self._raw(site, api, client)
            raw.methods = frozenset()
            raw.dynamic = True
            raw.bodies = []
            yield raw
            return
        if api.kind == "urlopen":
            raw = self._raw(site, api, client)
            has_data = any(not _is_none(b[4]) for b in raw.bodies)
            raw.methods = frozenset({"POST" if has_data else "GET"})
            yield raw
            return
        raw = self._raw(site, api, client)
        raw.methods = frozenset()
        raw.dynamic = True
        yield raw

    # -- headers --------------------------------------------------------------------------

    def _headers(self, site: CallSite, api: Api) -> Headers:
        call = site.node
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

    def headers_value(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Headers:
        if depth > 8:
            return UNKNOWN_HEADERS
        if _is_none(node):
            return NO_HEADERS
        items: list[Header] = []
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    spread = self.headers_value(element.value, scope, depth + 1)
                    if not spread.known:
                        return UNKNOWN_HEADERS
                    items.extend(spread.items)
                    continue
                name = _literal_text(element.key)
                if name is None:
                    return UNKNOWN_HEADERS
                if not _is_none(element.value):
                    items.append(Header(name, self.module.code_for_node(element.value)))
            return Headers(True, tuple(items))
        if isinstance(node, (cst.List, cst.Tuple)):
            for item in node.elements:
                pair = item.value
                if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
                    return UNKNOWN_HEADERS
                name = _literal_text(pair.elements[0].value)
                if name is None:
                    return UNKNOWN_HEADERS
                value = pair.elements[1].value
                if not _is_none(value):
                    items.append(Header(name, self.module.code_for_node(value)))
            return Headers(True, tuple(items))
        if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
            callee = self.value(node.func, scope)
            if isinstance(callee, Ref) and callee.name == "httpx.Headers":
                return self.headers_value(node.args[0].value, scope, depth + 1)
            return UNKNOWN_HEADERS
        if isinstance(node, cst.Name):
            return self._named_headers(node.value, scope, depth)
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
        items = list(base.items)
        for mutation in self.visitor.mutations:
            if mutation.name != name or not self._same_binding(name, mutation.scope, owner):
                continue
            if mutation.scope is not owner or mutation.conditional or mutation.key is None:
                return UNKNOWN_HEADERS
            key = _literal_text(mutation.key)
            if key is None or mutation.value is None:
                return UNKNOWN_HEADERS
            items = [h for h in items if h.name.lower() != key.lower()]
            if not _is_none(mutation.value):
                items.append(Header(key, self.module.code_for_node(mutation.value)))
        for (receiver, _), sites in self._methods_calls.items():
            if receiver != name:
                continue
            for site in sites:
                if not self._same_binding(name, site.scope, owner):
                    continue
                assert isinstance(site.node.func, cst.Attribute)
                method = site.node.func.attr.value
                if method in ("get", "items", "keys", "values", "copy", "__contains__"):
                    continue
                if method != "update" or site.scope is not owner or site.conditional:
                    return UNKNOWN_HEADERS
                if len(site.node.args) != 1 or site.node.args[0].keyword:
                    return UNKNOWN_HEADERS
                extra = self.headers_value(site.node.args[0].value, owner, depth + 1)
                if not extra.known:
                    return UNKNOWN_HEADERS
                names = {h.name.lower() for h in extra.items}
                items = [h for h in items if h.name.lower() not in names] + list(extra.items)
        return Headers(True, tuple(items))

    def _same_binding(self, name: str, scope: Scope, owner: Scope) -> bool:
        found = self.binding_scope(name, scope)
        return found is not None and found[0] is owner


# -- facts --------------------------------------------------------------------------------


def _function_names(scope: Scope) -> tuple[str | None, str | None, bool]:
    function = scope.function()
    cls = scope.cls if scope.cls is not None else (function.cls if function else None)
    if function is None:
        return None, cls.name if cls else None, False
    return function.qualname, cls.name if cls else None, function.is_async


def build_facts(
    module: cst.Module, http_modules: Mapping[str, str] | None = None
) -> tuple[list[HttpCall], list[MethodToken]]:
    """Walk `module` once and return its HTTP calls and method tokens."""
    visitor = ScopeVisitor()
    module.visit(visitor)
    resolver = Resolver(module, visitor, http_modules)
    raws = [r for r in resolver.http_calls() if not (r.api.kind == "build" and r.sent)]
    if not raws:
        return [], []
    wanted: list[cst.CSTNode] = []
    for raw in raws:
        wanted.append(raw.site.node)
        if raw.send is not None:
            wanted.append(raw.send.node)
        wanted.extend(b[2] for b in raw.bodies)
        wanted.extend(o.node for o, _ in raw.tokens if o.node is not None)
        if raw.url is not None:
            wanted.append(raw.url)
    spans = compute_spans(module, wanted)
    calls: list[HttpCall] = []
    tokens: dict[Span, MethodToken] = {}
    for raw in raws:
        call_tokens = []
        for option, verbatim in raw.tokens:
            assert option.node is not None
            span = spans[id(option.node)]
            token = MethodToken(
                value=option.value,
                span=span,
                library=raw.api.library,
                client=raw.client,
                verbatim=verbatim,
                source=module.code_for_node(option.node),
                constant=option.constant,
                upper_called=option.upper_called,
            )
            previous = tokens.get(span)
            if previous is not None and previous.verbatim and not token.verbatim:
                token = previous
            tokens[span] = token
            call_tokens.append(token)
        where = raw.send.scope if raw.send is not None else raw.site.scope
        function, class_name, is_async = _function_names(where)
        url = None
        if raw.url is not None:
            url = Url(
                source=module.code_for_node(raw.url),
                span=spans[id(raw.url)],
                literal=_url_literal(raw.url),
            )
        calls.append(
            HttpCall(
                library=raw.api.library,
                client=raw.client,
                api=raw.api.name,
                methods=raw.methods,
                method_tokens=tuple(call_tokens),
                method_is_dynamic=raw.dynamic,
                bodies=tuple(
                    Body(name, keyword, spans[id(node)], empty, module.code_for_node(value))
                    for name, keyword, node, empty, value in raw.bodies
                ),
                headers=raw.headers,
                url=url,
                build_site=spans[id(raw.site.node)],
                send_site=spans[id(raw.send.node)] if raw.send is not None else None,
                is_async=is_async,
                function=function,
                class_name=class_name,
                rejects_body=raw.api.rejects_body,
            )
        )
    calls.sort(key=lambda c: (c.build_site, c.send_site or c.build_site))
    return calls, sorted(tokens.values(), key=lambda t: t.span)
