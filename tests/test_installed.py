"""Plugin discovery without importlib.metadata when no distribution declares a plugin."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from methodlint import installed


def _distribution(root: Path, name: str, version: str, entry_points: str | None) -> None:
    folder = root / f"{name}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    if entry_points is not None:
        (folder / "entry_points.txt").write_text(entry_points, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    installed.may_have_plugins.cache_clear()
    yield tmp_path
    installed.may_have_plugins.cache_clear()


def test_no_plugin_declared_means_no_entry_point(site: Path) -> None:
    _distribution(site, "other_tool", "1.0", "[console_scripts]\nother = other:main\n")
    assert not installed.may_have_plugins()
    assert installed.entry_points() == []


def test_a_declared_plugin_is_found(site: Path) -> None:
    (site / "acme_rules.py").write_text("RULES = 1\n", encoding="utf-8")
    _distribution(site, "acme_rules", "2.3", "[methodlint.rules]\nacme = acme_rules\n")
    assert installed.may_have_plugins()
    assert [e.name for e in installed.entry_points()] == ["acme"]


def test_version_is_read_from_the_metadata_folder_name(site: Path) -> None:
    _distribution(site, "lib_cst_like", "1.9.0", None)
    assert installed.version("lib-cst-like") == "1.9.0"
    assert installed.version("not-installed") is None
