"""The retry analysis: the retry scopes around one send site, and retry loops (rules.md
ML2xx, item 1): a loop that re-runs the request after a failure and leaves on success."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from methodlint.analysis.retry.blocks import RetryBlocks
from methodlint.analysis.retry.model import (
    NOT_PROCESSED,
    TAKE_METHODS,
    TAKE_PREFIXES,
    Parents,
    RawScope,
    RetryCall,
    ScopeSpec,
    block_exits,
    body_of,
    codes_text,
    names_in,
    node_ancestors,
)
from methodlint.analysis.scopes import CallSite, Scope
from methodlint.analysis.walk import walk


class LoopScopes(RetryBlocks):
    """Scopes of send sites and retry loops, on top of blocks."""

    # -- scopes of one send site ----------------------------------------------------------

    def scopes(
        self,
        send: CallSite,
        request_nodes: Sequence[cst.CSTNode],
        method: cst.BaseExpression | None,
        http_nodes: set[int],
        retry_call: RetryCall | None = None,
    ) -> list[RawScope]:
        """The retry scopes around a send site, innermost first. `request_nodes` are the
        expressions that make the request what it is (URL and content); `method` the
        method expression when the method is not literal; `http_nodes` the ids of every
        HTTP call node of the module (their results are responses)."""
        found: list[RawScope] = []
        if retry_call is not None:
            found.append(self._block_scope(retry_call.spec, retry_call.call, retry_call.call))
        chain = list(send.block.chain()) if send.block is not None else []
        # Gating may happen anywhere in the function (`attempts = 5 if method in SAFE else 1`).
        function: cst.CSTNode = next(
            (n for n in chain if isinstance(n, (cst.FunctionDef, cst.Lambda))), self.module
        )
        child: cst.CSTNode = send.node
        for node in chain:
            if isinstance(node, cst.ClassDef):
                break
            if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                for spec, call in self._regions.get(id(node), ()):
                    found.append(self._block_scope(spec, call, node))
                if isinstance(node, cst.FunctionDef):
                    for spec, where in self.decorators(node):
                        if spec.points:
                            after = [p for p in spec.points if p[0] > send.seq]
                            if not after:
                                continue  # retried only before the request is sent
                            spec = ScopeSpec(
                                spec.mechanism,
                                all(p[1] for p in after),
                                ", ".join(dict.fromkeys(p[2] for p in after)),
                            )
                        found.append(
                            RawScope(
                                "decorator",
                                spec.mechanism,
                                where,
                                node,
                                spec.connect_only,
                                self._gated(node, method, send.node),
                                spec.retries_on,
                            )
                        )
                    break
                child = node
                continue
            if isinstance(node, cst.For):
                block = self._block_spec(node, send.scope)
                if block is not None:
                    found.append(
                        RawScope(
                            "block",
                            block.mechanism,
                            node.iter,
                            node,
                            block.connect_only,
                            self._gated(node, method, send.node),
                            block.retries_on,
                        )
                    )
                    child = node
                    continue
            if isinstance(node, (cst.For, cst.While)) and self._in_loop_body(node, child):
                loop = self._loop_scope(
                    node, send, chain, request_nodes, method, http_nodes, function
                )
                if loop is not None:
                    found.append(loop)
            child = node
        return found

    @staticmethod
    def _in_loop_body(loop: cst.For | cst.While, child: cst.CSTNode) -> bool:
        """The call is in the loop's body (not its `else`, test or iterable)."""
        return child is not loop.orelse and child is not getattr(loop, "iter", None)

    def _block_scope(self, spec: ScopeSpec, call: cst.CSTNode, region: cst.CSTNode) -> RawScope:
        return RawScope(
            "block", spec.mechanism, call, region, spec.connect_only, False, spec.retries_on
        )

    def _gated(
        self, region: cst.CSTNode, method: cst.BaseExpression | None, send: cst.CSTNode
    ) -> bool:
        """The region compares the method expression with methods (`if method in SAFE`),
        other than to choose the branch the request is sent in (`if method == "GET":
        send(params=...) else: send(json=...)` gates nothing)."""
        if method is None:
            return False
        text = self.module.code_for_node(method)
        wanted = {text, f"{text}.upper()", f"{text}.lower()"}
        choosing: set[int] = set()
        for node in walk(region):
            if (
                isinstance(node, cst.If)
                and any(n is send for n in walk(node))
                and not any(n is send for n in walk(node.test))
            ):
                if any(n is send for n in walk(node.body)) and self._names_idempotent(
                    node.test, wanted
                ):
                    return True  # `if method == "GET": send(...)`: only GET is sent here
                choosing.update(id(c) for c in walk(node.test))
        for node in walk(region):
            if isinstance(node, cst.Comparison) and id(node) not in choosing:
                sides = [node.left, *(t.comparator for t in node.comparisons)]
                if any(self.module.code_for_node(side) in wanted for side in sides):
                    return True
        return False

    def _names_idempotent(self, test: cst.BaseExpression, method_texts: set[str]) -> bool:
        """`method == "GET"` or `method in ("GET", "HEAD")`: true only for idempotent ones."""
        from methodlint.analysis.literals import literal_text
        from methodlint.methods import is_idempotent

        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return False
        comparison = test.comparisons[0]
        if self.module.code_for_node(test.left) not in method_texts:
            return False
        values: list[cst.BaseExpression] = []
        if isinstance(comparison.operator, cst.Equal):
            values = [comparison.comparator]
        elif isinstance(comparison.operator, cst.In) and isinstance(
            comparison.comparator, (cst.Tuple, cst.List, cst.Set)
        ):
            values = [e.value for e in comparison.comparator.elements]
        texts = [literal_text(v) for v in values]
        return bool(texts) and all(t is not None and is_idempotent(t) for t in texts)

    # -- retry loops ----------------------------------------------------------------------

    def _loop_scope(
        self,
        loop: cst.For | cst.While,
        send: CallSite,
        chain: list[cst.CSTNode],
        request_nodes: Sequence[cst.CSTNode],
        method: cst.BaseExpression | None,
        http_nodes: set[int],
        function: cst.CSTNode,
    ) -> RawScope | None:
        body = list(walk(loop.body))
        responses = self._responses(body, send.node)
        # First what makes it a retry loop at all (most loops are not): a handler or a
        # status check that lets it go on.
        parents = Parents(loop.body)
        scope = self._scope_of_loop(send.node)
        exceptions = self._continuing_handlers(loop, send.node, chain)
        status = self._status_retries(body, send.node, responses, parents, scope)
        if exceptions is None and status is None:
            return None
        variant = self._variant_names(loop, body, http_nodes)
        used: set[str] = set()
        for node in request_nodes:
            used |= names_in(node)
        if used & variant:
            return None  # iteration: each pass sends a different request
        derived = set(responses)
        for node in body:
            if isinstance(node, cst.Assign) and names_in(node.value) & derived:
                for target in node.targets:
                    derived |= names_in(target.target)
        if self._polls(loop, body, derived):
            return None
        if not self._success_leaves(loop, body, send.node, derived, parents):
            return None
        connect = True
        reasons: list[str] = []
        if exceptions is not None:
            connect = exceptions[0]
            reasons.append(exceptions[1])
        if status is not None:
            codes = status
            if not codes or not codes <= NOT_PROCESSED:
                connect = False
            reasons.append(codes_text(codes) if codes else "a failed response")
        return RawScope(
            "loop",
            "this loop",
            loop,
            loop,
            connect,
            self._gated(function, method, send.node),
            " or ".join(reasons),
        )

    def _responses(self, body: list[cst.CSTNode], call: cst.Call) -> set[str]:
        """Names the call's response is bound to in the loop."""
        found: set[str] = set()
        for node in body:
            value: cst.CSTNode | None = None
            targets: list[cst.CSTNode] = []
            if isinstance(node, cst.Assign):
                value, targets = node.value, [t.target for t in node.targets]
            elif (isinstance(node, cst.AnnAssign) and node.value is not None) or isinstance(
                node, cst.NamedExpr
            ):
                value, targets = node.value, [node.target]
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                value, targets = node.item, [node.asname.name]
            if value is None:
                continue
            if any(n is call for n in walk(value)):
                found.update(t.value for t in targets if isinstance(t, cst.Name))
        return found

    def _variant_names(
        self, loop: cst.For | cst.While, body: list[cst.CSTNode], http_nodes: set[int]
    ) -> set[str]:
        """Names whose value changes from one pass of the loop to the next: the target,
        names derived from it, from a response, from a queue or iterator, or from
        themselves (counters, cursors)."""
        variant: set[str] = set()
        if isinstance(loop, cst.For):
            variant |= names_in(loop.target)
        assigned: dict[str, list[cst.CSTNode | None]] = {}

        for node in body:
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    _bind(assigned, target.target, node.value)
            elif isinstance(node, cst.AnnAssign):
                _bind(assigned, node.target, node.value)
            elif isinstance(node, cst.AugAssign):
                _bind(assigned, node.target, None)
            elif isinstance(node, cst.NamedExpr):
                _bind(assigned, node.target, node.value)
            elif isinstance(node, (cst.For, cst.CompFor)):
                # A loop inside the retry loop starts over on each pass: its target changes
                # between passes only when what it iterates over does.
                _bind(assigned, node.target, node.iter)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                _bind(assigned, node.asname.name, node.item)
            elif isinstance(node, cst.Call):
                func = node.func
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Name)
                    and func.attr.value
                    in ("update", "append", "extend", "insert", "setdefault", "pop", "clear")
                ):
                    assigned.setdefault(func.value.value, []).append(None)
        changed = True
        while changed:
            changed = False
            for name, values in assigned.items():
                if name in variant:
                    continue
                if any(
                    value is None or self._varies(value, name, variant, http_nodes)
                    for value in values
                ):
                    variant.add(name)
                    changed = True
        return variant

    def _varies(
        self, value: cst.CSTNode, name: str, variant: set[str], http_nodes: set[int]
    ) -> bool:
        reads = names_in(value)
        if name in reads or reads & variant:
            return True
        for node in walk(value):
            if id(node) in http_nodes:
                return True
            if isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Name) and func.value in ("next", "anext", "input"):
                    return True
                if isinstance(func, cst.Attribute) and (
                    func.attr.value in TAKE_METHODS or func.attr.value.startswith(TAKE_PREFIXES)
                ):
                    # `os.environ.get("URL")`, `config.get("url")`: a lookup, not a queue.
                    keyed = bool(node.args) and isinstance(
                        node.args[0].value, (cst.SimpleString, cst.ConcatenatedString)
                    )
                    if not (func.attr.value == "get" and keyed):
                        return True
        return False

    def _polls(self, loop: cst.For | cst.While, body: list[cst.CSTNode], derived: set[str]) -> bool:
        """The loop goes on because of the content of a response: a string compared with
        something read from it (`status == "pending"`, `"authorization_pending"`) in the
        loop's condition, or in an `if` whose branch lets the loop go on."""
        if not derived:
            return False
        tests: list[cst.BaseExpression] = []
        if isinstance(loop, cst.While):
            tests.append(loop.test)
        tests.extend(n.test for n in body if isinstance(n, cst.If) and not block_exits(n.body.body))
        comparisons = [c for t in tests for c in walk(t) if isinstance(c, cst.Comparison)]
        for node in comparisons:
            sides = [node.left, *(t.comparator for t in node.comparisons)]
            has_text = any(
                isinstance(s, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))
                or (
                    isinstance(s, (cst.Tuple, cst.List, cst.Set))
                    and any(isinstance(e.value, cst.SimpleString) for e in s.elements)
                )
                for s in sides
            )
            if has_text and any(names_in(s) & derived for s in sides):
                return True
        return False

    def _continuing_handlers(
        self, loop: cst.CSTNode, call: cst.Call, chain: list[cst.CSTNode]
    ) -> tuple[bool, str] | None:
        """The exceptions retried by `try` statements around the call whose handlers let
        the loop go on: (connect_only, description), or None when there are none."""
        below: cst.CSTNode = call
        names: list[str | None] = []
        texts: list[str] = []
        scope = self._scope_of_loop(call)
        for node in chain:
            if node is loop:
                break
            if isinstance(node, (cst.Try, cst.TryStar)) and below is not node.orelse:
                if below is node.finalbody or isinstance(
                    below, (cst.ExceptHandler, cst.ExceptStarHandler)
                ):
                    below = node
                    continue
                for handler in node.handlers:
                    if block_exits(body_of(handler.body)):
                        continue
                    if handler.type is None:
                        names.append(None)
                        texts.append("any exception")
                    else:
                        found = self._exception_names(handler.type, scope)
                        names.extend(found)
                        texts.append(", ".join(n or "?" for n in found))
            below = node
        if not texts:
            return None
        connect = all(self.is_connect_error(n) for n in names)
        return connect, ", ".join(texts)

    def _scope_of_loop(self, call: cst.Call) -> Scope:
        site = self._sites.get(id(call))
        return site.scope if site is not None else self.visitor.module_scope

    def _success_leaves(
        self,
        loop: cst.For | cst.While,
        body: list[cst.CSTNode],
        call: cst.Call,
        derived: set[str],
        parents: Mapping[int, cst.CSTNode],
    ) -> bool:
        """On the success path after the call, a `break` of this loop or a `return`; or a
        `while` condition that the loop's own assignments (or the response) can make false.
        An exit in an exception handler, or under a condition that does not read the
        response (`if stop.wait(30): return`), is not the success path."""
        seen = False
        for node in body:
            if node is call:
                seen = True
            leaves = (
                isinstance(node, cst.Return) and (seen or any(n is call for n in walk(node)))
            ) or (seen and isinstance(node, cst.Break) and self._breaks(node, loop, parents))
            if leaves and self._on_success_path(node, loop, parents, derived):
                return True
        if isinstance(loop, cst.While):
            tested = names_in(loop.test)
            if tested & derived:
                return True
            for node in body:
                if isinstance(node, (cst.Assign, cst.AugAssign)):
                    targets = (
                        [t.target for t in node.targets]
                        if isinstance(node, cst.Assign)
                        else [node.target]
                    )
                    if any(names_in(t) & tested for t in targets) and not any(
                        isinstance(a, (cst.ExceptHandler, cst.ExceptStarHandler))
                        for a in node_ancestors(node, loop, parents)
                    ):
                        return True
        return False

    @staticmethod
    def _breaks(node: cst.Break, loop: cst.CSTNode, parents: Mapping[int, cst.CSTNode]) -> bool:
        """The `break` leaves `loop` (not a loop nested in it)."""
        for ancestor in node_ancestors(node, loop, parents):
            if isinstance(ancestor, (cst.For, cst.While)):
                return False
        return True

    def _on_success_path(
        self,
        node: cst.CSTNode,
        loop: cst.CSTNode,
        parents: Mapping[int, cst.CSTNode],
        derived: set[str],
    ) -> bool:
        for ancestor in node_ancestors(node, loop, parents):
            if isinstance(ancestor, (cst.ExceptHandler, cst.ExceptStarHandler)):
                return False
            if isinstance(ancestor, cst.If) and not names_in(ancestor.test) & derived:
                return False
        return True


def _bind(
    assigned: dict[str, list[cst.CSTNode | None]], target: cst.CSTNode, value: cst.CSTNode | None
) -> None:
    """Record what an assignment in a loop binds: a name its value, the names of a tuple
    or list target and the root of a subscript target with no value of their own."""
    if isinstance(target, cst.Name):
        assigned.setdefault(target.value, []).append(value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind(assigned, element.value, None)
    elif isinstance(target, cst.StarredElement):
        _bind(assigned, target.value, None)
    elif isinstance(target, cst.Subscript):
        root: cst.BaseExpression = target.value
        while isinstance(root, (cst.Subscript, cst.Attribute)):
            root = root.value
        if isinstance(root, cst.Name):
            assigned.setdefault(root.value, []).append(None)
