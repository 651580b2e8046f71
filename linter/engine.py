"""Linting one file: pre-filter, limits, parse, facts, rules, suppressions.

Every failure while analysing one file becomes a diagnostic for that file (ML001-ML003);
nothing here ends the run. LibCST is imported only when a file passes the pre-filter.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import time
import tokenize
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from methodlint import suppress
from methodlint.config import Config
from methodlint.diagnostics import Diagnostic, Span
from methodlint.libraries import FRAMEWORK_MODULES, HTTP_MODULES, RETRY_MODULES
from methodlint.notebook import NotebookError, is_notebook, join_cells, read_notebook
from methodlint.registry import all_rules, by_code, selected_rules
from methodlint.rule import Finding, Rule, RuleSettings

if TYPE_CHECKING:
    from methodlint.analysis.foreign import ProjectView
    from methodlint.analysis.summary import ModuleSummary

REPORT_URL = "https://github.com/methodlint/methodlint/issues"

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
    rules: RuleSettings = field(default_factory=RuleSettings)
    retry_decorators: tuple[str, ...] = ()
    # The project index (methodlint.project): configured roots (absolute) and whether it is used.
    src: tuple[str, ...] = ()
    cross_module: bool = False

    @classmethod
    def from_config(cls, config: Config) -> EngineSettings:
        rules = selected_rules(config.select, config.extend_select, config.ignore, config.preview)
        decorator_modules = tuple(d.split(".")[0] for d in config.retry_decorators)
        return cls(
            codes=frozenset(r.code for r in rules),
            max_file_size=config.max_file_size,
            http_modules=config.http_modules,
            extra_modules=tuple(m for m, _ in config.http_modules) + decorator_modules,
            retry_decorators=config.retry_decorators,
            rules=RuleSettings.from_config(config),
            src=tuple(str(root) for root in config.src_roots),
            cross_module=config.cross_module,
        )


# -- pre-filter ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreFilter:
    """A byte-level test: does the file import an HTTP or retry library, a web framework
    (or a configured module)? A substring search first; an import statement's match confirms
    it."""

    names: tuple[bytes, ...]
    statement: re.Pattern[bytes]

    @classmethod
    def for_modules(cls, extra: Iterable[str] = ()) -> PreFilter:
        modules = sorted({*HTTP_MODULES, *RETRY_MODULES, *FRAMEWORK_MODULES, *extra})
        names = tuple(m.encode() for m in modules)
        alternatives = b"|".join(re.escape(n) for n in names)
        statement = re.compile(
            rb"^(?:\xef\xbb\xbf)?[ \t\f]*(?:from[ \t]+(?:" + alternatives + rb")\b"
            rb"|import[ \t]+(?:[^\n#;]*[ \t,])?(?:" + alternatives + rb")\b)",
            re.MULTILINE,
        )
        return cls(names, statement)

    def __call__(self, data: bytes) -> bool:
        if not any(name in data for name in self.names):
            return False
        # The statement is tried only at the start of lines that hold `import` or `from`:
        # searching the whole file costs three times as much (a name such as `http` is in most
        # files, in URLs and docstrings).
        find = data.find
        for keyword in (b"import", b"from"):
            position = find(keyword)
            while position >= 0:
                if self.statement.match(data, data.rfind(b"\n", 0, position) + 1):
                    return True
                end = find(b"\n", position)
                if end < 0:
                    break
                position = find(keyword, end)
        return False


# -- the analysis of one file -------------------------------------------------------------

_T = TypeVar("_T")


def _in_big_stack(function: Callable[[], _T]) -> _T:
    """Run `function` in a thread with a large stack and recursion limit: LibCST's visitors
    recurse once per nesting level of the tree."""
    result: list[_T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function())
        except BaseException as caught:
            error.append(caught)

    old_limit = sys.getrecursionlimit()
    old_size = threading.stack_size()
    sys.setrecursionlimit(max(old_limit, 30_000))
    try:
        threading.stack_size(512 * 1024 * 1024)
        thread = threading.Thread(target=target, name="methodlint-file")
        thread.start()
    finally:
        threading.stack_size(old_size)
    thread.join()
    sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]


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
        # Seconds spent in LibCST's parser (and importing it), for METHODLINT_PROFILE.
        self.parse_seconds = 0.0
        # In a project run (`project_run.py`): what the file being linted sees of the other
        # modules of the project, and the summary it offers them.
        self.view: ProjectView | None = None
        self.summary: ModuleSummary | None = None
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
        joined = join_cells(notebook.cells)
        # Encoded as UTF-8 without a BOM: the joined text is already decoded.
        source = joined.text.encode("utf-8")
        if not self.prefilter(source):
            return []
        return [joined.to_cells(d) for d in self._lint(source, path)]

    def lint_in_project(
        self, data: bytes, path: str, view: ProjectView
    ) -> tuple[list[Diagnostic], ModuleSummary | None]:
        """Lint one module of a project run, with what it sees of the other modules; also
        its own summary (None when it could not be analysed). No pre-filter: the run chose
        it because it may make requests or offer something to the modules that import it."""
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
        if b"\0" in data:
            return _with_line_text(
                self.file_diagnostic("ML002", path, "file contains NUL bytes"), data
            )
        try:
            source = decode(data)
        except (UnicodeDecodeError, SyntaxError, LookupError) as error:
            return self.file_diagnostic("ML002", path, f"cannot decode file: {error}")
        found = self._check(data, source, path)
        return _with_line_text(found, source) if found else found

    def _check(self, data: bytes, source: str, path: str) -> list[Diagnostic]:
        """Lint decoded source: screens, then the analysis, every failure a diagnostic."""
        if suppress.SKIP_FILE.search(data) and suppress.skips_file(source):
            return []
        if _too_deep(data, source):
            return self.file_diagnostic(
                "ML003",
                path,
                f"brackets nested more than {MAX_NESTING} levels deep; not analysed",
            )
        if _too_long_chain(data, source):
            return self.file_diagnostic(
                "ML003",
                path,
                f"an expression chains more than {MAX_CHAIN:,} operators; not analysed",
            )
        try:
            return _in_big_stack(lambda: self._analyse(source, path))
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

    def _analyse(self, source: str, path: str) -> list[Diagnostic]:
        started = time.perf_counter()
        import libcst as cst

        from methodlint.analysis.pipeline import analyse

        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            self.parse_seconds += time.perf_counter() - started
            line, column = error.raw_line, error.raw_column + 1
            message = str(error.message).strip().rstrip(".")
            # CPython's parser names the problem better ("expected ':'") and points at the
            # line it is on; LibCST's is used when CPython accepts the file (newer syntax).
            try:
                ast.parse(source)
            except SyntaxError as python_error:
                if python_error.lineno:
                    line = python_error.lineno
                    column = max(python_error.offset or 1, 1)
                    message = python_error.msg
            except (ValueError, RecursionError, MemoryError):
                pass
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
            self.view,
        )
        if (
            not facts.calls
            and not facts.method_tokens
            and not facts.retry_policies
            and not facts.routes
            and (self.unused_suppressions is None)
        ):
            return []
        diagnostics: dict[tuple[str, Span], Diagnostic] = {}
        for rule in self.rules:
            for finding in rule.check_file(facts):
                diagnostic = _diagnostic(rule, path, finding)
                # Reported once per place: a request built once and sent twice, or a body
                # written inside a wrapper and judged again at each of its calls.
                key = (rule.code, finding.span)
                diagnostics.setdefault(key, diagnostic)
        kept = suppress.apply(source, diagnostics.values())
        if self.unused_suppressions is not None:
            unused = self.unused_suppressions.check(source, facts, diagnostics.values())
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
    """True when brackets nest deeper than MAX_NESTING (screened by bytes, confirmed by
    tokens so that brackets inside strings do not count)."""
    only = data.translate(None, _BRACKETS)
    if len(only) <= 2 * MAX_NESTING:
        return False
    depth = deepest = 0
    for byte in only:
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    if deepest <= MAX_NESTING:
        return False
    import io

    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                    if depth > MAX_NESTING:
                        return True
                elif token.string in ")]}":
                    depth -= 1
    except (tokenize.TokenError, SyntaxError):
        return False
    return False


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
    import io

    outer: list[int] = []
    count = longest = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
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
    except (tokenize.TokenError, SyntaxError):
        pass
    return max(longest, count)
