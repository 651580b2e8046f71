"""What ML501-ML503 share: how a route is named in messages, and whether it names an action."""

from __future__ import annotations

import re

from methodlint.facts import Route
from methodlint.rules.unsafe_action_via_get import ACTIONS, action

FRAMEWORK_NAMES = {
    "flask": "Flask",
    "quart": "Quart",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "django": "Django",
    "rest_framework": "Django REST framework",
    "aiohttp": "aiohttp",
}
_ORDER = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"<[^>]*>|\{[^}]*\}")
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?=[A-Z][a-z]|[^A-Za-z]|$)")


def methods_text(route: Route) -> str:
    methods = sorted(route.methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else 99, m))
    text = ", ".join(methods)
    return f"{text} by default" if route.default_methods else text


def describe(route: Route) -> str:
    """`Flask route '/notes/<id>' (GET, HEAD)`, or `Django view NoteView.get (GET, HEAD)`
    when the path is declared elsewhere."""
    framework = FRAMEWORK_NAMES.get(route.framework, route.framework)
    where = f"route {route.path!r}" if route.path is not None else f"view {route.handler}"
    return f"{framework} {where} ({methods_text(route)})"


def named_action(route: Route) -> str | None:
    """The action the route's path or handler names (`publish`, `approve_comment`), if any:
    ML403's word list, on the path's segments (placeholders as `{}`) or on any word of the
    handler's function or class name."""
    if route.path is not None:
        segments = tuple(_PLACEHOLDER.sub("{}", s) for s in route.path.split("/") if s)
        found = action(segments)
        if found is not None:
            return f"/{found}"
    *owners, function = route.handler.split(".")
    for name in (function, *owners[-1:]):
        for word in _WORD.findall(name):
            if word.lower() in ACTIONS:
                return name
    return None
