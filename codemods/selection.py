"""Stable names for the changes of a run, and re-runs that apply only some of them.

Interactive review asks about each change, then runs the codemods again over the file as read,
restricted to the accepted changes (``transform_source(..., accepted=...)``): each codemod
reports as always, and :meth:`~codemods.base.Codemod.report` applies a change only when its key
was accepted. The codemods' own machinery then does the rest exactly as in a full run: an
import a fix needs is added once, when the first fix that needs it is applied, and not at all
when none is; an import is dropped only when every reader of it was rewritten.

A key names a change by its codemod, its line in the file as read, its fix title and safety,
and its rank among changes equal in all of these (in report order). A re-run reports the lines
of the file as read too (the engine maps them back through the earlier codemods' edits), so the
same change gets the same key. The message is left out: it may name lines of the codemod's own
input, which move with the changes before it. A change whose key does not come back (the fix
depends on one that was declined: "remove the import: its copy moves to the top") is not
applied, and the caller compares the applied keys with the accepted ones (:func:`keyed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from .linemap import LineMap, to_original
from .types import Change

#: (codemod, line of the file as read, fix title, safety, rank)
ChangeKey = tuple[str, int, str, str, int]
_Base = tuple[str, int, str, str]


def _base(change: Change, line: int) -> _Base:
    return (change.codemod, line, change.fix_title, change.safety.value)


def keyed(changes: Iterable[Change]) -> dict[ChangeKey, Change]:
    """The applied ones of a run's ``changes`` (lines of the file as read), by key, in order."""
    seen: Counter[_Base] = Counter()
    out: dict[ChangeKey, Change] = {}
    for change in changes:
        if change.applied:
            base = _base(change, change.line)
            out[(*base, seen[base])] = change
            seen[base] += 1
    return out


def decider(accepted: frozenset[ChangeKey], maps: Sequence[LineMap]) -> Callable[[Change], bool]:
    """Whether one codemod applies each change it would apply, in report order; ``maps`` take
    its input's lines back to the file as read."""
    maps = tuple(maps)
    seen: Counter[_Base] = Counter()

    def decide(change: Change) -> bool:
        base = _base(change, to_original(change.line, maps))
        rank = seen[base]
        seen[base] += 1
        return (*base, rank) in accepted

    return decide
