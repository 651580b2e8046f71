"""The `methodlint` command."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from methodlint import __version__
from methodlint.baseline import BaselineError
from methodlint.config import Config, ConfigError, discover_config, load_config
from methodlint.diagnostics import Diagnostic
from methodlint.files import PathError
from methodlint.output import FORMATTERS, OutputContext, use_color

if TYPE_CHECKING:
    from methodlint.runner import Report


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _explain(code: str) -> str:
    from methodlint.registry import matches

    found = [r for r in matches(code) if r.code == code.upper() or r.name == code.lower()]
    if not found:
        raise click.UsageError(f"no rule {code!r}; see methodlint --list-rules")
    from methodlint.docs import explain

    return explain(found[0])


def _list_rules() -> str:
    from methodlint.registry import all_rules

    lines = [f"{'code':<7}{'name':<34}{'severity':<9}{'default':<9}{'preview':<9}fixable"]
    for rule in all_rules():
        lines.append(
            f"{rule.code:<7}{rule.name:<34}{rule.severity.value:<9}"
            f"{'on' if rule.default_on else 'off':<9}{'yes' if rule.preview else 'no':<9}"
            f"{'yes' if rule.fixable else 'no'}"
        )
    return "\n".join(lines) + "\n"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=str)
@click.option("--select", help="Rules to run: codes, prefixes (ML1), names or ALL.")
@click.option("--extend-select", help="Rules to run besides the selected ones.")
@click.option("--ignore", help="Rules not to run.")
@click.option("--preview", is_flag=True, default=None, help="Also run rules still in preview.")
@click.option(
    "--output-format",
    type=click.Choice(["concise", "full", "json", "sarif", "github", "gitlab"]),
    help="How to print findings (default: concise).",
)
@click.option("--output-file", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of findings.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (with -: print the fixed source).")
@click.option("--diff", is_flag=True, help="Print the safe fixes as a unified diff; write nothing.")
@click.option("--baseline", metavar="FILE", help="Report only findings not recorded in FILE.")
@click.option("--write-baseline", metavar="FILE", help="Record the findings in FILE and exit 0.")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), help="pyproject.toml to use."
)
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--no-cache", is_flag=True, help="Check every file; read and write no cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Cache folder (default: .methodlint_cache in the project folder).",
)
@click.option("--stdin-filename", help="The path to report for standard input (-).")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour concise and full output (default: on a terminal; NO_COLOR, FORCE_COLOR).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("-v", "--verbose", is_flag=True, help="Say more; tracebacks for internal errors.")
@click.version_option(__version__, "--version", prog_name="methodlint")
def main(
    paths: tuple[str, ...],
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    preview: bool | None,
    output_format: str | None,
    output_file: str | None,
    exit_zero: bool,
    statistics: bool,
    fix: bool,
    diff: bool,
    baseline: str | None,
    write_baseline: str | None,
    config_path: str | None,
    isolated: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
    stdin_filename: str | None,
    explain: str | None,
    list_rules: bool,
    color: bool | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check HTTP call sites in Python code against HTTP method semantics (RFC 9110).

    PATHS are files and folders to check (default: the current folder); - reads standard
    input. Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error.
    """
    if paths[:1] == ("server",):
        _serve(paths, verbose)
    _refuse_empty(
        ("--select", select),
        ("--config", config_path),
        ("--output-file", output_file),
        ("--explain", explain),
        ("--cache-dir", cache_dir),
        ("--baseline", baseline),
        ("--write-baseline", write_baseline),
    )
    try:
        if explain is not None:
            click.echo(_explain(explain), nl=False)
            return
        if list_rules:
            click.echo(_list_rules(), nl=False)
            return
        config = _load(config_path, isolated).with_options(
            select=_split(select),
            extend_select=_split(extend_select),
            ignore=_split(ignore),
            preview=preview,
            output_format=output_format,
        )
        if diff and write_baseline:
            raise click.UsageError("--diff writes nothing, so it cannot --write-baseline")
        if output_file is not None:
            _check_output_file(output_file)
        if "-" in paths and sys.stdin is None:
            raise click.UsageError("- reads standard input, which is closed")
        actions = _Actions(fix=fix, diff=diff, baseline=baseline, write_baseline=write_baseline)
        code = _run(
            paths,
            config,
            jobs,
            stdin_filename,
            output_file,
            statistics,
            quiet,
            verbose,
            color,
            actions,
            # --diff writes nothing, not even the cache.
            cache=False if no_cache or diff else (cache_dir or True),
        )
    except ConfigError as error:
        click.echo(f"methodlint: configuration error: {error}", err=True)
        sys.exit(2)
    except (PathError, BaselineError) as error:
        click.echo(f"methodlint: {error}", err=True)
        sys.exit(2)
    except click.exceptions.ClickException:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        if verbose:
            traceback.print_exc()
        click.echo(f"methodlint: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(2)
    # --exit-zero forgives findings (1), not errors (2).
    sys.exit(0 if exit_zero and code == 1 else code)


def _refuse_empty(*options: tuple[str, str | None]) -> None:
    """An option given an empty value (an unset variable in CI: `--select "$CODES"`) is a
    usage error: ignoring it would run something other than what was asked."""
    for name, value in options:
        if value is not None and not value.strip(" ,"):
            raise click.UsageError(f"{name} was given an empty value")


def _check_output_file(output_file: str) -> None:
    """Fail before the run, not after it, when the report cannot be written there."""
    folder = os.path.dirname(os.path.abspath(output_file))
    if not os.path.isdir(folder):
        raise click.UsageError(
            f"--output-file {_printable(output_file)!r}: folder {_printable(folder)!r} "
            "does not exist"
        )
    if os.path.isdir(output_file):
        raise click.UsageError(f"--output-file {_printable(output_file)!r} is a folder")


def _printable(text: str) -> str:
    """`text` with what cannot be written as UTF-8 (the surrogate escapes of file names that
    are not UTF-8) spelled as backslash escapes: `\\udcff`."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _serve(paths: tuple[str, ...], verbose: bool) -> None:
    """`methodlint server`: the language server (a folder named server is `./server`)."""
    context = click.get_current_context()
    given = [
        param.opts[0]
        for param in context.command.params
        if param.name not in ("paths", "verbose")
        and context.get_parameter_source(param.name or "") is not ParameterSource.DEFAULT
    ]
    if len(paths) > 1 or given:
        extra = [*paths[1:], *given]
        raise click.UsageError(
            f"methodlint server takes no paths or options ({', '.join(extra)}); it reads the "
            "configuration of each file (a folder named server is checked with ./server)"
        )
    try:
        from methodlint.lsp.server import serve
    except ImportError as error:
        if verbose:
            traceback.print_exc()
        click.echo(
            f"methodlint: the language server needs the server extra ({error}): "
            "pip install 'methodlint[server]'",
            err=True,
        )
        sys.exit(2)
    serve()
    sys.exit(0)


def _load(config_path: str | None, isolated: bool) -> Config:
    if isolated:
        return Config()
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"configuration file {config_path!r} does not exist")
        return load_config(path)
    return discover_config()


def _run(
    paths: tuple[str, ...],
    config: Config,
    jobs: int | None,
    stdin_filename: str | None,
    output_file: str | None,
    statistics: bool,
    quiet: bool,
    verbose: bool,
    color: bool | None = None,
    actions: _Actions | None = None,
    cache: bool | str = False,
) -> int:
    from methodlint.runner import lint_paths

    formatter = FORMATTERS[config.output_format]
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    report = lint_paths(
        list(paths), config, jobs=jobs, stdin=stdin, stdin_filename=stdin_filename, cache=cache
    )
    for where, reason in report.files_skipped:
        click.echo(_printable(f"methodlint: skipped {where}: {reason}"), err=True)
    actions = actions or _Actions()
    report, finished, failed = _apply_actions(
        actions, report, config, paths, stdin, stdin_filename, quiet
    )
    if finished is not None:
        return finished
    isatty = sys.stdout is not None and sys.stdout.isatty()
    colored = use_color(color, to_file=bool(output_file), isatty=isatty)
    context = OutputContext(color=colored, cwd=Path.cwd())
    text = _statistics(report.diagnostics) if statistics else formatter(report.diagnostics, context)
    text = _printable(text)
    if output_file:
        try:
            Path(output_file).write_text(text, encoding="utf-8")
        except OSError as error:
            raise PathError(
                f"cannot write --output-file {_printable(output_file)!r}: {error.strerror or error}"
            ) from None
    else:
        # color=colored: click would otherwise strip the styles whenever stdout is no terminal.
        # With --fix and -, standard output carries the fixed source (as ruff does).
        click.echo(text, nl=False, color=colored, err=actions.fix and "-" in paths)
    if (not quiet and config.output_format == "concise") or verbose:
        count = len(report.diagnostics)
        files = report.files_checked
        if count:
            click.echo(
                f"Found {count} problem{'s' if count != 1 else ''} "
                f"in {files} file{'s' if files != 1 else ''} checked.",
                err=True,
            )
        else:
            click.echo(f"All checks passed ({files} file{'s' if files != 1 else ''}).", err=True)
    return 2 if failed else 1 if report.diagnostics else 0


def _statistics(diagnostics: list[Diagnostic]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.name)
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(f"{count:>6}  {code}  {name}\n" for (code, name), count in ordered)


@dataclass(frozen=True)
class _Actions:
    """What to do with the findings besides printing them."""

    fix: bool = False
    diff: bool = False
    baseline: str | None = None
    write_baseline: str | None = None


def _apply_actions(
    actions: _Actions,
    report: Report,
    config: Config,
    paths: tuple[str, ...],
    stdin: bytes | None,
    stdin_filename: str | None,
    quiet: bool,
) -> tuple[Report, int | None, bool]:
    """--fix/--diff, then --write-baseline/--baseline: the report to print, the exit status
    when nothing is left to print (else None), and whether a fix failed (exit 2)."""
    from methodlint.baseline import read_baseline, write_baseline

    # Read the baseline first: a bad one must stop the run before any file is fixed. Writing
    # a baseline records every finding, so it does not read one.
    baseline = None
    if actions.baseline and not actions.write_baseline:
        baseline = read_baseline(actions.baseline)
    failed = False
    if actions.fix or actions.diff:
        from methodlint.fix import fix_report

        write = not actions.diff
        run = fix_report(
            report, config, paths, stdin=stdin, stdin_filename=stdin_filename, write=write
        )
        failed = bool(run.errors)
        for error in run.errors:
            click.echo(_printable(f"methodlint: {error}"), err=True)
        fixed = f"{run.applied} problem{'s' if run.applied != 1 else ''}"
        if actions.diff:
            click.echo(run.diff(), nl=False)
            if not quiet:
                click.echo(f"Would fix {fixed}." if run.applied else "Nothing to fix.", err=True)
            return report, 2 if failed else 1 if run.applied else 0, failed
        if run.stdin is not None:
            click.echo(run.stdin, nl=False)
        if not quiet and run.applied:
            click.echo(f"Fixed {fixed}.", err=True)
        report = run.report
    if actions.write_baseline:
        count = write_baseline(actions.write_baseline, report.diagnostics)
        if not quiet:
            recorded = f"{count} finding{'s' if count != 1 else ''}"
            click.echo(f"Recorded {recorded} in {actions.write_baseline}.", err=True)
        return report, 2 if failed else 0, failed
    if baseline is not None:
        new, known = baseline.new_findings(report.diagnostics)
        report = replace(report, diagnostics=new)
        if not quiet and known:
            click.echo(f"{known} finding{'s' if known != 1 else ''} in the baseline.", err=True)
    return report, None, failed
