"""The analysis of one module, phase by phase, into the facts rules read."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from methodlint.analysis.positions import QuotedCode, compute_spans
from methodlint.analysis.preconditions import Preconditions, string_literal
from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.retry.model import RawScope
from methodlint.analysis.routes import RouteAnalysis
from methodlint.analysis.scopes import (
    CallSite,
    Scope,
    ScopeVisitor,
)
from methodlint.analysis.walk import visit

if TYPE_CHECKING:
    from methodlint.analysis.foreign import ProjectView
    from methodlint.analysis.retry import RetryAnalysis, RetryCall
    from methodlint.analysis.retry.recursion import Recursion
    from methodlint.analysis.summary import ModuleSummary
from methodlint.diagnostics import Span
from methodlint.facts import (
    Body,
    FileFacts,
    FreshValue,
    HttpCall,
    MethodToken,
    RetryPolicy,
    RetryScope,
    Url,
)


def _function_names(scope: Scope) -> tuple[str | None, str | None, bool]:
    function = scope.function()
    cls = scope.cls if scope.cls is not None else (function.cls if function else None)
    if function is None:
        return None, cls.name if cls else None, False
    return function.qualname, cls.name if cls else None, function.is_async


def build_facts(
    module: cst.Module,
    http_modules: Mapping[str, str] | None = None,
    retry_decorators: Sequence[str] = (),
) -> tuple[list[HttpCall], list[MethodToken]]:
    """Walk `module` once and return its HTTP calls and method tokens."""
    facts = file_facts(module, "<module>", http_modules, retry_decorators)
    return list(facts.calls), list(facts.method_tokens)


def file_facts(
    module: cst.Module,
    path: str,
    http_modules: Mapping[str, str] | None = None,
    retry_decorators: Sequence[str] = (),
) -> FileFacts:
    """Walk `module` once and return everything the rules read about it."""
    return analyse(module, path, http_modules, retry_decorators)[0]


def analyse(
    module: cst.Module,
    path: str,
    http_modules: Mapping[str, str] | None = None,
    retry_decorators: Sequence[str] = (),
    project: ProjectView | None = None,
    tree: ast.Module | Callable[[], ast.Module | None] | None = None,
    source: str | None = None,
) -> tuple[FileFacts, ModuleSummary | None]:
    """The facts of one module, and with `project` (what it sees of the other modules of
    the project), the summary it offers them. `tree`: CPython's tree of the same source,
    when the caller has it, or a function that parses it when positions are needed
    (positions are then computed without regenerating the code), and
    `source`, that source (the spans of compound statements are then read off the trees)."""
    from methodlint.analysis.export import export
    from methodlint.analysis.foreign_calls import ForeignCalls
    from methodlint.analysis.retry import RetryAnalysis
    from methodlint.analysis.retry.recursion import Recursion
    from methodlint.analysis.wrappers import Wrappers, depends_on_caller

    visitor = ScopeVisitor()
    visit(module, visitor)
    resolver = Resolver(module, visitor, http_modules, project)
    raws = [r for r in resolver.http_calls() if not (r.api.kind == "build" and r.sent)]
    foreign = ForeignCalls(resolver, project) if project is not None else None
    wrappers = Wrappers(resolver, raws, foreign)

    def summary_of(scopes: Callable[[RawRequest], list[RawScope]]) -> ModuleSummary | None:
        if project is None or project.module is None:
            return None
        return export(project.module, resolver, wrappers, scopes, analysis)

    raws += wrappers.calls()
    analysis = RetryAnalysis(resolver, retry_decorators)
    # `Retrying(...)(requests.post, url, json=p)`: the HTTP function passed is called with
    # the arguments that follow; its facts point at the whole call.
    alias: dict[int, cst.CSTNode] = {}
    through: dict[int, RetryCall] = {}
    for retry_call in analysis.retry_calls:
        synthetic = cst.Call(func=retry_call.function, args=tuple(retry_call.args))
        site = CallSite(
            synthetic,
            retry_call.site.scope,
            retry_call.site.conditional,
            retry_call.site.seq,
            retry_call.site.block,
        )
        found = resolver.callee_api(site)
        # A function of this module passed by name is a region of the block already (see
        # RetryAnalysis): only requests its caller decides are judged at the block's call.
        made = wrappers.mapped(site)
        if analysis.is_region(retry_call):
            made = [r for r in made if r.inner and depends_on_caller(r.inner)]
        if found is not None and found[0].kind == "send":
            made = [resolver._raw(site, found[0], found[1])]
        alias[id(synthetic)] = retry_call.call
        for raw in made:
            through[id(raw)] = retry_call
            raws.append(raw)
    recursion = Recursion(analysis, wrappers)
    policies, policy_tokens = analysis.policies()
    routes = RouteAnalysis(resolver, raws)
    if not raws and not policies and not policy_tokens and not routes.routes:
        summary = summary_of(lambda raw: [])
        _release(visitor, resolver)
        return FileFacts(path=path), summary

    def place(node: cst.CSTNode) -> cst.CSTNode:
        return alias.get(id(node), node)

    http_nodes = {id(r.site.node) for r in raws} | {id(r.send.node) for r in raws if r.send}
    retries: dict[
        int,
        tuple[
            list[RawScope],
            list[tuple[str, cst.Call, cst.CSTNode | None]],
            frozenset[str] | None,
        ],
    ]
    retries = {}
    wanted: list[cst.CSTNode] = []
    scopes_of = _RetryScopes(resolver, analysis, recursion, http_nodes, through)

    for raw in raws:
        wanted.append(place(raw.site.node))
        if raw.send is not None:
            wanted.append(place(raw.send.node))
        wanted.extend(b[2] for b in raw.bodies)
        wanted.extend(b[4] for b in raw.bodies)  # their code: `code_of`
        wanted.extend(o.node for o, _ in raw.tokens if o.node is not None)
        if raw.url is not None:
            wanted.append(raw.url)
        method = resolver.method_node(raw)
        scopes = scopes_of(raw)
        fresh: list[tuple[str, cst.Call, cst.CSTNode | None]] = []
        for header in raw.headers.items:
            remembered = resolver.header_nodes.get(id(header))
            if remembered is not None:
                header_scope, origin = wrappers.header_origin(raw, header)
                generated = analysis.fresh_call(remembered[1], header_scope)
                if generated is not None:
                    fresh.append((header.name, generated, origin))
                    if origin is not None:
                        wanted.append(origin)
        arguments = None
        if raw.dynamic and method is not None:
            arguments = analysis.method_arguments(
                method, raw.method_scope or raw.site.scope, raw.api.verbatim
            )
        retries[id(raw)] = (scopes, fresh, arguments)
        for scope in scopes:
            wanted.extend((scope.node, scope.region))
        wanted.extend(node for _, node, _ in fresh)
    wanted.extend(p.node for p in policies)
    wanted.extend(t.node for t in policy_tokens)
    lost_updates = Preconditions(resolver, raws)
    wanted.extend(lost_updates.nodes)
    wanted.extend(routes.nodes)
    spans = compute_spans(module, wanted, tree() if callable(tree) else tree, source)
    code_of = QuotedCode(module, spans, source)
    calls: list[HttpCall] = []
    tokens: dict[Span, MethodToken] = {}
    for policy_token in policy_tokens:
        span = spans[id(policy_token.node)]
        tokens[span] = MethodToken(
            value=policy_token.value,
            span=span,
            library=policy_token.library,
            client=policy_token.client,
            verbatim=policy_token.verbatim,
            source=code_of(policy_token.node),
            constant=policy_token.constant,
            role=policy_token.role,
        )
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
                source=code_of(option.node),
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
        scopes, fresh, arguments = retries[id(raw)]
        url = None
        if raw.url is not None:
            url = Url(
                source=code_of(raw.url),
                span=spans[id(raw.url)],
                literal=string_literal(raw.url),
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
                    Body(name, keyword, spans[id(node)], empty, code_of(value))
                    for name, keyword, node, empty, value in raw.bodies
                ),
                headers=raw.headers,
                url=url,
                build_site=spans[id(place(raw.site.node))],
                send_site=spans[id(place(raw.send.node))] if raw.send is not None else None,
                is_async=is_async,
                function=function,
                class_name=class_name,
                rejects_body=raw.api.rejects_body,
                retry_scopes=tuple(
                    RetryScope(
                        kind=scope.kind,
                        mechanism=scope.mechanism,
                        span=spans[id(scope.node)],
                        region=spans[id(scope.region)],
                        connect_only=scope.connect_only,
                        method_gated=scope.method_gated,
                        retries_on=scope.retries_on,
                        within=scope.within,
                    )
                    for scope in scopes
                ),
                fresh_headers=tuple(
                    FreshValue(name, spans[id(node)], spans[id(function)] if function else None)
                    for name, node, function in fresh
                ),
                method_arguments=arguments,
                via=raw.via,
            )
        )
    calls = [lost_updates.complete(r, c, spans) for r, c in zip(raws, calls, strict=True)]
    calls.sort(key=lambda c: (c.build_site, c.send_site or c.build_site))
    route_facts, route_tokens = routes.facts(spans, module)
    tokens.update((t.span, t) for t in route_tokens)
    facts = FileFacts(
        path=path,
        calls=tuple(calls),
        method_tokens=tuple(sorted(tokens.values(), key=lambda t: t.span)),
        routes=tuple(route_facts),
        retry_policies=tuple(
            RetryPolicy(
                library=p.library,
                name=p.name,
                span=spans[id(p.node)],
                status_methods=p.status_methods,
                method_paths=p.method_paths,
                any_method_paths=p.any_method_paths,
                known=p.known,
                only_urllib3_126=p.only_urllib3_126,
            )
            for p in policies
        ),
    )
    summary = summary_of(scopes_of)
    _release(visitor, resolver)
    return facts, summary


class _RetryScopes:
    """The retry scopes around a request, innermost first: for a call of a wrapper, those
    inside the wrapper around its request, when the caller decides what that request is
    (its method or headers come from the caller), then the caller's own. (A class rather
    than a closure: a closure that calls itself is a reference cycle, which would hold the
    module's tree until the garbage collector runs.)"""

    def __init__(
        self,
        resolver: Resolver,
        analysis: RetryAnalysis,
        recursion: Recursion,
        http_nodes: set[int],
        through: dict[int, RetryCall],
    ) -> None:
        self.resolver = resolver
        self.analysis = analysis
        self.recursion = recursion
        self.http_nodes = http_nodes
        self.through = through
        self.memo: dict[int, list[RawScope]] = {}

    def __call__(self, raw: RawRequest) -> list[RawScope]:
        from methodlint.analysis.wrappers import depends_on_caller

        cached = self.memo.get(id(raw))
        if cached is None:
            send = raw.send or raw.site
            method = self.resolver.method_node(raw)
            cached = self.analysis.scopes(
                send,
                self.resolver.request_nodes(raw),
                method,
                self.http_nodes,
                self.through.get(id(raw)),
            )
            cached += self.recursion.scopes(raw, method)
            cached = list(raw.foreign_scopes) + cached
            inner = raw.inner
            if inner is not None and depends_on_caller(inner):
                wrapper = raw.via[0]
                inherited = [replace(s, within=s.within or wrapper) for s in self(inner)]
                cached = inherited + cached
            self.memo[id(raw)] = cached
        return cached


def _release(visitor: ScopeVisitor, resolver: Resolver) -> None:
    """Break the reference cycles of the analysis (`ScopeVisitor.release`, and the resolver's
    hook into the wrappers, which hold the resolver), so that the module's tree is freed by
    reference counting when the analysis returns: left to the garbage collector, collecting
    it walked every node again, about a tenth of the analysis of an HTTP-dense file."""
    visitor.release()
    resolver.passes_to_request = _passes_nothing


def _passes_nothing(site: CallSite) -> bool:
    return False
