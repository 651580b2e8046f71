"""ML202: a non-idempotent request re-sent by a retry decorator or retry block."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rules._retry import RetryRule, Verdict, methods_text, retried_by, retries_on


class NonIdempotentRetryDecorator(RetryRule):
    """
    ## What it does
    Flags a POST, PATCH or other non-idempotent request sent by a function under a retry
    decorator, or inside a retry block, that is not safe to retry:
    - decorators: tenacity `retry` (bare or called), backoff `on_exception`/`on_predicate`,
      stamina `retry`, retrying `retry`, the `retry` package's `retry`, a Celery task with
      `autoretry_for` or one that calls `self.retry(...)`, configured `retry-decorators`, a
      module-level name bound to one of these, and a name bound to what a same-file factory
      function returns (`_create_retry_decorator()`);
    - blocks: `for attempt in tenacity.Retrying(...): with attempt:` (and `AsyncRetrying`),
      `stamina.retry_context(...)`, and a function run through `tenacity.Retrying(...)(fn)`,
      `tenacity.retry(...)(fn)(...)`, `stamina.RetryingCaller()`/`AsyncRetryingCaller()`:
      an HTTP function passed directly, a lambda, or a function of the same file; and a
      project retry helper, a function that calls the callable it is given again after a
      failure (`with_retries(self._create_order, order)`).

    The decorated function's or block's own requests count, and so do those of the project
    functions it calls (reported at the call, with the chain in the message).

    A decorator configured for one attempt (`stop_after_attempt(1)`, `max_tries=1`,
    `attempts=1`, `tries=1`, `stop_max_attempt_number=1`, Celery `max_retries=0`) is no
    retry. The request is safe to retry, and not flagged, when it carries an idempotency key
    not made per attempt or a precondition, when the decorator retries only
    connection-establishment errors (`retry_if_exception_type(httpx.ConnectError)`,
    `on=httpx.ConnectTimeout`, `autoretry_for=(requests.exceptions.ConnectTimeout,)`, ...),
    when the retry is gated on the method, or when the URL is a read-only query endpoint
    (`retry-safe-urls`). Headers methodlint cannot all see are assumed to hold a key.

    Only the calls written inside the decorated function (or the block) are covered;
    helpers they call are not followed yet.

    ## Why is this bad?
    A retry decorator re-runs the whole function when it raises, including a POST that the
    server received and applied before the connection failed or the response timed out.
    Bare `@tenacity.retry` retries forever on any exception, and `backoff.on_predicate`
    retries a falsy result, which is what a failed `requests.Response` is. RFC 9110 §9.2.2:
    a client SHOULD NOT automatically retry a non-idempotent request.

    ## Example
    ```python
    import httpx
    import stamina

    @stamina.retry(on=httpx.HTTPError, attempts=3)
    async def notify(client: httpx.AsyncClient, event):
        return await client.post("https://hooks.example.com/events", json=event)
    ```

    ## Use instead
    ```python
    import httpx
    import stamina

    @stamina.retry(on=httpx.HTTPError, attempts=3)
    async def notify(client: httpx.AsyncClient, event):
        headers = {"Idempotency-Key": event["id"]}
        return await client.post(
            "https://hooks.example.com/events", json=event, headers=headers
        )
    ```

    ## References
    - RFC 9110 §9.2.2 (idempotent methods)
    - IETF httpapi draft "The Idempotency-Key HTTP Header Field"
    - tenacity, backoff, stamina documentation
    """

    code = "ML202"
    name = "non-idempotent-retry-decorator"
    severity = Severity.WARNING
    summary = "A non-idempotent request re-sent by a retry decorator or retry block"
    hint = (
        "Send an Idempotency-Key derived from the operation, or retry only connection "
        "errors (ConnectError, ConnectTimeout)"
    )
    VALID = (
        # The helper sets a key made once per operation.
        "import requests, tenacity\n"
        "def _post(path, body, key):\n"
        "    return requests.post('https://x.test' + path, json=body,\n"
        "                         headers={'Idempotency-Key': key})\n"
        "@tenacity.retry\n"
        "def notify(event):\n"
        "    return _post('/events', event, event['id'])\n",
        "import httpx, stamina\n"
        "@stamina.retry(on=httpx.ConnectError, attempts=3)\n"
        "def f(p):\n"
        "    return httpx.post('https://x.test/a', json=p)\n",
        "from tenacity import retry, stop_after_attempt\n"
        "import requests\n"
        "@retry(stop=stop_after_attempt(1))\n"
        "def f(p):\n"
        "    return requests.post('https://x.test/a', json=p)\n",
        "import backoff, requests\n"
        "@backoff.on_exception(backoff.expo, requests.exceptions.RequestException)\n"
        "def f(p, order_id):\n"
        "    h = {'Idempotency-Key': f'order-{order_id}'}\n"
        "    return requests.post('https://x.test/a', json=p, headers=h)\n",
        "import tenacity, requests\n"
        "@tenacity.retry\n"
        "def f():\n"
        "    return requests.get('https://x.test/a')\n",
        "from retrying import retry\n"
        "import requests\n"
        "@retry(retry_on_exception=lambda e: isinstance(e, requests.exceptions.ConnectTimeout))\n"
        "def f(p):\n"
        "    return requests.post('https://x.test/a', json=p)\n",
        "from celery import shared_task\n"
        "import requests\n"
        "@shared_task(autoretry_for=(requests.exceptions.ConnectTimeout,), max_retries=5)\n"
        "def f(p):\n"
        "    requests.post('https://x.test/a', json=p)\n",
        "import tenacity, requests\n"
        "def f(q):\n"
        "    for attempt in tenacity.Retrying(stop=tenacity.stop_after_attempt(3)):\n"
        "        with attempt:\n"
        "            return requests.post('https://es.test/idx/_search', json=q)\n",
    )
    INVALID = (
        # A decorated function that calls a helper that posts.
        "import requests, tenacity\n"
        "def _post(path, body):\n"
        "    return requests.post('https://x.test' + path, json=body)\n"
        "@tenacity.retry\n"
        "def notify(event):\n"
        "    return _post('/events', event)\n",
        # A project retry helper given a function that posts.
        "import time, requests\n"
        "def with_retries(fn, *args):\n"
        "    for attempt in range(3):\n"
        "        try:\n"
        "            return fn(*args)\n"
        "        except requests.RequestException:\n"
        "            time.sleep(attempt)\n"
        "def create(o):\n"
        "    return requests.post('https://x.test/o', json=o)\n"
        "def place(o):\n"
        "    return with_retries(create, o)\n",
        "import httpx, stamina\n"
        "@stamina.retry(on=httpx.HTTPError, attempts=3)\n"
        "async def f(client: httpx.AsyncClient, p):\n"
        "    return await client.post('https://x.test/a', json=p)\n",
        "import tenacity, requests\n"
        "@tenacity.retry\n"
        "def f(p):\n"
        "    return requests.post('https://x.test/a', json=p)\n",
        "import backoff, requests\n"
        "@backoff.on_predicate(backoff.expo, max_tries=5)\n"
        "def f(p):\n"
        "    return requests.post('https://x.test/a', json=p)\n",
        "from retry import retry\n"
        "import requests\n"
        "@retry(tries=3)\n"
        "def f(p):\n"
        "    return requests.patch('https://x.test/a', json=p)\n",
        "from tenacity import retry, stop_after_attempt\n"
        "import requests\n"
        "send_retry = retry(stop=stop_after_attempt(5))\n"
        "@send_retry\n"
        "def f(p):\n"
        "    return requests.post('https://x.test/a', json=p)\n",
        "import tenacity, requests\n"
        "def f(p):\n"
        "    for attempt in tenacity.Retrying(stop=tenacity.stop_after_attempt(3)):\n"
        "        with attempt:\n"
        "            requests.post('https://x.test/a', json=p)\n",
        "import tenacity, requests\n"
        "def f(p):\n"
        "    return tenacity.Retrying()(requests.post, 'https://x.test/a', json=p)\n",
        "from celery import Celery\n"
        "import requests\n"
        "app = Celery()\n"
        "@app.task(bind=True, max_retries=3)\n"
        "def f(self, p):\n"
        "    try:\n"
        "        requests.post('https://x.test/a', json=p)\n"
        "    except requests.RequestException as exc:\n"
        "        raise self.retry(exc=exc)\n",
    )

    def message(self, call: HttpCall, verdict: Verdict) -> str:
        return (
            f"{methods_text(call)} via {call.sent_by} is retried by "
            f"{retried_by(verdict.scope)} without an Idempotency-Key"
            f"{retries_on(verdict.scope)}"
        )
