"""Request wrappers within one module (engine.md, "Across functions and modules").

Each file of `fixtures/wrappers/` is one realistic program for one form: SDK clients, payment
services, GitHub-like requesters. A line that must be reported carries `# expect: MLxxx` (the
convention of `fixtures/rules/`); every other line must be clean, which is how look-alikes are
checked. Findings are compared as (line, code) pairs with every default rule on, so a finding on
the wrong line, of the wrong code, or in a look-alike fails.

Files named `gap_*.py` are what the spec demands and the engine does not do yet: each is a
strict xfail, so fixing the engine turns it into a failure that asks to drop the mark.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from methodlint import Config, lint_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "wrappers"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")

KNOWN_GAPS: dict[str, str] = {}

PATHS = sorted(FIXTURES.glob("*.py"))


# Fixtures where the same finding is reported twice at one place.
DUPLICATES: dict[str, str] = {}


def _param(path: Path, gaps: dict[str, str]) -> object:
    marks = ()
    if path.name in gaps:
        marks = (pytest.mark.xfail(strict=True, reason=gaps[path.name]),)
    return pytest.param(path, id=path.stem, marks=marks)


def expectations(text: str) -> set[tuple[int, str]]:
    expected = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            expected.update((number, code.strip()) for code in match["codes"].split(","))
    return expected


def lint(source: str, config: Config | None = None) -> list:
    return lint_source(textwrap.dedent(source), "case.py", config or Config())


def only(source: str, code: str) -> list:
    return [d for d in lint(source) if d.code == code]


def test_every_gap_is_a_fixture() -> None:
    names = {path.name for path in PATHS}
    assert set(KNOWN_GAPS) <= names
    assert {name for name in names if name.startswith("gap_")} == set(KNOWN_GAPS)
    assert len(PATHS) - len(KNOWN_GAPS) >= 15


@pytest.mark.parametrize("path", [_param(path, KNOWN_GAPS) for path in PATHS])
def test_fixture(path: Path) -> None:
    data = path.read_bytes()
    expected = expectations(data.decode("utf-8"))
    found = {(d.line, d.code) for d in lint_source(data, path.name, Config())}
    assert found == expected


@pytest.mark.parametrize("path", [_param(path, DUPLICATES) for path in PATHS])
def test_one_finding_per_place(path: Path) -> None:
    findings = lint_source(path.read_bytes(), path.name, Config())
    places = Counter((d.line, d.column, d.code) for d in findings)
    assert [place for place, count in places.items() if count > 1] == []


def test_lookalike_fixture_has_no_expectation() -> None:
    # lookalikes.py must stay free of `# expect:` so that test_fixture checks it is clean.
    assert expectations((FIXTURES / "lookalikes.py").read_text()) == set()


# -- messages name the chain ------------------------------------------------------------------

CHAIN = """
import time
import requests

class Client:
    def __init__(self) -> None:
        self.session = requests.Session()

    def _send(self, method, url, payload=None, headers=None):
        return self.session.request(method, url, json=payload, headers=headers)

    def _call(self, method, path, payload=None, headers=None):
        return self._send(method, "https://crm.test/" + path, payload, headers)

    def create(self, path, payload, headers=None):
        return self._call("POST", path, payload, headers)

def add(client: Client, contact: dict):
    for attempt in range(3):
        try:
            return client.create("contacts", contact)
        except requests.RequestException:
            time.sleep(attempt)
"""


def test_retry_message_names_the_whole_chain() -> None:
    [finding] = lint(CHAIN)
    assert finding.code == "ML201"
    assert finding.line == 21, "reported at the call the loop runs again"
    assert finding.message.startswith(
        "POST via requests.Session in Client.create -> Client._call -> Client._send "
        "is retried by this loop"
    )
    assert "requests.RequestException" in finding.message


def test_key_passed_by_the_caller_makes_the_chain_safe() -> None:
    source = CHAIN.replace(
        'client.create("contacts", contact)',
        'client.create("contacts", contact, {"Idempotency-Key": f"c-{contact[\'id\']}"})',
    )
    assert lint(source) == []


def test_unknown_headers_from_the_caller_report_nothing() -> None:
    source = CHAIN.replace("def add(client: Client, contact: dict):", "def add(client, contact):")
    # `client` is no longer known to be a Client: the call stays a plain call.
    assert lint(source) == []
    source = CHAIN.replace(
        "def add(client: Client, contact: dict):",
        "def add(client: Client, contact: dict, headers: dict):",
    ).replace('client.create("contacts", contact)', 'client.create("contacts", contact, headers)')
    assert lint(source) == [], "a headers parameter may hold a key: nothing is reported"


def test_fixed_method_wrapper_message() -> None:
    source = """
    import time
    import requests

    class Requester:
        def __init__(self) -> None:
            self.session = requests.Session()

        def _request(self, method, path, **kwargs):
            return self.session.request(method, "https://gh.test" + path, **kwargs)

        def post(self, path, **kwargs):
            return self._request("POST", path, **kwargs)

    def open_issue(requester: Requester, title: str):
        while True:
            response = requester.post("/issues", json={"title": title})
            if response.status_code >= 500:
                time.sleep(1)
                continue
            return response
    """
    [finding] = lint(source)
    assert (finding.code, finding.line) == ("ML201", 17)
    assert "POST via requests.Session in Requester.post -> Requester._request" in finding.message
    assert "500-599" in finding.message


# -- reported where the caller writes it ------------------------------------------------------


def test_body_forwarded_through_kwargs_is_reported_at_the_callers_keyword() -> None:
    source = """
    import requests

    class Api:
        def get(self, path, **kwargs):
            return requests.get("https://api.test" + path, **kwargs)

    def search(api: Api, query: dict):
        return api.get("/search", data=query)
    """
    [finding] = lint(source)
    assert finding.code == "ML101"
    line = textwrap.dedent(source).splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "data=query"
    assert finding.message.startswith("GET via requests.get in Api.get sends content (data=)")


def test_httpx_get_wrapper_with_json_is_ml105_not_ml101() -> None:
    source = """
    import httpx

    client = httpx.Client()

    def fetch(path, **kwargs):
        return client.get(path, **kwargs)

    def items(query):
        return fetch("/items", json=query)
    """
    assert [(d.code, d.line) for d in lint(source)] == [("ML105", 10)]


def test_lower_case_method_is_reported_at_the_callers_literal() -> None:
    source = """
    import http.client

    def raw(method, host, path):
        connection = http.client.HTTPSConnection(host)
        connection.request(method, path)
        return connection.getresponse()

    def upload(host):
        return raw("post", host, "/upload")
    """
    [finding] = lint(source)
    assert (finding.code, finding.line) == ("ML402", 10)
    line = textwrap.dedent(source).splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == '"post"'


def test_upper_casing_wrapper_is_not_ml402() -> None:
    source = """
    import http.client

    def raw(method, host, path):
        connection = http.client.HTTPSConnection(host)
        connection.request(method.upper(), path)
        return connection.getresponse()

    def upload(host):
        return raw("post", host, "/upload")
    """
    assert only(source, "ML402") == []


def test_default_method_is_get() -> None:
    source = """
    import requests

    def call(path, method="GET", body=None):
        return requests.request(method, "https://api.test" + path, json=body)

    def balance(filters):
        return call("/balance", body=filters)

    def pay(amount):
        return call("/payments", "POST", {"amount": amount})
    """
    [finding] = lint(source)
    assert (finding.code, finding.line) == ("ML101", 8)
    assert finding.message.startswith("GET via requests.request in call")


# -- look-alikes ------------------------------------------------------------------------------


def test_project_get_without_http_is_a_plain_call() -> None:
    source = """
    import requests

    class Store:
        def get(self, key, data=None):
            return data

        def post(self, key, json=None):
            return json

    def load(store: Store, payload):
        store.get("/users", data=payload)
        store.post("/orders", json=payload)
        return requests.get("https://api.test/users")
    """
    assert lint(source) == []


def test_get_wrapper_in_a_retry_loop_and_deterministic_key_are_clean() -> None:
    source = """
    import time
    import requests

    def fetch(path, data=None):
        return requests.get("https://api.test" + path, data=data)

    def create(order):
        return requests.post(
            "https://api.test/orders",
            json=order,
            headers={"Idempotency-Key": f"order-{order['id']}"},
        )

    def patiently(path, order):
        for attempt in range(5):
            try:
                fetch(path)
                return create(order)
            except requests.RequestException:
                time.sleep(attempt)
    """
    assert lint(source) == []


def test_recursion_on_429_only_is_clean_and_on_5xx_is_not() -> None:
    source = """
    import requests

    def submit(form, attempts=3):
        response = requests.post("https://api.test/forms", data=form)
        if response.status_code == 429 and attempts:
            return submit(form, attempts - 1)
        return response
    """
    assert lint(source) == []
    [finding] = lint(source.replace("== 429", ">= 500"))
    assert (finding.code, finding.line) == ("ML201", 5)
    assert "retried by the recursive call submit()" in finding.message


def test_recursion_on_failed_response_says_so() -> None:
    source = """
    import requests

    def submit(job, attempts=3):
        response = requests.post("https://api.test/jobs", json=job)
        if not response.ok and attempts > 0:
            return submit(job, attempts - 1)
        return response.json()
    """
    [finding] = lint(source)
    assert finding.code == "ML201"
    assert "100-599" not in finding.message
    assert "(it retries on a failed response)" in finding.message


def test_a_body_variable_that_is_none_on_every_path_sends_nothing_through_a_wrapper() -> None:
    # The shape of generated API clients (kubernetes): `body_params = None` passed on.
    source = """
        import requests

        class ApiClient:
            def call_api(self, path, method, body=None):
                return requests.request(method, "https://api.test" + path, json=body)

        class CoreApi:
            def __init__(self, api_client=None):
                if api_client is None:
                    api_client = ApiClient()
                self.api_client = api_client

            def read(self, name):
                body_params = None
                return self.api_client.call_api("/v1/" + name, "GET", body=body_params)

            def search(self, name, query):
                body_params = None
                if query:
                    body_params = {"q": query}
                return self.api_client.call_api("/v1/" + name, "GET", body=body_params)
    """
    assert [(d.line, d.code) for d in lint(source)] == [(22, "ML101")]
