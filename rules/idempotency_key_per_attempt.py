"""ML204: an idempotency key generated inside the retry scope, new on every attempt."""

from __future__ import annotations

from methodlint.diagnostics import Severity, Span
from methodlint.facts import HttpCall
from methodlint.rules._retry import RetryRule, Verdict, methods_text, retried_by


class IdempotencyKeyPerAttempt(RetryRule):
    """
    ## What it does
    Flags an idempotency key (`Idempotency-Key`, `X-Idempotency-Key`, configured
    `idempotency-headers`) whose value is generated inside the retry scope that re-sends a
    non-idempotent request: from `uuid.uuid4()`/`uuid1()`, `secrets`, `random`,
    `os.urandom` or the clock, in the loop body, the decorated function or the retry block
    (directly or through a name bound there). Reported at the expression that generates the
    key, instead of ML201/ML202. A deterministic key (`f"order-{order.id}"`) is fine
    wherever it is built, and so is a random key made once before the retry starts.

    ## Why is this bad?
    The server recognises a retry by its key. A key made afresh on each attempt makes every
    attempt look like a new operation, so the duplicate the key was meant to prevent still
    happens: the key gives a false sense of safety.

    ## Example
    ```python
    import uuid

    import requests
    from tenacity import retry, stop_after_attempt

    @retry(stop=stop_after_attempt(3))
    def pay(order):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return requests.post("https://pay.example.com/charges", json=order, headers=headers)
    ```

    ## Use instead
    ```python
    import uuid

    import requests
    from tenacity import retry, stop_after_attempt

    def pay(order):
        return _pay(order, key=str(uuid.uuid4()))  # one key per operation

    @retry(stop=stop_after_attempt(3))
    def _pay(order, key):
        headers = {"Idempotency-Key": key}
        return requests.post("https://pay.example.com/charges", json=order, headers=headers)
    ```

    ## References
    - IETF httpapi draft "The Idempotency-Key HTTP Header Field"
    - RFC 9110 §9.2.2 (idempotent methods)
    """

    code = "ML204"
    name = "idempotency-key-per-attempt"
    severity = Severity.WARNING
    summary = "An idempotency key generated inside the retry scope, new on every attempt"
    hint = "Generate the key once per operation, before the retry starts, and reuse it"
    VALID = (
        "import uuid, requests\n"
        "def f(p):\n"
        "    key = str(uuid.uuid4())\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/a', json=p, "
        "headers={'Idempotency-Key': key})\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        "import requests\n"
        "def f(p, order_id):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/a', json=p, "
        "headers={'Idempotency-Key': f'order-{order_id}'})\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        "import uuid, requests\n"
        "def f():\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.get('https://x.test/a', "
        "headers={'X-Request-Id': str(uuid.uuid4())})\n"
        "        except requests.RequestException:\n"
        "            pass\n",
    )
    INVALID = (
        "import uuid, requests\n"
        "def f(p):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return requests.post('https://x.test/a', json=p, "
        "headers={'Idempotency-Key': str(uuid.uuid4())})\n"
        "        except requests.RequestException:\n"
        "            pass\n",
        "import secrets, httpx, stamina\n"
        "@stamina.retry(on=httpx.HTTPError)\n"
        "def f(p):\n"
        "    key = secrets.token_hex(16)\n"
        "    return httpx.post('https://x.test/a', json=p, headers={'Idempotency-Key': key})\n",
    )

    def location(self, call: HttpCall, verdict: Verdict) -> Span:
        assert verdict.fresh is not None
        return verdict.fresh.span

    def message(self, call: HttpCall, verdict: Verdict) -> str:
        assert verdict.fresh is not None
        return (
            f"The {verdict.fresh.header} of this {methods_text(call) or 'request'} via "
            f"{call.sent_by} is generated inside the scope retried by "
            f"{retried_by(verdict.scope)}: every attempt sends a new key"
        )
