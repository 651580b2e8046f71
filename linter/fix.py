"""Safe fixes: applying rules' edits to files (`--fix`) or showing them as a diff (`--diff`).

Edits are applied to the decoded text of a file, so every character outside the edited spans
stays as it was; the text is encoded back with the file's own encoding (PEP 263 cookie or BOM)
and written atomically with the file's mode. A result that LibCST cannot parse is never written.
Fixes that overlap an earlier fix are left for the next pass: after each pass the file is linted
again, until nothing fixable is left (at most `MAX_PASSES` times).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from methodlint.config import Config
from methodlint.diagnostics import Diagnostic, Fix
from methodlint.notebook import NotebookError, is_notebook, read_notebook
from methodlint.regular_files import read_regular
from methodlint.runner import Report

MAX_PASSES = 10
_NEWLINE = re.compile(r"\r\n?|\n")


def is_safe(diagnostic: Diagnostic) -> bool:
    """Whether `--fix` applies this diagnostic's fix."""
    return diagnostic.fix is not None and diagnostic.fix.applicability == "safe"


# -- edits on text --------------------------------------------------------------------------


class _Lines:
    """Converts 1-based (line, column) positions in code points to offsets in a text."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def offset(self, line: int, column: int) -> int | None:
        if not 1 <= line <= len(self.starts) or column < 1:
            return None
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else self.length
        offset = start + column - 1
        # A position may stand just after the last character of its line (before the break).
        return offset if offset <= end else None


def _newline_of(text: str) -> str:
    match = _NEWLINE.search(text)
    return match.group(0) if match else "\n"


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """`text` with the edits of `fixes`, and how many fixes were applied.

    Fixes are taken in order of position; one whose edits overlap an edit already taken (or lie
    outside the text) is skipped whole. Line breaks in an edit's content follow the text's own
    (`\\r\\n` in a CRLF file).
    """
    lines = _Lines(text)
    newline = _newline_of(text)
    located: list[tuple[tuple[int, int], list[tuple[int, int, str]]]] = []
    for fix in fixes:
        edits = []
        for edit in fix.edits:
            start = lines.offset(edit.span.line, edit.span.column)
            end = lines.offset(edit.span.end_line, edit.span.end_column)
            if start is None or end is None or end < start:
                break
            content = edit.content
            if newline != "\n" and "\n" in content:
                content = _NEWLINE.sub(newline, content)
            edits.append((start, end, content))
        else:
            if edits:
                first = min(edits)
                located.append(((first[0], first[1]), edits))
    taken: list[tuple[int, int, str]] = []
    applied = 0
    # By where each fix starts; fixes that start at one place keep the order given.
    for _, edits in sorted(located, key=lambda item: item[0][0]):
        if any(_overlap(edit, other) for edit in edits for other in taken):
            continue
        if any(_overlap(a, b) for i, a in enumerate(edits) for b in edits[i + 1 :]):
            continue
        taken.extend(edits)
        applied += 1
    parts = []
    position = 0
    for start, end, content in sorted(taken, key=lambda edit: (edit[0], edit[1])):
        parts.append(text[position:start])
        parts.append(content)
        position = end
    parts.append(text[position:])
    return "".join(parts), applied


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    # Two insertions at one place would depend on their order: that counts as overlapping.
    return (a[0] < b[1] and b[0] < a[1]) or a[0] == b[0]


# -- one file -------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of Python source and its encoding, as the interpreter reads it."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def _parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return False
    return True


@dataclass
class FileFix:
    """The outcome of fixing one file."""

    path: str  # as displayed, which is also where to read and write it
    original: bytes
    fixed: bytes
    applied: int  # how many findings were fixed
    remaining: list[Diagnostic]  # the findings of the fixed content
    error: str | None = None  # why the fixes could not be applied (or written)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def fix_file(path: str, data: bytes, lint: Callable[[bytes], list[Diagnostic]]) -> FileFix:
    """Apply every safe fix to `data`, linting it again after each pass with `lint`."""
    diagnostics = lint(data)
    if not any(is_safe(d) for d in diagnostics):
        return FileFix(path, data, data, 0, diagnostics)
    if is_notebook(path):
        return _fix_notebook(path, data, diagnostics, lint)
    try:
        text, encoding = decode(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as error:
        return FileFix(path, data, data, 0, diagnostics, f"cannot decode the file: {error}")
    if text.encode(encoding) != data:
        # Encoding the text back would change bytes that no fix touches.
        reason = f"its {encoding} text does not encode back to the same bytes"
        return FileFix(path, data, data, 0, diagnostics, reason)
    applied = 0
    current = text
    for _ in range(MAX_PASSES):
        fixes = [d.fix for d in diagnostics if is_safe(d) and d.fix is not None]
        if not fixes:
            break
        new, count = apply_fixes(current, fixes)
        if count == 0 or new == current:
            break
        if not _parses(new):
            reason = "the fixed text would not parse; nothing was changed (please report this)"
            return FileFix(path, data, data, 0, lint(data), reason)
        current = new
        applied += count
        diagnostics = lint(current.encode(encoding))
    return FileFix(path, data, current.encode(encoding), applied, diagnostics)


def _fix_notebook(
    path: str, data: bytes, diagnostics: list[Diagnostic], lint: Callable[[bytes], list[Diagnostic]]
) -> FileFix:
    """`fix_file` for a notebook: each cell's edits (in cell coordinates) are applied to that
    cell's source, and the cells are spliced back into the notebook's JSON text."""
    try:
        notebook = read_notebook(data)
    except NotebookError as error:
        return FileFix(path, data, data, 0, diagnostics, f"not a valid notebook: {error}")
    sources = notebook.sources()
    applied = 0
    fixed = data
    for _ in range(MAX_PASSES):
        by_cell: dict[int, list[Fix]] = {}
        for d in diagnostics:
            if is_safe(d) and d.fix is not None and d.cell in sources:
                by_cell.setdefault(d.cell, []).append(d.fix)
        count = 0
        for cell, fixes in by_cell.items():
            new, done = apply_fixes(sources[cell], fixes)
            if done and new != sources[cell]:
                sources[cell] = new
                count += done
        if count == 0:
            break
        candidate = notebook.with_sources(sources)
        after = lint(candidate)
        if any(d.code == "ML001" for d in after):
            reason = "the fixed cells would not parse; nothing was changed (please report this)"
            return FileFix(path, data, data, 0, lint(data), reason)
        fixed, diagnostics = candidate, after
        applied += count
    return FileFix(path, data, fixed, applied, diagnostics)


def write_atomically(
    path: str | os.PathLike[str], data: bytes, expected: bytes | None = None
) -> None:
    """Replace the file at `path` (a symlink's target) with `data` through a temporary file in
    the same folder, keeping its permission bits. With `expected` (fixing a file), refuse
    (ValueError) a file the user may not write, and a file that no longer holds those bytes,
    checked again after the temporary file is written, just before the rename: an edit made
    meanwhile by another program is never lost. A new file gets the usual mode (0666 minus
    the umask)."""
    target = os.path.realpath(path)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    if expected is not None:
        if status is None:
            raise ValueError("the file was removed while methodlint was fixing it")
        _check_writable(target, status)
        _check_unchanged(target, expected)
    if status is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        mode = stat.S_IMODE(status.st_mode)
    folder, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if status is not None and hasattr(os, "chown"):
            # Keep the owner when running as another user who may write there (root); most
            # users cannot give files away, and then the file becomes theirs.
            with contextlib.suppress(OSError):
                os.chown(temporary, status.st_uid, status.st_gid)
        # After chown, which may clear the set-user-ID bit.
        os.chmod(temporary, mode)
        if expected is not None:
            _check_unchanged(target, expected)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _check_writable(target: str, status: os.stat_result) -> None:
    """A file the user may not write is left alone, though renaming over it would work (the
    folder is writable): read-only is what its owner asked for. As root, whom permissions do
    not stop, a file without any write permission bit counts as read-only."""
    if not stat.S_ISREG(status.st_mode):
        raise ValueError("it is not a regular file")
    if not os.access(target, os.W_OK) or not status.st_mode & 0o222:
        raise ValueError("the file is read-only (no write permission); it was left unchanged")


def _check_unchanged(target: str, expected: bytes) -> None:
    try:
        current = read_regular(target)
    except OSError as error:
        raise ValueError(f"it cannot be read again ({error.strerror or error})") from None
    if current != expected:
        raise ValueError("the file changed while methodlint was fixing it; it was left as is")


# -- a run ----------------------------------------------------------------------------------


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of one file (git style `a/` and `b/` names), "" when nothing changed."""
    if before == after:
        return ""
    if is_notebook(path):
        return _notebook_diff(path, before, after)
    old, _ = decode(before)
    new, _ = decode(after)
    import difflib

    lines = difflib.unified_diff(
        _split_lines(old), _split_lines(new), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _notebook_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of each code cell that changed, named `path:cell N` (the JSON text
    around the cells does not change)."""
    import difflib

    old = read_notebook(before).sources()
    new = read_notebook(after).sources()
    out = []
    for number, text in old.items():
        changed = new.get(number, text)
        if changed == text:
            continue
        name = f"{path}:cell {number}"
        lines = difflib.unified_diff(
            _split_lines(text), _split_lines(changed), fromfile=f"a/{name}", tofile=f"b/{name}"
        )
        for line in lines:
            out.append(line)
            if not line.endswith(("\n", "\r")):
                out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _split_lines(text: str) -> list[str]:
    lines = []
    position = 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[position : match.end()])
        position = match.end()
    if position < len(text):
        lines.append(text[position:])
    return lines


@dataclass
class FixRun:
    """The outcome of `--fix` or `--diff` over a run's findings."""

    files: list[FileFix] = field(default_factory=list)
    report: Report = field(default_factory=Report)  # the findings after fixing
    stdin: bytes | None = None  # the fixed standard input (for --fix with -)

    @property
    def applied(self) -> int:
        return sum(f.applied for f in self.files if f.error is None)

    @property
    def errors(self) -> list[str]:
        return [f"cannot fix {f.path}: {f.error}" for f in self.files if f.error is not None]

    def diff(self) -> str:
        return "".join(unified_diff(f.path, f.original, f.fixed) for f in self.files)


def fix_report(
    report: Report,
    config: Config,
    paths: Sequence[str],
    *,
    stdin: bytes | None = None,
    stdin_filename: str | None = None,
    write: bool = True,
) -> FixRun:
    """Fix the files of `report` that have safe fixes: write them (`write`) or only compute the
    fixes (for --diff). Returns the files and the report with their findings linted again."""
    from methodlint.files import STDIN, collect_files
    from methodlint.runner import lint_paths

    stdin_path: str | None = None
    if STDIN in paths:
        found = collect_files([STDIN], config, stdin_filename=stdin_filename).files
        stdin_path = found[0].display if found else None
    run = FixRun(stdin=stdin)
    done: dict[str, FileFix] = {}
    for path in sorted({d.path for d in report.diagnostics if is_safe(d)}):
        name = None if path == STDIN else path

        def lint(data: bytes, name: str | None = name) -> list[Diagnostic]:
            found = lint_paths([STDIN], config, jobs=1, stdin=data, stdin_filename=name)
            return found.diagnostics

        if path == stdin_path:
            result = fix_file(path, stdin or b"", lint)
            run.stdin = result.fixed
        else:
            try:
                data = read_regular(path)
            except OSError as error:
                result = FileFix(path, b"", b"", 0, [], f"cannot read it: {error.strerror}")
            else:
                result = fix_file(path, data, lint)
            if write and result.error is None and result.changed:
                try:
                    write_atomically(path, result.fixed, expected=result.original)
                except (OSError, ValueError) as error:
                    reason = error.strerror if isinstance(error, OSError) else str(error)
                    result.error = f"cannot write it: {reason or error}"
        run.files.append(result)
        if result.error is None:
            done[path] = result
    kept = [d for d in report.diagnostics if d.path not in done]
    for result in done.values():
        kept.extend(result.remaining)
    run.report = replace(report, diagnostics=sorted(kept, key=Diagnostic.sort_key))
    return run
