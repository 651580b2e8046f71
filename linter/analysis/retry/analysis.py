"""The retry analysis of one module, all layers: scopes, policies, and the facts that go
with retried requests (header values made per attempt, the methods a helper is called with)."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from methodlint.analysis.retry.model import (
    FRESH_FUNCTIONS,
    FRESH_MODULES,
    RetryCall,
    ScopeSpec,
)
from methodlint.analysis.retry.policies import RetryPolicies
from methodlint.analysis.scopes import Scope
from methodlint.analysis.walk import walk


class RetryAnalysis(RetryPolicies):
    """Retry scopes, fresh header values, method arguments and retry policies of a module."""

    def __init__(self, resolver: object, retry_decorators: Sequence[str] = ()) -> None:
        self._handwritten: dict[int, ScopeSpec | None] = {}
        super().__init__(resolver, retry_decorators)
        self._find_retry_calls()

    def handwritten(
        self, callee: cst.BaseExpression, call: cst.Call | None, scope: Scope
    ) -> ScopeSpec | None:
        """A retry decorator written in the module: `def retry(func)` whose inner wrapper
        calls `func` again after a failure (a retry loop around it), used as `@retry`; or a
        factory returning one (`def retrying(times): ... return decorate`), as
        `@retrying(times=5)`."""
        found = self._local_function(callee, scope)
        if found is None:
            return None
        function, inner = found
        if call is None:
            return self.decorator_spec(function, inner)
        for returned in inner.returns:
            decorator = self._local_function(returned, inner)
            if decorator is not None:
                spec = self.decorator_spec(*decorator)
                if spec is not None:
                    return spec
        return None

    def decorator_spec(self, function: cst.FunctionDef, inner: Scope) -> ScopeSpec | None:
        """What `function`, a decorator whose wrapper re-calls the decorated function after
        a failure, retries on; None when it is no such decorator."""
        key = id(function)
        if key in self._handwritten:
            return self._handwritten[key]
        self._handwritten[key] = None
        self._spec_epoch += 1  # an answer in progress: "no" for now (see `spec_for`)
        params = [*function.params.posonly_params, *function.params.params]
        if not params:
            return None
        name = params[0].name.value
        for site in self.visitor.calls:
            func = site.node.func
            if not isinstance(func, cst.Name) or func.value != name or site.scope is inner:
                continue
            where = self.resolver.binding_scope(name, site.scope)
            if where is None or where[0] is not inner:
                continue
            for scope in self.scopes(site, [], None, {id(site.node)}):
                if scope.kind == "loop":
                    spec = ScopeSpec(function.name.value, scope.connect_only, scope.retries_on)
                    self._handwritten[key] = spec
                    self._spec_epoch += 1
                    return spec
        return None

    def _find_retry_calls(self) -> None:
        from methodlint.analysis.retry.helpers import RetryHelpers

        helpers = RetryHelpers(self)
        for site in self.visitor.calls:
            found = self._retry_call(site) or helpers.retry_call(site)
            if found is None:
                continue
            spec, function, args = found
            if spec.single:
                continue
            call = RetryCall(spec, site.node, site, function, args)
            self.retry_calls.append(call)
            if isinstance(function, cst.Lambda):
                self._regions.setdefault(id(function), []).append((spec, site.node))
            else:
                local = self._local_function(function, site.scope)
                if local is not None:
                    self._regions.setdefault(id(local[0]), []).append((spec, site.node))

    # -- fresh values, method arguments ---------------------------------------------------

    def fresh_call(
        self, value: cst.BaseExpression, scope: Scope, depth: int = 0
    ) -> cst.Call | None:
        """The call in a header value that makes it new each time (`uuid.uuid4()`), following
        a name bound once in the same function."""
        for node in walk(value):
            if isinstance(node, cst.Call):
                name = self.qualname(node.func, scope) or ""
                if name in FRESH_FUNCTIONS or any(
                    name == m or (m.endswith(".") and name.startswith(m)) for m in FRESH_MODULES
                ):
                    return node
            if isinstance(node, cst.Name) and depth < 3:
                assigned = self._assigned_once(node, scope)
                if assigned is not None and assigned[1].kind != "module":
                    found = self.fresh_call(assigned[0], assigned[1], depth + 1)
                    if found is not None:
                        return found
        return None

    def method_arguments(
        self, method: cst.BaseExpression, scope: Scope, verbatim: bool
    ) -> frozenset[str] | None:
        """For a method that is a parameter of a private function: the literal methods every
        call of the function in this file passes; None otherwise."""
        if not isinstance(method, cst.Name):
            return None
        found = self.resolver.binding_scope(method.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "param":
            return None
        owner = found[0]
        function = owner.node
        if not isinstance(function, cst.FunctionDef):
            return None
        name = function.name.value
        if not name.startswith("_") or name.startswith("__"):
            return None
        params = [*function.params.posonly_params, *function.params.params]
        index = next((i for i, p in enumerate(params) if p.name.value == method.value), None)
        keyword_only = any(p.name.value == method.value for p in function.params.kwonly_params)
        param = next(
            (p for p in (*params, *function.params.kwonly_params) if p.name.value == method.value),
            None,
        )
        if param is None:
            return None
        offset = 1 if owner.self_name is not None else 0
        values: set[str] = set()
        calls = 0
        from methodlint.analysis.literals import literal_text

        for site in self.visitor.calls:
            func = site.node.func
            callee = func.attr.value if isinstance(func, cst.Attribute) else None
            if isinstance(func, cst.Name):
                callee = func.value
            if callee != name:
                continue
            if isinstance(func, cst.Name):
                local = self._local_function(func, site.scope)
                if local is None or local[0] is not function:
                    return None
                shift = 0
            else:
                shift = offset
            calls += 1
            argument: cst.BaseExpression | None = None
            for arg in site.node.args:
                if arg.star:
                    return None
            positional = [a for a in site.node.args if a.keyword is None]
            if index is not None and not keyword_only and index - shift < len(positional):
                argument = positional[index - shift].value
            else:
                keyword = next(
                    (a for a in site.node.args if a.keyword and a.keyword.value == method.value),
                    None,
                )
                argument = keyword.value if keyword is not None else param.default
            text = literal_text(argument) if argument is not None else None
            if text is None:
                return None
            values.add(text if verbatim else text.upper())
        if not calls:
            return None
        return frozenset(values)
