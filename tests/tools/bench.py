"""Benchmark: methodlint cold and warm, and ruff, bandit and semgrep where installed, over a folder.

Standalone script (stdlib only; not a test: numbers to read, not assertions). Each tool runs in a
fresh process; the script prints per run the files and lines of the folder, the wall-clock and
CPU seconds, the peak memory of the largest process (from ``wait4``) and of the whole process
tree (sampled from ``/proc`` every 20 ms, on Linux), then methodlint's seconds per phase
(``METHODLINT_PROFILE=1``) and the targets of ``quality.md``.

Usage::

    python tests/tools/bench.py                  # over the corpus of tests/tools/corpus.py
    python tests/tools/bench.py path/to/tree --repeat 3 --jobs 2
    python tests/tools/bench.py --only methodlint

Runs: methodlint cold (``--no-cache``), methodlint cold filling a fresh cache folder, methodlint
warm (the same folder again), methodlint on five files that import an HTTP library (as
pre-commit runs it, no cache), ``ruff check --select S113 --no-cache``, ``bandit -t B113 -r``
and ``semgrep scan`` with ``tests/tools/semgrep_rules.yml`` (one rule) and with
``tests/tools/semgrep_ruleset.yml`` (15 rules approximating methodlint's; ``--metrics=off
--disable-version-check``: without it semgrep waits about 90 s on a version check). Then
methodlint cold over an HTTP-dense tree (``tests/tools/dense.py``: realistic modules that each
make several requests) of half and of all ``--dense`` files (default 300), to show the
analysis-to-parse ratio and that the time is linear in the files. With ``--repeat N`` each run
is repeated and the fastest is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEMGREP_RULES = HERE / "semgrep_rules.yml"
SEMGREP_RULESET = HERE / "semgrep_ruleset.yml"
SUFFIXES = (".py", ".pyi")
SKIPPED_FOLDERS = {".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__"}
PROFILE_PREFIX = "methodlint profile: "


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    cpu: float = 0.0
    largest_mb: float = 0.0
    tree_mb: float | None = None
    status: int = 0
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)


def corpus_folder() -> Path:
    sys.path.insert(0, str(HERE))
    try:
        import corpus  # type: ignore[import-not-found]

        root: Path = corpus.corpus_root(None)
        return root
    finally:
        sys.path.remove(str(HERE))


def sources(folder: Path) -> list[Path]:
    found = []
    for base, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        found.extend(Path(base, name) for name in sorted(files) if name.endswith(SUFFIXES))
    return found


def count_lines(paths: list[Path]) -> int:
    lines = 0
    for path in paths:
        data = path.read_bytes()
        lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return lines


def edited_package_run(
    folder: Path, scratch: Path, methodlint: list[str], repeat: int, env: dict[str, str]
) -> tuple[Run, int, int] | None:
    """A pre-commit run with a warm index: the package with the most HTTP files is copied,
    checked once to fill a cache, then five of its HTTP files are edited (a comment line
    added) and only those five are checked, the rest of the package coming from the cache."""
    packages = [p for p in sorted(folder.iterdir()) if p.is_dir()]
    if not packages:
        return None
    largest = max(packages, key=lambda p: len(http_files(sources(p), 10_000)))
    copy = scratch / largest.name
    shutil.copytree(largest, copy)
    cache = scratch / "cache"
    subprocess.run([*methodlint, "--cache-dir", str(cache), "."], cwd=copy, capture_output=True)
    few = http_files(sources(copy), 5)
    names = [str(path.relative_to(copy)) for path in few]
    runs = []
    # Each repetition edits the files again: a second run of the same edit finds them cached.
    for _ in range(max(1, repeat)):
        for path in few:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("\n# edited before a commit\n")
        runs.append(
            measure(
                f"methodlint {len(few)} edited files, warm index",
                [*methodlint, "--cache-dir", str(cache), *names],
                copy,
                env,
            )
        )
    return min(runs, key=lambda run: run.seconds), len(few), count_lines(few)


def dense_runs(
    files: int, methodlint: list[str], repeat: int, env: dict[str, str]
) -> list[tuple[Run, int, int]]:
    """methodlint cold over HTTP-dense trees of half and of all `files` modules."""
    sys.path.insert(0, str(HERE))
    try:
        import dense  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(HERE))
    runs = []
    for count in sorted({max(1, files // 2), files}):
        with tempfile.TemporaryDirectory(prefix="methodlint-dense-") as scratch:
            lines = dense.write_tree(Path(scratch), count)
            command = [*methodlint, "--no-cache", "."]
            name = f"methodlint cold, HTTP-dense {count} files"
            runs.append((best(name, command, Path(scratch), repeat, env=env), count, lines))
    return runs


def http_files(paths: list[Path], count: int) -> list[Path]:
    """`count` files that import an HTTP library and use it (the screen before LibCST keeps
    them: they are parsed), of ordinary size (what pre-commit passes)."""
    from methodlint.engine import PreFilter, decode
    from methodlint.screen import may_have_facts

    prefilter = PreFilter.for_modules()
    chosen = []
    for path in paths:
        data = path.read_bytes()
        if not (2_000 < len(data) < 20_000 and prefilter(data)):
            continue
        try:
            parsed = may_have_facts(decode(data))
        except (UnicodeDecodeError, SyntaxError, LookupError):
            parsed = False
        if parsed:
            chosen.append(path)
            if len(chosen) == count:
                break
    return chosen


# -- measuring one process tree -----------------------------------------------------------------


def _tree_rss(root: int, page: int) -> int:
    """The resident memory of `root` and all its descendants, in bytes (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/statm", "rb") as handle:
                resident = int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        # The command name may hold spaces and parentheses: fields follow the last ')'.
        fields = stat[stat.rindex(b")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = resident * page
    total = 0
    for pid, size in rss.items():
        current: int | None = pid
        while current is not None and current > 1:
            if current == root:
                total += size
                break
            current = parents.get(current)
    return total


def measure(name: str, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    run = Run(name)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, env=env
            )
        except OSError as error:
            run.error = str(error)
            return run
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            page = os.sysconf("SC_PAGE_SIZE")
            while not done.wait(0.02):
                try:
                    peak[0] = max(peak[0], _tree_rss(process.pid, page))
                except OSError:
                    return

        sampler = None
        if os.path.isdir("/proc/self"):
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        run.seconds = time.perf_counter() - started
        done.set()
        if sampler is not None:
            sampler.join()
            run.tree_mb = peak[0] / 1e6 if peak[0] else None
        process.returncode = os.waitstatus_to_exitcode(status)
        run.status = process.returncode
        run.cpu = usage.ru_utime + usage.ru_stime
        # ru_maxrss: kilobytes on Linux, bytes on macOS; the largest of the process and the
        # children it waited for.
        run.largest_mb = usage.ru_maxrss / (1e6 if sys.platform == "darwin" else 1e3)
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    for line in stderr.splitlines():
        if line.startswith(PROFILE_PREFIX):
            run.phases = json.loads(line[len(PROFILE_PREFIX) :])
    if run.status not in (0, 1):
        run.error = (stderr.strip().splitlines() or [f"exit status {run.status}"])[-1][:200]
    return run


def best(name: str, command: list[str], cwd: Path, repeat: int, **kwargs: object) -> Run:
    runs = [measure(name, command, cwd, **kwargs) for _ in range(repeat)]  # type: ignore[arg-type]
    return min(runs, key=lambda run: run.seconds)


# -- the runs -----------------------------------------------------------------------------------


def tool(name: str) -> str | None:
    """A tool of the running Python's environment, else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def compile_methodlint() -> None:
    """Compile methodlint's bytecode, as `pip install` does: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (or from a read-only tree) compiles every module it imports on
    every run, which added about half a second to the runs of five files."""
    import compileall

    import methodlint

    folder = Path(methodlint.__file__).parent
    try:
        compileall.compile_dir(folder, quiet=1, force=False)
    except OSError as error:  # a read-only install: measured as it is
        print(f"note: methodlint's bytecode cannot be written in {folder}: {error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("folder", nargs="?", type=Path, help="default: the benchmark corpus")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best counts")
    parser.add_argument("--jobs", type=int, help="methodlint --jobs (default: all cores)")
    parser.add_argument(
        "--only", action="append", choices=["methodlint", "ruff", "bandit", "semgrep", "dense"]
    )
    parser.add_argument(
        "--dense", type=int, default=300, help="files of the HTTP-dense tree (0: none)"
    )
    args = parser.parse_args(argv)
    folder = (args.folder or corpus_folder()).resolve()
    if not folder.is_dir():
        print(f"error: {folder} is not a folder (run tests/tools/corpus.py fetch)", file=sys.stderr)
        return 1
    wanted = set(args.only or ["methodlint", "ruff", "bandit", "semgrep", "dense"])
    compile_methodlint()
    files = sources(folder)
    lines = count_lines(files)
    cores = os.cpu_count() or 1
    print(f"folder: {folder}")
    print(f"{len(files):,} files, {lines:,} lines; {cores} cores; Python {sys.version.split()[0]}")

    methodlint = [sys.executable, "-m", "methodlint", "--isolated", "--exit-zero", "-q"]
    if args.jobs:
        methodlint += ["--jobs", str(args.jobs)]
    profiled = {**os.environ, "METHODLINT_PROFILE": "1"}
    runs: list[tuple[Run, int, int]] = []
    repeat = max(1, args.repeat)
    if "methodlint" in wanted:
        cold = best(
            "methodlint cold (--no-cache)",
            [*methodlint, "--no-cache", "."],
            folder,
            repeat,
            env=profiled,
        )
        runs.append((cold, len(files), lines))
        with tempfile.TemporaryDirectory(prefix="methodlint-bench-") as cache:
            filling = measure(
                "methodlint cold, filling a cache",
                [*methodlint, "--cache-dir", cache, "."],
                folder,
                profiled,
            )
            runs.append((filling, len(files), lines))
            warm = best(
                "methodlint warm (cache)",
                [*methodlint, "--cache-dir", cache, "."],
                folder,
                repeat,
                env=profiled,
            )
            runs.append((warm, len(files), lines))
        with tempfile.TemporaryDirectory(prefix="methodlint-bench-") as scratch:
            # cross-module = true: the project index (opt-in until it meets its targets).
            index_config = Path(scratch) / "pyproject.toml"
            index_config.write_text("[tool.methodlint]\ncross-module = true\n")
            indexed = [
                *(a for a in methodlint if a != "--isolated"),
                "--config",
                str(index_config),
            ]
            runs.append(
                (
                    best(
                        "methodlint cold, project index",
                        [*indexed, "--no-cache", "."],
                        folder,
                        repeat,
                        env=profiled,
                    ),
                    len(files),
                    lines,
                )
            )
            edited = edited_package_run(folder, Path(scratch), indexed, repeat, profiled)
            if edited is not None:
                runs.append(edited)
        few = http_files(files, 5)
        if few:
            names = [str(path.relative_to(folder)) for path in few]
            precommit = best(
                f"methodlint {len(few)} HTTP files (no cache)",
                [*methodlint, "--no-cache", *names],
                folder,
                repeat,
                env=profiled,
            )
            runs.append((precommit, len(few), count_lines(few)))
    ruff = tool("ruff")
    if "ruff" in wanted and ruff:
        command = [
            ruff,
            "check",
            "--select",
            "S113",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "-q",
            ".",
        ]
        runs.append(
            (best("ruff --select S113 --no-cache", command, folder, repeat), len(files), lines)
        )
    bandit = tool("bandit")
    if "bandit" in wanted and bandit:
        command = [bandit, "-q", "-t", "B113", "-r", ".", "-f", "json", "-o", os.devnull]
        runs.append((best("bandit -t B113 -r", command, folder, repeat), len(files), lines))
    semgrep = tool("semgrep")
    if "semgrep" in wanted and semgrep:
        for name, rules in (
            ("semgrep, 1 rule", SEMGREP_RULES),
            ("semgrep, 15 rules", SEMGREP_RULESET),
        ):
            command = [
                semgrep, "scan", "--config", str(rules), "--metrics=off",
                "--disable-version-check", "--quiet", "--json", "--output", os.devnull, ".",
            ]  # fmt: skip
            runs.append((best(name, command, folder, repeat), len(files), lines))
    if "dense" in wanted and args.dense > 0:
        runs.extend(dense_runs(args.dense, methodlint, repeat, profiled))

    print_runs(runs)
    print_phases([run for run, _, _ in runs if run.phases])
    print_targets({run.name: run for run, _, _ in runs})
    return 0 if all(run.error is None for run, _, _ in runs) else 1


def print_runs(runs: list[tuple[Run, int, int]]) -> None:
    print()
    columns = (
        ("files", 7),
        ("lines", 10),
        ("seconds", 8),
        ("cpu s", 7),
        ("MB max", 7),
        ("MB tree", 8),
    )
    print(f"{'run':<38} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for run, files, lines in runs:
        tree = f"{run.tree_mb:8.0f}" if run.tree_mb is not None else f"{'-':>8}"
        row = f"{run.name:<38} {files:>7,} {lines:>10,} {run.seconds:>8.2f} {run.cpu:>7.2f} "
        print(
            row + f"{run.largest_mb:>7.0f} {tree}" + (f"  error: {run.error}" if run.error else "")
        )


def print_phases(runs: list[Run]) -> None:
    if not runs:
        return
    print(
        "\nmethodlint seconds per phase (pre-filter, import of LibCST and the analysis, parse "
        "and analysis summed over workers):"
    )
    phases = (
        "discovery",
        "cache",
        "checking",
        "pre-filter",
        "import",
        "parse",
        "analysis",
        "output",
        "total",
    )
    header = f" {'workers':>8} {'parsed':>7} {'an/parse':>8}"
    print(f"{'run':<38} " + " ".join(f"{p:>10}" for p in phases) + header)
    for run in runs:
        values = " ".join(f"{run.phases.get(p, 0.0):>10.3f}" for p in phases)
        extra = (
            f" {int(run.phases.get('workers', 0)):>8} {int(run.phases.get('files_parsed', 0)):>7}"
            f" {analysis_ratio(run):>8.2f}"
        )
        print(f"{run.name:<38} {values}{extra}")


def analysis_ratio(run: Run) -> float:
    """Everything after the parse (the analysis) over LibCST's parse, summed over workers."""
    parse = run.phases.get("parse", 0.0)
    return run.phases.get("analysis", 0.0) / parse if parse else 0.0


def print_targets(runs: dict[str, Run]) -> None:
    cold = runs.get("methodlint cold (--no-cache)")
    warm = runs.get("methodlint warm (cache)")
    ruff = runs.get("ruff --select S113 --no-cache")
    few = next((run for name, run in runs.items() if "HTTP files" in name), None)
    print("\ntargets (quality.md):")

    def line(ok: bool | None, text: str) -> None:
        mark = "n/a " if ok is None else "met " if ok else "MISS"
        print(f"  [{mark}] {text}")

    for peer, share in (
        ("bandit -t B113 -r", 1.0),
        ("semgrep, 1 rule", 0.5),
        ("semgrep, 15 rules", 1.0),
    ):
        other = runs.get(peer)
        goal = "faster than" if share == 1.0 else f"at most {share:g} x"
        if cold and other and other.error is None:
            line(
                cold.seconds <= share * other.seconds,
                f"cold {cold.seconds:.2f} s {goal} {peer} {other.seconds:.2f} s",
            )
        else:
            line(None, f"cold {goal} {peer} (not run)")
    if warm and ruff and ruff.error is None:
        line(
            warm.seconds < ruff.seconds,
            f"warm {warm.seconds:.2f} s faster than ruff cold {ruff.seconds:.2f} s",
        )
    else:
        line(None, "warm faster than ruff cold (not run)")
    if few:
        line(few.seconds < 0.5, f"{few.name}: {few.seconds:.2f} s < 0.5 s")
    edited = next((run for name, run in runs.items() if "warm index" in name), None)
    if edited:
        line(edited.seconds < 0.5, f"{edited.name}: {edited.seconds:.2f} s < 0.5 s")
    index = runs.get("methodlint cold, project index")
    if cold and index:
        ratio = index.seconds / cold.seconds
        line(ratio <= 1.25, f"cold with the index {ratio:.2f} x the run without it (<= 1.25)")
    dense = sorted(
        (run for name, run in runs.items() if "HTTP-dense" in name),
        key=lambda run: int(run.name.split()[-2]),
    )
    if dense:
        biggest = dense[-1]
        ratio = analysis_ratio(biggest)
        line(ratio <= 0.5, f"{biggest.name}: analysis {ratio:.2f} x the parse (<= 0.5)")
    if len(dense) == 2:
        small, large = dense
        files = int(small.name.split()[-2]), int(large.name.split()[-2])
        growth = (large.seconds / files[1]) / (small.seconds / files[0])
        line(
            growth <= 1.25,
            f"HTTP-dense seconds per file, {files[1]} over {files[0]} files: {growth:.2f} "
            "(linear: <= 1.25)",
        )
    methodlint_runs = [run for name, run in runs.items() if name.startswith("methodlint")]
    if methodlint_runs:
        largest = max(run.largest_mb for run in methodlint_runs)
        line(largest < 300, f"largest methodlint process {largest:.0f} MB < 300 MB")


if __name__ == "__main__":
    sys.exit(main())
