"""The rule API: a rule reads facts and reports findings; the engine turns them into diagnostics.

A rule is a `Rule` subclass in its own module of `methodlint.rules` (or registered by a plugin
through the `methodlint.rules` entry point group). Its class docstring is its documentation, in
the sections of `SECTIONS`; `VALID` and `INVALID` hold example sources that the test-suite runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from methodlint.config import Config
from methodlint.diagnostics import Fix, Severity, Span
from methodlint.facts import FileFacts, HttpCall, MethodToken, RetryPolicy, Route

DEFAULT_IDEMPOTENCY_HEADERS = frozenset({"idempotency-key", "x-idempotency-key"})
DEFAULT_PRECONDITION_HEADERS = frozenset({"if-match", "if-unmodified-since"})
DEFAULT_RETRY_SAFE_URLS = ("*/search", "*/_search", "*/_msearch", "*/_count", "*/query")

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")


@dataclass(frozen=True)
class Finding:
    """What a rule reports: where, what is wrong, and optionally a fix."""

    span: Span
    message: str
    hint: str | None = None
    fix: Fix | None = None


@dataclass(frozen=True)
class RuleSettings:
    """The configuration a rule may read, resolved once per run."""

    extra_methods: frozenset[str] = frozenset()
    idempotent_methods: frozenset[str] = frozenset()
    # Header names are lower case; the defaults of rules.md are included.
    idempotency_headers: frozenset[str] = DEFAULT_IDEMPOTENCY_HEADERS
    precondition_headers: frozenset[str] = DEFAULT_PRECONDITION_HEADERS
    retry_safe_urls: tuple[str, ...] = DEFAULT_RETRY_SAFE_URLS

    @classmethod
    def from_config(cls, config: Config) -> RuleSettings:
        return cls(
            extra_methods=config.extra_method_names,
            idempotent_methods=config.idempotent_method_names,
            idempotency_headers=DEFAULT_IDEMPOTENCY_HEADERS
            | {h.lower() for h in config.idempotency_headers},
            precondition_headers=DEFAULT_PRECONDITION_HEADERS
            | {h.lower() for h in config.precondition_headers},
            retry_safe_urls=DEFAULT_RETRY_SAFE_URLS + tuple(config.retry_safe_urls),
        )


class Rule:
    """Base class of every rule. Subclasses set the class attributes and override checks."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line, for --list-rules and the README table
    hint: ClassVar[str] = ""
    default_on: ClassVar[bool] = True
    preview: ClassVar[bool] = False
    fixable: ClassVar[bool] = False
    # Rules whose findings the engine itself reports (files it could not check).
    engine_reported: ClassVar[bool] = False
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: RuleSettings) -> None:
        self.settings = settings

    def check_call(self, call: HttpCall) -> Iterable[Finding]:
        return ()

    def check_method_token(self, token: MethodToken) -> Iterable[Finding]:
        return ()

    def check_retry_policy(self, policy: RetryPolicy) -> Iterable[Finding]:
        return ()

    def check_route(self, route: Route) -> Iterable[Finding]:
        return ()

    def check_file(self, facts: FileFacts) -> Iterator[Finding]:
        """Every finding of this rule in one file; the default dispatches per fact."""
        for call in facts.calls:
            yield from self.check_call(call)
        for token in facts.method_tokens:
            yield from self.check_method_token(token)
        for policy in facts.retry_policies:
            yield from self.check_retry_policy(policy)
        for route in facts.routes:
            yield from self.check_route(route)

    @classmethod
    def documentation(cls) -> dict[str, str]:
        """The docstring's sections, by heading."""
        return parse_sections(cls.__doc__ or "")


_HEADING = re.compile(r"^## (.+?)\s*$", re.MULTILINE)


def parse_sections(doc: str) -> dict[str, str]:
    import inspect

    text = inspect.cleandoc(doc)
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        sections[match.group(1)] = text[match.end() : end].strip()
    return sections
