"""Retry by recursion: a function that calls itself again after a failure of its request.

`def send(...)` that posts, and on an exception (an `except` handler that calls `send` again)
or on an error status of the response it received (`if r.status_code >= 500: return
send(...)`) calls itself, re-sends the request it made before that call: a retry scope of kind
"recursion" (rules.md ML2xx, item 4). What it retries on is read as for loops: the handler's
exceptions, or the statuses of the check the recursive call sits under.
"""

from __future__ import annotations

import libcst as cst

from methodlint.analysis.requests import RawRequest
from methodlint.analysis.retry import NOT_PROCESSED, RawScope, RetryAnalysis, codes_text
from methodlint.analysis.scopes import CallSite
from methodlint.analysis.values import LocalFunction
from methodlint.analysis.walk import walk
from methodlint.analysis.wrappers import Wrappers, direct_function


class Recursion:
    """The recursive retries of a module's functions."""

    def __init__(self, analysis: RetryAnalysis, wrappers: Wrappers) -> None:
        self.analysis = analysis
        self.wrappers = wrappers
        self.resolver = analysis.resolver
        self._calls: dict[int, list[CallSite]] = {}

    def _recursive_calls(self, function: cst.FunctionDef) -> list[CallSite]:
        """The calls of `function` made in its own body."""
        key = id(function)
        found = self._calls.get(key)
        if found is None:
            found = []
            for site in self.wrappers.sites_in(function):
                value = self.resolver.value(site.node.func, site.scope)
                if isinstance(value, LocalFunction) and value.key == key:
                    found.append(site)
            self._calls[key] = found
        return found

    def scopes(self, raw: RawRequest, method: cst.BaseExpression | None) -> list[RawScope]:
        send = raw.send or raw.site
        function = direct_function(send.scope)
        if function is None or not isinstance(function.node, cst.FunctionDef):
            return []
        node = function.node
        found: list[RawScope] = []
        for again in self._recursive_calls(node):
            if again.seq <= send.seq or again.node is send.node:
                continue
            reason = self._after_failure(again, send, node)
            if reason is None:
                continue
            connect, retries_on = reason
            line = self.analysis.module.code_for_node(again.node.func)
            found.append(
                RawScope(
                    "recursion",
                    f"the recursive call {line}()",
                    again.node,
                    node,
                    connect,
                    self.analysis._gated(node, method, send.node),
                    retries_on,
                )
            )
            break
        return found

    def _after_failure(
        self, again: CallSite, send: CallSite, function: cst.FunctionDef
    ) -> tuple[bool, str] | None:
        """Whether the recursive call runs after a failure of the request: (whether what it
        retries on says the request was never processed, what that is); None otherwise."""
        block = again.block
        while block is not None and block.node is not function:
            node = block.node
            if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
                parent = block.parent
                tried = parent.node if parent is not None else None
                if isinstance(tried, (cst.Try, cst.TryStar)) and any(
                    n is send.node for n in walk(tried.body)
                ):
                    return self._handler(node, again)
            if isinstance(node, cst.If) and any(n is again.node for n in walk(node.body)):
                status = self._status(node, True, send, function)
                if status is not None:
                    return status
            elif (
                isinstance(node, cst.If)
                and node.orelse is not None
                and any(n is again.node for n in walk(node.orelse))
            ):
                status = self._status(node, False, send, function)
                if status is not None:
                    return status
            block = block.parent
        return None

    def _handler(
        self, handler: cst.ExceptHandler | cst.ExceptStarHandler, again: CallSite
    ) -> tuple[bool, str]:
        if handler.type is None:
            return False, "any exception"
        names = self.analysis._exception_names(handler.type, again.scope)
        connect = all(self.analysis.is_connect_error(n) for n in names)
        return connect, ", ".join(n or "?" for n in names)

    def _status(
        self, node: cst.If, in_body: bool, send: CallSite, function: cst.FunctionDef
    ) -> tuple[bool, str] | None:
        """The recursive call is on the failure side of a check of the response's status."""
        analysis = self.analysis
        body = list(walk(function.body))
        responses = analysis._responses(body, send.node)
        if not responses or not analysis._is_status(node.test, responses, set()):
            return None
        success = analysis._success_test(node.test)
        if success == in_body:
            return None  # the recursive call is on the success side
        codes = None if success else analysis.status_codes(node.test, send.scope)
        if not codes:
            return False, "a failed response"
        return codes <= NOT_PROCESSED, codes_text(codes)
