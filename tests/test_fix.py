"""`--fix` and `--diff`: safe fixes change only the fixed text, keep the file's bytes, encoding,
line endings and mode, write atomically, and a second run changes nothing."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import cli, write

from methodlint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from methodlint.fix import apply_fixes, fix_file, write_atomically

# One ML402 on line 5 ("post" at columns 43-49), around it text a formatter would change.
LOWER_POST = (
    "import http.client\n"
    "\n"
    "host  =  'api.example.com'   # odd spacing, kept\n"
    "\n"
    'http.client.HTTPSConnection(host).request("post", "/x")\n'
    "x = [1,2 ,3]\t\n"
)
UPPER_POST = LOWER_POST.replace('"post"', '"POST"')
GET_WITH_BODY = "requests.get(url, json=q)\n"


def listing(folder: Path) -> list[str]:
    # The command line's result cache is not a file --fix wrote.
    return sorted(p.name for p in folder.iterdir() if p.name != ".methodlint_cache")


# --- --fix ---------------------------------------------------------------------------------------


def test_fix_changes_exactly_the_method_token(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)

    run = cli("--fix", "a.py")

    assert path.read_bytes() == UPPER_POST.encode()
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "Fixed 1 problem." in run.stderr


def test_a_second_fix_changes_nothing(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)
    cli("--fix", "a.py")
    after_first = path.read_bytes()
    mtime = path.stat().st_mtime_ns

    run = cli("--fix", "a.py")

    assert run.exit_code == 0
    assert path.read_bytes() == after_first
    assert path.stat().st_mtime_ns == mtime
    assert "Fixed" not in run.stderr


RETRY_POLICY = (
    "from urllib3.util.retry import Retry\n"
    "\n"
    'RETRY = Retry(total=3, allowed_methods=["get", "HEAD", "post"])  # a policy\n'
)


def test_fix_upper_cases_an_idempotent_allowed_methods_entry_only(project: Path) -> None:
    path = write(project, "a.py", RETRY_POLICY)

    first = cli("--fix", "a.py")
    after_first = path.read_bytes()
    second = cli("--fix", "a.py")

    # "get" silently disabled GET retries: fixed. Upper-casing "post" would start retrying
    # POST requests, so it is reported and left as it is.
    assert after_first == RETRY_POLICY.replace('"get"', '"GET"').encode()
    assert first.exit_code == 1 and "Fixed 1 problem." in first.stderr
    assert "'post' in the allowed methods" in first.stdout
    assert path.read_bytes() == after_first
    assert second.exit_code == 1 and "Fixed" not in second.stderr


def test_fix_reports_what_remains_and_exits_1(project: Path) -> None:
    write(project, "a.py", LOWER_POST + "import requests\n" + GET_WITH_BODY)

    run = cli("--fix", "a.py")

    assert run.exit_code == 1
    assert [line.split(" ")[:2] for line in run.stdout.splitlines()] == [["a.py:8:19:", "ML101"]]
    assert "Fixed 1 problem." in run.stderr
    assert "Found 1 problem" in run.stderr


def test_fix_reports_the_findings_of_the_fixed_file_not_the_original(project: Path) -> None:
    # Fixing changes no line numbers here, but the ML402 must be gone from the report.
    write(project, "a.py", LOWER_POST + "import requests\n" + GET_WITH_BODY)

    run = cli("--fix", "--output-format", "json", "a.py")

    assert '"ML402"' not in run.stdout and '"ML101"' in run.stdout


def test_fix_in_several_files_and_folders(project: Path) -> None:
    one = write(project, "pkg/one.py", LOWER_POST)
    two = write(project, "pkg/sub/two.py", LOWER_POST)
    clean = write(project, "pkg/clean.py", UPPER_POST)

    run = cli("--fix", "pkg")

    assert run.exit_code == 0
    assert one.read_text() == two.read_text() == clean.read_text() == UPPER_POST
    assert "Fixed 2 problems." in run.stderr


def test_fix_respects_the_selection(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)

    run = cli("--fix", "--ignore", "ML402", "a.py")

    assert run.exit_code == 0
    assert path.read_text() == LOWER_POST


def test_fix_respects_suppression_comments(project: Path) -> None:
    source = LOWER_POST.replace('"/x")\n', '"/x")  # noqa: ML402\n')
    path = write(project, "a.py", source)

    cli("--fix", "a.py")

    assert path.read_text() == source


def test_fix_does_not_touch_a_constant(project: Path) -> None:
    source = (
        "import http.client\n\nMETHOD = 'post'\n"
        "http.client.HTTPSConnection('h').request(METHOD, '/x')\n"
    )
    path = write(project, "a.py", source)

    run = cli("--fix", "a.py")

    assert run.exit_code == 1
    assert path.read_text() == source
    assert "ML402" in run.stdout


# --- --diff --------------------------------------------------------------------------------------


def test_diff_prints_the_fix_and_writes_nothing(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)
    mtime = path.stat().st_mtime_ns

    run = cli("--diff", "a.py")

    assert run.exit_code == 1
    assert run.stdout == (
        "--- a/a.py\n"
        "+++ b/a.py\n"
        "@@ -2,5 +2,5 @@\n"
        " \n"
        " host  =  'api.example.com'   # odd spacing, kept\n"
        " \n"
        '-http.client.HTTPSConnection(host).request("post", "/x")\n'
        '+http.client.HTTPSConnection(host).request("POST", "/x")\n'
        " x = [1,2 ,3]\t\n"
    )
    assert "Would fix 1 problem." in run.stderr
    assert path.read_text() == LOWER_POST
    assert path.stat().st_mtime_ns == mtime
    assert listing(project) == ["a.py"]


def test_diff_with_nothing_to_fix_exits_0(project: Path) -> None:
    write(project, "a.py", "import requests\n" + GET_WITH_BODY)

    run = cli("--diff", "a.py")

    assert run.exit_code == 0
    assert run.stdout == ""


def test_diff_marks_a_missing_newline_at_the_end(project: Path) -> None:
    write(project, "a.py", LOWER_POST.rstrip("\n").rsplit("\n", 1)[0])

    run = cli("--diff", "a.py")

    assert run.stdout.endswith(
        '+http.client.HTTPSConnection(host).request("POST", "/x")\n\\ No newline at end of file\n'
    )


def test_diff_wins_over_fix(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)

    run = cli("--fix", "--diff", "a.py")

    assert run.exit_code == 1
    assert path.read_text() == LOWER_POST
    assert run.stdout.startswith("--- a/a.py\n")


# --- standard input ------------------------------------------------------------------------------


def test_fix_of_standard_input_prints_the_fixed_source(project: Path) -> None:
    run = cli("--fix", "-", input=LOWER_POST)

    assert run.exit_code == 0
    assert run.stdout == UPPER_POST


def test_fix_of_standard_input_sends_remaining_findings_to_stderr(project: Path) -> None:
    source = LOWER_POST + "import requests\n" + GET_WITH_BODY

    run = cli("--fix", "-", "--stdin-filename", "src/a.py", input=source)

    assert run.exit_code == 1
    assert run.stdout == source.replace('"post"', '"POST"')
    assert "src/a.py:8:19: ML101" in run.stderr
    assert "ML402" not in run.stderr


def test_fix_of_standard_input_with_nothing_to_fix_prints_it_unchanged(project: Path) -> None:
    run = cli("--fix", "-", input="import os\nprint( 'x' )\n")

    assert run.exit_code == 0
    assert run.stdout == "import os\nprint( 'x' )\n"


def test_diff_of_standard_input(project: Path) -> None:
    run = cli("--diff", "-", "--stdin-filename", "a.py", input=LOWER_POST)

    assert run.exit_code == 1
    assert run.stdout.startswith("--- a/a.py\n+++ b/a.py\n")


# --- bytes, encoding, line endings, mode ---------------------------------------------------------


def test_fix_keeps_a_latin_1_file_latin_1(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n# Café, naïve: « non-ASCII » comment\n" + LOWER_POST
    path = write(project, "a.py", source.encode("latin-1"))

    run = cli("--fix", "a.py")

    assert run.exit_code == 0
    assert path.read_bytes() == source.replace('"post"', '"POST"').encode("latin-1")


def test_fix_keeps_a_byte_order_mark(project: Path) -> None:
    path = write(project, "a.py", b"\xef\xbb\xbf" + ("# é\n" + LOWER_POST).encode())

    cli("--fix", "a.py")

    assert path.read_bytes() == b"\xef\xbb\xbf" + ("# é\n" + UPPER_POST).encode()


def test_fix_counts_columns_in_code_points(project: Path) -> None:
    source = 'import http.client\nhttp.client.HTTPConnection("ü€😀").request("post", "/é")\n'
    path = write(project, "a.py", source)

    cli("--fix", "a.py")

    assert path.read_text(encoding="utf-8") == source.replace('"post"', '"POST"')


def test_fix_keeps_crlf_line_endings(project: Path) -> None:
    source = LOWER_POST.replace("\n", "\r\n")
    path = write(project, "a.py", source)

    run = cli("--fix", "a.py")

    assert run.exit_code == 0
    assert path.read_bytes() == UPPER_POST.replace("\n", "\r\n").encode()


def test_fix_keeps_the_file_mode(project: Path) -> None:
    path = write(project, "a.py", LOWER_POST)
    path.chmod(0o751)

    cli("--fix", "a.py")

    assert path.read_text() == UPPER_POST
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_fix_through_a_symlink_writes_its_target(project: Path) -> None:
    target = write(project, "real/a.py", LOWER_POST)
    link = project / "link.py"
    link.symlink_to(target)

    cli("--fix", "link.py")

    assert link.is_symlink()
    assert target.read_text() == UPPER_POST


# --- atomic writes -------------------------------------------------------------------------------


def test_fix_leaves_no_temporary_file(project: Path) -> None:
    write(project, "a.py", LOWER_POST)

    cli("--fix", "a.py")

    assert listing(project) == ["a.py"]


def _fail_while_writing(monkeypatch: pytest.MonkeyPatch, name: str, failing: str) -> None:
    """Make writing the file `name` fail with ENOSPC, while writing its temporary file
    (`write`) or when renaming it over the original (`replace`); other files are unaffected."""
    no_space = OSError(28, "No space left on device")
    real_mkstemp, real_fsync, real_replace = tempfile.mkstemp, os.fsync, os.replace
    ours: set[int] = set()

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        descriptor, temporary = real_mkstemp(*args, **kwargs)
        if str(kwargs.get("prefix", "")).startswith(f".{name}."):
            ours.add(descriptor)
        return descriptor, temporary

    def fsync(descriptor: int) -> None:
        if descriptor in ours:
            raise no_space
        real_fsync(descriptor)

    def replace(source: Any, target: Any, **kwargs: Any) -> None:
        if os.path.basename(target) == name:
            raise no_space
        real_replace(source, target, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    if failing == "write":
        monkeypatch.setattr(os, "fsync", fsync)
    else:
        monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("failing", ["write", "replace"])
def test_a_failure_while_writing_leaves_the_original_intact(
    project: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = write(project, "a.py", LOWER_POST)
    _fail_while_writing(monkeypatch, "a.py", failing)

    run = cli("--fix", "a.py")

    assert run.exit_code == 2
    assert "cannot fix a.py: cannot write it: No space left on device" in run.stderr
    assert "Traceback" not in run.stderr
    assert path.read_text() == LOWER_POST
    assert listing(project) == ["a.py"]
    assert "a.py:5:43: ML402" in run.stdout  # the finding is still there


def test_a_failure_on_one_file_does_not_stop_the_others(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = write(project, "a.py", LOWER_POST)
    fixed = write(project, "b.py", LOWER_POST)
    _fail_while_writing(monkeypatch, "a.py", "replace")

    run = cli("--fix", ".")

    assert run.exit_code == 2
    assert failing.read_text() == LOWER_POST
    assert fixed.read_text() == UPPER_POST
    assert "Fixed 1 problem." in run.stderr


def test_a_read_only_folder_is_an_error_not_a_traceback(project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    path = write(project, "ro/a.py", LOWER_POST)
    path.parent.chmod(0o555)
    try:
        run = cli("--fix", "ro/a.py")
    finally:
        path.parent.chmod(0o755)

    assert run.exit_code == 2
    assert "cannot fix ro/a.py: cannot write it" in run.stderr
    assert path.read_text() == LOWER_POST


def test_write_atomically_refuses_a_file_that_changed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.py", "new content\n")

    with pytest.raises(ValueError, match="changed"):
        write_atomically(path, b"fixed\n", expected=b"old content\n")

    assert path.read_text() == "new content\n"
    assert listing(tmp_path) == ["a.py"]


def test_write_atomically_creates_a_file_with_the_usual_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.json", b"{}\n")
    finally:
        os.umask(umask)

    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


# --- the mechanism, with any rule's edits --------------------------------------------------------


def _fix(*edits: tuple[tuple[int, int, int, int], str]) -> Fix:
    return Fix("test", tuple(Edit(Span(*span), content) for span, content in edits))


def test_apply_fixes_applies_edits_by_position() -> None:
    text = "a = 1\nb = 2\n"
    fixes = [_fix(((2, 5, 2, 6), "20")), _fix(((1, 1, 1, 2), "alpha"))]

    assert apply_fixes(text, fixes) == ("alpha = 1\nb = 20\n", 2)


def test_apply_fixes_skips_a_fix_that_overlaps_an_earlier_one() -> None:
    text = "value = 'post'\n"
    fixes = [
        _fix(((1, 1, 1, 6), "name")),
        _fix(((1, 3, 1, 4), "L")),  # inside the first
        _fix(((1, 15, 1, 15), "  # x"), ((1, 5, 1, 6), "E")),  # one of its edits overlaps
    ]

    assert apply_fixes(text, fixes) == ("name = 'post'\n", 1)


def test_apply_fixes_takes_two_insertions_at_one_place_once() -> None:
    assert apply_fixes("ab", [_fix(((1, 2, 1, 2), "1")), _fix(((1, 2, 1, 2), "2"))]) == ("a1b", 1)


def test_apply_fixes_skips_edits_outside_the_text() -> None:
    text = "a = 1\n"
    fixes = [_fix(((3, 1, 3, 2), "x")), _fix(((1, 9, 1, 10), "x")), _fix(((1, 5, 1, 6), "2"))]

    assert apply_fixes(text, fixes) == ("a = 2\n", 1)


def test_apply_fixes_deletes_whole_lines_and_writes_line_breaks_of_the_file() -> None:
    text = "a = 1\r\n# gone\r\nb = 2"
    fixes = [_fix(((2, 1, 3, 1), "")), _fix(((3, 6, 3, 6), "\nc = 3\n"))]

    assert apply_fixes(text, fixes) == ("a = 1\r\nb = 2\r\nc = 3\r\n", 2)


def _diagnostic(fix: Fix, line: int = 1, applicability: str = "safe") -> Diagnostic:
    fix = Fix(fix.message, fix.edits, applicability)
    return Diagnostic("XY1", "x", "m", "h", Severity.ERROR, "a.py", line, 1, line, 2, fix)


class ScriptedLinter:
    """A linter whose findings come from a list, one entry per call."""

    def __init__(self, rounds: Sequence[list[Diagnostic]]) -> None:
        self.rounds = list(rounds)
        self.seen: list[bytes] = []

    def __call__(self, data: bytes) -> list[Diagnostic]:
        self.seen.append(data)
        return self.rounds.pop(0) if self.rounds else []


def test_fix_file_applies_an_overlapping_fix_in_a_later_pass() -> None:
    first = _diagnostic(_fix(((1, 1, 1, 4), "get")))
    second = _diagnostic(_fix(((1, 1, 1, 2), "G")))  # overlaps the first
    third = _diagnostic(_fix(((1, 1, 1, 2), "G")))
    lint = ScriptedLinter([[first, second], [third], []])

    result = fix_file("a.py", b"GET = 1\n", lint)

    assert result.fixed == b"Get = 1\n"
    assert result.applied == 2
    assert lint.seen == [b"GET = 1\n", b"get = 1\n", b"Get = 1\n"]
    assert result.remaining == []


def test_fix_file_ignores_unsafe_fixes() -> None:
    unsafe = _diagnostic(_fix(((1, 1, 1, 2), "x")), applicability="unsafe")

    result = fix_file("a.py", b"a = 1\n", ScriptedLinter([[unsafe]]))

    assert not result.changed
    assert result.remaining == [unsafe]


def test_fix_file_never_writes_a_result_that_does_not_parse() -> None:
    broken = _diagnostic(_fix(((1, 3, 1, 4), "= =")))

    result = fix_file("a.py", b"a = 1\n", ScriptedLinter([[broken], [broken]]))

    assert not result.changed
    assert result.error is not None and "would not parse" in result.error


def test_fix_file_stops_after_a_bounded_number_of_passes() -> None:
    # A rule that always offers a fix that changes something must not loop forever.
    flip = [_diagnostic(_fix(((1, 1, 1, 2), c))) for c in "ba" * 20]
    result = fix_file("a.py", b"a\n", ScriptedLinter([[d] for d in flip]))

    assert result.applied == 10
