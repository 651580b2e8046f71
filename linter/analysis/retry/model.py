"""The retry model's data: what the analysis finds (scopes, policies, retry calls) before
positions are known, the libraries' facts it relies on, and small syntax helpers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from methodlint.analysis.scopes import CallSite
from methodlint.analysis.walk import children, walk

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
FRESH_MODULES = ("uuid.uuid1", "uuid.uuid4", "secrets.", "random.", "os.urandom")
FRESH_FUNCTIONS = frozenset(
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
TAKE_METHODS = frozenset({"get", "get_nowait", "popitem", "popleft", "rpoplpush"})
TAKE_PREFIXES = (
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
STATUS_ATTRIBUTES = frozenset({"status_code", "status", "code", "status_int"})
OK_ATTRIBUTES = frozenset({"ok", "is_success"})
ERROR_ATTRIBUTES = frozenset({"is_error", "is_server_error", "is_client_error"})
# Arguments of a request that make it a different request when they change (headers and
# settings do not).
CONTENT_KEYWORDS = frozenset(
    {"url", "json", "data", "files", "content", "body", "params", "fields", "query"}
)
SCOPE_STOPS = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


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
    within: str | None = None  # the wrapper it is in, for a scope inherited from one


@dataclass
class RawPolicy:
    library: str
    name: str
    node: cst.Call
    status_methods: frozenset[str] | None
    method_paths: tuple[str, ...] = ()
    any_method_paths: tuple[str, ...] = ()
    known: bool = True
    # The methods come from a subclass's DEFAULT_ALLOWED_METHODS: urllib3 1.26 only.
    only_urllib3_126: str | None = None


@dataclass(frozen=True)
class RetryDefault:
    """What a urllib3 `Retry` subclass does to the default `allowed_methods` of its
    constructor. `changed` false: nothing (a plain subclass). Otherwise the new default is
    `node` (an expression read in `scope`), or for a subclass of another module, `methods`
    (None: every method) when `known`. `only_126` names the subclass whose
    `DEFAULT_ALLOWED_METHODS` makes the change, which urllib3 1.26 reads and 2.x does not."""

    changed: bool = True
    node: cst.BaseExpression | None = None
    scope: object = None  # the Scope `node` is read in
    methods: frozenset[str] | None = None
    known: bool = True
    only_126: str | None = None

    def shape(self, methods: frozenset[str] | None, known: bool) -> tuple[str, ...]:
        """For a module summary: ("urllib3",) for a plain subclass, else ("urllib3",
        version, "every" | "methods" | "unknown", *methods)."""
        if not self.changed:
            return ("urllib3",)
        version = f"1.26:{self.only_126}" if self.only_126 else "all"
        if not known:
            return ("urllib3", version, "unknown")
        if methods is None:
            return ("urllib3", version, "every")
        return ("urllib3", version, "methods", *sorted(methods))

    @classmethod
    def from_shape(cls, shape: tuple[str, ...]) -> RetryDefault:
        if len(shape) < 3:
            return cls(changed=False)
        version, kind = shape[1], shape[2]
        only = version.partition(":")[2] if version.startswith("1.26:") else None
        if kind == "unknown":
            return cls(known=False, only_126=only)
        methods = None if kind == "every" else frozenset(shape[3:])
        return cls(methods=methods, only_126=only)


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
        elif isinstance(current, SCOPE_STOPS):
            continue
        else:
            stack.extend(children(current))
    return found


def int_literal(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.Name) and node.value in ("False", "True"):
        return int(node.value == "True")
    return None


def block_exits(
    body: Sequence[cst.CSTNode], loop_exits: bool = True, continues: bool = True
) -> bool:
    """True when a block's own statements unconditionally raise, return or break (and,
    with `continues`, no `continue` before that lets the loop go on)."""
    for statement in body:
        if (
            continues
            and not isinstance(statement, cst.SimpleStatementLine)
            and any(
                isinstance(n, cst.Continue)
                for n in walk(statement, (*SCOPE_STOPS, cst.For, cst.While))
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
            and block_exits(statement.body.body, loop_exits)
            and block_exits(else_body(statement.orelse), loop_exits)
        ):
            return True
    return False


def parent_map(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    """Each node's parent under `root` (not entering nested functions and classes)."""
    parents: dict[int, cst.CSTNode] = {}
    for node in walk(root):
        if node is not root and isinstance(node, SCOPE_STOPS):
            continue
        for child in children(node):
            parents[id(child)] = node
    return parents


class Parents(Mapping[int, cst.CSTNode]):
    """`parent_map(root)`, built on the first lookup: most loops are judged without one."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self._map: dict[int, cst.CSTNode] | None = None

    @property
    def _parents(self) -> dict[int, cst.CSTNode]:
        if self._map is None:
            self._map = parent_map(self.root)
        return self._map

    def __getitem__(self, key: int) -> cst.CSTNode:
        return self._parents[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._parents)

    def __len__(self) -> int:
        return len(self._parents)


def node_ancestors(
    node: cst.CSTNode, stop: cst.CSTNode, parents: Mapping[int, cst.CSTNode]
) -> Iterator[cst.CSTNode]:
    """The nodes between `node` and `stop`, innermost first (neither included)."""
    current = parents.get(id(node))
    while current is not None and current is not stop:
        yield current
        current = parents.get(id(current))


def else_body(orelse: cst.If | cst.Else) -> Sequence[cst.CSTNode]:
    if isinstance(orelse, cst.If):
        return [orelse]
    return orelse.body.body


def body_of(node: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    return node.body if isinstance(node, cst.IndentedBlock) else [node]


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


STAMINA_CALLERS = frozenset({"stamina.RetryingCaller", "stamina.AsyncRetryingCaller"})


class Unreadable(Exception):
    """A methods argument methodlint cannot read."""
