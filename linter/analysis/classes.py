"""Resolution, second layer: the module's classes. Their hierarchy, the attributes and methods
of their instances (`self.x`, `Local().x`, `super()`), client subclasses, enums of method names,
annotations and the results of calls (constructors, factories)."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

from methodlint.analysis.literals import is_none, literal_text
from methodlint.analysis.resolution import NameResolution
from methodlint.analysis.scopes import (
    AttributeAssignment,
    ClassInfo,
    Scope,
)
from methodlint.analysis.values import (
    BoundMethod,
    Built,
    ForeignClass,
    ForeignInstance,
    Framework,
    Instance,
    LocalClass,
    LocalFunction,
    Ref,
    SelfOf,
    Text,
    TextOption,
    Value,
)
from methodlint.libraries import (
    CLIENT_METHOD_RESULTS,
    CLIENT_TYPES,
    CONSTRUCTORS,
    FRAMEWORK_TYPES,
    FUNCTIONS,
    TEST_CASE_CLIENTS,
)


class ClassResolution(NameResolution):
    """Classes of the module, on top of names and expressions."""

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
        inherited = self._foreign_member(cls, attr)
        if inherited is not None:
            return inherited
        if attr == "client":
            client = self._test_case_client(cls)
            if client is not None:
                return client
        base = self.client_base(cls)
        return BoundMethod(base, attr) if base is not None else None

    def _test_case_client(self, cls: ClassInfo) -> Instance | None:
        """`self.client` in a Django or DRF test case: its test client."""
        for current in self._ancestors(cls):
            for arg in current.node.bases:
                if arg.keyword is None and not arg.star:
                    base = self.value(arg.value, current.outer)
                    if isinstance(base, Ref) and base.name in TEST_CASE_CLIENTS:
                        client = TEST_CASE_CLIENTS[base.name]
                        return Instance(client, "self.client")
        return None

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
        text = literal_text(node)
        if text is None:
            return None
        return Text((TextOption(text, node, id(node), constant=True),))

    def _foreign_bases(self, cls: ClassInfo) -> list[ForeignClass]:
        """The bases, from other modules of the project, of `cls` and its ancestors here."""
        found: list[ForeignClass] = []
        if self.project is None:
            return found
        for owner in self._ancestors(cls):
            for arg in owner.node.bases:
                if arg.keyword is None and not arg.star:
                    base = self.value(arg.value, owner.outer)
                    if isinstance(base, ForeignClass):
                        found.append(base)
        return found

    def _foreign_member(self, cls: ClassInfo, attr: str) -> Value:
        """What an instance of `cls` inherits from a class of another project module: a
        wrapper method, an attribute its `__init__` sets (`self._requester = requester`)."""
        if self.project is None:
            return None
        for base in self._foreign_bases(cls):
            found = self.project.attribute(ForeignInstance(base.module, base.name), attr)
            if found is not None:
                return found
        return None

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
            elif isinstance(base, ForeignClass) and self.project is not None:
                shape = self.project.class_shape(base)
                if shape is not None and shape.client is not None:
                    return Instance(shape.client[0], shape.client[1])
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
            key = id(node)
            if key in self._parsed_strings:
                parsed = self._parsed_strings[key]
            else:
                text = literal_text(node)
                parsed = None
                if text is not None:
                    try:
                        parsed = cst.parse_expression(text)
                    except Exception:
                        parsed = None
                self._parsed_strings[key] = parsed
            return None if parsed is None else self.annotation_type(parsed, scope)
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
            if isinstance(value, Ref) and value.name in FRAMEWORK_TYPES:
                return Framework(value.name, value.display)
            if isinstance(value, ForeignClass):
                return ForeignInstance(value.module, value.name)
            if isinstance(value, LocalClass):
                return self.local_instance(self._classes[value.key]) or SelfOf(value.key)
            return None
        types = [self.annotation_type(m, scope) for m in members if not is_none(m)]
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
            if callee.name in FRAMEWORK_TYPES:
                return Framework(callee.name, callee.display)
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
        if isinstance(callee, ForeignClass):
            return ForeignInstance(callee.module, callee.name)
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
        if isinstance(first, (Instance, SelfOf, ForeignInstance)) and all(
            v == first for v in values[1:]
        ):
            return first
        return None
