"""The thread that parses and analyses files: a large stack, kept from file to file."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from methodlint.big_stack import RECURSION_LIMIT, in_big_stack


def _depth(n: int) -> int:
    return 0 if n == 0 else 1 + _depth(n - 1)


def test_recursion_far_deeper_than_the_default_limit_runs() -> None:
    assert in_big_stack(lambda: _depth(RECURSION_LIMIT - 1_000)) == RECURSION_LIMIT - 1_000
    # The caller's limit is as it was.
    assert sys.getrecursionlimit() < RECURSION_LIMIT


def test_one_thread_serves_every_file_and_errors_reach_the_caller() -> None:
    first = in_big_stack(threading.current_thread)
    assert first is not threading.current_thread()
    with pytest.raises(ZeroDivisionError):
        in_big_stack(lambda: 1 // 0)
    assert in_big_stack(threading.current_thread) is first


def test_a_call_from_the_analysis_itself_runs_there() -> None:
    """No deadlock: the analysis thread does not wait for itself."""
    assert in_big_stack(lambda: in_big_stack(threading.current_thread)) is in_big_stack(
        threading.current_thread
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_process_starts_its_own_thread() -> None:
    """A worker forks helpers after it has analysed files: the helper has no analysis
    thread of its own until it starts one."""
    in_big_stack(lambda: None)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0 if in_big_stack(lambda: _depth(5_000)) == 5_000 else 1
        os._exit(code)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:  # it waits for a thread it does not have
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked process never got its call answered")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0
