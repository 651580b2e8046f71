"""The Python API: `methodlint.lint_source`, `methodlint.lint_paths`, `Config`, `Diagnostic`."""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import write

import methodlint
from methodlint import (
    Config,
    ConfigError,
    Diagnostic,
    Report,
    Severity,
    lint_paths,
    lint_source,
    registry,
)
from methodlint.config import load_config
from methodlint.facts import HttpCall
from methodlint.rule import Finding, Rule

GET_WITH_BODY = "import requests\n\nrequests.get(url, json=q)\n"
THREE_RULES = (
    "import requests\n"
    "\n"
    'requests.request("gte", u)\n'
    "requests.head(u, data=q)\n"
    "requests.get(u, json=q)\n"
)


# --- the public names ----------------------------------------------------------------------------


def test_the_documented_names_are_exported() -> None:
    for name in ("lint_source", "lint_paths", "Config", "ConfigError", "Diagnostic", "Report"):
        assert name in methodlint.__all__
        assert hasattr(methodlint, name)


# --- lint_source ---------------------------------------------------------------------------------


def test_lint_source_returns_diagnostics() -> None:
    found = lint_source(GET_WITH_BODY)

    assert isinstance(found, list)
    assert len(found) == 1
    diagnostic = found[0]
    assert isinstance(diagnostic, Diagnostic)
    assert diagnostic.code == "ML101"
    assert diagnostic.name == "get-with-body"
    assert diagnostic.severity == Severity.WARNING
    assert diagnostic.severity.value == "warning"
    assert diagnostic.path == "<string>"
    assert (diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column) == (
        3,
        19,
        3,
        25,
    )
    assert "GET" in diagnostic.message
    assert diagnostic.hint
    assert diagnostic.fix is None


def test_lint_source_uses_the_given_path() -> None:
    (diagnostic,) = lint_source(GET_WITH_BODY, path="src/client.py")

    assert diagnostic.path == "src/client.py"


def test_lint_source_takes_bytes() -> None:
    assert lint_source(GET_WITH_BODY.encode()) == lint_source(GET_WITH_BODY)


def test_lint_source_of_clean_code_is_empty() -> None:
    assert lint_source("import requests\n\nrequests.get(url, params=q)\n") == []
    assert lint_source("") == []


def test_lint_source_findings_are_sorted() -> None:
    found = lint_source(THREE_RULES)

    assert [(d.line, d.code) for d in found] == [(3, "ML401"), (4, "ML102"), (5, "ML101")]


def test_lint_source_counts_columns_in_code_points() -> None:
    (diagnostic,) = lint_source('import requests\nrequests.get("\u00e9\u00e9\U0001f600", json=q)\n')

    # 20 characters (25 UTF-8 bytes, 21 UTF-16 units) come before json=.
    assert (diagnostic.line, diagnostic.column, diagnostic.end_column) == (2, 21, 27)


def test_lint_source_reports_a_syntax_error_in_an_http_file() -> None:
    (diagnostic,) = lint_source("import requests\n\ndef fetch(url)\n    pass\n", path="b.py")

    assert diagnostic.code == "ML001"
    assert diagnostic.name == "syntax-error"
    assert diagnostic.severity == Severity.ERROR
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("b.py", 3, 15)


def test_lint_source_ignores_a_syntax_error_in_a_file_without_http_imports() -> None:
    assert lint_source("import os\n\ndef fetch(url)\n    pass\n") == []


def test_lint_source_reports_undecodable_bytes() -> None:
    (diagnostic,) = lint_source(b"import requests\nx = '\xff'\n")

    assert diagnostic.code == "ML002"
    assert (diagnostic.line, diagnostic.column) == (1, 1)


def test_lint_source_honours_the_config() -> None:
    assert [d.code for d in lint_source(THREE_RULES, config=Config(ignore=("ML1",)))] == ["ML401"]
    assert [d.code for d in lint_source(THREE_RULES, config=Config(select=("ML102",)))] == ["ML102"]
    assert [d.code for d in lint_source(GET_WITH_BODY, config=Config(max_file_size=10))] == [
        "ML003"
    ]


def test_lint_source_without_config_does_not_discover_one(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.methodlint]\nignore = ["ML101"]\n')

    assert [d.code for d in lint_source(GET_WITH_BODY)] == ["ML101"]


def test_lint_source_honours_suppression_comments() -> None:
    source = "import requests\n\nrequests.get(url, json=q)  # methodlint: ignore[ML101]\n"

    assert lint_source(source) == []


# --- Diagnostic ----------------------------------------------------------------------------------


def test_diagnostic_is_frozen() -> None:
    (diagnostic,) = lint_source(GET_WITH_BODY)

    with pytest.raises(dataclasses.FrozenInstanceError):
        diagnostic.line = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        diagnostic.code = "ML102"  # type: ignore[misc]
    assert diagnostic.line == 3
    assert diagnostic.code == "ML101"


def test_diagnostics_compare_and_hash_by_value() -> None:
    first = lint_source(GET_WITH_BODY, path="a.py")
    second = lint_source(GET_WITH_BODY, path="a.py")

    assert first == second
    assert len({*first, *second}) == 1
    assert first != lint_source(GET_WITH_BODY, path="b.py")


# --- lint_paths ----------------------------------------------------------------------------------


def test_lint_paths_returns_a_report(project: Path) -> None:
    write(project, "pkg/a.py", GET_WITH_BODY)
    write(project, "pkg/b.py", THREE_RULES)
    write(project, "pkg/plain.py", "x = 1\n")
    write(project, "pkg/notes.txt", GET_WITH_BODY)

    report = lint_paths(["pkg"])

    assert isinstance(report, Report)
    assert report.files_checked == 3
    assert list(report.files_skipped) == []
    assert [(d.path, d.line, d.code) for d in report.diagnostics] == [
        ("pkg/a.py", 3, "ML101"),
        ("pkg/b.py", 3, "ML401"),
        ("pkg/b.py", 4, "ML102"),
        ("pkg/b.py", 5, "ML101"),
    ]
    assert all(isinstance(d, Diagnostic) for d in report.diagnostics)


def test_lint_paths_of_a_clean_tree(project: Path) -> None:
    write(project, "a.py", "import requests\nrequests.post(u, json=q)\n")

    report = lint_paths(["."])

    assert report.diagnostics == []
    assert report.files_checked == 1


def test_lint_paths_files_checked_counts_explicit_files(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)
    write(project, "bin/script", GET_WITH_BODY)

    report = lint_paths(["a.py", "bin/script"])

    assert report.files_checked == 2
    assert [d.path for d in report.diagnostics] == ["a.py", "bin/script"]


def test_lint_paths_reports_what_it_skipped(project: Path) -> None:
    write(project, "pkg/a.py", GET_WITH_BODY)
    os.symlink("..", project / "pkg" / "loop")

    report = lint_paths(["pkg"])

    assert [d.path for d in report.diagnostics] == ["pkg/a.py"]
    assert report.files_checked == 1
    assert [where for where, _ in report.files_skipped] == ["pkg/loop"]
    assert all(reason for _, reason in report.files_skipped)


def test_lint_paths_without_config_does_not_discover_one(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.methodlint]\nignore = ["ML101"]\n')
    write(project, "a.py", GET_WITH_BODY)

    assert [d.code for d in lint_paths(["a.py"]).diagnostics] == ["ML101"]


def test_lint_paths_with_a_config_from_keywords(project: Path) -> None:
    write(project, "a.py", THREE_RULES)
    write(project, "generated/b.py", THREE_RULES)

    config = Config(select=("ML1",), extend_exclude=("generated",))
    report = lint_paths(["."], config)

    assert [(d.path, d.code) for d in report.diagnostics] == [("a.py", "ML102"), ("a.py", "ML101")]


def test_lint_paths_with_a_loaded_config(project: Path) -> None:
    path = write(
        project,
        "pyproject.toml",
        '[tool.methodlint]\nper-file-ignores = { "tests/**" = ["ML1"] }\n',
    )
    write(project, "tests/test_a.py", THREE_RULES)
    write(project, "src/a.py", GET_WITH_BODY)

    report = lint_paths(["."], load_config(path))

    assert [(d.path, d.code) for d in report.diagnostics] == [
        ("src/a.py", "ML101"),
        ("tests/test_a.py", "ML401"),
    ]


def test_lint_paths_rejects_an_unknown_code_in_a_config_from_keywords(project: Path) -> None:
    write(project, "a.py", GET_WITH_BODY)

    with pytest.raises(ConfigError, match="ML1O1"):
        lint_paths(["a.py"], Config(select=("ML1O1",)))


# --- third-party rules (the `methodlint.rules` entry point group) -------------------------------


class PluginGetRule(Rule):
    """
    ## What it does
    Flags every GET (a plugin's rule, for the tests).

    ## Why is this bad?
    It is not; this is a test.

    ## Example
    ```python
    requests.get(url)
    ```

    ## Use instead
    ```python
    requests.head(url)
    ```

    ## References
    - none
    """

    code = "XY101"
    name = "plugin-get"
    severity = Severity.WARNING
    summary = "A GET request (test plugin)"
    hint = "Do something else"

    def check_call(self, call: HttpCall) -> Iterator[Finding]:
        if call.method == "GET":
            yield Finding(call.build_site, f"GET via {call.client}")


@dataclasses.dataclass(frozen=True)
class FakeEntryPoint:
    name: str
    value: object

    def load(self) -> object:
        return self.value


def _install_plugins(monkeypatch: pytest.MonkeyPatch, *plugins: object) -> None:
    def entry_points(group: str) -> list[FakeEntryPoint]:
        if group != "methodlint.rules":
            return []
        return [FakeEntryPoint(f"plugin{i}", plugin) for i, plugin in enumerate(plugins)]

    monkeypatch.setattr(registry, "entry_points", entry_points)
    registry.all_rules.cache_clear()


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Plugins installed through a fake `importlib.metadata.entry_points`; the rule registry is
    rebuilt before and after the test."""
    registry.all_rules.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    registry.all_rules.cache_clear()


def test_a_plugin_rule_is_discovered_selected_and_reported(plugins: pytest.MonkeyPatch) -> None:
    _install_plugins(plugins, PluginGetRule)
    source = "import requests\n\nrequests.get(url, json=q)\n"

    assert "XY101" in [rule.code for rule in registry.all_rules()]
    only = lint_source(source, "a.py", Config(select=("XY1",)))
    assert [(d.code, d.name, d.line, d.message) for d in only] == [
        ("XY101", "plugin-get", 3, "GET via requests.get")
    ]
    assert {d.code for d in lint_source(source, "a.py")} == {"XY101", "ML101"}
    assert [d.code for d in lint_source(source, "a.py", Config(ignore=("plugin-get",)))] == [
        "ML101"
    ]


def test_a_plugin_module_registers_its_rules(plugins: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("methodlint_xy")
    rule = type("ModuleRule", (PluginGetRule,), {"code": "XY102", "__module__": "methodlint_xy"})
    module.ModuleRule = rule  # type: ignore[attr-defined]
    _install_plugins(plugins, module)

    assert [r.code for r in registry.all_rules() if not r.code.startswith("ML")] == ["XY102"]


def test_a_plugin_may_not_use_the_ml_prefix(plugins: pytest.MonkeyPatch) -> None:
    rule = type("Impostor", (PluginGetRule,), {"code": "ML999"})
    _install_plugins(plugins, rule)

    with pytest.raises(registry.PluginError, match="ML999"):
        registry.all_rules()
