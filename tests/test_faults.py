"""Faults that must not stick (a killed worker, a time or memory limit, an altered or odd
cache), processes and signals (interruptions, a dead main process, --jobs), and resource bombs
the screens must stop before LibCST sees them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import run_module, write
from test_pool import crash_on_marker, needs_fork, summary

from methodlint import lint_paths, lint_source, runner, worker
from methodlint.cache import DEFAULT_FOLDER, Cache, run_key
from methodlint.config import Config
from methodlint.engine import EngineSettings

BODY_CALL = 'import requests\n\nrequests.get("https://x.test/", json={"q": 1})\n'
MARKED = BODY_CALL + "# CRASH\n"
HOUR = 3600


def cache_entries(project: Path, config: Config | None = None) -> dict[str, object]:
    """The valid entries of the project's cache, by file name."""
    from methodlint import __version__

    settings = EngineSettings.from_config(config or Config())
    store = Cache.load(project / DEFAULT_FOLDER, run_key(settings, __version__))
    return {Path(path).name: store.get(path) for path in list(store._raw)}


# --- only deterministic outcomes are cached ----------------------------------------------------


@needs_fork
def test_a_worker_killed_from_outside_is_reported_and_retried_next_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "victim.py", MARKED, age=HOUR)
    write(project, "other.py", BODY_CALL, age=HOUR)
    with monkeypatch.context() as patch:
        crash_on_marker(patch, project, "kill")
        report = lint_paths(["."], jobs=1, cache=True)
    [killed] = [d for d in report.diagnostics if d.path == "victim.py"]
    assert killed.code == "ML003"
    assert "killed (SIGKILL)" in killed.message
    assert "memory" in killed.message
    assert "please report" not in killed.message
    assert "victim.py" not in cache_entries(project)

    # The next run (no more killing) checks the file again and finds what it holds.
    again = lint_paths(["."], jobs=1, cache=True)
    assert summary(again.diagnostics) == [("other.py", 3, "ML101"), ("victim.py", 3, "ML101")]


@needs_fork
def test_a_crash_that_reproduces_alone_is_cached(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "crasher.py", MARKED, age=HOUR)
    with monkeypatch.context() as patch:
        crash_on_marker(patch, project, "segv")
        lint_paths(["."], jobs=1, cache=True)
    # Deterministic: the verdict stands while the file is unchanged.
    [again] = lint_paths(["."], jobs=1, cache=True).diagnostics
    assert "the parser crashed (signal SIGSEGV)" in again.message


@needs_fork
def test_a_file_that_runs_past_the_time_limit_is_ml003_and_the_run_goes_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(4):
        write(project, f"mod_{number}.py", BODY_CALL, age=HOUR)
    write(project, "spins.py", MARKED, age=HOUR)
    crash_on_marker(monkeypatch, project, "spin")
    # Generous for the other files on a loaded machine (the first one imports LibCST).
    config = Config(time_limit=4)

    started = time.monotonic()
    report = lint_paths(["."], config, jobs=2, cache=True)

    assert time.monotonic() - started < 30
    [slow] = [d for d in report.diagnostics if d.path == "spins.py"]
    assert slow.code == "ML003"
    assert "analysis took longer than 4 s (time-limit)" in slow.message
    assert slow.line_text == "import requests"
    assert summary([d for d in report.diagnostics if d.path != "spins.py"]) == [
        (f"mod_{n}.py", 3, "ML101") for n in range(4)
    ]
    assert "spins.py" not in cache_entries(project, config)


@needs_fork
def test_a_file_past_the_memory_limit_is_ml003_and_not_cached(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "hungry.py", MARKED, age=HOUR)
    write(project, "other.py", BODY_CALL, age=HOUR)
    crash_on_marker(monkeypatch, project, "memory")
    config = Config(memory_limit=1024)

    report = lint_paths(["."], config, jobs=1, cache=True)

    [hungry] = [d for d in report.diagnostics if d.path == "hungry.py"]
    assert hungry.code == "ML003"
    assert "exceeded 1,024 MB (memory-limit)" in hungry.message
    assert "hungry.py" not in cache_entries(project, config)
    assert [d.path for d in report.diagnostics if d.code == "ML101"] == ["other.py"]


@needs_fork
def test_the_allocators_messages_stay_off_the_terminal(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    write(project, "aborts.py", MARKED)
    crash_on_marker(monkeypatch, project, "allocator")

    report = lint_paths(["."], Config(memory_limit=1024), jobs=1)

    [aborted] = report.diagnostics
    assert "exceeded 1,024 MB (memory-limit)" in aborted.message
    assert "memory allocation" not in capfd.readouterr().err


def test_the_limits_are_configuration_keys_that_keep_the_cache() -> None:
    config = Config.from_mapping({"memory-limit": 4096, "time-limit": 2.5})
    assert (config.memory_limit, config.time_limit) == (4096, 2.5)
    settings = EngineSettings.from_config(config)
    assert run_key(settings, "1") == run_key(EngineSettings.from_config(Config()), "1")
    from methodlint.config import ConfigError

    with pytest.raises(ConfigError, match="memory-limit must be at least 1024"):
        Config.from_mapping({"memory-limit": 10})
    with pytest.raises(ConfigError, match="time-limit must be a number of seconds"):
        Config.from_mapping({"time-limit": "1m"})


# --- what is in the cache folder ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_something_else_in_place_of_the_cache_file_is_not_read(project: Path, kind: str) -> None:
    write(project, "a.py", BODY_CALL, age=HOUR)
    first = run_module(project, ".")
    assert first.returncode == 1
    [path] = (project / DEFAULT_FOLDER).glob("cache-*.json")
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()

    # A FIFO would hang the read, /dev/zero would be read until memory runs out.
    done = run_module(project, ".", timeout=30)

    assert (done.returncode, done.stdout) == (first.returncode, first.stdout)
    assert "Traceback" not in done.stderr


# --- interruptions, a dead main process, --jobs ------------------------------------------------

# Runs the command with the files marked `# CRASH` making the analysis spin (a slow file).
SPIN_LAUNCHER = textwrap.dedent(
    """
    import sys
    from methodlint import worker

    real = worker.check

    def check(linter, job, hashing):
        with open(job.path, "rb") as handle:
            if b"# CRASH" in handle.read():
                while True:
                    pass
        return real(linter, job, hashing)

    worker.check = check
    sys.argv = ["methodlint", *sys.argv[1:]]
    from methodlint.__main__ import run

    run()
    """
)


def spin_command(*args: str) -> list[str]:
    return [sys.executable, "-c", SPIN_LAUNCHER, *args]


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with open(task / "children") as handle:
            found.update(int(child) for child in handle.read().split())
    return found


def wait_for(condition: object, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] not in "ZX"
    except OSError:
        return False


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/task").exists() or sys.platform != "linux",
    reason="finds worker processes through /proc (Linux)",
)


@needs_proc
def test_workers_exit_when_the_main_process_is_killed(project: Path) -> None:
    for number in range(4):
        write(project, f"slow_{number}.py", MARKED)
    process = subprocess.Popen(
        spin_command("--no-cache", "--jobs", "2", "."),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: len(children(process.pid)) >= 1), "no worker started"
        workers = children(process.pid)
        process.kill()
        process.wait(timeout=10)
        # The workers hold no end of the main process's pipes: its output ends.
        process.communicate(timeout=10)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@needs_proc
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_exits_130_with_one_line_and_leaves_nothing(
    project: Path, signum: int
) -> None:
    for number in range(3):
        write(project, f"mod_{number}.py", BODY_CALL)
    write(project, "slow.py", MARKED)
    process = subprocess.Popen(
        spin_command("--jobs", "2", "."),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Once a worker spins on slow.py, the others are done or under way.
        assert wait_for(lambda: len(children(process.pid)) >= 1), "no worker started"
        time.sleep(1.0)
        process.send_signal(signum)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert err.splitlines()[-1:] == ["methodlint: interrupted"]
    assert "Traceback" not in err
    leftovers = [p.name for p in project.rglob("*") if ".tmp" in p.name]
    assert leftovers == []
    # The cache, if any was written, is whole (its checksum matches).
    from methodlint.cache import _parse_document

    for path in (project / DEFAULT_FOLDER).glob("cache-*.json"):
        key = json.loads(path.read_bytes().partition(b"\n")[0])["key"]
        assert _parse_document(path.read_bytes(), key) is not None


def test_an_interruption_during_start_up_is_one_line(project: Path) -> None:
    # Interrupt while the command imports its modules (a slow import stands in for start-up).
    launcher = textwrap.dedent(
        """
        import os, signal, sys
        sys.argv = ["methodlint", "."]
        from methodlint import __main__ as entry
        real = entry.signal.signal

        def installed(*args):
            result = real(*args)
            if args[0] == signal.SIGHUP:
                os.kill(os.getpid(), signal.SIGINT)  # handlers are set: now start-up begins
            return result

        entry.signal.signal = installed
        entry.run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130
    assert done.stderr == "methodlint: interrupted\n"


def test_an_interruption_that_lands_in_a_weakref_callback_still_ends_the_run(
    project: Path,
) -> None:
    # Python runs a signal's handler wherever the main thread is: in a weakref callback (as
    # importlib's module locks have) the exception it raises would be printed and dropped,
    # and the run would go on as if never interrupted.
    launcher = textwrap.dedent(
        """
        import os, signal, sys, time, weakref
        sys.argv = ["methodlint", "."]
        from methodlint import __main__ as entry
        import methodlint.cli

        class Thing:
            pass

        def callback(reference):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100_000):  # the handler runs here, inside the callback
                pass

        def main():
            thing = Thing()
            reference = weakref.ref(thing, callback)
            del thing
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                time.sleep(0.01)
            print("not interrupted")

        methodlint.cli.main = main
        entry.run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.stdout == ""
    assert done.stderr == "methodlint: interrupted\n"
    assert done.returncode == 130


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_an_interruption_while_the_entry_point_is_imported_is_one_line(
    project: Path, name: str
) -> None:
    # The console script imports `methodlint.__main__`, then calls `run`: a signal between the
    # two (while the entry module's own imports run) is one line and status 130 too.
    launcher = textwrap.dedent(
        f"""
        import os, signal
        import methodlint.__main__
        os.kill(os.getpid(), signal.{name})
        methodlint.__main__.run()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130
    assert done.stderr == "methodlint: interrupted\n"
    assert done.stdout == ""


@needs_fork
def test_an_interrupted_run_saves_the_finished_entries(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(6):
        write(project, f"mod_{number}.py", BODY_CALL, age=HOUR)
    real = runner._Dispatcher._finish
    finished: list[int] = []

    def finish(self: runner._Dispatcher, index: int, outcome: worker.Outcome) -> object:
        if len(finished) == 3:
            raise KeyboardInterrupt
        finished.append(index)
        return real(self, index, outcome)

    monkeypatch.setattr(runner._Dispatcher, "_finish", finish)
    with pytest.raises(KeyboardInterrupt):
        lint_paths(["."], jobs=1, cache=True)

    assert len(cache_entries(project)) == 3


def test_jobs_are_capped_at_the_core_count(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(20):
        write(project, f"mod_{number}.py", BODY_CALL)
    limits: list[int] = []
    real = runner._Dispatcher.__init__

    def init(
        self: runner._Dispatcher, jobs: object, settings: object, workers: int, *rest: object
    ) -> None:
        limits.append(workers)
        real(self, jobs, settings, workers, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(runner._Dispatcher, "__init__", init)
    monkeypatch.setattr(runner, "default_jobs", lambda: 2)

    report = lint_paths(["."], jobs=64)

    assert limits == [2]
    assert len(report.diagnostics) == 20


# --- screens: nesting LibCST recurses on, wherever it is ---------------------------------------


def codes(data: str) -> list[tuple[int, str, str]]:
    return [(d.line, d.code, d.message) for d in lint_source(data, "input.py")]


CALL_LINE = 'requests.get("u", json=1)\n'


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        pytest.param("x = " + "lambda: " * 4000 + "1", "nested more than 200", id="lambda-chain"),
        pytest.param(
            'x = f"{' + "(" * 3000 + "1" + ")" * 3000 + '}"',
            "nested more than 200",
            id="brackets-in-an-f-string",
        ),
        pytest.param(
            'x = f"{' + "+".join(["a"] * 8000) + '}"',
            "more than 2,000 operators",
            id="chain-in-an-f-string",
        ),
        pytest.param(
            "x = f'{f\"{" + "[" * 300 + "]" * 300 + "}\"}'",
            "nested more than 200",
            id="nested-f-strings",
        ),
    ],
)
def test_bombs_are_ml003_without_parsing(bomb: str, message: str) -> None:
    # lint_source applies the same screens as the command.
    [(line, code, text)] = codes(f"import requests\n{bomb}\n{CALL_LINE}")
    assert (line, code) == (1, "ML003")
    assert message in text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" + ", ".join(["lambda: 1"] * 400) + "]", id="many-lambdas-side-by-side"),
        pytest.param('f"{a + b} and {c}" * 3 + f"{{literal}}"', id="ordinary-f-strings"),
        pytest.param('f"' + "-" * 5000 + '{x}"', id="long-literal-text-in-an-f-string"),
    ],
)
def test_ordinary_lambdas_and_f_strings_are_analysed(text: str) -> None:
    assert [
        (line, code) for line, code, _ in codes(f"import requests\nx = {text}\n{CALL_LINE}")
    ] == [(3, "ML101")]


def test_a_long_list_of_http_modules_keeps_the_prefilter_one_pass() -> None:
    names = {f"client_{n}": "requests" for n in range(5000)}
    config = Config.from_mapping({"http-modules": names})
    source = "import client_4321\n\nclient_4321.get('u', json=1)\n"
    assert [(d.line, d.code) for d in lint_source(source, config=config)] == [(3, "ML101")]
    from methodlint.engine import PreFilter

    prefilter = PreFilter.for_modules(names)
    data = b"x = 1\n" * 20_000 + b"import os\n"
    started = time.perf_counter()
    for _ in range(5):
        assert not prefilter(data)
    few = PreFilter.for_modules()
    few_started = time.perf_counter()
    for _ in range(5):
        assert not few(data)
    # Not a timing test of the machine: the two must be of one order, not 5,000 passes apart.
    many_seconds = few_started - started
    few_seconds = time.perf_counter() - few_started
    assert many_seconds < 50 * max(few_seconds, 1e-3)


def test_the_json_of_a_cache_is_never_read_past_its_bound(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from methodlint import cache

    write(project, "a.py", BODY_CALL, age=HOUR)
    expected = lint_paths(["."], cache=True).diagnostics
    [path] = (project / DEFAULT_FOLDER).glob("cache-*.json")
    monkeypatch.setattr(cache, "MAX_CACHE_BYTES", path.stat().st_size - 1)
    # Too large: ignored (a cold run), rewritten, and the findings are the same.
    assert lint_paths(["."], cache=True).diagnostics == expected
    assert json.loads(path.read_bytes().partition(b"\n")[0])["format"] == cache.FORMAT
