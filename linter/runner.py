"""Linting many files: selection, per-file ignores, the process pool, sorted results."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from methodlint.config import Config
from methodlint.diagnostics import Diagnostic
from methodlint.engine import EngineSettings, FileLinter
from methodlint.files import PerFileIgnores, collect_files

# Below this many files that need parsing, starting worker processes costs more than it saves.
POOL_THRESHOLD = 8


@dataclass
class Report:
    """The result of a run: sorted findings, and how many files were checked or skipped."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    files_skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    path: str
    display: str
    codes: frozenset[str] | None


_LINTER: FileLinter | None = None


def _init_worker(settings: EngineSettings) -> None:
    global _LINTER
    _LINTER = FileLinter(settings)


def _run_job(job: _Job) -> list[Diagnostic]:
    assert _LINTER is not None
    return _lint_job(_LINTER, job)


def _lint_job(linter: FileLinter, job: _Job, data: bytes | None = None) -> list[Diagnostic]:
    if data is None:
        try:
            with open(job.path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            return _unreadable(linter, job, error)
    return linter.lint_bytes(data, job.display, job.codes)


def _unreadable(linter: FileLinter, job: _Job, error: OSError) -> list[Diagnostic]:
    reason = error.strerror or str(error)
    found = linter.file_diagnostic("ML002", job.display, f"cannot read file: {reason}")
    return [d for d in found if job.codes is None or d.code in job.codes]


def lint_paths(
    paths: Sequence[str],
    config: Config | None = None,
    *,
    jobs: int | None = None,
    stdin: bytes | None = None,
    stdin_filename: str | None = None,
) -> Report:
    """Lint files and folders as the command line does. `-` reads `stdin`."""
    config = config or Config()
    settings = EngineSettings.from_config(config)
    selection = collect_files(paths, config, stdin_filename=stdin_filename)
    ignores = PerFileIgnores(config)
    linter = FileLinter(settings)
    report = Report(files_checked=len(selection.files), files_skipped=selection.skipped)
    pending: list[_Job] = []
    for source in selection.files:
        codes = None
        if config.per_file_ignores:
            target = source.path
            if str(target) == "-":
                target = Path(stdin_filename or "-")
            ignored = ignores.selectors_for(target)
            if ignored:
                from methodlint.registry import matches

                off = {r.code for s in ignored for r in matches(s)}
                codes = settings.codes - off
        job = _Job(str(source.path), source.display, codes)
        if str(source.path) == "-":
            report.diagnostics.extend(_lint_job(linter, job, stdin or b""))
            continue
        try:
            with open(source.path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            report.diagnostics.extend(_unreadable(linter, job, error))
            continue
        if linter.prefilter(data):
            pending.append(job)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers > 1 and len(pending) >= POOL_THRESHOLD:
        chunksize = max(1, len(pending) // (workers * 8))
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_init_worker, initargs=(settings,)
        ) as pool:
            for found in pool.map(_run_job, pending, chunksize=chunksize):
                report.diagnostics.extend(found)
    else:
        for job in pending:
            report.diagnostics.extend(_lint_job(linter, job))
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def lint_source(
    source: str | bytes, path: str = "<string>", config: Config | None = None
) -> list[Diagnostic]:
    """Lint one source text; `config` None means the defaults, without discovery."""
    config = config or Config()
    linter = FileLinter(EngineSettings.from_config(config))
    data = source.encode("utf-8") if isinstance(source, str) else source
    return linter.lint_bytes(data, path)
