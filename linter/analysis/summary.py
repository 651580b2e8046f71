"""Module summaries: what one module offers the rest of the project (engine.md, "The project
index"), as plain data that pickles and caches.

A summary holds the module's request wrappers (functions and methods, each request in terms of
the wrapper's parameters: `RequestShape`), its classes (their wrapper methods, the clients and
project objects their instances hold, the library client they derive from, their constants of
method names, with what they inherit from other modules' classes), and its module-level names
that matter: clients (`SESSION = requests.Session()`), method-name constants and what it
imports from other project modules and so re-exports. Nothing in it points at a syntax node:
a caller in another module maps its own arguments onto it (`wrappers.Wrappers`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from methodlint.libraries import Api

# A value a module-level name, an attribute or a re-export holds:
# ("client", type, display)  an instance of a library client type
# ("instance", module, class) an instance of a class of a project module
# ("class", module, class)   a class of a project module
# ("function", module, key)  a request wrapper of a project module
# ("module", module)         a project module
# ("text", value)            a string constant (a method name)
# ("decorator", "connect" or "any", retries on, "decorator" or "factory")  a retry decorator,
#                            or a function that returns one
ValueShape = tuple[str, ...]


@dataclass(frozen=True)
class ScopeShape:
    """A retry scope inside a wrapper, around a request whose method or headers its callers
    decide: judged at each call (see `facts.RetryScope`)."""

    kind: str
    mechanism: str
    connect_only: bool
    method_gated: bool
    retries_on: str
    within: str


@dataclass(frozen=True)
class RequestShape:
    """One request a wrapper makes, and which of its parameters make it what it is."""

    api: Api
    client: str
    methods: tuple[str, ...]  # the methods fixed inside the wrapper (empty: unknown)
    dynamic: bool  # the method is only known at run time
    method_param: str | None = None  # the parameter that is the method
    method_upper: bool = False  # the wrapper upper-cases it
    url_param: str | None = None  # the parameter that is the URL, or the part that varies
    body_params: tuple[tuple[str, bool, str], ...] = ()  # (body name, keyword, parameter)
    kwargs: bool = False  # the wrapper's **kwargs reach the request
    headers_param: str | None = None  # the parameter that is the headers
    # What the wrapper sets in that headers dict: (key, conditional, removed); None: unknown.
    header_edits: tuple[tuple[str, bool, bool], ...] | None = ()
    headers_known: bool = True  # the wrapper's own headers, when no parameter gives them
    header_names: tuple[str, ...] = ()
    scopes: tuple[ScopeShape, ...] = ()  # inherited by the callers (see ScopeShape)
    via: tuple[str, ...] = ()  # the wrappers below this one, to the library call
    returns_content: bool = False
    guards: tuple[tuple[str, bool], ...] = ()  # flag parameters it is made under


@dataclass(frozen=True)
class FunctionShape:
    """A request wrapper: its signature and the requests it makes."""

    qualname: str
    positional: tuple[str, ...]
    keyword_only: tuple[str, ...]
    positional_only: int
    # Defaults: "none", "empty", "true", "false", "text:<value>" (a string literal) or
    # "other".
    defaults: dict[str, str]
    star: str | None
    star_kwarg: str | None
    bound: bool  # a method: its first parameter is not an argument
    requests: tuple[RequestShape, ...]

    @property
    def opaque(self) -> bool:
        """No method and no headers reach its requests, from its callers or from itself: a
        call of it is a request whose method and headers are unknown, which no rule judges
        (the body and retry rules need the method, ML205 the headers). Its name is no
        reason to parse a module (`project_screen`)."""
        if self.star is not None or self.star_kwarg is not None:
            return False
        return all(
            r.method_param is None
            and not r.methods
            and r.api.method is None
            and not r.kwargs
            and r.headers_param is None
            and not r.headers_known
            for r in self.requests
        )


@dataclass(frozen=True)
class ClassShape:
    """A class, with what it inherits from its bases in other modules."""

    name: str
    methods: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (module, key)
    attributes: dict[str, ValueShape] = field(default_factory=dict)
    client: tuple[str, str] | None = None  # the library client type it derives from
    constants: dict[str, str] = field(default_factory=dict)
    # A urllib3 Retry subclass: what it does to the default allowed_methods
    # (`retry.model.RetryDefault.shape`).
    retry: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModuleSummary:
    module: str
    names: dict[str, ValueShape] = field(default_factory=dict)
    functions: dict[str, FunctionShape] = field(default_factory=dict)
    classes: dict[str, ClassShape] = field(default_factory=dict)
    # `__all__` as a literal list of names; None when the module has none (or not literal).
    exports: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        return not (self.names or self.functions or self.classes)

    def exports_name(self, name: str) -> bool:
        """`from module import *` binds `name` to something the summary holds."""
        listed = name in self.exports if self.exports is not None else not name.startswith("_")
        return listed and (name in self.names or name in self.functions or name in self.classes)

    def star_exports(self) -> dict[str, ValueShape]:
        """What `from module import *` binds, as the importing module re-exports it."""
        found: dict[str, ValueShape] = {}
        for name in (*self.names, *self.functions, *self.classes):
            if not self.exports_name(name):
                continue
            if name in self.names:
                found[name] = self.names[name]
            elif name in self.functions:
                found[name] = ("function", self.module, name)
            else:
                found[name] = ("class", self.module, name)
        return found

    def to_json(self) -> str:
        # Kept with the summary (not a field: equality and the JSON are the fields'), so that
        # a worker that made it sends it along and the main process neither writes the JSON
        # again for the digest nor for the cache.
        text: str | None = self.__dict__.get("_json")
        if text is None:
            text = json.dumps(plain(self), sort_keys=True, separators=(",", ":"), default=sorted)
            object.__setattr__(self, "_json", text)
        return text

    def digest(self) -> str:
        return hashlib.blake2b(self.to_json().encode(), digest_size=12).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> ModuleSummary:
        raw = json.loads(text)
        return cls(
            module=raw["module"],
            names={k: tuple(v) for k, v in raw["names"].items()},
            functions={k: _function(v) for k, v in raw["functions"].items()},
            classes={k: _class(v) for k, v in raw["classes"].items()},
            exports=tuple(raw["exports"]) if raw.get("exports") is not None else None,
        )


_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(value: Any) -> Any:
    """`dataclasses.asdict` of a summary, for JSON: its leaves are strings, numbers, None and
    frozensets, which need no copy (asdict deep-copies each, which made writing a large
    module's summary cost a tenth of its analysis)."""
    names = _FIELDS.get(type(value))
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _api(raw: dict[str, Any]) -> Api:
    return Api(
        library=raw["library"],
        name=raw["name"],
        kind=raw["kind"],
        method=raw["method"],
        method_pos=raw["method_pos"],
        url_pos=raw["url_pos"],
        body_positions=tuple((p, n) for p, n in raw["body_positions"]),
        body_keywords=tuple(raw["body_keywords"]),
        headers_pos=raw["headers_pos"],
        headers_ambiguous_after=raw["headers_ambiguous_after"],
        verbatim=raw["verbatim"],
        rejects_body=raw["rejects_body"],
        fields_in_query_for=frozenset(raw["fields_in_query_for"]),
    )


def _request(raw: dict[str, Any]) -> RequestShape:
    edits = raw["header_edits"]
    return RequestShape(
        api=_api(raw["api"]),
        client=raw["client"],
        methods=tuple(raw["methods"]),
        dynamic=raw["dynamic"],
        method_param=raw["method_param"],
        method_upper=raw["method_upper"],
        url_param=raw["url_param"],
        body_params=tuple((n, k, p) for n, k, p in raw["body_params"]),
        kwargs=raw["kwargs"],
        headers_param=raw["headers_param"],
        header_edits=None if edits is None else tuple((k, c, r) for k, c, r in edits),
        headers_known=raw["headers_known"],
        header_names=tuple(raw["header_names"]),
        scopes=tuple(ScopeShape(**s) for s in raw["scopes"]),
        via=tuple(raw["via"]),
        returns_content=raw["returns_content"],
        guards=tuple((p, t) for p, t in raw["guards"]),
    )


def _function(raw: dict[str, Any]) -> FunctionShape:
    return FunctionShape(
        qualname=raw["qualname"],
        positional=tuple(raw["positional"]),
        keyword_only=tuple(raw["keyword_only"]),
        positional_only=raw["positional_only"],
        defaults=dict(raw["defaults"]),
        star=raw["star"],
        star_kwarg=raw["star_kwarg"],
        bound=raw["bound"],
        requests=tuple(_request(r) for r in raw["requests"]),
    )


def _class(raw: dict[str, Any]) -> ClassShape:
    client = raw["client"]
    return ClassShape(
        name=raw["name"],
        methods={k: (m, f) for k, (m, f) in raw["methods"].items()},
        attributes={k: tuple(v) for k, v in raw["attributes"].items()},
        client=(client[0], client[1]) if client else None,
        constants=dict(raw["constants"]),
        retry=tuple(raw["retry"]) if raw.get("retry") else None,
    )
