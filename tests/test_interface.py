"""The command behaves as a ruff user expects (issue 15): nothing that could not be checked
passes silently, configuration per file (closest file, methodlint.toml, extend, overrides),
selection flags, the report formats and flags, and the run's own behaviour (jobs, colour,
interruption, progress)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from helpers import cli, write

from methodlint import registry
from methodlint.diagnostics import Severity
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule

GET_WITH_BODY = "import requests\n\nrequests.get(url, json=q)\n"
BROKEN = "import requests\n\ndef fetch(url)\n    return requests.get(url)\n"
LOWER_POST = (
    'import http.client\n\nconn = http.client.HTTPSConnection("h")\nconn.request("post", "/")\n'
)
# ML101 on line 4, ML402 (fixable) on line 6.
BOTH = (
    "import http.client\nimport requests\n\nrequests.get(url, json=q)\n"
    'conn = http.client.HTTPSConnection("h")\nconn.request("post", "/")\n'
)


def configure(folder: Path, body: str) -> Path:
    return write(folder, "pyproject.toml", f"[tool.methodlint]\n{body}\n")


# --- nothing that could not be checked passes silently -----------------------------------------


@pytest.mark.parametrize(
    "args",
    [["--select", "ML101"], ["--select", "ML4"], ["--ignore", "ML0"], ["--ignore", "ALL"]],
    ids=["select-another-code", "select-a-prefix", "ignore-a-prefix", "ignore-all"],
)
def test_a_syntax_error_is_reported_whatever_the_selection(project: Path, args: list[str]) -> None:
    write(project, "broken.py", BROKEN)

    run = cli(*args, "broken.py")

    assert run.exit_code == 1
    assert run.codes == ["ML001"]
    assert "All checks passed" not in run.stderr


def test_a_configured_selection_does_not_hide_a_file_that_was_not_checked(project: Path) -> None:
    configure(project, 'select = ["ML2"]\nignore = ["ML00"]')
    write(project, "broken.py", BROKEN)

    assert cli("broken.py").codes == ["ML001"]


@pytest.mark.parametrize(
    "how",
    [
        ["--ignore", "ML001"],
        ["--ignore", "syntax-error"],
        ["--extend-ignore", "ML001"],
        ["--config", "ignore = ['ML001']"],
    ],
    ids=["--ignore", "by-name", "--extend-ignore", "config"],
)
def test_only_the_exact_code_silences_it_and_the_summary_counts_the_file(
    project: Path, how: list[str]
) -> None:
    write(project, "broken.py", BROKEN)
    write(project, "ok.py", "import requests\n")

    run = cli(*how, ".")

    assert run.exit_code == 0
    assert run.stdout == ""
    assert "All checks passed" not in run.stderr
    assert "2 files; 1 of them not checked" in run.stderr
    assert "broken.py" in run.stderr


def test_a_per_file_ignore_of_the_exact_code_silences_it_and_all_does_not(project: Path) -> None:
    configure(
        project,
        '[tool.methodlint.per-file-ignores]\n"legacy/**" = ["ML001"]\n"vendor/**" = ["ALL"]',
    )
    write(project, "legacy/old.py", BROKEN)
    write(project, "vendor/lib.py", BROKEN)

    run = cli(".")

    assert [(path, code) for path, _, _, code in run.findings] == [("vendor/lib.py", "ML001")]
    assert "1 of them not checked" in run.stderr


def test_config_naming_a_pyproject_without_the_table_is_an_error(project: Path) -> None:
    write(project, "other/pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--config", "other/pyproject.toml", "a.py")

    assert run.exit_code == 2
    assert run.stdout == ""
    assert "no [tool.methodlint] table" in run.stderr


class CrashingRule(Rule):
    """
    ## What it does
    Crashes (a plugin's bug, for the tests).
    """

    code = "XC100"
    name = "crashing-rule"
    severity = Severity.WARNING
    summary = "Crashes"

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        raise ValueError("plugin bug")


class _EntryPoint:
    name = "crashy"
    value = "tests:CrashingRule"
    dist = None

    def load(self) -> object:
        return CrashingRule


@pytest.fixture
def crashing_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    registry.all_rules.cache_clear()
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda group: [_EntryPoint()] if group == "methodlint.rules" else [],
    )
    yield
    monkeypatch.undo()
    registry.all_rules.cache_clear()


def test_a_crashing_plugin_rule_is_an_error_naming_it_and_builtin_findings_stay(
    project: Path, crashing_plugin: None
) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--jobs", "1", "a.py")

    assert run.exit_code == 1
    assert run.codes == ["ML003", "ML101"]
    crash = run.stdout.splitlines()[0]
    assert "plugin 'crashy'" in crash and "XC100" in crash and "crashing-rule" in crash
    assert "ValueError: plugin bug" in crash


# --- configuration as ruff has it ---------------------------------------------------------------


@pytest.fixture
def monorepo(project: Path) -> Path:
    """A root project that ignores ML101, and a sub-project with its own settings."""
    configure(project, 'ignore = ["ML101"]')
    write(project, "app/a.py", BOTH)
    write(project, "services/billing/pyproject.toml", '[tool.methodlint]\nignore = ["ML402"]\n')
    write(project, "services/billing/b.py", BOTH)
    return project


def test_each_file_gets_its_closest_configuration(monorepo: Path) -> None:
    run = cli(".")

    assert sorted((path, code) for path, _, _, code in run.findings) == [
        ("app/a.py", "ML402"),
        ("services/billing/b.py", "ML101"),
    ]


def test_closest_configuration_for_file_names_as_pre_commit_passes_them(monorepo: Path) -> None:
    run = cli("app/a.py", "services/billing/b.py")

    assert [(path, code) for path, _, _, code in run.findings] == [
        ("app/a.py", "ML402"),
        ("services/billing/b.py", "ML101"),
    ]


def test_closest_configuration_from_another_folder(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(monorepo / "services")

    run = cli("../app/a.py", "billing/b.py")

    assert [(path, code) for path, _, _, code in run.findings] == [
        ("../app/a.py", "ML402"),
        ("billing/b.py", "ML101"),
    ]


def test_a_sub_projects_exclude_applies_to_its_files(monorepo: Path) -> None:
    write(
        monorepo,
        "services/billing/pyproject.toml",
        '[tool.methodlint]\nextend-exclude = ["generated"]\n',
    )
    write(monorepo, "services/billing/generated/g.py", GET_WITH_BODY)

    run = cli("--show-files", ".")

    assert run.stdout.splitlines() == ["app/a.py", "services/billing/b.py"]
    assert cli("services/billing/generated/g.py").findings == []


def test_verbose_names_the_configuration_of_each_group(monorepo: Path) -> None:
    run = cli("--verbose", ".")

    root = str((monorepo / "pyproject.toml").resolve())
    billing = str((monorepo / "services/billing/pyproject.toml").resolve())
    assert f"configuration: {root} (1 files)" in run.stderr
    assert f"configuration: {billing} (1 files)" in run.stderr


def test_verbose_says_when_there_is_no_configuration(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    assert "configuration: no configuration file (the defaults)" in cli("-v", "a.py").stderr


@pytest.mark.parametrize("name", ["methodlint.toml", ".methodlint.toml"])
def test_a_methodlint_toml_holds_the_keys_at_the_top_level(project: Path, name: str) -> None:
    write(project, name, 'ignore = ["ML101"]\n')
    write(project, "a.py", GET_WITH_BODY)

    assert cli("a.py").exit_code == 0
    assert str((project / name).resolve()) in cli("--show-settings", "a.py").stdout


def test_in_one_folder_dot_methodlint_toml_comes_first_then_methodlint_toml(project: Path) -> None:
    configure(project, 'ignore = ["ML102"]')
    write(project, "methodlint.toml", 'ignore = ["ML103"]\n')
    write(project, ".methodlint.toml", 'ignore = ["ML101"]\n')
    write(project, "a.py", GET_WITH_BODY)

    assert cli("a.py").exit_code == 0
    (project / ".methodlint.toml").unlink()
    assert cli("a.py").codes == ["ML101"]


def test_extend_inherits_and_overrides(project: Path) -> None:
    configure(
        project,
        'ignore = ["ML101"]\nextra-methods = ["PURGE"]\n'
        '[tool.methodlint.per-file-ignores]\n"sub/tests/**" = ["ML401"]\n"*.pyi" = ["ML401"]',
    )
    write(project, "sub/methodlint.toml", 'extend = "../pyproject.toml"\nmax-file-size = 5000\n')

    settings = json.loads(cli("--output-format", "json", "--show-settings", "sub/x.py").stdout)

    assert settings["configuration"] == str((project / "sub/methodlint.toml").resolve())
    values = settings["settings"]
    assert values["ignore"] == ["ML101"] and values["extra-methods"] == ["PURGE"]
    assert values["max-file-size"] == 5000
    # Patterns stay relative to the file that wrote them: "sub/tests/**" at the root is
    # "tests/**" in sub/.
    assert values["per-file-ignores"] == {"tests/**": ["ML401"], "*.pyi": ["ML401"]}


def test_an_extend_cycle_is_an_error(project: Path) -> None:
    write(project, "methodlint.toml", 'extend = "sub/methodlint.toml"\n')
    write(project, "sub/methodlint.toml", 'extend = "../methodlint.toml"\n')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "cycle" in run.stderr


def test_extend_of_a_missing_file_is_an_error(project: Path) -> None:
    configure(project, 'extend = "../nowhere.toml"')
    write(project, "a.py", GET_WITH_BODY)

    run = cli("a.py")

    assert run.exit_code == 2
    assert "nowhere.toml" in run.stderr


def test_config_key_value_overrides_every_configuration(monorepo: Path) -> None:
    run = cli("--config", "ignore = ['ML101', 'ML402']", ".")

    assert run.exit_code == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [("extend-selct = ['ML1']", "extend-select"), ("ignore = [", "TOML"), ("nothing", "KEY=VALUE")],
    ids=["misspelt-key", "bad-toml", "neither"],
)
def test_a_bad_config_override_is_an_error(project: Path, value: str, message: str) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--config", value, "a.py")

    assert run.exit_code == 2
    assert message in run.stderr


def test_show_settings_names_the_file_they_come_from(monorepo: Path) -> None:
    run = cli("--show-settings", "services/billing/b.py")

    assert run.exit_code == 0
    assert str((monorepo / "services/billing/pyproject.toml").resolve()) in run.stdout
    assert 'ignore = ["ML402"]' in run.stdout


# --- selection as ruff has it -------------------------------------------------------------------

THREE_RULES = (
    "import requests\n\nrequests.get(u, json=q)\nrequests.head(u, data=q)\n"
    'requests.request("gte", u)\n'
)


def test_repeated_selection_flags_accumulate(project: Path) -> None:
    write(project, "a.py", THREE_RULES)

    assert cli("--select", "ML101", "--select", "ML102", "a.py").codes == ["ML101", "ML102"]
    assert cli("--ignore", "ML101", "--ignore", "ML102", "a.py").codes == ["ML401"]
    assert cli("--ignore", "ML101", "--extend-ignore", "ML401", "a.py").codes == ["ML102"]


def test_ignore_adds_to_the_configured_ignore_and_select_replaces_the_selection(
    project: Path,
) -> None:
    configure(project, 'ignore = ["ML101"]\nextend-select = ["ML9"]')
    write(project, "a.py", THREE_RULES)

    assert cli("--ignore", "ML102", "a.py").codes == ["ML401"]
    assert cli("--extend-ignore", "ML102", "a.py").codes == ["ML401"]
    assert cli("--select", "ML1", "a.py").codes == ["ML101", "ML102"]


# --- formats and flags --------------------------------------------------------------------------


def test_fixable_findings_are_marked_and_counted(project: Path) -> None:
    write(project, "a.py", BOTH)

    run = cli("a.py")

    lines = run.stdout.splitlines()
    assert any(" ML402 [*] 'post'" in line for line in lines)
    assert any(" ML101 GET" in line for line in lines)
    assert "[*] 1 fixable with --fix." in run.stderr
    full = cli("--output-format", "full", "a.py").stdout
    assert " ML402 [*] 'post'" in full


def test_fix_only_fixes_and_reports_nothing(project: Path) -> None:
    path = write(project, "a.py", BOTH)

    run = cli("--fix-only", "a.py")

    assert run.exit_code == 0
    assert run.stdout == ""
    assert 'conn.request("POST", "/")' in path.read_text()


def test_exit_non_zero_on_fix(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)

    assert cli("--fix", "--exit-non-zero-on-fix", "a.py").exit_code == 1
    assert 'conn.request("POST", "/")' in path.read_text()
    assert cli("--fix", "--exit-non-zero-on-fix", "a.py").exit_code == 0
    write(project, "a.py", LOWER_POST)
    assert cli("--fix-only", "--exit-non-zero-on-fix", "a.py").exit_code == 1


def test_show_fixes_lists_what_was_fixed(project: Path) -> None:
    write(project, "a.py", LOWER_POST)

    run = cli("--fix", "--show-fixes", "a.py")

    assert run.exit_code == 0
    assert run.stdout == "- a.py:\n    1 x ML402 (non-canonical-method-case)\n"


def test_json_lines_is_one_object_per_line(project: Path) -> None:
    write(project, "a.py", THREE_RULES)

    run = cli("--output-format", "json-lines", "a.py")

    objects = [json.loads(line) for line in run.stdout.splitlines()]
    assert [o["code"] for o in objects] == ["ML101", "ML102", "ML401"]
    assert objects == json.loads(cli("--output-format", "json", "a.py").stdout)


def test_junit_is_xml_with_a_failure_per_finding(project: Path) -> None:
    write(project, "a.py", THREE_RULES)

    suites = ElementTree.fromstring(cli("--output-format", "junit", "a.py").stdout)

    failures = suites.findall("./testsuite/testcase/failure")
    assert (suites.get("tests"), suites.get("failures")) == ("3", "3")
    assert [f.get("type") for f in failures] == ["ML101", "ML102", "ML401"]
    assert suites.find("./testsuite").get("name") == "a.py"  # type: ignore[union-attr]


def test_pylint_and_azure_lines(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    pylint = cli("--output-format", "pylint", "a.py").stdout
    azure = cli("--output-format", "azure", "a.py").stdout

    assert pylint == "a.py:3: [ML101] GET via requests.get sends content (json=)\n"
    assert azure.startswith(
        "##vso[task.logissue type=warning;sourcepath=a.py;linenumber=3;columnnumber=19;"
        "code=ML101;]get-with-body: GET via"
    )


def test_rdjson_has_ranges_and_suggestions(project: Path) -> None:
    write(project, "a.py", LOWER_POST)

    document = json.loads(cli("--output-format", "rdjson", "a.py").stdout)

    assert document["source"]["name"] == "methodlint"
    (diagnostic,) = document["diagnostics"]
    assert diagnostic["code"]["value"] == "ML402"
    assert diagnostic["location"] == {
        "path": "a.py",
        "range": {"start": {"line": 4, "column": 14}, "end": {"line": 4, "column": 20}},
    }
    assert diagnostic["suggestions"][0]["text"] == '"POST"'


def test_gitlab_paths_are_relative_to_ci_project_dir(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "services/api/a.py", GET_WITH_BODY)
    monkeypatch.chdir(project / "services")
    monkeypatch.setenv("CI_PROJECT_DIR", str(project))

    (issue,) = json.loads(cli("--output-format", "gitlab", "api/a.py").stdout)

    assert issue["location"] == {"path": "services/api/a.py", "lines": {"begin": 3, "end": 3}}


def test_statistics_list_rules_and_explain_as_json(project: Path) -> None:
    write(project, "a.py", THREE_RULES + "requests.get(v, json=q)\n")

    stats = json.loads(cli("--statistics", "--output-format", "json", "a.py").stdout)
    rules = json.loads(cli("--list-rules", "--output-format", "json").stdout)
    explained = json.loads(cli("--explain", "ML101", "--output-format", "json").stdout)

    assert stats[0] == {"code": "ML101", "name": "get-with-body", "count": 2, "fixable": 0}
    assert [s["code"] for s in stats] == ["ML101", "ML102", "ML401"]
    assert {"code": "ML402", "name": "non-canonical-method-case"}.items() <= next(
        r for r in rules if r["code"] == "ML402"
    ).items()
    assert next(r for r in rules if r["code"] == "ML402")["fixable"] is True
    assert explained["code"] == "ML101" and "What it does" in explained["documentation"]


def test_jobs_zero_means_all_cores_and_j_is_short_for_jobs(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    assert cli("--jobs", "0", "a.py").codes == ["ML101"]
    assert cli("-j", "1", "a.py").codes == ["ML101"]


def test_version_lists_python_libcst_and_plugins(project: Path) -> None:
    from importlib.metadata import version

    import methodlint

    run = cli("--version")

    lines = run.stdout.splitlines()
    assert lines[0] == f"methodlint {methodlint.__version__}"
    assert lines[1].startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}")
    assert lines[2] == f"LibCST {version('libcst')}"
    assert lines[3] == "plugins: none"


def test_version_names_an_installed_plugin(project: Path, crashing_plugin: None) -> None:
    assert "plugin crashy unknown version (XC100)" in cli("--version").stdout


def test_output_file_creates_missing_folders(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    run = cli("--output-format", "json", "--output-file", "reports/ci/methodlint.json", "a.py")

    assert run.exit_code == 1 and run.stdout == ""
    report = json.loads((project / "reports/ci/methodlint.json").read_text())
    assert [r["code"] for r in report] == ["ML101"]


def test_an_interrupted_run_exits_130_and_writes_no_report(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import methodlint.run

    write(project, "a.py", GET_WITH_BODY)
    write(project, "out/report.json", "the previous report\n")

    def interrupted(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setitem(methodlint.run.FORMATTERS, "json", interrupted)

    run = cli("--output-format", "json", "--output-file", "out/report.json", "a.py")

    assert run.exit_code == 130
    assert "interrupted" in run.stderr
    assert (project / "out/report.json").read_text() == "the previous report\n"
    assert sorted(p.name for p in (project / "out").iterdir()) == ["report.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_real_process_exits_130(tmp_path: Path) -> None:
    # Standard input that never ends keeps the run waiting until the signal comes.
    process = subprocess.Popen(
        [sys.executable, "-m", "methodlint", "-", "--output-file", "out/r.txt"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(3)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert not (tmp_path / "out").exists()


def test_progress_only_on_a_terminal_and_not_when_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from methodlint.run import Options, _Progress

    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setattr(_Progress, "DELAY", 0.0)
    with _Progress.start(Options(quiet=True)) as quiet:
        quiet(5, 10)
    assert terminal.text == ""
    with _Progress.start(Options()) as progress:
        progress(5, 10)
    assert terminal.text == "\rmethodlint: checked 5/10 files\r\x1b[K"


# --- suppression --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "named"),
    [
        ("# noqa: ML999", "ML999"),
        ("# noqa: get-with-bodyy", "get-with-bodyy"),
        ("# noqa: ML1O1", "ML1"),
        ("# noqa: !ML101", "!ml101"),
        ("# methodlint: ignore[get-with-bodyy]", "get-with-bodyy"),
        ("# methodlint: ignore[E501]", "E501"),
    ],
    ids=["unknown-code", "unknown-name", "a-prefix", "junk", "ignore-unknown-name", "ignore-e501"],
)
def test_an_unknown_code_or_name_is_ml902_never_a_blanket(
    project: Path, comment: str, named: str
) -> None:
    write(project, "a.py", f"import requests\n\nrequests.get(u, json=q)  {comment}\n")

    run = cli("a.py")

    assert run.codes == ["ML101", "ML902"]
    assert f"{named!r} is no rule's code or name" in run.stdout


def test_ml902_suggests_the_nearest_name(project: Path) -> None:
    write(project, "a.py", "import requests\n\nrequests.get(u, json=q)  # noqa: get-with-bdy\n")

    assert "(did you mean 'get-with-body'?)" in cli("a.py").stdout


def test_ml902_can_be_ignored_like_any_rule(project: Path) -> None:
    write(project, "a.py", "import requests\n\nrequests.get(u, json=q)  # noqa: ML999\n")

    assert cli("--ignore", "invalid-suppression", "a.py").codes == ["ML101"]


def test_skip_file_with_codes_skips_only_those(project: Path) -> None:
    write(
        project,
        "a.py",
        "# methodlint: skip-file[ML101, head-with-body]\nimport requests\n\n"
        "requests.get(u, json=q)\nrequests.head(u, data=q)\nrequests.delete(u, json=q)\n",
    )
    write(project, "b.py", "# methodlint: skip-file\nimport requests\n\nrequests.get(u, json=q)\n")
    write(project, "c.py", 'import requests\n\nrequests.get(u, json="# methodlint: skip-file")\n')

    run = cli(".")

    assert [(path, code) for path, _, _, code in run.findings] == [
        ("a.py", "ML103"),
        ("c.py", "ML101"),
    ]


def test_add_noqa_writes_comments_that_silence_the_findings(project: Path) -> None:
    source = (
        "import requests\n\n"
        "requests.get(u, json=q)\n"
        "requests.head(u, data=q)  # noqa: E501\n"
        'requests.request(\n    "gte",\n    u,\n)\n'
        'requests.get(u, json="""a\nb""")\n'
        "requests.delete(u, json=q)  # noqa: ML103\n"
    )
    path = write(project, "a.py", source)

    run = cli("--add-noqa", "a.py")

    assert run.exit_code == 0
    assert "Added 4 noqa comments." in run.stderr
    assert path.read_text() == (
        "import requests\n\n"
        "requests.get(u, json=q)  # noqa: ML101\n"
        "requests.head(u, data=q)  # noqa: E501, ML102\n"
        'requests.request(\n    "gte",  # noqa: ML401\n    u,\n)\n'
        'requests.get(u, json="""a\nb""")  # noqa: ML101\n'
        "requests.delete(u, json=q)  # noqa: ML103\n"
    )
    assert cli("a.py").exit_code == 0
    assert "Added 0 noqa comments." in cli("--add-noqa", "a.py").stderr


def test_add_noqa_keeps_crlf_and_the_encoding(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\r\nimport requests\r\n\r\nrequests.get('\xe9', json=q)\r\n"
    path = write(project, "a.py", source.encode("latin-1"))

    assert cli("--add-noqa", "a.py").exit_code == 0

    assert path.read_bytes().endswith(b"requests.get('\xe9', json=q)  # noqa: ML101\r\n")


def test_add_noqa_comments_a_notebook_in_its_cell_and_keeps_it_a_notebook(project: Path) -> None:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": ["import requests\n", "requests.get(u, json=q)\n"],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = write(project, "nb.ipynb", json.dumps(notebook))
    before = path.read_bytes()

    run = cli("--add-noqa", "nb.ipynb")

    assert run.exit_code == 0
    after = json.loads(path.read_bytes())
    assert after["cells"][0]["source"] == [
        "import requests\n",
        "requests.get(u, json=q)  # noqa: ML101\n",
    ]
    assert path.read_bytes() == before.replace(b"json=q)", b"json=q)  # noqa: ML101")
