"""ML901 unused-suppression: which suppression comments it reports, where, and its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from methodlint import Config, lint_source
from methodlint.cli import main
from methodlint.engine import EngineSettings, FileLinter

ML901 = Config(extend_select=("ML901",))


def unused(source: str, config: Config = ML901) -> list[tuple[int, int, int, str]]:
    """(line, column, end column, message) of each ML901 finding."""
    return [
        (d.line, d.column, d.end_column, d.message)
        for d in lint_source(source, "a.py", config)
        if d.code == "ML901"
    ]


def lines(source: str, config: Config = ML901) -> list[int]:
    return [line for line, _, _, _ in unused(source, config)]


def test_it_is_opt_in_and_costs_nothing_when_not_selected() -> None:
    source = "import requests\nrequests.get(u)  # noqa: ML101\n"

    assert lint_source(source) == []
    assert FileLinter(EngineSettings.from_config(Config())).unused_suppressions is None
    assert FileLinter(EngineSettings.from_config(ML901)).unused_suppressions is not None


def test_an_unused_noqa_is_reported_at_the_directive() -> None:
    source = "import requests\nrequests.get(u)  # noqa: ML101\n"

    assert unused(source) == [
        (2, 18, 31, "unused suppression of ML101: nothing to suppress on this line")
    ]


def test_a_used_suppression_is_not_reported() -> None:
    source = (
        "import requests\n"
        "requests.get(u, json=q)  # noqa: ML101\n"
        "requests.get(u, json=q)  # methodlint: ignore[ML101]\n"
        "# methodlint: ignore[ML101]\n"
        "requests.get(\n    u,\n    json=q,\n)\n"
        "requests.get(\n    u,\n    json=q,  # noqa: ML101\n)\n"
    )

    assert unused(source) == []


def test_only_the_unused_codes_of_a_list_are_reported() -> None:
    source = "import requests\nrequests.get(u, json=q)  # noqa: ML102, ML101, ML103\n"

    assert [message for *_, message in unused(source)] == [
        "unused suppression of ML102, ML103: nothing to suppress on this line"
    ]


def test_an_own_line_comment_not_directly_above_is_reported() -> None:
    source = "import requests\n# methodlint: ignore[ML101]\n\nrequests.get(u, json=q)\n"

    assert unused(source) == [
        (2, 1, 28, "unused suppression of ML101: nothing to suppress in the statement below")
    ]


def test_other_tools_codes_and_a_bare_noqa_are_left_alone() -> None:
    source = (
        "import requests\n"
        "requests.get(u)  # noqa\n"
        "requests.get(u)  # noqa: E501\n"
        "requests.get(u)  # noqa: E501, ML101\n"
    )

    assert unused(source) == [
        (4, 18, 37, "unused suppression of ML101: nothing to suppress on this line")
    ]


def test_a_code_that_is_no_rule_is_reported() -> None:
    source = "import requests\nrequests.get(u, json=q)  # noqa: ML101, ML199\n"

    assert [message for *_, message in unused(source)] == [
        "unused suppression of ML199: no rule has this code"
    ]


def test_a_file_level_code_in_a_comment_suppresses_nothing() -> None:
    # ML001-ML003 describe a whole file; a comment never suppresses them.
    assert lines("import requests\nrequests.get(u)  # noqa: ML001\n") == [2]


def test_a_rule_that_is_not_selected_still_counts() -> None:
    source = "import requests\nrequests.get(u, json=q)  # noqa: ML101\n"

    assert unused(source, Config(select=("ML901",))) == []
    assert unused(source, Config(extend_select=("ML901",), ignore=("ML1",))) == []


def test_per_file_ignores_do_not_make_a_comment_unused(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.methodlint]\n"
        'extend-select = ["ML901"]\n'
        'per-file-ignores = { "tests/**" = ["ML101"] }\n'
    )
    (project / "tests").mkdir()
    (project / "tests" / "a.py").write_text(
        "import requests\nrequests.get(u, json=q)  # noqa: ML101\n"
    )

    (project / "tests" / "b.py").write_text("import requests\nrequests.get(u)  # noqa: ML101\n")

    result = CliRunner().invoke(main, ["tests"])

    assert result.exit_code == 1
    assert [line.split(" ")[:2] for line in result.stdout.splitlines()] == [
        ["tests/b.py:2:18:", "ML901"]
    ]


@pytest.mark.parametrize(
    "comment",
    ["# noqa: ML101, ML901", "# methodlint: ignore[ML101, ML901]", "# noqa: ML901  # noqa: ML101"],
)
def test_ml901_can_be_silenced_on_its_line(comment: str) -> None:
    assert unused(f"import requests\nrequests.get(u)  {comment}\n") == []


def test_ml901_can_be_silenced_from_the_line_above() -> None:
    source = "import requests\n# noqa: ML901\nrequests.get(u)  # noqa: ML101\n"

    assert unused(source) == []


def test_it_runs_in_files_that_import_http_libraries_but_make_no_call() -> None:
    assert lines("import requests\nx = 1  # noqa: ML101\n") == [2]


def test_it_does_not_run_where_methodlint_does_not_analyse() -> None:
    assert lines("import os\nx = 1  # noqa: ML101\n") == []
    found = lint_source("import requests\nx = (  # noqa: ML101\n", "a.py", ML901)
    assert [d.code for d in found] == ["ML001"]


def test_a_suppression_inside_a_string_is_no_suppression() -> None:
    assert lines('import requests\nrequests.get(u, params="# noqa: ML101")\n') == []


# --- the fix -------------------------------------------------------------------------------------


def fixed(project: Path, source: str) -> tuple[str, int]:
    path = project / "a.py"
    path.write_text(source, encoding="utf-8")
    run = CliRunner().invoke(main, ["--extend-select", "ML901", "--fix", "a.py"])
    return path.read_text(encoding="utf-8"), run.exit_code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("requests.get(u)  # noqa: ML101\n", "requests.get(u)\n"),
        ("requests.get(u)\t# methodlint: ignore[ML101]", "requests.get(u)"),
        ("# methodlint: ignore[ML101]\n\nrequests.get(u)\n", "\nrequests.get(u)\n"),
        (
            "requests.get(u, json=q)  # noqa: ML101, ML102\n",
            "requests.get(u, json=q)  # noqa: ML101\n",
        ),
        ("requests.get(u)  # noqa: E501, ML101\n", "requests.get(u)  # noqa: E501\n"),
        (
            "requests.get(u, json=q)  # methodlint: ignore[ML102, ML101]\n",
            "requests.get(u, json=q)  # methodlint: ignore[ML101]\n",
        ),
        (
            "requests.get(u)  # type: ignore  # noqa: ML101\n",
            "requests.get(u)  # type: ignore  # noqa: ML101\n",
        ),
        ("requests.get(u)  # noqa: ML101 (old)\n", "requests.get(u)  # noqa: ML101 (old)\n"),
    ],
    ids=[
        "end-of-line",
        "no-newline-at-end",
        "own-line",
        "one-code-of-two",
        "other-tools-code-kept",
        "ignore-list",
        "comment-with-more-is-kept",
        "explanation-is-kept",
    ],
)
def test_the_fix_removes_what_is_unused(project: Path, before: str, after: str) -> None:
    source, _ = fixed(project, "import requests\n" + before)

    assert source == "import requests\n" + after
    again, _ = fixed(project, source)
    assert again == source
