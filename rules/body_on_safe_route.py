"""ML501: a route that only safe methods reach and that reads the request body."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import Route
from methodlint.rule import Finding, Rule
from methodlint.rules._route import describe


class BodyOnSafeRoute(Rule):
    """
    ## What it does
    Flags a server route that only GET, HEAD or OPTIONS requests can reach and whose handler
    reads the request body: Flask and Quart `request.json`, `get_json()`, `data`,
    `get_data()`, `form`, `files`, `stream`; Django `request.body`, `POST`, `FILES`,
    `read()`; Django REST framework `request.data`; Starlette and FastAPI
    `await request.json()`, `body()`, `form()`, `stream()` and FastAPI body parameters
    (`Body()`, `Form()`, `File()`, `UploadFile`, a Pydantic model of the module); aiohttp
    `await request.json()`, `post()`, `read()`, `text()`, `request.content`. Reported once
    per route, at the first read. The query string (`request.args`, `request.values`,
    `query_params`, `request.GET`) is not the body. Routes whose methods methodlint cannot
    tell (a Django function view without a method decorator) are never flagged.

    ## Why is this bad?
    Content in a GET or HEAD request has no defined semantics (RFC 9110 §9.3.1, §9.3.2):
    clients, proxies and caches may drop it, and browsers cannot send it. A handler that
    reads it was usually meant to accept a POST: in Flask, `@app.route(path)` without
    `methods` serves GET, HEAD and OPTIONS only, so the form or JSON POST that the handler
    expects gets 405 Method Not Allowed.

    ## Example
    ```python
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/notes")
    def create_note():
        return save(request.form["text"])
    ```

    ## Use instead
    ```python
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/notes", methods=["POST"])
    def create_note():
        return save(request.form["text"])
    ```

    ## References
    - RFC 9110 §9.3.1 (GET), §9.3.2 (HEAD)
    - RFC 9110 §9.2.1 (safe methods)
    """

    code = "ML501"
    name = "body-on-safe-route"
    severity = Severity.WARNING
    summary = "A route only safe methods reach that reads the request body"
    hint = (
        "Accept the method that sends the content (methods=['POST']), or read query "
        "parameters instead"
    )
    preview = True
    VALID = (
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.route('/s')\ndef s():\n    return request.args['q']\n",
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.route('/n', methods=['GET', 'POST'])\ndef n():\n"
        "    if request.method == 'POST':\n        return request.form['t']\n    return ''\n",
        "from fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/n/{id}')\ndef n(id: int, request: str = ''):\n    return request.json()\n",
    )
    INVALID = (
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "@app.route('/s')\ndef s():\n    return request.form['q']\n",
        "from django.views.decorators.http import require_GET\n"
        "@require_GET\ndef v(request):\n    return request.body\n",
        "from fastapi import FastAPI, Request\napp = FastAPI()\n"
        "@app.get('/n')\nasync def n(request: Request):\n    return await request.json()\n",
    )

    def check_route(self, route: Route) -> Iterator[Finding]:
        if not route.safe_only or not route.body_reads:
            return
        read = route.body_reads[0]
        message = f"{describe(route)} reads the request body ({read.what})"
        if route.default_methods and route.framework in ("flask", "quart"):
            message += (
                "; only GET and HEAD reach it, so a form or JSON POST to it gets 405 Method "
                "Not Allowed (methods=['POST'] forgotten?)"
            )
        yield Finding(read.span, message)
