"""The retry analysis: transport retry policies (urllib3 `Retry` and its subclasses,
aiohttp_retry options and `RetryClient`), which methods they re-send and on which paths."""

from __future__ import annotations

import libcst as cst

from methodlint.analysis.retry.loops import LoopScopes
from methodlint.analysis.retry.model import (
    AIOHTTP_RETRY_OPTIONS,
    NOT_PROCESSED,
    URLLIB3_DEFAULT_ALLOWED,
    URLLIB3_RETRY,
    PolicyToken,
    RawPolicy,
    RetryDefault,
    Unreadable,
    int_literal,
)
from methodlint.analysis.scopes import ClassInfo, Scope
from methodlint.analysis.values import ForeignClass


class RetryPolicies(LoopScopes):
    """Retry policies, on top of loops."""

    # -- retry policies -------------------------------------------------------------------

    def policies(self) -> tuple[list[RawPolicy], list[PolicyToken]]:
        policies: list[RawPolicy] = []
        tokens: list[PolicyToken] = []
        subclasses = self._retry_subclasses()
        # The callee's code, for messages: generated only for the calls that are policies.
        display = self.module.code_for_node
        for site in self.visitor.calls:
            call = site.node
            name = self.qualname(call.func, site.scope)
            if name in URLLIB3_RETRY:
                policies.append(self._urllib3(call, site.scope, display(call.func), None, tokens))
                continue
            local = self._local_class(call.func, site.scope)
            if local is not None and id(local) in subclasses:
                default = subclasses[id(local)]
                policies.append(
                    self._urllib3(call, site.scope, display(call.func), default, tokens)
                )
                continue
            foreign = self._foreign_retry(call.func, site.scope)
            if foreign is not None:
                policies.append(
                    self._urllib3(call, site.scope, display(call.func), foreign, tokens)
                )
                continue
            if name is None or not name.startswith("aiohttp_retry"):
                continue
            short = name.rsplit(".", 1)[-1]
            if short in AIOHTTP_RETRY_OPTIONS:
                policy = self._aiohttp_retry(call, site.scope, display(call.func), short, tokens)
                if policy is not None:
                    policies.append(policy)
            elif (
                short == "RetryClient"
                and self._kwarg(call, "retry_options", 2) is None
                and not any(a.star for a in call.args)
            ):
                policies.append(
                    RawPolicy(
                        "aiohttp_retry",
                        display(call.func),
                        call,
                        None,
                        ("retries of any 5xx status (the default ExponentialRetry())",),
                    )
                )
        return policies, tokens

    def _local_class(self, node: cst.BaseExpression, scope: Scope) -> cst.ClassDef | None:
        if not isinstance(node, cst.Name):
            return None
        found = self.resolver.binding_scope(node.value, scope)
        if found is None or len(found[1]) != 1 or found[1][0].kind != "class":
            return None
        cls = found[1][0].cls
        return cls.node if cls is not None else None

    def _retry_subclasses(self) -> dict[int, RetryDefault | None]:
        """Same-file subclasses of urllib3's Retry (or of a project module's subclass), with
        what they change in the default `allowed_methods` (None: nothing)."""
        found: dict[int, RetryDefault | None] = {}
        changed = True
        while changed:
            changed = False
            for cls in self.visitor.classes:
                if id(cls.node) in found:
                    continue
                for base in cls.node.bases:
                    name = self.qualname(base.value, cls.outer)
                    local = self._local_class(base.value, cls.outer)
                    foreign = self._foreign_retry(base.value, cls.outer)
                    inherited = local is not None and id(local) in found
                    if name not in URLLIB3_RETRY and not inherited and foreign is None:
                        continue
                    default = found.get(id(local)) if inherited and local else None
                    if foreign is not None and foreign.changed:
                        default = foreign
                    default = self._own_default(cls, default)
                    found[id(cls.node)] = default
                    changed = True
                    break
        return found

    def _own_default(self, cls: ClassInfo, inherited: RetryDefault | None) -> RetryDefault | None:
        """What a subclass's own body changes: `DEFAULT_ALLOWED_METHODS = ...` (urllib3 1.26
        reads it from `self` at construction; 2.x binds the default argument to the base
        class's set), or an `__init__` that passes or `setdefault`s `allowed_methods` (every
        urllib3 version)."""
        default = inherited
        for attribute in ("DEFAULT_ALLOWED_METHODS", "DEFAULT_METHOD_WHITELIST"):
            for binding in cls.scope.bindings.get(attribute, []):
                if binding.kind == "assign" and isinstance(binding.node, cst.BaseExpression):
                    default = RetryDefault(node=binding.node, scope=cls.scope, only_126=cls.name)
        init = cls.methods.get("__init__")
        if init is None or init.inner is None or not isinstance(init.node, cst.FunctionDef):
            return default
        for site in self.visitor.calls:
            if site.scope is not init.inner:
                continue
            value = self._init_allowed(site.node, init.inner)
            if value is not None:
                node = self._parameter_default(value, init.node)
                default = RetryDefault(node=node, scope=init.inner)
        return default

    def _init_allowed(self, call: cst.Call, scope: Scope) -> cst.BaseExpression | None:
        """In a subclass's `__init__`: the `allowed_methods` it passes to the base class
        (`super().__init__(allowed_methods=...)`, `Retry.__init__(self, allowed_methods=...)`)
        or sets as a default (`kwargs.setdefault("allowed_methods", ...)`)."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value == "__init__":
            for keyword in ("allowed_methods", "method_whitelist"):
                arg = self._kwarg(call, keyword)
                if arg is not None:
                    return arg.value
            return None
        if func.attr.value == "setdefault" and len(call.args) == 2:
            key = call.args[0].value
            if isinstance(key, cst.SimpleString) and key.evaluated_value in (
                "allowed_methods",
                "method_whitelist",
            ):
                return call.args[1].value
        return None

    @staticmethod
    def _parameter_default(
        value: cst.BaseExpression, function: cst.FunctionDef
    ) -> cst.BaseExpression:
        """`allowed_methods=allowed_methods` of a parameter: the parameter's default."""
        if isinstance(value, cst.Name):
            params = function.params
            for param in (*params.params, *params.kwonly_params):
                if param.name.value == value.value and param.default is not None:
                    return param.default
        return value

    def _foreign_retry(self, node: cst.BaseExpression, scope: Scope) -> RetryDefault | None:
        """A Retry subclass of another project module, as its summary describes it."""
        project = self.resolver.project
        if project is None or not project.has_retry_classes:
            return None
        value = self.resolver.value(node, scope)
        if not isinstance(value, ForeignClass):
            return None
        shape = project.class_shape(value)
        if shape is None or shape.retry is None:
            return None
        return RetryDefault.from_shape(shape.retry)

    def _methods_value(
        self,
        node: cst.BaseExpression,
        scope: Scope,
        tokens: list[tuple[str, cst.BaseString, bool]],
        constant: bool = False,
        depth: int = 0,
    ) -> frozenset[str] | None:
        """A methods argument as a set, None for a falsy value (every method); raises
        `Unreadable` when methodlint cannot read it."""
        from methodlint.analysis.literals import literal_text

        if depth > 6:
            raise Unreadable
        if isinstance(node, cst.Name) and node.value in ("None", "False"):
            return None
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            values: set[str] = set()
            for element in node.elements:
                item = element.value
                text = literal_text(item)
                if text is None or not isinstance(item, cst.BaseString):
                    raise Unreadable
                values.add(text)
                tokens.append((text, item, constant))
            return frozenset(values) if values else None
        if isinstance(node, cst.Call):
            name = self.module.code_for_node(node.func)
            if name in ("frozenset", "set", "list", "tuple"):
                if not node.args:
                    return None
                return self._methods_value(node.args[0].value, scope, tokens, constant, depth + 1)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "union":
                result = set(
                    self._methods_value(node.func.value, scope, tokens, constant, depth + 1) or ()
                )
                for arg in node.args:
                    extra = self._methods_value(arg.value, scope, tokens, constant, depth + 1)
                    result |= extra or frozenset()
                return frozenset(result)
            raise Unreadable
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left = self._methods_value(node.left, scope, tokens, constant, depth + 1)
            right = self._methods_value(node.right, scope, tokens, constant, depth + 1)
            return frozenset((left or frozenset()) | (right or frozenset())) or None
        if isinstance(node, (cst.Name, cst.Attribute)):
            text = self.module.code_for_node(node)
            if text.endswith("DEFAULT_ALLOWED_METHODS") or text.endswith(
                "DEFAULT_METHOD_WHITELIST"
            ):
                return URLLIB3_DEFAULT_ALLOWED
            assigned = self._assigned_once(node, scope)
            if assigned is not None:
                return self._methods_value(assigned[0], assigned[1], tokens, True, depth + 1)
        raise Unreadable

    def _urllib3(
        self,
        call: cst.Call,
        scope: Scope,
        display: str,
        default: RetryDefault | None,
        tokens: list[PolicyToken],
    ) -> RawPolicy:
        found: list[tuple[str, cst.BaseString, bool]] = []
        allowed = self._kwarg(call, "allowed_methods") or self._kwarg(call, "method_whitelist")
        known = not any(a.star for a in call.args)
        methods: frozenset[str] | None = URLLIB3_DEFAULT_ALLOWED
        only_126 = None
        try:
            if allowed is not None:
                methods = self._methods_value(allowed.value, scope, found)
            elif default is not None and default.changed:
                methods = self._default_methods(default, found)
                only_126 = default.only_126
        except Unreadable:
            return RawPolicy("urllib3", display, call, frozenset(), known=False)
        finally:
            for value, node, constant in found:
                tokens.append(
                    PolicyToken(value, node, "urllib3", display, True, "allowed-methods", constant)
                )
        total = self._kwarg(call, "total", 0)
        if total is not None and int_literal(total.value) == 0:
            return RawPolicy("urllib3", display, call, methods, only_urllib3_126=only_126)
        paths: list[str] = []
        read = self._kwarg(call, "read")
        if read is None or int_literal(read.value) != 0:
            paths.append("read errors")
        status_off = self._is_value(call, "status", 0)
        forcelist = self._kwarg(call, "status_forcelist")
        if (
            not status_off
            and forcelist is not None
            and not (isinstance(forcelist.value, cst.Name) and forcelist.value.value == "None")
        ):
            codes = self._codes(forcelist.value, scope)
            if codes is None:
                paths.append(f"status retries ({self.module.code_for_node(forcelist.value)})")
            elif not codes <= NOT_PROCESSED:
                listed = ", ".join(str(c) for c in sorted(codes - NOT_PROCESSED))
                paths.append(f"status retries ({listed})")
        return RawPolicy(
            "urllib3",
            display,
            call,
            methods,
            tuple(paths),
            known=known,
            only_urllib3_126=only_126,
        )

    def _default_methods(
        self, default: RetryDefault, found: list[tuple[str, cst.BaseString, bool]]
    ) -> frozenset[str] | None:
        """The default allowed_methods a subclass sets; raises `Unreadable`."""
        if default.node is not None:
            assert isinstance(default.scope, Scope)
            return self._methods_value(default.node, default.scope, found, constant=True)
        if not default.known:
            raise Unreadable
        return default.methods

    def retry_shapes(self) -> dict[int, tuple[str, ...]]:
        """The module's Retry subclasses (by `id` of the class node) as summaries hold them."""
        shapes: dict[int, tuple[str, ...]] = {}
        for key, default in self._retry_subclasses().items():
            if default is None or not default.changed:
                shapes[key] = ("urllib3",)
                continue
            try:
                methods = self._default_methods(default, [])
            except Unreadable:
                shapes[key] = default.shape(None, known=False)
                continue
            shapes[key] = default.shape(methods, known=True)
        return shapes

    def _aiohttp_retry(
        self,
        call: cst.Call,
        scope: Scope,
        display: str,
        kind: str,
        tokens: list[PolicyToken],
    ) -> RawPolicy | None:
        if kind == "ListRetry":
            timeouts = self._kwarg(call, "timeouts", 0)
            if (
                timeouts is not None
                and isinstance(timeouts.value, (cst.List, cst.Tuple))
                and len(timeouts.value.elements) <= 1
            ):
                return None
        elif self._is_value(call, "attempts", 1, 0):
            return None
        known = not any(a.star for a in call.args)
        found: list[tuple[str, cst.BaseString, bool]] = []
        methods_arg = self._kwarg(call, "methods")
        methods: frozenset[str] | None = None
        try:
            if methods_arg is not None:
                methods = self._methods_value(methods_arg.value, scope, found)
        except Unreadable:
            return RawPolicy("aiohttp_retry", display, call, frozenset(), known=False)
        finally:
            for value, node, constant in found:
                tokens.append(
                    PolicyToken(
                        value, node, "aiohttp_retry", display, False, "retry-methods", constant
                    )
                )
        if methods is not None:
            methods = frozenset(m.upper() for m in methods)
        method_paths: list[str] = []
        every = self._kwarg(call, "retry_all_server_errors")
        if every is None or int_literal(every.value) != 0:
            method_paths.append("retries of any 5xx status")
        statuses = self._kwarg(call, "statuses")
        if statuses is not None and not (
            isinstance(statuses.value, cst.Name) and statuses.value.value == "None"
        ):
            codes = self._codes(statuses.value, scope)
            if not codes or not codes <= NOT_PROCESSED:
                method_paths.append(
                    f"retries of status {self.module.code_for_node(statuses.value)}"
                )
        any_paths: list[str] = []
        exceptions = self._kwarg(call, "exceptions")
        if exceptions is not None and not (
            isinstance(exceptions.value, cst.Name) and exceptions.value.value == "None"
        ):
            names = self._exception_names(exceptions.value, scope)
            if not all(self.is_connect_error(n) for n in names):
                any_paths.append(
                    f"exceptions {self.module.code_for_node(exceptions.value)}, for every method"
                )
        callback = self._kwarg(call, "evaluate_response_callback")
        if callback is not None and not (
            isinstance(callback.value, cst.Name) and callback.value.value == "None"
        ):
            any_paths.append("evaluate_response_callback, for every method")
        return RawPolicy(
            "aiohttp_retry",
            display,
            call,
            methods,
            tuple(method_paths),
            tuple(any_paths),
            known,
        )
