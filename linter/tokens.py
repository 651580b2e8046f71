"""The tokens of the file being linted, made once: the skip-file comment, the nesting and chain
screens and the suppression comments all read them, and tokenizing (pure Python before 3.12)
costs about a third of CPython's parse."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterator

# The last source tokenized, its tokens, and the error that ended them (if any). One file at
# a time is linted in a process, so one entry is enough; it is replaced by the next file's.
_last: tuple[str, list[tokenize.TokenInfo], Exception | None] | None = None


def tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    """`tokenize.generate_tokens` over `source`: the same tokens, then the same error
    (`TokenError`, `SyntaxError`) where tokenizing stops, made once per source text."""
    global _last
    if _last is None or _last[0] is not source:
        found: list[tokenize.TokenInfo] = []
        error: Exception | None = None
        try:
            found.extend(tokenize.generate_tokens(io.StringIO(source).readline))
        except (tokenize.TokenError, SyntaxError) as caught:
            error = caught
        _last = (source, found, error)
    _, found, error = _last
    yield from found
    if error is not None:
        raise error


def forget() -> None:
    """Drop the tokens kept (a large file's, once it is done)."""
    global _last
    _last = None
