"""Configuration: `[tool.methodlint]` found, read and checked strictly, in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from methodlint.regular_files import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

OUTPUT_FORMATS = (
    "concise",
    "full",
    "json",
    "json-lines",
    "junit",
    "pylint",
    "azure",
    "rdjson",
    "sarif",
    "github",
    "gitlab",
)

# The files that hold a configuration, in the order they are looked for in each folder (as
# ruff looks for .ruff.toml, ruff.toml, pyproject.toml): the first two hold the keys at the top
# level, pyproject.toml in `[tool.methodlint]`.
CONFIG_FILES = (".methodlint.toml", "methodlint.toml", "pyproject.toml")

# Codes reported whatever the selection (files that could not be checked), as ruff always
# reports invalid syntax; only an ignore naming the exact code silences one.
UNCHECKED_CODES = ("ML001", "ML002", "ML003")

DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "venv",
    "__pypackages__",
    "__pycache__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "*.egg-info",
)

DEFAULT_MAX_FILE_SIZE = 1_000_000
# A configuration file is read whole; a larger one is refused rather than read without end.
MAX_CONFIG_BYTES = 16 << 20
# A worker's memory in megabytes (its address space besides the stack reserved for LibCST's
# recursion): generous for any real file (a worker uses about 300 MB and reserves some more),
# small enough to stop a file whose parse blows up long before the machine runs out of memory.
DEFAULT_MEMORY_LIMIT = 2048
MIN_MEMORY_LIMIT = 1024
# Seconds the analysis of one file may take: real files take well under one.
DEFAULT_TIME_LIMIT = 60.0


class ConfigError(Exception):
    """A configuration the user must fix: methodlint exits 2 with this message."""


@dataclass(frozen=True)
class Config:
    """The effective configuration. Field names are the kebab-case keys in snake case."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    preview: bool = False
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    output_format: str = "concise"
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    idempotency_headers: tuple[str, ...] = ()
    precondition_headers: tuple[str, ...] = ()
    retry_decorators: tuple[str, ...] = ()
    http_modules: tuple[tuple[str, str], ...] = ()
    # Models of installed wrappers: (qualified name, JSON of the checked model).
    http_wrappers: tuple[tuple[str, str], ...] = ()
    extra_methods: tuple[str, ...] = ()
    idempotent_methods: tuple[str, ...] = ()
    retry_safe_urls: tuple[str, ...] = ()
    # Roots of the project's import paths (relative to `root`); empty: the package roots found.
    src: tuple[str, ...] = ()
    cross_module: bool = False
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    time_limit: float = DEFAULT_TIME_LIMIT
    # Where patterns are relative to: the configuration file's folder, or the current one.
    root: Path = field(default_factory=Path.cwd, compare=False)
    source: Path | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, root: Path | None = None, source: Path | None = None
    ) -> Config:
        """Build a configuration from `[tool.methodlint]` keys (kebab-case)."""
        values: dict[str, Any] = {}
        where = f" in {source}" if source else ""
        for raw_key, value in data.items():
            key = raw_key
            spec = _KEYS.get(key)
            if spec is None:
                # Keys are kebab-case, as in ruff: `extend_select` is a typo of `extend-select`.
                suggestion = _suggest(key.replace("_", "-"), _KEYS)
                raise ConfigError(f"unknown key {raw_key!r}{where}{suggestion}")
            values[key.replace("-", "_")] = spec(raw_key, value, where)
        config = cls(**values)
        if root is not None:
            config = replace(config, root=root)
        if source is not None:
            config = replace(config, source=source)
        return config

    def __post_init__(self) -> None:
        self.check_codes()

    def check_codes(self) -> None:
        """Raise ConfigError for a selector that names no rule."""
        from methodlint.registry import check_selector

        where = f" in {self.source}" if self.source else ""
        for key, selectors in (
            ("select", self.select or ()),
            ("extend-select", self.extend_select),
            ("ignore", self.ignore),
        ):
            for selector in selectors:
                problem = check_selector(selector)
                if problem:
                    raise ConfigError(f"{key}{where}: {problem}")
        for pattern, codes in self.per_file_ignores:
            for selector in codes:
                problem = check_selector(selector)
                if problem:
                    raise ConfigError(f"per-file-ignores[{pattern!r}]{where}: {problem}")

    def with_options(self, **options: Any) -> Config:
        """This configuration with command-line options (already checked) on top."""
        given = {k: v for k, v in options.items() if v is not None}
        return replace(self, **given)

    def with_selection(
        self,
        select: tuple[str, ...] | None = None,
        extend_select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
    ) -> Config:
        """The command line's selection on top, as ruff has it: `select` replaces the
        configured selection (`select`, `extend-select` and `ignore`); `extend_select` and
        `ignore` add to it."""
        if select is not None:
            return replace(self, select=select, extend_select=extend_select, ignore=ignore)
        return replace(
            self, extend_select=self.extend_select + extend_select, ignore=self.ignore + ignore
        )

    @property
    def silenced_unchecked(self) -> frozenset[str]:
        """The codes of files that could not be checked (ML001-ML003) that `ignore` names
        exactly; the others are reported whatever the selection."""
        return silenced_unchecked(self.ignore)

    @property
    def extra_method_names(self) -> frozenset[str]:
        return frozenset(m.upper() for m in self.extra_methods + self.idempotent_methods)

    @property
    def idempotent_method_names(self) -> frozenset[str]:
        return frozenset(m.upper() for m in self.idempotent_methods)

    @property
    def src_roots(self) -> tuple[Path, ...]:
        """The configured `src` roots as absolute paths (relative ones are below `root`)."""
        return tuple(Path(os.path.abspath(Path(self.root) / entry)) for entry in self.src)


def silenced_unchecked(selectors: tuple[str, ...]) -> frozenset[str]:
    """Which of ML001-ML003 `selectors` name exactly, by code or rule name (not by a prefix
    or ALL)."""
    from methodlint.registry import by_code

    named = {selector.strip() for selector in selectors}
    return frozenset(
        code
        for code in UNCHECKED_CODES
        if code in {n.upper() for n in named} or by_code(code).name in {n.lower() for n in named}
    )


def _suggest(word: str, choices: Mapping[str, object] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_error(key: str, expected: str, value: object, where: str) -> ConfigError:
    return ConfigError(f"{key}{where} must be {expected}, not {type(value).__name__} ({value!r})")


def _str_list(key: str, value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list):
        raise _type_error(key, "a list of strings", value, where)
    for item in value:
        if not isinstance(item, str):
            raise _type_error(key, "a list of strings", value, where)
    return tuple(value)


def _bool(key: str, value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _type_error(key, "true or false", value, where)
    return value


def _positive_int(key: str, value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _type_error(key, "a positive integer (bytes)", value, where)
    return value


def _megabytes(key: str, value: object, where: str) -> int:
    """A memory limit in megabytes; 0 turns it off."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 40:
        raise _type_error(key, "a number of megabytes (0: no limit)", value, where)
    if 0 < value < MIN_MEMORY_LIMIT:
        raise ConfigError(
            f"{key}{where} must be at least {MIN_MEMORY_LIMIT} (megabytes) or 0, not {value}"
        )
    return value


def _seconds(key: str, value: object, where: str) -> float:
    """A time limit in seconds; 0 turns it off."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise _type_error(key, "a number of seconds (0: no limit)", value, where)
    return float(value)


def _output_format(key: str, value: object, where: str) -> str:
    if not isinstance(value, str) or value not in OUTPUT_FORMATS:
        raise ConfigError(
            f"{key}{where} must be one of {', '.join(OUTPUT_FORMATS)}, not {value!r}"
            + (_suggest(value, list(OUTPUT_FORMATS)) if isinstance(value, str) else "")
        )
    return value


def _check_pattern(key: str, pattern: str, where: str) -> None:
    """A gitignore-style pattern that compiles (`[z-a]` does not), or a ConfigError."""
    import re

    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([pattern])
    except (re.error, ValueError, TypeError) as error:
        raise ConfigError(f"{key}{where}: {pattern!r} is not a valid pattern ({error})") from None


def _patterns(key: str, value: object, where: str) -> tuple[str, ...]:
    patterns = _str_list(key, value, where)
    for pattern in patterns:
        _check_pattern(key, pattern, where)
    return patterns


def _per_file_ignores(
    key: str, value: object, where: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise _type_error(key, "a table of pattern = [codes]", value, where)
    for pattern in value:
        _check_pattern(key, pattern.removeprefix("!"), where)
    return tuple(
        (pattern, _str_list(f"{key}[{pattern!r}]", codes, where))
        for pattern, codes in value.items()
    )


def _http_wrappers(key: str, value: object, where: str) -> tuple[tuple[str, str], ...]:
    """`{ "pkg.Client" = "requests.Session" }` or `{ "pkg.Client.call" = { method = ...,
    url = ..., body = [...], headers = ..., parameters = [...] } }` (`analysis.models`)."""
    import json

    from methodlint.analysis.models import LIBRARY_CLIENTS, MODEL_KEYS, request_api
    from methodlint.libraries import CLIENT_TYPES

    if not isinstance(value, dict):
        raise _type_error(key, "a table of wrapper = client type or model", value, where)
    result = []
    for name, model in value.items():
        here = f"{key}[{name!r}]{where}"
        if not all(part.isidentifier() for part in name.replace(":", ".").split(".")) or (
            "." not in name and ":" not in name
        ):
            raise ConfigError(f"{here}: name a module's class or function (pkg.mod.Name)")
        if isinstance(model, str):
            if model not in CLIENT_TYPES:
                raise ConfigError(
                    f"{here} must name a client type ({', '.join(sorted(CLIENT_TYPES))}), "
                    f"not {model!r}" + _suggest(model, list(CLIENT_TYPES))
                )
        elif isinstance(model, dict):
            for field_name, field_value in model.items():
                if field_name not in MODEL_KEYS:
                    raise ConfigError(
                        f"unknown key {field_name!r} in {here}"
                        + _suggest(field_name, list(MODEL_KEYS))
                    )
                if field_name in ("body", "parameters"):
                    items = field_value if isinstance(field_value, list) else None
                    if field_name == "body" and isinstance(field_value, dict):
                        items = list(field_value.values()) + list(field_value)
                    if items is None or not all(isinstance(i, str) for i in items):
                        raise _type_error(
                            f"{here}.{field_name}", "a list of names", field_value, ""
                        )
                elif not isinstance(field_value, str):
                    raise _type_error(f"{here}.{field_name}", "a string", field_value, "")
            library = model.get("library", "requests")
            if library not in LIBRARY_CLIENTS and library not in CLIENT_TYPES:
                raise ConfigError(
                    f"{here}.library must be one of {', '.join(LIBRARY_CLIENTS)}, not {library!r}"
                )
            if "url" not in model and "method" not in model:
                raise ConfigError(f"{here} needs a method or a url (the parameter's name)")
            api = request_api(library)
            body = model.get("body", [])
            for keyword in body.values() if isinstance(body, dict) else body:
                if keyword not in api.body_keywords:
                    raise ConfigError(
                        f"{here}.body: {keyword!r} is not a body of {library} "
                        f"({', '.join(api.body_keywords)})"
                    )
        else:
            raise _type_error(here, "a client type or a table", model, "")
        result.append((name, json.dumps(model, sort_keys=True)))
    return tuple(result)


def _http_modules(key: str, value: object, where: str) -> tuple[tuple[str, str], ...]:
    from methodlint.facts import LIBRARIES

    if not isinstance(value, dict):
        raise _type_error(key, 'a table of module = "library"', value, where)
    result = []
    for module, library in value.items():
        if library not in LIBRARIES:
            raise ConfigError(
                f"{key}[{module!r}]{where} must name one of {', '.join(LIBRARIES)}, "
                f"not {library!r}"
                + (_suggest(library, list(LIBRARIES)) if isinstance(library, str) else "")
            )
        result.append((module, library))
    return tuple(result)


def _methods(key: str, value: object, where: str) -> tuple[str, ...]:
    methods = _str_list(key, value, where)
    for method in methods:
        # RFC 9110 §9.1: a method is a token of visible ASCII characters.
        if not method or not all(
            c.isascii() and (c.isalnum() or c in "-_!#$%&'*+.^`|~") for c in method
        ):
            raise ConfigError(f"{key}{where}: {method!r} is not a valid HTTP method token")
    return methods


_KEYS = {
    "select": _str_list,
    "extend-select": _str_list,
    "ignore": _str_list,
    "preview": _bool,
    "per-file-ignores": _per_file_ignores,
    "exclude": _patterns,
    "extend-exclude": _patterns,
    "respect-gitignore": _bool,
    "output-format": _output_format,
    "max-file-size": _positive_int,
    "idempotency-headers": _str_list,
    "precondition-headers": _str_list,
    "retry-decorators": _str_list,
    "http-modules": _http_modules,
    "http-wrappers": _http_wrappers,
    "extra-methods": _methods,
    "idempotent-methods": _methods,
    "retry-safe-urls": _str_list,
    "src": _str_list,
    "cross-module": _bool,
    "memory-limit": _megabytes,
    "time-limit": _seconds,
}
assert set(_KEYS) == {f.name.replace("_", "-") for f in fields(Config)} - {"root", "source"}


def find_config_file(start: Path) -> Path | None:
    """The closest configuration file from folder `start` upwards: `.methodlint.toml`,
    `methodlint.toml`, or a pyproject.toml with a `[tool.methodlint]` table."""
    for folder in (start, *start.parents):
        found = config_file_in(folder)
        if found is not None:
            return found
    return None


def config_file_in(folder: Path) -> Path | None:
    """The configuration file of one folder, if it has one."""
    for name in CONFIG_FILES:
        candidate = folder / name
        if not candidate.is_file():
            continue
        if name != "pyproject.toml" or "methodlint" in _tool_table(
            _read_toml(candidate), candidate
        ):
            return candidate
    return None


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The `[tool]` table of a pyproject.toml (empty when it has none)."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"'tool' in {path} must be a table, not {type(tool).__name__}")
    return tool


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data_bytes = read_regular(path, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        data: dict[str, Any] = tomllib.loads(data_bytes.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} is not UTF-8 text (TOML must be): {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    except RecursionError:
        raise ConfigError(f"{path} nests arrays or tables too deeply") from None
    return data


def read_table(path: Path) -> dict[str, Any]:
    """The keys of one configuration file as written (with `extend` unresolved): the top level
    of a methodlint.toml, `[tool.methodlint]` of a pyproject.toml, which must have it."""
    data = _read_toml(path)
    if path.name != "pyproject.toml":
        return data
    tool = _tool_table(data, path)
    if "methodlint" not in tool:
        raise ConfigError(
            f"{path} has no [tool.methodlint] table (add one, or name a methodlint.toml)"
        )
    table = tool["methodlint"]
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.methodlint] in {path} must be a table")
    return dict(table)


def load_config(path: Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """The configuration of one file: a pyproject.toml's `[tool.methodlint]` (an error when it
    has none) or a methodlint.toml, with the files it `extend`s below it and `overrides`
    (`--config KEY=VALUE`) above it."""
    path = Path(os.path.abspath(path)).resolve()
    table = _extended(path, [])
    table.update(overrides or {})
    return Config.from_mapping(table, root=path.parent, source=path)


# Keys whose values are patterns relative to the folder of the file that sets them.
_PATTERN_KEYS = ("exclude", "extend-exclude", "per-file-ignores")


def _extended(path: Path, chain: list[Path]) -> dict[str, Any]:
    """`path`'s keys on top of those of the file it extends (recursively)."""
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ConfigError(f"extend makes a cycle: {cycle}")
    table = read_table(path)
    base = table.pop("extend", None)
    if base is None:
        return table
    if not isinstance(base, str) or not base:
        raise _type_error("extend", "a path to a configuration file", base, f" in {path}")
    target = Path(os.path.abspath(path.parent / Path(base).expanduser())).resolve()
    if not target.is_file():
        raise ConfigError(f"extend in {path}: {base!r} is not a file ({target})")
    inherited = _extended(target, [*chain, path])
    for key in _PATTERN_KEYS:
        if key in inherited:
            inherited[key] = _rebase(key, inherited[key], target.parent, path.parent)
    inherited.update(table)
    return inherited


def _rebase(key: str, value: object, origin: Path, root: Path) -> object:
    """Patterns written relative to `origin`, made relative to `root` (where the extending
    file is): a pattern that names a file at any depth stays; one anchored at `origin` keeps
    what lies below `root` and is dropped otherwise (it cannot match there)."""
    if isinstance(value, dict):
        rebased = {}
        for pattern, codes in value.items():
            moved = _rebase_pattern(pattern, origin, root) if isinstance(pattern, str) else None
            if moved is not None:
                rebased[moved] = codes
        return rebased
    if isinstance(value, list):
        return [
            moved
            for item in value
            if (moved := _rebase_pattern(item, origin, root) if isinstance(item, str) else item)
            is not None
        ]
    return value


def _rebase_pattern(pattern: str, origin: Path, root: Path) -> str | None:
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    if "/" not in body.rstrip("/") or origin == root:
        return pattern
    try:
        prefix = root.relative_to(origin).as_posix() + "/"
    except ValueError:
        return None
    anchored = body.lstrip("/")
    if body.startswith("**/"):
        return pattern
    if not anchored.startswith(prefix):
        return None
    return ("!" if negated else "") + anchored[len(prefix) :]


def parse_override(text: str) -> dict[str, Any]:
    """`--config KEY=VALUE`: one key, its value in TOML (`--config "select=['ML1']"`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"--config {text!r} is neither a file nor a KEY=VALUE pair in TOML: {error}"
        ) from error
    for key in data:
        if key not in _KEYS:
            raise ConfigError(f"unknown key {key!r} in --config {text!r}{_suggest(key, _KEYS)}")
    return data


def discover_config(start: Path | None = None) -> Config:
    """The configuration that applies from `start` (default: the current directory)."""
    start = (start or Path.cwd()).resolve()
    found = find_config_file(start)
    if found is None:
        return Config(root=start)
    return load_config(found)
