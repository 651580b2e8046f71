"""The `methodlint` command: options, as close to ruff's as they fit."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click
from click.core import ParameterSource

from methodlint import commands
from methodlint.baseline import BaselineError
from methodlint.config import OUTPUT_FORMATS, Config, ConfigError, parse_override
from methodlint.config_resolver import ConfigResolver
from methodlint.files import PathError
from methodlint.run import Options, printable, run


def _split(values: Sequence[str]) -> tuple[str, ...]:
    """Repeated, comma-separated selectors, accumulated."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _check_selectors(option: str, selectors: tuple[str, ...]) -> None:
    from methodlint.registry import check_selector

    for selector in selectors:
        problem = check_selector(selector)
        if problem:
            raise ConfigError(f"{option}: {problem}")


def _config_arguments(values: Sequence[str]) -> tuple[str | None, dict[str, Any]]:
    """`--config PATH` (at most one) and `--config KEY=VALUE` overrides, as ruff reads them:
    an existing file is a path, anything else must be a TOML `key = value`."""
    path: str | None = None
    overrides: dict[str, Any] = {}
    for value in values:
        if os.path.isfile(value) or ("=" not in value and value.endswith(".toml")):
            if path is not None:
                raise ConfigError(f"--config names two files: {path!r} and {value!r}")
            path = value
        elif "=" in value:
            overrides.update(parse_override(value))
        else:
            raise ConfigError(
                f"--config {value!r} is neither a file nor a KEY=VALUE pair "
                "(e.g. --config \"extend-select = ['ML9']\")"
            )
    return path, overrides


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(commands.version(), nl=False)
        ctx.exit()


SELECTORS = "codes, prefixes (ML1), rule names or ALL; comma-separated, repeatable"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "--select", multiple=True, help=f"Rules to run, replacing the configured: {SELECTORS}."
)
@click.option("--extend-select", multiple=True, help="Rules to run besides the selected ones.")
@click.option("--ignore", multiple=True, help="Rules not to run, added to the configured ones.")
@click.option("--extend-ignore", multiple=True, help="The same as --ignore.")
@click.option("--preview", is_flag=True, default=None, help="Also run rules still in preview.")
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    help="How to print findings (default: concise).",
)
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False),
    help="Write the report here (missing folders are created).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of findings.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (with -: print the fixed source).")
@click.option("--diff", is_flag=True, help="Print the safe fixes as a unified diff; write nothing.")
@click.option("--fix-only", is_flag=True, help="Apply the safe fixes; do not report what is left.")
@click.option("--show-fixes", is_flag=True, help="List the findings that --fix fixed.")
@click.option(
    "--exit-non-zero-on-fix",
    is_flag=True,
    help="With --fix: exit 1 when something was fixed, even if nothing is left.",
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments for the findings.")
@click.option("--baseline", metavar="FILE", help="Report only findings not recorded in FILE.")
@click.option("--write-baseline", metavar="FILE", help="Record the findings in FILE and exit 0.")
@click.option(
    "--config",
    "config_values",
    multiple=True,
    metavar="PATH|KEY=VALUE",
    help="A configuration file to use for every file, or one key to override (TOML value).",
)
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option(
    "--show-settings",
    metavar="FILE",
    help="Print the settings that apply to FILE and where they come from, and exit.",
)
@click.option("--show-files", is_flag=True, help="Print the files that would be checked, and exit.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    help="Worker processes (default and 0: all cores).",
)
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
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    help="Colour concise and full output (auto: on a terminal; NO_COLOR, FORCE_COLOR, "
    "CLICOLOR_FORCE).",
)
@click.option("--no-color", is_flag=True, help="The same as --color never.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say more: the configuration used; tracebacks for internal errors.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the versions of methodlint, Python, LibCST and plugins, and exit.",
)
def main(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_ignore: tuple[str, ...],
    preview: bool | None,
    output_format: str | None,
    config_values: tuple[str, ...],
    isolated: bool,
    show_settings: str | None,
    jobs: int | None,
    explain: str | None,
    list_rules: bool,
    color: str | None,
    no_color: bool,
    verbose: bool,
    **flags: Any,
) -> None:
    """Check HTTP call sites in Python code against HTTP method semantics (RFC 9110).

    PATHS are files and folders to check (default: the current folder); - reads standard
    input. Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error,
    130 interrupted.
    """
    if paths[:1] == ("server",):
        _serve(paths, verbose)
    _refuse_empty(
        *(("--select", value) for value in select),
        *(("--config", value) for value in config_values),
        ("--output-file", flags.get("output_file")),
        ("--explain", explain),
        ("--cache-dir", flags.get("cache_dir")),
        ("--baseline", flags.get("baseline")),
        ("--write-baseline", flags.get("write_baseline")),
        ("--show-settings", show_settings),
    )
    as_json = output_format == "json"
    try:
        if explain is not None:
            click.echo(commands.explain(explain, as_json), nl=False)
            return
        if list_rules:
            click.echo(commands.list_rules(as_json), nl=False)
            return
        chosen = _split(select) if select else None
        added = _split(extend_select)
        ignored = _split(ignore) + _split(extend_ignore)
        for option, selectors in (
            ("--select", chosen or ()),
            ("--extend-select", added),
            ("--ignore", ignored),
        ):
            _check_selectors(option, selectors)

        def adjust(config: Config) -> Config:
            config = config.with_selection(chosen, added, ignored)
            return config.with_options(preview=preview, output_format=output_format)

        config_file, overrides = _config_arguments(config_values)
        resolver = ConfigResolver(
            config_file=config_file, overrides=overrides, isolated=isolated, adjust=adjust
        )
        if show_settings is not None:
            config = resolver.for_file(show_settings)
            click.echo(commands.settings(config, show_settings, as_json), nl=False)
            return
        if flags.get("output_file") is not None:
            _check_output_file(flags["output_file"])
        if "-" in paths and sys.stdin is None:
            raise click.UsageError("- reads standard input, which is closed")
        options = Options(
            jobs=jobs or None,
            color="never" if no_color else color,
            verbose=verbose,
            **flags,
        )
        code = run(paths, resolver, options)
    except KeyboardInterrupt:
        # Workers ignore Ctrl-C and are stopped by the run; reports and fixes are written
        # whole or not at all (temporary file and rename).
        click.echo("methodlint: interrupted", err=True)
        sys.exit(130)
    except commands.UnknownRule as error:
        raise click.UsageError(str(error)) from error
    except ConfigError as error:
        click.echo(f"methodlint: configuration error: {error}", err=True)
        sys.exit(2)
    except (PathError, BaselineError) as error:
        click.echo(f"methodlint: {error}", err=True)
        sys.exit(2)
    except click.exceptions.ClickException:
        raise
    except SystemExit:
        raise
    except Exception as error:
        if verbose:
            traceback.print_exc()
        click.echo(f"methodlint: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(2)
    sys.exit(code)


def _refuse_empty(*options: tuple[str, str | None]) -> None:
    """An option given an empty value (an unset variable in CI: `--select "$CODES"`) is a
    usage error: ignoring it would run something other than what was asked."""
    for name, value in options:
        if value is not None and not value.strip(" ,"):
            raise click.UsageError(f"{name} was given an empty value")


def _check_output_file(output_file: str) -> None:
    """Fail before the run, not after it, when the report cannot be written there (a missing
    folder is created when the report is written)."""
    if os.path.isdir(output_file):
        raise click.UsageError(f"--output-file {printable(output_file)!r} is a folder")
    folder = os.path.dirname(os.path.abspath(output_file))
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise click.UsageError(
            f"--output-file {printable(output_file)!r}: {printable(folder)!r} is not a folder"
        )


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


__all__ = ["main"]
