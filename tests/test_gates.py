"""Gates that must not pass silently, files that must not hang a run or be overwritten, and
configuration and parsing cases that must end in a clear message, never a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import cli, write
from helpers import run_module as module

from methodlint import fix, lint_source

BODY_CALL = 'import requests\n\nrequests.get("https://x.test/", json={"q": 1})\n'
LOWER_POST = 'import http.client\n\nhttp.client.HTTPSConnection("h").request("post", "/x")\n'
REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


# --- silent passes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option", ["--select", "--config", "--output-file", "--explain", "--cache-dir"]
)
def test_an_option_given_an_empty_value_is_a_usage_error(project: Path, option: str) -> None:
    write(project, "a.py", BODY_CALL)
    run = cli(option, "", ".")
    assert run.exit_code == 2
    assert f"{option} was given an empty value" in run.stderr
    assert run.stdout == ""


def test_an_output_file_that_cannot_be_placed_is_a_usage_error_before_the_run(
    project: Path,
) -> None:
    # A missing folder is created (issue 15); a file where the folder should be is an error.
    write(project, "a.py", BODY_CALL)
    run = cli("--output-file", "a.py/reports/report.txt", ".")
    assert run.exit_code == 2
    assert "is not a folder" in run.stderr
    assert "internal error" not in run.stderr


def test_reading_a_closed_standard_input_is_a_usage_error(project: Path) -> None:
    done = module(project, "-", stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2
    assert "standard input, which is closed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_utf16_file_that_imports_requests_is_reported(project: Path) -> None:
    write(project, "utf16.py", BODY_CALL.encode("utf-16"))
    write(project, "utf32.py", BODY_CALL.encode("utf-32"))
    run = cli(".")
    assert run.exit_code == 1
    assert [(path, code) for path, _, _, code in run.findings] == [
        ("utf16.py", "ML002"),
        ("utf32.py", "ML002"),
    ]
    assert "UTF-16" in run.stdout and "UTF-32" in run.stdout


# --- files it must not hang on, lose or overwrite ----------------------------------------------


def test_a_fifo_or_a_device_given_explicitly_is_skipped(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    os.mkfifo(project / "pipe.py")
    done = module(project, "--no-cache", "a.py", "pipe.py", "/dev/null", timeout=30)
    assert done.returncode == 1
    assert done.stdout.startswith("a.py:3:")
    assert "skipped pipe.py: a FIFO, not a regular file" in done.stderr
    assert "skipped /dev/null: a character device, not a regular file" in done.stderr


def test_a_file_replaced_by_a_fifo_after_discovery_is_skipped(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    write(project, "b.py", BODY_CALL)
    # Between discovery and reading, b.py becomes a FIFO nobody writes to.
    launcher = textwrap.dedent(
        """
        import os, sys
        from methodlint import runner
        real = runner.collect_files

        def collect(*args, **kwargs):
            found = real(*args, **kwargs)
            os.unlink("b.py")
            os.mkfifo("b.py")
            return found

        runner.collect_files = collect
        sys.argv = ["methodlint", "--no-cache", "."]
        from methodlint.__main__ import run
        run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher], cwd=project, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert done.stdout.startswith("a.py:3:")
    assert "skipped b.py: a FIFO, not a regular file" in done.stderr


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse such names")
@pytest.mark.parametrize("output_format", ["concise", "full", "json", "sarif", "github", "gitlab"])
def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(
    project: Path, output_format: str
) -> None:
    name = b"caf\xe9.py"
    with open(os.path.join(os.fsencode(project), name), "wb") as handle:
        handle.write(BODY_CALL.encode())
    done = subprocess.run(
        [sys.executable, "-m", "methodlint", "--no-cache", "--output-format", output_format],
        cwd=project,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    text = done.stdout.decode("utf-8")  # valid UTF-8, whatever the name
    assert "caf\\udce9.py" in text or "caf%E9.py" in text
    if output_format in ("json", "sarif", "gitlab"):
        json.loads(text)


def test_a_newline_in_a_file_name_is_escaped_in_the_concise_output(project: Path) -> None:
    write(project, "two\nlines.py", BODY_CALL)
    run = cli(".")
    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        "two\\nlines.py:3:33: ML101 GET via requests.get sends content (json=)"
    ]


def test_fix_leaves_a_read_only_file_alone(project: Path) -> None:
    path = write(project, "ro.py", LOWER_POST)
    path.chmod(0o444)
    run = cli("--fix", "ro.py")
    assert run.exit_code == 2
    assert "read-only" in run.stderr
    assert path.read_text() == LOWER_POST
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_fix_refuses_a_change_made_while_the_fixed_file_was_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(project, "racy.py", LOWER_POST)
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        # Another program appends a line after the temporary file is written.
        real_fsync(descriptor)
        with open(path, "a") as handle:
            handle.write("# appended meanwhile\n")

    monkeypatch.setattr(fix.os, "fsync", fsync)
    run = cli("--fix", "racy.py")
    assert run.exit_code == 2
    assert "changed while methodlint was fixing it" in run.stderr
    assert path.read_text() == LOWER_POST + "# appended meanwhile\n"
    assert [p.name for p in project.iterdir() if ".tmp" in p.name] == []


@pytest.mark.parametrize("kind", ["fifo", "symlink-to-fifo", "folder"])
def test_write_baseline_only_writes_a_regular_file_or_a_new_path(project: Path, kind: str) -> None:
    write(project, "a.py", BODY_CALL)
    target = project / "baseline.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink-to-fifo":
        os.mkfifo(project / "pipe")
        target.symlink_to("pipe")
    else:
        target.mkdir()
    run = cli("--write-baseline", "baseline.json", ".")
    assert run.exit_code == 2
    assert "regular file or a new path" in run.stderr or "is a folder" in run.stderr
    assert not target.is_file()
    if kind != "folder":
        assert stat.S_ISFIFO(os.stat(target).st_mode)


def test_a_baseline_that_is_a_fifo_or_deeply_nested_is_an_error(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    os.mkfifo(project / "fifo.json")
    write(project, "deep.json", "[" * 100_000 + "]" * 100_000)
    done = module(project, "--baseline", "fifo.json", ".", timeout=30)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr
    run = cli("--baseline", "deep.json", ".")
    assert run.exit_code == 2
    assert "nests its JSON too deeply" in run.stderr


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"[tool.methodlint]\n# \xff\xfe\n", "is not UTF-8 text", id="not-utf8"),
        pytest.param(b"tool = 1\n", "'tool' in", id="tool-an-int"),
        pytest.param(b'tool = "methodlint"\n', "'tool' in", id="tool-a-string"),
        pytest.param(
            b'[tool.methodlint]\nextend-exclude = ["[z-a]"]\n',
            "extend-exclude in",
            id="bad-range-in-extend-exclude",
        ),
        pytest.param(
            b'[tool.methodlint]\nper-file-ignores = { "[z-a].py" = ["ML101"] }\n',
            "per-file-ignores in",
            id="bad-range-in-per-file-ignores",
        ),
        pytest.param(
            b"[tool.methodlint]\nselect = " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
            "nests arrays or tables too deeply",
            id="deeply-nested-array",
        ),
    ],
)
def test_configuration_problems_name_the_file_and_key(
    project: Path, content: bytes, message: str
) -> None:
    write(project, "pyproject.toml", content)
    write(project, "a.py", BODY_CALL)
    run = cli(".")
    assert run.exit_code == 2
    assert run.stderr.startswith("methodlint: configuration error:")
    assert message in run.stderr
    assert "pyproject.toml" in run.stderr
    assert "internal error" not in run.stderr


# --- parsing -----------------------------------------------------------------------------------


def found(source: str) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in lint_source(source, "input.py")]


def test_a_string_annotation_naming_its_own_parameter_resolves_in_the_enclosing_scope() -> None:
    source = textwrap.dedent(
        """\
        import queue
        import requests

        def get_one(queue: "queue.Queue[int]", session: "requests.Session"):
            session.get("https://x.test/", json={"q": 1})
        """
    )
    assert found(source) == [(5, "ML101")]
    # Resolved once, not re-parsed level after level: a small stack is enough.
    import libcst as cst

    from methodlint.analysis.pipeline import analyse

    parsed = cst.parse_module(source)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(small_recursion_limit())
    try:
        facts, _ = analyse(parsed, "input.py")
    finally:
        sys.setrecursionlimit(old)
    assert len(facts.calls) == 1


def test_the_fact_builder_needs_no_deep_stack_on_any_fixture() -> None:
    # Every fixture's facts under a small recursion limit, in this thread (not the analysis
    # thread's large stack): no analysis relies on catching RecursionError.
    import libcst as cst

    from methodlint.analysis.pipeline import analyse
    from methodlint.engine import _too_deep, _too_long_chain, decode

    modules = []
    for path in sorted(FIXTURES.rglob("*.py")):
        data = path.read_bytes()
        try:
            source = decode(data)
            if _too_deep(data, source) or _too_long_chain(data, source):
                continue  # the fixtures of ML003: screened, never analysed
            modules.append((path, cst.parse_module(source)))
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            continue  # the fixtures of ML001 and ML002
    assert len(modules) > 50
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(small_recursion_limit())
    try:
        for path, parsed in modules:
            analyse(parsed, str(path))
    finally:
        sys.setrecursionlimit(old)


def small_recursion_limit() -> int:
    """The frames in use plus 150: enough for LibCST's visitors on ordinary code, far below
    the 30,000 that the analysis thread allows."""
    import traceback

    return len(traceback.extract_stack()) + 150


def test_valid_python_that_libcst_cannot_parse_is_ml003_not_ml001() -> None:
    source = "import requests\n(x): int = 1\nrequests.get('u', json=1)\n"
    [(line, code)] = found(source)
    assert (line, code) == (1, "ML003")
    [diagnostic] = lint_source(source, "input.py")
    assert "Python accepts this file but LibCST" in diagnostic.message
    # Not Python at all: still ML001, where CPython says.
    assert found("import requests\ndef f(:\n") == [(2, "ML001")]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "import requests\n\\\nrequests.get('u', json=1)\n",
            [(3, "ML101")],
            id="before-a-statement",
        ),
        pytest.param(
            "import requests\nx = 1\n\\\n\\\nrequests.get('u', json=1)\n"
            "requests.get('u', json=1)\n",
            [(5, "ML101"), (6, "ML101")],
            id="two-in-a-row",
        ),
        pytest.param(
            "import requests\ntry:\n    pass\n\\\nexcept E:\n    pass\nrequests.get('u', json=1)\n",
            [(7, "ML101")],
            id="before-except",
        ),
        pytest.param(
            "import requests\nif x:\n    pass\n\\\nelse:\n    pass\nrequests.get('u', json=1)\n",
            [(7, "ML101")],
            id="before-else",
        ),
        pytest.param(
            'import requests\nx = """\n\\\n"""\nrequests.get(\'u\', json=1)\n',
            [(5, "ML101")],
            id="inside-a-string",
        ),
    ],
)
def test_a_line_holding_only_a_backslash_keeps_positions_exact(
    source: str, expected: list[tuple[int, str]]
) -> None:
    compile(source, "input.py", "exec")  # valid Python
    assert found(source) == expected


def test_fixing_after_a_backslash_line_edits_the_right_token(project: Path) -> None:
    source = LOWER_POST.replace("\n\n", "\n\\\n", 1)
    path = write(project, "a.py", source)
    run = cli("--fix", "a.py")
    assert run.exit_code == 0, run.stderr
    assert path.read_text() == source.replace('"post"', '"POST"')
