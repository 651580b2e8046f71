"""ML001: a file that may contain HTTP calls and does not parse."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rule import Rule


class SyntaxError_(Rule):
    """
    ## What it does
    Reports a file that imports an HTTP client or retry library and does not parse, at the
    position of the syntax error.

    ## Why is this bad?
    methodlint cannot check the HTTP calls of a file it cannot parse, and a CI gate must never
    pass a file it could not check. Files that import no HTTP or retry library are clean
    whatever their syntax: methodlint is not a syntax checker.

    ## Example
    ```python
    import requests

    def fetch(url)
        return requests.get(url)
    ```

    ## Use instead
    ```python
    import requests

    def fetch(url):
        return requests.get(url)
    ```

    ## References
    - The Python Language Reference, "Lexical analysis" and "Full Grammar specification"
    """

    code = "ML001"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "A file that may contain HTTP calls does not parse"
    hint = "Fix the syntax error, or exclude the file if it is not Python 3 code"
    engine_reported = True
    VALID = ("import requests\n\nrequests.get('https://example.com')\n", "def f(:\n    pass\n")
    INVALID = ("import requests\n\ndef fetch(url)\n    return requests.get(url)\n",)
