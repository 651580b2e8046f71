"""Linting many files: selection, per-file ignores, the cache, worker processes, sorted results.

Files are read, pre-filtered and parsed in worker processes (`--jobs`, default all cores; one
worker for a handful of files), never in the main process: LibCST's native parser can crash the
process on pathological input, and a crash must cost one file, not the run. When a worker dies,
the file it was checking is run again alone in a fresh worker; if that one dies too, the file is
ML003 and the others carry on. Results are collected per file and sorted, so the output does not
depend on the number of workers or on which finishes first.

What a worker does with a file is `worker.py`. The `methodlint` command's first worker may
have been started before the command read its arguments (`prestart.py`): the pool takes it
over (`_Worker`).

With a cache (see `methodlint.cache`) the main process only `stat`s files: unchanged ones are
answered from the cache without reading them, importing LibCST or giving a worker work.

METHODLINT_PROFILE=1 prints the seconds per phase to standard error when the process exits
(the pre-filter, import, parse and analysis phases are summed over the workers).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias

from methodlint import prestart
from methodlint.cache import DEFAULT_FOLDER, Cache, file_digest, run_key
from methodlint.config import UNCHECKED_CODES, Config, silenced_unchecked
from methodlint.diagnostics import Diagnostic
from methodlint.engine import REPORT_URL, EngineSettings, FileLinter
from methodlint.files import FileSelection, PerFileIgnores, collect_files
from methodlint.regular_files import open_regular
from methodlint.worker import Batch, Job, Outcome, check_safely, failed, limited, worker_main

# Files per worker started, at least: a worker costs a fork and, once it parses, LibCST's
# import (about 0.15 s); a handful of files (a pre-commit run) is checked by one worker, which
# imports LibCST once (five HTTP files: 0.75 s with one worker, 0.97-1.13 s with two on a
# loaded machine). Never more workers than `--jobs` (by default the cores).
FILES_PER_WORKER = 8
# Files sent to a worker at once: small enough to balance the load, large enough that the
# messages cost nothing next to the work.
MAX_BATCH = 16
# A worker that dies before it is ready this many times in a row means workers cannot run here.
MAX_START_FAILURES = 3

CacheOption: TypeAlias = "bool | str | os.PathLike[str]"
# Told (files done, files to check) as files are checked: the command's progress line.
Progress: TypeAlias = "Callable[[int, int], None]"
_PROGRESS: ContextVar[Progress | None] = ContextVar("methodlint_progress", default=None)


@dataclass
class Report:
    """The result of a run: sorted findings, and how many files were checked or skipped."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    files_skipped: list[tuple[str, str]] = field(default_factory=list)
    # Files that could not be checked (ML001-ML003), whether or not those codes are ignored.
    files_unchecked: list[str] = field(default_factory=list)


def _context() -> Any:
    """fork where it is safe (a worker then costs a few milliseconds), else spawn."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, context: Any, settings: EngineSettings, hashing: bool) -> None:
        forked = context.get_start_method() == "fork"
        # Where the worker's standard error goes (fork only: the descriptor is inherited).
        # Closed in stop() or when the worker is buried.
        self.errors: IO[bytes] | None = None
        # Whether it is the worker the command started early (`prestart`).
        self.prestarted = forked and self._adopt(settings, hashing)
        if not self.prestarted:
            self._start(context, settings, hashing, forked)
        self.ready = False
        self.fresh = True  # no work given yet: a crash in its first batch of one file is exact
        self.busy = False
        self.pending: list[int] = []  # indices of the jobs sent and not answered, in order
        self.retry = False  # its batch is a file that crashed a worker before
        self.helped = False  # it may fork a helper for its batch (`worker._answer`)
        self.retiring = False  # it ends after its batch (`RETIRE_GROWTH`)
        self.since = time.monotonic()  # when its current file started (for the time limit)

    def _adopt(self, settings: EngineSettings, hashing: bool) -> bool:
        """Become the worker the command started before it read its arguments (`prestart`),
        if there is one: it is sent its settings."""
        started = prestart.take()
        if started is None:
            return False
        self.process, self.conn, self.errors = started
        try:
            self.conn.send((settings, hashing))
        except (OSError, ValueError):
            prestart.discard(started)
            return False
        return True

    def _start(self, context: Any, settings: EngineSettings, hashing: bool, forked: bool) -> None:
        self.conn, child = context.Pipe()
        self.errors = tempfile.TemporaryFile() if forked else None  # noqa: SIM115
        self.process = context.Process(
            target=worker_main,
            args=(
                child,
                settings,
                hashing,
                self.conn if forked else None,
                self.errors.fileno() if self.errors is not None else None,
            ),
            name="methodlint-worker",
            daemon=True,
        )
        try:
            self.process.start()
        except BaseException:
            self.close_errors()
            raise
        finally:
            child.close()

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.close_errors()

    def error_text(self) -> str:
        """The end of what the worker printed on standard error."""
        if self.errors is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.errors.seek(0, os.SEEK_END)
            size = self.errors.tell()
            self.errors.seek(max(0, size - 4096))
            return self.errors.read().decode("utf-8", errors="replace")
        return ""

    def close_errors(self) -> None:
        if self.errors is not None:
            with contextlib.suppress(OSError):
                self.errors.close()


# Signals that come from outside (a user, a supervisor, the kernel's out-of-memory killer): a
# worker that dies of one says nothing about the file, so the outcome is not remembered.
_EXTERNAL_SIGNALS = frozenset(
    getattr(signal, name)
    for name in ("SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGXCPU")
    if hasattr(signal, name)
)


def _cause(exitcode: int | None, errors: str, memory_limit: int) -> tuple[str, bool]:
    """Why a worker died, in words, and whether that is the file's own doing (so that the
    outcome may be cached): a crash that reproduces alone in a fresh worker is; a signal from
    outside or running out of memory is not."""
    if "memory allocation of" in errors or "MemoryError" in errors or "out of memory" in errors:
        if memory_limit:
            return f"its analysis exceeded {memory_limit:,} MB (memory-limit)", False
        return "its analysis ran out of memory", False
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if -exitcode in _EXTERNAL_SIGNALS:
            return (
                f"the worker checking it was killed ({name}), most likely by the system for "
                "lack of memory",
                False,
            )
        return f"the parser crashed (signal {name})", True
    return f"the worker process exited unexpectedly (status {exitcode})", True


class _Dispatcher:
    """Runs jobs in worker processes and survives their crashes."""

    def __init__(
        self,
        jobs: Sequence[Job],
        settings: EngineSettings,
        workers: int,
        hashing: bool,
        linter: FileLinter,
        schedule: Schedule | None = None,
    ) -> None:
        self.jobs = list(jobs)
        self.schedule = schedule
        self.settings = settings
        self.hashing = hashing
        self.linter = linter
        self.limit = max(1, min(workers, -(-len(jobs) // FILES_PER_WORKER)))
        self.workers = workers
        self.forked = False  # workers are forked (not spawned)
        self.results: list[Outcome | None] = [None] * len(jobs)
        self.left = len(jobs)
        self.queue: deque[int] = deque(range(len(jobs)) if schedule is None else ())
        self.suspects: deque[int] = deque()
        self.crashed: set[int] = set()
        self.pool: list[_Worker] = []
        self.start_failures = 0
        self.deaths = 0
        self.started = 0
        self.prestarted = 0  # of the workers started, those started early (`prestart`)

    def run(self) -> list[Outcome]:
        if not self.jobs:
            return []
        if self.schedule is not None:
            self._release(self.schedule.initial())
        context = _context()
        self.forked = context.get_start_method() == "fork"
        try:
            while self.left:
                if not self._top_up(context):
                    self._run_here()
                    break
                self._dispatch()
                if any(worker.busy for worker in self.pool):
                    self._collect()
            for worker in self.pool:
                worker.stop(timeout=5)
        finally:
            for worker in self.pool:
                if worker.process.is_alive():
                    worker.process.kill()
                    worker.process.join()
        return [outcome for outcome in self.results if outcome is not None]

    def _top_up(self, context: Any) -> bool:
        """Start workers up to the limit; False when workers cannot run on this system."""
        # A worker per FILES_PER_WORKER files sent or waiting: a handful of files (a
        # pre-commit run with the rest cached) is one worker's, not one LibCST import per core.
        busy = sum(1 for worker in self.pool if worker.busy)
        files = len(self.queue) + sum(len(worker.pending) for worker in self.pool)
        wanted = min(
            self.limit,
            self.workers - self._helpers(),  # a helper has a core of its own (`_dispatch`)
            busy + len(self.queue) + len(self.suspects),
            len(self.suspects) + -(-files // FILES_PER_WORKER),
        )
        while len(self.pool) < wanted:
            if self.start_failures >= MAX_START_FAILURES or self.deaths > 2 * len(self.jobs) + 8:
                return bool(self.pool)
            try:
                worker = _Worker(context, self.settings, self.hashing)
                self.pool.append(worker)
                self.started += 1
                self.prestarted += worker.prestarted
            except OSError:
                self.start_failures += 1
        return True

    def _dispatch(self) -> None:
        idle = [worker for worker in self.pool if not worker.busy and not worker.retiring]
        # A file that crashed a worker runs alone in a fresh one: a second crash is its own.
        for worker in idle:
            if self.suspects and worker.fresh:
                self._send(worker, [self.suspects.popleft()], retry=True)
        idle = [worker for worker in idle if not worker.busy]
        # Cores no worker or helper has (a run of a few files has one worker): a worker may
        # fork a helper for part of its batch (`worker._answer`); a lone worker then gets all
        # the files waiting, to share with its helper.
        spare = self.workers - len(self.pool) - self._helpers()
        for worker in idle:
            if not self.queue:
                break
            size = max(1, min(MAX_BATCH, len(self.queue) // (2 * len(self.pool))))
            helper = self.forked and spare > 0
            if helper and len(self.pool) == 1:
                size = MAX_BATCH
            batch = [self.queue.popleft() for _ in range(min(size, len(self.queue)))]
            helper = helper and len(batch) > 1
            spare -= helper
            self._send(worker, batch, helper=helper)
        if self.suspects and not any(w.fresh for w in self.pool):
            # Make room for a fresh worker.
            for worker in self.pool:
                if not worker.busy:
                    worker.stop(timeout=5)
                    self.pool.remove(worker)
                    break

    def _helpers(self) -> int:
        """The workers that may have forked a helper for their batch."""
        return sum(1 for worker in self.pool if worker.helped)

    def _release(self, items: list[tuple[int, Outcome | None]]) -> None:
        """What the schedule says of files whose dependencies are done: run them (None), or
        take their outcome as it is (from the cache, or nothing to do)."""
        pending = list(items)
        while pending:
            index, outcome = pending.pop(0)
            if outcome is None:
                if self.results[index] is not None:  # another round of the same job
                    self.results[index] = None
                    self.left += 1
                self.jobs[index] = self.schedule.job(index) if self.schedule else self.jobs[index]
                self.queue.append(index)
            else:
                pending.extend(self._finish(index, outcome))

    def _finish(self, index: int, outcome: Outcome) -> list[tuple[int, Outcome | None]]:
        if self.results[index] is not None:
            return []
        self.results[index] = outcome
        self.left -= 1
        progress = _PROGRESS.get()
        if progress is not None:
            progress(len(self.jobs) - self.left, len(self.jobs))
        return self.schedule.done(index, outcome) if self.schedule is not None else []

    def _send(
        self, worker: _Worker, indices: list[int], retry: bool = False, helper: bool = False
    ) -> None:
        worker.busy = True
        worker.fresh = False
        worker.retry = retry
        worker.helped = helper
        worker.pending = list(indices)
        worker.since = time.monotonic()
        try:
            jobs = [(index, self.jobs[index]) for index in indices]
            worker.conn.send(Batch(jobs, helper))
        except (OSError, ValueError):
            # It died before it got the batch: the files are not to blame.
            self._requeue(indices, retry)
            worker.pending = []

    def _requeue(self, indices: list[int], retry: bool) -> None:
        if retry:
            self.suspects.extendleft(reversed(indices))
        else:
            self.queue.extendleft(reversed(indices))

    def _collect(self) -> None:
        from multiprocessing.connection import wait

        waiting: list[Any] = [w.conn for w in self.pool] + [w.process.sentinel for w in self.pool]
        limit = self.settings.time_limit
        timeout = None
        if limit:
            busy = [w.since for w in self.pool if w.busy and w.pending]
            if busy:
                timeout = max(0.0, min(busy) + limit - time.monotonic())
        ready = set(wait(waiting, timeout))
        for worker in list(self.pool):
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            alive = self._drain(worker)
            if worker.retiring and not worker.busy:
                self._retired(worker)
            elif not alive or not worker.process.is_alive():
                self._buried(worker)
        if limit:
            now = time.monotonic()
            for worker in list(self.pool):
                if worker.busy and worker.pending and now - worker.since > limit:
                    self._overtime(worker)

    def _overtime(self, worker: _Worker) -> None:
        """A file's analysis ran past the time limit: it is ML003 (not cached, as it depends
        on the machine's load), its worker is replaced, the rest of its batch goes back."""
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        worker.close_errors()
        self.pool.remove(worker)
        pending = [index for index in worker.pending if self.results[index] is None]
        if not pending:
            return
        culprit, rest = pending[0], pending[1:]
        self._requeue(rest, False)
        job = self.jobs[culprit]
        limit = self.settings.time_limit
        found = limited(
            self.linter, job.display, f"analysis took longer than {limit:g} s (time-limit)"
        )
        self._release(self._finish(culprit, _crash_outcome(job, found, cacheable=False)))

    def _drain(self, worker: _Worker) -> bool:
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if message == "ready":
                    worker.ready = True
                    worker.since = time.monotonic()
                    self.start_failures = 0
                elif message is None:
                    worker.busy = False
                    worker.helped = False
                    self._unanswered(worker.pending)
                    worker.pending = []
                elif message == "retiring":
                    worker.retiring = True
                elif message == "alone":  # it checks its batch without a helper
                    worker.helped = False
                else:
                    index, outcome = message
                    worker.since = time.monotonic()
                    self._release(self._finish(index, outcome))
                    if index in worker.pending:
                        worker.pending.remove(index)
        except (EOFError, OSError):
            return False
        return True

    def _unanswered(self, pending: list[int]) -> None:
        """Files of a batch the worker said it finished without an outcome for them (a bug
        of the worker's, never a file's): ML003 for each, not remembered, rather than a run
        that waits for them forever."""
        for index in [i for i in pending if self.results[i] is None]:
            job = self.jobs[index]
            found = failed(self.linter, job.display, "internal error (the worker gave no outcome)")
            self._release(self._finish(index, _crash_outcome(job, found, cacheable=False)))

    def _retired(self, worker: _Worker) -> None:
        """A worker ended itself after its batch (`RETIRE_GROWTH`): nothing of it is lost."""
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.close_errors()
        self.pool.remove(worker)

    def _buried(self, worker: _Worker) -> None:
        """A worker died: blame the file it was on, or retry that file alone first."""
        worker.process.join()
        worker.conn.close()
        errors = worker.error_text()
        worker.close_errors()
        self.pool.remove(worker)
        self.deaths += 1
        pending = [index for index in worker.pending if self.results[index] is None]
        if not worker.ready:
            self.start_failures += 1
            self._requeue(pending, worker.retry)
            return
        if not pending:
            return
        culprit, rest = pending[0], pending[1:]
        self._requeue(rest, False)
        if culprit in self.crashed:
            job = self.jobs[culprit]
            cause, own = _cause(worker.process.exitcode, errors, self.settings.memory_limit)
            found = (failed if own else limited)(self.linter, job.display, cause)
            outcome = _crash_outcome(job, found, cacheable=own and self.hashing)
            self._release(self._finish(culprit, outcome))
        else:
            self.crashed.add(culprit)
            self.suspects.append(culprit)

    def _run_here(self) -> None:
        """Workers cannot start here: check the rest in this process, without isolation."""
        if self.schedule is not None:
            while self.queue:
                index = self.queue.popleft()
                job = self.jobs[index]
                self._release(self._finish(index, check_safely(self.linter, job, self.hashing)))
            return
        for index, outcome in enumerate(self.results):
            if outcome is None:
                self.results[index] = check_safely(self.linter, self.jobs[index], self.hashing)
        self.left = 0


class Schedule(Protocol):
    """Which jobs may run when: a job runs once the jobs it depends on are done, with what
    they produced (`project_run.py`)."""

    def initial(self) -> list[tuple[int, Outcome | None]]:
        """Jobs that depend on nothing: None to run one, or its outcome as it stands."""

    def done(self, index: int, outcome: Outcome) -> list[tuple[int, Outcome | None]]:
        """A job is done: the jobs that this makes ready, the same way."""

    def job(self, index: int) -> Job:
        """The job to run, with what it depends on filled in."""


def _crash_outcome(job: Job, diagnostics: list[Diagnostic], cacheable: bool) -> Outcome:
    """The ML003 of a file that crashed the parser (or ran out of time or memory), with its
    first line and, when `cacheable`, what the cache needs to remember it (read here: it is
    one file, and rare)."""
    from methodlint.engine import _with_line_text

    if job.data is not None:
        return Outcome(_with_line_text(diagnostics, job.data[:65536]))
    try:
        with open_regular(job.path) as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except OSError:
        return Outcome(diagnostics)
    end = data.find(b"\n", 0, 65536)
    diagnostics = _with_line_text(diagnostics, data[: end + 1] if end >= 0 else data[:65536])
    if not cacheable:
        return Outcome(diagnostics)
    return Outcome(diagnostics, stat.st_size, stat.st_mtime_ns, file_digest(data))


# -- profile ------------------------------------------------------------------------------------

# Wall-clock phases of the main process; "checking" is the wall time of the workers, and
# pre-filter, parse and analysis are their seconds summed over the workers.
PHASES = ("discovery", "cache", "checking", "pre-filter", "import", "parse", "analysis", "output")


class _Profile:
    """Seconds per phase of the last `lint_paths` call, printed when the process exits."""

    current: _Profile | None = None

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.workers = 0
        self.prestarted = 0
        self.files_read = 0
        self.files_parsed = 0
        self.checked_again = 0  # checks of import cycle members after their first (project run)
        self.started = self.mark = time.perf_counter()
        self.finished: float | None = None

    @classmethod
    def start(cls) -> _Profile | None:
        if not os.environ.get("METHODLINT_PROFILE"):
            return None
        if cls.current is None:
            atexit.register(cls._print)
        cls.current = cls()
        return cls.current

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] += now - self.mark
        self.mark = now

    def add(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            prefilter, parse, analysis = outcome.seconds
            self.seconds["import"] += outcome.imports
            self.seconds["pre-filter"] += prefilter
            self.seconds["parse"] += parse
            self.seconds["analysis"] += analysis
            self.files_read += 1
            self.files_parsed += parse > 0

    @classmethod
    def _print(cls) -> None:
        profile = cls.current
        if profile is None or profile.finished is None:
            return
        profile.seconds["output"] = time.perf_counter() - profile.finished
        summary = {phase: round(value, 4) for phase, value in profile.seconds.items()}
        summary["total"] = round(time.perf_counter() - profile.started, 4)
        summary["workers"] = profile.workers
        summary["prestarted"] = profile.prestarted
        summary["files_read"] = profile.files_read
        summary["files_parsed"] = profile.files_parsed
        summary["checked_again"] = profile.checked_again
        print(f"methodlint profile: {json.dumps(summary)}", file=sys.stderr)


# -- the run ------------------------------------------------------------------------------------


def default_jobs() -> int:
    """All the cores this process may use."""
    counted = getattr(os, "process_cpu_count", None)
    if counted is not None:
        return int(counted() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def cache_folder(config: Config, cache: CacheOption) -> Path:
    """Where the cache lives: the given folder, else `.methodlint_cache` in the project folder
    (that of the configuration file, else the current one)."""
    if isinstance(cache, bool):
        return Path(config.root) / DEFAULT_FOLDER
    return Path(cache)


def lint_paths(
    paths: Sequence[str],
    config: Config | None = None,
    *,
    jobs: int | None = None,
    stdin: bytes | None = None,
    stdin_filename: str | None = None,
    cache: CacheOption = False,
    progress: Progress | None = None,
) -> Report:
    """Lint files and folders as the command line does. `-` reads `stdin`.

    `jobs`: worker processes (default: all cores). `cache`: False (the default for the API)
    checks every file; True uses `.methodlint_cache` in the project folder; a path uses that
    folder. Standard input is never cached. `progress` is told (done, total) as files are
    checked.
    """
    token = _PROGRESS.set(progress)
    try:
        return _lint_paths(paths, config, jobs, stdin, stdin_filename, cache)
    finally:
        _PROGRESS.reset(token)


def _lint_paths(
    paths: Sequence[str],
    config: Config | None,
    jobs: int | None,
    stdin: bytes | None,
    stdin_filename: str | None,
    cache: CacheOption,
) -> Report:
    profile = _Profile.start()
    config = config or Config()
    settings = EngineSettings.from_config(config)
    # More workers than cores only add memory (64 jobs on 2 cores took 4.6 GB).
    workers = min(jobs, default_jobs()) if jobs else default_jobs()
    selection = collect_files(paths, config, stdin_filename=stdin_filename)
    if profile:
        profile.lap("discovery")
    ignores = PerFileIgnores(config)
    linter = FileLinter(settings)
    store: Cache | None = None
    if cache is not False and cache is not None:
        from methodlint import __version__

        store = Cache.load(cache_folder(config, cache), run_key(settings, __version__))
    if settings.cross_module and all(str(s.path) != "-" for s in selection.files):
        from methodlint.project_run import run_project

        try:
            checked = run_project(
                [(str(s.path), s.display) for s in selection.files],
                settings,
                linter,
                store,
                workers,
                profile,
            )
        except Exception as error:  # a bug of the index must not cost the run
            print(
                f"methodlint: the project index failed ({type(error).__name__}: {error}); "
                f"checking each file alone. Please report this at {REPORT_URL}",
                file=sys.stderr,
            )
        else:
            if store is not None:
                store.save()
            return _report(selection, checked, ignores, settings, config, stdin_filename, profile)
    found: list[list[Diagnostic]] = [[] for _ in selection.files]
    codes: list[frozenset[str] | None] = []
    pending: list[tuple[int, Job]] = []
    for index, source in enumerate(selection.files):
        codes.append(_codes_for(source.path, stdin_filename, ignores, settings, config))
        if str(source.path) == "-":
            pending.append((index, Job("-", source.display, data=stdin or b"")))
            continue
        path = str(source.path)
        digest = None
        if store is not None:
            try:
                fresh = store.fresh(path, os.stat(path))
            except OSError:
                fresh = None  # the worker reports why it cannot be read
            if fresh is not None:
                found[index] = [replace(d, path=source.display) for d in fresh.diagnostics]
                continue
            entry = store.get(path)
            digest = entry.digest if entry is not None else None
        pending.append((index, Job(path, source.display, digest)))
    if profile:
        profile.lap("cache")
    dispatcher = _Dispatcher(
        [job for _, job in pending], settings, workers, store is not None, linter
    )
    try:
        outcomes = dispatcher.run()
    except BaseException:
        # Interrupted: keep what was finished, so that the next run starts from there.
        if store is not None:
            for (_, job), done in zip(pending, dispatcher.results, strict=True):
                if done is not None:
                    _remember(store, job, done)
            store.save()
        raise
    if profile:
        profile.lap("checking")
        profile.add(outcomes)
        profile.workers, profile.prestarted = dispatcher.started, dispatcher.prestarted
    skipped: list[tuple[str, str]] = []
    for (index, job), outcome in zip(pending, outcomes, strict=True):
        if outcome.skipped is not None:
            skipped.append((job.display, outcome.skipped))
        found[index] = _remember(store, job, outcome) if store is not None else outcome.diagnostics
    if store is not None:
        store.save()
    report = _report(selection, found, ignores, settings, config, stdin_filename, profile)
    report.files_skipped = sorted({*report.files_skipped, *skipped})
    return report


def _remember(store: Cache, job: Job, outcome: Outcome) -> list[Diagnostic]:
    """Record a file's outcome in the cache (when it may be); its diagnostics."""
    diagnostics = outcome.diagnostics
    if job.data is not None:
        return diagnostics
    if outcome.unchanged:
        entry = store.get(job.path)
        diagnostics = entry.diagnostics if entry is not None else []
        diagnostics = [replace(d, path=job.display) for d in diagnostics]
    if outcome.digest is not None and outcome.size is not None and outcome.mtime_ns is not None:
        store.put(job.path, outcome.size, outcome.mtime_ns, outcome.digest, diagnostics)
    return diagnostics


def _report(
    selection: FileSelection,
    found: list[list[Diagnostic]],
    ignores: PerFileIgnores,
    settings: EngineSettings,
    config: Config,
    stdin_filename: str | None,
    profile: _Profile | None,
) -> Report:
    report = Report(files_checked=len(selection.files), files_skipped=list(selection.skipped))
    # A folder that was given or found and cannot be listed is a finding: its files were not
    # checked, and a gate must not pass for that.
    if selection.unlistable:
        linter = FileLinter(settings)
        for folder, reason in selection.unlistable:
            report.diagnostics.extend(
                linter.file_diagnostic("ML002", folder, f"cannot list folder: {reason}")
            )
    for index, diagnostics in enumerate(found):
        source = selection.files[index]
        allowed = _codes_for(source.path, stdin_filename, ignores, settings, config)
        report.diagnostics.extend(d for d in diagnostics if allowed is None or d.code in allowed)
        if any(d.code in UNCHECKED_CODES for d in diagnostics):
            report.files_unchecked.append(source.display)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    if profile:
        profile.lap("cache")
        profile.finished = time.perf_counter()
    return report


def _codes_for(
    path: Path,
    stdin_filename: str | None,
    ignores: PerFileIgnores,
    settings: EngineSettings,
    config: Config,
) -> frozenset[str] | None:
    """The codes reported for one file after `ignore` of ML001-ML003 and per-file ignores;
    None for all."""
    silenced = config.silenced_unchecked
    if not config.per_file_ignores:
        return settings.codes - silenced if silenced else None
    target = Path(stdin_filename or "-") if str(path) == "-" else path
    ignored = ignores.selectors_for(target)
    if not ignored:
        return settings.codes - silenced if silenced else None
    from methodlint.registry import matches

    # A prefix or ALL does not reach ML001-ML003: only their exact code or name does.
    off = {rule.code for selector in ignored for rule in matches(selector)} - set(UNCHECKED_CODES)
    return settings.codes - off - silenced - silenced_unchecked(ignored)


def lint_source(
    source: str | bytes, path: str = "<string>", config: Config | None = None
) -> list[Diagnostic]:
    """Lint one source text; `config` None means the defaults, without discovery."""
    config = config or Config()
    linter = FileLinter(EngineSettings.from_config(config))
    data = source.encode("utf-8") if isinstance(source, str) else source
    silenced = config.silenced_unchecked
    return [d for d in linter.lint_bytes(data, path) if d.code not in silenced]


__all__ = ["Report", "cache_folder", "default_jobs", "lint_paths", "lint_source"]
