"""Count the HTTP call sites methodlint resolves in a tree (default: the PyPI corpus).

    python tests/tools/callsites.py [FOLDER] [--show LIBRARY] [--json OUT] [--compare OLD]

Prints the number of call sites per library, per client (how the call was reached) and per
API, then per package (the first folder under FOLDER, such as `PyGithub-2.10.0`): the total,
the direct calls of an HTTP library and the calls of a project function that makes the
request (a wrapper: an `HttpCall` with a non-empty `via`), so that a change to resolution can
be compared before and after. `--show` lists every call of one library with its source line.

`--json OUT` writes the per package counts, and the same counts per library, as
`{package: {"total": n, "direct": n, "via": n}, ..., "libraries": {library: {...}}}`;
`--compare OLD` reads such a file from an earlier run and prints, per package and per
library, the counts before (OLD), after (this run) and the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

import libcst as cst

from methodlint.analysis import build_facts
from methodlint.engine import PreFilter, decode

PREFILTER = PreFilter.for_modules()
LIBRARIES = "libraries"  # the key of the per library counts in --json; every other is a package
KINDS = ("total", "direct", "via")

# (path, library, client, api, "method:line", source line, via)
Site = tuple[str, str, str, str, str, str, tuple[str, ...]]
Counts = dict[str, dict[str, int]]


def _calls(path: str) -> tuple[list[Site], str | None]:
    """The call sites of one file, and "parse" or "analysis" when that step raised."""
    data = Path(path).read_bytes()
    if not PREFILTER(data):
        return [], None
    try:
        source = decode(data)
        module = cst.parse_module(source)
    except Exception:
        return [], "parse"
    try:
        calls, _ = build_facts(module)
    except Exception:
        return [], "analysis"
    return _sites(path, source, calls), None


def _sites(path: str, source: str, calls: Iterable[Any]) -> list[Site]:
    """One row per call site, with its source line."""
    lines = source.splitlines()
    found: list[Site] = []
    for call in calls:
        site = call.send_site or call.build_site
        method = "|".join(sorted(call.methods)) or "?"
        text = lines[site.line - 1].strip() if site.line <= len(lines) else ""
        # `via` (the project functions a wrapper call goes through) is newer than this tool.
        via = tuple(getattr(call, "via", ()) or ())
        found.append(
            (path, call.library, call.client, call.api, f"{method}:{site.line}", text, via)
        )
    return found


def _project_calls(folder: str) -> list[tuple[list[Site], str | None]]:
    """The call sites of one package folder analysed as a project (as `methodlint` does with
    `cross-module` on): each module after the project modules it imports, with their
    summaries. Import cycles get one round here (the linter gives them a second)."""
    from methodlint.analysis.foreign import ProjectView
    from methodlint.analysis.summary import ModuleSummary
    from methodlint.project import components, discover, scan_imports
    from methodlint.project_run import _CONSTANT, summary_dependencies
    from methodlint.project_screen import imported_words, reexports

    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith(".py")
    )
    project = discover([os.path.abspath(p) for p in paths])
    files = project.files
    data = [Path(f.path).read_bytes() for f in files]
    by_module = {f.module: i for i, f in enumerate(files) if f.module is not None}
    scans = [scan_imports(d, f.module, f.is_package) for f, d in zip(files, data, strict=True)]
    deps = [
        {by_module[m] for m in summary_dependencies(scan, by_module)} - {i}
        for i, scan in enumerate(scans)
    ]
    keys = [f.module or f"#{i}" for i, f in enumerate(files)]
    order = components({keys[i]: {keys[d] for d in ds} for i, ds in enumerate(deps)})
    index_of = {k: i for i, k in enumerate(keys)}
    summaries: dict[str, object] = {}
    results: list[tuple[list[Site], str | None]] = []
    known = cast(dict[str, ModuleSummary], summaries)
    for component in order:
        for key in component:
            i = index_of[key]
            f = files[i]
            offered = {
                files[d].module: summaries[files[d].module]
                for d in deps[i]
                if files[d].module in summaries and files[d].module not in component
            }
            own = PREFILTER(data[i]) or _CONSTANT.found(data[i])
            if not own:
                # As the linter decides (`project_screen`): parsed when its bytes use what its
                # imports offer; otherwise its summary is what it re-exports.
                outside = [(m, n) for m, n in scans[i] if m not in component]
                words = imported_words(
                    outside, known.get, lambda m: known.get(m, ModuleSummary(m)), by_module
                )
                if not offered or not words.found_in(data[i]):
                    if f.module is not None and offered:
                        again = reexports(f.module, outside, known.get, lambda m: m in known)
                        if again is not None:
                            summaries[f.module] = again
                    continue
            view = ProjectView(offered, f.module, f.is_package)  # type: ignore[arg-type]
            results.append(_facts(f.path, data[i], view, summaries))
    return results


def _facts(
    path: str, data: bytes, view: object, summaries: dict[str, object]
) -> tuple[list[Site], str | None]:
    from methodlint.analysis.pipeline import analyse

    try:
        source = decode(data)
        module = cst.parse_module(source)
    except Exception:
        return [], "parse"
    try:
        facts, summary = analyse(module, path, project=view)  # type: ignore[arg-type]
    except Exception:
        return [], "analysis"
    if summary is not None and not summary.empty and view.module is not None:  # type: ignore[attr-defined]
        summaries[view.module] = summary  # type: ignore[attr-defined]
    return _sites(path, source, facts.calls), None


def package_of(path: str, folder: str) -> str:
    """The first path component of `path` under `folder` ("." for a file directly in it)."""
    parts = Path(os.path.relpath(path, folder)).parts
    return parts[0] if len(parts) > 1 else "."


def tally(keys: list[tuple[str, bool]], every: Iterable[str] = ()) -> Counts:
    """{key: {"total", "direct", "via"}} from (key, through a wrapper) pairs, sorted by key;
    a key of `every` without pairs counts zero."""
    counts: Counts = {key: dict.fromkeys(KINDS, 0) for key in every}
    for key, wrapped in keys:
        entry = counts.setdefault(key, dict.fromkeys(KINDS, 0))
        entry["total"] += 1
        entry["via" if wrapped else "direct"] += 1
    return {key: counts[key] for key in sorted(counts, key=lambda k: (k.lower(), k))}


def print_counts(title: str, counts: Counts) -> None:
    width = max([len(title), len("total"), *map(len, counts)])
    print(f"\n{title:<{width}}  {'total':>7} {'direct':>7} {'via':>7}")
    for key, entry in counts.items():
        print(f"{key:<{width}}  {entry['total']:>7} {entry['direct']:>7} {entry['via']:>7}")
    sums = {kind: sum(entry[kind] for entry in counts.values()) for kind in KINDS}
    print(f"{'total':<{width}}  {sums['total']:>7} {sums['direct']:>7} {sums['via']:>7}")


def read_report(path: str) -> tuple[Counts, Counts]:
    """The per package and per library counts of a --json file."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise SystemExit(f"error: {path}: not a JSON object")

    def counts(section: object) -> Counts:
        if not isinstance(section, dict):
            return {}
        return {
            str(key): {kind: int(entry.get(kind, 0)) for kind in KINDS}
            for key, entry in section.items()
            if isinstance(entry, dict)
        }

    packages = counts({key: value for key, value in data.items() if key != LIBRARIES})
    return packages, counts(data.get(LIBRARIES))


def print_comparison(title: str, before: Counts, after: Counts) -> None:
    zero = dict.fromkeys(KINDS, 0)
    keys = sorted(set(before) | set(after), key=lambda k: (k.lower(), k))
    rows = [(key, before.get(key, zero), after.get(key, zero)) for key in keys]
    old_sums = {kind: sum(b[kind] for _, b, _ in rows) for kind in KINDS}
    new_sums = {kind: sum(a[kind] for _, _, a in rows) for kind in KINDS}
    rows.append(("total", old_sums, new_sums))
    width = max([len(title), *map(len, keys), len("total")])
    groups = "  ".join(f"{kind:^23}" for kind in KINDS)
    columns = "  ".join(f"{'before':>7} {'after':>7} {'delta':>7}" for _ in KINDS)
    print(f"\n{'':<{width}}  {groups}".rstrip())
    print(f"{title:<{width}}  {columns}")
    for key, old, new in rows:
        cells = "  ".join(
            f"{old[kind]:>7} {new[kind]:>7} {new[kind] - old[kind]:>+7}" for kind in KINDS
        )
        changed = "" if old == new else "  *"
        if key not in before and key != "total":
            changed = "  (new)"
        elif key not in after and key != "total":
            changed = "  (gone)"
        print(f"{key:<{width}}  {cells}{changed}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--show", metavar="LIBRARY")
    parser.add_argument("--json", metavar="OUT", help="write the counts per package as JSON")
    parser.add_argument(
        "--compare", metavar="OLD", help="print the counts of an earlier --json file beside these"
    )
    parser.add_argument(
        "--single-file",
        action="store_true",
        help="each file alone (cross-module = false); default: each package as a project",
    )
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
    old = read_report(args.compare) if args.compare else None  # before --json may overwrite it
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.endswith((".py", ".pyi"))
    )
    with ProcessPoolExecutor() as pool:
        if args.single_file:
            outcomes = list(pool.map(_calls, paths, chunksize=64))
        else:
            folders = sorted({os.path.join(folder, package_of(p, folder)) for p in paths})
            outcomes = [o for found in pool.map(_project_calls, folders) for o in found]
    results = [c for found, _ in outcomes for c in found]
    failed = Counter(error for _, error in outcomes if error)
    libraries = Counter(r[1] for r in results)
    clients = Counter((r[1], r[2]) for r in results)
    apis = Counter((r[1], r[3]) for r in results)
    print(f"{len(results)} HTTP call sites in {len({r[0] for r in results})} files")
    if failed:
        print(
            f"({failed['parse']} files that import an HTTP library did not parse; "
            f"the analysis raised on {failed['analysis']})"
        )
    print("\nper library:")
    for library, count in libraries.most_common():
        print(f"  {count:>6}  {library}")
    print("\nper client (how the call was reached):")
    for (library, client), count in clients.most_common():
        print(f"  {count:>6}  {library:<15} {client}")
    print("\nper API:")
    for (library, api), count in apis.most_common():
        print(f"  {count:>6}  {library:<15} {api}")
    # Every package is listed, those without call sites too: a change may give them some.
    every = {package_of(path, folder) for path in paths}
    packages = tally([(package_of(r[0], folder), bool(r[6])) for r in results], every)
    by_library = tally([(r[1], bool(r[6])) for r in results])
    print_counts("per package", packages)
    if old is not None:
        print(f"\ncompared with {args.compare} (before) -> this run (after):")
        print_comparison("per package", old[0], packages)
        print_comparison("per library", old[1], by_library)
    if args.json:
        report = {**packages, LIBRARIES: by_library}
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.show:
        print(f"\n{args.show} calls:")
        for path, library, client, api, where, text, via in sorted(results):
            if library == args.show:
                line = where.split(":")[1]
                through = f" (via {' > '.join(via)})" if via else ""
                print(f"  {os.path.relpath(path, folder)}:{line}: [{client}.{api}]{through} {text}")


if __name__ == "__main__":
    main()
