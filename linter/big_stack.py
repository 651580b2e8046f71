"""Running the analysis of a file in a thread with a large stack.

LibCST's visitors and code generation recurse once per nesting level of the tree, deeper than
the main thread's stack allows. The analysis of each file runs in a thread with a large stack
and recursion limit: one thread per process, kept for the next file. Starting a thread per
file cost about a tenth of the analysis of a small file (mapping and unmapping the stack, and
faulting its pages in again each time). A process forked from one that has the thread (a
worker's helper) starts its own.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

# The stack of the thread that parses and analyses a file, in megabytes. It is reserved address
# space, mostly untouched (a worker's memory limit counts it: `worker.py`).
STACK_MB = 512
RECURSION_LIMIT = 30_000

_T = TypeVar("_T")


class _Task(Generic[_T]):
    """One call handed to the thread, and its outcome; `done` is released when it is in."""

    __slots__ = ("done", "error", "function", "result")

    def __init__(self, function: Callable[[], _T]) -> None:
        self.function = function
        self.result: _T | None = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()


class _Runner:
    """The thread of this process, started on first use."""

    def __init__(self) -> None:
        self.pid = -1
        self.thread: threading.Thread | None = None
        self.tasks: queue.SimpleQueue[_Task[object]] = queue.SimpleQueue()
        self.lock = threading.Lock()  # one file at a time (the language server's threads)

    def run(self, function: Callable[[], _T]) -> _T:
        if threading.current_thread() is self.thread:
            return function()  # called from the analysis itself: already there
        with self.lock:
            if self.pid != os.getpid():
                self._start()
            task = _Task(function)
            old_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
            try:
                self.tasks.put(task)  # type: ignore[arg-type]
                task.done.acquire()
            finally:
                sys.setrecursionlimit(old_limit)
        if task.error is not None:
            error, task.error = task.error, None  # no cycle through the traceback
            raise error
        return task.result  # type: ignore[return-value]

    def _start(self) -> None:
        self.tasks = queue.SimpleQueue()
        old_size = threading.stack_size()
        try:
            threading.stack_size(STACK_MB * 1024 * 1024)
            thread = threading.Thread(
                target=_serve, args=(self.tasks,), name="methodlint-file", daemon=True
            )
            try:
                thread.start()
            except RuntimeError:
                # Under a worker's memory limit the stack may not fit any more.
                raise MemoryError("no room for the analysis thread's stack") from None
        finally:
            threading.stack_size(old_size)
        self.pid, self.thread = os.getpid(), thread


def _serve(tasks: queue.SimpleQueue[_Task[object]]) -> None:
    while True:
        task = tasks.get()
        try:
            task.result = task.function()
        except BaseException as caught:  # handed to the caller, whatever it is
            task.error = caught
        task.function = _nothing
        task.done.release()
        del task


def _nothing() -> None:
    return None


_RUNNER = _Runner()


def in_big_stack(function: Callable[[], _T]) -> _T:
    """Run `function` in this process's thread with a large stack and recursion limit, and
    return what it returns (or raise what it raised)."""
    return _RUNNER.run(function)


def _after_fork() -> None:
    # A forked child has only the thread that forked: the lock may be held by a call in
    # progress in the parent, and the analysis thread is not there.
    _RUNNER.lock = threading.Lock()
    _RUNNER.pid, _RUNNER.thread = -1, None


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_after_fork)

__all__ = ["RECURSION_LIMIT", "STACK_MB", "in_big_stack"]
