"""What ML101-ML104 share: a request of one method that carries content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule


class BodyOnMethodRule(Rule):
    """A request whose method (known and single) is `method` and that sends content."""

    method: ClassVar[str]

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if call.method != self.method or call.rejects_body:
            return
        body = call.body
        if body is None:
            return
        written = f"{body.name}=" if body.keyword else f"positional {body.name}"
        yield Finding(
            body.span,
            f"{self.method} via {call.sent_by} sends content ({written})",
        )
