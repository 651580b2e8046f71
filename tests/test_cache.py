"""The result cache: the same findings cold and warm, nothing read or started when nothing
changed, and never a wrong result or a failure from whatever is in the cache folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import write

from methodlint import Diagnostic, cache, lint_paths
from methodlint.cache import CACHEDIR_TAG, DEFAULT_FOLDER, run_key
from methodlint.config import Config, load_config
from methodlint.engine import EngineSettings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
BODY_CALL = 'import requests\n\nrequests.get("https://x.test/", json={"q": 1})\n'
HEAD_CALL = 'import requests\n\nrequests.head("https://x.test/", data="x")\n'
# ML402 carries a fix; its line text has non-ASCII characters.
FIXABLE = (
    "import http.client\n"
    'c = http.client.HTTPSConnection("h\u00e9")\n'
    'c.request("post", "/\u00e9t\u00e9")  # \u00e9\n'
)
HOUR = 3600


def codes(diagnostics: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.code) for d in diagnostics]


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("cache-*.json"))


def only_cache_file(folder: Path) -> Path:
    [found] = cache_files(folder)
    return found


def read_entries(path: Path) -> dict[str, Any]:
    """The entries of a cache file (after its header line), its checksum unchecked."""
    entries: dict[str, Any] = json.loads(path.read_bytes().partition(b"\n")[2])
    return entries


def header(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(path.read_bytes().partition(b"\n")[0])
    return found


def rewrite_entries(path: Path, entries: dict[str, Any], checksum: bool = True) -> None:
    """Write changed entries, with a checksum that matches them (`checksum`) or the old one."""
    head = header(path)
    if checksum:
        path.write_text(cache._document(head["key"], entries))
    else:
        body = json.dumps(entries, separators=(",", ":"))
        path.write_text(json.dumps(head) + "\n" + body)


# --- cold and warm give the same findings ------------------------------------------------------


def test_cold_and_warm_agree_on_the_fixtures(tmp_path: Path) -> None:
    config = Config(select=("ALL",), root=FIXTURES)
    folder = tmp_path / "cache"
    cold = lint_paths([str(FIXTURES)], config, cache=folder)
    warm = lint_paths([str(FIXTURES)], config, cache=folder)
    uncached = lint_paths([str(FIXTURES)], config)
    assert cold.diagnostics
    assert cold == warm == uncached
    # Every field survives the cache, the fixes and the line texts included.
    assert any(d.fix is not None for d in warm.diagnostics)
    assert all(d.line_text for d in warm.diagnostics if d.code != "ML002")


def test_diagnostics_round_trip_exactly(project: Path) -> None:
    write(project, "fixable.py", FIXABLE, age=HOUR)
    write(project, "broken.py", "import requests\ndef f(:\n", age=HOUR)
    write(project, "latin.py", b"import requests\nx = '\xe9'\n", age=HOUR)
    cold = lint_paths(["."], Config(select=("ALL",)), cache=True)
    warm = lint_paths(["."], Config(select=("ALL",)), cache=True)
    assert {d.code for d in cold.diagnostics} >= {"ML001", "ML002", "ML402"}
    assert [d.fix for d in cold.diagnostics if d.code == "ML402"] != [None]
    assert warm.diagnostics == cold.diagnostics


def test_the_command_line_output_is_the_same_cold_and_warm(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    write(project, "b.py", FIXABLE)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "methodlint", "--output-format", "json", "."],
            cwd=project,
            capture_output=True,
            text=True,
        )

    cold, warm = run(), run()
    assert cold.returncode == warm.returncode == 1
    assert cold.stdout == warm.stdout
    assert (project / DEFAULT_FOLDER).is_dir()


# --- a warm run reads nothing, imports no LibCST and starts no worker --------------------------

PROBE = textwrap.dedent(
    """
    import json, os, sys
    project = os.getcwd()
    opened, started = [], []

    def hook(event, args):
        if event == "open" and isinstance(args[0], str) and args[0].startswith(project):
            if args[0].endswith(".py"):
                opened.append(os.path.relpath(args[0], project))
        elif event in ("os.fork", "os.forkpty", "os.posix_spawn", "subprocess.Popen"):
            started.append(event)

    sys.addaudithook(hook)
    from methodlint.cli import main
    try:
        main(sys.argv[2:])
    except SystemExit as exit:
        status = exit.code
    libcst = sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))
    with open(sys.argv[1], "w") as out:
        json.dump({"status": status, "opened": opened, "started": started,
                   "libcst": libcst[:3]}, out)
    """
)


def probe(project: Path, *args: str) -> dict[str, object]:
    result = project.parent / "probe.json"
    subprocess.run(
        [sys.executable, "-c", PROBE, str(result), *args],
        cwd=project,
        capture_output=True,
        check=True,
    )
    found: dict[str, object] = json.loads(result.read_text())
    return found


def test_a_warm_run_reads_no_file_imports_no_libcst_and_starts_no_worker(project: Path) -> None:
    for number in range(5):
        write(project, f"pkg/http_{number}.py", BODY_CALL, age=HOUR)
        write(project, f"pkg/plain_{number}.py", "x = 1\n", age=HOUR)

    cold = probe(project, "-q", ".")
    warm = probe(project, "-q", ".")

    assert cold["status"] == warm["status"] == 1
    assert cold["started"]  # the files are read by workers
    assert warm == {"status": 1, "opened": [], "started": [], "libcst": []}


def test_a_warm_run_writes_nothing(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    write(project, "b.py", "x = 1\n", age=HOUR)
    lint_paths(["."], cache=True)
    path = only_cache_file(project / DEFAULT_FOLDER)
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before - 10**9, before - 10**9))
    lint_paths(["."], cache=True)
    assert path.stat().st_mtime_ns == before - 10**9


def test_a_touched_file_is_hashed_not_parsed(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    lint_paths(["."], cache=True)
    os.utime(project / "a.py")  # same content, new mtime

    profile = subprocess.run(
        [sys.executable, "-m", "methodlint", "-q", "."],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "METHODLINT_PROFILE": "1"},
    )

    line = next(x for x in profile.stderr.splitlines() if x.startswith("methodlint profile: "))
    phases = json.loads(line.removeprefix("methodlint profile: "))
    assert phases["files_read"] == 1
    assert phases["files_parsed"] == 0
    assert phases["parse"] == 0
    assert profile.stdout.count("ML101") == 1
    # The new mtime is recorded: the next run does not read the file.
    entry = read_entries(only_cache_file(project / DEFAULT_FOLDER))
    assert entry[str(project / "a.py")][1] == (project / "a.py").stat().st_mtime_ns


# --- what invalidates an entry or the whole cache ----------------------------------------------


def test_a_changed_file_is_checked_again(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    assert codes(lint_paths(["."], cache=True).diagnostics) == [("a.py", 3, "ML101")]
    write(project, "a.py", HEAD_CALL + "\n")
    assert codes(lint_paths(["."], cache=True).diagnostics) == [("a.py", 3, "ML102")]


def test_a_change_of_the_same_size_within_the_same_mtime_is_seen(project: Path) -> None:
    # Racy: the file is changed in the same clock tick as the run that cached it. Its entry is
    # only trusted by content hash.
    path = write(project, "a.py", BODY_CALL)
    [before] = lint_paths(["."], cache=True).diagnostics
    stat = path.stat()
    path.write_text(BODY_CALL.replace("json=", "data="), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    [after] = lint_paths(["."], cache=True).diagnostics
    assert "(json=)" in before.message
    assert "(data=)" in after.message


def test_a_new_and_a_deleted_file(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    lint_paths(["."], cache=True)
    write(project, "b.py", BODY_CALL, age=HOUR)
    assert codes(lint_paths(["."], cache=True).diagnostics) == [
        ("a.py", 3, "ML101"),
        ("b.py", 3, "ML101"),
    ]
    (project / "a.py").unlink()
    write(project, "c.py", "x = 1\n")  # a change, so that the cache is written again
    assert codes(lint_paths(["."], cache=True).diagnostics) == [("b.py", 3, "ML101")]
    files = read_entries(only_cache_file(project / DEFAULT_FOLDER))
    assert str(project / "a.py") not in files


def test_a_run_on_some_files_keeps_the_entries_of_the_others(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    write(project, "b.py", BODY_CALL, age=HOUR)
    lint_paths(["."], cache=True)
    write(project, "a.py", HEAD_CALL)
    lint_paths(["a.py"], cache=True)  # as pre-commit does
    files = read_entries(only_cache_file(project / DEFAULT_FOLDER))
    assert {str(project / "a.py"), str(project / "b.py")} <= set(files)


def test_another_configuration_has_its_own_cache_file(project: Path) -> None:
    write(project, "a.py", BODY_CALL + "requests.head(u, data=1)\n", age=HOUR)
    both = lint_paths(["."], cache=True)
    only_101 = lint_paths(["."], Config(select=("ML101",)), cache=True)
    assert [d.code for d in both.diagnostics] == ["ML101", "ML102"]
    assert [d.code for d in only_101.diagnostics] == ["ML101"]
    assert len(cache_files(project / DEFAULT_FOLDER)) == 2
    assert lint_paths(["."], cache=True) == both


def test_per_file_ignores_apply_to_cached_results(project: Path) -> None:
    write(project, "tests/test_a.py", BODY_CALL, age=HOUR)
    ignoring = Config(per_file_ignores=(("tests/**", ("ML101",)),))
    assert lint_paths(["."], ignoring, cache=True).diagnostics == []
    assert codes(lint_paths(["."], cache=True).diagnostics) == [("tests/test_a.py", 3, "ML101")]
    assert lint_paths(["."], ignoring, cache=True).diagnostics == []


def test_the_display_path_follows_the_current_folder(project: Path) -> None:
    write(project, "pkg/a.py", BODY_CALL, age=HOUR)
    folder = project / "cache"
    assert codes(lint_paths(["pkg"], cache=folder).diagnostics) == [("pkg/a.py", 3, "ML101")]
    os.chdir(project / "pkg")
    assert codes(lint_paths(["."], cache=folder).diagnostics) == [("a.py", 3, "ML101")]


def settings(**options: object) -> EngineSettings:
    return EngineSettings.from_config(Config(**options))  # type: ignore[arg-type]


def test_the_run_key_covers_version_settings_and_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    base = run_key(settings(), "1.0")
    assert run_key(settings(), "1.0") == base
    assert run_key(settings(), "1.1") != base
    assert run_key(settings(extra_methods=("PURGE",)), "1.0") != base
    assert run_key(settings(select=("ML101",)), "1.0") != base
    assert run_key(settings(max_file_size=10), "1.0") != base
    assert run_key(settings(http_modules=(("httpx2", "httpx"),)), "1.0") != base
    # Settings that do not change what a file produces do not change the key.
    assert run_key(settings(output_format="json", exclude=()), "1.0") == base
    monkeypatch.setattr(cache, "_plugins", lambda: [["x", "x:Rule", "methodlint-x", "2.0"]])
    assert run_key(settings(), "1.0") != base


def test_the_run_key_does_not_depend_on_hash_seeds() -> None:
    code = (
        "from methodlint.cache import run_key\n"
        "from methodlint.config import Config\n"
        "from methodlint.engine import EngineSettings\n"
        "c = Config(extra_methods=('PURGE', 'LINK', 'UNLINK'), idempotency_headers=('A', 'B'))\n"
        "print(run_key(EngineSettings.from_config(c), '1'))\n"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(keys) == 1


# --- where the cache lives, and --no-cache -----------------------------------------------------


def test_the_cache_folder_is_tagged_and_ignored_by_git(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    lint_paths(["."], cache=True)
    folder = project / DEFAULT_FOLDER
    assert (folder / ".gitignore").read_text() == "*\n"
    assert (folder / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert CACHEDIR_TAG.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert not list(folder.glob(".tmp-*"))


def test_the_cache_lives_beside_the_configuration(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.methodlint]\n")
    write(project, "src/a.py", BODY_CALL)
    os.chdir(project / "src")
    done = subprocess.run(
        [sys.executable, "-m", "methodlint", "-q", "a.py"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert (project / DEFAULT_FOLDER).is_dir()
    assert not (project / "src" / DEFAULT_FOLDER).exists()
    assert lint_paths(["a.py"], load_config(project / "pyproject.toml"), cache=True).diagnostics


def test_no_cache_and_cache_dir(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    run = [sys.executable, "-m", "methodlint", "-q"]
    subprocess.run([*run, "--no-cache", "."], cwd=project, capture_output=True, check=False)
    assert not (project / DEFAULT_FOLDER).exists()
    subprocess.run([*run, "--cache-dir", "elsewhere", "."], cwd=project, capture_output=True)
    assert not (project / DEFAULT_FOLDER).exists()
    assert cache_files(project / "elsewhere")


def test_the_api_does_not_cache_unless_asked(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    lint_paths(["."])
    assert not (project / DEFAULT_FOLDER).exists()


def test_standard_input_is_never_cached(project: Path) -> None:
    report = lint_paths(["-"], stdin=BODY_CALL.encode(), stdin_filename="a.py", cache=True)
    assert codes(report.diagnostics) == [("a.py", 3, "ML101")]
    assert not (project / DEFAULT_FOLDER).exists()
    write(project, "a.py", "x = 1\n")
    lint_paths(["a.py"], cache=True)
    report = lint_paths(["-"], stdin=BODY_CALL.encode(), stdin_filename="a.py", cache=True)
    assert codes(report.diagnostics) == [("a.py", 3, "ML101")]


# --- a bad cache is never trusted and never fatal ----------------------------------------------


def prepared(project: Path) -> tuple[Path, list[Diagnostic]]:
    write(project, "a.py", BODY_CALL, age=HOUR)
    write(project, "b.py", FIXABLE, age=HOUR)
    expected = lint_paths(["."], cache=True).diagnostics
    return only_cache_file(project / DEFAULT_FOLDER), expected


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "\x00\xff garbage", id="garbage"),
        pytest.param(lambda text: "[" * 100_000, id="deeply-nested"),
        pytest.param(lambda text: "[]", id="not-an-object"),
        pytest.param(lambda text: text.replace('"format": 3', '"format": 99'), id="other-format"),
        pytest.param(lambda text: text.replace('"key": "', '"key": "x'), id="other-key"),
        pytest.param(lambda text: text.replace("\n{", '\n{"x":1,', 1), id="bad-entry"),
        pytest.param(lambda text: text.replace("\n", " ", 1), id="no-header-line"),
        pytest.param(lambda text: text.replace(",3,", ",4,", 1), id="one-digit-changed"),
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(project: Path, damage: object) -> None:
    path, expected = prepared(project)
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    assert lint_paths(["."], cache=True).diagnostics == expected
    assert lint_paths(["."], cache=True).diagnostics == expected
    assert header(path)["format"] == cache.FORMAT


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda entry: entry.__setitem__(4, "x"), id="diagnostics-not-a-list"),
        pytest.param(lambda entry: entry[4][0].__setitem__(5, "3"), id="line-not-an-int"),
        pytest.param(lambda entry: entry[4][0].__setitem__(4, "fatal"), id="unknown-severity"),
        pytest.param(lambda entry: entry[4][0].pop(), id="too-few-fields"),
        pytest.param(lambda entry: entry.__setitem__(3, 1), id="trusted-not-a-bool"),
        pytest.param(lambda entry: entry[4][0][9].__setitem__(2, [[1]]), id="bad-fix"),
    ],
)
def test_an_invalid_entry_is_checked_again(project: Path, change: object) -> None:
    path, expected = prepared(project)
    entries = read_entries(path)
    [key] = [k for k in entries if k.endswith("b.py")]
    change(entries[key])  # type: ignore[operator]
    rewrite_entries(path, entries)
    assert lint_paths(["."], cache=True).diagnostics == expected


def test_an_entry_with_a_wrong_finding_is_trusted_only_while_the_file_is_unchanged(
    project: Path,
) -> None:
    # The cache is not a security boundary; but an edited file is never answered from it.
    path, _ = prepared(project)
    entries = read_entries(path)
    [key] = [k for k in entries if k.endswith("a.py")]
    entries[key][4] = []
    rewrite_entries(path, entries)
    write(project, "a.py", BODY_CALL + "\n")
    assert [d.code for d in lint_paths(["a.py"], cache=True).diagnostics] == ["ML101"]


def test_an_unwritable_cache_folder_is_not_fatal(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    write(project, "not-a-folder", "")
    report = lint_paths(["."], cache=project / "not-a-folder" / "cache")
    assert codes(report.diagnostics) == [("a.py", 3, "ML101")]
    done = subprocess.run(
        [sys.executable, "-m", "methodlint", "--cache-dir", "not-a-folder/cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "a.py:3:" in done.stdout


def test_a_cache_that_cannot_be_written_is_not_fatal(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", BODY_CALL)

    def refuse(path: Path, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cache, "_write_atomically", refuse)
    report = lint_paths(["."], cache=project / "cache")
    assert codes(report.diagnostics) == [("a.py", 3, "ML101")]
    assert not cache_files(project / "cache")


def test_old_cache_files_of_other_configurations_are_pruned(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    folder = project / DEFAULT_FOLDER
    folder.mkdir()
    for number in range(12):
        stale = write(folder, f"cache-{number:024}.json", "{}")
        os.utime(stale, (number, number))
    write(folder, ".tmp-1-stale", "", age=2 * HOUR)
    lint_paths(["."], cache=True)
    left = cache_files(folder)
    assert len(left) == cache.KEEP_OTHER_KEYS + 1
    assert folder / f"cache-{0:024}.json" not in left
    assert not list(folder.glob(".tmp-*"))
