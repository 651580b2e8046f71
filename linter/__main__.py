"""`python -m methodlint` and the `methodlint` command: the command line, with interruptions
turned into one line and exit status 130.

Ctrl-C, SIGTERM and SIGHUP raise `Interrupted` (not KeyboardInterrupt, which click would turn
into "Aborted!" and status 1): the code it unwinds removes its temporary files, stops the
workers and saves the cache entries already finished; nothing is left half-written, because
every write goes to a temporary file that is renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType


class Interrupted(BaseException):
    """The run was interrupted by a signal."""


def _interrupt(number: int, frame: FrameType | None) -> None:
    # Once is enough: a second Ctrl-C while cleaning up must not cut the cleaning short.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Interrupted(number)


def run() -> None:
    try:
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _interrupt)
        from methodlint.cli import main

        main()
    except (Interrupted, KeyboardInterrupt):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stdout.flush()
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.write("methodlint: interrupted\n")
            sys.stderr.flush()
        os._exit(130)


if __name__ == "__main__":
    run()
