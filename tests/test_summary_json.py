"""A module summary's JSON (what the cache stores, and what its digest is of) is that of
`dataclasses.asdict`, written without copying every leaf."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import libcst as cst
import pytest

from methodlint.analysis.foreign import ProjectView
from methodlint.analysis.pipeline import analyse
from methodlint.analysis.summary import ModuleSummary

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "fixtures" / "projects").rglob("*.py")) + sorted(
    (ROOT / "fixtures" / "wrappers").glob("*.py")
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_json_is_that_of_asdict(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    view = ProjectView({}, "pkg.mod", False)
    _, summary = analyse(cst.parse_module(source), str(path), project=view)
    assert summary is not None
    expected = json.dumps(
        dataclasses.asdict(summary), sort_keys=True, separators=(",", ":"), default=sorted
    )
    assert summary.to_json() == expected
    assert ModuleSummary.from_json(summary.to_json()) == summary


def test_some_fixture_has_a_summary_with_everything_in_it() -> None:
    """The comparison covers wrappers, classes, names and frozensets (an API's methods)."""
    found = []
    for path in FILES:
        view = ProjectView({}, "pkg.mod", False)
        _, summary = analyse(
            cst.parse_module(path.read_text(encoding="utf-8")), "m.py", project=view
        )
        found.append(summary)
    assert any(s is not None and s.functions and s.classes and s.names for s in found)
    assert any(
        s is not None
        and any(r.api.fields_in_query_for for f in s.functions.values() for r in f.requests)
        for s in found
    )
