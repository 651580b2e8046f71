"""ML502: a route that only safe methods reach and that changes state."""

from __future__ import annotations

from collections.abc import Iterator

from methodlint.diagnostics import Severity
from methodlint.facts import Route
from methodlint.rule import Finding, Rule
from methodlint.rules._route import describe, named_action


class StateChangeOnSafeRoute(Rule):
    """
    ## What it does
    Flags a server route that only GET, HEAD or OPTIONS requests can reach and whose handler
    deletes (a Django ORM `.delete()` of a queryset or of a model instance read from the
    ORM, a SQLAlchemy `session.delete()`), logs the user out (Django `logout(request)`,
    Flask-Login `logout_user()`), or sends an HTTP request with a method that is not safe
    (a GET that proxies into a write). Other writes (`Model.objects.create()`,
    `.update()`, `.save()`, `session.add()`, `commit()`) are flagged only when the route's
    path or handler name names an action (the words of ML403: `/publish`,
    `approve_comment`): a view counter, a last-seen time or an audit log is an incidental
    write that RFC 9110 allows, and is left alone. Reported once per route, at the first
    such call.

    ## Why is this bad?
    Safe methods must not change state (RFC 9110 §9.2.1): crawlers, link prefetchers,
    browsers restoring tabs and `<img src>` tags send GET requests nobody asked for, and a
    cross-site GET needs no CSRF token, so any page can make a logged-in visitor's browser
    delete their data or log them out. Django 5 removed logout by GET for this reason.

    ## Example
    ```python
    from django.views.decorators.http import require_GET

    @require_GET
    def delete_note(request, pk):
        Note.objects.filter(pk=pk).delete()
        return redirect("notes")
    ```

    ## Use instead
    ```python
    from django.views.decorators.http import require_POST

    @require_POST
    def delete_note(request, pk):
        Note.objects.filter(pk=pk).delete()
        return redirect("notes")
    ```

    ## References
    - RFC 9110 §9.2.1 (safe methods)
    """

    code = "ML502"
    name = "state-change-on-safe-route"
    severity = Severity.WARNING
    summary = "A route only safe methods reach that deletes, logs out or acts"
    hint = "Serve the action on POST (or DELETE) with CSRF protection; keep GET for reads"
    preview = True
    VALID = (
        "from django.views.decorators.http import require_GET\n"
        "@require_GET\ndef detail(request, pk):\n"
        "    Note.objects.filter(pk=pk).update(views=F('views') + 1)\n    return pk\n",
        "from django.views.decorators.http import require_POST\n"
        "@require_POST\ndef delete(request, pk):\n    Note.objects.filter(pk=pk).delete()\n",
        "def delete(request, pk):\n    Note.objects.filter(pk=pk).delete()\n",
    )
    INVALID = (
        "from django.views.decorators.http import require_GET\n"
        "@require_GET\ndef delete(request, pk):\n    Note.objects.filter(pk=pk).delete()\n",
        "from flask import Flask\nfrom flask_login import logout_user\napp = Flask(__name__)\n"
        "@app.route('/logout')\ndef logout():\n    logout_user()\n",
        "from flask import Flask\napp = Flask(__name__)\n"
        "@app.route('/notes/<int:i>/publish')\ndef pub(i):\n"
        "    db.session.add(Note(i))\n    db.session.commit()\n",
    )

    def check_route(self, route: Route) -> Iterator[Finding]:
        if not route.safe_only:
            return
        named = None
        for change in route.state_changes:
            if change.kind == "delete":
                effect = f"deletes ({change.what})"
            elif change.kind == "logout":
                effect = f"logs the user out ({change.what})"
            elif change.kind == "http":
                effect = f"sends a {change.what}"
            else:
                named = named or named_action(route)
                if named is None:
                    continue
                effect = f"writes ({change.what}) and its name says it acts ({named!r})"
            yield Finding(
                change.span,
                f"{describe(route)} {effect}: crawlers and link prefetchers send safe "
                "requests, and a cross-site GET needs no CSRF token",
            )
            return
