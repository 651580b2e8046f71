"""What the command prints besides findings: `--explain`, `--list-rules`, `--statistics`,
`--show-settings` and `--version`, as text or (with `--output-format json`) as JSON."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from methodlint.config import Config
from methodlint.diagnostics import Diagnostic
from methodlint.output.concise import fixable
from methodlint.rule import Rule


class UnknownRule(Exception):
    """`--explain` of something that is no rule's code or name."""


def _dumps(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _rule_dict(rule: type[Rule]) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "severity": rule.severity.value,
        "default": rule.default_on,
        "preview": rule.preview,
        "fixable": rule.fixable,
    }


def explain(code: str, as_json: bool = False) -> str:
    from methodlint.registry import matches

    found = [r for r in matches(code) if r.code == code.upper() or r.name == code.lower()]
    if not found:
        raise UnknownRule(f"no rule {code!r}; see methodlint --list-rules")
    rule = found[0]
    doc = rule.documentation()
    if as_json:
        return _dumps({**_rule_dict(rule), "hint": rule.hint, "documentation": doc})
    from methodlint.docs import explain as as_markdown

    return as_markdown(rule)


def list_rules(as_json: bool = False) -> str:
    from methodlint.registry import all_rules

    if as_json:
        return _dumps([_rule_dict(rule) for rule in all_rules()])
    lines = [f"{'code':<7}{'name':<34}{'severity':<9}{'default':<9}{'preview':<9}fixable"]
    for rule in all_rules():
        lines.append(
            f"{rule.code:<7}{rule.name:<34}{rule.severity.value:<9}"
            f"{'on' if rule.default_on else 'off':<9}{'yes' if rule.preview else 'no':<9}"
            f"{'yes' if rule.fixable else 'no'}"
        )
    return "\n".join(lines) + "\n"


def statistics(diagnostics: Sequence[Diagnostic], as_json: bool = False) -> str:
    """Counts per rule, most frequent first, with how many `--fix` can fix."""
    counts: dict[tuple[str, str], list[int]] = {}
    for diagnostic in diagnostics:
        entry = counts.setdefault((diagnostic.code, diagnostic.name), [0, 0])
        entry[0] += 1
        entry[1] += fixable(diagnostic)
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    if as_json:
        return _dumps(
            [
                {"code": code, "name": name, "count": count, "fixable": fixes}
                for (code, name), (count, fixes) in ordered
            ]
        )
    return "".join(
        f"{count:>6}  {code}  {'[*] ' if fixes else ''}{name}\n"
        for (code, name), (count, fixes) in ordered
    )


def settings(config: Config, file: str, as_json: bool = False) -> str:
    """`--show-settings FILE`: the resolved settings for a file and the file they came from."""
    values: dict[str, Any] = {}
    for item in fields(config):
        if item.name in ("root", "source"):
            continue
        value = getattr(config, item.name)
        if item.name in ("per_file_ignores", "http_modules"):
            value = {key: list(v) if isinstance(v, tuple) else v for key, v in value}
        elif isinstance(value, tuple):
            value = list(value)
        values[item.name.replace("_", "-")] = value
    source = str(config.source) if config.source is not None else None
    if as_json:
        return _dumps(
            {"file": file, "configuration": source, "root": str(config.root), "settings": values}
        )
    lines = [
        f"Settings for {file}",
        f"from {source or 'no configuration file (the defaults)'}",
        f"patterns relative to {config.root}",
        "",
    ]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def version() -> str:
    """`--version`: methodlint's, Python's, LibCST's and each plugin's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from methodlint import __version__
    from methodlint.registry import all_rules, plugin_of

    try:
        libcst = installed("libcst")
    except PackageNotFoundError:
        libcst = "not installed"
    lines = [
        f"methodlint {__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"LibCST {libcst}",
    ]
    plugins: dict[str, list[str]] = {}
    for rule in all_rules():
        plugin = plugin_of(rule.code)
        if plugin is not None:
            plugins.setdefault(plugin, []).append(rule.code)
    if not plugins:
        lines.append("plugins: none")
    for plugin, codes in sorted(plugins.items()):
        try:
            number = installed(plugin)
        except (PackageNotFoundError, ValueError):
            number = "unknown version"
        lines.append(f"plugin {plugin} {number} ({', '.join(codes)})")
    return "\n".join(lines) + "\n"


def show_files(files: Sequence[tuple[str, Config]], verbose: bool) -> str:
    """`--show-files`: the files that would be checked (with their configuration, verbose)."""
    if not verbose:
        return "".join(f"{display}\n" for display, _ in files)
    return "".join(f"{display}  ({config.source or 'defaults'})\n" for display, config in files)


__all__ = [
    "UnknownRule",
    "explain",
    "list_rules",
    "settings",
    "show_files",
    "statistics",
    "version",
]
