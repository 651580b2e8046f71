"""One run of the command: each file checked with its own configuration, then the actions
(`--fix`, `--diff`, `--add-noqa`, baselines) and the report with its summary."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from methodlint import commands
from methodlint.config import UNCHECKED_CODES, Config
from methodlint.config_resolver import ConfigResolver, describe
from methodlint.diagnostics import Diagnostic
from methodlint.files import STDIN, FileSelection, PathError, collect_files
from methodlint.output import FORMATTERS, OutputContext, use_color
from methodlint.output.concise import fixable
from methodlint.runner import Report


@dataclass(frozen=True)
class Options:
    """The command line's options besides the configuration."""

    output_file: str | None = None
    exit_zero: bool = False
    statistics: bool = False
    fix: bool = False
    diff: bool = False
    fix_only: bool = False
    show_fixes: bool = False
    exit_non_zero_on_fix: bool = False
    add_noqa: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    show_files: bool = False
    jobs: int | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    stdin_filename: str | None = None
    color: str | None = None
    quiet: bool = False
    verbose: bool = False

    @property
    def fixing(self) -> bool:
        return self.fix or self.fix_only


@dataclass
class _Group:
    """The files that share one configuration, as paths to give `lint_paths`."""

    config: Config
    paths: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    """What the groups' runs add up to."""

    report: Report = field(default_factory=Report)
    fixed: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    applied: int = 0
    errors: list[str] = field(default_factory=list)
    diff: str = ""
    stdin: bytes | None = None


def run(paths: tuple[str, ...], resolver: ConfigResolver, options: Options) -> int:
    """Check `paths` and print the report; the exit status."""
    if options.diff and options.write_baseline:
        raise click.UsageError("--diff writes nothing, so it cannot --write-baseline")
    if options.add_noqa and (options.fixing or options.diff):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    root = resolver.for_folder(resolver.cwd)
    selection = collect_files(paths, root, stdin_filename=options.stdin_filename)
    groups = _groups(paths, selection, resolver, root, options.stdin_filename)
    if options.verbose:
        for group in groups:
            count = "all files" if group.paths == list(paths) else f"{len(group.paths)} files"
            click.echo(f"methodlint: configuration: {describe(group.config)} ({count})", err=True)
    if options.show_files:
        shown: list[tuple[str, Config]] = []
        for group in groups:
            chosen = collect_files(group.paths, group.config, stdin_filename=options.stdin_filename)
            shown += [(f.display, group.config) for f in chosen.files]
        shown.sort(key=lambda item: item[0])
        click.echo(commands.show_files(shown, options.verbose), nl=False)
        return 0
    # Read the baseline first: a bad one must stop the run before any file is fixed. Writing
    # a baseline records every finding, so it does not read one.
    baseline = None
    if options.baseline and not options.write_baseline:
        from methodlint.baseline import read_baseline

        baseline = read_baseline(options.baseline)
    stdin = sys.stdin.buffer.read() if STDIN in paths else None
    outcome = _Outcome()
    with _Progress.start(options) as progress:
        for group in groups:
            _check_group(group, options, stdin, outcome, progress)
    report = outcome.report
    report.diagnostics.sort(key=Diagnostic.sort_key)
    report.files_skipped = sorted(set(selection.skipped) | set(report.files_skipped))
    for where, reason in report.files_skipped:
        click.echo(printable(f"methodlint: skipped {where}: {reason}"), err=True)
    for error in outcome.errors:
        click.echo(printable(f"methodlint: {error}"), err=True)
    failed = bool(outcome.errors)
    if options.add_noqa:
        return _add_noqa(report, options)
    if options.fixing or options.diff:
        finished = _report_fixes(outcome, options, paths)
        if finished is not None:
            return finished
    if options.write_baseline:
        from methodlint.baseline import write_baseline

        written = write_baseline(options.write_baseline, report.diagnostics)
        if not options.quiet:
            recorded = f"{written} finding{'s' if written != 1 else ''}"
            click.echo(f"Recorded {recorded} in {options.write_baseline}.", err=True)
        return 2 if failed else 0
    if baseline is not None:
        new, known = baseline.new_findings(report.diagnostics)
        report = replace(report, diagnostics=new)
        if not options.quiet and known:
            click.echo(f"{known} finding{'s' if known != 1 else ''} in the baseline.", err=True)
    _print_report(report, root, options, paths)
    if failed:
        return 2
    if options.fix_only:
        return 1 if options.exit_non_zero_on_fix and outcome.applied else 0
    if options.fix and options.exit_non_zero_on_fix and outcome.applied:
        return 1
    code = 1 if report.diagnostics else 0
    # --exit-zero forgives findings (1), not errors (2).
    return 0 if options.exit_zero else code


def _config_of(
    path: Path, resolver: ConfigResolver, root: Config, stdin_filename: str | None
) -> Config:
    if str(path) == STDIN:
        return resolver.for_file(stdin_filename) if stdin_filename else root
    return resolver.for_file(path)


def _groups(
    paths: tuple[str, ...],
    selection: FileSelection,
    resolver: ConfigResolver,
    root: Config,
    stdin_filename: str | None,
) -> list[_Group]:
    """The files grouped by the configuration that applies to each (the closest one). When
    it is one configuration, that of the current folder, the given paths are checked as
    given; otherwise each group's files are given one by one, so that its own `exclude`
    applies to them too."""
    groups: dict[int, _Group] = {}
    for source in selection.files:
        config = _config_of(source.path, resolver, root, stdin_filename)
        group = groups.setdefault(id(config), _Group(config))
        # The path as shown is the path as given, or relative to the current folder.
        group.paths.append(STDIN if str(source.path) == STDIN else source.display)
    if not groups or (len(groups) == 1 and next(iter(groups.values())).config is root):
        return [_Group(root, list(paths))]
    return list(groups.values())


def _check_group(
    group: _Group,
    options: Options,
    stdin: bytes | None,
    outcome: _Outcome,
    progress: _Progress,
) -> None:
    from methodlint.runner import lint_paths

    # --diff writes nothing, not even the cache.
    cache = False if options.no_cache or options.diff else (options.cache_dir or True)
    report = lint_paths(
        group.paths,
        group.config,
        jobs=options.jobs,
        stdin=stdin,
        stdin_filename=options.stdin_filename,
        cache=cache,
        progress=progress,
    )
    if options.fixing or options.diff:
        from methodlint.fix import fix_report

        fixes = fix_report(
            report,
            group.config,
            group.paths,
            stdin=stdin,
            stdin_filename=options.stdin_filename,
            write=not options.diff,
        )
        before = Counter((d.path, d.code, d.name) for d in report.diagnostics if fixable(d))
        after = Counter((d.path, d.code, d.name) for d in fixes.report.diagnostics if fixable(d))
        outcome.fixed += before - after
        outcome.applied += fixes.applied
        outcome.errors += fixes.errors
        outcome.diff += fixes.diff()
        if fixes.stdin is not None and STDIN in group.paths:
            outcome.stdin = fixes.stdin
        report = fixes.report
    total = outcome.report
    total.diagnostics += report.diagnostics
    total.files_checked += report.files_checked
    total.files_skipped += report.files_skipped
    total.files_unchecked += report.files_unchecked


def _report_fixes(outcome: _Outcome, options: Options, paths: tuple[str, ...]) -> int | None:
    """What --fix and --diff say; the exit status when nothing else is to be printed."""
    failed = bool(outcome.errors)
    fixed = f"{outcome.applied} problem{'s' if outcome.applied != 1 else ''}"
    if options.diff:
        click.echo(outcome.diff, nl=False)
        if not options.quiet:
            click.echo(f"Would fix {fixed}." if outcome.applied else "Nothing to fix.", err=True)
        return 2 if failed else 1 if outcome.applied else 0
    if outcome.stdin is not None:
        click.echo(outcome.stdin, nl=False)
    if not options.quiet and outcome.applied:
        click.echo(f"Fixed {fixed}.", err=True)
        if options.show_fixes:
            click.echo(_fixes_text(outcome.fixed), nl=False, err=STDIN in paths)
    elif options.show_fixes and not options.quiet:
        click.echo("No problems fixed.", err=True)
    return None


def _fixes_text(fixed: Counter[tuple[str, str, str]]) -> str:
    """--show-fixes: per file, how many findings of each rule were fixed."""
    lines: list[str] = []
    for path in sorted({path for path, _, _ in fixed}):
        lines.append(f"- {path}:")
        for (where, code, name), count in sorted(fixed.items()):
            if where == path and count:
                lines.append(f"    {count} x {code} ({name})")
    return "".join(f"{line}\n" for line in lines)


def _add_noqa(report: Report, options: Options) -> int:
    from methodlint.add_noqa import add_noqa

    added, errors = add_noqa(report.diagnostics)
    for error in errors:
        click.echo(f"methodlint: {error}", err=True)
    if not options.quiet:
        click.echo(f"Added {added} noqa comment{'s' if added != 1 else ''}.", err=True)
    return 2 if errors else 0


def _print_report(report: Report, root: Config, options: Options, paths: tuple[str, ...]) -> None:
    output_format = root.output_format
    as_json = output_format == "json"
    to_file = bool(options.output_file)
    isatty = sys.stdout is not None and sys.stdout.isatty()
    colored = use_color(options.color, to_file=to_file, isatty=isatty)
    context = OutputContext(color=colored, cwd=Path.cwd())
    diagnostics = [] if options.fix_only else report.diagnostics
    if options.statistics:
        text = commands.statistics(diagnostics, as_json)
    else:
        text = FORMATTERS[output_format](diagnostics, context)
    text = printable(text)
    if options.output_file:
        try:
            write_output(options.output_file, text)
        except OSError as error:
            name = printable(options.output_file)
            raise PathError(
                f"cannot write --output-file {name!r}: {error.strerror or error}"
            ) from None
    else:
        # color=colored: click would otherwise strip the styles whenever stdout is no terminal.
        # With --fix and -, standard output carries the fixed source (as ruff does).
        click.echo(text, nl=False, color=colored, err=options.fixing and STDIN in paths)
    if options.fix_only or not (
        (not options.quiet and output_format in ("concise", "full")) or options.verbose
    ):
        return
    click.echo(summary(report), err=True)


def summary(report: Report) -> str:
    """The summary line(s): findings, how many --fix can fix, files that were not checked."""
    count = len(report.diagnostics)
    files = report.files_checked
    in_files = f"{files} file{'s' if files != 1 else ''}"
    reported = {d.path for d in report.diagnostics if d.code in UNCHECKED_CODES}
    silenced = [path for path in report.files_unchecked if path not in reported]
    not_checked = ""
    if silenced:
        # An ignored ML001-ML003 keeps the exit status at 0, never the count out of sight.
        listed = ", ".join(silenced[:3]) + (", ..." if len(silenced) > 3 else "")
        not_checked = f"; {len(silenced)} of them not checked, their ML001-ML003 ignored ({listed})"
    if count:
        line = (
            f"Found {count} problem{'s' if count != 1 else ''} in {in_files} checked{not_checked}."
        )
        fixes = sum(1 for d in report.diagnostics if fixable(d))
        if fixes:
            line += f"\n[*] {fixes} fixable with --fix."
        return line
    if silenced:
        return f"No problems found in {in_files}{not_checked}."
    return f"All checks passed ({in_files})."


def printable(text: str) -> str:
    """`text` with what cannot be written as UTF-8 (the surrogate escapes of file names that
    are not UTF-8) spelled as backslash escapes: `\\udcff`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_output(path: str, text: str) -> None:
    """The report, written whole or not at all; missing folders are created."""
    from methodlint.fix import write_atomically

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))


class _Progress:
    """A progress line on standard error for a run that lasts, on a terminal only."""

    DELAY = 2.0  # seconds before the line appears: short runs stay quiet
    EVERY = 0.2

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = 0.0
        self.drawn = False

    @classmethod
    def start(cls, options: Options) -> _Progress:
        stderr = sys.stderr
        enabled = (
            not options.quiet
            and stderr is not None
            and stderr.isatty()
            and os.environ.get("TERM") != "dumb"
        )
        return cls(enabled)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.DELAY or now - self.shown < self.EVERY:
            return
        self.shown = now
        self.drawn = True
        sys.stderr.write(f"\rmethodlint: checked {done}/{total} files")
        sys.stderr.flush()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
