"""The ``codemod audit`` click command (wired into the main group with ``cli.add_command``).

Exit codes: 0 no finding at or above ``--fail-on`` (or no ``--fail-on``); 1 findings at or
above it; 2 usage or configuration error; 3 files that could not be parsed (the report still
covers every other file, and names them). 3 wins over 1.
"""

from __future__ import annotations

from pathlib import Path

import click

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
#: the keys of :data:`.render.RENDERERS`, which is imported only when the command runs (so
#: ``--help`` imports no libcst); ``tests/test_startup.py`` checks that they agree
FORMATS = ("json", "markdown", "sarif")


@click.command("audit")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="markdown",
    show_default=True,
    help="markdown for people, json or sarif for machines.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["high", "medium", "low"]),
    default=None,
    help="Exit 1 when a finding at this risk level or above exists (for CI).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of stdout.",
)
@click.option("--exclude", multiple=True, help="Glob of paths to leave out (repeatable).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="pyproject.toml to read [tool.codemod] from (default: the nearest one).",
)
@click.option("--target-version", help="Oldest Python the code supports, e.g. 3.11.")
@click.option(
    "--include-tests",
    is_flag=True,
    help="Also report on test files (tests/, test_*.py, conftest.py).",
)
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="The app's Python interpreter (a path, or a name on PATH): installed modules are "
    "looked up in its environment (default: the one running codemod).",
)
def audit(
    paths: tuple[Path, ...],
    fmt: str,
    fail_on: str | None,
    output: Path | None,
    exclude: tuple[str, ...],
    config_path: Path | None,
    target_version: str | None,
    include_tests: bool,
    python: str | None,
) -> None:
    """Report what endangers the app in PATHS, ranked by risk, with the fix for each finding.

    Never imports or runs the analysed code. Whether a module is installed is checked in the
    environment of --python PATH (a small standard-library probe runs there), else in the one
    running this command; the report names it.
    """
    from ..config import ConfigError, find_pyproject, load, parse_python_version
    from ..options import build_options
    from ..outputs import refuse_run_input
    from .core import audit_paths
    from .envprobe import ProbeError, probe_environment
    from .model import Risk
    from .render import RENDERERS

    try:
        config = load(config_path or find_pyproject(paths[0]))
        version = (
            parse_python_version(target_version, "--target-version") if target_version else None
        )
        options = build_options(config, {"exclude": exclude, "target_version": version})
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    refuse_run_input(output, paths, options.exclude, respect_gitignore=options.respect_gitignore)
    try:
        env = probe_environment(python) if python is not None else None
        report = audit_paths(list(paths), options, env, include_tests=include_tests)
    except ProbeError as exc:
        raise click.BadParameter(str(exc), param_hint="'--python'") from None
    text = RENDERERS[fmt](report)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    high = len(report.at_or_above(Risk.HIGH))
    shown = len([f for f in report.findings if f.risk is not Risk.INFO])
    click.echo(
        f"{report.files} files audited: {shown} findings ({high} high), {len(report.errors)} not parsed",
        err=True,
    )
    code = EXIT_OK
    if fail_on is not None and report.at_or_above(Risk.parse(fail_on)):
        code = EXIT_FINDINGS
    if report.errors:
        code = EXIT_FAILED
    click.get_current_context().exit(code)
