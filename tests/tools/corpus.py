"""A reproducible corpus of HTTP-heavy PyPI packages, and a methodlint run over it.

Standalone script (stdlib only; not a test). The packages below are pinned; each one is downloaded
with ``pip download --no-deps`` (the wheel, else the sdist) and unpacked into a cache folder outside
the repository, one folder per ``name-version``, reused on later runs (no second download).

Cache folder: ``--cache-dir DIR``, else ``$METHODLINT_CORPUS``, else ``~/.cache/methodlint-corpus``.

Usage::

    python tests/tools/corpus.py path            # print the corpus root folder
    python tests/tools/corpus.py fetch           # download what is missing; files and lines
    python tests/tools/corpus.py run             # methodlint over each package: counts per rule
    python tests/tools/corpus.py run --package requests --package httpx --show-findings
    python tests/tools/corpus.py run --methodlint "methodlint --no-cache" --json out.json

``run`` calls ``CMD --output-format json --exit-zero --isolated .`` inside each package folder
(default CMD: ``python -m methodlint``) and prints per package its files, findings and seconds,
then the findings per rule code; ``--show-findings`` prints each finding with its source line so a
human can judge it. Exit status 0, or 1 when a download or methodlint itself failed (exit 2, or
output that is not a JSON list).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Exact pins (checked on PyPI): wheels hold the .py sources; sdists are the fallback.
PINS = """
    requests==2.34.2  httpx==0.28.1  httpcore==1.0.9  urllib3==2.8.0  aiohttp==3.14.5
    aiohttp-retry==2.9.1  botocore==1.44.8  kubernetes==37.0.2  openai==3.57.0  stripe==16.1.0
    slack_sdk==3.48.0  huggingface_hub==2.4.0  sentry-sdk==2.75.0
    google-api-python-client==2.202.0  google-auth==2.63.0  tenacity==9.2.1  backoff==2.2.1
    stamina==26.1.0  python-gitlab==8.6.0  PyGithub==2.10.0  docker==7.2.0  hvac==2.4.0
    jira==3.10.5  requests-oauthlib==2.0.0  twilio==9.13.0  dropbox==12.2.4  azure-core==1.41.0
    msal==1.39.0  elasticsearch==9.5.1  atlassian-python-api==5.0.5  notion-client==3.1.0
    tweepy==4.17.0  python-telegram-bot==22.8  spotipy==2.26.0
    changedetection.io==0.60.10  django-oscar==4.2.1  djoser==2.3.5  dj-rest-auth==7.2.0
    fastapi-users==15.0.5  dstack==0.22.5  sqladmin==0.32.0  maubot==0.6.0
"""
PACKAGES: list[tuple[str, str]] = [(n, v) for n, _, v in (p.partition("==") for p in PINS.split())]
SOURCE_SUFFIXES = (".py", ".pyi")  # what methodlint searches folders for


@dataclass
class Finding:
    code: str
    name: str
    message: str
    hint: str | None
    severity: str
    path: str
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    fix: object


@dataclass
class Result:
    package: str
    version: str
    files: int
    lines: int
    seconds: float = 0.0
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def corpus_root(cache_dir: str | None) -> Path:
    chosen = cache_dir or os.environ.get("METHODLINT_CORPUS")
    root = Path(chosen) if chosen else Path.home() / ".cache" / "methodlint-corpus"
    return root.expanduser().resolve()


def _inside(root: Path, member: str) -> Path:
    target = (root / member).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"unsafe path in archive: {member!r}")
    return target


def unpack(archive: Path, dest: Path) -> None:
    """Unpack a wheel, zip or tar sdist into dest, refusing members that escape it."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                _inside(dest, member)
            zf.extractall(dest)
        return
    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
            return
        members = [m for m in tf.getmembers() if m.isfile() or m.isdir()]  # no links or devices
        for m in members:
            _inside(dest, m.name)
        tf.extractall(dest, members=members)


def download(name: str, version: str, dest: Path) -> Path:
    """pip download the wheel of name==version (else its sdist) into dest; return the file."""
    dest.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
    base += ["--quiet", "--dest", str(dest), f"{name}=={version}"]
    error = ["no file downloaded"]
    for mode in ("--only-binary", "--no-binary"):
        proc = subprocess.run([*base, mode, ":all:"], capture_output=True, text=True)
        files = sorted(dest.iterdir())
        if proc.returncode == 0 and files:
            return files[0]
        error = proc.stderr.strip().splitlines()[-1:] or ["no file downloaded"]
    raise RuntimeError(f"pip download {name}=={version} failed: {error[0]}")


def ensure(root: Path, name: str, version: str) -> Path:
    """The unpacked folder of name==version, downloaded and unpacked if not yet there."""
    folder = root / f"{name}-{version}"
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=root) as tmp:
        archive = download(name, version, Path(tmp) / "dl")
        staging = Path(tmp) / "unpacked"
        unpack(archive, staging)
        staging.rename(folder)  # same file system: the folder appears whole or not at all
    return folder


def count_sources(folder: Path) -> tuple[int, int]:
    files = lines = 0
    for path in folder.rglob("*"):
        if path.suffix in SOURCE_SUFFIXES and path.is_file():
            data = path.read_bytes()
            files += 1
            lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return files, lines


def selected(names: list[str] | None) -> list[tuple[str, str]]:
    if not names:
        return PACKAGES
    wanted = {normalize(n) for n in names}
    unknown = wanted - {normalize(n) for n, _ in PACKAGES}
    if unknown:
        raise SystemExit(f"unknown package(s): {', '.join(sorted(unknown))}")
    return [(n, v) for n, v in PACKAGES if normalize(n) in wanted]


def fetch_all(root: Path, packages: list[tuple[str, str]]) -> tuple[list[Result], bool]:
    results: list[Result] = []
    ok = True
    for stale in root.glob(".tmp-*"):  # left by an interrupted fetch
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    for name, version in packages:
        try:
            folder = ensure(root, name, version)
        except (OSError, RuntimeError, ValueError, tarfile.TarError, zipfile.BadZipFile) as exc:
            print(f"error: {name}=={version}: {exc}", file=sys.stderr)
            results.append(Result(name, version, 0, 0, error=f"download failed: {exc}"))
            ok = False
            continue
        results.append(Result(name, version, *count_sources(folder)))
    return results, ok


def parse_findings(stdout: str) -> list[Finding]:
    data = json.loads(stdout)
    if not isinstance(data, list):
        raise ValueError("methodlint's JSON output is not a list")
    return [
        Finding(
            code=str(d["code"]),
            name=str(d.get("name", "")),
            message=str(d.get("message", "")),
            hint=d.get("hint"),
            severity=str(d.get("severity", "")),
            path=str(d["path"]),
            line=int(d["line"]),
            column=int(d["column"]),
            end_line=d.get("end_line"),
            end_column=d.get("end_column"),
            fix=d.get("fix"),
        )
        for d in data
    ]


def run_methodlint(command: list[str], folder: Path, result: Result) -> None:
    args = [*command, "--output-format", "json", "--exit-zero", "--isolated", "."]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=folder, capture_output=True, text=True)
    result.seconds = time.perf_counter() - start
    stderr = (proc.stderr.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0, 1):
        result.error = f"methodlint exited {proc.returncode}: {stderr}"
        return
    try:
        result.findings = parse_findings(proc.stdout)
    except (ValueError, KeyError, TypeError) as exc:
        result.error = f"unreadable methodlint output: {exc!r} {stderr}".rstrip()


def source_line(folder: Path, finding: Finding, cache: dict[Path, list[str]]) -> str:
    path = folder / finding.path
    if path not in cache:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        cache[path] = re.split(r"\r\n|\r|\n", text)
    lines = cache[path]
    return lines[finding.line - 1].rstrip()[:200] if 0 < finding.line <= len(lines) else ""


def print_packages(root: Path, results: list[Result], with_findings: bool) -> None:
    print(f"corpus: {root}")
    header = f"{'package':<32} {'files':>7} {'lines':>10}"
    print(header + (f" {'findings':>9} {'seconds':>8}" if with_findings else ""))
    for r in results:
        row = f"{r.package + '-' + r.version:<32} {r.files:>7} {r.lines:>10}"
        if with_findings:
            row += f" {len(r.findings):>9} {r.seconds:>8.2f}"
        print(row + (f"  {r.error}" if r.error else ""))
    total = f"{'total':<32} {sum(r.files for r in results):>7} {sum(r.lines for r in results):>10}"
    if with_findings:
        total += f" {sum(len(r.findings) for r in results):>9}"
        total += f" {sum(r.seconds for r in results):>8.2f}"
    print(total)


def print_codes(results: list[Result]) -> None:
    counts: Counter[str] = Counter()
    packages: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for r in results:
        for f in r.findings:
            counts[f.code] += 1
            packages.setdefault(f.code, set()).add(r.package)
            names[f.code] = f.name
    print(f"\n{'code':<8} {'name':<40} {'findings':>9} {'packages':>9}")
    for code in sorted(counts):
        print(f"{code:<8} {names[code]:<40} {counts[code]:>9} {len(packages[code]):>9}")
    if not counts:
        print("(no findings)")


def print_findings(root: Path, results: list[Result]) -> None:
    cache: dict[Path, list[str]] = {}
    for r in results:
        folder = root / f"{r.package}-{r.version}"
        for f in r.findings:
            location = f"{folder.name}/{f.path}:{f.line}:{f.column}"
            print(f"\n{location}: {f.code} {f.message}")
            print(f"    | {source_line(folder, f, cache)}")


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--cache-dir",
        help="corpus folder (default: $METHODLINT_CORPUS or ~/.cache/methodlint-corpus)",
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("path", parents=[common], help="print the corpus root folder")
    fetch = sub.add_parser("fetch", parents=[common], help="download and unpack the corpus")
    run = sub.add_parser("run", parents=[common], help="run methodlint over the corpus")
    for p in (fetch, run):
        p.add_argument("--package", action="append", metavar="NAME", help="only this package")
    run.add_argument(
        "--methodlint", metavar="CMD", help="command to run (default: python -m methodlint)"
    )
    run.add_argument("--show-findings", action="store_true", help="print each finding")
    run.add_argument("--json", metavar="OUT", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)

    root = corpus_root(args.cache_dir)
    if args.command == "path":
        print(root)
        return 0
    results, ok = fetch_all(root, selected(args.package))
    if args.command == "fetch":
        print_packages(root, results, with_findings=False)
        return 0 if ok else 1

    command = (
        shlex.split(args.methodlint) if args.methodlint else [sys.executable, "-m", "methodlint"]
    )
    if not shutil.which(command[0]) and not Path(command[0]).exists():
        print(f"error: command not found: {command[0]}", file=sys.stderr)
        return 1
    for r in results:
        if r.error is None:
            run_methodlint(command, root / f"{r.package}-{r.version}", r)
            if r.error:
                print(f"error: {r.package}: {r.error}", file=sys.stderr)
    if args.show_findings:
        print_findings(root, results)
        print()
    print_packages(root, results, with_findings=True)
    print_codes(results)
    if args.json:
        report = {"corpus": str(root), "packages": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.error is None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
