"""Terminal rendering: diffs on stdout, messages and the summary line on stderr."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import stdin_mode
from .base import Codemod
from .engine import diff_codec, display_path
from .readfile import NOT_REGULAR
from .types import FileResult, Options, Safety

_DIFF_COLOURS = {"---": "red", "+++": "green", "@": "cyan", "-": "red", "+": "green"}


@dataclass
class Stats:
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    applied: Counter[str] = field(default_factory=Counter)
    unsafe_hidden: int = 0
    display_only: int = 0
    results: list[FileResult] = field(default_factory=list)


class Renderer:
    def __init__(
        self,
        *,
        color: str = "auto",
        quiet: bool = False,
        verbose: bool = False,
        show_skips: bool = False,
        show_diff: bool = False,
        write: bool = False,
        keep_results: bool = False,
        output: Path | None = None,
    ) -> None:
        self.color = color == "always" or (color == "auto" and sys.stdout.isatty())
        self.quiet = quiet
        self.verbose = verbose
        self.show_skips = show_skips
        self.show_diff = show_diff
        self.write = write
        self.keep_results = keep_results
        #: With ``--output``, diffs go to this file instead of stdout.
        self.output = output.open("wb") if output is not None else None

    def message(self, text: str) -> None:
        click.echo(text, err=True)

    def diff(self, result: FileResult) -> None:
        if not result.diff:
            return
        data = result.diff.encode(diff_codec(result.encoding), errors="surrogateescape")
        if self.output is not None:
            self.output.write(data)
            return
        if self.color:
            for line in result.diff.splitlines(keepends=True):
                colour = _DIFF_COLOURS.get(line[:3], _DIFF_COLOURS.get(line[:1]))
                click.echo(click.style(line, fg=colour) if colour else line, nl=False, color=True)
            return
        # Bytes in the file's own encoding, so `git apply` reproduces the file exactly.
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    def results(self, results: Iterable[FileResult]) -> Stats:
        stats = Stats()
        for result in results:
            self.one(result, stats)
        return stats

    def one(self, result: FileResult, stats: Stats) -> None:
        if self.keep_results:
            stats.results.append(result)
        if result.failure is not None:
            stats.failed += 1
            self.message(f"error: {result.path}: {result.failure.describe()}")
        elif result.skipped is not None:
            stats.skipped += 1
            if self.verbose:
                self.message(f"{result.path}: skipped: {result.skipped}")
            elif result.skipped.startswith(NOT_REGULAR) and not self.quiet:
                self.message(f"warning: {result.path}: skipped: {result.skipped}")
        elif result.changed:
            stats.changed += 1
        else:
            stats.unchanged += 1
        for change in result.changes:
            if change.applied and result.failure is None:
                stats.applied[change.codemod] += 1
            elif change.safety is Safety.UNSAFE:
                stats.unsafe_hidden += 1
            elif change.safety is Safety.DISPLAY_ONLY:
                stats.display_only += 1
            if self.verbose or (change.safety is Safety.DISPLAY_ONLY and not self.quiet):
                mark = "" if change.applied else f" [{change.safety.value}, not applied]"
                self.message(f"{result.path}:{change.line}: {change.codemod}: {change.message}{mark}")
        if self.show_skips:
            for skip in result.skips:
                self.message(f"{result.path}:{skip.line}: {skip.codemod}: skipped: {skip.reason}")
        if self.show_diff and result.failure is None:
            self.diff(result)

    def stdin(self, codemods: Sequence[type[Codemod]], options: Options, filename: str | None) -> Stats:
        """``-`` as PATH: read stdin, write the result (or the diff) to stdout. In apply mode
        stdout gets a whole program whatever happens: the input itself unless it was fixed,
        even when the run is interrupted (:mod:`codemods.stdin_mode`)."""
        raw = sys.stdin.buffer.read()
        stats = Stats()
        output = raw
        try:
            result, output = stdin_mode.process(raw, display_path_or(filename), codemods, options, filename)
            self.one(result, stats)
        finally:
            if not self.show_diff:
                sys.stdout.buffer.write(output)
                sys.stdout.buffer.flush()
        return stats

    def summary(self, stats: Stats, codemods: Sequence[type[Codemod]]) -> None:
        if self.output is not None:
            self.output.close()
        if self.quiet:
            return
        verb = "changed" if self.write else "would change"
        parts = [
            f"{stats.changed} file{'s' if stats.changed != 1 else ''} {verb}",
            f"{stats.unchanged} unchanged",
            f"{stats.skipped} skipped",
            f"{stats.failed} failed",
        ]
        line = ", ".join(parts)
        per = ", ".join(f"{c.ID}: {stats.applied[c.ID]}" for c in codemods if stats.applied[c.ID])
        if per:
            line += f" ({per})"
        self.message(line)
        if stats.unsafe_hidden:
            self.message(f"{stats.unsafe_hidden} more fix(es) available with --unsafe-fixes.")


def display_path_or(filename: str | None) -> str:
    return display_path(Path(filename)) if filename else "stdin"
