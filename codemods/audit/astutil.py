"""Small helpers over stdlib ``ast`` trees shared by the audit's scanners."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..astkit import astnodes
from ..astkit.names import name_chain


class Aliases:
    """Local names -> the dotted names they were imported as (any scope of the file).

    ``import os.path`` binds ``os`` -> ``os``; ``import numpy as np`` binds ``np`` -> ``numpy``;
    ``from os import environ as env`` binds ``env`` -> ``os.environ``. Relative imports keep
    their leading dots. Good enough for recognising well-known calls; not a full binding analysis.
    """

    def __init__(self, tree: ast.AST) -> None:
        self.names: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name != "*":
                        self.names[alias.asname or alias.name] = (
                            f"{base}.{alias.name}" if base else alias.name
                        )

    def qualify(self, expr: ast.expr) -> str | None:
        """The dotted name ``expr`` refers to (``np.linalg.norm`` -> ``numpy.linalg.norm``)."""
        chain = name_chain(expr)
        if chain is None:
            return None
        name, attrs = chain
        return ".".join([self.names.get(name.id, name.id), *attrs])


def parents(tree: ast.AST) -> dict[int, ast.AST]:
    """``id(node)`` -> its parent node, for every node of ``tree``."""
    result: dict[int, ast.AST] = {}
    for node in astnodes.nodes(tree):
        for child in astnodes.children(node):
            result[id(child)] = node
    return result


def ancestors(node: ast.AST, parent_of: dict[int, ast.AST]) -> Iterator[ast.AST]:
    current = parent_of.get(id(node))
    while current is not None:
        yield current
        current = parent_of.get(id(current))


def enclosing_function(
    node: ast.AST, parent_of: dict[int, ast.AST]
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
    for parent in ancestors(node, parent_of):
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return parent
    return None


def str_constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def decorator_names(fn: ast.FunctionDef | ast.AsyncFunctionDef, aliases: Aliases) -> list[str]:
    """Qualified names of ``fn``'s decorators (the called name for ``@deco(...)``)."""
    names = []
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = aliases.qualify(target)
        if name:
            names.append(name)
    return names


def is_startup_function(fn: ast.AST, aliases: Aliases) -> bool:
    """An ``@asynccontextmanager`` function (a lifespan) or an ``on_event("startup")`` handler."""
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = aliases.qualify(target) or ""
        if name.split(".")[-1] == "asynccontextmanager":
            return True
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "on_event"
            and deco.args
            and str_constant(deco.args[0]) == "startup"
        ):
            return True
    return False


def raises(body: list[ast.stmt]) -> bool:
    """Does this block end the program's normal path (``raise``, ``sys.exit(...)``)?"""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return True
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute | ast.Name)
        ):
            func = stmt.value.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id
            if name in {"exit", "_exit", "abort"}:
                return True
    return False


def main_guard_branch(test: ast.expr) -> str | None:
    """The branch of an ``if`` with this test that runs only when the module is run as a script:
    ``"body"`` for ``__name__ == "__main__"``, also as one operand of an ``and`` (``... and
    sys.platform == "win32"``), ``"orelse"`` for ``!=`` (either side's order), else ``None``."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return "body" if any(main_guard_branch(v) == "body" for v in test.values) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    sides = (test.left, test.comparators[0])
    if not (
        any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
        and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    ):
        return None
    op = test.ops[0]
    return "body" if isinstance(op, ast.Eq) else "orelse" if isinstance(op, ast.NotEq) else None
