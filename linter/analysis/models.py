"""Models of installed third-party wrappers (`http-wrappers` in the configuration), as the
summaries of the modules that define them, so that their calls resolve like calls of the
project's own wrappers (engine.md, "The project index"; models as data, as CodeQL has them).

Two kinds, by the value of a `http-wrappers` entry:
- a library client type (`"requests_hardened.Manager" = "requests.Session"`): the class is used
  like that client, constructed or subclassed;
- a table (`{ method = "http_verb", url = "api_method", body = ["json", "data"], ... }`): a
  function or method that makes one request, with the parameters that become its method (or a
  fixed method in upper case), URL, bodies and headers.

Where the module ends and the class begins: `module:Class.method`, or, without a colon, the
last dotted part before the method that starts with an upper-case letter is the class.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from methodlint.analysis.summary import ClassShape, FunctionShape, ModuleSummary, RequestShape
from methodlint.libraries import CLIENT_TYPES, Api

# The client whose generic `request` a function model's library stands for.
LIBRARY_CLIENTS = {
    "requests": "requests.Session",
    "httpx": "httpx.Client",
    "aiohttp": "aiohttp.ClientSession",
    "urllib3": "urllib3.PoolManager",
}
MODEL_KEYS = ("library", "method", "method-default", "url", "body", "headers", "parameters")


def split_name(name: str) -> tuple[str, str | None, str]:
    """`pkg.mod.Class.method` -> ("pkg.mod", "Class", "method"); `pkg.mod.func` ->
    ("pkg.mod", None, "func"); `pkg.mod:Class` -> ("pkg.mod", None, "Class")."""
    if ":" in name:
        module, _, rest = name.partition(":")
        parts = rest.split(".")
        if len(parts) == 1:
            return module, None, parts[0]
        return module, ".".join(parts[:-1]), parts[-1]
    parts = name.split(".")
    if len(parts) >= 3 and parts[-2][:1].isupper():
        return ".".join(parts[:-2]), parts[-2], parts[-1]
    return ".".join(parts[:-1]), None, parts[-1]


def request_api(library: str) -> Api:
    """The generic request of a model's library (`requests.Session.request`)."""
    return CLIENT_TYPES[LIBRARY_CLIENTS.get(library, library)].methods["request"]


def summaries(wrappers: Iterable[tuple[str, str]]) -> dict[str, ModuleSummary]:
    """The module summaries of the configured models (`Config.http_wrappers`: name and the
    JSON of its checked value)."""
    modules: dict[str, ModuleSummary] = {}
    for name, raw in wrappers:
        value = json.loads(raw)
        module, cls, member = split_name(name)
        summary = modules.setdefault(module, ModuleSummary(module))
        if isinstance(value, str):  # a class equivalent to a library client
            shape = ClassShape(member, client=(value, name))
            summary.classes[member] = shape
            continue
        function = _function(name, f"{cls}.{member}" if cls else member, value, cls is not None)
        summary.functions[function.qualname] = function
        if cls is not None:
            owner = summary.classes.setdefault(cls, ClassShape(cls))
            owner.methods[member] = (module, function.qualname)
    return modules


def _function(name: str, qualname: str, model: dict[str, Any], bound: bool) -> FunctionShape:
    library = model.get("library", "requests")
    method: str | None = model.get("method")
    fixed = method is not None and method.isupper()
    method_param = None if fixed or method is None else method
    url = model.get("url")
    body = model.get("body", [])
    bodies = body.items() if isinstance(body, dict) else ((b, b) for b in body)
    body_params = tuple((keyword, True, parameter) for parameter, keyword in bodies)
    headers = model.get("headers")
    positional = tuple(model.get("parameters") or [p for p in (method_param, url) if p])
    named = [method_param, url, headers, *(p for _, _, p in body_params)]
    keyword_only = tuple(p for p in named if p and p not in positional)
    defaults = {}
    if method_param and "method-default" in model:
        defaults[method_param] = f"text:{model['method-default']}"
    if headers:
        defaults[headers] = "none"  # a caller that passes none sends none of its own
    request = RequestShape(
        api=request_api(library),
        client=name,
        methods=(method,) if fixed and method else (),
        dynamic=not fixed,
        method_param=method_param,
        url_param=url,
        body_params=body_params,
        headers_param=headers,
        headers_known=headers is None,
    )
    return FunctionShape(
        qualname=qualname,
        positional=positional,
        keyword_only=keyword_only,
        positional_only=0,
        defaults=defaults,
        star=None,
        star_kwarg=None,
        bound=bound,
        requests=(request,),
    )
