"""ML403: a GET or HEAD to a URL whose path names a state-changing action."""

from __future__ import annotations

import re
from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule

ACTIONS = frozenset(
    {
        "delete",
        "remove",
        "destroy",
        "erase",
        "create",
        "insert",
        "update",
        "modify",
        "reset",
        "cancel",
        "revoke",
        "purge",
        "approve",
        "reject",
        "unarchive",
        "publish",
        "unpublish",
        "activate",
        "deactivate",
        "enable",
        "disable",
        "subscribe",
        "unsubscribe",
        "block",
        "unblock",
        "ban",
        "unban",
        "logout",
        "signout",
        "submit",
        "trigger",
        "restart",
        "kill",
        "disconnect",
    }
)
_SAFE = frozenset({"GET", "HEAD"})
# A segment's first word: lower case (`delete`, `deleteUser`), capitalised (`DeleteUser`) or
# upper case (`DELETE_USER`, `HTMLParser` gives `HTML`).
_FIRST_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?=[A-Z][a-z]|[^A-Za-z]|$)")


# A segment that names a static document is read, not acted on: `update.json`, `reset.txt`.
_DOCUMENTS = frozenset(
    {
        "json",
        "xml",
        "txt",
        "yaml",
        "yml",
        "toml",
        "ini",
        "cfg",
        "md",
        "rst",
        "csv",
        "rss",
        "atom",
        "html",
        "htm",
        "css",
        "js",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "ico",
        "pdf",
        "zip",
        "gz",
        "tgz",
        "tar",
        "whl",
        "exe",
        "msi",
        "dmg",
        "deb",
        "rpm",
        "apk",
        "jar",
        "bin",
        "sig",
        "asc",
        "sha256",
        "sh",
        "bat",
        "ps1",
    }
)


def action(segments: tuple[str, ...]) -> str | None:
    """The first segment that names an action: its first word is one of `ACTIONS`, it is not
    a static document, and no literal segment follows it (only identifiers, as placeholders:
    `/users/{}/delete`, `/delete/{}`); an action word followed by a literal segment names a
    part of the API (`/update-system/job-status/{}`), not an action."""
    for index, segment in enumerate(segments):
        word = first_word(segment)
        if word not in ACTIONS:
            continue
        if word == "block" and not (
            index and ("{}" in segments[index - 1] or segments[index - 1].isdigit())
        ):
            # Also a noun: `GET /block?height=5` reads a blockchain block. It names the
            # action only on a resource: `/users/{}/block`.
            continue
        if "." in segment and segment.rsplit(".", 1)[1].lower() in _DOCUMENTS:
            continue
        if all("{}" in later for later in segments[index + 1 :]):
            return segment
    return None


def first_word(segment: str) -> str | None:
    """The first word of a path segment, split on `-`, `_`, `.` and camelCase, lower-cased;
    None when the word does not end at one of those (`delete2`, `delete{}`, `{}delete`)."""
    match = _FIRST_WORD.match(segment)
    if match is None:
        return None
    rest = segment[match.end() :]
    if rest and rest[0] not in "-_." and not rest[0].isupper():
        return None
    return match.group().lower()


class UnsafeActionViaGet(Rule):
    """
    ## What it does
    Flags a GET or HEAD request whose literal URL has a path segment whose first word
    names a state-changing action: delete, remove, destroy, erase, create, insert, update,
    modify, reset, cancel, revoke, purge, approve, reject, unarchive, publish, unpublish,
    activate, deactivate, enable, disable, subscribe, unsubscribe, block, unblock, ban, unban,
    logout, signout, submit, trigger, restart, kill, disconnect. Words are split on
    `-`, `_`, `.` and camelCase, and only whole words count: `/updates`, `/deleted-items`
    and `/docs/how-to-delete-an-account` do not match. The host never counts, nor the query.
    The action segment must end the path, or be followed only by computed segments
    (`/users/{id}/delete`, `/delete/{key}`): a literal segment after it makes it the name of a
    part of the API (`/update-system/job-status`), and a static document (`update.json`) is
    read, not acted on. `block` is also a noun (`GET /block?height=5` reads a blockchain
    block): it counts only after an identifier segment (`/users/{id}/block`).
    The URL is read from a string, an f-string, a concatenation, `%`/`.format()` of a literal,
    `urljoin` of such parts, or a name bound once to one of these; for a URL led by a
    placeholder (`f"{base}/users/delete"`) the placeholder is taken as the base URL.
    Reported at the URL argument.

    ## Why is this bad?
    GET and HEAD are safe methods (RFC 9110 §9.2.1): a client, a crawler, a link
    prefetcher, a cache or a retrying proxy may send them again, or ahead of time, without
    anyone asking for the change they make. An action behind a GET happens when it should
    not, or more often than intended, and cannot be protected against cross-site request
    forgery the way other methods are. When the server offers the action over GET only, the
    API is at fault: the finding is a reason to ask for (or use) the POST or DELETE form.

    ## Example
    ```python
    import requests

    requests.get(f"{API}/users/{user_id}/deactivate")
    ```

    ## Use instead
    ```python
    import requests

    requests.post(f"{API}/users/{user_id}/deactivate")
    ```

    ## References
    - RFC 9110 §9.2.1 (safe methods), §9.3.1 (GET), §9.3.2 (HEAD)
    """

    code = "ML403"
    name = "unsafe-action-via-get"
    severity = Severity.WARNING
    summary = "A GET or HEAD to a URL that names a state-changing action (/delete, /logout)"
    hint = (
        "Use POST (or DELETE, PUT, PATCH) for a request that changes state; GET and HEAD "
        "may be repeated or prefetched"
    )
    VALID = (
        "import requests\nrequests.get('https://x.test/api/updates')\n",
        "import requests\nrequests.get('https://x.test/api/deleted-items')\n",
        "import requests\nrequests.get('https://x.test/docs/how-to-delete-an-account')\n",
        "import requests\nrequests.get('https://delete.example.com/items')\n",
        "import requests\nrequests.get('https://x.test/items?action=delete')\n",
        "import requests\nrequests.post('https://x.test/items/1/delete')\n",
        "import requests\ndef f(base):\n    requests.get(f'{base}/items/{1}/undelete')\n",
        "import requests\ndef f(base, what):\n    requests.get(f'{base}/items/delete{what}')\n",
        "import requests\ndef f(url):\n    requests.get(url)\n",
        "import httpx\nhttpx.get('api.delete.test/items')\n",
        "import requests\nrequests.get('https://x.test/updater/v2/status')\n",
        "import requests\ndef f(base, i):\n    requests.get(f'{base}/update-system/status/{i}')\n",
        "import requests\nrequests.get('https://x.test/releases/update.json')\n",
        "import requests\ndef f(rpc, h):\n    requests.get(f'{rpc}/block?height={h}')\n",
    )
    INVALID = (
        "import requests\nrequests.get('https://x.test/api/items/1/delete')\n",
        "import requests\ndef f(base, i):\n    requests.get(f'{base}/users/{i}/deactivate')\n",
        "import httpx\nAPI = 'https://x.test/v1'\nhttpx.get(API + '/logout')\n",
        "import requests\n"
        "from urllib.parse import urljoin\n"
        "def f(base):\n"
        "    requests.head(urljoin(base, 'cache/purge'))\n",
        "import aiohttp\n"
        "async def f(s: aiohttp.ClientSession, i):\n"
        "    await s.get('/api/%s/removeMember' % i)\n",
        "import urllib3\nurllib3.request('GET', 'https://x.test/jobs/{}/kill'.format(3))\n",
        "from urllib.request import urlopen\nurlopen('https://x.test/cgi-bin/reset.php')\n",
        "import http.client\n"
        "c = http.client.HTTPConnection('x.test')\n"
        "c.request('GET', '/admin/CANCEL_ORDER')\n",
        "import requests\n"
        "def f(base, i):\n"
        "    url = f'{base}/subscriptions/{i}/unsubscribe'\n"
        "    return requests.get(url)\n",
        "import requests\ndef f(base, key):\n    requests.get(f'{base}/delete/{key}')\n",
    )

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if not call.methods or not call.methods <= _SAFE or call.url is None:
            return
        segment = action(call.url.segments or ())
        if segment is not None:
            yield Finding(
                call.url.span,
                f"{call.method or 'GET'} via {call.sent_by} to a URL that names an action "
                f"('{segment}'): a safe method must not change state",
            )
