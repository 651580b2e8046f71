"""The engine's facts against annotated fixtures: every call form resolves, look-alikes don't.

Each file of `fixtures/calls/` annotates the line where each HTTP request is sent (or built,
when it is never sent in the file) with `# call: LIBRARY METHOD`, several separated by `;`.
METHOD is a method, `A|B` for a set, or `?` when the method is only known at run time.
Every other line must have no HTTP call: that is how look-alikes are checked. A file may
configure `http-modules` with a first-line comment `# http-modules: alias=library`.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

from methodlint.analysis import build_facts

CALLS = Path(__file__).resolve().parent.parent / "fixtures" / "calls"
ANNOTATION = re.compile(r"#\s*call:\s*(?P<items>[^#]+)")
HTTP_MODULES = re.compile(r"#\s*http-modules:\s*(?P<pairs>.+)")

Expected = set[tuple[int, str, str]]


def annotations(source: str) -> Expected:
    expected: Expected = set()
    for number, line in enumerate(source.splitlines(), start=1):
        match = ANNOTATION.search(line)
        if not match:
            continue
        for item in match.group("items").split(";"):
            library, method = item.split()
            expected.add((number, library, "|".join(sorted(method.split("|")))))
    return expected


def facts(source: str) -> Expected:
    match = HTTP_MODULES.search(source.splitlines()[0]) if source else None
    modules = {}
    if match:
        modules = dict(pair.split("=") for pair in match.group("pairs").split(","))
    calls, _ = build_facts(cst.parse_module(source), modules)
    found: Expected = set()
    for call in calls:
        site = call.send_site or call.build_site
        method = "|".join(sorted(call.methods)) if call.methods else "?"
        found.add((site.line, call.library, method))
    return found


FILES = sorted(CALLS.glob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_calls_resolve_as_annotated(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    expected = annotations(source)
    found = facts(source)
    assert sorted(found - expected) == [], "calls found that are not annotated"
    assert sorted(expected - found) == [], "annotated calls not found"


def test_there_are_call_fixtures() -> None:
    assert len(FILES) >= 10


# -- headers of requests built or assembled over several calls ----------------------------


def headers_of(source: str) -> list[tuple[int, bool, list[str]]]:
    calls, _ = build_facts(cst.parse_module(source))
    return [
        ((c.send_site or c.build_site).line, c.headers.known, [h.name for h in c.headers.items])
        for c in calls
    ]


URLLIB = "from urllib.request import Request, urlopen\n"


def test_add_header_calls_in_the_same_function_are_headers_of_the_request() -> None:
    source = URLLIB + (
        "def f(body):\n"
        "    req = Request('https://x', data=body, method='PUT')\n"
        "    req.add_header('Content-Type', 'application/json')\n"
        "    req.add_unredirected_header('If-Match', '\"1\"')\n"
        "    urlopen(req)\n"
    )
    assert headers_of(source) == [(6, True, ["Content-Type", "If-Match"])]


@pytest.mark.parametrize(
    "change",
    [
        "    if body:\n        req.add_header('If-Match', '\"1\"')\n",  # conditional
        "    req.add_header(name, 'x')\n",  # non-literal name
        "    sign(req)\n",  # passed to another function
        "    req.headers['If-Match'] = '1'\n",  # changed directly
        "    req.headers.update({'If-Match': '1'})\n",
    ],
)
def test_a_request_changed_elsewhere_has_unknown_headers(change: str) -> None:
    source = URLLIB + (
        "def f(body, name):\n"
        "    req = Request('https://x', data=body, method='PUT')\n" + change + "    urlopen(req)\n"
    )
    [(_, known, _)] = headers_of(source)
    assert not known


CLIENT = (
    "import requests\n\n\nclass Client:\n"
    "    def __init__(self):\n"
    "        self.headers = {'Accept': 'application/json'}\n"
    "        self.session = requests.Session()\n\n"
    "    def pay(self, body):\n"
    "        return self.session.post('https://x.test/pay', json=body, headers=self.headers)\n"
)


@pytest.mark.parametrize(
    ("change", "known"),
    [
        ("", True),
        ("        self.headers['Idempotency-Key'] = key\n", False),
        ("        self.headers |= {'Idempotency-Key': key}\n", False),
        ("        del self.headers['Accept']\n", False),
        ("        n, self.headers['Idempotency-Key'] = 1, key\n", False),
        ("        self.headers = {'Idempotency-Key': key}\n", False),  # a second value
        ("        self.other['Idempotency-Key'] = key\n", True),
    ],
)
def test_headers_held_by_an_attribute_are_unknown_when_the_file_changes_them(
    change: str, known: bool
) -> None:
    """`headers=self.headers`: the headers the attribute was given, unless the file changes
    that attribute's object (in any class: attributes are told apart by name)."""
    source = CLIENT + ("\n    def sign(self, key):\n" + change if change else "")
    [(_, found, _)] = headers_of(source)
    assert found is known


def test_a_prepared_request_changed_after_prepare_has_unknown_headers() -> None:
    source = (
        "import requests\n"
        "def f(session: requests.Session):\n"
        "    req = requests.Request('POST', 'https://x', json={})\n"
        "    prep = session.prepare_request(req)\n"
        "    prep.headers['Idempotency-Key'] = 'k'\n"
        "    session.send(prep)\n"
    )
    assert headers_of(source) == [(6, False, [])]


def test_a_request_sent_that_methodlint_cannot_see_has_unknown_headers() -> None:
    source = (
        "import requests\n"
        "from urllib.request import urlopen\n"
        "def f(session: requests.Session, prep, req):\n"
        "    session.send(prep)\n"
        "    urlopen(req)\n"
    )
    assert headers_of(source) == [(4, False, []), (5, False, [])]


def test_putheader_calls_between_putrequest_and_endheaders_are_headers() -> None:
    source = (
        "import http.client\n"
        "def f(body, flag):\n"
        "    conn = http.client.HTTPConnection('x')\n"
        "    conn.putrequest('POST', '/a')\n"
        "    conn.putheader('Content-Type', 'application/json')\n"
        "    conn.endheaders()\n"
        "    conn.putheader('X-After', '1')\n"
        "    conn.putrequest('PUT', '/b')\n"
        "    if flag:\n"
        "        conn.putheader('If-Match', '1')\n"
        "    conn.endheaders()\n"
    )
    assert headers_of(source) == [(4, True, ["Content-Type"]), (8, False, [])]
