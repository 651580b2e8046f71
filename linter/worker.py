"""The work of a worker process: a file read, hashed, pre-filtered and linted (`check`),
and the worker's loop (`worker_main`), which answers the run's batches of files (`Job`) with
what it found (`Outcome`) until the run ends. The run that starts workers and hands them
files is `runner.py`; a worker started before the command line is read is `prestart.py`.

A worker ends itself when it has grown too much (`RETIRE_GROWTH`), caps its address space at
the memory limit, and dies with the main process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import signal
import struct
import sys
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from methodlint.cache import file_digest, new_digest
from methodlint.diagnostics import Diagnostic
from methodlint.engine import REPORT_URL, EngineSettings, FileLinter
from methodlint.notebook import is_notebook
from methodlint.regular_files import NotRegularFile, open_regular

if TYPE_CHECKING:
    from collections.abc import Hashable
    from multiprocessing.connection import Connection

    from methodlint.analysis.summary import ModuleSummary

# Files over max-file-size are read in pieces of this size (pre-filter and hash only).
CHUNK = 1 << 20


@dataclass(frozen=True)
class Job:
    """One file for a worker: where to read it (or its bytes, for standard input), the path to
    report, and the content hash the cache has for it."""

    path: str
    display: str
    digest: str | None = None
    data: bytes | None = None
    # In a project run: the module's name, whether it is a package's `__init__.py`, and the
    # summaries of the project modules it imports (see `project_run.py`).
    module: str | None = None
    package: bool = False
    index: dict[str, ModuleSummary] | None = None
    # Whether its bytes use what those summaries offer (`ProjectView.imports_used`).
    imports_used: bool = True
    # Whether to send back the questions its analysis asked of them (`ProjectView.questions`).
    record: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a worker found for one file. `unchanged`: the content hash is the cache's, so the
    cached diagnostics stand. `size`, `mtime_ns` and `digest` are None when not cacheable."""

    diagnostics: list[Diagnostic]
    size: int | None = None
    mtime_ns: int | None = None
    digest: str | None = None
    unchanged: bool = False
    # Seconds in the pre-filter (reading, hashing and the screen before LibCST included), the
    # parser and the rest.
    seconds: tuple[float, float, float] = (0.0, 0.0, 0.0)
    # Seconds its worker spent importing LibCST and the analysis for it (its first file).
    imports: float = 0.0
    # In a project run: the summary the module offers the others, and the modules whose
    # summaries its analysis looked at (a cached result depends on those).
    summary: ModuleSummary | None = None
    # Why the file was not read (not a regular file): it is skipped with this message.
    skipped: str | None = None
    used: frozenset[str] = frozenset()
    # In a project run: the screen found that the module can produce no fact; not parsed.
    screened: bool = False
    # The questions asked of the other modules' summaries, when the job said to record them.
    questions: frozenset[tuple[Hashable, ...]] | None = None


# -- the work on one file (in a worker) ---------------------------------------------------------


def check(linter: FileLinter, job: Job, hashing: bool) -> Outcome:
    """Read, hash, pre-filter and lint one file; never raises for the file's sake."""
    started = time.perf_counter()
    size: int | None = None
    mtime_ns: int | None = None
    # A notebook is read whole: its outputs may be large, max-file-size applies to its code.
    notebook = is_notebook(job.display)
    if job.data is not None:
        data = job.data
    else:
        try:
            with open_regular(job.path) as handle:
                stat = os.fstat(handle.fileno())
                size, mtime_ns = stat.st_size, stat.st_mtime_ns
                if stat.st_size > linter.settings.max_file_size and not notebook:
                    return _check_large(linter, job, handle, size, mtime_ns, hashing, started)
                data = handle.read()
                size = len(data)  # what was read, should the file have grown meanwhile
        except NotRegularFile as error:
            return Outcome([], skipped=error.strerror)
        except OSError as error:
            return Outcome(_unreadable(linter, job.display, error))
    digest = file_digest(data) if hashing and job.data is None else None
    if digest is not None and digest == job.digest:
        return Outcome([], size, mtime_ns, digest, unchanged=True)
    if notebook:
        # Not a module of the project: checked alone, and its pre-filter sees its code only.
        phases = _Phases(linter, started)
        diagnostics = linter.lint_bytes(data, job.display)
        seconds, imports = phases.end()
        return Outcome(diagnostics, size, mtime_ns, digest, seconds=seconds, imports=imports)
    if job.index is not None:
        phases = _Phases(linter, started)
        linter.load()
        from methodlint.analysis.foreign import ProjectView

        view = ProjectView(job.index, job.module, job.package, job.imports_used, job.record)
        diagnostics, summary = linter.lint_in_project(data, job.display, view)
        if summary is not None:
            summary.to_json()  # made here, in parallel, and sent with it
        seconds, imports = phases.end()
        return Outcome(
            diagnostics,
            size,
            mtime_ns,
            digest,
            seconds=seconds,
            imports=imports,
            summary=summary,
            used=frozenset(view.used),
            screened=view.screened,
            questions=None if view.questions is None else frozenset(view.questions),
        )
    if not linter.prefilter(data):
        return Outcome([], size, mtime_ns, digest, seconds=(time.perf_counter() - started, 0, 0))
    phases = _Phases(linter, started)
    diagnostics = linter.lint_bytes(data, job.display)
    seconds, imports = phases.end()
    return Outcome(diagnostics, size, mtime_ns, digest, seconds=seconds, imports=imports)


class _Phases:
    """The seconds of one file's phases: pre-filter (the screen before LibCST included),
    parse and analysis; and apart from them, the worker's import of LibCST and the
    analysis when this file was the first to need them."""

    def __init__(self, linter: FileLinter, started: float) -> None:
        self.linter = linter
        self.started = started
        self.filtered = time.perf_counter()
        self.before = (linter.parse_seconds, linter.screen_seconds, linter.import_seconds)

    def end(self) -> tuple[tuple[float, float, float], float]:
        linter = self.linter
        parse = linter.parse_seconds - self.before[0]
        screen = linter.screen_seconds - self.before[1]
        imports = linter.import_seconds - self.before[2]
        analysis = time.perf_counter() - self.filtered - parse - screen - imports
        return (self.filtered - self.started + screen, parse, analysis), imports


def _check_large(
    linter: FileLinter,
    job: Job,
    handle: IO[bytes],
    size: int,
    mtime_ns: int,
    hashing: bool,
    started: float,
) -> Outcome:
    """A file over max-file-size: pre-filtered and hashed piece by piece, never held whole;
    ML003 when it may contain HTTP calls."""
    from methodlint.engine import _with_line_text

    hasher = new_digest() if hashing else None
    head = b""
    carry = b""
    found = False
    total = 0
    while chunk := handle.read(CHUNK):
        total += len(chunk)
        if hasher is not None:
            hasher.update(chunk)
        if not head:
            end = chunk.rfind(b"\n")
            head = chunk[: end + 1] if end >= 0 else chunk
        if not found:
            piece = carry + chunk
            found = linter.prefilter(piece)
            # An import starts a line: only the unfinished last line needs seeing again.
            rest = len(piece) - piece.rfind(b"\n") - 1
            carry = piece[-rest:] if 0 < rest <= 65536 else b""
    digest = hasher.hexdigest() if hasher is not None else None
    if digest is not None and digest == job.digest:
        return Outcome([], size, mtime_ns, digest, unchanged=True)
    diagnostics = _with_line_text(linter.too_large(total, job.display), head) if found else []
    seconds = (time.perf_counter() - started, 0.0, 0.0)
    return Outcome(diagnostics, total, mtime_ns, digest, seconds=seconds)


def check_safely(linter: FileLinter, job: Job, hashing: bool) -> Outcome:
    try:
        return check(linter, job, hashing)
    except MemoryError:
        # Not cached (no digest): memory depends on the machine and the limit, not the file.
        megabytes = linter.settings.memory_limit
        cause = f"exceeded {megabytes:,} MB (memory-limit)" if megabytes else "ran out of memory"
        return Outcome(limited(linter, job.display, f"its analysis {cause}"))
    except Exception as error:
        return Outcome(
            failed(linter, job.display, f"internal error ({type(error).__name__}: {error})")
        )


def _unreadable(linter: FileLinter, display: str, error: OSError) -> list[Diagnostic]:
    reason = error.strerror or str(error)
    return linter.file_diagnostic("ML002", display, f"cannot read file: {reason}")


def failed(linter: FileLinter, display: str, cause: str) -> list[Diagnostic]:
    return linter.file_diagnostic(
        "ML003", display, f"{cause}; not analysed, please report this at {REPORT_URL}"
    )


def limited(linter: FileLinter, display: str, cause: str) -> list[Diagnostic]:
    """ML003 for a file whose analysis ran out of a resource: not a bug, and not remembered."""
    return linter.file_diagnostic(
        "ML003", display, f"{cause}; not analysed (it is checked again on the next run)"
    )


# -- worker processes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Jobs for a worker, answered in this order. `helper`: a core has no worker (a run of a
    few files has one), so the worker may fork a helper for the later part (`_answer`)."""

    jobs: list[tuple[int, Job]]
    helper: bool = False


def worker_main(
    conn: Connection,
    settings: EngineSettings,
    hashing: bool,
    parent_end: Connection | None = None,
    errors: int | None = None,
) -> None:
    """A worker: says it is ready, then answers batches of jobs file by file until told to
    stop (None) or until the main process is gone."""
    parent = os.getppid()
    _watch_parent(parent)
    if parent_end is not None:
        # The main process's end of the pipe, inherited through fork: holding it would keep a
        # send to a dead main process blocking forever instead of failing.
        parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A crash is reported as ML003 for its file; a Python stack dump would only be noise.
    faulthandler.disable()
    if errors is not None:
        # What the native parser or the allocator prints ("memory allocation of N bytes
        # failed") goes to a file the main process reads when the worker dies, not to the
        # user's terminal.
        os.dup2(errors, 2)
    if settings.memory_limit:
        _limit_memory(settings.memory_limit)
    try:
        linter = FileLinter(settings)
        if "methodlint.analysis.pipeline" in sys.modules:
            linter.load()  # imported before the fork (an early worker's): nothing to import
        conn.send("ready")
        start = resident()
        loaded = start if linter.loaded else 0  # this worker's size once it has LibCST
        while True:
            while not conn.poll(1.0):
                if os.getppid() != parent:
                    return
            batch: Batch | None = conn.recv()
            if batch is None:
                return
            # A helper starts as large as its worker and is not replaced as workers are
            # (`RETIRE_GROWTH`): only a worker that has grown little since it imported LibCST
            # forks one (a helper forked before would import LibCST too).
            small = batch.helper and bool(loaded) and resident() - loaded < RETIRE_GROWTH // 2
            _answer(conn, linter, batch, hashing, small)
            if not loaded and linter.loaded:
                loaded = resident()
            retiring = bool(start) and _grown(start)
            if retiring:
                conn.send("retiring")  # before the end of the batch: it gets no other
            conn.send(None)
            if retiring:
                return
    except (EOFError, OSError):
        return


def _answer(
    conn: Connection, linter: FileLinter, batch: Batch, hashing: bool, small: bool = True
) -> None:
    """Check the batch's files and send their outcomes, in the batch's order.

    With `batch.helper`, a helper forked from this worker (LibCST already imported: a fork
    costs milliseconds where a new worker's import costs 0.3 s) takes files from the end of
    the batch while this worker takes them from the start, until they meet (`_Share`); the
    helper's outcomes are sent on after this worker's own, in the batch's order. What the
    main process sees is unchanged: the outcomes in order, so the first file not answered is
    the one being checked when the worker dies or runs past the time limit (the time of the
    helper's last file is counted from the worker's last outcome: it may run up to a file's
    time longer before it is stopped). A helper that dies leaves its files to this worker,
    which checks them itself (a file that crashes the helper then crashes the worker, and is
    blamed as ever); the helper dies with the worker. Without a helper (`small`: see
    `worker_main`), the worker says so first: the run may start another worker instead."""
    jobs = batch.jobs
    helped = batch.helper and small and len(jobs) > 1 and linter.loaded
    share = _Share.fork(conn, linter, jobs, hashing) if helped else None
    if batch.helper and share is None:
        conn.send("alone")
    if share is None:
        for index, job in jobs:
            conn.send((index, check_safely(linter, job, hashing)))
        return
    while (position := share.take_front()) is not None:
        index, job = jobs[position]
        conn.send((index, check_safely(linter, job, hashing)))
        share.collect()  # so that the helper never waits for room in the pipe
    share.finish(conn, linter, hashing)


class _Share:
    """A batch shared by a worker (from the start) and its helper (from the end): the next
    position of each, in memory both see, under a lock."""

    def __init__(self, jobs: list[tuple[int, Job]], lock: Any, memory: Any) -> None:
        self.jobs = jobs
        self.lock = lock
        self.memory = memory  # two integers: the next position from the start, and the last
        self.pid = 0  # the helper's, in the worker; 0 in the helper
        self.reaped = False
        self.reader: Connection | None = None
        self.done: dict[int, Any] = {}  # the helper's outcomes received, by position

    @classmethod
    def fork(
        cls, conn: Connection, linter: FileLinter, jobs: list[tuple[int, Job]], hashing: bool
    ) -> _Share | None:
        """Fork the helper; None where it cannot be (then the worker checks them all)."""
        import mmap
        from multiprocessing import get_context
        from multiprocessing.connection import Pipe

        try:
            lock = get_context("fork").Lock()
            memory = mmap.mmap(-1, 16)  # anonymous and shared: the helper sees the same
        except (OSError, ImportError, ValueError):
            return None
        share = cls(jobs, lock, memory)
        share._set(0, len(jobs) - 1)
        try:
            reader, writer = Pipe(duplex=False)
        except OSError:
            return None
        worker = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            reader.close()
            writer.close()
            return None
        if pid == 0:
            status = 0
            try:
                reader.close()
                conn.close()  # the main process's pipe is the worker's alone
                _watch_parent(worker)
                while (position := share.take_back()) is not None:
                    index, job = jobs[position]
                    writer.send((position, (index, check_safely(linter, job, hashing))))
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        writer.close()
        share.pid, share.reader = pid, reader
        return share

    def _get(self) -> tuple[int, int]:
        front, back = struct.unpack_from("qq", self.memory)
        return front, back

    def _set(self, front: int, back: int) -> None:
        struct.pack_into("qq", self.memory, 0, front, back)

    def take_front(self) -> int | None:
        return self._take(front=True)

    def take_back(self) -> int | None:
        return self._take(front=False)

    def _take(self, front: bool) -> int | None:
        locked = self._acquire()
        try:
            first, last = self._get()
            if first > last:
                return None
            if front:
                self._set(first + 1, last)
                return first
            self._set(first, last - 1)
            return last
        finally:
            if locked:
                self.lock.release()

    def _acquire(self) -> bool:
        """Take the lock. In the worker, False once the helper has ended without giving it
        back (killed from outside while it held it): nobody else takes positions then. The
        helper dies with the worker, so it never waits for a worker that has ended."""
        if self.reaped:
            return False
        while not self.lock.acquire(timeout=1.0):
            if self.pid and self._ended():
                return False
        return True

    def _ended(self) -> bool:
        """The helper has ended (and is reaped)."""
        if self.reaped:
            return True
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid = self.pid
        self.reaped = pid == self.pid
        return self.reaped

    def collect(self) -> None:
        """Take the outcomes the helper has sent so far, without waiting."""
        assert self.reader is not None
        with contextlib.suppress(EOFError, OSError):
            while self.reader.poll():
                taken, outcome = self.reader.recv()
                self.done[taken] = outcome

    def finish(self, conn: Connection, linter: FileLinter, hashing: bool) -> None:
        """Send the helper's outcomes in the batch's order, each as soon as those before it
        are sent; what a dead helper left undone this worker checks."""
        assert self.reader is not None
        first, _ = self._get()  # the helper took the rest: first .. the end, from the end
        done = self.done
        position = first
        with contextlib.suppress(EOFError, OSError):
            while position < len(self.jobs):
                while position in done:
                    conn.send(done.pop(position))
                    position += 1
                if position == len(self.jobs):
                    break
                taken, outcome = self.reader.recv()
                done[taken] = outcome
        self.reader.close()
        if not self.reaped:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(self.pid, 0)
        self.memory.close()
        if position < len(self.jobs):
            # The helper died. What it printed (an allocator's message) is not this
            # worker's: a later crash of the worker must not be blamed on it.
            with contextlib.suppress(OSError):
                os.ftruncate(2, 0)
                os.lseek(2, 0, os.SEEK_SET)
        for left in range(position, len(self.jobs)):
            message = done.pop(left, None)
            if message is None:
                index, job = self.jobs[left]
                message = (index, check_safely(linter, job, hashing))
            conn.send(message)


# A worker that has grown by this much since its start (what the files it checked left
# behind: freed memory the allocator keeps, caches) ends after its batch and a fresh one takes
# its place, so that the next large file starts from the bottom: in a project run over the
# corpus workers grew from 60 MB to 200 MB, and a 700 KB module on top of that took one to
# 340 MB; with this limit the largest worker took 281 MB (19 workers started instead of 2).
RETIRE_GROWTH = 60 << 20


def _grown(start: int) -> bool:
    """The worker has grown by RETIRE_GROWTH since `start`, even after giving back the memory
    the C allocator keeps free (`_give_back`): a new worker costs an import of LibCST."""
    if resident() - start <= RETIRE_GROWTH:
        return False
    _give_back()
    return resident() - start > RETIRE_GROWTH


def _give_back() -> None:
    """Free what garbage there is and return the C allocator's free memory to the system
    (glibc's `malloc_trim`; elsewhere nothing more). A large module's tree, once freed, stays
    in the allocator's heap: after jira's 5,000-line client the worker kept 93 MB, 44 MB once
    trimmed."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # not glibc: no malloc_trim
            import ctypes

            ctypes.CDLL(None).malloc_trim(0)


def resident() -> int:
    """This process's resident memory in bytes (Linux), else 0."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _watch_parent(parent: int) -> None:
    """Have the kernel kill this worker when the main process dies (Linux), and exit now if
    it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space at `megabytes` besides the analysis thread's stack
    (reserved, mostly untouched): an allocation past it fails (MemoryError, or the parser
    aborts) instead of the machine running out of memory."""
    try:
        import resource
    except ImportError:  # not on this system
        return
    from methodlint.big_stack import STACK_MB

    limit = (megabytes + STACK_MB) * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
