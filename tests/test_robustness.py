"""Any input: never a traceback, and every file that may hold HTTP calls is checked."""

from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from methodlint import lint_source

BODY_CALL = b'requests.get("https://x.test/", json={"q": 1})\n'


def codes(data: bytes) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in lint_source(data, "input.py")]


def test_bom_before_the_import() -> None:
    # A BOM before the first import used to hide the file from the pre-filter.
    assert codes(b"\xef\xbb\xbfimport requests\r\n" + BODY_CALL) == [(2, "ML101")]


def test_line_endings_and_form_feeds() -> None:
    assert codes(b"import requests\r\n" + BODY_CALL.replace(b"\n", b"\r\n")) == [(2, "ML101")]
    assert codes(b"import requests\r" + BODY_CALL.replace(b"\n", b"\r")) == [(2, "ML101")]
    assert codes(b"import requests\n\x0c\n" + BODY_CALL) == [(3, "ML101")]


def test_columns_count_code_points() -> None:
    source = 'import requests\nx = "\u00e9\u00e9"; requests.get("u", json=1)\n'
    [diagnostic] = lint_source(source, "input.py")
    assert (diagnostic.line, diagnostic.column) == (2, 29)


def test_declared_encoding() -> None:
    data = b"# -*- coding: latin-1 -*-\nimport requests\nx = '\xe9'\n" + BODY_CALL
    assert codes(data) == [(4, "ML101")]


def test_python2_code_is_a_syntax_error() -> None:
    assert codes(b'import requests\nprint "hello"\n') == [(2, "ML001")]


def test_empty_and_import_only_files() -> None:
    assert codes(b"") == []
    assert codes(b"import requests\n") == []


def test_long_operator_chain_is_analysed() -> None:
    chain = " + ".join(["a"] * 1500)
    assert codes(f"import requests\nx = {chain}\n".encode() + BODY_CALL) == [(3, "ML101")]


def test_deep_nesting_is_ml003_without_parsing() -> None:
    data = b"import requests\nx = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n"
    assert codes(data) == [(1, "ML003")]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = b"import requests\nx = '" + b"(" * 500 + b"'\n" + BODY_CALL
    assert codes(data) == [(3, "ML101")]


TEMPLATE = """\
import requests
import httpx
from urllib.request import Request, urlopen

{generated}

def _methodlint_probe(url, payload):
    session = requests.Session()
    for attempt in range(3):
        session.request({method!r}, url, json=payload)
    httpx.get(url, json=payload)
    urlopen(Request(url, data=payload, method={method!r}))
"""


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    generated=hypothesmith.from_grammar(),
    method=st.sampled_from(["GET", "get", "GTE", "POST", "patch", ""]),
)
def test_generated_programs_never_raise(generated: str, method: str) -> None:
    source = TEMPLATE.format(generated=generated, method=method)
    diagnostics = lint_source(source, "generated.py")
    # The template's own calls are always seen, whatever the generated code around them.
    assert not [d for d in diagnostics if d.code == "ML003"], diagnostics
    if not [d for d in diagnostics if d.code == "ML001"]:
        assert "ML105" in {d.code for d in diagnostics}
