"""Stable names for the changes of a run, and re-runs that apply only some of them.

Interactive review asks about each change, then runs the codemods again over the file as read,
restricted to the accepted changes (``transform_source(..., selection=...)``): each codemod
reports as always, and :meth:`~codemods.base.Codemod.report` applies a change only when its key
was accepted. The codemods' own machinery then does the rest exactly as in a full run: an
import a fix needs is added once, when the first fix that needs it is applied, and not at all
when none is; an import is dropped only when every reader of it was rewritten.

A key names a change by its codemod, its line in the file as read, its fix title and safety,
and its rank among the codemod's changes equal in all of these, in report order. The lines are
those of the file as read (mapped back through the earlier codemods' edits), so the same change
gets the same key in every run. The message is left out: it may name lines of the codemod's own
input, which move with the changes before it. A change whose key does not come back (its fix
depends on one that was declined: "remove the import: its copy moves to the top") is not
applied, and the caller sees which accepted keys are missing from :attr:`Selection.seen`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .linemap import LineMap, to_original, with_columns
from .types import Change

#: (codemod, line of the file as read, fix title, safety, rank)
ChangeKey = tuple[str, int, str, str, int]


@dataclass
class Selection:
    """The changes one run applies (None: every one), and every change it would apply."""

    accepted: frozenset[ChangeKey] | None = None
    #: each change the codemods would apply, in report order: its key, and the change with
    #: the line of the file as read and whether it was applied
    seen: list[tuple[ChangeKey, Change]] = field(default_factory=list)

    def add_columns(self, text: str) -> None:
        """Give the changes seen their columns in ``text`` (the file as read), as the engine
        gives its own."""
        columned = with_columns(text, [change for _, change in self.seen])
        self.seen[:] = [(key, change) for (key, _), change in zip(self.seen, columned, strict=True)]

    def decider(self, maps: Sequence[LineMap]) -> Callable[[Change], bool]:
        """Whether one codemod applies each change it would apply; ``maps`` take its input's
        lines back to the file as read."""
        maps = tuple(maps)
        ranks: Counter[tuple[str, int, str, str]] = Counter()

        def decide(change: Change) -> bool:
            line = to_original(change.line, maps)
            base = (change.codemod, line, change.fix_title, change.safety.value)
            key = (*base, ranks[base])
            ranks[base] += 1
            applied = self.accepted is None or key in self.accepted
            self.seen.append((key, replace(change, line=line, applied=applied)))
            return applied

        return decide
