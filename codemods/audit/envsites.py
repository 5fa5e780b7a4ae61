"""Where a read of an environment variable runs: in which function, and whether it always runs.

Used by ``startup-checks`` to keep only the reads an app surely makes (docs/decisions.md,
"startup-checks"). A read is *guarded* when something between it and its function (or the
module) may not run it: an ``if``/``elif``/``else`` branch or an ``x if c else y`` arm whose
test is not the constant ``True``, a ``match`` case, a loop body, an ``except``/``else`` block
of a ``try``, a comprehension, or any operand of ``and``/``or`` after the first. The test of
an ``if`` itself always runs, so it is not guarded.

Inside a function, a statement is also guarded when an earlier statement of its block (of any
block around it, up to the function's body) may leave the function: one that is, or contains,
a ``return``, ``raise`` or ``assert`` (``if not FEATURE: return None`` before the read). A
``break``/``continue`` leaves only its loop, whose body is guarded anyway. At module level an
earlier ``raise`` stops the import, and so the app: later reads stay required.
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
    guarded = exited = False
    child = node
    parent = parent_of.get(id(child))
    while parent is not None:
        if isinstance(parent, _FUNCTIONS):
            if isinstance(parent, ast.Lambda) or not isinstance(
                parent_of.get(id(parent)), ast.Module
            ):
                return ELSEWHERE, guarded
            return parent.name, guarded or exited or follows_exit(parent, child)
        guarded = guarded or guards(parent, child)
        exited = exited or follows_exit(parent, child)
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


_BLOCKS = ("body", "orelse", "finalbody")
_EXITS = (ast.Return, ast.Raise, ast.Assert)
_SKIPPED = (*_FUNCTIONS, ast.ClassDef, ast.expr)


def may_exit(stmt: ast.stmt) -> bool:
    """Is ``stmt`` a ``return``/``raise``/``assert``, or does it contain one (outside nested
    functions and classes)?"""
    stack: list[ast.AST] = [] if isinstance(stmt, _SKIPPED) else [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, _EXITS):
            return True
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SKIPPED))
    return False


def exit_followers(parent: ast.AST) -> set[int]:
    """The ids of the statements of ``parent``'s blocks that come after one that may exit."""
    found: set[int] = set()
    for name in _BLOCKS:
        block = getattr(parent, name, None)
        if not isinstance(block, list):
            continue
        exited = False
        for stmt in block:
            if exited:
                found.add(id(stmt))
            elif isinstance(stmt, ast.stmt) and may_exit(stmt):
                exited = True
    return found


def follows_exit(parent: ast.AST, child: ast.AST) -> bool:
    """Does a statement before ``child`` in its block of ``parent`` maybe leave the function?"""
    if not isinstance(child, ast.stmt) or isinstance(parent, ast.Module):
        return False
    for name in _BLOCKS:
        block = getattr(parent, name, None)
        if isinstance(block, list) and child in block:
            return any(may_exit(s) for s in block[: block.index(child)])
    return False
