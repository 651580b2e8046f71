"""The retry model: which code sends a request again after a failure, and what it retries on.

Three kinds of retry scope enclose a send site (rules.md, ML2xx): retry loops, retry
decorators and retry blocks, plus recursion and project retry helpers; and one kind of fact
stands alone: transport retry policies (urllib3 `Retry`, aiohttp_retry options). Nothing here
guesses: a loop is a retry loop only when it re-runs the request after a failure and leaves on
success, and an argument methodlint cannot read makes a policy unknown. The layers, each on
the one before: `names`, `statuses`, `specs`, `blocks`, `loops`, `policies`, `analysis`.
"""

from methodlint.analysis.retry.analysis import RetryAnalysis
from methodlint.analysis.retry.model import (
    NOT_PROCESSED,
    RawPolicy,
    RawScope,
    RetryCall,
    ScopeSpec,
    codes_text,
    names_in,
)

__all__ = [
    "NOT_PROCESSED",
    "RawPolicy",
    "RawScope",
    "RetryAnalysis",
    "RetryCall",
    "ScopeSpec",
    "codes_text",
    "names_in",
]
