"""Copies of one import in one function, for ``hoist-imports``: they move together or not at all.

A function that imports a name twice keeps it local as long as either copy stays, so moving
only one would leave an unbound local before the other. Two kinds of copies:

- an *echo*: an import directly in the function body that repeats the last one of the name
  there, with nothing but identical imports binding the name in between (and no ``global``,
  ``nonlocal``, ``del``, walrus or ``match`` binding of it in the function, whose order is not
  recorded). It re-binds the same object, so it is a no-op
  whatever happens to the first copy: it goes with that copy, and its own position (after a
  ``sys.path`` edit, ...) does not matter. This is exactly what ``dedupe-imports`` removes, so
  hoisting decides here what the next run would decide after it.
- any other copy binding the same object (``import os`` and ``import os.path``, a copy in a
  ``try``): checked like any import; all of them move, or none.

A copy that must stay (suppressed, or held for a reason of its own) holds the others; a held
statement whose echo aliases would outlive their first copy loses just those aliases.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, FunctionScope

from ...base import SUPPRESSED
from ...imports.nodes import Binding, bindings, has_inner_comments
from .candidate import Candidate
from .planner_state import PlannerState


def link_copies(planner: PlannerState) -> None:
    """Fill in ``copies`` and ``echoes`` of every candidate."""
    groups: dict[tuple[int, str], list[tuple[Candidate, int]]] = {}
    by_function: dict[int, list[Candidate]] = {}
    for c in planner.candidates:
        by_function.setdefault(id(c.fn), []).append(c)
    for c in planner.candidates:
        c.copies = [
            o
            for o in by_function[id(c.fn)]
            if o is not c
            and any(
                b.bound == d.bound and b.same_object_as(d) for b in c.bindings for d in o.bindings
            )
        ]
        for index, binding in enumerate(c.bindings):
            groups.setdefault((id(c.fn), binding.bound), []).append((c, index))
    for (_, name), entries in groups.items():
        if len(entries) > 1 and _echoes_possible(planner, entries, name):
            _link_echoes(planner, entries, name)


def _echoes_possible(planner: PlannerState, entries: list[tuple[Candidate, int]], name: str) -> bool:
    """No ``global``/``nonlocal``/``del``/walrus/``match`` binding of the name in the function
    (their order is not recorded), and no comment inside a name list that removing one alias
    could lose."""
    first, _ = entries[0]
    if any(has_inner_comments(c.imp) for c, _ in entries):
        return False
    extra = planner.extra(first.fn)
    return isinstance(planner.scopes.get(first.imp), FunctionScope) and not (
        name in extra.globals or name in extra.nonlocals or name in extra.bound
    )


def _link_echoes(planner: PlannerState, entries: list[tuple[Candidate, int]], name: str) -> None:
    """dedupe-imports' rule: an import directly in the body repeats the last such import of the
    name when only identical imports bound it in between."""
    scope = planner.scopes.get(entries[0][0].imp)
    assert isinstance(scope, FunctionScope)
    by_node = {id(c.imp): (c, i) for c, i in entries}
    events: list[tuple[tuple[int, int], Candidate | None, Binding | None]] = []
    for a in scope.assignments[name]:
        if not isinstance(a, Assignment) or a.node not in planner.positions:
            return  # a binding we cannot place: no echoes
        start = planner.positions[a.node].start
        entry = by_node.get(id(a.node))
        if entry is not None:
            events.append(((start.line, start.column), entry[0], entry[0].bindings[entry[1]]))
            continue
        found = (
            [b for b in bindings(a.node) or [] if b.bound == name]
            if isinstance(a.node, cst.Import | cst.ImportFrom)
            else []
        )
        events.append(((start.line, start.column), None, found[0] if len(found) == 1 else None))
    bound: tuple[Candidate, Binding] | None = None
    for _, c, binding in sorted(events, key=lambda e: e[0]):
        if bound is not None and binding == bound[1]:
            if c is not None and c.in_try is None and c is not bound[0]:
                c.echoes[c.bindings.index(binding)] = bound[0]
            continue
        bound = (c, binding) if c is not None and binding is not None and c.in_try is None else None


def _blocker(c: Candidate, alive: set[int]) -> Candidate | None:
    """A copy that stays in the function with a binding ``c`` needs gone, if any."""
    for i, b in enumerate(c.bindings):
        if i in c.echoes:
            if id(c.echoes[i]) not in alive and c.pure_echo:
                return c.echoes[i]
            continue  # a moved statement drops its echo aliases
        for o in c.copies:
            if id(o) in alive:
                continue
            for j, d in enumerate(o.bindings):
                if d.bound == b.bound and b.same_object_as(d):
                    if j in o.echoes and not o.frozen:
                        continue  # stripped from the statement that stays
                    return o
    return None


def settle(planner: PlannerState, survivors: list[Candidate]) -> list[Candidate]:
    """The survivors whose copies all move too; sets ``strip`` on held statements and makes a
    group unsafe when one of its copies is."""
    codemod = planner.codemod
    alive = {id(c) for c in survivors}
    for c in planner.candidates:
        if c.copies and codemod.suppressed(c.line, c.end_line):
            c.frozen = True
            if id(c) in alive:
                codemod.skip(c.line, SUPPRESSED)
                alive.discard(id(c))
    changed = True
    while changed:
        changed = False
        for c in survivors:
            if id(c) not in alive:
                continue
            kept = _blocker(c, alive)
            if kept is not None:
                codemod.skip(
                    c.line,
                    f"its copy at line {kept.line} stays in function `{c.function}`, "
                    "so the name stays local there: all copies move or none",
                )
                alive.discard(id(c))
                changed = True
    for c in planner.candidates:
        if id(c) not in alive and not c.frozen:
            c.strip = sorted(i for i, first in c.echoes.items() if id(first) in alive)
    result = [c for c in survivors if id(c) in alive]
    root = {id(c): c.unsafe_reason for c in result if c.unsafe_reason is not None}
    changed = True
    while changed:  # copies of copies too: one unsafe fix not applied holds them all
        changed = False
        for c in result:
            risky = next((o for o in c.copies if id(o) in root), None)
            if id(c) not in root and risky is not None:
                root[id(c)] = root[id(risky)]
                c.unsafe_reason = (
                    f"moves together with its copy at line {risky.line}, {root[id(risky)]}"
                )
                changed = True
    return result
