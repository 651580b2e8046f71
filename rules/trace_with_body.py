"""ML104: a TRACE request that carries content."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rules._body import BodyOnMethodRule


class TraceWithBody(BodyOnMethodRule):
    """
    ## What it does
    Flags a TRACE request that sends content, at the body argument: the arguments of ML101,
    and also urllib3 `fields=`, which urllib3 sends as the body for TRACE.

    ## Why is this bad?
    A client MUST NOT send content in a TRACE request (RFC 9110 §9.3.8): the server echoes
    the request message back, and servers and intermediaries reject TRACE requests with
    content.

    ## Example
    ```python
    import urllib3

    urllib3.request("TRACE", "https://example.com/", fields={"probe": "1"})
    ```

    ## Use instead
    ```python
    import urllib3

    urllib3.request("TRACE", "https://example.com/", headers={"X-Probe": "1"})
    ```

    ## References
    - RFC 9110 §9.3.8 (TRACE)
    """

    code = "ML104"
    name = "trace-with-body"
    severity = Severity.ERROR
    summary = "A TRACE request that carries content (MUST NOT)"
    hint = "Remove the content; TRACE requests must not carry any"
    method = "TRACE"
    VALID = ("import urllib3\nurllib3.request('TRACE', 'https://x.test/', headers={'X': '1'})\n",)
    INVALID = (
        "import urllib3\nurllib3.request('TRACE', 'https://x.test/', fields={'p': '1'})\n",
        "import requests\nrequests.request('TRACE', 'https://x.test/', data='x')\n",
    )
