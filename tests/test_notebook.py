"""Jupyter notebooks as a user sees them: found in folders, IPython syntax masked, findings in
cell coordinates in every output format (golden files in tests/golden/notebook/), `--fix` and
`--diff` that change only the fixed token, suppressions in cells, malformed notebooks, the cache.

The fixture is fixtures/notebooks/orders.ipynb: a markdown cell, `%pip` and `!curl` lines, an
ML101 in the third cell, a `%%time` cell with a fixable ML402, `x = !ls` and an indented `%time`
with `# noqa` comments, a `%%bash` cell, `name?` help and a raw cell, with outputs and metadata.
Regenerate the golden files with `METHODLINT_UPDATE_GOLDEN=1 pytest tests/test_notebook.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import cli, write

from methodlint import Config, lint_source
from methodlint.notebook import join_cells, mask_magics, read_notebook
from methodlint.output import FORMATTERS

HERE = Path(__file__).parent
FIXTURES = HERE.parent / "fixtures" / "notebooks"
GOLDEN = HERE / "golden" / "notebook"
UPDATE = os.environ.get("METHODLINT_UPDATE_GOLDEN") == "1"


@pytest.fixture
def notebooks(project: Path) -> Path:
    """The notebook fixtures copied into the current folder."""
    for name in ("orders.ipynb", "malformed.ipynb", "clean.ipynb"):
        shutil.copy(FIXTURES / name, project / name)
    return project


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert path.exists(), f"no golden file {path}; create it with METHODLINT_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8"), (
        f"the output differs from {path}; if intended, regenerate it with "
        "METHODLINT_UPDATE_GOLDEN=1 pytest tests/test_notebook.py"
    )


def _normalise(output_format: str, text: str, root: Path) -> str:
    """What varies between machines and releases: SARIF's root URI, version and rule list."""
    if output_format != "sarif":
        return text
    log = json.loads(text)
    run = log["runs"][0]
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///SRCROOT/"
    driver = run["tool"]["driver"]
    driver["version"] = driver["semanticVersion"] = "VERSION"
    found = {result["ruleId"] for result in run["results"]}
    for result in run["results"]:
        result.pop("ruleIndex")
    driver["rules"] = [rule for rule in driver["rules"] if rule["id"] in found]
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# --- output ------------------------------------------------------------------------------------


# Every format, including ones added later: each must have its notebook golden file.
@pytest.mark.parametrize("output_format", sorted(FORMATTERS))
def test_notebook_findings_in_every_format_match_the_golden_file(
    notebooks: Path, output_format: str
) -> None:
    run = cli("--no-cache", "--output-format", output_format, "orders.ipynb", "malformed.ipynb")

    assert run.exit_code == 1
    check_golden(f"{output_format}.golden", _normalise(output_format, run.stdout, notebooks))


def test_findings_are_reported_in_cell_coordinates(notebooks: Path) -> None:
    run = cli("--no-cache", "orders.ipynb")

    # The third cell (the first is markdown), second line: the `!curl` line above it is masked.
    assert run.stdout.splitlines() == [
        "orders.ipynb:cell 3:2:42: ML101 GET via requests.get sends content (json=)",
        "orders.ipynb:cell 5:3:22: ML402 [*] 'get' is sent as written by urllib3.PoolManager; "
        "HTTP methods are case-sensitive, the server expects 'GET'",
    ]


def test_json_gives_the_cell_and_null_outside_notebooks(notebooks: Path) -> None:
    write(notebooks, "plain.py", 'import requests\nrequests.get("https://x.example", json={})\n')

    report = json.loads(cli("--no-cache", "--output-format", "json", ".").stdout)

    cells = {(entry["path"], entry["cell"]) for entry in report}
    assert cells == {
        ("malformed.ipynb", None),
        ("orders.ipynb", 3),
        ("orders.ipynb", 5),
        ("plain.py", None),
    }
    fix = next(entry["fix"] for entry in report if entry["code"] == "ML402")
    # The edit counts in the cell too: line 3 of cell 5.
    assert fix["edits"] == [
        {"content": '"GET"', "line": 3, "column": 22, "end_line": 3, "end_column": 27}
    ]


# --- discovery, suppression, malformed, cache --------------------------------------------------


def test_a_folder_walk_finds_notebooks(notebooks: Path) -> None:
    run = cli("--no-cache", ".")

    assert {path for path, *_ in _findings(run.stdout)} == {"orders.ipynb", "malformed.ipynb"}
    assert "3 files checked" in run.stderr


def test_suppression_comments_work_inside_cells(notebooks: Path) -> None:
    # Cell 6 sends bodies with GET twice, each with a noqa comment for ML101.
    report = json.loads(cli("--no-cache", "--output-format", "json", "orders.ipynb").stdout)
    assert 6 not in {entry["cell"] for entry in report}

    comment = "  #" + " noqa: ML101"  # spelt in two so that ruff does not read it here
    source = (FIXTURES / "orders.ipynb").read_text(encoding="utf-8").replace(comment, "")
    (notebooks / "orders.ipynb").write_text(source, encoding="utf-8")
    report = json.loads(cli("--no-cache", "--output-format", "json", "orders.ipynb").stdout)
    assert [(e["cell"], e["line"]) for e in report if e["cell"] == 6] == [(6, 4)]


def test_a_malformed_notebook_is_ml002_with_the_reason(notebooks: Path) -> None:
    run = cli("--no-cache", "malformed.ipynb")

    assert run.exit_code == 1
    assert run.stdout == (
        "malformed.ipynb:1:1: ML002 not a valid notebook: invalid JSON at line 4 column 2: "
        "Expecting ',' delimiter\n"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"nbformat": 4}', "no 'cells' list (is this a Jupyter notebook?)"),
        (b"[1, 2]", "the top level is not a JSON object"),
        (b'{"cells": [{"source": "x"}]}', "cell 1 has no 'cell_type'"),
        (b'{"cells": [{"cell_type": "code", "source": [1]}]}', "cell 1: 'source' holds"),
        (b'{"worksheets": [], "nbformat": 3}', "nbformat 3 notebooks are not supported"),
        (b'{"cells": "x"}', "'cells' is not a list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_each_kind_of_malformed_notebook_says_what_is_wrong(content: bytes, reason: str) -> None:
    (found,) = lint_source(content, "bad.ipynb")

    assert (found.code, found.line, found.column, found.cell) == ("ML002", 1, 1, None)
    assert found.message.startswith(f"not a valid notebook: {reason}")


def test_a_notebook_without_http_code_is_clean(notebooks: Path) -> None:
    run = cli("--no-cache", "clean.ipynb")

    assert (run.exit_code, run.stdout) == (0, "")


def test_the_cache_answers_notebooks_in_cell_coordinates(notebooks: Path) -> None:
    cold = cli("--cache-dir", "cache", "orders.ipynb")
    warm = cli("--cache-dir", "cache", "orders.ipynb")

    assert (notebooks / "cache").is_dir()
    assert cold.stdout == warm.stdout
    assert "cell 3:2:42" in warm.stdout


def test_standard_input_named_as_a_notebook_is_read_as_one(notebooks: Path) -> None:
    data = (notebooks / "orders.ipynb").read_bytes()

    run = cli("--stdin-filename", "nb/orders.ipynb", "-", input=data)

    assert [(p, code) for p, *_, code in _findings(run.stdout)] == [
        ("nb/orders.ipynb", "ML101"),
        ("nb/orders.ipynb", "ML402"),
    ]


def test_the_project_index_leaves_notebooks_to_themselves(notebooks: Path) -> None:
    write(notebooks, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n")

    run = cli("--no-cache", "orders.ipynb")

    assert "orders.ipynb:cell 3:2:42: ML101" in run.stdout


def test_max_file_size_counts_the_code_not_the_outputs(project: Path) -> None:
    notebook = json.loads((FIXTURES / "orders.ipynb").read_text(encoding="utf-8"))
    picture = {"image/png": "A" * 3_000_000}
    notebook["cells"][2]["outputs"].append(
        {"data": picture, "metadata": {}, "output_type": "display_data"}
    )
    write(project, "big.ipynb", json.dumps(notebook, indent=1))

    run = cli("--no-cache", "big.ipynb")

    assert "big.ipynb:cell 3:2:42: ML101" in run.stdout


# --- fixes -------------------------------------------------------------------------------------


def test_fix_changes_only_the_fixed_token_in_the_cell_source(notebooks: Path) -> None:
    before = (notebooks / "orders.ipynb").read_bytes()

    run = cli("--no-cache", "--fix", "orders.ipynb")

    after = (notebooks / "orders.ipynb").read_bytes()
    assert run.exit_code == 1  # the ML101 remains
    assert "Fixed 1 problem." in run.stderr
    assert (
        run.stdout == "orders.ipynb:cell 3:2:42: ML101 GET via requests.get sends content (json=)\n"
    )
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [
        (
            b'    "items = http.urlopen(\\"get\\", f\\"{API}/items\\")"',
            b'    "items = http.urlopen(\\"GET\\", f\\"{API}/items\\")"',
        )
    ]
    # Outputs, metadata and the non-ASCII markdown are as they were; a second --fix does nothing.
    assert json.loads(after)["cells"][2]["outputs"] == json.loads(before)["cells"][2]["outputs"]
    again = cli("--no-cache", "--fix", "orders.ipynb")
    assert (notebooks / "orders.ipynb").read_bytes() == after
    assert "Fixed" not in again.stderr


def test_diff_shows_the_cell_and_writes_nothing(notebooks: Path) -> None:
    before = (notebooks / "orders.ipynb").read_bytes()

    run = cli("--no-cache", "--diff", "orders.ipynb")

    assert run.exit_code == 1
    assert (notebooks / "orders.ipynb").read_bytes() == before
    assert run.stdout == (
        "--- a/orders.ipynb:cell 5\n"
        "+++ b/orders.ipynb:cell 5\n"
        "@@ -1,3 +1,3 @@\n"
        " %%time\n"
        " http = urllib3.PoolManager()\n"
        '-items = http.urlopen("get", f"{API}/items")\n'
        "\\ No newline at end of file\n"
        '+items = http.urlopen("GET", f"{API}/items")\n'
        "\\ No newline at end of file\n"
    )


def test_fix_keeps_a_source_written_as_one_string_and_ascii_escapes(project: Path) -> None:
    cell = (
        'import http.client\nc = http.client.HTTPConnection("h")\nc.request("post", "/caf\u00e9")\n'
    )
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": cell, "outputs": []}]}
    text = json.dumps(notebook, indent=4, ensure_ascii=True)
    write(project, "one.ipynb", text)

    cli("--no-cache", "--fix", "one.ipynb")

    assert (project / "one.ipynb").read_text(encoding="utf-8") == text.replace('\\"post', '\\"POST')


# --- masking and joining -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "masked"),
    [
        ("%matplotlib inline\nx = 1", "pass\nx = 1"),
        ("!pip install \\\n  requests\nx = 1", "pass\n\nx = 1"),
        ("files = !ls\nout = %timeit f()", "pass\npass"),
        ("requests.get?\n??requests", "pass\npass"),
        ("if x:\n    %time f()\n", "if x:\n    pass\n"),
        ("%%bash\necho hi\n", "\n\n"),
        ("%%time\nf()", "\nf()"),
        # Not IPython: a line in a string, a modulo, a comparison, a comment.
        ('s = """\n%d items\n!"""\ny = a % b\nz = a != b\n# what?', None),
        ("call(\n    %s,\n)", None),
    ],
)
def test_ipython_syntax_is_masked_line_for_line(cell: str, masked: str | None) -> None:
    assert mask_magics(cell) == (cell if masked is None else masked)
    assert mask_magics(cell).count("\n") == cell.count("\n")


def test_joined_cells_map_back_to_cells_numbered_among_all_cells() -> None:
    notebook = read_notebook((FIXTURES / "orders.ipynb").read_bytes())
    joined = join_cells(notebook.cells)

    assert [cell.number for cell in notebook.cells] == [2, 3, 5, 6, 7, 8]
    assert joined.locate(1) == (2, 1)
    assert joined.locate(7) == (3, 2)
    # The joined text parses: every cell's IPython syntax is masked.
    assert not [d for d in lint_source(joined.text, "joined.py", Config()) if d.code == "ML001"]


def test_a_syntax_error_in_a_cell_is_reported_in_that_cell(project: Path) -> None:
    cells = ["import requests\n", "def broken(:\n    pass\n"]
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": []} for c in cells]
    }
    write(project, "broken.ipynb", json.dumps(notebook))

    run = cli("--no-cache", "broken.ipynb")

    assert run.stdout.startswith("broken.ipynb:cell 2:1:")
    assert "ML001" in run.stdout


def _findings(stdout: str) -> list[tuple[str, str, str]]:
    """(path, position, code) of each concise line, the position with its cell."""
    found = []
    for line in stdout.splitlines():
        head, code = line.split(": ", 1)[0], line.split(": ", 1)[1].split(" ", 1)[0]
        path, position = head.split(":", 1)
        found.append((path, position, code))
    return found


def test_add_noqa_comments_the_cells_and_keeps_the_notebook_json(notebooks: Path) -> None:
    before = (notebooks / "orders.ipynb").read_bytes()

    run = cli("--no-cache", "--add-noqa", "orders.ipynb")

    after = (notebooks / "orders.ipynb").read_bytes()
    assert run.exit_code == 0
    sources = read_notebook(after).sources()
    assert sources[3].splitlines()[1].endswith("})  # noqa: ML101")
    assert sources[5].splitlines()[2].endswith(")  # noqa: ML402")
    changed = [
        (a, b) for a, b in zip(before.split(b"\n"), after.split(b"\n"), strict=True) if a != b
    ]
    assert len(changed) == 2  # one JSON string per commented line, nothing else
    assert cli("--no-cache", "orders.ipynb").stdout == ""
