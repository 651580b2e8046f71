"""Linting one file: pre-filter, limits, parse, facts, rules, suppressions.

Every failure while analysing one file becomes a diagnostic for that file (ML001-ML003);
nothing here ends the run. LibCST is imported only when a file passes the pre-filter.
"""

from __future__ import annotations

import ast
import gc
import re
import time
import tokenize
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from methodlint import screen, suppress
from methodlint.big_stack import in_big_stack
from methodlint.config import DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_LIMIT, UNCHECKED_CODES, Config
from methodlint.diagnostics import Diagnostic, Span
from methodlint.facts import FileFacts
from methodlint.libraries import FRAMEWORK_MODULES, HTTP_MODULES, RETRY_MODULES
from methodlint.line_start import AtLineStart
from methodlint.notebook import Cell, NotebookError, is_notebook, join_cells, read_notebook
from methodlint.registry import all_rules, by_code, plugin_of, selected_rules
from methodlint.rule import Finding, Rule, RuleSettings
from methodlint.tokens import forget as forget_tokens
from methodlint.tokens import tokens as source_tokens

if TYPE_CHECKING:
    from methodlint.analysis.foreign import ProjectView
    from methodlint.analysis.summary import ModuleSummary
    from methodlint.rules.invalid_suppression import InvalidSuppression

REPORT_URL = "https://github.com/methodlint/methodlint/issues"

# Source longer than this (in code points) does not keep its CPython tree while LibCST parses
# it: for a 700 KB module the tree takes 27 MB, beside LibCST's 100 MB.
LARGE_SOURCE = 100_000
# CPython itself refuses more than 200 nested brackets; LibCST's native parser crashes the
# process a few thousand levels deep, so deeper files are never handed to it.
MAX_NESTING = 200
# LibCST parses an operator chain in time quadratic in its length (2,000 terms: 0.6 s, 5,000:
# 5 s) and crashes the process at about 10,000; real code stays below a few hundred.
MAX_CHAIN = 2000


@dataclass(frozen=True)
class EngineSettings:
    """What a worker needs to lint a file; plain data, so it pickles."""

    codes: frozenset[str]
    max_file_size: int
    http_modules: tuple[tuple[str, str], ...] = ()
    extra_modules: tuple[str, ...] = ()
    http_wrappers: tuple[tuple[str, str], ...] = ()  # `Config.http_wrappers`
    rules: RuleSettings = field(default_factory=RuleSettings)
    retry_decorators: tuple[str, ...] = ()
    # The project index (methodlint.project): configured roots (absolute) and whether it is used.
    src: tuple[str, ...] = ()
    cross_module: bool = False
    # Limits of a worker process (megabytes of address space, seconds per file; 0: none).
    # They decide whether a file is analysed, never what is found, so the cache ignores them.
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    time_limit: float = DEFAULT_TIME_LIMIT

    @classmethod
    def from_config(cls, config: Config) -> EngineSettings:
        rules = selected_rules(config.select, config.extend_select, config.ignore, config.preview)
        decorator_modules = tuple(d.split(".")[0] for d in config.retry_decorators)
        return cls(
            # Files that cannot be checked are always found; the report drops those whose
            # code is ignored by name, and counts them (runner.py).
            codes=frozenset(r.code for r in rules) | set(UNCHECKED_CODES),
            max_file_size=config.max_file_size,
            http_modules=config.http_modules,
            extra_modules=tuple(m for m, _ in config.http_modules)
            + decorator_modules
            + tuple(name.replace(":", ".").split(".")[0] for name, _ in config.http_wrappers),
            http_wrappers=config.http_wrappers,
            retry_decorators=config.retry_decorators,
            rules=RuleSettings.from_config(config),
            src=tuple(str(root) for root in config.src_roots),
            cross_module=config.cross_module,
            memory_limit=config.memory_limit,
            time_limit=config.time_limit,
        )


# -- pre-filter ---------------------------------------------------------------------------


# Byte order marks of encodings Python does not read source in: such a file is decoded before
# the pre-filter's search, and reported when it would be checked (see `FileLinter._lint`).
FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Up to this many module names, a substring search per name rejects most files fastest; with
# more (a configured list of thousands), only the import lines are read, so the cost stays one
# pass over the bytes whatever the number of names.
SUBSTRING_NAMES = 64
# An import statement at the start of a line: the module of `from`, the rest of an `import`.
_STATEMENT = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\f]*(?:from[ \t]+([\w.]+)|import[ \t]+([^\n#;]*))")
# The dotted names of an `import` statement's rest: at its start or after a blank or a comma.
_IMPORTED = re.compile(rb"(?:^|(?<=[ \t,]))(\w+(?:\.\w+)*)")


def foreign_encoding(data: bytes) -> str | None:
    """The UTF-16 or UTF-32 encoding a byte order mark declares, if the data starts with one."""
    for mark, encoding in FOREIGN_BOMS:
        if data.startswith(mark):
            return encoding
    return None


@dataclass(frozen=True)
class PreFilter:
    """A byte-level test: does the file import an HTTP or retry library, a web framework
    (or a configured module)? A substring search first (for a short list of names); then the
    lines that hold `import` or `from` are read as import statements, and the dotted names they
    import are looked up in a set."""

    names: tuple[bytes, ...]
    known: frozenset[bytes]

    @classmethod
    def for_modules(cls, extra: Iterable[str] = ()) -> PreFilter:
        modules = sorted({*HTTP_MODULES, *RETRY_MODULES, *FRAMEWORK_MODULES, *extra})
        names = tuple(m.encode() for m in modules)
        return cls(names, frozenset(names))

    def __call__(self, data: bytes) -> bool:
        encoding = foreign_encoding(data)
        if encoding is not None:
            data = data.decode(encoding, errors="replace").encode("utf-8", errors="replace")
        if len(self.names) <= SUBSTRING_NAMES and not any(name in data for name in self.names):
            return False
        # Only the start of lines that hold `import` or `from` is read: a statement search over
        # the whole file costs three times as much (a name such as `http` is in most files, in
        # URLs and docstrings).
        find = data.find
        for keyword in (b"import", b"from"):
            position = find(keyword)
            while position >= 0:
                if self._imports_known(data, data.rfind(b"\n", 0, position) + 1):
                    return True
                end = find(b"\n", position)
                if end < 0:
                    break
                position = find(keyword, end)
        return False

    def _imports_known(self, data: bytes, start: int) -> bool:
        """Whether the line at `start` is an import of a known module (or of a module below
        one: `http.client`)."""
        match = _STATEMENT.match(data, start)
        if match is None:
            return False
        module, rest = match.group(1, 2)
        dotted = [module] if module is not None else _IMPORTED.findall(rest)
        for name in dotted:
            parts = name.split(b".")
            for end in range(1, len(parts) + 1):
                if b".".join(parts[:end]) in self.known:
                    return True
        return False


# -- the analysis of one file -------------------------------------------------------------


def preload() -> None:
    """Import what analysing a file imports on first use: LibCST, the analysis and the
    rules (a worker started before it has work does it while the main process starts)."""
    import libcst  # noqa: F401

    from methodlint.analysis import (  # noqa: F401
        export,
        foreign,
        foreign_calls,
        pipeline,
        summary,
        wrappers,
    )
    from methodlint.analysis.retry import helpers, recursion  # noqa: F401

    all_rules()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector waits while one file is parsed and analysed: the
    hundreds of thousands of nodes LibCST makes would trigger collections that find nothing
    (its trees hold no cycles; reference counting frees them), about 5% of the work on a
    1,000-line module, measured with callgrind. Cycles made meanwhile are collected later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FileLinter:
    """Lints files with one set of rules; one instance per process."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.prefilter = PreFilter.for_modules(settings.extra_modules)
        self.rules: list[Rule] = [
            rule(settings.rules)
            for rule in all_rules()
            if rule.code in settings.codes and not rule.engine_reported
        ]
        # Seconds spent in LibCST's parser, in the screen before it (`screen.py`), and
        # importing LibCST and the analysis (once per process), for METHODLINT_PROFILE.
        self.parse_seconds = 0.0
        self.screen_seconds = 0.0
        self.import_seconds = 0.0
        self._loaded = False
        # In a project run (`project_run.py`): what the file being linted sees of the other
        # modules of the project, and the summary it offers them.
        self.view: ProjectView | None = None
        # The configured models of installed wrappers (`http-wrappers`), as module summaries.
        self.models: dict[str, ModuleSummary] = {}
        if settings.http_wrappers:
            from methodlint.analysis.models import summaries

            self.models = summaries(settings.http_wrappers)
        self.summary: ModuleSummary | None = None
        self.invalid_suppression: InvalidSuppression | None = None
        if suppress.INVALID_SUPPRESSION in settings.codes:
            from methodlint.rules.invalid_suppression import InvalidSuppression

            self.invalid_suppression = InvalidSuppression(settings.rules)
        # ML901 (opt-in) costs nothing unless selected.
        self.unused_suppressions = (
            suppress.UnusedSuppressions(settings.codes, settings.rules)
            if suppress.UNUSED_SUPPRESSION in settings.codes
            else None
        )

    def file_diagnostic(
        self, code: str, path: str, message: str, span: Span | None = None
    ) -> list[Diagnostic]:
        if code not in self.settings.codes:
            return []
        return [_diagnostic(by_code(code), path, Finding(span or Span(1, 1, 1, 1), message))]

    def too_large(self, size: int, path: str) -> list[Diagnostic]:
        """ML003 for a file over max-file-size that passes the pre-filter."""
        return self.file_diagnostic(
            "ML003",
            path,
            f"file is {size:,} bytes, larger than max-file-size "
            f"({self.settings.max_file_size:,}); not analysed",
        )

    def lint_bytes(
        self, data: bytes, path: str, codes: frozenset[str] | None = None
    ) -> list[Diagnostic]:
        """Lint one file's content; `codes` narrows the rules (per-file ignores). A notebook
        (by its name) is linted as its joined code cells, in cell coordinates."""
        if is_notebook(path):
            diagnostics = self._lint_notebook(data, path)
        elif not self.prefilter(data):
            return []
        else:
            diagnostics = self._lint(data, path)
        if codes is not None:
            diagnostics = [d for d in diagnostics if d.code in codes]
        return sorted(diagnostics, key=Diagnostic.sort_key)

    def _lint_notebook(self, data: bytes, path: str) -> list[Diagnostic]:
        try:
            notebook = read_notebook(data)
        except NotebookError as error:
            return self.file_diagnostic("ML002", path, f"not a valid notebook: {error}")
        return self.lint_cells(notebook.cells, path)

    def lint_cells(
        self, cells: Sequence[Cell], path: str, codes: frozenset[str] | None = None
    ) -> list[Diagnostic]:
        """Lint a notebook's code cells (read from its file, or an editor's cells) as one
        source; the diagnostics are in cell coordinates."""
        joined = join_cells(cells)
        # Encoded as UTF-8 without a BOM: the joined text is already decoded.
        source = joined.text.encode("utf-8")
        if not self.prefilter(source):
            return []
        found = [joined.to_cells(d) for d in self._lint(source, path)]
        if codes is not None:
            found = [d for d in found if d.code in codes]
        return sorted(found, key=Diagnostic.sort_key)

    def _models_view(self) -> ProjectView | None:
        """Outside a project run: what the file sees of the modelled wrappers."""
        if not self.models:
            return None
        from methodlint.analysis.foreign import ProjectView

        return ProjectView(self.models, None, False)

    def lint_in_project(
        self, data: bytes, path: str, view: ProjectView
    ) -> tuple[list[Diagnostic], ModuleSummary | None]:
        """Lint one module of a project run, with what it sees of the other modules; also
        its own summary (None when it could not be analysed). No pre-filter: the run chose
        it because it may make requests or offer something to the modules that import it."""
        if self.models:
            view.add(self.models)
        self.view, self.summary = view, None
        try:
            diagnostics = self._lint(data, path)
        finally:
            self.view = None
        return sorted(diagnostics, key=Diagnostic.sort_key), self.summary

    def _lint(self, data: bytes, path: str) -> list[Diagnostic]:
        """The file's diagnostics, each with the text of its line."""
        if len(data) > self.settings.max_file_size:
            return _with_line_text(self.too_large(len(data), path), data)
        encoding = foreign_encoding(data)
        if encoding is not None:
            # Python reads source as UTF-8 or a declared ASCII-compatible encoding: it cannot
            # run this file, and methodlint cannot check it; saying so beats a silent pass.
            return self.file_diagnostic(
                "ML002",
                path,
                f"file is {encoding.upper()[:6]} (it starts with a byte order mark); Python "
                "reads source files as UTF-8 or a declared ASCII-compatible encoding, so it "
                "cannot be checked",
            )
        if b"\0" in data:
            return _with_line_text(
                self.file_diagnostic("ML002", path, "file contains NUL bytes"), data
            )
        try:
            source = decode(data)
        except (UnicodeDecodeError, SyntaxError, LookupError) as error:
            return self.file_diagnostic("ML002", path, f"cannot decode file: {error}")
        try:
            found = self._check(data, source, path)
        finally:
            forget_tokens()
        return _with_line_text(found, source) if found else found

    def _check(self, data: bytes, source: str, path: str) -> list[Diagnostic]:
        """Lint decoded source, less what `# methodlint: skip-file[...]` skips."""
        skipped = suppress.skipped_codes(source) if suppress.SKIP_FILE.search(data) else None
        if skipped == frozenset():
            return []
        found = self._check_all(data, source, path)
        return [d for d in found if d.code not in skipped] if skipped else found

    def _check_all(self, data: bytes, source: str, path: str) -> list[Diagnostic]:
        """Lint decoded source: screens, then the analysis, every failure a diagnostic."""
        if _too_deep(data, source):
            return self.file_diagnostic(
                "ML003",
                path,
                f"brackets or lambdas nested more than {MAX_NESTING} levels deep; not analysed",
            )
        if _too_long_chain(data, source):
            return self.file_diagnostic(
                "ML003",
                path,
                f"an expression chains more than {MAX_CHAIN:,} operators; not analysed",
            )
        if has_backslash_line(data):
            # LibCST drops a line that holds only a backslash, which moves every later
            # position; a comment in its place keeps the lines and, as checked, the meaning.
            patched = _without_backslash_lines(source)
            if patched is None:
                return self.file_diagnostic(
                    "ML003",
                    path,
                    "a line that holds only a backslash (line continuation) is beyond the "
                    "parser methodlint uses (LibCST) here; not analysed",
                )
            source = patched
        started = time.perf_counter()
        tree = screen.parse(source)
        view = self.view
        fruitful = tree is None or screen.may_have_facts(
            source,
            self.settings.extra_modules,
            None if view is None else view if view.imports_used else set(),
            view.module if view is not None else None,
            view.package if view is not None else False,
            tree,
        )
        self.screen_seconds += time.perf_counter() - started
        if not fruitful:
            if view is not None:
                view.screened = True
            return self._findings(FileFacts(path=path), source, path)
        python: ast.Module | Callable[[], ast.Module | None] | None = tree
        if tree is not None and len(source) > LARGE_SOURCE:
            # Not kept while LibCST parses and the analysis runs: parsed again if facts need
            # positions, which few large modules have.
            python = lambda: screen.parse(source)  # noqa: E731
        del tree
        try:
            with _collector_paused():
                return in_big_stack(lambda: self._analyse(source, path, python))
        except MemoryError:
            raise  # the worker reports it (the memory limit), and it is not remembered
        except RecursionError:
            return self.file_diagnostic(
                "ML003",
                path,
                "expressions nested too deeply to analyse (RecursionError); "
                f"please report this at {REPORT_URL}",
            )
        except Exception as error:
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            return self.file_diagnostic(
                "ML003",
                path,
                f"internal error while analysing this file ({detail}); "
                f"please report this at {REPORT_URL}",
            )

    @property
    def loaded(self) -> bool:
        """LibCST and the analysis are imported in this process."""
        return self._loaded

    def load(self) -> None:
        """Import LibCST and the analysis, once; the seconds are counted apart from any
        file's parse and analysis."""
        if not self._loaded:
            started = time.perf_counter()
            preload()
            self.import_seconds += time.perf_counter() - started
            self._loaded = True

    def _analyse(
        self,
        source: str,
        path: str,
        tree: ast.Module | Callable[[], ast.Module | None] | None,
    ) -> list[Diagnostic]:
        self.load()
        import libcst as cst

        from methodlint.analysis.pipeline import analyse

        started = time.perf_counter()
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            self.parse_seconds += time.perf_counter() - started
            line, column = error.raw_line, error.raw_column + 1
            message = str(error.message).strip().rstrip(".")
            # CPython's parser names the problem better ("expected ':'") and points at the
            # line it is on.
            compiles = False
            try:
                compile(source, path, "exec", dont_inherit=True)
                compiles = True
            except SyntaxError as python_error:
                if python_error.lineno:
                    line = python_error.lineno
                    column = max(python_error.offset or 1, 1)
                    message = python_error.msg
            except (ValueError, RecursionError, MemoryError):
                pass
            if compiles:
                # A file the running Python accepts is no syntax error: the limitation is
                # LibCST's (`(x): int = 1`, thousands of concatenated strings).
                return self.file_diagnostic(
                    "ML003",
                    path,
                    "Python accepts this file but LibCST, the parser methodlint uses, cannot "
                    f"parse it (a parser limitation: {message}); "
                    "not analysed",
                )
            return self.file_diagnostic(
                "ML001",
                path,
                f"syntax error: {message}",
                Span(line, column, line, column + 1),
            )
        self.parse_seconds += time.perf_counter() - started
        facts, self.summary = analyse(
            module,
            path,
            dict(self.settings.http_modules),
            self.settings.retry_decorators,
            self.view or self._models_view(),
            tree,
            source,
        )
        return self._findings(facts, source, path)

    def _findings(self, facts: FileFacts, source: str, path: str) -> list[Diagnostic]:
        """The rules' findings on a file's facts, less those its comments suppress."""
        # ML902 reads the comments only when one may name an unknown code.
        invalid = self.invalid_suppression is not None and suppress.may_name_unknown(source)
        if (
            not facts.calls
            and not facts.method_tokens
            and not facts.retry_policies
            and not facts.routes
            and (self.unused_suppressions is None)
            and not invalid
        ):
            return []
        diagnostics: dict[tuple[str, Span], Diagnostic] = {}
        crashed: list[Diagnostic] = []
        for rule in self.rules:
            try:
                findings = list(rule.check_file(facts))
            except Exception as error:
                plugin = plugin_of(rule.code)
                if plugin is None:
                    raise  # our own bug: ML003 for the file (_check)
                # A plugin's bug costs its own findings, not the file's built-in ones.
                detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                crashed += self.file_diagnostic(
                    "ML003",
                    path,
                    f"plugin {plugin!r}: rule {rule.code} ({rule.name}) crashed ({detail}); "
                    f"its findings in this file are missing, please report this to the plugin",
                )
                continue
            for finding in findings:
                diagnostic = _diagnostic(rule, path, finding)
                # Reported once per place: a request built once and sent twice, or a body
                # written inside a wrapper and judged again at each of its calls.
                key = (rule.code, finding.span)
                diagnostics.setdefault(key, diagnostic)
        # Read once for both: the comments of the file, from its tokens.
        suppressions = (
            suppress.read_suppressions(source)
            if diagnostics or self.unused_suppressions is not None or invalid
            else None
        )
        kept = suppress.apply(source, diagnostics.values(), suppressions) + crashed
        if invalid and suppressions is not None and self.invalid_suppression is not None:
            kept += [
                _diagnostic(self.invalid_suppression, path, f)
                for f in self.invalid_suppression.check_directives(suppressions.directives)
                if not suppressions.covering(suppress.INVALID_SUPPRESSION, f.span.line, f.span.line)
            ]
        if self.unused_suppressions is not None:
            unused = self.unused_suppressions.check(
                source, facts, diagnostics.values(), suppressions
            )
            kept += [_diagnostic(self.unused_suppressions.rule, path, f) for f in unused]
        return kept


def _diagnostic(rule: Rule | type[Rule], path: str, finding: Finding) -> Diagnostic:
    span = finding.span
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=finding.message,
        hint=finding.hint if finding.hint is not None else rule.hint,
        severity=rule.severity,
        path=path,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        fix=finding.fix,
    )


def _with_line_text(diagnostics: list[Diagnostic], text: str | bytes) -> list[Diagnostic]:
    """The diagnostics with the text of their line (`text` is the source, or its bytes)."""
    if not diagnostics:
        return diagnostics
    try:
        source = decode(text) if isinstance(text, bytes) else text
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return diagnostics
    # Python's own line breaks only: str.splitlines() also splits at form feeds and
    # Unicode separators, which would misnumber the lines.
    lines = re.split(r"\r\n|\r|\n", source)
    found = []
    for diagnostic in diagnostics:
        text = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
        found.append(replace(diagnostic, line_text=text))
    return found


def decode(data: bytes) -> str:
    """Decode Python source as the interpreter would (PEP 263 cookie, BOM); strict."""
    import io

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


_BRACKETS = bytes(range(256)).translate(None, b"()[]{}")


def _too_deep(data: bytes, source: str) -> bool:
    """True when expressions nest deeper than MAX_NESTING: brackets, and lambdas, whose bodies
    LibCST's parser and visitors recurse into as they do into brackets (`lambda: lambda: 1`).
    Screened by bytes, confirmed by tokens so that brackets inside plain strings do not count;
    inside f-strings they do, as LibCST parses the replacement fields."""
    lambdas = data.count(b"lambda")
    only = data.translate(None, _BRACKETS)
    if len(only) + lambdas <= MAX_NESTING:
        return False
    if lambdas <= MAX_NESTING:
        depth = deepest = 0
        for byte in only:
            if byte in b"([{":
                depth += 1
                deepest = max(deepest, depth)
            else:
                depth -= 1
        if deepest + lambdas <= MAX_NESTING:
            return False

    # Per open bracket: the lambdas opened at its level and not yet ended by a comma.
    levels = [0]
    try:
        for token in source_tokens(source):
            kind, text = token.type, token.string
            if kind == tokenize.OP:
                if text in ("(", "[", "{"):
                    levels.append(0)
                elif text in (")", "]", "}"):
                    if len(levels) > 1:
                        levels.pop()
                elif text in (",", ";"):
                    levels[-1] = 0
            elif kind == tokenize.NAME and text == "lambda":
                levels[-1] += 1
            elif kind == tokenize.NEWLINE:
                levels = [0]
            elif kind == tokenize.STRING and _is_fstring(text):
                if len(levels) - 1 + sum(levels) + _fstring_depth(text) > MAX_NESTING:
                    return True
                continue
            else:
                continue
            if len(levels) - 1 + sum(levels) > MAX_NESTING:
                return True
    except (tokenize.TokenError, SyntaxError):
        return False
    return False


def _is_fstring(token: str) -> bool:
    """Whether a STRING token is an f-string (Python before 3.12 gives it whole)."""
    prefix = token[: min(i for i in (token.find("'"), token.find('"'), len(token)) if i >= 0)]
    return "f" in prefix.lower()


def _fstring_depth(token: str) -> int:
    """An upper bound of the nesting inside an f-string's replacement fields: brackets and
    lambdas, nested f-strings included (their quotes are not told apart)."""
    depth = deepest = 0
    for char in token:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest + token.count("lambda")


def _fstring_fields(token: str) -> str:
    """The text of an f-string's replacement fields (nested ones included), each field on its
    own line: what LibCST parses as expressions."""
    fields: list[str] = []
    depth = 0
    index = 0
    length = len(token)
    while index < length:
        char = token[index]
        if depth == 0:
            if char == "{":
                if token.startswith("{{", index):
                    index += 2
                    continue
                depth = 1
                fields.append("\n")
        else:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    index += 1
                    continue
            fields.append(char)
        index += 1
    return "".join(fields)


_BACKSLASH_LINE = AtLineStart(rb"[ \t\f]*\\(?:\r\n|\r|\n)")


def has_backslash_line(data: bytes) -> bool:
    """A line that holds only a backslash (and indentation)."""
    return b"\\" in data and _BACKSLASH_LINE.found(data)


def _without_backslash_lines(source: str) -> str | None:
    """`source` with each line that holds only a backslash (outside strings) made a comment,
    which LibCST keeps; None when that would change what the code means (compared as Python's
    syntax trees) or the lines cannot be told apart from strings."""

    in_strings: set[int] = set()
    try:
        for token in source_tokens(source):
            if token.type == tokenize.STRING and token.start[0] != token.end[0]:
                in_strings.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        return source  # not Python: the parser reports it
    lines = re.split(r"(\r\n|\r|\n)", source)
    changed = False
    for number in range(0, len(lines), 2):
        if (number // 2 + 1) in in_strings:
            continue
        text = lines[number]
        if text.strip(" \t\f") == "\\" and number + 1 < len(lines):
            lines[number] = text.replace("\\", "#")
            changed = True
    if not changed:
        return source
    patched = "".join(lines)
    try:
        same = ast.dump(ast.parse(source)) == ast.dump(ast.parse(patched))
    except SyntaxError:
        return source  # the parser reports it
    except (ValueError, RecursionError, MemoryError):
        return None
    return patched if same else None


# Bytes that can be part of an operator chain's length (links), end one (separators), or nest.
_NOT_CHAIN = bytes(sorted(set(range(256)) - set(b"()[]{},;:=\n+-*/%@&|^~<>.")))
_CHAIN_KEYWORDS = (b" and ", b" or ", b"not ", b" if ", b"lambda", b"await ")
_OPEN = frozenset(b"([{")
_CLOSE = frozenset(b")]}")
_SEPARATORS = frozenset(b",;:=")
_LINK_OPERATORS = frozenset(
    ("+", "-", "*", "/", "%", "@", "&", "|", "^", "~", "<<", ">>", "**", "//", ".")
)
_LINK_KEYWORDS = frozenset(("and", "or", "not", "if", "lambda", "await"))
_ENDS = frozenset((",", ";", ":", "<", ">", "->"))


def _too_long_chain(data: bytes, source: str) -> bool:
    """True when one expression chains more than MAX_CHAIN operators, attribute accesses, calls
    or subscripts. Bytes give an upper bound cheaply (strings and comments count too); tokens
    confirm it."""
    only = data.translate(None, _NOT_CHAIN)
    if len(only) + sum(data.count(keyword) for keyword in _CHAIN_KEYWORDS) <= MAX_CHAIN:
        return False
    for keyword in _CHAIN_KEYWORDS:
        data = data.replace(keyword, b" + ")
    data = data.replace(b"\\\r\n", b"").replace(b"\\\n", b"")
    if _longest_chain(data.translate(None, _NOT_CHAIN)) <= MAX_CHAIN:
        return False
    return _longest_chain_in_tokens(source) > MAX_CHAIN


def _longest_chain(only: bytes) -> int:
    """The most links between two separators at one bracket level (a bracket is a link of the
    level it opens in: a call, a subscript or a parenthesised operand)."""
    outer: list[int] = []
    count = longest = 0
    for byte in only:
        if byte in _OPEN:
            outer.append(count + 1)
            count = 0
        elif byte in _CLOSE:
            if count > longest:
                longest = count
            count = outer.pop() if outer else 0
        elif byte in _SEPARATORS or (byte == 10 and not outer):
            if count > longest:
                longest = count
            count = 0
        elif byte != 10:
            count += 1
    return max(longest, count)


def _longest_chain_in_tokens(source: str) -> int:
    """`_longest_chain` by tokens: comparisons, `in` and `is` end a chain (LibCST keeps a
    comparison flat)."""

    outer: list[int] = []
    count = longest = 0
    try:
        for token in source_tokens(source):
            kind, text = token.type, token.string
            if kind == tokenize.OP:
                if text in ("(", "[", "{"):
                    outer.append(count + 1)
                    count = 0
                    continue
                if text in (")", "]", "}"):
                    longest = max(longest, count)
                    count = outer.pop() if outer else 0
                    continue
                if text in _LINK_OPERATORS:
                    count += 1
                    continue
                if text in _ENDS or text.endswith("="):
                    longest = max(longest, count)
                    count = 0
            elif kind == tokenize.NAME:
                if text in _LINK_KEYWORDS:
                    count += 1
                elif text in ("in", "is"):
                    longest = max(longest, count)
                    count = 0
            elif kind == tokenize.NEWLINE:
                longest = max(longest, count)
                count = 0
                outer.clear()
            elif kind == tokenize.STRING and _is_fstring(text):
                # One token before Python 3.12, yet LibCST parses its fields as expressions.
                longest = max(longest, _longest_chain(_chain_bytes(_fstring_fields(text))))
    except (tokenize.TokenError, SyntaxError):
        pass
    return max(longest, count)


def _chain_bytes(text: str) -> bytes:
    """The bytes of `text` that `_longest_chain` counts, keywords counted as operators."""
    data = text.encode("utf-8", errors="replace")
    for keyword in _CHAIN_KEYWORDS:
        data = data.replace(keyword, b" + ")
    return data.translate(None, _NOT_CHAIN)
