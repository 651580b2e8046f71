"""methodlint: checks that Python code uses HTTP methods the way HTTP defines them."""

from __future__ import annotations

__version__ = "0.1.0"

# Not `typing.TYPE_CHECKING`: importing typing (and the `re` it imports) takes longer than the
# rest of start-up until the entry point's signal handlers are set (`methodlint.__main__`).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from methodlint.config import Config, ConfigError
    from methodlint.diagnostics import Diagnostic, Severity
    from methodlint.runner import Report, lint_paths, lint_source

# The public names are imported when first used: the command's entry point
# (`methodlint.__main__`) installs its signal handlers before anything heavy is imported, so
# that an interruption during start-up is one line too.
_PUBLIC = {
    "Config": "methodlint.config",
    "ConfigError": "methodlint.config",
    "Diagnostic": "methodlint.diagnostics",
    "Severity": "methodlint.diagnostics",
    "Report": "methodlint.runner",
    "lint_paths": "methodlint.runner",
    "lint_source": "methodlint.runner",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'methodlint' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Config",
    "ConfigError",
    "Diagnostic",
    "Report",
    "Severity",
    "__version__",
    "lint_paths",
    "lint_source",
]
