"""The screen before ML902 reads a file's comments (`suppress.may_name_unknown`): it answers
False only for files whose comments name no unknown code or rule, and a file it spares gets
the same findings as before."""

from __future__ import annotations

import pytest

from methodlint import lint_source, suppress
from methodlint.suppress import invalid_codes, may_name_unknown, read_suppressions

CALL = "import requests\n\nrequests.get(u, json=q)"

# Sources whose comments hold invalid directives, valid ones, or text that only looks like one.
SOURCES = [
    f"{CALL}  # noqa: E501\n",
    f"{CALL}  # noqa: E501, W291\n",
    f"{CALL}  # NOQA:e501\n",
    f"{CALL}  # noqa\n",
    f"{CALL}  # noqa:\n",
    f"{CALL}  # noqa: ML101\n",
    f"{CALL}  # noqa: get-with-body\n",
    f"{CALL}  # noqa: ML999\n",
    f"{CALL}  # noqa: get-with-bodyy\n",
    f"{CALL}  # noqa: ML1O1\n",
    f"{CALL}  # noqa: !ML101\n",
    f"{CALL}  # noqa: 123\n",
    f"{CALL}  # noqa: E501 # noqa: ML999\n",
    f"{CALL}  # methodlint: ignore[E501]\n",
    f"{CALL}  # methodlint: ignore[ML101]\n",
    f'{CALL}\nx = "# noqa: ML999"\n',
    f'{CALL}\nx = """\n# noqa: ML999\n"""\n',
    f"{CALL}  # noqa: E501\r\n# noqa: ML999\r\n",
    f"{CALL}  # noqa: E501\r# noqa: ML999\r",
    f"{CALL}  # type: ignore  # noqa: get-with-bdy\n",
    f"{CALL}\n# noqa: ML101,\n#   ML999\n",
    f"{CALL}\ndef f(:  # noqa: ML999\n",
]


def invalid(source: str) -> bool:
    """What tokenizing the file says: one of its directives names an unknown code."""
    return any(invalid_codes(d) for d in read_suppressions(source).directives)


@pytest.mark.parametrize("source", SOURCES)
def test_it_never_spares_a_file_with_an_invalid_directive(source: str) -> None:
    if invalid(source):
        assert may_name_unknown(source)


@pytest.mark.parametrize(
    "comment", ["# noqa: E501", "# noqa: E501, W291", "# NOQA: e501", "# noqa", "# noqa:"]
)
def test_other_tools_codes_and_bare_noqa_are_spared(comment: str) -> None:
    assert not may_name_unknown(f"{CALL}  {comment}\n")


@pytest.mark.parametrize("source", SOURCES)
def test_the_findings_do_not_change(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spared or not, a file gets the findings it got when its comments were always read."""
    spared = lint_source(source, "a.py")
    monkeypatch.setattr(suppress, "may_name_unknown", lambda source: True)
    assert spared == lint_source(source, "a.py")


def test_a_spared_file_without_findings_is_not_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module that imports an HTTP library but makes no request, with other tools'
    comments (generated code is full of `# noqa: E501`)."""

    def tokenized(source: str) -> suppress.Suppressions:
        raise AssertionError("read its comments")

    monkeypatch.setattr(suppress, "read_suppressions", tokenized)
    source = "import requests\n\n\ndef f(x):  # noqa: E501\n    return x  # noqa: E501\n"
    assert lint_source(source, "a.py") == []


def test_a_file_without_suppression_comments_is_not_tokenized_for_its_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its findings stand as they are: no comment of it can suppress one."""
    source = f"{CALL}  # a comment\n"
    found = lint_source(source, "a.py")
    assert [d.code for d in found] == ["ML101"]

    def tokenized(source: str) -> object:
        raise AssertionError("tokenized for its comments")

    monkeypatch.setattr(suppress, "source_tokens", tokenized)
    assert lint_source(source, "a.py") == found
