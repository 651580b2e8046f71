"""The project the index covers: its files, their module names, their imports and import cycles.

Everything here reads paths and bytes only (no parser), so it runs in the main process before any
file is parsed and costs little on a project of ten thousand modules.
"""

from __future__ import annotations

import keyword
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from methodlint.line_start import AtLineStart

# Folders never walked when the project grows (besides hidden ones and the caller's `skip`).
SKIPPED_FOLDERS = frozenset(
    {".git", "__pycache__", ".venv", "venv", "build", "dist", "node_modules", "site-packages"}
)
SOURCE_SUFFIXES = (".py", ".pyi")
INIT_NAMES = ("__init__.py", "__init__.pyi")

# A statement longer than this many physical lines is not an import (an unbalanced bracket in a
# docstring line that happens to start with `from`).
_MAX_STATEMENT_LINES = 500


@dataclass(frozen=True)
class ProjectFile:
    """One file of the project."""

    path: str  # as given, or as found: relative to the current folder when below it
    module: str | None  # dotted module name ("pkg" for pkg/__init__.py); None when not importable
    is_package: bool  # an __init__.py


@dataclass
class Project:
    """The files given, then the files they grow to; no file twice (by real path)."""

    files: list[ProjectFile]
    given: int  # how many of `files` (the first ones) were given
    modules: dict[str, str]  # module name -> path; the first file of a name wins


# -- files and module names ---------------------------------------------------------------------


def discover(
    paths: Sequence[str | Path],
    src: Sequence[str | Path] = (),
    skip: Callable[[Path], bool] | None = None,
    *,
    cwd: str | Path | None = None,
) -> Project:
    """The project of the files `paths`: those files (in that order), then, sorted, every
    `*.py` file of the packages they belong to and every `*.py` file below the `src` roots.

    A given file's package is the top-level package folder above it (the highest folder of the
    chain that has `__init__.py`); it and the other package folders of its root (the folder
    above it: `src/` holding `shop/` and `billing/`) are walked through the subfolders that have
    `__init__.py`.
    A `src` root is walked entirely (namespace packages). Hidden folders and SKIPPED_FOLDERS are
    never entered, and `skip(path)` excludes a folder or file found by the walks (not a given
    file); its argument has the form of ProjectFile.path. Unreadable folders are passed over and
    symlink loops are not followed; this never raises on the file system's account.
    """
    namer = _Namer(src)
    realpath = _RealPaths()
    base = os.path.abspath(cwd if cwd is not None else os.getcwd())
    seen: set[str] = set()
    files: list[ProjectFile] = []
    # Folders to walk (absolute) -> only through package subfolders. The roots come first, so
    # that a folder reached by both is walked entirely.
    starts = dict.fromkeys(namer.roots, False)

    for given in paths:
        text = os.fspath(given)
        absolute = os.path.normpath(os.path.join(base, text))
        real = realpath(absolute)
        if real in seen:
            continue
        seen.add(real)
        module, is_package, top = namer.name(absolute)
        files.append(ProjectFile(text, module, is_package))
        if top is not None:
            starts.setdefault(top, True)
            # The other packages of the same root (`src/shop` beside `src/billing`): a file
            # of one may import the others.
            for sibling in _packages_beside(top):
                starts.setdefault(sibling, True)
    given_count = len(files)

    grown: dict[str, tuple[str | None, bool]] = {}
    walked: set[str] = set()
    for start, packages_only in starts.items():
        has_init = namer.has_init if packages_only else None
        for absolute in _walk(start, has_init, base, skip, walked):
            real = realpath(absolute)
            if real in seen:
                continue
            seen.add(real)
            module, is_package, _ = namer.name(absolute)
            grown[_shown(absolute, base)] = (module, is_package)
    files.extend(ProjectFile(path, *grown[path]) for path in sorted(grown))

    modules: dict[str, str] = {}
    for file in files:
        if file.module is not None:
            modules.setdefault(file.module, file.path)
    return Project(files, given_count, modules)


class _RealPaths:
    """`os.path.realpath` of files, each folder's resolved once (a file's own link is still
    followed): a tree of 10,000 files cost 170,000 `lstat` calls otherwise."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, absolute: str) -> str:
        folder, name = os.path.split(absolute)
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        path = os.path.join(real, name)
        return os.path.realpath(path) if os.path.islink(path) else path


class _Namer:
    """Module names from paths: below the nearest configured root, else below the first folder
    up from the file that has no `__init__.py`."""

    def __init__(self, src: Sequence[str | Path]) -> None:
        self.roots = list(dict.fromkeys(os.path.abspath(os.fspath(root)) for root in src))
        # Deepest first, so that the nearest root containing a file is found first; real paths
        # too, for a file reached through a symlinked folder.
        self._roots = sorted(
            {*self.roots, *(os.path.realpath(root) for root in self.roots)},
            key=lambda root: (-len(root), root),
        )
        self._has_init: dict[str, bool] = {}

    def has_init(self, folder: str) -> bool:
        known = self._has_init.get(folder)
        if known is None:
            known = any(os.path.isfile(os.path.join(folder, name)) for name in INIT_NAMES)
            self._has_init[folder] = known
        return known

    def name(self, absolute: str) -> tuple[str | None, bool, str | None]:
        """(module name, is a package, the top-level package folder to grow to or None)."""
        folder, filename = os.path.split(absolute)
        stem, suffix = os.path.splitext(filename)
        is_package = stem == "__init__" and suffix in SOURCE_SUFFIXES
        if suffix not in SOURCE_SUFFIXES:
            return None, False, None
        configured = self._configured_root(absolute)
        if configured is not None:
            return _dotted(_parts_below(folder, configured), stem), is_package, None
        parts: list[str] = []
        while self.has_init(folder):
            parent, name = os.path.split(folder)
            if parent == folder:  # __init__.py all the way up to the file system's root
                return None, is_package, None
            parts.append(name)
            folder = parent
        parts.reverse()
        top = os.path.join(folder, parts[0]) if parts else None
        return _dotted(parts, stem), is_package, top

    def _configured_root(self, absolute: str) -> str | None:
        if not self._roots:
            return None
        real = os.path.realpath(absolute)
        for root in self._roots:
            if _below(absolute, root) is not None or _below(real, root) is not None:
                return root
        return None


def _packages_beside(top: str) -> list[str]:
    """The package folders in the folder that holds the package folder `top`."""
    root = os.path.dirname(top)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    found = []
    for name in names:
        folder = os.path.join(root, name)
        if name.startswith(".") or name in SKIPPED_FOLDERS or folder == top:
            continue
        if os.path.isfile(os.path.join(folder, "__init__.py")):
            found.append(folder)
    return found


def _parts_below(folder: str, root: str) -> list[str]:
    relative = _below(folder, root) or _below(os.path.realpath(folder), root)
    return [part for part in (relative or "").split(os.sep) if part]


def _dotted(parts: list[str], stem: str) -> str | None:
    names = parts if stem == "__init__" else [*parts, stem]
    if not names or not all(_is_identifier(name) for name in names):
        return None
    return ".".join(names)


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _below(path: str, base: str) -> str | None:
    """`path` relative to `base` ("" for `base` itself), or None when it is not below it."""
    if path == base:
        return ""
    prefix = base if base.endswith(os.sep) else base + os.sep
    return path[len(prefix) :] if path.startswith(prefix) else None


def _shown(absolute: str, base: str) -> str:
    relative = _below(absolute, base)
    return relative if relative else absolute


def _walk(
    start: str,
    has_init: Callable[[str], bool] | None,
    base: str,
    skip: Callable[[Path], bool] | None,
    walked: set[str],
) -> Iterator[str]:
    """The `*.py` files below `start` (absolute paths), each folder once (by real path); with
    `has_init`, only through the subfolders that have an `__init__.py`."""
    pending = [start]
    while pending:
        folder = pending.pop()
        real = os.path.realpath(folder)
        if real in walked:
            continue
        walked.add(real)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            path = os.path.join(folder, entry.name)
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
                    continue
                if has_init is not None and not has_init(path):
                    continue
                if skip is not None and skip(Path(_shown(path, base))):
                    continue
                subfolders.append(path)
            elif is_file and entry.name.endswith(".py"):
                if skip is not None and skip(Path(_shown(path, base))):
                    continue
                yield path
        pending.extend(reversed(subfolders))


# -- imports --------------------------------------------------------------------------------------

# The start of a line that may begin an import statement (after indentation; a BOM first).
_STATEMENT_START = AtLineStart(rb"(?:\xef\xbb\xbf)?[ \t\f]*(?=(?:import|from)\b)")
_STARTS_IMPORT = re.compile(r"\s*(?:import|from)\b")
_NAME = r"[^\W\d]\w*"
_DOTTED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
_IMPORT = re.compile(r"import\s+(.+)", re.DOTALL)
_IMPORT_ITEM = re.compile(rf"\s*({_DOTTED})(?:\s+as\s+{_NAME})?\s*")
_FROM = re.compile(
    rf"from(?=[\s.])\s*(\.*)\s*({_DOTTED})?\s*import(?=[\s(*])\s*(.*)",
    re.DOTALL,
)
# A `from` statement whose parenthesised names go on on the next line.
_FROM_OPEN = re.compile(rf"\s*from(?=[\s.])\s*\.*\s*(?:{_DOTTED})?\s*import\s*\([^()]*", re.DOTALL)
_FROM_ITEM = re.compile(rf"\s*({_NAME})(?:\s+as\s+{_NAME})?\s*")


def scan_imports(
    data: bytes, module: str | None, is_package: bool, indented: set[int] | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """The import statements of a file's bytes, without parsing: (absolute module, names).

    `import a.b as c, d` gives ("a.b", ()) and ("d", ()); `from a.b import c, d as e` gives
    ("a.b", ("c", "d")); `from x import *` gives ("x", ("*",)). Relative imports are made
    absolute from `module` (the file's own name; `is_package` for an `__init__.py`) and dropped
    when they climb above the top package or the file has no module name. Only statements at the
    start of a line (after indentation or a `;`) are seen; a docstring line that reads like an
    import is taken for one. With `indented`, the positions in the result of the imports
    written indented (in a function, under `if TYPE_CHECKING:`, in a `try`) are added to it.
    """
    package = (module or "") if is_package else (module or "").rpartition(".")[0]
    result: list[tuple[str, tuple[str, ...]]] = []
    consumed = 0
    for start in _STATEMENT_START.ends(data):
        if start < consumed:
            continue
        statements, consumed = _statements(data, start)
        first = len(result)
        for statement in statements:
            result.extend(_parse(statement, module, package))
        if indented is not None and start and data[start - 1 : start] in (b" ", b"\t", b"\f"):
            indented.update(range(first, len(result)))
    return result


def _statements(data: bytes, start: int) -> tuple[list[str], int]:
    """The import statements from `start` on (continued lines joined, comments removed,
    split at `;`) and where they end."""
    statements: list[str] = []
    current = ""
    depth = 0
    position = start
    for _ in range(_MAX_STATEMENT_LINES):
        end = data.find(b"\n", position)
        if end < 0:
            end = len(data)
        line = data[position:end].decode("utf-8", "replace")
        position = end + 1
        hash_at = line.find("#")
        if hash_at >= 0:
            line = line[:hash_at]
        line = line.rstrip()
        continued = line.endswith("\\")
        if continued:
            line = line[:-1]
        stop = False
        for index, segment in enumerate(line.split(";")):
            if index and depth <= 0:
                if current.strip():
                    statements.append(current)
                current = ""
                if not _STARTS_IMPORT.match(segment):
                    stop = True
                    break
            current += " " + segment
            depth += segment.count("(") - segment.count(")")
        if stop or position > len(data) or (depth <= 0 and not continued):
            break
        if depth > 0 and not _FROM_OPEN.fullmatch(current):
            # An open bracket outside `from x import (`: prose in a docstring, not an import.
            return statements, position
    else:
        return [], position  # runaway: not an import statement
    if current.strip():
        statements.append(current)
    return statements, position


def _parse(statement: str, module: str | None, package: str) -> list[tuple[str, tuple[str, ...]]]:
    statement = statement.strip()
    if statement.startswith("import"):
        match = _IMPORT.fullmatch(statement)
        if match is None:
            return []
        items = [_IMPORT_ITEM.fullmatch(item) for item in match.group(1).split(",")]
        if not all(items):
            return []
        return [(_join(item.group(1)), ()) for item in items if item is not None]
    match = _FROM.fullmatch(statement)
    if match is None:
        return []
    dots, target, rest = match.groups()
    if not dots and not target:
        return []
    names = _names(rest.strip())
    if names is None:
        return []
    if dots:
        if module is None:
            return []
        parts = package.split(".") if package else []
        climb = len(dots) - 1
        if climb >= len(parts):
            return []
        parts = parts[: len(parts) - climb]
        if target:
            parts.append(_join(target))
        absolute = ".".join(parts)
    else:
        absolute = _join(target)
    return [(absolute, names)]


def _names(rest: str) -> tuple[str, ...] | None:
    if rest == "*":
        return ("*",)
    parenthesised = rest.startswith("(")
    if parenthesised:
        if not rest.endswith(")"):
            return None
        rest = rest[1:-1]
    items = rest.split(",")
    if parenthesised and len(items) > 1 and not items[-1].strip():
        items.pop()  # a trailing comma
    names = []
    for item in items:
        match = _FROM_ITEM.fullmatch(item)
        if match is None:
            return None
        names.append(match.group(1))
    return tuple(names)


def _join(dotted: str) -> str:
    return "".join(dotted.split())


# -- dependencies and cycles ----------------------------------------------------------------------


def project_dependencies(
    imports: Iterable[tuple[str, tuple[str, ...]]], modules: Collection[str]
) -> set[str]:
    """The project modules that running these imports runs: the longest prefix of each imported
    module that is a project module and its parent packages that are (importing `a.b.c` runs
    `a/__init__.py` and `a/b/__init__.py`), and for `from a.b import c` also `a.b.c` when it is
    a project module (a submodule imported by name). The file's own module is not left out."""
    found: set[str] = set()
    for imported, names in imports:
        parts = imported.split(".")
        for length in range(len(parts), 0, -1):
            if ".".join(parts[:length]) in modules:
                break
        else:
            length = 0
        for prefix in range(1, length + 1):
            name = ".".join(parts[:prefix])
            if name in modules:
                found.add(name)
        for name in names:
            if name != "*":
                submodule = f"{imported}.{name}"
                if submodule in modules:
                    found.add(submodule)
    return found


def components(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The strongly connected components of `graph` (module -> modules it depends on), each
    sorted, dependencies first: a component comes after every component it depends on. Names
    that only appear as dependencies are components too. Iterative (Tarjan), so deep chains need
    no recursion; the result depends on the edges only, not on the mapping's order."""
    nodes = sorted(set(graph).union(*graph.values()))
    successors = {node: sorted(set(graph.get(node, ()))) for node in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in nodes:
        if root in index:
            continue
        visit(root)
        work = [(root, 0)]
        while work:
            node, position = work[-1]
            children = successors[node]
            if position < len(children):
                work[-1] = (node, position + 1)
                child = children[position]
                if child not in index:
                    visit(child)
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result
