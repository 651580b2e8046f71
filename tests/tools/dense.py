"""An HTTP-dense tree for tests/tools/bench.py: hundreds of modules shaped like the HTTP code of
real projects (an SDK client on a `requests.Session` with a retry policy and a request
wrapper, an httpx async client under tenacity, FastAPI and Flask routes, scripts with retry
loops and urllib, aiohttp sessions), each making several requests, every file different in its
names, paths and payloads.

    python tests/tools/dense.py OUT [--files 300]

Standalone (stdlib only); bench.py imports `write_tree`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_CLIENT = '''"""Client for the {Thing} API of {vendor}."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)
BASE_URL = "https://api.{vendor}.example.com/v{version}"


class {Thing}Error(Exception):
    pass


class {Thing}Client:
    """Talks to /{things}: list, read, create, update and delete."""

    def __init__(self, token: str, timeout: float = 10.0) -> None:
        self.session = requests.Session()
        retries = Retry(total=5, backoff_factor=0.5, status_forcelist=[502, 503, 504])
        self.session.mount("https://", HTTPAdapter(max_retries=retries))
        self.session.headers.update({{"Authorization": f"Bearer {{token}}"}})
        self.timeout = timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(
            method, f"{{BASE_URL}}{{path}}", timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise {Thing}Error(f"{{method}} {{path}}: {{response.status_code}}")
        return response.json()

    def list_{things}(self, page: int = 1, query: dict[str, Any] | None = None) -> list[Any]:
        return self._request("GET", "/{things}", params={{"page": page}}, json=query)["items"]

    def get_{thing}(self, {thing}_id: str) -> dict[str, Any]:
        return self._request("GET", f"/{things}/{{{thing}_id}}")

    def create_{thing}(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/{things}", json=payload)

    def update_{thing}(self, {thing}_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._request("PUT", f"/{things}/{{{thing}_id}}", json=payload)

    def rename_{thing}(self, {thing}_id: str, name: str) -> dict[str, Any]:
        current = self.get_{thing}({thing}_id)
        current["name"] = name
        return self._request("PATCH", f"/{things}/{{{thing}_id}}", json=current)

    def delete_{thing}(self, {thing}_id: str, reason: str = "") -> None:
        self._request("DELETE", f"/{things}/{{{thing}_id}}", json={{"reason": reason}})

    def upload_{thing}(self, {thing}_id: str, data: bytes) -> None:
        for attempt in range({version} + 2):
            try:
                self.session.post(
                    f"{{BASE_URL}}/{things}/{{{thing}_id}}/files", data=data, timeout=30
                )
                return
            except requests.ConnectionError:
                log.warning("upload failed, attempt %d", attempt)
                time.sleep(2**attempt)
        raise {Thing}Error("upload failed")
'''

_ASYNC = '''"""Async access to the {vendor} {things} service."""

from __future__ import annotations

import httpx
from tenacity import retry, stop_after_attempt, wait_exponential

SERVICE = "https://{vendor}.example.org/api"


@retry(stop=stop_after_attempt({version} + 2), wait=wait_exponential(multiplier=1))
async def fetch_{things}(client: httpx.AsyncClient, cursor: str | None = None) -> list:
    response = await client.get(f"{{SERVICE}}/{things}", params={{"cursor": cursor}})
    response.raise_for_status()
    return response.json()["data"]


@retry(stop=stop_after_attempt(3))
async def publish_{thing}(client: httpx.AsyncClient, body: dict) -> dict:
    response = await client.post(f"{{SERVICE}}/{things}", json=body)
    response.raise_for_status()
    return response.json()


async def replace_{thing}(client: httpx.AsyncClient, key: str, body: dict) -> None:
    await client.put(f"{{SERVICE}}/{things}/{{key}}", json=body)


async def drop_{thing}(key: str) -> int:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.request("delete", f"{{SERVICE}}/{things}/{{key}}")
        return response.status_code


async def sync_all(keys: list[str]) -> None:
    async with httpx.AsyncClient(base_url=SERVICE) as client:
        for key in keys:
            current = (await client.get(f"/{things}/{{key}}")).json()
            current["synced"] = True
            await client.patch(f"/{things}/{{key}}", json=current)
'''

_FASTAPI = '''"""HTTP routes for {things} ({vendor})."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

router = APIRouter(prefix="/{things}")
STORE: dict[str, dict] = {{}}


@router.get("/")
async def list_{things}() -> list[dict]:
    return list(STORE.values())


@router.get("/{{key}}/archive")
async def archive_{thing}(key: str) -> dict:
    item = STORE.pop(key, None)
    if item is None:
        raise HTTPException(404)
    return item


@router.post("/")
async def create_{thing}(request: Request) -> dict:
    body = await request.json()
    STORE[body["id"]] = body
    return body


@router.put("/{{key}}")
async def replace_{thing}(key: str, request: Request) -> dict:
    STORE[key] = await request.json()
    return STORE[key]


@router.delete("/{{key}}")
async def delete_{thing}(key: str, request: Request) -> None:
    reason = await request.json()
    STORE.pop(key, None)
    print(reason)
'''

_FLASK = '''"""Pages for {things} ({vendor})."""

from flask import Blueprint, jsonify, request

bp = Blueprint("{things}", __name__)
ITEMS = {{}}


@bp.route("/{things}")
def index():
    return jsonify(list(ITEMS.values()))


@bp.route("/{things}/<key>/delete")
def remove(key):
    ITEMS.pop(key, None)
    return jsonify(ok=True)


@bp.route("/{things}", methods=["POST"])
def create():
    data = request.get_json()
    ITEMS[data["id"]] = data
    return jsonify(data), 201


@bp.route("/{things}/<key>", methods=["GET", "PUT"])
def item(key):
    if request.method == "PUT":
        ITEMS[key] = request.get_json()
    return jsonify(ITEMS.get(key))
'''

_SCRIPT = '''"""Nightly job: copy {things} from {vendor} into the warehouse."""

import json
import time
import urllib.request

import requests

SOURCE = "https://{vendor}.example.net/export/{things}"
TARGET = "https://warehouse.example.net/ingest/{things}"
HEADERS = {{"Content-Type": "application/json"}}


def download(day):
    return requests.get(SOURCE, params={{"day": day}}, timeout=60).json()


def search(filters):
    return requests.get(SOURCE + "/search", json=filters, timeout=60).json()


def upload(rows):
    for attempt in range({version} + 3):
        response = requests.post(TARGET, data=json.dumps(rows), headers=HEADERS, timeout=60)
        if response.status_code < 500:
            return response
        time.sleep(attempt * 10)
    raise RuntimeError("warehouse unavailable")


def mark_done(day):
    request = urllib.request.Request(
        TARGET + "/done", data=json.dumps({{"day": day}}).encode(), method="PUT"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def cleanup(day):
    requests.delete(SOURCE, json={{"day": day}}, timeout=60)


def main(days):
    for day in days:
        upload(download(day))
        mark_done(day)
        cleanup(day)
'''

_AIOHTTP = '''"""Webhook fan-out for {things} events ({vendor})."""

import asyncio

import aiohttp

ENDPOINTS = ["https://hooks.{vendor}.example.com/{things}/{{}}".format(n) for n in range(3)]


async def notify(session: aiohttp.ClientSession, url: str, event: dict) -> int:
    for attempt in range(4):
        try:
            async with session.post(url, json=event) as response:
                return response.status
        except aiohttp.ClientError:
            await asyncio.sleep(attempt)
    return 0


async def probe(session: aiohttp.ClientSession, url: str) -> bool:
    async with session.head(url, data=b"ping") as response:
        return response.status == 200


async def fan_out(event: dict) -> list:
    async with aiohttp.ClientSession() as session:
        alive = [url for url in ENDPOINTS if await probe(session, url)]
        return await asyncio.gather(*(notify(session, url, event) for url in alive))
'''

TEMPLATES = (_CLIENT, _ASYNC, _FASTAPI, _FLASK, _SCRIPT, _AIOHTTP)
_THINGS = (
    ("invoice", "invoices"), ("order", "orders"), ("user", "users"), ("repo", "repos"),
    ("ticket", "tickets"), ("device", "devices"), ("payment", "payments"),
    ("report", "reports"), ("channel", "channels"), ("dataset", "datasets"),
    ("secret", "secrets"), ("project", "projects"), ("volume", "volumes"),
)  # fmt: skip
_VENDORS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")


def module_text(index: int) -> str:
    """The `index`-th module of the tree: a template, with its own names."""
    template = TEMPLATES[index % len(TEMPLATES)]
    thing, things = _THINGS[(index // len(TEMPLATES)) % len(_THINGS)]
    return template.format(
        thing=thing,
        things=things,
        Thing=thing.capitalize(),
        vendor=_VENDORS[index % len(_VENDORS)],
        version=1 + index % 4,
    )


def write_tree(folder: Path, files: int) -> int:
    """Write `files` modules into `folder` (packages of 25); the number of lines."""
    lines = 0
    for index in range(files):
        package = folder / f"service_{index // 25:02}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        text = module_text(index)
        (package / f"module_{index:04}.py").write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args(argv)
    lines = write_tree(args.folder, args.files)
    print(f"{args.files} files, {lines} lines in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
