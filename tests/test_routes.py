"""Server routes: the routes methodlint finds in a fixture app per framework (framework and
methods, from `# route:` comments on the handlers' lines), and the findings of the route rules
and test clients there (`# expect:` comments)."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

from methodlint import Config, lint_source
from methodlint.analysis import file_facts
from methodlint.facts import Route

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "routes"
# `# route: flask GET,HEAD`; `-` for a route whose methods cannot be told.
ROUTE = re.compile(r"#\s*route:\s*(?P<framework>[a-z_]+)\s+(?P<methods>[A-Za-z,]+|-)")
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")
APPS = sorted(FIXTURES.glob("*.py"))


def _routes(source: str) -> list[Route]:
    return list(file_facts(cst.parse_module(source), "app.py").routes)


def _lines(source: str, pattern: re.Pattern[str]) -> dict[int, re.Match[str]]:
    return {
        number: match
        for number, line in enumerate(source.splitlines(), start=1)
        if (match := pattern.search(line))
    }


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.stem)
def test_routes_per_handler(path: Path) -> None:
    source = path.read_text()
    expected = {
        line: (m.group("framework"), frozenset(m.group("methods").split(",")) - {"-"})
        for line, m in _lines(source, ROUTE).items()
    }
    assert expected, f"{path.name} declares no route"
    found = {r.span.line: (r.framework, r.methods) for r in _routes(source)}
    assert found == expected


@pytest.mark.parametrize("path", APPS, ids=lambda p: p.stem)
def test_findings(path: Path) -> None:
    source = path.read_text()
    expected = {
        (line, code.strip())
        for line, m in _lines(source, EXPECT).items()
        for code in m.group("codes").split(",")
    }
    config = Config(select=("ML1", "ML4", "ML5"), preview=True)
    found = {(d.line, d.code) for d in lint_source(source, path.name, config)}
    assert found == expected


def test_route_rules_are_preview() -> None:
    source = (FIXTURES / "flask.py").read_text()
    assert not [d for d in lint_source(source, "app.py", Config()) if d.code.startswith("ML5")]


def _one(source: str) -> Route:
    routes = _routes(source)
    assert len(routes) == 1, routes
    return routes[0]


def test_route_facts() -> None:
    route = _one(
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.route('/notes/<int:i>', methods=['GET', 'POST'])\n"
        "def note(i):\n    return request.form['t']\n"
    )
    assert route.framework == "flask"
    assert route.path == "/notes/<int:i>"
    assert route.methods == {"GET", "HEAD", "POST"}
    assert not route.default_methods and not route.safe_only
    assert route.handler == "note"
    assert [r.what for r in route.body_reads] == ["request.form"]
    assert [t.value for t in route.method_tokens] == ["GET", "POST"]
    assert {t.role for t in route.method_tokens} == {"route"}


def test_registration_in_an_app_factory() -> None:
    route = _one(
        "from aiohttp import web\n"
        "async def notes(request):\n    return await request.json()\n"
        "def make_app():\n    app = web.Application()\n"
        "    app.router.add_get('/notes', notes)\n    return app\n"
    )
    assert (route.framework, route.path, route.methods) == ("aiohttp", "/notes", {"GET", "HEAD"})
    assert [r.what for r in route.body_reads] == ["request.json()"]


def test_no_framework_import_no_routes() -> None:
    assert _routes("import requests\n@app.route('/x')\ndef x():\n    return request.form\n") == []


def test_django_view_without_method_decorator_is_no_route() -> None:
    assert _routes("from django.http import HttpResponse\ndef v(request):\n    return 1\n") == []


def test_fix_upper_cases_require_http_methods() -> None:
    from methodlint.fix import apply_fixes

    source = (
        "from django.views.decorators.http import require_http_methods\n"
        "@require_http_methods(['get', 'POST'])\ndef v(request):\n    return 1\n"
    )
    found = lint_source(source, "views.py", Config(select=("ML402",)))
    fixed, count = apply_fixes(source, [d.fix for d in found if d.fix is not None])
    assert count == 1
    assert "require_http_methods(['GET', 'POST'])" in fixed
