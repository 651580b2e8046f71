"""methodlint: checks that Python code uses HTTP methods the way HTTP defines them."""

from __future__ import annotations

from methodlint.config import Config, ConfigError
from methodlint.diagnostics import Diagnostic, Severity
from methodlint.runner import Report, lint_paths, lint_source

__version__ = "0.1.0"

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
