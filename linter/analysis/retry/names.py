"""The retry analysis, first layer: names of imported objects and the exceptions a handler
or a decorator argument names."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from methodlint.analysis.retry.model import (
    CONNECT_ERRORS,
    RetryCall,
    ScopeSpec,
)
from methodlint.analysis.scopes import Scope


class RetryNames:
    """What the retry analysis shares: the module, its resolver, names and exceptions."""

    def __init__(self, resolver: object, retry_decorators: Sequence[str] = ()) -> None:
        from methodlint.analysis.requests import Resolver

        assert isinstance(resolver, Resolver)
        self.resolver = resolver
        self.module = resolver.module
        self.visitor = resolver.visitor
        self.retry_decorators = frozenset(retry_decorators)
        self._sites = {id(site.node): site for site in self.visitor.calls}
        self._scope_of_node: dict[int, Scope] = {}
        for scope in self._all_scopes():
            if scope.node is not None:
                self._scope_of_node[id(scope.node)] = scope
        self.retry_calls: list[RetryCall] = []
        # Regions (a lambda or a same-file function) run under a retry block's call.
        self._regions: dict[int, list[tuple[ScopeSpec, cst.Call]]] = {}
        self._decorator_memo: dict[int, list[tuple[ScopeSpec, cst.CSTNode]]] = {}
        # `DecoratorSpecs.spec_for`: the expressions found to be no retry decorator in the
        # question being answered, with the epoch of handwritten decorators' answers then.
        self._no_spec: dict[tuple[int, int, int], int] = {}
        self._spec_epoch = 0
        self._asking = 0

    def _all_scopes(self) -> Iterator[Scope]:
        seen: set[int] = set()
        for site in self.visitor.calls:
            scope: Scope | None = site.scope
            while scope is not None and id(scope) not in seen:
                seen.add(id(scope))
                yield scope
                scope = scope.parent
        module = self.visitor.module_scope
        if id(module) not in seen:
            yield module
        for cls in self.visitor.classes:
            if id(cls.scope) not in seen:
                seen.add(id(cls.scope))
                yield cls.scope

    # -- names ----------------------------------------------------------------------------

    def qualname(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The dotted name an imported object is known by (`tenacity.retry` for `retry`
        after `from tenacity import retry`); builtins by their own name."""
        if isinstance(node, cst.Name):
            found = self.resolver.binding_scope(node.value, scope)
            if found is None:
                return node.value
            bindings = found[1]
            if len(bindings) == 1 and bindings[0].kind == "import" and bindings[0].qualname:
                return self._normal(bindings[0].qualname)
            return None
        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value, scope)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def _normal(self, qualname: str) -> str:
        for alias, library in self.resolver.http_modules.items():
            if qualname == alias or qualname.startswith(alias + "."):
                return library + qualname[len(alias) :]
        if qualname.startswith("requests.packages.urllib3"):
            return qualname[len("requests.packages.") :]
        return qualname

    def _assigned_once(
        self, node: cst.BaseExpression, scope: Scope
    ) -> tuple[cst.BaseExpression, Scope] | None:
        """For a name bound once by an assignment: its value and the scope it is in."""
        if not isinstance(node, cst.Name):
            return None
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "assign":
            return None
        value = found[1][0].node
        return (value, found[0]) if isinstance(value, cst.BaseExpression) else None

    def _local_function(
        self, node: cst.BaseExpression, scope: Scope
    ) -> tuple[cst.FunctionDef, Scope] | None:
        if not isinstance(node, cst.Name):
            return None
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "def":
            return None
        binding = found[1][0]
        if not isinstance(binding.node, cst.FunctionDef) or binding.inner is None:
            return None
        return binding.node, binding.inner

    # -- exceptions -----------------------------------------------------------------------

    def _exception_names(
        self, node: cst.BaseExpression, scope: Scope, depth: int = 0
    ) -> list[str | None]:
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            found: list[str | None] = []
            for element in node.elements:
                found.extend(self._exception_names(element.value, scope, depth + 1))
            return found
        if depth < 4:
            assigned = self._assigned_once(node, scope)
            if assigned is not None and isinstance(assigned[0], (cst.Tuple, cst.List)):
                return self._exception_names(assigned[0], assigned[1], depth + 1)
        return [self.qualname(node, scope)]

    @staticmethod
    def is_connect_error(qualname: str | None) -> bool:
        if not qualname:
            return False
        parts = qualname.split(".")
        return parts[-1] in CONNECT_ERRORS.get(parts[0], frozenset())

    def _exceptions_spec(self, node: cst.BaseExpression | None, scope: Scope) -> tuple[bool, str]:
        """(connect_only, description) for an exception argument; None means `Exception`."""
        if node is None:
            return False, "any exception"
        names = self._exception_names(node, scope)
        connect = bool(names) and all(self.is_connect_error(n) for n in names)
        text = ", ".join(n or self.module.code_for_node(node) for n in names)
        return connect, text
