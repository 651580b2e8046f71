"""Regenerate methodlint.schema.json from the configuration code:
`python tests/tools/update_schema.py`."""

from __future__ import annotations

from pathlib import Path

from methodlint.schema import render

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[2] / "methodlint.schema.json"
    text = render()
    if target.exists() and target.read_text(encoding="utf-8") == text:
        print("methodlint.schema.json is up to date")
    else:
        target.write_text(text, encoding="utf-8")
        print("methodlint.schema.json updated")
