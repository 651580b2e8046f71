"""Every rule: its documentation, its VALID/INVALID examples, and its fixture file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from methodlint import Config, lint_source
from methodlint.registry import all_rules
from methodlint.rule import SECTIONS, Rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")

RULES = all_rules()


def _only(rule: type[Rule]) -> Config:
    return Config(select=(rule.code,), preview=rule.preview)


def _module_name(rule: type[Rule]) -> str:
    return sys.modules[rule.__module__].__name__.rsplit(".", 1)[-1]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: type[Rule]) -> None:
    sections = rule.documentation()
    assert list(sections) == list(SECTIONS), f"{rule.code} docstring sections"
    assert all(sections.values()), f"{rule.code} has an empty section"
    assert rule.summary and rule.hint
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert _module_name(rule) == rule.name.replace("-", "_"), "module and name line up"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_examples(rule: type[Rule]) -> None:
    assert rule.VALID and rule.INVALID


EXAMPLES = [
    pytest.param(rule, kind, index, source, id=f"{rule.code}-{kind}-{index}")
    for rule in RULES
    for kind, sources in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for index, source in enumerate(sources)
]


@pytest.mark.parametrize(("rule", "kind", "index", "source"), EXAMPLES)
def test_examples(rule: type[Rule], kind: str, index: int, source: str) -> None:
    found = [d for d in lint_source(source, "example.py", _only(rule)) if d.code == rule.code]
    if kind == "valid":
        assert found == [], f"{rule.code} VALID[{index}] flagged: {found}"
    else:
        assert found, f"{rule.code} INVALID[{index}] not flagged"


def expectations(data: bytes) -> set[tuple[int, str]]:
    expected = set()
    for number, line in enumerate(data.decode("latin-1").splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                expected.add((number, code.strip()))
    return expected


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_fixture(rule: type[Rule]) -> None:
    path = FIXTURES / f"{_module_name(rule)}.py"
    assert path.is_file(), f"{rule.code} has no fixture {path.name}"
    data = path.read_bytes()
    expected = expectations(data)
    assert expected, f"{path.name} expects no finding"
    found = {(d.line, d.code) for d in lint_source(data, path.name, _only(rule))}
    assert found == expected


def test_every_fixture_belongs_to_a_rule() -> None:
    names = {_module_name(rule) for rule in RULES}
    assert {p.stem for p in FIXTURES.glob("*.py")} <= names


CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.code not in ("ML002", "ML003")], ids=lambda r: r.code
)
def test_documentation_examples(rule: type[Rule]) -> None:
    """The docs' Example is flagged by the rule, and its Use instead is not."""
    import textwrap

    sections = rule.documentation()
    for heading, flagged in (("Example", True), ("Use instead", False)):
        for block in CODE_BLOCK.findall(sections[heading]):
            source = textwrap.dedent(block)
            found = [d for d in lint_source(source, "doc.py", _only(rule)) if d.code == rule.code]
            assert bool(found) == flagged, f"{rule.code} {heading}: {found}"
