"""Terminal rendering: diffs on stdout, messages and the summary line on stderr."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .diffs import diff_codec, display_path
from .findings import Statistics, line, order
from .progress import Progress
from .readfile import NOT_REGULAR
from .types import FileResult, Options, Safety

if TYPE_CHECKING:
    from .base import Codemod


def use_color(choice: str, stream: object) -> bool:
    """``--color`` first, then ``NO_COLOR``, then ``FORCE_COLOR`` (any non-empty value), then
    whether ``stream`` is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


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
        listing: bool = False,
        findings_on_stdout: bool = False,
        statistics: bool = False,
    ) -> None:
        self.color = use_color(color, sys.stdout)
        self.quiet = quiet
        self.verbose = verbose
        self.show_skips = show_skips
        self.show_diff = show_diff
        self.write = write
        self.keep_results = keep_results
        #: With ``--output``, diffs go to this file instead of stdout.
        self.output = output.open("wb") if output is not None else None
        #: List every finding (``check``), not only the display-only ones.
        self.listing = listing
        self.findings_on_stdout = findings_on_stdout
        #: ``--statistics``: a table of the findings instead of the list.
        self.statistics = Statistics() if statistics else None
        #: While it is on screen, output is held back (see :meth:`release`).
        self.progress: Progress | None = None
        self._held: list[Callable[[], None]] = []

    def _emit(self, action: Callable[[], None]) -> None:
        if self.progress is not None and self.progress.visible:
            self._held.append(action)
        else:
            action()

    def release(self) -> None:
        """End the progress display and print what was held back while it was on screen."""
        if self.progress is not None:
            self.progress.close()
        held, self._held = self._held, []
        for action in held:
            action()

    def message(self, text: str) -> None:
        self._emit(lambda: click.echo(text, err=True))

    def finding(self, text: str) -> None:
        self._emit(lambda: click.echo(text, err=not self.findings_on_stdout))

    def diff(self, result: FileResult) -> None:
        if result.diff:
            self._emit(lambda: self._diff(result))

    def _diff(self, result: FileResult) -> None:
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
        for change in sorted(result.changes, key=order):
            if change.applied and result.failure is None:
                stats.applied[change.codemod] += 1
            elif change.safety is Safety.UNSAFE:
                stats.unsafe_hidden += 1
            elif change.safety is Safety.DISPLAY_ONLY:
                stats.display_only += 1
            if result.failure is None and self._shows(change.safety):
                self.finding(line(result.path, change))
        if self.statistics is not None and result.failure is None:
            self.statistics.add(result.changes)
        if self.show_skips:
            for skip in result.skips:
                self.message(f"{result.path}:{skip.line}: {skip.codemod}: skipped: {skip.reason}")
        if self.show_diff and result.failure is None:
            self.diff(result)

    def _shows(self, safety: Safety) -> bool:
        if self.verbose:
            return True
        if self.quiet or self.statistics is not None:
            return False
        return self.listing or safety is Safety.DISPLAY_ONLY

    def stdin(self, codemods: Sequence[type[Codemod]], options: Options, filename: str | None) -> Stats:
        """``-`` as PATH: read stdin, write the result (or the diff) to stdout. In apply mode
        stdout gets a whole program whatever happens: the input itself unless it was fixed,
        even when the run is interrupted (:mod:`codemods.stdin_mode`)."""
        from . import stdin_mode

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

    def summary(self, stats: Stats, codemod_ids: Sequence[str]) -> None:
        if self.output is not None:
            self.output.close()
        if self.statistics is not None and self.statistics.counts:
            click.echo(self.statistics.table(), nl=False, err=not self.findings_on_stdout)
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
        per = ", ".join(f"{c}: {stats.applied[c]}" for c in codemod_ids if stats.applied[c])
        if per:
            line += f" ({per})"
        self.message(line)
        if stats.unsafe_hidden:
            self.message(f"{stats.unsafe_hidden} more fix(es) available with --unsafe-fixes.")


def display_path_or(filename: str | None) -> str:
    return display_path(Path(filename)) if filename else "stdin"
