"""Whether a request carries a precondition: what ML3xx checks and the retry rules accept."""

from __future__ import annotations

from methodlint.facts import Header, HttpCall
from methodlint.rule import RuleSettings


def _present(header: Header | None) -> bool:
    """A header that is sent: not one whose value is the literal None."""
    return header is not None and (header.value or "").strip() != "None"


def _create_only(header: Header | None) -> bool:
    """`If-None-Match: *` (or a value methodlint cannot read, which may be `*`)."""
    if not _present(header):
        return False
    assert header is not None
    literal = header.literal
    return literal is None or literal.strip() in ("*", "{}")


def carries_precondition(call: HttpCall, settings: RuleSettings) -> bool | None:
    """True when the request carries a precondition: a configured precondition header
    (`If-Match`, `If-Unmodified-Since`, ...) with a value other than the literal None,
    `If-None-Match: *` on a PUT, or a JSON Patch document whose first operation is `test`.
    False when it certainly carries none; None when it carries none that methodlint sees
    but not every header is visible."""
    if call.json_patch is not None and call.json_patch.tested:
        return True
    headers = call.headers
    # A header seen among others methodlint cannot see (`{**base, "If-Match": tag}`) counts.
    for header in headers.items:
        if header.name.lower() in settings.precondition_headers and _present(header):
            return True
    if "PUT" in call.methods and _create_only(headers.get("If-None-Match")):
        return True
    return False if headers.known else None
