"""The pre-commit hook, run by pre-commit itself against a temporary git repository.

pre-commit installs methodlint into a virtual environment of its own, from the package registry:
these tests need the network (marker `network`).

`pre-commit try-repo` of a repository with uncommitted changes commits a shadow copy of its
staged and tracked files, but leaves out untracked ones (a new module, or the hook file itself
before its first commit). So the tests commit a copy of the checkout's working tree (tracked and
untracked files that git does not ignore) to a temporary repository and try that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUNK = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache"}

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
    )
    return done.stdout


def _environment(**extra: str) -> dict[str, str]:
    # A test run from inside a git hook inherits GIT_DIR and friends: they would point every
    # git command here at that repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(extra)
    return env


def _checkout_files() -> list[Path]:
    if (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            env=_environment(),
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
        return [Path(name) for name in names if (ROOT / name).is_file()]
    return [
        path.relative_to(ROOT)
        for path in ROOT.rglob("*")
        if path.is_file() and not JUNK & set(path.relative_to(ROOT).parts)
    ]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy of the checkout under test."""
    copy = tmp_path_factory.mktemp("methodlint-repo")
    for relative in _checkout_files():
        target = copy / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    assert (copy / ".pre-commit-hooks.yaml").is_file()
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "methodlint under test")
    return copy


def _try_repo(hook_repo: Path, project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = _environment(PRE_COMMIT_HOME=str(project.parent / "pre-commit-home"))
    command = ["try-repo", str(hook_repo), "methodlint", "--files", *files]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *command],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    _git(folder, "init", "-q")
    (folder / "bad.py").write_text("import requests\n\nrequests.get(url, json=query)\n")
    (folder / "good.py").write_text("import requests\n\nrequests.get(url, params=query)\n")
    _git(folder, "add", "-A")
    return folder


def test_the_hook_fails_on_a_file_with_a_finding(hook_repo: Path, project: Path) -> None:
    done = _try_repo(hook_repo, project, "bad.py")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "bad.py:3:19: ML101" in done.stdout


def test_the_hook_passes_on_a_clean_file(hook_repo: Path, project: Path) -> None:
    done = _try_repo(hook_repo, project, "good.py")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "methodlint" in done.stdout and "Passed" in done.stdout
