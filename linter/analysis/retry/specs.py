"""The retry analysis: retry decorators and the arguments of retry libraries (tenacity,
backoff, stamina, retrying, the retry package, Celery), read as what they retry on."""

from __future__ import annotations

import libcst as cst

from methodlint.analysis.retry.model import (
    NOT_PROCESSED,
    ScopeSpec,
    codes_text,
    int_literal,
)
from methodlint.analysis.retry.statuses import StatusChecks
from methodlint.analysis.scopes import Scope
from methodlint.analysis.values import ForeignDecorator
from methodlint.analysis.walk import walk


class DecoratorSpecs(StatusChecks):
    """Retry decorators and their arguments, on top of status checks."""

    # -- retry decorators and blocks --------------------------------------------------------

    @staticmethod
    def _kwarg(call: cst.Call, name: str, position: int | None = None) -> cst.Arg | None:
        positional = 0
        for arg in call.args:
            if arg.keyword is not None:
                if arg.keyword.value == name:
                    return arg
            elif not arg.star:
                if position is not None and positional == position:
                    return arg
                positional += 1
        return None

    def _is_value(self, call: cst.Call, name: str, value: int, position: int | None = None) -> bool:
        arg = self._kwarg(call, name, position)
        return arg is not None and int_literal(arg.value) == value

    def spec_for(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> ScopeSpec | None:
        """What a decorator expression (or a block's retrying object) retries on, when it is
        a retry decorator; None when it is not one."""
        # The question is asked again for the same expression along every path of calls and
        # returns that reaches it, which grows exponentially with the depth. A "no" is
        # remembered for the rest of the outermost question, as long as no handwritten
        # decorator's answer changed since (`decorator_spec`): nothing else it depends on
        # changes meanwhile. A "yes" is not: its object is shared, and its callers change it.
        if self._asking == 0:
            self._no_spec.clear()
        key = (id(node), id(scope), depth)
        if self._no_spec.get(key) == self._spec_epoch:
            return None
        epoch = self._spec_epoch
        self._asking += 1
        try:
            spec = self._spec_for(node, scope, depth)
        finally:
            self._asking -= 1
        if spec is None and self._spec_epoch == epoch:
            self._no_spec[key] = epoch
        return spec

    def _spec_for(self, node: cst.BaseExpression, scope: Scope, depth: int) -> ScopeSpec | None:
        if depth > 6:
            return None
        callee = node.func if isinstance(node, cst.Call) else node
        call = node if isinstance(node, cst.Call) else None
        name = self.qualname(callee, scope)

        def mechanism() -> str:
            # Generated only for a decorator it is: most expressions asked about are none,
            # and generating code is the costly part of asking.
            return self.module.code_for_node(callee)

        if name in ("tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying"):
            return self._tenacity(call, scope, mechanism())
        if name in ("backoff.on_exception", "backoff.on_predicate"):
            if call is None:
                return None
            single = self._is_value(call, "max_tries", 1)
            if name == "backoff.on_predicate":
                predicate = self._kwarg(call, "predicate", 1)
                if predicate is not None:
                    codes = self._predicate_codes(predicate.value, scope)
                    if codes is not None:
                        return ScopeSpec(
                            mechanism(), codes <= NOT_PROCESSED, codes_text(codes), single
                        )
                    return ScopeSpec(
                        mechanism(), False, self.module.code_for_node(predicate.value), single
                    )
                return ScopeSpec(mechanism(), False, "a falsy result", single)
            exceptions = self._kwarg(call, "exception", 1)
            connect, text = self._exceptions_spec(exceptions.value if exceptions else None, scope)
            return ScopeSpec(mechanism(), connect, text, single)
        if name in ("stamina.retry", "stamina.retry_context"):
            if call is None:
                return None
            on = self._kwarg(call, "on")
            connect, text = self._exceptions_spec(on.value if on else None, scope)
            return ScopeSpec(mechanism(), connect, text, self._is_value(call, "attempts", 1))
        if name == "retrying.retry":
            return self._retrying(call, scope, mechanism())
        if name in ("retry.retry", "retry.api.retry"):
            if call is None:
                return ScopeSpec(mechanism(), False, "any exception")
            exceptions = self._kwarg(call, "exceptions", 0)
            connect, text = self._exceptions_spec(exceptions.value if exceptions else None, scope)
            return ScopeSpec(mechanism(), connect, text, self._is_value(call, "tries", 1, 1))
        if name is not None and name in self.retry_decorators:
            return ScopeSpec(mechanism(), False, "any failure")
        if call is not None and self._kwarg(call, "autoretry_for") is not None:
            # A Celery task: `@app.task(autoretry_for=(...))`, `@shared_task(...)`.
            autoretry = self._kwarg(call, "autoretry_for")
            assert autoretry is not None
            connect, text = self._exceptions_spec(autoretry.value, scope)
            return ScopeSpec(mechanism(), connect, text, self._is_value(call, "max_retries", 0))
        # A name bound to a retry decorator, or the result of a same-file factory.
        assigned = self._assigned_once(node, scope)
        if assigned is not None:
            spec = self.spec_for(assigned[0], assigned[1], depth + 1)
            if spec is not None:
                spec.mechanism = mechanism()
            return spec
        if call is not None:
            function = self._local_function(call.func, scope)
            if function is not None:
                for returned in function[1].returns:
                    spec = self.spec_for(returned, function[1], depth + 1)
                    if spec is not None:
                        spec.mechanism = mechanism()
                        return spec
        handwritten = self.handwritten(callee, call, scope)
        if handwritten is not None:
            handwritten.mechanism = mechanism()
            return handwritten
        if self.resolver.project is not None:
            # A retry decorator, or a factory of one, of another module of the project.
            found = self.resolver.value(callee, scope)
            if isinstance(found, ForeignDecorator) and found.factory == (call is not None):
                return ScopeSpec(mechanism(), found.connect_only, found.retries_on)
        return None

    def handwritten(
        self, callee: cst.BaseExpression, call: cst.Call | None, scope: Scope
    ) -> ScopeSpec | None:
        """A retry decorator written in the module (see `analysis.RetryAnalysis`)."""
        return None

    def _tenacity(self, call: cst.Call | None, scope: Scope, mechanism: str) -> ScopeSpec:
        if call is None:
            return ScopeSpec(mechanism, False, "any exception")
        single = False
        stop = self._kwarg(call, "stop")
        if stop is not None:
            for node in walk(stop.value):
                if (
                    isinstance(node, cst.Call)
                    and (self.qualname(node.func, scope) or "").endswith("stop_after_attempt")
                    and node.args
                    and int_literal(node.args[0].value) == 1
                ):
                    single = True
        retry = self._kwarg(call, "retry")
        if retry is None:
            return ScopeSpec(mechanism, False, "any exception", single)
        connect, text = self._tenacity_condition(retry.value, scope)
        return ScopeSpec(mechanism, connect, text, single)

    def _tenacity_condition(self, node: cst.BaseExpression, scope: Scope) -> tuple[bool, str]:
        if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, (cst.BitOr, cst.BitAnd)
        ):
            left = self._tenacity_condition(node.left, scope)
            right = self._tenacity_condition(node.right, scope)
            if isinstance(node.operator, cst.BitOr):
                return left[0] and right[0], f"{left[1]} or {right[1]}"
            return left[0] or right[0], f"{left[1]} and {right[1]}"
        if isinstance(node, cst.Call):
            name = (self.qualname(node.func, scope) or "").rsplit(".", 1)[-1]
            if name == "retry_if_exception_type":
                argument = self._kwarg(node, "exception_types", 0)
                return self._exceptions_spec(argument.value if argument else None, scope)
            if name == "retry_if_result" and node.args:
                codes = self._predicate_codes(node.args[0].value, scope)
                if codes is not None:
                    return codes <= NOT_PROCESSED, codes_text(codes)
            parts = [self._tenacity_condition(a.value, scope) for a in node.args if not a.star]
            if name == "retry_any" and parts:
                return all(p[0] for p in parts), " or ".join(p[1] for p in parts)
            if name == "retry_all" and parts:
                return any(p[0] for p in parts), " and ".join(p[1] for p in parts)
        return False, self.module.code_for_node(node)

    def _predicate_codes(self, node: cst.BaseExpression, scope: Scope) -> set[int] | None:
        """The statuses `lambda r: r.status_code == 429` (or `in (429, 503)`) is true for."""
        if not isinstance(node, cst.Lambda) or not node.params.params:
            return None
        response = node.params.params[0].name.value
        body = node.body
        if not self._is_status(body, {response}, set()):
            return None
        return self._listed_codes(body, scope)

    def _retrying(self, call: cst.Call | None, scope: Scope, mechanism: str) -> ScopeSpec:
        if call is None:
            return ScopeSpec(mechanism, False, "any exception")
        single = self._is_value(call, "stop_max_attempt_number", 1)
        if self._kwarg(call, "retry_on_result") is not None:
            return ScopeSpec(mechanism, False, "a result", single)
        predicate = self._kwarg(call, "retry_on_exception")
        if predicate is None:
            return ScopeSpec(mechanism, False, "any exception", single)
        checked = self._isinstance_types(predicate.value, scope)
        if checked is None:
            return ScopeSpec(mechanism, False, self.module.code_for_node(predicate.value), single)
        connect, text = self._exceptions_spec(checked[0], checked[1])
        return ScopeSpec(mechanism, connect, text, single)

    def _isinstance_types(
        self, node: cst.BaseExpression, scope: Scope
    ) -> tuple[cst.BaseExpression, Scope] | None:
        """The types of `lambda e: isinstance(e, T)` or of a function returning only that."""
        candidates: list[tuple[cst.BaseExpression, Scope]] = []
        if isinstance(node, cst.Lambda):
            candidates.append((node.body, scope))
        else:
            function = self._local_function(node, scope)
            if function is not None:
                candidates.extend((r, function[1]) for r in function[1].returns)
        if len(candidates) != 1:
            return None
        body, where = candidates[0]
        if (
            isinstance(body, cst.Call)
            and isinstance(body.func, cst.Name)
            and body.func.value == "isinstance"
            and len(body.args) == 2
        ):
            return body.args[1].value, where
        return None

    def _celery_self_retry(self, function: cst.FunctionDef, scope: Scope) -> ScopeSpec | None:
        """A bound Celery task that calls `self.retry(...)`: it retries what the handlers
        around those calls catch."""
        mechanism = ""
        for decorator in function.decorators:
            expression = decorator.decorator
            if not isinstance(expression, cst.Call):
                continue
            callee = self.module.code_for_node(expression.func)
            bind = self._kwarg(expression, "bind")
            if (
                (callee.endswith(".task") or callee.endswith("shared_task"))
                and bind is not None
                and int_literal(bind.value) == 1
            ):
                if self._is_value(expression, "max_retries", 0):
                    return None
                mechanism = callee
        if not mechanism or not function.params.params:
            return None
        first = function.params.params[0].name.value
        retried: list[tuple[int, bool, str]] = []
        for site in self.visitor.calls:
            if site.scope is not scope:
                continue
            func = site.node.func
            if not (
                isinstance(func, cst.Attribute)
                and func.attr.value == "retry"
                and isinstance(func.value, cst.Name)
                and func.value.value == first
            ):
                continue
            handler = next(
                (
                    n
                    for n in (site.block.chain() if site.block else ())
                    if isinstance(n, cst.ExceptHandler)
                ),
                None,
            )
            if handler is not None:
                connect, text = (
                    self._exceptions_spec(handler.type, scope)
                    if handler.type is not None
                    else (False, "any exception")
                )
            else:
                # `if r.status_code == 429: raise self.retry()`: the statuses it retries.
                condition = next(
                    (
                        n
                        for n in (site.block.chain() if site.block else ())
                        if isinstance(n, cst.If)
                    ),
                    None,
                )
                codes = self._listed_codes(condition.test, scope) if condition else None
                connect = bool(codes) and codes is not None and codes <= NOT_PROCESSED
                text = codes_text(codes) if codes else "a failed response"
            retried.append((site.seq, connect, text))
        if not retried:
            return None
        return ScopeSpec(
            f"{mechanism} with self.retry",
            all(r[1] for r in retried),
            ", ".join(dict.fromkeys(r[2] for r in retried)),
            points=tuple(retried),
        )

    def decorators(self, function: cst.FunctionDef) -> list[tuple[ScopeSpec, cst.CSTNode]]:
        """The retry decorators of a function, innermost (nearest the `def`) first."""
        key = id(function)
        found = self._decorator_memo.get(key)
        if found is not None:
            return found
        found = []
        scope = self._scope_of_node.get(key)
        outer = scope.parent if scope is not None else self.visitor.module_scope
        assert outer is not None
        for decorator in reversed(function.decorators):
            spec = self.spec_for(decorator.decorator, outer)
            if spec is not None and not spec.single:
                spec.mechanism = "@" + spec.mechanism
                found.append((spec, decorator))
        if scope is not None:
            celery = self._celery_self_retry(function, scope)
            if celery is not None:
                celery.mechanism = "@" + celery.mechanism
                found.append((celery, function))
        self._decorator_memo[key] = found
        return found
