"""ML301: a PATCH that needs a known base state and carries no precondition."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule
from methodlint.rules._precondition import carries_precondition

_PATCH = (
    "import requests\n"
    "OPS = [{'op': 'replace', 'path': '/name', 'value': 'x'}]\n"
    "requests.patch('https://x.test/items/1', json=OPS, headers={})\n"
)


class PatchWithoutPrecondition(Rule):
    """
    ## What it does
    Flags a PATCH request without a precondition that sends a JSON Patch document (content
    sent with a literal `Content-Type: application/json-patch+json`, or a list literal of dicts
    with an `"op"` key, directly, through a name bound to one, or `json.dumps` of it), or that
    is a read-modify-write: its URL is the same expression as a GET made earlier in the same
    function, and its content is computed from that GET's response (`.json()`, `.text`,
    `.content`, `.read()`, headers). A GET used only for its status (an existence check) does
    not count, nor a PATCH that sends back the version it read (a `sha`, `version`, `_rev`
    or `cas` key in its content or query).

    A request carries a precondition when it sends `If-Match` or `If-Unmodified-Since` (or a
    header of `precondition-headers`) with a value other than `None`, or when its JSON Patch
    document starts with a `test` operation. Reported at the build site, only when methodlint
    sees every header of the request (headers built by a function, passed in as a parameter
    or spread from an unknown dict may hold a precondition).

    ## Why is this bad?
    A JSON Patch document is written against one version of the resource: `replace` and
    `remove` address array positions and members that another client may have changed in
    the meantime, and RFC 5789 says a client using such a format SHOULD send a conditional
    request. A read-modify-write sends back a change computed from what the GET returned:
    when another client writes between the two requests, its change is silently lost. With
    `If-Match` the server answers 412 instead, and the client can read again and retry.

    ## Example
    ```python
    import requests

    def rename(url, name):
        item = requests.get(url).json()
        ops = [{"op": "replace", "path": "/tags", "value": item["tags"] + [name]}]
        requests.patch(url, json=ops)
    ```

    ## Use instead
    ```python
    import requests

    def rename(url, name):
        response = requests.get(url)
        item = response.json()
        ops = [{"op": "replace", "path": "/tags", "value": item["tags"] + [name]}]
        requests.patch(url, json=ops, headers={"If-Match": response.headers["ETag"]})
    ```

    ## References
    - RFC 5789 §2 (PATCH: conditional requests for formats that need a known base state)
    - RFC 6902 §4.6 (JSON Patch `test` operation)
    - RFC 9110 §13.1.1 (If-Match), §13.1.4 (If-Unmodified-Since)
    """

    code = "ML301"
    name = "patch-without-precondition"
    severity = Severity.WARNING
    summary = "A PATCH that sends a JSON Patch document or is a read-modify-write, unconditionally"
    hint = (
        "Send If-Match with the ETag of the version the change is based on (or start the "
        "JSON Patch document with a test operation), so that a concurrent change fails with "
        "412 instead of being overwritten"
    )
    VALID = (
        # A precondition in every header form: literal, constant, local, self.x, spread.
        "import requests\n"
        "def f(u, ops, tag):\n"
        "    requests.patch(u, json=[{'op': 'add', 'path': '/a', 'value': 1}],\n"
        "                   headers={'If-Match': tag})\n",
        "import httpx\n"
        "TAG = '\"v1\"'\n"
        "HEADERS = {'Content-Type': 'application/json-patch+json', 'If-Match': TAG}\n"
        "httpx.patch('https://x.test/a', content=b'[]', headers=HEADERS)\n",
        "import requests\n"
        "def f(u, tag):\n"
        "    headers = {'Content-Type': 'application/json-patch+json'}\n"
        "    headers['If-Match'] = tag\n"
        "    requests.patch(u, data='[]', headers=headers)\n",
        "import requests\n"
        "class C:\n"
        "    def __init__(self, tag):\n"
        "        self.headers = {'If-Unmodified-Since': tag}\n"
        "    def f(self, u):\n"
        "        requests.patch(u, json=[{'op': 'remove', 'path': '/a'}], headers=self.headers)\n",
        "import requests\n"
        "BASE = {'Accept': 'application/json'}\n"
        "def f(u, tag):\n"
        "    requests.patch(u, json=[{'op': 'remove', 'path': '/a'}],\n"
        "                   headers={**BASE, 'if-match': tag})\n",
        # Headers methodlint cannot see may hold a precondition.
        "import requests\n"
        "def f(u, make_headers):\n"
        "    requests.patch(u, json=[{'op': 'remove', 'path': '/a'}], headers=make_headers())\n",
        "import requests\n"
        "def f(u, headers):\n"
        "    requests.patch(u, json=[{'op': 'remove', 'path': '/a'}], headers=headers)\n",
        "import requests\n"
        "def f(u, extra):\n"
        "    requests.patch(u, json=[{'op': 'remove', 'path': '/a'}], headers={**extra})\n",
        # A JSON Patch document that starts with a test operation.
        "import requests\n"
        "def f(u, v):\n"
        "    ops = [{'op': 'test', 'path': '/version', 'value': v},\n"
        "           {'op': 'replace', 'path': '/name', 'value': 'x'}]\n"
        "    requests.patch(u, json=ops)\n",
        # A merge-patch body that is no read-modify-write (ML304, opt-in, flags it).
        "import requests\nrequests.patch('https://x.test/a', json={'name': 'x'})\n",
        # An existence check: the GET is used only for its status.
        "import requests\n"
        "def f(u, doc):\n"
        "    r = requests.get(u)\n"
        "    if r.status_code == 200:\n"
        "        requests.patch(u, json=doc)\n",
        # The GET's content only decides whether to write; what is written does not use it.
        "import requests\n"
        "def f(u, wanted):\n"
        "    current = requests.get(u).json()\n"
        "    if current != wanted:\n"
        "        requests.patch(u, json=wanted)\n",
        # Another URL.
        "import requests\n"
        "def f(a, b):\n"
        "    doc = requests.get(a).json()\n"
        "    requests.patch(b, json=doc)\n",
        # Not an HTTP client.
        "class Api:\n"
        "    def patch(self, u, json):\n"
        "        pass\n"
        "Api().patch('u', json=[{'op': 'remove', 'path': '/a'}])\n",
    )
    INVALID = (
        _PATCH,
        "import httpx\n"
        "def f(body: bytes):\n"
        "    with httpx.Client() as c:\n"
        "        c.patch('https://x.test/a', content=body,\n"
        "                headers={'Content-Type': 'application/json-patch+json'})\n",
        "import aiohttp\n"
        "async def f(s: aiohttp.ClientSession, u):\n"
        "    await s.patch(u, json=[{'op': 'add', 'path': '/tags/-', 'value': 'x'}])\n",
        "import json, urllib3\n"
        "def f(u):\n"
        "    ops = [{'op': 'remove', 'path': '/a'}]\n"
        "    urllib3.request('PATCH', u, body=json.dumps(ops),\n"
        "                    headers={'Content-Type': 'application/json-patch+json'})\n",
        "import json\n"
        "from urllib.request import Request, urlopen\n"
        "def f(u):\n"
        "    body = json.dumps([{'op': 'remove', 'path': '/a'}]).encode()\n"
        "    urlopen(Request(u, data=body, method='PATCH'))\n",
        "import http.client, json\n"
        "def f(ops):\n"
        "    c = http.client.HTTPSConnection('x.test')\n"
        "    c.request('PATCH', '/a', json.dumps(ops),\n"
        "              {'Content-Type': 'application/json-patch+json'})\n",
        "import requests\n"
        "def f(u):\n"
        "    ops = []\n"
        "    ops.append({'op': 'replace', 'path': '/a', 'value': 1})\n"
        "    requests.patch(u, json=ops, headers={'If-Match': None})\n",
        # Read-modify-write: same name, same literal, same f-string.
        "import requests\n"
        "def f(u):\n"
        "    r = requests.get(u)\n"
        "    count = r.json()['count']\n"
        "    requests.patch(u, json={'count': count + 1})\n",
        "import requests\n"
        "def f(s: requests.Session):\n"
        "    doc = s.get('https://x.test/a').json()\n"
        "    doc['n'] += 1\n"
        "    s.patch('https://x.test/a', json=doc, headers={'Content-Type': 'application/json'})\n",
        "import httpx\n"
        "async def f(c: httpx.AsyncClient, base, i):\n"
        "    r = await c.get(f'{base}/items/{i}')\n"
        "    tags = r.json()['tags'] + ['new']\n"
        "    await c.patch(f'{base}/items/{i}', json={'tags': tags})\n",
    )

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if call.method != "PATCH":
            return
        if call.json_patch is None and call.read_modify_write is None:
            return
        if carries_precondition(call, self.settings) is not False:
            return
        if call.read_modify_write is not None:
            what = (
                f"writes back what the GET on line {call.read_modify_write.line} read, "
                "without If-Match"
            )
        else:
            what = "sends a JSON Patch document without If-Match or a leading test operation"
        yield Finding(call.build_site, f"PATCH via {call.sent_by} {what}")
