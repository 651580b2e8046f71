"""The retry analysis: retry blocks (`for attempt in Retrying(...)`, `Retrying(...)(fn)`,
stamina's callers, project retry helpers) and the regions they run."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from methodlint.analysis.retry.model import (
    STAMINA_CALLERS,
    RetryCall,
    ScopeSpec,
)
from methodlint.analysis.retry.specs import DecoratorSpecs
from methodlint.analysis.scopes import CallSite, Scope


class RetryBlocks(DecoratorSpecs):
    """Retry blocks, on top of decorator specs."""

    def _block_spec(self, loop: cst.For, scope: Scope) -> ScopeSpec | None:
        """`for attempt in Retrying(...)` / `stamina.retry_context(...)`."""
        iterated = loop.iter
        if isinstance(iterated, cst.Name):
            assigned = self._assigned_once(iterated, scope)
            if assigned is not None:
                iterated, scope = assigned
        if not isinstance(iterated, cst.Call):
            return None
        name = self.qualname(iterated.func, scope)
        if name not in ("tenacity.Retrying", "tenacity.AsyncRetrying", "stamina.retry_context"):
            return None
        spec = self.spec_for(iterated, scope)
        return spec if spec is not None and not spec.single else None

    def is_region(self, retry_call: RetryCall) -> bool:
        """The function a retry block runs is one of this module whose own calls the block
        covers (a lambda, or a function passed by name)."""
        function = retry_call.function
        if isinstance(function, cst.Lambda):
            return True
        return self._local_function(function, retry_call.site.scope) is not None

    def _retrying_object(
        self, node: cst.BaseExpression, scope: Scope
    ) -> tuple[str, cst.Call, Scope] | None:
        """`Retrying(...)`, `RetryingCaller(...)`, or a name bound once to one."""
        if isinstance(node, cst.Name):
            assigned = self._assigned_once(node, scope)
            if assigned is None:
                return None
            node, scope = assigned
        if not isinstance(node, cst.Call):
            return None
        name = self.qualname(node.func, scope)
        if name is None:
            return None
        return name, node, scope

    def _retry_call(
        self, site: CallSite
    ) -> tuple[ScopeSpec, cst.BaseExpression, Sequence[cst.Arg]] | None:
        call = site.node
        args = [a for a in call.args if not a.keyword and not a.star]
        func = call.func
        if isinstance(func, cst.Name):
            # `bound = rc.on(httpx.HTTPError)`, then `bound(fn, ...)`.
            assigned = self._assigned_once(func, site.scope)
            if (
                assigned is not None
                and isinstance(assigned[0], cst.Call)
                and isinstance(assigned[0].func, cst.Attribute)
                and assigned[0].func.attr.value == "on"
            ):
                func = assigned[0]
        # tenacity.retry(...)(fn)(*args)
        if isinstance(func, cst.Call) and len(func.args) == 1 and not func.args[0].keyword:
            inner = self._retrying_object(func.func, site.scope)
            if inner is not None and inner[0] == "tenacity.retry":
                spec = self.spec_for(inner[1], inner[2])
                if spec is not None:
                    return spec, func.args[0].value, call.args
        # stamina: caller.on(Exc)(fn, *args)
        if (
            isinstance(func, cst.Call)
            and isinstance(func.func, cst.Attribute)
            and func.func.attr.value == "on"
            and func.args
        ):
            caller = self._retrying_object(func.func.value, site.scope)
            if caller is not None and caller[0] in STAMINA_CALLERS and args:
                connect, text = self._exceptions_spec(func.args[0].value, site.scope)
                spec = ScopeSpec(
                    self.module.code_for_node(func.func.value),
                    connect,
                    text,
                    self._is_value(caller[1], "attempts", 1),
                )
                return spec, args[0].value, call.args[1:]
        target = self._retrying_object(func, site.scope)
        if target is None or not args:
            return None
        name, constructor, where = target
        if name in ("tenacity.Retrying", "tenacity.AsyncRetrying"):
            spec = self.spec_for(constructor, where)
            if spec is not None:
                return spec, args[0].value, call.args[1:]
        if name in STAMINA_CALLERS and len(args) >= 2:
            connect, text = self._exceptions_spec(args[0].value, site.scope)
            spec = ScopeSpec(
                self.module.code_for_node(func),
                connect,
                text,
                self._is_value(constructor, "attempts", 1),
            )
            return spec, args[1].value, call.args[2:]
        return None
