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
    """A header sent by a request: its name as written, and its value's source text."""

    name: str
    value: str | None
    span: Span | None = None


@dataclass(frozen=True)
class Headers:
    """The request's own headers. `known` is false when methodlint cannot see all of them."""

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
class FileFacts:
    """Everything the engine learned about one file."""

    path: str
    calls: tuple[HttpCall, ...] = ()
    method_tokens: tuple[MethodToken, ...] = ()
