"""Which modules of a project run are worth parsing for what they import (engine.md, "Cost").

A module that imports no HTTP or retry library can still make requests through the project's
wrappers. It is parsed only when its bytes use something its imports offer: a call of a wrapper
function or of a wrapper method of an imported class (`_call`, `post`), a module-level client
or instance used as a receiver (`SESSION.`), a retry decorator (`@retrying`), a subclass of an
imported class, a module-level instance of one, or a call of an imported Retry subclass. A
module that only imports such names and re-exports them (a package's `__init__.py`) is not
parsed either: its summary is made from its import statements (`reexports`).

The search is by bytes and conservative: a name it cannot account for (an import with `as`,
a summary not known yet) makes the module parsed, as before the screen. Two things are not
looked for: a wrapper through which no method and no headers reach the request
(`FunctionShape.opaque`: its calls are requests no rule can judge, as kubernetes' generated
API modules make them through `_call_with_legacy_options(_param, ...)`), and the methods of a
library client an attribute holds (`.get(`, `.post(`), which only matter where that attribute
is named (`self.pool_manager`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
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
    # What an attribute of an imported class holds (a library client, an instance of a
    # class with wrappers) counts only where the attribute is named (`self.session`,
    # `api.rest_client`): a chain of attributes goes through each of them.
    gated: dict[str, Words] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)  # `class X(name)` or `X = name(` at the top
    decorators: set[str] = field(default_factory=set)  # `@name`
    imported: set[str] = field(default_factory=set)  # names whose import may carry `as`
    unknown: bool = False

    def empty(self) -> bool:
        return not (
            self.calls
            or self.names
            or self.receivers
            or self.gated
            or self.classes
            or self.decorators
        )

    def merge(self, other: Words) -> None:
        self.calls |= other.calls
        self.names |= other.names
        self.receivers |= other.receivers
        self.classes |= other.classes
        self.decorators |= other.decorators
        self.imported |= other.imported
        self.unknown = self.unknown or other.unknown
        for attribute, words in other.gated.items():
            self.gated.setdefault(attribute, Words()).merge(words)

    def found_in(self, data: bytes) -> bool:
        return self.found(Identifiers(data))

    def found(self, text: Identifiers) -> bool:
        """Whether the module's text uses one of the words (each kind as `Identifiers`
        finds it). A kind is looked for only when one of its words is in the text at all."""
        if self.unknown:
            return True
        if self.empty():
            return False
        every = self.every_word()
        if not all(word.isascii() for word in every):
            return True  # a name of other letters than ASCII: parsed, as if used
        # The words anywhere in the bytes, if only inside a longer name: most modules hold
        # none, and a search for a few words costs less than finding every name.
        present = text.present(every)
        if not present:
            return False

        def uses(words: set[str], kind: str) -> bool:
            encoded = {word.encode("ascii") for word in words} & present
            return bool(encoded) and bool(text.used(kind, encoded))

        if (
            uses(self.calls, "called")
            or uses(self.receivers, "receivers")
            or uses(self.decorators, "decorators")
            or uses(self.classes, "constructed")
            or uses(self.imported, "renamed")
        ):
            return True
        if self.gated:
            gated = {attribute.encode("ascii"): attribute for attribute in self.gated}
            named = text.used("attributes", gated.keys() & present)
            if named:
                inner = Words()
                for attribute in sorted(gated[name] for name in named):
                    inner.merge(self.gated[attribute])
                if inner.found(text):
                    return True
        return uses(self.names, "names")

    def every_word(self) -> set[str]:
        found = self.calls | self.names | self.receivers | self.classes | self.decorators
        found |= self.imported | self.gated.keys()
        for words in self.gated.values():
            found |= words.every_word()
        return found


class Identifiers:
    """How a module's bytes use given names. The names looked for are few (those of one
    module's imports) and most modules hold none of them, so each is first looked for as
    bytes (`present`); only the names present are searched for in their context (`used`),
    one pattern of those names per kind. Names are ASCII here (`\\w` of bytes): a word of
    other letters is not looked for, the module is parsed (`Words.found`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._code: bytes | None = None
        self._present: dict[bytes, bool] = {}
        self._constructed: set[bytes] | None = None

    def present(self, words: set[str]) -> set[bytes]:
        """The words that occur in the bytes, in any context, also inside a longer name."""
        found = set()
        for word in words:
            encoded = word.encode("ascii")
            known = self._present.get(encoded)
            if known is None:
                known = self._present[encoded] = encoded in self.data
            if known:
                found.add(encoded)
        return found

    def used(self, kind: str, words: Collection[bytes]) -> set[bytes]:
        """Those of `words` that the bytes use as `kind` (`_KINDS`) says."""
        if not words:
            return set()
        if kind == "constructed":
            return self.constructed() & set(words)
        pattern, code = _KINDS[kind]
        names = b"|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
        if code and self._code is None:
            self._code = _IMPORT_STATEMENT.sub(b"", self.data)
        data = self._code if code else self.data
        assert data is not None
        return set(re.compile(pattern.replace(b"NAMES", names)).findall(data))

    def constructed(self) -> set[bytes]:
        """The names among a class statement's bases, or called at the start of a line that
        binds a module-level name (`X = name(`)."""
        if self._constructed is None:
            found = set(_ASSIGNED.findall(self.data))
            for bases in _CLASS_BASES.findall(self.data):
                found.update(_WORD.findall(bases))
            self._constructed = found
        return self._constructed


_NAME = rb"[A-Za-z_]\w*"
# Each kind of use: a pattern around the names looked for (NAMES), and whether it is looked
# for outside import statements only.
_KINDS = {
    # `name(`, `obj.name(`
    "called": (rb"\b(NAMES)\s*\(", False),
    # `name.` (not an attribute itself)
    "receivers": (rb"(?<![\w.])(NAMES)\s*\.", False),
    "decorators": (rb"@\s*(NAMES)(?!\w)", False),
    # `name as other`
    "renamed": (rb"\b(NAMES)\s+as\s+\w", False),
    # Any use outside quotes, after a dot too.
    "attributes": (rb"(?<![\w'\"])(NAMES)\b(?!['\"])", True),
    # Any use outside quotes, not after a dot (not in `__all__ = ["post_json"]`, which
    # re-exports, it calls nothing).
    "names": (rb"(?<![\w.'\"])(NAMES)\b(?!['\"])", True),
}
_CLASS_BASES = re.compile(rb"^[ \t]*class\s+\w+\s*\(([^)]*)", re.MULTILINE)
_WORD = re.compile(rb"[A-Za-z_]\w*")
_ASSIGNED = re.compile(rb"^\w+\s*(?::[^=\n]*)?=\s*(%s)\s*\(" % _NAME, re.MULTILINE)


# An import statement, parenthesised over several lines or continued with a backslash.
_IMPORT_STATEMENT = re.compile(
    rb"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+(?:\([^)]*\)|(?:[^\n]*\\\r?\n)*[^\n]*)",
    re.MULTILINE,
)


class WordFinder:
    """The words of what modules offer, from their summaries (`summary_of`: None when a
    module is not known yet)."""

    def __init__(
        self, summary_of: Callable[[str], ModuleSummary | None], gate: bool = True
    ) -> None:
        self.summary_of = summary_of
        # What an attribute holds counts behind its name (`Words.gated`); without `gate`,
        # as any other word (what a gated attribute's class holds in turn).
        self.gate = gate
        self._closures: dict[tuple[str, str], Words] = {}
        self._ungated: WordFinder | None = None

    def imported_name(self, words: Words, summary: ModuleSummary, name: str) -> None:
        """`from module import name`, used as `name` in the importing module."""
        words.imported.add(name)
        if name in summary.functions:
            if not summary.functions[name].opaque:
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
        words.calls.update(
            key.rsplit(".", 1)[-1]
            for key, function in summary.functions.items()
            if not function.opaque
        )
        for name in summary.classes:
            words.classes.add(name)
            words.calls.add(name)  # `http.Client(...)`: a class reached through its module
            self.class_words(words, module, name, seen)
        for name, shape in summary.names.items():
            self.shape_words(words, shape, name, seen)

    def class_words(self, words: Words, module: str, name: str, seen: set[tuple[str, str]]) -> None:
        """The words of a class whose instances the module may hold: its wrapper methods,
        and, behind their names, what its attributes hold."""
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
        words.calls.update(
            method for method, (owner, key) in cls.methods.items() if not self._opaque(owner, key)
        )
        if cls.client is not None:
            words.calls.update(CLIENT_METHODS)
        if cls.retry is not None:
            words.calls.add(name)  # a Retry subclass matters where it is constructed
        for attr, shape in cls.attributes.items():
            self.shape_words(words, shape, attr, seen, attribute=self.gate)

    def _closure(self, module: str, name: str) -> Words:
        """Every word of a class, its attributes' included without their names."""
        found = self._closures.get((module, name))
        if found is None:
            if self._ungated is None:
                self._ungated = WordFinder(self.summary_of, gate=False)
            found = self._closures[(module, name)] = Words()
            self._ungated.class_words(found, module, name, set())
        return found

    def _opaque(self, module: str, key: str) -> bool:
        """A wrapper method whose calls no rule judges (`FunctionShape.opaque`)."""
        summary = self.summary_of(module)
        function = summary.functions.get(key) if summary is not None else None
        return function is not None and function.opaque

    def shape_words(
        self,
        words: Words,
        shape: ValueShape,
        name: str,
        seen: set[tuple[str, str]],
        attribute: bool = False,
    ) -> None:
        """A value named `name` (a module-level name, or an attribute of a class) of that
        shape."""
        kind = shape[0]
        if kind == "client" and attribute:
            # Only where the attribute is named (`self.session.post(`, `s = api.session`).
            words.gated.setdefault(name, Words()).calls.update(CLIENT_METHODS)
        elif kind == "instance" and attribute:
            words.gated.setdefault(name, Words()).merge(self._closure(shape[1], shape[2]))
        elif kind == "client":
            words.receivers.add(name)
            words.calls.update(CLIENT_METHODS)  # bound to another name first
        elif kind == "instance":
            words.receivers.add(name)
            self.class_words(words, shape[1], shape[2], seen)
        elif kind == "class":
            words.classes.add(name)
            words.calls.add(name)
            self.class_words(words, shape[1], shape[2], seen)
        elif kind == "function":
            if not self._opaque(shape[1], shape[2]):
                words.names.add(name)
        elif kind == "decorator":
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
