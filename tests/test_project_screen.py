"""The byte search that decides whether a module of a project run uses what its imports offer
(`project_screen.Words`): each kind of use, and a name only inside a longer one, a string or
an import statement."""

from __future__ import annotations

import pytest

from methodlint.project_screen import Words

CASES = [
    (Words(calls={"post_json"}), "x = post_json(1)\n", True),
    (Words(calls={"post_json"}), "x = api.post_json (\n    1)\n", True),
    (Words(calls={"post_json"}), "x = post_json_v2(1)\n", False),
    (Words(calls={"post_json"}), "x = my_post_json(1)\n", False),
    (Words(calls={"post_json"}), "# post_json(1)\nx = post_json\n", True),  # a comment counts
    (Words(calls={"post_json"}), "x = post_json\n", False),
    (Words(receivers={"SESSION"}), "SESSION.get(u)\n", True),
    (Words(receivers={"SESSION"}), "SESSION .get(u)\n", True),
    (Words(receivers={"SESSION"}), "obj.SESSION.get(u)\n", False),
    (Words(receivers={"SESSION"}), "SESSIONS.get(u)\n", False),
    (Words(decorators={"retrying"}), "@ retrying\ndef f():\n    pass\n", True),
    (Words(decorators={"retrying"}), "@retrying(3)\ndef f():\n    pass\n", True),
    (Words(decorators={"retrying"}), "@retrying_later\ndef f():\n    pass\n", False),
    (Words(classes={"Base"}), "class A(mixins.X,\n        Base):\n    pass\n", True),
    (Words(classes={"Base"}), "client = Base(1)\n", True),
    (Words(classes={"Base"}), "client: Base = Base(1)\n", True),
    (Words(classes={"Base"}), "def f():\n    return Base(1)\n", False),
    (Words(classes={"Base"}), "class A(BaseModel):\n    pass\n", False),
    # Imported under another name: whatever the new name does is not searched for.
    (Words(names={"post_json"}, imported={"post_json"}), "from a import post_json as p\n", True),
    (Words(names={"post_json"}, imported={"post_json"}), "from a import post_json\n", False),
    (Words(names={"post_json"}), "run(post_json, u)\n", True),
    (Words(names={"post_json"}), "__all__ = ['post_json']\n", False),
    (Words(names={"post_json"}), "from app.http import (\n    post_json,\n)\n", False),
    (Words(names={"post_json"}), "x = api.post_json\n", False),
    (Words(gated={"session": Words(calls={"post"})}), "self.session.post(u)\n", True),
    (Words(gated={"session": Words(calls={"post"})}), "self.other.post(u)\n", False),
    (Words(gated={"session": Words(calls={"post"})}), "s = 'session'\nx.post(u)\n", False),
    (Words(calls={"envoyé"}), "x = 1\n", True),  # a name of other letters: parsed
    (Words(unknown=True), "x = 1\n", True),
    (Words(), "post_json(1)\n", False),
]


@pytest.mark.parametrize(("words", "source", "expected"), CASES)
def test_a_use_of_what_the_imports_offer_is_found_by_its_kind(
    words: Words, source: str, expected: bool
) -> None:
    assert words.found_in(source.encode()) is expected
