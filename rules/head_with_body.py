"""ML102: a HEAD request that carries content."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rules._body import BodyOnMethodRule


class HeadWithBody(BodyOnMethodRule):
    """
    ## What it does
    Flags a HEAD request that sends content (the same arguments as ML101), at the body
    argument.

    ## Why is this bad?
    HEAD is GET without the response body (RFC 9110 §9.3.2); content in a HEAD request has no
    defined semantics and a client SHOULD NOT generate it. Intermediaries may reject the
    request or drop the body, and the server never sees what the code meant to send.

    ## Example
    ```python
    import requests

    requests.head("https://files.example.com/report.pdf", data={"token": token})
    ```

    ## Use instead
    ```python
    import requests

    requests.head(
        "https://files.example.com/report.pdf", headers={"Authorization": f"Bearer {token}"}
    )
    ```

    ## References
    - RFC 9110 §9.3.2 (HEAD)
    """

    code = "ML102"
    name = "head-with-body"
    severity = Severity.WARNING
    summary = "A HEAD request that carries content"
    hint = "Move the data to query parameters or headers; HEAD requests carry no content"
    method = "HEAD"
    VALID = (
        "import requests\nrequests.head('https://x.test/f', params={'v': 2})\n",
        "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
        "        await s.head('https://x.test/f', data=None)\n",
    )
    INVALID = (
        "import requests\nrequests.head('https://x.test/f', data={'v': 2})\n",
        "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s:\n"
        "        await s.head('https://x.test/f', json={'v': 2})\n",
    )
