"""The project index on a multi-package fixture project (fixtures/projects/shop): the findings
are the `# expect:` marks, cross-module = false drops the cross-module ones, one given file sees
the rest of the project, the cache re-checks a changed module and its dependents only, and
`--jobs` never changes the output. Every test works on a copy of the fixture in tmp_path."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import Run, cli, write

from methodlint import Config, Report, lint_paths, screen

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "projects" / "shop"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>ML\d{3}(?:\s*,\s*ML\d{3})*)")
HOUR = 3600
# A project module with a request wrapper other modules import.
POST_JSON_MODULE = (
    "import requests\n\n\ndef post_json(url, body):\n"
    "    return requests.post(url, json=body, timeout=5)\n"
)

Finding = tuple[str, int, str]  # (path relative to the project, POSIX), line, code

# What crosses modules today, each a different form (see the fixture's docstrings).
REACHED: set[Finding] = {
    ("src/billing/invoices.py", 14, "ML201"),  # a function wrapper of another package
    ("src/billing/invoices.py", 32, "ML201"),  # a module constant of constants.py
    ("src/billing/invoices.py", 41, "ML201"),  # an enum member, re-exported by __init__.py
    ("src/billing/invoices.py", 57, "ML101"),  # a class of constants; body by position
    ("src/billing/invoices.py", 61, "ML101"),  # a GET wrapper called with data=
    ("src/billing/invoices.py", 78, "ML103"),  # the module-level session, re-exported
    ("src/billing/payments.py", 44, "ML201"),  # the module-level session, imported
    ("src/billing/payments.py", 54, "ML201"),  # a wrapper of the same package
    ("src/billing/payments.py", 64, "ML301"),  # a read-modify-write through two wrappers
    ("src/shop/client/orders.py", 53, "ML201"),  # a retry inside another module's wrapper
    ("src/billing/transport.py", 16, "ML203"),  # a Retry subclass of another module
    ("src/billing/transport.py", 17, "ML203"),  # a subclass of that subclass, three modules
    ("src/billing/transport.py", 31, "ML203"),  # DEFAULT_ALLOWED_METHODS: urllib3 1.26 only
    ("src/billing/exports.py", 12, "ML201"),  # a wrapper re-exported by a star import (__all__)
    ("src/billing/exports.py", 21, "ML201"),  # a constant re-exported by a star import
    ("src/billing/exports.py", 32, "ML201"),  # a class bound by a star import here
}
SAME_MODULE: Finding = ("src/shop/session.py", 16, "ML102")
WRAPPER_CALLER: Finding = ("src/billing/invoices.py", 14, "ML201")  # post_json of _http.py
# post_json of _http.py, re-exported by shop/api.py's star import: its digest does not change
# when _http.py does, so the cache must follow the re-export to _http.py's summary.
STAR_CALLER: Finding = ("src/billing/exports.py", 12, "ML201")
GATEWAY_CALLER: Finding = ("src/billing/payments.py", 54, "ML201")  # post_charge of gateway.py


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of the fixture project whose files were last changed an hour ago (so that the
    cache trusts their modification times)."""
    copy = tmp_path / "shop"
    shutil.copytree(SHOP, copy)
    then = time.time() - HOUR
    for path in copy.rglob("*"):
        os.utime(path, (then, then))
    return copy


def expectations(project: Path) -> set[Finding]:
    expected = set()
    for path in sorted(project.rglob("*.py")):
        name = path.relative_to(project).as_posix()
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                expected.update((name, number, c.strip()) for c in match["codes"].split(","))
    return expected


def found(report: Report, project: Path) -> set[Finding]:
    return {
        (Path(os.path.relpath(os.path.abspath(d.path), project)).as_posix(), d.line, d.code)
        for d in report.diagnostics
    }


def lint(project: Path, *paths: str, config: Config | None = None, **options) -> set[Finding]:
    given = [str(project / p) for p in paths or ("src",)]
    return found(
        lint_paths(given, config or Config(root=project, cross_module=True), **options), project
    )


def edit(project: Path, name: str, old: str, new: str) -> None:
    """Replace `old` in a file (it must be there), as a save half an hour ago."""
    text = (project / name).read_text("utf-8")
    assert old in text, f"{old!r} not in {name}"
    write(project, name, text.replace(old, new), age=HOUR / 2)


def profiled(project: Path, *args: str) -> tuple[str, dict[str, float]]:
    """The concise output of a CLI run in a fresh process, and its profile line."""
    done = subprocess.run(
        [sys.executable, "-m", "methodlint", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "METHODLINT_PROFILE": "1"},
    )
    assert done.returncode in (0, 1), done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("methodlint profile: "))
    return done.stdout, json.loads(line.removeprefix("methodlint profile: "))


# --- the fixture's marks -------------------------------------------------------------------------


def test_findings_are_the_expectations(shop: Path) -> None:
    assert lint(shop) == expectations(shop)


def test_no_finding_outside_the_expectations(shop: Path) -> None:
    # Precision: the look-alikes (a cache's get, a project module named `requests`), the
    # retried GETs, the keyed POSTs and the decorators of another module stay clean.
    expected = expectations(shop)
    assert REACHED | {SAME_MODULE} <= expected
    result = lint(shop)
    assert result <= expected
    assert result >= REACHED | {SAME_MODULE}


def test_the_look_alike_modules_stay_clean(shop: Path) -> None:
    # A project module named `requests` (imported relatively) and a cache class with get/post/
    # delete: nothing there, nor at their calls (the decorators of retrying.py wrap no request).
    result = lint(shop)
    for name in ("cache.py", "requests.py", "retrying.py"):
        assert not {f for f in result if f[0] == f"src/shop/{name}"}, name
    users = {line for name, line, _ in result if name == "src/shop/client/users.py"}
    assert not users & set(range(14, 23))  # UsersClient.user and .lookup


def test_a_retry_subclass_of_another_module_says_which_urllib3_it_applies_to(shop: Path) -> None:
    report = lint_paths([str(shop / "src")], Config(root=shop, cross_module=True))
    messages = {d.line: d.message for d in report.diagnostics if d.path.endswith("transport.py")}
    # RetryEverything's __init__ sets allowed_methods: every urllib3; BillingRetry inherits it.
    assert "every method is allowed" in messages[16] and "1.26" not in messages[16]
    assert "every method is allowed" in messages[17]
    # LegacyRetry only overrides DEFAULT_ALLOWED_METHODS, which urllib3 2.x does not read.
    assert "with urllib3 1.26 only: LegacyRetry.DEFAULT_ALLOWED_METHODS" in messages[31]
    assert "can re-send POST after" in messages[31]


# --- cross-module = false ------------------------------------------------------------------------


def test_cross_module_false_analyses_each_file_alone(shop: Path) -> None:
    assert WRAPPER_CALLER in lint(shop)

    alone = lint(shop, config=Config(root=shop, cross_module=False))

    assert WRAPPER_CALLER not in alone
    assert SAME_MODULE in alone
    assert alone == {SAME_MODULE}  # every other finding needs another module's summary


# --- one given file ------------------------------------------------------------------------------


@pytest.mark.parametrize("src", [(), ("src",)], ids=["src-layout-found", "src-configured"])
def test_one_given_file_sees_the_summaries_of_the_rest(shop: Path, src: tuple[str, ...]) -> None:
    # billing/invoices.py imports the `shop` package beside it in `src/`: the project is grown
    # to every package of that root, whether or not `src` is configured.
    config = Config(root=shop, src=src, cross_module=True)
    name = "src/billing/invoices.py"
    mine = {f for f in expectations(shop) if f[0] == name}
    assert len(mine) == 6

    assert lint(shop, name, config=config) == mine


@pytest.mark.parametrize(
    "name", ["src/shop/client/orders.py", "src/shop/session.py", "src/shop/_http.py"]
)
def test_one_given_file_of_a_package_gets_its_findings_of_the_whole_run(
    shop: Path, name: str
) -> None:
    whole = {f for f in lint(shop) if f[0] == name}
    assert whole

    assert lint(shop, name) == whole


# --- the cache -----------------------------------------------------------------------------------


def test_a_changed_wrapper_module_changes_the_findings_of_its_callers(shop: Path) -> None:
    cache = shop / "cache"
    cold = lint(shop, cache=cache)
    assert {WRAPPER_CALLER, STAR_CALLER} <= cold

    edit(
        shop,
        "src/shop/_http.py",
        "return SESSION.post(API + path, json=body, timeout=10)",
        'return SESSION.post(API + path, json=body, headers={"Idempotency-Key": body["id"]})',
    )
    warm = lint(shop, cache=cache)

    assert warm == cold - {WRAPPER_CALLER, STAR_CALLER}
    assert warm == lint(shop)  # what an uncached run finds


def test_a_changed_fixed_method_changes_the_findings_of_its_callers(shop: Path) -> None:
    cache = shop / "cache"
    cold = lint(shop, cache=cache)
    assert GATEWAY_CALLER in cold

    edit(shop, "src/billing/gateway.py", "SESSION.post(", "SESSION.put(")
    assert lint(shop, cache=cache) == cold - {GATEWAY_CALLER}  # PUT is idempotent

    edit(shop, "src/billing/gateway.py", "SESSION.put(", "SESSION.post(")
    assert lint(shop, cache=cache) == cold


def test_a_warm_run_re_checks_the_changed_file_and_its_dependents_only(shop: Path) -> None:
    args = ("-q", "--cache-dir", "cache", "src")
    cold_output, cold = profiled(shop, *args)
    # Files that can matter only: not the cache, the `requests` look-alike, the decorators
    # of another module (nothing imports them that it can offer to), the empty __init__.py.
    assert 0 < cold["files_parsed"] == cold["files_read"] < len(list(shop.rglob("*.py")))

    output, warm = profiled(shop, *args)
    assert (warm["files_read"], warm["files_parsed"], warm["workers"]) == (0, 0, 0)
    assert output == cold_output

    # gateway.py is imported by payments.py only.
    edit(shop, "src/billing/gateway.py", "timeout=10", "timeout=20")
    output, changed = profiled(shop, *args)
    assert (changed["files_read"], changed["files_parsed"]) == (1, 1)  # same summary
    assert output == cold_output

    edit(shop, "src/billing/gateway.py", "SESSION.post(", "SESSION.put(")
    output, changed = profiled(shop, *args)
    assert (changed["files_read"], changed["files_parsed"]) == (2, 2)  # and payments.py
    assert "src/billing/payments.py:54:" in cold_output
    assert "src/billing/payments.py:54:" not in output

    # invoices.py: nothing imports it.
    edit(shop, "src/billing/invoices.py", "def listing()", "def listing_all()")
    _, changed = profiled(shop, *args)
    assert (changed["files_read"], changed["files_parsed"]) == (1, 1)

    # A method constant more in constants.py: it and the modules that import it.
    edit(shop, "src/shop/constants.py", '    DELETE = "DELETE"\n\n\nclass', "\n\nclass")
    _, changed = profiled(shop, *args)
    # __init__.py and api.py only re-export it: their summaries come from their imports.
    importers = {"constants.py", "client/resource.py", "client/orders.py"}
    assert changed["files_read"] == len(importers) + 1  # and billing/invoices.py
    _, again = profiled(shop, *args)
    assert again["files_read"] == 0


# --- --jobs --------------------------------------------------------------------------------------


def test_jobs_cold_and_warm_give_the_same_output(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shop)
    runs: list[Run] = []
    for jobs in ("1", "2"):
        for _ in ("cold", "warm"):
            runs.append(cli("--jobs", jobs, "--cache-dir", f"cache{jobs}", "src"))
        runs.append(cli("--jobs", jobs, "--no-cache", "src"))

    first = runs[0]
    assert first.exit_code == 1
    assert {(p, line, code) for p, line, _, code in first.findings} == lint(shop)
    assert first.findings == sorted(first.findings)
    for run in runs[1:]:
        assert (run.exit_code, run.stdout) == (first.exit_code, first.stdout)


# --- import cycles -------------------------------------------------------------------------------

CYCLE = {
    "pkg/__init__.py": "",
    "pkg/a.py": (
        "import time\n"
        "import requests\n"
        "from . import b\n"
        "\n"
        "def post(path, body):\n"
        "    return requests.post('https://x.test' + path, json=body)\n"
        "\n"
        "def order(o):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            return b.create(o)\n"
        "        except requests.RequestException:\n"
        "            time.sleep(1)\n"
    ),
    "pkg/b.py": "from . import a\n\ndef create(o):\n    return a.post('/orders', o)\n",
}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_wrapper_chain_through_an_import_cycle_is_followed(tmp_path: Path, jobs: int) -> None:
    # a imports b and b imports a: b's wrapper is only known after a's summary, and a's loop
    # around it only after b's; the rounds of the cycle find it whatever the worker order.
    for name, text in CYCLE.items():
        write(tmp_path, name, text)
    report = lint_paths(
        [str(tmp_path / "pkg")], Config(root=tmp_path, cross_module=True), jobs=jobs
    )
    found = [(Path(d.path).name, d.line, d.code) for d in report.diagnostics]
    assert found == [("a.py", 11, "ML201")]
    assert "in create -> post" in report.diagnostics[0].message


def test_a_failure_of_the_index_falls_back_to_single_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import methodlint.project_run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(methodlint.project_run, "run_project", broken)
    write(tmp_path, "a.py", "import requests\nrequests.get('https://x.test', json={'a': 1})\n")
    report = lint_paths([str(tmp_path / "a.py")], Config(root=tmp_path, cross_module=True), jobs=1)
    assert [d.code for d in report.diagnostics] == ["ML101"]
    assert "the project index failed (RuntimeError: boom)" in capsys.readouterr().err


# --- what is parsed ------------------------------------------------------------------------------


def test_a_module_is_parsed_for_its_imports_only_when_it_uses_what_they_offer(
    project: Path,
) -> None:
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "from .http import post_json\n", age=HOUR)
    write(project, "app/http.py", POST_JSON_MODULE, age=HOUR)
    loop = (
        "    for attempt in range(3):\n        try:\n            return {call}\n"
        "        except OSError:\n            pass\n"
    )
    # Imports the wrapper for its type hints only: nothing to find, not parsed.
    write(project, "app/idle.py", "from app.http import post_json\n\n__all__ = ['post_json']\n")
    # Uses it under another name, through the package's re-export (not parsed itself).
    write(
        project,
        "app/jobs.py",
        "from app import post_json as send\n\n\ndef run(u, b):\n" + loop.format(call="send(u, b)"),
        age=HOUR,
    )
    write(
        project,
        "app/tasks.py",
        "from app.http import post_json\n\n\ndef run(u, b):\n"
        + loop.format(call="post_json(u, b)"),
        age=HOUR,
    )
    # Passes it to a retry helper of its own, by name: a use that is no call.
    write(
        project,
        "app/helped.py",
        "from app.http import post_json\n\n\ndef with_retries(fn, *args):\n"
        "    for attempt in range(3):\n        try:\n            return fn(*args)\n"
        "        except OSError:\n            pass\n\n\n"
        "def run(u, b):\n    return with_retries(post_json, u, b)\n",
        age=HOUR,
    )
    output, profile = profiled(project, "--no-cache", "app")
    assert "app/jobs.py:7:20: ML201" in output
    assert "app/tasks.py:7:20: ML201" in output
    assert "app/helped.py:13:" in output
    # http.py, jobs.py, tasks.py, helped.py; not __init__.py (re-exports) nor idle.py.
    assert profile["files_parsed"] == 4


def assert_as_if_parsed(monkeypatch: pytest.MonkeyPatch, name: str, stand_in: object) -> None:
    """The project run over `app` finds what it finds with `screen.<name>` replaced by
    `stand_in`, a screen that lets the module it kept out through to LibCST."""
    config = Config(cross_module=True)
    screened = lint_paths(["app"], config, jobs=1).diagnostics
    monkeypatch.setattr(screen, name, stand_in)
    assert lint_paths(["app"], config, jobs=1).diagnostics == screened


def test_an_http_module_is_not_parsed_for_a_project_import_it_does_not_use(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that imports an HTTP library and a project wrapper, but uses the library for
    an exception only and the wrapper not at all, can produce no fact: it is not parsed, and
    what it imports it still re-exports to the modules that import it."""
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "", age=HOUR)
    write(project, "app/http.py", POST_JSON_MODULE, age=HOUR)
    write(
        project,
        "app/errors.py",
        "import requests\n\nfrom app.http import post_json\n\n__all__ = ['post_json']\n\n\n"
        "def failed(error):\n    return isinstance(error, requests.RequestException)\n",
        age=HOUR,
    )
    write(
        project,
        "app/jobs.py",
        "from app.errors import post_json\n\n\ndef run(u, b):\n"
        "    for attempt in range(3):\n        try:\n            return post_json(u, b)\n"
        "        except OSError:\n            pass\n",
        age=HOUR,
    )
    output, profile = profiled(project, "--no-cache", "--output-format", "concise", "app")
    assert "app/jobs.py:7:20: ML201" in output
    # http.py and jobs.py; errors.py is read (it imports requests) but not parsed.
    assert (profile["files_read"], profile["files_parsed"]) == (3, 2)
    # The findings are those of a run that parses it.
    assert_as_if_parsed(monkeypatch, "may_have_facts", lambda *args, **kwargs: True)


REPO = (
    "import urllib.parse\n\n\nclass Repo:\n    def __init__(self, requester):\n"
    "        self._requester = requester\n\n    def read(self, name):\n"
    "        return self._requester.request_json('GET', urllib.parse.quote(name))\n\n"
    "    def cached(self, verb):\n        return verb in ('GET', 'HEAD')\n"
)


def test_a_module_that_only_passes_method_names_to_calls_is_not_parsed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that imports an HTTP library for a helper and hands method names to an
    object of its own (PyGithub's `requester.requestJsonAndCheck("POST", ...)`) makes no
    request and offers no constant; the same module with a module constant offers it."""
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "", age=HOUR)
    write(
        project,
        "app/http.py",
        "import requests\n\n\ndef send(method, url, body):\n"
        "    return requests.request(method, url, json=body, timeout=5)\n",
        age=HOUR,
    )
    write(project, "app/repo.py", REPO, age=HOUR)
    write(project, "app/verbs.py", REPO + "\n\nREAD = 'GET'\n", age=HOUR)
    write(
        project,
        "app/client.py",
        "from app.http import send\nfrom app.verbs import READ\n\n\n"
        "def fetch(url, query):\n    return send(READ, url, query)\n",
        age=HOUR,
    )
    output, profile = profiled(project, "--no-cache", "--output-format", "concise", "app")
    assert "app/client.py:6:28: ML101" in output
    # http.py, verbs.py and client.py; repo.py is read but not parsed.
    assert (profile["files_read"], profile["files_parsed"]) == (4, 3)
    # The findings are those of a run that parses it.
    assert_as_if_parsed(monkeypatch, "_names_a_method", lambda tree: True)


def test_a_pre_commit_run_on_one_file_uses_the_cache_of_a_run_over_the_project(
    shop: Path,
) -> None:
    # The files a run over `src` was given and those a run on one file finds by growing the
    # project are the same cache entries (an absolute path and a relative one were not).
    args = ("-q", "--cache-dir", "cache")
    cold_output, _ = profiled(shop, *args, "src")
    edit(shop, "src/billing/gateway.py", "timeout=10", "timeout=20")  # the same summary
    output, changed = profiled(shop, *args, "src/billing/gateway.py")
    assert (changed["files_read"], changed["files_parsed"]) == (1, 1)
    assert output == "".join(
        line + "\n"
        for line in cold_output.splitlines()
        if line.startswith("src/billing/gateway.py")
    )


def test_an_edit_in_an_import_cycle_re_checks_the_members_it_changes(tmp_path: Path) -> None:
    files = dict(CYCLE)
    files["pkg/a.py"] = files["pkg/a.py"].replace("from . import b\n", "from . import b, c\n")
    files["pkg/c.py"] = "from . import a\n\nLABEL = 'orders'\n"  # in the cycle, offers nothing
    for name, text in files.items():
        write(tmp_path, name, text, age=HOUR)
    write(tmp_path, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    args = ("-q", "--cache-dir", "cache", "pkg")
    cold_output, _ = profiled(tmp_path, *args)
    assert "pkg/a.py:11:" in cold_output
    # An edit of c.py that leaves its summary as it was: a's and b's cached results stand,
    # and c.py, which uses nothing its cycle offers, is not parsed either.
    edit(tmp_path, "pkg/c.py", "LABEL = 'orders'", "LABEL = 'orders'  # shown in logs")
    output, changed = profiled(tmp_path, *args)
    assert (changed["files_read"], changed["files_parsed"]) == (0, 0)
    assert output == cold_output
    # b's wrapper no longer sends anything: a is checked again, and its loop is fine.
    edit(tmp_path, "pkg/b.py", "return a.post('/orders', o)", "return None")
    output, changed = profiled(tmp_path, *args)
    assert output == ""


def test_an_import_cycle_costs_memory_in_its_size_not_its_square(tmp_path: Path) -> None:
    """Each member of a cycle asks which modules are its peers (kubernetes' models make
    cycles of 1,400 modules): the answers share the cycle's one set of names, and the
    members share one list of the cycle's nodes."""
    from methodlint.engine import EngineSettings, FileLinter
    from methodlint.project import discover
    from methodlint.project_run import _link, _Node, _read_all, _Schedule

    count = 60
    for number in range(count):
        following = (number + 1) % count
        write(tmp_path, f"pkg/m{number}.py", f"from pkg import m{following}\nX = 1\n")
    write(tmp_path, "pkg/__init__.py", "")
    project = discover([str(path) for path in sorted((tmp_path / "pkg").glob("*.py"))], ())
    linter = FileLinter(EngineSettings.from_config(Config(cross_module=True)))
    nodes = [_Node(file, file.path, True) for file in project.files]
    _read_all(nodes, linter, None, 1)
    _link(nodes, project.modules)
    schedule = _Schedule(nodes)
    members = [node for node in nodes if node.peers]
    assert len(members) == count
    views = [schedule._peer_modules(node) for node in members]
    assert len({id(view.names) for view in views}) == 1
    assert len({id(node.peers) for node in members}) == 1
    for node, view in zip(members, views, strict=True):
        assert node.file.module not in view
        others = [nodes[peer] for peer in node.peers if nodes[peer] is not node]
        assert len(others) == count - 1
        assert all(other.file.module in view for other in others)


TRANSPORT = (
    "import requests\n\n\nclass Api:\n    def __init__(self):\n"
    "        self.session = requests.Session()\n\n"
    "    def _send(self, method, url, headers, body=None):\n"
    "        return self.session.request(method, url, headers=headers, json=body, timeout=5)\n\n"
    "    def call(self, args):\n        return self._send(*args)\n"
)
RETRIED = (
    "from app.transport import Api\n\n\ndef create(api: Api, body):\n"
    "    for attempt in range(3):\n        try:\n            return {call}\n"
    "        except OSError:\n            pass\n"
)


def test_a_client_an_attribute_holds_and_a_wrapper_no_rule_can_judge_are_no_reason_to_parse(
    project: Path,
) -> None:
    """kubernetes' generated API modules: a `.get(` of their own is no use of the client an
    attribute of an imported class holds (`self.session`), and a call of a wrapper through
    which no method and no headers reach (`call_api(*param)` in `_call_with_legacy_options`)
    is a request no rule can judge; where the attribute is named, the module is parsed."""
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "", age=HOUR)
    write(project, "app/transport.py", TRANSPORT, age=HOUR)
    write(
        project,
        "app/users.py",
        "from app.transport import Api\n\n\ndef fetch(api: Api, cache):\n"
        "    if cache.get('users'):\n        return cache['users']\n"
        "    return api.call(('GET', 'https://x.test/users', None))\n",
        age=HOUR,
    )
    call = "api.session.post('https://x.test/orders', json=body, timeout=5)"
    write(project, "app/orders.py", RETRIED.format(call=call), age=HOUR)
    call = "api._send('POST', 'https://x.test/orders', {}, body)"
    write(project, "app/direct.py", RETRIED.format(call=call), age=HOUR)
    output, profile = profiled(project, "--no-cache", "app")
    assert "app/orders.py:7:20: ML201" in output
    assert "app/direct.py:7:20: ML201" in output
    # transport.py, orders.py and direct.py; not users.py.
    assert profile["files_parsed"] == 3


def test_a_member_of_an_import_cycle_is_parsed_for_its_peers_only_when_it_uses_them(
    project: Path,
) -> None:
    """stripe's resources import each other (a cycle of 370 modules): a member that only
    imports a peer's wrapper for a type hint, or re-exports it, is not parsed once the peer's
    summary is known; what it re-exports still reaches the modules that import it."""
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "", age=HOUR)
    write(
        project,
        "app/http.py",
        "import requests\nfrom app import models\n\n\ndef post_json(url, body):\n"
        "    return requests.post(url, json=body, timeout=5)\n",
        age=HOUR,
    )
    # In the cycle: it imports the wrapper and names it in a string only.
    write(
        project,
        "app/models.py",
        "from app.http import post_json\n\nSENDER = 'post_json'\n",
        age=HOUR,
    )
    write(
        project,
        "app/jobs.py",
        "from app.models import post_json\n\n\ndef run(u, b):\n"
        "    for attempt in range(3):\n        try:\n            return post_json(u, b)\n"
        "        except OSError:\n            pass\n",
        age=HOUR,
    )
    output, profile = profiled(project, "--no-cache", "app")
    assert "app/jobs.py:7:20: ML201" in output
    # http.py and jobs.py; not models.py, whose summary is what it re-exports.
    assert profile["files_parsed"] == 2


def write_cycle(project: Path, http_end: str, jobs_start: str) -> None:
    """app/http.py has a wrapper and imports app/jobs.py in a function (`http_end`); jobs.py
    (`jobs_start`, then a retry loop around the wrapper) imports http.py."""
    write(project, "pyproject.toml", "[tool.methodlint]\ncross-module = true\n", age=HOUR)
    write(project, "app/__init__.py", "", age=HOUR)
    write(project, "app/http.py", POST_JSON_MODULE + http_end, age=HOUR)
    loop = (
        "\n\ndef run(u, b):\n    for attempt in range(3):\n        try:\n"
        "            return post_json(u, b)\n        except OSError:\n            pass\n"
    )
    write(project, "app/jobs.py", jobs_start + loop, age=HOUR)


def test_a_member_of_an_import_cycle_is_checked_again_only_when_an_answer_it_got_changes(
    project: Path,
) -> None:
    """http.py and jobs.py import each other (http.py in a function). In the first round
    jobs.py is checked after http.py, with its summary: its `run` becomes a wrapper. Of the
    two, only http.py asked something of the other whose answer that changes (what the module
    `jobs` is); jobs.py asked nothing of http.py that changed: it is not checked again."""
    registry = "\n\ndef registry():\n    from app import jobs\n\n    return jobs.__name__\n"
    write_cycle(project, registry, "from app.http import post_json\n")
    output, profile = profiled(project, "--no-cache", "app")
    assert output.splitlines()[0].startswith("app/jobs.py:7:20: ML201")
    # After the first round: http.py once, as `app.jobs` is now a module it knows.
    assert profile["checked_again"] == 1


def test_a_member_of_an_import_cycle_sees_the_peers_it_imports_that_come_before_it(
    project: Path,
) -> None:
    """jobs.py uses http.py's wrapper in a retry loop; http.py imports jobs.py back (for a
    label, in a function). In the first round of the cycle http.py is checked first and
    jobs.py after it, with its summary: jobs.py is parsed then, not in another round, and
    nothing is checked again, since http.py asked nothing of jobs.py that its summary
    changes."""
    label = "\n\ndef label():\n    from app.jobs import LABEL\n\n    return LABEL\n"
    write_cycle(project, label, "from app.http import post_json\n\nLABEL = 'jobs'\n")
    output, profile = profiled(project, "--no-cache", "app")
    assert output.splitlines()[0].startswith("app/jobs.py:9:20: ML201")
    assert profile["files_parsed"] == 2
    assert profile["checked_again"] == 0
    # Either order of the files gives the same result: the order of the first round comes
    # from the imports, and jobs.py's import of http.py is not the one that closes the cycle.
    (project / "app/http.py").rename(project / "app/z_http.py")
    text = (project / "app/jobs.py").read_text("utf-8").replace("app.http", "app.z_http")
    write(project, "app/jobs.py", text, age=HOUR)
    output, profile = profiled(project, "--no-cache", "app")
    assert output.splitlines()[0].startswith("app/jobs.py:9:20: ML201")
    assert profile["checked_again"] == 0


def test_the_imports_of_a_large_project_are_scanned_in_processes(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project of many files is scanned for its imports by worker processes: the same
    findings as when the main process scans it."""
    import methodlint.project_run

    config = Config(root=shop, cross_module=True)
    serial = found(lint_paths([str(shop / "src")], config, jobs=1), shop)
    monkeypatch.setattr(methodlint.project_run, "_PARALLEL_SCAN", 1)
    calls = []
    real = methodlint.project_run._scan_in_processes

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(methodlint.project_run, "_scan_in_processes", spy)
    assert found(lint_paths([str(shop / "src")], config, jobs=2), shop) == serial
    assert calls


def test_a_handful_of_changed_files_is_checked_by_one_worker(shop: Path) -> None:
    """A pre-commit run with the rest of the project cached: one worker imports LibCST for
    the three files, not one per core."""
    args = ("-q", "--jobs", "2", "--cache-dir", "cache", "src")
    cold_output, _ = profiled(shop, *args)
    for name in ("src/billing/invoices.py", "src/billing/payments.py", "src/billing/exports.py"):
        text = (shop / name).read_text("utf-8")
        write(shop, name, text + "\n# edited\n", age=HOUR / 2)
    output, changed = profiled(shop, *args)
    assert (changed["files_parsed"], changed["workers"]) == (3, 1)
    assert output == cold_output


def test_a_scanning_process_that_dies_costs_nothing(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process scanning the project's imports that is killed (the out-of-memory killer, a
    user) leaves the scan to the main process: the run ends, with the same findings."""
    import methodlint.project_run

    config = Config(root=shop, cross_module=True)
    serial = found(lint_paths([str(shop / "src")], config, jobs=1), shop)
    monkeypatch.setattr(methodlint.project_run, "_PARALLEL_SCAN", 1)
    real = methodlint.project_run._scanned

    def dies(item: tuple[str, str | None, bool, bool], linter: object) -> object:
        if os.getpid() != main and item[0].endswith("payments.py"):
            os.kill(os.getpid(), 9)
        return real(item, linter)  # type: ignore[arg-type]

    main = os.getpid()
    monkeypatch.setattr(methodlint.project_run, "_scanned", dies)
    assert found(lint_paths([str(shop / "src")], config, jobs=2), shop) == serial


def test_the_cache_comparison_tool_names_the_files_whose_findings_differ(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/tools/cache_compare.py: two project runs of the same tree compare equal; a run
    after an edit that removes a finding names the file and fails."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cache_compare", ROOT / "tests/tools/cache_compare.py"
    )
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    args = ("-q", "--exit-zero", "src")
    for cache in ("one", "two"):
        profiled(shop, *args, "--cache-dir", cache)
    assert tool.main([str(shop / "one"), str(shop / "two")]) == 0
    assert "0 with other findings, 0 with another summary" in capsys.readouterr().out
    edit(shop, "src/billing/gateway.py", "SESSION.post(", "SESSION.put(")
    profiled(shop, *args, "--cache-dir", "three")
    assert tool.main([str(shop / "one"), str(shop / "three")]) == 1
    out = capsys.readouterr().out
    assert "src/billing/payments.py: findings -1 +0" in out
    assert "src/billing/gateway.py: another summary" in out
