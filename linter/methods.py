"""The IANA HTTP Method Registry: method names, and which are safe and idempotent."""

from __future__ import annotations

# name: (safe, idempotent), from the IANA HTTP Method Registry.
REGISTRY: dict[str, tuple[bool, bool]] = {
    "ACL": (False, True),
    "BASELINE-CONTROL": (False, True),
    "BIND": (False, True),
    "CHECKIN": (False, True),
    "CHECKOUT": (False, True),
    "CONNECT": (False, False),
    "COPY": (False, True),
    "DELETE": (False, True),
    "GET": (True, True),
    "HEAD": (True, True),
    "LABEL": (False, True),
    "LINK": (False, True),
    "LOCK": (False, False),
    "MERGE": (False, True),
    "MKACTIVITY": (False, True),
    "MKCALENDAR": (False, True),
    "MKCOL": (False, True),
    "MKREDIRECTREF": (False, True),
    "MKWORKSPACE": (False, True),
    "MOVE": (False, True),
    "OPTIONS": (True, True),
    "ORDERPATCH": (False, True),
    "PATCH": (False, False),
    "POST": (False, False),
    "PRI": (True, True),
    "PROPFIND": (True, True),
    "PROPPATCH": (False, True),
    "PUT": (False, True),
    "QUERY": (True, True),
    "REBIND": (False, True),
    "REPORT": (True, True),
    "SEARCH": (True, True),
    "TRACE": (True, True),
    "UNBIND": (False, True),
    "UNCHECKOUT": (False, True),
    "UNLINK": (False, True),
    "UNLOCK": (False, True),
    "UPDATE": (False, True),
    "UPDATEREDIRECTREF": (False, True),
    "VERSION-CONTROL": (False, True),
}

# The methods most code uses: suggestions prefer these.
COMMON = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")


def is_registered(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """True when `name`, in any letter case, is a registered or configured method."""
    upper = name.upper()
    return upper in REGISTRY or upper in extra


def is_idempotent(name: str, extra_idempotent: frozenset[str] = frozenset()) -> bool:
    upper = name.upper()
    if upper in extra_idempotent:
        return True
    entry = REGISTRY.get(upper)
    return entry is not None and entry[1]


def nearest(name: str, extra: frozenset[str] = frozenset()) -> str | None:
    """The registered method closest to a misspelt `name`, if one is close."""
    upper = name.upper()
    for candidates in (COMMON + tuple(sorted(extra)), tuple(REGISTRY)):
        import difflib

        matches = difflib.get_close_matches(upper, candidates, n=1, cutoff=0.6)
        if matches:
            return matches[0]
    return None
