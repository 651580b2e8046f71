"""`python -m methodlint` and the `methodlint` command: the command line, with interruptions
turned into one line and exit status 130.

Ctrl-C, SIGTERM and SIGHUP raise `Interrupted` (not KeyboardInterrupt, which click would turn
into "Aborted!" and status 1): the code it unwinds removes its temporary files, stops the
workers and saves the cache entries already finished; nothing is left half-written, because
every write goes to a temporary file that is renamed into place.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing is slow, and comes after the handlers
if TYPE_CHECKING:
    from typing import Any

# CPython's own module, loaded at start-up: `signal` imports `enum`, which takes longer than
# the rest of the way to here.
early: Any = sys.modules.get("_signal")
if early is None:  # another Python
    import signal as early

INTERRUPTED = "methodlint: interrupted\n"


def _on_signals(module: Any, handler: object) -> None:
    """Set `handler` for Ctrl-C, SIGTERM and SIGHUP (those this system has), through
    `module` (`signal`, or `_signal` before `signal` is imported)."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(module, name):
            module.signal(getattr(module, name), handler)


def _interrupted_early(number: int, frame: object) -> None:
    # Before `run` takes over nothing is open and nothing written: one line and the status
    # (contextlib is not imported yet).
    try:  # noqa: SIM105
        os.write(2, INTERRUPTED.encode())
    except OSError:
        pass
    os._exit(130)


# First of all, before the imports below: an interruption while they run is one line too.
_on_signals(early, _interrupted_early)

import contextlib  # noqa: E402
import signal  # noqa: E402
from types import FrameType  # noqa: E402


class Interrupted(BaseException):
    """The run was interrupted by a signal."""


def _interrupt(number: int, frame: FrameType | None) -> None:
    # Once is enough: a second Ctrl-C while cleaning up must not cut the cleaning short.
    _on_signals(signal, signal.SIG_IGN)
    raise Interrupted(number)


_REPORT_UNRAISABLE = sys.unraisablehook


def _unraisable(unraisable: Any) -> None:
    """Python runs a signal's handler wherever the main thread is, a weakref callback or a
    `__del__` among them (importlib's module locks have one: a Ctrl-C while a module is
    imported may land there), and an exception raised there goes nowhere: the run would go
    on as if never interrupted, waiting for a worker that ignores the signal. The signal is
    sent again a moment later from another thread (sent from here, its handler would run
    here, inside this hook), to be raised once the main thread is back in code that passes
    it on; should it land in such a place again, this runs again."""
    if isinstance(unraisable.exc_value, Interrupted):
        import threading

        _on_signals(signal, _interrupt)
        again = threading.Timer(0.01, signal.raise_signal, (unraisable.exc_value.args[0],))
        again.daemon = True
        again.start()
        return
    _REPORT_UNRAISABLE(unraisable)


def run() -> None:
    try:
        sys.unraisablehook = _unraisable
        _on_signals(signal, _interrupt)
        from methodlint import prestart

        if prestart.wanted(sys.argv[1:]):
            prestart.start()  # a worker imports LibCST while this process imports the rest
        from methodlint.cli import main

        main()
    except SystemExit as done:
        # Not after the language server (`methodlint -v server` too): its threads end as
        # Python ends them.
        if "methodlint.lsp.server" not in sys.modules:
            try:
                _exit_now(done.code)
            except (Interrupted, KeyboardInterrupt):
                _interrupted()
        raise
    except (Interrupted, KeyboardInterrupt):
        _interrupted()


def _interrupted() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(INTERRUPTED)
        sys.stderr.flush()
    os._exit(130)


def _exit_now(code: object) -> None:
    """End the process once what it printed is flushed and the exit handlers have run (the
    profile line, multiprocessing's), without the interpreter's teardown: freeing every
    module and object one by one took 20 to 40 ms of a run of 0.5 s, and the system frees
    them at once. Returns, for the usual exit, when a stream cannot be flushed (a closed
    pipe: Python reports it as it always has) or the status is not a number."""
    if code is None:
        code = 0
    if not isinstance(code, int):
        return
    try:
        _flush()
    except (OSError, ValueError):
        return
    import atexit

    run_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's, since 2.x
    if run_handlers is None:
        return
    run_handlers()
    with contextlib.suppress(OSError, ValueError):
        _flush()  # what the handlers printed
    os._exit(code & 0xFF)  # as the system truncates the status of exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


if __name__ == "__main__":
    run()
