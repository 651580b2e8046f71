"""Retries: which code sends a request again after a failure, and what it retries on.

Works on what `scopes.ScopeVisitor` recorded and on the `calls.Resolver`, after the HTTP
calls are known. Three kinds of retry scope enclose a send site (see rules.md, ML2xx):
retry loops, retry decorators and retry blocks; and one kind of fact stands alone: transport
retry policies (urllib3 `Retry`, aiohttp_retry options). Nothing here guesses: a loop is a
retry loop only when it re-runs the request after a failure and leaves on success, and an
argument methodlint cannot read makes a policy unknown.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus

import libcst as cst

from methodlint.scopes import CallSite, Scope
from methodlint.walk import children, walk

# Exceptions raised only before the request reaches the server, by library and class name.
CONNECT_ERRORS: dict[str, frozenset[str]] = {
    "requests": frozenset({"ConnectTimeout"}),
    "httpx": frozenset({"ConnectError", "ConnectTimeout"}),
    "aiohttp": frozenset(
        {
            "ClientConnectorError",
            "ClientConnectorCertificateError",
            "ClientConnectorSSLError",
            "ClientConnectorDNSError",
            "ClientProxyConnectionError",
            "UnixClientConnectorError",
        }
    ),
    "urllib3": frozenset({"NewConnectionError", "ConnectTimeoutError", "NameResolutionError"}),
}
# Statuses that say the server did not process the request.
NOT_PROCESSED = frozenset({413, 429, 503})

URLLIB3_RETRY = frozenset(
    {
        "urllib3.Retry",
        "urllib3.util.Retry",
        "urllib3.util.retry.Retry",
        "requests.adapters.Retry",
        "requests.packages.urllib3.util.retry.Retry",
        "requests.packages.urllib3.util.Retry",
        "requests.packages.urllib3.Retry",
    }
)
URLLIB3_DEFAULT_ALLOWED = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"})
AIOHTTP_RETRY_OPTIONS = frozenset(
    {
        "RetryOptions",
        "ExponentialRetry",
        "RandomRetry",
        "ListRetry",
        "FibonacciRetry",
        "JitterRetry",
    }
)
# Calls whose value changes every time they run: a key made with one is new on each attempt.
_FRESH_MODULES = ("uuid.uuid1", "uuid.uuid4", "secrets.", "random.", "os.urandom")
_FRESH_FUNCTIONS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.now",
        "datetime.utcnow",
    }
)
# Calls that take the next item of a queue or iterator: a request using one is iteration.
# Methods that take the next item of a queue, consumer or iterator (by name or prefix).
_TAKE_METHODS = frozenset({"get", "get_nowait", "popitem", "popleft", "rpoplpush"})
_TAKE_PREFIXES = (
    "pop",
    "poll",
    "lpop",
    "rpop",
    "blpop",
    "brpop",
    "recv",
    "receive",
    "read_message",
    "get_message",
    "consume",
    "dequeue",
    "next",
)
_STATUS_ATTRIBUTES = frozenset({"status_code", "status", "code", "status_int"})
_OK_ATTRIBUTES = frozenset({"ok", "is_success"})
_ERROR_ATTRIBUTES = frozenset({"is_error", "is_server_error", "is_client_error"})
# Arguments of a request that make it a different request when they change (headers and
# settings do not).
_CONTENT_KEYWORDS = frozenset(
    {"url", "json", "data", "files", "content", "body", "params", "fields", "query"}
)
_SCOPE_STOPS = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass
class ScopeSpec:
    """What a retry decorator or block retries on, from its arguments."""

    mechanism: str
    connect_only: bool
    retries_on: str
    single: bool = False
    # Celery `self.retry(...)` calls: (the walk's clock at the call, whether it retries only
    # what was never processed, what it retries on). Only those after a request retry it.
    points: tuple[tuple[int, bool, str], ...] = ()


@dataclass
class RawScope:
    kind: str
    mechanism: str
    node: cst.CSTNode  # where it is stated
    region: cst.CSTNode  # what it re-runs
    connect_only: bool
    method_gated: bool
    retries_on: str


@dataclass
class RawPolicy:
    library: str
    name: str
    node: cst.Call
    status_methods: frozenset[str] | None
    method_paths: tuple[str, ...] = ()
    any_method_paths: tuple[str, ...] = ()
    known: bool = True


@dataclass
class PolicyToken:
    """A method literal in a retry policy, for ML401/ML402."""

    value: str
    node: cst.BaseString
    library: str
    client: str
    verbatim: bool
    role: str
    constant: bool


@dataclass
class RetryCall:
    """`Retrying(...)(fn, *args)` and its relatives: `fn` is run under `spec`."""

    spec: ScopeSpec
    call: cst.Call
    site: CallSite
    function: cst.BaseExpression
    args: Sequence[cst.Arg]


def names_in(node: cst.CSTNode) -> set[str]:
    """The names an expression reads (not attribute names or keywords)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        elif isinstance(current, (cst.Attribute, cst.Arg)):
            stack.append(current.value)
        elif isinstance(current, _SCOPE_STOPS):
            continue
        else:
            stack.extend(children(current))
    return found


def _int_literal(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.Name) and node.value in ("False", "True"):
        return int(node.value == "True")
    return None


def _exits(body: Sequence[cst.CSTNode], loop_exits: bool = True, continues: bool = True) -> bool:
    """True when a block's own statements unconditionally raise, return or break (and,
    with `continues`, no `continue` before that lets the loop go on)."""
    for statement in body:
        if (
            continues
            and not isinstance(statement, cst.SimpleStatementLine)
            and any(
                isinstance(n, cst.Continue)
                for n in walk(statement, (*_SCOPE_STOPS, cst.For, cst.While))
            )
        ):
            return False
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Raise, cst.Return)):
                    return True
                if loop_exits and isinstance(small, cst.Break):
                    return True
        elif (
            isinstance(statement, cst.If)
            and statement.orelse is not None
            and _exits(statement.body.body, loop_exits)
            and _exits(_else_body(statement.orelse), loop_exits)
        ):
            return True
    return False


def _parents(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    """Each node's parent under `root` (not entering nested functions and classes)."""
    parents: dict[int, cst.CSTNode] = {}
    for node in walk(root):
        if node is not root and isinstance(node, _SCOPE_STOPS):
            continue
        for child in children(node):
            parents[id(child)] = node
    return parents


def _ancestors(
    node: cst.CSTNode, stop: cst.CSTNode, parents: dict[int, cst.CSTNode]
) -> Iterator[cst.CSTNode]:
    """The nodes between `node` and `stop`, innermost first (neither included)."""
    current = parents.get(id(node))
    while current is not None and current is not stop:
        yield current
        current = parents.get(id(current))


def _else_body(orelse: cst.If | cst.Else) -> Sequence[cst.CSTNode]:
    if isinstance(orelse, cst.If):
        return [orelse]
    return orelse.body.body


def _body(node: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return node.body if isinstance(node, cst.IndentedBlock) else [node]


class RetryAnalysis:
    """Retry scopes, fresh header values, method arguments and retry policies of a module."""

    def __init__(self, resolver: object, retry_decorators: Sequence[str] = ()) -> None:
        from methodlint.calls import Resolver

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
        self._find_retry_calls()

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
        return arg is not None and _int_literal(arg.value) == value

    def spec_for(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> ScopeSpec | None:
        """What a decorator expression (or a block's retrying object) retries on, when it is
        a retry decorator; None when it is not one."""
        if depth > 6:
            return None
        callee = node.func if isinstance(node, cst.Call) else node
        call = node if isinstance(node, cst.Call) else None
        name = self.qualname(callee, scope)
        mechanism = self.module.code_for_node(callee)
        if name in ("tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying"):
            return self._tenacity(call, scope, mechanism)
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
                            mechanism, codes <= NOT_PROCESSED, codes_text(codes), single
                        )
                    return ScopeSpec(
                        mechanism, False, self.module.code_for_node(predicate.value), single
                    )
                return ScopeSpec(mechanism, False, "a falsy result", single)
            exceptions = self._kwarg(call, "exception", 1)
            connect, text = self._exceptions_spec(exceptions.value if exceptions else None, scope)
            return ScopeSpec(mechanism, connect, text, single)
        if name in ("stamina.retry", "stamina.retry_context"):
            if call is None:
                return None
            on = self._kwarg(call, "on")
            connect, text = self._exceptions_spec(on.value if on else None, scope)
            return ScopeSpec(mechanism, connect, text, self._is_value(call, "attempts", 1))
        if name == "retrying.retry":
            return self._retrying(call, scope, mechanism)
        if name in ("retry.retry", "retry.api.retry"):
            if call is None:
                return ScopeSpec(mechanism, False, "any exception")
            exceptions = self._kwarg(call, "exceptions", 0)
            connect, text = self._exceptions_spec(exceptions.value if exceptions else None, scope)
            return ScopeSpec(mechanism, connect, text, self._is_value(call, "tries", 1, 1))
        if name is not None and name in self.retry_decorators:
            return ScopeSpec(mechanism, False, "any failure")
        if call is not None and self._kwarg(call, "autoretry_for") is not None:
            # A Celery task: `@app.task(autoretry_for=(...))`, `@shared_task(...)`.
            autoretry = self._kwarg(call, "autoretry_for")
            assert autoretry is not None
            connect, text = self._exceptions_spec(autoretry.value, scope)
            return ScopeSpec(mechanism, connect, text, self._is_value(call, "max_retries", 0))
        # A name bound to a retry decorator, or the result of a same-file factory.
        assigned = self._assigned_once(node, scope)
        if assigned is not None:
            spec = self.spec_for(assigned[0], assigned[1], depth + 1)
            if spec is not None:
                spec.mechanism = mechanism
            return spec
        if call is not None:
            function = self._local_function(call.func, scope)
            if function is not None:
                for returned in function[1].returns:
                    spec = self.spec_for(returned, function[1], depth + 1)
                    if spec is not None:
                        spec.mechanism = mechanism
                        return spec
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
                    and _int_literal(node.args[0].value) == 1
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
                and _int_literal(bind.value) == 1
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

    def _find_retry_calls(self) -> None:
        from methodlint.retry_helpers import RetryHelpers

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
            if caller is not None and caller[0] in _STAMINA_CALLERS and args:
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
        if name in _STAMINA_CALLERS and len(args) >= 2:
            connect, text = self._exceptions_spec(args[0].value, site.scope)
            spec = ScopeSpec(
                self.module.code_for_node(func),
                connect,
                text,
                self._is_value(constructor, "attempts", 1),
            )
            return spec, args[1].value, call.args[2:]
        return None

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
        from methodlint.calls import _literal_text
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
        texts = [_literal_text(v) for v in values]
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
        parents = _parents(loop.body)
        scope = self._scope_of_loop(send.node)
        exceptions = self._continuing_handlers(loop, send.node, chain)
        status = self._status_retries(body, send.node, responses, parents, scope)
        if exceptions is None and status is None:
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

        def bind(target: cst.CSTNode, value: cst.CSTNode | None) -> None:
            if isinstance(target, cst.Name):
                assigned.setdefault(target.value, []).append(value)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    bind(element.value, None)
            elif isinstance(target, cst.StarredElement):
                bind(target.value, None)
            elif isinstance(target, cst.Subscript):
                root: cst.BaseExpression = target.value
                while isinstance(root, (cst.Subscript, cst.Attribute)):
                    root = root.value
                if isinstance(root, cst.Name):
                    assigned.setdefault(root.value, []).append(None)

        for node in body:
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    bind(target.target, node.value)
            elif isinstance(node, cst.AnnAssign):
                bind(node.target, node.value)
            elif isinstance(node, cst.AugAssign):
                bind(node.target, None)
            elif isinstance(node, cst.NamedExpr):
                bind(node.target, node.value)
            elif isinstance(node, (cst.For, cst.CompFor)):
                # A loop inside the retry loop starts over on each pass: its target changes
                # between passes only when what it iterates over does.
                bind(node.target, node.iter)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                bind(node.asname.name, node.item)
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
                    func.attr.value in _TAKE_METHODS or func.attr.value.startswith(_TAKE_PREFIXES)
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
        tests.extend(n.test for n in body if isinstance(n, cst.If) and not _exits(n.body.body))
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
                    if _exits(_body(handler.body)):
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

    def _status_retries(
        self,
        body: list[cst.CSTNode],
        call: cst.Call,
        responses: set[str],
        parents: dict[int, cst.CSTNode],
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
            exits = _exits(node.body.body)
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
        if not inner or not (raises or _exits(rest, continues=False)):
            return None
        codes: set[int] = set()
        for check in inner:
            if _exits(check.body.body) or self._success_test(check.test):
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
        return raises and any(not _exits(_body(h.body)) for h in node.handlers)

    @staticmethod
    def _falls_out(node: cst.If, parents: dict[int, cst.CSTNode], responses: set[str]) -> bool:
        """The statements after `node` in its block leave the loop for a failed response:
        an unconditional `raise`/`return`/`break`, or `r.raise_for_status()`."""
        block = parents.get(id(node))
        if not isinstance(block, cst.IndentedBlock):
            return False
        following = list(block.body)
        following = following[following.index(node) + 1 :]
        if _exits(following, continues=False):
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
                and inner.attr.value in _STATUS_ATTRIBUTES | _OK_ATTRIBUTES | _ERROR_ATTRIBUTES
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
            return isinstance(inner, cst.Attribute) and inner.attr.value in _ERROR_ATTRIBUTES
        if isinstance(test, cst.Attribute):
            return test.attr.value in _OK_ATTRIBUTES
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            return self._success_test(test.left) or self._success_test(test.right)
        if isinstance(test, cst.Comparison):
            left_number = _int_literal(test.left)
            if left_number is not None and 200 <= left_number < 300:
                return True
            for comparison in test.comparisons:
                operator = comparison.operator
                number = _int_literal(comparison.comparator)
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
            numbers = [_int_literal(e.value) for e in node.elements]
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
            if right_number is not None:  # status OP number
                if isinstance(operator, cst.GreaterThanEqual):
                    low = max(low, right_number)
                elif isinstance(operator, cst.GreaterThan):
                    low = max(low, right_number + 1)
                elif isinstance(operator, cst.LessThan):
                    high = min(high, right_number)
                elif isinstance(operator, cst.LessThanEqual):
                    high = min(high, right_number + 1)
                else:
                    return None
            else:  # number OP status
                assert left_number is not None
                if isinstance(operator, cst.LessThanEqual):
                    low = max(low, left_number)
                elif isinstance(operator, cst.LessThan):
                    low = max(low, left_number + 1)
                elif isinstance(operator, cst.GreaterThan):
                    high = min(high, left_number)
                elif isinstance(operator, cst.GreaterThanEqual):
                    high = min(high, left_number + 1)
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
        number = _int_literal(node)
        if number is not None:
            return number
        if isinstance(node, cst.Attribute):
            name = node.attr.value.upper()
            if name in HTTPStatus.__members__:
                return int(HTTPStatus[name])
            return None
        assigned = self._assigned_once(node, scope)
        if assigned is not None:
            return _int_literal(assigned[0])
        return None

    def _success_leaves(
        self,
        loop: cst.For | cst.While,
        body: list[cst.CSTNode],
        call: cst.Call,
        derived: set[str],
        parents: dict[int, cst.CSTNode],
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
                        for a in _ancestors(node, loop, parents)
                    ):
                        return True
        return False

    @staticmethod
    def _breaks(node: cst.Break, loop: cst.CSTNode, parents: dict[int, cst.CSTNode]) -> bool:
        """The `break` leaves `loop` (not a loop nested in it)."""
        for ancestor in _ancestors(node, loop, parents):
            if isinstance(ancestor, (cst.For, cst.While)):
                return False
        return True

    def _on_success_path(
        self,
        node: cst.CSTNode,
        loop: cst.CSTNode,
        parents: dict[int, cst.CSTNode],
        derived: set[str],
    ) -> bool:
        for ancestor in _ancestors(node, loop, parents):
            if isinstance(ancestor, (cst.ExceptHandler, cst.ExceptStarHandler)):
                return False
            if isinstance(ancestor, cst.If) and not names_in(ancestor.test) & derived:
                return False
        return True

    # -- fresh values, method arguments ---------------------------------------------------

    def fresh_call(
        self, value: cst.BaseExpression, scope: Scope, depth: int = 0
    ) -> cst.Call | None:
        """The call in a header value that makes it new each time (`uuid.uuid4()`), following
        a name bound once in the same function."""
        for node in walk(value):
            if isinstance(node, cst.Call):
                name = self.qualname(node.func, scope) or ""
                if name in _FRESH_FUNCTIONS or any(
                    name == m or (m.endswith(".") and name.startswith(m)) for m in _FRESH_MODULES
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
        from methodlint.calls import _literal_text

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
            text = _literal_text(argument) if argument is not None else None
            if text is None:
                return None
            values.add(text if verbatim else text.upper())
        if not calls:
            return None
        return frozenset(values)

    # -- retry policies -------------------------------------------------------------------

    def policies(self) -> tuple[list[RawPolicy], list[PolicyToken]]:
        policies: list[RawPolicy] = []
        tokens: list[PolicyToken] = []
        subclasses = self._retry_subclasses()
        for site in self.visitor.calls:
            call = site.node
            name = self.qualname(call.func, site.scope)
            display = self.module.code_for_node(call.func)
            if name in URLLIB3_RETRY:
                policies.append(self._urllib3(call, site.scope, display, None, tokens))
                continue
            local = self._local_class(call.func, site.scope)
            if local is not None and id(local) in subclasses:
                default = subclasses[id(local)]
                policies.append(self._urllib3(call, site.scope, display, default, tokens))
                continue
            if name is None or not name.startswith("aiohttp_retry"):
                continue
            short = name.rsplit(".", 1)[-1]
            if short in AIOHTTP_RETRY_OPTIONS:
                policy = self._aiohttp_retry(call, site.scope, display, short, tokens)
                if policy is not None:
                    policies.append(policy)
            elif (
                short == "RetryClient"
                and self._kwarg(call, "retry_options", 2) is None
                and not any(a.star for a in call.args)
            ):
                policies.append(
                    RawPolicy(
                        "aiohttp_retry",
                        display,
                        call,
                        None,
                        ("retries of any 5xx status (the default ExponentialRetry())",),
                    )
                )
        return policies, tokens

    def _local_class(self, node: cst.BaseExpression, scope: Scope) -> cst.ClassDef | None:
        if not isinstance(node, cst.Name):
            return None
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "class":
            return None
        cls = found[1][0].cls
        return cls.node if cls is not None else None

    def _retry_subclasses(self) -> dict[int, cst.BaseExpression | None]:
        """Same-file subclasses of urllib3's Retry, with their DEFAULT_ALLOWED_METHODS."""
        found: dict[int, cst.BaseExpression | None] = {}
        changed = True
        while changed:
            changed = False
            for cls in self.visitor.classes:
                if id(cls.node) in found:
                    continue
                for base in cls.node.bases:
                    name = self.qualname(base.value, cls.outer)
                    local = self._local_class(base.value, cls.outer)
                    inherited = local is not None and id(local) in found
                    if name in URLLIB3_RETRY or inherited:
                        default = found.get(id(local)) if inherited and local else None
                        for binding_list in (
                            cls.scope.bindings.get("DEFAULT_ALLOWED_METHODS", []),
                            cls.scope.bindings.get("DEFAULT_METHOD_WHITELIST", []),
                        ):
                            for binding in binding_list:
                                if binding.kind == "assign" and isinstance(
                                    binding.node, cst.BaseExpression
                                ):
                                    default = binding.node
                        found[id(cls.node)] = default
                        changed = True
                        break
        return found

    def _methods_value(
        self,
        node: cst.BaseExpression,
        scope: Scope,
        tokens: list[tuple[str, cst.BaseString, bool]],
        constant: bool = False,
        depth: int = 0,
    ) -> frozenset[str] | None:
        """A methods argument as a set, None for a falsy value (every method); raises
        `_Unreadable` when methodlint cannot read it."""
        from methodlint.calls import _literal_text

        if depth > 6:
            raise _Unreadable
        if isinstance(node, cst.Name) and node.value in ("None", "False"):
            return None
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            values: set[str] = set()
            for element in node.elements:
                item = element.value
                text = _literal_text(item)
                if text is None or not isinstance(item, cst.BaseString):
                    raise _Unreadable
                values.add(text)
                tokens.append((text, item, constant))
            return frozenset(values) if values else None
        if isinstance(node, cst.Call):
            name = self.module.code_for_node(node.func)
            if name in ("frozenset", "set", "list", "tuple"):
                if not node.args:
                    return None
                return self._methods_value(node.args[0].value, scope, tokens, constant, depth + 1)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "union":
                result = set(
                    self._methods_value(node.func.value, scope, tokens, constant, depth + 1) or ()
                )
                for arg in node.args:
                    extra = self._methods_value(arg.value, scope, tokens, constant, depth + 1)
                    result |= extra or frozenset()
                return frozenset(result)
            raise _Unreadable
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left = self._methods_value(node.left, scope, tokens, constant, depth + 1)
            right = self._methods_value(node.right, scope, tokens, constant, depth + 1)
            return frozenset((left or frozenset()) | (right or frozenset())) or None
        if isinstance(node, (cst.Name, cst.Attribute)):
            text = self.module.code_for_node(node)
            if text.endswith("DEFAULT_ALLOWED_METHODS") or text.endswith(
                "DEFAULT_METHOD_WHITELIST"
            ):
                return URLLIB3_DEFAULT_ALLOWED
            assigned = self._assigned_once(node, scope)
            if assigned is not None:
                return self._methods_value(assigned[0], assigned[1], tokens, True, depth + 1)
        raise _Unreadable

    def _urllib3(
        self,
        call: cst.Call,
        scope: Scope,
        display: str,
        default: cst.BaseExpression | None,
        tokens: list[PolicyToken],
    ) -> RawPolicy:
        found: list[tuple[str, cst.BaseString, bool]] = []
        allowed = self._kwarg(call, "allowed_methods") or self._kwarg(call, "method_whitelist")
        known = not any(a.star for a in call.args)
        methods: frozenset[str] | None = URLLIB3_DEFAULT_ALLOWED
        try:
            if allowed is not None:
                methods = self._methods_value(allowed.value, scope, found)
            elif default is not None:
                methods = self._methods_value(default, scope, found, constant=True)
        except _Unreadable:
            return RawPolicy("urllib3", display, call, frozenset(), known=False)
        finally:
            for value, node, constant in found:
                tokens.append(
                    PolicyToken(value, node, "urllib3", display, True, "allowed-methods", constant)
                )
        total = self._kwarg(call, "total", 0)
        if total is not None and _int_literal(total.value) == 0:
            return RawPolicy("urllib3", display, call, methods)
        paths: list[str] = []
        read = self._kwarg(call, "read")
        if read is None or _int_literal(read.value) != 0:
            paths.append("read errors")
        status_off = self._is_value(call, "status", 0)
        forcelist = self._kwarg(call, "status_forcelist")
        if (
            not status_off
            and forcelist is not None
            and not (isinstance(forcelist.value, cst.Name) and forcelist.value.value == "None")
        ):
            codes = self._codes(forcelist.value, scope)
            if codes is None:
                paths.append(f"status retries ({self.module.code_for_node(forcelist.value)})")
            elif not codes <= NOT_PROCESSED:
                listed = ", ".join(str(c) for c in sorted(codes - NOT_PROCESSED))
                paths.append(f"status retries ({listed})")
        return RawPolicy("urllib3", display, call, methods, tuple(paths), known=known)

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

    def _aiohttp_retry(
        self,
        call: cst.Call,
        scope: Scope,
        display: str,
        kind: str,
        tokens: list[PolicyToken],
    ) -> RawPolicy | None:
        if kind == "ListRetry":
            timeouts = self._kwarg(call, "timeouts", 0)
            if (
                timeouts is not None
                and isinstance(timeouts.value, (cst.List, cst.Tuple))
                and len(timeouts.value.elements) <= 1
            ):
                return None
        elif self._is_value(call, "attempts", 1, 0):
            return None
        known = not any(a.star for a in call.args)
        found: list[tuple[str, cst.BaseString, bool]] = []
        methods_arg = self._kwarg(call, "methods")
        methods: frozenset[str] | None = None
        try:
            if methods_arg is not None:
                methods = self._methods_value(methods_arg.value, scope, found)
        except _Unreadable:
            return RawPolicy("aiohttp_retry", display, call, frozenset(), known=False)
        finally:
            for value, node, constant in found:
                tokens.append(
                    PolicyToken(
                        value, node, "aiohttp_retry", display, False, "retry-methods", constant
                    )
                )
        if methods is not None:
            methods = frozenset(m.upper() for m in methods)
        method_paths: list[str] = []
        every = self._kwarg(call, "retry_all_server_errors")
        if every is None or _int_literal(every.value) != 0:
            method_paths.append("retries of any 5xx status")
        statuses = self._kwarg(call, "statuses")
        if statuses is not None and not (
            isinstance(statuses.value, cst.Name) and statuses.value.value == "None"
        ):
            codes = self._codes(statuses.value, scope)
            if not codes or not codes <= NOT_PROCESSED:
                method_paths.append(
                    f"retries of status {self.module.code_for_node(statuses.value)}"
                )
        any_paths: list[str] = []
        exceptions = self._kwarg(call, "exceptions")
        if exceptions is not None and not (
            isinstance(exceptions.value, cst.Name) and exceptions.value.value == "None"
        ):
            names = self._exception_names(exceptions.value, scope)
            if not all(self.is_connect_error(n) for n in names):
                any_paths.append(
                    f"exceptions {self.module.code_for_node(exceptions.value)}, for every method"
                )
        callback = self._kwarg(call, "evaluate_response_callback")
        if callback is not None and not (
            isinstance(callback.value, cst.Name) and callback.value.value == "None"
        ):
            any_paths.append("evaluate_response_callback, for every method")
        return RawPolicy(
            "aiohttp_retry",
            display,
            call,
            methods,
            tuple(method_paths),
            tuple(any_paths),
            known,
        )


def codes_text(codes: set[int] | frozenset[int]) -> str:
    """`status 429, 503`; runs of three or more as ranges (`status 500-599`)."""
    ordered = sorted(codes)
    parts: list[str] = []
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        if end - start >= 2:
            parts.append(f"{ordered[start]}-{ordered[end]}")
        else:
            parts.extend(str(c) for c in ordered[start : end + 1])
        start = end + 1
    return "status " + ", ".join(parts)


_STAMINA_CALLERS = frozenset({"stamina.RetryingCaller", "stamina.AsyncRetryingCaller"})


class _Unreadable(Exception):
    """A methods argument methodlint cannot read."""
