"""The ``codemod`` command line: parses arguments, calls :mod:`codemods.api`, renders results.

Exit codes: 0 success (nothing to change, for ``check``); 1 changes would be made (``check``, or
``apply --dry-run --exit-non-zero-on-change``); 2 usage or configuration error; 3 one or more
files could not be processed (every other file still is; 3 wins over 1).

Each command imports what it needs when it runs: ``--version`` and ``--help`` import neither
libcst nor any codemod, and a re-check answered from the cache imports no codemod either.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from . import __version__, interrupts
from .audit.cli import audit

EXIT_OK, EXIT_CHANGES, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
#: the keys of :data:`.reports.REPORT_FORMATS` (imported only when a report is written);
#: ``tests/test_startup.py`` checks that they agree
REPORT_FORMAT_NAMES = ("diff", "github", "json", "markdown", "sarif")


def _csv(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.argument(
            "paths", nargs=-1, required=True,
            type=click.Path(exists=True, allow_dash=True, path_type=Path),
        ),
        click.option("--select", callback=_csv, help="Comma-separated codemod ids to run (ALL for every one)."),
        click.option("--extend-select", callback=_csv, help="Comma-separated codemod ids to run as well."),
        click.option("--ignore", callback=_csv, help="Comma-separated codemod ids not to run."),
        click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply fixes marked unsafe."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: cores)."),
        click.option("--exclude", "--extend-exclude", "exclude", multiple=True, help="Glob of paths to leave alone (repeatable)."),
        click.option("--respect-gitignore/--no-respect-gitignore", default=None,
                     help="Skip files .gitignore and .git/info/exclude ignore (default: on)."),
        click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True),
        click.option("--show-skips", is_flag=True, help="List every site left alone, with the reason."),
        click.option("--quiet", "-q", is_flag=True, help="Print only errors (and diffs where asked)."),
        click.option("--verbose", "-v", is_flag=True, help="List every change."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="pyproject.toml to read [tool.codemod] from (default: the nearest one)."),
        click.option("--target-version", help="Oldest Python the code supports, e.g. 3.11."),
        click.option("--include-generated", is_flag=True, default=None, help="Also process files marked @generated."),
        click.option("--follow-symlinks", is_flag=True, help="Follow symlinks that point outside the given paths."),
        click.option("--stdin-filename", help="Name shown (and used for config) when reading '-' from stdin."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the .codemod_cache directory."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CODEMOD_CACHE_DIR",
                     help="Where the cache lives (default: .codemod_cache in the working directory)."),
        click.option("--format", "--output-format", "fmt", type=click.Choice(REPORT_FORMAT_NAMES), default="diff", show_default=True,
                     help="Output format: a unified diff, or a report for bots and reviewers."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                     help="Write the report (or diff) to this file instead of stdout."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="codemod")
def cli() -> None:
    """Find and fix async anti-patterns in FastAPI/Starlette code, as reviewable diffs."""


@cli.command()
@common_options
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
@click.option("--exit-non-zero-on-change", is_flag=True, help="With --dry-run: exit 1 when anything would change.")
@click.option("--interactive", "-i", is_flag=True, help="Review each change (y/n/a/d/q); write only the accepted ones.")
def apply(dry_run: bool, exit_non_zero_on_change: bool, interactive: bool, **kwargs: Any) -> int:
    """Apply fixes to PATHS (files or directories; '-' for stdin)."""
    if interactive:
        if dry_run:
            raise click.UsageError("--interactive and --dry-run cannot be combined")
        from .interactive import command

        return command(kwargs)
    return _run(kwargs, "apply", write=not dry_run, show_diff=dry_run, fail_on_change=exit_non_zero_on_change)


@cli.command()
@common_options
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff instead of the findings.")
@click.option("--statistics", is_flag=True, help="Count the findings per codemod and kind instead.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when something would change.")
def check(show_diff: bool, statistics: bool, exit_zero: bool, **kwargs: Any) -> int:
    """Write nothing; list the findings; exit 1 when anything in PATHS would change."""
    fail = not exit_zero
    return _run(kwargs, "check", write=False, show_diff=show_diff, fail_on_change=fail, statistics=statistics)


@cli.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def list_codemods(fmt: str) -> int:
    """List the codemods, their fix safety and whether they run by default."""
    from .catalog import CODEMODS

    rows = [(e.id, "on" if e.default_on else "opt-in", e.fix_safety, e.summary) for e in CODEMODS]
    if fmt == "markdown":
        click.echo("| codemod | default | fix safety | what it does |")
        click.echo("|---|---|---|---|")
        for cid, default, safety, summary in rows:
            click.echo(f"| `{cid}` | {default} | {safety} | {summary} |")
        return EXIT_OK
    width = max((len(r[0]) for r in rows), default=0)
    for cid, default, safety, summary in rows:
        click.echo(f"{cid:<{width}}  {default:<6}  {safety:<16}  {summary}")
    return EXIT_OK


@cli.command()
@click.argument("codemod_id")
def explain(codemod_id: str) -> int:
    """Print a codemod's documentation."""
    from . import registry

    try:
        codemod = registry.get(codemod_id)
    except registry.UnknownCodemod:
        known = ", ".join(registry.all_codemods())
        raise click.UsageError(f"unknown codemod {codemod_id!r} (known: {known})") from None
    click.echo(f"# {codemod.ID}\n")
    click.echo(f"Default: {'on' if codemod.DEFAULT_ON else 'opt-in'}. Fix safety: {codemod.FIX_SAFETY}.\n")
    click.echo(codemod.DOC)
    return EXIT_OK


@cli.command()
@click.argument("repos", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--repos-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File listing one repository path per line (# comments; relative to the file).")
@click.option("--branch", help="Branch to create in each repository (default: codemod/<codemods>).")
@click.option("--verify", help="Shell command run in each repository after the fixes (its tests); on failure the repository is restored.")
@click.option("--verify-timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds before --verify counts as failed.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Directory for the pull-request bodies (<repo>.md).")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), help="Write the summary as JSON to this file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Repositories processed at once.")
@click.option("--select", callback=_csv, help="Comma-separated codemod ids to run (ALL for every one).")
@click.option("--extend-select", callback=_csv, help="Comma-separated codemod ids to run as well.")
@click.option("--ignore", callback=_csv, help="Comma-separated codemod ids not to run.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply fixes marked unsafe.")
@click.option("--exclude", multiple=True, help="Glob of paths to leave alone (repeatable).")
@click.option("--target-version", help="Oldest Python the code supports, e.g. 3.11.")
@click.option("--trust-repo-config", is_flag=True,
              help="Let each repository's git config and hooks run commands (hooks, filters, fsmonitor); only for repositories you trust.")
@click.option("--git-timeout", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True,
              help="Seconds a git call may take before its repository fails (a named pipe among its files).")
@click.option("--push", metavar="REMOTE",
              help="Push each branch to REMOTE (a remote name or a URL); never forced.")
@click.option("--force-push", is_flag=True,
              help="With --push: replace a remote branch that has other commits (--force-with-lease).")
@click.option("--open-pr", is_flag=True,
              help="With --push and --out: open or update each pull request with gh (or print the gh command).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def batch(repos: tuple[Path, ...], repos_file: Path | None, **kwargs: Any) -> int:
    """Apply fixes to many git checkouts: a branch and one commit each, pushed only with --push."""
    from . import batch as batch_run
    from .config import ConfigError, check_patterns
    from .outputs import refuse_input

    refuse_input(kwargs["summary_json"], "--summary-json", [repos_file] if repos_file else [])
    try:
        check_patterns(kwargs["exclude"], "--exclude")
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    settings, paths = batch_run.settings_from_cli(repos, repos_file, kwargs)
    outcomes = batch_run.run(paths, settings, jobs=kwargs["jobs"], progress=not kwargs["quiet"] and sys.stderr.isatty())
    click.echo(batch_run.table(outcomes), nl=False)
    if kwargs["summary_json"]:
        batch_run.write_summary(kwargs["summary_json"], outcomes, settings)
    return EXIT_FAILED if any(o.status in batch_run.NOT_DONE for o in outcomes) else EXIT_OK


def _run(
    kwargs: dict[str, Any],
    command: str,
    *,
    write: bool,
    show_diff: bool,
    fail_on_change: bool,
    statistics: bool = False,
) -> int:
    from .cache import chosen_dir
    from .options import resolve
    from .outputs import refuse_run_input
    from .progress import Progress
    from .render import Renderer

    paths: tuple[Path, ...] = kwargs.pop("paths")
    stdin = any(str(p) == "-" for p in paths)
    if stdin and len(paths) > 1:
        raise click.UsageError("'-' (stdin) cannot be combined with other paths")
    start = Path(kwargs["stdin_filename"]).parent if stdin and kwargs["stdin_filename"] else (
        Path.cwd() if stdin else paths[0]
    )
    run = resolve(start, kwargs, kwargs.pop("config_path"))
    config, options = run.config, run.options
    fmt: str = kwargs["fmt"]
    output: Path | None = kwargs["output"]
    named = [Path(kwargs["stdin_filename"])] if stdin and kwargs["stdin_filename"] else []
    refuse_run_input(
        output, named if stdin else paths, options.exclude, options.follow_symlinks, stdin, options.respect_gitignore
    )
    report = fmt != "diff"
    # `check` lists every finding where stdout carries nothing else (no diff, source or report)
    listing = command == "check" and not report and not show_diff and not stdin
    renderer = Renderer(
        color="never" if output else kwargs["color"], quiet=kwargs["quiet"], verbose=kwargs["verbose"],
        show_skips=kwargs["show_skips"], show_diff=show_diff and not report, write=write,
        keep_results=report, output=output if not report else None,
        listing=listing, findings_on_stdout=listing and not stdin, statistics=statistics,
    )  # fmt: skip
    for warning in config.warnings:
        renderer.message(f"warning: {warning}")
    if stdin:
        stats = renderer.stdin(run.codemods, options, kwargs["stdin_filename"])
    else:
        from .api import run_paths

        cache_dir = chosen_dir(kwargs["no_cache"], kwargs["cache_dir"], renderer.message)
        jobs = kwargs["jobs"]
        if not kwargs["quiet"] and sys.stderr.isatty():
            renderer.progress = Progress()
        progress = renderer.progress
        results = run_paths(list(paths), options, write, jobs, cache_dir, progress)
        try:
            stats = renderer.results(results)
        finally:  # stopped while rendering: the run (and its workers) stops here, not at exit
            results.close()
            renderer.release()
    if report:  # the reporters read each codemod's documentation: they import the codemods
        from .reports import REPORT_FORMATS, RunInfo

        reporter = REPORT_FORMATS[fmt]
        assert reporter is not None
        info = RunInfo(
            command=command,
            argv=tuple(sys.argv[1:]),
            config=str(config.path) if config.path else None,
            options=options,
            codemods=run.ids,
        )
        _write_report(reporter(info, stats.results, run.codemods), output)
    renderer.summary(stats, run.ids)
    if stats.failed:
        return EXIT_FAILED
    if stats.changed and fail_on_change:
        return EXIT_CHANGES
    return EXIT_OK


cli.add_command(audit)


def _write_report(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``codemod`` console script; returns the exit code."""
    try:
        with interrupts.handled():
            args = list(argv) if argv is not None else None
            result = cli.main(args=args, prog_name="codemod", standalone_mode=False)
            interrupts.check()  # a signal whose exception Python swallowed: still an abort
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except (click.Abort, interrupts.Interrupted) as exc:
        return _aborted(exc)
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # e.g. stderr gone with the terminal that sent SIGHUP
        if _signal(exc) is None:
            raise
        return _aborted(exc)
    return int(result) if isinstance(result, int) else EXIT_OK


def _signal(exc: BaseException | None) -> int | None:
    """The signal that stopped the run, if ``exc`` comes from one."""
    while exc is not None:
        if isinstance(exc, interrupts.Interrupted):
            return exc.signum
        exc = exc.__cause__ or exc.__context__
    return None


def _aborted(exc: BaseException) -> int:
    """Ctrl-C (or SIGTERM, SIGHUP): the exit code is 128 + the signal's number, as a shell shows."""
    signum = _signal(exc) or signal.SIGINT
    with contextlib.suppress(OSError):
        name = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
        click.echo(f"Aborted{name}.", err=True)
    return interrupts.exit_code(signum)


if __name__ == "__main__":
    sys.exit(main())
