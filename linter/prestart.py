"""A worker started before the command line is read, so that it imports while the main
process does.

A small run (a pre-commit hook on five files) is mostly imports, one after the other: the
command line and its modules in the main process (about 0.15 s), then, once the files are
known, LibCST and the analysis in the worker (about 0.3 s). `start` forks the worker first
thing (`python -m methodlint`, the `methodlint` command): it imports LibCST and the analysis
(`engine.preload`) while the main process imports the command line, then waits for its
settings. The run's first worker is this one (`take`, `runner._Worker`); a run that needs
no worker (every file cached, `--help`) ends it unused, having cost the other core its
imports and no time. Not where fork is unsafe (macOS) or on one core, where the two would
only take turns, nor for the language server, which may wait for work for hours, nor with
METHODLINT_PRESTART=0 in the environment.

The worker is forked with the interruption signals blocked: a Ctrl-C before it has set its
own handlers is the main process's alone (which ends the run), not a second line.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing's import is slow, and the main process has not imported it yet
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from typing import IO, Any

# Options after which no file is checked: no worker is started for them.
NO_CHECK_OPTIONS = frozenset(
    {
        "-h",
        "--help",
        "--version",
        "--explain",
        "--list-rules",
        "--show-settings",
        "--show-files",
    }
)

_started: tuple[Any, Connection, IO[bytes]] | None = None


def wanted(argv: list[str]) -> bool:
    """Whether a command line may check files, on a system where a worker started early can
    run beside the main process."""
    if sys.platform == "darwin" or not hasattr(os, "fork"):
        return False
    if os.environ.get("METHODLINT_PRESTART") == "0":
        return False  # turned off (to measure without it, or where a fork at start is unwelcome)
    words = [arg for arg in argv if not arg.startswith("-")]
    if words[:1] == ["server"]:  # `methodlint server`, `methodlint -v server`
        return False
    if any(arg.split("=")[0] in NO_CHECK_OPTIONS for arg in argv):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores > 1


def start() -> None:
    """Fork the worker. Where that fails (no temporary file, no descriptor left, no process)
    the run starts its workers as usual: a worker started early only saves time."""
    global _started
    try:
        _started = _fork()
    except Exception:
        _started = None


def _fork() -> tuple[Any, Connection, IO[bytes]]:
    import signal
    import tempfile
    from multiprocessing import get_context

    context = get_context("fork")
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (the adopting _Worker closes it)
    try:
        conn, child = context.Pipe()
    except BaseException:
        errors.close()
        raise
    process = context.Process(
        target=_wait,
        args=(child, conn, errors.fileno()),
        name="methodlint-worker",
        daemon=True,
    )
    blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        process.start()
    except BaseException:
        conn.close()
        errors.close()
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        child.close()
    return process, conn, errors


def take() -> tuple[Any, Connection, IO[bytes]] | None:
    """The worker started early, if there is one and it is alive: its process, its end of
    the pipe, and the file its standard error goes to. Taken once."""
    global _started
    started, _started = _started, None
    if started is not None and not started[0].is_alive():
        discard(started)
        return None
    return started


def discard(started: tuple[Any, Connection, IO[bytes]]) -> None:
    process, conn, errors = started
    conn.close()
    errors.close()
    process.join(1)
    if process.is_alive():
        process.kill()
        process.join()


def _wait(conn: Connection, parent_end: Connection, errors: int) -> None:
    """The worker: imports, then becomes a worker (`worker.worker_main`) with the settings
    the run sends, or ends when the run ends without needing it."""
    import signal

    parent_end.close()  # so that the main process's end is its alone: EOF when it ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    # What it prints goes where a worker's standard error goes (the main process reads it if
    # the worker dies), never to the terminal.
    os.dup2(errors, 2)
    try:
        from methodlint.engine import preload
        from methodlint.worker import worker_main

        preload()
        message = conn.recv()
    except (EOFError, OSError):
        return  # the run ended without it
    except Exception:
        # A plugin that fails to import, settings that do not unpickle: the run starts a
        # worker of its own, which reports the failure as workers do.
        os._exit(1)
    if message is None:
        return
    settings, hashing = message
    worker_main(conn, settings, hashing, None, errors)
