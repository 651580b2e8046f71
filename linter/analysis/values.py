"""The abstract values resolution computes for expressions: library objects, client
instances and their bound methods, strings, built requests, and the module's own classes and
functions (the module's instances of them included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

from methodlint.libraries import (
    CLIENT_TYPES,
    canonical,
)

# -- abstract values ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A library object by qualified name: `name` in the library's terms, `display` as used."""

    name: str
    display: str

    def attribute(self, attr: str) -> Ref:
        return Ref(canonical(f"{self.name}.{attr}"), f"{self.display}.{attr}")


@dataclass(frozen=True)
class Instance:
    """An object of a client type of `libraries.CLIENT_TYPES`; `local` is the key of the class
    of this file it is an instance of, when it is one (a subclass of the client type)."""

    type: str
    display: str
    local: int | None = None


@dataclass(frozen=True)
class BoundMethod:
    instance: Instance
    name: str


@dataclass(frozen=True)
class TextOption:
    value: str
    node: cst.BaseString | None = field(compare=False, default=None)
    node_id: int | None = None
    upper_called: bool = False
    constant: bool = False

    def effective(self, verbatim: bool) -> str:
        """The method as a library that sends it as written (`verbatim`) or upper-cases it
        will use it."""
        return self.value.upper() if (self.upper_called or not verbatim) else self.value


@dataclass(frozen=True)
class Text:
    """A string, or the strings a conditional expression may give."""

    options: tuple[TextOption, ...]


@dataclass(frozen=True)
class Built:
    """A request built by one call (`Request(...)`, `build_request(...)`) and sent later."""

    key: int


@dataclass(frozen=True)
class LocalClass:
    key: int


@dataclass(frozen=True)
class LocalFunction:
    key: int


@dataclass(frozen=True)
class SelfOf:
    """`self` inside a method of a class of this file."""

    key: int


@dataclass(frozen=True)
class Framework:
    """A web framework object that routes are declared on (an app, a blueprint, a router, a
    route table: `libraries.FRAMEWORK_TYPES`); its attributes are `Ref`s of its type
    (`flask.Flask.route`)."""

    type: str
    display: str


@dataclass(frozen=True)
class ForeignModule:
    """A module of the project other than this one (see `summary.ModuleSummary`)."""

    name: str


@dataclass(frozen=True)
class ForeignFunction:
    """A request wrapper of another project module; `bound` when reached through an
    instance (its first parameter is not an argument)."""

    module: str
    key: str
    bound: bool = False


@dataclass(frozen=True)
class ForeignClass:
    module: str
    name: str


@dataclass(frozen=True)
class ForeignInstance:
    """An instance of a class of another project module."""

    module: str
    name: str


@dataclass(frozen=True)
class ForeignDecorator:
    """A retry decorator of another project module (`retry_api = tenacity.retry(...)`), or a
    factory of one (`factory`: `def with_retries(): return backoff.on_exception(...)`)."""

    connect_only: bool
    retries_on: str
    factory: bool = False


Value = (
    Ref
    | ForeignModule
    | ForeignFunction
    | ForeignClass
    | ForeignInstance
    | ForeignDecorator
    | Instance
    | BoundMethod
    | Text
    | Built
    | LocalClass
    | LocalFunction
    | SelfOf
    | Framework
    | None
)

# Arguments that make a request a different request when they change (headers do not).
CONTENT_KEYWORDS = frozenset(
    {"url", "json", "data", "files", "content", "body", "params", "fields", "query"}
)

REQUESTS_MODULES = frozenset({"requests", "requests.api"})

IN_PROGRESS = object()
# What a binding to the literal `None` contributes to a name's value: nothing. A call on the
# name succeeds only when it holds one of its other values (`x = None`, then `x = Client()`).
ABSENT = object()


def same_api(value: object, other: object) -> bool:
    """Equal values, or instances of client types with one API (`PoolManager` or
    `ProxyManager`, chosen by configuration: the request calls are the same)."""
    if value == other:
        return True
    return (
        isinstance(value, Instance)
        and isinstance(other, Instance)
        and value.local is None
        and other.local is None
        and CLIENT_TYPES[value.type].methods is CLIENT_TYPES[other.type].methods
    )
