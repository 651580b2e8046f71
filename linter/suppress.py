"""Suppression comments, read in one place: `# noqa`, `# noqa: ML101`,
`# methodlint: ignore[ML101]` (codes or rule names: `get-with-body`), `# methodlint: skip-file`
and `# methodlint: skip-file[ML101]`; which of them suppress nothing (ML901), and which name
no rule (ML902)."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from methodlint.diagnostics import Diagnostic, Span
from methodlint.facts import FileFacts
from methodlint.rule import Finding, Rule, RuleSettings
from methodlint.tokens import tokens as source_tokens

# A code (ML101, E501) or a rule name (get-with-body: words joined by hyphens).
_ITEM = r"(?:[A-Za-z]+[0-9]+|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)"
_NOQA = re.compile(
    rf"#\s*noqa(?::\s*(?P<codes>{_ITEM}(?:[\s,]+{_ITEM})*)|(?P<colon>:[ \t]*(?P<junk>[^\s#]+))?)",
    re.IGNORECASE,
)
_IGNORE = re.compile(r"#\s*methodlint:\s*ignore\[(?P<codes>[^\]]*)\]")
SKIP_FILE = re.compile(rb"#\s*methodlint:\s*skip-file\b")
_SKIP_FILE_COMMENT = re.compile(r"#\s*methodlint:\s*skip-file(?:\[(?P<codes>[^\]]*)\])?")

UNUSED_SUPPRESSION = "ML901"
INVALID_SUPPRESSION = "ML902"


def skipped_codes(source: str) -> frozenset[str] | None:
    """What `# methodlint: skip-file` comments (not strings) skip: None for nothing, an empty
    set for the whole file, else the codes of `skip-file[ML101, ...]`."""
    comments: list[str] = []
    try:
        comments = [t.string for t in source_tokens(source) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        comments = [line.lstrip() for line in source.splitlines()]
    codes: set[str] = set()
    found = False
    for comment in comments:
        match = _SKIP_FILE_COMMENT.match(comment)
        if match is None:
            continue
        if match.group("codes") is None:
            return frozenset()
        found = True
        codes.update(_split_codes(match.group("codes")))
    return frozenset(codes) if found else None


def skips_file(source: str) -> bool:
    """True when a comment (not a string) says `# methodlint: skip-file` without codes."""
    return skipped_codes(source) == frozenset()


ALL = "*"


@dataclass(frozen=True)
class Directive:
    """One suppression in a comment: `# noqa`, `# noqa: codes` or `# methodlint: ignore[codes]`.

    A comment may hold two (`# methodlint: ignore[ML101]  # noqa: E501`). Columns are 1-based
    code points, end exclusive.
    """

    kind: str  # "noqa" or "ignore"
    codes: tuple[str, ...]  # upper case, as written; () for a bare noqa
    text: str  # the directive as written, `#` included
    line: int
    column: int
    end_column: int
    own_line: bool  # the comment is alone on its line (it covers the statement below)
    # False when a letter or digit follows (noqa ML1O1 reads as ML1): no fix rewrites it.
    ends_cleanly: bool = True
    # The whole comment is this directive, and `removal` deletes it: its line when it is alone
    # there, else the comment and the blanks before it. None when the comment says more.
    removal: Span | None = None

    @property
    def span(self) -> Span:
        return Span(self.line, self.column, self.line, self.end_column)

    @property
    def blanket(self) -> bool:
        return not self.codes


@dataclass
class Suppressions:
    """The directives of a file, and each line's statement start."""

    directives: list[Directive] = field(default_factory=list)
    statement_start: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_line: dict[int, list[Directive]] = {}
        for directive in self.directives:
            self._by_line.setdefault(directive.line, []).append(directive)

    def covering(self, code: str, line: int, end_line: int) -> list[tuple[Directive, str]]:
        """Each directive that suppresses `code` flagged on lines `line`..`end_line`, with the
        code it names (`ALL` for a bare noqa)."""
        if not self._by_line:
            return []
        lines = list(range(line, end_line + 1))
        start = self.statement_start.get(line, line)
        above = self._by_line.get(start - 1)
        if above and above[0].own_line:
            lines.append(start - 1)
        found = []
        for number in lines:
            for directive in self._by_line.get(number, ()):
                if directive.blanket and number == start - 1 and number < line:
                    continue  # a bare noqa alone on its line covers only that line
                if directive.blanket:
                    found.append((directive, ALL))
                elif code in directive.codes:
                    found.append((directive, code))
        return found

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        return bool(self.covering(diagnostic.code, diagnostic.line, diagnostic.end_line))


def _split_codes(text: str) -> tuple[str, ...]:
    """The codes of a list, upper case; a rule name becomes its rule's code, and a name that
    is no rule's stays as written, lower case (it suppresses nothing: ML902)."""
    return tuple(dict.fromkeys(_code_of(c) for c in re.split(r"[\s,]+", text) if c))


def _code_of(item: str) -> str:
    if "-" not in item:
        return item.upper()
    from methodlint.registry import all_rules

    name = item.lower()
    for rule in all_rules():
        if rule.name == name:
            return rule.code
    return name


def invalid_codes(directive: Directive) -> tuple[str, ...]:
    """The codes and names of a directive that name no rule methodlint knows (ML902): an `ML`
    code or a rule name that does not exist; in `# methodlint: ignore[...]`, any code of no
    installed rule. Other tools' codes in a `# noqa` are theirs."""
    from methodlint.registry import all_rules

    known = {rule.code for rule in all_rules()}
    return tuple(
        code
        for code in directive.codes
        if code not in known
        and (directive.kind == "ignore" or code.startswith("ML") or not code.isupper())
    )


_NOQA_WORD = re.compile(r"noqa", re.IGNORECASE)


def may_name_unknown(source: str) -> bool:
    """False only when no suppression comment of `source` can name an unknown code or rule
    (ML902), decided without tokenizing: tokenizing a large generated module whose only
    comments are other tools' `# noqa: E501` costs more than parsing it.

    A comment runs from its `#` to the end of its line, and no directive's match holds a `#`
    past its first character, so the directives read from each whole line that mentions
    noqa are those of its comments, plus some from `#` signs in strings (which only make the
    answer True more often). `# methodlint: ignore[...]` comments are rare: any makes it True.
    """
    if "methodlint:" in source:
        return True
    end = 0
    for match in _NOQA_WORD.finditer(source):
        if match.start() < end:
            continue  # on a line already read
        start = source.rfind("\n", 0, match.start()) + 1
        end = source.find("\n", match.end())
        end = len(source) if end < 0 else end
        line = source[start:end].rstrip("\r")
        for kind, codes, begin, stop, text in _directives_in(line):
            directive = Directive(kind, codes, text, 1, begin + 1, stop + 1, False)
            if invalid_codes(directive):
                return True
    return False


def _directives_in(comment: str) -> list[tuple[str, tuple[str, ...], int, int, str]]:
    """(kind, codes, start, end, text) of each directive in one comment, by position."""
    found = []
    for match in _IGNORE.finditer(comment):
        codes = _split_codes(match.group("codes"))
        if codes:
            found.append(("ignore", codes, match.start(), match.end(), match.group(0)))
    for match in _NOQA.finditer(comment):
        codes = _split_codes(match.group("codes") or "")
        if match.group("junk"):
            # A noqa comment whose list is no code: flake8 reads a blanket; here it names
            # an unknown code (ML902) and suppresses nothing.
            codes = (match.group("junk").lower(),)
        found.append(("noqa", codes, match.start(), match.end(), match.group(0)))
    return sorted(found, key=lambda item: item[2])


def _removal(comment: str, column: int, line: int, line_text: str, own_line: bool) -> Span:
    """The span that deletes a comment starting at 0-based `column` of `line`."""
    if own_line:
        if line_text.endswith(("\n", "\r")):
            return Span(line, 1, line + 1, 1)
        return Span(line, 1, line, len(line_text) + 1)
    before = len(line_text[:column].rstrip()) + 1
    return Span(line, before, line, column + len(comment) + 1)


@dataclass
class _Comment:
    line: int
    column: int  # 0-based
    string: str
    line_text: str


def _directives(comments: list[_Comment], code_lines: set[int] | None) -> list[Directive]:
    result = []
    for comment in comments:
        found = _directives_in(comment.string)
        if not found:
            continue
        if code_lines is None:
            own_line = comment.line_text[: comment.column].strip() == ""
        else:
            own_line = comment.line not in code_lines
        whole = len(found) == 1 and found[0][2] == 0 and found[0][3] == len(comment.string.rstrip())
        for kind, codes, start, end, text in found:
            removal = None
            after = comment.string[end : end + 1]
            if whole:
                removal = _removal(
                    comment.string, comment.column, comment.line, comment.line_text, own_line
                )
            result.append(
                Directive(
                    kind=kind,
                    codes=codes,
                    text=text,
                    line=comment.line,
                    column=comment.column + start + 1,
                    end_column=comment.column + end + 1,
                    own_line=own_line,
                    ends_cleanly=not (after.isalnum() or after == "_"),
                    removal=removal,
                )
            )
    return result


def _may_suppress(source: str) -> bool:
    """Whether the text may hold a suppression comment (`_NOQA`, `_IGNORE`): a cheap screen
    before tokenizing."""
    return "methodlint:" in source or "noqa" in source.lower()


def read_suppressions(source: str) -> Suppressions:
    """Find the suppression comments of `source`; a text that names neither `noqa` nor
    `methodlint:` has none, and is not tokenized for them."""
    if not _may_suppress(source):
        return Suppressions()
    try:
        tokens = list(source_tokens(source))
    except (tokenize.TokenError, SyntaxError):
        return _read_by_lines(source)
    result = Suppressions()
    comments: list[_Comment] = []
    statement_first: int | None = None
    lines_with_code: set[int] = set()
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments.append(_Comment(token.start[0], token.start[1], token.string, token.line))
            continue
        if token.type in skip or token.type == tokenize.ENDMARKER:
            if token.type == tokenize.NEWLINE and statement_first is not None:
                for line in range(statement_first, token.end[0] + 1):
                    result.statement_start[line] = statement_first
                statement_first = None
            continue
        for line in range(token.start[0], token.end[0] + 1):
            lines_with_code.add(line)
        if statement_first is None:
            statement_first = token.start[0]
    return Suppressions(_directives(comments, lines_with_code), result.statement_start)


def _read_by_lines(source: str) -> Suppressions:
    comments = []
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if "#" in line:
            column = line.index("#")
            comments.append(_Comment(number, column, line[column:].rstrip("\r\n"), line))
    return Suppressions(_directives(comments, None))


def apply(
    source: str, diagnostics: Iterable[Diagnostic], suppressions: Suppressions | None = None
) -> list[Diagnostic]:
    """The diagnostics no comment suppresses (`suppressions`: those of `source`, when the
    caller has read them)."""
    diagnostics = list(diagnostics)
    if not diagnostics:
        return diagnostics
    suppressions = suppressions or read_suppressions(source)
    return [d for d in diagnostics if not suppressions.suppresses(d)]


# -- ML901 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnusedCodes:
    """A directive and the codes in it that suppress nothing (`unknown`: those that are no
    rule's code)."""

    directive: Directive
    codes: tuple[str, ...]
    unknown: tuple[str, ...]


class UnusedSuppressions:
    """Judges suppression directives for ML901; built only when ML901 is selected.

    A code is used when a finding of that code lies where the directive reaches, whether or not
    its rule is selected: the rules that are not selected run too, silently, so that a comment is
    judged the same way whatever the selection (and `per-file-ignores`) of the run. A bare
    `# noqa` is never judged (other flake8-style tools share it), and neither are codes that are
    neither `ML` codes nor an installed plugin's (they belong to other tools), nor ML901 itself.
    """

    def __init__(self, selected: frozenset[str], settings: RuleSettings) -> None:
        from methodlint.registry import all_rules
        from methodlint.rules.unused_suppression import UnusedSuppression

        rules = all_rules()
        self.rule = UnusedSuppression(settings)
        self.known = frozenset(rule.code for rule in rules)
        self.others: list[Rule] = [
            rule(settings)
            for rule in rules
            if not rule.engine_reported and rule.code not in selected
        ]

    def judged(self, code: str) -> bool:
        return code != UNUSED_SUPPRESSION and (code.startswith("ML") or code in self.known)

    def check(
        self,
        source: str,
        facts: FileFacts,
        reported: Iterable[Diagnostic],
        suppressions: Suppressions | None = None,
    ) -> list[Finding]:
        """ML901's findings for one analysed file; `reported` are the selected rules' findings
        before suppression (`suppressions`: those of `source`, when the caller has read
        them)."""
        suppressions = suppressions or read_suppressions(source)
        if not suppressions.directives:
            return []
        flagged = [(d.code, d.line, d.end_line) for d in reported]
        for rule in self.others:
            flagged.extend(
                (rule.code, f.span.line, f.span.end_line) for f in rule.check_file(facts)
            )
        used: set[tuple[int, str]] = set()
        for code, line, end_line in flagged:
            for directive, named in suppressions.covering(code, line, end_line):
                used.add((id(directive), named))
        unused = []
        for directive in suppressions.directives:
            codes = tuple(
                c for c in directive.codes if self.judged(c) and (id(directive), c) not in used
            )
            if codes:
                unknown = tuple(c for c in codes if c not in self.known)
                unused.append(UnusedCodes(directive, codes, unknown))
        findings = self.rule.check_unused(unused)
        return [
            f
            for f in findings
            if not suppressions.covering(UNUSED_SUPPRESSION, f.span.line, f.span.end_line)
        ]
