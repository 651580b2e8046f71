"""What the module being analysed sees of the other modules of the project: its imports of
them resolved against their summaries (`summary.ModuleSummary`), as abstract values.

`import pkg.http`, `from pkg.http import Client`, `from .session import SESSION` and the names
a package's `__init__.py` re-exports resolve here; every module looked up is remembered
(`used`), so that a cached result can be checked against the summaries it was computed from.

Every question the analysis asks of the other modules goes through a method of the view, and
a view may remember them (`questions`): a module of an import cycle is checked again only
when one of its questions has another answer with its peers' new summaries (`answer`); the
analysis depends on nothing else of them, so the same answers give the same result.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from methodlint.analysis.summary import ClassShape, FunctionShape, ModuleSummary, ValueShape
from methodlint.analysis.values import (
    BoundMethod,
    ForeignClass,
    ForeignDecorator,
    ForeignFunction,
    ForeignInstance,
    ForeignModule,
    Instance,
    Text,
    TextOption,
    Value,
)


class ProjectView:
    """The summaries of the project modules one module imports."""

    def __init__(
        self,
        index: Mapping[str, ModuleSummary],
        module: str | None,
        package: bool,
        imports_used: bool = True,
        record: bool = False,
    ):
        self.index = index
        self.module = module
        self.package = package
        # False when the project run found that the module's bytes use nothing its imports
        # offer (`project_screen`): importing from the index is then no reason to parse it.
        self.imports_used = imports_used
        self.used: set[str] = set()
        # Set by the analysis: the screen found that the module can produce no fact, so it
        # was not parsed and has no summary of its own (the run makes it its re-exports).
        self.screened = False
        self._prefixes = {m.rsplit(".", i)[0] for m in index for i in range(m.count(".") + 1)}
        self._retry_classes: bool | None = None
        # The questions asked, when `record`: (method, *arguments), answered by `answer`.
        self.questions: set[tuple[Hashable, ...]] | None = set() if record else None

    def answer(self, question: tuple[Hashable, ...]) -> object:
        """The answer to a question another view of the same module was asked."""
        kind, *arguments = question
        if kind == "retry classes":
            return self.has_retry_classes
        method = {
            "resolve": self.resolve,
            "attribute": self.attribute,
            "class_shape": self.class_shape,
            "function": self.function,
            "summary": self.summary,
            "has_module": self.has_module,
            "has_prefix": self.has_prefix,
        }[str(kind)]
        return method(*arguments)  # type: ignore[operator]

    def _ask(self, *question: Hashable) -> None:
        if self.questions is not None:
            self.questions.add(question)

    def has_module(self, name: str) -> bool:
        """A module it has the summary of (the screen asks: `screen.IndexNames`)."""
        self._ask("has_module", name)
        return name in self.index

    def has_prefix(self, name: str) -> bool:
        """A module it has the summary of, or a package above one."""
        self._ask("has_prefix", name)
        return name in self._prefixes

    def add(self, summaries: Mapping[str, ModuleSummary]) -> None:
        """Modules outside the project the module sees too (`analysis.models`); the
        project's own modules of the same name win."""
        self.index = {**summaries, **self.index}
        self._prefixes |= {m.rsplit(".", i)[0] for m in summaries for i in range(m.count(".") + 1)}
        self._retry_classes = None

    @property
    def has_retry_classes(self) -> bool:
        """Some module it sees defines a urllib3 Retry subclass."""
        self._ask("retry classes")
        if self._retry_classes is None:
            self._retry_classes = any(
                cls.retry is not None for s in self.index.values() for cls in s.classes.values()
            )
        return self._retry_classes

    def absolute(self, qualname: str) -> str | None:
        """`..x.y` in this module: the absolute name; an absolute name as it is."""
        if not qualname.startswith("."):
            return qualname
        level = len(qualname) - len(qualname.lstrip("."))
        if self.module is None:
            return None
        parts = self.module.split(".")
        if not self.package:
            parts = parts[:-1]
        if level - 1 > len(parts) or (level - 1 == len(parts) and not qualname[level:]):
            return None
        base = parts[: len(parts) - (level - 1)]
        rest = qualname[level:]
        return ".".join([*base, rest] if rest else base) or None

    def resolve(self, qualname: str) -> Value:
        """An imported name of a project module, if it is one."""
        self._ask("resolve", qualname)
        name = self.absolute(qualname)
        if name is None:
            return None
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            module = ".".join(parts[:end])
            if module in self._prefixes:
                value: Value = ForeignModule(module)
                for attr in parts[end:]:
                    value = self.attribute(value, attr)
                return value
        return None

    def summary(self, module: str) -> ModuleSummary | None:
        """A module's whole summary (for `from m import *`)."""
        self._ask("summary", module)
        return self._summary(module)

    def _summary(self, module: str) -> ModuleSummary | None:
        found = self.index.get(module)
        if found is not None:
            self.used.add(module)
        return found

    def attribute(self, base: Value, attr: str) -> Value:
        if isinstance(base, (ForeignModule, ForeignClass, ForeignInstance)):
            self._ask("attribute", base, attr)
        if isinstance(base, ForeignModule):
            submodule = f"{base.name}.{attr}"
            summary = self._summary(base.name)
            if summary is not None:
                if attr in summary.names:
                    return self.shape_value(summary.names[attr])
                if attr in summary.functions:
                    return ForeignFunction(base.name, attr)
                if attr in summary.classes:
                    return ForeignClass(base.name, attr)
            if submodule in self._prefixes:
                return ForeignModule(submodule)
            return None
        if isinstance(base, ForeignClass):
            shape = self.class_shape(base)
            if shape is not None and attr in shape.constants:
                return Text((TextOption(shape.constants[attr], constant=True),))
            return None
        if isinstance(base, ForeignInstance):
            shape = self.class_shape(base)
            if shape is None:
                return None
            if attr in shape.methods:
                module, key = shape.methods[attr]
                return ForeignFunction(module, key, bound=True)
            if attr in shape.attributes:
                return self.shape_value(shape.attributes[attr])
            if attr in shape.constants:
                return Text((TextOption(shape.constants[attr], constant=True),))
            if shape.client is not None:
                return BoundMethod(Instance(shape.client[0], shape.client[1]), attr)
        return None

    def class_shape(self, value: ForeignClass | ForeignInstance) -> ClassShape | None:
        self._ask("class_shape", value)
        summary = self._summary(value.module)
        return summary.classes.get(value.name) if summary is not None else None

    def function(self, value: ForeignFunction) -> FunctionShape | None:
        self._ask("function", value)
        summary = self._summary(value.module)
        return summary.functions.get(value.key) if summary is not None else None

    def instance(self, value: ForeignClass) -> Value:
        """What calling a class of another module makes."""
        return ForeignInstance(value.module, value.name)

    def shape_value(self, shape: ValueShape) -> Value:
        kind = shape[0]
        if kind == "client":
            return Instance(shape[1], shape[2])
        if kind == "instance":
            return ForeignInstance(shape[1], shape[2])
        if kind == "class":
            return ForeignClass(shape[1], shape[2])
        if kind == "function":
            return ForeignFunction(shape[1], shape[2])
        if kind == "module":
            return ForeignModule(shape[1])
        if kind == "text":
            return Text((TextOption(shape[1], constant=True),))
        if kind == "decorator":
            return ForeignDecorator(shape[1] == "connect", shape[2], shape[3] == "factory")
        return None
