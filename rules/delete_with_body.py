"""ML103: a DELETE request that carries content."""

from __future__ import annotations

from methodlint.diagnostics import Severity
from methodlint.rules._body import BodyOnMethodRule


class DeleteWithBody(BodyOnMethodRule):
    """
    ## What it does
    Flags a DELETE request that sends content (the same arguments as ML101), at the body
    argument. Some APIs require a body on DELETE (Elasticsearch's scroll clearing, some bulk
    deletes): ignore the rule for those calls with `# noqa: ML103` or for those files with
    `per-file-ignores`.

    ## Why is this bad?
    Content in a DELETE request has no generally defined semantics (RFC 9110 §9.3.5): a
    client SHOULD NOT generate it, and some implementations reject the request or drop the
    body, so what the code meant to delete is not what the server sees.

    ## Example
    ```python
    import requests

    requests.delete("https://api.example.com/items", json={"ids": [1, 2, 3]})
    ```

    ## Use instead
    ```python
    import requests

    for item in (1, 2, 3):
        requests.delete(f"https://api.example.com/items/{item}")
    # or a POST to a batch endpoint
    requests.post("https://api.example.com/items/batch-delete", json={"ids": [1, 2, 3]})
    ```

    ## References
    - RFC 9110 §9.3.5 (DELETE)
    """

    code = "ML103"
    name = "delete-with-body"
    severity = Severity.WARNING
    summary = "A DELETE request that carries content"
    hint = "Identify the resource in the URL, or use POST to a batch endpoint"
    method = "DELETE"
    VALID = (
        "import requests\nrequests.delete('https://x.test/items/1')\n",
        "import requests\ns = requests.Session()\ns.delete('https://x.test/i', data=None)\n",
    )
    INVALID = (
        "import requests\nrequests.delete('https://x.test/items', json={'ids': [1]})\n",
        "import requests\ns = requests.Session()\n"
        "s.request('DELETE', 'https://x.test/i', None, 'x')\n",
    )
