"""Calls of request wrappers of other project modules: the caller's arguments put into the
wrapper's summary (`summary.FunctionShape`), giving HTTP call sites of this module.

Everything a finding may point at is written here, at the call: the method literal, the body
argument, the URL. What is written inside the wrapper is reported when its own module is
checked, so nothing of it is needed here but the facts its summary keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from methodlint.analysis.foreign import ProjectView
from methodlint.analysis.literals import is_empty_literal, is_none, sends_nothing
from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.retry.model import RawScope
from methodlint.analysis.scopes import CallSite, Scope
from methodlint.analysis.summary import FunctionShape, RequestShape
from methodlint.analysis.values import ForeignFunction, Text, TextOption
from methodlint.facts import NO_HEADERS, UNKNOWN_HEADERS, Header, Headers

_MAX_DEPTH = 8


@dataclass(frozen=True)
class _Given:
    """What a parameter holds at one call: the caller's expression, or the wrapper's default
    (`default` is the summary's description of it: "none", "empty", "text:..", "other")."""

    value: cst.BaseExpression | None
    scope: Scope | None
    arg: cst.Arg | None
    default: str | None = None


class ForeignCalls:
    def __init__(self, resolver: Resolver, project: ProjectView) -> None:
        self.resolver = resolver
        self.project = project

    def shape(self, site: CallSite) -> tuple[ForeignFunction, FunctionShape] | None:
        value = self.resolver.value(site.node.func, site.scope)
        if not isinstance(value, ForeignFunction):
            return None
        shape = self.project.function(value)
        return (value, shape) if shape is not None else None

    def mapped(self, site: CallSite) -> list[RawRequest]:
        found = self.shape(site)
        if found is None:
            return []
        shape = found[1]
        bound, extra, spread = self._bind(site, shape)
        return [
            self._map(site, shape, request, bound, extra, spread)
            for request in shape.requests
            if len(request.via) < _MAX_DEPTH
            and all(_truth(bound.get(p)) in (None, wanted) for p, wanted in request.guards)
        ]

    def _bind(
        self, site: CallSite, shape: FunctionShape
    ) -> tuple[dict[str, _Given], list[cst.Arg], cst.Arg | None]:
        positional = list(shape.positional)  # a method's `self` is not among them
        given: dict[str, _Given] = {}
        extra: list[cst.Arg] = []
        spread: cst.Arg | None = None
        unknown = False
        index = 0
        for arg in site.node.args:
            if arg.star:
                unknown = True
                if arg.star == "**":
                    spread = arg
                continue
            if arg.keyword is None:
                if not unknown and index < len(positional):
                    given[positional[index]] = _Given(arg.value, site.scope, arg)
                index += 1
                continue
            name = arg.keyword.value
            if name in shape.keyword_only or name in positional[shape.positional_only :]:
                given[name] = _Given(arg.value, site.scope, arg)
            else:
                extra.append(arg)
        if not unknown:
            for name, default in shape.defaults.items():
                given.setdefault(name, _Given(None, None, None, default))
        return given, extra, spread

    def _map(
        self,
        site: CallSite,
        shape: FunctionShape,
        request: RequestShape,
        given: dict[str, _Given],
        extra: list[cst.Arg],
        spread: cst.Arg | None,
    ) -> RawRequest:
        api = request.api
        raw = RawRequest(
            site=site,
            api=api,
            client=request.client,
            methods=frozenset(request.methods),
            tokens=[],
            dynamic=request.dynamic,
            bodies=[],
            headers=UNKNOWN_HEADERS,
            url=None,
            send=site,
            method_scope=site.scope,
            via=(shape.qualname, *request.via),
            returns_content=request.returns_content,
        )
        if request.method_param is not None:
            self._method(raw, given.get(request.method_param), request.method_upper)
        if request.url_param is not None:
            url = given.get(request.url_param)
            if url is not None and url.value is not None and not is_none(url.value):
                raw.url, raw.url_scope = url.value, url.scope
        for name, keyword, parameter in request.body_params:
            body = given.get(parameter)
            if body is not None and body.arg is not None and body.value is not None:
                empty = self.resolver.empty_body(name, body.value, body.scope)
                raw.bodies.append((name, keyword, body.arg, empty, body.value))
        headers: Headers = (
            Headers(request.headers_known, tuple(Header(n, "...") for n in request.header_names))
            if request.headers_param is None
            else UNKNOWN_HEADERS
        )
        if request.headers_param is not None:
            passed = given.get(request.headers_param)
            headers = self._headers(passed, request)
            if passed is not None and passed.arg is not None and passed.value is not None:
                assert passed.scope is not None
                raw.headers_expr = (passed.value, passed.scope)
        if request.kwargs:
            for arg in extra:
                assert arg.keyword is not None
                name = arg.keyword.value
                if name in api.body_keywords:
                    raw.bodies.append((name, True, arg, sends_nothing(name, arg.value), arg.value))
                elif name == "headers" and request.headers_param is None:
                    headers = self.resolver.headers_value(arg.value, site.scope)
                    raw.headers_expr = (arg.value, site.scope)
            if request.headers_param is None and not any(
                a.keyword is not None and a.keyword.value == "headers" for a in extra
            ):
                headers = UNKNOWN_HEADERS if spread is not None else NO_HEADERS
            if spread is not None:
                raw.kwargs_expr = (spread.value, site.scope)
        raw.headers = headers
        raw.foreign_scopes = [
            RawScope(
                s.kind,
                s.mechanism,
                site.node,
                site.node,
                s.connect_only,
                s.method_gated,
                s.retries_on,
                within=s.within,
            )
            for s in request.scopes
        ]
        return raw

    def _method(self, raw: RawRequest, given: _Given | None, upper: bool) -> None:
        options: tuple[TextOption, ...] = ()
        if given is not None and given.value is not None and given.scope is not None:
            value = self.resolver.value(given.value, given.scope)
            if isinstance(value, Text):
                options = value.options
            else:
                raw.method_expr, raw.method_scope = given.value, given.scope
        elif given is not None and given.default and given.default.startswith("text:"):
            options = (TextOption(given.default[5:]),)
        if not options:
            raw.methods, raw.dynamic = frozenset(), True
            return
        if upper:
            options = tuple(
                TextOption(o.value, o.node, o.node_id, True, o.constant) for o in options
            )
        verbatim = raw.api.verbatim
        raw.methods = frozenset(o.effective(verbatim) for o in options)
        raw.tokens = [(o, verbatim) for o in options if o.node is not None]
        raw.dynamic = False
        raw.method_expr = None

    def _headers(self, given: _Given | None, request: RequestShape) -> Headers:
        edits = request.header_edits
        if given is None or edits is None:
            return UNKNOWN_HEADERS
        if given.value is None or given.scope is None:
            headers = NO_HEADERS if given.default in ("none", "empty") else UNKNOWN_HEADERS
        else:
            headers = self.resolver.headers_value(given.value, given.scope)
        if not headers.known or not edits:
            return headers
        items = list(headers.items)
        for key, conditional, removed in edits:
            if not conditional:
                items = [h for h in items if h.name.lower() != key.lower()]
            if not removed:
                items.append(Header(key, "..."))
        return Headers(True, tuple(items))


def _truth(given: _Given | None) -> bool | None:
    """Whether a flag argument is true or false, when a literal or default says so."""
    if given is None:
        return None
    if given.value is None:
        return {"none": False, "empty": False, "false": False, "true": True}.get(
            given.default or ""
        )
    value = given.value
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return value.value == "True"
    return False if is_empty_literal(value) else None
