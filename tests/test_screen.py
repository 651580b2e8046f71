"""The screen before LibCST (`methodlint.screen`): which files it proves fact-free, that it
never loses a fact or a syntax error, and that positions computed from CPython's tree are
today's (the fixtures through `tests/tools/facts.py`)."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from methodlint import Config, lint_source
from methodlint.diagnostics import Span
from methodlint.engine import EngineSettings, FileLinter
from methodlint.screen import may_have_facts, unproductive

ROOT = Path(__file__).resolve().parent.parent


def parsed(source: str, config: Config | None = None) -> tuple[list[str], bool]:
    """The codes found in `source`, and whether LibCST parsed it."""
    linter = FileLinter(EngineSettings.from_config(config or Config()))
    found = linter.lint_bytes(source.encode(), "a.py")
    return [d.code for d in found], linter.parse_seconds > 0


@pytest.mark.parametrize(
    "source",
    [
        "import requests\ntry:\n    f()\nexcept requests.exceptions.HTTPError:\n    pass\n",
        "from urllib.parse import urljoin, quote\nx = urljoin(a, quote(b))\n",
        "import urllib.parse\nx = urllib.parse.quote(b)\n",
        "from django.db import models\nclass A(models.Model):\n    n = models.CharField()\n",
        "import requests\ndef f(r: requests.Response) -> None:\n    r.raise_for_status()\n",
        "from requests import HTTPError\nraise HTTPError('x')\n",
        "import requests  # re-exported, never used\n",
        "from flask import url_for\nlink = url_for('index')\n",
        "from http import HTTPStatus\nOK = HTTPStatus.OK\n",
    ],
)
def test_files_that_use_http_modules_for_nothing_that_makes_a_fact_are_not_parsed(
    source: str,
) -> None:
    assert not may_have_facts(source)
    assert parsed(source) == ([], False)


@pytest.mark.parametrize(
    "source",
    [
        "import requests\nrequests.get(u, json=q)\n",
        "import requests as rq\nrq.api.post(u)\n",
        "from requests import *\nget(u, json=q)\n",
        "import requests\ndef f(s: 'requests.Session') -> None:\n    s.get(u, json=q)\n",
        "from typing import Optional\nimport httpx\n"
        "def f(c: Optional[httpx.Client]):\n    c.get(u)\n",
        "import requests\nsend = requests.post\n",
        "import requests\nx = (\n    requests\n    .Session()\n)\n",
        "from requests.adapters import HTTPAdapter\nHTTPAdapter(max_retries=3)\n",
        "from django.test import TestCase\nclass T(TestCase):\n    pass\n",
        "import urllib.request\nurllib.request.urlopen(u, b'x')\n",
        "import http\nM = http.HTTPMethod.POST\n",
    ],
)
def test_files_that_may_make_a_fact_are_kept(source: str) -> None:
    assert may_have_facts(source)


def test_a_kept_file_still_has_its_findings_and_a_screened_one_none() -> None:
    kept = "import requests\nrequests.get(u, json=q)\n"
    screened = "import requests\ntry:\n    f()\nexcept requests.RequestException:\n    pass\n"

    assert parsed(kept) == (["ML101"], True)
    assert parsed(screened) == ([], False)


def test_a_configured_module_is_never_screened_by_name() -> None:
    config = Config(http_modules=(("corphttp", "requests"),))
    source = "import corphttp\ntry:\n    f()\nexcept corphttp.exceptions.HTTPError:\n    pass\n"

    assert may_have_facts(source, modules=("corphttp",))
    assert parsed(source, config)[1]


def test_a_syntax_error_is_still_reported() -> None:
    source = "import requests\nrequests.exceptions.X(\n"

    codes, _ = parsed(source)

    assert codes == ["ML001"]


def test_unused_suppressions_are_still_reported_in_a_screened_file() -> None:
    source = "import requests\nx = requests.codes.ok  # noqa: ML101\n"

    assert not may_have_facts(source)
    assert [d.code for d in lint_source(source, "a.py", Config(extend_select=("ML901",)))] == [
        "ML901"
    ]


def test_the_screen_does_not_print_warnings_about_the_code(
    capfd: pytest.CaptureFixture[str],
) -> None:
    source = (
        "import requests\nPATTERN = '\\d+'\ntry:\n    f()\nexcept requests.HTTPError:\n    pass\n"
    )

    assert parsed(source) == ([], False)
    assert capfd.readouterr().err == ""


def test_a_project_run_keeps_imports_of_the_index_and_method_names() -> None:
    plain = "import requests\nfrom .util import helper\n"
    plain += "try:\n    helper()\nexcept requests.HTTPError:\n    pass\n"
    index = {"pkg.util"}

    assert not may_have_facts(plain)
    assert not may_have_facts(plain, project={"pkg.other"}, module="pkg.mod")
    assert may_have_facts(plain, project=index, module="pkg.mod")
    assert may_have_facts(plain, project=index, module="pkg", package=True)
    assert not may_have_facts(plain, project=index, module="pkg.sub", package=True)
    assert may_have_facts(plain.replace(".util", "pkg.util"), project=index, module="pkg.mod")
    assert may_have_facts("import pkg.other\n", project=index, module="x")
    decorator = (
        "import requests\ndef retry(func):\n    def wrapper():\n        while True:\n"
        "            try:\n                return func()\n"
        "            except requests.RequestException:\n                pass\n"
        "    return wrapper\n"
    )
    assert not may_have_facts(decorator)
    assert may_have_facts(decorator, project=set(), module="pkg.retrying")
    constant = "import requests\nMETHOD = 'post'\n"
    assert not may_have_facts(constant)
    assert may_have_facts(constant, project=set(), module="pkg.mod")


@pytest.mark.parametrize(
    "code",
    [
        "METHOD = 'post'",
        "METHOD: str = 'POST'",
        "METHOD = 'GET' if fast else 'POST'",
        "METHOD = ('post').upper()",
        "METHOD = os.environ.get('M') or 'PUT'",
        "class Verb:\n    READ = 'GET'",
        "class Client:\n    def __init__(self):\n        self.method = 'PATCH'",
        "def f():\n    verb = 'DELETE'\n    return verb",
        "log((verb := 'POST'))",
        "METHOD = f'GET'",
        "for verb in ('GET', 'HEAD'):\n    log(verb)",
        "VERBS = ['GET', 'HEAD']",
    ],
)
def test_a_project_run_keeps_a_method_name_a_name_or_attribute_may_hold(code: str) -> None:
    source = f"import os\nimport urllib.parse\n\n{code}\n"
    assert not may_have_facts(source)
    assert may_have_facts(source, project=set(), module="pkg.mod")


@pytest.mark.parametrize(
    "code",
    [
        "requester.request_json('POST', urllib.parse.quote(name))",
        "requester.request_json(verb='PATCH', url=u)",
        "result = requester.call('GET', items=['HEAD', 'get'])",
        "if verb == 'GET' or verb in ('HEAD', 'OPTIONS'):\n    pass",
        "ROUTES = {'GET': read, 'search': find}",
        "handler = ROUTES['GET']",
        "log(f'GET')",
        "def f(r):\n    return r.send('PUT', lambda: 'DELETE')",
        '"""Sends a \'POST\' request."""  # "GET"',
    ],
)
def test_a_project_run_drops_a_method_name_only_passed_or_compared(code: str) -> None:
    source = f"import os\nimport urllib.parse\n\n{code}\n"
    assert not may_have_facts(source, project=set(), module="pkg.mod")
    # It still keeps the file for the reasons it always had.
    assert may_have_facts(source + "from .util import x\n", project={"pkg.util"}, module="pkg.m")
    assert may_have_facts(source + "import requests\nrequests.post(u)\n", project=set())


# -- no name the engine follows is taken for an unproductive one -------------------------------

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)+$")


def _known_names() -> set[str]:
    """Every dotted name written as a string in the engine and the rules, and the keys of
    the library tables."""
    from methodlint import libraries

    found: set[str] = set()
    for folder in ("linter", "rules"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "screen.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and _DOTTED.match(text):
                    found.add(text)
    for table in (
        libraries.FUNCTIONS,
        libraries.CLIENT_TYPES,
        libraries.TEST_CASE_CLIENTS,
        libraries.CONSTRUCTORS,
    ):
        found.update(table)
    found.update(libraries.FRAMEWORK_TYPES)
    found.update(owner for owner, _ in libraries.FRAMEWORK_ATTRIBUTES)
    found.update(owner for owner, _ in libraries.CLIENT_METHOD_RESULTS)
    return found


# Names the engine reads only inside a request that something else makes: `urljoin` in the
# URL of a call (the call's own name keeps the file).
_ONLY_INSIDE_A_REQUEST = {"urllib.parse"}


@pytest.mark.parametrize(
    ("code", "calls"),
    [
        ("def retry(f):\n    for _ in range(3):\n        return f(\n            1)\n", True),
        (
            "def deco(fn):\n    def inner(*a):\n        while True:\n"
            "            return (fn  # c\n                (*a))\n",
            True,
        ),
        (
            "class A:\n    @classmethod\n    def make(cls):\n        for _ in ():\n"
            "            return cls \\\n()\n",
            True,
        ),
        ("h = lambda g: [g() for _ in range(3)]\n", True),
        ("for x in y:\n    h = lambda g: g()\n", True),
        # Called once, not again after a failure: a callback, not a retry.
        ("def retry(f):\n    return f(\n        1)\n", False),
        ("h = lambda g: g()\n", False),
        # The loop is the enclosing function's; the call is in a function of its own.
        (
            "def outer(f):\n    for _ in range(3):\n        def inner():\n            return f()\n",
            False,
        ),
        ("def f(x):\n    return self.x(1)\n", False),
        ("def f(x):\n    return x\n\nx(1)\n", False),
        ("def f(x):\n    return 'x(1)'\n", False),
        ("print(1)\n", False),
    ],
)
def test_a_module_that_calls_a_parameter_is_told_apart(code: str, calls: bool) -> None:
    """The project screen keeps a module whose function calls one of its parameters in a loop
    (a retry decorator or helper); its bytes answer first, the tree where they cannot."""
    from methodlint.screen import _calls_a_parameter

    tree = ast.parse(code)
    assert _calls_a_parameter(tree, code.encode()) is calls


def test_no_name_the_engine_knows_is_unproductive() -> None:
    known = _known_names() - _ONLY_INSIDE_A_REQUEST

    assert "requests.Session" in known and "urllib.request.urlopen" in known
    assert [name for name in sorted(known) if unproductive(name)] == []


# -- the facts of every fixture, with and without the shortcuts ---------------------------------


def _tool(name: str) -> ModuleType:
    """A script of tests/tools, loaded as a module."""
    spec = importlib.util.spec_from_file_location(f"{name}_tool", ROOT / f"tests/tools/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_tool"] = module
    spec.loader.exec_module(module)
    return module


def test_the_facts_of_every_fixture_are_unchanged() -> None:
    tool = _tool("facts")
    files = tool.python_files([ROOT / "fixtures"])
    results = [tool.compare(path) for path in files]

    assert sum(r["prefiltered"] for r in results) > 50
    assert sum(r["facts"] for r in results) > 50
    assert [(r["path"], r["differences"]) for r in results if r["differences"]] == []
    assert [r.get("error") for r in results if r.get("error")] == []


# -- positions from CPython's tree ------------------------------------------------------------

_LAYOUTS = [
    "# header\n\nimport requests\n\n# lead\nx = 1; y = requests.get(u)\n",
    "class A:\n    # c\n\n    @d\n    # between\n    @e(1)\n    def f(self):\n"
    "        return requests.post(u, json={'a': [1,\n  2]})\n"
    "    if x:\n        pass\n    elif y:\n        z = 3\n    else:  # e\n        w = 4\n"
    "        # footer\n# after\n",
    "match m:\n    case 'a':\n        f(1)\n    case _:\n        if x: g(2); h()\n",
    "def f():\n\tfor i in r:\n\t\ttry:\n\t\t\tg('é', \\\n\t\t\t  i)\n\t\texcept E:\n"
    "\t\t\tpass\n\t\tfinally:\n\t\t\th()\n\telse:\n\t\tk()\n",
    "with a as b, c:\n    while d:\n        e = f'{g(1)}' \\\n            'x'\n",
    "x = 1\r\nif x:\r\n    y = (\r\n        2)\r\n",
    # Compound statements' spans come from CPython's tree and LibCST's footers: a statement
    # continued by a backslash onto an empty line, comment lines kept by nested blocks, a
    # decorated async function, a file without a final newline.
    "if x:\n    os.unlink(p) \\\n\n# next\ny = 1\n",
    "for a in b:\n    while c:\n        try:\n            d()\n        finally:\n            e()\n"
    "            # deepest\n\n        # middle\n    # outer\n# top\nz = 2\n",
    "@retry(3)\nasync def f():\n    async with s.get(u) as r:\n        return r  # done\n"
    "    # tail",
]


@pytest.mark.parametrize("source", _LAYOUTS)
def test_positions_from_cpythons_tree_are_those_of_the_whole_module(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import libcst as cst

    from methodlint.analysis import positions
    from methodlint.analysis.positions import _by_statement, compute_spans
    from methodlint.analysis.walk import children

    module = cst.parse_module(source)
    every = []
    stack: list[cst.CSTNode] = [*module.body]
    while stack:
        node = stack.pop()
        every.append(node)
        stack.extend(children(node))
    tree = ast.parse(source)

    assert _by_statement(module, every, tree) is not None
    assert compute_spans(module, every, tree, source) == compute_spans(module, every)
    # As the analysis asks: statements and expressions, no block or clause of a statement;
    # compound statements' spans are then read off the trees, not generated.
    elifs = {id(n.orelse) for n in every if isinstance(n, cst.If) and isinstance(n.orelse, cst.If)}
    parts = (cst.BaseSuite, cst.Else, cst.Finally, cst.ExceptHandler, cst.MatchCase)
    asked = [n for n in every if not isinstance(n, parts) and id(n) not in elifs]
    read: list[cst.CSTNode] = []
    real = positions._compound_span

    def counted(statement: positions._Statement, lines: positions._Lines) -> Span | None:
        read.append(statement.node)
        return real(statement, lines)

    monkeypatch.setattr(positions, "_compound_span", counted)
    assert compute_spans(module, asked, tree, source) == compute_spans(module, asked)
    compound = (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.FunctionDef, cst.ClassDef)
    assert len(read) == sum(1 for n in asked if isinstance(n, compound) and id(n) not in elifs)


# Expressions, arguments, parameters, decorators and defined names, whose spans are read off
# CPython's tree (`analysis.python_spans`) where the two trees pair up, and generated where
# they do not (a parenthesised tuple or argument, a lambda, an f-string's inside).
_EXPRESSIONS = [
    "r = requests.post(f'{BASE}/x', json={'a': [1, *rest], **extra}, *args, headers=h, **kw)\n",
    "@ app.get('/é/{id}')\n@other\nasync  def  read_é(id: int, q: str | None = None, *a,\n"
    "        flag: bool = Form(...), **rest) -> dict[str, int]:\n"
    "    return {k: v for k, v in q.items() if v}\n",
    "class  Client(Base, metaclass=M):\n    x: int = a[1:2, ::3]\n    y = b[i][-1]\n",
    "with httpx.Client() as c, open(p) as f:\n    c.delete(u, data=b'x' if a else None)\n",
    "for k, v in zip(a, b):\n    assert s.put(u, data=v) is not None, 'msg'\n",
    "async def f():\n    x = await client.send(req) or (lambda: 1)()\n"
    "    y += [i async for i in g() if i and not j]\n    del z\n",
    "s.get('é' 'x', params=(a, b), timeout=-1.5, verify=not x)\nraise E(s) from None\n",
    "requests.post((url), data=(x for x in y), files={**a})  # parenthesised, a generator\n",
    "t = 1, 2\nu = (v := requests.get(u)).json()['é']\nprint(f'{requests.head(u)}')\n",
]


def _expression_like(module: object) -> list[object]:
    import libcst as cst

    from methodlint.analysis.walk import children

    kinds = (cst.BaseExpression, cst.Arg, cst.Param, cst.Decorator)
    found = []
    stack = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, kinds):
            found.append(node)
        stack.extend(children(node))  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("source", _EXPRESSIONS)
def test_spans_read_off_cpythons_tree_are_those_generated(source: str) -> None:
    import libcst as cst

    from methodlint.analysis.positions import compute_spans

    module = cst.parse_module(source)
    asked = _expression_like(module)

    spans = compute_spans(module, asked, ast.parse(source), source)  # type: ignore[arg-type]

    assert len(spans) == len(asked) > 5
    assert spans == compute_spans(module, asked)  # type: ignore[arg-type]


def test_the_spans_of_http_dense_code_are_read_off_cpythons_tree(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from methodlint.analysis import positions

    dense = _tool("dense")
    dense.write_tree(tmp_path, 10)  # SDK clients, FastAPI and Flask routes, retry loops

    generated: list[object] = []
    real = positions._statement_spans

    def counted(*args: object) -> object:
        generated.append(args[1])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(positions, "_statement_spans", counted)

    found = [lint_source(path.read_text(), str(path), Config()) for path in tmp_path.rglob("*.py")]

    assert sum(map(len, found)) > 10  # the requests, routes and retry loops have facts
    assert generated == []


def test_the_analysis_leaves_no_cycle_that_holds_the_tree(tmp_path: Path) -> None:
    """The module's tree is freed when the analysis returns, not by a later collection of
    the garbage collector, which would walk all of it again."""
    import gc

    import libcst as cst

    from methodlint.analysis.pipeline import analyse

    dense = _tool("dense")
    dense.write_tree(tmp_path, 10)
    paths = [*tmp_path.rglob("*.py"), *(ROOT / "fixtures" / "rules").glob("*.py")]
    held: dict[str, int] = {}
    for path in paths:
        try:
            source = path.read_text()
            module, tree = cst.parse_module(source), ast.parse(source)
        except (UnicodeDecodeError, SyntaxError, cst.ParserSyntaxError):
            continue
        gc.collect()
        gc.disable()
        try:
            facts, summary = analyse(module, str(path), {}, (), None, tree, source)
            del module, facts, summary
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            nodes = sum(isinstance(o, cst.CSTNode) for o in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        if nodes:
            held[path.name] = nodes

    assert len(paths) > 20
    assert held == {}


def test_a_large_module_parses_its_cpython_tree_again_for_positions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from methodlint import engine

    filler = "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n" for i in range(3000))
    source = (
        "import requests\n\n"
        + filler
        + "for attempt in range(3):\n"
        + "    try:\n"
        + "        requests.post(URL, json={'order': 1}, timeout=5)\n"
        + "        break\n"
        + "    except requests.ConnectionError:\n"
        + "        pass\n"
    )
    assert len(source) > engine.LARGE_SOURCE
    parses: list[int] = []
    real = engine.screen.parse

    def counted(text: str) -> ast.Module | None:
        parses.append(len(text))
        return real(text)

    monkeypatch.setattr(engine.screen, "parse", counted)
    dropped = lint_source(source, "a.py", Config())
    monkeypatch.setattr(engine, "LARGE_SOURCE", len(source) + 1)
    kept = lint_source(source, "a.py", Config())

    assert [(d.code, d.line, d.column) for d in dropped] == [("ML201", 9005, 9)]
    assert dropped == kept
    assert len(parses) == 3  # the screen's twice, and once more for the positions


def test_a_file_is_tokenized_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import tokenize

    calls: list[int] = []
    real = tokenize.generate_tokens

    def counted(readline):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(readline)

    monkeypatch.setattr(tokenize, "generate_tokens", counted)
    source = (
        "import requests\n"
        "requests.get(u, json=q)  # noqa: ML101\n"
        "requests.head(u, data=q)  # methodlint: ignore[ML101]\n"
    )

    found = lint_source(source, "a.py", Config(extend_select=("ML901",)))

    assert [(d.code, d.line) for d in found] == [("ML102", 3), ("ML901", 3)]
    assert len(calls) == 1
