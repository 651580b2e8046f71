"""ML101: a GET request that carries content."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rules._body import BodyOnMethodRule


class GetWithBody(BodyOnMethodRule):
    """
    ## What it does
    Flags a GET request that sends content: a `json=` other than `None`, or a `data=`,
    `files=`, `content=` or `body=` that is not `None` or an empty literal, or a positional
    body argument where the signature has one. Reported at the body argument. Query
    parameters (`params=`, `requests.get(url, {"q": 1})`, urllib3 `fields=`) are not content.

    ## Why is this bad?
    Content in a GET request has no defined semantics (RFC 9110 §9.3.1): a client SHOULD NOT
    generate it. Proxies, caches and servers may drop the body, reject the request, or ignore
    the body when they compute the cache key, so two different queries share one cached
    answer. requests, aiohttp, urllib3 and urllib send it without complaint, so the mistake
    survives until it reaches a proxy in production.

    ## Example
    ```python
    import requests

    requests.get("https://api.example.com/search", json={"q": "shoes"})
    ```

    ## Use instead
    ```python
    import requests

    requests.get("https://api.example.com/search", params={"q": "shoes"})
    # or, when the query is too large for a URL, a POST to a query endpoint
    requests.post("https://api.example.com/search", json={"q": "shoes"})
    ```

    ## References
    - RFC 9110 §9.3.1 (GET)
    - RFC 9110 §9.2.1 (safe methods)
    """

    code = "ML101"
    name = "get-with-body"
    severity = Severity.WARNING
    summary = "A GET request that carries content"
    hint = "Send the data as query parameters (params=), or use POST for a request with content"
    method = "GET"
    VALID = (
        # A body variable that is None on every path (generated API clients do this).
        "import requests\n"
        "def read(url):\n"
        "    body_params = None\n"
        "    return requests.get(url, json=body_params)\n",
        # The same wrapper called without a body; and a cache whose `get` is no request.
        "import requests\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        self.s = requests.Session()\n"
        "    def get(self, path, data=None):\n"
        "        return self.s.get('https://x.test' + path, data=data)\n"
        "class Cache:\n"
        "    def get(self, key, data=None):\n"
        "        return data\n"
        "def f(api: Api):\n"
        "    Cache().get('k', data={'q': 1})\n"
        "    return api.get('/search')\n",
        "import requests\nrequests.get('https://x.test/s', params={'q': 1})\n",
        "import requests\nrequests.get('https://x.test/s', {'q': 1})\n",
        "import requests\nrequests.get('https://x.test/s', json=None, data=b'')\n",
        "import urllib3\nurllib3.request('GET', 'https://x.test/s', fields={'q': '1'})\n",
        "cache = {}\ncache.get('k', data=1)\n",
    )
    INVALID = (
        # A body variable that holds content on some path.
        "import requests\n"
        "def read(url, query):\n"
        "    body = None\n"
        "    if query:\n"
        "        body = {'q': query}\n"
        "    return requests.get(url, json=body)\n",
        # A wrapper that passes its `data` on; the caller sends a GET with content.
        "import requests\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        self.s = requests.Session()\n"
        "    def get(self, path, data=None):\n"
        "        return self.s.get('https://x.test' + path, data=data)\n"
        "def search(api: Api):\n"
        "    return api.get('/search', data={'q': 'x'})\n",
        "import requests\nrequests.get('https://x.test/s', json={'q': 1})\n",
        "import requests as rq\nrq.request('GET', 'https://x.test/s', data='q=1')\n",
        "import httpx\nhttpx.request('GET', 'https://x.test/s', json={})\n",
        "import urllib.request\nurllib.request.Request('https://x.test/', b'x', method='GET')\n",
    )
