"""ML205: a retry scope that re-sends a request whose method is known only at run time."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rules._retry import RetryRule, Verdict, retried_by, retries_on


class RetryAnyMethod(RetryRule):
    """
    ## What it does
    Flags a request whose method is a parameter or variable, sent in a retry scope (loop,
    decorator or block) that does not compare the method with a set of methods: the generic
    `request(method, url, ...)` helper of an SDK wrapped in a retry loop. A comparison of the
    method with a set anywhere in the function counts as gating. Not reported when
    the scope retries only connection-establishment errors or 413/429/503, when the request
    carries an idempotency key or a precondition, when methodlint cannot see its headers,
    or when the function is private (leading underscore) and every call of it in the file
    passes a literal method: each of those calls is then judged with its own method, where
    it is written (a `self._send("POST", ...)` is ML201 or ML202 there).

    ## Why is this bad?
    The helper is written once and called for every method: whatever it retries for GET it
    also retries for POST and PATCH, re-sending requests the server may already have
    applied (RFC 9110 §9.2.2).

    ## Example
    ```python
    import time

    import requests

    def request(method, url, payload=None):
        for attempt in range(5):
            try:
                return requests.request(method, url, json=payload)
            except requests.exceptions.ConnectionError:
                time.sleep(2**attempt)
    ```

    ## Use instead
    ```python
    import time

    import requests

    IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}

    def request(method, url, payload=None):
        attempts = 5 if method.upper() in IDEMPOTENT else 1
        for attempt in range(attempts):
            try:
                return requests.request(method, url, json=payload)
            except requests.exceptions.ConnectionError:
                if attempt == attempts - 1:
                    raise
                time.sleep(2**attempt)
    ```

    ## References
    - RFC 9110 §9.2.2 (idempotent methods)
    """

    code = "ML205"
    name = "retry-any-method"
    severity = Severity.WARNING
    summary = "A retry that re-sends a request whose method is only known at run time"
    hint = "Retry only idempotent methods: compare the method with an idempotent set first"
    VALID = (
        "import requests\n"
        "SAFE = {'GET', 'HEAD', 'PUT', 'DELETE'}\n"
        "def request(method, url):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.request(method, url)\n"
        "        except requests.RequestException:\n"
        "            if method not in SAFE:\n"
        "                raise\n",
        "import requests\n"
        "def _get(method, url):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.request(method, url)\n"
        "        except requests.RequestException:\n"
        "            pass\n"
        "def a():\n"
        "    return _get('GET', 'https://x.test/a')\n"
        "def b():\n"
        "    return _get('HEAD', 'https://x.test/b')\n",
        "import requests\n"
        "def request(method, url):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.request(method, url)\n"
        "        except requests.exceptions.ConnectTimeout:\n"
        "            pass\n",
    )
    INVALID = (
        "import requests, time\n"
        "def request(method, url, **kwargs):\n"
        "    for attempt in range(5):\n"
        "        try:\n"
        "            return requests.request(method, url, json=kwargs.get('json'))\n"
        "        except requests.exceptions.ConnectionError:\n"
        "            time.sleep(2 ** attempt)\n",
        "import httpx, stamina\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        self.client = httpx.Client()\n"
        "    @stamina.retry(on=httpx.HTTPError)\n"
        "    def call(self, method, path):\n"
        "        return self.client.request(method, path)\n",
        "import requests\n"
        "def send(method, url):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.request(method, url)\n"
        "        except requests.RequestException:\n"
        "            pass\n"
        "def a():\n"
        "    return send('GET', 'https://x.test/a')\n",
    )

    def message(self, call: HttpCall, verdict: Verdict) -> str:
        return (
            f"A request via {call.sent_by} whose method is only known at run time is retried "
            f"by {retried_by(verdict.scope)}{retries_on(verdict.scope)}: POST and PATCH "
            "will be retried too"
        )
