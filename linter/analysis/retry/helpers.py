"""Project retry helpers: a function of the module that calls a callable it is given again
after a failure (`def with_retries(fn, *args)`, a `RetryPolicy` class's `__call__`).

A call of such a helper is a retry block for the callable passed to it (rules.md ML2xx,
item 3): `with_retries(self._create_order, order)` re-sends what `_create_order` sends. The
helper's own retry loop says what it retries on, as for any loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from methodlint.analysis.scopes import Binding, CallSite

if TYPE_CHECKING:
    from methodlint.analysis.retry import RetryAnalysis, ScopeSpec


class RetryHelpers:
    def __init__(self, analysis: RetryAnalysis) -> None:
        self.analysis = analysis
        self.resolver = analysis.resolver
        self._specs: dict[int, tuple[int, ScopeSpec] | None] = {}
        self._calls: dict[int, list[CallSite]] = {}
        for site in analysis.visitor.calls:
            function = site.scope.function()
            if function is not None and function.node is not None:
                self._calls.setdefault(id(function.node), []).append(site)

    def retry_call(
        self, site: CallSite
    ) -> tuple[ScopeSpec, cst.BaseExpression, Sequence[cst.Arg]] | None:
        """`helper(fn, *args)` of a retry helper: its spec, the callable and its arguments."""
        from methodlint.analysis.values import LocalFunction, SelfOf

        callee = self.resolver.value(site.node.func, site.scope)
        binding: Binding | None = None
        if isinstance(callee, LocalFunction):
            binding = self.resolver._functions.get(callee.key)
        elif isinstance(callee, SelfOf):  # an instance whose class defines __call__
            cls = self.resolver._classes[callee.key]
            binding = cls.methods.get("__call__")
        if binding is None or not isinstance(binding.node, cst.FunctionDef):
            return None
        found = self._spec(binding)
        if found is None:
            return None
        index, spec = found
        positional = [a for a in site.node.args if a.keyword is None and not a.star]
        if index >= len(positional) or any(a.star for a in site.node.args[: index + 1]):
            return None
        rest = [a for a in site.node.args[index + 1 :] if a.keyword is None or a.star]
        return spec, positional[index].value, rest

    def _spec(self, binding: Binding) -> tuple[int, ScopeSpec] | None:
        """For a retry helper: the position of its callable parameter and what it retries."""
        node = binding.node
        assert isinstance(node, cst.FunctionDef)
        key = id(node)
        if key in self._specs:
            return self._specs[key]
        self._specs[key] = None
        inner = binding.inner
        params = [*node.params.posonly_params, *node.params.params]
        bound = binding.scope.kind == "class" and not any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
            for d in node.decorators
        )
        if bound:
            params = params[1:]
        names = [p.name.value for p in params]
        for site in self._calls.get(key, ()):
            func = site.node.func
            if inner is None or not isinstance(func, cst.Name) or func.value not in names:
                continue
            found = self.resolver.binding_scope(func.value, site.scope)
            if found is None or found[0] is not inner:
                continue
            for scope in self.analysis.scopes(site, [], None, {id(site.node)}):
                if scope.kind == "loop":
                    from methodlint.analysis.retry import ScopeSpec

                    name = inner.qualname
                    spec = ScopeSpec(f"{name}()", scope.connect_only, scope.retries_on)
                    self._specs[key] = (names.index(func.value), spec)
                    return self._specs[key]
        return None
