"""The screen between the byte pre-filter and LibCST: can this file produce a fact at all?

The pre-filter passes every file that imports an HTTP, retry or web framework module; most of
them use it only for things no fact comes from (`urllib.parse.quote`, `requests.exceptions`,
Django models and forms). Parsing those with LibCST costs more than half of a cold run, so
this screen proves them fact-free with CPython's own parser (about a sixth of LibCST's cost)
and a search of the source for the names their imports bind.

Every fact starts from a name bound by an import of one of those modules (a call of
`requests.post`, a `Session()` that is later used, an annotation `httpx.Client`, a decorator
`@app.get` on `app = FastAPI()`, a base class `APIView`) or, in a project run, from a name
imported from a project module whose summary offers something. A file passes the screen
when one of those names is used (outside its import statement) as anything but a name
listed in `UNPRODUCTIVE` (exceptions, response and status types, URL helpers, ORM and form
modules), whose uses never make a fact. Strings count too, so string annotations
(`"requests.Session"`) keep a file. The screen errs one way only: a file it keeps may still
have no fact; a file it drops has none. Files CPython cannot parse are kept (LibCST reports
their syntax errors, or accepts newer syntax).

In a project run a file also offers a summary to the modules that import it: the screen keeps
every file that imports a project module of the index, every file with a function that calls
one of its parameters in a loop (a handwritten retry decorator or helper), whatever it uses,
and every file that writes an HTTP method name as a string a name or attribute may hold
(`POST = "POST"`, an enum of methods, `self.method = "PUT"`). A method name only passed to a call or
compared (`requester.request("POST", url)`, `if verb == "GET":`) in a file that makes no
request and imports nothing of the index makes neither a fact nor a constant.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Collection, Iterator
from typing import Protocol, runtime_checkable

from methodlint.libraries import FRAMEWORK_MODULES, HTTP_MODULES, RETRY_MODULES, canonical
from methodlint.methods import REGISTRY

# Qualified names (after `libraries.canonical`) whose uses never make a fact: no request is
# sent, built or declared through them and no route or retry policy is declared with them.
# A name is unproductive when it is one of these or an attribute of one. A test checks that
# no name the engine knows (libraries.py, the analysis's tables and literals) falls under one.
UNPRODUCTIVE = frozenset(
    {
        # URL helpers, status codes, cookies and standard library servers.
        "urllib.parse",
        "urllib.error",
        "urllib.response",
        "urllib.robotparser",
        "http.HTTPStatus",
        "http.client.responses",
        "http.cookies",
        "http.cookiejar",
        "http.server",
        # Exceptions, responses and value types of the HTTP clients.
        "requests.exceptions",
        "requests.Response",
        "requests.codes",
        "requests.status_codes",
        "requests.utils",
        "requests.structures",
        "requests.cookies",
        "requests.auth",
        "requests.RequestException",
        "requests.HTTPError",
        "requests.ConnectionError",
        "requests.Timeout",
        "requests.ConnectTimeout",
        "requests.ReadTimeout",
        "requests.TooManyRedirects",
        "requests.JSONDecodeError",
        "httpx.Response",
        "httpx.HTTPError",
        "httpx.HTTPStatusError",
        "httpx.RequestError",
        "httpx.TransportError",
        "httpx.TimeoutException",
        "httpx.ConnectError",
        "httpx.Timeout",
        "httpx.URL",
        "httpx.codes",
        "httpx.Limits",
        "aiohttp.ClientResponse",
        "aiohttp.ClientError",
        "aiohttp.ClientResponseError",
        "aiohttp.ClientConnectionError",
        "aiohttp.ClientConnectorError",
        "aiohttp.ServerDisconnectedError",
        "aiohttp.ClientTimeout",
        "aiohttp.client_exceptions",
        "aiohttp.web.Response",
        "aiohttp.web.StreamResponse",
        "aiohttp.web.json_response",
        "aiohttp.web.Request",
        "aiohttp.web.HTTPException",
        "urllib3.exceptions",
        "urllib3.response",
        "urllib3.HTTPResponse",
        "urllib3.BaseHTTPResponse",
        "urllib3.Timeout",
        "urllib3.disable_warnings",
        # Django outside its views, test clients and routes: models, migrations, forms,
        # admin, settings, templates, translation and other utilities.
        "django.db",
        "django.utils",
        "django.conf",
        "django.forms",
        "django.apps",
        "django.dispatch",
        "django.template",
        "django.core",
        "django.http",
        "django.contrib.admin",
        "django.contrib.messages",
        "django.contrib.contenttypes",
        "django.contrib.sites",
        "django.contrib.postgres",
        "django.contrib.auth.models",
        "django.contrib.auth.get_user_model",
        "django.urls.reverse",
        "django.urls.reverse_lazy",
        "rest_framework.serializers",
        "rest_framework.status",
        "rest_framework.exceptions",
        "rest_framework.permissions",
        "rest_framework.fields",
        "rest_framework.response",
        "rest_framework.pagination",
        "rest_framework.authentication",
        "rest_framework.settings",
        "rest_framework.reverse",
        # Web framework helpers that neither declare routes nor make requests.
        "flask.url_for",
        "flask.jsonify",
        "flask.abort",
        "flask.redirect",
        "flask.render_template",
        "flask.make_response",
        "flask.flash",
        "flask.g",
        "flask.session",
        "flask.Response",
        "flask.send_file",
        "flask.json",
        "fastapi.HTTPException",
        "fastapi.Depends",
        "fastapi.status",
        "fastapi.responses",
        "fastapi.exceptions",
        "fastapi.Query",
        "fastapi.Path",
        "fastapi.Header",
        "fastapi.Security",
        "fastapi.security",
        "fastapi.encoders",
        "fastapi.Response",
        "starlette.responses",
        "starlette.status",
        "starlette.exceptions",
        "starlette.middleware",
        "starlette.types",
        "starlette.background",
        "starlette.concurrency",
    }
)

# Followed by an attribute chain: `requests . adapters . HTTPAdapter`, over line breaks inside
# brackets. A chain cut short (a comment in it) names less, which only keeps a file.
_CHAIN = (
    rb"((?:[ \t]*(?:\\\r?\n|\r?\n)?[ \t]*\.[ \t]*(?:\\\r?\n|\r?\n)?[ \t]*[A-Za-z_][A-Za-z_0-9]*)*)"
)
_DOTS_OR_SPACE = re.compile(rb"[\s\\]+")
_METHOD_LITERAL = re.compile(
    rb"""(?i)['"](?:"""
    + b"|".join(re.escape(m.encode()) for m in sorted(REGISTRY, key=len, reverse=True))
    + rb""")['"]"""
)

ROOTS = frozenset({*HTTP_MODULES, *RETRY_MODULES, *FRAMEWORK_MODULES})


def unproductive(qualname: str) -> bool:
    """True when no fact can come from a use of `qualname` (or of an attribute of it)."""
    name = canonical(qualname)
    while True:
        if name in UNPRODUCTIVE:
            return True
        cut = name.rfind(".")
        if cut < 0:
            return False
        name = name[:cut]


@runtime_checkable
class IndexNames(Protocol):
    """The modules of a project run's index, as the screen asks about them."""

    def has_module(self, name: str) -> bool:
        """`name` is a module of the index."""
        ...

    def has_prefix(self, name: str) -> bool:
        """`name` is a module of the index or a package above one."""
        ...


class _Names:
    def __init__(self, modules: Collection[str]) -> None:
        self.modules = frozenset(modules)
        self.prefixes = _prefixes(self.modules)

    def has_module(self, name: str) -> bool:
        return name in self.modules

    def has_prefix(self, name: str) -> bool:
        return name in self.prefixes


def may_have_facts(
    source: str,
    modules: Collection[str] = (),
    project: Collection[str] | IndexNames | None = None,
    module: str | None = None,
    package: bool = False,
    tree: ast.Module | None = None,
) -> bool:
    """False only when `source` cannot produce a fact (nor, in a project run, a summary).

    `modules`: configured modules beyond the built-in HTTP, retry and framework ones (never
    screened by name). `project`: in a project run, the modules of the index this module
    sees (those whose summaries offer something), or what answers for them (`IndexNames`),
    with `module` and `package` to resolve its relative imports; None in a single-file run.
    `tree`: CPython's tree of `source`, when the caller has it.
    """
    if tree is None:
        tree = parse(source)
        if tree is None:
            return True
    data = source.encode("utf-8", "surrogatepass")
    # Asked last, when nothing else keeps the file: whether a method name it writes can be
    # a constant other modules use.
    constant = project is not None and _METHOD_LITERAL.search(data) is not None
    configured = frozenset(m.split(".")[0] for m in modules)
    roots = ROOTS | configured
    bound: dict[str, str | None] = {}  # local name -> qualified name (None: never screened)
    spans: list[tuple[int, int, int, int]] = []
    index: IndexNames | None = None
    if project is not None:
        index = project if isinstance(project, IndexNames) else _Names(project)
    # Imports of what may be modules of the index: asked about last, when nothing else keeps
    # the file, so that a module kept by its own uses asks the index nothing (a project run
    # checks a module of an import cycle again only when an answer it got changes).
    imported: list[ast.alias] = []
    imported_from: list[tuple[str, list[ast.alias]]] = []
    for statement in _imports(tree):
        spans.append(
            (
                statement.lineno,
                statement.col_offset,
                statement.end_lineno or statement.lineno,
                statement.end_col_offset or 0,
            )
        )
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                top = alias.name.split(".")[0]
                imported.append(alias)
                if top not in roots:
                    continue
                local = alias.asname or top
                bound[local] = None if top in configured else (alias.name if alias.asname else top)
            continue
        source_module = statement.module or ""
        if statement.level:
            if index is None:
                continue
            absolute = _absolute(statement.level, source_module, module, package)
            if absolute is None:
                return True  # cannot tell which module: it may be the index's
            imported_from.append((absolute, statement.names))
            continue
        imported_from.append((source_module, statement.names))
        top = source_module.split(".")[0]
        if top not in roots:
            continue
        for alias in statement.names:
            if alias.name == "*":
                return True
            local = alias.asname or alias.name
            bound[local] = None if top in configured else f"{source_module}.{alias.name}"
    if bound and _uses_bound(bound, data, spans):
        return True
    if project is not None and _calls_a_parameter(tree, data):
        return True
    if index is not None and (
        any(_imports_index(alias, index) for alias in imported)
        or any(_from_index(name, aliases, index) for name, aliases in imported_from)
    ):
        return True
    return constant and _names_a_method(tree)


def _uses_bound(
    bound: dict[str, str | None], data: bytes, spans: list[tuple[int, int, int, int]]
) -> bool:
    """A name bound by an import of an HTTP, retry or framework module is used, outside the
    import statements, as something other than an unproductive name."""
    text = _without(data, spans)
    names = b"|".join(re.escape(name.encode()) for name in sorted(bound, key=len, reverse=True))
    pattern = re.compile(rb"(?<![A-Za-z_0-9.])(" + names + rb")(?![A-Za-z_0-9])" + _CHAIN)
    for match in pattern.finditer(text):
        used = bound[match.group(1).decode()]
        if used is None:
            return True
        chain = _DOTS_OR_SPACE.sub(b"", match.group(2)).decode()
        if not unproductive(used + chain):
            return True
    return False


def parse(source: str) -> ast.Module | None:
    """CPython's tree of `source`, None when it does not parse. Warnings about the code
    (invalid escape sequences) are not methodlint's to print."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _calls_a_parameter(tree: ast.Module, data: bytes) -> bool:
    """A function calls one of its parameters (or of an enclosing function's) inside a loop of
    its own: it may be a retry decorator, a decorator factory or a retry helper that another
    module uses, whose summary offers what it retries on even when its only use of an HTTP
    module is an `except requests.RequestException:`. The analysis takes a function for one
    only when the call is in the body of a `for` or `while` loop of the same function (or
    of a function it is in, through lambdas): a callback called once (`on_done(result)`)
    makes no summary. Any loop counts here, comprehensions too, and any part of it.

    Walking the whole tree in Python costs about 2 ms a module; most modules are answered
    first from their bytes: without a lambda, a parameter called is one of the names the
    function definitions bind, followed by `(` (across spaces, line breaks and comments)."""
    if b"lambda" not in data:
        names = _parameters(tree.body, set())
        if not names:
            return False
        called = re.compile(
            rb"(?<![A-Za-z0-9_.])(?:"
            + b"|".join(re.escape(name.encode()) for name in sorted(names))
            + rb")(?:\s|\\|#[^\n]*)*\("
        )
        if called.search(data) is None:
            return False
    # (node, the parameters in scope, inside a loop of the function the node is in)
    pending: list[tuple[ast.AST, frozenset[str], bool]] = [(tree, frozenset(), False)]
    while pending:
        node, parameters, looping = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner = parameters | _arguments(node.args)
            if isinstance(node, ast.Lambda):  # its body is part of the enclosing function's
                pending.append((node.body, inner, looping))
                pending.extend((child, parameters, looping) for child in _outside(node))
                continue
            # The decorators and defaults run in the enclosing function; the body on its own.
            pending.extend((statement, inner, False) for statement in node.body)
            pending.extend((child, parameters, looping) for child in _outside(node))
            continue
        if isinstance(node, _LOOPS):
            looping = True
        elif (
            looping
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in parameters
        ):
            return True
        pending.extend((child, parameters, looping) for child in ast.iter_child_nodes(node))
    return False


_LOOPS = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _outside(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
    """What of a function's definition runs where it is defined: decorators, defaults and
    annotations."""
    body = {id(part) for part in (node.body if isinstance(node.body, list) else [node.body])}
    return [child for child in ast.iter_child_nodes(node) if id(child) not in body]


def _arguments(arguments: ast.arguments) -> frozenset[str]:
    """The names a function's parameters bind."""
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return frozenset(a.arg for a in every)


def _parameters(body: list[ast.stmt], into: set[str]) -> set[str]:
    """The parameter names of the functions defined in `body`, at any depth of statements."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            into.update(_arguments(statement.args))
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                _parameters(inner, into)
        for part in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
            _parameters(part.body, into)
    return into


def _names_a_method(tree: ast.Module) -> bool:
    """A string of the file that is an HTTP method name may be held by a name or an
    attribute: a module constant, a class constant or enum member, `self.method = "POST"`.

    In a file that makes no request and imports nothing of the index (the screen's other
    questions), no other use of one can make a fact or a summary, and these uses cannot
    make one a value at all: an argument of a call (what a call returns is never a string to
    the engine), an operand of a comparison, a key or value of a dict display, a subscript.
    Everything inside them counts as there, except an assignment expression (`:=`)."""
    pending: list[tuple[ast.AST, bool]] = [(tree, False)]
    while pending:
        node, inert = pending.pop()
        if isinstance(node, ast.NamedExpr):
            inert = False
        elif (
            not inert
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.upper() in REGISTRY
        ):
            return True
        if isinstance(node, ast.Call):
            pending.append((node.func, inert))
            pending.extend((arg, True) for arg in node.args)
            pending.extend((keyword.value, True) for keyword in node.keywords)
        elif isinstance(node, ast.Compare):
            pending.append((node.left, True))
            pending.extend((comparator, True) for comparator in node.comparators)
        elif isinstance(node, ast.Dict):
            pending.extend((key, True) for key in node.keys if key is not None)
            pending.extend((value, True) for value in node.values)
        elif isinstance(node, ast.Subscript):
            pending.extend(((node.value, inert), (node.slice, True)))
        else:
            pending.extend((child, inert) for child in ast.iter_child_nodes(node))
    return False


def _imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth: statements only hold statements in these
    fields, so expressions are never visited."""
    pending: list[list[ast.stmt]] = [tree.body]
    while pending:
        for statement in pending.pop():
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                yield statement
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(statement, name, None)
                if inner:
                    pending.append(inner)
            for part in getattr(statement, "handlers", ()) or getattr(statement, "cases", ()):
                pending.append(part.body)


def _without(data: bytes, spans: list[tuple[int, int, int, int]]) -> bytes:
    """`data` with the given (line, column, end line, end column) ranges blanked: the names
    an import statement binds are not uses of them. Columns are UTF-8 byte offsets, as
    CPython's parser gives them."""
    if not spans:
        return data
    starts = [0]
    for match in re.finditer(rb"\r\n|\r|\n", data):
        starts.append(match.end())
    buffer = bytearray(data)
    for line, column, end_line, end_column in spans:
        if line - 1 >= len(starts) or end_line - 1 >= len(starts):
            continue
        begin = starts[line - 1] + column
        end = starts[end_line - 1] + end_column
        for index in range(begin, end):
            if buffer[index] not in (10, 13):
                buffer[index] = 32
    return bytes(buffer)


def _prefixes(modules: Collection[str]) -> frozenset[str]:
    return frozenset(m.rsplit(".", i)[0] for m in modules for i in range(m.count(".") + 1))


def _imports_index(alias: ast.alias, index: IndexNames) -> bool:
    """`import a.b` binds `a`, through which every module under it is reached; `import a.b
    as c` reaches what is under `a.b`."""
    if alias.asname is None:
        return index.has_prefix(alias.name.split(".")[0])
    name = alias.name
    return index.has_prefix(name) or any(
        index.has_module(name.rsplit(".", i)[0]) for i in range(name.count("."))
    )


def _from_index(module: str, aliases: list[ast.alias], index: IndexNames) -> bool:
    """`from a import n`: a name of a module of the index, or a module at or above one."""
    return index.has_module(module) or any(index.has_prefix(f"{module}.{a.name}") for a in aliases)


def _absolute(level: int, name: str, module: str | None, package: bool) -> str | None:
    if module is None:
        return None
    parts = module.split(".")
    if not package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, name] if name else base) or None


__all__ = ["ROOTS", "UNPRODUCTIVE", "may_have_facts", "parse", "unproductive"]
