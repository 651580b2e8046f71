"""ML901: a suppression comment that suppresses nothing (opt-in)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from methodlint.diagnostics import Edit, Fix, Severity
from methodlint.rule import Finding, Rule
from methodlint.suppress import UnusedCodes


class UnusedSuppression(Rule):
    """
    ## What it does
    Reports a `# noqa: ML...` or `# methodlint: ignore[...]` comment, or the codes in it, that
    suppress nothing: no finding of that code lies on the comment's line (or, for a comment on
    its own line, in the statement directly below it). Codes that are not methodlint's (`# noqa:
    E501`, codes of flake8 plugins) are other tools' business and are left alone, and so is a
    bare `# noqa`, which every flake8-style tool shares. A code of a rule that is not selected
    counts as used when that rule would report there, so the verdict does not depend on
    `--select`, `--ignore` or `per-file-ignores`.

    The rule is opt-in (`--extend-select ML901`) and runs only in files that methodlint
    analyses: files that import an HTTP client or retry library and parse. The fix removes the
    unused codes, or the whole comment when nothing is left and the comment says nothing else.
    `# noqa: ML901` on the same line silences it.

    ## Why is this bad?
    A suppression outlives the code it was written for: after a refactoring it silences nothing
    today and hides a real finding tomorrow, when the line changes again. A misspelt code
    (`# noqa: ML1001`) never suppressed anything.

    ## Example
    ```python
    import requests

    requests.get(url, params=query)  # noqa: ML101
    ```

    ## Use instead
    ```python
    import requests

    requests.get(url, params=query)
    ```

    ## References
    - ruff's `unused-noqa` (RUF100) and flake8-noqa, which check the same for their codes
    """

    code = "ML901"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment that suppresses nothing"
    hint = "Remove the unused code, or the whole comment when nothing is left"
    default_on = False
    fixable = True
    engine_reported = True
    VALID = (
        "import requests\nrequests.get(u, json=q)  # noqa: ML101\n",
        "import requests\nrequests.get(u, json=q)  # methodlint: ignore[ML101]\n",
        "import requests\n# methodlint: ignore[ML101]\nrequests.get(\n    u,\n    json=q,\n)\n",
        "import requests\nrequests.get(u)  # noqa: E501\n",
        "import requests\nrequests.get(u)  # noqa\n",
    )
    INVALID = (
        "import requests\nrequests.get(u)  # noqa: ML101\n",
        "import requests\nrequests.get(u, json=q)  # noqa: ML101, ML102\n",
        "import requests\nrequests.get(u)  # methodlint: ignore[ML101]\n",
        "import requests\n# methodlint: ignore[ML101]\n\nrequests.get(u, json=q)\n",
        "import requests\nrequests.get(u, json=q)  # noqa: ML1001\n",
    )

    def check_unused(self, unused: Iterable[UnusedCodes]) -> Iterator[Finding]:
        for item in unused:
            directive = item.directive
            codes = ", ".join(item.codes)
            if len(item.unknown) == len(item.codes):
                reason = "no rule has this code" if len(item.codes) == 1 else "no rule has them"
            else:
                where = "in the statement below" if directive.own_line else "on this line"
                reason = f"nothing to suppress {where}"
                if item.unknown:
                    verb = "is" if len(item.unknown) == 1 else "are"
                    reason += f" ({', '.join(item.unknown)} {verb} not a rule)"
            yield Finding(
                directive.span,
                f"unused suppression of {codes}: {reason}",
                fix=self._fix(item),
            )

    @staticmethod
    def _fix(item: UnusedCodes) -> Fix | None:
        directive = item.directive
        if not directive.ends_cleanly:
            return None
        left = [c for c in directive.codes if c not in item.codes]
        if left:
            if directive.kind == "noqa":
                content = f"# noqa: {', '.join(left)}"
            else:
                content = f"# methodlint: ignore[{', '.join(left)}]"
            message = f"Remove {', '.join(item.codes)} from the comment"
            return Fix(message, (Edit(directive.span, content),))
        if directive.removal is None:
            return None
        return Fix("Remove the unused suppression comment", (Edit(directive.removal, ""),))
