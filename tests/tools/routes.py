"""Count the server routes methodlint finds in a tree (default: the PyPI corpus).

    python tests/tools/routes.py [FOLDER] [--show FRAMEWORK] [--package NAME]

Prints the number of routes per framework, per framework and methods (`GET,HEAD`, `?` when
they cannot be told), per package (the first folder under FOLDER), and how many routes read
the body or make a state-changing call, so that a change to route analysis can be compared
before and after. `--show` lists every route of one framework with its path, methods and what
its handler reads and changes.
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

from methodlint.analysis import file_facts
from methodlint.engine import PreFilter, decode

PREFILTER = PreFilter.for_modules()

# (path, framework, methods, path declared, handler, line, reads, changes)
Found = tuple[str, str, str, str, str, int, tuple[str, ...], tuple[str, ...]]


def _routes(path: str) -> tuple[list[Found], str | None]:
    """The routes of one file, and "parse" or "analysis" when that step raised."""
    data = Path(path).read_bytes()
    if not PREFILTER(data):
        return [], None
    try:
        module = cst.parse_module(decode(data))
    except Exception:
        return [], "parse"
    try:
        facts = file_facts(module, path)
    except Exception:
        return [], "analysis"
    return [
        (
            path,
            route.framework,
            ",".join(sorted(route.methods)) or "?",
            route.path or "",
            route.handler,
            route.span.line,
            tuple(r.what for r in route.body_reads),
            tuple(f"{c.kind}:{c.what}" for c in route.state_changes),
        )
        for route in facts.routes
    ], None


def package_of(path: str, folder: str) -> str:
    parts = Path(os.path.relpath(path, folder)).parts
    return parts[0] if len(parts) > 1 else "."


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--show", metavar="FRAMEWORK")
    parser.add_argument("--package", action="append", help="only these packages (repeatable)")
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
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith((".py", ".pyi"))
    )
    if args.package:
        paths = [p for p in paths if package_of(p, folder) in args.package]
    with ProcessPoolExecutor() as pool:
        outcomes = list(pool.map(_routes, paths, chunksize=64))
    results = [r for found, _ in outcomes for r in found]
    failed = Counter(error for _, error in outcomes if error)
    print(f"{len(results)} routes in {len({r[0] for r in results})} files")
    if failed:
        print(
            f"({failed['parse']} files did not parse; the analysis raised on {failed['analysis']})"
        )
    print("\nper framework:            routes  reads body  changes state  path seen")
    for framework, count in Counter(r[1] for r in results).most_common():
        mine = [r for r in results if r[1] == framework]
        reads = sum(1 for r in mine if r[6])
        changes = sum(1 for r in mine if r[7])
        seen = sum(1 for r in mine if r[3])
        print(f"  {framework:<22} {count:>7} {reads:>11} {changes:>14} {seen:>10}")
    print("\nper framework and methods:")
    for (framework, methods), count in sorted(Counter((r[1], r[2]) for r in results).items()):
        print(f"  {count:>6}  {framework:<16} {methods}")
    print("\nper package:")
    for package, count in sorted(Counter(package_of(r[0], folder) for r in results).items()):
        frameworks = Counter(r[1] for r in results if package_of(r[0], folder) == package)
        detail = ", ".join(f"{f} {n}" for f, n in frameworks.most_common())
        print(f"  {count:>6}  {package}  ({detail})")
    if args.show:
        print(f"\n{args.show} routes:")
        for path, framework, methods, route_path, handler, line, reads, changes in sorted(results):
            if framework == args.show:
                extra = " ".join([*(f"reads={r}" for r in reads), *changes])
                where = f"{os.path.relpath(path, folder)}:{line}"
                print(f"  {where}: {methods} {route_path or '-'} {handler} {extra}".rstrip())


if __name__ == "__main__":
    main()
