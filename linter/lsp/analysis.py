"""Linting an editor's buffer in this process, with the configuration that applies to its file,
and the edits a code action makes (safe fixes, `# noqa` comments). Nothing here knows LSP.

One buffer needs no worker processes: the analysis runs here, as `lint_source` does, with the
configuration found from the file's folder upwards (as the command line finds it), its
exclusions and its per-file ignores. With `cross-module = true`, the summaries a project run
left in the cache stand for the modules the buffer imports (those of unchanged files).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from methodlint.add_noqa import add_noqa_to_source
from methodlint.analysis.foreign import ProjectView
from methodlint.analysis.summary import ModuleSummary
from methodlint.cache import Cache, Entry, file_digest, run_key
from methodlint.config import Config, discover_config
from methodlint.diagnostics import Diagnostic, Edit, Span
from methodlint.engine import EngineSettings, FileLinter
from methodlint.files import PerFileIgnores, collect_files
from methodlint.notebook import Cell, is_notebook
from methodlint.project import Project, discover, scan_imports
from methodlint.project_run import referenced_modules, summary_dependencies
from methodlint.registry import matches
from methodlint.runner import cache_folder

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Seconds a file's project (its modules and their paths) is reused before it is found again:
# finding it walks the packages, too slow for every keystroke, and files come and go.
PROJECT_TTL = 30.0


def split_lines(text: str) -> list[str]:
    """The lines of `text` as Python counts them (form feeds do not end a line)."""
    return _LINE_BREAK.split(text)


@dataclass(frozen=True)
class _Setup:
    """What linting a file of one folder needs: its configuration and a linter for it."""

    config: Config
    settings: EngineSettings
    linter: FileLinter
    ignores: PerFileIgnores


class BufferLinter:
    """Lints buffers with the configuration of their files; a linter per configuration is kept
    (building one compiles the rules' settings), the configuration is read again each time so
    that an edited pyproject.toml applies at once."""

    def __init__(self, fallback_folder: str | None = None) -> None:
        self.fallback_folder = fallback_folder
        self._linters: dict[EngineSettings, FileLinter] = {}
        self._projects: dict[tuple[str, tuple[str, ...]], tuple[float, Project]] = {}

    def _setup(self, path: str | None) -> _Setup:
        folder = os.path.dirname(path) if path else self.fallback_folder or os.getcwd()
        config = discover_config(Path(folder))
        settings = EngineSettings.from_config(config)
        linter = self._linters.get(settings)
        if linter is None:
            linter = self._linters[settings] = FileLinter(settings)
        return _Setup(config, settings, linter, PerFileIgnores(config))

    def _codes(self, setup: _Setup, path: str | None) -> frozenset[str] | None:
        """The codes reported for `path` after per-file ignores; None for all."""
        if path is None:
            return None
        ignored = setup.ignores.selectors_for(Path(path))
        if not ignored:
            return None
        off = {rule.code for selector in ignored for rule in matches(selector)}
        return setup.settings.codes - off

    def excluded(self, setup: _Setup, path: str | None) -> bool:
        """Whether the configuration excludes the file (`exclude`, `.gitignore`), as it would
        leave it out of a run given its name."""
        if path is None:
            return False
        selection = collect_files(["-"], setup.config, cwd=Path(path).parent, stdin_filename=path)
        return not selection.files

    def lint_text(self, path: str | None, text: str) -> list[Diagnostic]:
        """The findings of a Python buffer (the file at `path`, or an unsaved one). A notebook
        opened as text (its JSON) has none: its cells are what an editor shows findings in."""
        if path is not None and is_notebook(path):
            return []
        setup = self._setup(path)
        if self.excluded(setup, path):
            return []
        data = text.encode("utf-8", "surrogatepass")
        codes = self._codes(setup, path)
        if path is None:
            return setup.linter.lint_bytes(data, "<buffer>", codes)
        view = self._project_view(setup, path, data)
        if view is None:
            return setup.linter.lint_bytes(data, path, codes)
        found, _ = setup.linter.lint_in_project(data, path, view)
        return [d for d in found if codes is None or d.code in codes]

    def lint_cells(self, path: str | None, cells: Sequence[Cell]) -> list[Diagnostic]:
        """The findings of a notebook's code cells, in cell coordinates."""
        setup = self._setup(path)
        if self.excluded(setup, path):
            return []
        return setup.linter.lint_cells(cells, path or "<notebook>", self._codes(setup, path))

    def _project_view(self, setup: _Setup, path: str, data: bytes) -> ProjectView | None:
        """What the file sees of its project's other modules, from the summaries a project run
        (`cross-module = true`) cached: None when there is no cache or nothing in it that the
        file imports. Only the summaries of files unchanged since they were cached count."""
        if not setup.settings.cross_module:
            return None
        folder = cache_folder(setup.config, True)
        if not folder.is_dir():
            return None
        from methodlint import __version__

        store = Cache.load(folder, run_key(setup.settings, __version__))
        project = self._project(path, setup.settings.src)
        own = project.files[0]
        imports = scan_imports(data, own.module, own.is_package)
        index: dict[str, ModuleSummary] = {}
        pending = sorted(summary_dependencies(imports, project.modules.keys()))
        while pending:
            module = pending.pop()
            where = project.modules.get(module)
            if module in index or module == own.module or where is None:
                continue
            # The project shows paths relative to the current folder; the cache keeps them
            # absolute.
            entry = _unchanged(store, os.path.abspath(where))
            raw = entry.project.get("summary") if entry and entry.project else None
            if not isinstance(raw, str):
                continue
            summary = ModuleSummary.from_json(raw)
            index[module] = summary
            pending.extend(sorted(referenced_modules(summary)))
        if not index:
            return None
        return ProjectView(index, own.module, own.is_package)

    def _project(self, path: str, src: tuple[str, ...]) -> Project:
        key = (path, src)
        now = time.monotonic()
        known = self._projects.get(key)
        if known is not None and now - known[0] < PROJECT_TTL:
            return known[1]
        project = discover([path], src)
        self._projects[key] = (now, project)
        return project


def _unchanged(store: Cache, path: str) -> Entry | None:
    """The cache's entry of a file that has not changed since: by its size and modification
    time, or, for a file saved moments before the run that cached it, by its content."""
    try:
        fresh = store.fresh(path, os.stat(path))
        if fresh is not None:
            return fresh
        entry = store.get(path)
        if entry is None:
            return None
        with open(path, "rb") as handle:
            return entry if file_digest(handle.read()) == entry.digest else None
    except OSError:
        return None


# -- edits for code actions ---------------------------------------------------------------------


def noqa_edit(text: str, diagnostic: Diagnostic) -> Edit | None:
    """The edit that adds `# noqa: CODE` for this finding where `--add-noqa` would add it (the
    line's own noqa comment extended, or a new one where a comment can stand); None when the
    line's comments already suppress it or a comment cannot (ML001-ML003)."""
    changed, count = add_noqa_to_source(text, [diagnostic])
    if not count:
        return None
    for number, (old, new) in enumerate(
        zip(split_lines(text), split_lines(changed), strict=False), start=1
    ):
        if old != new:
            return Edit(Span(number, 1, number, len(old) + 1), new)
    return None
