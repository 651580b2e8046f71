"""Resolution, first layer: scopes' bindings and the abstract values of expressions.

Works on what `scopes.ScopeVisitor` recorded in its one pass. A call is an HTTP call only when
its callee resolves, through imports, assignments, parameters' annotations, `self` attributes,
same-file classes and factories, to a request-making callable of `libraries.py`. Anything that
cannot be followed is unknown, and unknown is never an HTTP call. The layers: names and
expressions here, classes (`classes.py`), headers (`headers.py`), requests (`requests.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.analysis.literals import is_none, literal_text, sends_nothing
from methodlint.analysis.preconditions import string_literal
from methodlint.analysis.scopes import (
    Binding,
    CallSite,
    ClassInfo,
    Mutation,
    Scope,
    ScopeVisitor,
)
from methodlint.analysis.values import (
    ABSENT,
    IN_PROGRESS,
    REQUESTS_MODULES,
    BoundMethod,
    ForeignClass,
    ForeignInstance,
    ForeignModule,
    Framework,
    Instance,
    LocalClass,
    LocalFunction,
    Ref,
    SelfOf,
    Text,
    TextOption,
    Value,
    same_api,
)

if TYPE_CHECKING:
    from methodlint.analysis.foreign import ProjectView
    from methodlint.analysis.requests import RawRequest

from methodlint.facts import (
    Header,
)
from methodlint.libraries import (
    FRAMEWORK_ATTRIBUTES,
    FRAMEWORK_HELPER_MODULES,
    FRAMEWORK_MODULES,
    HELPER_MODULES,
    HTTP_MODULES,
    canonical,
)


class NameResolution:
    """Names and expressions: what a name is bound to where it is used, and the abstract
    value of an expression (the first layer of `requests.Resolver`)."""

    def __init__(
        self,
        module: cst.Module,
        visitor: ScopeVisitor,
        http_modules: Mapping[str, str] | None = None,
        project: ProjectView | None = None,
    ) -> None:
        self.module = module
        self.visitor = visitor
        # The other modules of the project this one imports (None: the file alone).
        self.project = project
        # Whether a call passes what it is given on to a request: a call of a request
        # wrapper of the module (set by `wrappers.Wrappers`).
        self.passes_to_request: Callable[[CallSite], bool] = lambda site: False
        self.http_modules = dict(http_modules or {})
        self._roots = (
            set(HTTP_MODULES)
            | set(HELPER_MODULES)
            | set(FRAMEWORK_MODULES)
            | set(FRAMEWORK_HELPER_MODULES)
            | set(self.http_modules)
        )
        self._memo: dict[tuple[int, int], object] = {}
        # String annotations parsed once each (by the string node), so that resolving one
        # again meets the same nodes and the memo above ends any cycle through it.
        self._parsed_strings: dict[int, cst.BaseExpression | None] = {}
        self._classes = {id(c.node): c for c in visitor.classes}
        self._functions: dict[int, Binding] = {}
        self._builds: dict[int, RawRequest] = {}
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

    def _import_ref(self, qualname: str) -> Value:
        top = qualname.split(".")[0]
        if top not in self._roots:
            return self.project.resolve(qualname) if self.project is not None else None
        for alias, library in self.http_modules.items():
            if qualname == alias or qualname.startswith(alias + "."):
                return Ref(canonical(library + qualname[len(alias) :]), qualname)
        return Ref(canonical(qualname), qualname)

    def empty_body(
        self, name: str, value: cst.BaseExpression, scope: Scope | None, depth: int = 0
    ) -> bool:
        """A body argument that sends nothing (`sends_nothing`), or a name every binding of
        which is an assignment of such a value (`body_params = None` passed as `json=`)."""
        if sends_nothing(name, value):
            return True
        if not isinstance(value, cst.Name) or scope is None or depth > 4:
            return False
        found = self.binding_scope(value.value, scope)
        if found is None or not found[1]:
            return False
        for binding in found[1]:
            if binding.kind != "assign" or not isinstance(binding.node, cst.BaseExpression):
                return False
            if not self.empty_body(name, binding.node, found[0], depth + 1):
                return False
        return True

    def star_imported(self, name: str) -> Value:
        """A name no statement of the module binds, from a project module it imports with
        `from m import *`: one that `m.__all__` lists, or any public name without it."""
        if self.project is None or not self.visitor.star_imports:
            return None
        for star in reversed(self.visitor.star_imports):  # the last import wins
            module = self.project.absolute(star)
            summary = self.project.summary(module) if module is not None else None
            if summary is None or not summary.exports_name(name):
                continue
            return self.project.resolve(f"{module}.{name}")
        return None

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
            return self.star_imported(name)
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
        found: list[Value] = [v for v in values if v is not ABSENT]  # type: ignore[misc]
        if not found:
            return None
        sessions = [v for v in found if isinstance(v, Instance) and v.type == "requests.Session"]
        if sessions:
            found = [v for v in found if not (isinstance(v, Ref) and v.name in REQUESTS_MODULES)]
        first = found[0]
        if first is None or any(not same_api(v, first) for v in found[1:]):
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
        target, `ABSENT` for `None`, else the value's (`name` is the target, for
        `x = x or Client()`)."""
        if annotation is not None:
            declared = self.annotation_type(annotation, scope)
            if declared is not None:
                return declared
        if value is None:
            return None
        if is_none(value) or self._is_sentinel(value, scope):
            return ABSENT
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
            if is_none(current) or (isinstance(current, cst.Name) and current.value == name):
                values.append(ABSENT)
            else:
                values.append(self.value(current, scope))
        if all(v is ABSENT for v in values):
            return ABSENT
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
                # Python evaluates a parameter's annotation where the function is defined:
                # in `def f(queue: "queue.Queue")` the name is the module, not the parameter.
                return self.annotation_type(annotation.annotation, scope.parent or scope)
            default = binding.node.default
            if default is not None and is_none(default):
                # `def f(session=None): if session is None: session = requests.Session()`:
                # an optional parameter the function fills with a client when it is absent
                # holds that kind of client; alone, it stays unknown.
                return ABSENT
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
        if cached is IN_PROGRESS:
            return None
        if cached is not None or key in self._memo:
            return cached  # type: ignore[return-value]
        self._memo[key] = IN_PROGRESS
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
            text = literal_text(node)
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
            return None if found is ABSENT else found  # type: ignore[return-value]
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
        if isinstance(base, (ForeignModule, ForeignClass, ForeignInstance)):
            return self.project.attribute(base, attr) if self.project is not None else None
        if isinstance(base, Framework):
            inner = FRAMEWORK_ATTRIBUTES.get((base.type, attr))
            if inner is not None:
                return Framework(inner, f"{base.display}.{attr}")
            return Ref(f"{base.type}.{attr}", f"{base.display}.{attr}")
        return None

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

    # -- implemented by the layers above (classes.py, headers.py, requests.py) -----------

    def _member(self, cls: ClassInfo, attr: str) -> Value:
        raise NotImplementedError

    def _enum_member(self, cls: ClassInfo, attr: str) -> Value:
        raise NotImplementedError

    def local_instance(self, cls: ClassInfo) -> Instance | None:
        raise NotImplementedError

    def annotation_type(self, node: cst.BaseExpression, scope: Scope) -> Value:
        raise NotImplementedError

    def call_result(self, call: cst.Call, scope: Scope) -> Value:
        raise NotImplementedError
