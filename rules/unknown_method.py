"""ML401: a method token that names no registered HTTP method."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import MethodToken
from methodlint.methods import is_registered, nearest
from methodlint.rule import Finding, Rule


class UnknownMethod(Rule):
    """
    ## What it does
    Flags a string literal in an HTTP method position (the method argument of a call that
    methodlint ties to an HTTP library, each branch of a conditional expression there, or a
    constant bound once to a literal and used there) that is, in no letter case, the name of
    a method in the IANA HTTP Method Registry or in `extra-methods`/`idempotent-methods`.
    The message suggests the nearest registered method when one is close. A constant is
    reported once, at its literal.

    ## Why is this bad?
    Libraries send the token as it is: a misspelt method reaches the server, which answers
    405 or 501, or reaches a proxy that rejects it. Retry policies and method-based logic
    (which methods are idempotent, which may carry a body) do not recognise it either.

    ## Example
    ```python
    import requests

    requests.request("GTE", "https://api.example.com/items")
    ```

    ## Use instead
    ```python
    import requests

    requests.request("GET", "https://api.example.com/items")
    ```

    ## References
    - RFC 9110 §9.1 (method overview), §16.1 (method extensibility)
    - IANA HTTP Method Registry
    """

    code = "ML401"
    name = "unknown-method"
    severity = Severity.ERROR
    summary = "A method literal that is not a registered HTTP method"
    hint = "Use a registered method, or add an extension method to extra-methods"
    VALID = (
        "import requests\nrequests.request('PROPFIND', 'https://dav.test/')\n",
        "import requests\nrequests.request('get', 'https://x.test/')\n",
        "import json\njson.dumps({'method': 'GTE'})\n",
    )
    INVALID = (
        "import requests\nrequests.request('GTE', 'https://x.test/')\n",
        "import httpx\nMETHOD = 'PSOT'\nhttpx.request(METHOD, 'https://x.test/')\n",
        "import http.client\nc = http.client.HTTPSConnection('x.test')\nc.request('FETCH', '/')\n",
    )

    def check_method_token(self, token: MethodToken) -> Iterator[Finding]:
        extra = self.settings.extra_methods
        if is_registered(token.value, extra):
            return
        suggestion = nearest(token.value, extra)
        closing = f" (did you mean {suggestion!r}?)" if suggestion else ""
        yield Finding(
            token.span,
            f"{token.value!r} is not a registered HTTP method{closing}",
        )
