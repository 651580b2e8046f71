"""One pass over a module: scopes, name bindings and call sites, without metadata providers.

The visitor records what each name is bound to in each scope (imports, assignments, `with`
targets, parameters, functions, classes) and every call with the scope it runs in. Nothing
is resolved here: `calls.py` evaluates the recorded expressions afterwards, so a binding made
after its use in the source (a module-level session used inside a function defined earlier)
resolves as Python would at run time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node


@dataclass(eq=False)
class Binding:
    """What one statement binds a name to. `kind` says how to read `node`:

    import: `qualname`; assign / with: `node` is the value expression; param: `node` is the
    `Param`; annotation: `node` is an annotation expression; def: `node` is the `FunctionDef`
    and `inner` its scope; class: `cls`; unknown: anything methodlint does not follow.
    """

    kind: str
    scope: Scope
    node: cst.CSTNode | None = None
    qualname: str | None = None
    annotation: cst.BaseExpression | None = None  # assign: `x: annotation = value`
    inner: Scope | None = None
    cls: ClassInfo | None = None
    # Where the binding happens in the walk (the module's clock), and for a `with` target the
    # clock at the end of the `with` body: inside it, the name is the target unless rebound.
    seq: int = 0
    until: int | None = None


@dataclass(eq=False)
class AttributeAssignment:
    """`self.x = value` (or `self.x: annotation = value`) in a method; `value` is None when
    the assignment is one methodlint does not follow (unpacking, `+=`, a `with` or `for`)."""

    value: cst.BaseExpression | None
    scope: Scope
    annotation: cst.BaseExpression | None = None
    block: Block | None = None  # the innermost enclosing block


@dataclass(eq=False)
class ClassInfo:
    name: str
    node: cst.ClassDef
    scope: Scope  # the class body
    outer: Scope  # where the class statement is
    # `self.x = value` in any method: attribute name -> assignments.
    self_attributes: dict[str, list[AttributeAssignment]] = field(default_factory=dict)
    methods: dict[str, Binding] = field(default_factory=dict)


@dataclass(eq=False)
class Scope:
    kind: str  # module, class, function, lambda, comprehension
    parent: Scope | None
    qualname: str
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    cls: ClassInfo | None = None  # for class bodies: the class; for methods: their class
    self_name: str | None = None  # a method's first parameter
    node: cst.CSTNode | None = None
    returns: list[cst.BaseExpression] = field(default_factory=list)
    yields: list[cst.BaseExpression | None] = field(default_factory=list)
    # Counts bindings and calls in walk order; shared by every scope of a module.
    clock: list[int] = field(default_factory=lambda: [0])

    def __post_init__(self) -> None:
        if self.parent is not None:
            self.clock = self.parent.clock

    def tick(self) -> int:
        self.clock[0] += 1
        return self.clock[0]

    def bind(self, name: str, binding: Binding) -> None:
        binding.seq = self.tick()
        target = self
        if name in self.global_names:
            target = self.module()
        elif name in self.nonlocal_names:
            outer = self.parent
            while outer is not None and outer.kind == "class":
                outer = outer.parent
            target = outer or self.module()
        self_bindings = target.bindings.setdefault(name, [])
        self_bindings.append(binding)

    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def function(self) -> Scope | None:
        """The nearest enclosing function scope (itself for a function)."""
        scope: Scope | None = self
        while scope is not None and scope.kind not in ("function", "module"):
            scope = scope.parent
        return scope if scope is not None and scope.kind == "function" else None


@dataclass(eq=False)
class Block:
    """A compound statement (or function, lambda, `except`, `else`, `finally` part) that
    encloses code: a chain from the innermost outwards, for the retry analysis."""

    node: cst.CSTNode
    parent: Block | None

    def chain(self) -> Iterator[cst.CSTNode]:
        block: Block | None = self
        while block is not None:
            yield block.node
            block = block.parent


@dataclass(eq=False)
class CallSite:
    node: cst.Call
    scope: Scope
    conditional: bool  # inside an if/for/while/try handler/match of its function
    seq: int = 0  # the module's clock when the walk reached the call
    block: Block | None = None  # the innermost enclosing block


@dataclass(eq=False)
class Mutation:
    """`name[key] = value`, `name |= ...` or `del name[key]` on a plain name."""

    name: str
    scope: Scope
    key: cst.BaseExpression | None
    value: cst.BaseExpression | None
    conditional: bool


class ScopeVisitor(cst.CSTVisitor):
    """Builds scopes, bindings, call sites and dict mutations in one walk."""

    def __init__(self) -> None:
        self.module_scope = Scope("module", None, "")
        self.scope = self.module_scope
        self.calls: list[CallSite] = []
        self.mutations: list[Mutation] = []
        # Every assignment, augmented assignment and `del`, for what changes in place.
        self.assignments: list[cst.Assign | cst.AugAssign | cst.Del] = []
        self.classes: list[ClassInfo] = []
        # Attribute reads (`request.form`), for what route handlers read of the request, and
        # the top-level modules imported anywhere (`flask`), to skip that analysis cheaply.
        self.attributes: list[tuple[cst.Attribute, Scope, Block | None]] = []
        # Conditional expressions, for body reads under a test of the request method.
        self.conditional_expressions: list[cst.IfExp] = []
        self.functions: list[Binding] = []
        self.imported: set[str] = set()
        # `from m import *` at module level: the modules, relative ones with their dots.
        self.star_imports: list[str] = []
        self._conditional = [0]
        self._with_targets: list[list[Binding]] = []
        self.block: Block | None = None
        self.scopes: list[Scope] = [self.module_scope]

    # -- blocks ---------------------------------------------------------------------------

    def _enter(self, node: cst.CSTNode) -> None:
        self.block = Block(node, self.block)

    def _leave(self, node: cst.CSTNode) -> None:
        assert self.block is not None and self.block.node is node
        self.block = self.block.parent

    def visit_Try(self, node: cst.Try) -> None:
        self._enter(node)

    def leave_Try(self, original_node: cst.Try) -> None:
        self._leave(original_node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._enter(node)

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._leave(original_node)

    def visit_Else(self, node: cst.Else) -> None:
        self._enter(node)

    def leave_Else(self, original_node: cst.Else) -> None:
        self._leave(original_node)

    def visit_Finally(self, node: cst.Finally) -> None:
        self._enter(node)

    def leave_Finally(self, original_node: cst.Finally) -> None:
        self._leave(original_node)

    # -- scopes ---------------------------------------------------------------------------

    def _push(self, scope: Scope) -> None:
        self.scopes.append(scope)
        self.scope = scope
        if scope.kind == "function":
            self._conditional.append(0)

    def release(self) -> None:
        """Break the scopes' reference cycles (a binding names its scope, a class its body,
        the body and methods their class) once the module's facts are made: the module's
        tree is then freed as soon as the analysis lets go of it, instead of by the next
        collection of the garbage collector, which walks every node of the tree."""
        for scope in self.scopes:
            scope.bindings = {}
            scope.cls = None
        for info in self.classes:
            info.methods = {}
            info.self_attributes = {}
        self.scopes = []

    def _pop(self) -> None:
        assert self.scope.parent is not None
        if self.scope.kind == "function":
            self._conditional.pop()
        self.scope = self.scope.parent

    def _qualname(self, name: str) -> str:
        base = self.scope.qualname
        return f"{base}.{name}" if base else name

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._enter(node)
        outer = self.scope
        body = Scope("class", outer, self._qualname(node.name.value), node=node)
        info = ClassInfo(node.name.value, node, body, outer)
        body.cls = info
        self.classes.append(info)
        outer.bind(node.name.value, Binding("class", outer, node, cls=info))
        self._push(body)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._leave(original_node)
        self._pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter(node)
        outer = self.scope
        inner = Scope(
            "function",
            outer,
            self._qualname(node.name.value),
            is_async=node.asynchronous is not None,
            node=node,
        )
        binding = Binding("def", outer, node, inner=inner)
        outer.bind(node.name.value, binding)
        self.functions.append(binding)
        params = node.params
        ordered = [*params.posonly_params, *params.params]
        if outer.kind == "class" and outer.cls is not None:
            inner.cls = outer.cls
            outer.cls.methods[node.name.value] = binding
            is_static = any(
                get_full_name_for_node(d.decorator) == "staticmethod" for d in node.decorators
            )
            if ordered and not is_static:
                inner.self_name = ordered[0].name.value
        every = [*ordered, *params.kwonly_params]
        if isinstance(params.star_arg, cst.Param):
            every.append(params.star_arg)
        if params.star_kwarg is not None:
            every.append(params.star_kwarg)
        for param in every:
            inner.bind(param.name.value, Binding("param", inner, param))
        self._push(inner)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave(original_node)
        self._pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter(node)
        inner = Scope("lambda", self.scope, self._qualname("<lambda>"), node=node)
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            inner.bind(param.name.value, Binding("unknown", inner))
        self._push(inner)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._leave(original_node)
        self._pop()

    def _visit_comprehension(self, node: cst.CSTNode) -> None:
        self._push(Scope("comprehension", self.scope, self.scope.qualname, node=node))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._visit_comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._visit_comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._visit_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._visit_comprehension(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._pop()

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._pop()

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._pop()

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._pop()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, Binding("unknown", self.scope))

    # -- conditional depth ----------------------------------------------------------------

    # If, while, for, match and exception handlers make a branch conditional.

    def visit_If(self, node: cst.If) -> None:
        self._enter(node)
        self._conditional[-1] += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._leave(original_node)
        self._conditional[-1] -= 1

    def visit_While(self, node: cst.While) -> None:
        self._enter(node)
        self._conditional[-1] += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._leave(original_node)
        self._conditional[-1] -= 1

    def visit_Match(self, node: cst.Match) -> None:
        self._conditional[-1] += 1

    def leave_Match(self, original_node: cst.Match) -> None:
        self._conditional[-1] -= 1

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._enter(node)
        self._conditional[-1] += 1

    def leave_ExceptStarHandler(self, original_node: cst.ExceptStarHandler) -> None:
        self._leave(original_node)
        if original_node.name is not None:
            self._bind_target(original_node.name.name, Binding("unknown", self.scope))
        self._conditional[-1] -= 1

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._enter(node)
        self._conditional[-1] += 1

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._leave(original_node)
        if original_node.name is not None:
            self._bind_target(original_node.name.name, Binding("unknown", self.scope))
        self._conditional[-1] -= 1

    def visit_For(self, node: cst.For) -> None:
        self._enter(node)
        self._bind_target(node.target, Binding("unknown", self.scope))
        self._conditional[-1] += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._leave(original_node)
        self._conditional[-1] -= 1

    # -- bindings -------------------------------------------------------------------------

    def _bind_target(self, target: cst.CSTNode, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, binding)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value, Binding("unknown", self.scope))
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, Binding("unknown", self.scope))
        elif isinstance(target, cst.Attribute):
            self._assign_attribute(target, None)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = get_full_name_for_node(alias.name) or ""
            self.imported.add(full.split(".")[0])
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.scope.bind(
                    alias.asname.name.value, Binding("import", self.scope, qualname=full)
                )
            else:
                top = full.split(".")[0]
                self.scope.bind(top, Binding("import", self.scope, qualname=top))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            if self.scope is self.module_scope:
                module = get_full_name_for_node(node.module) if node.module is not None else ""
                self.star_imports.append("." * len(node.relative) + (module or ""))
            return
        module = get_full_name_for_node(node.module) if node.module is not None else None
        relative = bool(node.relative)
        if module is not None and not relative:
            self.imported.add(module.split(".")[0])
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            bound = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
            if relative:
                # `from ..m import x`: resolved against the module's own name, when the
                # project index knows it (`foreign.ProjectView`); `..m.x` until then.
                dots = "." * len(node.relative)
                target = f"{dots}{module}.{name}" if module else f"{dots}{name}"
                self.scope.bind(bound, Binding("import", self.scope, qualname=target))
            elif module is None:
                self.scope.bind(bound, Binding("unknown", self.scope))
            else:
                self.scope.bind(bound, Binding("import", self.scope, qualname=f"{module}.{name}"))

    def visit_Assign(self, node: cst.Assign) -> None:
        self.assignments.append(node)
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value, node.annotation.annotation)
        elif isinstance(node.target, cst.Name):
            self.scope.bind(
                node.target.value,
                Binding("annotation", self.scope, node.annotation.annotation),
            )

    def _assign(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(
                target.value, Binding("assign", self.scope, value, annotation=annotation)
            )
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            if (
                values is not None
                and len(values) == len(target.elements)
                and not any(isinstance(e, cst.StarredElement) for e in (*values, *target.elements))
            ):
                for t, v in zip(target.elements, values, strict=True):
                    self._assign(t.value, v.value)
            else:
                self._bind_target(target, Binding("unknown", self.scope))
        elif isinstance(target, cst.Attribute):
            self._assign_attribute(target, value, annotation)
            self._mutate_object(target)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            key = None
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                key = target.slice[0].slice.value
            self.mutations.append(
                Mutation(target.value.value, self.scope, key, value, self._conditional[-1] > 0)
            )
        elif isinstance(target, cst.Subscript):
            self._mutate_object(target)

    def _mutate_object(self, target: cst.Attribute | cst.Subscript) -> None:
        """`name.attr = ...` or `name.attr[key] = ...`: the object `name` (a request built
        earlier, say) changed in a way methodlint does not follow."""
        root: cst.BaseExpression = target
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if isinstance(root, cst.Name) and root.value != self.scope.self_name:
            self.mutations.append(
                Mutation(root.value, self.scope, None, None, self._conditional[-1] > 0)
            )

    def _assign_attribute(
        self,
        target: cst.Attribute,
        value: cst.BaseExpression | None,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        if not isinstance(target.value, cst.Name):
            return
        name = target.value.value
        # The method whose `self` this is: the nearest scope binding the name (a closure or
        # comprehension inside a method sees the method's `self`).
        function: Scope | None = self.scope
        while function is not None and name not in function.bindings:
            function = function.parent
            if function is not None and function.kind == "class":
                return
        if function is not None and function.cls is not None and function.self_name == name:
            function.cls.self_attributes.setdefault(target.attr.value, []).append(
                AttributeAssignment(value, self.scope, annotation, self.block)
            )

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.assignments.append(node)
        if isinstance(node.target, cst.Name):
            self.scope.bind(node.target.value, Binding("unknown", self.scope))
            self.mutations.append(
                Mutation(node.target.value, self.scope, None, None, self._conditional[-1] > 0)
            )
        elif isinstance(node.target, cst.Attribute):
            self._assign_attribute(node.target, None)  # rebinding: no longer one value

    def visit_Del(self, node: cst.Del) -> None:
        self.assignments.append(node)
        target = node.target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.mutations.append(
                Mutation(target.value.value, self.scope, None, None, self._conditional[-1] > 0)
            )
        else:
            self._bind_target(target, Binding("unknown", self.scope))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        if isinstance(node.target, cst.Name):
            scope.bind(node.target.value, Binding("assign", scope, node.value))

    def visit_With(self, node: cst.With) -> None:
        self._enter(node)
        self._with_targets.append([])

    def leave_With(self, original_node: cst.With) -> None:
        self._leave(original_node)
        end = self.scope.tick()
        for binding in self._with_targets.pop():
            binding.until = end

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            target = node.asname.name
            if isinstance(target, cst.Name):
                binding = Binding("with", self.scope, node.item)
                self.scope.bind(target.value, binding)
                if self._with_targets:
                    self._with_targets[-1].append(binding)
            else:
                self._bind_target(target, Binding("unknown", self.scope))

    def visit_Global(self, node: cst.Global) -> None:
        self.scope.global_names.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.scope.nonlocal_names.update(item.name.value for item in node.names)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.scope.bind(node.name.value, Binding("unknown", self.scope))

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.scope.bind(node.name.value, Binding("unknown", self.scope))

    def visit_Return(self, node: cst.Return) -> None:
        function = self.scope.function()
        if function is not None and node.value is not None:
            function.returns.append(node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        function = self.scope.function()
        if function is not None:
            value = node.value
            function.yields.append(None if isinstance(value, cst.From) else value)

    # -- calls ----------------------------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append((node, self.scope, self.block))

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.conditional_expressions.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        site = CallSite(node, self.scope, self._conditional[-1] > 0, self.scope.tick(), self.block)
        self.calls.append(site)
