"""The retry analysis: status checks of responses (rules.md, "A status check counts whatever
its form"), and which statuses lead to another attempt."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

import libcst as cst

from methodlint.analysis.retry.model import (
    ERROR_ATTRIBUTES,
    OK_ATTRIBUTES,
    STATUS_ATTRIBUTES,
    block_exits,
    body_of,
    int_literal,
    names_in,
)
from methodlint.analysis.retry.names import RetryNames
from methodlint.analysis.scopes import Scope
from methodlint.analysis.walk import walk

# `500 <= status` is `status >= 500`.
_MIRRORED: dict[type[cst.BaseCompOp], cst.BaseCompOp] = {
    cst.LessThanEqual: cst.GreaterThanEqual(),
    cst.LessThan: cst.GreaterThan(),
    cst.GreaterThan: cst.LessThan(),
    cst.GreaterThanEqual: cst.LessThanEqual(),
}


class StatusChecks(RetryNames):
    """Status checks, on top of names."""

    def _status_retries(
        self,
        body: list[cst.CSTNode],
        call: cst.Call,
        responses: set[str],
        parents: Mapping[int, cst.CSTNode],
        scope: Scope,
    ) -> frozenset[int] | None:
        """Statuses after which the loop goes on: a set of codes, an empty set for any
        failed response, None when the loop does not check the response."""
        if not responses:
            return None
        statuses: set[str] = set()
        for node in body:
            if isinstance(node, cst.Assign) and self._is_status(node.value, responses, set()):
                for target in node.targets:
                    statuses |= names_in(target.target)
        codes: set[int] = set()
        any_failure = False
        found = False
        for node in body:
            if (
                isinstance(node, (cst.Try, cst.TryStar))
                and self._checks_in_try(node, responses)
                and not any(n is call for n in walk(node.body))
            ):
                found, any_failure = True, True  # `try: r.raise_for_status() except: pass`
                continue
            if not isinstance(node, cst.If) or not self._is_status(node.test, responses, statuses):
                continue
            exits = block_exits(node.body.body)
            success = self._success_test(node.test)
            if exits and success:
                found = True
                # `if r.ok: return r`: the failures fall through; they go round unless
                # what follows leaves the loop (`r.raise_for_status()`, `raise`).
                if not self._falls_out(node, parents, responses):
                    any_failure = True
            elif not exits and not success:
                nested = self._nested_codes(node, responses, statuses, scope)
                if nested is not None and not nested:
                    continue  # every failure under it leaves the loop
                found = True
                listed = nested if nested is not None else self._listed_codes(node.test, scope)
                if listed is None:
                    any_failure = True
                else:
                    codes |= listed
        if not found:
            return None
        return frozenset() if any_failure else frozenset(codes)

    def _nested_codes(
        self, node: cst.If, responses: set[str], statuses: set[str], scope: Scope
    ) -> set[int] | None:
        """`if not r.ok: if r.status_code == 429: continue; raise`: a failure branch that
        leaves the loop but for the status checks nested in it retries only what those go
        on for. None when the branch itself goes on (or holds no such check)."""
        statements = list(node.body.body)
        inner = [
            s
            for s in statements
            if isinstance(s, cst.If) and self._is_status(s.test, responses, statuses)
        ]
        rest = [s for s in statements if s not in inner]
        raises = any(
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Call)
            and isinstance(small.value.func, cst.Attribute)
            and small.value.func.attr.value == "raise_for_status"
            and names_in(small.value.func.value) & responses
            for statement in rest
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )
        if not inner or not (raises or block_exits(rest, continues=False)):
            return None
        codes: set[int] = set()
        for check in inner:
            if block_exits(check.body.body) or self._success_test(check.test):
                continue
            listed = self._listed_codes(check.test, scope)
            if listed is None:
                return None
            codes |= listed
        return codes

    def _checks_in_try(self, node: cst.Try | cst.TryStar, responses: set[str]) -> bool:
        """A `try` whose body raises for a failed response and whose handler goes on."""
        raises = any(
            isinstance(n, cst.Call)
            and isinstance(n.func, cst.Attribute)
            and n.func.attr.value == "raise_for_status"
            and names_in(n.func.value) & responses
            for n in walk(node.body)
        )
        return raises and any(not block_exits(body_of(h.body)) for h in node.handlers)

    @staticmethod
    def _falls_out(node: cst.If, parents: Mapping[int, cst.CSTNode], responses: set[str]) -> bool:
        """The statements after `node` in its block leave the loop for a failed response:
        an unconditional `raise`/`return`/`break`, or `r.raise_for_status()`."""
        block = parents.get(id(node))
        if not isinstance(block, cst.IndentedBlock):
            return False
        following = list(block.body)
        following = following[following.index(node) + 1 :]
        if block_exits(following, continues=False):
            return True
        for statement in following:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
                if (
                    isinstance(value, cst.Call)
                    and isinstance(value.func, cst.Attribute)
                    and value.func.attr.value == "raise_for_status"
                    and names_in(value.func.value) & responses
                ):
                    return True
        return False

    @staticmethod
    def _is_status(node: cst.CSTNode, responses: set[str], statuses: set[str]) -> bool:
        """The expression reads a response's status (`r.status_code`, `r.ok`, a name bound
        to `r.status`)."""
        for inner in walk(node):
            if (
                isinstance(inner, cst.Attribute)
                and isinstance(inner.value, cst.Name)
                and inner.value.value in responses
                and inner.attr.value in STATUS_ATTRIBUTES | OK_ATTRIBUTES | ERROR_ATTRIBUTES
            ):
                return True
            if isinstance(inner, cst.Name) and inner.value in statuses:
                return True
        return False

    def _success_test(self, test: cst.BaseExpression) -> bool:
        """`r.ok`, `r.is_success`, `not r.is_error`, `status == 200`, `status < 400`,
        `200 <= status < 300`, `status in (200, 201)`."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = test.expression
            return isinstance(inner, cst.Attribute) and inner.attr.value in ERROR_ATTRIBUTES
        if isinstance(test, cst.Attribute):
            return test.attr.value in OK_ATTRIBUTES
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            return self._success_test(test.left) or self._success_test(test.right)
        if isinstance(test, cst.Comparison):
            left_number = int_literal(test.left)
            if left_number is not None and 200 <= left_number < 300:
                return True
            for comparison in test.comparisons:
                operator = comparison.operator
                number = int_literal(comparison.comparator)
                if isinstance(operator, (cst.Equal, cst.In)) and (
                    (number is not None and 200 <= number < 300)
                    or self._all_success(comparison.comparator)
                ):
                    return True
                if (
                    isinstance(operator, (cst.LessThan, cst.LessThanEqual))
                    and number is not None
                    and number <= 400
                ):
                    return True
        return False

    @staticmethod
    def _all_success(node: cst.BaseExpression) -> bool:
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)) and node.elements:
            numbers = [int_literal(e.value) for e in node.elements]
            return all(n is not None and 200 <= n < 300 for n in numbers)
        return False

    def _listed_codes(self, test: cst.BaseExpression, scope: Scope) -> set[int] | None:
        codes = self.status_codes(test, scope)
        return set(codes) if codes is not None else None

    def status_codes(self, test: cst.BaseExpression, scope: Scope) -> frozenset[int] | None:
        """The statuses a check selects: `status == 429`, `status in (429, 503)`, `status in
        RETRY_STATUSES`, `status in range(500, 600)`, `status >= 500`, `500 <= status < 600`,
        `status == HTTPStatus.TOO_MANY_REQUESTS`, `a or b`, and `a and b` where one side is
        a status check (`status == 429 and attempt < 5`); None for anything else."""
        if isinstance(test, cst.BooleanOperation):
            left = self.status_codes(test.left, scope)
            right = self.status_codes(test.right, scope)
            if isinstance(test.operator, cst.Or):
                return None if left is None or right is None else left | right
            if left is None or right is None:
                return left if right is None else right
            return left & right
        if not isinstance(test, cst.Comparison):
            return None
        if len(test.comparisons) == 1:
            comparison = test.comparisons[0]
            if isinstance(comparison.operator, cst.Equal):
                number = self._status_code(comparison.comparator, scope)
                return frozenset({number}) if number is not None and number >= 100 else None
            if isinstance(comparison.operator, cst.In):
                return self._codes(comparison.comparator, scope) or None
        return self._range(test, scope)

    def _range(self, test: cst.Comparison, scope: Scope) -> frozenset[int] | None:
        """`status >= 500`, `500 <= status < 600`, `status > 499`: the statuses in range."""
        low, high = 100, 600
        left = test.left
        bounded = False
        for comparison in test.comparisons:
            right = comparison.comparator
            operator = comparison.operator
            left_number = self._status_code(left, scope)
            right_number = self._status_code(right, scope)
            if (left_number is None) == (right_number is None):
                if left_number is not None:
                    return None
                left = right
                continue
            bounded = True
            number = right_number
            if number is None:  # number OP status: as status OP' number
                number = left_number
                operator = _MIRRORED.get(type(operator), operator)
            assert number is not None
            if not 100 <= number <= 600:
                return None  # not a status (`attempts > 0`)
            if isinstance(operator, cst.GreaterThanEqual):
                low = max(low, number)
            elif isinstance(operator, cst.GreaterThan):
                low = max(low, number + 1)
            elif isinstance(operator, cst.LessThan):
                high = min(high, number)
            elif isinstance(operator, cst.LessThanEqual):
                high = min(high, number + 1)
            else:
                return None
            left = right
        if not bounded or low >= high:
            return None  # not a status (`attempt < 3`), or nothing in range
        return frozenset(range(low, high))

    def _status_code(self, node: cst.BaseExpression, scope: Scope) -> int | None:
        """An integer literal, a name bound once to one, or a named status
        (`HTTPStatus.TOO_MANY_REQUESTS`, `httpx.codes.SERVICE_UNAVAILABLE`,
        `requests.codes.too_many_requests`)."""
        number = int_literal(node)
        if number is not None:
            return number
        if isinstance(node, cst.Attribute):
            name = node.attr.value.upper()
            if name in HTTPStatus.__members__:
                return int(HTTPStatus[name])
            return None
        assigned = self._assigned_once(node, scope)
        if assigned is not None:
            return int_literal(assigned[0])
        return None

    def _codes(self, node: cst.BaseExpression, scope: Scope) -> frozenset[int] | None:
        if isinstance(node, cst.Name):
            assigned = self._assigned_once(node, scope)
            if assigned is not None:
                node, scope = assigned
        if (
            isinstance(node, cst.Call)
            and node.args
            and self.module.code_for_node(node.func)
            in (
                "frozenset",
                "set",
                "list",
                "tuple",
            )
        ):
            node = node.args[0].value
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)) and node.elements:
            numbers = [self._status_code(e.value, scope) for e in node.elements]
            if all(n is not None for n in numbers):
                return frozenset(n for n in numbers if n is not None)
        if (
            isinstance(node, cst.Call)
            and self.module.code_for_node(node.func) == "range"
            and 1 <= len(node.args) <= 2
        ):
            bounds = [self._status_code(a.value, scope) for a in node.args]
            if all(b is not None for b in bounds):
                start, stop = (0, bounds[0]) if len(bounds) == 1 else bounds
                assert start is not None and stop is not None
                return frozenset(range(max(start, 100), min(stop, 600))) or None
        return None
