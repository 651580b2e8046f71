"""What a route handler does with the request: the body reads and the state-changing calls it
makes itself (rules.md, ML5xx), from the framework's own request object only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.scopes import Binding, Block, CallSite, Scope
from methodlint.analysis.values import LocalClass, Ref, SelfOf
from methodlint.analysis.walk import walk

# The request's attributes that read its body, per framework. Called or not, awaited or not:
# `request.get_json()`, `await request.form` (Quart), `await request.json()` (Starlette).
BODY_ATTRIBUTES: dict[str, frozenset[str]] = {
    "flask": frozenset({"json", "get_json", "data", "get_data", "form", "files", "stream"}),
    "django": frozenset({"body", "POST", "FILES", "read"}),
    "rest_framework": frozenset({"body", "POST", "FILES", "read", "data"}),
    "starlette": frozenset({"json", "body", "form", "stream"}),
    "aiohttp": frozenset({"json", "post", "read", "text", "content", "multipart"}),
}
BODY_ATTRIBUTES["quart"] = BODY_ATTRIBUTES["flask"]
BODY_ATTRIBUTES["fastapi"] = BODY_ATTRIBUTES["starlette"]

# The module-level request objects of Flask and Quart.
GLOBAL_REQUESTS = frozenset({"flask.request", "quart.request"})
# Annotations that make a FastAPI parameter the request.
REQUEST_TYPES = frozenset({"fastapi.Request", "starlette.requests.Request"})

LOGOUTS = frozenset(
    {
        "django.contrib.auth.logout",
        "flask_login.logout_user",
        "flask_login.utils.logout_user",
        "quart_auth.logout_user",
    }
)
# ORM manager calls that write (`Note.objects.create(...)`).
_MANAGER_WRITES = frozenset(
    {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
)
# Calls that give a model instance read from the ORM (`Note.objects.get(...)`).
_INSTANCE_GETTERS = frozenset(
    {"get", "first", "last", "create", "get_or_404", "first_or_404", "one", "scalar_one"}
)
_SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge", "commit"})
_GET_OBJECT = frozenset({"django.shortcuts.get_object_or_404", "flask_sqlalchemy.get_or_404"})
_FASTAPI_BODY_DEFAULTS = frozenset(
    {"fastapi.Body", "fastapi.Form", "fastapi.File", "fastapi.params.Body"}
)
_FASTAPI_OTHER_DEFAULTS = frozenset(
    {
        f"fastapi.{name}"
        for name in ("Depends", "Query", "Path", "Header", "Cookie", "Security", "params.Depends")
    }
)
_UPLOAD_FILES = frozenset({"fastapi.UploadFile", "starlette.datastructures.UploadFile"})
_MODEL_BASES = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel"})


@dataclass(eq=False)
class RequestAccess:
    """How a handler reaches the framework's request: the module-level `request` of Flask
    and Quart (`global_request`), a parameter (`names`), or `self.request` in a class-based
    view (`self_request`)."""

    global_request: bool = False
    names: frozenset[str] = frozenset()
    self_request: bool = False


@dataclass(eq=False)
class HandlerFacts:
    """Body reads (what, node) and state changes (kind, what, node), in source order."""

    reads: list[tuple[str, cst.CSTNode]] = field(default_factory=list)
    changes: list[tuple[str, str, cst.CSTNode]] = field(default_factory=list)
    # Reads under a test of the request method (`if request.method == "POST":`).
    gated: set[int] = field(default_factory=set)


class Handlers:
    """Reads handlers' bodies from what the one walk recorded, per function scope."""

    def __init__(self, resolver: Resolver, raws: list[RawRequest]) -> None:
        self.resolver = resolver
        self.module = resolver.module
        self._attributes: dict[int, list[tuple[cst.Attribute, Scope, Block | None]]] = {}
        for node, scope, block in resolver.visitor.attributes:
            function = scope.function()
            if function is not None:
                self._attributes.setdefault(id(function), []).append((node, scope, block))
        # Nodes under a conditional expression that tests a method (`x if request.method ==
        # "POST" else None`).
        self._method_branches: set[int] = set()
        for expression in resolver.visitor.conditional_expressions:
            if _tests_method(expression.test):
                for branch in (expression.body, expression.orelse):
                    self._method_branches.update(id(n) for n in walk(branch))
        self._calls: dict[int, list[CallSite]] = {}
        for site in resolver.visitor.calls:
            function = site.scope.function()
            if function is not None:
                self._calls.setdefault(id(function), []).append(site)
        self._requests: dict[int, list[RawRequest]] = {}
        for raw in raws:
            self._requests.setdefault(id(raw.site.node), []).append(raw)

    def facts(self, function: Binding, framework: str, access: RequestAccess) -> HandlerFacts:
        inner = function.inner
        node = function.node
        found = HandlerFacts()
        if inner is None or not isinstance(node, cst.FunctionDef):
            return found
        calls = self._calls.get(id(inner), [])
        called = {id(site.node.func) for site in calls}
        # `SingleTag(request.form)`, `Form(formdata=request.form)`: WTForms binds a form to
        # what was submitted, nothing on GET; the form is rendered, not read.
        bound = {
            id(arg.value)
            for site in calls
            if _is_form_class(site.node.func)
            for arg in site.node.args
            if arg.keyword is None or arg.keyword.value == "formdata"
        }
        body = BODY_ATTRIBUTES[framework]
        for attribute, scope, block in self._attributes.get(id(inner), ()):
            name = attribute.attr.value
            if name not in body or not self._is_request(attribute.value, scope, access):
                continue
            if name in ("form", "files") and id(attribute) in bound:
                continue
            text = self.module.code_for_node(attribute)
            found.reads.append((f"{text}()" if id(attribute) in called else text, attribute))
            if id(attribute) in self._method_branches or _under_method_test(block, node):
                found.gated.add(id(attribute))
        if framework == "fastapi":
            found.reads[:0] = self._body_parameters(node, inner)
        for site in calls:
            change = self._change(site)
            if change is not None:
                found.changes.append((*change, site.node))
        return found

    # -- the request ----------------------------------------------------------------------

    def _is_request(self, node: cst.BaseExpression, scope: Scope, access: RequestAccess) -> bool:
        if isinstance(node, cst.Name):
            if access.global_request:
                value = self.resolver.value(node, scope)
                if isinstance(value, Ref) and value.name in GLOBAL_REQUESTS:
                    return True
            if node.value in access.names:
                found = self.resolver.binding_scope(node.value, scope)
                return (
                    found is not None
                    and len(found[1]) == 1
                    and found[1][0].kind == "param"
                    and found[0].function() is scope.function()
                )
            return False
        if access.self_request and isinstance(node, cst.Attribute) and node.attr.value == "request":
            return isinstance(self.resolver.value(node.value, scope), SelfOf)
        return False

    def _body_parameters(
        self, node: cst.FunctionDef, inner: Scope
    ) -> Iterator[tuple[str, cst.CSTNode]]:
        """FastAPI body parameters: `Body()`, `Form()`, `File()` defaults (also in
        `Annotated[...]`), `UploadFile`, or a Pydantic model class of this module."""
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            markers = [param.default] if param.default is not None else []
            types: list[cst.BaseExpression] = []
            if annotation is not None:
                types, extra = self._annotated(annotation, inner)
                markers += extra
            defaults = [self._callee(m, inner) for m in markers]
            if any(d in _FASTAPI_OTHER_DEFAULTS for d in defaults):
                continue
            if any(d in _FASTAPI_BODY_DEFAULTS for d in defaults) or any(
                self._is_body_type(t, inner) for t in types
            ):
                yield self.module.code_for_node(param).rstrip(", "), param

    def _annotated(
        self, node: cst.BaseExpression, scope: Scope
    ) -> tuple[list[cst.BaseExpression], list[cst.BaseExpression]]:
        """The types an annotation names (through `Optional`, `list`, `|`) and the markers
        of an `Annotated[...]`."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, left_markers = self._annotated(node.left, scope)
            right, right_markers = self._annotated(node.right, scope)
            return left + right, left_markers + right_markers
        if isinstance(node, cst.Subscript):
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            outer = self.resolver.value(node.value, scope)
            if isinstance(outer, Ref) and outer.name.endswith(".Annotated") and elements:
                inner_types, inner_markers = self._annotated(elements[0], scope)
                return inner_types, inner_markers + elements[1:]
            types: list[cst.BaseExpression] = []
            markers: list[cst.BaseExpression] = []
            for element in elements:
                found, more = self._annotated(element, scope)
                types += found
                markers += more
            return types, markers
        return [node], []

    def _callee(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        if isinstance(node, cst.Call):
            value = self.resolver.value(node.func, scope)
            return value.name if isinstance(value, Ref) else None
        return None

    def _is_body_type(self, node: cst.BaseExpression, scope: Scope) -> bool:
        value = self.resolver.value(node, scope)
        if isinstance(value, Ref):
            return value.name in _UPLOAD_FILES
        if isinstance(value, LocalClass):
            return self.is_model(value)
        return False

    def is_model(self, value: LocalClass) -> bool:
        """A class of this module deriving a Pydantic model (or an SQLModel)."""
        resolver = self.resolver
        for cls in resolver._ancestors(resolver._classes[value.key]):
            for arg in cls.node.bases:
                base = resolver.value(arg.value, cls.outer)
                if isinstance(base, Ref) and base.name in _MODEL_BASES:
                    return True
        return False

    # -- state changes ---------------------------------------------------------------------

    def _change(self, site: CallSite) -> tuple[str, str] | None:
        resolver = self.resolver
        for raw in self._requests.get(id(site.node), ()):
            unsafe = sorted(m for m in raw.methods if m.upper() not in ("GET", "HEAD", "OPTIONS"))
            if unsafe:
                return "http", f"{'/'.join(unsafe)} via {raw.client}"
        func = site.node.func
        callee = resolver.value(func, site.scope)
        if isinstance(callee, Ref) and callee.name in LOGOUTS:
            return "logout", f"{self._text(func)}()"
        if not isinstance(func, cst.Attribute):
            return None
        name = func.attr.value
        receiver = func.value
        what = f"{self._text(func)}()"
        kind = "delete" if name == "delete" else "write"
        if name in _MANAGER_WRITES and self._manager(receiver):
            return kind, what
        if name in ("update", "delete") and self._queryset(receiver, site.scope):
            return kind, what
        if name in ("save", "delete") and self._instance(receiver, site.scope):
            return kind, what
        if name in _SESSION_WRITES and self._session(receiver, site.scope):
            return kind, what
        return None

    def _text(self, node: cst.BaseExpression) -> str:
        """Source text for messages, with call arguments left out: `Note.objects.filter(...)
        .delete`."""
        if isinstance(node, cst.Attribute):
            return f"{self._text(node.value)}.{node.attr.value}"
        if isinstance(node, cst.Call):
            return f"{self._text(node.func)}({'...' if node.args else ''})"
        if isinstance(node, cst.Name):
            return node.value
        text = self.module.code_for_node(node)
        return text if len(text) <= 30 else "..."

    @staticmethod
    def _chain(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
        """`node` and the receivers it is built on: `a.b(...).c` gives itself, `a.b(...)`,
        `a.b` and `a`."""
        current: cst.BaseExpression | None = node
        while current is not None:
            yield current
            if isinstance(current, cst.Attribute):
                current = current.value
            elif isinstance(current, cst.Call):
                current = current.func
            else:
                current = None

    def _manager(self, node: cst.BaseExpression) -> bool:
        """A Django manager or a queryset made from one: `Note.objects`, `Note.objects.all()`."""
        return any(
            isinstance(n, cst.Attribute) and n.attr.value in ("objects", "_default_manager")
            for n in self._chain(node)
        )

    def _queryset(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
        """A Django queryset, a Flask-SQLAlchemy `Model.query...` or a SQLAlchemy
        `session.query(...)...`, or a name bound once to one in the handler."""
        for current in self._chain(node):
            if isinstance(current, cst.Attribute) and current.attr.value in (
                "objects",
                "_default_manager",
            ):
                return True
            if (
                isinstance(current, cst.Attribute)
                and current.attr.value == "query"
                and isinstance(current.value, cst.Name)
                and current.value.value[:1].isupper()
            ):
                return True
            if (
                isinstance(current, cst.Call)
                and isinstance(current.func, cst.Attribute)
                and current.func.attr.value == "query"
                and self._session(current.func.value, scope)
            ):
                return True
        bound = self._bound_once(node, scope)
        return bound is not None and depth < 4 and self._queryset(bound, scope, depth + 1)

    def _instance(self, node: cst.BaseExpression, scope: Scope) -> bool:
        """A model instance read from the ORM in the handler: a name bound to
        `Note.objects.get(...)`, `get_object_or_404(...)`, `Note.query.get_or_404(...)`,
        `session.get(Note, id)` or `self.get_object()`."""
        bound = self._bound_once(node, scope)
        if not isinstance(bound, cst.Call):
            return False
        func = bound.func
        callee = self.resolver.value(func, scope)
        if isinstance(callee, Ref) and callee.name in _GET_OBJECT:
            return True
        if not isinstance(func, cst.Attribute):
            return False
        if func.attr.value == "get_object" and isinstance(func.value, cst.Name):
            return isinstance(self.resolver.value(func.value, scope), SelfOf)
        if func.attr.value in ("get", "get_or_404") and self._session(func.value, scope):
            return True
        return func.attr.value in _INSTANCE_GETTERS and self._queryset(func.value, scope)

    def _bound_once(self, node: cst.BaseExpression, scope: Scope) -> cst.BaseExpression | None:
        if not isinstance(node, cst.Name):
            return None
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "assign":
            return None
        if found[0].function() is not scope.function():
            return None
        value = found[1][0].node
        return value if isinstance(value, cst.BaseExpression) else None

    def _session(self, node: cst.BaseExpression, scope: Scope) -> bool:
        """A SQLAlchemy session: `db.session` (Flask-SQLAlchemy), a name bound to
        `Session(...)`, or a parameter annotated with a SQLAlchemy or SQLModel session."""
        if isinstance(node, cst.Attribute) and node.attr.value == "session":
            # `flask.session` and `quart.session` are the cookie session, not a database's.
            value = self.resolver.value(node, scope)
            return not (isinstance(value, Ref) and value.name.startswith(("flask.", "quart.")))
        if not isinstance(node, cst.Name):
            return False
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1:
            return False
        binding = found[1][0]
        expression: cst.BaseExpression | None = None
        if binding.kind == "param" and isinstance(binding.node, cst.Param):
            annotation = binding.node.annotation
            expression = annotation.annotation if annotation is not None else None
        elif binding.kind in ("assign", "with") and isinstance(binding.node, cst.Call):
            expression = binding.node.func
        elif binding.kind == "annotation" and isinstance(binding.node, cst.BaseExpression):
            expression = binding.node
        if expression is None:
            return False
        value = self.resolver.value(expression, binding.scope)
        return (
            isinstance(value, Ref)
            and value.name.startswith(("sqlalchemy.", "sqlmodel."))
            and value.name.rsplit(".", 1)[-1] in ("Session", "AsyncSession", "scoped_session")
        )


def _tests_method(test: cst.BaseExpression) -> bool:
    """A test that reads a request's method (`request.method == "POST"`)."""
    return any(isinstance(n, cst.Attribute) and n.attr.value == "method" for n in walk(test))


def _under_method_test(block: Block | None, function: cst.FunctionDef) -> bool:
    while block is not None and block.node is not function:
        if isinstance(block.node, cst.If) and _tests_method(block.node.test):
            return True
        block = block.parent
    return False


def _is_form_class(func: cst.BaseExpression) -> bool:
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return isinstance(name, str) and (name[:1].isupper() or name.lower().endswith("form"))
