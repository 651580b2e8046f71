"""The `methodlint` command as a user runs it: options, exit status, configuration, output,
files it cannot check, and suppression comments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

import pytest
from helpers import Run, cli, nobody_or_skip, write

import methodlint

GET_WITH_BODY = "import requests\n\nrequests.get(url, json=q)\n"
# `json` starts at column 19 of line 3; `json=q` ends before column 25 (end exclusive).
GET_WITH_BODY_AT = (3, 19, 3, 25)
CLEAN_HTTP = "import requests\n\nrequests.get(url, params=q)\n"
# ML101 on line 3, ML102 on line 4, ML401 on line 5.
THREE_RULES = (
    "import requests\n"
    "\n"
    "requests.get(u, json=q)\n"
    "requests.head(u, data=q)\n"
    'requests.request("gte", u)\n'
)

# --- helpers -----------------------------------------------------------------------------------


def module(cwd: Path, *args: str, input: str | None = None, prefix: Sequence[str] = ()) -> Run:
    """Run `python -m methodlint` in a separate process, as a user or CI does."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "methodlint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def configure(folder: Path, body: str) -> Path:
    return write(folder, "pyproject.toml", f"[tool.methodlint]\n{body}\n")


# --- the basics, in a real process -------------------------------------------------------------


def test_python_m_methodlint_reports_a_get_with_a_body_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "pkg/client.py", GET_WITH_BODY)
    write(tmp_path, "pkg/other.py", "import os\n")

    run = module(tmp_path)

    assert run.exit_code == 1, run.stderr
    line, column, _, _ = GET_WITH_BODY_AT
    assert run.findings == [("pkg/client.py", line, column, "ML101")]
    assert run.stdout.startswith(f"pkg/client.py:{line}:{column}: ML101 ")
    assert "GET" in run.stdout and "requests.get" in run.stdout


def test_python_m_methodlint_on_a_clean_folder_exits_0(tmp_path: Path) -> None:
    write(tmp_path, "app.py", CLEAN_HTTP)
    write(tmp_path, "util.py", "def f():\n    return 1\n")

    run = module(tmp_path, ".")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout == ""


def test_a_run_ends_with_its_whole_output_its_status_and_its_exit_handlers(
    tmp_path: Path,
) -> None:
    # The command ends without the interpreter's teardown (`__main__._exit_now`): what it
    # printed is flushed first and the exit handlers run (the profile is printed by one).
    for number in range(60):
        write(tmp_path, f"m{number:02}.py", "import requests\n" + "requests.get(url, json=q)\n" * 3)

    run = module(tmp_path, "--no-cache", ".", prefix=("env", "METHODLINT_PROFILE=1"))

    assert run.exit_code == 1, run.stderr
    assert len(run.findings) == 180
    assert run.stdout.endswith("\n")
    assert "Found 180 problems" in run.stderr
    assert "methodlint profile:" in run.stderr
    assert module(tmp_path, "--select", "BOGUS", ".").exit_code == 2


def test_installed_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "methodlint"
    if not script.exists():
        pytest.skip("no methodlint console script next to the interpreter")
    write(tmp_path, "a.py", GET_WITH_BODY)

    done = subprocess.run(
        [str(script), "a.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("a.py:3:19: ML101 ")


def test_version(project: Path) -> None:
    run = cli("--version")

    assert run.exit_code == 0
    assert methodlint.__version__ in run.stdout
    assert version("methodlint") in run.stdout


# --- usage errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["--jobs", "-1"],
        ["--jobs", "many"],
        ["--output-format", "xml"],
        ["--color", "sometimes"],
    ],
    ids=["unknown-option", "jobs-negative", "jobs-not-a-number", "unknown-format", "color"],
)
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli(*args, "a.py")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert args[0] in run.stderr


def test_a_missing_path_exits_2_and_says_which(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py", "missing/nothing.py")

    assert run.exit_code == 2
    assert "missing/nothing.py" in run.stderr
    assert "does not exist" in run.stderr


def test_explain_of_an_unknown_code_exits_2(project: Path) -> None:
    run = cli("--explain", "ML999")

    assert run.exit_code == 2
    assert "ML999" in run.stderr


# --- configuration errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("extend-selct", "extend-select"),
        ("per-file-ignore", "per-file-ignores"),
        ("max-filesize", "max-file-size"),
        ("exlude", "exclude"),
    ],
)
def test_an_unknown_config_key_exits_2_naming_it_and_the_nearest_key(
    project: Path, key: str, suggestion: str
) -> None:
    configure(project, f'{key} = ["x"]')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert key in run.stderr
    assert suggestion in run.stderr


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('select = "ML101"', "select"),
        ('max-file-size = "1MB"', "max-file-size"),
        ('preview = "yes"', "preview"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores"),
        ("exclude = 3", "exclude"),
    ],
)
def test_a_config_value_of_the_wrong_type_exits_2_naming_the_key(
    project: Path, line: str, key: str
) -> None:
    configure(project, line)
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert key in run.stderr


@pytest.mark.parametrize("key", ["select", "extend-select", "ignore"])
def test_an_unknown_code_in_the_config_exits_2(project: Path, key: str) -> None:
    configure(project, f'{key} = ["ML999"]')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "ML999" in run.stderr
    assert key in run.stderr


def test_an_unknown_code_in_per_file_ignores_exits_2(project: Path) -> None:
    configure(project, 'per-file-ignores = { "tests/*" = ["ML1O1"] }')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "ML1O1" in run.stderr
    assert "ML101" in run.stderr  # the nearest valid code


def test_a_code_of_a_plugin_that_is_not_installed_says_so(project: Path) -> None:
    configure(project, 'extend-select = ["XYZ123"]')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "XYZ123" in run.stderr
    assert "plugin" in run.stderr


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_an_unknown_code_on_the_command_line_exits_2(project: Path, option: str) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli(option, "ML101,ML999", "a.py")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert "ML999" in run.stderr


def test_invalid_toml_exits_2_naming_the_file(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.methodlint\nselect = [\n")
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "pyproject.toml" in run.stderr


# --- files methodlint could not check (ML0xx) ----------------------------------------------------


def test_a_syntax_error_in_an_http_file_is_ml001_and_other_files_are_checked(
    project: Path,
) -> None:
    write(project, "broken.py", "import requests\n\ndef fetch(url)\n    return requests.get(url)\n")
    write(project, "good.py", GET_WITH_BODY)

    run = cli(".")

    assert run.exit_code == 1
    assert run.findings == [("broken.py", 3, 15, "ML001"), ("good.py", 3, 19, "ML101")]


@pytest.mark.parametrize(
    "broken",
    [
        "def fetch(url)\n    return 1\n",
        'print "hello"\n',
        "x = (1,\n",
        "  x = 1\n",
        "f(a b)\n",
        'x = "abc\n',
        "x = )\n",
    ],
    ids=["missing-colon", "python2-print", "unclosed", "indent", "comma", "string", "unmatched"],
)
def test_ml001_is_reported_where_python_reports_the_syntax_error(
    project: Path, broken: str
) -> None:
    source = "import requests\n\n" + broken
    with pytest.raises(SyntaxError) as python:
        compile(source, "broken.py", "exec")
    write(project, "broken.py", source)

    run = cli("broken.py")

    assert run.exit_code == 1
    assert run.findings == [("broken.py", python.value.lineno, python.value.offset, "ML001")]


@pytest.mark.parametrize(
    "imports",
    [
        "import httpx",
        "from aiohttp import ClientSession",
        "import urllib.request",
        "import http.client",
        "import urllib3",
        "import tenacity",
        "import os, requests",
    ],
)
def test_any_http_or_retry_import_makes_a_syntax_error_count(project: Path, imports: str) -> None:
    write(project, "broken.py", f"{imports}\n\ndef f(:\n    pass\n")

    run = cli("broken.py")

    assert run.exit_code == 1
    assert run.codes == ["ML001"]


def test_a_syntax_error_in_a_file_without_http_imports_is_clean(project: Path) -> None:
    write(project, "py2.py", 'import os\nprint "hello"\ndef f(:\n')
    write(project, "notes.py", "this is not python at all\n")

    assert cli(".").exit_code == 0
    run = cli("py2.py", "notes.py")  # given explicitly too
    assert run.exit_code == 0
    assert run.stdout == ""


def test_invalid_utf8_after_import_requests_is_ml002(project: Path) -> None:
    write(project, "latin.py", b'import requests\n\nNAME = "caf\xe9"\n')
    write(project, "good.py", GET_WITH_BODY)

    run = cli(".")

    assert run.exit_code == 1
    assert run.findings == [("good.py", 3, 19, "ML101"), ("latin.py", 1, 1, "ML002")]


def test_nul_bytes_in_an_http_file_are_ml002(project: Path) -> None:
    write(project, "nul.py", b"import requests\n\nx = 1\x00\n")

    run = cli("nul.py")

    assert run.exit_code == 1
    assert run.findings == [("nul.py", 1, 1, "ML002")]


def test_bad_bytes_in_a_file_without_http_imports_are_clean(project: Path) -> None:
    write(project, "blob.py", b"import os\nx = '\xff\xfe'\x00\n")

    run = cli("blob.py")

    assert run.exit_code == 0
    assert run.stdout == ""


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A folder user nobody can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="methodlint-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_unreadable_file_is_ml002_and_other_files_are_checked(
    world_readable_dir: Path,
) -> None:
    drop = nobody_or_skip(world_readable_dir)
    good = write(world_readable_dir, "good.py", GET_WITH_BODY)
    locked = write(world_readable_dir, "locked.py", GET_WITH_BODY)
    good.chmod(0o644)
    locked.chmod(0)
    # The dropped user must really be unable to read the file, or the test proves nothing.
    probe = subprocess.run([*drop, "cat", str(locked)], capture_output=True, timeout=60)
    if probe.returncode == 0:
        pytest.skip("user nobody can read a chmod 000 file here")

    run = module(world_readable_dir, "--isolated", ".", prefix=drop)

    assert run.exit_code == 1, run.stderr
    assert run.findings == [("good.py", 3, 19, "ML101"), ("locked.py", 1, 1, "ML002")]
    assert "Traceback" not in run.stderr


def test_a_file_over_max_file_size_is_ml003_only_if_it_imports_http(project: Path) -> None:
    configure(project, "max-file-size = 200")
    write(project, "big_http.py", GET_WITH_BODY + "# padding\n" * 30)
    write(project, "big_plain.py", "import os\n" + "x = 1\n" * 60)
    write(project, "small.py", GET_WITH_BODY)

    run = cli(".")

    assert run.exit_code == 1
    assert run.findings == [("big_http.py", 1, 1, "ML003"), ("small.py", 3, 19, "ML101")]
    assert "max-file-size" in run.stdout


def test_a_file_over_max_file_size_without_http_is_clean(project: Path) -> None:
    configure(project, "max-file-size = 50")
    write(project, "big_plain.py", "import os\n" + "x = 1\n" * 60)

    run = cli("big_plain.py")

    assert run.exit_code == 0
    assert run.stdout == ""


def test_per_file_ignores_silence_ml001(project: Path) -> None:
    configure(project, 'per-file-ignores = { "legacy/**" = ["ML001"] }')
    write(project, "legacy/old.py", 'import requests\nprint "x"\n')
    write(project, "new.py", 'import requests\nprint "x"\n')

    run = cli(".")

    assert run.findings == [("new.py", 2, 1, "ML001")]


def test_a_file_with_a_utf8_bom_is_checked(project: Path) -> None:
    write(project, "bom.py", b"\xef\xbb\xbf" + GET_WITH_BODY.encode())
    write(project, "bom_broken.py", b"\xef\xbb\xbfimport requests\ndef f(:\n")

    run = cli(".")

    assert run.findings == [("bom.py", 3, 19, "ML101"), ("bom_broken.py", 2, 7, "ML001")]


# --- output --------------------------------------------------------------------------------------

JSON_FIELDS = {
    "code",
    "name",
    "message",
    "hint",
    "severity",
    "path",
    "cell",
    "line",
    "column",
    "end_line",
    "end_column",
    "fix",
}


def test_json_output_is_a_list_of_objects_with_the_documented_fields(project: Path) -> None:
    write(project, "pkg/a.py", GET_WITH_BODY)
    write(project, "pkg/b.py", 'import requests\n\nrequests.request("TRACE", u, data="x")\n')

    run = cli("--output-format", "json", "pkg")

    assert run.exit_code == 1
    report = json.loads(run.stdout)
    assert isinstance(report, list)
    assert len(report) == 2
    for entry in report:
        assert set(entry) == JSON_FIELDS
    first, second = report
    line, column, end_line, end_column = GET_WITH_BODY_AT
    assert first["code"] == "ML101"
    assert first["name"] == "get-with-body"
    assert first["severity"] == "warning"
    assert first["path"] == "pkg/a.py"
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == (
        line,
        column,
        end_line,
        end_column,
    )
    assert first["fix"] is None
    assert isinstance(first["message"], str) and first["message"]
    assert isinstance(first["hint"], str) and first["hint"]
    assert second["code"] == "ML104"
    assert second["severity"] == "error"
    assert second["path"] == "pkg/b.py"


def test_json_output_of_a_clean_run_is_an_empty_list(project: Path) -> None:
    write(project, "a.py", CLEAN_HTTP)

    run = cli("--output-format", "json")

    assert run.exit_code == 0
    assert json.loads(run.stdout) == []


def test_output_format_from_the_config(project: Path) -> None:
    configure(project, 'output-format = "json"')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert [entry["code"] for entry in json.loads(run.stdout)] == ["ML101"]


def test_exit_zero_prints_the_findings_and_exits_0(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--exit-zero", "a.py")

    assert run.exit_code == 0
    assert run.findings == [("a.py", 3, 19, "ML101")]


def test_exit_zero_does_not_hide_a_usage_error(project: Path) -> None:
    run = cli("--exit-zero", "missing.py")

    assert run.exit_code == 2


def test_paths_are_relative_to_the_current_folder_with_forward_slashes(project: Path) -> None:
    write(project, "src/pkg/sub/deep.py", GET_WITH_BODY)
    write(project, "src/top.py", GET_WITH_BODY)

    run = cli(str(project / "src"), "./src//top.py")

    assert [path for path, *_ in run.findings] == ["src/pkg/sub/deep.py", "src/top.py"]


def test_paths_outside_the_current_folder_are_shown_as_given(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "elsewhere/x.py", GET_WITH_BODY)
    (project / "work").mkdir()
    monkeypatch.chdir(project / "work")

    run = cli("../elsewhere/x.py")

    assert [path for path, *_ in run.findings] == ["../elsewhere/x.py"]


def test_findings_are_sorted_by_path_line_column_and_code(project: Path) -> None:
    many_lines = (
        "import requests\n"
        "\n"
        + "x = 1\n" * 7
        + "requests.get(u, json=q)\n"  # line 10
        + "requests.get(u, json=q); requests.head(u, data=q)\n"  # line 11
    )
    early = "import requests\nrequests.get(u, json=q)\n"  # line 2
    write(project, "b.py", many_lines + early)
    write(project, "a/z.py", early)
    write(project, "a.py", early + many_lines)

    run = cli("b.py", "a/z.py", "a.py")  # not in order on the command line

    assert run.findings == sorted(run.findings)
    assert [path for path, *_ in run.findings] == ["a.py"] * 4 + ["a/z.py"] + ["b.py"] * 4
    assert [(line, code) for path, line, _, code in run.findings if path == "a.py"] == [
        (2, "ML101"),
        (12, "ML101"),
        (13, "ML101"),
        (13, "ML102"),
    ]
    assert [line for path, line, _, _ in run.findings if path == "b.py"] == [10, 11, 11, 13]


def test_a_file_given_twice_is_reported_once(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py", "./a.py", str(project / "a.py"))

    assert run.findings == [("a.py", 3, 19, "ML101")]


def test_explicit_files_are_checked_whatever_their_extension(project: Path) -> None:
    write(project, "bin/fetch", GET_WITH_BODY)
    write(project, "stubs/client.pyi", GET_WITH_BODY)
    write(project, "notes.txt", GET_WITH_BODY)

    assert [path for path, *_ in cli(".").findings] == ["stubs/client.pyi"]
    assert [path for path, *_ in cli("bin/fetch", "notes.txt").findings] == [
        "bin/fetch",
        "notes.txt",
    ]


def test_list_rules_lists_every_rule_with_its_properties(project: Path) -> None:
    run = cli("--list-rules")

    assert run.exit_code == 0
    rows = {fields[0]: fields for line in run.stdout.splitlines() if (fields := line.split())}
    assert rows["ML001"][1:3] == ["syntax-error", "error"]
    assert rows["ML002"][1:3] == ["unreadable-file", "error"]
    assert rows["ML003"][1:3] == ["unanalyzable-file", "error"]
    assert rows["ML101"][1:3] == ["get-with-body", "warning"]
    assert rows["ML104"][1:3] == ["trace-with-body", "error"]
    assert rows["ML105"][1:3] == ["body-argument-rejected", "error"]
    assert rows["ML402"][1:3] == ["non-canonical-method-case", "error"]
    # ML402 is fixable, ML101 is not; both are on by default and stable.
    assert rows["ML402"][-1] in ("yes", "true", "fixable")
    assert rows["ML101"][-1] != rows["ML402"][-1]
    assert rows["ML101"][3:] == rows["ML001"][3:]


@pytest.mark.parametrize("what", ["ML101", "get-with-body", "ml101"])
def test_explain_prints_the_rule_documentation(project: Path, what: str) -> None:
    run = cli("--explain", what)

    assert run.exit_code == 0
    assert "ML101" in run.stdout
    assert "get-with-body" in run.stdout
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "References"):
        assert section in run.stdout
    assert "RFC 9110" in run.stdout


# --- rule selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ([], ["ML101", "ML102", "ML401"]),
        (["--select", "ML101"], ["ML101"]),
        (["--select", "ML101,ML401"], ["ML101", "ML401"]),
        (["--select", " ML101 , ML102 "], ["ML101", "ML102"]),
        (["--select", "ML1"], ["ML101", "ML102"]),
        (["--select", "get-with-body"], ["ML101"]),
        (["--select", "ALL"], ["ML101", "ML102", "ML401"]),
        (["--ignore", "ML1"], ["ML401"]),
        (["--ignore", "head-with-body"], ["ML101", "ML401"]),
        (["--select", "ALL", "--ignore", "ML101,unknown-method"], ["ML102"]),
        (["--select", "ML4", "--extend-select", "get-with-body"], ["ML101", "ML401"]),
        (["--select", "ML102", "--extend-select", "ML1"], ["ML101", "ML102"]),
        (["--ignore", "ALL"], []),
    ],
)
def test_select_ignore_and_extend_select(project: Path, args: list[str], codes: list[str]) -> None:
    write(project, "a.py", THREE_RULES)

    run = cli(*args, "a.py")

    assert run.codes == codes
    assert run.exit_code == (1 if codes else 0)


def test_options_override_the_config_selection(project: Path) -> None:
    configure(project, 'select = ["ML4"]\nignore = ["ML101"]')
    write(project, "a.py", THREE_RULES)

    assert cli("a.py").codes == ["ML401"]
    assert cli("--select", "ML1", "--ignore", "ML102", "a.py").codes == ["ML101"]
    assert cli("--ignore", "ML102", "a.py").codes == ["ML401"]
    assert cli("--extend-select", "ML102", "a.py").codes == ["ML102", "ML401"]


def test_the_config_selection_applies(project: Path) -> None:
    configure(project, 'ignore = ["get-with-body"]\nextend-select = ["ML1"]')
    write(project, "a.py", THREE_RULES)

    assert cli("a.py").codes == ["ML102", "ML401"]


# --- configuration files -------------------------------------------------------------------------


def test_isolated_ignores_the_configuration(project: Path) -> None:
    configure(project, 'ignore = ["ML101"]')
    write(project, "a.py", GET_WITH_BODY)
    assert cli("a.py").codes == []

    run = cli("--isolated", "a.py")

    assert run.codes == ["ML101"]


def test_isolated_ignores_a_broken_configuration(project: Path) -> None:
    configure(project, 'extend-selct = ["ML1"]')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--isolated", "a.py")

    assert run.exit_code == 1
    assert run.codes == ["ML101"]


def test_config_option_uses_that_file(project: Path) -> None:
    configure(project, 'ignore = ["ML102"]')
    configure(project / "ci", 'ignore = ["ML101"]')
    write(project, "a.py", THREE_RULES)

    run = cli("--config", "ci/pyproject.toml", "a.py")

    assert run.codes == ["ML102", "ML401"]


def test_config_option_patterns_are_relative_to_that_file(project: Path) -> None:
    configure(project / "pkg", 'extend-exclude = ["/gen/"]')
    write(project, "pkg/gen/client.py", GET_WITH_BODY)
    write(project, "pkg/sub/gen/client.py", GET_WITH_BODY)

    run = cli("--config", "pkg/pyproject.toml", "pkg")

    assert [path for path, *_ in run.findings] == ["pkg/sub/gen/client.py"]


def test_config_option_with_a_missing_file_exits_2(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--config", "nowhere/pyproject.toml", "a.py")

    assert run.exit_code == 2
    assert "nowhere/pyproject.toml" in run.stderr


def test_config_is_found_in_a_parent_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(project, 'ignore = ["ML101"]\nextend-exclude = ["src/gen/"]')
    # A pyproject.toml without a [tool.methodlint] table is passed over.
    write(project, "src/pyproject.toml", '[project]\nname = "x"\n')
    write(project, "src/app/a.py", THREE_RULES)
    write(project, "src/gen/client.py", THREE_RULES)
    monkeypatch.chdir(project / "src")

    run = cli(".")

    assert run.findings == [("app/a.py", 4, 18, "ML102"), ("app/a.py", 5, 18, "ML401")]
    # Patterns stay relative to the configuration's folder, also for explicit paths.
    assert cli("gen/client.py").findings == []


def test_the_nearest_methodlint_table_wins(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(project, 'ignore = ["ML101"]')
    configure(project / "sub", 'ignore = ["ML102"]')
    write(project, "sub/a.py", THREE_RULES)
    monkeypatch.chdir(project / "sub")

    assert cli("a.py").codes == ["ML101", "ML401"]


def test_per_file_ignores(project: Path) -> None:
    configure(project, 'per-file-ignores = { "tests/**" = ["ML101", "unknown-method"] }')
    write(project, "tests/test_api.py", THREE_RULES)
    write(project, "src/api.py", THREE_RULES)

    run = cli(".")

    assert run.findings == [
        ("src/api.py", 3, 17, "ML101"),
        ("src/api.py", 4, 18, "ML102"),
        ("src/api.py", 5, 18, "ML401"),
        ("tests/test_api.py", 4, 18, "ML102"),
    ]
    assert cli("tests/test_api.py").codes == ["ML102"]


@pytest.mark.parametrize(
    "setting",
    ['exclude = ["generated"]', 'extend-exclude = ["generated/"]', 'extend-exclude = ["gen*"]'],
)
def test_exclude_applies_to_explicitly_given_files(project: Path, setting: str) -> None:
    configure(project, setting)
    write(project, "generated/client.py", GET_WITH_BODY)
    write(project, "app.py", GET_WITH_BODY)

    run = cli("generated/client.py", "app.py")

    assert run.findings == [("app.py", 3, 19, "ML101")]
    assert cli("generated/client.py").exit_code == 0


def test_exclude_replaces_the_defaults_and_extend_exclude_adds_to_them(project: Path) -> None:
    write(project, "build/x.py", GET_WITH_BODY)
    write(project, "mine/x.py", GET_WITH_BODY)
    assert [path for path, *_ in cli(".").findings] == ["mine/x.py"]

    configure(project, 'extend-exclude = ["mine"]')
    assert cli(".").findings == []

    configure(project, 'exclude = ["mine"]')
    assert [path for path, *_ in cli(".").findings] == ["build/x.py"]


# --- standard input ------------------------------------------------------------------------------


def test_dash_reads_standard_input(project: Path) -> None:
    run = cli("-", input=GET_WITH_BODY)

    assert run.exit_code == 1
    assert run.findings == [("-", 3, 19, "ML101")]


def test_stdin_filename_names_standard_input(project: Path) -> None:
    run = cli("-", "--stdin-filename", "pkg/client.py", input=GET_WITH_BODY)

    assert run.findings == [("pkg/client.py", 3, 19, "ML101")]


def test_standard_input_uses_the_configuration(project: Path) -> None:
    configure(project, 'per-file-ignores = { "tests/**" = ["ML101"] }\nignore = ["ML401"]')

    assert cli("-", input=THREE_RULES).codes == ["ML101", "ML102"]
    tests = cli("-", "--stdin-filename", "tests/test_x.py", input=THREE_RULES)
    assert tests.codes == ["ML102"]


def test_clean_standard_input_exits_0(project: Path) -> None:
    run = cli("-", input=CLEAN_HTTP)

    assert run.exit_code == 0
    assert run.stdout == ""


# --- parallelism ---------------------------------------------------------------------------------


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    for number in range(22):
        write(
            tmp_path,
            f"pkg/mod{number}.py",
            "import requests\n"
            + "\n" * (number % 5)
            + f"def f{number}(u, q):\n"
            + "    requests.get(u, json=q)\n"
            + "    requests.head(u, data=q)\n"
            + '    requests.request("gte", u)\n',
        )
    write(tmp_path, "pkg/broken.py", "import httpx\ndef f(:\n")
    write(tmp_path, "pkg/plain.py", "x = 1\n")

    one = module(tmp_path, "--jobs", "1", "pkg")
    two = module(tmp_path, "--jobs", "2", "pkg")

    assert one.exit_code == two.exit_code == 1
    assert len(one.findings) == 22 * 3 + 1
    assert one.stdout == two.stdout
    assert one.findings == sorted(one.findings)


# --- suppression comments ------------------------------------------------------------------------

SUPPRESSION_CASES = {
    "bare-noqa": ("requests.get(u, json=q)  # noqa\n", []),
    "noqa-code": ("requests.get(u, json=q)  # noqa: ML101\n", []),
    "noqa-codes": ("requests.get(u, json=q)  # noqa: ML102, ML101\n", []),
    "noqa-other-tools-code": ("requests.get(u, json=q)  # noqa: E501\n", [3]),
    "noqa-rule-name": ("requests.get(u, json=q)  # noqa: get-with-body\n", []),
    "noqa-rule-name-and-code": ("requests.get(u, json=q)  # noqa: E501, get-with-body\n", []),
    "ignore-rule-name": ("requests.get(u, json=q)  # methodlint: ignore[get-with-body]\n", []),
    "bare-noqa-own-line-covers-only-its-line": ("# noqa\nrequests.get(u, json=q)\n", [4]),
    "noqa-code-own-line-above": ("# noqa: ML101\nrequests.get(u, json=q)\n", []),
    "noqa-neighbour-code": ("requests.get(u, json=q)  # noqa: ML102\n", [3]),
    "ignore-end-of-line": ("requests.get(u, json=q)  # methodlint: ignore[ML101]\n", []),
    "ignore-several": ("requests.get(u, json=q)  # methodlint: ignore[ML102, ML101]\n", []),
    "ignore-other-code": ("requests.get(u, json=q)  # methodlint: ignore[ML102]\n", [3]),
    "ignore-own-line-above": (
        "# methodlint: ignore[ML101]\nrequests.get(\n    u,\n    json=q,\n)\n",
        [],
    ),
    "ignore-own-line-not-directly-above": (
        "# methodlint: ignore[ML101]\n\nrequests.get(\n    u,\n    json=q,\n)\n",
        [7],
    ),
    "ignore-own-line-above-other-statement": (
        "# methodlint: ignore[ML101]\nx = 1\nrequests.get(u, json=q)\n",
        [5],
    ),
    "ignore-last-line-of-argument": (
        'requests.get(\n    u,\n    json={\n        "a": 1,\n'
        "    },  # methodlint: ignore[ML101]\n)\n",
        [],
    ),
    "ignore-first-line-of-argument": (
        "requests.get(\n    u,\n    json={  # methodlint: ignore[ML101]\n"
        '        "a": 1,\n    },\n)\n',
        [],
    ),
    "multi-line-unsuppressed": (
        'requests.get(\n    u,\n    json={\n        "a": 1,\n    },\n)\n',
        [5],
    ),
    "noqa-in-a-string": ('requests.get(u, json="# noqa")\n', [3]),
}


@pytest.mark.parametrize(
    ("code", "flagged_lines"), list(SUPPRESSION_CASES.values()), ids=list(SUPPRESSION_CASES)
)
def test_suppression_comments(project: Path, code: str, flagged_lines: list[int]) -> None:
    write(project, "a.py", "import requests\n\n" + code)

    run = cli("a.py")

    assert [(line, rule) for _, line, _, rule in run.findings] == [
        (line, "ML101") for line in flagged_lines
    ]
    assert run.exit_code == (1 if flagged_lines else 0)


def test_bare_noqa_suppresses_every_code_on_its_line(project: Path) -> None:
    write(
        project,
        "a.py",
        "import requests\n\n"
        'requests.get(u, json=q); requests.request("gte", u)  # noqa\n'
        'requests.get(u, json=q); requests.request("gte", u)\n',
    )

    assert [(line, code) for _, line, _, code in cli("a.py").findings] == [
        (4, "ML101"),
        (4, "ML401"),
    ]


def test_skip_file(project: Path) -> None:
    write(project, "skipped.py", "# methodlint: skip-file\n" + THREE_RULES)
    write(project, "skipped_late.py", THREE_RULES + "# methodlint: skip-file\n")
    write(project, "checked.py", GET_WITH_BODY)

    run = cli(".")

    assert run.findings == [("checked.py", 3, 19, "ML101")]


def test_skip_file_inside_a_string_does_not_skip_the_file(project: Path) -> None:
    write(
        project,
        "a.py",
        'import requests\n\nHELP = "write # methodlint: skip-file to skip a file"\n'
        "requests.get(url, json=q)\n",
    )

    run = cli("a.py")

    assert run.findings == [("a.py", 4, 19, "ML101")]
