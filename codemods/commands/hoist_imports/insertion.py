"""Where ``hoist-imports`` puts new module-level imports: the end of the module's leading
import block (after its docstring, ``__future__`` imports and the prelude statements ruff's
``E402`` lets stand above imports), and the blocks of a compound statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from ...imports.nodes import has_import, is_docstring, is_type_checking, module_text, sole_import
from ...imports.top import movable, top_end


@dataclass(frozen=True)
class Insertion:
    """Where new module-level imports go: before ``module.body[index]``."""

    index: int
    #: True when ``index`` directly follows an existing import statement.
    anchored: bool
    #: True when that import is a ``from __future__`` import (a blank line follows it).
    after_future: bool = False
    #: The end of the module's import block (what is above it is imported before any function
    #: runs): ``index``, or below it when the new lines go higher to stay out of ruff's ``E402``.
    end: int = -1
    #: The statement after which ruff would report the new lines (``E402``) when no placement
    #: avoids it: nothing is hoisted then.
    blocked_by: cst.BaseStatement | None = None

    @property
    def block_end(self) -> int:
        return self.index if self.end < 0 else self.end


def child_blocks(stmt: cst.BaseCompoundStatement) -> list[tuple[Sequence[cst.BaseStatement], str]]:
    """The statement lists directly inside a compound statement, each with its kind: ``body``,
    ``else``, ``except``, ``finally`` or ``case``. An ``elif`` is returned as a nested ``if``."""
    blocks: list[tuple[Sequence[cst.BaseStatement], str]] = []

    def add(suite: cst.BaseSuite, kind: str) -> None:
        if isinstance(suite, cst.IndentedBlock):
            blocks.append((suite.body, kind))

    if isinstance(stmt, cst.Match):
        for case in stmt.cases:
            add(case.body, "case")
        return blocks
    add(stmt.body, "body")
    for handler in getattr(stmt, "handlers", ()):
        add(handler.body, "except")
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        blocks.append(([orelse], "else"))
    elif isinstance(orelse, cst.Else):
        add(orelse.body, "else")
    finalbody = getattr(stmt, "finalbody", None)
    if isinstance(finalbody, cst.Finally):
        add(finalbody.body, "finally")
    return blocks


_PRELUDE_BLOCKS = (cst.If, cst.Try, cst.TryStar, cst.With)


def _is_prelude(stmt: cst.BaseStatement) -> bool:
    """Imports, simple statements, and ``if``/``try``/``with`` blocks made only of those."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return True
    if isinstance(stmt, _PRELUDE_BLOCKS):
        return all(_is_prelude(s) for block, _ in child_blocks(stmt) for s in block)
    return False


def _runtime_import(stmt: cst.BaseStatement) -> bool:
    if has_import(stmt):
        return True
    if isinstance(stmt, cst.If) and is_type_checking(stmt.test):
        return False
    if isinstance(stmt, _PRELUDE_BLOCKS):
        return any(_runtime_import(s) for block, _ in child_blocks(stmt) for s in block)
    return False


def _is_future(stmt: cst.BaseStatement) -> bool:
    imp = sole_import(stmt)
    return isinstance(imp, cst.ImportFrom) and module_text(imp) == "__future__"


def insertion_point(module: cst.Module) -> Insertion:
    """After the last runtime import of the module's prelude (its leading run of imports, simple
    statements and import-only blocks), so nothing that precedes an existing import (a
    ``sys.path.insert``, an event-loop-policy line) ever ends up below a new import; without
    imports, after the docstring.

    When ruff would report a new import there (``E402``: a statement above ends the top of the
    file, :mod:`...imports.top`), the new lines go just above the first such statement if every
    statement from there down to the end of the block only binds literals or names, imports or
    tests such reads (``VERSION = "1"``, ``try: import cython``); otherwise that statement is
    ``blocked_by`` and nothing moves."""
    body = module.body
    anchor = -1
    for index, stmt in enumerate(body):
        if not _is_prelude(stmt):
            break
        if _runtime_import(stmt):
            anchor = index
    if anchor < 0:
        return Insertion(1 if body and is_docstring(body[0]) else 0, False)
    end = anchor + 1
    top = top_end(body, end)
    if top is None:
        return Insertion(end, True, _is_future(body[anchor]))
    if not all(movable(stmt) for stmt in body[top:end]):
        return Insertion(end, True, _is_future(body[anchor]), blocked_by=body[top])
    above = sole_import(body[top - 1]) if top > 0 else None
    future = isinstance(above, cst.ImportFrom) and module_text(above) == "__future__"
    return Insertion(top, above is not None, future, end=end)


# -- planning the insertions ---------------------------------------------------------------------
