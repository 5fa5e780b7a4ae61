"""One function-level import ``hoist-imports`` may move: where it is, what it binds, and what
the analysis has found out about it (:mod:`.analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ...imports.nodes import Binding


@dataclass
class Candidate:
    """An import statement alone on its line at the top of a function body (or of a ``try``
    at the top of one)."""

    stmt: cst.SimpleStatementLine
    imp: cst.Import | cst.ImportFrom
    bindings: list[Binding]
    fn: cst.FunctionDef
    #: Dotted display name, e.g. ``Queue.submit``.
    function: str
    depth: int
    line: int
    end_line: int
    #: Statements of the function that run before the import.
    preceding: list[cst.BaseStatement]
    in_try: cst.Try | cst.TryStar | None
    #: Why the function itself is conditional ("defined under `if` (line 3)"), if it is.
    guard: str | None
    unsafe_reason: str | None = None
    #: held only because it is unused (its side effects): see ``Planner.checked``
    side_effects_only: bool = False
    #: Enclosing-function candidates binding the same object: they must be hoisted first.
    needs: list[tuple[Candidate, str]] = field(default_factory=list)
    #: Other candidates of the same function binding a name of this one to the same object
    #: (``import json`` twice): all of them move, or none. See ``copies``.
    copies: list[Candidate] = field(default_factory=list)
    #: binding index -> the first copy, for aliases that only repeat it (see ``copies``)
    echoes: dict[int, Candidate] = field(default_factory=dict)
    #: Earlier imports of the function that touch import state (``import importlib``): this one
    #: moves only if they move too, and then after them (with the reason to give otherwise).
    after: list[tuple[Candidate, str]] = field(default_factory=list)
    #: binding index -> line of the identical module-level import below the import block but
    #: above the function: that alias is dropped, the rest moves (what ``dedupe-imports`` does)
    covered: dict[int, int] = field(default_factory=dict)
    #: Stays whole: suppressed by a comment.
    frozen: bool = False
    #: Echo aliases to remove from this statement, which itself stays.
    strip: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def own(self) -> list[Binding]:
        """The bindings that are not echoes of an earlier copy: the ones this import decides."""
        return [b for i, b in enumerate(self.bindings) if i not in self.echoes]

    @property
    def moving(self) -> list[Binding]:
        """The bindings this import carries to module level."""
        return [
            b for i, b in enumerate(self.bindings) if i not in self.echoes and i not in self.covered
        ]

    @property
    def pure_echo(self) -> bool:
        return len(self.echoes) == len(self.bindings)
