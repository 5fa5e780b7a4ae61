"""The partial results of interactive review: the codemods run again over a file as read,
restricted to the accepted changes (:mod:`codemods.selection`), and the checks such a result
must pass before it is written."""

from __future__ import annotations

import builtins
import os
import symtable
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from .api import gather
from .astkit.asts import Trees
from .base import Codemod
from .engine import TransformError, transform_source
from .files import discover
from .project import ProjectFacts
from .selection import ChangeKey, Selection
from .types import Change, Failure, FileResult, Options

_MODULE_NAMES = frozenset(
    {"__name__", "__file__", "__doc__", "__package__", "__spec__", "__loader__", "__builtins__",
     "__path__", "__annotations__", "__dict__", "__cached__"}
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """The text of a file with some of its changes, or why those changes cannot be made alone."""

    text: str
    reason: str | None = None


class Reruns:
    """Runs the codemods of one review again, on the facts of the whole run (gathered once,
    when the first file asks: a file's changes may depend on other files, as lifespan's do)."""

    def __init__(
        self,
        codemods: Sequence[type[Codemod]],
        options: Options,
        gather: Callable[[], ProjectFacts],
    ) -> None:
        self.codemods = list(codemods)
        self.options = options
        self._gather = gather
        self._facts: ProjectFacts | None = None
        #: the review's ``ast`` memo: a file run again reads its text with ``ast`` once
        self.trees = Trees()

    @property
    def facts(self) -> ProjectFacts:
        if self._facts is None:
            self._facts = self._gather()
        return self._facts

    def changes(self, result: FileResult) -> dict[ChangeKey, Change] | str:
        """``result``'s applied changes by key, in file order; or why they can only be taken
        all together.

        libcst runs in this process here, so a file the gather phase could not read with
        ``ast`` (see :mod:`codemods.isolation`) is not parsed again; and a re-run that applies
        every change must give back exactly the run's result and changes.
        """
        path = Path(result.path)
        if self.facts.view_for(path).is_opaque(path):
            return "its syntax is newer than this Python's, so it is not run again in this process"
        selection = Selection()
        done = self._run(result, selection)
        if isinstance(done, Failure):
            return done.describe()
        found = [change for _, change in selection.seen]
        if done != result.after or sorted(found) != sorted(c for c in result.changes if c.applied):
            return "running the codemods again gives another result"
        return dict(sorted(selection.seen, key=lambda seen: seen[1].line))

    def run(self, result: FileResult, accepted: frozenset[ChangeKey]) -> Outcome:
        """``result``'s file as read with exactly the ``accepted`` changes applied."""
        assert result.before is not None
        selection = Selection(accepted)
        done = self._run(result, selection)
        if isinstance(done, Failure):
            return Outcome(result.before, done.describe())
        missing = sorted(accepted - {key for key, _ in selection.seen})
        if missing:
            lines = ", ".join(str(key[1]) for key in missing)
            return Outcome(done, f"the change at line {lines} needs a change that was not accepted")
        return Outcome(done)

    def _run(self, result: FileResult, selection: Selection) -> str | Failure:
        assert result.before is not None
        try:
            return transform_source(
                result.before,
                self.codemods,
                self.options,
                self.facts,
                Path(result.path),
                selection=selection,
                trees=self.trees,
            ).code
        except TransformError as exc:
            return exc.failure


def unresolved_names(text: str) -> set[str] | None:
    """Global names the code reads but nothing defines (None: cannot tell)."""
    if "import *" in text:
        return None
    try:
        top = symtable.symtable(text, "<review>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return None
    defined = {
        s.get_name()
        for s in top.get_symbols()
        if s.is_assigned() or s.is_imported() or s.is_namespace()
    }
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


def run_facts(
    paths: Sequence[Path], codemods: Sequence[type[Codemod]], options: Options, jobs: int | None
) -> ProjectFacts:
    """The gather phase of a run over ``paths``, as :func:`codemods.api.run_paths` runs it."""
    files = discover(paths, options.exclude, options.follow_symlinks, options.respect_gitignore).files
    if not options.follow_symlinks:
        files = [p for p in files if not os.path.islink(p)]
    return gather(files, codemods, max(1, min(jobs or os.cpu_count() or 1, len(files))))[0]
