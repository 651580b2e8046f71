"""ML003: a file beyond methodlint's limits, or whose analysis failed."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rule import Rule


class UnanalyzableFile(Rule):
    """
    ## What it does
    Reports, at line 1, column 1, a file that imports an HTTP client or retry library and
    that methodlint could not analyse: larger than `max-file-size` (default 1 MB, not parsed),
    brackets or lambdas nested deeper than 200 levels, or an operator chain of more than 2,000
    terms, inside f-strings too (LibCST's parser would crash or take gigabytes), valid Python
    that LibCST cannot parse (the message names the parser limitation), an analysis that went
    past `memory-limit` or `time-limit` (not cached: checked again on the next run), or an
    analysis that raised an error (a bug in methodlint: the message says so and asks you to
    report it). The run goes on with the other files.

    ## Why is this bad?
    A file methodlint did not analyse is a file whose HTTP calls nobody checked. Generated
    files are the usual cause: exclude them, raise `max-file-size`, or ignore ML003 for them
    with `per-file-ignores`.

    ## Example
    ```python
    import requests
    # ... a 3 MB generated API client ...
    ```

    ## Use instead
    ```toml
    [tool.methodlint]
    extend-exclude = ["src/generated/"]
    ```

    ## References
    - methodlint's `max-file-size` setting
    """

    code = "ML003"
    name = "unanalyzable-file"
    severity = Severity.ERROR
    summary = "A file beyond methodlint's limits, or whose analysis failed"
    hint = "Exclude the file, raise max-file-size, or report the failure if the message asks to"
    engine_reported = True
    VALID = ("import requests\nx = " + "(" * 150 + "1" + ")" * 150 + "\n",)
    INVALID = ("import requests\nx = " + "(" * 250 + "1" + ")" * 250 + "\n",)
