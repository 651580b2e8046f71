"""ML2xx (retries and idempotency) on small realistic programs.

Each case is one program as SDKs, services, scripts and Celery workers write them. A line that
must be reported carries `# expect: ML2xx`; a program without such a comment must be clean.
Findings are compared as (code, line) pairs, so a finding on the wrong line fails too.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from methodlint import Config, lint_source

ML2 = Config(select=("ML2",))
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")


def case(name: str, source: str, config: Config = ML2) -> object:
    return pytest.param(textwrap.dedent(source), config, id=name)


def expected(source: str) -> list[tuple[str, int]]:
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            found.extend((code.strip(), number) for code in match["codes"].split(","))
    return sorted(found)


def reported(source: str, config: Config) -> list[tuple[str, int]]:
    return sorted((d.code, d.line) for d in lint_source(source, "case.py", config))


def check(source: str, config: Config) -> None:
    assert reported(source, config) == expected(source)


# -- retry loops ------------------------------------------------------------------------------

LOOPS = [
    case(
        "for-range-try-except-request-exception",
        """
        import time
        import requests

        def create_order(session: requests.Session, order: dict) -> dict:
            for attempt in range(3):
                try:
                    r = session.post("https://shop.test/orders", json=order)  # expect: ML201
                    r.raise_for_status()
                    return r.json()
                except requests.RequestException:
                    time.sleep(2**attempt)
            raise RuntimeError("gave up")
        """,
    ),
    case(
        "while-true-status-5xx-httpx",
        """
        import time
        import httpx

        def send(client: httpx.Client, event: dict) -> httpx.Response:
            while True:
                r = client.post("/events", json=event)  # expect: ML201
                if r.status_code >= 500:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "while-counter-raise-for-status-in-try",
        """
        import requests

        def submit(session: requests.Session, form: dict):
            attempts = 0
            while attempts < 5:
                try:
                    r = session.post("https://forms.test/submit", data=form)  # expect: ML201
                    r.raise_for_status()
                    return r
                except requests.HTTPError:
                    attempts += 1
            return None
        """,
    ),
    case(
        "for-over-delay-schedule",
        """
        import time
        import requests

        def notify(payload):
            for delay in (1, 2, 4, 8):
                try:
                    return requests.post("https://hooks.test/n", json=payload)  # expect: ML201
                except requests.Timeout:
                    time.sleep(delay)
        """,
    ),
    case(
        "for-itertools-count",
        """
        import itertools
        import time
        import requests

        def push(metrics):
            for attempt in itertools.count():
                try:
                    return requests.post("https://m.test/push", json=metrics)  # expect: ML201
                except requests.ConnectionError:
                    time.sleep(min(60, 2**attempt))
        """,
    ),
    case(
        "success-check-falls-through",
        """
        import time
        import requests

        def register(device):
            for _ in range(5):
                r = requests.post("https://iot.test/devices", json=device)  # expect: ML201
                if r.ok:
                    return r.json()
                time.sleep(3)
            raise RuntimeError(r.text)
        """,
    ),
    case(
        "not-ok-continue-else-break",
        """
        import time
        import requests

        def upload(blob: bytes):
            while True:
                r = requests.post("https://files.test/upload", data=blob)  # expect: ML201
                if not r.ok:
                    time.sleep(5)
                    continue
                break
            return r
        """,
    ),
    case(
        "status-ne-200",
        """
        import time
        import requests

        def transcribe(audio: bytes) -> dict:
            while True:
                r = requests.post("https://stt.test/v1/transcribe", data=audio)  # expect: ML201
                if r.status_code != 200:
                    time.sleep(2)
                    continue
                return r.json()
        """,
    ),
    case(
        "aiohttp-async-with-client-error",
        """
        import asyncio
        import aiohttp

        async def send_message(session: aiohttp.ClientSession, chat: str, text: str):
            for attempt in range(5):
                try:
                    async with session.post(  # expect: ML201
                        "https://chat.test/api/messages", json={"chat": chat, "text": text}
                    ) as resp:
                        resp.raise_for_status()
                        return await resp.json()
                except aiohttp.ClientError:
                    await asyncio.sleep(2**attempt)
        """,
    ),
    case(
        "urllib-request-urlopen",
        """
        import json
        import time
        import urllib.error
        import urllib.request

        def report(result: dict) -> bytes:
            body = json.dumps(result).encode()
            req = urllib.request.Request(
                "https://ci.test/api/results", data=body, method="POST"
            )
            for attempt in range(3):
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:  # expect: ML201
                        return resp.read()
                except urllib.error.URLError:
                    time.sleep(2**attempt)
            raise SystemExit(1)
        """,
    ),
    case(
        "http-client-connection",
        """
        import http.client
        import json

        def create_invoice(invoice: dict) -> bytes:
            conn = http.client.HTTPSConnection("billing.test", timeout=10)
            for _ in range(3):
                try:
                    conn.request(  # expect: ML201
                        "POST",
                        "/v1/invoices",
                        body=json.dumps(invoice),
                        headers={"Content-Type": "application/json"},
                    )
                    return conn.getresponse().read()
                except (http.client.HTTPException, OSError):
                    conn.close()
            raise RuntimeError("billing unreachable")
        """,
    ),
    case(
        "urllib3-pool-request-status",
        """
        import time
        import urllib3

        http = urllib3.PoolManager()

        def enqueue(body: bytes):
            for _ in range(4):
                r = http.request("POST", "https://q.test/jobs", body=body)  # expect: ML201
                if r.status >= 500:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "urllib3-urlopen",
        """
        import urllib3

        pool = urllib3.HTTPSConnectionPool("q.test")

        def enqueue(body: bytes):
            for _ in range(4):
                try:
                    return pool.urlopen("POST", "/jobs", body=body)  # expect: ML201
                except urllib3.exceptions.HTTPError:
                    pass
        """,
    ),
    case(
        "while-not-done-flag",
        """
        import time
        import requests

        def publish(article: dict) -> None:
            done = False
            while not done:
                try:
                    requests.post("https://cms.test/articles", json=article)  # expect: ML201
                    done = True
                except requests.RequestException:
                    time.sleep(10)
        """,
    ),
    case(
        "while-response-is-none",
        """
        import time
        import requests

        def signup(user: dict):
            resp = None
            while resp is None:
                try:
                    resp = requests.post("https://auth.test/signup", json=user)  # expect: ML201
                except requests.Timeout:
                    time.sleep(1)
            return resp
        """,
    ),
    case(
        "try-else-break",
        """
        import time
        import requests

        def log_event(event):
            while True:
                try:
                    requests.post("https://logs.test/ingest", json=event)  # expect: ML201
                except requests.Timeout:
                    time.sleep(1)
                else:
                    break
        """,
    ),
    case(
        "for-else-raise",
        """
        import time
        import httpx

        def send_sms(to: str, body: str) -> httpx.Response:
            for attempt in range(3):
                try:
                    r = httpx.post("https://sms.test", data={"to": to, "b": body})  # expect: ML201
                    break
                except httpx.HTTPError:
                    time.sleep(attempt)
            else:
                raise RuntimeError("sms failed")
            return r
        """,
    ),
    case(
        "conditional-raise-in-handler-is-a-retry",
        """
        import time
        import requests

        def pay(session: requests.Session, payment: dict, retries: int = 3):
            for attempt in range(retries + 1):
                try:
                    return session.post("https://pay.test/payments", json=payment)  # expect: ML201
                except requests.RequestException:
                    if attempt == retries:
                        raise
                    time.sleep(2**attempt)
        """,
    ),
    case(
        "async-httpx-status-error-reraise-4xx",
        """
        import asyncio
        import httpx

        async def enqueue(job: dict) -> dict:
            async with httpx.AsyncClient(base_url="https://jobs.test") as client:
                for attempt in range(5):
                    try:
                        r = await client.post("/jobs", json=job)  # expect: ML201
                        r.raise_for_status()
                        return r.json()
                    except httpx.HTTPStatusError as exc:
                        if exc.response.status_code < 500:
                            raise
                        await asyncio.sleep(2**attempt)
            raise RuntimeError("unreachable")
        """,
    ),
    case(
        "httpx-build-request-send-in-loop",
        """
        import httpx

        def create(client: httpx.Client, doc: dict) -> httpx.Response:
            request = client.build_request("POST", "https://docs.test/docs", json=doc)
            for _ in range(3):
                try:
                    return client.send(request)  # expect: ML201
                except httpx.TransportError:
                    continue
            raise RuntimeError("failed")
        """,
    ),
    case(
        "last-exception-kept-and-raised-after-loop",
        """
        import time
        import requests

        def create_ticket(ticket: dict) -> dict:
            last_exc = None
            for attempt in range(3):
                try:
                    r = requests.post("https://desk.test/tickets", json=ticket)  # expect: ML201
                    r.raise_for_status()
                    return r.json()
                except requests.RequestException as exc:
                    last_exc = exc
                    time.sleep(attempt)
            raise RuntimeError("ticket not created") from last_exc
        """,
    ),
    case(
        "retries-counter-decrement",
        """
        import time
        import requests

        def ingest(rows):
            retries = 5
            while retries > 0:
                r = requests.post("https://dw.test/ingest", json=rows)  # expect: ML201
                if r.status_code >= 500:
                    retries -= 1
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "header-x-attempt-does-not-make-iteration",
        """
        import requests

        def pay(p):
            for attempt in range(3):
                try:
                    return requests.post(  # expect: ML201
                        "https://pay.test/p", json=p, headers={"X-Attempt": str(attempt)}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "refreshed-token-header-does-not-make-iteration",
        """
        import requests

        def get_token() -> str:
            return "t"

        def pay(p):
            for _ in range(3):
                h = {"Authorization": f"Bearer {get_token()}"}
                try:
                    return requests.post("https://pay.test", json=p, headers=h)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "payload-recomputed-from-invariants-is-the-same-request",
        """
        import requests

        def order(order_id: str, qty: int):
            for _ in range(3):
                payload = {"order": order_id, "qty": qty}
                try:
                    return requests.post("https://shop.test/o", json=payload)  # expect: ML201
                except requests.RequestException:
                    continue
        """,
    ),
    case(
        "raise-for-status-in-its-own-try",
        """
        import time
        import requests

        def create(doc):
            for attempt in range(3):
                r = requests.post("https://docs.test/docs", json=doc)  # expect: ML201
                try:
                    r.raise_for_status()
                except requests.HTTPError:
                    time.sleep(attempt)
                    continue
                return r.json()
        """,
    ),
    case(
        "status-5xx-or-429",
        """
        import requests

        def create(doc):
            while True:
                r = requests.post("https://docs.test/docs", json=doc)  # expect: ML201
                if r.status_code >= 500 or r.status_code == 429:
                    continue
                return r
        """,
    ),
    case(
        "status-in-set-with-5xx",
        """
        import time
        import requests

        RETRY = {429, 500, 502, 503, 504}

        def create(doc):
            for attempt in range(5):
                r = requests.post("https://docs.test/docs", json=doc)  # expect: ML201
                if r.status_code in {429, 500, 502, 503, 504}:
                    time.sleep(2**attempt)
                    continue
                return r
        """,
    ),
    case(
        "aiohttp-resp-status-5xx",
        """
        import asyncio
        import aiohttp

        async def send(session: aiohttp.ClientSession, data: dict):
            while True:
                async with session.post("https://x.test/a", json=data) as resp:  # expect: ML201
                    if resp.status >= 500:
                        await asyncio.sleep(1)
                        continue
                    return await resp.json()
        """,
    ),
    case(
        "patch-in-retry-loop",
        """
        import requests

        def rename(user_id: str, name: str):
            for _ in range(3):
                try:
                    return requests.patch(  # expect: ML201
                        f"https://api.test/users/{user_id}", json={"name": name}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "method-set-bound-once",
        """
        import requests

        def save(doc, doc_id=None):
            method = "PUT" if doc_id else "POST"
            for _ in range(3):
                try:
                    return requests.request(method, "https://x.test/d", json=doc)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "retry-inside-iteration",
        """
        import time
        import requests

        def deliver_all(events):
            for event in events:
                for attempt in range(3):
                    try:
                        requests.post("https://hooks.test/e", json=event)  # expect: ML201
                        break
                    except requests.RequestException:
                        time.sleep(attempt)
        """,
    ),
    case(
        "session-level-idempotency-key-does-not-count",
        """
        import requests

        def pay(key: str, p: dict):
            session = requests.Session()
            session.headers.update({"Idempotency-Key": key})
            for _ in range(3):
                try:
                    return session.post("https://pay.test/p", json=p)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "known-headers-with-update-of-literals",
        """
        import requests

        def pay(p: dict, token: str):
            h = {"Content-Type": "application/json"}
            h.update({"Authorization": token})
            for _ in range(3):
                try:
                    return requests.post("https://pay.test", json=p, headers=h)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "non-key-header-with-fresh-uuid-is-ml201",
        """
        import uuid
        import requests

        def pay(p: dict):
            for _ in range(3):
                h = {"X-Request-ID": str(uuid.uuid4())}
                try:
                    return requests.post("https://pay.test", json=p, headers=h)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "retried-exception-constant-tuple-not-connect",
        """
        import requests

        RETRYABLE = (requests.ConnectionError, requests.Timeout)

        def pay(p: dict):
            for _ in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)  # expect: ML201
                except RETRYABLE:
                    pass
        """,
    ),
    case(
        "inner-handler-reraises-custom-outer-continues",
        """
        import requests

        class Retryable(Exception):
            pass

        def pay(p: dict):
            for _ in range(3):
                try:
                    try:
                        return requests.post("https://pay.test/p", json=p)  # expect: ML201
                    except requests.RequestException as exc:
                        raise Retryable() from exc
                except Retryable:
                    continue
        """,
    ),
    case(
        "post-to-non-query-path-under-search",
        """
        import requests

        def export(q):
            for _ in range(3):
                try:
                    return requests.post("https://x.test/search/export", json=q)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "handler-conditional-continue-then-raise",
        """
        import time
        import requests

        def pay(p: dict):
            for attempt in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)  # expect: ML201
                except requests.RequestException:
                    if attempt < 2:
                        time.sleep(2**attempt)
                        continue
                    raise
        """,
    ),
    case(
        "handler-if-else-raise",
        """
        import time
        import requests

        def pay(p: dict):
            for attempt in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)  # expect: ML201
                except requests.RequestException:
                    if attempt < 2:
                        time.sleep(2**attempt)
                    else:
                        raise
        """,
    ),
    case(
        "content-check-that-raises-is-not-polling",
        """
        import time
        import requests

        class ApiError(Exception):
            pass

        def send(p: dict):
            for attempt in range(3):
                try:
                    r = requests.post("https://api.test/v1/send", json=p)  # expect: ML201
                    r.raise_for_status()
                except requests.RequestException:
                    time.sleep(2**attempt)
                    continue
                body = r.json()
                if body["status"] == "error":
                    raise ApiError(body["message"])
                return body
        """,
    ),
    case(
        "content-type-check-is-not-polling",
        """
        import time
        import requests

        def send(p: dict):
            for attempt in range(3):
                try:
                    r = requests.post("https://api.test/v1/send", json=p)  # expect: ML201
                    r.raise_for_status()
                except requests.RequestException:
                    time.sleep(2**attempt)
                    continue
                if r.headers.get("Content-Type") == "application/json":
                    return r.json()
                return r.text
        """,
    ),
    case(
        "dict-get-in-loop-is-not-a-queue",
        """
        import os
        import time
        import requests

        def notify(event: dict):
            for attempt in range(3):
                url = os.environ.get("HOOK_URL", "https://hooks.test/e")
                try:
                    return requests.post(url, json=event)  # expect: ML201
                except requests.RequestException:
                    time.sleep(attempt)
        """,
    ),
    case(
        "status-401-refresh-is-still-a-retry",
        """
        import requests

        class Api:
            def __init__(self) -> None:
                self.session = requests.Session()
                self.token = ""

            def refresh(self) -> None:
                self.token = "new"

            def create(self, p: dict):
                for _ in range(2):
                    r = self.session.post(  # expect: ML201
                        "https://api.test/items",
                        json=p,
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                    if r.status_code == 401:
                        self.refresh()
                        continue
                    return r
        """,
    ),
    case(
        "response-bound-then-break",
        """
        import httpx

        def send(p: dict):
            response = None
            for _ in range(3):
                try:
                    response = httpx.post("https://x.test/a", json=p)  # expect: ML201
                    break
                except httpx.ReadTimeout:
                    pass
            return response
        """,
    ),
    case(
        "urllib-request-with-data-is-post",
        """
        import time
        import urllib.error
        import urllib.request

        def report(body: bytes):
            req = urllib.request.Request("https://ci.test/results", data=body)
            for attempt in range(3):
                try:
                    return urllib.request.urlopen(req).read()  # expect: ML201
                except urllib.error.URLError:
                    time.sleep(attempt)
        """,
    ),
    case(
        "urlopen-url-and-data",
        """
        import time
        import urllib.error
        import urllib.request

        def report(body: bytes):
            for attempt in range(3):
                try:
                    return urllib.request.urlopen("https://ci.test/r", body).read()  # expect: ML201
                except urllib.error.URLError:
                    time.sleep(attempt)
        """,
    ),
    case(
        "asyncio-wait-for-timeout",
        """
        import asyncio
        import httpx

        async def send(client: httpx.AsyncClient, p: dict):
            for _ in range(3):
                try:
                    return await asyncio.wait_for(client.post("/a", json=p), 5)  # expect: ML201
                except asyncio.TimeoutError:
                    continue
        """,
    ),
    case(
        "timeout-grows-with-attempt-same-request",
        """
        import requests

        def send(p: dict):
            for attempt in range(3):
                try:
                    return requests.post(  # expect: ML201
                        "https://x.test/a", json=p, timeout=5 + attempt
                    )
                except requests.Timeout:
                    pass
        """,
    ),
    case(
        "requests-prepared-send",
        """
        import time
        import requests

        def create(session: requests.Session, doc: dict):
            request = requests.Request("POST", "https://x.test/d", json=doc)
            prepared = session.prepare_request(request)
            for attempt in range(3):
                try:
                    return session.send(prepared, timeout=10)  # expect: ML201
                except requests.RequestException:
                    time.sleep(attempt)
        """,
    ),
    case(
        "jsonrpc-receipt-polling-with-retry",
        """
        import time
        import requests

        def wait_receipt(tx: str) -> dict:
            while True:
                try:
                    r = requests.post(  # expect: ML201
                        "https://rpc.test",
                        json={"method": "eth_getTransactionReceipt", "params": [tx]},
                    )
                    r.raise_for_status()
                except requests.RequestException:
                    time.sleep(1)
                    continue
                receipt = r.json()["result"]
                if receipt is None:
                    time.sleep(2)
                    continue
                return receipt
        """,
    ),
    case(
        "comprehension-inside-retry-loop",
        """
        import time
        import requests

        def send_all(session: requests.Session, batch: list) -> list:
            for attempt in range(3):
                try:
                    return [session.post("https://x.test", json=e) for e in batch]  # expect: ML201
                except requests.RequestException:
                    time.sleep(attempt)
            return []
        """,
    ),
    case(
        "batch-resent-by-outer-retry-loop",
        """
        import time
        import requests

        def send_all(session: requests.Session, batch: list) -> None:
            for attempt in range(3):
                try:
                    for event in batch:
                        session.post("https://x.test/e", json=event)  # expect: ML201
                    return
                except requests.RequestException:
                    time.sleep(attempt)
        """,
    ),
    case(
        "status-httpstatus-enum-500",
        """
        import time
        from http import HTTPStatus
        import requests

        def send(data: dict):
            while True:
                r = requests.post("https://x.test/a", json=data)  # expect: ML201
                if r.status_code == HTTPStatus.INTERNAL_SERVER_ERROR:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), LOOPS)
def test_retry_loops(source: str, config: Config) -> None:
    check(source, config)


# -- loops that are not retries ---------------------------------------------------------------

NOT_RETRIES = [
    case(
        "iteration-over-items",
        """
        import logging
        import requests

        def push_all(items):
            for item in items:
                try:
                    requests.post("https://x.test/items", json=item)
                except requests.RequestException:
                    logging.exception("push failed")
                    continue
        """,
    ),
    case(
        "iteration-over-derived-payload",
        """
        import requests

        def sync_users(users):
            for user in users:
                body = {"id": user.id, "email": user.email}
                try:
                    requests.post("https://crm.test/contacts", json=body)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "iteration-over-subscriber-urls",
        """
        import requests

        def fan_out(subscribers, event):
            for url in subscribers:
                try:
                    requests.post(url, json=event, timeout=5)
                except requests.RequestException:
                    continue
        """,
    ),
    case(
        "iteration-over-chunks-with-index",
        """
        import requests

        def upload(parts: list[bytes], upload_id: str):
            for index, part in enumerate(parts):
                try:
                    requests.post(
                        f"https://s3.test/u/{upload_id}?partNumber={index + 1}", data=part
                    )
                except requests.RequestException:
                    break
        """,
    ),
    case(
        "pagination-by-cursor-in-body",
        """
        import time
        import requests

        def all_rows(session: requests.Session):
            cursor = None
            rows = []
            while True:
                r = session.post("https://db.test/rows", json={"cursor": cursor})
                if r.status_code >= 500:
                    time.sleep(1)
                    continue
                page = r.json()
                rows.extend(page["rows"])
                cursor = page.get("next_cursor")
                if not cursor:
                    return rows
        """,
    ),
    case(
        "pagination-graphql-variables-after",
        """
        import requests

        QUERY = "query($after: String) { issues(after: $after) { nodes { id } } }"

        def issues(token: str):
            variables = {"after": None}
            out = []
            while True:
                try:
                    r = requests.post(
                        "https://gh.test/graphql",
                        json={"query": QUERY, "variables": variables},
                    )
                except requests.RequestException:
                    continue
                data = r.json()["data"]["issues"]
                out.extend(data["nodes"])
                if not data["pageInfo"]["hasNextPage"]:
                    return out
                variables["after"] = data["pageInfo"]["endCursor"]
        """,
    ),
    case(
        "pagination-by-next-url",
        """
        import requests

        def export_all(session: requests.Session):
            url = "https://api.test/exports"
            while url:
                r = session.post(url, json={})
                if not r.ok:
                    continue
                url = r.links.get("next", {}).get("url")
        """,
    ),
    case(
        "queue-draining-get",
        """
        import queue
        import requests

        def worker(q: queue.Queue):
            while True:
                job = q.get()
                if job is None:
                    break
                try:
                    requests.post("https://x.test/jobs", json=job)
                except requests.RequestException:
                    q.put(job)
                finally:
                    q.task_done()
        """,
    ),
    case(
        "queue-draining-pop",
        """
        import requests

        def flush(pending: list):
            while pending:
                event = pending.pop()
                try:
                    requests.post("https://x.test/events", json=event)
                except requests.RequestException:
                    pending.insert(0, event)
                    break
        """,
    ),
    case(
        "iterator-next",
        """
        import requests

        def stream(records):
            it = iter(records)
            while True:
                try:
                    record = next(it)
                except StopIteration:
                    return
                try:
                    requests.post("https://x.test/r", json=record)
                except requests.RequestException:
                    continue
        """,
    ),
    case(
        "heartbeat",
        """
        import time
        import requests

        def heartbeat(node_id: str):
            while True:
                try:
                    requests.post("https://ctl.test/heartbeat", json={"node": node_id})
                except requests.RequestException:
                    pass
                time.sleep(30)
        """,
    ),
    case(
        "heartbeat-until-stopped",
        """
        import threading
        import requests

        def heartbeat(stop: threading.Event, node_id: str):
            while not stop.is_set():
                try:
                    requests.post("https://ctl.test/hb", json={"node": node_id}, timeout=5)
                except requests.RequestException:
                    pass
                stop.wait(15)
        """,
    ),
    case(
        "send-n-times",
        """
        import requests

        def load_test(n: int):
            for _ in range(n):
                requests.post("https://staging.test/orders", json={"sku": "TEST"})
        """,
    ),
    case(
        "send-n-times-with-try",
        """
        import logging
        import requests

        def send_copies(copies: int, fax: bytes):
            for _ in range(copies):
                try:
                    requests.post("https://fax.test/send", data=fax)
                except requests.RequestException:
                    logging.warning("copy failed")
        """,
    ),
    case(
        "send-n-times-with-status-log",
        """
        import logging
        import requests

        def ping_all(n: int):
            for _ in range(n):
                r = requests.post("https://x.test/ping", json={})
                if r.status_code != 200:
                    logging.warning("ping failed: %s", r.status_code)
        """,
    ),
    case(
        "polling-status-pending",
        """
        import time
        import requests

        def wait_for_export(export_id: str) -> dict:
            while True:
                r = requests.post("https://rpc.test/exports.get", json={"id": export_id})
                body = r.json()
                if body["status"] == "pending":
                    time.sleep(5)
                    continue
                return body
        """,
    ),
    case(
        "polling-state-in-tuple",
        """
        import time
        import requests

        def wait(job_id: str) -> dict:
            for _ in range(60):
                r = requests.post("https://rpc.test/jobs.status", json={"id": job_id})
                state = r.json()["state"]
                if state in ("queued", "running"):
                    time.sleep(2)
                    continue
                return r.json()
        """,
    ),
    case(
        "oauth-device-flow",
        """
        import time
        import requests

        def poll_token(client_id: str, device_code: str, interval: int) -> dict:
            while True:
                r = requests.post(
                    "https://auth.test/oauth/token",
                    data={
                        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                        "device_code": device_code,
                        "client_id": client_id,
                    },
                )
                if r.status_code == 200:
                    return r.json()
                error = r.json().get("error")
                if error == "authorization_pending":
                    time.sleep(interval)
                    continue
                if error == "slow_down":
                    interval += 5
                    continue
                raise RuntimeError(error)
        """,
    ),
    case(
        "handler-reraises",
        """
        import requests

        def pay(p):
            for _ in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)
                except requests.RequestException:
                    raise
        """,
    ),
    case(
        "handler-logs-and-reraises",
        """
        import logging
        import requests

        def pay(p):
            while True:
                try:
                    return requests.post("https://pay.test/p", json=p)
                except requests.RequestException:
                    logging.exception("payment failed")
                    raise
        """,
    ),
    case(
        "handler-wraps-and-raises",
        """
        import requests

        class PaymentError(Exception):
            pass

        def pay(p):
            for _ in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)
                except requests.RequestException as exc:
                    raise PaymentError(str(exc)) from exc
        """,
    ),
    case(
        "handler-returns",
        """
        import requests

        def pay(p):
            for _ in range(3):
                try:
                    return requests.post("https://pay.test/p", json=p)
                except requests.RequestException:
                    return None
        """,
    ),
    case(
        "handler-breaks",
        """
        import requests

        def pay(p):
            r = None
            while True:
                try:
                    r = requests.post("https://pay.test/p", json=p)
                except requests.RequestException:
                    break
                return r
        """,
    ),
    case(
        "success-returns-429-retried-other-failures-raise",
        """
        import time
        import requests

        def charge(session: requests.Session, p: dict):
            while True:
                r = session.post("https://pay.test/charges", json=p)
                if r.ok:
                    return r.json()
                if r.status_code == 429:
                    time.sleep(int(r.headers.get("Retry-After", "1")))
                    continue
                r.raise_for_status()
        """,
    ),
    case(
        "success-returns-503-retried-other-failures-raise",
        """
        import time
        import requests

        class ApiError(Exception):
            pass

        def create_user(user: dict) -> dict:
            for attempt in range(5):
                r = requests.post("https://idp.test/users", json=user)
                if r.status_code == 201:
                    return r.json()
                if r.status_code == 503:
                    time.sleep(2**attempt)
                    continue
                raise ApiError(r.status_code, r.text)
            raise ApiError(503, "unavailable")
        """,
    ),
    case(
        "status-429-then-raise-for-status",
        """
        import time
        import requests

        def charge(p):
            for attempt in range(5):
                resp = requests.post("https://pay.test/charges", json=p)
                if resp.status_code in (429, 503):
                    time.sleep(2**attempt)
                    continue
                resp.raise_for_status()
                return resp.json()
        """,
    ),
    case(
        "status-failure-raises",
        """
        import requests

        class ServerError(Exception):
            pass

        def pay(p):
            for _ in range(3):
                r = requests.post("https://pay.test/p", json=p)
                if r.status_code >= 500:
                    raise ServerError(r.text)
                return r
        """,
    ),
    case(
        "try-around-another-call-only",
        """
        import requests

        def get_token() -> str:
            return "t"

        class TokenError(Exception):
            pass

        def pay(p):
            for _ in range(3):
                try:
                    token = get_token()
                except TokenError:
                    continue
                return requests.post(
                    "https://pay.test/p", json=p, headers={"Authorization": token}
                )
        """,
    ),
    case(
        "post-after-retried-get-sent-once",
        """
        import time
        import requests

        def mirror_status(job_id: str):
            for attempt in range(3):
                try:
                    r = requests.get(f"https://ci.test/jobs/{job_id}")
                    r.raise_for_status()
                except requests.RequestException:
                    time.sleep(attempt)
                    continue
                requests.post("https://dash.test/status", json={"id": job_id})
                break
        """,
    ),
    case(
        "status-check-on-another-response",
        """
        import requests

        def audit_and_fetch(url: str):
            for _ in range(3):
                r = requests.get(url)
                if r.status_code != 200:
                    continue
                requests.post("https://audit.test/log", json={"url": "fixed"})
                return r
        """,
    ),
    case(
        "post-in-loop-else",
        """
        import requests

        def check(url: str):
            for _ in range(3):
                try:
                    r = requests.get(url)
                    break
                except requests.RequestException:
                    continue
            else:
                requests.post("https://alerts.test/a", json={"down": url})
        """,
    ),
    case(
        "failover-across-hosts-is-iteration",
        """
        import requests

        HOSTS = ("a.test", "b.test")

        def charge(p):
            for host in HOSTS:
                try:
                    return requests.post(f"https://{host}/charges", json=p)
                except requests.ConnectionError:
                    continue
        """,
    ),
    case(
        "kafka-consumer-bounded",
        """
        import logging
        import requests

        def forward(consumer, limit: int) -> None:
            processed = 0
            while processed < limit:
                msg = consumer.poll(1.0)
                if msg is None:
                    continue
                try:
                    requests.post("https://sink.test/in", data=msg.value())
                except requests.RequestException:
                    logging.exception("forward failed")
                    continue
                processed += 1
        """,
    ),
    case(
        "redis-lpop-bounded",
        """
        import requests
        import redis

        r = redis.Redis()

        def forward(limit: int) -> None:
            sent = 0
            while sent < limit:
                raw = r.lpop("webhooks")
                if raw is None:
                    return
                try:
                    requests.post("https://sink.test/in", data=raw)
                except requests.RequestException:
                    r.rpush("webhooks", raw)
                    continue
                sent += 1
        """,
    ),
    case(
        "redis-brpop-tuple",
        """
        import requests
        import redis

        r = redis.Redis()

        def forward_one() -> None:
            while True:
                _, raw = r.brpop("webhooks")
                try:
                    requests.post("https://sink.test/in", data=raw)
                except requests.RequestException:
                    continue
                return
        """,
    ),
    case(
        "sqs-receive-message",
        """
        import boto3
        import requests

        sqs = boto3.client("sqs")

        def forward(queue_url: str, limit: int) -> None:
            done = 0
            while done < limit:
                resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
                messages = resp.get("Messages", [])
                if not messages:
                    continue
                try:
                    requests.post("https://sink.test/in", data=messages[0]["Body"])
                except requests.RequestException:
                    continue
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
                done += 1
        """,
    ),
    case(
        "conflict-rename-changes-content",
        """
        import requests

        def create_bucket(base: str):
            name = base
            for i in range(10):
                r = requests.post("https://s.test/buckets", json={"name": name})
                if r.status_code == 409:
                    name = f"{base}-{i}"
                    continue
                return r
        """,
    ),
    case(
        "post-in-try-else-after-retried-get",
        """
        import time
        import requests

        def forward(url: str):
            for attempt in range(3):
                try:
                    r = requests.get(url, timeout=5)
                    r.raise_for_status()
                except requests.RequestException:
                    time.sleep(1)
                    continue
                else:
                    return requests.post("https://sink.test/in", json={"x": 1})
        """,
    ),
    case(
        "alert-post-in-handler-is-not-retried",
        """
        import time
        import requests

        def fetch(url: str):
            for attempt in range(3):
                try:
                    return requests.get(url, timeout=5)
                except requests.RequestException as exc:
                    requests.post("https://alerts.test/a", json={"url": url, "error": str(exc)})
                    time.sleep(attempt)
        """,
    ),
    case(
        "mirror-failover-by-attempt-is-iteration",
        """
        import requests

        MIRRORS = ["https://a.test/upload", "https://b.test/upload"]

        def upload(blob: bytes):
            for attempt in range(4):
                try:
                    return requests.post(MIRRORS[attempt % len(MIRRORS)], data=blob)
                except requests.ConnectionError:
                    continue
        """,
    ),
    case(
        "heartbeat-gives-up-after-failures",
        """
        import time
        import requests

        def heartbeat(node_id: str) -> None:
            failures = 0
            while True:
                try:
                    requests.post("https://ctl.test/heartbeat", json={"node": node_id}, timeout=5)
                    failures = 0
                except requests.RequestException:
                    failures += 1
                    if failures > 5:
                        break
                time.sleep(30)
        """,
    ),
    case(
        "heartbeat-stop-event-wait",
        """
        import logging
        import threading
        import requests

        def heartbeat(stop: threading.Event, node_id: str) -> None:
            while True:
                try:
                    requests.post("https://ctl.test/heartbeat", json={"node": node_id}, timeout=5)
                except requests.RequestException:
                    logging.warning("heartbeat failed")
                if stop.wait(30):
                    return
        """,
    ),
    case(
        "pagination-page-number",
        """
        import requests

        def all_pages(session: requests.Session) -> list:
            page = 1
            out = []
            while True:
                try:
                    r = session.post("https://x.test/list", json={"page": page})
                except requests.RequestException:
                    continue
                items = r.json()["items"]
                if not items:
                    return out
                out.extend(items)
                page += 1
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), NOT_RETRIES)
def test_loops_that_are_not_retries(source: str, config: Config) -> None:
    check(source, config)


# -- safe to retry: exceptions ----------------------------------------------------------------

_EXCEPT_LOOP = """
import time
import urllib3
import requests
import httpx
import aiohttp
{imports}

def send(payload: dict):
    for attempt in range(3):
        try:
            return {call}  # {expect}
        except {caught}:
            time.sleep(2**attempt)
"""
_REQUESTS = 'requests.post("https://x.test/a", json=payload)'
_HTTPX = 'httpx.post("https://x.test/a", json=payload)'
_URLLIB3 = 'urllib3.request("POST", "https://x.test/a", json=payload)'


def except_case(
    name: str, caught: str, flagged: bool, call: str = _REQUESTS, imports: str = ""
) -> object:
    source = _EXCEPT_LOOP.format(
        imports=imports, call=call, caught=caught, expect="expect: ML201" if flagged else "-"
    )
    return case(name, source)


EXCEPT_CLAUSES = [
    except_case("requests-exceptions-ConnectTimeout", "requests.exceptions.ConnectTimeout", False),
    except_case("requests-ConnectTimeout", "requests.ConnectTimeout", False),
    except_case(
        "imported-ConnectTimeout",
        "ConnectTimeout",
        False,
        imports="from requests.exceptions import ConnectTimeout",
    ),
    except_case("httpx-ConnectError", "httpx.ConnectError", False, _HTTPX),
    except_case(
        "httpx-ConnectError-ConnectTimeout",
        "(httpx.ConnectError, httpx.ConnectTimeout)",
        False,
        _HTTPX,
    ),
    except_case(
        "httpx-alias-ConnectError", "hx.ConnectError", False, _HTTPX, imports="import httpx as hx"
    ),
    except_case(
        "urllib3-NewConnectionError",
        "urllib3.exceptions.NewConnectionError",
        False,
        _URLLIB3,
    ),
    except_case(
        "urllib3-ConnectTimeoutError",
        "ConnectTimeoutError",
        False,
        _URLLIB3,
        imports="from urllib3.exceptions import ConnectTimeoutError",
    ),
    except_case("requests-exceptions-ConnectionError", "requests.exceptions.ConnectionError", True),
    except_case("requests-ConnectionError", "requests.ConnectionError", True),
    except_case("requests-Timeout", "requests.Timeout", True),
    except_case(
        "ConnectTimeout-and-ReadTimeout",
        "(requests.ConnectTimeout, requests.ReadTimeout)",
        True,
    ),
    except_case("httpx-TransportError", "httpx.TransportError", True, _HTTPX),
    except_case("httpx-NetworkError", "httpx.NetworkError", True, _HTTPX),
    except_case("httpx-RemoteProtocolError", "httpx.RemoteProtocolError", True, _HTTPX),
    except_case("httpx-TimeoutException", "httpx.TimeoutException", True, _HTTPX),
    except_case("builtin-ConnectionError", "ConnectionError", True),
    except_case("builtin-OSError", "OSError", True),
    except_case("Exception", "Exception", True),
    except_case("httpx-control-Exception", "Exception", True, _HTTPX),
    except_case("urllib3-control-Exception", "Exception", True, _URLLIB3),
    except_case("bare-tuple-with-Exception", "(requests.ConnectTimeout, Exception)", True),
]


@pytest.mark.parametrize(("source", "config"), EXCEPT_CLAUSES)
def test_except_clauses(source: str, config: Config) -> None:
    check(source, config)


SAFE_LOOPS = [
    case(
        "aiohttp-ClientConnectorError",
        """
        import asyncio
        import aiohttp

        async def send(session: aiohttp.ClientSession, data: dict):
            for _ in range(3):
                try:
                    async with session.post("https://x.test/a", json=data) as r:
                        return await r.json()
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(1)
        """,
    ),
    case(
        "aiohttp-client-exceptions-ClientConnectorError",
        """
        import asyncio
        import aiohttp
        from aiohttp.client_exceptions import ClientConnectorError

        async def send(session: aiohttp.ClientSession, data: dict):
            for _ in range(3):
                try:
                    async with session.post("https://x.test/a", json=data) as r:
                        return await r.json()
                except ClientConnectorError:
                    await asyncio.sleep(1)
        """,
    ),
    case(
        "aiohttp-ClientConnectionError",
        """
        import asyncio
        import aiohttp

        async def send(session: aiohttp.ClientSession, data: dict):
            for _ in range(3):
                try:
                    async with session.post("https://x.test/a", json=data) as r:  # expect: ML201
                        return await r.json()
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(1)
        """,
    ),
    case(
        "aiohttp-ServerDisconnectedError",
        """
        import asyncio
        import aiohttp

        async def send(session: aiohttp.ClientSession, data: dict):
            for _ in range(3):
                try:
                    async with session.post("https://x.test/a", json=data) as r:  # expect: ML201
                        return await r.json()
                except aiohttp.ServerDisconnectedError:
                    await asyncio.sleep(1)
        """,
    ),
    case(
        "connect-errors-from-module-constant",
        """
        import httpx

        CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)

        def send(data: dict):
            for _ in range(3):
                try:
                    return httpx.post("https://x.test/a", json=data)
                except CONNECT_ERRORS:
                    continue
        """,
    ),
    case(
        "inner-connect-retry-outer-reraise",
        """
        import requests

        def send(data: dict):
            for _ in range(3):
                try:
                    try:
                        return requests.post("https://x.test/a", json=data)
                    except requests.ConnectTimeout:
                        continue
                except requests.RequestException:
                    raise
        """,
    ),
    case(
        "status-429-503",
        """
        import time
        import requests

        def send(data: dict):
            while True:
                r = requests.post("https://x.test/a", json=data)
                if r.status_code in (429, 503):
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                return r
        """,
    ),
    case(
        "status-413",
        """
        import requests

        def send(data: dict):
            for _ in range(3):
                r = requests.post("https://x.test/a", json=data)
                if r.status_code == 413:
                    data = data
                    continue
                return r
        """,
    ),
    case(
        "status-429-or-503-boolean",
        """
        import time
        import httpx

        def send(client: httpx.Client, data: dict):
            while True:
                r = client.post("https://x.test/a", json=data)
                if r.status_code == 429 or r.status_code == 503:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "status-name-bound-429",
        """
        import time
        import requests

        def send(data: dict):
            for _ in range(5):
                r = requests.post("https://x.test/a", json=data)
                status = r.status_code
                if status == 429:
                    time.sleep(int(r.headers["Retry-After"]))
                    continue
                r.raise_for_status()
                return r.json()
        """,
    ),
    case(
        "status-constant-429-503",
        """
        import time
        import requests

        RETRY_STATUSES = frozenset({429, 503})

        def send(data: dict):
            for _ in range(5):
                r = requests.post("https://x.test/a", json=data)
                if r.status_code in RETRY_STATUSES:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "status-502-flagged",
        """
        import requests

        def send(data: dict):
            while True:
                r = requests.post("https://x.test/a", json=data)  # expect: ML201
                if r.status_code == 502:
                    continue
                return r
        """,
    ),
    case(
        "status-429-but-exceptions-retried",
        """
        import time
        import requests

        def send(data: dict):
            while True:
                try:
                    r = requests.post("https://x.test/a", json=data)  # expect: ML201
                except requests.RequestException:
                    time.sleep(1)
                    continue
                if r.status_code == 429:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "idempotent-put",
        """
        import requests

        def save(doc_id: str, doc: dict):
            for _ in range(3):
                try:
                    return requests.put(f"https://x.test/docs/{doc_id}", json=doc)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "idempotent-delete-httpx",
        """
        import httpx

        def remove(client: httpx.Client, doc_id: str):
            while True:
                r = client.delete(f"/docs/{doc_id}")
                if r.status_code >= 500:
                    continue
                return r
        """,
    ),
    case(
        "idempotent-options-request",
        """
        import requests

        def probe(url: str):
            for _ in range(3):
                try:
                    return requests.request("OPTIONS", "https://x.test/a")
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "idempotent-method-set",
        """
        import requests

        def save(doc, exists: bool):
            method = "PUT" if exists else "DELETE"
            for _ in range(3):
                try:
                    return requests.request(method, "https://x.test/docs/1", json=doc)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "unregistered-method-not-configured",
        """
        import requests

        def purge(path: str):
            for _ in range(3):
                try:
                    return requests.request("PURGE", "https://cdn.test/a")  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "configured-idempotent-method",
        """
        import requests

        def purge(path: str):
            for _ in range(3):
                try:
                    return requests.request("PURGE", "https://cdn.test/a")
                except requests.RequestException:
                    pass
        """,
        Config(select=("ML2",), idempotent_methods=("PURGE",)),
    ),
    case(
        "idempotency-key-made-once-outside-loop",
        """
        import uuid
        import requests

        def charge(amount: int):
            key = str(uuid.uuid4())
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/charges",
                        json={"amount": amount},
                        headers={"Idempotency-Key": key},
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "x-idempotency-key",
        """
        import requests

        def charge(order_id: str, amount: int):
            headers = {"X-Idempotency-Key": f"order-{order_id}"}
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/charges", json={"a": amount}, headers=headers
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "lower-case-idempotency-key",
        """
        import httpx

        def charge(client: httpx.Client, order_id: str):
            for _ in range(3):
                try:
                    return client.post(
                        "/charges", json={}, headers={"idempotency-key": f"order-{order_id}"}
                    )
                except httpx.HTTPError:
                    pass
        """,
    ),
    case(
        "key-set-by-subscript",
        """
        import requests

        def charge(order_id: str):
            headers = {"Content-Type": "application/json"}
            headers["Idempotency-Key"] = order_id
            for _ in range(3):
                try:
                    return requests.post("https://pay.test/c", data="{}", headers=headers)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "configured-key-header",
        """
        import requests

        def charge(order_id: str):
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/c", json={}, headers={"X-Request-Key": order_id}
                    )
                except requests.RequestException:
                    pass
        """,
        Config(select=("ML2",), idempotency_headers=("X-Request-Key",)),
    ),
    case(
        "configured-key-header-other-case",
        """
        import requests

        def charge(order_id: str):
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/c", json={}, headers={"x-request-key": order_id}
                    )
                except requests.RequestException:
                    pass
        """,
        Config(select=("ML2",), idempotency_headers=("X-Request-Key",)),
    ),
    case(
        "unconfigured-key-header",
        """
        import requests

        def charge(order_id: str):
            for _ in range(3):
                try:
                    return requests.post(  # expect: ML201
                        "https://pay.test/c", json={}, headers={"X-Request-Key": order_id}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "key-header-none-is-absent",
        """
        import requests

        def charge():
            for _ in range(3):
                try:
                    return requests.post(  # expect: ML201
                        "https://pay.test/c", json={}, headers={"Idempotency-Key": None}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "if-match-precondition",
        """
        import requests

        def update(doc_id: str, etag: str, changes: dict):
            for _ in range(3):
                try:
                    return requests.patch(
                        f"https://x.test/docs/{doc_id}",
                        json=changes,
                        headers={"If-Match": etag},
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "headers-parameter-unknown",
        """
        import requests

        def send(data: dict, headers: dict):
            for _ in range(3):
                try:
                    return requests.post("https://x.test/a", json=data, headers=headers)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "headers-spread-unknown",
        """
        import requests

        class Client:
            def __init__(self, defaults: dict):
                self.defaults = defaults
                self.session = requests.Session()

            def send(self, data: dict):
                headers = {**self.defaults, "Content-Type": "application/json"}
                for _ in range(3):
                    try:
                        return self.session.post("https://x.test/a", json=data, headers=headers)
                    except requests.RequestException:
                        pass
        """,
    ),
    case(
        "method-gated-in-handler",
        """
        import time
        import requests

        IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

        def request(method: str, url: str, json=None):
            for attempt in range(4):
                try:
                    return requests.request(method, url, json=json)
                except requests.RequestException:
                    if method.upper() not in IDEMPOTENT or attempt == 3:
                        raise
                    time.sleep(2**attempt)
        """,
    ),
    case(
        "retry-safe-url-search",
        """
        import requests

        def search(q: dict):
            for _ in range(3):
                try:
                    return requests.post("https://api.test/v2/orders/search", json=q)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "retry-safe-url-es-search-placeholder",
        """
        import httpx

        ES = "https://es.test:9200"

        def search(index: str, q: dict):
            while True:
                r = httpx.post(f"{ES}/{index}/_search", json=q)
                if r.status_code >= 500:
                    continue
                return r.json()
        """,
    ),
    case(
        "retry-safe-url-count-with-query-string",
        """
        import requests

        def count(q: dict):
            for _ in range(3):
                try:
                    return requests.post("https://es.test/logs/_count?pretty=true", json=q)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "retry-safe-url-module-constant",
        """
        import requests

        QUERY_URL = "https://analytics.test/v1/query"

        def run(sql: str):
            for _ in range(3):
                try:
                    return requests.post(QUERY_URL, json={"sql": sql})
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "retry-safe-url-configured",
        """
        import requests

        def graphql(q: str):
            for _ in range(3):
                try:
                    return requests.post("https://api.test/graphql", json={"query": q})
                except requests.RequestException:
                    pass
        """,
        Config(select=("ML2",), retry_safe_urls=("*/graphql",)),
    ),
    case(
        "retry-safe-url-not-configured",
        """
        import requests

        def graphql(q: str):
            for _ in range(3):
                try:
                    return requests.post("https://api.test/graphql", json={"q": q})  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        # A header set in a branch under a literal key that is no idempotency key and no
        # precondition cannot make the retry safe: the headers stay known (issue 11).
        "headers-changed-in-branch-literal-key-known",
        """
        import requests

        URL = "https://x.test/a"

        def send(p: dict, token: str):
            for _ in range(3):
                headers = {"Content-Type": "application/json"}
                if token:
                    headers["Authorization"] = token
                try:
                    return requests.post(URL, json=p, headers=headers)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "idempotency-key-set-in-branch-may-be-sent",
        """
        import requests

        def send(p: dict, key: str | None):
            for _ in range(3):
                headers = {"Content-Type": "application/json"}
                if key:
                    headers["Idempotency-Key"] = key
                try:
                    return requests.post("https://x.test/a", json=p, headers=headers)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "headers-computed-key-in-branch-unknown",
        """
        import requests

        def send(p: dict, name: str, value: str):
            for _ in range(3):
                headers = {"Content-Type": "application/json"}
                if name:
                    headers[name] = value
                try:
                    return requests.post("https://x.test/a", json=p, headers=headers)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "status-httpstatus-enum-429",
        """
        import time
        from http import HTTPStatus
        import requests

        def send(data: dict):
            while True:
                r = requests.post("https://x.test/a", json=data)
                if r.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "status-httpx-codes-503",
        """
        import time
        import httpx

        def send(client: httpx.Client, data: dict):
            while True:
                r = client.post("/a", json=data)
                status = r.status_code
                if status in (httpx.codes.TOO_MANY_REQUESTS, httpx.codes.SERVICE_UNAVAILABLE):
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "status-requests-codes-429",
        """
        import time
        import requests

        def send(data: dict):
            while True:
                r = requests.post("https://x.test/a", json=data)
                if r.status_code == requests.codes.too_many_requests:
                    time.sleep(1)
                    continue
                return r
        """,
    ),
    case(
        "key-in-httpx-headers-object",
        """
        import httpx

        def charge(client: httpx.Client, order_id: str):
            headers = httpx.Headers({"Idempotency-Key": f"order-{order_id}"})
            for _ in range(3):
                try:
                    return client.post("/charges", json={}, headers=headers)
                except httpx.HTTPError:
                    pass
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), SAFE_LOOPS)
def test_safe_to_retry_in_loops(source: str, config: Config) -> None:
    check(source, config)


# -- retry decorators -------------------------------------------------------------------------

DECORATORS = [
    case(
        "tenacity-bare-from-import",
        """
        import requests
        from tenacity import retry

        @retry
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-bare-module-attribute",
        """
        import requests
        import tenacity

        @tenacity.retry
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-called-without-arguments",
        """
        import requests
        import tenacity

        @tenacity.retry()
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-alias",
        """
        import httpx
        from tenacity import retry as tenacity_retry, stop_after_attempt

        @tenacity_retry(stop=stop_after_attempt(5))
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-requests-connection-error",
        """
        import requests
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

        @retry(
            wait=wait_fixed(2),
            stop=stop_after_attempt(3),
            retry=retry_if_exception_type(requests.exceptions.ConnectionError),
        )
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-connect-error-only",
        """
        import httpx
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        @retry(retry=retry_if_exception_type(httpx.ConnectError), stop=stop_after_attempt(5))
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-connect-error-tuple",
        """
        import httpx
        import tenacity

        @tenacity.retry(
            retry=tenacity.retry_if_exception_type((httpx.ConnectError, httpx.ConnectTimeout)),
            stop=tenacity.stop_after_attempt(5),
        )
        async def create(client: httpx.AsyncClient, doc: dict):
            return await client.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-connect-or-read-timeout",
        """
        import requests
        from tenacity import retry, retry_if_exception_type

        @retry(
            retry=retry_if_exception_type(requests.ConnectTimeout)
            | retry_if_exception_type(requests.ReadTimeout)
        )
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-transport-error",
        """
        import httpx
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        @retry(retry=retry_if_exception_type(httpx.TransportError), stop=stop_after_attempt(3))
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-retry-if-not-exception-type",
        """
        import httpx
        from tenacity import retry, retry_if_not_exception_type

        @retry(retry=retry_if_not_exception_type(httpx.HTTPStatusError))
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "tenacity-single-attempt",
        """
        import requests
        from tenacity import retry, stop_after_attempt

        @retry(stop=stop_after_attempt(1))
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-single-attempt-or-delay",
        """
        import requests
        from tenacity import retry, stop_after_attempt, stop_after_delay

        @retry(stop=stop_after_attempt(1) | stop_after_delay(10))
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-method-in-class",
        """
        import requests
        from tenacity import retry, stop_after_attempt, wait_exponential

        class Crm:
            def __init__(self) -> None:
                self.session = requests.Session()

            @retry(stop=stop_after_attempt(3), wait=wait_exponential(min=1, max=10))
            def create_contact(self, contact: dict) -> dict:
                r = self.session.post("https://crm.test/contacts", json=contact)  # expect: ML202
                r.raise_for_status()
                return r.json()
        """,
    ),
    case(
        "tenacity-get-is-fine",
        """
        import requests
        from tenacity import retry

        @retry
        def fetch(doc_id: str):
            return requests.get(f"https://x.test/docs/{doc_id}")
        """,
    ),
    case(
        "backoff-request-exception",
        """
        import backoff
        import requests

        @backoff.on_exception(backoff.expo, requests.exceptions.RequestException, max_tries=5)
        def send_sms(to: str, text: str):
            return requests.post("https://sms.test/s", data={"to": to, "t": text})  # expect: ML202
        """,
    ),
    case(
        "backoff-connect-only",
        """
        import backoff
        import httpx

        @backoff.on_exception(backoff.expo, (httpx.ConnectError, httpx.ConnectTimeout), max_time=60)
        def send_sms(to: str, text: str):
            return httpx.post("https://sms.test/send", data={"to": to, "t": text})
        """,
    ),
    case(
        "backoff-exception-keyword",
        """
        import backoff
        import requests

        @backoff.on_exception(wait_gen=backoff.expo, exception=requests.ConnectTimeout)
        def send_sms(to: str):
            return requests.post("https://sms.test/send", data={"to": to})
        """,
    ),
    case(
        "backoff-giveup-does-not-make-it-safe",
        """
        import backoff
        import requests

        def fatal(exc: requests.RequestException) -> bool:
            return exc.response is not None and exc.response.status_code < 500

        @backoff.on_exception(backoff.expo, requests.RequestException, giveup=fatal, max_tries=8)
        def send_sms(to: str):
            return requests.post("https://sms.test/send", data={"to": to})  # expect: ML202
        """,
    ),
    case(
        "backoff-max-tries-1",
        """
        import backoff
        import requests

        @backoff.on_exception(backoff.expo, requests.RequestException, max_tries=1)
        def send_sms(to: str):
            return requests.post("https://sms.test/send", data={"to": to})
        """,
    ),
    case(
        "backoff-on-predicate",
        """
        import backoff
        import requests

        @backoff.on_predicate(backoff.fibo, max_tries=4)
        def submit(payload: dict):
            return requests.post("https://x.test/submit", json=payload)  # expect: ML202
        """,
    ),
    case(
        "backoff-aiohttp-client-error",
        """
        import aiohttp
        import backoff

        @backoff.on_exception(backoff.expo, aiohttp.ClientError, max_tries=3)
        async def post_event(session: aiohttp.ClientSession, event: dict):
            async with session.post("https://x.test/events", json=event) as resp:  # expect: ML202
                resp.raise_for_status()
                return await resp.json()
        """,
    ),
    case(
        "backoff-aiohttp-connector-error",
        """
        import aiohttp
        import backoff

        @backoff.on_exception(backoff.expo, aiohttp.ClientConnectorError, max_tries=3)
        async def post_event(session: aiohttp.ClientSession, event: dict):
            async with session.post("https://x.test/events", json=event) as resp:
                return await resp.json()
        """,
    ),
    case(
        "stamina-http-error",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError, attempts=3)
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "stamina-connect-error",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.ConnectError, attempts=5)
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "stamina-connect-and-read-timeout",
        """
        import httpx
        import stamina

        @stamina.retry(on=(httpx.ConnectError, httpx.ReadTimeout))
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "stamina-attempts-1",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError, attempts=1)
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retrying-bare",
        """
        import requests
        from retrying import retry

        @retry
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "retrying-lambda-connect-timeout",
        """
        import requests
        from retrying import retry

        @retry(
            stop_max_attempt_number=3,
            retry_on_exception=lambda e: isinstance(e, requests.exceptions.ConnectTimeout),
        )
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retrying-function-connect-timeout",
        """
        import requests
        from requests.exceptions import ConnectTimeout
        from retrying import retry

        def _is_connect_error(exc: Exception) -> bool:
            return isinstance(exc, ConnectTimeout)

        @retry(stop_max_attempt_number=3, retry_on_exception=_is_connect_error)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retrying-request-exception",
        """
        import requests
        from retrying import retry

        @retry(
            stop_max_attempt_number=5,
            wait_exponential_multiplier=1000,
            retry_on_exception=lambda e: isinstance(e, requests.RequestException),
        )
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "retrying-single-attempt",
        """
        import requests
        from retrying import retry

        @retry(stop_max_attempt_number=1)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retry-package-tries",
        """
        import requests
        from retry import retry

        @retry(tries=3, delay=1, backoff=2)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "retry-package-bare",
        """
        import requests
        from retry import retry

        @retry
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "retry-package-positional-connect-timeout",
        """
        import requests
        from retry import retry

        @retry(requests.exceptions.ConnectTimeout, tries=3, delay=2)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retry-package-exceptions-keyword",
        """
        import requests
        from retry import retry

        @retry(exceptions=(requests.ConnectTimeout,), tries=3)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "retry-package-tries-1",
        """
        import requests
        from retry import retry

        @retry(requests.RequestException, tries=1)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "celery-autoretry-request-exception",
        """
        import requests
        from celery import shared_task

        @shared_task(autoretry_for=(requests.RequestException,), retry_backoff=True)
        def deliver(message: dict) -> None:
            requests.post("https://mail.test/send", json=message, timeout=10)  # expect: ML202
        """,
    ),
    case(
        "celery-autoretry-exception-bind",
        """
        import requests
        from celery import Celery

        app = Celery("hooks")

        @app.task(bind=True, autoretry_for=(Exception,), retry_kwargs={"max_retries": 5})
        def deliver(self, message: dict) -> None:
            requests.post("https://mail.test/send", json=message)  # expect: ML202
        """,
    ),
    case(
        "celery-autoretry-connect-timeout",
        """
        import requests
        from celery import shared_task

        @shared_task(autoretry_for=(requests.exceptions.ConnectTimeout,), max_retries=5)
        def deliver(message: dict) -> None:
            requests.post("https://mail.test/send", json=message)
        """,
    ),
    case(
        "celery-autoretry-max-retries-0",
        """
        import requests
        from celery import shared_task

        @shared_task(autoretry_for=(requests.RequestException,), max_retries=0)
        def deliver(message: dict) -> None:
            requests.post("https://mail.test/send", json=message)
        """,
    ),
    case(
        "celery-self-retry-in-handler",
        """
        import requests
        from celery import Celery

        app = Celery("hooks")

        @app.task(bind=True, max_retries=3, default_retry_delay=60)
        def deliver(self, message: dict) -> None:
            try:
                requests.post("https://mail.test/send", json=message)  # expect: ML202
            except requests.RequestException as exc:
                raise self.retry(exc=exc)
        """,
    ),
    case(
        "celery-self-retry-on-5xx",
        """
        import requests
        from celery import shared_task

        @shared_task(bind=True, max_retries=5)
        def sync_contact(self, contact: dict) -> None:
            r = requests.post("https://crm.test/contacts", json=contact)  # expect: ML202
            if r.status_code >= 500:
                raise self.retry(countdown=30)
            r.raise_for_status()
        """,
    ),
    case(
        "celery-self-retry-connect-timeout",
        """
        import requests
        from celery import shared_task

        @shared_task(bind=True, max_retries=5)
        def sync_contact(self, contact: dict) -> None:
            try:
                requests.post("https://crm.test/contacts", json=contact, timeout=10)
            except requests.exceptions.ConnectTimeout as exc:
                raise self.retry(exc=exc, countdown=5)
        """,
    ),
    case(
        "celery-self-retry-on-429-only",
        """
        import requests
        from celery import shared_task

        @shared_task(bind=True, max_retries=5)
        def sync_contact(self, contact: dict) -> None:
            r = requests.post("https://crm.test/contacts", json=contact, timeout=10)
            if r.status_code == 429:
                raise self.retry(countdown=int(r.headers.get("Retry-After", "60")))
            r.raise_for_status()
        """,
    ),
    case(
        "celery-without-retry",
        """
        import requests
        from celery import shared_task

        @shared_task
        def deliver(message: dict) -> None:
            requests.post("https://mail.test/send", json=message)
        """,
    ),
    case(
        "module-level-tenacity-name",
        """
        import requests
        import tenacity

        retry_network = tenacity.retry(
            stop=tenacity.stop_after_attempt(5), wait=tenacity.wait_random_exponential(max=30)
        )

        @retry_network
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "module-level-connect-only-name",
        """
        import httpx
        import tenacity

        retry_connect = tenacity.retry(
            retry=tenacity.retry_if_exception_type(httpx.ConnectError),
            stop=tenacity.stop_after_attempt(5),
        )

        @retry_connect
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "module-level-backoff-name",
        """
        import backoff
        import requests

        on_http_error = backoff.on_exception(backoff.expo, requests.RequestException, max_tries=5)

        class Api:
            def __init__(self) -> None:
                self.session = requests.Session()

            @on_http_error
            def create(self, doc: dict):
                return self.session.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "module-level-stamina-name",
        """
        import httpx
        import stamina

        network_retry = stamina.retry(on=httpx.HTTPError, attempts=3)

        @network_retry
        async def create(client: httpx.AsyncClient, doc: dict):
            return await client.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "factory-without-arguments",
        """
        import requests
        from tenacity import retry, stop_after_attempt, wait_exponential

        def _create_retry_decorator():
            return retry(stop=stop_after_attempt(5), wait=wait_exponential(min=1, max=30))

        retry_decorator = _create_retry_decorator()

        @retry_decorator
        def publish(message: dict):
            return requests.post("https://x.test/m", json=message)  # expect: ML202
        """,
    ),
    case(
        "factory-returning-backoff-via-local-name",
        """
        import backoff
        import requests

        def _retry_policy():
            decorator = backoff.on_exception(backoff.expo, requests.RequestException, max_tries=4)
            return decorator

        with_retries = _retry_policy()

        @with_retries
        def publish(message: dict):
            return requests.post("https://x.test/m", json=message)  # expect: ML202
        """,
    ),
    case(
        "factory-connect-only",
        """
        import httpx
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        def _create_retry_decorator():
            return retry(
                retry=retry_if_exception_type(httpx.ConnectError), stop=stop_after_attempt(5)
            )

        retry_decorator = _create_retry_decorator()

        @retry_decorator
        def publish(message: dict):
            return httpx.post("https://x.test/m", json=message)
        """,
    ),
    case(
        "factory-with-argument-langchain-style",
        """
        import httpx
        from tenacity import (
            retry,
            retry_if_exception_type,
            stop_after_attempt,
            wait_exponential,
        )

        def _create_retry_decorator(max_retries: int):
            return retry(
                reraise=True,
                stop=stop_after_attempt(max_retries),
                wait=wait_exponential(multiplier=1, min=4, max=10),
                retry=retry_if_exception_type(httpx.HTTPError),
            )

        def completion_with_retry(client: httpx.Client, max_retries: int, **kwargs):
            retry_decorator = _create_retry_decorator(max_retries)

            @retry_decorator
            def _completion_with_retry(prompt: str):
                return client.post("/v1/completions", json={"prompt": prompt})  # expect: ML202

            return _completion_with_retry(kwargs["prompt"])
        """,
    ),
    case(
        "configured-retry-decorator",
        """
        import requests
        from myapp.resilience import retry_on_failure

        @retry_on_failure(times=3)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
        Config(select=("ML2",), retry_decorators=("myapp.resilience.retry_on_failure",)),
    ),
    case(
        "unconfigured-retry-decorator",
        """
        import requests
        from myapp.resilience import retry_on_failure

        @retry_on_failure(times=3)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "decorated-function-with-idempotency-key-param",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError)
        def charge(amount: int, key: str):
            return httpx.post(
                "https://pay.test/c", json={"a": amount}, headers={"Idempotency-Key": key}
            )
        """,
    ),
    case(
        "decorated-function-with-kwargs-headers",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError)
        def call(path: str, **kwargs):
            return httpx.post(f"https://api.test{path}", **kwargs)
        """,
    ),
    case(
        "decorated-search-endpoint",
        """
        import requests
        from tenacity import retry

        @retry
        def search(q: dict):
            return requests.post("https://api.test/v1/_msearch", json=q)
        """,
    ),
    case(
        "decorated-with-precondition",
        """
        import requests
        from tenacity import retry

        @retry
        def rename(doc_id: str, etag: str, title: str):
            return requests.patch(
                f"https://x.test/docs/{doc_id}",
                json={"title": title},
                headers={"If-Match": etag},
            )
        """,
    ),
    case(
        "class-level-retry-name",
        """
        import httpx
        from tenacity import retry, stop_after_attempt

        class Api:
            _retry = retry(stop=stop_after_attempt(3))

            @_retry
            def create(self, doc: dict):
                return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "celery-self-retry-before-the-request",
        """
        import requests
        from celery import Celery

        app = Celery("reports")

        def is_ready(report_id: str) -> bool:
            return True

        @app.task(bind=True, max_retries=20)
        def publish_report(self, report_id: str) -> None:
            if not is_ready(report_id):
                raise self.retry(countdown=30)
            requests.post("https://hooks.test/reports", json={"id": report_id})
        """,
    ),
    case(
        "backoff-on-predicate-429-only",
        """
        import backoff
        import requests

        @backoff.on_predicate(backoff.constant, lambda r: r.status_code == 429, max_tries=5)
        def send(p: dict):
            return requests.post("https://x.test/a", json=p)
        """,
    ),
    case(
        "tenacity-retry-if-result-429-only",
        """
        import requests
        from tenacity import retry, retry_if_result, stop_after_attempt

        @retry(retry=retry_if_result(lambda r: r.status_code == 429), stop=stop_after_attempt(5))
        def send(p: dict):
            return requests.post("https://x.test/a", json=p)
        """,
    ),
    case(
        "tenacity-connect-or-connect",
        """
        import httpx
        from tenacity import retry, retry_if_exception_type, stop_after_attempt

        @retry(
            reraise=True,
            stop=stop_after_attempt(3),
            retry=retry_if_exception_type(httpx.ConnectError)
            | retry_if_exception_type(httpx.ConnectTimeout),
        )
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-retry-any-connect",
        """
        import httpx
        from tenacity import retry, retry_any, retry_if_exception_type

        @retry(
            retry=retry_any(
                retry_if_exception_type(httpx.ConnectError),
                retry_if_exception_type(httpx.ConnectTimeout),
            )
        )
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "tenacity-connect-or-result",
        """
        import httpx
        from tenacity import retry, retry_if_exception_type, retry_if_result

        @retry(
            retry=retry_if_exception_type(httpx.ConnectError) | retry_if_result(lambda r: r is None)
        )
        def create(doc: dict):
            return httpx.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "backoff-connect-constant",
        """
        import backoff
        import requests

        NETWORK_ERRORS = (requests.exceptions.ConnectTimeout,)

        @backoff.on_exception(backoff.expo, NETWORK_ERRORS, max_tries=5)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "backoff-connect-and-connection-error",
        """
        import backoff
        import requests

        @backoff.on_exception(
            backoff.expo,
            (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError),
            max_tries=5,
        )
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "stamina-connect-timeout",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.ConnectTimeout, attempts=10, timeout=30)
        async def create(client: httpx.AsyncClient, doc: dict):
            return await client.post("/docs", json=doc)
        """,
    ),
    case(
        "celery-connect-and-read-timeout",
        """
        import requests
        from celery import shared_task

        @shared_task(autoretry_for=(requests.ConnectTimeout, requests.ReadTimeout), max_retries=3)
        def deliver(message: dict) -> None:
            requests.post("https://mail.test/send", json=message)  # expect: ML202
        """,
    ),
    case(
        "retry-package-connect-and-read",
        """
        import requests
        from retry import retry

        @retry((requests.ConnectTimeout, requests.ReadTimeout), tries=3)
        def create(doc: dict):
            return requests.post("https://x.test/docs", json=doc)  # expect: ML202
        """,
    ),
    case(
        "aiohttp-session-attribute-decorated",
        """
        import aiohttp
        from tenacity import retry, stop_after_attempt

        class Hooks:
            def __init__(self) -> None:
                self._session = aiohttp.ClientSession()

            @retry(stop=stop_after_attempt(3))
            async def send(self, event: dict) -> dict:
                async with self._session.post("https://h.test/e", json=event) as r:  # expect: ML202
                    r.raise_for_status()
                    return await r.json()
        """,
    ),
    case(
        "httpx-async-client-in-decorated",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError, attempts=3)
        async def send(event: dict) -> dict:
            async with httpx.AsyncClient(base_url="https://hooks.test") as client:
                r = await client.post("/e", json=event)  # expect: ML202
                r.raise_for_status()
                return r.json()
        """,
    ),
    case(
        "key-under-decorator-from-self-attribute-dict",
        """
        import httpx
        import stamina

        class Pay:
            def __init__(self) -> None:
                self.client = httpx.Client()
                self.headers = {"Content-Type": "application/json"}

            @stamina.retry(on=httpx.HTTPError)
            def charge(self, p: dict):
                return self.client.post("/c", json=p, headers=self.headers)  # expect: ML202
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), DECORATORS)
def test_retry_decorators(source: str, config: Config) -> None:
    check(source, config)


# -- retry blocks and retrying calls ----------------------------------------------------------

BLOCKS = [
    case(
        "tenacity-retrying-block",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt, wait_fixed

        def send_batch(batch: list) -> None:
            for attempt in Retrying(stop=stop_after_attempt(3), wait=wait_fixed(1)):
                with attempt:
                    requests.post("https://x.test/batch", json=batch)  # expect: ML202
        """,
    ),
    case(
        "tenacity-retrying-block-connect-only",
        """
        import requests
        import tenacity

        def send_batch(batch: list) -> None:
            for attempt in tenacity.Retrying(
                retry=tenacity.retry_if_exception_type(requests.ConnectTimeout),
                stop=tenacity.stop_after_attempt(3),
            ):
                with attempt:
                    requests.post("https://x.test/batch", json=batch)
        """,
    ),
    case(
        "tenacity-retrying-block-bound-name",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def send_batch(session: requests.Session, batch: list) -> None:
            retryer = Retrying(stop=stop_after_attempt(3), reraise=True)
            for attempt in retryer:
                with attempt:
                    r = session.post("https://x.test/batch", json=batch)  # expect: ML202
                    r.raise_for_status()
        """,
    ),
    case(
        "tenacity-retrying-block-single-attempt",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def send_batch(batch: list) -> None:
            for attempt in Retrying(stop=stop_after_attempt(1)):
                with attempt:
                    requests.post("https://x.test/batch", json=batch)
        """,
    ),
    case(
        "tenacity-async-retrying-block",
        """
        import httpx
        from tenacity import AsyncRetrying, stop_after_attempt

        async def send_batch(client: httpx.AsyncClient, batch: list) -> None:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(3)):
                with attempt:
                    await client.post("/batch", json=batch)  # expect: ML202
        """,
    ),
    case(
        "tenacity-async-retrying-block-aiohttp",
        """
        import aiohttp
        from tenacity import AsyncRetrying, stop_after_attempt

        async def send_batch(session: aiohttp.ClientSession, batch: list) -> dict:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(3)):
                with attempt:
                    async with session.post("https://x.test/b", json=batch) as r:  # expect: ML202
                        r.raise_for_status()
                        return await r.json()
            return {}
        """,
    ),
    case(
        "stamina-retry-context",
        """
        import httpx
        import stamina

        def send_batch(batch: list) -> None:
            for attempt in stamina.retry_context(on=httpx.HTTPError, attempts=3):
                with attempt:
                    httpx.post("https://x.test/batch", json=batch)  # expect: ML202
        """,
    ),
    case(
        "stamina-retry-context-connect-only",
        """
        import httpx
        import stamina

        def send_batch(batch: list) -> None:
            for attempt in stamina.retry_context(on=httpx.ConnectError, attempts=3):
                with attempt:
                    httpx.post("https://x.test/batch", json=batch)
        """,
    ),
    case(
        "stamina-retry-context-attempts-1",
        """
        import httpx
        import stamina

        def send_batch(batch: list) -> None:
            for attempt in stamina.retry_context(on=httpx.HTTPError, attempts=1):
                with attempt:
                    httpx.post("https://x.test/batch", json=batch)
        """,
    ),
    case(
        "retrying-object-called-with-http-function",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def post_direct(payload: dict):
            retryer = Retrying(stop=stop_after_attempt(3))
            return retryer(requests.post, "https://x.test/d", json=payload)  # expect: ML202
        """,
    ),
    case(
        "retrying-object-called-with-session-method",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def post_direct(session: requests.Session, payload: dict):
            return Retrying(stop=stop_after_attempt(3))(  # expect: ML202
                session.post, "https://x.test/d", json=payload
            )
        """,
    ),
    case(
        "retrying-object-connect-only",
        """
        import requests
        from tenacity import Retrying, retry_if_exception_type

        def post_direct(payload: dict):
            retryer = Retrying(retry=retry_if_exception_type(requests.ConnectTimeout))
            return retryer(requests.post, "https://x.test/d", json=payload)
        """,
    ),
    case(
        "retrying-object-with-lambda",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def post_lambda(session: requests.Session, payload: dict):
            retryer = Retrying(stop=stop_after_attempt(3))
            return retryer(lambda: session.post("https://x.test/l", json=payload))  # expect: ML202
        """,
    ),
    case(
        "retrying-object-with-local-function",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def _deliver(payload: dict):
            return requests.post("https://x.test/deliver", json=payload)  # expect: ML202

        def deliver(payload: dict):
            return Retrying(stop=stop_after_attempt(3))(_deliver, payload)
        """,
    ),
    case(
        "tenacity-retry-wrapping-local-function",
        """
        import httpx
        import tenacity

        def _deliver(payload: dict):
            return httpx.post("https://x.test/deliver", json=payload)  # expect: ML202

        def deliver(payload: dict):
            return tenacity.retry(stop=tenacity.stop_after_attempt(3))(_deliver)(payload)
        """,
    ),
    case(
        "tenacity-retry-wrapping-lambda",
        """
        import httpx
        from tenacity import retry, stop_after_attempt

        def deliver(payload: dict):
            return retry(stop=stop_after_attempt(3))(
                lambda: httpx.post("https://x.test/l", json=payload)  # expect: ML202
            )()
        """,
    ),
    case(
        "stamina-retrying-caller",
        """
        import httpx
        import stamina

        def _deliver(payload: dict):
            return httpx.post("https://x.test/deliver", json=payload)  # expect: ML202

        def deliver(payload: dict):
            caller = stamina.RetryingCaller(attempts=5)
            return caller(httpx.HTTPError, _deliver, payload)
        """,
    ),
    case(
        "stamina-retrying-caller-http-function",
        """
        import httpx
        import stamina

        def deliver(p: dict):
            caller = stamina.RetryingCaller(attempts=5)
            return caller(httpx.HTTPError, httpx.post, "https://x.test/d", json=p)  # expect: ML202
        """,
    ),
    case(
        "stamina-retrying-caller-connect-only",
        """
        import httpx
        import stamina

        def deliver(payload: dict):
            caller = stamina.RetryingCaller(attempts=5)
            return caller(httpx.ConnectError, httpx.post, "https://x.test/d", json=payload)
        """,
    ),
    case(
        "stamina-retrying-caller-attempts-1",
        """
        import httpx
        import stamina

        def deliver(payload: dict):
            caller = stamina.RetryingCaller(attempts=1)
            return caller(httpx.HTTPError, httpx.post, "https://x.test/d", json=payload)
        """,
    ),
    case(
        "stamina-on-inline",
        """
        import httpx
        import stamina

        def deliver(p: dict):
            caller = stamina.RetryingCaller(attempts=5)
            return caller.on(httpx.HTTPError)(httpx.post, "https://x.test", json=p)  # expect: ML202
        """,
    ),
    case(
        "stamina-on-bound-name",
        """
        import httpx
        import stamina

        def deliver(payload: dict):
            rc = stamina.RetryingCaller(attempts=5)
            bound_rc = rc.on(httpx.HTTPError)
            return bound_rc(httpx.post, "https://x.test/d", json=payload)  # expect: ML202
        """,
    ),
    case(
        "stamina-async-retrying-caller-client-method",
        """
        import httpx
        import stamina

        async def deliver(client: httpx.AsyncClient, payload: dict):
            caller = stamina.AsyncRetryingCaller(attempts=3)
            return await caller(httpx.HTTPError, client.post, "/d", json=payload)  # expect: ML202
        """,
    ),
    case(
        "stamina-async-retry-context",
        """
        import httpx
        import stamina

        async def send_batch(client: httpx.AsyncClient, batch: list) -> None:
            async for attempt in stamina.retry_context(on=httpx.HTTPError, attempts=3):
                with attempt:
                    await client.post("/batch", json=batch)  # expect: ML202
        """,
    ),
    case(
        "async-retrying-bound-name",
        """
        import httpx
        from tenacity import AsyncRetrying, stop_after_attempt, wait_random_exponential

        async def send_batch(client: httpx.AsyncClient, batch: list) -> None:
            retrying = AsyncRetrying(stop=stop_after_attempt(5), wait=wait_random_exponential())
            async for attempt in retrying:
                with attempt:
                    await client.post("/batch", json=batch)  # expect: ML202
        """,
    ),
    case(
        "retrying-object-async-call",
        """
        import httpx
        from tenacity import AsyncRetrying, stop_after_attempt

        async def send(client: httpx.AsyncClient, event: dict):
            retrying = AsyncRetrying(stop=stop_after_attempt(3))
            return await retrying(client.post, "/e", json=event)  # expect: ML202
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), BLOCKS)
def test_retry_blocks(source: str, config: Config) -> None:
    check(source, config)


# -- nested scopes: the innermost unsafe scope decides the code --------------------------------

NESTED = [
    case(
        "unsafe-loop-inside-unsafe-decorator",
        """
        import requests
        from tenacity import retry

        @retry
        def create(doc: dict):
            for _ in range(3):
                try:
                    return requests.post("https://x.test/docs", json=doc)  # expect: ML201
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "safe-loop-inside-unsafe-decorator",
        """
        import requests
        from tenacity import retry

        @retry
        def create(doc: dict):
            for _ in range(3):
                try:
                    return requests.post("https://x.test/docs", json=doc)  # expect: ML202
                except requests.ConnectTimeout:
                    pass
        """,
    ),
    case(
        "unsafe-loop-inside-safe-decorator",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.ConnectError)
        def create(doc: dict):
            while True:
                r = httpx.post("https://x.test/docs", json=doc)  # expect: ML201
                if r.status_code >= 500:
                    continue
                return r
        """,
    ),
    case(
        "safe-loop-inside-safe-decorator",
        """
        import httpx
        import stamina

        @stamina.retry(on=httpx.ConnectError)
        def create(doc: dict):
            while True:
                r = httpx.post("https://x.test/docs", json=doc)
                if r.status_code == 429:
                    continue
                return r
        """,
    ),
    case(
        "iteration-inside-decorator",
        """
        import requests
        from tenacity import retry, stop_after_attempt

        @retry(stop=stop_after_attempt(3))
        def sync_all(items: list) -> None:
            for item in items:
                requests.post("https://x.test/items", json=item)  # expect: ML202
        """,
    ),
    case(
        "loop-inside-retry-block",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def create(doc: dict):
            for attempt in Retrying(stop=stop_after_attempt(3)):
                with attempt:
                    for _ in range(2):
                        try:
                            return requests.post("https://x.test/d", json=doc)  # expect: ML201
                        except requests.RequestException:
                            continue
        """,
    ),
    case(
        "retry-block-inside-iteration",
        """
        import requests
        from tenacity import Retrying, stop_after_attempt

        def deliver_all(events: list) -> None:
            for event in events:
                for attempt in Retrying(stop=stop_after_attempt(3)):
                    with attempt:
                        requests.post("https://x.test/e", json=event)  # expect: ML202
        """,
    ),
    case(
        "decorated-inner-function-inside-loop-function",
        """
        import requests
        from tenacity import retry

        def deliver_all(events: list) -> None:
            for event in events:

                @retry
                def _send():
                    return requests.post("https://x.test/e", json=event)  # expect: ML202

                _send()
        """,
    ),
    case(
        "key-made-in-outer-function-of-decorated-closure",
        """
        import uuid
        import requests
        from tenacity import retry, stop_after_attempt

        def create_order(order: dict):
            key = str(uuid.uuid4())

            @retry(stop=stop_after_attempt(3))
            def _send():
                return requests.post(
                    "https://shop.test/orders", json=order, headers={"Idempotency-Key": key}
                )

            return _send()
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), NESTED)
def test_nested_scopes(source: str, config: Config) -> None:
    check(source, config)


# -- ML204: an idempotency key made per attempt -----------------------------------------------

KEYS = [
    case(
        "uuid4-inline-in-loop",
        """
        import uuid
        import requests

        def charge(p: dict):
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/c",
                        json=p,
                        headers={"Idempotency-Key": str(uuid.uuid4())},  # expect: ML204
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "uuid4-bound-name-in-loop",
        """
        import time
        import uuid
        import requests

        def charge(p: dict):
            for attempt in range(3):
                key = uuid.uuid4().hex  # expect: ML204
                try:
                    return requests.post(
                        "https://pay.test/c", json=p, headers={"Idempotency-Key": key}
                    )
                except requests.RequestException:
                    time.sleep(attempt)
        """,
    ),
    case(
        "from-uuid-import-uuid4",
        """
        from uuid import uuid4
        import httpx

        def charge(client: httpx.Client, p: dict):
            while True:
                r = client.post(
                    "/c", json=p, headers={"X-Idempotency-Key": str(uuid4())}  # expect: ML204
                )
                if r.status_code >= 500:
                    continue
                return r
        """,
    ),
    case(
        "secrets-in-decorated-function",
        """
        import secrets
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError)
        def charge(p: dict):
            key = secrets.token_urlsafe(16)  # expect: ML204
            return httpx.post("https://pay.test/c", json=p, headers={"Idempotency-Key": key})
        """,
    ),
    case(
        "clock-in-celery-task",
        """
        import time
        import requests
        from celery import shared_task

        @shared_task(autoretry_for=(requests.RequestException,), max_retries=3)
        def charge(p: dict) -> None:
            requests.post(
                "https://pay.test/c",
                json=p,
                headers={"Idempotency-Key": f"{p['id']}-{time.time_ns()}"},  # expect: ML204
            )
        """,
    ),
    case(
        "uuid4-with-unknown-default-headers",
        """
        import uuid
        import requests

        class Payments:
            def __init__(self, token: str) -> None:
                self.session = requests.Session()
                self.default_headers = {"Authorization": f"Bearer {token}"}

            def charge(self, p: dict):
                for _ in range(3):
                    try:
                        return self.session.post(
                            "https://pay.test/c",
                            json=p,
                            headers={
                                **self.default_headers,
                                "Idempotency-Key": str(uuid.uuid4()),  # expect: ML204
                            },
                        )
                    except requests.RequestException:
                        pass
        """,
    ),
    case(
        "uuid4-with-unknown-spread-headers",
        """
        import uuid
        import requests

        def charge(p: dict, extra: dict):
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/c",
                        json=p,
                        headers={**extra, "Idempotency-Key": str(uuid.uuid4())},  # expect: ML204
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "configured-key-made-per-attempt",
        """
        import uuid
        import requests

        def charge(p: dict):
            for _ in range(3):
                try:
                    return requests.post(
                        "https://pay.test/c",
                        json=p,
                        headers={"X-Request-Key": str(uuid.uuid4())},  # expect: ML204
                    )
                except requests.RequestException:
                    pass
        """,
        Config(select=("ML2",), idempotency_headers=("X-Request-Key",)),
    ),
    case(
        "uuid5-is-deterministic",
        """
        import uuid
        import requests

        NS = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

        def charge(order_id: str, p: dict):
            for _ in range(3):
                key = str(uuid.uuid5(NS, order_id))
                try:
                    return requests.post(
                        "https://pay.test/c", json=p, headers={"Idempotency-Key": key}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "uuid4-made-before-decorated-call",
        """
        import uuid
        import httpx
        import stamina

        @stamina.retry(on=httpx.HTTPError)
        def _charge(p: dict, key: str):
            return httpx.post("https://pay.test/c", json=p, headers={"Idempotency-Key": key})

        def charge(p: dict):
            return _charge(p, str(uuid.uuid4()))
        """,
    ),
    case(
        "uuid4-key-on-put-is-fine",
        """
        import uuid
        import requests

        def save(doc_id: str, doc: dict):
            for _ in range(3):
                try:
                    return requests.put(
                        f"https://x.test/docs/{doc_id}",
                        json=doc,
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "uuid4-key-connect-only-loop-is-fine",
        """
        import uuid
        import httpx

        def charge(p: dict):
            for _ in range(3):
                try:
                    return httpx.post(
                        "https://pay.test/c",
                        json=p,
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )
                except httpx.ConnectError:
                    pass
        """,
    ),
    case(
        "key-made-lazily-once",
        """
        import uuid
        import requests

        def charge(p: dict):
            key = None
            for attempt in range(3):
                if key is None:
                    key = str(uuid.uuid4())
                try:
                    return requests.post(
                        "https://pay.test/c", json=p, headers={"Idempotency-Key": key}
                    )
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "key-per-item-outside-inner-retry",
        """
        import time
        import uuid
        import requests

        def charge_all(items: list):
            for item in items:
                key = str(uuid.uuid4())
                for attempt in range(3):
                    try:
                        requests.post(
                            "https://pay.test/c", json=item, headers={"Idempotency-Key": key}
                        )
                        break
                    except requests.RequestException:
                        time.sleep(attempt)
        """,
    ),
    case(
        "key-inside-retry-block",
        """
        import uuid
        import requests
        from tenacity import Retrying, stop_after_attempt

        def charge(p: dict):
            for attempt in Retrying(stop=stop_after_attempt(3)):
                with attempt:
                    key = str(uuid.uuid4())  # expect: ML204
                    requests.post("https://pay.test/c", json=p, headers={"Idempotency-Key": key})
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), KEYS)
def test_key_made_per_attempt(source: str, config: Config) -> None:
    check(source, config)


# -- ML205: a method known only at run time ---------------------------------------------------

ANY_METHOD = [
    case(
        "sdk-request-loop",
        """
        import time
        import requests

        class Client:
            def __init__(self, base: str) -> None:
                self.url = base
                self.session = requests.Session()

            def request(self, method: str, path: str, b=None):
                for attempt in range(5):
                    try:
                        r = self.session.request(method, self.url + path, json=b)  # expect: ML205
                        r.raise_for_status()
                        return r.json()
                    except requests.RequestException:
                        time.sleep(2**attempt)
        """,
    ),
    case(
        "sdk-request-decorated",
        """
        import httpx
        from tenacity import retry, stop_after_attempt

        class Client:
            def __init__(self) -> None:
                self._client = httpx.Client(base_url="https://api.test")

            @retry(stop=stop_after_attempt(3))
            def request(self, method: str, path: str, json=None) -> httpx.Response:
                return self._client.request(method, path, json=json)  # expect: ML205
        """,
    ),
    case(
        "sdk-request-gated",
        """
        import httpx
        from tenacity import retry, stop_after_attempt

        RETRYABLE_METHODS = {"GET", "HEAD", "PUT", "DELETE"}

        class Client:
            def __init__(self) -> None:
                self._client = httpx.Client(base_url="https://api.test")

            def request(self, method: str, path: str, json=None) -> httpx.Response:
                for attempt in range(3):
                    try:
                        return self._client.request(method, path, json=json)
                    except httpx.TransportError:
                        if method not in RETRYABLE_METHODS:
                            raise
        """,
    ),
    case(
        "sdk-request-connect-only",
        """
        import aiohttp

        async def call(session: aiohttp.ClientSession, method: str, url: str, body=None):
            for _ in range(3):
                try:
                    async with session.request(method, url, json=body) as r:
                        return await r.json()
                except aiohttp.ClientConnectorError:
                    continue
        """,
    ),
    case(
        "private-helper-only-get",
        """
        import requests

        class Client:
            def __init__(self) -> None:
                self.session = requests.Session()

            def _fetch(self, method: str, url: str):
                for _ in range(3):
                    try:
                        return self.session.request(method, url)
                    except requests.RequestException:
                        pass

            def user(self, uid: str):
                return self._fetch("GET", f"https://api.test/users/{uid}")

            def head(self, uid: str):
                return self._fetch("HEAD", f"https://api.test/users/{uid}")
        """,
    ),
    case(
        # rules.md: a retry inside a wrapper whose method comes from its callers is judged
        # per caller; every call of this private helper is seen, so no ML205 at the helper.
        "private-helper-with-a-post",
        """
        import requests

        class Client:
            def __init__(self) -> None:
                self.session = requests.Session()

            def _fetch(self, method: str, url: str):
                for _ in range(3):
                    try:
                        return self.session.request(method, url)
                    except requests.RequestException:
                        pass

            def user(self, uid: str):
                return self._fetch("GET", f"https://api.test/users/{uid}")

            def ban(self, uid: str):
                return self._fetch("POST", f"https://api.test/users/{uid}/ban")  # expect: ML201
        """,
    ),
    case(
        "public-function-only-get-callers-still-flagged",
        """
        import requests

        def fetch(method: str, url: str):
            for _ in range(3):
                try:
                    return requests.request(method, url)  # expect: ML205
                except requests.RequestException:
                    pass

        def user(uid: str):
            return fetch("GET", f"https://api.test/users/{uid}")
        """,
    ),
    case(
        "method-variable-with-unknown-headers",
        """
        import requests

        def call(method: str, url: str, headers: dict):
            for _ in range(3):
                try:
                    return requests.request(method, url, headers=headers)
                except requests.RequestException:
                    pass
        """,
    ),
    case(
        "http-client-dynamic-method",
        """
        import http.client

        def call(method: str, path: str):
            for _ in range(3):
                conn = http.client.HTTPSConnection("api.test")
                try:
                    conn.request(method, path)  # expect: ML205
                    return conn.getresponse().read()
                except (OSError, http.client.HTTPException):
                    conn.close()
        """,
    ),
    case(
        "comparison-that-is-not-a-gate",
        """
        import time
        import requests

        class Client:
            def __init__(self) -> None:
                self.session = requests.Session()

            def call(self, method: str, url: str, body=None):
                for attempt in range(3):
                    try:
                        if method == "GET":
                            r = self.session.request(method, url, params=body)
                        else:
                            r = self.session.request(method, url, json=body)  # expect: ML205
                        r.raise_for_status()
                        return r.json()
                    except requests.RequestException:
                        time.sleep(2**attempt)
        """,
    ),
    case(
        "gate-before-loop-early-return",
        """
        import time
        import requests

        IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

        class Client:
            def __init__(self) -> None:
                self.session = requests.Session()

            def request(self, method: str, url: str, body=None):
                if method.upper() not in IDEMPOTENT_METHODS:
                    return self.session.request(method, url, json=body)
                for attempt in range(3):
                    try:
                        return self.session.request(method, url, json=body)
                    except requests.RequestException:
                        time.sleep(2**attempt)
        """,
    ),
    case(
        "gate-before-loop-attempt-count",
        """
        import time
        import requests

        SAFE = {"GET", "HEAD", "OPTIONS"}

        def call(method: str, url: str):
            attempts = 3 if method in SAFE else 1
            for attempt in range(attempts):
                try:
                    return requests.request(method, url)
                except requests.RequestException:
                    if attempt == attempts - 1:
                        raise
                    time.sleep(1)
        """,
    ),
    case(
        "private-helper-default-get",
        """
        import requests

        def _fetch(url: str, method: str = "GET"):
            for _ in range(3):
                try:
                    return requests.request(method, url)
                except requests.RequestException:
                    pass

        def user(uid: str):
            return _fetch(f"https://api.test/users/{uid}")

        def head(uid: str):
            return _fetch(f"https://api.test/users/{uid}", method="HEAD")
        """,
    ),
    case(
        "private-helper-keyword-post",
        """
        import requests

        def _fetch(url: str, method: str = "GET"):
            for _ in range(3):
                try:
                    return requests.request(method, url)
                except requests.RequestException:
                    pass

        def user(uid: str):
            return _fetch(f"https://api.test/users/{uid}")

        def ban(uid: str):
            return _fetch(f"https://api.test/users/{uid}/ban", method="POST")  # expect: ML201
        """,
    ),
    case(
        "private-decorated-method-only-get",
        """
        import httpx
        import stamina

        class Api:
            def __init__(self) -> None:
                self.client = httpx.Client(base_url="https://api.test")

            @stamina.retry(on=httpx.HTTPError)
            def _call(self, method: str, path: str):
                return self.client.request(method, path)

            def user(self, uid: str):
                return self._call("GET", f"/users/{uid}")
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), ANY_METHOD)
def test_method_known_at_run_time(source: str, config: Config) -> None:
    check(source, config)


# -- ML203: transport retry policies ----------------------------------------------------------

POLICIES = [
    case(
        "urllib3-retry-allowed-methods-none",
        """
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        session = requests.Session()
        retries = Retry(total=5, backoff_factor=0.5, allowed_methods=None)  # expect: ML203
        session.mount("https://", HTTPAdapter(max_retries=retries))
        """,
    ),
    case(
        "urllib3-retry-default-methods",
        """
        import requests
        from requests.adapters import HTTPAdapter, Retry

        session = requests.Session()
        session.mount(
            "https://",
            HTTPAdapter(max_retries=Retry(total=5, status_forcelist=[500, 502, 503, 504])),
        )
        """,
    ),
    case(
        "urllib3-retry-adds-post",
        """
        import urllib3

        retry = urllib3.Retry(  # expect: ML203
            total=3, allowed_methods=urllib3.Retry.DEFAULT_ALLOWED_METHODS | {"POST"}
        )
        http = urllib3.PoolManager(retries=retry)
        """,
    ),
    case(
        "urllib3-retry-post-status-429-read-off",
        """
        import urllib3

        retry = urllib3.Retry(
            total=3, read=0, allowed_methods=["GET", "POST"], status_forcelist=[429, 503]
        )
        http = urllib3.PoolManager(retries=retry)
        """,
    ),
    case(
        "urllib3-retry-total-0",
        """
        import urllib3

        http = urllib3.PoolManager(retries=urllib3.Retry(total=0, allowed_methods=None))
        """,
    ),
    case(
        "urllib3-retry-lower-case-post",
        """
        from urllib3.util import Retry

        retry = Retry(total=3, allowed_methods=["get", "post"])
        """,
    ),
    case(
        "httpx-transport-retries",
        """
        import httpx

        client = httpx.Client(transport=httpx.HTTPTransport(retries=3))

        def create(doc: dict):
            return client.post("https://x.test/docs", json=doc)
        """,
    ),
    case(
        "aiohttp-retry-client-default",
        """
        from aiohttp_retry import RetryClient

        async def main():
            client = RetryClient()  # expect: ML203
            await client.close()
        """,
    ),
    case(
        "aiohttp-retry-exponential-default-methods",
        """
        from aiohttp_retry import ExponentialRetry, RetryClient

        async def main():
            options = ExponentialRetry(attempts=3)  # expect: ML203
            client = RetryClient(retry_options=options)
            await client.close()
        """,
    ),
    case(
        "aiohttp-retry-get-only-connect-exceptions",
        """
        import aiohttp
        from aiohttp_retry import ExponentialRetry, RetryClient

        async def main():
            options = ExponentialRetry(
                attempts=3, methods={"GET"}, exceptions={aiohttp.ClientConnectorError}
            )
            client = RetryClient(retry_options=options)
            await client.close()
        """,
    ),
    case(
        "aiohttp-retry-single-attempt",
        """
        from aiohttp_retry import ExponentialRetry, ListRetry, RetryClient

        async def main():
            one = RetryClient(retry_options=ExponentialRetry(attempts=1))
            two = RetryClient(retry_options=ListRetry(timeouts=[1.0]))
            await one.close()
            await two.close()
        """,
    ),
    case(
        "urllib3-subclass-default",
        """
        from urllib3.util.retry import Retry

        class RetryEverything(Retry):
            DEFAULT_ALLOWED_METHODS = frozenset({"GET", "POST"})

        retry = RetryEverything(total=3)  # expect: ML203
        """,
    ),
    case(
        "urllib3-method-whitelist-false",
        """
        from requests.packages.urllib3.util.retry import Retry

        retry = Retry(total=3, method_whitelist=False)  # expect: ML203
        """,
    ),
    case(
        "urllib3-union-patch",
        """
        from urllib3 import Retry

        retry = Retry(  # expect: ML203
            total=3, allowed_methods=Retry.DEFAULT_ALLOWED_METHODS.union({"PATCH"})
        )
        """,
    ),
    case(
        "urllib3-post-read-off-5xx",
        """
        from urllib3 import Retry

        retry = Retry(  # expect: ML203
            total=3, read=0, allowed_methods=None, status_forcelist=[500, 502]
        )
        """,
    ),
    case(
        "aiohttp-retry-exceptions-any-method",
        """
        import aiohttp
        from aiohttp_retry import RetryClient, ExponentialRetry

        async def main():
            opts = ExponentialRetry(  # expect: ML203
                attempts=3, methods={"GET"}, exceptions={aiohttp.ClientResponseError}
            )
            client = RetryClient(retry_options=opts)
            await client.close()
        """,
    ),
    case(
        "aiohttp-retry-no-5xx-429-only",
        """
        from aiohttp_retry import RetryClient, JitterRetry

        async def main():
            opts = JitterRetry(attempts=5, retry_all_server_errors=False, statuses={429})
            client = RetryClient(retry_options=opts)
            await client.close()
        """,
    ),
]


@pytest.mark.parametrize(("source", "config"), POLICIES)
def test_transport_retry_policies(source: str, config: Config) -> None:
    check(source, config)


# -- what a decorator or block retries on: every mechanism x connection errors and look-alikes --

_MECHANISM_IMPORTS = """\
import aiohttp
import backoff
import httpx
import requests
import stamina
import tenacity
import urllib3
from celery import shared_task
from retry import retry as retry_package
from retrying import retry as retrying_retry
"""
# name: (the lines that open the scope, with {exc}; async variant or None; the indent it adds)
_DECORATOR = 0
_BLOCK = 8
MECHANISMS = {
    "tenacity": (
        "@tenacity.retry(retry=tenacity.retry_if_exception_type({exc}))",
        "@tenacity.retry(retry=tenacity.retry_if_exception_type({exc}))",
        _DECORATOR,
    ),
    "backoff": (
        "@backoff.on_exception(backoff.expo, {exc}, max_tries=3)",
        "@backoff.on_exception(backoff.expo, {exc}, max_tries=3)",
        _DECORATOR,
    ),
    "stamina": ("@stamina.retry(on={exc}, attempts=3)", "@stamina.retry(on={exc})", _DECORATOR),
    "celery": ("@shared_task(autoretry_for=({exc},), max_retries=3)", None, _DECORATOR),
    "retrying": (
        "@retrying_retry(retry_on_exception=lambda e: isinstance(e, {exc}))",
        None,
        _DECORATOR,
    ),
    "retry-package": ("@retry_package({exc}, tries=3)", None, _DECORATOR),
    "tenacity-block": (
        "for attempt in tenacity.Retrying(retry=tenacity.retry_if_exception_type({exc})):\n"
        "    with attempt:",
        "async for attempt in tenacity.AsyncRetrying(\n"
        "    retry=tenacity.retry_if_exception_type({exc})\n"
        "):\n"
        "    with attempt:",
        _BLOCK,
    ),
    "stamina-block": (
        "for attempt in stamina.retry_context(on={exc}):\n    with attempt:",
        "async for attempt in stamina.retry_context(on={exc}):\n    with attempt:",
        _BLOCK,
    ),
}
_SENDS = {
    "requests": 'return requests.post("https://x.test/a", json=p)  # {mark}',
    "httpx": 'return httpx.post("https://x.test/a", json=p)  # {mark}',
    "urllib3": 'return urllib3.request("POST", "https://x.test/a", json=p)  # {mark}',
    "aiohttp": 'async with session.post("https://x.test/a", json=p) as r:  # {mark}\n'
    "    return await r.json()",
}
# (exception, library of the request, retried only before the request is sent)
RETRIED_EXCEPTIONS = [
    ("requests.exceptions.ConnectTimeout", "requests", True),
    ("httpx.ConnectError", "httpx", True),
    ("httpx.ConnectTimeout", "httpx", True),
    ("aiohttp.ClientConnectorError", "aiohttp", True),
    ("urllib3.exceptions.NewConnectionError", "urllib3", True),
    ("urllib3.exceptions.ConnectTimeoutError", "urllib3", True),
    ("requests.exceptions.ConnectionError", "requests", False),
    ("aiohttp.ClientConnectionError", "aiohttp", False),
    ("aiohttp.ServerDisconnectedError", "aiohttp", False),
    ("httpx.TransportError", "httpx", False),
    ("httpx.NetworkError", "httpx", False),
    ("httpx.RemoteProtocolError", "httpx", False),
    ("ConnectionError", "requests", False),
    ("OSError", "requests", False),
    ("Exception", "httpx", False),
]


def mechanism_program(mechanism: str, exc: str, library: str, connect_only: bool) -> str | None:
    sync_opening, async_opening, indent = MECHANISMS[mechanism]
    is_async = library == "aiohttp"
    opening = async_opening if is_async else sync_opening
    if opening is None:
        return None
    send = _SENDS[library].format(mark="no finding" if connect_only else "expect: ML202")
    signature = (
        "async def send(session: aiohttp.ClientSession, p: dict):"
        if is_async
        else "def send(p: dict):"
    )
    opening = opening.format(exc=exc)
    if indent == _DECORATOR:
        body = f"{opening}\n{signature}\n{textwrap.indent(send, '    ')}\n"
    else:
        inner = textwrap.indent(f"{opening}\n{textwrap.indent(send, '        ')}", "    ")
        body = f"{signature}\n{inner}\n"
    return f"{_MECHANISM_IMPORTS}\n\n{body}"


MECHANISM_CASES = [
    pytest.param(program, ML2, id=f"{mechanism}-{exc}")
    for mechanism in MECHANISMS
    for exc, library, connect_only in RETRIED_EXCEPTIONS
    if (program := mechanism_program(mechanism, exc, library, connect_only)) is not None
]


@pytest.mark.parametrize(("source", "config"), MECHANISM_CASES)
def test_retried_exceptions_by_mechanism(source: str, config: Config) -> None:
    check(source, config)
