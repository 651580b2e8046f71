"""Resolution, last layer: the library calls that are HTTP requests, as raw requests (facts
that still point at nodes, before positions are known)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from methodlint.analysis.headers import HeaderResolution
from methodlint.analysis.literals import is_none
from methodlint.analysis.retry.model import RawScope
from methodlint.analysis.scopes import (
    CallSite,
    Scope,
)
from methodlint.analysis.values import CONTENT_KEYWORDS, BoundMethod, Built, Ref, Text, TextOption
from methodlint.facts import (
    UNKNOWN_HEADERS,
    Headers,
)
from methodlint.libraries import (
    CLIENT_TYPES,
    FUNCTIONS,
    Api,
)


@dataclass(eq=False)
class RawRequest:
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
    # The method argument when it is not a literal, and the scope it is read in.
    method_expr: cst.BaseExpression | None = None
    method_scope: Scope | None = None
    # The headers argument and the `**kwargs` passed on to the call, with their scopes.
    headers_expr: tuple[cst.BaseExpression, Scope] | None = None
    kwargs_expr: tuple[cst.BaseExpression, Scope] | None = None
    # Where the URL expression is read, when not at `site` (a URL fixed inside a wrapper).
    url_scope: Scope | None = None
    # For a call of a request wrapper (see `wrappers.py`): the project functions from this
    # call to the library call, and the request as the wrapper makes it.
    via: tuple[str, ...] = ()
    inner: RawRequest | None = None
    # The wrapper returns the response's content (`return response.json()`), not the
    # response: what the caller holds is what the request read.
    returns_content: bool = False
    # For a call of a wrapper of another module: the retry scopes inside it that its
    # callers are judged by (see `summary.ScopeShape`), pointing at this call.
    foreign_scopes: list[RawScope] = field(default_factory=list)


class Resolver(HeaderResolution):
    """Evaluates recorded expressions to abstract values and finds the module's HTTP requests."""

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

    def http_calls(self) -> list[RawRequest]:
        raws: list[RawRequest] = []
        sends: list[tuple[RawRequest | None, CallSite, Api, str]] = []
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
            methods = frozenset(o.effective(api.verbatim) for o in value.options)
            return methods, tokens, False, True
        return frozenset(), [], True, True

    def _raw(self, site: CallSite, api: Api, client: str) -> RawRequest:
        call = site.node
        methods, tokens, dynamic, given = self._method(site, api)
        bodies: list[tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]] = []
        for position, name in api.body_positions:
            arg = self._arg(call, position, None)
            if arg is not None:
                empty = self.empty_body(name, arg.value, site.scope)
                bodies.append((name, False, arg, empty, arg.value))
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in api.body_keywords:
                name = arg.keyword.value
                empty = self.empty_body(name, arg.value, site.scope)
                bodies.append((name, True, arg, empty, arg.value))
        if api.fields_in_query_for and (not methods or methods & api.fields_in_query_for):
            bodies = [b for b in bodies if b[0] != "fields"]
        if api.library == "urllib.request" and not given:
            # Request(url, data) without a method is a POST when it has data.
            has_data = any(not is_none(b[4]) for b in bodies)
            methods = frozenset({"POST" if has_data else "GET"})
        url_arg = self._arg(call, api.url_pos, "url")
        method_arg = self._arg(call, api.method_pos, "method") if dynamic else None
        headers_arg = self._keyword(call, "headers")
        if headers_arg is None and api.headers_pos is not None:
            headers_arg = self._arg(call, api.headers_pos, None)
        kwargs_arg = next((a for a in call.args if a.star == "**"), None)
        return RawRequest(
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
            method_expr=method_arg.value if method_arg is not None else None,
            method_scope=site.scope,
            headers_expr=(headers_arg.value, site.scope) if headers_arg is not None else None,
            kwargs_expr=(kwargs_arg.value, site.scope) if kwargs_arg is not None else None,
        )

    def method_node(self, raw: RawRequest) -> cst.BaseExpression | None:
        """The method argument of a request whose method is not a literal."""
        if not raw.dynamic or raw.api.method is not None:
            return None
        return raw.method_expr

    def request_nodes(self, raw: RawRequest) -> list[cst.CSTNode]:
        """The expressions that make a request what it is: URL, content and query."""
        nodes: list[cst.CSTNode] = []
        if raw.url is not None:
            nodes.append(raw.url)
        nodes.extend(body[4] for body in raw.bodies)
        if raw.inner is not None:
            # A call of a wrapper: every argument but the method and the headers.
            skipped = {id(raw.method_expr), id(raw.headers_expr[0]) if raw.headers_expr else 0}
            nodes.extend(a.value for a in raw.site.node.args if id(a.value) not in skipped)
            return nodes
        skip = {raw.api.method_pos, raw.api.headers_pos}
        for site in (raw.site, raw.send):
            if site is None:
                continue
            positional = 0
            for arg in site.node.args:
                if arg.keyword is not None:
                    if arg.keyword.value in CONTENT_KEYWORDS:
                        nodes.append(arg.value)
                elif arg.star:
                    nodes.append(arg.value)
                else:
                    if positional not in skip or site is raw.send:
                        nodes.append(arg.value)
                    positional += 1
        return nodes

    def _send(self, site: CallSite, api: Api, client: str) -> Iterator[RawRequest]:
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
                if implicit and not build.dynamic and any(not is_none(b[4]) for b in bodies):
                    methods = frozenset({"POST"})
            yield RawRequest(
                site=build.site,
                api=build.api,
                client=build.client,
                methods=methods,
                tokens=build.tokens,
                dynamic=build.dynamic,
                bodies=bodies,
                headers=self._object_headers(target.value, site, build.headers)
                if target is not None
                else build.headers,
                url=build.url,
                send=site,
                method_expr=build.method_expr,
                method_scope=build.method_scope,
                headers_expr=build.headers_expr,
                kwargs_expr=build.kwargs_expr,
            )
            return
        if api.kind == "urlopen" and (target is None or not self._is_url(target.value, site.scope)):
            # A Request methodlint cannot see, or a URL it cannot read: method unknown.
            raw = self._raw(site, api, client)
            raw.methods = frozenset()
            raw.dynamic = True
            raw.bodies = []
            raw.headers = UNKNOWN_HEADERS
            yield raw
            return
        if api.kind == "urlopen":
            raw = self._raw(site, api, client)
            has_data = any(not is_none(b[4]) for b in raw.bodies)
            raw.methods = frozenset({"POST" if has_data else "GET"})
            yield raw
            return
        raw = self._raw(site, api, client)
        raw.methods = frozenset()
        raw.dynamic = True
        raw.headers = UNKNOWN_HEADERS  # a request built where methodlint cannot see
        yield raw
