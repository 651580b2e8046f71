"""Repeat the robustness study of issue 17 and print a table of what happened.

Runs the `methodlint` command (in processes of its own, as a user does) over:

- the running Python's standard library (`Lib/`, its `test/` folder included), cold then warm;
- generated programs (hypothesmith) embedded in the HTTP templates of the test-suite, checked,
  fixed (`--fix`: the result still compiles, only the case of method literals changed) and
  fixed again (nothing changes);
- runs interrupted at random moments: SIGINT, SIGTERM or SIGKILL sent to the main process or
  to a worker, during cold, warm and `--fix` runs; after each, a warm run must print what a run
  without cache prints, and every file an interrupted `--fix` touched must be whole;
- a damaged cache: read-only, replaced (a FIFO, a link to /dev/zero, random bytes), truncated,
  altered by one digit or with a finding removed;
- the odd files and options of the issue (a FIFO or a device given explicitly, UTF-16, a name
  that is not UTF-8, a newline in a name, empty options, broken configurations, bombs).

    python tests/tools/robustness.py [--programs 10000] [--rounds 60] [--seed 17] [--keep]

Prints one row per part: inputs tried, tracebacks (or "internal error" lines), exit statuses,
files an interrupted `--fix` changed (whole) and half-written, temporary files left behind, and
how many warm runs after a fault printed the same as a clean run. Not a test: it takes minutes
(the programs' generation most of them); run it with `nice` on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
REPO = TESTS.parent
# A run that takes longer than this is counted as hung (and killed).
HANG_SECONDS = 600.0


@dataclass
class Row:
    """One part of the study."""

    name: str
    inputs: int = 0
    tracebacks: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    fix_changed: int | None = None
    half_written: int | None = None
    leftovers: int | None = None
    warm_equal: tuple[int, int] | None = None
    hung: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Done:
    status: int
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def traceback(self) -> bool:
        return b"Traceback" in self.stderr or b"internal error" in self.stderr


def methodlint(*args: str | Path, cwd: Path, stdin: int | None = None) -> Done:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "methodlint", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            timeout=HANG_SECONDS,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as expired:
        return Done(-999, expired.stdout or b"", expired.stderr or b"", HANG_SECONDS)
    return Done(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def record(row: Row, done: Done, inputs: int = 1) -> Done:
    row.inputs += inputs
    row.statuses[done.status] += 1
    row.tracebacks += done.traceback
    row.hung += done.status == -999
    return done


def files_checked(done: Done) -> int:
    """The number of files the summary line names."""
    import re

    match = re.search(rb"in (\d+) files? checked|All checks passed \((\d+) files?\)", done.stderr)
    if match is None:
        return 0
    return int(match.group(1) or match.group(2))


# -- the standard library ---------------------------------------------------------------------


def standard_library(work: Path) -> Row:
    row = Row("stdlib Lib/ (with test/), cold+warm")
    library = Path(sysconfig.get_paths()["stdlib"])
    cache = work / "stdlib-cache"
    # The interpreter may live in a git checkout that ignores it (pyenv ignores `versions/`).
    config = work / "stdlib" / "pyproject.toml"
    config.parent.mkdir()
    config.write_text("[tool.methodlint]\nrespect-gitignore = false\n")
    options = ("--config", config, "--cache-dir", cache, library)
    cold = record(row, methodlint(*options, cwd=work), 0)
    warm = record(row, methodlint(*options, cwd=work), 0)
    row.inputs = files_checked(cold)
    row.warm_equal = (int(cold.stdout == warm.stdout), 1)
    findings = Counter(line.split(b" ")[1] for line in cold.stdout.splitlines() if b": ML" in line)
    row.notes.append(
        f"{cold.seconds:.1f} s cold, {warm.seconds:.1f} s warm; findings "
        + ", ".join(f"{code.decode()} {count}" for code, count in sorted(findings.items()))
    )
    return row


# -- generated programs -----------------------------------------------------------------------


def generate_programs(count: int, seed: int) -> list[str]:
    """`count` hypothesmith programs, each embedded in one of the test-suite's HTTP templates."""
    sys.path.insert(0, str(TESTS))
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from test_robustness import TEMPLATES

    programs: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        generated=hypothesmith.from_grammar(),
        template=st.sampled_from(TEMPLATES),
        method=st.sampled_from(["GET", "get", "GTE", "POST", "post", "patch", "PURGE", ""]),
    )
    def collect(generated: str, template: tuple[str, str], method: str) -> None:
        programs.append(template[0].format(generated=generated, method=method))

    collect()
    return programs


def compiles(data: bytes) -> bool:
    try:
        compile(data, "<generated>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def programs_row(work: Path, programs: list[str], fix_every: int) -> tuple[Row, Path]:
    sampled = "" if fix_every == 1 else f" (1 batch in {fix_every})"
    row = Row(f"{len(programs):,} generated programs: check; --fix twice{sampled}")
    tree = work / "programs"
    batch = 500
    for start in range(0, len(programs), batch):
        folder = tree / f"batch_{start // batch:03}"
        folder.mkdir(parents=True)
        for offset, program in enumerate(programs[start : start + batch]):
            (folder / f"p{start + offset:05}.py").write_text(program, encoding="utf-8")
    ml003 = 0
    broken_fix = 0
    not_idempotent = 0
    fixed_files = 0
    for number, folder in enumerate(sorted(tree.iterdir())):
        done = record(row, methodlint("--isolated", "--no-cache", folder, cwd=work), 0)
        row.inputs += files_checked(done)
        ml003 += done.stdout.count(b" ML003 ")
        print(f"  checked {folder.name}", file=sys.stderr)
        if number % fix_every:
            continue
        copy = work / "fixing" / folder.name
        shutil.copytree(folder, copy)
        record(row, methodlint("--isolated", "--no-cache", "--fix", copy, cwd=work), 0)
        after_first = {p.name: p.read_bytes() for p in copy.iterdir()}
        record(row, methodlint("--isolated", "--no-cache", "--fix", copy, cwd=work), 0)
        for path in copy.iterdir():
            original = (folder / path.name).read_bytes()
            fixed = after_first[path.name]
            if fixed != original:
                fixed_files += 1
                same_but_case = fixed.lower() == original.lower() and len(fixed) == len(original)
                if not same_but_case or (compiles(original) and not compiles(fixed)):
                    broken_fix += 1
            if path.read_bytes() != fixed:
                not_idempotent += 1
        shutil.rmtree(copy)
    row.notes.append(
        f"ML003 {ml003}; --fix changed {fixed_files} files, {broken_fix} of them wrongly; "
        f"a second --fix changed {not_idempotent}"
    )
    return row, tree


# -- interrupted runs -------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def temporary_files(*folders: Path) -> int:
    return sum(1 for folder in folders for path in folder.rglob("*") if ".tmp" in path.name)


def interrupted_runs(work: Path, programs: Path | None, rounds: int, rng: random.Random) -> Row:
    row = Row(f"{rounds} interrupted runs (SIGINT/TERM/KILL, main/worker; their exits)")
    pristine = work / "fault-pristine"
    shutil.copytree(REPO / "fixtures", pristine / "fixtures")
    if programs is not None:
        (pristine / "programs").mkdir()
        for path in sorted(next(iter(sorted(programs.iterdir()))).iterdir())[:100]:
            shutil.copy(path, pristine / "programs" / path.name)
    tree, cache = work / "fault-tree", work / "fault-cache"
    full_cache = work / "fault-cache-full"
    shutil.copytree(pristine, tree)
    base = ["--isolated", "--jobs", "2"]
    clean = methodlint(*base, "--cache-dir", full_cache, tree, cwd=work)
    fixed_reference = work / "fault-fixed"
    shutil.copytree(pristine, fixed_reference)
    methodlint(*base, "--no-cache", "--fix", fixed_reference, cwd=work)
    before, after = snapshot(pristine), snapshot(fixed_reference)
    warm_seconds = methodlint(*base, "--cache-dir", full_cache, tree, cwd=work).seconds
    durations = {"cold": clean.seconds, "warm": warm_seconds, "fix": clean.seconds * 1.5}
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    changed = half = left_graceful = left_kill = equal = 0
    outcomes: Counter[str] = Counter()
    for _ in range(rounds):
        mode = rng.choice(["cold", "warm", "fix"])
        target = rng.choice(["main", "worker"])
        signum = rng.choice(signals)
        shutil.rmtree(tree)
        shutil.copytree(pristine, tree)
        shutil.rmtree(cache, ignore_errors=True)
        if mode != "cold":
            shutil.copytree(full_cache, cache)
        args = [*base, "--cache-dir", str(cache), *(["--fix"] if mode == "fix" else []), str(tree)]
        process = subprocess.Popen(
            [sys.executable, "-m", "methodlint", *args],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        victim = process.pid
        if target == "worker":
            # Wait for a worker, then hit it at some point of its work.
            deadline = time.monotonic() + durations[mode] + 5
            while not children(process.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            workers = children(process.pid)
            victim = rng.choice(workers) if workers else process.pid
        else:
            time.sleep(rng.uniform(0, 0.8 * durations[mode]))
        with_target = target if victim != process.pid or target == "main" else "main (no worker)"
        outcomes[f"{with_target} {signal.Signals(signum).name} {mode}"] += 1
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signum)
        try:
            out, err = process.communicate(timeout=HANG_SECONDS)
            done = Done(process.returncode, out, err, 0)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            done = Done(-999, out, err, HANG_SECONDS)
        record(row, done)
        leftovers = temporary_files(tree, cache)
        if victim == process.pid and signum == signal.SIGKILL:
            left_kill += leftovers  # nothing can clean up after SIGKILL
        else:
            left_graceful += leftovers
        if mode == "fix":
            for name, data in snapshot(tree).items():
                if ".tmp" in name or name.startswith(".methodlint"):
                    continue
                if data == before.get(name):
                    continue
                if data == after.get(name):
                    changed += 1
                else:
                    half += 1
        # After the fault: a warm run prints what a run without the cache prints (on the
        # tree as the interrupted --fix left it).
        warm = methodlint(*base, "--cache-dir", cache, tree, cwd=work)
        fresh = clean
        if mode == "fix":
            fresh = methodlint(*base, "--no-cache", tree, cwd=work)
        row.tracebacks += warm.traceback + fresh.traceback
        equal += warm.stdout == fresh.stdout
    row.inputs = rounds
    row.fix_changed, row.half_written, row.leftovers = changed, half, left_graceful
    row.warm_equal = (equal, rounds)
    row.notes.append(
        f"targets {dict(outcomes)}; temporary files left after SIGKILL of the main process: "
        f"{left_kill} (nothing can remove them)"
    )
    return row


# -- a damaged cache --------------------------------------------------------------------------


def damaged_caches(work: Path) -> Row:
    row = Row("damaged cache (9 kinds)")
    tree = work / "cache-tree"
    shutil.copytree(REPO / "fixtures", tree)
    good = work / "cache-good"
    base = ["--isolated", "--jobs", "2"]
    clean = methodlint(*base, "--cache-dir", good, tree, cwd=work)
    equal = 0

    def cache_file(folder: Path) -> Path:
        return next(folder.glob("cache-*.json"))

    def one_digit(path: Path) -> None:
        data = bytearray(path.read_bytes())
        head = data.index(b"\n")
        for index in range(len(data) - 1, head, -1):
            if data[index : index + 1].isdigit():
                data[index] = ord("1") if data[index] != ord("1") else ord("2")
                break
        path.write_bytes(bytes(data))

    def emptied(path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data.replace(b',[["ML', b',[],[["ML', 1).replace(b"]]", b"]", 1))

    def fifo(path: Path) -> None:
        path.unlink()
        os.mkfifo(path)

    def dev_zero(path: Path) -> None:
        path.unlink()
        path.symlink_to("/dev/zero")

    def read_only(path: Path) -> None:
        path.chmod(0o444)
        path.parent.chmod(0o555)

    kinds = {
        "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "random bytes": lambda p: p.write_bytes(os.urandom(4096)),
        "empty": lambda p: p.write_bytes(b""),
        "one digit changed": one_digit,
        "a finding removed": emptied,
        "FIFO": fifo,
        "link to /dev/zero": dev_zero,
        "read-only": read_only,
        "folder": lambda p: (p.unlink(), p.mkdir()),
    }
    for name, damage in kinds.items():
        cache = work / f"cache-{name.replace(' ', '-').replace('/', '')}"
        shutil.copytree(good, cache)
        damage(cache_file(cache))
        done = record(row, methodlint(*base, "--cache-dir", cache, tree, cwd=work))
        if done.stdout == clean.stdout:
            equal += 1
        else:
            row.notes.append(f"differs after: {name}")
        cache.chmod(0o755)
    row.warm_equal = (equal, len(kinds))
    if os.geteuid() == 0:
        row.notes.append("as root, a read-only cache is still writable")
    return row


# -- odd files and options --------------------------------------------------------------------


def odd_inputs(work: Path) -> Row:
    row = Row("odd files, options and configurations")
    folder = work / "odd"
    folder.mkdir()
    body = b'import requests\nrequests.get("https://x.test/", json={"q": 1})\n'
    (folder / "a.py").write_bytes(body)
    os.mkfifo(folder / "pipe.py")
    (folder / "utf16.py").write_bytes(body.decode().encode("utf-16"))
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.py"), "wb") as handle:
        handle.write(body)
    (folder / "two\nlines.py").write_bytes(body)
    (folder / "loop").symlink_to(".")
    (folder / "lambda_bomb.py").write_bytes(b"import requests\nx = " + b"lambda: " * 8000 + b"1\n")
    (folder / "fstring_bomb.py").write_bytes(
        b'import requests\nx = f"{' + b"(" * 5000 + b"1" + b")" * 5000 + b'}"\n'
    )
    (folder / "fstring_chain.py").write_bytes(
        b'import requests\nx = f"{' + b"+".join([b"a"] * 100_000) + b'}"\n'
    )
    (folder / "backslash.py").write_bytes(b"import requests\n\\\n" + body[16:])
    (folder / "annotated.py").write_bytes(b"import requests\n(x): int = 1\n" + body[16:])
    (folder / "self_annotation.py").write_bytes(
        b'import queue\nimport requests\ndef f(queue: "queue.Queue[int]"):\n    pass\n'
    )
    cases: list[tuple[str, list[str | Path], set[int]]] = [
        ("the odd tree", ["--no-cache", "."], {1}),
        ("a FIFO given", ["--no-cache", "pipe.py", "a.py"], {1}),
        ("/dev/null given", ["--no-cache", "/dev/null"], {0}),
        ("--select ''", ["--select", "", "."], {2}),
        ("--config ''", ["--config", "", "."], {2}),
        ("--output-file ''", ["--output-file", "", "."], {2}),
        ("--explain ''", ["--explain", ""], {2}),
        ("--output-file in a missing folder", ["--output-file", "no/such/file", "."], {2}),
        ("--write-baseline onto a FIFO", ["--write-baseline", "pipe.py", "a.py"], {2}),
        ("--jobs 64", ["--no-cache", "--jobs", "64", "."], {1}),
    ]
    for output_format in ("full", "json", "sarif", "github", "gitlab"):
        cases.append(
            (f"{output_format} output", ["--no-cache", "--output-format", output_format], {1})
        )
    for args_name, args, expected in cases:
        done = record(row, methodlint(*args, cwd=folder))
        if done.status not in expected:
            row.notes.append(f"{args_name}: exit {done.status}")
        try:
            done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            row.notes.append(f"{args_name}: output is not UTF-8")
    closed = subprocess.run(
        [sys.executable, "-m", "methodlint", "-"],
        cwd=folder,
        capture_output=True,
        timeout=HANG_SECONDS,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(0),
    )
    record(row, Done(closed.returncode, closed.stdout, closed.stderr, 0))
    configurations = {
        "not UTF-8": b"[tool.methodlint]\n# \xff\n",
        "tool = 1": b"tool = 1\n",
        'tool = "methodlint"': b'tool = "methodlint"\n',
        "bad range in extend-exclude": b'[tool.methodlint]\nextend-exclude = ["[z-a]"]\n',
        "bad range in per-file-ignores": b'[tool.methodlint]\nper-file-ignores = {"[z-a]" = []}\n',
        "deeply nested array": b"[tool.methodlint]\nselect = " + b"[" * 50_000 + b"]" * 50_000,
    }
    for name, content in configurations.items():
        project = work / f"config-{len(row.statuses)}-{abs(hash(name))}"
        project.mkdir()
        (project / "pyproject.toml").write_bytes(content)
        (project / "a.py").write_bytes(body)
        done = record(row, methodlint(".", cwd=project))
        if done.status != 2 or b"configuration error" not in done.stderr:
            row.notes.append(f"configuration {name}: exit {done.status}")
    return row


# -- the table --------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    headers = (
        "part",
        "inputs",
        "tracebacks",
        "exit statuses",
        "--fix changed/half",
        "tmp left",
        "warm = clean",
        "hung",
    )
    lines = []
    cells = []
    for row in rows:
        statuses = ", ".join(
            f"{'hung' if s == -999 else s}: {n}" for s, n in sorted(row.statuses.items())
        )
        fix = "" if row.fix_changed is None else f"{row.fix_changed} / {row.half_written}"
        warm = "" if row.warm_equal is None else f"{row.warm_equal[0]}/{row.warm_equal[1]}"
        leftovers = "" if row.leftovers is None else str(row.leftovers)
        cells.append(
            (
                row.name,
                f"{row.inputs:,}",
                str(row.tracebacks),
                statuses,
                fix,
                leftovers,
                warm,
                str(row.hung),
            )
        )
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines.append(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("-|-".join("-" * w for w in widths))
    for cell in cells:
        lines.append(" | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)))
    for row in rows:
        for note in row.notes:
            lines.append(f"  {row.name}: {note}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=10_000, help="generated programs")
    parser.add_argument("--rounds", type=int, default=60, help="interrupted runs")
    parser.add_argument(
        "--fix-every", type=int, default=1, help="run --fix on one batch of 500 programs in N"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--skip-stdlib", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    options = parser.parse_args()
    if not Path("/proc/self/task").exists():
        print("needs Linux (/proc) to find worker processes", file=sys.stderr)
        return 2
    rng = random.Random(options.seed)
    work = Path(tempfile.mkdtemp(prefix="methodlint-robustness-"))
    rows: list[Row] = []
    started = time.monotonic()
    try:
        if not options.skip_stdlib:
            rows.append(standard_library(work))
            print(f"[{time.monotonic() - started:.0f} s] standard library done", file=sys.stderr)
        programs_tree = None
        if options.programs:
            programs = generate_programs(options.programs, options.seed)
            print(
                f"[{time.monotonic() - started:.0f} s] {len(programs)} programs generated",
                file=sys.stderr,
            )
            row, programs_tree = programs_row(work, programs, max(1, options.fix_every))
            rows.append(row)
            print(f"[{time.monotonic() - started:.0f} s] programs done", file=sys.stderr)
        rows.append(interrupted_runs(work, programs_tree, options.rounds, rng))
        print(f"[{time.monotonic() - started:.0f} s] interruptions done", file=sys.stderr)
        rows.append(damaged_caches(work))
        rows.append(odd_inputs(work))
    finally:
        if options.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            for path in work.rglob("*"):
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o755)
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    print(f"\n{time.monotonic() - started:.0f} s, Python {sys.version.split()[0]}")
    bad = sum(r.tracebacks + r.hung for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
