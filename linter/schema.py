"""The JSON Schema of `[tool.methodlint]` (and of a methodlint.toml), generated from the
configuration code: each key's schema follows from the function that checks its value in
`config.py`, so a key added there is in the schema, and a key whose checker has no schema here
fails the test-suite instead of being left out.

`python tests/tools/update_schema.py` writes `methodlint.schema.json` at the repository root,
which editors with a TOML language server (taplo, Even Better TOML) can use for completion
and checking.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from methodlint import config

SCHEMA_ID = "https://github.com/methodlint/methodlint/blob/main/methodlint.schema.json"

_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
# RFC 9110 §9.1: a method is a token (config._methods checks the same).
_TOKEN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"


def _fragments() -> dict[Callable[..., object], dict[str, Any]]:
    from methodlint.analysis.models import MODEL_KEYS
    from methodlint.facts import LIBRARIES
    from methodlint.libraries import CLIENT_TYPES

    model_fields: dict[str, Any] = {name: {"type": "string"} for name in MODEL_KEYS}
    model_fields["body"] = {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {"type": "string"}},
        ]
    }
    model_fields["parameters"] = _STRINGS

    return {
        config._str_list: _STRINGS,
        config._patterns: {**_STRINGS, "description": "gitignore-style patterns"},
        config._bool: {"type": "boolean"},
        config._positive_int: {"type": "integer", "minimum": 1},
        config._megabytes: {
            "type": "integer",
            "anyOf": [{"const": 0}, {"minimum": config.MIN_MEMORY_LIMIT}],
            "description": f"megabytes, at least {config.MIN_MEMORY_LIMIT}; 0: no limit",
        },
        config._seconds: {"type": "number", "minimum": 0, "description": "seconds; 0: no limit"},
        config._output_format: {"type": "string", "enum": list(config.OUTPUT_FORMATS)},
        config._per_file_ignores: {
            "type": "object",
            "additionalProperties": _STRINGS,
            "description": "pattern = [codes]",
        },
        config._http_modules: {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": list(LIBRARIES)},
            "description": 'module = "library"',
        },
        config._http_wrappers: {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "enum": sorted(CLIENT_TYPES)},
                    {
                        "type": "object",
                        "properties": model_fields,
                        "additionalProperties": False,
                    },
                ]
            },
            "description": 'wrapper = "client type" or { method, url, body, headers, ... }',
        },
        config._methods: {
            "type": "array",
            "items": {"type": "string", "pattern": _TOKEN},
        },
    }


def key_schema(key: str) -> dict[str, Any]:
    """The schema of one key's value."""
    check = config._KEYS[key]
    fragment = _fragments().get(check)
    if fragment is None:
        raise KeyError(
            f"the configuration key {key!r} is checked by {check.__name__}, which has no JSON "
            "schema in methodlint/schema.py: add one there"
        )
    return dict(fragment)


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the configuration table."""
    properties = {key: key_schema(key) for key in config._KEYS}
    properties["extend"] = {
        "type": "string",
        "description": "another configuration file whose settings this one extends",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "methodlint configuration ([tool.methodlint] or methodlint.toml)",
        "type": "object",
        "properties": dict(sorted(properties.items())),
        "additionalProperties": False,
    }


def render() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
