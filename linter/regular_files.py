"""Opening only regular files: a FIFO, a device or a socket where a file is expected (given
explicitly, or put in place of a file after it was found) must not hang a run or feed it
endless bytes.

The file is opened without blocking (opening a FIFO for reading otherwise waits for a writer)
and checked with `fstat` on the open descriptor, so that what is read is what was checked.
"""

from __future__ import annotations

import os
import stat
from typing import IO


class NotRegularFile(OSError):
    """The path names something other than a regular file (or a symlink to one)."""


def kind_of(mode: int) -> str:
    """What a file of this mode is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a regular file for reading in binary mode; NotRegularFile for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(0, f"{kind_of(mode)}, not a regular file", os.fspath(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file; with `limit`, OSError when it holds more than that."""
    with open_regular(path) as handle:
        if limit is None:
            return handle.read()
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(0, f"larger than {limit:,} bytes", os.fspath(path))
    return data


def is_regular_or_missing(path: str | os.PathLike[str]) -> str | None:
    """None when `path` is a regular file (through symlinks) or does not exist; else what it
    is, in words (for refusing to replace it)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return None
    return kind_of(mode)
