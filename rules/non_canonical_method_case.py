"""ML402: a registered method not in upper case where the library sends it as written."""

from __future__ import annotations

import re
from collections.abc import Iterator

from methodlint.diagnostics import Edit, Fix, Severity
from methodlint.facts import MethodToken
from methodlint.methods import is_idempotent, is_registered
from methodlint.rule import Finding, Rule

# A plain string literal: optional u/r prefix, one kind of quote, no escapes.
_PLAIN_LITERAL = re.compile(r"""(?is)^([ur]?)('|")([^'"\\]*)\2$""")


class NonCanonicalMethodCase(Rule):
    """
    ## What it does
    Flags a registered HTTP method written in other than upper case where the library uses
    the string as written: http.client `request()`/`putrequest()`,
    `urllib.request.Request(method=...)` and urllib3 `urlopen()`; and an entry of a urllib3
    retry policy's `allowed_methods`/`method_whitelist`, which urllib3 compares as written
    with the upper-cased request method, so that `["get", "put"]` silently retries nothing;
    and a method of Django's `require_http_methods([...])`, which compares as written too, so
    that `["get"]` answers every request with 405. Flask, Starlette, FastAPI, aiohttp.web and
    Django REST framework routes normalise the case and are not reported.
    requests, httpx, aiohttp, urllib3's `request()` and aiohttp_retry `methods` upper-case
    the method themselves and are not reported. `"post".upper()` is upper case.

    The fix upper-cases a literal written in the method position, or an idempotent entry of
    `allowed_methods`. It is not offered for a constant (other code may compare it as
    written), nor for a non-idempotent `allowed_methods` entry: upper-casing `"post"` would
    start retrying POST requests (see ML203), a change of behaviour to decide by hand.

    ## Why is this bad?
    Method names are case-sensitive (RFC 9110 §9.1): `get` is not `GET`. A server may answer
    405 or 501, a proxy may reject the request, and logic that compares methods (retry
    policies, caches) does not recognise it.

    ## Example
    ```python
    import http.client

    conn = http.client.HTTPSConnection("api.example.com")
    conn.request("post", "/orders", body=payload)
    ```

    ## Use instead
    ```python
    import http.client

    conn = http.client.HTTPSConnection("api.example.com")
    conn.request("POST", "/orders", body=payload)
    ```

    ## References
    - RFC 9110 §9.1 (method names are case-sensitive)
    """

    code = "ML402"
    name = "non-canonical-method-case"
    severity = Severity.ERROR
    summary = "A method not in upper case where the library sends it as written"
    hint = "Write the method in upper case"
    fixable = True
    VALID = (
        "import requests\nrequests.request('post', 'https://x.test/')\n",
        "import http.client\nc = http.client.HTTPConnection('x.test')\nc.request('POST', '/')\n",
        "import http.client\nc = http.client.HTTPConnection('x.test')\n"
        "c.request('post'.upper(), '/')\n",
        "from flask import Flask\napp = Flask(__name__)\n"
        "@app.route('/n', methods=['get', 'post'])\ndef n():\n    return ''\n",
    )
    INVALID = (
        "import http.client\nc = http.client.HTTPConnection('x.test')\nc.request('post', '/')\n",
        "from urllib.request import Request\nRequest('https://x.test/', method='put')\n",
        "import urllib3\np = urllib3.PoolManager()\np.urlopen('Get', 'https://x.test/')\n",
        "from urllib3.util.retry import Retry\nRetry(allowed_methods=['get', 'HEAD'])\n",
        "from django.views.decorators.http import require_http_methods\n"
        "@require_http_methods(['get'])\ndef v(request):\n    return ''\n",
    )

    def check_method_token(self, token: MethodToken) -> Iterator[Finding]:
        if not token.verbatim or token.upper_called:
            return
        value = token.value
        if value == value.upper() or not is_registered(value, self.settings.extra_methods):
            return
        canonical = value.upper()
        if token.role == "allowed-methods":
            yield self._allowed_method(token, canonical)
            return
        fix = None
        match = _PLAIN_LITERAL.match(token.source)
        if match is not None and not token.constant:
            prefix, quote, _ = match.groups()
            content = f"{prefix}{quote}{canonical}{quote}"
            fix = Fix(f"Upper-case the method to {canonical!r}", (Edit(token.span, content),))
        if token.role == "route":
            yield Finding(
                token.span,
                f"{value!r} in {token.client}(...) is compared as written with the request "
                f"method: no {canonical} request matches it, every one gets 405 Method Not "
                "Allowed",
                fix=fix,
            )
            return
        yield Finding(
            token.span,
            f"{value!r} is sent as written by {token.client}; HTTP methods are "
            f"case-sensitive, the server expects {canonical!r}",
            fix=fix,
        )

    def _allowed_method(self, token: MethodToken, canonical: str) -> Finding:
        idempotent = is_idempotent(canonical) or canonical in self.settings.idempotent_methods
        fix = None
        match = _PLAIN_LITERAL.match(token.source)
        if idempotent and match is not None and not token.constant:
            prefix, quote, _ = match.groups()
            content = f"{prefix}{quote}{canonical}{quote}"
            fix = Fix(f"Upper-case the method to {canonical!r}", (Edit(token.span, content),))
        effect = (
            "upper-casing it will let them be retried"
            if idempotent
            else f"upper-casing it would start retrying {canonical} requests (see ML203)"
        )
        return Finding(
            token.span,
            f"{token.value!r} in the allowed methods of {token.client}(...) is compared as "
            f"written with the upper-cased request method: no {canonical} request is retried; "
            f"{effect}",
            hint=None
            if idempotent
            else f"Remove the entry, or decide whether to retry {canonical} first",
            fix=fix,
        )
