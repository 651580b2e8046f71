"""What ML201, ML202, ML204 and ML205 share: is a retried request safe to retry?

One judgement per request, so that the four rules never disagree: the request is flagged by
the innermost retry scope that is not safe for it, with that scope's code (a loop is ML201,
a decorator or block ML202, a method known only at run time ML205, a key made per attempt
ML204 instead of any of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from methodlint.diagnostics import Span
from methodlint.facts import FreshValue, HttpCall, RetryScope
from methodlint.methods import is_idempotent
from methodlint.rule import Finding, Rule, RuleSettings
from methodlint.rules._precondition import carries_precondition


@dataclass(frozen=True)
class Verdict:
    """The code a retried request deserves, the scope that makes it unsafe, and for ML204
    the key generated inside it."""

    code: str
    scope: RetryScope
    fresh: FreshValue | None = None


def methods_text(call: HttpCall) -> str:
    """`POST`, or `POST or PUT` for a method known as a set."""
    return " or ".join(sorted(call.methods))


def where(call: HttpCall) -> Span:
    """The send site: where a retried request is reported."""
    return call.send_site or call.build_site


def _within(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (
        inner.end_line,
        inner.end_column,
    ) <= (outer.end_line, outer.end_column)


def _per_attempt(fresh: FreshValue, scope: RetryScope) -> bool:
    """Every attempt of the scope makes a new value: it is generated in the scope, or in a
    wrapper function that the scope calls again."""
    if _within(fresh.span, scope.region):
        return True
    return fresh.function is not None and not _within(scope.region, fresh.function)


def _idempotent(methods: frozenset[str], settings: RuleSettings) -> bool:
    return bool(methods) and all(
        is_idempotent(m) or m in settings.idempotent_methods for m in methods
    )


def _path(literal: str) -> str:
    """A URL literal's path, query and fragment removed, scheme and host dropped."""
    text = re.split(r"[?#]", literal, maxsplit=1)[0]
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", text)
    return text[match.end() :] if match else text


# What a placeholder of the URL (`{}`) becomes: text that only a pattern's `*` can match.
_PLACEHOLDER = "\x00"


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def retry_safe_url(call: HttpCall, settings: RuleSettings) -> bool:
    """The literal URL path matches a `retry-safe-urls` pattern (`*/search`): a POST that
    only reads. `*` spans `/`; a placeholder (`f"{base}/_search"`) is text of unknown content
    that only `*` matches, so `f"{base}/{path}"` matches no pattern ending in a literal."""
    if call.url is None or call.url.literal is None:
        return False
    path = _path(call.url.literal).replace("{}", _PLACEHOLDER)
    return any(_pattern(p).fullmatch(path) for p in settings.retry_safe_urls)


def judge(call: HttpCall, settings: RuleSettings) -> Verdict | None:
    """The verdict for a request in retry scopes, or None when it is safe to retry (or
    methodlint cannot tell)."""
    if not call.retry_scopes:
        return None
    dynamic = call.method_is_dynamic
    if not dynamic and (not call.methods or _idempotent(call.methods, settings)):
        return None
    if dynamic and call.method_arguments is not None:
        # A private function whose every call in the module passes a literal method: each
        # call is judged with its own method, where it is written.
        return None
    if retry_safe_url(call, settings):
        return None
    unsafe = [s for s in call.retry_scopes if not s.connect_only and not s.method_gated]
    if dynamic:
        # A method this call only passes on: the wrapper's own scopes are judged at the
        # wrapper (ML205) or at the calls that pass a method, not here.
        unsafe = [s for s in unsafe if s.within is None]
    if not unsafe:
        return None
    keys = settings.idempotency_headers
    for scope in unsafe:
        for fresh in call.fresh_headers:
            if fresh.header.lower() in keys and _per_attempt(fresh, scope):
                return Verdict("ML204", scope, fresh)
    headers = call.headers
    if not headers.known:
        return None  # a key or a precondition may be among the headers methodlint cannot see
    if any(h.name.lower() in keys for h in headers.items):
        return None
    if carries_precondition(call, settings):
        return None
    scope = unsafe[0]
    if dynamic:
        return Verdict("ML205", scope)
    return Verdict("ML201" if scope.kind in ("loop", "recursion") else "ML202", scope)


def retried_by(scope: RetryScope) -> str:
    """`this loop`, `@stamina.retry`, `tenacity.Retrying(...)`."""
    if scope.kind == "block" and not scope.mechanism.endswith(")"):
        return f"{scope.mechanism}(...)"
    if scope.within is not None and scope.kind == "loop":
        return f"the loop in {scope.within}"
    if scope.within is not None:
        return f"{scope.mechanism} in {scope.within}"
    return scope.mechanism


def retries_on(scope: RetryScope) -> str:
    return f" (it retries on {scope.retries_on})" if scope.retries_on else ""


class RetryRule(Rule):
    """A rule that reports the requests whose verdict is its own code."""

    def message(self, call: HttpCall, verdict: Verdict) -> str:
        raise NotImplementedError

    def location(self, call: HttpCall, verdict: Verdict) -> Span:
        return where(call)

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        verdict = judge(call, self.settings)
        if verdict is not None and verdict.code == self.code:
            yield Finding(self.location(call, verdict), self.message(call, verdict))
