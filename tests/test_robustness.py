"""Any input: never a traceback, and every file that may hold HTTP calls is checked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import hypothesmith
import pytest
from helpers import nobody_or_skip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from methodlint import lint_paths, lint_source, worker
from methodlint.config import Config

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


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param("(\n" + " +\n".join(["a"] * 3000) + ")", id="over-lines-in-brackets"),
        pytest.param(" \\\n+ ".join(["a"] * 3000), id="over-backslash-continuations"),
        pytest.param(" and ".join(["a"] * 3000), id="boolean-operators"),
        pytest.param("a" + "()" * 2500, id="calls"),
        pytest.param("f(" + " * ".join(["a"] * 3000) + ")", id="inside-a-call"),
    ],
)
def test_long_chains_are_ml003_without_parsing(chain: str) -> None:
    data = f"import requests\nx = {chain}\n".encode() + BODY_CALL
    assert codes(data) == [(1, "ML003")]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("'" + "+ " * 5000 + "'", id="operators-in-a-string"),
        pytest.param("[" + ", ".join(["a.b + 1"] * 5000) + "]", id="a-long-list"),
        pytest.param("{" + ", ".join(f"'k{n}': a.b" for n in range(5000)) + "}", id="a-dict"),
    ],
)
def test_long_statements_that_are_no_chain_are_analysed(text: str) -> None:
    data = f"import requests\nx = {text}\n".encode() + BODY_CALL
    assert codes(data) == [(3, "ML101")]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = b"import requests\nx = '" + b"(" * 500 + b"'\n" + BODY_CALL
    assert codes(data) == [(3, "ML101")]


# --- generated programs ------------------------------------------------------------------------

# Each template imports an HTTP library and embeds calls with bodies, method literals (lower
# case too) and retry loops among the generated statements; the code it must always report.
TEMPLATES = [
    (
        """\
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
""",
        "ML105",
    ),
    (
        """\
import http.client

{generated}

conn = http.client.HTTPSConnection("api.example.test")
for attempt in range(5):
    try:
        conn.request("post", "/x", body=b"{{}}")
        break
    except OSError:
        continue
conn.request({method!r}, "/y")
""",
        "ML402",
    ),
    (
        """\
import urllib3
from urllib3.util import Retry

http = urllib3.PoolManager(retries=Retry(total=3, allowed_methods=None))

def fetch(url, payload):
    return http.request("GET", url, body=payload)

{generated}

http.request({method!r}, "https://api.example.test/")
""",
        "ML101",
    ),
    (
        """\
{generated}

async def _methodlint_probe(url, payload):
    import httpx
    async with httpx.AsyncClient() as client:
        while True:
            response = await client.request({method!r}, url, content=payload)
            if response.status_code < 500:
                break
        await client.delete(url, json=payload)
""",
        "ML105",
    ),
]
LIBRARY_NAMES = ("requests", "httpx", "urllib", "http", "conn", "client", "Request", "Retry")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    generated=hypothesmith.from_grammar(),
    template=st.sampled_from(TEMPLATES),
    method=st.sampled_from(["GET", "get", "GTE", "POST", "post", "patch", "PURGE", ""]),
)
def test_generated_programs_never_raise(
    generated: str, template: tuple[str, str], method: str
) -> None:
    text, always = template
    source = text.format(generated=generated, method=method)
    diagnostics = lint_source(source, "generated.py")
    assert not [d for d in diagnostics if d.code == "ML003"], diagnostics
    # The template's own calls are seen whatever the generated code around them, unless that
    # code rebinds a name they use.
    if "ML001" not in {d.code for d in diagnostics} and not any(
        name in generated for name in LIBRARY_NAMES
    ):
        assert always in {d.code for d in diagnostics}, (source, diagnostics)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    generated=hypothesmith.from_grammar(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_generated_programs_in_any_encoding_and_line_ending(
    generated: str, encoding: str, newline: str
) -> None:
    source = TEMPLATES[0][0].format(generated=generated, method="get")
    declared = "" if encoding in ("utf-8", "utf-8-sig") else f"# -*- coding: {encoding} -*-\n"
    try:
        data = (declared + source).replace("\n", newline).encode(encoding)
    except UnicodeEncodeError:
        data = (declared + source).replace("\n", newline).encode(encoding, "replace")
    diagnostics = lint_source(data, "generated.py")
    assert all(d.code.startswith("ML") for d in diagnostics)


# --- a tree of bad input -----------------------------------------------------------------------

IMPORT = b"import requests\n"
CALL = BODY_CALL
HTTP_FILE = IMPORT + CALL  # ML101 on line 2
# name: (content, the findings as (line, code), or a message part for ML001-ML003)
BAD_INPUT: dict[str, tuple[bytes, list[tuple[int, str]], str]] = {
    "py2.py": (IMPORT + b'print "hello"\n', [(2, "ML001")], "print"),
    "half_written.py": (
        IMPORT + b"def fetch(url):\n    return requests.get(url,\n",
        [(3, "ML001")],
        "never closed",
    ),
    "half_written_block.py": (IMPORT + b"def fetch(url):\n", [(2, "ML001")], "syntax error"),
    "undeclared_latin1.py": (IMPORT + b"x = '\xe9'\n" + CALL, [(1, "ML002")], "cannot decode"),
    "declared_latin1.py": (
        b"# -*- coding: latin-1 -*-\n" + IMPORT + b"x = '\xe9'\n" + CALL,
        [(4, "ML101")],
        "",
    ),
    "mixed_encodings.py": (
        b"# -*- coding: utf-8 -*-\n" + IMPORT + "x = '\u00e9'\n".encode() + b"y = '\xe9'\n",
        [(1, "ML002")],
        "cannot decode",
    ),
    "unknown_codec.py": (b"# -*- coding: klingon -*-\n" + IMPORT + CALL, [(1, "ML002")], "klingon"),
    "bom.py": (b"\xef\xbb\xbf" + IMPORT + CALL, [(2, "ML101")], ""),
    "bom_and_latin1_cookie.py": (
        b"\xef\xbb\xbf# coding: latin-1\n" + IMPORT + CALL,
        [(1, "ML002")],
        "encoding problem",
    ),
    # Not a source encoding Python reads: decoded for the pre-filter, then reported.
    "utf16.py": ((IMPORT + CALL).decode().encode("utf-16"), [(1, "ML002")], "UTF-16"),
    "utf16_without_http.py": (b"x = 1\n".decode().encode("utf-16"), [], ""),
    "nul.py": (IMPORT + b"x = 1\0\n" + CALL, [(1, "ML002")], "NUL"),
    "crlf.py": ((IMPORT + CALL).replace(b"\n", b"\r\n"), [(2, "ML101")], ""),
    "cr.py": ((IMPORT + CALL).replace(b"\n", b"\r"), [(2, "ML101")], ""),
    "mixed_line_endings.py": (b"import requests\r\nx = 1\r" + CALL, [(3, "ML101")], ""),
    "form_feed.py": (IMPORT + b"\x0c\n\x0cx = 1\n" + CALL, [(4, "ML101")], ""),
    "tabs.py": (IMPORT + b"if True:\n\t" + CALL, [(3, "ML101")], ""),
    "long_line.py": (IMPORT + b"x = '" + b"a" * 300_000 + b"'\n" + CALL, [(3, "ML101")], ""),
    "deep_nesting.py": (
        IMPORT + b"x = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n" + CALL,
        [(1, "ML003")],
        "nested more than 200",
    ),
    "long_chain.py": (
        IMPORT + b"x = " + b" + ".join([b"1"] * 10_000) + b"\n" + CALL,
        [(1, "ML003")],
        "more than 2,000 operators",
    ),
    "long_attribute_chain.py": (
        IMPORT + b"x = a" + b".b" * 5000 + b"\n" + CALL,
        [(1, "ML003")],
        "more than 2,000 operators",
    ),
    "huge.py": (IMPORT + b"x = 1\n" * 200_000, [(1, "ML003")], "larger than max-file-size"),
    "huge_without_http.py": (b"x = 1\n" * 200_000, [], ""),
    "empty.py": (b"", [], ""),
    "only_a_comment.py": (b"# nothing here\n", [], ""),
    "stub.pyi": (IMPORT + b"def f() -> None: ...\n" + CALL, [(3, "ML101")], ""),
    "plain_python2.py": (b'print "not an http file"\n', [], ""),
    "ordinary.py": (HTTP_FILE, [(2, "ML101")], ""),
    "pkg/ordinary.py": (b"\n" + HTTP_FILE, [(3, "ML101")], ""),
}


def bad_tree(base: Path) -> None:
    for name, (data, _, _) in BAD_INPUT.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def expected_findings() -> list[tuple[str, int, str]]:
    return sorted(
        (name, line, code) for name, (_, found, _) in BAD_INPUT.items() for line, code in found
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_kind_of_bad_input_in_one_tree(project: Path, jobs: int) -> None:
    bad_tree(project)

    report = lint_paths(["."], jobs=jobs)

    assert [(d.path, d.line, d.code) for d in report.diagnostics] == expected_findings()
    assert report.files_checked == len(BAD_INPUT)
    for diagnostic in report.diagnostics:
        assert BAD_INPUT[diagnostic.path][2] in diagnostic.message


def test_bad_input_on_the_command_line(project: Path) -> None:
    bad_tree(project)
    (project / "script").write_bytes(b"#!/usr/bin/env python\n" + HTTP_FILE)
    os.symlink(".", project / "pkg" / "loop")

    done = subprocess.run(
        [sys.executable, "-m", "methodlint", "--no-cache", ".", "script"],
        cwd=project,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 1
    found = sorted(
        (path, int(line), code)
        for path, line, _, code in re.findall(r"^(.+?):(\d+):(\d+): (ML\d+) ", done.stdout, re.M)
    )
    assert found == sorted([*expected_findings(), ("script", 3, "ML101")])
    assert "Traceback" not in done.stderr
    assert "methodlint: skipped pkg/loop: symlink loop" in done.stderr


def test_huge_files_are_screened_piece_by_piece(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over max-file-size a file is read in pieces: an import that straddles two pieces, or
    # that comes after a line longer than a piece, is still seen.
    monkeypatch.setattr(worker, "CHUNK", 64)
    filler = b"x = 1\n" * 40
    straddles = b"x = 1\n" * 41 + b"y=2\n" + b"import requests\n" + filler
    assert straddles.index(b"import") == 250  # the pieces end at 192, 256, ...
    (project / "straddles.py").write_bytes(straddles)
    (project / "after_long_line.py").write_bytes(b"y = '" + b"a" * 300 + b"'\nimport httpx\n")
    (project / "clean.py").write_bytes(filler * 3 + b"# import requests\n")
    (project / "small.py").write_bytes(b"x = 1\n")
    config = Config(max_file_size=100)

    report = lint_paths(["."], config, jobs=1)

    assert [(d.path, d.code) for d in report.diagnostics] == [
        ("after_long_line.py", "ML003"),
        ("straddles.py", "ML003"),
    ]
    assert report.diagnostics[1].line_text == "x = 1"
    assert f"file is {len(straddles)} bytes" in report.diagnostics[1].message


# --- files and folders that cannot be read -----------------------------------------------------


def test_unreadable_files_and_folders_as_another_user(tmp_path: Path) -> None:
    # Tests run as root here, where permissions do not stop reading: drop privileges.
    base = Path(tempfile.mkdtemp(prefix="methodlint-unreadable-"))
    try:
        base.chmod(0o755)
        nobody = nobody_or_skip(base)
        for name, data in {
            "locked.py": HTTP_FILE,
            "readable.py": HTTP_FILE,
            "plain.py": b"x = 1\n",
            "closed/inside.py": HTTP_FILE,
        }.items():
            path = base / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o644)
        (base / "locked.py").chmod(0o000)
        (base / "closed").chmod(0o000)

        done = subprocess.run(
            [*nobody, sys.executable, "-m", "methodlint", "--no-cache", ".", "--jobs", "2"],
            cwd=base,
            capture_output=True,
            text=True,
        )
    finally:
        if (base / "closed").exists():
            (base / "closed").chmod(0o755)
        shutil.rmtree(base)

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "closed:1:1: ML002 cannot list folder: permission denied",
        "locked.py:1:1: ML002 cannot read file: Permission denied",
        "readable.py:2:33: ML101 GET via requests.get sends content (json=)",
    ]
    assert "skipped" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform == "darwin", reason="workers must be forked to see the patch")
def test_unreadable_files_and_folders_by_injected_errors(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from methodlint import files

    for name in ("locked.py", "readable.py", "closed/inside.py"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_bytes(HTTP_FILE)
    real_open, real_scandir = worker.open_regular, os.scandir

    def fake_open(path: str, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    def fake_scandir(path: str) -> Any:
        if str(path).endswith("closed"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(worker, "open_regular", fake_open)
    monkeypatch.setattr(files.os, "scandir", fake_scandir)

    report = lint_paths(["."], jobs=2)

    # A folder that cannot be listed is a finding, never a silent pass.
    assert [(d.path, d.code, d.message) for d in report.diagnostics] == [
        ("closed", "ML002", "cannot list folder: permission denied"),
        ("locked.py", "ML002", "cannot read file: Permission denied"),
        ("readable.py", "ML101", "GET via requests.get sends content (json=)"),
    ]
    assert report.files_skipped == []


# --- the pre-filter ----------------------------------------------------------------------------

FRAGMENTS = [
    b"import requests",
    b"import os, httpx",
    b"from urllib3 import PoolManager",
    b"from requests \\\n    import get",
    b"from . import requests",
    b"x = 'import requests'",
    b"# import requests",
    b"import requestsx",
    b"\xef\xbb\xbf",
    b"    ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b";",
    b"http://example.test/",
    b"from",
    b"import",
    b"def f():\n    import tenacity as t",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_the_prefilter_agrees_with_a_search_of_the_whole_file(parts: list[bytes]) -> None:
    from methodlint.engine import PreFilter

    prefilter = PreFilter.for_modules()
    data = b"".join(parts)
    alternatives = b"|".join(re.escape(n) for n in prefilter.names)
    statement = re.compile(
        rb"^(?:\xef\xbb\xbf)?[ \t\f]*(?:from[ \t]+(?:" + alternatives + rb")\b"
        rb"|import[ \t]+(?:[^\n#;]*[ \t,])?(?:" + alternatives + rb")\b)",
        re.MULTILINE,
    )
    expected = bool(statement.search(data))
    assert prefilter(data) == expected
    # With more names than the substring search takes, the same answer from one pass.
    many = PreFilter.for_modules([f"unrelated_{n}" for n in range(3000)])
    assert many(data) == expected
