"""Server routes: the handlers that Flask, Quart, FastAPI, Starlette, Django, Django REST
framework and aiohttp.web call, the methods that reach them (rules.md, ML5xx), and what they
read and change (`handlers.py`). Declarations anywhere in the module count: decorators, route
lists, registration calls in an app factory, class-based views."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst

from methodlint.analysis.handlers import REQUEST_TYPES, HandlerFacts, Handlers, RequestAccess
from methodlint.analysis.preconditions import string_literal
from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.scopes import Binding, ClassInfo, Scope
from methodlint.analysis.values import LocalClass, LocalFunction, Ref, Text, TextOption
from methodlint.diagnostics import Span
from methodlint.facts import BodyRead, MethodToken, Route, StateChange
from methodlint.libraries import FRAMEWORK_MODULES

_ROOTS = frozenset({*FRAMEWORK_MODULES, "aiohttp"})
_VERBS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
_FLASK = frozenset({"flask.Flask", "flask.Blueprint", "quart.Quart", "quart.Blueprint"})
_FASTAPI = frozenset({"fastapi.FastAPI", "fastapi.APIRouter"})
_STARLETTE = frozenset({"starlette.Starlette", "starlette.routing.Router"})
_DJANGO_DECORATORS = {
    "django.views.decorators.http.require_GET": frozenset({"GET"}),
    "django.views.decorators.http.require_POST": frozenset({"POST"}),
    "django.views.decorators.http.require_safe": frozenset({"GET", "HEAD"}),
}
_REQUIRE_METHODS = "django.views.decorators.http.require_http_methods"
_API_VIEW = "rest_framework.decorators.api_view"
_ACTION = "rest_framework.decorators.action"
_VIEWSET_ACTIONS = {
    "list": frozenset({"GET", "HEAD"}),
    "retrieve": frozenset({"GET", "HEAD"}),
    "create": frozenset({"POST"}),
    "update": frozenset({"PUT"}),
    "partial_update": frozenset({"PATCH"}),
    "destroy": frozenset({"DELETE"}),
}


def _framework(name: str) -> str:
    return name.split(".")[0]


def _with_head(methods: frozenset[str]) -> frozenset[str]:
    """Flask, Starlette, Django and aiohttp's `add_get` answer HEAD with the GET handler."""
    return methods | {"HEAD"} if "GET" in methods else methods


@dataclass(eq=False)
class RawRoute:
    """A route before positions are known. `methods` is None when they cannot be read."""

    framework: str
    function: Binding
    qualname: str
    access: RequestAccess
    methods: frozenset[str] | None
    default_methods: bool
    path: str | None = None
    declaration: cst.CSTNode | None = None
    # (literal, verbatim, the declaring callable as written)
    tokens: list[tuple[TextOption, bool, str]] = field(default_factory=list)
    facts: HandlerFacts | None = None


@dataclass(eq=False)
class _Declared:
    """What a declaration states: methods (None: unknown), path, tokens."""

    methods: frozenset[str] | None
    default: bool
    path: str | None
    tokens: list[tuple[TextOption, bool, str]]


class RouteAnalysis:
    """The routes of one module, from what the walk recorded."""

    def __init__(self, resolver: Resolver, raws: list[RawRequest]) -> None:
        self.resolver = resolver
        self.routes: list[RawRoute] = []
        self.nodes: list[cst.CSTNode] = []
        if not (resolver.visitor.imported & _ROOTS):
            return
        self._by_function: dict[int, RawRoute] = {}
        self._class_routes: dict[int, list[RawRoute]] = {}
        for cls in resolver.visitor.classes:
            self._class_views(cls)
        for function in resolver.visitor.functions:
            self._decorated(function)
        for site in resolver.visitor.calls:
            self._registration(site.node, site.scope)
        handlers = Handlers(resolver, raws)
        for route in self.routes:
            route.facts = handlers.facts(route.function, route.framework, route.access)
        for route in self.routes:
            assert route.facts is not None
            if route.facts.gated and self._served_otherwise(route):
                # `if request.method == "POST":` in a GET handler whose path another route
                # serves for POST: dead code, not a form posted to the wrong route.
                gated = route.facts.gated
                route.facts.reads = [r for r in route.facts.reads if id(r[1]) not in gated]
        for route in self.routes:
            assert route.facts is not None
            node = route.function.node
            assert isinstance(node, cst.FunctionDef)
            self.nodes.append(node.name)
            if route.declaration is not None:
                self.nodes.append(route.declaration)
            self.nodes.extend(n for _, n in route.facts.reads)
            self.nodes.extend(n for _, _, n in route.facts.changes)
            self.nodes.extend(o.node for o, _, _ in route.tokens if o.node is not None)

    def _served_otherwise(self, route: RawRoute) -> bool:
        """Another route of the module serves the route's path with a method that is not
        safe."""
        return route.path is not None and any(
            other is not route
            and other.path == route.path
            and bool(other.methods and other.methods - {"GET", "HEAD", "OPTIONS"})
            for other in self.routes
        )

    # -- adding routes ----------------------------------------------------------------------

    def _add(
        self,
        framework: str,
        function: Binding,
        access: RequestAccess,
        declared: _Declared,
        declaration: cst.CSTNode | None,
    ) -> RawRoute:
        """A route of `function`; a second declaration of the same handler adds its methods
        (`@app.route("/x")` and `@app.route("/x", methods=["POST"])` on one function)."""
        route = self._by_function.get(id(function.node))
        if route is None:
            qualname = function.inner.qualname if function.inner is not None else "?"
            route = RawRoute(
                framework,
                function,
                qualname,
                access,
                declared.methods,
                declared.default,
                declared.path,
                declaration,
                list(declared.tokens),
            )
            self._by_function[id(function.node)] = route
            self.routes.append(route)
            return route
        if route.methods is not None and declared.methods is not None:
            route.methods |= declared.methods
        else:
            route.methods = None
        route.default_methods = route.default_methods and declared.default
        route.path = route.path or declared.path
        route.declaration = route.declaration or declaration
        route.tokens += declared.tokens
        return route

    def _function(self, node: cst.BaseExpression, scope: Scope) -> Binding | None:
        value = self.resolver.value(node, scope)
        if isinstance(value, LocalFunction):
            return self.resolver._functions.get(value.key)
        return None

    def _view_class(self, node: cst.BaseExpression, scope: Scope) -> ClassInfo | None:
        """A class-based view passed to a registration: `NoteView`, `NoteView.as_view(...)`."""
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "as_view"
        ):
            node = node.func.value
        value = self.resolver.value(node, scope)
        if isinstance(value, LocalClass):
            return self.resolver._classes[value.key]
        return None

    # -- what a declaration states ----------------------------------------------------------

    def _methods(
        self, node: cst.BaseExpression | None, scope: Scope, verbatim: bool, client: str
    ) -> tuple[frozenset[str] | None, list[tuple[TextOption, bool, str]]]:
        """A literal list, tuple or set of methods (as the framework compares them), with its
        tokens; None when any element cannot be read."""
        if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return None, []
        methods: set[str] = set()
        tokens: list[tuple[TextOption, bool, str]] = []
        known = True
        for element in node.elements:
            value = (
                self.resolver.value(element.value, scope)
                if isinstance(element, cst.Element)
                else None
            )
            if not isinstance(value, Text):
                known = False
                continue
            for option in value.options:
                methods.add(option.value if verbatim else option.value.upper())
                if option.node is not None:
                    tokens.append((option, verbatim, client))
        return (frozenset(methods) if known else None), tokens

    def _path(self, call: cst.Call, position: int, *keywords: str) -> str | None:
        arg = self.resolver._arg(call, position, keywords[0] if keywords else None)
        for keyword in keywords[1:]:
            arg = arg or self.resolver._keyword(call, keyword)
        return string_literal(arg.value) if arg is not None else None

    def _stated(
        self,
        call: cst.Call,
        scope: Scope,
        client: str,
        default: frozenset[str],
        head: bool,
        path_position: int = 0,
    ) -> _Declared:
        """`methods=[...]` or the default; with `head`, GET brings HEAD."""
        arg = self.resolver._keyword(call, "methods")
        path = self._path(call, path_position, "rule", "path")
        if arg is None:
            return _Declared(default, True, path, [])
        methods, tokens = self._methods(arg.value, scope, False, client)
        if methods is not None and head:
            methods = _with_head(methods)
        return _Declared(methods, False, path, tokens)

    def _aiohttp_method(
        self, call: cst.Call, scope: Scope, client: str, verb: str, offset: int
    ) -> _Declared | None:
        """aiohttp `get(path, handler)` (HEAD too unless `allow_head=False`) or
        `route(method, path, handler)`."""
        if verb == "route":
            arg = self.resolver._arg(call, 0, "method")
            value = self.resolver.value(arg.value, scope) if arg is not None else None
            path = self._path(call, 1, "path")
            if not isinstance(value, Text) or any(o.value == "*" for o in value.options):
                return _Declared(None, False, path, [])
            tokens = [(o, False, client) for o in value.options if o.node is not None]
            return _Declared(frozenset(o.value.upper() for o in value.options), False, path, tokens)
        if verb not in _VERBS:
            return None
        methods = frozenset({verb.upper()})
        allow = self.resolver._keyword(call, "allow_head")
        if verb == "get" and not (
            allow is not None and isinstance(allow.value, cst.Name) and allow.value.value == "False"
        ):
            methods = _with_head(methods)
        return _Declared(methods, False, self._path(call, 0, "path"), [])

    # -- decorators -------------------------------------------------------------------------

    def _decorated(self, function: Binding) -> None:
        node = function.node
        if not isinstance(node, cst.FunctionDef) or function.scope.kind == "class":
            return
        for decorator in node.decorators:
            expression = decorator.decorator
            call = expression if isinstance(expression, cst.Call) else None
            value = self.resolver.value(call.func if call else expression, function.scope)
            if not isinstance(value, Ref):
                continue
            found = self._decorator(value, call, function)
            if found is not None:
                framework, access, declared = found
                self._add(framework, function, access, declared, expression)

    def _decorator(
        self, value: Ref, call: cst.Call | None, function: Binding
    ) -> tuple[str, RequestAccess, _Declared] | None:
        name = value.name
        scope = function.scope
        if name in _DJANGO_DECORATORS:
            return (
                "django",
                self._first(function),
                _Declared(_DJANGO_DECORATORS[name], False, None, []),
            )
        if name == _REQUIRE_METHODS and call is not None and call.args:
            methods, tokens = self._methods(call.args[0].value, scope, True, value.display)
            return "django", self._first(function), _Declared(methods, False, None, tokens)
        if name == _API_VIEW:
            if call is None or not call.args:
                return (
                    "rest_framework",
                    self._first(function),
                    _Declared(frozenset({"GET"}), True, None, []),
                )
            methods, tokens = self._methods(call.args[0].value, scope, False, value.display)
            return "rest_framework", self._first(function), _Declared(methods, False, None, tokens)
        if call is None or "." not in name:
            return None
        owner, verb = name.rsplit(".", 1)
        client = value.display
        if owner in _FLASK:
            access = RequestAccess(global_request=True)
            if verb == "route":
                declared = self._stated(call, scope, client, frozenset({"GET", "HEAD"}), True)
            elif verb in ("get", "post", "put", "patch", "delete"):
                methods = _with_head(frozenset({verb.upper()}))
                declared = _Declared(methods, False, self._path(call, 0, "rule"), [])
            else:
                return None
            return _framework(owner), access, declared
        if owner in _FASTAPI and verb != "route":
            access = RequestAccess(names=self._annotated_requests(function))
            if verb == "api_route":
                declared = self._stated(call, scope, client, frozenset({"GET"}), False)
            elif verb in _VERBS:
                declared = _Declared(
                    frozenset({verb.upper()}), False, self._path(call, 0, "path"), []
                )
            else:
                return None
            return "fastapi", access, declared
        if (owner in _STARLETTE or owner in _FASTAPI) and verb == "route":
            declared = self._stated(call, scope, client, frozenset({"GET", "HEAD"}), True)
            return _framework(owner), self._first(function), declared
        if owner == "aiohttp.web.RouteTableDef":
            found = self._aiohttp_method(call, scope, client, verb, 0)
            return ("aiohttp", self._first(function), found) if found is not None else None
        return None

    def _first(self, function: Binding) -> RequestAccess:
        """The request as the handler's first parameter (after `self` in a method)."""
        node = function.node
        assert isinstance(node, cst.FunctionDef)
        params = [*node.params.posonly_params, *node.params.params]
        if function.scope.kind == "class":
            params = params[1:]
        return RequestAccess(names=frozenset({params[0].name.value}) if params else frozenset())

    def _annotated_requests(self, function: Binding) -> frozenset[str]:
        """FastAPI: the parameters annotated as the request (a plain `request` is a query
        parameter)."""
        node = function.node
        assert isinstance(node, cst.FunctionDef) and function.inner is not None
        params = node.params
        names = set()
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.annotation is None:
                continue
            value = self.resolver.value(param.annotation.annotation, function.scope)
            if isinstance(value, Ref) and value.name in REQUEST_TYPES:
                names.add(param.name.value)
        return frozenset(names)

    # -- registrations ----------------------------------------------------------------------

    def _registration(self, call: cst.Call, scope: Scope) -> None:
        value = self.resolver.value(call.func, scope)
        if not isinstance(value, Ref):
            return
        name = value.name
        owner, _, verb = name.rpartition(".")
        client = value.display
        handler_position = 1
        declared: _Declared | None = None
        if owner in _FLASK and verb == "add_url_rule":
            handler_position = 2
            declared = self._stated(call, scope, client, frozenset({"GET", "HEAD"}), True)
        elif owner in _FASTAPI and verb == "add_api_route":
            declared = self._stated(call, scope, client, frozenset({"GET"}), False)
        elif (
            (owner in _FASTAPI or owner in _STARLETTE) and verb == "add_route"
        ) or name == "starlette.routing.Route":
            declared = self._stated(call, scope, client, frozenset({"GET", "HEAD"}), True)
        elif owner == "aiohttp.web.UrlDispatcher" and verb.startswith("add_"):
            verb = verb[4:]
            handler_position = 2 if verb == "route" else 1
            declared = self._aiohttp_method(call, scope, client, verb, 0)
        elif owner == "aiohttp.web" and (verb in _VERBS or verb in ("route", "view")):
            handler_position = 2 if verb == "route" else 1
            declared = self._aiohttp_method(call, scope, client, verb, 0)
            if verb == "view":
                declared = _Declared(None, False, self._path(call, 0, "path"), [])
        if declared is None and not (owner == "aiohttp.web.UrlDispatcher" and verb == "view"):
            return
        keywords = ("view_func", "endpoint", "handler", "route")
        arg = self.resolver._arg(call, handler_position, None)
        for keyword in keywords:
            arg = arg or self.resolver._keyword(call, keyword)
        if arg is None:
            return
        cls = self._view_class(arg.value, scope)
        if cls is not None:
            path = declared.path if declared is not None else self._path(call, 0, "path")
            for route in self._class_routes.get(id(cls.node), ()):
                route.path = route.path or path
                route.declaration = route.declaration or call
            return
        function = self._function(arg.value, scope)
        if function is None or declared is None or verb == "view":
            return
        framework = _framework(name)
        if framework == "fastapi" and verb == "add_api_route":
            access = RequestAccess(names=self._annotated_requests(function))
        elif framework == "flask" or framework == "quart":
            access = RequestAccess(global_request=True)
        else:
            access = self._first(function)
        self._add(framework, function, access, declared, call)

    # -- class-based views ------------------------------------------------------------------

    def _class_kind(self, cls: ClassInfo) -> tuple[str, str] | None:
        """(framework, "verbs" or "viewset") for a class-based view, from its bases."""
        for current in self.resolver._ancestors(cls):
            for arg in current.node.bases:
                if arg.keyword is not None or arg.star:
                    continue
                base = self.resolver.value(arg.value, current.outer)
                if not isinstance(base, Ref):
                    continue
                name = base.name
                if name in ("flask.views.MethodView", "quart.views.MethodView"):
                    return _framework(name), "verbs"
                if name == "starlette.endpoints.HTTPEndpoint":
                    return "starlette", "verbs"
                if name == "aiohttp.web.View":
                    return "aiohttp", "verbs"
                if name.startswith("rest_framework.viewsets."):
                    return "rest_framework", "viewset"
                if name == "rest_framework.views.APIView" or name.startswith(
                    "rest_framework.generics."
                ):
                    return "rest_framework", "verbs"
                if name.startswith(("django.views.generic", "django.contrib.auth.views.")) or (
                    name in ("django.views.View", "django.views.generic.View")
                ):
                    return "django", "verbs"
        return None

    def _class_views(self, cls: ClassInfo) -> None:
        kind = self._class_kind(cls)
        if kind is None:
            return
        framework, style = kind
        defined = {name for c in self.resolver._ancestors(cls) for name in c.methods}
        routes: list[RawRoute] = []
        for name, function in cls.methods.items():
            node = function.node
            if not isinstance(node, cst.FunctionDef):
                continue
            declared: _Declared | None = None
            if style == "verbs" and name in _VERBS:
                methods = frozenset({name.upper()})
                if name == "get" and framework != "aiohttp" and "head" not in defined:
                    methods = _with_head(methods)
                declared = _Declared(methods, False, None, [])
            elif style == "viewset":
                declared = self._viewset_action(name, node, function.scope)
            if declared is None:
                continue
            if framework in ("flask", "quart"):
                access = RequestAccess(global_request=True)
            elif framework == "aiohttp":
                access = RequestAccess(self_request=True)
            else:
                access = self._first(function)
                access.self_request = framework in ("django", "rest_framework")
            routes.append(self._add(framework, function, access, declared, None))
        self._class_routes[id(cls.node)] = routes
        for decorator in cls.node.decorators:
            # aiohttp `@routes.view("/notes")` on the class.
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                value = self.resolver.value(expression.func, cls.outer)
                if isinstance(value, Ref) and value.name == "aiohttp.web.RouteTableDef.view":
                    for route in routes:
                        route.path = self._path(expression, 0, "path")
                        route.declaration = expression

    def _viewset_action(self, name: str, node: cst.FunctionDef, scope: Scope) -> _Declared | None:
        if name in _VIEWSET_ACTIONS:
            return _Declared(_VIEWSET_ACTIONS[name], False, None, [])
        for decorator in node.decorators:
            expression = decorator.decorator
            call = expression if isinstance(expression, cst.Call) else None
            value = self.resolver.value(call.func if call else expression, scope)
            if not isinstance(value, Ref) or value.name != _ACTION:
                continue
            arg = self.resolver._arg(call, 0, "methods") if call is not None else None
            if arg is None:
                return _Declared(frozenset({"GET", "HEAD"}), True, None, [])
            methods, tokens = self._methods(arg.value, scope, False, value.display)
            methods = _with_head(methods) if methods is not None else None
            return _Declared(methods, False, None, tokens)
        return None

    # -- facts ------------------------------------------------------------------------------

    def facts(
        self, spans: dict[int, Span], source: cst.Module
    ) -> tuple[list[Route], list[MethodToken]]:
        routes: list[Route] = []
        every_token: list[MethodToken] = []
        for raw in self.routes:
            node = raw.function.node
            assert isinstance(node, cst.FunctionDef) and raw.facts is not None
            tokens = tuple(
                MethodToken(
                    value=option.value,
                    span=spans[id(option.node)],
                    library=raw.framework,
                    client=client,
                    verbatim=verbatim,
                    source=source.code_for_node(option.node),
                    constant=option.constant,
                    role="route",
                )
                for option, verbatim, client in raw.tokens
                if option.node is not None
            )
            every_token += tokens
            routes.append(
                Route(
                    framework=raw.framework,
                    path=raw.path,
                    methods=raw.methods or frozenset(),
                    default_methods=raw.default_methods,
                    handler=raw.qualname,
                    span=spans[id(node.name)],
                    declaration=spans[id(raw.declaration)] if raw.declaration else None,
                    body_reads=_ordered(
                        BodyRead(what, spans[id(n)]) for what, n in raw.facts.reads
                    ),
                    state_changes=_ordered(
                        StateChange(kind, what, spans[id(n)]) for kind, what, n in raw.facts.changes
                    ),
                    method_tokens=tokens,
                )
            )
        routes.sort(key=lambda r: r.span)
        return routes, every_token


_Fact = TypeVar("_Fact", BodyRead, StateChange)


def _ordered(items: Iterable[_Fact]) -> tuple[_Fact, ...]:
    return tuple(sorted(items, key=lambda item: item.span))
