"""``codemod apply --interactive``: review each change, write only the accepted ones.

Each change a codemod reported and would apply is one question, in file order: the reviewer sees
its codemod, message, fix title, safety and diff, and answers y(es) / n(o) / a(ll remaining in
this file) / d(one with this file: decline the rest) / q(uit: decline everything left) / ?
(help). The diff of a change is what accepting it adds to the changes accepted before it: the
codemods run again over the file as read, restricted to the accepted changes
(:mod:`codemods.review_runs`), so an import that several changes need is shown, and added, with
the first of them that is accepted, and not at all when none is. A change that cannot be made
without one that was declined is said so and left out.

A file is written once all its changes are decided, and only if the result of the accepted ones
still forms valid code: it must parse, compile (when the original did) and use no global name
that neither the original nor the fully fixed file leaves undefined. Otherwise the reviewer is
told why and may take all of the file's changes or none. A file whose changes cannot be run
again one by one (see :meth:`Reruns.whole`) is one question. Writes are atomic and refused if
the file changed on disk meanwhile.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from .cache import chosen_dir
from .diffs import make_diff
from .io import SourceError, digest, encode_source, read_source, write_atomic
from .options import resolve
from .reports.edits import hunks, render_hunks
from .review_runs import Reruns, problem, run_facts
from .selection import ChangeKey
from .types import Change, Failure, FileResult

HELP = """\
y - apply this change
n - do not apply this change
a - apply this change and all remaining changes in this file
d - do not apply this change nor any remaining change in this file
q - quit: do not apply this change nor any remaining one (files already decided are kept)
? - print this help"""
ANSWERS = "y,n,a,d,q,?"

Ask = Callable[[str], str]
Echo = Callable[[str], None]
#: The text to write (None: leave the file alone) and the changes it makes.
Decision = tuple[str | None, frozenset[Change]]


def _style(line: str) -> str:
    colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
    return click.style(line, fg=colour) if colour else line


@dataclass
class _File:
    """A file under review: its changes by key, those accepted so far and their text."""

    result: FileResult
    every: dict[ChangeKey, Change]
    text: str
    accepted: list[ChangeKey] = field(default_factory=list)
    mode: str = ""  # "a": accept the rest, "d": decline the rest
    #: why a change could not be made with those accepted when it came up
    held: dict[ChangeKey, str] = field(default_factory=dict)


class Review:
    """Drives the questions; ``ask`` returns the reviewer's answer, ``echo`` prints a line."""

    def __init__(self, ask: Ask, echo: Echo, reruns: Reruns, color: bool = False) -> None:
        self.ask = ask
        self.echo = echo
        self.reruns = reruns
        self.color = color
        self.quit = False

    def show(self, result: FileResult, changes: Sequence[Change], where: str, old: str, new: str) -> None:
        title = f"{result.path} ({where})"
        self.echo(click.style(title, bold=True) if self.color else title)
        for change in changes:
            self.echo(f"  line {change.line} [{change.codemod}] {change.message}")
            self.echo(f"    fix: {change.fix_title} ({change.safety.value})")
        for line in render_hunks(old, hunks(old, new)).splitlines():
            self.echo(_style(line) if self.color else line)

    def choose(self) -> str:
        while True:
            answer = self.ask(f"Apply this change? [{ANSWERS}]").strip().lower()[:1]
            if answer in {"y", "n", "a", "d", "q"}:
                return answer
            self.echo(HELP)

    def file(self, result: FileResult) -> Decision:
        """Review one changed file: the text to write (None: leave it alone) and its changes.

        A change that cannot be made with those accepted so far is asked again once more have
        been accepted (it may need a later one), and otherwise left out with the reason."""
        assert result.before is not None and result.after is not None
        every = self.reruns.changes(result)
        if isinstance(every, str):
            return self._whole(result, every)
        state = _File(result, every, result.before)
        pending = list(every)
        while pending:
            accepted = len(state.accepted)
            pending = [key for key in pending if not self._one(state, key)]
            if len(state.accepted) == accepted:
                break
        if not self.quit and state.mode != "d":
            for key in pending:
                change = every[key]
                self.echo(f"{result.path}: line {change.line} [{change.codemod}] {change.message}: "
                          f"not applied: {state.held[key]}")  # fmt: skip
        return self._decided(state)

    def _one(self, state: _File, key: ChangeKey) -> bool:
        """Decide one change; False when it cannot be made with the changes accepted so far."""
        if self.quit or state.mode == "d":
            return True
        if state.mode == "a":
            state.accepted.append(key)
            return True
        outcome = self.reruns.run(state.result, frozenset([*state.accepted, key]))
        if outcome.reason is not None:
            state.held[key] = outcome.reason
            return False
        where = f"{list(state.every).index(key) + 1}/{len(state.every)}"
        self.show(state.result, [state.every[key]], where, state.text, outcome.text)
        answer = self.choose()
        if answer == "q":
            self.quit = True
        elif answer in {"y", "a"}:
            state.accepted.append(key)
            state.text = outcome.text
        if answer in {"a", "d"}:
            state.mode = answer
        return True

    def _decided(self, state: _File) -> Decision:
        result, every, accepted = state.result, state.every, state.accepted
        assert result.before is not None and result.after is not None
        if not accepted:
            return None, frozenset()
        if len(accepted) == len(every):
            return result.after, frozenset(every.values())
        text, reason = state.text, None
        if state.mode == "a":  # the rest was taken without running it
            outcome = self.reruns.run(result, frozenset(accepted))
            text, reason = outcome.text, outcome.reason
        reason = reason or problem(result.before, text, result.after)
        if reason is None:
            return text, frozenset(every[k] for k in accepted)
        self.echo(f"{result.path}: the accepted changes cannot be written on their own: {reason}.")
        answer = self.ask("Apply all of this file's changes instead? [y,n]").strip().lower()[:1]
        return (result.after, frozenset(every.values())) if answer == "y" else (None, frozenset())

    def _whole(self, result: FileResult, why: str) -> Decision:
        """One question for all of the file's changes."""
        assert result.before is not None and result.after is not None
        changes = [c for c in result.changes if c.applied]
        self.echo(f"{result.path}: its changes are one change here: {why}")
        self.show(result, changes, "1/1", result.before, result.after)
        answer = self.choose()
        self.quit = answer == "q"
        return (result.after, frozenset(changes)) if answer in {"y", "a"} else (None, frozenset())


def reviewed(result: FileResult, text: str | None, accepted: frozenset[Change]) -> FileResult:
    """``result`` as it stands after review: which changes went in, the diff of what is written."""
    if text is None or result.before is None:
        changes = tuple(replace(c, applied=False) for c in result.changes)
        return replace(result, changes=changes, after=result.before, diff="", written=False)
    if text == result.after:
        return result
    changes = tuple(replace(c, applied=c.applied and c in accepted) for c in result.changes)
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
    results: Sequence[FileResult],
    ask: Ask,
    echo: Echo,
    reruns: Reruns,
    color: bool = False,
    follow_symlinks: bool = False,
) -> list[FileResult]:
    """Review every changed result in order; write accepted changes; return the updated results."""
    session = Review(ask, echo, reruns, color)
    out: list[FileResult] = []
    for result in results:
        if not result.changed or result.failure is not None or session.quit:
            out.append(reviewed(result, None, frozenset()) if result.changed else result)
            continue
        text, accepted = session.file(result)
        updated = reviewed(result, text, accepted)
        if text is not None:
            failure = write(result, text, follow_symlinks)
            if failure is not None:  # reported with the results, and counted as failed
                updated = replace(reviewed(result, None, frozenset()), failure=failure)
            else:
                updated = replace(updated, written=True)
        out.append(updated)
    return out


def command(kwargs: dict[str, Any]) -> int:
    """``codemod apply --interactive``: the CLI's flags in, the exit code out."""
    from .api import run_paths, select_codemods
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
    codemods = select_codemods(run.options)
    reruns = Reruns(codemods, run.options, lambda: run_facts(paths, codemods, run.options, kwargs["jobs"]))
    updated = review(
        results,
        ask=lambda question: str(click.prompt(question, default="", show_default=False)),
        echo=click.echo,
        reruns=reruns,
        color=renderer.color,
        follow_symlinks=run.options.follow_symlinks,
    )
    stats = renderer.results(updated)
    renderer.summary(stats, run.ids)
    return 3 if stats.failed else 0
