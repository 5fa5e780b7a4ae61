"""Where a read of an environment variable runs: in which function, and whether it always runs.

Used by ``startup-checks`` to keep only the reads an app surely makes (docs/decisions.md,
"startup-checks"). A read is *guarded* when something between it and its function (or the
module) may not run it: an ``if``/``elif``/``else`` branch or an ``x if c else y`` arm whose
test is not the constant ``True``, a ``match`` case, a loop body, an ``except``/``else`` block
of a ``try``, a comprehension, or any operand of ``and``/``or`` after the first. The test of
an ``if`` itself always runs, so it is not guarded.
"""

from __future__ import annotations

import ast

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

#: The scope of a read in a function that is not a module-level ``def`` (a method, a nested
#: function, a lambda): never followed.
ELSEWHERE = "?"


def site_of(node: ast.AST, parent_of: dict[int, ast.AST]) -> tuple[str, bool]:
    """``(scope, guarded)``: ``scope`` is ``""`` at module level (class bodies included), the
    name of the module-level function the node is in, or :data:`ELSEWHERE`."""
    guarded = False
    child = node
    parent = parent_of.get(id(child))
    while parent is not None:
        if isinstance(parent, _FUNCTIONS):
            if isinstance(parent, ast.Lambda) or not isinstance(
                parent_of.get(id(parent)), ast.Module
            ):
                return ELSEWHERE, guarded
            return parent.name, guarded
        guarded = guarded or guards(parent, child)
        child = parent
        parent = parent_of.get(id(child))
    return "", guarded


def guards(parent: ast.AST, child: ast.AST) -> bool:
    """Does ``parent`` maybe not run its part ``child``?"""
    if isinstance(parent, ast.If | ast.IfExp):
        if child is parent.test:
            return False
        return not (isinstance(parent.test, ast.Constant) and parent.test.value is True)
    if isinstance(parent, ast.For | ast.AsyncFor | ast.While):
        return (
            child is not parent.iter
            if isinstance(parent, ast.For | ast.AsyncFor)
            else (child is not parent.test)
        )
    if isinstance(parent, ast.Try | ast.TryStar):
        return child in parent.handlers or child in parent.orelse
    if isinstance(parent, ast.Match):
        return child is not parent.subject
    if isinstance(parent, ast.BoolOp):
        return child is not parent.values[0]
    return isinstance(parent, _COMPREHENSIONS)
