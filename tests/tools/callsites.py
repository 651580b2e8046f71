"""Count the HTTP call sites methodlint resolves in a tree (default: the PyPI corpus).

    python tests/tools/callsites.py [FOLDER] [--show LIBRARY]

Prints the number of call sites per library, per client (how the call was reached) and per
API, so that a change to resolution can be compared before and after. `--show` lists every
call of one library with its source line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import libcst as cst

from methodlint.calls import build_facts
from methodlint.engine import PreFilter, decode

PREFILTER = PreFilter.for_modules()


def _calls(path: str) -> list[tuple[str, str, str, str, int, str]]:
    data = Path(path).read_bytes()
    if not PREFILTER(data):
        return []
    try:
        source = decode(data)
        module = cst.parse_module(source)
        calls, _ = build_facts(module)
    except Exception:
        return []
    lines = source.splitlines()
    found = []
    for call in calls:
        site = call.send_site or call.build_site
        method = "|".join(sorted(call.methods)) or "?"
        text = lines[site.line - 1].strip() if site.line <= len(lines) else ""
        found.append((call.library, call.client, call.api, method, site.line, text))
    return [(path, *item[:3], f"{item[3]}:{item[4]}", item[5]) for item in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--show", metavar="LIBRARY")
    args = parser.parse_args()
    folder = args.folder
    if folder is None:
        here = Path(__file__).resolve().parent
        folder = subprocess.run(
            [sys.executable, str(here / "corpus.py"), "path"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    paths = [
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith((".py", ".pyi"))
    ]
    with ProcessPoolExecutor() as pool:
        results = [c for found in pool.map(_calls, paths, chunksize=64) for c in found]
    libraries = Counter(r[1] for r in results)
    clients = Counter((r[1], r[2]) for r in results)
    apis = Counter((r[1], r[3]) for r in results)
    print(f"{len(results)} HTTP call sites in {len({r[0] for r in results})} files")
    print("\nper library:")
    for library, count in libraries.most_common():
        print(f"  {count:>6}  {library}")
    print("\nper client (how the call was reached):")
    for (library, client), count in clients.most_common():
        print(f"  {count:>6}  {library:<15} {client}")
    print("\nper API:")
    for (library, api), count in apis.most_common():
        print(f"  {count:>6}  {library:<15} {api}")
    if args.show:
        print(f"\n{args.show} calls:")
        for path, library, client, api, where, text in sorted(results):
            if library == args.show:
                line = where.split(":")[1]
                print(f"  {os.path.relpath(path, folder)}:{line}: [{client}.{api}] {text}")


if __name__ == "__main__":
    main()
