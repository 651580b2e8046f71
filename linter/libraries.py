"""What methodlint knows of each HTTP library's API: constructors, functions and methods.

Each callable that sends (or builds) a request has an `Api`: where its method, URL, body and
headers arguments are, and whether the library sends the method as written. The engine looks
callables up here by their canonical qualified name, so that every call form (module function,
alias, session method, bound method, subclass) shares one description of the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Submodules whose public names are re-exported by the package: `requests.api.post` is
# `requests.post`. Longest prefix first.
_CANONICAL_PREFIXES = (
    ("requests.packages.urllib3.", "urllib3."),
    ("requests.api.", "requests."),
    ("requests.sessions.", "requests."),
    ("requests.models.", "requests."),
    ("httpx._api.", "httpx."),
    ("httpx._client.", "httpx."),
    ("httpx._models.", "httpx."),
    ("aiohttp.client.", "aiohttp."),
    ("aiohttp_retry.client.", "aiohttp_retry."),
    ("urllib3.poolmanager.", "urllib3."),
    ("urllib3.connectionpool.", "urllib3."),
    ("urllib3._request_methods.", "urllib3."),
    # Web frameworks (server routes and test clients).
    ("flask.app.", "flask."),
    ("flask.blueprints.", "flask."),
    ("flask.globals.", "flask."),
    ("flask.sansio.blueprints.", "flask."),
    ("quart.app.", "quart."),
    ("quart.blueprints.", "quart."),
    ("quart.globals.", "quart."),
    ("fastapi.applications.", "fastapi."),
    ("fastapi.routing.", "fastapi."),
    ("fastapi.param_functions.", "fastapi."),
    ("fastapi.datastructures.", "fastapi."),
    ("fastapi.requests.", "starlette.requests."),
    ("fastapi.testclient.", "starlette.testclient."),
    ("fastapi.endpoints.", "starlette.endpoints."),
    ("starlette.applications.", "starlette."),
    ("aiohttp.web_app.", "aiohttp.web."),
    ("aiohttp.web_routedef.", "aiohttp.web."),
    ("aiohttp.web_urldispatcher.", "aiohttp.web."),
    ("aiohttp.web_request.", "aiohttp.web."),
    ("django.test.client.", "django.test."),
    ("django.test.testcases.", "django.test."),
)


def canonical(qualname: str) -> str:
    """The public qualified name of a library object reached through a submodule."""
    for prefix, replacement in _CANONICAL_PREFIXES:
        if qualname.startswith(prefix):
            return replacement + qualname[len(prefix) :]
    return qualname


# The modules whose import makes a file worth parsing (the pre-filter), beyond
# configured `http-modules`. `http` and `urllib` stand for `http.client` and `urllib.request`.
HTTP_MODULES = ("requests", "httpx", "aiohttp", "aiohttp_retry", "urllib3", "urllib", "http")
RETRY_MODULES = ("tenacity", "backoff", "stamina", "retrying", "retry")
# Modules whose names the engine follows too, without making a file worth parsing: typing
# constructs in annotations (`Optional[...]`) and `contextlib.closing(client)`.
HELPER_MODULES = ("typing", "typing_extensions", "contextlib")
# Web frameworks: their routes are facts (`Route`), their test clients are HTTP clients, and
# their import makes a file worth parsing. `aiohttp.web` is under `aiohttp` already.
FRAMEWORK_MODULES = ("flask", "quart", "fastapi", "starlette", "django", "rest_framework")
# Libraries a route handler uses to change state or declare its body (ORM sessions,
# Flask-Login, Pydantic models): followed, without making a file worth parsing.
FRAMEWORK_HELPER_MODULES = ("flask_login", "quart_auth", "sqlalchemy", "sqlmodel", "pydantic")


@dataclass(frozen=True)
class Api:
    """One request-making callable.

    `kind` is "send" (sends a request), "build" (builds one that a later call sends:
    `urllib.request.Request`, `requests.Request`, `build_request`), "send-built" (sends a
    built request: `Session.send`, `Client.send`) or "urlopen" (urllib's, which takes a URL
    or a `Request`).
    """

    library: str
    name: str
    kind: str = "send"
    method: str | None = None
    method_pos: int | None = None
    url_pos: int | None = 0
    body_positions: tuple[tuple[int, str], ...] = ()
    body_keywords: tuple[str, ...] = ()
    headers_pos: int | None = None
    # Positional arguments past these make the headers argument's position ambiguous.
    headers_ambiguous_after: int | None = None
    verbatim: bool = False
    # httpx get/head/options/delete have no content parameter: a body keyword is a TypeError.
    rejects_body: bool = False
    # urllib3: `fields=` is sent as the body except for these methods (query string).
    fields_in_query_for: frozenset[str] = field(default_factory=frozenset)


_VERBS = ("get", "options", "head", "post", "put", "patch", "delete")


def _verbs(
    library: str,
    body_keywords: tuple[str, ...],
    positional: dict[str, tuple[tuple[int, str], ...]] | None = None,
    rejecting: tuple[str, ...] = (),
) -> dict[str, Api]:
    positional = positional or {}
    return {
        verb: Api(
            library,
            verb,
            method=verb.upper(),
            body_positions=positional.get(verb, ()),
            body_keywords=body_keywords,
            rejects_body=verb in rejecting,
        )
        for verb in _VERBS
    }


def _generic(library: str, name: str, body_keywords: tuple[str, ...], **extra: object) -> Api:
    return Api(library, name, method_pos=0, url_pos=1, body_keywords=body_keywords, **extra)  # type: ignore[arg-type]


_REQUESTS_BODY = ("data", "json", "files")
_HTTPX_BODY = ("content", "data", "files", "json")
_AIOHTTP_BODY = ("data", "json")
_URLLIB3_BODY = ("body", "json", "fields")
_QUERY_FIELDS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})

_REQUESTS_POSITIONAL = {
    "post": ((1, "data"), (2, "json")),
    "put": ((1, "data"),),
    "patch": ((1, "data"),),
}

_REQUESTS_MODULE = {
    **_verbs("requests", _REQUESTS_BODY, _REQUESTS_POSITIONAL),
    "request": _generic("requests", "request", _REQUESTS_BODY),
    "Request": Api(
        "requests",
        "Request",
        kind="build",
        method_pos=0,
        url_pos=1,
        headers_pos=2,
        body_positions=((3, "files"), (4, "data"), (9, "json")),
        body_keywords=_REQUESTS_BODY,
    ),
}
_REQUESTS_SESSION = {
    **_verbs("requests", _REQUESTS_BODY, _REQUESTS_POSITIONAL),
    "request": _generic(
        "requests",
        "request",
        _REQUESTS_BODY,
        body_positions=((3, "data"), (6, "files")),
        headers_pos=4,
    ),
    "send": Api("requests", "send", kind="send-built"),
}
_HTTPX_CLIENT = {
    **_verbs("httpx", _HTTPX_BODY, rejecting=("get", "head", "options", "delete")),
    "request": _generic("httpx", "request", _HTTPX_BODY),
    "stream": _generic("httpx", "stream", _HTTPX_BODY),
    "build_request": _generic("httpx", "build_request", _HTTPX_BODY, kind="build"),
    "send": Api("httpx", "send", kind="send-built"),
}
_HTTPX_MODULE = {
    **{k: v for k, v in _HTTPX_CLIENT.items() if k not in ("build_request", "send")},
    # httpx.Request(method, url, *, params, headers, cookies, content, data, files, json, ...)
    "Request": _generic("httpx", "Request", _HTTPX_BODY, kind="build"),
}
_AIOHTTP_SESSION = {
    **_verbs("aiohttp", _AIOHTTP_BODY),
    "request": _generic("aiohttp", "request", _AIOHTTP_BODY),
}
_URLLIB3_REQUEST = _generic(
    "urllib3",
    "request",
    _URLLIB3_BODY,
    headers_pos=3,
    headers_ambiguous_after=2,
    fields_in_query_for=_QUERY_FIELDS,
)
_URLLIB3_MANAGER = {
    "request": _URLLIB3_REQUEST,
    # PoolManager.urlopen(method, url, redirect=True, **kw): no positional body.
    "urlopen": _generic("urllib3", "urlopen", ("body",), verbatim=True),
    "request_encode_body": _generic(
        "urllib3",
        "request_encode_body",
        ("body", "fields"),
        body_positions=((2, "fields"),),
        headers_pos=3,
    ),
    "request_encode_url": _generic("urllib3", "request_encode_url", (), headers_pos=3),
}
_URLLIB3_POOL = {
    **_URLLIB3_MANAGER,
    # HTTPConnectionPool.urlopen(method, url, body=None, headers=None, ...).
    "urlopen": _generic(
        "urllib3",
        "urlopen",
        ("body",),
        body_positions=((2, "body"),),
        headers_pos=3,
        verbatim=True,
    ),
}
_HTTP_CLIENT_CONNECTION = {
    "request": _generic(
        "http.client",
        "request",
        ("body",),
        body_positions=((2, "body"),),
        headers_pos=3,
        verbatim=True,
    ),
    "putrequest": _generic("http.client", "putrequest", (), verbatim=True),
}

# Module-level callables, by canonical qualified name.
FUNCTIONS: dict[str, Api] = {
    **{f"requests.{name}": api for name, api in _REQUESTS_MODULE.items()},
    **{f"httpx.{name}": api for name, api in _HTTPX_MODULE.items()},
    "aiohttp.request": _generic("aiohttp", "request", _AIOHTTP_BODY),
    "urllib3.request": _URLLIB3_REQUEST,
    "urllib.request.Request": Api(
        "urllib.request",
        "Request",
        kind="build",
        method_pos=5,
        body_positions=((1, "data"),),
        body_keywords=("data",),
        headers_pos=2,
        verbatim=True,
    ),
    "urllib.request.urlopen": Api(
        "urllib.request",
        "urlopen",
        kind="urlopen",
        body_positions=((1, "data"),),
        body_keywords=("data",),
    ),
}


@dataclass(frozen=True)
class ClientType:
    """A session, client, pool or connection class, and the methods that make requests."""

    name: str
    library: str
    methods: dict[str, Api]


CLIENT_TYPES: dict[str, ClientType] = {
    t.name: t
    for t in (
        ClientType("requests.Session", "requests", _REQUESTS_SESSION),
        ClientType("httpx.Client", "httpx", _HTTPX_CLIENT),
        ClientType("httpx.AsyncClient", "httpx", _HTTPX_CLIENT),
        ClientType("aiohttp.ClientSession", "aiohttp", _AIOHTTP_SESSION),
        ClientType("aiohttp_retry.RetryClient", "aiohttp", _AIOHTTP_SESSION),
        ClientType("urllib3.PoolManager", "urllib3", _URLLIB3_MANAGER),
        ClientType("urllib3.ProxyManager", "urllib3", _URLLIB3_MANAGER),
        ClientType("urllib3.contrib.socks.SOCKSProxyManager", "urllib3", _URLLIB3_MANAGER),
        ClientType("urllib3.HTTPConnectionPool", "urllib3", _URLLIB3_POOL),
        ClientType("urllib3.HTTPSConnectionPool", "urllib3", _URLLIB3_POOL),
        ClientType("http.client.HTTPConnection", "http.client", _HTTP_CLIENT_CONNECTION),
        ClientType("http.client.HTTPSConnection", "http.client", _HTTP_CLIENT_CONNECTION),
    )
}

# Test clients of web frameworks. Starlette's `TestClient` is an httpx client. Flask's and
# Quart's send a body on any method. Django's and DRF's put the `data` of `get` and `head` in
# the query string, and that of every other method in the body.
_FLASK_TEST_CLIENT = _verbs("flask", ("data", "json"))
_QUART_TEST_CLIENT = _verbs("quart", ("data", "form", "files", "json"))
_DJANGO_TEST_CLIENT = {
    verb: Api(
        "django",
        verb,
        method=verb.upper(),
        body_positions=() if verb in ("get", "head") else ((1, "data"),),
        body_keywords=() if verb in ("get", "head") else ("data",),
    )
    for verb in _VERBS
}
CLIENT_TYPES.update(
    (t.name, t)
    for t in (
        ClientType("starlette.testclient.TestClient", "httpx", _HTTPX_CLIENT),
        ClientType("flask.testing.FlaskClient", "flask", _FLASK_TEST_CLIENT),
        ClientType("quart.testing.QuartClient", "quart", _QUART_TEST_CLIENT),
        ClientType("django.test.Client", "django", _DJANGO_TEST_CLIENT),
        ClientType("django.test.AsyncClient", "django", _DJANGO_TEST_CLIENT),
        ClientType("rest_framework.test.APIClient", "rest_framework", _DJANGO_TEST_CLIENT),
    )
)
# The test client of `self.client` in a test case class deriving one of these.
TEST_CASE_CLIENTS: dict[str, str] = {
    **{
        f"django.test.{case}": "django.test.Client"
        for case in ("TestCase", "TransactionTestCase", "SimpleTestCase", "LiveServerTestCase")
    },
    "django.contrib.staticfiles.testing.StaticLiveServerTestCase": "django.test.Client",
    **{
        f"rest_framework.test.{case}": "rest_framework.test.APIClient"
        for case in (
            "APITestCase",
            "APITransactionTestCase",
            "APISimpleTestCase",
            "APILiveServerTestCase",
        )
    },
}
# Web framework objects that routes are declared on (`Framework` values), by constructor,
# and their attributes that are framework objects too (`app.router`).
FRAMEWORK_TYPES = frozenset(
    {
        "flask.Flask",
        "flask.Blueprint",
        "quart.Quart",
        "quart.Blueprint",
        "fastapi.FastAPI",
        "fastapi.APIRouter",
        "starlette.Starlette",
        "starlette.routing.Router",
        "aiohttp.web.Application",
        "aiohttp.web.RouteTableDef",
    }
)
FRAMEWORK_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("aiohttp.web.Application", "router"): "aiohttp.web.UrlDispatcher",
    ("fastapi.FastAPI", "router"): "fastapi.APIRouter",
    ("starlette.Starlette", "router"): "starlette.routing.Router",
}

# Callables that return a client object (constructors and factories), by canonical name.
CONSTRUCTORS: dict[str, str] = {
    **{name: name for name in CLIENT_TYPES},
    "flask.Flask.test_client": "flask.testing.FlaskClient",
    "quart.Quart.test_client": "quart.testing.QuartClient",
    "requests.session": "requests.Session",
    "urllib3.proxy_from_url": "urllib3.ProxyManager",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
}

# Client methods that return another client object: (type, method) -> type.
CLIENT_METHOD_RESULTS: dict[tuple[str, str], str] = {
    (manager, method): "urllib3.HTTPConnectionPool"
    for manager in ("urllib3.PoolManager", "urllib3.ProxyManager")
    for method in ("connection_from_url", "connection_from_host", "connection_from_context")
}

# Libraries a configured `http-modules` entry may mirror, by their module's top-level name.
LIBRARY_MODULES = {
    "requests": "requests",
    "httpx": "httpx",
    "aiohttp": "aiohttp",
    "urllib3": "urllib3",
    "urllib.request": "urllib.request",
    "http.client": "http.client",
}
