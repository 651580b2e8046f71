"""ML002: a file that may contain HTTP calls and cannot be read or decoded."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rule import Rule


class UnreadableFile(Rule):
    """
    ## What it does
    Reports a file that cannot be read (permissions, I/O errors) or decoded (bytes that are
    not valid in the file's encoding, NUL bytes, a UTF-16 or UTF-32 byte order mark), at line
    1, column 1. Files that cannot be read at all are reported whatever they contain; a file
    that can be read but not decoded is reported only when it imports an HTTP client or retry
    library. A folder that cannot be listed is reported too: its files were not checked.

    ## Why is this bad?
    A file methodlint cannot read is a file it cannot check, and a CI gate must never pass a
    file it could not check.

    ## Example
    ```python
    # -*- coding: ascii -*-
    import requests
    requests.post("https://example.com/café")
    ```

    ## Use instead
    ```python
    # -*- coding: utf-8 -*-
    import requests
    requests.post("https://example.com/café")
    ```

    ## References
    - PEP 263, "Defining Python Source Code Encodings"
    - PEP 3120, "Using UTF-8 as the default source encoding"
    """

    code = "ML002"
    name = "unreadable-file"
    severity = Severity.ERROR
    summary = "A file that may contain HTTP calls cannot be read or decoded"
    hint = "Make the file readable and save it in its declared encoding (UTF-8 by default)"
    engine_reported = True
    VALID = ("import requests\n\nrequests.get('https://example.com/café')\n",)
    INVALID = (
        "# -*- coding: ascii -*-\nimport requests\nrequests.get('https://example.com/café')\n",
        "import requests\n\0\n",
    )
