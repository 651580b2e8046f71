"""Worker processes: the same findings whatever --jobs is, and a crash costs one file."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import platform
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import write

from methodlint import Diagnostic, engine, lint_paths, runner, worker
from methodlint.config import Config

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
BODY_CALL = 'import requests\n\nrequests.get("https://x.test/", json={"q": 1})\n'

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin",
    reason="tests change the worker's code in this process: workers must be forked",
)


def summary(diagnostics: list[Diagnostic]) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.code) for d in diagnostics]


SNIPPETS = [
    "requests.get(url, json=payload)\n",
    "requests.head(url, data=payload)\n",
    'requests.request("gte", url)\n',
    'requests.request("post", url)\n',
    "httpx.get(url, content=payload)\n",
    'conn = http.client.HTTPSConnection("x.test")\nconn.request("post", "/x")\n',
    "for attempt in range(3):\n    requests.post(url, json=payload)\n",
    "requests.get(url, params=payload)\n",
    "x = {'a': 1}.get('a')\n",
]
IMPORTS = ["import requests\n", "import httpx\n", "import http.client\n", "import os\n"]
BROKEN = ["def f(:\n", 'print "py2"\n', "x = (\n", ""]


def generated_tree(base: Path, seed: int, files: int = 30) -> None:
    """A reproducible project of HTTP modules, plain modules and broken ones."""
    rng = random.Random(seed)
    for number in range(files):
        folder = rng.choice(["", "pkg/", "pkg/sub/", "tools/"])
        lines = rng.sample(IMPORTS, rng.randint(0, 3))
        lines.append("url = 'https://x.test'\npayload = {}\n")
        for _ in range(rng.randint(0, 6)):
            lines.append(rng.choice(SNIPPETS))
        if rng.random() < 0.15:
            lines.append(rng.choice(BROKEN))
        if rng.random() < 0.1:
            lines.insert(0, "\n" * rng.randint(1, 5))
        write(base, f"{folder}mod_{number}.py", "".join(lines))


def test_one_and_two_workers_agree_on_the_fixtures() -> None:
    config = Config(select=("ALL",), root=FIXTURES)
    one = lint_paths([str(FIXTURES)], config, jobs=1)
    two = lint_paths([str(FIXTURES)], config, jobs=2)
    assert one.diagnostics  # the fixtures are full of findings
    assert one == two


@pytest.mark.parametrize("seed", [1, 2])
def test_one_and_two_workers_agree_on_generated_trees(project: Path, seed: int) -> None:
    generated_tree(project, seed)
    one = lint_paths(["."], jobs=1)
    two = lint_paths(["."], jobs=2)
    assert one.diagnostics
    assert one == two
    assert one.diagnostics == sorted(one.diagnostics, key=Diagnostic.sort_key)


@pytest.mark.parametrize("seed", [4, 5])
def test_cold_and_warm_agree_on_generated_trees(project: Path, seed: int) -> None:
    generated_tree(project, seed)
    cold = lint_paths(["."], cache=True)
    warm = lint_paths(["."], cache=True)
    assert cold.diagnostics
    assert cold == warm == lint_paths(["."])


def test_the_command_line_output_does_not_depend_on_jobs(project: Path) -> None:
    generated_tree(project, 3, files=24)

    def run(jobs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "methodlint", "--no-cache", "--jobs", jobs, "."],
            cwd=project,
            capture_output=True,
            text=True,
        )

    one, two = run("1"), run("2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert one.stdout.count("\n") > 10


def test_the_main_process_never_imports_libcst(project: Path) -> None:
    # Parsing happens in the workers: whatever LibCST does cannot take the run with it.
    write(project, "a.py", BODY_CALL)
    code = textwrap.dedent(
        """
        import sys
        from methodlint import lint_paths
        report = lint_paths(["."], jobs=1)
        assert [d.code for d in report.diagnostics] == ["ML101"], report
        print(any(name == "libcst" or name.startswith("libcst.") for name in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


# --- crashes -----------------------------------------------------------------------------------


def crash_on_marker(
    monkeypatch: pytest.MonkeyPatch, project: Path, how: str, times: int | None = None
) -> None:
    """Make the worker die on files that contain `# CRASH` (the first `times` times, counted in
    a file so that the count survives the worker)."""
    real = worker.check
    counter = project / "crashes.txt"
    counter.write_text("0")

    def check(linter: engine.FileLinter, job: worker.Job, hashing: bool) -> worker.Outcome:
        with open(job.path, "rb") as handle:
            marked = b"# CRASH" in handle.read()
        if marked:
            count = int(counter.read_text())
            if times is None or count < times:
                counter.write_text(str(count + 1))
                misbehave(how)
        return real(linter, job, hashing)

    monkeypatch.setattr(worker, "check", check)


def misbehave(how: str) -> None:
    """What a worker does to a file marked `# CRASH`."""
    if how == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "spin":
        while True:
            pass
    elif how == "memory":
        # Far beyond any memory limit the tests set: MemoryError at once, nothing touched.
        bytearray(1 << 40)
    elif how == "allocator":
        # What Rust's allocator does when an allocation fails: a message, then abort.
        os.write(2, b"memory allocation of 1099511627776 bytes failed\n")
        os.abort()
    os._exit(3)


def count_workers(monkeypatch: pytest.MonkeyPatch) -> list[runner._Worker]:
    """The workers the run starts, as they are started."""
    started: list[runner._Worker] = []
    real = runner._Worker.__init__

    def counted(self: runner._Worker, *args: object) -> None:
        started.append(self)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(runner._Worker, "__init__", counted)
    return started


def ordinary_files(base: Path, count: int = 12) -> None:
    for number in range(count):
        write(base, f"mod_{number:02}.py", BODY_CALL)
    write(base, "plain.py", "x = 1\n")


@needs_fork
@pytest.mark.skipif(not worker.resident(), reason="the resident memory is read from /proc")
@pytest.mark.parametrize("jobs", [1, 2])
def test_workers_that_have_grown_are_replaced_and_nothing_is_lost(
    project: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """A worker that has grown past RETIRE_GROWTH (here: at once) ends after its batch and
    a fresh one takes the next: the findings are those of workers that never end."""
    generated_tree(project, 3)
    kept = lint_paths(["."], jobs=jobs)
    monkeypatch.setattr(worker, "RETIRE_GROWTH", -(1 << 40))  # grown, even after giving back
    started = count_workers(monkeypatch)
    replaced = lint_paths(["."], jobs=jobs)
    assert kept.diagnostics
    assert replaced == kept
    assert len(started) > jobs  # each batch had a worker of its own


@needs_fork
@pytest.mark.skipif(not worker.resident(), reason="the resident memory is read from /proc")
def test_a_worker_whose_growth_the_allocator_gives_back_is_not_replaced(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch leaves the worker 100 MB larger, all of it memory the allocator gives back
    when asked (`worker._give_back`): one worker checks every batch."""
    generated_tree(project, 3)
    kept = lint_paths(["."], jobs=1)
    left = [0]
    real_resident, real_give_back = worker.resident, worker._give_back

    def resident() -> int:
        return real_resident() + left[0]

    def give_back() -> None:
        real_give_back()
        left[0] = 0

    def check(*args: object, **kwargs: object) -> worker.Outcome:
        left[0] = 100 << 20  # what this file leaves behind
        return real_check(*args, **kwargs)  # type: ignore[arg-type]

    real_check = worker.check
    monkeypatch.setattr(worker, "resident", resident)
    monkeypatch.setattr(worker, "_give_back", give_back)
    monkeypatch.setattr(worker, "check", check)
    started = count_workers(monkeypatch)
    report = lint_paths(["."], jobs=1)
    assert report == kept
    assert len(started) == 1


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc" or not worker.resident(),
    reason="malloc_trim is glibc's; the resident memory is read from /proc",
)
def test_the_memory_a_worker_frees_goes_back_to_the_system() -> None:
    """64 MB of small blocks, freed but for one in 64, stay in the C allocator's heap until
    the worker gives them back."""
    before = worker.resident()
    blocks = [bytearray(1000) for _ in range(65536)]
    kept = blocks[::64]
    del blocks
    grown = worker.resident() - before
    worker._give_back()
    assert len(kept) == 1024
    assert worker.resident() - before < grown // 2


@needs_fork
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crash_costs_one_file(project: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    ordinary_files(project)
    write(project, "mod_05b.py", "import requests\n# CRASH\n")
    crash_on_marker(monkeypatch, project, "segv")

    report = lint_paths(["."], jobs=jobs)

    crashed = [d for d in report.diagnostics if d.path == "mod_05b.py"]
    assert [(d.code, d.line) for d in crashed] == [("ML003", 1)]
    assert "the parser crashed (signal SIGSEGV)" in crashed[0].message
    assert crashed[0].line_text == "import requests"
    others = [d for d in report.diagnostics if d.path != "mod_05b.py"]
    assert summary(others) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(12)]


@needs_fork
def test_a_worker_that_exits_names_its_status(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ordinary_files(project, 3)
    write(project, "bad.py", "import requests\n# CRASH\n")
    crash_on_marker(monkeypatch, project, "exit")

    report = lint_paths(["."], jobs=1)

    [crashed] = [d for d in report.diagnostics if d.path == "bad.py"]
    assert crashed.code == "ML003"
    assert "exited unexpectedly (status 3)" in crashed.message
    assert len(report.diagnostics) == 4


@needs_fork
def test_a_file_that_crashed_once_is_checked_again_alone(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker may die for reasons of its own (the OOM killer): the file it was on is run again
    # in a fresh worker before it is blamed.
    ordinary_files(project, 4)
    write(project, "flaky.py", BODY_CALL + "# CRASH\n")
    crash_on_marker(monkeypatch, project, "segv", times=1)

    report = lint_paths(["."], jobs=1)

    assert summary(report.diagnostics) == [
        ("flaky.py", 3, "ML101"),
        *[(f"mod_{n:02}.py", 3, "ML101") for n in range(4)],
    ]


@needs_fork
def test_several_crashes_in_one_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ordinary_files(project, 6)
    for name in ("a.py", "mod_03b.py", "z.py"):
        write(project, name, "import requests\n# CRASH\n")
    crash_on_marker(monkeypatch, project, "segv")

    report = lint_paths(["."], jobs=2)

    crashed = sorted(d.path for d in report.diagnostics if d.code == "ML003")
    assert crashed == ["a.py", "mod_03b.py", "z.py"]
    assert len([d for d in report.diagnostics if d.code == "ML101"]) == 6


@needs_fork
def test_a_real_parser_crash_costs_one_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the nesting screen LibCST's native parser overflows its stack (about 1 s).
    monkeypatch.setattr(engine, "_too_deep", lambda data, source: False)
    ordinary_files(project, 2)
    write(project, "deep.py", "import requests\nx = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n")

    report = lint_paths(["."], jobs=1)

    assert summary(report.diagnostics) == [
        ("deep.py", 1, "ML003"),
        ("mod_00.py", 3, "ML101"),
        ("mod_01.py", 3, "ML101"),
    ]
    assert "the parser crashed (signal SIGSEGV)" in report.diagnostics[0].message


@needs_fork
def test_workers_that_cannot_start_leave_the_work_to_the_main_process(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ordinary_files(project, 3)
    monkeypatch.setattr(runner, "worker_main", lambda *args: os._exit(1))

    report = lint_paths(["."], jobs=2)

    assert summary(report.diagnostics) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(3)]


def test_no_process_can_be_started(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ordinary_files(project, 3)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(runner._Worker, "__init__", refuse)

    report = lint_paths(["."], jobs=2)

    assert summary(report.diagnostics) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(3)]


# --- a worker and its helper ------------------------------------------------------------------


@pytest.fixture
def analysis_imported() -> None:
    """Workers forked from this process have LibCST and the analysis imported, as the worker
    the command starts early has: they may fork a helper from their first batch on."""
    engine.preload()


def record_checkers(monkeypatch: pytest.MonkeyPatch, project: Path) -> Path:
    """Have each check append the checking process's id and the file to a log."""
    real = worker.check
    log = project / "checkers.log"

    def check(linter: engine.FileLinter, job: worker.Job, hashing: bool) -> worker.Outcome:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {job.display}\n")
        return real(linter, job, hashing)

    monkeypatch.setattr(worker, "check", check)
    return log


@needs_fork
@pytest.mark.usefixtures("analysis_imported")
def test_a_few_files_are_shared_by_a_worker_and_its_helper(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One worker for five files, and a core to spare: it forks a helper that takes files
    # from the end of the batch; the findings are those of a single process.
    generated_tree(project, seed=3, files=5)
    alone = lint_paths(["."], jobs=1)
    log = record_checkers(monkeypatch, project)

    shared = lint_paths(["."], jobs=2)

    assert shared.diagnostics == alone.diagnostics
    assert shared.files_checked == alone.files_checked
    checks = [line.split() for line in log.read_text().splitlines()]
    assert sorted(name for _, name in checks) == sorted(
        str(path.relative_to(project)) for path in project.rglob("*.py")
    )
    assert len({pid for pid, _ in checks}) == 2


@needs_fork
@pytest.mark.usefixtures("analysis_imported")
def test_a_helper_with_large_outcomes_goes_on_helping(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each outcome is larger than a pipe holds: the worker takes the helper's outcomes as they
    # come, so that the helper is not left waiting for room until the worker is done.
    ordinary_files(project, 7)
    log = record_checkers(monkeypatch, project)
    logged = worker.check

    def check(linter: engine.FileLinter, job: worker.Job, hashing: bool) -> worker.Outcome:
        time.sleep(0.1)  # both processes are checking at the same time
        outcome = logged(linter, job, hashing)
        return dataclasses.replace(outcome, used=frozenset({"x" * 200_000}))

    monkeypatch.setattr(worker, "check", check)

    report = lint_paths(["."], jobs=2)

    assert summary(report.diagnostics) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(7)]
    pids = [line.split()[0] for line in log.read_text().splitlines()]
    assert len(pids) == 8
    assert min(pids.count(pid) for pid in set(pids)) >= 2


@needs_fork
def test_jobs_1_has_no_helper(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ordinary_files(project, 4)
    log = record_checkers(monkeypatch, project)

    lint_paths(["."], jobs=1)

    assert len({line.split()[0] for line in log.read_text().splitlines()}) == 1


@needs_fork
@pytest.mark.usefixtures("analysis_imported")
def test_a_crash_in_the_helper_costs_its_file_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `z.py` is the last file of the batch: the helper's first.
    ordinary_files(project, 4)
    write(project, "z.py", "import requests\n# CRASH\n")
    crash_on_marker(monkeypatch, project, "segv")

    report = lint_paths(["."], jobs=2)

    [crashed] = [d for d in report.diagnostics if d.path == "z.py"]
    assert "the parser crashed (signal SIGSEGV)" in crashed.message
    others = [d for d in report.diagnostics if d.path != "z.py"]
    assert summary(others) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(4)]


@needs_fork
@pytest.mark.usefixtures("analysis_imported")
def test_a_file_that_crashed_the_helper_once_is_not_blamed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ordinary_files(project, 4)
    write(project, "z.py", BODY_CALL + "# CRASH\n")
    crash_on_marker(monkeypatch, project, "kill", times=1)
    started = count_workers(monkeypatch)

    report = lint_paths(["."], jobs=2)

    assert int((project / "crashes.txt").read_text()) == 1
    assert len(started) == 1  # the helper died, not the worker: no worker was replaced
    assert summary(report.diagnostics) == [
        *[(f"mod_{n:02}.py", 3, "ML101") for n in range(4)],
        ("z.py", 3, "ML101"),
    ]


@needs_fork
@pytest.mark.usefixtures("analysis_imported")
def test_a_helper_killed_while_it_holds_the_lock_costs_a_second(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed from outside at the worst moment (by the out-of-memory killer, say): the worker
    # checks the helper's files itself instead of waiting for the lock forever.
    ordinary_files(project, 7)

    def take_back(share: worker._Share) -> int | None:
        share.lock.acquire()
        os.kill(os.getpid(), signal.SIGKILL)
        return None

    monkeypatch.setattr(worker._Share, "take_back", take_back)
    started = time.monotonic()

    # Without the time limit's rescue: one file would be ML003 after 20 s.
    report = lint_paths(["."], Config(time_limit=20), jobs=2)

    # One wait of a second for the lock, not one per file.
    assert time.monotonic() - started < 5
    assert summary(report.diagnostics) == [(f"mod_{n:02}.py", 3, "ML101") for n in range(7)]


@needs_fork
def test_a_file_a_worker_gives_no_outcome_for_is_ml003_not_a_hang(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug of the worker's own (the main process trusts nothing it cannot check).
    ordinary_files(project, 2)
    real = worker._answer

    def answer(conn: object, linter: object, batch: worker.Batch, *args: bool) -> None:
        jobs = [(i, job) for i, job in batch.jobs if job.display != "mod_00.py"]
        real(conn, linter, worker.Batch(jobs), *args)  # type: ignore[arg-type]

    monkeypatch.setattr(worker, "_answer", answer)

    report = lint_paths(["."], jobs=1)

    assert [(d.path, d.code) for d in report.diagnostics] == [
        ("mod_00.py", "ML003"),
        ("mod_01.py", "ML101"),
    ]
    assert "internal error (the worker gave no outcome)" in report.diagnostics[0].message


# --- how many workers --------------------------------------------------------------------------


def dispatcher(files: int, jobs: int) -> runner._Dispatcher:
    settings = engine.EngineSettings.from_config(Config())
    job_list = [worker.Job(f"f{n}.py", f"f{n}.py") for n in range(files)]
    return runner._Dispatcher(job_list, settings, jobs, False, engine.FileLinter(settings))


def test_one_file_is_checked_by_one_worker() -> None:
    assert dispatcher(1, 8).limit == 1
    assert dispatcher(1, 1).limit == 1


def test_workers_are_limited_by_jobs_and_by_the_files() -> None:
    # A handful of files (a pre-commit run): one worker, which imports LibCST once.
    assert dispatcher(5, 2).limit == 1
    assert dispatcher(8, 8).limit == 1
    assert dispatcher(9, 8).limit == 2
    assert dispatcher(40, 8).limit == 5
    assert dispatcher(1000, 4).limit == 4
    assert dispatcher(1000, 1).limit == 1


def test_no_files_no_workers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(runner._Worker, "__init__", lambda *args: started.append(args))
    assert lint_paths(["."]).diagnostics == []
    assert started == []


def test_standard_input_is_checked_in_a_worker_too(project: Path) -> None:
    report = lint_paths(["-"], stdin=BODY_CALL.encode(), stdin_filename="src/x.py", jobs=1)
    assert summary(report.diagnostics) == [("src/x.py", 3, "ML101")]


def test_outcomes_pickle_with_every_field() -> None:
    # Diagnostics cross the process boundary: every field must survive it.
    import pickle

    [found] = runner.lint_source(
        'import http.client\nc = http.client.HTTPConnection("h")\nc.request("post", "/")\n', "x.py"
    )
    outcome = worker.Outcome([found], 10, 20, "digest", seconds=(1.0, 2.0, 3.0))
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    assert dataclasses.asdict(found)["fix"] is not None
