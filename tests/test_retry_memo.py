"""The retry analysis remembers which expressions are no retry decorator while it answers one
question (`DecoratorSpecs.spec_for`): the same facts and summaries as asking every time, without
asking again along every path of calls and returns that leads to the same expression."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from methodlint import Config, lint_paths
from methodlint.analysis.foreign import ProjectView
from methodlint.analysis.pipeline import analyse
from methodlint.analysis.retry.specs import DecoratorSpecs

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(
    path
    for path in (ROOT / "fixtures").rglob("*.py")
    if any(w in path.read_bytes() for w in (b"retry", b"retries", b"backoff", b"tenacity"))
)


def chain(levels: int, returns: int) -> str:
    """Functions that each return one of `returns` calls of the next, the last a request:
    the paths from the first to the last multiply at every level."""
    lines = ["import requests", ""]
    for level in range(levels):
        lines.append(f"def f{level}(x):")
        for choice in range(returns - 1):
            lines.append(f"    if x == {choice}:")
            lines.append(f"        return f{level + 1}(x + {choice})")
        lines.append(f"    return f{level + 1}(x)")
        lines.append("")
    lines += [f"def f{levels}(x):", "    return requests.get(x)", ""]
    lines += ["@f0(1)", "def send():", "    return requests.post('u', json={})", ""]
    return "\n".join(lines)


HANDWRITTEN = """\
import requests


def retry(func):
    def wrapper(*args, **kwargs):
        for _ in range(3):
            try:
                return func(*args, **kwargs)
            except requests.ConnectionError:
                pass
    return wrapper


def pick(kind):
    if kind:
        return retry
    return retry


def factory():
    return pick(1)


retrying = factory()


@retry
def send():
    return requests.post("https://example.com", json={})


@pick(0)
def create():
    return requests.post("https://example.com", json={})
"""

SOURCES = {
    **{str(p.relative_to(ROOT)): p.read_text(errors="replace") for p in FIXTURES},
    "chain": chain(5, 3),
    "handwritten": HANDWRITTEN,
}


def unremembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every question answered afresh, as before the memo."""
    monkeypatch.setattr(
        DecoratorSpecs,
        "spec_for",
        lambda self, node, scope, depth=0: DecoratorSpecs._spec_for(self, node, scope, depth),
    )


def facts_and_summary(source: str) -> tuple[object, object]:
    view = ProjectView({}, "pkg.mod", False)
    return analyse(cst.parse_module(source), "mod.py", project=view)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_facts_and_summary_are_those_of_asking_every_time(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    remembered = facts_and_summary(SOURCES[name])
    unremembered(monkeypatch)
    assert facts_and_summary(SOURCES[name]) == remembered


def test_the_fixture_project_gets_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(cross_module=True)
    shop = ROOT / "fixtures" / "projects" / "shop"
    remembered = lint_paths([str(shop)], config, cache=False, jobs=1).diagnostics
    assert remembered  # the fixture has findings across modules
    unremembered(monkeypatch)
    assert lint_paths([str(shop)], config, cache=False, jobs=1).diagnostics == remembered


def test_an_expression_is_asked_about_once_per_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    original = DecoratorSpecs._spec_for

    def counted(
        self: DecoratorSpecs, node: cst.BaseExpression, scope: object, depth: int
    ) -> object:
        asked.append(id(node))
        return original(self, node, scope, depth)  # type: ignore[arg-type]

    monkeypatch.setattr(DecoratorSpecs, "_spec_for", counted)
    facts_and_summary(chain(5, 3))
    remembered = len(asked)
    asked.clear()
    unremembered(monkeypatch)
    facts_and_summary(chain(5, 3))
    # 3 returns a level over 5 levels: dozens of paths to each of 3 expressions a level.
    assert remembered * 5 < len(asked)
