"""ML503: a route that only DELETE reaches and that reads the request body."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import Route
from methodlint.rule import Finding, Rule
from methodlint.rules._route import describe


class DeleteRouteReadsBody(Rule):
    """
    ## What it does
    Flags a server route that only DELETE requests reach and whose handler reads the request
    body (the reads of ML501: `request.json`, `request.body`, `request.data`,
    `await request.json()`, a FastAPI body parameter, ...). Reported once per route, at the
    first read. A route that also serves POST or PUT is not flagged.

    ## Why is this bad?
    Content in a DELETE request has no generally defined semantics (RFC 9110 §9.3.5):
    some proxies, load balancers and client libraries drop it or reject the request, so the
    handler may see no body at all (httpx's `delete()` cannot even send one). What to delete
    belongs in the URL.

    ## Example
    ```python
    from flask import Flask, request

    app = Flask(__name__)

    @app.delete("/notes")
    def delete_notes():
        return remove(request.json["ids"])
    ```

    ## Use instead
    ```python
    from flask import Flask, request

    app = Flask(__name__)

    @app.delete("/notes/<int:note_id>")
    def delete_note(note_id):
        return remove([note_id])

    @app.post("/notes/batch-delete")
    def delete_notes():
        return remove(request.json["ids"])
    ```

    ## References
    - RFC 9110 §9.3.5 (DELETE)
    """

    code = "ML503"
    name = "delete-route-reads-body"
    severity = Severity.WARNING
    summary = "A route only DELETE reaches that reads the request body"
    hint = "Identify what to delete in the URL, or accept a POST to a batch endpoint"
    preview = True
    VALID = (
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.delete('/n/<int:i>')\ndef d(i):\n    return request.args.get('force')\n",
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.route('/n', methods=['POST', 'DELETE'])\ndef d():\n    return request.json\n",
    )
    INVALID = (
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.delete('/n')\ndef d():\n    return request.json\n",
        "from django.views.decorators.http import require_http_methods\n"
        "@require_http_methods(['DELETE'])\ndef v(request):\n    return request.body\n",
    )

    def check_route(self, route: Route) -> Iterator[Finding]:
        if route.methods != {"DELETE"} or not route.body_reads:
            return
        read = route.body_reads[0]
        yield Finding(
            read.span,
            f"{describe(route)} reads the request body ({read.what}): content in a DELETE "
            "request has no defined semantics and proxies may drop it",
        )
