"""`[tool.methodlint]`: read strictly (keys, types, codes), found from the current folder up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from methodlint import lint_source
from methodlint.config import Config, ConfigError, discover_config, load_config

# One valid value for every documented key (interface.md, "Configuration").
VALID_VALUES: dict[str, Any] = {
    "select": ["ML1", "get-with-body", "ALL"],
    "extend-select": ["ML4"],
    "ignore": ["ML103"],
    "preview": True,
    "per-file-ignores": {"tests/**": ["ML101", "ML1"]},
    "exclude": ["build", "*.egg-info"],
    "extend-exclude": ["src/generated/"],
    "respect-gitignore": False,
    "output-format": "json",
    "max-file-size": 2_000_000,
    "idempotency-headers": ["X-Request-Id"],
    "precondition-headers": ["X-If-Version"],
    "retry-decorators": ["myapp.http.retrying"],
    "http-modules": {"httpx2": "httpx"},
    "extra-methods": ["PURGE"],
    "idempotent-methods": ["LINK"],
    "retry-safe-urls": ["*/lookup"],
}

GET_WITH_BODY = "import requests\nrequests.get(url, json=q)\n"


def write_pyproject(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def codes(source: str, config: Config | None = None) -> list[str]:
    return [d.code for d in lint_source(source, "x.py", config)]


# --- Config.from_mapping: keys -------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), list(VALID_VALUES.items()), ids=list(VALID_VALUES))
def test_every_documented_key_is_accepted_in_kebab_case(key: str, value: Any) -> None:
    config = Config.from_mapping({key: value})

    assert config != Config()


def test_all_documented_keys_together() -> None:
    config = Config.from_mapping(VALID_VALUES)

    assert config.select == ("ML1", "get-with-body", "ALL")
    assert config.extend_select == ("ML4",)
    assert config.ignore == ("ML103",)
    assert config.preview is True
    assert config.per_file_ignores == (("tests/**", ("ML101", "ML1")),)
    assert config.exclude == ("build", "*.egg-info")
    assert config.extend_exclude == ("src/generated/",)
    assert config.respect_gitignore is False
    assert config.output_format == "json"
    assert config.max_file_size == 2_000_000
    assert config.idempotency_headers == ("X-Request-Id",)
    assert config.precondition_headers == ("X-If-Version",)
    assert config.retry_decorators == ("myapp.http.retrying",)
    assert config.http_modules == (("httpx2", "httpx"),)
    assert config.extra_methods == ("PURGE",)
    assert config.idempotent_methods == ("LINK",)
    assert config.retry_safe_urls == ("*/lookup",)


def test_an_empty_table_gives_the_defaults() -> None:
    config = Config.from_mapping({})

    assert config == Config()
    assert config.select is None
    assert config.output_format == "concise"
    assert config.max_file_size == 1_000_000
    assert config.respect_gitignore is True
    for folder in (".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__"):
        assert folder in config.exclude


@pytest.mark.parametrize(
    ("typo", "nearest"),
    [
        ("extend-selct", "extend-select"),
        ("selct", "select"),
        ("ignores", "ignore"),
        ("per-file-ignore", "per-file-ignores"),
        ("max-filesize", "max-file-size"),
        ("extra-method", "extra-methods"),
        ("http-module", "http-modules"),
        ("idempotency-header", "idempotency-headers"),
        ("respect-gitignores", "respect-gitignore"),
        ("output_formt", "output-format"),
    ],
)
def test_an_unknown_key_is_an_error_that_suggests_the_nearest_key(typo: str, nearest: str) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({typo: ["ML101"]})

    message = str(error.value)
    assert typo in message
    assert f"{nearest!r}" in message or f"`{nearest}`" in message or f'"{nearest}"' in message


def test_an_unknown_key_far_from_any_valid_one_is_still_an_error() -> None:
    with pytest.raises(ConfigError, match="colour"):
        Config.from_mapping({"colour": True})


def test_an_unknown_key_next_to_valid_ones_is_an_error() -> None:
    with pytest.raises(ConfigError, match="extend-selct"):
        Config.from_mapping({"select": ["ML1"], "extend-selct": ["ML4"], "ignore": []})


def test_the_error_names_the_file() -> None:
    source = Path("/somewhere/pyproject.toml")
    with pytest.raises(ConfigError, match=re.escape(str(source))):
        Config.from_mapping({"selct": ["ML1"]}, root=source.parent, source=source)


# --- Config.from_mapping: types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("select", "ML101"),
        ("select", [101]),
        ("select", {"ML101": True}),
        ("extend-select", "ML1"),
        ("ignore", ["ML101", None]),
        ("preview", "yes"),
        ("preview", 1),
        ("respect-gitignore", "false"),
        ("per-file-ignores", ["tests/**"]),
        ("per-file-ignores", {"tests/**": "ML101"}),
        ("per-file-ignores", {"tests/**": [101]}),
        ("exclude", "build"),
        ("extend-exclude", [["build"]]),
        ("output-format", "xml"),
        ("output-format", ["json"]),
        ("max-file-size", "1MB"),
        ("max-file-size", 1.5),
        ("max-file-size", True),
        ("max-file-size", 0),
        ("max-file-size", -1),
        ("idempotency-headers", "Idempotency-Key"),
        ("precondition-headers", [1]),
        ("retry-decorators", "tenacity.retry"),
        ("http-modules", ["httpx2"]),
        ("http-modules", "httpx"),
        ("extra-methods", "PURGE"),
        ("idempotent-methods", [1]),
        ("retry-safe-urls", "*/lookup"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_naming_the_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({key: value})

    assert key in str(error.value)


def test_a_misspelt_output_format_suggests_the_nearest() -> None:
    with pytest.raises(ConfigError, match="json"):
        Config.from_mapping({"output-format": "jsn"})


# --- codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["select", "extend-select", "ignore"])
def test_an_unknown_code_is_an_error(key: str) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({key: ["ML101", "ML999"]})

    assert "ML999" in str(error.value)
    assert key in str(error.value)


def test_an_unknown_rule_name_suggests_the_nearest_name() -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({"select": ["get-with-bdy"]})

    assert "get-with-bdy" in str(error.value)
    assert "get-with-body" in str(error.value)


def test_an_unknown_code_in_per_file_ignores_is_an_error() -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({"per-file-ignores": {"tests/**": ["ML101", "ML1O1"]}})

    assert "ML1O1" in str(error.value)
    assert "tests/**" in str(error.value)


def test_a_code_of_a_plugin_that_is_not_installed_says_so() -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({"extend-select": ["ABC123"]})

    assert "ABC123" in str(error.value)
    assert "plugin" in str(error.value)


@pytest.mark.parametrize("selector", ["ML101", "ML1", "ML", "ALL", "get-with-body", "ml101"])
def test_codes_prefixes_names_and_all_are_valid_selectors(selector: str) -> None:
    config = Config.from_mapping({"select": [selector], "ignore": [selector]})

    assert config.select == (selector,)


def test_selection_from_the_config_decides_what_is_reported() -> None:
    source = 'import requests\nrequests.get(u, json=q)\nrequests.request("gte", u)\n'

    assert codes(source, Config.from_mapping({})) == ["ML101", "ML401"]
    assert codes(source, Config.from_mapping({"select": ["ML4"]})) == ["ML401"]
    assert codes(source, Config.from_mapping({"ignore": ["get-with-body"]})) == ["ML401"]
    assert codes(source, Config.from_mapping({"select": ["ML4"], "extend-select": ["ML101"]})) == [
        "ML101",
        "ML401",
    ]


# --- http-modules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "library", ["requests", "httpx", "aiohttp", "urllib3", "urllib.request", "http.client"]
)
def test_http_modules_may_map_to_every_known_library(library: str) -> None:
    config = Config.from_mapping({"http-modules": {"myhttp": library}})

    assert config.http_modules == (("myhttp", library),)


@pytest.mark.parametrize("library", ["htpx", "pycurl", "", "Requests"])
def test_http_modules_must_map_to_a_known_library(library: str) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({"http-modules": {"httpx2": library}})

    message = str(error.value)
    assert "http-modules" in message
    assert "httpx2" in message
    assert "httpx" in message.replace("httpx2", "")  # lists (or suggests) the known libraries


def test_http_modules_value_must_be_a_string() -> None:
    with pytest.raises(ConfigError, match="http-modules"):
        Config.from_mapping({"http-modules": {"httpx2": ["httpx"]}})


def test_http_modules_makes_a_module_an_http_client() -> None:
    source = 'import httpx2\nhttpx2.request("GET", u, json=q)\n'

    assert codes(source) == []
    assert codes(source, Config.from_mapping({"http-modules": {"httpx2": "httpx"}})) == ["ML101"]


# --- extra-methods / idempotent-methods ----------------------------------------------------------


@pytest.mark.parametrize("key", ["extra-methods", "idempotent-methods"])
@pytest.mark.parametrize("method", ["PURGE", "purge", "VERSION-CONTROL", "X_CUSTOM", "M-SEARCH"])
def test_method_lists_accept_method_tokens(key: str, method: str) -> None:
    config = Config.from_mapping({key: [method]})

    assert method in (config.extra_methods + config.idempotent_methods)


@pytest.mark.parametrize("key", ["extra-methods", "idempotent-methods"])
@pytest.mark.parametrize(
    "method",
    [
        "",
        "PUR GE",
        "GET\n",
        "PURGE;",
        "(PURGE)",
        "A/B",
        'SAY"HI"',
        pytest.param("P\u00dcRGE", id="non-ascii-letter"),
        pytest.param("PURGE\u00b2", id="non-ascii-digit"),
    ],
)
def test_method_lists_reject_what_is_not_a_method_token(key: str, method: str) -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_mapping({key: ["PURGE", method]})

    assert key in str(error.value)


@pytest.mark.parametrize("key", ["extra-methods", "idempotent-methods"])
def test_configured_methods_are_not_unknown(key: str) -> None:
    source = 'import requests\nrequests.request("PURGE", u)\n'

    assert codes(source) == ["ML401"]
    assert codes(source, Config.from_mapping({key: ["PURGE"]})) == []


# --- max-file-size -------------------------------------------------------------------------------


def test_max_file_size_from_the_config() -> None:
    small = Config.from_mapping({"max-file-size": 10})

    assert codes(GET_WITH_BODY, small) == ["ML003"]
    assert codes(GET_WITH_BODY, Config.from_mapping({"max-file-size": 10_000})) == ["ML101"]


# --- load_config ---------------------------------------------------------------------------------


def test_load_config_reads_the_table(tmp_path: Path) -> None:
    path = write_pyproject(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.methodlint]\nextend-select = ["ML1"]\n'
        "max-file-size = 5000\n"
        '\n[tool.methodlint.per-file-ignores]\n"tests/**" = ["ML101"]\n',
    )

    config = load_config(path)

    assert config.extend_select == ("ML1",)
    assert config.max_file_size == 5000
    assert config.per_file_ignores == (("tests/**", ("ML101",)),)
    assert config.root == tmp_path.resolve()
    assert config.source == path.resolve()


def test_load_config_without_the_table_is_an_error(tmp_path: Path) -> None:
    # --config names this file: the defaults in its place would silently weaken a CI gate.
    path = write_pyproject(tmp_path, "[tool.ruff]\nline-length = 100\n")

    with pytest.raises(ConfigError, match=r"no \[tool.methodlint\] table"):
        load_config(path)


def test_load_config_errors_name_the_key_and_the_file(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.methodlint]\nextend-selct = ["ML1"]\n')

    with pytest.raises(ConfigError) as error:
        load_config(path)

    message = str(error.value)
    assert "extend-selct" in message
    assert "extend-select" in message.replace("extend-selct", "")
    assert str(path.resolve()) in message


@pytest.mark.parametrize(
    "text",
    [
        "[tool.methodlint\nselect = []\n",
        '[tool.methodlint]\nselect = ["ML1"\n',
        '[tool.methodlint]\nselect = ["ML1"]\nselect = ["ML4"]\n',
        "this is not toml\n",
    ],
    ids=["table-header", "unclosed-list", "duplicate-key", "prose"],
)
def test_invalid_toml_is_a_config_error_with_the_path(tmp_path: Path, text: str) -> None:
    path = write_pyproject(tmp_path, text)

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert str(path.resolve()) in str(error.value) or str(path) in str(error.value)


def test_a_methodlint_entry_that_is_not_a_table_is_an_error(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool]\nmethodlint = "strict"\n')

    with pytest.raises(ConfigError, match="methodlint"):
        load_config(path)


def test_load_config_of_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing" / "pyproject.toml")


# --- discover_config -----------------------------------------------------------------------------


def test_discover_finds_the_table_in_a_parent_folder(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, '[tool.methodlint]\nignore = ["ML103"]\n')
    deep = tmp_path / "src" / "pkg" / "sub"
    deep.mkdir(parents=True)

    config = discover_config(deep)

    assert config.ignore == ("ML103",)
    assert config.source == path.resolve()
    assert config.root == tmp_path.resolve()


def test_discover_passes_over_a_pyproject_without_the_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.methodlint]\nignore = ["ML103"]\n')
    write_pyproject(tmp_path / "pkg", '[project]\nname = "pkg"\n\n[tool.ruff]\nfix = true\n')

    config = discover_config(tmp_path / "pkg")

    assert config.ignore == ("ML103",)
    assert config.root == tmp_path.resolve()


def test_discover_stops_at_the_nearest_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.methodlint]\nignore = ["ML103"]\n')
    write_pyproject(tmp_path / "pkg", "[tool.methodlint]\n")

    config = discover_config(tmp_path / "pkg")

    assert config.ignore == ()
    assert config.root == (tmp_path / "pkg").resolve()


def test_discover_without_any_configuration_gives_the_defaults_rooted_at_start(
    tmp_path: Path,
) -> None:
    config = discover_config(tmp_path)

    assert config == Config()
    assert config.source is None
    assert config.root == tmp_path.resolve()


def test_discover_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pyproject(tmp_path, '[tool.methodlint]\nextend-select = ["ML4"]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")

    assert discover_config().extend_select == ("ML4",)


def test_discover_reports_invalid_toml_with_the_path(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.methodlint\n")
    (tmp_path / "sub").mkdir()

    with pytest.raises(ConfigError) as error:
        discover_config(tmp_path / "sub")

    assert str(path.resolve()) in str(error.value)


def test_discover_reports_a_bad_key_with_the_path(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, "[tool.methodlint]\nmax-file-size = -5\n")

    with pytest.raises(ConfigError) as error:
        discover_config(tmp_path)

    assert "max-file-size" in str(error.value)
    assert str(path.resolve()) in str(error.value)
