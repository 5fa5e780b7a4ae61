"""Statement-level walks over a libcst tree, shared by several codemods.

Statements are a small part of a tree: a question whose answer lives in statements (loop
targets, ``global``, ``del``, nested ``def``s, ``match`` patterns) needs no visitor over every
expression node.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst


def walk_statements(suite: cst.BaseSuite | cst.Module, enter_defs: bool) -> Iterator[cst.CSTNode]:
    """Every statement and small statement in ``suite``, and the pattern of every ``case``, in
    source order; the bodies of nested ``def``s and ``class``es only with ``enter_defs``.

    Statements are a small part of a tree: this finds ``for``/``del``/``global``/``match`` without
    a visitor over every expression node."""
    body: Sequence[cst.BaseStatement | cst.BaseSmallStatement] = suite.body
    for stmt in body:
        yield stmt
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            if enter_defs:
                yield from walk_statements(stmt.body, enter_defs)
        elif isinstance(stmt, cst.Match):
            for case in stmt.cases:
                yield case.pattern
                yield from walk_statements(case.body, enter_defs)
        elif isinstance(stmt, cst.BaseCompoundStatement):
            yield from _compound(stmt, enter_defs)


def _compound(stmt: cst.BaseCompoundStatement, enter_defs: bool) -> Iterator[cst.CSTNode]:
    yield from walk_statements(stmt.body, enter_defs)
    for handler in getattr(stmt, "handlers", ()):
        yield from walk_statements(handler.body, enter_defs)
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        yield orelse
        yield from _compound(orelse, enter_defs)
    elif isinstance(orelse, cst.Else):
        yield from walk_statements(orelse.body, enter_defs)
    finalbody = getattr(stmt, "finalbody", None)
    if isinstance(finalbody, cst.Finally):
        yield from walk_statements(finalbody.body, enter_defs)
