"""ML201: a non-idempotent request re-sent by a retry loop."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rules._retry import RetryRule, Verdict, methods_text, retried_by, retries_on


class NonIdempotentRetryLoop(RetryRule):
    """
    ## What it does
    Flags a POST, PATCH or other non-idempotent request (or a method set that contains one,
    such as `"POST" if new else "PUT"`) sent inside a retry loop that is not safe to retry.
    A retry loop is a `while` loop, or a `for` loop whose target the request does not use,
    that runs the request again after a failure (a `try` whose handler lets the loop go on,
    or a check of the response that separates failure from success) and leaves it on
    success (`break`, `return`, or a loop condition that success makes false). The loop also
    re-sends what the functions it calls send (reported at the call in the loop, with the
    chain: `POST via requests.Session in Shop._send`), and a function that calls itself again
    in an `except` handler or after an error status of its response is a retry by recursion
    (reported at the request).

    Not flagged:
    - iteration: the URL, content or query uses the loop target, a name derived from it, a
      value from the previous response (a cursor, a `next` URL) or an item taken from a
      queue or iterator; headers do not count;
    - polling: the loop goes on because of the content of a successful response
      (`status == "pending"`);
    - loops that send every pass whatever happens (heartbeats, "send N times") and loops
      whose handler re-raises;
    - requests that carry an idempotency key (`Idempotency-Key`, `X-Idempotency-Key`,
      `idempotency-headers`) made outside the loop, or a precondition (`If-Match`, ...);
    - loops that retry only connection-establishment errors
      (`requests.exceptions.ConnectTimeout`, `httpx.ConnectError`, `httpx.ConnectTimeout`,
      `aiohttp.ClientConnectorError`, urllib3 `NewConnectionError`/`ConnectTimeoutError`)
      or only the statuses 413, 429 and 503;
    - loops that compare the method with a set of methods (method gating), and POSTs to a
      read-only query endpoint (`retry-safe-urls`: `*/search`, `*/_search`, ...);
    - requests whose headers methodlint cannot all see: a key may be among them.

    `requests.exceptions.ConnectionError`, `aiohttp.ClientConnectionError`,
    `httpx.TransportError`, builtin `ConnectionError`/`OSError` and `Exception` are raised
    also after the server received the request, so loops that retry them are not safe.

    ## Why is this bad?
    A timeout or a dropped connection does not say whether the server applied the request.
    Sending a POST again may charge a card twice, send a message twice or create two orders.
    RFC 9110 §9.2.2: a client SHOULD NOT automatically retry a request with a
    non-idempotent method unless it has some means to know that the request semantics are
    actually idempotent or that the original request was never applied.

    ## Example
    ```python
    import time

    import requests

    def charge(session: requests.Session, order):
        for attempt in range(3):
            try:
                return session.post("https://pay.example.com/charges", json=order)
            except requests.exceptions.ConnectionError:
                time.sleep(2**attempt)
    ```

    ## Use instead
    ```python
    import time

    import requests

    def charge(session: requests.Session, order):
        headers = {"Idempotency-Key": f"charge-{order['id']}"}
        for attempt in range(3):
            try:
                return session.post(
                    "https://pay.example.com/charges", json=order, headers=headers
                )
            except requests.exceptions.ConnectionError:
                time.sleep(2**attempt)
    ```

    ## References
    - RFC 9110 §9.2.2 (idempotent methods)
    - IETF httpapi draft "The Idempotency-Key HTTP Header Field"
    - RFC 9110 §13.1.1 (If-Match)
    """

    code = "ML201"
    name = "non-idempotent-retry-loop"
    severity = Severity.WARNING
    summary = "A non-idempotent request re-sent by a retry loop without an idempotency key"
    hint = (
        "Send an Idempotency-Key made once per operation (outside the loop), retry only "
        "connection errors (ConnectTimeout), or make the request idempotent"
    )
    VALID = (
        # The wrapper always sends GET.
        "import requests\n"
        "def _get(path):\n"
        "    return requests.get('https://x.test' + path)\n"
        "def f():\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return _get('/orders')\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        # A recursion that retries only 429.
        "import requests\n"
        "def send(o):\n"
        "    r = requests.post('https://x.test/orders', json=o)\n"
        "    if r.status_code == 429:\n"
        "        return send(o)\n"
        "    return r\n",
        # An idempotency key made once, outside the loop.
        "import requests, time\n"
        "def f(p):\n"
        "    h = {'Idempotency-Key': f\"pay-{p['id']}\"}\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/pay', json=p, headers=h)\n"
        "        except requests.exceptions.ConnectionError:\n"
        "            time.sleep(1)\n",
        # Only connection-establishment errors are retried.
        "import httpx\n"
        "def f(p):\n"
        "    while True:\n"
        "        try:\n"
        "            return httpx.post('https://x.test/pay', json=p)\n"
        "        except (httpx.ConnectError, httpx.ConnectTimeout):\n"
        "            continue\n",
        # Iteration: the request uses the loop target.
        "import requests\n"
        "def f(items):\n"
        "    for item in items:\n"
        "        try:\n"
        "            requests.post('https://x.test/items', json=item)\n"
        "        except requests.RequestException:\n"
        "            continue\n",
        # Pagination: the URL comes from the previous response.
        "import requests\n"
        "def f(url):\n"
        "    while url:\n"
        "        r = requests.post(url, json={})\n"
        "        if r.status_code >= 500:\n"
        "            continue\n"
        "        url = r.json().get('next')\n",
        # A handler that re-raises: no retry.
        "import requests\n"
        "def f(p):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/pay', json=p)\n"
        "        except requests.RequestException:\n"
        "            raise\n",
        # A heartbeat: sends every pass whatever happens.
        "import requests, time\n"
        "def beat():\n"
        "    while True:\n"
        "        try:\n"
        "            requests.post('https://x.test/beat', json={})\n"
        "        except requests.RequestException:\n"
        "            pass\n"
        "        time.sleep(30)\n",
        # Idempotent method.
        "import requests\n"
        "def f(p):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.put('https://x.test/a/1', json=p)\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        # Only 429 and 503 are retried.
        "import requests, time\n"
        "def f(p):\n"
        "    while True:\n"
        "        r = requests.post('https://x.test/pay', json=p)\n"
        "        if r.status_code in (429, 503):\n"
        "            time.sleep(1)\n"
        "            continue\n"
        "        return r\n",
        # A query endpoint.
        "import requests\n"
        "def f(q):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://es.test/logs/_search', json=q)\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        # Polling: the loop goes on because of the content of the response.
        "import requests, time\n"
        "def f(code):\n"
        "    while True:\n"
        "        r = requests.post('https://x.test/token', data={'code': code})\n"
        "        body = r.json()\n"
        "        if body.get('error') == 'authorization_pending':\n"
        "            time.sleep(5)\n"
        "            continue\n"
        "        return body\n",
        # Headers methodlint cannot see.
        "import requests\n"
        "def f(p, headers):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/pay', json=p, headers=headers)\n"
        "        except Exception:\n"
        "            pass\n",
        # A precondition.
        "import requests\n"
        "def f(p, etag):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            h = {'If-Match': etag}\n"
        "            return requests.patch('https://x.test/a', json=p, headers=h)\n"
        "        except Exception:\n"
        "            pass\n",
    )
    INVALID = (
        # A loop around a call of a project function that posts.
        "import requests\n"
        "class Shop:\n"
        "    def __init__(self):\n"
        "        self.s = requests.Session()\n"
        "    def _send(self, method, path, **kw):\n"
        "        return self.s.request(method, 'https://x.test' + path, **kw)\n"
        "    def order(self, o):\n"
        "        for _ in range(3):\n"
        "            try:\n"
        "                return self._send('POST', '/orders', json=o)\n"
        "            except requests.RequestException:\n"
        "                pass\n",
        # Retry by recursion on a server error.
        "import requests\n"
        "def send(o, tries=3):\n"
        "    r = requests.post('https://x.test/orders', json=o)\n"
        "    if r.status_code >= 500 and tries:\n"
        "        return send(o, tries - 1)\n"
        "    return r\n",
        "import requests, time\n"
        "def f(p):\n"
        "    for attempt in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/pay', json=p)\n"
        "        except requests.exceptions.ConnectionError:\n"
        "            time.sleep(2 ** attempt)\n",
        "import httpx\n"
        "async def f(client: httpx.AsyncClient, p):\n"
        "    while True:\n"
        "        r = await client.patch('https://x.test/a', json=p)\n"
        "        if r.status_code >= 500:\n"
        "            continue\n"
        "        return r\n",
        "import aiohttp\n"
        "async def f(p):\n"
        "    async with aiohttp.ClientSession() as s:\n"
        "        for _ in range(5):\n"
        "            try:\n"
        "                async with s.post('https://x.test/hook', json=p) as r:\n"
        "                    r.raise_for_status()\n"
        "                    return await r.json()\n"
        "            except aiohttp.ClientError:\n"
        "                pass\n",
        "import urllib3\n"
        "pool = urllib3.PoolManager()\n"
        "def f(body):\n"
        "    for _ in range(3):\n"
        "        r = pool.request('POST', 'https://x.test/a', body=body)\n"
        "        if r.status == 200:\n"
        "            return r\n",
        "import requests\n"
        "def f(p, new):\n"
        "    done = False\n"
        "    while not done:\n"
        "        try:\n"
        "            requests.request('POST' if new else 'PUT', 'https://x.test/a', json=p)\n"
        "            done = True\n"
        "        except OSError:\n"
        "            pass\n",
    )

    def message(self, call: HttpCall, verdict: Verdict) -> str:
        return (
            f"{methods_text(call)} via {call.sent_by} is retried by "
            f"{retried_by(verdict.scope)} without an Idempotency-Key{retries_on(verdict.scope)}"
        )
