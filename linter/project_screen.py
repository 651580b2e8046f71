"""Which modules of a project run are worth parsing for what they import (engine.md, "Cost").

A module that imports no HTTP or retry library can still make requests through the project's
wrappers. It is parsed only when its bytes use something its imports offer: a call of a wrapper
function or of a wrapper method of an imported class (`_call`, `post`), a module-level client
or instance used as a receiver (`SESSION.`), a retry decorator (`@retrying`), a subclass of an
imported class, a module-level instance of one, or a call of an imported Retry subclass. A
module that only imports such names and re-exports them (a package's `__init__.py`) is not
parsed either: its summary is made from its import statements (`reexports`).

The search is by bytes and conservative: a name it cannot account for (an import with `as`,
a summary not known yet) makes the module parsed, as before the screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from methodlint.analysis.summary import ModuleSummary, ValueShape

# Methods a library client's attribute may be called with: `obj.session.post(...)`.
CLIENT_METHODS = frozenset(
    {
        "get",
        "options",
        "head",
        "post",
        "put",
        "patch",
        "delete",
        "request",
        "send",
        "stream",
        "urlopen",
        "build_request",
        "putrequest",
        "ws_connect",
    }
)


@dataclass
class Words:
    """What a module's bytes are searched for."""

    calls: set[str] = field(default_factory=set)  # `name(`
    # Names any use of which counts, outside import statements: a wrapper function passed to
    # a retry helper (`with_retries(post_json, url)`) or bound to another name.
    names: set[str] = field(default_factory=set)
    receivers: set[str] = field(default_factory=set)  # `name.`
    classes: set[str] = field(default_factory=set)  # `class X(name)` or `X = name(` at the top
    decorators: set[str] = field(default_factory=set)  # `@name`
    imported: set[str] = field(default_factory=set)  # names whose import may carry `as`
    unknown: bool = False

    def empty(self) -> bool:
        return not (self.calls or self.names or self.receivers or self.classes or self.decorators)

    def found_in(self, data: bytes) -> bool:
        if self.unknown:
            return True
        if self.empty():
            return False
        patterns = []
        if self.calls:
            patterns.append(rb"(?<![\w])(?:%s)\s*\(" % _alternatives(self.calls))
        if self.receivers:
            patterns.append(rb"(?<![\w.])(?:%s)\s*\." % _alternatives(self.receivers))
        if self.decorators:
            patterns.append(rb"@\s*(?:%s)\b" % _alternatives(self.decorators))
        if self.classes:
            names = _alternatives(self.classes)
            patterns.append(rb"^[ \t]*class\s+\w+\s*\([^)]*\b(?:%s)\b" % names)
            patterns.append(rb"^\w+\s*(?::[^=\n]*)?=\s*(?:%s)\s*\(" % names)
        if self.imported:
            # `from m import name as other`: the name is used under another one.
            patterns.append(rb"\b(?:%s)\s+as\s+\w" % _alternatives(self.imported))
        if re.search(b"|".join(patterns or [rb"(?!)"]), data, re.MULTILINE) is not None:
            return True
        if self.names:
            code = _IMPORT_STATEMENT.sub(b"", data)
            # Not a name in quotes (`__all__ = ["post_json"]` re-exports, it calls nothing).
            used = rb"(?<![\w.'\"])(?:%s)\b(?!['\"])" % _alternatives(self.names)
            return re.search(used, code) is not None
        return False


# An import statement, parenthesised over several lines or continued with a backslash.
_IMPORT_STATEMENT = re.compile(
    rb"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+(?:\([^)]*\)|(?:[^\n]*\\\r?\n)*[^\n]*)",
    re.MULTILINE,
)


def _alternatives(names: Iterable[str]) -> bytes:
    return b"|".join(re.escape(n.encode()) for n in sorted(names))


class WordFinder:
    """The words of what modules offer, from their summaries (`summary_of`: None when a
    module is not known yet)."""

    def __init__(self, summary_of: Callable[[str], ModuleSummary | None]) -> None:
        self.summary_of = summary_of

    def imported_name(self, words: Words, summary: ModuleSummary, name: str) -> None:
        """`from module import name`, used as `name` in the importing module."""
        words.imported.add(name)
        if name in summary.functions:
            words.names.add(name)
        elif name in summary.classes:
            words.classes.add(name)
            self.class_words(words, summary.module, name, set())
        elif name in summary.names:
            self.shape_words(words, summary.names[name], name, set())

    def module_words(self, words: Words, module: str, seen: set[tuple[str, str]]) -> None:
        """A project module used as a whole (`import pkg.http`, `from pkg import http`)."""
        if (module, "") in seen:
            return
        seen.add((module, ""))
        summary = self.summary_of(module)
        if summary is None:
            words.unknown = True
            return
        words.calls.update(key.rsplit(".", 1)[-1] for key in summary.functions)
        for name in summary.classes:
            words.classes.add(name)
            words.calls.add(name)  # `http.Client(...)`: a class reached through its module
            self.class_words(words, module, name, seen)
        for name, shape in summary.names.items():
            self.shape_words(words, shape, name, seen)

    def class_words(self, words: Words, module: str, name: str, seen: set[tuple[str, str]]) -> None:
        if (module, name) in seen:
            return
        seen.add((module, name))
        summary = self.summary_of(module)
        if summary is None:
            words.unknown = True
            return
        cls = summary.classes.get(name)
        if cls is None:
            return
        words.calls.update(cls.methods)
        if cls.client is not None:
            words.calls.update(CLIENT_METHODS)
        if cls.retry is not None:
            words.calls.add(name)  # a Retry subclass matters where it is constructed
        for attr, shape in cls.attributes.items():
            self.shape_words(words, shape, attr, seen)

    def shape_words(
        self, words: Words, shape: ValueShape, name: str, seen: set[tuple[str, str]]
    ) -> None:
        """A value named `name` (a module-level name or an attribute) of that shape."""
        kind = shape[0]
        if kind == "client":
            words.receivers.add(name)
            words.calls.update(CLIENT_METHODS)
        elif kind == "instance":
            words.receivers.add(name)
            self.class_words(words, shape[1], shape[2], seen)
        elif kind == "class":
            words.classes.add(name)
            words.calls.add(name)
            self.class_words(words, shape[1], shape[2], seen)
        elif kind in ("function", "decorator"):
            words.names.add(name)
        elif kind == "module":
            words.receivers.add(name)
            self.module_words(words, shape[1], seen)
        elif kind != "text":  # a method name only matters passed to a wrapper
            words.unknown = True


def imported_words(
    imports: list[tuple[str, tuple[str, ...]]],
    offering: Callable[[str], ModuleSummary | None],
    summary_of: Callable[[str], ModuleSummary | None],
    modules: Collection[str],
) -> Words:
    """What to search a module's bytes for, given its imports of project modules
    (`project.scan_imports`); `offering` gives the summary of a module that offers something
    (None otherwise), `summary_of` any module's (None: not known yet)."""
    words = Words()
    finder = WordFinder(summary_of)
    for module, names in imports:
        if not names:  # `import a.b.c`: used as `a.b.c.name(...)`
            target = _longest_module(module, modules)
            if target is not None and offering(target) is not None:
                finder.module_words(words, target, set())
            continue
        for name in names:
            if name == "*":
                if offering(module) is not None:
                    finder.module_words(words, module, set())
                continue
            if f"{module}.{name}" in modules:
                if offering(f"{module}.{name}") is not None:
                    words.receivers.add(name)
                    words.imported.add(name)
                    finder.module_words(words, f"{module}.{name}", set())
                continue
            summary = offering(module)
            if summary is not None:
                finder.imported_name(words, summary, name)
    return words


def _longest_module(dotted: str, modules: Collection[str]) -> str | None:
    """`import a.b.c`: the longest of `a.b.c`, `a.b`, `a` that is a project module."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def reexports(
    module: str,
    imports: list[tuple[str, tuple[str, ...]]],
    summary_of: Callable[[str], ModuleSummary | None],
    is_module: Callable[[str], bool],
) -> ModuleSummary | None:
    """The summary of a module that is not parsed: the names it imports from project
    modules that offer something, as `from x import name` binds them (no `as`: the screen
    parses a module that renames what it imports)."""
    names: dict[str, ValueShape] = {}
    for source, imported in imports:
        if not imported:
            continue
        summary = summary_of(source)
        for name in imported:
            if name == "*":
                if summary is not None:
                    names.update(summary.star_exports())
                continue
            if is_module(f"{source}.{name}"):
                names[name] = ("module", f"{source}.{name}")
                continue
            if summary is None:
                continue
            if name in summary.functions:
                names[name] = ("function", source, name)
            elif name in summary.classes:
                names[name] = ("class", source, name)
            elif name in summary.names:
                names[name] = summary.names[name]
    if not names:
        return None
    return ModuleSummary(module, names)
