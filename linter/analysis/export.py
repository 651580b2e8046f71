"""The summary a module offers the project (`summary.ModuleSummary`), made from what its
analysis found: its request wrappers, its classes and its module-level names that matter."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from methodlint.analysis.foreign import ProjectView
from methodlint.analysis.literals import is_empty_literal, is_none, literal_text
from methodlint.analysis.requests import RawRequest, Resolver
from methodlint.analysis.retry.analysis import RetryAnalysis
from methodlint.analysis.retry.model import RawScope
from methodlint.analysis.scopes import Binding, ClassInfo
from methodlint.analysis.summary import (
    ClassShape,
    FunctionShape,
    ModuleSummary,
    RequestShape,
    ScopeShape,
    ValueShape,
)
from methodlint.analysis.values import (
    ForeignClass,
    ForeignFunction,
    ForeignInstance,
    ForeignModule,
    Instance,
    LocalClass,
    LocalFunction,
    SelfOf,
    Text,
    Value,
)
from methodlint.analysis.wrappers import RequestSummary, Summary, Wrappers, depends_on_caller
from methodlint.methods import is_registered


class Exporter:
    def __init__(
        self,
        module: str,
        resolver: Resolver,
        wrappers: Wrappers,
        scopes_of: Callable[[RawRequest], list[RawScope]],
        analysis: RetryAnalysis | None = None,
    ) -> None:
        self.analysis = analysis
        self.module = module
        self.resolver = resolver
        self.wrappers = wrappers
        self.scopes_of = scopes_of
        self.functions: dict[str, FunctionShape] = {}
        self._retry_shapes: dict[int, tuple[str, ...]] | None = None

    def summary(self) -> ModuleSummary:
        for summary in self.wrappers.summaries():
            self.functions[summary.qualname] = self._function(summary)
        classes = {}
        for cls in self.resolver.visitor.classes:
            if cls.outer.kind == "module":
                shape = self._class(cls)
                if shape is not None:
                    classes[cls.name] = shape
        names = self._names()
        for name, star_shape in self._star_names().items():
            names.setdefault(name, star_shape)
        return ModuleSummary(self.module, names, self.functions, classes, self._exports())

    def _star_names(self) -> dict[str, ValueShape]:
        """What `from m import *` of project modules binds here, and so re-exports."""
        project = self.resolver.project
        found: dict[str, ValueShape] = {}
        if project is None:
            return found
        bound = self.resolver.visitor.module_scope.bindings
        for star in self.resolver.visitor.star_imports:
            module = project.absolute(star)
            summary = project.summary(module) if module is not None else None
            if summary is None:
                continue
            for name, shape in summary.star_exports().items():
                if name not in bound:
                    found[name] = shape
        return found

    def _exports(self) -> tuple[str, ...] | None:
        """`__all__`, when the module binds it once to a literal list or tuple of names."""
        bindings = self.resolver.visitor.module_scope.bindings.get("__all__", [])
        if len(bindings) != 1 or not isinstance(bindings[0].node, (cst.List, cst.Tuple)):
            return None
        names = [literal_text(e.value) for e in bindings[0].node.elements]
        if any(n is None for n in names):
            return None
        return tuple(sorted(n for n in names if n is not None))

    # -- wrappers ---------------------------------------------------------------------------

    def _function(self, summary: Summary) -> FunctionShape:
        signature = summary.signature
        return FunctionShape(
            qualname=summary.qualname,
            positional=tuple(signature.positional),
            keyword_only=tuple(signature.keyword_only),
            positional_only=signature.positional_only,
            defaults={n: _describe(d) for n, d in signature.defaults.items()},
            star=signature.star,
            star_kwarg=signature.star_kwarg,
            bound=summary.outer.kind == "class",
            requests=tuple(self._request(summary, r) for r in summary.requests),
        )

    def _request(self, summary: Summary, request: RequestSummary) -> RequestShape:
        raw = request.raw
        bodies = [
            (raw.bodies[index][0], raw.bodies[index][1], parameter)
            for index, parameter in request.bodies.items()
        ]
        for index, parameters in request.body_parameters.items():
            bodies.extend((raw.bodies[index][0], raw.bodies[index][1], p) for p in parameters)
        edits = request.header_edits
        scopes: tuple[ScopeShape, ...] = ()
        if depends_on_caller(raw):
            scopes = tuple(
                ScopeShape(
                    s.kind,
                    s.mechanism,
                    s.connect_only,
                    s.method_gated,
                    s.retries_on,
                    s.within or summary.qualname,
                )
                for s in self.scopes_of(raw)
            )
        return RequestShape(
            api=raw.api,
            client=raw.client,
            methods=tuple(sorted(raw.methods)) if not raw.dynamic else (),
            dynamic=raw.dynamic,
            method_param=request.method,
            method_upper=request.method_upper,
            url_param=request.url,
            body_params=tuple(bodies),
            kwargs=request.kwargs,
            headers_param=request.headers,
            header_edits=None
            if edits is None
            else tuple((e.key, e.conditional, e.value is None) for e in edits),
            headers_known=raw.headers.known,
            header_names=tuple(h.name for h in raw.headers.items),
            scopes=scopes,
            via=raw.via,
            returns_content=self.wrappers.returns_content(summary, raw),
            guards=tuple(request.guards),
        )

    # -- classes and names ------------------------------------------------------------------

    def _class(self, cls: ClassInfo) -> ClassShape | None:
        resolver = self.resolver
        methods: dict[str, tuple[str, str]] = {}
        attributes: dict[str, ValueShape] = {}
        constants: dict[str, str] = {}
        client = None
        # Inherited from classes of other modules first, then this class's own.
        for base in reversed(resolver._foreign_bases(cls)):
            inherited = resolver.project.class_shape(base) if resolver.project else None
            if inherited is not None:
                methods.update(inherited.methods)
                attributes.update(inherited.attributes)
                constants.update(inherited.constants)
                client = inherited.client or client
        for owner in reversed(resolver._ancestors(cls)):
            for name, binding in owner.methods.items():
                wrapper = self.wrappers.summary(binding)
                if wrapper is not None:
                    methods[name] = (self.module, wrapper.qualname)
                else:
                    methods.pop(name, None)  # overridden by a method that sends nothing
            for name, bindings in owner.scope.bindings.items():
                if len(bindings) == 1 and bindings[0].kind == "assign":
                    text = _method_name(bindings[0].node)
                    if text is not None:
                        constants[name] = text
        for member in resolver._family(cls):
            for attr in member.self_attributes:
                shape = self._value(resolver._member(cls, attr))
                if shape is not None:
                    attributes[attr] = shape
        library = resolver.client_base(cls)
        if library is not None:
            client = (library.type, library.display)
        retry = self._retry_shape(cls)
        if not (methods or attributes or constants or client or retry):
            return None
        return ClassShape(cls.name, methods, attributes, client, constants, retry)

    def _retry_shape(self, cls: ClassInfo) -> tuple[str, ...] | None:
        if self.analysis is None:
            return None
        if self._retry_shapes is None:
            self._retry_shapes = self.analysis.retry_shapes()
        return self._retry_shapes.get(id(cls.node))

    def _names(self) -> dict[str, ValueShape]:
        names: dict[str, ValueShape] = {}
        scope = self.resolver.visitor.module_scope
        for name, bindings in scope.bindings.items():
            if len(bindings) != 1:
                continue
            decorator = self._decorator(bindings[0])
            if decorator is not None:
                names[name] = decorator
                continue
            if bindings[0].kind not in ("assign", "import"):
                continue
            binding = bindings[0]
            if binding.kind == "assign":
                text = _method_name(binding.node)
                if text is not None:
                    names[name] = ("text", text)
                    continue
            shape = self._value(self.resolver.lookup(name, scope))
            if shape is not None:
                names[name] = shape
        return names

    def _decorator(self, binding: Binding) -> ValueShape | None:
        """A module-level retry decorator (`retry_api = tenacity.retry(...)`) or a function
        that returns one (`def with_retries(): return backoff.on_exception(...)`)."""
        if self.analysis is None:
            return None
        spec = None
        kind = "decorator"
        if binding.kind == "assign" and isinstance(binding.node, cst.BaseExpression):
            spec = self.analysis.spec_for(binding.node, binding.scope)
        elif (
            binding.kind == "def"
            and binding.inner is not None
            and isinstance(binding.node, cst.FunctionDef)
        ):
            spec = self.analysis.decorator_spec(binding.node, binding.inner)
            if spec is None:
                kind = "factory"
                for returned in binding.inner.returns:
                    spec = self.analysis.spec_for(returned, binding.inner)
                    if spec is None:
                        local = self.analysis._local_function(returned, binding.inner)
                        spec = self.analysis.decorator_spec(*local) if local else None
                    if spec is not None:
                        break
        if spec is None or spec.single:
            return None
        return ("decorator", "connect" if spec.connect_only else "any", spec.retries_on, kind)

    def _value(self, value: Value) -> ValueShape | None:
        if isinstance(value, Instance):
            if value.local is not None:
                cls = self.resolver._classes.get(value.local)
                if cls is not None and cls.outer.kind == "module":
                    return ("instance", self.module, cls.name)
            return ("client", value.type, value.display)
        if isinstance(value, SelfOf):
            cls = self.resolver._classes.get(value.key)
            if cls is not None and cls.outer.kind == "module":
                return ("instance", self.module, cls.name)
            return None
        if isinstance(value, ForeignInstance):
            return ("instance", value.module, value.name)
        if isinstance(value, ForeignClass):
            return ("class", value.module, value.name)
        if isinstance(value, ForeignFunction) and not value.bound:
            return ("function", value.module, value.key)
        if isinstance(value, ForeignModule):
            return ("module", value.name)
        if isinstance(value, LocalClass):
            cls = self.resolver._classes.get(value.key)
            if cls is not None and cls.outer.kind == "module":
                return ("class", self.module, cls.name)
        if isinstance(value, LocalFunction):
            binding = self.resolver._functions.get(value.key)
            wrapper = self.wrappers.summary(binding) if binding is not None else None
            if wrapper is not None and wrapper.outer.kind == "module":
                return ("function", self.module, wrapper.qualname)
        if isinstance(value, Text) and len(value.options) == 1:
            text = value.options[0].value
            if is_registered(text.upper()):
                return ("text", text)
        return None


def _method_name(node: cst.CSTNode | None) -> str | None:
    """A string literal that is the name of a registered HTTP method, in any letter case."""
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    text = literal_text(node)
    if text is None or not is_registered(text.upper()):
        return None
    return text


def _describe(default: cst.BaseExpression) -> str:
    if is_none(default):
        return "none"
    if isinstance(default, cst.Name) and default.value in ("True", "False"):
        return default.value.lower()
    if is_empty_literal(default):
        return "empty"
    text = literal_text(default)
    return f"text:{text}" if text is not None else "other"


def export(
    module: str,
    resolver: Resolver,
    wrappers: Wrappers,
    scopes_of: Callable[[RawRequest], list[RawScope]],
    analysis: RetryAnalysis | None = None,
) -> ModuleSummary:
    return Exporter(module, resolver, wrappers, scopes_of, analysis).summary()


__all__ = ["ProjectView", "export"]
