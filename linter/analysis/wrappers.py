"""Request wrappers: the module's own functions that make HTTP requests, and their calls.

A function or method is a *request wrapper* when it makes an HTTP call, directly or by calling
another wrapper (engine.md, "Across functions and modules"). Its `Summary` says, for each
request it makes, which parameter becomes the method, the URL, each body and the headers, and
whether its `**kwargs` reach the request. A call of a wrapper is an HTTP call site too: its
facts are the wrapper's request with the caller's arguments put in (`map_call`), so a literal
`"POST"` or a `data=` written at the caller is judged, and reported, at the caller.

A function that makes no HTTP call is never a wrapper, whatever its name or parameters. Chains
compose up to `MAX_DEPTH` functions; recursion ends at the function being summarised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.analysis.foreign_calls import ForeignCalls
from methodlint.analysis.headers import HeaderEdit
from methodlint.analysis.literals import is_empty_literal, is_none, sends_nothing
from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.retry import names_in
from methodlint.analysis.scopes import Binding, CallSite, ClassInfo, Scope
from methodlint.analysis.values import LocalFunction, SelfOf, Text
from methodlint.analysis.walk import walk
from methodlint.facts import NO_HEADERS, UNKNOWN_HEADERS, Header, Headers

# What reads a response's content: `r.json()`, `r.text`, `r.content`, `await r.read()`.
CONTENT_READS = frozenset({"json", "text", "content", "read", "aread", "data"})

RawBody = tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]

# The longest chain of wrappers followed from a call site to the library call.
MAX_DEPTH = 8


@dataclass(eq=False)
class Signature:
    """The parameters a caller's arguments bind to (`self`/`cls` left out for a method)."""

    positional: list[str]
    keyword_only: list[str]
    positional_only: int
    defaults: dict[str, cst.BaseExpression]
    star: str | None
    star_kwarg: str | None

    @classmethod
    def of(cls, node: cst.FunctionDef, bound: bool) -> Signature:
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        posonly = len(params.posonly_params)
        if bound and ordered:
            ordered = ordered[1:]
            posonly = max(posonly - 1, 0)
        every = [*ordered, *params.kwonly_params]
        defaults = {p.name.value: p.default for p in every if p.default is not None}
        star = params.star_arg.name.value if isinstance(params.star_arg, cst.Param) else None
        kwarg = params.star_kwarg.name.value if params.star_kwarg is not None else None
        return cls(
            [p.name.value for p in ordered],
            [p.name.value for p in params.kwonly_params],
            posonly,
            defaults,
            star,
            kwarg,
        )


@dataclass(frozen=True)
class Argument:
    """What a parameter holds at one call: the expression (and where it is read), and the
    `Arg` it was written as (None for a default)."""

    value: cst.BaseExpression
    scope: Scope
    arg: cst.Arg | None = None


@dataclass(eq=False)
class Arguments:
    """A call's arguments bound to a signature. A parameter missing from `bound` holds
    something methodlint cannot tell (after a `*args` or `**spread` of the caller)."""

    bound: dict[str, Argument]
    extra: list[cst.Arg]  # keywords that land in the wrapper's `**kwargs`
    spread: cst.Arg | None  # the caller's own `**kwargs` passed on, if any
    unknown: bool  # a `*args` or `**spread` may fill any parameter


@dataclass(eq=False)
class RequestSummary:
    """One request a wrapper makes, and which of its parameters make it what it is."""

    raw: RawRequest
    method: str | None = None  # the parameter that is the method
    url: str | None = None  # the parameter that is the URL, or the part of it that varies
    bodies: dict[int, str] = field(default_factory=dict)  # index in raw.bodies -> parameter
    headers: str | None = None  # the parameter that is the headers
    # What the wrapper sets in that headers dict before sending it (None: unknown).
    header_edits: list[HeaderEdit] | None = field(default_factory=list)
    # Bodies computed inside the wrapper from its parameters (`data=dumps(data) if data
    # else None`): index in raw.bodies -> those parameters, in order.
    body_parameters: dict[int, list[str]] = field(default_factory=dict)
    # The request is made only when a parameter is true (True) or false (False):
    # `self.s.post(...) if use_post else self.s.get(...)`.
    guards: list[tuple[str, bool]] = field(default_factory=list)
    method_upper: bool = False  # the wrapper upper-cases the method (`method.upper()`)
    kwargs: bool = False  # the wrapper's `**kwargs` are passed on to the request


@dataclass(eq=False)
class Summary:
    qualname: str
    signature: Signature
    scope: Scope  # the function's own scope
    outer: Scope  # where its defaults are evaluated
    requests: list[RequestSummary]


def direct_function(scope: Scope) -> Scope | None:
    """The function a call in `scope` runs in when that function runs (not in a lambda or a
    nested function it defines)."""
    current: Scope | None = scope
    while current is not None and current.kind == "comprehension":
        current = current.parent
    return current if current is not None and current.kind == "function" else None


def _is_bound(binding: Binding) -> bool:
    """A method called on an instance or class: its first parameter is not an argument."""
    node = binding.node
    if binding.scope.kind != "class" or not isinstance(node, cst.FunctionDef):
        return False
    return not any(get_full_name_for_node(d.decorator) == "staticmethod" for d in node.decorators)


class Wrappers:
    """The request wrappers of one module and the HTTP call sites their calls make."""

    def __init__(
        self, resolver: Resolver, raws: list[RawRequest], foreign: ForeignCalls | None = None
    ) -> None:
        self.resolver = resolver
        self.foreign = foreign
        self._direct: dict[int, list[RawRequest]] = {}
        for raw in raws:
            function = direct_function((raw.send or raw.site).scope)
            if function is not None and function.node is not None:
                self._direct.setdefault(id(function.node), []).append(raw)
                self._mark_optional(raw)
        self._sites: dict[int, list[CallSite]] = {}
        self._http_nodes = {id(r.site.node) for r in raws} | {
            id(r.send.node) for r in raws if r.send is not None
        }
        for site in resolver.visitor.calls:
            if id(site.node) in self._http_nodes:
                continue
            function = direct_function(site.scope)
            key = id(function.node) if function is not None and function.node else 0
            self._sites.setdefault(key, []).append(site)
        self._summaries: dict[int, Summary | None] = {}
        self._mapped: dict[int, list[RawRequest]] = {}
        self._busy: set[int] = set()
        # Where header values of wrapper calls are read: id -> (scope, the wrapper function
        # they are written in, if any: a key generated there is new at every call of it).
        self._header_origins: dict[int, tuple[Scope, cst.CSTNode | None]] = {}
        resolver.passes_to_request = self.is_wrapper_call

    def _mark_optional(self, raw: RawRequest) -> None:
        function = direct_function(raw.site.scope)
        if function is not None:
            raw.bodies = [self._optional(body, raw, function) for body in raw.bodies]

    def _optional(self, body: RawBody, raw: RawRequest, function: Scope) -> RawBody:
        """A body that is a parameter whose default sends nothing (`data=None`, passed on as
        `data=data` or `data=data or None`) sends content only when a caller passes some:
        it is judged at those calls, not in the wrapper."""
        name, keyword, place, empty, value = body
        passed = _passed_on(value)
        if empty or passed is None:
            return body
        if self._parameter_named(passed.value, raw.site.scope, function) is None:
            return body
        param = function.bindings[passed.value][0].node
        default = param.default if isinstance(param, cst.Param) else None
        if default is not None and sends_nothing(name, default):
            return (name, keyword, place, True, value)
        return body

    def summaries(self) -> list[Summary]:
        """The wrappers other modules can call: module-level functions and the methods of
        module-level classes that make requests."""
        module = self.resolver.visitor.module_scope
        bindings = [b for found in module.bindings.values() for b in found if b.kind == "def"]
        for cls in self.resolver.visitor.classes:
            if cls.outer is module:
                bindings.extend(cls.methods.values())
        found = []
        for binding in bindings:
            summary = self.summary(binding)
            if summary is not None:
                found.append(summary)
        return found

    def is_wrapper_call(self, site: CallSite) -> bool:
        """A call of a request wrapper, of this module or another."""
        if self.callee(site) is not None:
            return True
        return self.foreign is not None and self.foreign.shape(site) is not None

    def sites_in(self, function: cst.FunctionDef) -> list[CallSite]:
        """The calls a function makes itself (not in a lambda or nested function), other
        than library requests."""
        return self._sites.get(id(function), [])

    # -- what calls are wrapper calls -------------------------------------------------------

    def calls(self) -> list[RawRequest]:
        """Every call of a wrapper in the module, as the requests it makes."""
        found: list[RawRequest] = []
        for sites in self._sites.values():
            for site in sites:
                found.extend(self.mapped(site))
        return found

    def callee(self, site: CallSite) -> tuple[Binding, Summary] | None:
        """The wrapper a call calls, if it calls one."""
        value = self.resolver.value(site.node.func, site.scope)
        if not isinstance(value, LocalFunction):
            return None
        binding = self.resolver._functions.get(value.key)
        if binding is None or not isinstance(binding.node, cst.FunctionDef):
            return None
        summary = self.summary(binding)
        return (binding, summary) if summary is not None else None

    def mapped(self, site: CallSite) -> list[RawRequest]:
        """The requests a call of a wrapper makes, with the caller's arguments put in."""
        key = id(site.node)
        cached = self._mapped.get(key)
        if cached is not None:
            return cached
        self._mapped[key] = []  # a recursive call maps to nothing while it is mapped
        found = self.callee(site)
        result: list[RawRequest] = []
        if found is not None:
            summary = found[1]
            arguments = self._bind(site, summary)
            receiver = self._receiver(site)
            for request in summary.requests:
                if receiver is not None and self._overridden(receiver, request.raw.via):
                    continue
                if not all(
                    _truth(arguments.bound.get(p)) in (None, wanted) for p, wanted in request.guards
                ):
                    continue  # a branch this call does not take
                if len(request.raw.via) < MAX_DEPTH:
                    made = self._map(site, summary, request, arguments)
                    self._mark_optional(made)
                    result.append(made)
        elif self.foreign is not None:
            result = self.foreign.mapped(site)
            for made in result:
                self._mark_optional(made)
        self._mapped[key] = result
        return result

    def _receiver(self, site: CallSite) -> ClassInfo | None:
        """The class of the module the instance a method is called on belongs to."""
        func = site.node.func
        if not isinstance(func, cst.Attribute):
            return None
        value = self.resolver.value(func.value, site.scope)
        return self.resolver._classes.get(value.key) if isinstance(value, SelfOf) else None

    def _overridden(self, receiver: ClassInfo, via: tuple[str, ...]) -> bool:
        """A method of the chain is overridden, for this instance's class, by one that makes
        no request (a dry-run client, a test double): that request is not sent."""
        ancestors = self.resolver._ancestors(receiver)
        for qualname in via:
            name = qualname.rpartition(".")[2]
            for cls in ancestors:
                binding = cls.methods.get(name)
                if binding is None:
                    continue
                if binding.inner is not None and binding.inner.qualname != qualname:
                    return self.summary(binding) is None
                break
        return False

    # -- summaries --------------------------------------------------------------------------

    def summary(self, binding: Binding) -> Summary | None:
        """The wrapper summary of a function, or None when it makes no HTTP call."""
        node = binding.node
        inner = binding.inner
        if not isinstance(node, cst.FunctionDef) or inner is None:
            return None
        key = id(node)
        if key in self._summaries:
            return self._summaries[key]
        if key in self._busy:
            return None  # recursion: the function's own calls of itself add nothing
        self._busy.add(key)
        requests = list(self._direct.get(key, ()))
        for site in self._sites.get(key, ()):
            requests.extend(self.mapped(site))
        self._busy.discard(key)
        summary = None
        if requests:
            summary = Summary(
                qualname=inner.qualname,
                signature=Signature.of(node, _is_bound(binding)),
                scope=inner,
                outer=binding.scope,
                requests=[self._summarise(raw, inner, node) for raw in requests],
            )
        self._summaries[key] = summary
        return summary

    def _parameter(self, node: cst.BaseExpression | None, scope: Scope, owner: Scope) -> str | None:
        """The parameter of the function `owner` that `node` is, if it is one (a name bound
        only by the parameter list)."""
        if not isinstance(node, cst.Name):
            return None
        return self._parameter_named(node.value, scope, owner)

    def _parameter_named(self, name: str, scope: Scope, owner: Scope) -> str | None:
        """`name` as read in `scope` is the parameter of `owner` of that name: bound by the
        parameter list, and otherwise only filled in when absent (`x = x or {}`, `x = {}`,
        `x = dict(x or {})`) or re-cased (`method = method.upper()`)."""
        found = self.resolver.binding_scope(name, scope)
        if found is None or found[0] is not owner or name == owner.self_name:
            return None
        bindings = found[1]
        if bindings[0].kind != "param":
            return None
        for binding in bindings[1:]:
            value = binding.node
            if binding.kind != "assign" or not isinstance(value, cst.BaseExpression):
                return None
            if not _fills_or_recases(value, name):
                return None
        return name

    def _summarise(self, raw: RawRequest, owner: Scope, node: cst.FunctionDef) -> RequestSummary:
        site_scope = raw.site.scope
        request = RequestSummary(raw)
        if raw.dynamic:
            request.method = self._parameter(raw.method_expr, raw.method_scope or site_scope, owner)
        if raw.url is not None:
            url_scope = raw.url_scope or site_scope
            request.url = self._parameter(raw.url, url_scope, owner)
            if request.url is None:
                # `self.base + path`, f"{self.base}/{path}": the part that varies.
                used = {
                    p
                    for n in names_in(raw.url)
                    if (p := self._parameter_named(n, url_scope, owner)) is not None
                }
                if len(used) == 1:
                    request.url = used.pop()
        for index, body in enumerate(raw.bodies):
            parameter = self._parameter(_passed_on(body[4]), site_scope, owner)
            if parameter is not None:
                request.bodies[index] = parameter
            elif not body[3]:
                depends = self._depends(body[4], site_scope, owner)
                if depends:
                    request.body_parameters[index] = depends
        if raw.headers_expr is not None:
            request.headers = self._parameter(raw.headers_expr[0], raw.headers_expr[1], owner)
            if request.headers is not None:
                request.header_edits = self.resolver.header_edits(
                    request.headers, owner, passes=lambda site: self.callee(site) is not None
                )
        request.guards = self._guards(raw, owner, node)
        if raw.dynamic and request.method is not None:
            request.method_upper = any(
                isinstance(b.node, cst.Call)
                and isinstance(b.node.func, cst.Attribute)
                and b.node.func.attr.value == "upper"
                for b in owner.bindings.get(request.method, ())[1:]
            )
        if raw.kwargs_expr is not None and node.params.star_kwarg is not None:
            name = node.params.star_kwarg.name.value
            request.kwargs = self._parameter(raw.kwargs_expr[0], raw.kwargs_expr[1], owner) == name
        return request

    # -- calls of wrappers ------------------------------------------------------------------

    def _bind(self, site: CallSite, summary: Summary) -> Arguments:
        signature = summary.signature
        bound: dict[str, Argument] = {}
        extra: list[cst.Arg] = []
        spread: cst.Arg | None = None
        unknown = False
        position = 0
        for arg in site.node.args:
            if arg.star == "*":
                unknown = True
                continue
            if arg.star == "**":
                spread = arg
                unknown = True
                continue
            if arg.keyword is None:
                if unknown:
                    continue  # after `*args`: its position is unknown
                if position < len(signature.positional):
                    bound[signature.positional[position]] = Argument(arg.value, site.scope, arg)
                position += 1
                continue
            name = arg.keyword.value
            named = name in signature.keyword_only or (
                name in signature.positional[signature.positional_only :]
            )
            if named:
                bound[name] = Argument(arg.value, site.scope, arg)
            else:
                extra.append(arg)
        if not unknown:
            for name, default in signature.defaults.items():
                if name not in bound:
                    bound[name] = Argument(default, summary.outer)
        return Arguments(bound, extra, spread, unknown)

    def _map(
        self, site: CallSite, summary: Summary, request: RequestSummary, arguments: Arguments
    ) -> RawRequest:
        raw = request.raw
        mapped = RawRequest(
            site=site,
            api=raw.api,
            client=raw.client,
            methods=raw.methods,
            tokens=list(raw.tokens),
            dynamic=raw.dynamic,
            bodies=list(raw.bodies),
            headers=raw.headers,
            url=raw.url,
            send=site,
            method_expr=raw.method_expr,
            method_scope=raw.method_scope or raw.site.scope,
            headers_expr=raw.headers_expr,
            kwargs_expr=None,
            url_scope=raw.url_scope or raw.site.scope,
            via=(summary.qualname, *raw.via),
            inner=raw,
        )
        bound = arguments.bound
        if request.method is not None:
            self._map_method(mapped, bound.get(request.method), request.method_upper)
        if request.url is not None:
            given = bound.get(request.url)
            if given is not None and not is_none(given.value):
                mapped.url, mapped.url_scope = given.value, given.scope
        bodies: list[RawBody] = []
        for index, body in enumerate(raw.bodies):
            parameter = request.bodies.get(index)
            depends = request.body_parameters.get(index)
            if parameter is None and depends is not None:
                computed = self._computed_body(body, depends, bound)
                if computed is not None:
                    bodies.append(computed)
                continue
            if parameter is None:
                bodies.append(body)
                continue
            given = bound.get(parameter)
            if given is None:
                continue  # filled by a `*args` or `**spread` methodlint cannot read
            name, keyword = body[0], body[1]
            place: cst.CSTNode = given.arg if given.arg is not None else given.value
            empty = self.resolver.empty_body(name, given.value, given.scope)
            bodies.append((name, keyword, place, empty, given.value))
        if request.headers is not None:
            mapped.headers, mapped.headers_expr = self._headers(
                bound.get(request.headers), request.header_edits, summary.scope.node, summary.scope
            )
        elif mapped.headers.items:
            mapped.headers = self._header_arguments(raw, summary, bound)
        if request.kwargs:
            keywords = raw.api.body_keywords
            for arg in arguments.extra:
                assert arg.keyword is not None
                name = arg.keyword.value
                if name in keywords:
                    bodies.append((name, True, arg, sends_nothing(name, arg.value), arg.value))
                elif name == "headers" and raw.headers_expr is None:
                    mapped.headers = self.resolver.headers_value(arg.value, site.scope)
                    mapped.headers_expr = (arg.value, site.scope)
                elif name == "method" and raw.dynamic and raw.method_expr is None:
                    self._map_method(mapped, Argument(arg.value, site.scope, arg))
                elif name == "url" and raw.url is None:
                    mapped.url, mapped.url_scope = arg.value, site.scope
            if raw.headers_expr is None and not any(
                a.keyword is not None and a.keyword.value == "headers" for a in arguments.extra
            ):
                mapped.headers = UNKNOWN_HEADERS if arguments.spread else NO_HEADERS
            if arguments.spread is not None:
                mapped.kwargs_expr = (arguments.spread.value, site.scope)
        mapped.bodies = bodies
        mapped.returns_content = self.returns_content(summary, raw)
        return mapped

    def _guards(
        self, raw: RawRequest, owner: Scope, function: cst.FunctionDef
    ) -> list[tuple[str, bool]]:
        """The flag parameters the request is made under (`if use_post:` and its `else`,
        `a if flag else b`), each with the truth the request needs."""
        call = (raw.send or raw.site).node
        found: list[tuple[str, bool]] = []
        for node in walk(function.body):
            if not isinstance(node, (cst.If, cst.IfExp)):
                continue
            test, negated = node.test, False
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                test, negated = test.expression, True
            parameter = self._parameter(test, raw.site.scope, owner)
            if parameter is None:
                continue
            orelse = node.orelse
            if any(n is call for n in walk(node.body)):
                found.append((parameter, not negated))
            elif orelse is not None and any(n is call for n in walk(orelse)):
                found.append((parameter, negated))
        return found

    def _computed_body(
        self, body: RawBody, depends: list[str], bound: dict[str, Argument]
    ) -> RawBody | None:
        """A body the wrapper computes from its parameters, at one call: no content when
        the call passes nothing for any of them (their defaults are None or empty); else the
        content the caller passes, reported where the caller writes it. None when methodlint
        cannot tell."""
        name, keyword = body[0], body[1]
        for parameter in depends:
            given = bound.get(parameter)
            if given is None:
                return None
            if given.arg is not None and not sends_nothing(name, given.value):
                return (name, keyword, given.arg, False, given.value)
        return (name, keyword, body[2], True, body[4])

    def _depends(
        self, node: cst.BaseExpression, scope: Scope, owner: Scope, depth: int = 0
    ) -> list[str]:
        """The parameters of `owner` an expression is computed from, through the names
        the function binds (a few levels deep)."""
        found: list[str] = []
        if depth > 4:
            return found
        for name in sorted(names_in(node)):
            where = self.resolver.binding_scope(name, scope)
            if where is None or where[0] is not owner or name == owner.self_name:
                continue
            for binding in where[1]:
                if binding.kind == "param" and name not in found:
                    found.append(name)
                elif binding.kind == "assign" and isinstance(binding.node, cst.BaseExpression):
                    for inner in self._depends(binding.node, owner, owner, depth + 1):
                        if inner not in found:
                            found.append(inner)
        return found

    def returns_content(self, summary: Summary, raw: RawRequest) -> bool:
        """The wrapper returns what the request read (`return response.json()`, `.text`,
        `.content`), or the result of a wrapper call that does."""
        call = (raw.send or raw.site).node
        names: set[str] = set()
        for name, bindings in summary.scope.bindings.items():
            for binding in bindings:
                value = binding.node
                if isinstance(value, cst.Await):
                    value = value.expression
                if binding.kind in ("assign", "with") and value is call:
                    names.add(name)

        def holds(node: cst.BaseExpression) -> bool:
            if isinstance(node, cst.Await):
                node = node.expression
            return node is call or (isinstance(node, cst.Name) and node.value in names)

        for returned in summary.scope.returns:
            if isinstance(returned, cst.Await):
                returned = returned.expression
            if raw.returns_content and holds(returned):
                return True
            read = returned.func if isinstance(returned, cst.Call) else returned
            if (
                isinstance(read, cst.Attribute)
                and read.attr.value in CONTENT_READS
                and holds(read.value)
            ):
                return True
        return False

    def header_origin(self, raw: RawRequest, header: Header) -> tuple[Scope, cst.CSTNode | None]:
        """Where a header value of a request is read, and for one written inside a wrapper
        that the call calls, the function it is written in."""
        found = self._header_origins.get(id(header))
        if found is not None:
            return found
        if raw.headers_expr is not None and (
            raw.inner is None or raw.headers_expr is not raw.inner.headers_expr
        ):
            return raw.headers_expr[1], None
        if raw.inner is not None and raw.headers is raw.inner.headers:
            return self._inherited_origin(raw.inner, header)
        return (raw.send or raw.site).scope, None

    def _inherited_origin(
        self, inner: RawRequest, header: Header
    ) -> tuple[Scope, cst.CSTNode | None]:
        scope, node = self.header_origin(inner, header)
        if node is None:
            function = (inner.send or inner.site).scope.function()
            node = function.node if function is not None else None
        return scope, node

    def _header_arguments(
        self, raw: RawRequest, summary: Summary, bound: dict[str, Argument]
    ) -> Headers:
        """The wrapper's own headers, with each value that is one of its parameters
        (`{"Idempotency-Key": key}`) read from the caller's argument."""
        items: list[Header] = []
        changed = False
        for header in raw.headers.items:
            scope, function = self._inherited_origin(raw, header)
            remembered = self.resolver.header_nodes.get(id(header))
            parameter = self._parameter(remembered[1], scope, summary.scope) if remembered else None
            given = bound.get(parameter) if parameter is not None else None
            if given is not None:
                header = self.resolver._header(header.name, given.value)
                self._header_origins[id(header)] = (given.scope, None)
                changed = True
            else:
                self._header_origins.setdefault(id(header), (scope, function))
            items.append(header)
        return Headers(raw.headers.known, tuple(items)) if changed else raw.headers

    def _map_method(self, mapped: RawRequest, given: Argument | None, upper: bool = False) -> None:
        """The method of a wrapper call from the argument of the wrapper's method parameter:
        a literal, a constant, an enum member; else still only known at run time."""
        if given is None:
            mapped.methods, mapped.tokens, mapped.dynamic = frozenset(), [], True
            mapped.method_expr = None
            return
        value = self.resolver.value(given.value, given.scope)
        if isinstance(value, Text):
            if upper:
                value = Text(tuple(replace(o, upper_called=True) for o in value.options))
            verbatim = mapped.api.verbatim
            mapped.methods = frozenset(o.effective(verbatim) for o in value.options)
            mapped.tokens = [(o, verbatim) for o in value.options if o.node is not None]
            mapped.dynamic = False
            mapped.method_expr = None
            return
        mapped.methods, mapped.tokens, mapped.dynamic = frozenset(), [], True
        mapped.method_expr, mapped.method_scope = given.value, given.scope

    def _headers(
        self,
        given: Argument | None,
        edits: list[HeaderEdit] | None,
        function: cst.CSTNode | None,
        owner: Scope | None = None,
    ) -> tuple[Headers, tuple[cst.BaseExpression, Scope] | None]:
        """The headers a wrapper sends from its headers parameter: what the caller passed
        (or the default), with what the wrapper sets in it."""
        if given is None or edits is None:
            return UNKNOWN_HEADERS, None
        headers = self.resolver.headers_value(given.value, given.scope)
        if headers.known and edits:
            before = {id(h) for h in headers.items}
            items = self.resolver.apply_edits(list(headers.items), edits)
            for header in items:
                if id(header) not in before and owner is not None:
                    self._header_origins[id(header)] = (owner, function)
            headers = Headers(True, tuple(items))
        return headers, (given.value, given.scope) if given.arg is not None else None


def _truth(given: Argument | None) -> bool | None:
    """Whether an argument is a true or false literal (None: it cannot be told)."""
    if given is None:
        return None
    value = given.value
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value == "True"
    if is_empty_literal(value):
        return False
    if isinstance(value, cst.Integer):
        return value.value not in ("0",)
    return None


def _passed_on(value: cst.BaseExpression) -> cst.Name | None:
    """The parameter a body argument passes on: `data`, `data or None`, `data if data else
    None`."""
    if isinstance(value, cst.Name):
        return value
    if (
        isinstance(value, cst.BooleanOperation)
        and isinstance(value.operator, cst.Or)
        and isinstance(value.left, cst.Name)
        and (is_none(value.right) or is_empty_literal(value.right))
    ):
        return value.left
    if (
        isinstance(value, cst.IfExp)
        and isinstance(value.body, cst.Name)
        and is_none(value.orelse)
        and isinstance(value.test, cst.Name)
        and value.test.value == value.body.value
    ):
        return value.body
    return None


def _fills_or_recases(value: cst.BaseExpression, name: str) -> bool:
    """`name or {}`, `{}`, `None`, `dict(name or {})`, `name.upper()`: a binding that keeps
    what the caller passed, or fills in nothing when it passed nothing."""
    if is_none(value) or (isinstance(value, cst.Dict) and not value.elements):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        inner = value.func.value
        return (
            isinstance(inner, cst.Name)
            and inner.value == name
            and value.func.attr.value in ("upper", "lower", "strip")
            and not value.args
        )
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        if value.func.value in ("dict", "list") and len(value.args) == 1:
            return _fills_or_recases(value.args[0].value, name)
        return value.func.value == "dict" and not value.args
    if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
        left, right = value.left, value.right
        return isinstance(left, cst.Name) and left.value == name and _fills_or_recases(right, name)
    return False


def depends_on_caller(raw: RawRequest) -> bool:
    """Whether what is judged of a request made inside a wrapper may change with its caller:
    its method, or its headers, come from the caller. A wrapper's retry scopes around such a
    request are judged at each call of the wrapper."""
    return raw.dynamic or not raw.headers.known
