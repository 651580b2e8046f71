"""`--write-baseline` and `--baseline`: adopting methodlint on a code base with findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli, write

OLD = (
    "import requests\n"
    "\n"
    "\n"
    "def sync(url, ids):\n"
    "    requests.delete(url, json=ids)\n"
    "    requests.get(url, json=ids)\n"
)


def test_write_baseline_records_the_findings_and_exits_0(project: Path) -> None:
    write(project, "src/sync.py", OLD)

    run = cli("--write-baseline", "baseline.json", "src")

    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""
    assert "Recorded 2 findings in baseline.json." in run.stderr
    document = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert [(f["path"], f["code"], f["line"]) for f in document["findings"]] == [
        ("src/sync.py", "ML103", 5),
        ("src/sync.py", "ML101", 6),
    ]
    assert all(len(f["fingerprint"]) == 32 for f in document["findings"])


def test_the_baseline_hides_recorded_findings_after_lines_move(project: Path) -> None:
    path = write(project, "src/sync.py", OLD)
    cli("--write-baseline", "baseline.json", "src")
    # Code inserted above the findings moves them down.
    path.write_text(OLD.replace("\n\ndef sync", "\nTIMEOUT = 5\n\n\ndef sync"), encoding="utf-8")

    run = cli("--baseline", "baseline.json", "src")

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "2 findings in the baseline." in run.stderr


def test_the_baseline_reports_a_new_finding(project: Path) -> None:
    path = write(project, "src/sync.py", OLD)
    cli("--write-baseline", "baseline.json", "src")
    path.write_text(
        "import requests\n\nTIMEOUT = 5\n"
        + OLD.split("\n", 1)[1]
        + "    requests.head(url, data=1)\n",
        encoding="utf-8",
    )
    write(project, "src/other.py", "import requests\nrequests.get(u, json=q)\n")

    run = cli("--baseline", "baseline.json", "src")

    assert run.exit_code == 1
    found = [(f"{path}:{line}", code) for path, line, _, code in run.findings]
    assert found == [("src/other.py:2", "ML101"), ("src/sync.py:9", "ML102")]


def test_a_copy_of_a_recorded_line_is_a_new_finding(project: Path) -> None:
    path = write(project, "sync.py", OLD)
    cli("--write-baseline", "baseline.json", "sync.py")
    path.write_text(OLD + "    requests.get(url, json=ids)\n", encoding="utf-8")

    run = cli("--baseline", "baseline.json", "sync.py")

    assert run.exit_code == 1
    assert run.codes == ["ML101"]


def test_the_baseline_matches_from_another_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Paths in the baseline are relative to its own folder, not to where methodlint runs.
    write(project, "src/sync.py", OLD)
    cli("--write-baseline", "baseline.json", "src")
    monkeypatch.chdir(project / "src")

    run = cli("--baseline", "../baseline.json", "sync.py")

    assert run.exit_code == 0, run.stdout + run.stderr


def test_write_baseline_with_fix_records_what_remains(project: Path) -> None:
    write(
        project,
        "a.py",
        'import http.client\nhttp.client.HTTPConnection("h").request("post", "/", body=b"x")\n'
        "import requests\nrequests.get(u, json=q)\n",
    )

    run = cli("--fix", "--write-baseline", "baseline.json", "a.py")

    assert run.exit_code == 0
    document = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in document["findings"]] == ["ML101"]
    assert cli("--baseline", "baseline.json", "a.py").exit_code == 0


def test_diff_and_write_baseline_do_not_combine(project: Path) -> None:
    write(project, "a.py", OLD)

    run = cli("--diff", "--write-baseline", "baseline.json", "a.py")

    assert run.exit_code == 2
    assert not (project / "baseline.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file 'baseline.json' does not exist"),
        ("{", "baseline file 'baseline.json' is not valid JSON (line 1, column 2"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        ("[]", "is not a methodlint baseline"),
        ('{"findings": []}', "has version None; this methodlint reads version 1"),
        ('{"version": 99, "findings": []}', "has version 99"),
        ('{"version": 1, "findings": {}}', "'findings' is not a list"),
        ('{"version": 1, "findings": [1]}', "findings[0] is not an object"),
        (
            '{"version": 1, "findings": [{"path": "a.py", "code": "ML101"}]}',
            "findings[0] has no string 'fingerprint'",
        ),
    ],
    ids=[
        "missing",
        "not-json",
        "not-utf-8",
        "not-an-object",
        "no-version",
        "other-version",
        "findings-not-a-list",
        "finding-not-an-object",
        "finding-without-fingerprint",
    ],
)
def test_a_bad_baseline_exits_2_with_a_clear_message(
    project: Path, content: str | bytes | None, message: str
) -> None:
    write(project, "a.py", OLD)
    if isinstance(content, bytes):
        (project / "baseline.json").write_bytes(content)
    elif content is not None:
        write(project, "baseline.json", content)

    run = cli("--baseline", "baseline.json", "a.py")

    assert run.exit_code == 2
    assert message in run.stderr
    assert run.stderr.startswith("methodlint: ")
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_a_bad_baseline_stops_fix_before_any_file_is_written(project: Path) -> None:
    source = 'import http.client\nhttp.client.HTTPConnection("h").request("post", "/")\n'
    path = write(project, "a.py", source)

    run = cli("--fix", "--baseline", "missing.json", "a.py")

    assert run.exit_code == 2
    assert path.read_text() == source


def test_an_unwritable_baseline_exits_2(project: Path) -> None:
    write(project, "a.py", OLD)

    run = cli("--write-baseline", "no/such/folder/baseline.json", "a.py")

    assert run.exit_code == 2
    assert "cannot write baseline file 'no/such/folder/baseline.json'" in run.stderr


def test_write_baseline_records_every_finding_even_with_a_baseline(project: Path) -> None:
    write(project, "a.py", OLD)

    run = cli("--baseline", "baseline.json", "--write-baseline", "baseline.json", "a.py")

    assert run.exit_code == 0, run.stderr
    assert cli("--baseline", "baseline.json", "a.py").exit_code == 0
