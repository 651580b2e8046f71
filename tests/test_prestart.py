"""The worker the command starts before it reads its arguments (`methodlint.prestart`): a
small run is checked by it, a run that needs no worker ends it, a dead one is replaced, and
an interruption of the whole process group (Ctrl-C in a terminal) is still one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import click
import pytest
from helpers import run_module, write
from test_faults import MARKED, spin_command, wait_for
from test_pool import needs_fork

from methodlint import lint_paths, prestart, runner

BODY_CALL = 'import requests\n\nrequests.get("https://x.test/", json={"q": 1})\n'

early = pytest.mark.skipif(
    not prestart.wanted(["."]),
    reason="no worker is started early here (one core, or fork is not safe)",
)
on_linux = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="processes are found through /proc"
)


def profile_of(stderr: str) -> dict[str, float]:
    [line] = [line for line in stderr.splitlines() if line.startswith("methodlint profile: ")]
    loaded: dict[str, float] = json.loads(line.partition(": ")[2])
    return loaded


def processes_marked(marker: str) -> list[int]:
    """The processes whose environment holds `marker` (a run's and its children's)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue  # ended meanwhile, or another user's
    return found


@early
def test_a_small_run_is_checked_by_the_worker_started_first(project: Path) -> None:
    write(project, "a.py", BODY_CALL)
    write(project, "b.py", "import requests\n\nrequests.head('https://x.test/', data='x')\n")
    environment = {**os.environ, "METHODLINT_PROFILE": "1"}
    done = run_module(project, "--no-cache", "a.py", "b.py", env=environment)
    assert done.returncode == 1, done.stderr
    assert "a.py:3:33: ML101" in done.stdout
    assert "b.py:3:" in done.stdout
    profile = profile_of(done.stderr)
    assert (profile["workers"], profile["prestarted"]) == (1, 1)
    # Turned off: the same findings from a worker started when the files are known.
    turned_off = run_module(
        project, "--no-cache", "a.py", "b.py", env={**environment, "METHODLINT_PRESTART": "0"}
    )
    assert turned_off.stdout == done.stdout
    profile = profile_of(turned_off.stderr)
    assert (profile["workers"], profile["prestarted"]) == (1, 0)


@early
@on_linux
def test_a_run_that_needs_no_worker_ends_the_one_started_first(project: Path) -> None:
    write(project, "a.py", BODY_CALL, age=3600)
    assert run_module(project, "a.py").returncode == 1  # fills the cache
    marker = f"METHODLINT_TEST_RUN={uuid.uuid4().hex}"
    name, _, value = marker.partition("=")
    environment = {**os.environ, "METHODLINT_PROFILE": "1", name: value}
    done = run_module(project, "a.py", env=environment)
    assert done.returncode == 1
    assert "a.py:3:33: ML101" in done.stdout
    assert profile_of(done.stderr)["workers"] == 0
    # Nothing the run started outlives it.
    assert wait_for(lambda: not processes_marked(marker), timeout=10)


def test_commands_that_check_no_file_start_no_worker() -> None:
    for argv in (["--help"], ["-h"], ["--version"], ["--explain", "ML101"], ["--explain=ML101"]):
        assert not prestart.wanted(argv)
    assert not prestart.wanted(["server"])
    assert not prestart.wanted(["-v", "server"])
    assert not prestart.wanted(["--verbose", "server"])
    assert not prestart.wanted(["--list-rules", "--output-format", "json"])
    # Each is an option of the command (a renamed option would start a worker in vain).
    from methodlint.cli import main

    every = main.get_params(click.Context(main, **main.context_settings))  # and -h, --help
    assert {name for param in every for name in param.opts} >= prestart.NO_CHECK_OPTIONS


@needs_fork
def test_the_worker_started_first_is_the_runs_first_worker(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", BODY_CALL)
    forked = []
    real = runner._Worker._start
    monkeypatch.setattr(
        runner._Worker, "_start", lambda self, *args: forked.append(1) or real(self, *args)
    )
    prestart.start()
    try:
        report = lint_paths(["a.py"], jobs=1)
    finally:
        left = prestart.take()
        if left is not None:
            prestart.discard(left)
    assert [(d.path, d.code) for d in report.diagnostics] == [("a.py", "ML101")]
    assert left is None  # taken by the run
    assert forked == []


@needs_fork
def test_a_worker_started_first_that_died_is_replaced(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", BODY_CALL)
    prestart.start()
    started = prestart._started
    assert started is not None
    started[0].kill()
    started[0].join()
    report = lint_paths(["a.py"], jobs=1)
    assert [(d.path, d.code) for d in report.diagnostics] == [("a.py", "ML101")]
    assert prestart._started is None


@early
@on_linux
@pytest.mark.parametrize("after", [0.0, 0.5], ids=["importing", "checking"])
def test_ctrl_c_in_a_terminal_is_one_line_with_a_worker_started_first(
    project: Path, after: float
) -> None:
    """Ctrl-C signals the whole process group: the worker started first ignores it, whether
    it is still importing or checking, and the run says it was interrupted once."""
    for number in range(3):
        write(project, f"mod_{number}.py", BODY_CALL)
    write(project, "slow.py", MARKED)
    marker = f"METHODLINT_TEST_RUN={uuid.uuid4().hex}"
    name, _, value = marker.partition("=")
    process = subprocess.Popen(
        spin_command("--jobs", "1", "."),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, name: value},
    )
    try:
        # The launcher imports methodlint, then the entry point forks the worker.
        assert wait_for(lambda: len(processes_marked(marker)) >= 2), "no worker started"
        time.sleep(after)
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert err.splitlines() == ["methodlint: interrupted"]
    assert wait_for(lambda: not processes_marked(marker), timeout=10)


def test_the_entry_point_starts_the_worker_only_from_the_command(project: Path) -> None:
    """Importing methodlint (the API, a test) starts no process."""
    code = "import methodlint, methodlint.__main__, methodlint.prestart as p; print(p._started)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "None"


@needs_fork
def test_a_worker_that_cannot_be_started_first_costs_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.context

    write(project, "a.py", BODY_CALL)
    with monkeypatch.context() as patch:

        def refuse(self: object) -> None:
            raise OSError(11, "Resource temporarily unavailable")

        patch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
        prestart.start()  # no exception
        assert prestart._started is None
    report = lint_paths(["a.py"], jobs=1)
    assert [(d.path, d.code) for d in report.diagnostics] == [("a.py", "ML101")]


@needs_fork
def test_an_early_worker_that_fails_to_import_ends_quietly(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """A plugin that fails to import in the early worker: it ends without a word on the
    terminal, and the run's own worker checks the files."""
    from methodlint import engine

    write(project, "a.py", BODY_CALL)

    def broken() -> None:
        raise ImportError("a plugin that does not import")

    with monkeypatch.context() as patch:
        patch.setattr(engine, "preload", broken)
        prestart.start()  # forked with the broken import
    started = prestart._started
    assert started is not None
    started[0].join(20)
    assert started[0].exitcode == 1
    report = lint_paths(["a.py"], jobs=1)
    assert [(d.path, d.code) for d in report.diagnostics] == [("a.py", "ML101")]
    assert prestart._started is None
    assert "Traceback" not in capfd.readouterr().err
