"""The JSON Schema of the configuration (methodlint.schema.json): generated from the
configuration code, current, accepting every documented example and rejecting what the
configuration rejects (a misspelt key, a wrong type)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from methodlint import config
from methodlint.config import Config, ConfigError
from methodlint.schema import render, schema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = Draft202012Validator(schema())


def documented_tables() -> list[tuple[str, dict[str, Any]]]:
    """Every configuration the README shows: `[tool.methodlint]` tables and methodlint.toml
    files (TOML blocks whose first line names one)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for number, block in enumerate(re.findall(r"```toml\n(.*?)```", readme, re.DOTALL)):
        data = tomllib.loads(block)
        if "methodlint" in data.get("tool", {}):
            found.append((f"block {number}", data["tool"]["methodlint"]))
        elif "methodlint.toml" in block.splitlines()[0]:
            found.append((f"block {number}", data))
    return found


def test_the_schema_file_is_current() -> None:
    shipped = (ROOT / "methodlint.schema.json").read_text(encoding="utf-8")
    assert shipped == render(), "regenerate it with python tests/tools/update_schema.py"


def test_the_schema_is_valid_and_names_every_key() -> None:
    Draft202012Validator.check_schema(schema())
    assert set(schema()["properties"]) == {*config._KEYS, "extend"}


def test_the_readme_documents_configurations() -> None:
    assert len(documented_tables()) >= 2


@pytest.mark.parametrize(
    ("where", "table"), documented_tables(), ids=[w for w, _ in documented_tables()]
)
def test_every_documented_example_is_valid(where: str, table: dict[str, Any]) -> None:
    VALIDATOR.validate(table)
    without_extend = {k: v for k, v in table.items() if k != "extend"}
    Config.from_mapping(without_extend)  # the configuration code accepts it too


@pytest.mark.parametrize(
    "table",
    [
        {"extend-selct": ["ML1"]},
        {"extend_select": ["ML1"]},
        {"select": "ML1"},
        {"preview": "yes"},
        {"output-format": "xml"},
        {"max-file-size": 0},
        {"per-file-ignores": {"tests/**": "ML101"}},
        {"http-modules": {"httpx2": "httpy"}},
        {"extra-methods": ["NOT A TOKEN"]},
        {"http-wrappers": {"pkg.Client": "requests.Sesion"}},
    ],
    ids=lambda table: next(iter(table)),
)
def test_what_the_configuration_rejects_the_schema_rejects(table: dict[str, Any]) -> None:
    assert not VALIDATOR.is_valid(table)
    with pytest.raises(ConfigError):
        Config.from_mapping(table)


def test_the_schema_is_json() -> None:
    assert json.loads(render()) == schema()
