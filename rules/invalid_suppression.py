"""ML902: a suppression comment that names a code or rule that does not exist."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from methodlint.diagnostics import Severity
from methodlint.rule import Finding, Rule
from methodlint.suppress import Directive, invalid_codes


class InvalidSuppression(Rule):
    """
    ## What it does
    Reports a `# noqa: ...` or `# methodlint: ignore[...]` comment that names an `ML` code or a
    rule name that does not exist (`# noqa: ML1001`, `# noqa: get-with-bodyy`), or, in
    `# methodlint: ignore[...]`, a code of no installed rule. Such a name suppresses nothing.
    Codes of other tools in a `# noqa` (`E501`, `B008`) are theirs and are left alone.

    The rule runs in files that methodlint analyses: files that import an HTTP client, retry
    library or web framework and parse.

    ## Why is this bad?
    flake8 reads `# noqa:` followed by something it cannot parse as a blanket `# noqa`, which
    silences every finding on the line, and a misspelt code silences nothing: either way the
    comment does not do what its author meant, and nobody notices. methodlint never turns a
    name it does not know into a blanket; it says so instead.

    ## Example
    ```python
    import requests

    requests.get(url, json=query)  # noqa: get-with-bodyy
    ```

    ## Use instead
    ```python
    import requests

    requests.get(url, json=query)  # noqa: get-with-body
    ```

    ## References
    - flake8's `noqa` handling, and ruff's `invalid-rule-code` (RUF102)
    """

    code = "ML902"
    name = "invalid-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment that names a code or rule that does not exist"
    hint = "Name the code (ML101) or rule (get-with-body) to suppress; see methodlint --list-rules"
    engine_reported = True
    VALID = (
        "import requests\nrequests.get(u, json=q)  # noqa: ML101\n",
        "import requests\nrequests.get(u, json=q)  # noqa: get-with-body\n",
        "import requests\nrequests.get(u, json=q)  # methodlint: ignore[get-with-body]\n",
        "import requests\nrequests.get(u)  # noqa: E501\n",
    )
    INVALID = (
        "import requests\nrequests.get(u, json=q)  # noqa: ML1001\n",
        "import requests\nrequests.get(u, json=q)  # noqa: get-with-bodyy\n",
        "import requests\nrequests.get(u, json=q)  # methodlint: ignore[E501]\n",
        "import requests\nrequests.get(u, json=q)  # noqa: !ML101\n",
    )

    def check_directives(self, directives: Iterable[Directive]) -> Iterator[Finding]:
        from methodlint.registry import all_rules

        names = [r.code for r in all_rules()] + [r.name for r in all_rules()]
        for directive in directives:
            for code in invalid_codes(directive):
                close = difflib.get_close_matches(code, names, n=1, cutoff=0.6)
                suggestion = f" (did you mean {close[0]!r}?)" if close else ""
                yield Finding(
                    directive.span,
                    f"{code!r} is no rule's code or name{suggestion}; "
                    f"this comment does not suppress it",
                )
