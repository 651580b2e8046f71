"""ML105: a body keyword that httpx's get/head/options/delete do not accept."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule


class BodyArgumentRejected(Rule):
    """
    ## What it does
    Flags a body keyword (`content=`, `data=`, `files=`, `json=`) passed to httpx's `get`,
    `head`, `options` or `delete`, as a module function or as a `Client`/`AsyncClient`
    method, at the keyword. Reported instead of ML101-ML103. `httpx.request("GET", url,
    json=...)` is accepted by httpx and sends the body: that is ML101.

    ## Why is this bad?
    These httpx functions have no content parameters: the call raises `TypeError` at run
    time, on a path that tests may not cover, often an error handler or a rarely used branch.

    ## Example
    ```python
    import httpx

    httpx.delete("https://api.example.com/items", json={"ids": [1, 2]})
    ```

    ## Use instead
    ```python
    import httpx

    httpx.request("POST", "https://api.example.com/items/batch-delete", json={"ids": [1, 2]})
    ```

    ## References
    - httpx API reference: `httpx.get`, `httpx.delete`, `Client.get`, `Client.delete`
    - RFC 9110 §9.3.1, §9.3.2, §9.3.5
    """

    code = "ML105"
    name = "body-argument-rejected"
    severity = Severity.ERROR
    summary = "A body keyword on an httpx get/head/options/delete call: TypeError at run time"
    hint = "Remove the body, or use client.request(method, url, ...) if the API needs one"
    VALID = (
        "import httpx\nhttpx.get('https://x.test/', params={'q': 1})\n",
        "import httpx\nhttpx.request('DELETE', 'https://x.test/', json={'a': 1})\n",
    )
    INVALID = (
        "import httpx\nhttpx.get('https://x.test/', json={'q': 1})\n",
        "import httpx\nwith httpx.Client() as c:\n    c.delete('https://x.test/', content=b'x')\n",
        "import httpx\nasync def f(c: httpx.AsyncClient):\n    await c.options('/', data=None)\n",
    )

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if not call.rejects_body:
            return
        callee = (
            call.client if call.client.endswith(f".{call.api}") else f"{call.client}.{call.api}"
        )
        through = f" (called in {' -> '.join(call.via)})" if call.via else ""
        for body in call.bodies:
            if body.keyword:
                yield Finding(
                    body.span,
                    f"{callee}(){through} has no {body.name}= parameter: this call raises "
                    "TypeError",
                )
