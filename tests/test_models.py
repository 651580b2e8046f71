"""Models of installed third-party wrappers (`http-wrappers`): a class declared equivalent to
a library client, and functions or methods whose parameters map to method, URL, body and
headers, resolve like the project's own wrappers, in single-file and project runs."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import write

from methodlint import Config, lint_paths, lint_source
from methodlint.config import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SLACK = {
    "method": "http_verb",
    "method-default": "POST",
    "url": "api_method",
    "body": ["json", "data"],
    "headers": "headers",
    "parameters": ["api_method"],
}
WRAPPERS = {
    "requests_hardened.Manager": "requests.Session",
    "slack_sdk.WebClient.api_call": SLACK,
    "vendor.http:send_form": {"method": "POST", "url": "url", "body": {"payload": "data"}},
}
RETRY = """
for attempt in range(3):
    try:
        {call}
        break
    except OSError:
        time.sleep(1)
"""


def config(**extra: object) -> Config:
    return Config.from_mapping({"http-wrappers": WRAPPERS, **extra})


def found(source: str, cfg: Config | None = None) -> list[tuple[int, str]]:
    diagnostics = lint_source(textwrap.dedent(source), config=cfg or config())
    return [(d.line, d.code) for d in diagnostics]


def retried(call: str, imports: str) -> str:
    return f"import time\n{imports}\n" + RETRY.format(call=call)


def test_a_class_declared_a_client_is_used_like_it() -> None:
    source = """
        from requests_hardened import Manager

        manager = Manager(config)
        manager.get("https://api.example.com/items", json={"q": 1})
        manager.delete("https://api.example.com/items/1")
    """
    assert found(source) == [(5, "ML101")]
    # Without the model nothing ties Manager to an HTTP library.
    assert found(source, Config()) == []


def test_a_method_model_maps_the_method_its_default_and_the_body() -> None:
    imports = "from slack_sdk import WebClient\nclient = WebClient(token='t')"
    posted = retried('client.api_call("chat.postMessage", json={"text": "hi"})', imports)
    assert found(posted) == [(7, "ML201")]
    keyed = retried(
        'client.api_call("chat.postMessage", json={}, headers={"Idempotency-Key": k})', imports
    )
    assert found(keyed) == []
    read = retried('client.api_call("users.info", http_verb="GET")', imports)
    assert found(read) == []
    body = 'client.api_call("users.info", http_verb="GET", data={"user": "U1"})'
    assert found(f"{imports}\n{body}\n") == [(3, "ML101")]


def test_only_the_modelled_members_are_requests() -> None:
    source = """
        from slack_sdk import WebClient

        client = WebClient(token="t")
        client.chat_postMessage(channel="C1", text="hi")
        client.get("users.info", data={"user": "U1"})
    """
    assert found(source) == []


def test_a_function_model_with_a_fixed_method() -> None:
    source = retried(
        'send_form("https://forms.example.com", payload=b"x")', "from vendor.http import send_form"
    )
    assert found(source) == [(6, "ML201")]


def test_models_work_in_a_project_run(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "")
    write(
        tmp_path,
        "app/notify.py",
        retried(
            'client.api_call("chat.postMessage", json={"text": "hi"})',
            "from app.clients import client",
        ),
    )
    write(
        tmp_path,
        "app/clients.py",
        "from slack_sdk import WebClient\n\nclient = WebClient(token='t')\n",
    )
    report = lint_paths([str(tmp_path / "app")], config(**{"cross-module": True}))
    assert [(Path(d.path).name, d.line, d.code) for d in report.diagnostics] == [
        ("notify.py", 6, "ML201")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"pkg.Client": "requests.Sesion"}, "did you mean 'requests.Session'"),
        ({"pkg.call": {"methd": "verb", "url": "u"}}, "unknown key 'methd'"),
        ({"pkg.call": {"url": "u", "body": ["payload"]}}, "'payload' is not a body of requests"),
        ({"pkg.call": {"url": "u", "library": "curl"}}, "library must be one of"),
        ({"pkg.call": {"body": ["json"]}}, "needs a method or a url"),
        ({"Client": "requests.Session"}, "name a module's class or function"),
        ({"pkg.call": 3}, "must be a client type or a table"),
    ],
)
def test_a_wrong_model_is_a_configuration_error(value: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_mapping({"http-wrappers": value})


def test_the_readme_models_are_a_valid_configuration() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "http-wrappers]" in b)
    table = tomllib.loads(block)["tool"]["methodlint"]
    cfg = Config.from_mapping(table)
    assert {name for name, _ in cfg.http_wrappers} == set(WRAPPERS)
    assert json.loads(dict(cfg.http_wrappers)["slack_sdk.WebClient.api_call"]) == SLACK
