"""Rule discovery and selection: which rules exist, and which run."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from methodlint.installed import entry_points as entry_points
from methodlint.rule import Rule


class PluginError(Exception):
    """A plugin registered under `methodlint.rules` could not be loaded."""


# The plugin (distribution, else entry point name) of each plugin rule, by code.
_PLUGIN_OF: dict[str, str] = {}


def plugin_of(code: str) -> str | None:
    """The plugin that provides the rule `code`; None for a built-in rule."""
    all_rules()
    return _PLUGIN_OF.get(code)


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule: the modules of `methodlint.rules`, then plugins, sorted by code."""
    import methodlint.rules as package

    _PLUGIN_OF.clear()
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for rule in _rules_in(module):
            found[rule.code] = rule
    for entry in entry_points(group="methodlint.rules"):
        try:
            loaded = entry.load()
        except Exception as error:  # a broken plugin must not look like our bug
            raise PluginError(f"cannot load plugin rule {entry.name!r}: {error}") from error
        rules: list[type[Rule]] = (
            [loaded] if inspect.isclass(loaded) and issubclass(loaded, Rule) else _rules_in(loaded)
        )
        for rule in rules:
            if rule.code.startswith("ML"):
                raise PluginError(f"plugin rule {rule.code} uses the reserved prefix ML")
            found[rule.code] = rule
            dist = getattr(entry, "dist", None)
            _PLUGIN_OF[rule.code] = getattr(dist, "name", None) or entry.name
    return tuple(sorted(found.values(), key=lambda r: r.code))


def _rules_in(module: object) -> list[type[Rule]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Rule)
        and value is not Rule
        and value.__module__ == getattr(module, "__name__", None)
        and "code" in vars(value)
    ]


def by_code(code: str) -> type[Rule]:
    for rule in all_rules():
        if rule.code == code:
            return rule
    raise KeyError(code)


def matches(selector: str) -> list[type[Rule]]:
    """The rules a selector names: `ALL`, a code, a code prefix or a rule name."""
    selector = selector.strip()
    if selector == "ALL":
        return list(all_rules())
    upper = selector.upper()
    return [r for r in all_rules() if r.code.startswith(upper) or r.name == selector.lower()]


def check_selector(selector: str) -> str | None:
    """None when the selector names a rule, else a message saying what is wrong."""
    if matches(selector):
        return None
    names = [r.code for r in all_rules()] + [r.name for r in all_rules()]
    import difflib

    close = difflib.get_close_matches(selector, names, n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    if selector[:1].isalpha() and not selector.upper().startswith("ML") and selector[-1:].isdigit():
        return f"unknown code {selector!r}: no installed plugin provides it{suggestion}"
    return f"unknown rule code or name {selector!r}{suggestion}"


def selected_rules(
    select: tuple[str, ...] | None,
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    preview: bool,
) -> list[type[Rule]]:
    """The rules that run: `select` (default: the rules on by default), plus `extend_select`,
    minus `ignore`; rules in preview only with `preview`."""
    if select is None:
        chosen = {r.code: r for r in all_rules() if r.default_on}
    else:
        chosen = {r.code: r for s in select for r in matches(s)}
    for selector in extend_select:
        chosen.update({r.code: r for r in matches(selector)})
    for selector in ignore:
        for rule in matches(selector):
            chosen.pop(rule.code, None)
    return [r for r in sorted(chosen.values(), key=lambda r: r.code) if preview or not r.preview]
