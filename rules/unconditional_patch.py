"""ML304 (opt-in): a PATCH without a precondition, for APIs that all support ETags."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule
from methodlint.rules._precondition import carries_precondition


class UnconditionalPatch(Rule):
    """
    ## What it does
    Opt-in (`extend-select = ["ML304"]`): flags every PATCH request without a precondition
    (`If-Match`, `If-Unmodified-Since`, a header of `precondition-headers`, or a JSON Patch
    document that starts with a `test` operation) that ML301 does not already cover: a PATCH
    that sends a JSON Patch document or is a read-modify-write is ML301's. Reported at the
    build site, only when methodlint sees every header of the request.

    ## Why is this bad?
    A partial update is computed by the client from what it believes the resource holds.
    Without a precondition the server applies it to whatever version it has now, and a
    concurrent change by another client can be overwritten or combined into a state nobody
    intended. Teams whose APIs all hand out ETags can require every PATCH to be
    conditional; for others most blind PATCHes (a merge patch that sets one field) are
    fine, which is why this rule is off by default.

    ## Example
    ```python
    import requests

    requests.patch(url, json={"status": "archived"})
    ```

    ## Use instead
    ```python
    import requests

    requests.patch(url, json={"status": "archived"}, headers={"If-Match": etag})
    ```

    ## References
    - RFC 5789 §2 (PATCH and conditional requests)
    - RFC 9110 §13.1.1 (If-Match), §13.1.4 (If-Unmodified-Since)
    """

    code = "ML304"
    name = "unconditional-patch"
    severity = Severity.WARNING
    summary = "A PATCH without a precondition (opt-in, for APIs that all support ETags)"
    hint = "Send If-Match with the ETag of the version the change is based on"
    default_on = False
    VALID = (
        "import requests\n"
        "def f(u, tag):\n"
        "    requests.patch(u, json={'a': 1}, headers={'If-Match': tag})\n",
        "import requests\n"
        "def f(u, since):\n"
        "    requests.patch(u, json={'a': 1}, headers=[('If-Unmodified-Since', since)])\n",
        "import requests\n"
        "def f(u, headers):\n"
        "    requests.patch(u, json={'a': 1}, headers=headers)\n",
        "import requests\n"
        "def f(u, v):\n"
        "    requests.patch(u, json=[{'op': 'test', 'path': '/v', 'value': v},\n"
        "                            {'op': 'remove', 'path': '/a'}])\n",
        # ML301's: a JSON Patch document, a read-modify-write.
        "import requests\n"
        "requests.patch('https://x.test/a', json=[{'op': 'remove', 'path': '/a'}])\n",
        "import requests\n"
        "def f(u):\n"
        "    doc = requests.get(u).json()\n"
        "    requests.patch(u, json={'n': doc['n'] + 1})\n",
        # A blind PUT replaces the resource: never flagged.
        "import requests\nrequests.put('https://x.test/a', json={'a': 1})\n",
    )
    INVALID = (
        "import requests\nrequests.patch('https://x.test/a', json={'status': 'archived'})\n",
        "import httpx\n"
        "async def f(c: httpx.AsyncClient, u):\n"
        "    await c.patch(u, json={'a': 1}, headers={'Authorization': 'Bearer x'})\n",
        "import requests\n"
        "def f(u):\n"
        "    requests.request('PATCH', u, json={'a': 1}, headers={'If-Match': None})\n",
        "import http.client\n"
        "def f(body):\n"
        "    c = http.client.HTTPConnection('x.test')\n"
        "    c.request('PATCH', '/a', body)\n",
    )

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if call.method != "PATCH":
            return
        if call.json_patch is not None or call.read_modify_write is not None:
            return  # ML301
        if carries_precondition(call, self.settings) is not False:
            return
        yield Finding(
            call.build_site,
            f"PATCH via {call.sent_by} is sent without If-Match or If-Unmodified-Since",
        )
