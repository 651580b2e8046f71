"""Compare what two project runs left in their caches: per file, the findings and the summary.

    methodlint --config index.toml --select ALL --preview --cache-dir OLD TREE   # one checkout
    methodlint --config index.toml --select ALL --preview --cache-dir NEW TREE   # the other
    python tests/tools/cache_compare.py OLD NEW [--show N]

A project run (`cross-module = true`) caches, for every module of the project, its findings and
the summary it offers the others (`project_run._remember`), whether it was parsed or its
summary came from what it re-exports. Two runs over the same tree by two versions of
methodlint (or with a screen on and off) are the same run where every file has the same
findings and the same summary digest (a summary counts only when it offers something:
`relevant`). Prints each file that differs (findings added and removed; summaries present,
absent or other), then the counts; exits 1 when findings differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def entries(folder: Path) -> dict[str, list[Any]]:
    """The entries of every cache file in `folder` (a header line, then the JSON body)."""
    found: dict[str, list[Any]] = {}
    for path in sorted(folder.glob("cache-*.json")):
        _, _, body = path.read_bytes().partition(b"\n")
        found.update(json.loads(body))
    return found


def findings(entry: list[Any]) -> set[str]:
    return {json.dumps(d) for d in entry[4]}


def digest(entry: list[Any]) -> str:
    project = entry[5] or {}
    return str(project.get("digest") or "") if project.get("relevant") else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--show", type=int, default=20, help="differing files to print")
    args = parser.parse_args(argv)
    old, new = entries(args.old), entries(args.new)
    other_findings = other_summaries = shown = 0
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before is None or after is None:
            print(f"{path}: only in {'new' if before is None else 'old'}")
            continue
        lost, added = findings(before) - findings(after), findings(after) - findings(before)
        if lost or added:
            other_findings += 1
            if shown < args.show:
                shown += 1
                print(f"{path}: findings -{len(lost)} +{len(added)}")
                for finding in sorted(lost):
                    print(f"  - {finding[:300]}")
                for finding in sorted(added):
                    print(f"  + {finding[:300]}")
        if digest(before) != digest(after):
            other_summaries += 1
            if shown < args.show:
                shown += 1
                if digest(before) and digest(after):
                    print(f"{path}: another summary")
                else:
                    print(f"{path}: a summary {'lost' if digest(before) else 'added'}")
    print(
        f"{len(old):,} and {len(new):,} files; {other_findings} with other findings, "
        f"{other_summaries} with another summary"
    )
    return 1 if other_findings else 0


if __name__ == "__main__":
    sys.exit(main())
