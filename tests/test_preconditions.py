"""The facts behind ML3xx and ML403: header visibility, JSON Patch documents,
read-modify-writes, header value literals and the literal path of a URL."""

from __future__ import annotations

import libcst as cst
import pytest

from methodlint.analysis import build_facts
from methodlint.analysis.preconditions import url_segments
from methodlint.facts import HttpCall


def calls_of(source: str) -> list[HttpCall]:
    calls, _ = build_facts(cst.parse_module(source))
    return calls


def only(source: str) -> HttpCall:
    [call] = [c for c in calls_of(source) if c.methods != {"GET"}] or calls_of(source)
    return call


# -- URL paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "segments"),
    [
        ("https://delete.example.com/api/items?x=/logout#y", ("api", "items")),
        ("{}/users/{}/delete", ("users", "{}", "delete")),
        ("{}{}/logout", ("logout",)),
        ("{}.example.com/reset", ("reset",)),
        ("{}:8080/reset", ("reset",)),
        ("http://{}/x/", ("x",)),
        ("//cdn.example.com/purge", ("purge",)),
        ("/api/v1/delete", ("api", "v1", "delete")),
        ("api.example.com/delete", ("delete",)),
        ("users/delete", ("users", "delete")),
        ("delete.php", ("delete.php",)),
        ("https://example.com", ()),
    ],
)
def test_url_segments_never_include_the_host_or_the_query(
    literal: str, segments: tuple[str, ...]
) -> None:
    assert url_segments(literal) == segments


@pytest.mark.parametrize(
    ("expression", "literal"),
    [
        ("'https://x.test/a'", "https://x.test/a"),
        ("f'{base}/users/{i}/delete'", "{}/users/{}/delete"),
        ("base + '/logout'", "{}/logout"),
        ("BASE + '/logout'", "https://x.test/v1/logout"),
        ("'/users/%s/delete' % i", "/users/{}/delete"),
        ("'/users/{}/delete/{id}'.format(i, id=2)", "/users/{}/delete/{}"),
        ("urljoin(BASE, 'cache/purge')", "https://x.test/cache/purge"),
        ("urljoin(BASE + '/', 'cache/purge')", "https://x.test/v1/cache/purge"),
        ("urljoin(base, '/cache/purge')", "{}/cache/purge"),
        ("urljoin(base, 'purge')", "{}/purge"),
        ("url", "{}/items/{}"),
    ],
)
def test_url_literal(expression: str, literal: str) -> None:
    source = (
        "import requests\n"
        "from urllib.parse import urljoin\n"
        "BASE = 'https://x.test/v1'\n"
        "def f(base, i):\n"
        "    url = f'{base}/items/{i}'\n"
        f"    requests.get({expression})\n"
    )
    [call] = calls_of(source)
    assert call.url is not None and call.url.literal == literal


# -- header visibility -------------------------------------------------------------------


def headers(source: str) -> tuple[bool, list[str]]:
    call = only(source)
    return call.headers.known, [h.name for h in call.headers.items]


def test_self_attribute_headers_bound_once_are_known() -> None:
    source = (
        "import requests\n"
        "class C:\n"
        "    def __init__(self, tag):\n"
        "        self.headers = {'If-Match': tag}\n"
        "    def f(self, u):\n"
        "        requests.put(u, json={}, headers=self.headers)\n"
    )
    assert headers(source) == (True, ["If-Match"])


@pytest.mark.parametrize(
    "change",
    [
        "        self.headers['If-Match'] = '1'\n",
        "        self.headers.update({'If-Match': '1'})\n",
        "        sign(self.headers)\n",
        "        del self.headers['Accept']\n",
        "        self.headers = {}\n",
    ],
)
def test_self_attribute_headers_changed_anywhere_are_unknown(change: str) -> None:
    source = (
        "import requests\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.headers = {'Accept': 'x'}\n"
        "    def f(self, u):\n"
        "        requests.put(u, json={}, headers=self.headers)\n"
        "    def g(self, sign):\n" + change
    )
    assert headers(source) == (False, [])


def test_class_attribute_headers_are_known() -> None:
    source = (
        "import requests\n"
        "class C:\n"
        "    HEADERS = {'Accept': 'x'}\n"
        "    def f(self, u):\n"
        "        requests.put(u, json={}, headers=self.HEADERS)\n"
    )
    assert headers(source) == (True, ["Accept"])


def test_a_headers_dict_passed_to_a_function_is_unknown() -> None:
    source = (
        "import requests, logging\n"
        "def f(u, sign):\n"
        "    h = {'Accept': 'x'}\n"
        "    logging.debug('%s', h)\n"
        "    sign(h)\n"
        "    requests.put(u, json={}, headers=h)\n"
    )
    assert headers(source) == (False, [])


def test_a_headers_dict_logged_or_copied_stays_known() -> None:
    source = (
        "import requests, logging\n"
        "log = logging.getLogger()\n"
        "def f(u):\n"
        "    h = {'Accept': 'x'}\n"
        "    log.debug('%s', h)\n"
        "    print(dict(h), len(h))\n"
        "    requests.put(u, json={}, headers=h)\n"
    )
    assert headers(source) == (True, ["Accept"])


@pytest.mark.parametrize(
    "source",
    [
        "import requests\n"
        "def f(u):\n"
        "    h = {'If-Match': '1'}\n"
        "    h.update({'If-Match': None})\n"
        "    requests.put(u, json={}, headers=h)\n",
        "from urllib.request import Request, urlopen\n"
        "def f(u):\n"
        "    req = Request(u, data=b'x', method='PUT')\n"
        "    req.add_header('If-Match', None)\n"
        "    urlopen(req)\n",
        "import http.client\n"
        "def f():\n"
        "    c = http.client.HTTPConnection('x')\n"
        "    c.putrequest('PUT', '/a')\n"
        "    c.putheader('If-Match', None)\n"
        "    c.endheaders()\n",
    ],
)
def test_a_header_whose_value_is_none_is_not_present(source: str) -> None:
    assert headers(source) == (True, [])


def test_header_values_have_their_span_and_literal() -> None:
    source = (
        "import requests\n"
        "def f(u, v):\n"
        "    requests.put(u, json={}, headers={'If-Match': f'W/\"{v}\"', 'X-N': v})\n"
    )
    call = only(source)
    tag, other = call.headers.items
    assert tag.literal == 'W/"{}"' and other.literal is None
    assert tag.span is not None and (tag.span.line, tag.span.column) == (3, 51)


# -- JSON Patch --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "first_op"),
    [
        ("json=[{'op': 'test', 'path': '/v', 'value': 1}, {'op': 'remove', 'path': '/a'}]", "test"),
        ("data=json.dumps([{'op': 'remove', 'path': '/a'}])", "remove"),
        ("json=[*extra, {'op': 'remove', 'path': '/a'}]", None),
        ("json=[{'op': o, 'path': '/a'} for o in ops]", None),
        ("data=doc, headers={'Content-Type': 'application/json-patch+json; charset=utf-8'}", None),
        ("data=doc, headers={'Content-Type': PATCH_TYPE}", None),
        ("json=ops", "replace"),
        ("json=appended", "add"),
    ],
)
def test_json_patch_documents(body: str, first_op: str | None) -> None:
    source = (
        "import json, requests\n"
        "PATCH_TYPE = 'application/json-patch+json'\n"
        "def f(u, doc, extra, o):\n"
        "    ops = [{'op': 'replace', 'path': '/a', 'value': 1}]\n"
        "    appended = []\n"
        "    appended.append({'op': 'add', 'path': '/b', 'value': 2})\n"
        f"    requests.patch(u, {body})\n"
    )
    call = only(source)
    assert call.json_patch is not None
    assert call.json_patch.first_op == first_op


@pytest.mark.parametrize(
    "body",
    [
        "json={'op': 'replace'}",
        "json=[{'path': '/a'}]",
        "data=doc, headers={'Content-Type': 'application/merge-patch+json'}",
        "headers={'Content-Type': 'application/json-patch+json'}",
    ],
)
def test_not_json_patch_documents(body: str) -> None:
    source = f"import requests\ndef f(u, doc):\n    requests.patch(u, {body})\n"
    assert only(source).json_patch is None


# -- read-modify-write -------------------------------------------------------------------


def rmw(body: str) -> int | None:
    """The line of the GET a PUT or PATCH of `body` (a function's body) writes back."""
    source = "import http.client, json, requests\ndef f(u, v, w):\n" + body
    found = [c.read_modify_write for c in calls_of(source) if c.methods & {"PUT", "PATCH"}]
    assert len(found) == 1
    return found[0].line if found[0] is not None else None


@pytest.mark.parametrize(
    "body",
    [
        "    d = requests.get(u).json()\n    requests.put(u, json=d)\n",
        "    r = requests.get(u)\n    requests.put(u, data=r.content)\n",
        "    r = requests.get(u)\n    d = {'n': r.json()['n'] + 1}\n"
        "    requests.patch(u, json=d)\n",
        "    r = requests.get(u)\n    d = {}\n    d.update(r.json())\n"
        "    requests.put(u, json=d)\n",
        "    r = requests.get(u)\n    for x in r.json():\n        v.append(x)\n"
        "    requests.put(u, json=v)\n",
        "    r = requests.get(u)\n    e = r.headers['X-Owner']\n"
        "    requests.put(u, json={'o': e})\n",
        "    with requests.get(u) as r:\n        d = json.loads(r.text)\n"
        "    requests.put(u, json=d)\n",
    ],
)
def test_read_modify_writes(body: str) -> None:
    assert rmw(body) == 3


def test_read_modify_write_over_http_client() -> None:
    body = (
        "    c = http.client.HTTPSConnection('x')\n"
        "    c.request('GET', '/a')\n"
        "    d = json.loads(c.getresponse().read())\n"
        "    c.request('PUT', '/a', json.dumps(d))\n"
    )
    assert rmw(body) == 4


@pytest.mark.parametrize(
    "body",
    [
        # An existence check, or a GET whose content only decides.
        "    r = requests.get(u)\n    if r.ok:\n        requests.put(u, json=v)\n",
        "    if requests.get(u).json() != v:\n        requests.put(u, json=v)\n",
        # Another URL, a URL rebound in between, a GET after the write.
        "    d = requests.get(w).json()\n    requests.put(u, json=d)\n",
        "    d = requests.get(u).json()\n    u = w\n    requests.put(u, json=d)\n",
        "    requests.put(u, json=v)\n    d = requests.get(u).json()\n",
        # The response variable rebound to another response before it is read.
        "    r = requests.get(u)\n    r = requests.post(w)\n    requests.put(u, json=r.json())\n",
        # Different branches of one `if`.
        "    if v:\n        d = requests.get(u).json()\n    else:\n"
        "        requests.put(u, json=d)\n",
        "    r = requests.get(u)\n    if v:\n        w = r.json()\n    else:\n"
        "        requests.put(u, json=w)\n",
        # A version of what was read sent back: the server checks it.
        "    c = requests.get(u).json()\n    d = {'content': v}\n    d['sha'] = c['sha']\n"
        "    requests.put(u, json=d)\n",
        "    c = requests.get(u).json()\n"
        "    requests.put(u, json={'body': v, 'version': {'number': c['n'] + 1}})\n",
        "    c = requests.get(u).json()\n    requests.put(u, json=c, params={'cas': w})\n",
        # Something else on the same object (`self.cache.set(...)`) does not feed the write.
        "    r = requests.get(u)\n    w.cache.set('k', r.json())\n"
        "    requests.put(u, json=w.payload)\n",
    ],
)
def test_not_read_modify_writes(body: str) -> None:
    assert rmw(body) is None
