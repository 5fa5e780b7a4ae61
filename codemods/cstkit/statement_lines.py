"""Lines of libcst statements taken from the ``ast`` of the same text, before any printing.

``hoist-imports`` needs the lines of the statements it plans with on every file it reads (its
candidate imports, their functions, module-level statements), and the positions of other
nodes only when a skip reason names one or the scopes are resolved. libcst's positions come
from a recording print of the whole module, about half a parse; ``ast`` has the statements'
lines already.

:class:`LazyPositions` is the ``Positions`` mapping hoist-imports used before: it answers
``line`` for every statement and ``lines`` for every small statement (``import``, ``x = ...``)
from the ``ast`` tree, and computes the full :class:`~.positions.Positions` on the first other
question. The statements of both trees are paired in source order (``walk_statements`` and the
same walk over ``ast``), with their kinds compared pair by pair: any difference, or a text
with a ``\\r`` (whose lines the two parsers might count differently), and nothing is taken from
``ast``. ``tests/test_statement_lines.py`` compares every answer with ``Positions`` on every
fixture and on generated programs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property

import libcst as cst
from libcst._position import CodeRange

from .positions import Positions
from .statements import walk_statements

#: Off: every answer comes from the full positions (the tests compare both ways).
ENABLED = True

#: libcst class name -> the ``ast`` class names it may pair with, where they differ
_KINDS = {
    "Del": ("Delete",),
    "FunctionDef": ("FunctionDef", "AsyncFunctionDef"),
    "For": ("For", "AsyncFor"),
    "With": ("With", "AsyncWith"),
}


def same_kind(node: cst.CSTNode, other: ast.stmt) -> bool:
    """Whether libcst's ``node`` and ``ast``'s ``other`` are the same kind of statement."""
    name = type(node).__name__
    return type(other).__name__ in _KINDS.get(name, (name,))


def _ast_statements(body: list[ast.stmt], out: list[ast.stmt] | None = None) -> list[ast.stmt]:
    """Every statement of ``body`` and of the blocks in it, in source order (a list built in
    one pass: a generator per statement and block was most of the pairing's cost)."""
    found: list[ast.stmt] = [] if out is None else out
    for stmt in body:
        found.append(stmt)
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                _ast_statements(case.body, found)
            continue
        kind = type(stmt)
        blocks = _BLOCKS.get(kind)
        if blocks is None:
            blocks = _BLOCKS[kind] = tuple(
                f for f in ("body", "handlers", "orelse", "finalbody") if f in kind._fields
            )
        for name in blocks:
            if name == "handlers":
                for handler in getattr(stmt, name):
                    _ast_statements(handler.body, found)
            else:
                _ast_statements(getattr(stmt, name), found)
    return found


#: ``ast`` statement class -> which of its fields hold statements
_BLOCKS: dict[type, tuple[str, ...]] = {}
#: libcst class -> how :func:`statement_lines` treats it (an ``isinstance`` of libcst's
#: ``ABCMeta`` classes runs Python code: three per statement were half the pairing's cost)
_LINE, _PATTERN, _SMALL, _COMPOUND = range(4)
_ROLES: dict[type, int] = {}


def _role(kind: type) -> int:
    found = _ROLES[kind] = (
        _LINE if issubclass(kind, cst.SimpleStatementLine)
        else _PATTERN if issubclass(kind, cst.MatchPattern)
        else _SMALL if issubclass(kind, cst.BaseSmallStatement)
        else _COMPOUND
    )  # fmt: skip
    return found


#: statement -> (first line, last line of its code, whether libcst's range ends there too)
Table = dict[cst.CSTNode, tuple[int, int, bool]]


def statement_lines(module: cst.Module, tree: ast.Module) -> Table:
    """The lines of every statement; empty when the two trees do not pair up. libcst's range of
    a compound statement ends after the comments that close its body, which ``ast`` does not
    see: only a simple statement's last line is libcst's."""
    found: Table = {}
    lines: list[cst.SimpleStatementLine] = []
    theirs = iter(_ast_statements(tree.body))
    roles = _ROLES
    for node in walk_statements(module, True):
        role = roles.get(node.__class__)
        if role is None:
            role = _role(node.__class__)
        if role == _LINE:
            lines.append(node)  # type: ignore[arg-type]
            continue
        if role == _PATTERN:
            continue
        other = next(theirs, None)
        if other is None or not same_kind(node, other):
            return {}
        found[node] = (other.lineno, other.end_lineno or other.lineno, role == _SMALL)
    if next(theirs, None) is not None:
        return {}
    for line in lines:  # from its first small statement to its last
        found[line] = (found[line.body[0]][0], found[line.body[-1]][1], True)
    return found


def usable_lines(module: cst.Module, tree: ast.Module | None, source: str) -> Table:
    """:func:`statement_lines` where it can be trusted: ``tree`` is ``source`` read by ``ast``,
    ``module`` the same read by libcst, and no ``\r`` can make the two count lines differently."""
    if not ENABLED or tree is None or "\r" in source:
        return {}
    return statement_lines(module, tree)


def one_line(table: Table, ancestors: Sequence[cst.CSTNode]) -> int | None:
    """The line of an expression whose enclosing small statement is in ``table`` and on one
    line (``ancestors``: the expression and its ancestors, outermost first); None when that
    statement spans lines, or the expression is in a compound statement's header."""
    for node in reversed(ancestors):
        if isinstance(node, cst.BaseSmallStatement):
            found = table.get(node)
            return found[0] if found is not None and found[0] == found[1] else None
        if isinstance(node, cst.BaseStatement):
            return None
    return None


class LazyPositions(Mapping[cst.CSTNode, CodeRange]):
    """``Positions(module)``, computed only when a statement table from ``ast`` cannot answer."""

    def __init__(self, module: cst.Module, tree: ast.Module | None, source: str) -> None:
        self.module = module
        self._table = usable_lines(module, tree, source)

    @cached_property
    def full(self) -> Positions:
        return Positions(self.module)

    def line(self, node: cst.CSTNode) -> int:
        """The first line of ``node``."""
        found = self._table.get(node)
        return found[0] if found is not None else self.full.line(node)

    def lines(self, node: cst.CSTNode) -> tuple[int, int]:
        """The first and last line of ``node``'s range."""
        found = self._table.get(node)
        if found is not None and found[2]:
            return found[0], found[1]
        return self.full.line(node), self.full.end_line(node)

    def code_lines(self, node: cst.CSTNode) -> tuple[int, int]:
        """The first and last line of ``node``'s code: for a compound statement, possibly not
        the comments that close its body, which its range holds."""
        found = self._table.get(node)
        if found is not None:
            return found[0], found[1]
        return self.full.line(node), self.full.end_line(node)

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        return self.full[node]

    def __contains__(self, node: object) -> bool:
        return node in self._table or node in self.full

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self.full)

    def __len__(self) -> int:
        return len(self.full)
