"""ML302: a PUT that writes back what a GET read, without a precondition."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule
from methodlint.rules._precondition import carries_precondition


class PutWithoutPrecondition(Rule):
    """
    ## What it does
    Flags a PUT request without a precondition that is a read-modify-write: its URL is the
    same expression (the same literal, the same name, or the same f-string text) as a GET
    made earlier in the same function, and its content is computed from that GET's response
    (`.json()`, `.text`, `.content`, `.read()`, `json.load(response)`, or its headers). A GET
    used only for its status (an existence check) does not count, and neither does a PUT whose
    content the GET's response only decides to send. A PUT that does not read first is left
    alone: it replaces the resource with content of its own. A PUT that sends back the version
    it read, in its content or query (a `sha`, `version`, `_rev`, `resourceVersion` or
    `cas` key), carries a precondition that the server checks, and is left alone too.

    A request carries a precondition when it sends `If-Match`, `If-Unmodified-Since` (or a
    header of `precondition-headers`) with a value other than `None`, or `If-None-Match: *`.
    Reported at the build site, only when methodlint sees every header of the request.

    ## Why is this bad?
    Between the GET and the PUT another client may change the resource; the PUT then
    replaces the resource with a copy that does not have that change: a lost update. With
    `If-Match: <the ETag the GET returned>` the server answers 412 instead, and the client
    reads again and reapplies its change.

    ## Example
    ```python
    import requests

    def add_tag(url, tag):
        item = requests.get(url).json()
        item["tags"].append(tag)
        requests.put(url, json=item)
    ```

    ## Use instead
    ```python
    import requests

    def add_tag(url, tag):
        response = requests.get(url)
        item = response.json()
        item["tags"].append(tag)
        requests.put(url, json=item, headers={"If-Match": response.headers["ETag"]})
    ```

    ## References
    - RFC 9110 §13.1.1 (If-Match), §13.1.4 (If-Unmodified-Since)
    - RFC 9110 §9.3.4 (PUT)
    - RFC 9110 §15.5.13 (412 Precondition Failed)
    """

    code = "ML302"
    name = "put-without-precondition"
    severity = Severity.WARNING
    summary = "A PUT that writes back what a GET read, unconditionally (a lost update)"
    hint = (
        "Send If-Match with the ETag the GET returned, so that a concurrent change fails "
        "with 412 instead of being overwritten"
    )
    VALID = (
        # A blind PUT: no GET first.
        "import requests\nrequests.put('https://x.test/a', json={'name': 'x'})\n",
        # An existence check.
        "import requests\n"
        "def f(u, doc):\n"
        "    r = requests.get(u)\n"
        "    if r.status_code == 404:\n"
        "        requests.put(u, json=doc)\n",
        "import requests\n"
        "def f(u, doc):\n"
        "    if not requests.head(u).ok:\n"
        "        requests.put(u, json=doc)\n",
        # Preconditions in every header form.
        "import requests\n"
        "def f(u):\n"
        "    r = requests.get(u)\n"
        "    doc = r.json()\n"
        "    requests.put(u, json=doc, headers={'If-Match': r.headers['ETag']})\n",
        "import requests\n"
        "IF_MATCH = {'if-match': '\"v1\"'}\n"
        "def f(u):\n"
        "    doc = requests.get(u).json()\n"
        "    requests.put(u, json=doc, headers=IF_MATCH)\n",
        "import requests\n"
        "def f(u):\n"
        "    r = requests.get(u)\n"
        "    headers = {'Content-Type': 'application/json'}\n"
        "    headers.update({'If-Unmodified-Since': r.headers['Last-Modified']})\n"
        "    requests.put(u, json=r.json(), headers=headers)\n",
        "import requests\n"
        "class C:\n"
        "    headers = {'If-Match': '*'}\n"
        "    def f(self, u):\n"
        "        doc = requests.get(u).json()\n"
        "        requests.put(u, json=doc, headers=self.headers)\n",
        "import requests\n"
        "def f(u):\n"
        "    doc = requests.get(u).json()\n"
        "    requests.put(u, json=doc, headers={'If-None-Match': '*'})\n",
        # Headers methodlint cannot see.
        "import requests\n"
        "def f(u, auth):\n"
        "    doc = requests.get(u).json()\n"
        "    requests.put(u, json=doc, headers=auth.headers())\n",
        "import requests\n"
        "def f(u, **kwargs):\n"
        "    doc = requests.get(u).json()\n"
        "    requests.put(u, json=doc, **kwargs)\n",
        "import requests\n"
        "def f(u, sign):\n"
        "    doc = requests.get(u).json()\n"
        "    headers = {'Content-Type': 'application/json'}\n"
        "    sign(headers)\n"
        "    requests.put(u, json=doc, headers=headers)\n",
        # Another URL, or the URL's name rebound in between.
        "import requests\n"
        "def f(a, b):\n"
        "    doc = requests.get(a).json()\n"
        "    requests.put(b, json=doc)\n",
        "import requests\n"
        "def f(u, v):\n"
        "    doc = requests.get(u).json()\n"
        "    u = v\n"
        "    requests.put(u, json=doc)\n",
        # The GET only decides whether to write.
        "import requests\n"
        "def f(u, wanted):\n"
        "    if requests.get(u).json() != wanted:\n"
        "        requests.put(u, json=wanted)\n",
        # The version read is sent back: the server refuses a stale write (GitHub's sha).
        "import requests\n"
        "def f(u, text):\n"
        "    current = requests.get(u).json()\n"
        "    requests.put(u, json={'content': text, 'sha': current['sha']})\n",
        # The GET and the PUT are in different branches: never both run.
        "import requests\n"
        "def call(method, u, data=None):\n"
        "    if method == 'GET':\n"
        "        r = requests.get(u)\n"
        "        data = r.json()\n"
        "    elif method == 'PUT':\n"
        "        r = requests.put(u, json=data)\n"
        "    return r\n",
        # The GET comes after the PUT.
        "import requests\n"
        "def f(u, doc):\n"
        "    requests.put(u, json=doc)\n"
        "    return requests.get(u).json()\n",
    )
    INVALID = (
        "import requests\n"
        "def f(u):\n"
        "    item = requests.get(u).json()\n"
        "    item['tags'].append('x')\n"
        "    requests.put(u, json=item)\n",
        "import requests\n"
        "def f():\n"
        "    r = requests.get('https://x.test/config')\n"
        "    config = r.json()\n"
        "    config['debug'] = True\n"
        "    requests.put('https://x.test/config', json=config, headers={'If-Match': None})\n",
        "import httpx\n"
        "def f(base, i):\n"
        "    with httpx.Client() as c:\n"
        "        text = c.get(f'{base}/notes/{i}').text\n"
        "        c.put(f'{base}/notes/{i}', content=text + '\\nmore')\n",
        "import aiohttp\n"
        "async def f(u):\n"
        "    async with aiohttp.ClientSession() as s:\n"
        "        async with s.get(u) as r:\n"
        "            doc = await r.json()\n"
        "        doc['n'] = doc['n'] + 1\n"
        "        await s.put(u, json=doc)\n",
        "import json, urllib3\n"
        "http = urllib3.PoolManager()\n"
        "def f(u):\n"
        "    r = http.request('GET', u)\n"
        "    doc = json.loads(r.data)\n"
        "    http.request('PUT', u, body=json.dumps(doc),\n"
        "                 headers={'Content-Type': 'application/json'})\n",
        "import json\n"
        "from urllib.request import Request, urlopen\n"
        "def f(i):\n"
        "    u = f'https://x.test/items/{i}'\n"
        "    with urlopen(u) as r:\n"
        "        doc = json.load(r)\n"
        "    doc['n'] = 1\n"
        "    urlopen(Request(u, data=json.dumps(doc).encode(), method='PUT'))\n",
        "import http.client, json\n"
        "def f():\n"
        "    c = http.client.HTTPSConnection('x.test')\n"
        "    c.request('GET', '/a')\n"
        "    doc = json.loads(c.getresponse().read())\n"
        "    c.request('PUT', '/a', json.dumps(doc))\n",
        "import requests\n"
        "BASE = {'Accept': 'application/json'}\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.s = requests.Session()\n"
        "        self.headers = {'Content-Type': 'application/json'}\n"
        "    def f(self, u):\n"
        "        r = self.s.get(u)\n"
        "        self.s.put(u, data=r.content, headers={**BASE, **self.headers})\n",
    )

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if call.method != "PUT" or call.read_modify_write is None:
            return
        if carries_precondition(call, self.settings) is not False:
            return
        yield Finding(
            call.build_site,
            f"PUT via {call.sent_by} writes back what the GET on line "
            f"{call.read_modify_write.line} read, without If-Match: a concurrent change is lost",
        )
