"""Facts about HTTP call sites: the plain data the engine builds and rules read.

Facts never hold LibCST nodes, so they pickle cheaply across processes. They are the
interface that rules, including third-party rules, program against: keep them stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from methodlint.diagnostics import Span

# Libraries methodlint understands (configured `http-modules` map onto one of these).
LIBRARIES = ("requests", "httpx", "aiohttp", "urllib3", "urllib.request", "http.client")


@dataclass(frozen=True)
class MethodToken:
    """A string literal that stands where an HTTP library takes a method name.

    `verbatim` is true when the library sends (or compares) the method as written, so that
    its letter case matters. `constant` is true when the literal is bound to a name and used
    through it (reported once, at the literal, and never auto-fixed). `upper_called` is true
    for `"post".upper()`.
    """

    value: str
    span: Span
    library: str
    client: str
    verbatim: bool
    source: str
    constant: bool = False
    upper_called: bool = False
    # Where the token stands: "request" (a request's method), "allowed-methods" (urllib3
    # `Retry(allowed_methods=...)`/`method_whitelist`), "retry-methods" (aiohttp_retry
    # `methods=`) or "route" (a route declaration's methods: `library` is the framework).
    role: str = "request"

    @property
    def effective(self) -> str:
        """The method as the library will use it."""
        return self.value.upper() if (self.upper_called or not self.verbatim) else self.value


@dataclass(frozen=True)
class Body:
    """A content argument: `json=...`, `data=...`, or a positional body argument.

    `empty` is true when it sends no content: `json=None`, or `data=`/`files=`/`content=`/
    `body=` that are `None` or an empty literal.
    """

    name: str
    keyword: bool
    span: Span
    empty: bool
    source: str


@dataclass(frozen=True)
class Header:
    """A header sent by a request: its name as written, and its value's source text.

    `span` is where the value is written. `literal` is the value's text when it is a string
    literal, an f-string, a concatenation of literals or a literal formatted with `%` or
    `.format()`, with `{}` for each computed part (`f'W/"{tag}"'` is `W/"{}"`); None for any
    other expression.
    """

    name: str
    value: str | None
    span: Span | None = None
    literal: str | None = None


@dataclass(frozen=True)
class Headers:
    """The request's own headers. `known` is false when methodlint cannot see all of them;
    `items` are then the ones it does see (a literal key next to a `**spread`), which are
    sent but may not be all."""

    known: bool
    items: tuple[Header, ...] = ()

    def get(self, name: str) -> Header | None:
        lowered = name.lower()
        for header in self.items:
            if header.name.lower() == lowered:
                return header
        return None

    def has_any(self, names: frozenset[str]) -> bool:
        """True when a header of `names` (lower-case) is, or may be, sent."""
        if not self.known:
            return True
        return any(h.name.lower() in names for h in self.items)


UNKNOWN_HEADERS = Headers(known=False)
NO_HEADERS = Headers(known=True)


@dataclass(frozen=True)
class Url:
    """The URL argument: its literal text (placeholders as `{}`) if any, and its source."""

    source: str
    span: Span
    literal: str | None = None
    # The literal's path segments: no scheme, host, query or fragment, and no leading
    # placeholder (the base URL of f"{base}/users/delete"); None when there is no literal.
    segments: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RetryScope:
    """Code that sends a request again after a failure, around a request's send site.

    `kind` is "loop" (a retry loop), "decorator" (a retry decorator on the function) or
    "block" (`for attempt in Retrying(...)`, `Retrying(...)(fn)`, ...). `mechanism` names it
    for messages ("this loop", "@stamina.retry", "tenacity.Retrying"). `span` is where it is
    stated (the loop's first line, the decorator); `region` is the code it re-runs.
    `connect_only` is true when it retries only failures that happen before the request is
    sent (connection-establishment errors) or responses saying it was not processed
    (413/429/503). `method_gated` is true when it compares the request's method with a set of
    methods. `retries_on` names what it retries on, for messages. `within` is the project
    function the scope is written in when that is not the call's own function: a scope
    inside a request wrapper, judged at this call of it because the caller decides the
    request's method or headers.
    """

    kind: str
    mechanism: str
    span: Span
    region: Span
    connect_only: bool
    method_gated: bool = False
    retries_on: str = ""
    within: str | None = None


@dataclass(frozen=True)
class FreshValue:
    """A header whose value is generated afresh where it is evaluated (`uuid.uuid4()`, the
    clock, `secrets`, `random`, `os.urandom`): `span` is the generating expression."""

    header: str
    span: Span
    # For a key generated inside a request wrapper that this call calls: the span of that
    # function. Every retry scope outside it runs it again, and with it the generation.
    function: Span | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """A transport retry policy: urllib3 `Retry(...)` or an aiohttp_retry option class (or a
    `RetryClient` without options). Methods are as the library compares them.

    `status_methods` are the methods its read-error and status retries apply to (None: every
    method); `method_paths` name those of its retries that can re-send a request the server
    already received; `any_method_paths` name such retries that apply to every method
    whatever `status_methods` says (aiohttp_retry exceptions and response callbacks).
    `known` is false when an argument methodlint cannot read may change any of this.
    """

    library: str
    name: str
    span: Span
    status_methods: frozenset[str] | None
    method_paths: tuple[str, ...] = ()
    any_method_paths: tuple[str, ...] = ()
    known: bool = True
    # The methods are the default of this Retry subclass, set by its DEFAULT_ALLOWED_METHODS:
    # urllib3 1.26 reads it at construction, 2.x keeps the base class's default.
    only_urllib3_126: str | None = None


@dataclass(frozen=True)
class JsonPatch:
    """The request's content is a JSON Patch document (RFC 6902): sent with a literal
    `Content-Type: application/json-patch+json`, or a list literal of dicts with an "op" key.

    `first_op` is the literal "op" of the document's first operation when methodlint can see
    it (None when it cannot: a document built elsewhere).
    """

    first_op: str | None = None

    @property
    def tested(self) -> bool:
        """The document starts with a `test` operation: a precondition of its own."""
        return self.first_op == "test"


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request found in the source.

    `methods` is the set of methods the request may use (one for most calls, several for
    `"POST" if new else "PUT"`), empty when unknown. `api` is the library function or
    method that was called (`post`, `request`, `urlopen`, `Request`, ...). `library` is the
    library whose API the call uses; `client` names how the call was reached, with the
    module name as imported (a configured `http-modules` alias such as `httpx2.Client`).
    """

    library: str
    client: str
    api: str
    methods: frozenset[str]
    method_tokens: tuple[MethodToken, ...]
    method_is_dynamic: bool
    bodies: tuple[Body, ...]
    headers: Headers
    url: Url | None
    build_site: Span
    send_site: Span | None
    is_async: bool
    function: str | None
    class_name: str | None
    # httpx get/head/options/delete have no content parameters: any body keyword raises.
    rejects_body: bool = False
    # The retry scopes around the send site, innermost first.
    retry_scopes: tuple[RetryScope, ...] = ()
    # Headers whose value is generated afresh (see FreshValue).
    fresh_headers: tuple[FreshValue, ...] = ()
    # For a method that is a parameter of a private function: the literal methods every call
    # of that function in the file passes (None when unknown or some call passes another).
    method_arguments: frozenset[str] | None = None
    # The content is a JSON Patch document (see JsonPatch), or None.
    json_patch: JsonPatch | None = None
    # A PUT or PATCH whose content is computed from the response of a GET of the same URL
    # expression made earlier in the same function (a read-modify-write): the span of that
    # GET's build site, or None. None too when the write sends back a version of what it
    # read in its content or query (`sha`, `version`, `_rev`, `cas`): the server checks it.
    read_modify_write: Span | None = None
    # For a call of a project request wrapper: the project functions from this call site to
    # the library call, outermost first (`("Shop.get", "Shop._send")`); empty for a call of
    # the library itself.
    via: tuple[str, ...] = ()

    @property
    def sent_by(self) -> str:
        """How the request is sent, for messages: `requests.Session`, or
        `requests.Session in Shop.get -> Shop._send` for a call of a wrapper."""
        if not self.via:
            return self.client
        return f"{self.client} in {' -> '.join(self.via)}"

    @property
    def method(self) -> str | None:
        """The method when it is known and single."""
        if len(self.methods) == 1:
            return next(iter(self.methods))
        return None

    @property
    def body(self) -> Body | None:
        """The first argument that sends content, if any."""
        for body in self.bodies:
            if not body.empty:
                return body
        return None


@dataclass(frozen=True)
class BodyRead:
    """A read of the request body in a route handler: `what` as written (`request.form`,
    `request.get_json()`, `note: NoteIn` for a FastAPI body parameter), and where."""

    what: str
    span: Span


@dataclass(frozen=True)
class StateChange:
    """A state-changing call a route handler makes itself (rules.md, ML5xx).

    `kind` is "delete" (an ORM or SQLAlchemy session delete), "logout" (Django `logout`,
    Flask-Login `logout_user`), "http" (an HTTP request with a method that is not safe) or
    "write" (any other ORM or session write: `create`, `save`, `update`, `add`, `commit`).
    `what` names it for messages (`db.session.delete()`, `POST via requests`); `span` is the
    call.
    """

    kind: str
    what: str
    span: Span


# Web frameworks whose routes methodlint reads (`Route.framework`).
FRAMEWORKS = ("flask", "quart", "fastapi", "starlette", "django", "rest_framework", "aiohttp")


@dataclass(frozen=True)
class Route:
    """A server handler that a web framework calls for a path and a set of methods.

    `framework` is one of `FRAMEWORKS`. `path` is the declared path as written (`/notes/<id>`,
    `/notes/{id}`), None when the route is registered where methodlint cannot see it (a
    class-based view served by a URL conf). `methods` are the methods whose requests reach
    the handler (Flask and Starlette add HEAD to GET; an automatic OPTIONS answer is not the
    handler's), upper case except where the framework compares them as written (Django
    `require_http_methods`); empty when methodlint cannot tell. `default_methods` is true
    when no methods were stated (Flask's `@app.route(path)`). `handler` is the function's
    qualified name (`note_detail`, `NoteView.get`) and `span` its name; `declaration` is
    where the route is declared (the decorator or the registration call), when it is seen.
    `body_reads` and `state_changes` are what the handler itself does, in source order.
    `method_tokens` are the literal methods of the declaration (role "route").
    """

    framework: str
    path: str | None
    methods: frozenset[str]
    default_methods: bool
    handler: str
    span: Span
    declaration: Span | None = None
    body_reads: tuple[BodyRead, ...] = ()
    state_changes: tuple[StateChange, ...] = ()
    method_tokens: tuple[MethodToken, ...] = ()

    @property
    def safe_only(self) -> bool:
        """Only GET, HEAD and OPTIONS requests reach the handler."""
        return bool(self.methods) and self.methods <= {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class FileFacts:
    """Everything the engine learned about one file."""

    path: str
    calls: tuple[HttpCall, ...] = ()
    method_tokens: tuple[MethodToken, ...] = ()
    retry_policies: tuple[RetryPolicy, ...] = ()
    routes: tuple[Route, ...] = ()
