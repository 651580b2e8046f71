"""ML303: an If-Match value that is a weak validator, which If-Match never matches."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import FileFacts, HttpCall
from methodlint.rule import Finding, Rule


def _weak(literal: str) -> bool:
    """Every entity tag of the literal (a comma-separated list) is weak (`W/"..."`)."""
    tags = [t.strip() for t in literal.split(",")]
    return all(t.startswith("W/") for t in tags) and bool(tags)


class WeakEtagPrecondition(Rule):
    """
    ## What it does
    Flags an `If-Match` header whose value is a literal weak entity tag (`W/"..."`, also as
    an f-string or a concatenation that starts with `W/`), reported at the value. Entity tags
    read at run time (`response.headers["ETag"]`) are not checked.

    ## Why is this bad?
    A server compares `If-Match` with the strong comparison function (RFC 9110 §13.1.1): a
    weak entity tag never matches, not even the current representation's own tag, so every
    request answers 412 Precondition Failed and the update never succeeds. Weak validators
    are for cache revalidation (`If-None-Match`), not for guarding writes.

    ## Example
    ```python
    import requests

    requests.put(url, json=doc, headers={"If-Match": f'W/"{version}"'})
    ```

    ## Use instead
    ```python
    import requests

    requests.put(url, json=doc, headers={"If-Match": f'"{version}"'})
    ```

    ## References
    - RFC 9110 §8.8.3.2 (entity tag comparison)
    - RFC 9110 §13.1.1 (If-Match)
    """

    code = "ML303"
    name = "weak-etag-precondition"
    severity = Severity.ERROR
    summary = "An If-Match value that is a weak validator (W/...): it never matches"
    hint = (
        "Send a strong entity tag (without W/); a server that only has weak tags cannot "
        "guard writes with If-Match (use If-Unmodified-Since)"
    )
    VALID = (
        "import requests\n"
        "requests.put('https://x.test/a', json={}, headers={'If-Match': '\"v1\"'})\n",
        "import requests\n"
        "def f(u, doc):\n"
        "    r = requests.get(u)\n"
        "    requests.put(u, json=doc, headers={'If-Match': r.headers['ETag']})\n",
        "import requests\n"
        "requests.get('https://x.test/a', headers={'If-None-Match': 'W/\"v1\"'})\n",
        "import requests\n"
        "requests.put('https://x.test/a', json={}, headers={'If-Match': '\"a\", W/\"b\"'})\n",
        "headers = {'If-Match': 'W/\"v1\"'}\n",
    )
    INVALID = (
        "import requests\n"
        "requests.put('https://x.test/a', json={}, headers={'If-Match': 'W/\"v1\"'})\n",
        "import httpx\n"
        "def f(u, v):\n"
        "    httpx.patch(u, json={}, headers={'if-match': f'W/\"{v}\"'})\n",
        "import requests\n"
        "HEADERS = {'If-Match': 'W/\"' + '1' + '\"'}\n"
        "def f(u):\n"
        "    requests.delete(u, headers=HEADERS)\n",
        "from urllib.request import Request, urlopen\n"
        "def f(u, b, v):\n"
        "    req = Request(u, data=b, method='PUT')\n"
        "    req.add_header('If-Match', 'W/\"%s\"' % v)\n"
        "    urlopen(req)\n",
    )

    def check_file(self, facts: FileFacts) -> Iterator[Finding]:
        # A headers dict shared by several requests is reported once, at its value.
        seen = set()
        for call in facts.calls:
            for finding in self._check(call):
                if finding.span not in seen:
                    seen.add(finding.span)
                    yield finding

    def _check(self, call: HttpCall) -> Iterator[Finding]:
        for header in call.headers.items:
            if header.name.lower() != "if-match" or header.span is None:
                continue
            literal = header.literal
            if literal is None or not _weak(literal):
                continue
            method = call.method or "request"
            yield Finding(
                header.span,
                f"If-Match of a {method} via {call.sent_by} is a weak entity tag: "
                "If-Match compares strongly, so it never matches and the request fails with 412",
            )
