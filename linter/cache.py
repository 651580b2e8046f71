"""The result cache: what each file produced last time, so that unchanged files cost a `stat`.

One JSON file per project and run key, in `.methodlint_cache/` of the project folder (the
configuration file's folder, else the current one) or the folder given with `--cache-dir`. The
run key covers everything besides a file's content that can change its findings: methodlint's
version and source files, the Python and LibCST versions, the engine settings (rules, limits,
modules) and the installed plugins. A file's entry is reused when its size and modification time
are unchanged, or else when its content hash is; entries written while the file was being
changed (its modification time is too close to the run's start) are only trusted by hash.

Whatever is in the folder is checked before use and ignored when it does not fit: a corrupt,
truncated, altered (the file carries a checksum of its entries), foreign, oversized or
unwritable cache, or something that is not a regular file (a FIFO, a symlink to a device),
costs a cold run, never a wrong result, a hang or a failure.
Writes go to a temporary file that is renamed over the old one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from methodlint.diagnostics import Diagnostic, Edit, Fix, Severity, Span
from methodlint.regular_files import read_regular

DEFAULT_FOLDER = ".methodlint_cache"
FORMAT = 3
# A cache file larger than this is not read (a symlink to /dev/zero, or a runaway file): the
# run is cold and rewrites it.
MAX_CACHE_BYTES = 1 << 30
# The tag of https://bford.info/cachedir/: backup tools skip folders that carry it.
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by methodlint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
# A file modified this close to the start of the run may change again within the same
# modification-time tick after it was read (coarse clocks, 1-2 s on some file systems).
RACY_NS = 2_000_000_000
# Settings that decide whether a file is analysed, not what it produces: only outcomes that do
# not depend on them are cached (`runner.py`), so changing them keeps the cache.
NOT_IN_KEY = frozenset(("memory_limit", "time_limit"))
# Cache files of other run keys (other configurations) kept besides the current one.
KEEP_OTHER_KEYS = 7


class _Invalid(Exception):
    """Something in the cache file is not what this version writes."""


@dataclasses.dataclass
class Entry:
    """What a file produced: its (size, mtime) and content hash when it was read, and its
    diagnostics without the path (the display path depends on the current folder)."""

    size: int
    mtime_ns: int
    digest: str
    diagnostics: list[Diagnostic]
    # False when the file was modified too close to the run that read it: then only its
    # content hash says it is unchanged.
    trusted: bool = True
    # In a project run (`project_run.py`): the file's imports, whether it was a candidate
    # by its bytes, its summary (JSON) and the digests of the summaries it was checked with.
    project: dict[str, Any] | None = None


def file_digest(data: bytes) -> str:
    """The content hash stored per file."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def new_digest() -> Any:
    """An incremental hasher that gives the same hex digest as `file_digest`."""
    return hashlib.blake2b(digest_size=16)


def run_key(settings: object, version: str) -> str:
    """A hash of everything that changes results besides the files themselves."""
    parts = {
        "format": FORMAT,
        "methodlint": version,
        "sources": _own_sources(),
        "python": sys.version,
        "libcst": _distribution_version("libcst"),
        "settings": _canonical(settings, skip=NOT_IN_KEY),
        "plugins": _plugins(),
    }
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Cache:
    """The entries of one run key, loaded from and saved to one file in `folder`."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key
        self.path = folder / f"cache-{key[:24]}.json"
        self._raw: dict[str, Any] = {}
        self._entries: dict[str, Entry] = {}
        self._changed = False
        self._seen: set[str] = set()
        self.started_ns = time.time_ns()

    @classmethod
    def load(cls, folder: Path, key: str) -> Cache:
        """The cache in `folder` for `key`; empty when missing, unreadable, not a regular
        file, too large, altered (its checksum) or invalid."""
        cache = cls(folder, key)
        try:
            data = read_regular(cache.path, MAX_CACHE_BYTES)
        except OSError:
            return cache
        files = _parse_document(data, key)
        if files is not None:
            cache._raw = files
        return cache

    def get(self, path: str) -> Entry | None:
        """The entry of a file (by absolute path), or None; an invalid entry is None."""
        self._seen.add(path)
        entry = self._entries.get(path)
        if entry is not None:
            return entry
        raw = self._raw.get(path)
        if raw is None:
            return None
        try:
            entry = _decode_entry(raw)
        except (_Invalid, ValueError, TypeError, KeyError, IndexError):
            self._raw.pop(path, None)
            self._changed = True
            return None
        self._entries[path] = entry
        return entry

    def fresh(self, path: str, stat: os.stat_result) -> Entry | None:
        """The entry of a file whose size and modification time have not changed."""
        entry = self.get(path)
        if (
            entry is not None
            and entry.trusted
            and entry.size == stat.st_size
            and entry.mtime_ns == stat.st_mtime_ns
        ):
            return entry
        return None

    def put(
        self,
        path: str,
        size: int,
        mtime_ns: int,
        digest: str,
        diagnostics: Sequence[Diagnostic],
        project: dict[str, Any] | None = None,
    ) -> None:
        """Record what a file produced when it had this size, mtime and content hash."""
        self._seen.add(path)
        trusted = mtime_ns < self.started_ns - RACY_NS
        stored = [dataclasses.replace(d, path="") for d in diagnostics]
        entry = Entry(size, mtime_ns, digest, stored, trusted, project)
        if self._entries.get(path) == entry:
            return
        self._entries[path] = entry
        self._raw.pop(path, None)
        self._changed = True

    def save(self) -> bool:
        """Write the cache when it changed (atomically); False when it could not be written."""
        if not self._changed:
            return True
        files: dict[str, Any] = {}
        for path, raw in self._raw.items():
            # Entries of files this run did not look at are kept while the file exists (a
            # pre-commit run checks a few files of a project).
            if path in self._seen or os.path.lexists(path):
                files[path] = raw
        for path, entry in self._entries.items():
            files[path] = _encode_entry(entry)
        try:
            self._prepare_folder()
            _write_atomically(self.path, _document(self.key, files))
        except OSError:
            return False
        self._changed = False
        self._prune()
        return True

    def _prepare_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            marker = self.folder / name
            if not marker.exists():
                _write_atomically(marker, text)

    def _prune(self) -> None:
        """Remove the cache files of the oldest other run keys, and stale temporary files."""
        try:
            others = [
                entry
                for entry in os.scandir(self.folder)
                if entry.name.startswith("cache-") and entry.path != str(self.path)
            ]
            others.sort(key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
            for entry in others[KEEP_OTHER_KEYS:]:
                os.unlink(entry.path)
            hour_ago = time.time() - 3600
            for entry in os.scandir(self.folder):
                if entry.name.startswith(".tmp-") and entry.stat().st_mtime < hour_ago:
                    os.unlink(entry.path)
        except OSError:
            pass


def _write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path` and rename it over `path`: readers see the old
    file or the new one, never a part. (Not mkstemp: its files ignore the umask.)"""
    temporary = path.parent / f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# -- the file: a header line, then the entries -------------------------------------------------


def _document(key: str, files: dict[str, Any]) -> str:
    """The cache file's text: a JSON header with the checksum of the JSON body that follows
    it on the next line. A body altered in any way (one digit of a line number, an emptied
    list of findings) no longer matches, and the cache is rebuilt."""
    body = json.dumps(files, separators=(",", ":"))
    checksum = hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest()
    header = json.dumps({"format": FORMAT, "key": key, "checksum": checksum})
    return f"{header}\n{body}"


def _parse_document(data: bytes, key: str) -> dict[str, Any] | None:
    """The entries of a cache file written for `key`, or None when it does not fit."""
    head, newline, body = data.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(head)
    except (ValueError, RecursionError):
        return None
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("key") != key
        or header.get("checksum") != hashlib.blake2b(body, digest_size=16).hexdigest()
    ):
        return None
    try:
        files = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return files if isinstance(files, dict) else None


# -- the JSON form of an entry ------------------------------------------------------------------


def _encode_entry(entry: Entry) -> list[Any]:
    return [
        entry.size,
        entry.mtime_ns,
        entry.digest,
        entry.trusted,
        [_encode_diagnostic(d) for d in entry.diagnostics],
        entry.project,
    ]


def _encode_diagnostic(d: Diagnostic) -> list[Any]:
    fix = None
    if d.fix is not None:
        edits = [[*dataclasses.astuple(e.span), e.content] for e in d.fix.edits]
        fix = [d.fix.message, d.fix.applicability, edits]
    return [
        d.code,
        d.name,
        d.message,
        d.hint,
        d.severity.value,
        d.line,
        d.column,
        d.end_line,
        d.end_column,
        fix,
        d.line_text,
        d.cell,
    ]


def _decode_entry(raw: object) -> Entry:
    size, mtime_ns, digest, trusted, diagnostics, project = _list(raw, 6)
    if project is not None and not isinstance(project, dict):
        raise _Invalid("project")
    return Entry(
        _int(size),
        _int(mtime_ns),
        _str(digest),
        [_decode_diagnostic(d) for d in _list(diagnostics)],
        _bool(trusted),
        project,
    )


def _decode_diagnostic(raw: object) -> Diagnostic:
    code, name, message, hint, severity, line, column, end_line, end_column, fix, text, cell = (
        _list(raw, 12)
    )
    return Diagnostic(
        code=_str(code),
        name=_str(name),
        message=_str(message),
        hint=_str(hint),
        severity=Severity(_str(severity)),
        path="",
        line=_int(line),
        column=_int(column),
        end_line=_int(end_line),
        end_column=_int(end_column),
        fix=None if fix is None else _decode_fix(fix),
        line_text=_str(text),
        cell=None if cell is None else _int(cell),
    )


def _decode_fix(raw: object) -> Fix:
    message, applicability, edits = _list(raw, 3)
    decoded = []
    for edit in _list(edits):
        line, column, end_line, end_column, content = _list(edit, 5)
        span = Span(_int(line), _int(column), _int(end_line), _int(end_column))
        decoded.append(Edit(span, _str(content)))
    return Fix(_str(message), tuple(decoded), _str(applicability))


def _list(value: object, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise _Invalid(value)
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(value)
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(value)
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(value)
    return value


# -- the run key --------------------------------------------------------------------------------


def _canonical(value: object, skip: frozenset[str] = frozenset()) -> object:
    """A JSON-able form of settings that does not depend on set order or hash seeds (without
    the top-level fields named in `skip`)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "@" + type(value).__name__: {
                f.name: _canonical(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.name not in skip
            }
        }
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, (frozenset, set)):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda i: str(i[0]))}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _own_sources() -> list[list[object]]:
    """Name, size and mtime of methodlint's own modules: a development checkout changes them
    without changing the version."""
    import methodlint
    import methodlint.rules

    found: list[list[object]] = []
    for package in (methodlint, methodlint.rules):
        for folder in package.__path__:
            try:
                with os.scandir(folder) as listing:
                    for entry in listing:
                        if entry.name.endswith(".py"):
                            stat = entry.stat()
                            found.append([entry.path, stat.st_size, stat.st_mtime_ns])
            except OSError:
                continue
    return sorted(found, key=lambda item: str(item[0]))


def _distribution_version(name: str) -> str | None:
    from methodlint.installed import version

    return version(name)


def _plugins() -> list[list[str | None]]:
    """The installed plugins: entry point, distribution and version."""
    from methodlint import registry

    found = []
    for entry in registry.entry_points(group="methodlint.rules"):
        dist = getattr(entry, "dist", None)
        found.append(
            [
                entry.name,
                entry.value,
                dist.metadata["Name"] if dist is not None else None,
                dist.version if dist is not None else None,
            ]
        )
    return sorted(found, key=lambda item: json.dumps(item))
