"""The one place that decides which files are linted: paths, folder walks, exclusions, ignores."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import NamedTuple

from pathspec import GitIgnoreSpec

from methodlint.config import Config

# What a folder walk checks: Python sources, stubs and Jupyter notebooks.
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
STDIN = "-"

# A stack of compiled ignore files that apply to a folder, outermost first: each entry is the
# folder the file lives in (with a trailing separator, so slicing gives the relative path) and
# its patterns.
_Chain = tuple[tuple[str, GitIgnoreSpec], ...]


class PathError(Exception):
    """A path given on the command line does not exist (exit 2)."""


@dataclass(frozen=True)
class SourceFile:
    """One file to lint."""

    path: Path  # what to read; Path("-") for standard input
    display: str  # shown in output: relative to cwd when below it, else as given; forward slashes
    explicit: bool  # given on the command line (checked whatever its extension)


@dataclass
class FileSelection:
    """The files to lint, sorted by display path, what was skipped with the reason, and the
    folders that could not be listed (reported as ML002: their files are unchecked)."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unlistable: list[tuple[str, str]] = field(default_factory=list)


def display_path(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when it is below it, otherwise as given, with forward slashes."""
    given = os.fspath(path)
    base = os.path.abspath(cwd)
    below = _below(os.path.normpath(os.path.join(base, given)), base)
    if below is None:
        return PurePath(given).as_posix()
    return _posix(below) if below else "."


def collect_files(
    paths: Sequence[str],
    config: Config,
    cwd: Path | None = None,
    stdin_filename: str | None = None,
) -> FileSelection:
    """The files to lint for the command-line `paths` (default `.`; `-` is standard input).

    Raises PathError for a path that does not exist; folders that cannot be listed and symlink
    loops are reported in `skipped` instead.
    """
    collector = _Collector(config, cwd if cwd is not None else Path.cwd())
    for given in paths or (".",):
        if given == STDIN:
            collector.add_stdin(stdin_filename)
        else:
            collector.add_path(given)
    return collector.selection()


class PerFileIgnores:
    """`per-file-ignores`, compiled once: which selectors are switched off for a file.

    Patterns are gitignore-style, relative to the configuration's folder. As in ruff, a pattern
    starting with `!` applies to every file it does not match.
    """

    def __init__(self, config: Config) -> None:
        self._root = os.path.abspath(config.root)
        self._real_root: str | None = None
        self._entries: list[tuple[GitIgnoreSpec, bool, bool, tuple[str, ...]]] = []
        for pattern, selectors in config.per_file_ignores:
            negated = pattern.startswith("!")
            body = pattern[1:] if negated else pattern
            spec = GitIgnoreSpec.from_lines([body])
            self._entries.append((spec, negated, _is_name_pattern(body), tuple(selectors)))

    def selectors_for(self, path: Path) -> tuple[str, ...]:
        """The selectors ignored for `path` (absolute, or relative to the current directory)."""
        if not self._entries:
            return ()
        given = os.fspath(path)
        absolute = os.path.normpath(os.path.abspath(given))
        relative = _below(absolute, self._root)
        if relative is None:
            if self._real_root is None:
                self._real_root = os.path.realpath(self._root)
            relative = _below(os.path.realpath(absolute), self._real_root)
        inside = relative is not None
        subject = _posix(relative) if relative is not None else _loose(given)
        found: list[str] = []
        for spec, negated, name_only, selectors in self._entries:
            # Outside the configuration's folder only patterns that name a file or folder at
            # any depth can mean something.
            if not inside and not name_only:
                continue
            if spec.match_file(subject) != negated:
                found.extend(s for s in selectors if s not in found)
        return tuple(found)


class _Branch(NamedTuple):
    """The real paths of the folders above the one being listed (for symlink loops)."""

    real: str
    parent: _Branch | None


class _Folder(NamedTuple):
    """A folder waiting to be listed."""

    path: str  # absolute, as reached (symlinks not resolved)
    real: str  # resolved, to recognise a folder reached twice
    display: str  # prefix for the display paths of its entries: "" or ending with "/"
    relative: str  # the folder relative to config.root (or its own parts when outside it)
    inside: bool  # whether `relative` is relative to config.root
    chain: _Chain  # ignore files of the folders above it (the walk adds the folder's own)
    branch: _Branch


class _Patterns:
    """`exclude` + `extend-exclude`, compiled once."""

    def __init__(self, patterns: Sequence[str]) -> None:
        # Most patterns are plain names (the defaults all are but `*.egg-info`): without negation
        # they are a set lookup, which keeps a walk of a large tree from running every regex on
        # every entry.
        literal = not any(p.startswith("!") for p in patterns)
        self._names: set[str] = set()
        self._folder_names: set[str] = set()
        rest: list[str] = []
        for pattern in patterns:
            name = pattern.rstrip("/")
            if literal and name and not any(c in name for c in "/*?[\\# "):
                (self._folder_names if pattern.endswith("/") else self._names).add(name)
            else:
                rest.append(pattern)
        self._all = _compile(rest)
        # Paths outside config.root can only be matched by name patterns ("*.egg-info").
        self._outside = _compile([p for p in rest if _is_name_pattern(p)])

    def excluded(self, relative: str, is_dir: bool, inside: bool) -> bool:
        """Whether the entry is excluded; callers have already checked its folders."""
        if not relative:
            return False
        name = relative.rpartition("/")[2]
        if name in self._names or (is_dir and name in self._folder_names):
            return True
        spec = self._all if inside else self._outside
        if spec is None:
            return False
        return spec.match_file(relative + "/" if is_dir else relative)

    def excluded_with_parents(self, relative: str, is_dir: bool, inside: bool) -> bool:
        parts = relative.split("/") if relative else []
        for end in range(1, len(parts)):
            if self.excluded("/".join(parts[:end]), True, inside):
                return True
        return self.excluded(relative, is_dir, inside)


class _Collector:
    """The state of one `collect_files` call."""

    def __init__(self, config: Config, cwd: Path) -> None:
        self.cwd = os.path.abspath(cwd)
        self.root = os.path.abspath(config.root)
        self.real_root: str | None = None
        self.patterns = _Patterns([*config.exclude, *config.extend_exclude])
        self.gitignore = config.respect_gitignore
        self.found: dict[str, SourceFile] = {}
        self.skipped: list[tuple[str, str]] = []
        self.unlistable: list[tuple[str, str]] = []
        self.visited: set[str] = set()
        self.repos: dict[str, str | None] = {}
        self.chains: dict[str, _Chain | None] = {}

    def selection(self) -> FileSelection:
        files = sorted(self.found.values(), key=lambda f: f.display)
        return FileSelection(
            files=files, skipped=sorted(set(self.skipped)), unlistable=sorted(set(self.unlistable))
        )

    def add_stdin(self, stdin_filename: str | None) -> None:
        if stdin_filename:
            absolute = os.path.normpath(os.path.join(self.cwd, stdin_filename))
            # The file need not exist; exclusion applies to the name the editor gave.
            if self.ignored(absolute, stdin_filename, is_dir=False):
                return
            display = display_path(Path(stdin_filename), Path(self.cwd))
        else:
            display = STDIN
        self.add(STDIN, SourceFile(Path(STDIN), display, explicit=True))

    def add_path(self, given: str) -> None:
        joined = os.path.join(self.cwd, given)
        if not os.path.exists(joined):
            raise PathError(f"path {given!r} does not exist")
        absolute = os.path.normpath(joined)
        is_dir = os.path.isdir(joined)
        # Explicit paths are excluded too, as pre-commit passes every staged file name. We also
        # apply .gitignore to them (ruff checks a gitignored file named explicitly): kept simple
        # so that a list of file names and a folder walk always agree on what is linted.
        # `respect-gitignore = false` turns it off for both.
        if self.ignored(absolute, given, is_dir):
            return
        display = display_path(Path(given), Path(self.cwd))
        if not is_dir:
            self.add(os.path.realpath(joined), SourceFile(Path(absolute), display, explicit=True))
            return
        relative, inside = self.place(absolute, given)
        # The walk reads the folder's own ignore files; start from those of the folders above.
        outer: _Chain | None = ()
        if self.gitignore and absolute != self.top_of(absolute):
            outer = self.chain_for(os.path.dirname(absolute))
        real = os.path.realpath(joined)
        prefix = "" if display == "." else display if display.endswith("/") else display + "/"
        start = _Folder(absolute, real, prefix, relative, inside, outer or (), _Branch(real, None))
        self.walk(start)

    def add(self, key: str, source: SourceFile) -> None:
        """Record a file once per resolved path, keeping the smallest display path."""
        seen = self.found.get(key)
        if seen is None:
            self.found[key] = source
            return
        explicit = seen.explicit or source.explicit
        chosen = source if source.display < seen.display else seen
        self.found[key] = replace(chosen, explicit=explicit)

    def place(self, absolute: str, given: str) -> tuple[str, bool]:
        """The path relative to config.root (forward slashes), or its own parts when outside."""
        relative = _below(absolute, self.root)
        if relative is None:
            if self.real_root is None:
                self.real_root = os.path.realpath(self.root)
            relative = _below(os.path.realpath(absolute), self.real_root)
        if relative is None:
            return _loose(given), False
        return _posix(relative), True

    def ignored(self, absolute: str, given: str, is_dir: bool) -> bool:
        """Whether an explicit path, or one of its folders, is excluded or gitignored."""
        relative, inside = self.place(absolute, given)
        if self.patterns.excluded_with_parents(relative, is_dir, inside):
            return True
        if not self.gitignore:
            return False
        if is_dir:
            return self.chain_for(absolute) is None
        chain = self.chain_for(os.path.dirname(absolute))
        return chain is None or _gitignored(absolute, False, chain)

    # --- .gitignore -------------------------------------------------------------------------

    def repo_of(self, folder: str) -> str | None:
        """The nearest folder containing `.git`, from `folder` upwards."""
        if folder in self.repos:
            return self.repos[folder]
        parent = os.path.dirname(folder)
        if os.path.exists(os.path.join(folder, ".git")):
            repo: str | None = folder
        elif parent == folder:
            repo = None
        else:
            repo = self.repo_of(parent)
        self.repos[folder] = repo
        return repo

    def top_of(self, folder: str) -> str:
        """Where ignore files start applying: the repository, else config.root, else `folder`."""
        repo = self.repo_of(folder)
        if repo is not None:
            return repo
        if _below(folder, self.root) is not None:
            return self.root
        return folder

    def chain_for(self, folder: str) -> _Chain | None:
        """The ignore files that apply inside `folder`; None when it is itself ignored."""
        if folder in self.chains:
            return self.chains[folder]
        chain: _Chain | None
        if folder == self.top_of(folder):
            chain = _ignore_files(folder, is_repo=self.repo_of(folder) == folder)
        else:
            outer = self.chain_for(os.path.dirname(folder))
            if outer is None or _gitignored(folder, True, outer):
                chain = None
            else:
                chain = outer + _ignore_files(folder, is_repo=False)
        self.chains[folder] = chain
        return chain

    # --- walking ----------------------------------------------------------------------------

    def walk(self, start: _Folder) -> None:
        stack = [start]
        while stack:
            folder = stack.pop()
            if folder.real in self.visited:
                continue  # reached before through another path or symlink: its files are in
            self.visited.add(folder.real)
            try:
                with os.scandir(folder.path) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                shown = folder.display[:-1] or folder.display or "."
                self.unlistable.append((shown, _reason(error)))
                continue
            chain = folder.chain
            if self.gitignore:
                names = {entry.name for entry in entries}
                if ".git" in names:
                    # A nested repository: the outer ignore files stop here, as in git.
                    chain = _ignore_files(folder.path, is_repo=True, names=names)
                elif ".gitignore" in names:
                    chain = chain + _ignore_files(folder.path, is_repo=False, names=names)
            below = self._list(folder, entries, chain)
            stack.extend(reversed(below))

    def _list(
        self, folder: _Folder, entries: Iterable[os.DirEntry[str]], chain: _Chain
    ) -> list[_Folder]:
        folders: list[_Folder] = []
        base = folder.path if folder.path.endswith(os.sep) else folder.path + os.sep
        real_base = folder.real if folder.real.endswith(os.sep) else folder.real + os.sep
        relative_base = folder.relative + "/" if folder.relative else ""
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if not is_dir and not name.endswith(PYTHON_SUFFIXES):
                continue
            relative = relative_base + name
            if self.patterns.excluded(relative, is_dir, folder.inside):
                continue
            path = base + name
            if chain and _gitignored(path, is_dir, chain):
                continue
            display = folder.display + name
            try:
                is_link = entry.is_symlink()
                if not is_dir and not entry.is_file():
                    continue  # a socket, fifo or broken symlink with a .py name
            except OSError:
                continue
            # Only symlinks need resolving; any other entry's real path follows from its folder's.
            real = os.path.realpath(path) if is_link else real_base + name
            if not is_dir:
                self.add(real, SourceFile(Path(path), display, explicit=False))
                continue
            if is_link and _loops(real, folder):
                self.skipped.append((display, "symlink loop"))
                continue
            branch = _Branch(real, folder.branch)
            folders.append(
                _Folder(path, real, display + "/", relative, folder.inside, chain, branch)
            )
        return folders


def _loops(real: str, folder: _Folder) -> bool:
    """Whether a symlinked folder leads back to `folder` or one of the folders above it."""
    if folder.real == real or folder.real.startswith(real.rstrip(os.sep) + os.sep):
        return True
    branch: _Branch | None = folder.branch
    while branch is not None:
        if branch.real == real:
            return True
        branch = branch.parent
    return False


def _gitignored(path: str, is_dir: bool, chain: _Chain) -> bool:
    """Git's rule: the deepest ignore file with a matching pattern decides, last pattern wins."""
    for base, spec in reversed(chain):
        relative = path[len(base) :]
        if os.sep != "/":
            relative = relative.replace(os.sep, "/")
        include = spec.check_file(relative + "/" if is_dir else relative).include
        if include is not None:
            return include
    return False


def _ignore_files(folder: str, is_repo: bool, names: set[str] | None = None) -> _Chain:
    """The compiled ignore files of one folder: `.git/info/exclude` for a repository, then
    `.gitignore` (later entries take precedence)."""
    base = folder if folder.endswith(os.sep) else folder + os.sep
    sources = []
    if is_repo:
        sources.append(os.path.join(folder, ".git", "info", "exclude"))
    if names is None or ".gitignore" in names:
        sources.append(os.path.join(folder, ".gitignore"))
    chain: list[tuple[str, GitIgnoreSpec]] = []
    for source in sources:
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                spec = _compile(handle.read().splitlines())
        except OSError:
            continue  # missing, a folder, or unreadable: git ignores it too
        if spec is not None:
            chain.append((base, spec))
    return tuple(chain)


def _compile(lines: Iterable[str]) -> GitIgnoreSpec | None:
    kept = [line for line in lines if line.strip() and not line.startswith("#")]
    return GitIgnoreSpec.from_lines(kept) if kept else None


def _is_name_pattern(pattern: str) -> bool:
    """Whether a gitignore pattern matches by name at any depth (`build`, `*.pyi`, `**/gen/`)."""
    body = pattern.strip().removeprefix("!").rstrip("/")
    if body.startswith("**/"):
        body = body[3:]
    return bool(body) and "/" not in body


def _below(path: str, base: str) -> str | None:
    """`path` relative to `base` ("" for `base` itself), or None when it is not below it."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    return path[len(prefix) :] if path.startswith(prefix) else None


def _loose(given: str) -> str:
    """A path's own names, without anchor, `.` and `..`: `../x/build/a.py` gives `x/build/a.py`."""
    pure = PurePath(given)
    parts = pure.parts[1:] if pure.anchor else pure.parts
    return "/".join(part for part in parts if part not in (".", ".."))


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


def _reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    return (error.strerror or type(error).__name__).lower()
