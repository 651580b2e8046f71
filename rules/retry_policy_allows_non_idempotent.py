"""ML203: a transport retry policy that can re-send POST or PATCH after the server got it."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import RetryPolicy
from methodlint.rule import Finding, Rule

_NON_IDEMPOTENT = ("POST", "PATCH")


class RetryPolicyAllowsNonIdempotent(Rule):
    """
    ## What it does
    Flags a transport retry policy that can re-send a POST or PATCH the server already
    received:
    - urllib3 `Retry(...)` from any import path (`urllib3.Retry`, `urllib3.util.Retry`,
      `urllib3.util.retry.Retry`, `requests.adapters.Retry`,
      `requests.packages.urllib3.util.retry.Retry`, subclasses in the same file or in
      another module of the project)
      whose `allowed_methods` (or 1.26's `method_whitelist`) is falsy (`None`, `False`,
      empty: every method) or contains `"POST"` or `"PATCH"` as urllib3 compares them (upper
      case, as written; literals, `DEFAULT_ALLOWED_METHODS | {...}`, `.union(...)`). Not
      flagged with `total=0`, or with read retries off (`read=0`/`False`) and status retries
      limited to 413/429/503 (`status_forcelist`);
    - aiohttp_retry options (`ExponentialRetry`, `RandomRetry`, `ListRetry`,
      `FibonacciRetry`, `JitterRetry`, `RetryOptions`) and `RetryClient` without
      `retry_options` (which uses `ExponentialRetry()`), unless none of their paths can
      re-send a POST: status retries (for `methods`, default every method, when
      `retry_all_server_errors` is on, the default, or `statuses` go beyond 413/429/503),
      listed `exceptions` other than connection-establishment ones (for every method), or an
      `evaluate_response_callback` (for every method). `attempts=1` retries nothing.

    A subclass whose `__init__` passes `allowed_methods` to the base class (or
    `setdefault`s it in its keyword arguments) changes the default in every urllib3 version.
    One that only overrides the class attribute `DEFAULT_ALLOWED_METHODS` changes it in
    urllib3 1.26, which reads it from `self` at construction, but not in 2.x, whose default
    argument is bound to the base class's set: the message says so.

    Connect errors are retried by urllib3 whatever the method: they are safe. Errors that
    are neither connect nor read errors (a TLS error after the request was sent) count as
    urllib3's `other` retries and are retried whatever the method too; set `other=0` to
    close that gap (not flagged).

    ## Why is this bad?
    A read timeout or a 5xx answer does not say whether the server applied the request. A
    transport policy retries invisibly, below the code that sends the request, so a
    duplicate payment or message never shows in the application's logs.

    ## Example
    ```python
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    adapter = HTTPAdapter(
        max_retries=Retry(total=5, allowed_methods=None, status_forcelist=[500, 502, 503])
    )
    ```

    ## Use instead
    ```python
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    adapter = HTTPAdapter(max_retries=Retry(total=5, status_forcelist=[500, 502, 503]))
    ```

    ## References
    - RFC 9110 §9.2.2 (idempotent methods)
    - urllib3 `Retry` documentation (`allowed_methods`, `other`)
    - aiohttp_retry documentation
    """

    code = "ML203"
    name = "retry-policy-allows-non-idempotent"
    severity = Severity.WARNING
    summary = "A transport retry policy that can re-send POST or PATCH"
    hint = (
        "Keep the default allowed_methods (idempotent methods), or limit the policy to "
        "connection errors and 413/429/503"
    )
    VALID = (
        "from urllib3.util.retry import Retry\nRetry(total=5, status_forcelist=[500, 502])\n",
        "from urllib3 import Retry\nRetry(total=0, allowed_methods=None)\n",
        "from urllib3 import Retry\n"
        "Retry(allowed_methods=None, read=0, status_forcelist=[429, 503])\n",
        "from requests.adapters import Retry\nRetry(allowed_methods=['GET', 'post'])\n",
        "from aiohttp_retry import ExponentialRetry\n"
        "ExponentialRetry(attempts=3, methods={'GET'})\n",
        "from aiohttp_retry import ExponentialRetry\nExponentialRetry(attempts=1)\n",
        "from aiohttp_retry import RetryClient, ListRetry\n"
        "RetryClient(retry_options=ListRetry(timeouts=[1, 2], methods={'GET', 'HEAD'}))\n",
    )
    INVALID = (
        "from urllib3.util.retry import Retry\nRetry(total=5, allowed_methods=None)\n",
        "import urllib3\nurllib3.Retry(allowed_methods=frozenset(['GET', 'POST']))\n",
        "from urllib3.util import Retry\n"
        "Retry(allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {'PATCH'})\n",
        "from urllib3.util.retry import Retry\n"
        "class MyRetry(Retry):\n"
        "    pass\n"
        "MyRetry(method_whitelist=False)\n",
        "from aiohttp_retry import RetryClient\nRetryClient()\n",
        "from urllib3.util.retry import Retry\n"
        "class RetryAll(Retry):\n"
        "    def __init__(self, **kwargs):\n"
        "        kwargs.setdefault('allowed_methods', None)\n"
        "        super().__init__(**kwargs)\n"
        "RetryAll(total=5)\n",
        "from urllib3.util.retry import Retry\n"
        "class LegacyRetry(Retry):\n"
        "    DEFAULT_ALLOWED_METHODS = frozenset({'GET', 'POST'})\n"
        "LegacyRetry(total=5)\n",
        "from aiohttp_retry import ExponentialRetry\nExponentialRetry(attempts=5)\n",
        "import aiohttp\nfrom aiohttp_retry import ExponentialRetry\n"
        "ExponentialRetry(methods={'GET'}, exceptions={aiohttp.ClientError})\n",
    )

    def check_retry_policy(self, policy: RetryPolicy) -> Iterator[Finding]:
        if not policy.known:
            return
        resent: list[str] = []
        if policy.method_paths:
            if policy.status_methods is None:
                resent.extend(_NON_IDEMPOTENT)
            else:
                resent.extend(m for m in _NON_IDEMPOTENT if m in policy.status_methods)
        if policy.any_method_paths:
            resent = list(_NON_IDEMPOTENT)
        if not resent:
            return
        methods = " and ".join(resent)
        every = " (every method is allowed)" if policy.status_methods is None else ""
        paths = ", ".join((*policy.method_paths, *policy.any_method_paths))
        legacy = ""
        if policy.only_urllib3_126:
            legacy = (
                f" (with urllib3 1.26 only: {policy.only_urllib3_126}.DEFAULT_ALLOWED_METHODS "
                "sets the default there, urllib3 2.x keeps the base class's)"
            )
        yield Finding(
            policy.span,
            f"{policy.name}(...) can re-send {methods} after the server received "
            f"{'it' if len(resent) == 1 else 'them'}"
            f"{every}{legacy}: {paths}",
        )
