"""Compare the facts of every file with and without the engine's shortcuts.

    python tests/tools/facts.py                 # the fixtures and the PyPI corpus
    python tests/tools/facts.py PATH [PATH ...] [--jobs 2] [--show 20]
    python tests/tools/facts.py --save before.json     # then, after a change:
    python tests/tools/facts.py --against before.json
    python tests/tools/facts.py --project [PATH ...]  # project runs, screen on and off

For each Python file that passes the pre-filter, the reference is what methodlint computed
before the shortcuts: LibCST parses every file and positions come from regenerating the
whole module. The engine's way: the screen (`methodlint.screen`) may drop the file before
LibCST, and positions are computed from CPython's tree for the statements facts point at
(`analysis.positions`). The facts (`FileFacts`: calls, method tokens, retry policies,
routes, with every span) must be identical, and a file LibCST rejects (ML001) must never be
screened out. Prints the counts (files, pre-filtered, screened out, with facts, compared)
and every difference; exit status 1 when there is one. `--save OUT` also writes a digest of
each file's facts, and `--against OLD` compares them with such a file written by an earlier
version of methodlint (facts identical before and after a change of the analysis itself),
in this checkout or another: a file is named by its root's name and the path under it.
`--project` checks each package folder (each folder under a root, the fixtures' projects by
default) as a project run (`cross-module = true`) with the screen and without it, and
compares the findings: there the screen also keeps what a module offers the others.

Standalone script (not a test): the corpus is large; the fixtures run in the test suite too
(`tests/test_screen.py`).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures"


def canonical(value: Any) -> Any:
    """Facts as JSON-ready data whose text does not depend on set order or object ids."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (frozenset, set)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def compare(path: str) -> dict[str, Any]:
    """One file: whether it passed the pre-filter, was screened out, has facts, and how the
    two ways differ (empty when they agree)."""
    import libcst as cst

    from methodlint import screen
    from methodlint.analysis.pipeline import analyse
    from methodlint.big_stack import in_big_stack
    from methodlint.engine import PreFilter, decode
    from methodlint.facts import FileFacts

    result: dict[str, Any] = {"path": path, "prefiltered": False, "screened": False}
    result.update(facts=False, differences=[], seconds=[0.0, 0.0, 0.0])
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        result["error"] = str(error)
        return result
    if not PreFilter.for_modules()(data) or b"\0" in data:
        return result
    result["prefiltered"] = True
    try:
        source = decode(data)
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return result
    started = time.perf_counter()
    tree = screen.parse(source)
    kept = tree is None or screen.may_have_facts(source, tree=tree)
    screened = time.perf_counter()
    result["screened"] = not kept
    try:
        module = cst.parse_module(source)
    except Exception as error:  # ML001 (or a parser failure): the engine must parse it too
        if not kept:
            result["differences"].append(f"LibCST rejects it ({error}) but it was screened out")
        return result
    parsed = time.perf_counter()
    try:
        reference, _ = in_big_stack(lambda: analyse(module, path))
    except Exception as error:
        result["error"] = f"analysis failed: {type(error).__name__}: {error}"
        return result
    analysed = time.perf_counter()
    result["facts"] = bool(
        reference.calls or reference.method_tokens or reference.routes or reference.retry_policies
    )
    candidate = FileFacts(path=path)
    if kept:
        candidate = in_big_stack(lambda: analyse(module, path, tree=tree, source=source))[0]
    result["seconds"] = [screened - started, parsed - screened, analysed - parsed]
    before, after = canonical(reference), canonical(candidate)
    # Without the file's own path: digests saved from one checkout compare with another's.
    text = json.dumps({k: v for k, v in after.items() if k != "path"}, sort_keys=True).encode()
    result["digest"] = hashlib.sha256(text).hexdigest()
    if before != after:
        for key in before:
            if before[key] != after[key]:
                old = json.dumps(before[key])[:300]
                new = json.dumps(after[key])[:300]
                result["differences"].append(f"{key}: before {old}\n      after  {new}")
    return result


def project_runs(roots: list[Path]) -> int:
    """Findings of project runs with and without the screen, per package folder."""
    from methodlint import Config, screen
    from methodlint.runner import lint_paths

    screening = screen.may_have_facts

    def everything(*args: Any, **kwargs: Any) -> bool:
        return True

    folders = [f for root in roots for f in sorted(root.iterdir()) if f.is_dir()]
    differing = findings = 0
    for folder in folders:
        found = []
        for check in (screening, everything):
            screen.may_have_facts = check  # the workers are forked with it
            started = time.perf_counter()
            os.chdir(folder)
            report = lint_paths(["."], Config(cross_module=True), jobs=2)
            seconds = time.perf_counter() - started
            found.append((sorted(map(repr, report.diagnostics)), seconds))
        screen.may_have_facts = screening
        (kept, on), (every, off) = found
        findings += len(every)
        same = kept == every
        differing += not same
        print(
            f"{folder.name}: {len(every)} findings, {'same' if same else 'DIFFERENT'}; "
            f"{on:.1f} s with the screen, {off:.1f} s without",
            flush=True,
        )
        if not same:
            for line in sorted(set(every) ^ set(kept))[:5]:
                print(f"    {line[:300]}")
    print(f"{len(folders)} project runs, {findings} findings, {differing} differing")
    return 1 if differing else 0


def python_files(paths: Iterable[Path]) -> list[str]:
    found: list[str] = []
    for root in paths:
        if root.is_file():
            found.append(str(root))
            continue
        for base, folders, files in os.walk(root):
            folders.sort()
            found.extend(os.path.join(base, f) for f in sorted(files) if f.endswith(".py"))
    return found


def keyed(path: str, roots: Iterable[Path]) -> str:
    """A file's name for `--save` and `--against`: its root's name and the path under it."""
    for root in roots:
        if root.is_dir() and Path(path).is_relative_to(root):
            return str(Path(root.name) / Path(path).relative_to(root))
    return path


def corpus_folder() -> Path | None:
    sys.path.insert(0, str(HERE))
    try:
        import corpus  # type: ignore[import-not-found]

        root: Path = corpus.corpus_root(None)
        return root if root.is_dir() else None
    finally:
        sys.path.remove(str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", type=Path, help="default: fixtures and corpus")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--show", type=int, default=20, help="differences to print")
    parser.add_argument("--save", type=Path, help="write each file's facts digest here")
    parser.add_argument("--against", type=Path, help="compare with digests saved before")
    parser.add_argument("--project", action="store_true", help="project runs, screen on/off")
    args = parser.parse_args(argv)
    roots: list[Path] = [p.resolve() for p in args.paths]
    if args.project:
        return project_runs(roots or [FIXTURES / "projects"])
    if not roots:
        roots = [FIXTURES]
        corpus = corpus_folder()
        if corpus is None:
            print("(no corpus: run tests/tools/corpus.py fetch; fixtures only)")
        else:
            roots.append(corpus)
    files = python_files(roots)
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(compare, files, chunksize=8))
    prefiltered = [r for r in results if r["prefiltered"]]
    screened = [r for r in prefiltered if r["screened"]]
    with_facts = [r for r in prefiltered if r["facts"]]
    differing = [r for r in results if r["differences"]]
    errors = [r for r in results if r.get("error")]
    seconds = [sum(r["seconds"][i] for r in prefiltered) for i in range(3)]
    print(f"roots: {', '.join(str(r) for r in roots)}")
    print(f"{len(files):,} Python files, {len(prefiltered):,} pass the pre-filter")
    parsed = len(prefiltered) - len(screened)
    print(f"screened out before LibCST: {len(screened):,}; parsed: {parsed:,}")
    print(
        f"files with facts: {len(with_facts):,} (facts compared with positions from CPython's tree)"
    )
    print(
        f"seconds, all pre-filtered files, one process: screen {seconds[0]:.1f}, "
        f"LibCST parse {seconds[1]:.1f}, analysis {seconds[2]:.1f}"
    )
    for result in errors:
        print(f"error: {result['path']}: {result['error']}")
    print(f"files whose facts differ: {len(differing)}")
    for result in differing[: args.show]:
        print(f"  {result['path']}")
        for difference in result["differences"]:
            print(f"    {difference}")
    # Keyed by the root's name and the path under it (`fixtures/calls/x.py`), not the
    # checkout's place: `--save` in one clone, `--against` in another.
    digests = {keyed(r["path"], roots): r["digest"] for r in results if "digest" in r}
    if args.save:
        args.save.write_text(json.dumps(digests, indent=0, sort_keys=True), encoding="utf-8")
        print(f"facts digests of {len(digests):,} files written to {args.save}")
    changed: list[str] = []
    if args.against:
        old = json.loads(args.against.read_text(encoding="utf-8"))
        changed = sorted(p for p in old.keys() | digests.keys() if old.get(p) != digests.get(p))
        print(f"files whose facts differ from {args.against}: {len(changed)}")
        for path in changed[: args.show]:
            print(f"  {path}")
    return 1 if differing or changed else 0


if __name__ == "__main__":
    sys.exit(main())
