"""Resolution: which calls are HTTP requests, and the facts about each.

Works on what `scopes.ScopeVisitor` recorded in its one pass. A call is an HTTP call only when
its callee resolves, through imports, assignments, parameters' annotations, `self` attributes,
same-file classes and factories, to a request-making callable of `libraries.py`. Anything that
cannot be followed is unknown, and unknown is never an HTTP call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.diagnostics import Span
from methodlint.facts import (
    NO_HEADERS,
    UNKNOWN_HEADERS,
    Body,
    FileFacts,
    FreshValue,
    Header,
    Headers,
    HttpCall,
    MethodToken,
    RetryPolicy,
    RetryScope,
    Url,
)
from methodlint.libraries import (
    CLIENT_METHOD_RESULTS,
    CLIENT_TYPES,
    CONSTRUCTORS,
    FUNCTIONS,
    HELPER_MODULES,
    HTTP_MODULES,
    Api,
    canonical,
)
from methodlint.positions import compute_spans
from methodlint.preconditions import Preconditions, string_literal
from methodlint.scopes import (
    AttributeAssignment,
    Binding,
    CallSite,
    ClassInfo,
    Mutation,
    Scope,
    ScopeVisitor,
)
from methodlint.walk import visit

if TYPE_CHECKING:
    from methodlint.retry import RawScope

# -- abstract values ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A library object by qualified name: `name` in the library's terms, `display` as used."""

    name: str
    display: str

    def attribute(self, attr: str) -> Ref:
        return Ref(canonical(f"{self.name}.{attr}"), f"{self.display}.{attr}")


@dataclass(frozen=True)
class Instance:
    """An object of a client type of `libraries.CLIENT_TYPES`; `local` is the key of the class
    of this file it is an instance of, when it is one (a subclass of the client type)."""

    type: str
    display: str
    local: int | None = None


@dataclass(frozen=True)
class BoundMethod:
    instance: Instance
    name: str


@dataclass(frozen=True)
class TextOption:
    value: str
    node: cst.BaseString | None = field(compare=False, default=None)
    node_id: int | None = None
    upper_called: bool = False
    constant: bool = False


@dataclass(frozen=True)
class Text:
    """A string, or the strings a conditional expression may give."""

    options: tuple[TextOption, ...]


@dataclass(frozen=True)
class Built:
    """A request built by one call (`Request(...)`, `build_request(...)`) and sent later."""

    key: int


@dataclass(frozen=True)
class LocalClass:
    key: int


@dataclass(frozen=True)
class LocalFunction:
    key: int


@dataclass(frozen=True)
class SelfOf:
    """`self` inside a method of a class of this file."""

    key: int


Value = Ref | Instance | BoundMethod | Text | Built | LocalClass | LocalFunction | SelfOf | None

# Arguments that make a request a different request when they change (headers do not).
_CONTENT_KEYWORDS = frozenset(
    {"url", "json", "data", "files", "content", "body", "params", "fields", "query"}
)

_REQUESTS_MODULES = frozenset({"requests", "requests.api"})

_IN_PROGRESS = object()
# What a binding to the literal `None` contributes to a name's value: nothing. A call on the
# name succeeds only when it holds one of its other values (`x = None`, then `x = Client()`).
_ABSENT = object()


def _literal_text(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _same_api(value: object, other: object) -> bool:
    """Equal values, or instances of client types with one API (`PoolManager` or
    `ProxyManager`, chosen by configuration: the request calls are the same)."""
    if value == other:
        return True
    return (
        isinstance(value, Instance)
        and isinstance(other, Instance)
        and value.local is None
        and other.local is None
        and CLIENT_TYPES[value.type].methods is CLIENT_TYPES[other.type].methods
    )


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_empty_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return node.evaluated_value in ("", b"")
    if isinstance(node, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return not node.elements
    if isinstance(node, cst.Call) and not node.args:
        return get_full_name_for_node(node.func) in ("dict", "list", "tuple", "bytes", "str")
    return False


# -- raw facts (with nodes) before positions are known ----------------------------------


@dataclass(eq=False)
class _Raw:
    site: CallSite
    api: Api
    client: str
    methods: frozenset[str]
    tokens: list[tuple[TextOption, bool]]  # option, verbatim
    dynamic: bool
    bodies: list[tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]]
    headers: Headers
    url: cst.BaseExpression | None
    send: CallSite | None
    sent: bool = False
    # The method argument when it is not a literal, and the scope it is read in.
    method_expr: cst.BaseExpression | None = None
    method_scope: Scope | None = None
    # The headers argument and the `**kwargs` passed on to the call, with their scopes.
    headers_expr: tuple[cst.BaseExpression, Scope] | None = None
    kwargs_expr: tuple[cst.BaseExpression, Scope] | None = None
    # Where the URL expression is read, when not at `site` (a URL fixed inside a wrapper).
    url_scope: Scope | None = None
    # For a call of a request wrapper (see `wrappers.py`): the project functions from this
    # call to the library call, and the request as the wrapper makes it.
    via: tuple[str, ...] = ()
    inner: _Raw | None = None


class Resolver:
    """Evaluates recorded expressions to abstract values and builds `HttpCall` facts."""

    def __init__(
        self,
        module: cst.Module,
        visitor: ScopeVisitor,
        http_modules: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        self.visitor = visitor
        self.http_modules = dict(http_modules or {})
        self._roots = set(HTTP_MODULES) | set(HELPER_MODULES) | set(self.http_modules)
        self._memo: dict[tuple[int, int], object] = {}
        self._classes = {id(c.node): c for c in visitor.classes}
        self._functions: dict[int, Binding] = {}
        self._builds: dict[int, _Raw] = {}
        self._ancestry: dict[int, list[ClassInfo]] = {}
        self._families: dict[int, list[ClassInfo]] = {}
        self._methods_calls: dict[tuple[str, int], list[CallSite]] = {}
        # Where names used by calls are used (the walk's clock), for `with` targets.
        self._use_at: dict[int, int] = {}
        # Calls by a name they use (as the callee's root or an argument), and by scope.
        self._name_calls: dict[str, list[CallSite]] = {}
        self._scope_calls: dict[int, list[CallSite]] = {}
        self._owned_calls: dict[tuple[str, int], list[CallSite]] = {}
        # Function scope -> names of the methods it calls on `super()`.
        self._super_calls: dict[int, set[str]] = {}
        for site in visitor.calls:
            func = site.node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                self._methods_calls.setdefault((func.value.value, id(site.scope)), []).append(site)
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Call)
                and isinstance(func.value.func, cst.Name)
                and func.value.func.value == "super"
                and not func.value.args
            ):
                self._super_calls.setdefault(id(site.scope), set()).add(func.attr.value)
            root: cst.BaseExpression = func
            while isinstance(root, (cst.Attribute, cst.Call)):
                root = root.value if isinstance(root, cst.Attribute) else root.func
            for used in (root, *(arg.value for arg in site.node.args)):
                if isinstance(used, cst.Name):
                    self._use_at.setdefault(id(used), site.seq)
                    self._name_calls.setdefault(used.value, []).append(site)
            self._scope_calls.setdefault(id(site.scope), []).append(site)
        # Attributes whose object the file may change in place (see `_changed_attributes`).
        self._attribute_changes: set[str] | None = None
        # id(Header) -> the header and its value's node (see `_header`).
        self.header_nodes: dict[int, tuple[Header, cst.BaseExpression]] = {}
        self._mutations: dict[str, list[Mutation]] = {}
        for mutation in visitor.mutations:
            self._mutations.setdefault(mutation.name, []).append(mutation)

    # -- names ----------------------------------------------------------------------------

    def _import_ref(self, qualname: str) -> Ref | None:
        top = qualname.split(".")[0]
        if top not in self._roots:
            return None
        for alias, library in self.http_modules.items():
            if qualname == alias or qualname.startswith(alias + "."):
                return Ref(canonical(library + qualname[len(alias) :]), qualname)
        return Ref(canonical(qualname), qualname)

    def binding_scope(self, name: str, scope: Scope) -> tuple[Scope, list[Binding]] | None:
        """The scope whose bindings of `name` a use in `scope` sees, as Python scoping does."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.global_names:
                current = current.module()
            if name not in current.nonlocal_names and (first or current.kind != "class"):
                found = current.bindings.get(name)
                if found:
                    return current, found
            first = False
            current = current.parent
        return None

    def lookup(self, name: str, scope: Scope, at: int | None = None) -> Value:
        found = self.binding_scope(name, scope)
        if found is None:
            return None
        _, bindings = found
        if at is not None and len(bindings) > 1:
            bindings = self._visible(bindings, at)
        first = self._agree(self._binding_value(b, name) for b in bindings)
        if isinstance(first, Text):
            if len(bindings) != 1:
                return None
            return Text(
                tuple(
                    TextOption(o.value, o.node, o.node_id, o.upper_called, constant=True)
                    for o in first.options
                )
            )
        return first

    def _closed(self, node: cst.BaseExpression, scope: Scope) -> cst.BaseExpression:
        """`x` for `contextlib.closing(x)`, whose `__enter__` returns `x`; else `node`."""
        if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
            callee = self.value(node.func, scope)
            if isinstance(callee, Ref) and callee.name == "contextlib.closing":
                return node.args[0].value
        return node

    def _is_url(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> bool:
        """Whether `node` is a URL string: a literal, f-string or concatenation of them, or
        a name bound once to one."""
        if string_literal(node) is not None or isinstance(self.value(node, scope), Text):
            return True
        if isinstance(node, cst.Name) and depth < 8:
            found = self.binding_scope(node.value, scope)
            if found is not None and len(found[1]) == 1 and found[1][0].kind == "assign":
                value = found[1][0].node
                assert isinstance(value, cst.BaseExpression)
                return self._is_url(value, found[0], depth + 1)
        return False

    @staticmethod
    def _visible(bindings: list[Binding], at: int) -> list[Binding]:
        """The bindings a use at clock `at` may see: inside the body of a `with` whose target
        the name is, and that nothing else in that body rebinds, only that target."""
        for binding in reversed(bindings):
            until = binding.until
            if until is None or not binding.seq < at < until:
                continue
            if all(b is binding or not binding.seq < b.seq < until for b in bindings):
                return [binding]
        return bindings

    @staticmethod
    def _agree(values: Iterable[Value | object]) -> Value:
        """The one value all of `values` agree on (absent ones aside), else unknown. The
        `requests` module (`requests.api`) agrees with a `requests.Session`: its request
        functions are the session's methods."""
        found: list[Value] = [v for v in values if v is not _ABSENT]  # type: ignore[misc]
        if not found:
            return None
        sessions = [v for v in found if isinstance(v, Instance) and v.type == "requests.Session"]
        if sessions:
            found = [v for v in found if not (isinstance(v, Ref) and v.name in _REQUESTS_MODULES)]
        first = found[0]
        if first is None or any(not _same_api(v, first) for v in found[1:]):
            return None
        return first

    def _assigned(
        self,
        value: cst.BaseExpression | None,
        scope: Scope,
        annotation: cst.BaseExpression | None = None,
        name: str | None = None,
    ) -> Value | object:
        """What an assignment gives its target: the declared client type of an annotated
        target, `_ABSENT` for `None`, else the value's (`name` is the target, for
        `x = x or Client()`)."""
        if annotation is not None:
            declared = self.annotation_type(annotation, scope)
            if declared is not None:
                return declared
        if value is None:
            return None
        if _is_none(value) or self._is_sentinel(value, scope):
            return _ABSENT
        if isinstance(value, (cst.BooleanOperation, cst.IfExp)) and any(
            isinstance(n, cst.Name) and n.value == name for n in self._branches(value)
        ):
            return self._alternatives(value, scope, name)
        return self.value(value, scope)

    def _is_sentinel(self, node: cst.BaseExpression, scope: Scope) -> bool:
        """A module-level name bound once to `object()` or to an instance of a class of
        this file that is no client (`MISSING = _MissingSentinel()`): a placeholder that,
        like `None`, says nothing of what the attribute holds once it is set."""
        if not isinstance(node, cst.Name):
            return False
        found = self.binding_scope(node.value, scope)
        if found is None or found[0].kind != "module" or len(found[1]) != 1:
            return False
        binding = found[1][0]
        value = binding.node
        if binding.kind != "assign" or not isinstance(value, cst.Call) or value.args:
            return False
        if get_full_name_for_node(value.func) == "object":
            return self.lookup("object", found[0]) is None
        callee = self.value(value.func, found[0])
        return (
            isinstance(callee, LocalClass)
            and self.local_instance(self._classes[callee.key]) is None
        )

    @staticmethod
    def _branches(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
        """The alternatives of `a or b` and `a if c else b`, nested ones flattened."""
        pending = [node]
        while pending:
            current = pending.pop()
            if isinstance(current, cst.BooleanOperation) and isinstance(current.operator, cst.Or):
                pending += [current.right, current.left]
            elif isinstance(current, cst.IfExp):
                pending += [current.orelse, current.body]
            else:
                yield current

    def _alternatives(
        self, node: cst.BaseExpression, scope: Scope, name: str | None = None
    ) -> Value | object:
        """`a or b`, `a if c else b`: the value every alternative agrees on, leaving out
        `None` and the target itself (`x = x or Client()` adds `Client()` to what `x` is)."""
        values: list[Value | object] = []
        for current in self._branches(node):
            if _is_none(current) or (isinstance(current, cst.Name) and current.value == name):
                values.append(_ABSENT)
            else:
                values.append(self.value(current, scope))
        if all(v is _ABSENT for v in values):
            return _ABSENT
        return self._agree(values)

    def _entered(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """What `with node as x` binds to `x`: a client, for a client, `closing(client)` or
        a `contextmanager` of this file that yields one."""
        node = self._closed(node, scope)
        if isinstance(node, cst.Call):
            callee = self.value(node.func, scope)
            if isinstance(callee, LocalFunction) and self._is_context_manager(callee):
                return self._yielded(callee)
        entered = self.value(node, scope)
        return entered if isinstance(entered, Instance) else None

    def _is_context_manager(self, function: LocalFunction) -> bool:
        """A function of this file decorated with `contextlib.(async)contextmanager`."""
        binding = self._functions.get(function.key)
        if binding is None or not isinstance(binding.node, cst.FunctionDef):
            return False
        managers = ("contextlib.contextmanager", "contextlib.asynccontextmanager")
        for decorator in binding.node.decorators:
            found = self.value(decorator.decorator, binding.scope)
            if isinstance(found, Ref) and found.name in managers:
                return True
        return False

    def _yielded(self, function: LocalFunction) -> Value:
        """The client a context-manager generator of this file yields (once), if any."""
        binding = self._functions[function.key]
        inner = binding.inner
        if inner is None or len(inner.yields) != 1 or inner.yields[0] is None:
            return None
        found = self.value(inner.yields[0], inner)
        return found if isinstance(found, Instance) else None

    def _binding_value(self, binding: Binding, name: str) -> Value | object:
        kind = binding.kind
        if kind == "import" and binding.qualname:
            return self._import_ref(binding.qualname)
        if kind == "assign" and isinstance(binding.node, cst.BaseExpression):
            return self._assigned(binding.node, binding.scope, binding.annotation, name)
        if kind == "with" and isinstance(binding.node, cst.BaseExpression):
            return self._entered(binding.node, binding.scope)
        if kind == "param" and isinstance(binding.node, cst.Param):
            scope = binding.scope
            if scope.self_name == name and scope.cls is not None:
                return SelfOf(id(scope.cls.node))
            annotation = binding.node.annotation
            if annotation is not None:
                return self.annotation_type(annotation.annotation, scope)
            default = binding.node.default
            if default is not None and _is_none(default):
                # `def f(session=None): if session is None: session = requests.Session()`:
                # an optional parameter the function fills with a client when it is absent
                # holds that kind of client; alone, it stays unknown.
                return _ABSENT
            return None
        if kind == "annotation" and isinstance(binding.node, cst.BaseExpression):
            return self.annotation_type(binding.node, binding.scope)
        if kind == "def" and binding.node is not None:
            self._functions[id(binding.node)] = binding
            return LocalFunction(id(binding.node))
        if kind == "class" and binding.cls is not None:
            return LocalClass(id(binding.cls.node))
        return None

    # -- expressions ----------------------------------------------------------------------

    def value(self, node: cst.BaseExpression, scope: Scope) -> Value:
        key = (id(node), id(scope))
        cached = self._memo.get(key)
        if cached is _IN_PROGRESS:
            return None
        if cached is not None or key in self._memo:
            return cached  # type: ignore[return-value]
        self._memo[key] = _IN_PROGRESS
        result = self._value(node, scope)
        self._memo[key] = result
        return result

    def _value(self, node: cst.BaseExpression, scope: Scope) -> Value:
        if isinstance(node, cst.Name):
            return self.lookup(node.value, scope, self._use_at.get(id(node)))
        if isinstance(node, cst.Attribute):
            return self._attribute(self.value(node.value, scope), node.attr.value)
        if isinstance(node, cst.Call):
            return self.call_result(node, scope)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = _literal_text(node)
            if text is None:
                return None
            return Text((TextOption(text, node, id(node)),))
        if isinstance(node, cst.IfExp):
            body = self.value(node.body, scope)
            orelse = self.value(node.orelse, scope)
            if isinstance(body, Text) and isinstance(orelse, Text):
                return Text(body.options + orelse.options)
        if isinstance(node, (cst.IfExp, cst.BooleanOperation)):
            found = self._alternatives(node, scope)
            return None if found is _ABSENT else found  # type: ignore[return-value]
        return None

    def _attribute(self, base: Value, attr: str) -> Value:
        if isinstance(base, Ref):
            if base.name == "http.HTTPMethod" or base.name == "http.client.HTTPMethod":
                return Text((TextOption(attr),)) if attr.isupper() else None
            return base.attribute(attr)
        if isinstance(base, Instance):
            if base.local is not None:
                return self._member(self._classes[base.local], attr)
            return BoundMethod(base, attr)
        if isinstance(base, SelfOf):
            return self._member(self._classes[base.key], attr)
        if isinstance(base, Text) and attr == "value" and all(o.constant for o in base.options):
            return base  # `Method.POST.value`
        if isinstance(base, Text) and attr == "value" and all(o.node is None for o in base.options):
            return base  # `HTTPMethod.POST.value`
        if isinstance(base, LocalClass):
            return self._enum_member(self._classes[base.key], attr)
        return None

    def _ancestors(self, cls: ClassInfo) -> list[ClassInfo]:
        """`cls` and the classes of this file it derives from, nearest first."""
        cached = self._ancestry.get(id(cls))
        if cached is not None:
            return cached
        found: list[ClassInfo] = []
        self._ancestry[id(cls)] = found
        pending = [cls]
        while pending and len(found) < 50:
            current = pending.pop(0)
            if current in found:
                continue
            found.append(current)
            for arg in current.node.bases:
                if arg.keyword is None and not arg.star:
                    base = self.value(arg.value, current.outer)
                    if isinstance(base, LocalClass):
                        pending.append(self._classes[base.key])
        return found

    def _family(self, cls: ClassInfo) -> list[ClassInfo]:
        """`cls`, its ancestors and its descendants in this file: every class whose methods
        may set an attribute of an instance that `cls`'s methods see."""
        cached = self._families.get(id(cls))
        if cached is None:
            cached = list(self._ancestors(cls))
            for other in self.visitor.classes:
                if other not in cached and cls in self._ancestors(other):
                    cached.append(other)
            self._families[id(cls)] = cached
        return cached

    def _member(self, cls: ClassInfo, attr: str) -> Value:
        """An attribute of an instance of a class of this file (`self.x`, `Local().x`)."""
        values: list[Value | object] = []
        for member in self._family(cls):
            for assignment in member.self_attributes.get(attr, ()):
                narrowed = self._narrowed(assignment)
                values.append(
                    narrowed
                    if narrowed is not None
                    else self._assigned(assignment.value, assignment.scope, assignment.annotation)
                )
        for owner in self._ancestors(cls):
            in_body = owner.scope.bindings.get(attr)
            if not in_body:
                continue
            if attr in owner.methods:
                if values or len(in_body) != 1:
                    return None
                return self._method_member(cls, owner, attr)
            values += [self._binding_value(binding, attr) for binding in in_body]
            break
        if values:
            first = self._agree(values)
            return first if not isinstance(first, (Text, LocalFunction)) else None
        base = self.client_base(cls)
        return BoundMethod(base, attr) if base is not None else None

    def _narrowed(self, assignment: AttributeAssignment) -> Value:
        """`self.x = session` under `if isinstance(session, requests.Session):`: a client
        of that type."""
        value = assignment.value
        if not isinstance(value, cst.Name):
            return None
        block = assignment.block
        while block is not None and not isinstance(block.node, cst.FunctionDef):
            node = block.node
            test = node.test if isinstance(node, cst.If) else None
            if (
                isinstance(test, cst.Call)
                and get_full_name_for_node(test.func) == "isinstance"
                and len(test.args) == 2
                and isinstance(test.args[0].value, cst.Name)
                and test.args[0].value.value == value.value
            ):
                return self.annotation_type(test.args[1].value, assignment.scope)
            block = block.parent
        return None

    def _method_member(self, cls: ClassInfo, owner: ClassInfo, attr: str) -> Value:
        """A method of a class of this file, as an attribute of an instance: a property's
        value; the library's method when it overrides one by delegating to `super()`; else
        the function (a factory when called)."""
        binding = owner.methods[attr]
        function = self._binding_value(binding, attr)
        if not isinstance(function, LocalFunction) or not isinstance(binding.node, cst.FunctionDef):
            return None
        properties = ("property", "functools.cached_property", "cached_property")
        for decorator in binding.node.decorators:
            if get_full_name_for_node(decorator.decorator) in properties:
                return self._factory_result(function)
        return self._delegating_override(cls, owner, attr) or function

    def _delegating_override(self, cls: ClassInfo, owner: ClassInfo, attr: str) -> Value:
        base = self.client_base(cls)
        if base is None:
            return None
        api = CLIENT_TYPES[base.type].methods.get(attr)
        binding = owner.methods[attr]
        node, inner = binding.node, binding.inner
        if api is None or not isinstance(node, cst.FunctionDef) or inner is None:
            return None
        params = [*node.params.posonly_params, *node.params.params][1:]
        for position, expected in ((api.method_pos, "method"), (api.url_pos, "url")):
            if position is None:
                continue
            if position >= len(params) or params[position].name.value != expected:
                return None
        if attr in self._super_calls.get(id(inner), ()):
            return BoundMethod(base, attr)
        return None

    def client_base(self, cls: ClassInfo, depth: int = 0) -> Instance | None:
        """The client type a class of this file derives from, if any."""
        return self._first_client_base(cls, local=False, depth=depth)

    def local_instance(self, cls: ClassInfo) -> Instance | None:
        """An instance of a class of this file that derives from a client type."""
        base = self.client_base(cls)
        return Instance(base.type, base.display, id(cls.node)) if base is not None else None

    def _super(self, cls: ClassInfo) -> Instance | None:
        """`super()` in a method of `cls`: the first base that is a client or derives one."""
        return self._first_client_base(cls, local=True)

    def _local_base(self, cls: ClassInfo) -> SelfOf | None:
        """`super()` in a method of a class whose first base is a class of this file: that
        base's methods and attributes, on the same instance."""
        for arg in cls.node.bases:
            if arg.keyword is None and not arg.star:
                base = self.value(arg.value, cls.outer)
                return SelfOf(base.key) if isinstance(base, LocalClass) else None
        return None

    def _enum_member(self, cls: ClassInfo, attr: str) -> Value:
        """`Method.POST` of a class of this file whose body binds `POST = "POST"` once (an
        enum or a class of constants): the literal, as a constant."""
        bindings = cls.scope.bindings.get(attr)
        if not bindings or len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        node = bindings[0].node
        if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return None
        text = _literal_text(node)
        if text is None:
            return None
        return Text((TextOption(text, node, id(node), constant=True),))

    def _first_client_base(self, cls: ClassInfo, local: bool, depth: int = 0) -> Instance | None:
        """The first base of `cls` that is a library client type, or a class of this file
        deriving one (as that class's own instance when `local`, else as the library type)."""
        if depth > 10:
            return None
        for arg in cls.node.bases:
            if arg.keyword is not None or arg.star:
                continue
            base = self.value(arg.value, cls.outer)
            if isinstance(base, Ref):
                name = CONSTRUCTORS.get(base.name)
                if name is not None and name in CLIENT_TYPES and name == base.name:
                    return Instance(name, base.display)
            elif isinstance(base, LocalClass):
                inner = self._classes[base.key]
                found = (
                    self.local_instance(inner)
                    if local
                    else self._first_client_base(inner, local=False, depth=depth + 1)
                )
                if found is not None:
                    return found
        return None

    def annotation_type(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """The client instance an annotation declares (`X`, `Optional[X]`, `X | None`, "X")."""
        if isinstance(node, cst.SimpleString):
            text = _literal_text(node)
            if text is None:
                return None
            try:
                parsed = cst.parse_expression(text)
            except Exception:
                return None
            return self.annotation_type(parsed, scope)
        members: list[cst.BaseExpression]
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            members = [node.left, node.right]
        elif isinstance(node, cst.Subscript):
            outer = self.value(node.value, scope)
            outer_name = outer.name if isinstance(outer, Ref) else ""
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if outer_name.split(".")[-1] in ("Optional", "Union") and outer_name.startswith(
                ("typing.", "typing_extensions.")
            ):
                members = elements
            elif outer_name in ("typing.Annotated", "typing_extensions.Annotated"):
                members = elements[:1]
            else:
                return None
        else:
            value = self.value(node, scope)
            if isinstance(value, Ref) and value.name in CLIENT_TYPES:
                return Instance(value.name, value.display)
            if isinstance(value, LocalClass):
                return self.local_instance(self._classes[value.key]) or SelfOf(value.key)
            return None
        types = [self.annotation_type(m, scope) for m in members if not _is_none(m)]
        if types and types[0] is not None and all(t == types[0] for t in types):
            return types[0]
        return None

    def call_result(self, call: cst.Call, scope: Scope) -> Value:
        func = call.func
        if isinstance(func, cst.Name) and func.value == "super" and not call.args:
            if self.lookup("super", scope) is None:
                method = scope.function()
                if method is not None and method.cls is not None:
                    return self._super(method.cls) or self._local_base(method.cls)
            return None
        if isinstance(func, cst.Attribute):
            if func.attr.value == "upper" and not call.args:
                inner = self.value(func.value, scope)
                if isinstance(inner, Text):
                    return Text(
                        tuple(
                            TextOption(o.value, o.node, o.node_id, True, o.constant)
                            for o in inner.options
                        )
                    )
                return None
            if func.attr.value == "prepare" and not call.args:
                inner = self.value(func.value, scope)
                return inner if isinstance(inner, Built) else None
        callee = self.value(func, scope)
        if isinstance(callee, Ref):
            constructed = CONSTRUCTORS.get(callee.name)
            if constructed is not None:
                display = callee.display
                if callee.name != constructed:  # a factory: name the type it makes
                    display = constructed
                return Instance(constructed, display)
            api = FUNCTIONS.get(callee.name)
            if api is not None and api.kind == "build":
                return Built(id(call))
            return None
        if isinstance(callee, BoundMethod):
            methods = CLIENT_TYPES[callee.instance.type].methods
            api = methods.get(callee.name)
            if api is not None and api.kind == "build":
                return Built(id(call))
            returned = CLIENT_METHOD_RESULTS.get((callee.instance.type, callee.name))
            if returned is not None:
                return Instance(returned, returned)
            if callee.name == "prepare_request" and call.args:
                inner = self.value(call.args[0].value, scope)
                return inner if isinstance(inner, Built) else None
            return None
        if isinstance(callee, LocalClass):
            return self.local_instance(self._classes[callee.key]) or SelfOf(callee.key)
        if isinstance(callee, LocalFunction):
            return self._factory_result(callee)
        return None

    def _factory_result(self, function: LocalFunction) -> Value:
        binding = self._functions.get(function.key)
        if binding is None or not isinstance(binding.node, cst.FunctionDef):
            return None
        node = binding.node
        inner = binding.inner
        if node.returns is not None:
            declared = self.annotation_type(node.returns.annotation, binding.scope)
            if declared is not None or inner is None:
                return declared
        if inner is None or not inner.returns or inner.yields:
            return None
        values = [self.value(r, inner) for r in inner.returns]
        first = values[0]
        if isinstance(first, (Instance, SelfOf)) and all(v == first for v in values[1:]):
            return first
        return None

    # -- HTTP calls -----------------------------------------------------------------------

    def callee_api(self, site: CallSite) -> tuple[Api, str] | None:
        callee = self.value(site.node.func, site.scope)
        if isinstance(callee, Ref):
            api = FUNCTIONS.get(callee.name)
            if api is not None:
                return api, callee.display
        elif isinstance(callee, BoundMethod):
            methods = CLIENT_TYPES[callee.instance.type].methods
            api = methods.get(callee.name)
            if api is not None:
                return api, callee.instance.display
        return None

    def http_calls(self) -> list[_Raw]:
        raws: list[_Raw] = []
        sends: list[tuple[_Raw | None, CallSite, Api, str]] = []
        for site in self.visitor.calls:
            found = self.callee_api(site)
            if found is None:
                continue
            api, client = found
            if api.kind in ("send", "build"):
                raw = self._raw(site, api, client)
                raws.append(raw)
                if api.kind == "build":
                    self._builds[id(site.node)] = raw
            else:
                sends.append((None, site, api, client))
        for _, site, api, client in sends:
            raws.extend(self._send(site, api, client))
        return raws

    def _arg(self, call: cst.Call, position: int | None, keyword: str | None) -> cst.Arg | None:
        positional = 0
        for arg in call.args:
            if arg.star:
                if arg.star == "*":
                    return None if keyword is None else self._keyword(call, keyword)
                continue
            if arg.keyword is None:
                if position is not None and positional == position:
                    return arg
                positional += 1
        return self._keyword(call, keyword) if keyword else None

    @staticmethod
    def _keyword(call: cst.Call, keyword: str) -> cst.Arg | None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg
        return None

    def _method(
        self, site: CallSite, api: Api
    ) -> tuple[frozenset[str], list[tuple[TextOption, bool]], bool, bool]:
        """Methods, tokens, whether dynamic, and whether a method argument was given."""
        if api.method is not None:
            return frozenset({api.method}), [], False, True
        if api.method_pos is None and api.kind != "build":
            return frozenset(), [], False, False
        arg = self._arg(site.node, api.method_pos, "method")
        if arg is None:
            return frozenset(), [], False, False
        value = self.value(arg.value, site.scope)
        if isinstance(value, Text):
            tokens = [(o, api.verbatim) for o in value.options if o.node is not None]
            methods = frozenset(
                o.value.upper() if (o.upper_called or not api.verbatim) else o.value
                for o in value.options
            )
            return methods, tokens, False, True
        return frozenset(), [], True, True

    def _raw(self, site: CallSite, api: Api, client: str) -> _Raw:
        call = site.node
        methods, tokens, dynamic, given = self._method(site, api)
        bodies: list[tuple[str, bool, cst.CSTNode, bool, cst.BaseExpression]] = []
        for position, name in api.body_positions:
            arg = self._arg(call, position, None)
            if arg is not None:
                bodies.append((name, False, arg, self._empty(name, arg.value), arg.value))
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in api.body_keywords:
                name = arg.keyword.value
                bodies.append((name, True, arg, self._empty(name, arg.value), arg.value))
        if api.fields_in_query_for and (not methods or methods & api.fields_in_query_for):
            bodies = [b for b in bodies if b[0] != "fields"]
        if api.library == "urllib.request" and not given:
            # Request(url, data) without a method is a POST when it has data.
            has_data = any(not _is_none(b[4]) for b in bodies)
            methods = frozenset({"POST" if has_data else "GET"})
        url_arg = self._arg(call, api.url_pos, "url")
        method_arg = self._arg(call, api.method_pos, "method") if dynamic else None
        headers_arg = self._keyword(call, "headers")
        if headers_arg is None and api.headers_pos is not None:
            headers_arg = self._arg(call, api.headers_pos, None)
        kwargs_arg = next((a for a in call.args if a.star == "**"), None)
        return _Raw(
            site=site,
            api=api,
            client=client,
            methods=methods,
            tokens=tokens,
            dynamic=dynamic,
            bodies=bodies,
            headers=self._headers(site, api),
            url=url_arg.value if url_arg is not None else None,
            send=site if api.kind == "send" else None,
            method_expr=method_arg.value if method_arg is not None else None,
            method_scope=site.scope,
            headers_expr=(headers_arg.value, site.scope) if headers_arg is not None else None,
            kwargs_expr=(kwargs_arg.value, site.scope) if kwargs_arg is not None else None,
        )

    def method_node(self, raw: _Raw) -> cst.BaseExpression | None:
        """The method argument of a request whose method is not a literal."""
        if not raw.dynamic or raw.api.method is not None:
            return None
        return raw.method_expr

    def request_nodes(self, raw: _Raw) -> list[cst.CSTNode]:
        """The expressions that make a request what it is: URL, content and query."""
        nodes: list[cst.CSTNode] = []
        if raw.url is not None:
            nodes.append(raw.url)
        nodes.extend(body[4] for body in raw.bodies)
        if raw.inner is not None:
            # A call of a wrapper: every argument but the method and the headers.
            skipped = {id(raw.method_expr), id(raw.headers_expr[0]) if raw.headers_expr else 0}
            nodes.extend(a.value for a in raw.site.node.args if id(a.value) not in skipped)
            return nodes
        skip = {raw.api.method_pos, raw.api.headers_pos}
        for site in (raw.site, raw.send):
            if site is None:
                continue
            positional = 0
            for arg in site.node.args:
                if arg.keyword is not None:
                    if arg.keyword.value in _CONTENT_KEYWORDS:
                        nodes.append(arg.value)
                elif arg.star:
                    nodes.append(arg.value)
                else:
                    if positional not in skip or site is raw.send:
                        nodes.append(arg.value)
                    positional += 1
        return nodes

    @staticmethod
    def _empty(name: str, value: cst.BaseExpression) -> bool:
        if name == "json":
            return _is_none(value)
        return _is_none(value) or _is_empty_literal(value)

    def _send(self, site: CallSite, api: Api, client: str) -> Iterator[_Raw]:
        target = self._arg(site.node, 0, "request" if api.kind == "send-built" else "url")
        built = self.value(target.value, site.scope) if target is not None else None
        build = self._builds.get(built.key) if isinstance(built, Built) else None
        if build is not None:
            build.sent = True
            methods = build.methods
            bodies = list(build.bodies)
            if api.kind == "urlopen":
                extra = self._raw(site, api, client)
                bodies += extra.bodies
                implicit = build.api.library == "urllib.request" and not build.tokens
                if implicit and not build.dynamic and any(not _is_none(b[4]) for b in bodies):
                    methods = frozenset({"POST"})
            yield _Raw(
                site=build.site,
                api=build.api,
                client=build.client,
                methods=methods,
                tokens=build.tokens,
                dynamic=build.dynamic,
                bodies=bodies,
                headers=self._object_headers(target.value, site, build.headers)
                if target is not None
                else build.headers,
                url=build.url,
                send=site,
                method_expr=build.method_expr,
                method_scope=build.method_scope,
                headers_expr=build.headers_expr,
                kwargs_expr=build.kwargs_expr,
            )
            return
        if api.kind == "urlopen" and (target is None or not self._is_url(target.value, site.scope)):
            # A Request methodlint cannot see, or a URL it cannot read: method unknown.
            raw = self._raw(site, api, client)
            raw.methods = frozenset()
            raw.dynamic = True
            raw.bodies = []
            raw.headers = UNKNOWN_HEADERS
            yield raw
            return
        if api.kind == "urlopen":
            raw = self._raw(site, api, client)
            has_data = any(not _is_none(b[4]) for b in raw.bodies)
            raw.methods = frozenset({"POST" if has_data else "GET"})
            yield raw
            return
        raw = self._raw(site, api, client)
        raw.methods = frozenset()
        raw.dynamic = True
        raw.headers = UNKNOWN_HEADERS  # a request built where methodlint cannot see
        yield raw

    # -- headers --------------------------------------------------------------------------

    _READ_ONLY = frozenset(
        {"get_method", "get_full_url", "has_header", "get_header", "header_items", "prepare"}
    )
    _ADD_HEADER = frozenset({"add_header", "add_unredirected_header"})

    def _object_headers(
        self, node: cst.BaseExpression, send: CallSite, headers: Headers, depth: int = 0
    ) -> Headers:
        """The headers of a built request sent through a name: its own, with the
        `add_header(...)` calls on the name in the same function (urllib); unknown when the
        name is changed in any other way (`prep.headers[...] = ...`, passed to a function)."""
        if not isinstance(node, cst.Name) or not headers.known or depth > 8:
            return headers
        name = node.value
        found = self.binding_scope(name, send.scope)
        if found is None:
            return headers
        owner, bindings = found
        if len(bindings) != 1 or bindings[0].kind != "assign":
            return UNKNOWN_HEADERS
        if any(self._same_binding(name, m.scope, owner) for m in self._mutations.get(name, ())):
            return UNKNOWN_HEADERS
        items = list(headers.items)
        for site in self._calls_using(name, owner):
            if site is send:
                continue
            func = site.node.func
            root: cst.BaseExpression = func
            while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
                root = root.func if isinstance(root, cst.Call) else root.value
            passed = any(
                isinstance(a.value, cst.Name) and a.value.value == name for a in site.node.args
            )
            rooted = isinstance(root, cst.Name) and root.value == name
            if passed and not self._prepares(site.node, site.scope):
                return UNKNOWN_HEADERS
            if not rooted:
                continue
            method = func.attr.value if isinstance(func, cst.Attribute) else None
            direct = isinstance(func, cst.Attribute) and func.value is root
            if direct and method in self._READ_ONLY:
                continue
            if not direct or method not in self._ADD_HEADER:
                return UNKNOWN_HEADERS
            args = site.node.args
            key = _literal_text(args[0].value) if len(args) == 2 else None
            if key is None or site.scope is not owner or site.conditional:
                return UNKNOWN_HEADERS
            items = [h for h in items if h.name.lower() != key.lower()]
            if not _is_none(args[1].value):
                items.append(self._header(key, args[1].value))
        # The request a prepared one was made from: `req.prepare()`, `prepare_request(req)`.
        value = bindings[0].node
        inner: cst.BaseExpression | None = None
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value == "prepare" and not value.args:
                inner = value.func.value
            elif value.args and self._prepares(value, owner):
                inner = value.args[0].value
        if inner is not None:
            return self._object_headers(inner, send, Headers(True, tuple(items)), depth + 1)
        return Headers(True, tuple(items))

    def _putheaders(self, put: CallSite) -> Headers:
        """http.client: the `putheader(...)` calls on the same connection after `putrequest`,
        up to `endheaders()`, in the same function and unconditional."""
        func = put.node.func
        if not isinstance(func, cst.Attribute):
            return UNKNOWN_HEADERS
        receiver = self.module.code_for_node(func.value)
        later = sorted(
            (
                s
                for s in self._scope_calls.get(id(put.scope), ())
                if s.seq > put.seq
                and isinstance(s.node.func, cst.Attribute)
                and s.node.func.attr.value in ("putheader", "endheaders", "putrequest")
                and self.module.code_for_node(s.node.func.value) == receiver
            ),
            key=lambda s: s.seq,
        )
        items: list[Header] = []
        for site in later:
            assert isinstance(site.node.func, cst.Attribute)
            if site.node.func.attr.value != "putheader":
                break
            args = site.node.args
            key = _literal_text(args[0].value) if len(args) >= 2 and not args[0].star else None
            if key is None or site.conditional or any(a.star for a in args):
                return UNKNOWN_HEADERS
            if len(args) == 2:
                if not _is_none(args[1].value):
                    items.append(self._header(key, args[1].value))
                continue
            value = ", ".join(self.module.code_for_node(a.value) for a in args[1:])
            items.append(Header(key, value))
        return Headers(True, tuple(items))

    def qualified_name(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """The library object an expression names (`urllib.parse.urljoin`), if any."""
        value = self.value(node, scope)
        return value.name if isinstance(value, Ref) else None

    def method_calls(self, name: str, owner: Scope) -> list[CallSite]:
        """The calls of a method on `name` as bound in `owner` (`name.append(...)`)."""
        return [
            site
            for site in self._calls_using(name, owner)
            if isinstance(site.node.func, cst.Attribute)
            and isinstance(site.node.func.value, cst.Name)
            and site.node.func.value.value == name
        ]

    def _calls_using(self, name: str, owner: Scope) -> list[CallSite]:
        """The calls that use `name` as bound in `owner` (callee root or argument)."""
        key = (name, id(owner))
        found = self._owned_calls.get(key)
        if found is None:
            for site in dict.fromkeys(self._name_calls.get(name, ())):
                where = self.binding_scope(name, site.scope)
                if where is not None:
                    self._owned_calls.setdefault((name, id(where[0])), []).append(site)
            found = self._owned_calls.setdefault(key, [])
        return found

    def _prepares(self, call: cst.Call, scope: Scope) -> bool:
        """`session.prepare_request(req)`: passes a request on without changing it."""
        callee = self.value(call.func, scope)
        return isinstance(callee, BoundMethod) and callee.name == "prepare_request"

    def _headers(self, site: CallSite, api: Api) -> Headers:
        call = site.node
        if api.library == "http.client" and api.name == "putrequest":
            return self._putheaders(site)
        arg = self._keyword(call, "headers")
        if arg is None and api.headers_pos is not None:
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if api.headers_ambiguous_after is not None and len(positional) > (
                api.headers_ambiguous_after
            ):
                return UNKNOWN_HEADERS
            arg = self._arg(call, api.headers_pos, None)
        if arg is None:
            if any(a.star == "**" for a in call.args):
                return UNKNOWN_HEADERS
            return NO_HEADERS
        return self.headers_value(arg.value, site.scope)

    def _header(self, name: str, value: cst.BaseExpression) -> Header:
        """A header fact; the value's node is remembered for facts computed later."""
        header = Header(name, self.module.code_for_node(value))
        self.header_nodes[id(header)] = (header, value)
        return header

    def headers_value(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> Headers:
        if depth > 8:
            return UNKNOWN_HEADERS
        if _is_none(node):
            return NO_HEADERS
        items: list[Header] = []
        if isinstance(node, cst.Dict):
            # With a spread or key methodlint cannot read, the headers are not all known,
            # but the ones it sees are still sent (what ML204 and ML303 need).
            known = True
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    spread = self.headers_value(element.value, scope, depth + 1)
                    known = known and spread.known
                    items.extend(spread.items)
                    continue
                name = _literal_text(element.key)
                if name is None:
                    known = False
                    continue
                items = [h for h in items if h.name.lower() != name.lower()]
                if not _is_none(element.value):
                    items.append(self._header(name, element.value))
            return Headers(known, tuple(items))
        if isinstance(node, (cst.List, cst.Tuple)):
            for item in node.elements:
                pair = item.value
                if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
                    return UNKNOWN_HEADERS
                name = _literal_text(pair.elements[0].value)
                if name is None:
                    return UNKNOWN_HEADERS
                value = pair.elements[1].value
                if not _is_none(value):
                    items.append(self._header(name, value))
            return Headers(True, tuple(items))
        if isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
            callee = self.value(node.func, scope)
            if isinstance(callee, Ref) and callee.name == "httpx.Headers":
                return self.headers_value(node.args[0].value, scope, depth + 1)
            return UNKNOWN_HEADERS
        if isinstance(node, cst.Name):
            return self._named_headers(node.value, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute_headers(node, scope, depth)
        return UNKNOWN_HEADERS

    def _named_headers(self, name: str, scope: Scope, depth: int) -> Headers:
        found = self.binding_scope(name, scope)
        if found is None:
            return UNKNOWN_HEADERS
        owner, bindings = found
        if len(bindings) != 1 or bindings[0].kind != "assign" or owner.kind == "class":
            return UNKNOWN_HEADERS
        value = bindings[0].node
        assert isinstance(value, cst.BaseExpression)
        base = self.headers_value(value, owner, depth + 1)
        if not base.known:
            return base
        items = list(base.items)
        for mutation in self._mutations.get(name, ()):
            if not self._same_binding(name, mutation.scope, owner):
                continue
            if mutation.scope is not owner or mutation.conditional or mutation.key is None:
                return UNKNOWN_HEADERS
            key = _literal_text(mutation.key)
            if key is None or mutation.value is None:
                return UNKNOWN_HEADERS
            items = [h for h in items if h.name.lower() != key.lower()]
            if not _is_none(mutation.value):
                items.append(self._header(key, mutation.value))
        for (receiver, _), sites in self._methods_calls.items():
            if receiver != name:
                continue
            for site in sites:
                if not self._same_binding(name, site.scope, owner):
                    continue
                assert isinstance(site.node.func, cst.Attribute)
                method = site.node.func.attr.value
                if method in ("get", "items", "keys", "values", "copy", "__contains__"):
                    continue
                if method != "update" or site.scope is not owner or site.conditional:
                    return UNKNOWN_HEADERS
                if len(site.node.args) != 1 or site.node.args[0].keyword:
                    return UNKNOWN_HEADERS
                given = site.node.args[0].value
                extra = self.headers_value(given, owner, depth + 1)
                if not extra.known:
                    return UNKNOWN_HEADERS
                names = {h.name.lower() for h in extra.items}
                if isinstance(given, cst.Dict):  # `d.update({"If-Match": None})` removes
                    names |= {
                        key.lower()
                        for e in given.elements
                        if isinstance(e, cst.DictElement)
                        and (key := _literal_text(e.key)) is not None
                    }
                items = [h for h in items if h.name.lower() not in names] + list(extra.items)
        if any(self._passed_on(site, name) for site in self._calls_using(name, owner)):
            return UNKNOWN_HEADERS
        return Headers(True, tuple(items))

    # Calls that may be given a headers dict without changing it.
    _READS_HEADERS = frozenset(
        {"print", "len", "dict", "list", "repr", "str", "sorted", "json.dumps", "copy.copy"}
    )
    _LOGS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})

    def _passed_on(self, site: CallSite, name: str) -> bool:
        """`name` (a headers dict) is given to a call that may change it: anything but an
        HTTP request, a logging call or a builtin that only reads it."""
        given = any(isinstance(a.value, cst.Name) and a.value.value == name for a in site.node.args)
        if not given or self.callee_api(site) is not None:
            return False
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self._LOGS:
            return False
        return get_full_name_for_node(func) not in self._READS_HEADERS

    def _attribute_headers(self, node: cst.Attribute, scope: Scope, depth: int) -> Headers:
        """`self.x` in a method: known when `x` is bound once in the class and its family (in
        a method or the class body) to known headers, and never changed in place anywhere in
        the file (`o.x[k] = v`, `del o.x[k]`, `o.x |= v`, `o.x.update(...)`, passed on)."""
        method = scope.function()
        if (
            not isinstance(node.value, cst.Name)
            or method is None
            or method.cls is None
            or method.self_name != node.value.value
        ):
            return UNKNOWN_HEADERS
        attr = node.attr.value
        sources: list[tuple[cst.BaseExpression | None, Scope]] = []
        for member in self._family(method.cls):
            for assignment in member.self_attributes.get(attr, ()):
                sources.append((assignment.value, assignment.scope))
            for binding in member.scope.bindings.get(attr, ()):
                value = binding.node if binding.kind == "assign" else None
                sources.append(
                    (value if isinstance(value, cst.BaseExpression) else None, member.scope)
                )
        if len(sources) != 1 or sources[0][0] is None or attr in self._changed_attributes():
            return UNKNOWN_HEADERS
        value, where = sources[0]
        assert value is not None
        return self.headers_value(value, where, depth + 1)

    def _changed_attributes(self) -> set[str]:
        """Names of attributes whose object the file may change in place (see above)."""
        if self._attribute_changes is None:
            finder = _AttributeChanges()
            visit(self.module, finder)
            changed = finder.changed
            for site in self.visitor.calls:
                func = site.node.func
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Attribute)
                    and func.attr.value not in ("get", "items", "keys", "values", "copy")
                ):
                    changed.add(func.value.attr.value)
                if self.callee_api(site) is None:
                    changed.update(
                        a.value.attr.value
                        for a in site.node.args
                        if isinstance(a.value, cst.Attribute)
                    )
            self._attribute_changes = changed
        return self._attribute_changes

    def _same_binding(self, name: str, scope: Scope, owner: Scope) -> bool:
        found = self.binding_scope(name, scope)
        return found is not None and found[0] is owner


class _AttributeChanges(cst.CSTVisitor):
    """Attributes changed in place by assignment: `o.x[k] = v`, `del o.x[k]`, `o.x |= v`."""

    def __init__(self) -> None:
        self.changed: set[str] = set()

    def _target(self, target: cst.BaseExpression, augmented: bool = False) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value)
            return
        node = target
        while isinstance(node, cst.Subscript):
            node = node.value
        if isinstance(node, cst.Attribute) and (augmented or node is not target):
            self.changed.add(node.attr.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target, augmented=True)

    def visit_Del(self, node: cst.Del) -> None:
        self._target(node.target)


# -- facts --------------------------------------------------------------------------------


def _function_names(scope: Scope) -> tuple[str | None, str | None, bool]:
    function = scope.function()
    cls = scope.cls if scope.cls is not None else (function.cls if function else None)
    if function is None:
        return None, cls.name if cls else None, False
    return function.qualname, cls.name if cls else None, function.is_async


def _header_origin(raw: _Raw) -> tuple[Scope, cst.CSTNode | None]:
    """Where a request's header values are read, and for headers written inside a wrapper
    that the call calls, the function of that wrapper they are written in."""
    if raw.headers_expr is not None and (
        raw.inner is None or raw.headers_expr is not (raw.inner.headers_expr)
    ):
        return raw.headers_expr[1], None
    if raw.inner is not None and raw.headers is raw.inner.headers:
        scope, node = _header_origin(raw.inner)
        if node is None:
            function = (raw.inner.send or raw.inner.site).scope.function()
            node = function.node if function is not None else None
        return scope, node
    return (raw.send or raw.site).scope, None


def build_facts(
    module: cst.Module,
    http_modules: Mapping[str, str] | None = None,
    retry_decorators: Sequence[str] = (),
) -> tuple[list[HttpCall], list[MethodToken]]:
    """Walk `module` once and return its HTTP calls and method tokens."""
    facts = file_facts(module, "<module>", http_modules, retry_decorators)
    return list(facts.calls), list(facts.method_tokens)


def file_facts(
    module: cst.Module,
    path: str,
    http_modules: Mapping[str, str] | None = None,
    retry_decorators: Sequence[str] = (),
) -> FileFacts:
    """Walk `module` once and return everything the rules read about it."""
    from methodlint.recursion import Recursion
    from methodlint.retry import RetryAnalysis, RetryCall
    from methodlint.wrappers import Wrappers, depends_on_caller

    visitor = ScopeVisitor()
    visit(module, visitor)
    resolver = Resolver(module, visitor, http_modules)
    raws = [r for r in resolver.http_calls() if not (r.api.kind == "build" and r.sent)]
    wrappers = Wrappers(resolver, raws)
    raws += wrappers.calls()
    analysis = RetryAnalysis(resolver, retry_decorators)
    # `Retrying(...)(requests.post, url, json=p)`: the HTTP function passed is called with
    # the arguments that follow; its facts point at the whole call.
    alias: dict[int, cst.CSTNode] = {}
    through: dict[int, RetryCall] = {}
    for retry_call in analysis.retry_calls:
        synthetic = cst.Call(func=retry_call.function, args=tuple(retry_call.args))
        site = CallSite(
            synthetic,
            retry_call.site.scope,
            retry_call.site.conditional,
            retry_call.site.seq,
            retry_call.site.block,
        )
        found = resolver.callee_api(site)
        # A function of this module passed by name is a region of the block already (see
        # RetryAnalysis): only requests its caller decides are judged at the block's call.
        made = wrappers.mapped(site)
        if analysis.is_region(retry_call):
            made = [r for r in made if r.inner and depends_on_caller(r.inner)]
        if found is not None and found[0].kind == "send":
            made = [resolver._raw(site, found[0], found[1])]
        alias[id(synthetic)] = retry_call.call
        for raw in made:
            through[id(raw)] = retry_call
            raws.append(raw)
    recursion = Recursion(analysis, wrappers)
    policies, policy_tokens = analysis.policies()
    if not raws and not policies and not policy_tokens:
        return FileFacts(path=path)

    def place(node: cst.CSTNode) -> cst.CSTNode:
        return alias.get(id(node), node)

    http_nodes = {id(r.site.node) for r in raws} | {id(r.send.node) for r in raws if r.send}
    retries: dict[
        int,
        tuple[
            list[RawScope],
            list[tuple[str, cst.Call, cst.CSTNode | None]],
            frozenset[str] | None,
        ],
    ]
    retries = {}
    wanted: list[cst.CSTNode] = []
    scope_memo: dict[int, list[RawScope]] = {}

    def scopes_of(raw: _Raw) -> list[RawScope]:
        """The retry scopes around a request, innermost first: for a call of a wrapper,
        those inside the wrapper around its request, when the caller decides what that
        request is (its method or headers come from the caller), then the caller's own."""
        cached = scope_memo.get(id(raw))
        if cached is None:
            send = raw.send or raw.site
            method = resolver.method_node(raw)
            cached = analysis.scopes(
                send, resolver.request_nodes(raw), method, http_nodes, through.get(id(raw))
            )
            cached += recursion.scopes(raw, method)
            inner = raw.inner
            if inner is not None and depends_on_caller(inner):
                cached = scopes_of(inner) + cached
            scope_memo[id(raw)] = cached
        return cached

    for raw in raws:
        wanted.append(place(raw.site.node))
        if raw.send is not None:
            wanted.append(place(raw.send.node))
        wanted.extend(b[2] for b in raw.bodies)
        wanted.extend(o.node for o, _ in raw.tokens if o.node is not None)
        if raw.url is not None:
            wanted.append(raw.url)
        method = resolver.method_node(raw)
        scopes = scopes_of(raw)
        fresh: list[tuple[str, cst.Call, cst.CSTNode | None]] = []
        header_scope, header_function = _header_origin(raw)
        for header in raw.headers.items:
            remembered = resolver.header_nodes.get(id(header))
            if remembered is not None:
                generated = analysis.fresh_call(remembered[1], header_scope)
                if generated is not None:
                    fresh.append((header.name, generated, header_function))
                    if header_function is not None:
                        wanted.append(header_function)
        arguments = None
        if raw.dynamic and method is not None:
            arguments = analysis.method_arguments(
                method, raw.method_scope or raw.site.scope, raw.api.verbatim
            )
        retries[id(raw)] = (scopes, fresh, arguments)
        for scope in scopes:
            wanted.extend((scope.node, scope.region))
        wanted.extend(node for _, node, _ in fresh)
    wanted.extend(p.node for p in policies)
    wanted.extend(t.node for t in policy_tokens)
    lost_updates = Preconditions(resolver, raws)
    wanted.extend(lost_updates.nodes)
    spans = compute_spans(module, wanted)
    calls: list[HttpCall] = []
    tokens: dict[Span, MethodToken] = {}
    for policy_token in policy_tokens:
        span = spans[id(policy_token.node)]
        tokens[span] = MethodToken(
            value=policy_token.value,
            span=span,
            library=policy_token.library,
            client=policy_token.client,
            verbatim=policy_token.verbatim,
            source=module.code_for_node(policy_token.node),
            constant=policy_token.constant,
            role=policy_token.role,
        )
    for raw in raws:
        call_tokens = []
        for option, verbatim in raw.tokens:
            assert option.node is not None
            span = spans[id(option.node)]
            token = MethodToken(
                value=option.value,
                span=span,
                library=raw.api.library,
                client=raw.client,
                verbatim=verbatim,
                source=module.code_for_node(option.node),
                constant=option.constant,
                upper_called=option.upper_called,
            )
            previous = tokens.get(span)
            if previous is not None and previous.verbatim and not token.verbatim:
                token = previous
            tokens[span] = token
            call_tokens.append(token)
        where = raw.send.scope if raw.send is not None else raw.site.scope
        function, class_name, is_async = _function_names(where)
        scopes, fresh, arguments = retries[id(raw)]
        url = None
        if raw.url is not None:
            url = Url(
                source=module.code_for_node(raw.url),
                span=spans[id(raw.url)],
                literal=string_literal(raw.url),
            )
        calls.append(
            HttpCall(
                library=raw.api.library,
                client=raw.client,
                api=raw.api.name,
                methods=raw.methods,
                method_tokens=tuple(call_tokens),
                method_is_dynamic=raw.dynamic,
                bodies=tuple(
                    Body(name, keyword, spans[id(node)], empty, module.code_for_node(value))
                    for name, keyword, node, empty, value in raw.bodies
                ),
                headers=raw.headers,
                url=url,
                build_site=spans[id(place(raw.site.node))],
                send_site=spans[id(place(raw.send.node))] if raw.send is not None else None,
                is_async=is_async,
                function=function,
                class_name=class_name,
                rejects_body=raw.api.rejects_body,
                retry_scopes=tuple(
                    RetryScope(
                        kind=scope.kind,
                        mechanism=scope.mechanism,
                        span=spans[id(scope.node)],
                        region=spans[id(scope.region)],
                        connect_only=scope.connect_only,
                        method_gated=scope.method_gated,
                        retries_on=scope.retries_on,
                    )
                    for scope in scopes
                ),
                fresh_headers=tuple(
                    FreshValue(name, spans[id(node)], spans[id(function)] if function else None)
                    for name, node, function in fresh
                ),
                method_arguments=arguments,
                via=raw.via,
            )
        )
    calls = [lost_updates.complete(r, c, spans) for r, c in zip(raws, calls, strict=True)]
    calls.sort(key=lambda c: (c.build_site, c.send_site or c.build_site))
    return FileFacts(
        path=path,
        calls=tuple(calls),
        method_tokens=tuple(sorted(tokens.values(), key=lambda t: t.span)),
        retry_policies=tuple(
            RetryPolicy(
                library=p.library,
                name=p.name,
                span=spans[id(p.node)],
                status_methods=p.status_methods,
                method_paths=p.method_paths,
                any_method_paths=p.any_method_paths,
                known=p.known,
            )
            for p in policies
        ),
    )
