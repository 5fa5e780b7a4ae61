"""``codemod apply --interactive``: review each change, write only the accepted ones.

Each changed file's diff is split into hunks (as ``diff -u`` splits it). Hunks that belong
together form one *unit* that is shown and decided as a whole:

- hunks linked by moved code (a line removed in one hunk is added in the other, as when an import
  is hoisted out of a function);
- a hunk that no reported change points at is the other half of some change (an import added for
  a rewrite further down): it joins every other hunk of the file, which is then all or nothing.

For each unit the reviewer sees the diff and the changes it makes (codemod, message, fix title,
safety) and answers y(es) / n(o) / a(ll remaining in this file) / d(one with this file: decline
the rest) / q(uit: decline everything left) / ? (help). A file is written once all its units are
decided, and only if the accepted units still form valid code: the result must parse, compile
(when the original did) and use no global name that neither the original nor the fully fixed
file leaves undefined. Otherwise the reviewer is told why and may take all of the file's changes
or none. Writes are atomic and refused if the file changed on disk meanwhile.
"""

from __future__ import annotations

import builtins
import symtable
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
import libcst as cst

from .cache import chosen_dir
from .engine import make_diff
from .io import SourceError, digest, encode_source, read_source, write_atomic
from .options import resolve
from .reports.edits import Hunk, apply_edits, hunks, render_hunks
from .types import Change, Failure, FileResult

HELP = """\
y - apply this change
n - do not apply this change
a - apply this change and all remaining changes in this file
d - do not apply this change nor any remaining change in this file
q - quit: do not apply this change nor any remaining one (files already decided are kept)
? - print this help"""
ANSWERS = "y,n,a,d,q,?"
_GENERIC = frozenset({"pass", "else:", "try:", "finally:", "return", "yield", "break", "continue", "..."})
_MODULE_NAMES = frozenset(
    {"__name__", "__file__", "__doc__", "__package__", "__spec__", "__loader__", "__builtins__",
     "__path__", "__annotations__", "__dict__", "__cached__"}
)  # fmt: skip

Ask = Callable[[str], str]
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Unit:
    """Hunks decided together, and the reported changes that point into them."""

    hunks: tuple[Hunk, ...]
    changes: tuple[Change, ...]


def _moved_lines(hunk: Hunk) -> tuple[set[str], set[str]]:
    def keep(line: str) -> bool:
        text = line.strip()
        return len(text) >= 6 and text not in _GENERIC and bool(text.strip("()[]{},:;"))

    removed = {line.strip() for e in hunk.edits for line in e.old_lines if keep(line)}
    added = {line.strip() for e in hunk.edits for line in e.new_lines if keep(line)}
    return removed, added


def units(result: FileResult) -> list[Unit]:
    """The reviewable units of a changed file, in file order."""
    if result.before is None or result.after is None:
        return []
    found = hunks(result.before, result.after)
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    moved = [_moved_lines(h) for h in found]
    for i, (removed_i, added_i) in enumerate(moved):
        for j in range(i + 1, len(found)):
            removed_j, added_j = moved[j]
            if removed_i & added_j or added_i & removed_j:
                join(i, j)
    applied = [c for c in result.changes if c.applied]
    pointed = [any(h.touches(c.line) for c in applied) for h in found]
    for i, is_pointed in enumerate(pointed):
        if not is_pointed:
            for j in range(len(found)):
                join(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(found)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in sorted(groups.values()):
        unit_hunks = tuple(found[i] for i in members)
        changes = tuple(c for c in applied if any(h.touches(c.line) for h in unit_hunks))
        out.append(Unit(unit_hunks, (changes or tuple(applied)) if len(groups) == 1 else changes))
    return out


def unresolved_names(text: str) -> set[str] | None:
    """Global names the code reads but nothing defines (None: cannot tell)."""
    if "import *" in text:
        return None
    try:
        top = symtable.symtable(text, "<review>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return None
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    known = defined | set(dir(builtins)) | _MODULE_NAMES
    missing: set[str] = set()
    stack = [top]
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        for symbol in table.get_symbols():
            global_read = symbol.is_referenced() and (symbol.is_global() or table is top)
            if global_read and symbol.get_name() not in known:
                missing.add(symbol.get_name())
    return missing


def problem(before: str, partial: str, after: str) -> str | None:
    """Why ``partial`` (some of the changes applied) must not be written, or None."""
    try:
        cst.parse_module(partial)
    except (cst.ParserSyntaxError, RecursionError):
        return "the result does not parse"
    if _compiles(before) and not _compiles(partial):
        return "the result does not compile"
    names = [unresolved_names(t) for t in (before, partial, after)]
    if all(n is not None for n in names):
        new = names[1] - names[0] - names[2]  # type: ignore[operator]
        if new:
            return "the result uses names it no longer defines: " + ", ".join(sorted(new))
    return None


def _compiles(text: str) -> bool:
    try:
        compile(text, "<review>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _style(line: str) -> str:
    colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
    return click.style(line, fg=colour) if colour else line


class Review:
    """Drives the questions; ``ask`` returns the reviewer's answer, ``echo`` prints a line."""

    def __init__(self, ask: Ask, echo: Echo, color: bool = False) -> None:
        self.ask = ask
        self.echo = echo
        self.color = color
        self.quit = False

    def show(self, result: FileResult, unit: Unit, number: int, total: int, offset: int) -> None:
        assert result.before is not None
        self.echo(click.style(f"{result.path} ({number}/{total})", bold=True) if self.color else f"{result.path} ({number}/{total})")
        for change in unit.changes:
            self.echo(f"  line {change.line} [{change.codemod}] {change.message}")
            self.echo(f"    fix: {change.fix_title} ({change.safety.value})")
        if len(unit.hunks) > 1:
            self.echo(f"  ({len(unit.hunks)} hunks that belong together)")
        for line in render_hunks(result.before, unit.hunks, offset).splitlines():
            self.echo(_style(line) if self.color else line)

    def choose(self) -> str:
        while True:
            answer = self.ask(f"Apply this change? [{ANSWERS}]").strip().lower()[:1]
            if answer in {"y", "n", "a", "d", "q"}:
                return answer
            self.echo(HELP)

    def file(self, result: FileResult) -> tuple[str | None, list[Unit]]:
        """Review one changed file: the text to write (None: leave it alone) and the units in it."""
        assert result.before is not None and result.after is not None
        todo = units(result)
        accepted: list[Unit] = []
        mode = ""  # "a": accept the rest, "d": decline the rest
        offset = 0
        for number, unit in enumerate(todo, 1):
            if self.quit or mode == "d":
                break
            if mode != "a":
                self.show(result, unit, number, len(todo), offset)
                answer = self.choose()
                if answer == "q":
                    self.quit = True
                    break
                if answer in {"n", "d"}:
                    mode = "d" if answer == "d" else mode
                    continue
                mode = "a" if answer == "a" else mode
            accepted.append(unit)
            offset += sum(len(e.new_lines) - len(e.old_lines) for h in unit.hunks for e in h.edits)
        if not accepted:
            return None, []
        if len(accepted) == len(todo):
            return result.after, todo
        partial = apply_edits(result.before, [e for u in accepted for h in u.hunks for e in h.edits])
        reason = problem(result.before, partial, result.after)
        if reason is None:
            return partial, accepted
        self.echo(f"{result.path}: the accepted changes cannot be written on their own: {reason}.")
        answer = self.ask("Apply all of this file's changes instead? [y,n]").strip().lower()[:1]
        return (result.after, todo) if answer == "y" else (None, [])


def reviewed(result: FileResult, text: str | None, accepted: Sequence[Unit]) -> FileResult:
    """``result`` as it stands after review: which changes went in, the diff of what is written."""
    if text is None or result.before is None:
        changes = tuple(replace(c, applied=False) for c in result.changes)
        return replace(result, changes=changes, after=result.before, diff="", written=False)
    if text == result.after:
        return result
    kept = {c for u in accepted for c in u.changes}
    changes = tuple(replace(c, applied=c.applied and c in kept) for c in result.changes)
    return replace(result, changes=changes, after=text, diff=make_diff(result.before, text, result.path))


def write(result: FileResult, text: str, follow_symlinks: bool = False) -> Failure | None:
    """Write ``text`` over ``result.path`` if the file still holds ``result.before``; else why not."""
    path = Path(result.path)
    try:
        raw, current, encoding = read_source(path)
        if current != result.before:
            return Failure("conflict", "the file changed on disk during the review; not written")
        write_atomic(path, encode_source(text, encoding), digest(raw), follow_symlinks)
    except SourceError as exc:
        return Failure(exc.stage, exc.message)
    except UnicodeEncodeError as exc:
        return Failure("write", f"cannot encode the result: {exc.reason}")
    return None


def review(
    results: Sequence[FileResult], ask: Ask, echo: Echo, color: bool = False, follow_symlinks: bool = False
) -> list[FileResult]:
    """Review every changed result in order; write accepted changes; return the updated results."""
    session = Review(ask, echo, color)
    out: list[FileResult] = []
    for result in results:
        if not result.changed or result.failure is not None or session.quit:
            out.append(reviewed(result, None, []) if result.changed else result)
            continue
        text, accepted = session.file(result)
        updated = reviewed(result, text, accepted)
        if text is not None:
            failure = write(result, text, follow_symlinks)
            if failure is not None:  # reported with the results, and counted as failed
                updated = replace(reviewed(result, None, []), failure=failure)
            else:
                updated = replace(updated, written=True)
        out.append(updated)
    return out


def command(kwargs: dict[str, Any]) -> int:
    """``codemod apply --interactive``: the CLI's flags in, the exit code out."""
    from .api import run_paths
    from .render import Renderer

    paths: tuple[Path, ...] = kwargs.pop("paths")
    if any(str(p) == "-" for p in paths):
        raise click.UsageError("--interactive cannot review stdin ('-')")
    if kwargs.get("fmt", "diff") != "diff" or kwargs.get("output"):
        raise click.UsageError("--interactive writes files, not reports: drop --format/--output")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("--interactive needs a terminal (stdin and stdout)")
    run = resolve(paths[0], kwargs, kwargs.pop("config_path", None))
    renderer = Renderer(
        color=kwargs["color"], quiet=kwargs["quiet"], verbose=kwargs["verbose"],
        show_skips=kwargs["show_skips"], write=True,
    )  # fmt: skip
    for warning in run.config.warnings:
        renderer.message(f"warning: {warning}")
    cache_dir = chosen_dir(kwargs["no_cache"], kwargs["cache_dir"], renderer.message)
    results = list(run_paths(list(paths), run.options, write=False, jobs=kwargs["jobs"], cache_dir=cache_dir))
    updated = review(
        results,
        ask=lambda question: str(click.prompt(question, default="", show_default=False)),
        echo=click.echo,
        color=renderer.color,
        follow_symlinks=run.options.follow_symlinks,
    )
    stats = renderer.results(updated)
    renderer.summary(stats, run.codemods)
    return 3 if stats.failed else 0
