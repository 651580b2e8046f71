"""Baselines: the findings a code base already has, recorded so that only new ones are reported.

A baseline is a JSON file: `{"version": 1, "tool": "methodlint", "findings": [...]}`, each
finding with its `path`, `code` and `fingerprint` (what matching uses) and, for the reader, its
`line` and `message` when it was recorded. Paths are relative to the baseline file's folder, so
that the baseline matches whichever folder methodlint runs from. Fingerprints hash the text of
the flagged line, not its number: code inserted above a finding does not bring it back.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from methodlint.diagnostics import Diagnostic
from methodlint.fingerprint import fingerprints
from methodlint.regular_files import is_regular_or_missing, read_regular

VERSION = 1
_FIELDS = ("path", "code", "fingerprint")


class BaselineError(Exception):
    """A baseline file that is missing, unreadable or malformed (exit 2)."""


Key = tuple[str, str, str]  # path relative to the baseline's folder, code, fingerprint


def _relative(path: str, folder: str) -> str:
    if path == "-":
        return path
    try:
        relative = os.path.relpath(os.path.abspath(path), folder)
    except ValueError:  # another drive (Windows)
        return path
    return relative.replace(os.sep, "/")


def _keyed(diagnostics: Sequence[Diagnostic], baseline: str) -> list[tuple[Diagnostic, Key]]:
    """Each diagnostic with its key, in the order of their rebased paths and positions."""
    folder = os.path.dirname(os.path.abspath(baseline))
    rebased = [(d, replace(d, path=_relative(d.path, folder))) for d in diagnostics]
    rebased.sort(key=lambda pair: pair[1].sort_key())
    prints = fingerprints([r for _, r in rebased])
    return [(d, (r.path, r.code, p)) for (d, r), p in zip(rebased, prints, strict=True)]


@dataclass(frozen=True)
class Baseline:
    """The findings recorded in a baseline file."""

    path: str
    keys: Counter[Key]

    def new_findings(self, diagnostics: Sequence[Diagnostic]) -> tuple[list[Diagnostic], int]:
        """The diagnostics the baseline does not record (in their order), and how many it does."""
        left = Counter(self.keys)
        known: set[int] = set()
        for diagnostic, key in _keyed(diagnostics, self.path):
            if left[key] > 0:
                left[key] -= 1
                known.add(id(diagnostic))
        new = [d for d in diagnostics if id(d) not in known]
        return new, len(known)


def write_baseline(path: str, diagnostics: Sequence[Diagnostic]) -> int:
    """Record `diagnostics` in a baseline file at `path`; returns how many."""
    from methodlint.fix import write_atomically

    findings = [
        {
            "path": key[0],
            "code": key[1],
            "fingerprint": key[2],
            "line": diagnostic.line,
            "message": diagnostic.message,
        }
        for diagnostic, key in _keyed(diagnostics, path)
    ]
    document = {"version": VERSION, "tool": "methodlint", "findings": findings}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    kind = is_regular_or_missing(path)
    if kind is not None:
        # Renaming a new file over it would replace a device or a FIFO (as root,
        # `--write-baseline /dev/null` would replace the system's /dev/null).
        raise BaselineError(
            f"cannot write baseline file {path!r}: it is {kind}; a baseline is written only "
            "to a regular file or a new path"
        )
    try:
        write_atomically(path, text.encode("utf-8", "backslashreplace"))
    except OSError as error:
        raise BaselineError(
            f"cannot write baseline file {path!r}: {error.strerror or error}"
        ) from error
    return len(findings)


def read_baseline(path: str) -> Baseline:
    """Read a baseline file; BaselineError says what is wrong with it."""
    again = f"; write it again with --write-baseline {path}"
    try:
        data = read_regular(path)
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file {path!r} does not exist; create it with --write-baseline {path}"
        ) from None
    except OSError as error:
        raise BaselineError(
            f"cannot read baseline file {path!r}: {error.strerror or error}"
        ) from None
    try:
        document: Any = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BaselineError(f"baseline file {path!r} is not UTF-8 text{again}") from None
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"baseline file {path!r} is not valid JSON (line {error.lineno}, column "
            f"{error.colno}: {error.msg}){again}"
        ) from None
    except RecursionError:
        raise BaselineError(
            f"baseline file {path!r} nests its JSON too deeply to be a baseline{again}"
        ) from None
    if not isinstance(document, dict) or "findings" not in document:
        raise BaselineError(f"baseline file {path!r} is not a methodlint baseline{again}")
    version = document.get("version")
    if version != VERSION:
        raise BaselineError(
            f"baseline file {path!r} has version {version!r}; this methodlint reads version "
            f"{VERSION}{again}"
        )
    findings = document["findings"]
    if not isinstance(findings, list):
        raise BaselineError(f"baseline file {path!r}: 'findings' is not a list{again}")
    keys: Counter[Key] = Counter()
    for index, entry in enumerate(findings):
        if not isinstance(entry, dict):
            raise BaselineError(f"baseline file {path!r}: findings[{index}] is not an object")
        for name in _FIELDS:
            if not isinstance(entry.get(name), str):
                raise BaselineError(
                    f"baseline file {path!r}: findings[{index}] has no string {name!r}"
                )
        keys[(entry["path"], entry["code"], entry["fingerprint"])] += 1
    return Baseline(path, keys)
