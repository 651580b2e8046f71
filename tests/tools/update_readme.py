"""Regenerate the rule table in README.md from the rules: `python tests/tools/update_readme.py`."""

from __future__ import annotations

from pathlib import Path

from methodlint.docs import update_readme

if __name__ == "__main__":
    readme = Path(__file__).resolve().parents[2] / "README.md"
    print("README.md updated" if update_readme(readme) else "README.md is up to date")
