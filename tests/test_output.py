"""Every output format as a user sees it: golden files for one small project, the SARIF schema,
the GitHub escaping rules, GitLab fingerprints, and when the human formats are coloured.

The golden files are in tests/golden/. When a format changes on purpose, regenerate them with
`METHODLINT_UPDATE_GOLDEN=1 pytest tests/test_output.py` and read the diff before committing.
Only what truly varies between machines and releases is normalised: the project's file URI and
methodlint's version in SARIF, and SARIF's list of every registered rule, which grows with each
new rule and each installed plugin (the golden keeps the descriptors of the rules that have
findings; a separate test checks that every rule is listed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import click
import pytest
from click.testing import CliRunner
from helpers import write
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource

import methodlint
from methodlint.cli import main
from methodlint.config import OUTPUT_FORMATS
from methodlint.diagnostics import Diagnostic, Severity
from methodlint.output import FORMATTERS, OutputContext, github, sarif
from methodlint.output.full import layout
from methodlint.registry import all_rules

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SARIF_SCHEMA = HERE / "data" / "sarif-schema-2.1.0.json"
UPDATE = os.environ.get("METHODLINT_UPDATE_GOLDEN") == "1"
ESC = "\x1b["

# A small shop with findings of several rules, warnings and errors, a multi-line span, a fixable
# ML402, a tab-indented line with wide characters before and inside the flagged text, a file
# that does not parse, one that cannot be decoded, and a path with a space.
SHOP: dict[str, str | bytes] = {
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "1.0"\n\n'
        "[tool.methodlint]\n"
        "# The golden files test the formats, not the rules: new rule families stay out.\n"
        'select = ["ML0", "ML1", "ML4"]\n'
        'extra-methods = ["PURGE"]\n'
    ),
    "src/shop/__init__.py": '"""The shop\'s HTTP clients."""\n',
    "src/shop/catalog.py": (
        '"""Catalogue search and clean-up."""\n'
        "\n"
        "import requests\n"
        "\n"
        'API = "https://api.example.com"\n'
        "\n"
        "\n"
        "def search(term: str) -> list[dict]:\n"
        '    response = requests.get(f"{API}/search", json={"q": term, "limit": 20})\n'
        "    response.raise_for_status()\n"
        '    return response.json()["items"]\n'
        "\n"
        "\n"
        "def forget(ids: list[int]) -> None:\n"
        "    requests.delete(\n"
        '        f"{API}/items",\n'
        "        json={\n"
        '            "ids": ids,\n'
        "        },\n"
        "    ).raise_for_status()\n"
        '    requests.request("PURGE", f"{API}/cache")\n'
    ),
    "src/shop/orders.py": (
        '"""Orders go through the legacy gateway, which only speaks http.client."""\n'
        "\n"
        "import http.client\n"
        "\n"
        "import requests\n"
        "\n"
        "\n"
        "def create_order(payload: bytes) -> int:\n"
        '    conn = http.client.HTTPSConnection("gateway.example.com")\n'
        '    conn.request("post", "/orders", body=payload)\n'
        "    return conn.getresponse().status\n"
        "\n"
        "\n"
        "def amend_order(base: str, order_id: int, changes: dict) -> None:\n"
        '    requests.request("PTACH", f"{base}/orders/{order_id}", json=changes)\n'
    ),
    "src/shop/notify.py": (
        '"""Notifications (tab-indented, like the vendor sample it came from)."""\n'
        "\n"
        "import httpx\n"
        "\n"
        "\n"
        "def notify(name: str) -> None:\n"
        '\thttpx.get(f"https://notify.example.com/日本/{name}", data="Grüße 👋")\n'
    ),
    "src/shop/legacy.py": "import requests\n\ndef fetch(url)\n    return requests.get(url)\n",
    "src/shop/latin1.py": b"import requests\n\n# caf\xe9 au lait\nrequests.get(url)\n",
    "scripts/debug proxy.py": (
        '"""Ask the proxy to echo a request back."""\n'
        "\n"
        "import requests\n"
        "\n"
        'requests.request("TRACE", "http://proxy.internal/", data="ping")\n'
    ),
}


# --- helpers -----------------------------------------------------------------------------------


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the command in this process; NO_COLOR and FORCE_COLOR are unset unless given."""
    unset = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CI_PROJECT_DIR")
    environ: dict[str, str | None] = {**dict.fromkeys(unset), **(env or {})}
    result = CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)
    return result.exit_code, result.stdout


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"no golden file {path}; create it with METHODLINT_UPDATE_GOLDEN=1"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, (
        f"the {name} output differs from {path}; if the change is intended, regenerate the "
        "golden files with METHODLINT_UPDATE_GOLDEN=1 pytest tests/test_output.py"
    )


def sarif_validator() -> Draft4Validator:
    """A validator of the SARIF 2.1.0 schema that resolves every reference locally."""

    def no_network(uri: str) -> Any:
        raise NoSuchResource(ref=uri)

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(
        schema,
        registry=Registry(retrieve=no_network),
        format_checker=Draft4Validator.FORMAT_CHECKER,
    )


def assert_valid_sarif(log: dict[str, Any]) -> None:
    errors = sorted(sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def normalise_sarif(log: dict[str, Any], root: Path) -> dict[str, Any]:
    """Check and replace what varies between machines and releases (see the module docstring)."""
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.as_uri() + "/"}}
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///SRCROOT/"
    assert driver["version"] == driver["semanticVersion"] == methodlint.__version__
    driver["version"] = driver["semanticVersion"] = "VERSION"
    rules = driver["rules"]
    for result in run["results"]:
        assert rules[result.pop("ruleIndex")]["id"] == result["ruleId"]
    found = {result["ruleId"] for result in run["results"]}
    driver["rules"] = [rule for rule in rules if rule["id"] in found]
    return log


@pytest.fixture
def shop(project: Path) -> Path:
    for name, text in SHOP.items():
        write(project, name, text)
    return project


# --- golden files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output_format", "golden"),
    [
        ("concise", "concise.txt"),
        ("full", "full.txt"),
        ("json", "json.json"),
        ("github", "github.txt"),
        ("gitlab", "gitlab.json"),
        ("json-lines", "json-lines.jsonl"),
        ("junit", "junit.xml"),
        ("pylint", "pylint.txt"),
        ("azure", "azure.txt"),
        ("rdjson", "rdjson.json"),
    ],
)
def test_output_matches_the_golden_file(shop: Path, output_format: str, golden: str) -> None:
    exit_code, stdout = cli("--output-format", output_format)

    assert exit_code == 1
    check_golden(golden, stdout)


def test_sarif_output_matches_the_golden_file(shop: Path) -> None:
    exit_code, stdout = cli("--output-format", "sarif")

    assert exit_code == 1
    log = normalise_sarif(json.loads(stdout), shop)
    check_golden("sarif.json", json.dumps(log, indent=2, ensure_ascii=False) + "\n")


def test_the_golden_project_has_findings_of_several_rules_and_a_fix(shop: Path) -> None:
    _, stdout = cli("--output-format", "json")

    report = json.loads(stdout)
    codes = {entry["code"] for entry in report}
    assert {"ML001", "ML002", "ML101", "ML103", "ML104", "ML105", "ML401", "ML402"} <= codes
    assert {entry["severity"] for entry in report} == {"error", "warning"}
    assert any(entry["fix"] for entry in report)
    assert any(entry["line"] != entry["end_line"] for entry in report)


def test_every_format_is_offered_by_the_cli_and_the_config() -> None:
    option = next(p for p in main.params if p.name == "output_format")

    assert isinstance(option.type, click.Choice)
    assert set(option.type.choices) == set(FORMATTERS) == set(OUTPUT_FORMATS)


def test_the_output_file_holds_the_same_report(shop: Path) -> None:
    for output_format in FORMATTERS:
        _, stdout = cli("--output-format", output_format)
        exit_code, nothing = cli("--output-format", output_format, "--output-file", "report.out")

        assert exit_code == 1
        assert nothing == ""
        assert (shop / "report.out").read_bytes().decode("utf-8") == stdout


@pytest.mark.parametrize("output_format", sorted(FORMATTERS))
def test_a_clean_run_prints_an_empty_report(project: Path, output_format: str) -> None:
    write(project, "app.py", "import requests\n\nrequests.get(url, params=q)\n")

    exit_code, stdout = cli("--output-format", output_format)

    assert exit_code == 0
    if output_format in ("json", "gitlab"):
        assert json.loads(stdout) == []
    elif output_format == "sarif":
        log = json.loads(stdout)
        assert log["runs"][0]["results"] == []
        assert_valid_sarif(log)
    elif output_format == "rdjson":
        assert json.loads(stdout)["diagnostics"] == []
    elif output_format == "junit":
        # CI servers show a passing test rather than no results at all.
        suites = ElementTree.fromstring(stdout)
        assert (suites.get("tests"), suites.get("failures")) == ("1", "0")
        assert suites.find("./testsuite/testcase/failure") is None
    else:
        assert stdout == ""


# --- full ----------------------------------------------------------------------------------------


def diagnostic(line_text: str, column: int, end_column: int, **changes: Any) -> Diagnostic:
    fields: dict[str, Any] = {
        "code": "ML101",
        "name": "get-with-body",
        "message": "GET via requests.get sends content (json=)",
        "hint": "Use params=",
        "severity": Severity.WARNING,
        "path": "a.py",
        "line": 7,
        "column": column,
        "end_line": 7,
        "end_column": end_column,
        "line_text": line_text,
    }
    fields.update(changes)
    return Diagnostic(**fields)


def full_lines(d: Diagnostic) -> list[str]:
    return FORMATTERS["full"]([d], OutputContext(color=False)).splitlines()


def test_full_shows_the_line_a_caret_under_the_span_and_the_hint() -> None:
    text = "requests.get(u, json=q)"

    assert full_lines(diagnostic(text, 17, 23)) == [
        "a.py:7:17: ML101 GET via requests.get sends content (json=)",
        "  |",
        "7 | requests.get(u, json=q)",
        "  |                 ^^^^^^",
        "  = help: Use params=",
    ]


def test_full_marks_a_span_over_several_lines_to_the_end_of_its_first_line() -> None:
    lines = full_lines(diagnostic("    json={", 5, 6, end_line=9))

    assert lines[2:4] == ["7 |     json={", "  |     ^^^^^^"]


def test_full_puts_at_least_one_caret_and_one_past_the_end_of_the_line() -> None:
    lines = full_lines(diagnostic("def f(x)", 9, 10, code="ML001"))

    assert lines[3] == "  |         ^"


def test_full_shows_no_source_for_a_finding_about_the_whole_file() -> None:
    lines = full_lines(diagnostic("", 1, 1, line=1, end_line=1, code="ML002"))

    assert lines == [
        "a.py:1:1: ML002 GET via requests.get sends content (json=)",
        "  = help: Use params=",
    ]


def test_full_lines_carets_up_under_tabs_wide_and_invisible_characters() -> None:
    # Tabs expand to the next multiple of 4; 日 and 👋 take two cells; a combining accent
    # none; control characters and a bidirectional override are shown as one visible cell.
    shown, starts = layout("\tx日e\u0301\x07\u202e👋")

    assert shown == "    x日e\u0301\u2407\ufffd👋"
    assert starts == [0, 4, 5, 7, 8, 8, 9, 10, 12]
    text = '\thttpx.get("日本", data="👋")'
    lines = full_lines(diagnostic(text, 18, 27))
    assert lines[2:4] == [
        '7 |     httpx.get("日本", data="👋")',
        "  |                       ^^^^^^^^^^",
    ]


# --- sarif ---------------------------------------------------------------------------------------


def test_sarif_validates_against_the_schema(shop: Path) -> None:
    _, stdout = cli("--output-format", "sarif")

    log = json.loads(stdout)
    assert_valid_sarif(log)
    assert any("fixes" in result for result in log["runs"][0]["results"])


def test_the_schema_check_rejects_an_invalid_log(shop: Path) -> None:
    _, stdout = cli("--output-format", "sarif")
    log = json.loads(stdout)
    log["runs"][0]["results"][0]["level"] = "fatal"

    with pytest.raises(AssertionError, match="level"):
        assert_valid_sarif(log)


def test_sarif_lists_every_registered_rule_with_its_documentation(project: Path) -> None:
    _, stdout = cli("--output-format", "sarif")

    driver = json.loads(stdout)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "methodlint"
    assert driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in all_rules()]
    for descriptor, rule in zip(driver["rules"], all_rules(), strict=True):
        doc = rule.documentation()
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == doc["What it does"]
        for heading, body in doc.items():
            assert f"## {heading}\n\n{body}" in descriptor["help"]["markdown"]
            assert body in descriptor["help"]["text"]
        level = "error" if rule.severity is Severity.ERROR else "warning"
        assert descriptor["defaultConfiguration"] == {"enabled": rule.default_on, "level": level}


def test_sarif_locations_are_relative_to_srcroot_in_code_points(shop: Path) -> None:
    _, stdout = cli("--output-format", "sarif")

    run = json.loads(stdout)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == shop.as_uri() + "/"
    by_rule = {result["ruleId"]: result for result in run["results"]}
    location = by_rule["ML104"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "scripts/debug%20proxy.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 5, "startColumn": 53, "endLine": 5, "endColumn": 64}
    # The tab, 日本 and 👋 count one column each.
    notify = by_rule["ML105"]["locations"][0]["physicalLocation"]["region"]
    assert (notify["startColumn"], notify["endColumn"]) == (53, 67)


def test_sarif_fix_replaces_the_method_literal(shop: Path) -> None:
    _, stdout = cli("--output-format", "sarif")

    (result,) = [r for r in json.loads(stdout)["runs"][0]["results"] if r["ruleId"] == "ML402"]
    (change,) = result["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/shop/orders.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 10, "startColumn": 18, "endLine": 10, "endColumn": 24},
            "insertedContent": {"text": '"POST"'},
        }
    ]


def test_sarif_uri_of_a_file_outside_the_current_folder_is_absolute(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = write(project, "elsewhere/x.py", "import requests\nrequests.get(u, json=q)\n")
    (project / "work").mkdir()
    monkeypatch.chdir(project / "work")

    _, stdout = cli("--output-format", "sarif", str(outside))

    log = json.loads(stdout)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": outside.as_uri()}
    assert_valid_sarif(log)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("src/app.py", "src/app.py"),
        ("my app/données.py", "my%20app/donn%C3%A9es.py"),
        ("c:odd.py", "c%3Aodd.py"),
        ("100%/a#b?.py", "100%25/a%23b%3F.py"),
    ],
)
def test_sarif_percent_encodes_relative_paths(path: str, uri: str) -> None:
    assert sarif.artifact_location(path) == {"uri": uri, "uriBaseId": "%SRCROOT%"}


# --- github --------------------------------------------------------------------------------------


def test_github_escapes_data_and_properties() -> None:
    d = diagnostic(
        "x",
        1,
        2,
        path="odd, name:1.py",
        message="100% sure\r\nthat, this: is bad",
        severity=Severity.ERROR,
    )

    assert github.command(d) == (
        "::error file=odd%2C name%3A1.py,line=7,col=1,endLine=7,endColumn=2,"
        "title=ML101::get-with-body: 100%25 sure%0D%0Athat, this: is bad"
    )


# --- gitlab --------------------------------------------------------------------------------------

GITLAB_SOURCE = "import requests\n\n\ndef load(u, q):\n    return requests.get(u, json=q)\n"


def gitlab_report() -> list[dict[str, Any]]:
    _, stdout = cli("--output-format", "gitlab")
    report: list[dict[str, Any]] = json.loads(stdout)
    return report


def test_gitlab_fingerprint_is_stable_when_a_line_is_inserted_above(project: Path) -> None:
    write(project, "api.py", GITLAB_SOURCE)
    (before,) = gitlab_report()
    write(project, "api.py", GITLAB_SOURCE.replace("\n\n\n", "\n\nTIMEOUT = 5\n\n\n"))
    (after,) = gitlab_report()

    assert (before["location"]["lines"]["begin"], after["location"]["lines"]["begin"]) == (5, 7)
    assert after["fingerprint"] == before["fingerprint"]


def test_gitlab_fingerprints_differ_between_findings(project: Path) -> None:
    # Two identical lines in one file, the same line in another file, and another rule.
    write(project, "api.py", GITLAB_SOURCE + "    return requests.get(u, json=q)\n")
    write(project, "other.py", GITLAB_SOURCE + 'requests.request("GTE", u)\n')

    report = gitlab_report()

    assert len(report) == 4
    assert len({issue["fingerprint"] for issue in report}) == 4


def test_gitlab_issue_fields(project: Path) -> None:
    write(project, "api.py", GITLAB_SOURCE + 'requests.request("GTE", u)\n')

    warning, error = gitlab_report()

    assert warning["severity"] == "minor" and error["severity"] == "major"
    assert warning["check_name"] == "ML101"
    assert warning["description"].startswith("ML101 GET via requests.get")
    assert warning["location"] == {"path": "api.py", "lines": {"begin": 5, "end": 5}}
    assert set(warning) == {"description", "check_name", "fingerprint", "severity", "location"}


# --- colour --------------------------------------------------------------------------------------


@pytest.fixture
def one_finding(project: Path) -> Path:
    write(project, "a.py", "import requests\n\nrequests.get(u, json=q)\n")
    return project


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_human_formats_are_plain_off_a_terminal(one_finding: Path, output_format: str) -> None:
    _, stdout = cli("--output-format", output_format)

    assert ESC not in stdout and "ML101" in stdout


@pytest.mark.parametrize("output_format", ["concise", "full"])
@pytest.mark.parametrize(
    ("args", "env"),
    [
        ([], {"FORCE_COLOR": "1"}),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": ""}),
        ([], {"CLICOLOR_FORCE": "1"}),
        (["--color", "always"], {}),
        (["--color", "always"], {"NO_COLOR": "1"}),
    ],
    ids=["FORCE_COLOR", "empty-NO_COLOR", "CLICOLOR_FORCE", "--color", "--color-beats-NO_COLOR"],
)
def test_colour_when_asked_changes_nothing_but_styles(
    one_finding: Path, output_format: str, args: list[str], env: dict[str, str]
) -> None:
    _, plain = cli("--output-format", output_format)

    _, stdout = cli("--output-format", output_format, *args, env=env)

    assert ESC in stdout
    assert click.unstyle(stdout) == plain


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}),
        (["--no-color"], {"FORCE_COLOR": "1"}),
        (["--color", "never"], {"FORCE_COLOR": "1"}),
        (["--color", "auto"], {"CLICOLOR_FORCE": "0"}),
    ],
    ids=["NO_COLOR-beats-FORCE_COLOR", "--no-color", "--color-never", "CLICOLOR_FORCE-0"],
)
def test_no_colour_when_refused(one_finding: Path, args: list[str], env: dict[str, str]) -> None:
    _, stdout = cli("--output-format", "full", *args, env=env)

    assert ESC not in stdout and "ML101" in stdout


@pytest.mark.parametrize("output_format", ["concise", "full"])
def test_no_colour_in_an_output_file(one_finding: Path, output_format: str) -> None:
    args = ("--output-format", output_format, "--color", "always", "--output-file", "report.txt")

    _, stdout = cli(*args, env={"FORCE_COLOR": "1"})

    assert stdout == ""
    report = (one_finding / "report.txt").read_text(encoding="utf-8")
    assert "ML101" in report and ESC not in report


@pytest.mark.parametrize("output_format", sorted(set(FORMATTERS) - {"concise", "full"}))
def test_machine_formats_are_never_coloured(one_finding: Path, output_format: str) -> None:
    _, stdout = cli("--output-format", output_format, "--color", "always")

    assert ESC not in stdout and "ML101" in stdout


def run_on_a_terminal(cwd: Path, *args: str, env: dict[str, str]) -> str:
    """Run `python -m methodlint` with its standard output on a pseudo-terminal."""
    import pty  # POSIX only

    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "methodlint", *args],
        cwd=cwd,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**environ, **env},
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # Linux: EIO once the child has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_colour_on_a_terminal_unless_no_color(one_finding: Path) -> None:
    coloured = run_on_a_terminal(one_finding, "a.py", env={})
    plain = run_on_a_terminal(one_finding, "a.py", env={"NO_COLOR": "1"})

    assert ESC in coloured and "ML101" in coloured
    assert ESC not in plain and "ML101" in plain
